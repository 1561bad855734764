"""Inline suppressions applied: each ``# flux-lint:`` directive (:mod:`flux_lint.load.directives`)
marks the findings it covers, once every finding of the run exists.

The findings about the directives themselves follow ruff's ``RUF100``: a directive (or one of
its rules) that suppresses nothing is FL008 ``unused-suppression``, with a safe fix that
removes it, and a rule that does not exist is FL010 ``unknown-rule-in-suppression``, as is a
comment that starts like a directive but cannot be read (a typo in a directive must not pass
silently, since the finding it meant to hide then shows up for no visible reason). A rule is
only reported unused when the run actually ran it, so ``--select`` does not turn every other
suppression into noise.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flux_lint.core.findings import Edit, Finding, Fix, Span, Suppression
from flux_lint.load.directives import (
    _UNUSED_NAMES,
    UNKNOWN_RULE,
    UNUSED_RULE,
    Code,
    Directive,
    FileDirectives,
)

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry


#: Makes a finding for one of the directive rules, or None when that rule is not enabled:
#: ``(rule_id, message, path, span, document, fix)``.
MakeFinding = Callable[[str, str, str, Span, int, "Fix | None"], "Finding | None"]

_SPECIFICITY = {"disable": 0, "disable-next-line": 0, "disable-document": 1, "disable-file": 2}


@dataclass(slots=True)
class _Resolved:
    directive: Directive
    #: Known codes and the rule ids they name; a blanket directive (``# flux-lint: disable``)
    #: has one entry, ``None`` with every rule of the registry.
    codes: list[tuple[Code | None, frozenset[str]]]
    used: set[int] = field(default_factory=set)  # indexes into codes


def apply(
    findings: list[Finding],
    by_path: dict[str, FileDirectives],
    registry: Registry,
    enabled: Iterable[str],
    make: MakeFinding,
) -> list[Finding]:
    """Mark the ``findings`` the directives suppress, in place, and return the findings about
    the directives themselves (FL010 for unknown rules and unreadable directives, FL008 for
    directives that suppressed nothing), already marked when a directive suppresses them."""
    enabled = set(enabled)
    extra: list[Finding] = []
    resolved: dict[str, list[_Resolved]] = {}
    for path, found in sorted(by_path.items()):
        items: list[_Resolved] = []
        for err in found.errors:
            span = Span(err.line, err.column, err.line, err.end_column)
            finding = make(UNKNOWN_RULE, err.message, path, span, err.document, None)
            if finding is not None:
                extra.append(finding)
        for directive in found.directives:
            codes: list[tuple[Code | None, frozenset[str]]] = []
            if directive.blanket:
                codes.append((None, frozenset(registry.rules)))
            for code in directive.codes:
                ids = _expand(registry, code.text)
                if ids is None:
                    span = Span(code.line, code.column, code.line, code.end_column)
                    hint = _did_you_mean(registry, code.text)
                    message = f"unknown rule `{code.text}` in suppression{hint}"
                    finding = make(UNKNOWN_RULE, message, path, span, directive.document, None)
                    if finding is not None:
                        extra.append(finding)
                    continue
                codes.append((code, ids))
            items.append(_Resolved(directive, codes))
        # Line directives first: their justification is the most specific one.
        items.sort(key=lambda r: (_SPECIFICITY[r.directive.action], r.directive.line))
        resolved[path] = items

    for finding in (*findings, *extra):
        if finding.suppression is None and finding.path in resolved:
            _suppress(finding, resolved[finding.path])

    unused: list[Finding] = []
    if UNUSED_RULE in enabled:
        for path, items in sorted(resolved.items()):
            for item in items:
                finding = _unused_finding(path, item, enabled, make)
                if finding is not None:
                    unused.append(finding)
        for finding in unused:
            _suppress(finding, resolved[finding.path], only_unused_rule=True)
    return extra + unused


def _expand(registry: Registry, text: str) -> frozenset[str] | None:
    try:
        return frozenset(registry.expand(text))
    except KeyError:
        return None


def _did_you_mean(registry: Registry, text: str) -> str:
    names = [r.name for r in registry] + [r.id for r in registry]
    near = difflib.get_close_matches(text, names, n=1, cutoff=0.75)
    return f"; did you mean `{near[0]}`?" if near else ""


def _suppress(finding: Finding, items: list[_Resolved], *, only_unused_rule: bool = False) -> None:
    """Mark ``finding`` suppressed by every directive covering it (so none of them counts as
    unused), with the justification of the most specific one."""
    for item in items:
        if not item.directive.covers(finding.span.line):
            continue
        for index, (code, ids) in enumerate(item.codes):
            if only_unused_rule and not _names_unused_rule(code):
                continue
            if finding.rule_id in ids:
                item.used.add(index)
                if finding.suppression is None:
                    finding.suppression = Suppression("inline", item.directive.reason)


def _names_unused_rule(code: Code | None) -> bool:
    """Whether ``code`` names FL008 itself: only then may it suppress FL008 findings (a
    blanket directive, ``all`` or a prefix may not)."""
    return code is not None and code.text.lower() in _UNUSED_NAMES


def _unused_finding(
    path: str, item: _Resolved, enabled: set[str], make: MakeFinding
) -> Finding | None:
    """FL008 for the rules of a directive that suppressed nothing, when the run ran them."""
    directive = item.directive
    unused = [
        code
        for index, (code, ids) in enumerate(item.codes)
        if index not in item.used and ids <= enabled and not _names_unused_rule(code)
    ]
    if not unused:
        return None
    if directive.blanket:
        message = f"blanket `{directive.action}` suppresses nothing"
    else:
        names = ", ".join(f"`{code.text}`" for code in unused if code is not None)
        verb = "suppresses" if len(unused) == 1 else "suppress"
        message = f"{names} {verb} nothing"
    if directive.action == "disable" and directive.own_line:
        message += "; `disable` covers its own line only (use `disable-next-line`)"
    elif directive.first == 0:
        message += "; there is no line after it"
    span = Span(directive.line, directive.column, directive.line, directive.end_column)
    return make(UNUSED_RULE, message, path, span, directive.document, _removal(item, unused))


def _removal(item: _Resolved, unused: list[Code | None]) -> Fix:
    """The edit that drops the unused rules, or the whole directive when nothing else is left
    in it (the whole line when the directive was alone on its line). Unknown rules stay: they
    have their own finding, and deleting them would hide what the author meant."""
    directive = item.directive
    keep = [code.text for code in directive.codes if code not in unused]
    if keep:
        start, end = directive.codes_at
        title = "Remove the unused rules from the suppression"
        return Fix(title, (Edit(start, end, ",".join(keep)),))
    start, end = directive.whole_line
    return Fix("Remove the unused suppression", (Edit(start, end, ""),))
