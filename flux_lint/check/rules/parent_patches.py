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
import posixpath
from collections.abc import Iterator
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.rules.references import resolver, settings
from flux_lint.core.findings import KEY, VALUE, Finding, Problem, Severity
from flux_lint.model.graph import Instance, RepoGraph, repo_graph
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.objects import is_flux_group
from flux_lint.model.parent_patches import (
    MISSING_REQUIRED,
    ParentPatch,
    PatchError,
    Selector,
    SelectorError,
    apply_patch,
    build_is_complete,
    is_transformed,
    kustomization_instance,
    parse_patch,
    patched_objects,
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
                data = apply_patch(data, patch)
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


# -- the FL105 hook ---------------------------------------------------------------------------


def _reference_names(ctx: Any) -> tuple[str, ...]:
    return settings(ctx).repository_sources


def retract_parent_supplied(findings: list[Finding], index: RepoIndex, ctx: Any) -> list[Finding]:
    """``findings`` without the FL105 (missing required field) findings that a parent
    Kustomization's ``spec.patches`` settles.

    A finding is withdrawn when *every* build that deploys the object applies patches after
    which the validator no longer reports that field missing; an object that some build
    deploys unpatched (or that no Flux Kustomization applies) keeps it. Intended to run in
    ``engine.run`` after the repository findings are added::

        if linter.index is not None and "FL105" in linter.enabled:
            from .parent_patches import retract_parent_supplied
            findings = retract_parent_supplied(findings, linter.index, linter.ctx)

    together with ``Linter.__init__`` keeping the index when FL105 is enabled
    (``RepoIndex() if self.repo_checks or "FL105" in self.enabled else None``), so that
    ``--select FL105`` alone still sees the graph."""
    candidates = [f for f in findings if f.rule_id == MISSING_REQUIRED]
    if not candidates:
        return findings
    graph = repo_graph(index, local_names=_reference_names(ctx))
    patched = patched_objects(graph)
    entries = {(e.path, e.document): e for e in index.entries}
    bundle = ctx.bundle
    validated: dict[int, set[tuple[str, str]]] = {}
    drop: set[int] = set()
    overlaid: dict[tuple[str, int], list[dict[str, Any]] | None] = {}
    for finding in candidates:
        entry = entries.get((finding.path, finding.document))
        if entry is None or entry.partial:
            continue
        where = (entry.path, entry.document)
        if where not in overlaid:
            overlaid[where] = overlay_variants(graph, entry)
        variants = overlaid[where]
        if variants is not None:
            if _settled_in_all(variants, finding, entry, ctx):
                drop.add(id(finding))
            continue
        group, _, version = entry.api_version.rpartition("/")
        schema = bundle.lookup(group, version, entry.kind)
        if schema is None:
            continue
        instances = graph.instances(entry)
        settled = bool(instances)
        for inst in instances:
            data = patched.deployed(inst) if inst.applier is not None else None
            if data is None or data is entry.data:
                settled = False
                break
            missing = validated.get(id(data))
            if missing is None:
                errors = bundle.validator(schema).validate(data)
                missing = {(e.pointer, e.message) for e in errors if e.code == "required"}
                validated[id(data)] = missing
            if (finding.pointer, finding.message) in missing:
                settled = False
                break
        if settled:
            drop.add(id(finding))
    return [f for f in findings if id(f) not in drop]


def _settled_in_all(variants: list[dict[str, Any]], finding: Finding, entry: Any, ctx: Any) -> bool:
    """Whether no patched variant of ``entry`` misses the field ``finding`` reports (an empty
    list: the patches are not modelled, so the field may well be supplied)."""
    group, _, version = entry.api_version.rpartition("/")
    validator = None
    if is_flux_group(group):
        schema = ctx.bundle.lookup(group, version, entry.kind)
        validator = ctx.bundle.validator(schema) if schema is not None else None
    elif getattr(ctx, "schema_sources", None) is not None:
        found = ctx.schema_sources.resolve(group, version, entry.kind)
        validator = found.validator if found is not None else None
    if validator is None:
        return True
    for data in variants:
        errors = validator.validate(data)
        if any(
            e.code == "required" and (e.pointer, e.message) == (finding.pointer, finding.message)
            for e in errors
        ):
            return False
    return True


def overlay_variants(graph: Any, entry: Any) -> list[dict[str, Any]] | None:
    """``entry`` as each overlay over its base patches it: for every build whose
    ``kustomization.yaml`` files on the way have ``patches`` that select the object, the object
    after them (inline patches, and strategic-merge patch files, which the index holds as
    partial objects). None when no overlay patches the object; ``[]`` when one does in a way
    not modelled here (a JSON 6902 patch file): then nothing is known about the result.

    A base often leaves out what each overlay sets (an ACME server per environment), so its
    required fields are judged on the patched objects."""
    variants: list[dict[str, Any]] = []
    patched = False
    for inst in graph.instances(entry):
        target = None
        data: dict[str, Any] | None = entry.data
        selected = False
        for kfile in inst.chain:
            kustomization = graph.index.kustomize_files.get(kfile)
            raw = kustomization.data.get("patches") if kustomization is not None else None
            if not isinstance(raw, list) or not raw:
                continue
            if target is None:
                target = target_of(inst, graph)
            for i, item in enumerate(raw):
                patch = _overlay_patch(graph, kfile, item, i)
                if patch is None:
                    continue
                if patch.error is not None:
                    if patch.target is None or patch.target.matches(target) is not False:
                        return []  # not modelled: the object after it is unknown
                    continue
                if selects(patch, target) is False:
                    continue
                selected = True
                try:
                    data = apply_patch(data, patch) if data is not None else None
                except ValueError:
                    return []
        if selected:
            patched = True
            if data is not None:
                variants.append(data)
    return variants if patched else None


def _overlay_patch(graph: Any, kfile: str, item: Any, index: int) -> ParentPatch | None:
    """One entry of a ``kustomization.yaml`` ``patches`` list, parsed; a ``path`` entry is
    read from the strategic-merge documents the index holds for that file."""
    if not isinstance(item, dict):
        return None
    if "patch" in item:
        return parse_patch(item, index)
    path = item.get("path")
    if not isinstance(path, str):
        return None
    file = posixpath.normpath(posixpath.join(posixpath.dirname(kfile), path))
    documents = [e.data for e in graph.index.entries if e.path == file]
    patch = ParentPatch(index, f"/patches/{index}", "")
    target = item.get("target")
    if isinstance(target, dict):
        try:
            patch.target = Selector.parse(target)
        except SelectorError:
            return None
    if not documents:
        patch.error = PatchError("patch file not modelled", "")  # JSON 6902, or unread
        return patch
    patch.strategic = documents
    return patch
