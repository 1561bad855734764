"""Machine-readable output: a versioned JSON envelope around the findings.

``version`` is the version of this document's shape, not of flux-lint: it changes only when a
key is renamed or removed, so scripts can check it once. Keys are camelCase like SARIF and the
Kubernetes objects themselves. Nothing time-dependent goes in (no duration, no date), which is
what lets golden tests compare the output byte for byte. Suppressed findings stay in the list,
flagged, but are not counted in the summary.

The text is ASCII (``\\uXXXX`` escapes): it can then be written to any stream, whatever its
encoding, and lone surrogates from undecodable file names cannot make writing it fail.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from flux_lint import __version__
from flux_lint.core.findings import Severity
from flux_lint.report.output import OutputOptions, RunSummary

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry
    from flux_lint.core.findings import Finding, Fix

#: The version of the envelope's shape.
SCHEMA_VERSION = 1


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "title": fix.title,
        "safe": fix.safe,
        "edits": [
            {"start": e.start, "end": e.end, "replacement": e.replacement}
            for e in sorted(fix.edits, key=lambda e: (e.start, e.end))
        ],
    }


def finding_dict(finding: Finding, path: str | None = None) -> dict[str, Any]:
    """One finding as a JSON object, keys in a fixed order; ``path`` is the path to show
    (default: the finding's own)."""
    span, obj, sup = finding.span, finding.obj, finding.suppression
    return {
        "ruleId": finding.rule_id,
        "ruleName": finding.rule_name,
        "severity": str(finding.severity),
        "message": finding.message,
        "path": finding.path if path is None else path,
        "line": span.line,
        "column": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
        "object": {
            "apiVersion": obj.api_version,
            "kind": obj.kind,
            "namespace": obj.namespace,
            "name": obj.name,
        },
        "document": finding.document,
        "pointer": finding.pointer,
        "fingerprint": finding.fingerprint,
        "fix": _fix(finding.fix),
        "suppressed": None
        if sup is None
        else {"kind": sup.kind, "justification": sup.justification},
    }


def summary_dict(findings: list[Finding], report: RunSummary) -> dict[str, Any]:
    """Counts of the findings that are not suppressed, per severity (all three, worst first)
    and per rule (by id), plus what the run looked at."""
    counted = [f for f in findings if f.suppression is None]
    by_sev = Counter(f.severity for f in counted)
    by_rule = Counter(f.rule_id for f in counted)
    return {
        "files": report.files,
        "documents": report.documents,
        "objects": report.objects,
        "problems": len(counted),
        "suppressed": len(findings) - len(counted),
        "bySeverity": {
            str(sev): by_sev[sev] for sev in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        },
        "byRule": {rid: by_rule[rid] for rid in sorted(by_rule)},
        "unappliedFiles": report.unapplied,
        "notes": list(report.notes),
    }


def document(
    findings: list[Finding], report: RunSummary, options: OutputOptions | None = None
) -> dict[str, Any]:
    """The whole envelope as plain data."""
    options = options or OutputOptions()
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "flux-lint", "version": __version__},
        "fluxVersion": report.flux_version or None,
        "findings": [finding_dict(f, options.path(f.path)) for f in findings],
        "summary": summary_dict(findings, report),
    }


def render(
    findings: list[Finding],
    *,
    rules: Registry,
    report: RunSummary,
    options: OutputOptions,
) -> str:
    return json.dumps(document(findings, report, options), indent=2) + "\n"


def statistics(findings: list[Finding], rules: Registry) -> str:
    """``--statistics --format json``: one row per rule with findings, most frequent first
    (the rows of the text table), each with how many of them a fix could resolve."""
    counted = [f for f in findings if f.suppression is None]
    counts = Counter(f.rule_id for f in counted)
    fixable = Counter(f.rule_id for f in counted if f.fix is not None and f.fix.safe)
    names = {f.rule_id: f.rule_name for f in counted}
    rows = []
    for rid, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rules.get(rid)
        rows.append(
            {
                "ruleId": rid,
                "ruleName": rule.name if rule is not None else names[rid],
                "count": count,
                "fixable": fixable[rid],
            }
        )
    return json.dumps(rows, indent=2) + "\n"
