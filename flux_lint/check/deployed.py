"""Fields judged on the object as Flux deploys it, for every check that validates a schema.

The schema rules for Flux kinds, for Kubernetes built-ins and for catalog and repository CRDs
all report required fields; each passes its validator errors through
:func:`required_as_deployed`, so one decision (model/effective.py) serves them all.
"""

from __future__ import annotations

from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.schema.validate import SchemaError
from flux_lint.model.objects import K8sObject


def required_as_deployed(
    obj: K8sObject, ctx: CheckContext, validator: Any, errors: list[SchemaError]
) -> list[SchemaError]:
    """Required fields are judged on the object as Flux deploys it (model/effective.py): a
    field that the patches on the way (overlays, the parent Kustomizations' ``spec.patches``)
    supply in every build that applies the object is not missing; one that some build deploys
    without it still is; and when a patch that may apply is not understood, required fields
    are not judged. Every check that validates a schema passes its errors through here."""
    if ctx.effective is None or not any(e.code == "required" for e in errors):
        return errors
    from flux_lint.model.effective import UNKNOWN

    variants = ctx.effective.variants(obj)
    if variants is UNKNOWN:
        return [e for e in errors if e.code != "required"]
    if not variants:
        return errors
    still: set[tuple[str, str]] = set()
    for data in variants:
        if data is None:  # a build whose patch deletes the object deploys nothing to judge
            continue
        if data is obj.data:
            return errors  # a build deploys the manifest as written
        still |= {(e.pointer, e.message) for e in validator.validate(data) if e.code == "required"}
    return [e for e in errors if e.code != "required" or (e.pointer, e.message) in still]
