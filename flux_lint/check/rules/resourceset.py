"""ResourceSet templates that flux-operator cannot build (FL210–FL216).

The rendering itself happens once per run, before the repository checks
(:func:`flux_lint.check.rendered.render_repository`, which also checks the rendered objects);
this check reports what the templates' rendering found: syntax errors, undefined functions,
missing input keys, ``inputs.id`` with inline Flatten inputs, execution errors, rendered text that
is not YAML, and constructs flux-lint does not evaluate. One problem per template place and
message, naming the input sets it concerns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flux_lint.check.registry import repo_check
from flux_lint.check.rendered import rendered_by
from flux_lint.core.findings import Problem
from flux_lint.model.index import IndexEntry
from flux_lint.model.resourceset.render import (
    EXECUTION_ERROR,
    INVALID_OUTPUT,
    MISSING_INPUT,
    NOT_EVALUATED,
    SYNTAX_ERROR,
    UNDEFINED_FUNCTION,
    UNDEFINED_INPUT_ID,
)


@repo_check(
    SYNTAX_ERROR,
    MISSING_INPUT,
    UNDEFINED_FUNCTION,
    INVALID_OUTPUT,
    UNDEFINED_INPUT_ID,
    NOT_EVALUATED,
    EXECUTION_ERROR,
)
def template_problems(index: Any, ctx: Any) -> Iterator[tuple[IndexEntry, Problem]]:
    for entry, result in getattr(ctx, "rendered", None) or []:
        groups: dict[tuple[Any, ...], list[str]] = {}
        for problem in result.problems:
            groups.setdefault((problem.rule_id, problem.place, problem.message), []).append(
                problem.label
            )
        name = f"{entry.namespace or ''}/{entry.name or ''}"
        for (rule_id, place, message), labels in groups.items():
            yield (
                entry,
                Problem(
                    message + rendered_by(name, labels, verb="in"),
                    pointer=place.pointer,
                    target=place.target,
                    offset=place.offset,
                    rule_id=rule_id,
                ),
            )
