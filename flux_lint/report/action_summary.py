"""The GitHub Action's job summary, made from flux-lint's JSON report.

``python -m flux_lint.report.action_summary REPORT`` prints a Markdown section for
``$GITHUB_STEP_SUMMARY``: one table row per rule (id, name, count, severity).
``python -m flux_lint.report.action_summary --count REPORT`` prints the number of problems, the
action's ``findings`` output.

Why a table per rule rather than the findings themselves: the runner shows at most a handful of
annotations per step and the full list belongs in code scanning (SARIF), but "which rules, how
often" is what a reviewer needs at a glance, and it stays small whatever the size of the
repository. It reads the JSON report instead of linting again so that the summary describes
exactly the run whose report it is, and it counts what the report's own ``summary`` counts:
suppressed findings are mentioned but not counted, like everywhere else.

Only the report's documented envelope is read (``version`` 1), so the summary keeps working for
reports written by the same or an older flux-lint.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flux_lint.core.findings import Severity
from flux_lint.report.output import DEFAULT_HELP_URI_BASE

#: The JSON envelope versions this module understands.
SUPPORTED_VERSIONS = (1,)

USAGE = "usage: python -m flux_lint.report.action_summary [--count] REPORT.json\n"


class ReportError(ValueError):
    """The file is not a flux-lint JSON report this module can read."""


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One line of the table: a rule and how many unsuppressed findings it has."""

    rule_id: str
    name: str
    count: int
    severity: Severity

    @property
    def anchor(self) -> str:
        """The rule's heading anchor in docs/rules.md (same shape as ``Rule.anchor``)."""
        return f"{self.rule_id.lower()}-{self.name}"


def load(path: str | Path) -> dict[str, Any]:
    """Read and check a report; every failure is a :class:`ReportError` with a clear message,
    because in a CI log a traceback would hide what went wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ReportError(f"{path}: not a flux-lint JSON report (no `findings` list)")
    if data.get("version") not in SUPPORTED_VERSIONS:
        raise ReportError(f"{path}: unsupported report version {data.get('version')!r}")
    return data


def _counted(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in report["findings"] if isinstance(f, Mapping) and f.get("suppressed") is None]


def count(report: Mapping[str, Any]) -> int:
    """Problems in the report: findings that are not suppressed.

    ``summary.problems`` when present (it is the number the CLI itself reports), else counted
    from the findings, so a hand-trimmed report still gives an answer.
    """
    summary = report.get("summary")
    if isinstance(summary, Mapping) and isinstance(summary.get("problems"), int):
        return int(summary["problems"])
    return len(_counted(report))


def _severity(text: Any) -> Severity:
    try:
        return Severity.parse(str(text))
    except ValueError:
        return Severity.ERROR


def rows(report: Mapping[str, Any]) -> list[RuleRow]:
    """One row per rule with unsuppressed findings, ordered by rule id like ``summary.byRule``.

    A rule's severity is the worst among its findings: configuration can change a rule's
    severity, and the table must not make a failing rule look harmless.
    """
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    worst: dict[str, Severity] = {}
    for finding in _counted(report):
        rid = str(finding.get("ruleId", "?"))
        names.setdefault(rid, str(finding.get("ruleName", "")))
        counts[rid] = counts.get(rid, 0) + 1
        sev = _severity(finding.get("severity"))
        worst[rid] = max(worst.get(rid, sev), sev)
    return [RuleRow(rid, names[rid], counts[rid], worst[rid]) for rid in sorted(counts)]


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _cell(text: str) -> str:
    """Table cell text: a ``|`` or a line break would end the cell or the row."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def markdown(report: Mapping[str, Any], *, help_uri_base: str = DEFAULT_HELP_URI_BASE) -> str:
    """The job summary section: a headline, then the table when there is anything to list.

    It ends with a blank line: other steps append to the same summary file, and Markdown
    would read their first line as one more row of the table.
    """
    raw = report.get("summary")
    summary: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    files = summary.get("files")
    problems = count(report)
    table = rows(report)
    where = f" in {_plural(files, 'file')}" if isinstance(files, int) else ""
    flux = f" (Flux {report['fluxVersion']})" if report.get("fluxVersion") else ""
    if problems:
        by_sev = Counter(_severity(f.get("severity")) for f in _counted(report))
        parts = ", ".join(
            _plural(by_sev[sev], str(sev))
            for sev in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
            if by_sev[sev]
        )
        headline = f"Found **{_plural(problems, 'problem')}** ({parts}){where}{flux}."
    else:
        headline = f"No problems found{where}{flux}."
    suppressed = summary.get("suppressed")
    if isinstance(suppressed, int) and suppressed:
        headline += f" {suppressed} suppressed."
    out = ["## flux-lint", "", headline, ""]
    if table:
        out += ["| Rule | Name | Count | Severity |", "| --- | --- | ---: | --- |"]
        for row in table:
            link = f"[{_cell(row.rule_id)}]({help_uri_base}#{quote(row.anchor)})"
            out.append(f"| {link} | `{_cell(row.name)}` | {row.count} | {row.severity} |")
        out.append("")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; exit 2 on a usage error or an unreadable report, as flux-lint does."""
    args = list(sys.argv[1:] if argv is None else argv)
    want_count = "--count" in args
    paths = [a for a in args if a != "--count"]
    if len(paths) != 1 or paths[0].startswith("-"):
        sys.stderr.write(USAGE)
        return 2
    try:
        report = load(paths[0])
    except ReportError as exc:
        sys.stderr.write(f"flux-lint: error: {exc}\n")
        return 2
    sys.stdout.write(f"{count(report)}\n" if want_count else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
