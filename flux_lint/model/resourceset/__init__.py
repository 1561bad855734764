"""flux-operator ResourceSets rendered offline: the objects they stamp out, with their origin.

``render`` (render.py) runs a ResourceSet's templates (template.py, functions.py) over its input
sets (inputs.py) the way flux-operator does and returns the rendered objects, each with where it
comes from (:class:`Origin`) and a source map back to the template, plus the problems of the
templates themselves. :func:`rendered_objects` is the short form for stages that only need the
objects (data and origin); :func:`render_unlocated` renders from the parsed data alone (no file
text, so no positions), for the model stage, which treats rendered Flux Kustomizations as entry
points of the applied set, and :func:`printed_from_placeholders` tells which rendered values
came from inputs only the cluster knows.
"""

from __future__ import annotations

from typing import Any

from flux_lint.core.findings import VALUE
from flux_lint.load.positions import locate
from flux_lint.load.yaml import Document
from flux_lint.model.resourceset.render import (
    Origin,
    RenderedObject,
    RenderResult,
    TemplateProblem,
    is_resourceset,
    render,
)


def rendered_objects(
    data: dict[str, Any],
    *,
    path: str,
    document: Document,
    file_text: str,
    providers: list[dict[str, Any]] | None = None,
) -> list[tuple[dict[str, Any], Origin]]:
    """The objects the ResourceSet ``data`` renders (after the ``reconcile: disabled``
    exclusion and deduplication), as (object, origin) pairs; ``providers`` are the
    repository's ResourceSetInputProvider objects. Objects whose template cannot be evaluated
    are left out."""
    result = render(data, path=path, document=document, file_text=file_text, candidates=providers)
    return [(obj.data, obj.origin) for obj in result.objects]


def render_unlocated(
    data: dict[str, Any],
    *,
    path: str,
    document: int,
    providers: list[dict[str, Any]] | None = None,
) -> RenderResult:
    """Render the ResourceSet ``data`` (document ``document`` of ``path``) from its data only:
    the objects and problems are those of :func:`render`, every position is the document's
    first line. For stages that need what is rendered, not where."""
    unlocated = Document(document, None, data, 0)
    return render(data, path=path, document=unlocated, file_text="", candidates=providers)


def printed_from_placeholders(obj: RenderedObject, pointer: str) -> bool:
    """Was any character of the rendered value at ``pointer`` (a JSON pointer into the rendered
    object) printed from placeholder inputs (a provider flux-lint cannot query)? True as well
    when the value cannot be found in the rendered text."""
    node = obj.document.node
    if node is None:
        return True
    span = locate(node, pointer, VALUE)
    lines = obj.text.split("\n")
    if span.line - 1 >= len(lines) or span.end_line - 1 >= len(lines):
        return True

    def offset(line: int, column: int) -> int:
        return sum(len(text) + 1 for text in lines[: line - 1]) + column - 1

    start, stop = offset(span.line, span.column), offset(span.end_line, span.end_column)
    stop = max(stop, start + 1)
    return any(s.uncertain for s in obj.source.output.segments if s.end > start and s.start < stop)


__all__ = [
    "Origin",
    "RenderResult",
    "RenderedObject",
    "TemplateProblem",
    "is_resourceset",
    "printed_from_placeholders",
    "render",
    "render_unlocated",
    "rendered_objects",
]
