"""Fields judged on the object as Flux deploys it, for every check that validates a schema.

The schema rules for Flux kinds, for Kubernetes built-ins and for catalog and repository CRDs
all report required fields; each passes its validator errors through
:func:`required_as_deployed`, so one decision (model/effective.py) serves them all. Objects
that a build changes are judged per build by check/effective.py.
"""

from __future__ import annotations

from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.schema.validate import SchemaError
from flux_lint.model.objects import K8sObject


def required_as_deployed(
    obj: K8sObject, ctx: CheckContext, validator: Any, errors: list[SchemaError]
) -> list[SchemaError]:
    """Required fields are judged on the object as Flux deploys it (model/effective.py). An
    object that some build changes is judged per build (check/effective.py: ``obj`` is then a
    build's copy, and its errors stand); one that a patch not understood may change has no
    required fields judged, since the patch may well supply them; any other object is
    deployed as written. Every check that validates a schema passes its errors through here."""
    if ctx.effective is None or obj.extra.get("effective"):
        return errors
    if not any(e.code == "required" for e in errors):
        return errors
    from flux_lint.model.effective import UNKNOWN

    if ctx.effective.variants(obj) is UNKNOWN:
        return [e for e in errors if e.code != "required"]
    return errors
