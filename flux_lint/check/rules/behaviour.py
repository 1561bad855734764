"""Flux 2.9 behaviour changes that a manifest can reveal (flux-facts §3).

Each check fires only when the Flux it is judged against is affected: the target version
(``--flux-version``) and, for an upgrade report, the version running today (``--from``).

FL401's fix writes ``postRenderStrategy: nohooks`` into ``spec`` directly above the field that
triggered it (``postRenderers`` or ``commonMetadata``, and above the comment lines written for
that field). There it sits next to what it governs, and inserting above a key never has to find
where a long nested value (post-renderer patches are often block scalars) ends; for
``postRenderers`` it is also the alphabetical place. The fix is unsafe: it pins the pre-2.9
behaviour, which is a choice, not a correction.
"""

from __future__ import annotations

from collections.abc import Iterator

from flux_lint.check.context import CheckContext
from flux_lint.check.edits import insert_key
from flux_lint.check.registry import check
from flux_lint.core.findings import KEY, VALUE, Problem, pointer_join
from flux_lint.model.objects import K8sObject

HELM_GROUP = "helm.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_2_9 = (2, 9)


def _oldest(ctx: CheckContext) -> tuple[int, int]:
    """The oldest Flux the manifest must work on: the target, or today's version if older."""
    if ctx.from_version is not None:
        return min(ctx.flux_version, ctx.from_version)
    return ctx.flux_version


def _is(obj: K8sObject, group: str, kind: str) -> bool:
    return obj.group == group and obj.kind == kind


@check("FL401")
def post_render_strategy_default(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Flux 2.9 sends Helm hooks through post-renderers by default (``combined``)."""
    if not _is(obj, HELM_GROUP, "HelmRelease") or ctx.flux_version < FLUX_2_9:
        return
    if ctx.from_version is not None and ctx.from_version >= FLUX_2_9:
        return  # already running 2.9: nothing changes on upgrade
    spec = obj.spec
    if "postRenderStrategy" in spec:
        return
    if spec.get("postRenderers"):
        field = "postRenderers"
    elif spec.get("commonMetadata"):
        field = "commonMetadata"
    else:
        return
    yield Problem(
        f"`spec.{field}` without `spec.postRenderStrategy`: since Flux 2.9 the default is "
        "`combined`, so Helm hooks are post-rendered too (it was `nohooks`)",
        pointer=f"/spec/{field}",
        target=KEY,
        fix=insert_key(
            "/spec",
            "postRenderStrategy",
            "nohooks",
            before=field,
            title="Add `spec.postRenderStrategy: nohooks` to keep the pre-2.9 behaviour",
            safe=False,
        ),
    )


@check("FL403")
def literal_without_target_path(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """``valuesFrom[].literal`` only changes how a value at ``targetPath`` is read."""
    if not _is(obj, HELM_GROUP, "HelmRelease"):
        return
    values_from = obj.spec.get("valuesFrom")
    if not isinstance(values_from, list):
        return
    for index, ref in enumerate(values_from):
        if isinstance(ref, dict) and ref.get("literal") is True and not ref.get("targetPath"):
            yield Problem(
                "`literal: true` has no effect without `targetPath`",
                pointer=pointer_join("/spec/valuesFrom", index, "literal"),
                target=KEY,
            )


@check("FL404")
def ignore_without_target(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """A ``spec.ignore[]`` entry without ``target`` applies to every object."""
    if not _is(obj, KUSTOMIZE_GROUP, "Kustomization"):
        return
    rules = obj.spec.get("ignore")
    if not isinstance(rules, list):
        return
    for index, rule in enumerate(rules):
        if isinstance(rule, dict) and not rule.get("target"):
            paths = rule.get("paths")
            shown = ", ".join(f"`{p}`" for p in paths[:3]) if isinstance(paths, list) else ""
            yield Problem(
                f"ignore rule without `target` ignores {shown or 'these paths'} in every "
                "object the Kustomization applies",
                pointer=pointer_join("/spec/ignore", index),
                target=VALUE,
            )


@check("FL405")
def health_check_expr_without_kind(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """``healthCheckExprs[].kind`` became optional in Flux 2.9; older controllers require it."""
    if _oldest(ctx) >= FLUX_2_9:
        return
    if not (_is(obj, KUSTOMIZE_GROUP, "Kustomization") or _is(obj, HELM_GROUP, "HelmRelease")):
        return
    exprs = obj.spec.get("healthCheckExprs")
    if not isinstance(exprs, list):
        return
    oldest = _oldest(ctx)
    for index, expr in enumerate(exprs):
        if isinstance(expr, dict) and "kind" not in expr:
            yield Problem(
                f"health check expression without `kind` needs Flux 2.9; Flux "
                f"{oldest[0]}.{oldest[1]} rejects it",
                pointer=pointer_join("/spec/healthCheckExprs", index),
                target=VALUE,
            )
