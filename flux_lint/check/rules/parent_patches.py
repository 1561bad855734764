"""A Flux Kustomization's ``spec.patches`` (FL511, FL512).

Both rules read the patches as written in the Kustomization and the objects its build applies
(:mod:`flux_lint.model.graph`); how kustomize selects and applies them is modelled in
:mod:`flux_lint.model.parent_patches`.

* **FL511** a patch that selects nothing the Kustomization applies. With a ``target`` kustomize
  silently does nothing (warning: usually a renamed object or a wrong kind, group or regex); a
  strategic-merge patch without ``target`` that finds no object of its kind and name fails the
  build (error).
* **FL512** a patch kustomize rejects: not YAML, neither a merge patch nor a list of JSON 6902
  operations, an operation without ``op``/``path``/``value``, a JSON 6902 patch without
  ``target``, a bad target regex or selector, or an operation that cannot apply to an object it
  selects (``replace`` or ``remove`` of a path the object does not have, ``add`` below a
  missing parent, a failed ``test``).

Only Kustomizations whose build the graph sees whole are judged for FL511 (local source,
existing path, no remote resources or Helm charts in the kustomization files), and an operation
failure is only reported for objects that no kustomization on the way transforms first (its own
patches, replacements, components): otherwise the object at patch time may differ from the
manifest. Names in targets that hold placeholders are resolved with the variables of the
Kustomization that applies this one; one that cannot be resolved is not judged.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.rules.references import resolver
from flux_lint.core.findings import KEY, VALUE, Problem, Severity
from flux_lint.model.graph import Instance, RepoGraph
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.parent_patches import (
    ParentPatch,
    apply_patch,
    build_is_complete,
    is_transformed,
    kustomization_instance,
    parse_patch,
    selects,
    target_of,
)

RULE_NOTHING = "FL511"
RULE_INVALID = "FL512"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _label(namespace: str | None, name: str | None) -> str:
    return f"{namespace}/{name}" if namespace else name or "?"


def _resolve_target(raw: Any, inst: Instance) -> Any:
    """The patch item with placeholders in its ``target`` resolved through the parent's
    substitution; None when one cannot be resolved."""
    item = _dict(raw)
    target = item.get("target")
    if not isinstance(target, dict):
        return raw
    resolved = dict(target)
    for key, value in target.items():
        if isinstance(value, str) and "${" in value:
            text = inst.resolve(value)
            if text is None:
                return None
            resolved[key] = text
    return {**item, "target": resolved}


def _patches(graph: RepoGraph, ks: IndexEntry) -> list[ParentPatch]:
    """The patches as written in the Kustomization (targets resolved where possible)."""
    inst = kustomization_instance(graph, ks)
    out = []
    for i, raw in enumerate(_list(_dict(ks.data.get("spec")).get("patches"))):
        item = _resolve_target(raw, inst)
        if item is None:
            continue
        patch = parse_patch(item, i)
        if patch is not None:
            out.append(patch)
    return out


def _ks_label(graph: RepoGraph, ks: IndexEntry) -> str:
    inst = kustomization_instance(graph, ks)
    return _label(inst.resolved_namespace, inst.resolved_name)


def _object_label(inst: Instance) -> str:
    return f"{inst.kind} `{_label(inst.namespace, inst.name)}`"


@repo_check(RULE_NOTHING)
def patch_matches_nothing(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """A ``spec.patches`` entry whose target selects no object the Kustomization applies."""
    graph = resolver(index, ctx).graph
    for ks in graph.flux_kustomizations:
        instances = graph.applied_instances(ks)
        if not instances or not build_is_complete(graph, ks):
            continue
        targets = [target_of(inst, graph) for inst in instances]
        for patch in _patches(graph, ks):
            if patch.error is not None:
                continue
            if any(selects(patch, target) is not False for target in targets):
                continue
            kinds = _kind_names(patch, instances)
            where = f"Kustomization `{_ks_label(graph, ks)}` applies"
            if patch.target is None:
                message = (
                    f"the patch ({patch.describe()}) has no `target` and no object that {where} "
                    "has its kind and name: kustomize fails the build"
                )
                severity: Severity | None = Severity.ERROR
                pointer = f"{patch.pointer}/patch"
            else:
                message = f"the patch target ({patch.describe()}) selects nothing that {where}"
                severity = None
                pointer = f"{patch.pointer}/target"
            if kinds:
                message += f" (it applies {kinds})"
            target = VALUE if patch.target is None else KEY
            yield ks, Problem(message, pointer, target, rule_id=RULE_NOTHING, severity=severity)


def _kind_names(patch: ParentPatch, instances: list[Instance]) -> str:
    """Objects of the kind the patch is after, for "did you mean"-style messages."""
    kind = None
    if patch.target is not None and patch.target.kind and patch.target.kind.isalnum():
        kind = patch.target.kind
    elif patch.target is None and patch.strategic:
        kind = patch.strategic[0].get("kind")
    if not isinstance(kind, str):
        return ""
    names = sorted({inst.name for inst in instances if inst.kind == kind and inst.name})
    if not names:
        return ""
    shown = ", ".join(f"`{n}`" for n in names[:4]) + (", …" if len(names) > 4 else "")
    return f"{kind} {shown}"


@repo_check(RULE_INVALID)
def invalid_parent_patch(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """A ``spec.patches`` entry that kustomize rejects or cannot apply."""
    graph = resolver(index, ctx).graph
    for ks in graph.flux_kustomizations:
        patches = _patches(graph, ks)
        if not patches:
            continue
        for patch in patches:
            if patch.error is not None:
                error = patch.error
                yield (
                    ks,
                    Problem(
                        error.message,
                        error.pointer,
                        VALUE,
                        rule_id=RULE_INVALID,
                        offset=error.offset,
                    ),
                )
        yield from _application_errors(graph, ks, patches)


def _application_errors(
    graph: RepoGraph, ks: IndexEntry, patches: list[ParentPatch]
) -> Iterator[tuple[IndexEntry, Problem]]:
    reported: set[int] = set()
    for inst in graph.applied_instances(ks):
        if inst.generated or is_transformed(graph, inst):
            continue
        target = target_of(inst, graph)
        data: dict[str, Any] | None = copy.deepcopy(inst.entry.data)
        for patch in patches:
            if data is None:
                break
            if patch.error is not None or selects(patch, target) is not True:
                continue
            try:
                data = apply_patch(data, patch, target)
            except ValueError as exc:
                message, op_index = exc.args[0], exc.args[1] if len(exc.args) > 1 else 0
                if patch.index in reported:
                    continue
                reported.add(patch.index)
                line = patch.op_lines[op_index] if op_index < len(patch.op_lines) else None
                where = f" ({inst.entry.path})" if inst.entry.path != ks.path else ""
                text = (
                    f"operation {op_index + 1} cannot apply to {_object_label(inst)}{where}: "
                    f"{message}; kustomize fails the build"
                )
                yield (
                    ks,
                    Problem(
                        text,
                        f"{patch.pointer}/patch",
                        VALUE,
                        rule_id=RULE_INVALID,
                        offset=(line, 1) if line else None,
                    ),
                )
