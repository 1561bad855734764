"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

``::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=FL123 rule-name::message``, with
``warning`` and ``notice`` for the other severities. The runner splits a command at ``::``, its
properties at ``,`` and ends it at a line break, so those characters are percent-encoded the way
``@actions/core`` does it. ``col``/``endColumn`` are only sent when the span stays on one line:
the runner does not accept columns for an annotation covering several lines.

Suppressed findings are left out: an annotation cannot be marked as suppressed, and showing it
would undo the suppression.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flux_lint.core.findings import Severity
from flux_lint.report.output import OutputOptions, RunSummary

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry
    from flux_lint.core.findings import Finding

COMMAND = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "notice",
}

#: ``Finding.path`` for a document read from standard input: it has no file to annotate.
STDIN = "-"


def escape_data(text: str) -> str:
    """Encode the message part of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Encode a property value, which also must not contain the separators ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_finding(finding: Finding, path: str | None = None) -> str:
    """One workflow command, without a line break; ``path`` is the path to show (default:
    the finding's own)."""
    span = finding.span
    props: list[tuple[str, str]] = []
    if finding.path != STDIN:
        one_line = span.end_line == span.line
        shown = finding.path if path is None else path
        props += [("file", shown), ("line", str(span.line))]
        if one_line:
            props.append(("col", str(span.column)))
        props.append(("endLine", str(span.end_line)))
        if one_line:
            props.append(("endColumn", str(span.end_column)))
    props.append(("title", f"{finding.rule_id} {finding.rule_name}"))
    encoded = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{COMMAND[finding.severity]} {encoded}::{escape_data(finding.message)}"


def render(
    findings: list[Finding],
    *,
    rules: Registry,
    report: RunSummary,
    options: OutputOptions,
) -> str:
    return "".join(
        format_finding(f, options.path(f.path)) + "\n" for f in findings if f.suppression is None
    )
