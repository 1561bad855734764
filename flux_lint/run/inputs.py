"""What the command line adds around a run: where standard input stands, and the findings
about paths the run could not look into (standard input that cannot be read, folders and
files the root and configuration lookups met but could not read), which the pipeline itself
never sees.
"""

from __future__ import annotations

import os
from typing import Any

from flux_lint.check.engine import DISCOVERY_RULE, SOURCE_CODES
from flux_lint.core.findings import Finding, Span
from flux_lint.load.discover import display_path
from flux_lint.load.lookup import in_repository


def stdin_path(stdin_filename: str | None, root: Any) -> str:
    """The path findings in standard input carry: ``--stdin-filename`` as a display path
    (relative to the repository root, like every other file's), else ``-``."""
    if stdin_filename is None:
        return "-"
    return display_path(os.path.abspath(stdin_filename), str(root)) or "-"


def repository_of(stdin_filename: str | None, root: Any) -> list[str]:
    """The repository ``--stdin-filename`` places standard input in, as paths to look at for
    the pinned Flux version; none for plain ``-``, which must not walk the current folder."""
    if stdin_filename is None or root is None or not in_repository(root):
        return []
    return [str(root)]


def named_path_errors(paths: list[str]) -> list[str]:
    """Paths named on the command line that could not be linted at all, as messages."""
    from flux_lint.load.lookup import named_path_problems

    return [f"{path}: {message}" for path, message in named_path_problems(paths)]


def add_lookup_errors(result: Any, registry: Any, enabled: set[str], unreadable: list[Any]) -> None:
    """FL003 at each path the root and configuration lookups could not read, unless the
    walk already reported that path."""
    rule = registry.rules.get(SOURCE_CODES["unreadable"])
    if rule is None or rule.id not in enabled or not unreadable:
        return
    taken = {f.path for f in result.findings if f.rule_id in (rule.id, DISCOVERY_RULE)}
    for problem in unreadable:
        path = display_path(str(problem.path), str(result.root)) or "."
        if path in taken:
            continue
        taken.add(path)
        result.findings.append(
            Finding(
                rule_id=rule.id,
                rule_name=rule.name,
                severity=rule.severity,
                message=problem.message,
                path=path,
                span=Span(1, 1, 1, 1),
            )
        )
    result.findings.sort(key=Finding.sort_key)


def add_stdin_error(
    result: Any, registry: Any, enabled: set[str], error: Any, path: str = "-"
) -> None:
    """Report unreadable stdin the way the engine reports an unreadable file (FL003-FL005)."""

    result.files += 1
    rule = registry.rules.get(SOURCE_CODES[error.code])
    if rule is None or rule.id not in enabled:
        return
    line, column = error.line or 1, error.column or 1
    result.findings.append(
        Finding(
            rule_id=rule.id,
            rule_name=rule.name,
            severity=rule.severity,
            message=error.message,
            path=path,
            span=Span(line, column, line, column + 1 if error.line else column),
        )
    )
    result.findings.sort(key=Finding.sort_key)
