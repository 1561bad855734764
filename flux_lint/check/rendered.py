"""The objects flux-operator ResourceSets render, checked like the repository's own objects.

Once every file is indexed, :func:`render_repository` renders each ResourceSet of the index
(:mod:`flux_lint.model.resourceset`) with the ResourceSetInputProviders the repository holds,
runs every per-object check on each rendered object and adds it to the index, so that the
repository checks (references, dependencies) see it too. A finding on a rendered object is
moved to the template text that produced the value (the source map of the rendering) and
names the ResourceSet and the input set; the same defect rendered for several input sets is
one finding that names how many. What placeholder inputs printed (providers flux-lint cannot
query) is never reported.

A fix on a rendered object is kept only when every edit falls on text copied literally from the
template, where it becomes an edit of the template; anything printed by an action is left alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flux_lint.core.findings import Edit, Finding, Fix, Span
from flux_lint.load.yaml import load_text
from flux_lint.model.index import IndexEntry
from flux_lint.model.objects import K8sObject

if TYPE_CHECKING:
    from flux_lint.model.resourceset.render import RenderedObject, RenderResult

#: The engine's Linter (not imported: the engine imports this module).
Linter = Any

GROUP = "fluxcd.controlplane.io"
INTERNAL_RULE = "FL009"  # check.engine.INTERNAL_RULE
#: Labels of input sets shown in one message at most.
SHOWN_LABELS = 3


def rendered_by(resourceset: str, labels: list[str], verb: str = "rendered by") -> str:
    """`` [rendered by ResourceSet ns/name for inputs {tenant: a}]`` and its plural forms."""
    distinct = list(dict.fromkeys(label for label in labels if label))
    where = f"{verb} ResourceSet {resourceset}"
    if not distinct:
        return f" [{where}]"
    if len(distinct) == 1:
        return f" [{where} for inputs {distinct[0]}]"
    shown = ", ".join(distinct[:SHOWN_LABELS])
    more = ", ..." if len(distinct) > SHOWN_LABELS else ""
    return f" [{where} for {len(distinct)} input sets: {shown}{more}]"


def _offset(text: str, line: int, column: int) -> int:
    """Offset of a 1-based line and column of ``text``."""
    offset = 0
    for _ in range(line - 1):
        nl = text.find("\n", offset)
        if nl < 0:
            return len(text)
        offset = nl + 1
    return min(offset + column - 1, len(text))


def move_to_template(finding: Finding, obj: RenderedObject) -> Finding | None:
    """The finding (located in the rendered text) moved to the ResourceSet file; None when
    what it points at was printed from placeholder inputs."""
    start = _offset(obj.text, finding.span.line, finding.span.column)
    end = _offset(obj.text, finding.span.end_line, finding.span.end_column)
    span, uncertain = obj.source.file_span(start, end)
    if uncertain:
        return None
    fix = finding.fix
    if fix is not None:
        edits = []
        for edit in fix.edits:
            moved = obj.source.literal_range(edit.start, edit.end)
            if moved is None:
                fix = None
                break
            edits.append(Edit(moved[0], moved[1], edit.replacement))
        else:
            fix = Fix(fix.title, tuple(edits), fix.safe)
    return dataclasses.replace(
        finding, path=obj.origin.path, span=span, document=obj.origin.document, fix=fix
    )


class Grouped:
    """Findings on rendered objects, one per defect of the template (rule, place, pointer)."""

    def __init__(self) -> None:
        self.groups: dict[tuple[Any, ...], tuple[Finding, str, list[str]]] = {}

    def add(self, finding: Finding, obj: RenderedObject) -> None:
        key = (finding.rule_id, finding.path, finding.span, finding.pointer)
        if key not in self.groups:
            self.groups[key] = (finding, obj.origin.resourceset, [])
        self.groups[key][2].append(obj.origin.inputs)

    def findings(self) -> list[Finding]:
        out = []
        for finding, resourceset, labels in self.groups.values():
            message = finding.message + rendered_by(resourceset, labels)
            out.append(dataclasses.replace(finding, message=message))
        return out


def render_repository(linter: Linter, text_of: Callable[[str], str | None]) -> list[Finding]:
    """Render every ResourceSet of the index, check the rendered objects and add them to the
    index; returns the findings on rendered objects (the template findings come from the
    FL210–FL216 repository check, which reads ``linter.ctx.rendered``)."""
    from flux_lint.model.resourceset import is_resourceset
    from flux_lint.model.resourceset.render import render

    index = linter.index
    linter.ctx.rendered = []
    if index is None:
        return []
    resourcesets = [
        e for e in index.of_kind("ResourceSet", group=GROUP) if not e.partial and e.rendered is None
    ]
    if not resourcesets:
        return []
    providers = [e.data for e in index.of_kind("ResourceSetInputProvider", group=GROUP)]
    grouped = Grouped()
    findings: list[Finding] = []
    texts: dict[str, Any] = {}
    for entry in resourcesets:
        if not is_resourceset(entry.data):
            continue
        text = text_of(entry.path)
        if text is None:
            continue
        if entry.path not in texts:
            texts[entry.path] = {d.index: d for d in load_text(text).documents}
        document = texts[entry.path].get(entry.document)
        if document is None:
            continue
        try:
            result = render(
                entry.data, path=entry.path, document=document, file_text=text, candidates=providers
            )
        except Exception as exc:  # rendering must never take the run down
            finding = linter._finding(
                INTERNAL_RULE,
                f"rendering this ResourceSet failed: {type(exc).__name__}: {exc}",
                entry.path,
                Span(document.line + 1, 1, document.line + 1, 1),
                obj=entry.ref,
                document=entry.document,
            )
            if finding:
                findings.append(finding)
            continue
        linter.ctx.rendered.append((entry, result))
        _check_rendered(linter, entry, result, grouped)
    return findings + grouped.findings()


def _check_rendered(
    linter: Linter, entry: IndexEntry, result: RenderResult, grouped: Grouped
) -> None:
    # When the build fails, the operator applies none of the objects: they are still checked
    # one by one, but they do not join the index, where references to them would resolve and
    # references from them would be reported on top of the template problem.
    from flux_lint.model.resourceset.render import BUILD_FAILS

    applied = not any(p.rule_id in BUILD_FAILS for p in result.problems)
    for obj in result.objects:
        data = obj.data
        k8s = K8sObject(
            path=entry.path,
            document=entry.document,
            data=data,
            api_version=data["apiVersion"],
            kind=str(data["kind"]),
        )
        for finding in linter.check_object(k8s, obj.document, obj.text):
            moved = move_to_template(finding, obj)
            if moved is not None:
                grouped.add(moved, obj)
        if applied and linter.index is not None:
            rendered_entry = IndexEntry.of(k8s)
            rendered_entry.rendered = obj
            linter.index.add(rendered_entry)


def placeholder_note(index: Any) -> str | None:
    """One line for the run summary when some ResourceSet takes inputs from providers that
    only the cluster can answer (rendered with placeholders)."""
    if index is None:
        return None
    resourcesets = [
        entry
        for entry in index.of_kind("ResourceSet", group=GROUP)
        if entry.rendered is None and isinstance(entry.data.get("spec"), dict)
    ]
    if not resourcesets:
        return None
    from flux_lint.model.resourceset.render import providers_for

    providers = [e.data for e in index.of_kind("ResourceSetInputProvider", group=GROUP)]
    names: dict[str, None] = {}
    for entry in resourcesets:
        for provider in providers_for(entry.data, providers):
            if provider.uncertain:
                names[f"{provider.type or 'not in the repository'}"] = None
    if not names:
        return None
    kinds = ", ".join(sorted(names))
    return (
        "some ResourceSets take inputs from providers only the cluster can answer "
        f"({kinds}); they were rendered with placeholder inputs, and nothing printed from "
        "those inputs is reported."
    )
