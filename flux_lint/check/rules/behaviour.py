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

import re
from collections.abc import Iterator
from typing import Any

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
    """Flux 2.9 sends Helm hooks through post-renderers by default (``combined``): a warning
    where a post-renderer can reach a hook (see :func:`reaches_hooks`)."""
    if not _is(obj, HELM_GROUP, "HelmRelease") or ctx.flux_version < FLUX_2_9:
        return
    if ctx.from_version is not None and ctx.from_version >= FLUX_2_9:
        return  # already running 2.9: nothing changes on upgrade
    spec = obj.spec
    if "postRenderStrategy" in spec:
        return
    field = reason = None
    if spec.get("postRenderers"):
        field, reason = "postRenderers", reaches_hooks(spec.get("postRenderers"))
    if reason is None and spec.get("commonMetadata"):
        field, reason = "commonMetadata", "`spec.commonMetadata` labels every object"
    if field is None or reason is None:
        return
    yield Problem(
        f"`spec.{field}` without `spec.postRenderStrategy`: since Flux 2.9 the default is "
        f"`combined`, so Helm hooks are post-rendered too (it was `nohooks`), and {reason}",
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


#: Kinds Helm hooks are made of in practice: Jobs, and Pods (``helm test``).
HOOK_KINDS = ("Job", "Pod")
_PATTERN = re.compile(r"[*+?\[\](){}|^$\\]")


def reaches_hooks(renderers: Any) -> str | None:
    """Why a HelmRelease's post-renderers can change a chart hook, or None when none can.

    A kustomize post-renderer reaches a hook with ``images`` (they rewrite every matching
    container), with a patch without ``target``, and with a target that a hook can match: no
    ``kind`` or a kind that matches Job or Pod, or no ``name`` (target fields are regular
    expressions, so a name that is a pattern counts as none). A strategic-merge patch names
    its object itself and is judged by its own kind and name. Patches of one named Deployment
    (the usual case) cannot reach a hook, and neither can an empty post-renderer."""
    for i, renderer in enumerate(renderers if isinstance(renderers, list) else []):
        kustomize = renderer.get("kustomize") if isinstance(renderer, dict) else None
        if not isinstance(kustomize, dict):
            continue
        where = f"`spec.postRenderers[{i}].kustomize"
        if kustomize.get("images"):
            return f"{where}.images` rewrites the images of hook Pods and Jobs as well"
        for field in ("patches", "patchesJson6902"):
            items = kustomize.get(field)
            for j, patch in enumerate(items if isinstance(items, list) else []):
                if not isinstance(patch, dict):
                    continue
                why = _target_reaches(patch.get("target"), patch.get("patch"))
                if why is not None:
                    return f"{where}.{field}[{j}]` {why}"
        items = kustomize.get("patchesStrategicMerge")
        for j, patch in enumerate(items if isinstance(items, list) else []):
            why = _target_reaches(None, patch)
            if why is not None:
                return f"{where}.patchesStrategicMerge[{j}]` {why}"
    return None


def _target_reaches(target: Any, body: Any) -> str | None:
    if not isinstance(target, dict) or not target:
        own = _own_id(body)
        if own is None:
            return "has no `target`, so it can match a hook"
        target = own
    kind, name = target.get("kind"), target.get("name")
    if not isinstance(kind, str) or not kind:
        return "has a target without `kind`, which a hook can match"
    try:
        matches = [k for k in HOOK_KINDS if re.fullmatch(kind, k)]
    except re.error:
        matches = list(HOOK_KINDS)
    if matches:
        return f"targets kind `{kind}`, which hooks are made of"
    if not isinstance(name, str) or not name:
        return f"targets every {kind} (no `name`), hook {kind} objects included"
    if _PATTERN.search(name):
        return f"targets every {kind} whose name matches `{name}`, hook {kind} objects included"
    return None


def _own_id(body: Any) -> dict[str, Any] | None:
    """The kind and name a strategic-merge patch names itself (None: not one, or unnamed)."""
    data = body
    if isinstance(body, str):
        from flux_lint.load.yaml import load_text

        loaded = load_text(body)
        documents = [d.data for d in loaded.documents]
        data = documents[0] if len(documents) == 1 and not loaded.problems else None
    if not isinstance(data, dict):
        return None
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(data.get("kind"), str) or not isinstance(name, str):
        return None
    return {"kind": data["kind"], "name": name}


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
