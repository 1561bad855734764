"""``--fix`` until nothing is left to fix: one run reaches the fixed point.

A fix can make another finding appear or go away, in the same file or in another one: bumping
a GitRepository's apiVersion in ``b.yaml`` can leave a ``# flux-lint: disable-file=...`` in
``a.yaml`` with nothing to suppress, and its removal is a fix of its own. So after applying the
fixes the run lints again and applies what is now fixable, until a round applies nothing (as
ruff does, per file, up to 100 times). Every round lints the whole run again because the
findings that appear can come from any file; only runs whose fixes changed something pay for
it, and real fixes settle in two or three rounds. :data:`MAX_ROUNDS` stops a pair of fixes
that would undo each other for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Rounds of fixing before giving up on reaching the fixed point (the caller says so).
MAX_ROUNDS = 10


@dataclass
class FixRun:
    """What all the rounds did together."""

    result: Any  # the run after the last round (what is left to report)
    applied: int = 0
    changed_files: set[str] = field(default_factory=set)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, why not fixed)
    diff: str = ""
    stdin_text: str | None = None  # standard input after its fixes, when it had any
    rounds: int = 0
    settled: bool = True


def fix_until_settled(
    result: Any,
    lint: Callable[[], Any],
    *,
    unsafe: bool,
    write: bool,
    stdin: str = "-",
    set_stdin: Callable[[str], None] | None = None,
) -> FixRun:
    """Apply the fixes of ``result``, lint again with ``lint`` and repeat until a round fixes
    nothing. Without ``write`` (``--diff``) only the first round is computed: nothing is
    written, so there is nothing to lint again. ``set_stdin`` gives the next round the fixed
    standard input (files are read from disk again)."""
    from flux_lint.report.fix import apply_fixes

    run = FixRun(result)
    while True:
        outcome = apply_fixes(run.result, unsafe=unsafe, write=write, stdin=stdin)
        run.rounds += 1
        run.errors.extend((failed.path, failed.error or "") for failed in outcome.errors)
        if not write:
            run.diff = outcome.diff()
            run.changed_files = {f.path for f in outcome.changed_files}
            run.applied = outcome.applied
            return run
        stdin_outcome = outcome.file(stdin)
        if stdin_outcome is not None and stdin_outcome.error is None:
            run.stdin_text = stdin_outcome.new
        if not outcome.applied:
            return run
        run.applied += outcome.applied
        run.changed_files |= {f.path for f in outcome.changed_files}
        if set_stdin is not None and run.stdin_text is not None:
            set_stdin(run.stdin_text)
        run.result = lint()
        if run.rounds >= MAX_ROUNDS:
            run.settled = not any(_applicable(f, unsafe) for f in run.result.findings)
            return run


def _applicable(finding: Any, unsafe: bool) -> bool:
    fix = finding.fix
    return (
        fix is not None and bool(fix.edits) and finding.suppression is None and (fix.safe or unsafe)
    )
