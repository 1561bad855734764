"""Human-readable output: one ``path:line:col: FL123 [error] message (rule-name)`` line per finding.

The one-line shape is what editors and terminals already turn into clickable locations, and it
stays greppable. Values in messages come from the user's YAML, so control characters (a newline
would break the one-line shape, an escape sequence would drive the terminal) and bidirectional
overrides (which can make a line read differently from what it is) are shown escaped.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flux_lint.core.findings import Severity
from flux_lint.report.output import OutputOptions, RunSummary, source_lines

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry
    from flux_lint.core.findings import Finding

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
GUTTER = "\x1b[1;34m"
SEVERITY_COLOR = {
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.NOTE: "\x1b[36m",
}
SEVERITY_BOLD = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[1;33m",
    Severity.NOTE: "\x1b[1;36m",
}

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _needs_escape(ch: str) -> bool:
    if ch in _BIDI_CONTROLS:
        return True
    # Cc: C0/C1 controls (ESC, NUL, DEL...), Zl/Zp: line and paragraph separators,
    # Cs: lone surrogates from undecodable bytes, which a UTF-8 terminal cannot encode.
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")


def _escape(ch: str) -> str:
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, *, keep_tabs: bool = False) -> str:
    """``text`` with every character a terminal would not show as itself escaped."""
    if text.isprintable():
        return text
    return "".join(
        ch if (keep_tabs and ch == "\t") or not _needs_escape(ch) else _escape(ch) for ch in text
    )


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color else text


def format_finding(finding: Finding, *, color: bool = False, path: str | None = None) -> str:
    """The one-line form of a finding, without a line break; ``path`` is the path to show
    (default: the finding's own)."""
    sev = finding.severity
    shown = finding.path if path is None else path
    line = (
        f"{_paint(clean(shown), BOLD, color)}:{finding.span.line}:{finding.span.column}: "
        f"{_paint(finding.rule_id, SEVERITY_BOLD[sev], color)} "
        f"[{_paint(str(sev), SEVERITY_COLOR[sev], color)}] "
        f"{clean(finding.message)} "
        f"{_paint(f'({finding.rule_name})', DIM, color)}"
    )
    if finding.suppression is not None:
        line += " " + _paint(f"[suppressed: {finding.suppression.kind}]", DIM, color)
    return line


def _cell_width(cell: str) -> int:
    """Terminal columns a displayed character takes, so carets line up under wide (CJK) and
    zero-width (combining) characters."""
    if len(cell) != 1:  # an escape sequence, all ASCII
        return len(cell)
    if unicodedata.combining(cell) or unicodedata.category(cell) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(cell) in ("W", "F") else 1


def _snippet(finding: Finding, lines: list[str], color: bool) -> list[str]:
    """The source line a finding starts on with carets under its span (ruff-style). A span
    running over several lines is underlined to the end of its first line."""
    span = finding.span
    if not 1 <= span.line <= len(lines):
        return []
    line = lines[span.line - 1]
    start = min(max(span.column - 1, 0), len(line))
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    end = min(max(end, start), len(line))
    cells = [ch if ch == "\t" else (_escape(ch) if _needs_escape(ch) else ch) for ch in line]
    pad = "".join("\t" if ch == "\t" else " " * _cell_width(ch) for ch in cells[:start])
    width = sum(_cell_width(ch) for ch in cells[start:end])
    carets = _paint("^" * max(width, 1), SEVERITY_BOLD[finding.severity], color)
    number = str(span.line)
    blank = " " * len(number)
    bar = _paint(f"{blank} |", GUTTER, color)
    out = [
        bar,
        f"{_paint(f'{number} |', GUTTER, color)} {''.join(cells)}".rstrip(),
        f"{bar} {pad}{carets}",
        bar,
    ]
    if finding.fix is not None:
        kind = "fix" if finding.fix.safe else "unsafe fix"
        out.append(f"{blank} {_paint('=', GUTTER, color)} {kind}: {clean(finding.fix.title)}")
    return out


def render(
    findings: list[Finding],
    *,
    rules: Registry,
    report: RunSummary,
    options: OutputOptions,
) -> str:
    """All findings, one per line; with ``show_source``, each followed by its source line."""
    shown = [f for f in findings if options.include_suppressed or f.suppression is None]
    if not options.show_source or options.source is None:
        return "".join(
            format_finding(f, color=options.color, path=options.path(f.path)) + "\n" for f in shown
        )
    cache: dict[str, list[str] | None] = {}
    out: list[str] = []
    for finding in shown:
        if finding.path not in cache:
            text = options.source(finding.path)
            cache[finding.path] = None if text is None else source_lines(text)
        lines = cache[finding.path]
        out.append(format_finding(finding, color=options.color, path=options.path(finding.path)))
        if lines is not None:
            out.extend(_snippet(finding, lines, options.color))
        out.append("")
    return "".join(line + "\n" for line in out)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _counted(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.suppression is None]


def text_summary(
    findings: list[Finding],
    report: RunSummary,
    *,
    color: bool = False,
    timing: bool = False,
    fixed: bool = False,
    fixed_unsafe: bool = False,
) -> str:
    """The closing lines for stderr, e.g. ``Found 3 problems (2 errors, 1 warning) in 12 files``
    or ``All checks passed: 12 files, 40 objects``.

    Suppressed findings are not problems but are mentioned, so that a clean run that only
    passes thanks to suppressions says so. ``timing`` is off by default to keep the output
    reproducible. After a ``--fix`` run (``fixed``) the safe fixes left were tried and could
    not be applied, so they are not offered again; unsafe ones still are, unless the run was
    ``--unsafe-fixes`` (``fixed_unsafe``).
    """
    counted = _counted(findings)
    suppressed = len(findings) - len(counted)
    files = _plural(report.files, "file")
    if counted:
        by_sev = Counter(f.severity for f in counted)
        parts = [
            _plural(by_sev[sev], str(sev))
            for sev in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
            if by_sev[sev]
        ]
        worst = max(by_sev)
        head = _paint(f"Found {_plural(len(counted), 'problem')}", SEVERITY_BOLD[worst], color)
        line = f"{head} ({', '.join(parts)}) in {files}"
        by_rule = Counter(f.rule_id for f in counted)
        rule_line = ", ".join(
            f"{rid} ×{n}" if n > 1 else rid
            for rid, n in sorted(by_rule.items(), key=lambda item: (-item[1], item[0]))
        )
    else:
        head = _paint("All checks passed", BOLD, color)
        line = f"{head}: {files}, {_plural(report.objects, 'object')}"
    if suppressed:
        line += f", {suppressed} suppressed"
    if timing:
        line += f" ({report.duration:.2f}s)"
    lines = [line]
    if counted:
        lines.append(f"By rule: {rule_line}")
    lines.extend(f"Note: {note}" for note in report.notes)
    safe = sum(1 for f in counted if f.fix is not None and f.fix.safe)
    unsafe = sum(1 for f in counted if f.fix is not None and not f.fix.safe)
    if fixed or fixed_unsafe:
        safe = 0
    if fixed_unsafe:
        unsafe = 0
    if safe or unsafe:
        if not safe:
            lines.append(f"{unsafe} fixable with `--unsafe-fixes`")
        elif not unsafe:
            lines.append(f"{safe} fixable with `--fix`")
        else:
            lines.append(f"{safe} fixable with `--fix` ({unsafe} more with `--unsafe-fixes`)")
    coverage = schema_coverage(report)
    if coverage:
        lines.append(coverage)
    return "".join(line + "\n" for line in lines)


#: Kinds named in the "without a schema" part of the summary.
UNCHECKED_SHOWN = 5


def schema_coverage(report: RunSummary) -> str:
    """``Schemas: 12 objects by Flux, 5 by catalog cert-manager; 3 without a schema
    (Deployment ×2, Service)``: what validated the objects, and what was not validated. Left
    out when every object is a Flux object its bundle validated."""
    if not report.unchecked and set(report.schemas) <= {"Flux"}:
        return ""  # only Flux objects, all validated: nothing worth a line
    parts = []
    for i, (source, count) in enumerate(
        sorted(report.schemas.items(), key=lambda item: (-item[1], item[0]))
    ):
        parts.append(
            f"{_plural(count, 'object')} by {source}" if i == 0 else f"{count} by {source}"
        )
    text = "Schemas: " + (", ".join(parts) if parts else "none")
    missing = sum(report.unchecked.values())
    if missing:
        kinds = sorted(report.unchecked.items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in kinds[:UNCHECKED_SHOWN])
        rest = len(kinds) - UNCHECKED_SHOWN
        more = f", {_plural(rest, 'more kind')}" if rest > 0 else ""
        text += f"; {missing} without a schema ({shown}{more})"
    return text


def statistics(findings: list[Finding], rules: Registry) -> str:
    """Problems per rule (``--statistics``): count, id and name, most frequent first and then
    by id, so the table is the same whatever order the findings came in."""
    counts = Counter(f.rule_id for f in _counted(findings))
    if not counts:
        return ""
    names = {f.rule_id: f.rule_name for f in findings}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = len(str(rows[0][1]))
    id_width = max(len(rid) for rid, _ in rows)
    out = []
    for rid, count in rows:
        rule = rules.get(rid)
        name = rule.name if rule is not None else names[rid]
        out.append(f"{count:>{width}}  {rid:<{id_width}}  {name}\n")
    return "".join(out)
