"""Fixes for removed and deprecated built-in Kubernetes APIs.

The plain fix writes the replacement apiVersion; it is safe when the object, as it is, validates
on the new version of the target Kubernetes, and unsafe otherwise (the title says which field
the new version rejects). Where the Kubernetes deprecation guide names a shape change, a second,
unsafe fix rewrites exactly those fields together with the apiVersion:

* Ingress ``extensions/v1beta1`` and ``networking.k8s.io/v1beta1`` → ``networking.k8s.io/v1``:
  ``backend.serviceName`` → ``backend.service.name``, a numeric ``servicePort`` →
  ``service.port.number`` and a named one → ``service.port.name``, ``spec.backend`` →
  ``spec.defaultBackend``, and ``pathType: ImplementationSpecific`` (what v1beta1 did when it
  was not set) on every path that has none;
* HorizontalPodAutoscaler ``autoscaling/v2beta1`` → ``autoscaling/v2``: a ``Resource`` metric's
  ``targetAverageUtilization``/``targetAverageValue`` → ``target`` with its ``type``.

They are unsafe because they change what the file says beyond its apiVersion; each edit
replaces the text of the entries it rewrites and keeps everything else byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.edits import replace_scalar
from flux_lint.core.findings import Fix
from flux_lint.model.objects import K8sObject

FixBuilder = Callable[[Any, str], Fix | None]


def _bump_problem(obj: K8sObject, ctx: CheckContext, replacement: str, data: dict) -> str | None:
    """Why ``data`` (the object moved to ``replacement``) is not valid there, or None."""
    validator = ctx.kubernetes.validator(replacement, obj.kind)
    if validator is None:
        return f"Kubernetes does not serve {obj.kind} `{replacement}`"
    errors = validator.validate(data, partial=obj.partial)
    if not errors:
        return None
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"`{replacement}` would reject it: {errors[0].message}{more}"


def bump_fix(obj: K8sObject, ctx: CheckContext, row: Any) -> FixBuilder | None:
    replacement = row.replacement
    title = f"Change apiVersion to `{replacement}`"
    bumped = {**obj.data, "apiVersion": replacement}
    try:
        reason = _bump_problem(obj, ctx, replacement, bumped)
    except Exception as exc:  # the finding must survive a failure of the safety check
        reason = f"the object could not be checked against the new version ({exc})"
    if reason is None:
        return replace_scalar("/apiVersion", replacement, expected=obj.api_version, title=title)
    shape = SHAPE_FIXES.get(row.changes or "")
    if shape is not None:
        builder = shape(obj, ctx, replacement)
        if builder is not None:
            return builder
    return replace_scalar(
        "/apiVersion",
        replacement,
        expected=obj.api_version,
        title=f"{title} (unsafe: {reason})",
        safe=False,
    )


SHAPE_FIXES: dict[str, Callable[[K8sObject, CheckContext, str], FixBuilder | None]] = {}
