"""flux-operator ResourceSets rendered offline: the objects they stamp out, with their origin.

``render`` (render.py) runs a ResourceSet's templates (template.py, functions.py) over its input
sets (inputs.py) the way flux-operator does and returns the rendered objects, each with where it
comes from (:class:`Origin`) and a source map back to the template, plus the problems of the
templates themselves. :func:`rendered_objects` is the short form for stages that only need the
objects (data and origin), e.g. to treat rendered Flux Kustomizations as entry points.
"""

from __future__ import annotations

from typing import Any

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


__all__ = [
    "Origin",
    "RenderResult",
    "RenderedObject",
    "TemplateProblem",
    "is_resourceset",
    "render",
    "rendered_objects",
]
