"""flux-operator ResourceSets rendered offline: the objects they stamp out, with their origin.

``render`` (render.py) runs a ResourceSet's templates (template.py, functions.py) over its input
sets (inputs.py) the way flux-operator does and returns the rendered objects, each with where it
comes from (:class:`Origin`) and a source map back to the template, plus the problems of the
templates themselves. :func:`rendered_objects` is the short form for stages that only need the
objects (data and origin); :func:`render_unlocated` renders from the parsed data alone (no file
text, so no positions), for the model stage, which treats rendered Flux Kustomizations as entry
points of the applied set, and :func:`printed_from_placeholders` tells which rendered values
came from inputs only the cluster knows.

Importing the package is cheap: the renderer (and the template functions with their date and
time library) is imported when something is rendered, so a run over a repository without
ResourceSets never loads it; :func:`is_resourceset` is defined here for that reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flux_lint.load.yaml import Document
    from flux_lint.model.resourceset.render import Origin, RenderedObject, RenderResult

GROUP = "fluxcd.controlplane.io"

#: Names of render.py this package exports, imported on first use (see the module docstring).
#: The ``render`` function itself is imported from ``flux_lint.model.resourceset.render``: the
#: package attribute of that name is the submodule once anything has imported it.
_FROM_RENDER = ("Origin", "RenderResult", "RenderedObject", "TemplateProblem")


def __getattr__(name: str) -> Any:
    if name in _FROM_RENDER:
        import importlib

        module = importlib.import_module(f"{__name__}.render")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_resourceset(data: Any) -> bool:
    """Whether ``data`` is a flux-operator ResourceSet."""
    if not isinstance(data, dict) or data.get("kind") != "ResourceSet":
        return False
    api_version = data.get("apiVersion")
    return isinstance(api_version, str) and api_version.startswith(GROUP + "/")


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
    from flux_lint.model.resourceset.render import render

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
    from flux_lint.load.yaml import Document
    from flux_lint.model.resourceset.render import render

    unlocated = Document(document, None, data, 0)
    return render(data, path=path, document=unlocated, file_text="", candidates=providers)


def printed_from_placeholders(obj: RenderedObject, pointer: str) -> bool:
    """Was any character of the rendered value at ``pointer`` (a JSON pointer into the rendered
    object) printed from placeholder inputs (a provider flux-lint cannot query)? True as well
    when the value cannot be found in the rendered text."""
    from flux_lint.core.findings import VALUE
    from flux_lint.load.positions import locate

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
    "render_unlocated",
    "rendered_objects",
]
