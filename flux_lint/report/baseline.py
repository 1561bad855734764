"""Baselines: adopt flux-lint on a repository with known problems, and fail only on new ones.

``--write-baseline FILE`` records the fingerprint of every finding the run reports; a later
run with ``--baseline FILE`` marks findings whose fingerprint is recorded as suppressed
(``Suppression("baseline", ...)``), so they stay visible in JSON and SARIF but no longer fail
the run.

Why fingerprints. A finding's fingerprint hashes its rule, file, object and JSON pointer, not
its line (:attr:`~flux_lint.core.findings.Finding.fingerprint`), so adding or moving lines
elsewhere in
a file does not turn a baselined finding into a "new" one. Matching is count-aware: when two
findings share a fingerprint (the same problem twice in one object), the baseline records the
fingerprint twice, and a third such finding is new.

The file is JSON, sorted and without timestamps, so it is reproducible and reviewable in a
diff: per entry the fingerprint plus the rule, path and message for the humans reading it.
Internal errors (FL009) are never recorded or matched: a crash of a rule is not a known
problem of the repository, and hiding it would make a broken check look like a clean one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flux_lint import __version__
from flux_lint.core.findings import Finding, Suppression

VERSION = 1
#: Never baselined: see the module docs.
NOT_BASELINED = frozenset({"FL009"})


class BaselineError(ValueError):
    """The baseline file cannot be read or is not a flux-lint baseline; names the file."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """How many findings of each fingerprint the baseline covers."""

    counts: Counter[str]
    source: str  # the file, as given on the command line

    @property
    def size(self) -> int:
        return sum(self.counts.values())


def entries(findings: Iterable[Finding]) -> list[dict[str, str]]:
    """The baseline entries for ``findings`` (those not suppressed otherwise), sorted."""
    rows = [
        {
            "fingerprint": f.fingerprint,
            "ruleId": f.rule_id,
            "path": f.path,
            "message": f.message,
        }
        for f in findings
        if f.rule_id not in NOT_BASELINED
        and (f.suppression is None or f.suppression.kind == "baseline")
    ]
    rows.sort(key=lambda r: (r["path"], r["ruleId"], r["fingerprint"], r["message"]))
    return rows


def render(findings: Iterable[Finding]) -> str:
    """The baseline file's text for ``findings``."""
    document = {
        "version": VERSION,
        "tool": {"name": "flux-lint", "version": __version__},
        "findings": entries(findings),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(path: str, findings: Iterable[Finding]) -> Baseline:
    """Write the baseline of ``findings`` to ``path`` (atomically) and return it."""
    from flux_lint.core.fsio import write_text_atomic

    text = render(findings)
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write: {_reason(exc)}") from None
    return parse(text, path)


def read(path: str) -> Baseline:
    """Read a baseline file. Raises :class:`BaselineError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no such baseline file (create it with `--write-baseline {path}`)"
        ) from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {_reason(exc)}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not a flux-lint baseline (not UTF-8 text)") from None
    return parse(text, path)


def parse(text: str, source: str) -> Baseline:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{source}:{exc.lineno}:{exc.colno}: not a flux-lint baseline: {exc.msg}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{source}: not a flux-lint baseline (no `findings` list)")
    if data.get("version") != VERSION:
        raise BaselineError(
            f"{source}: baseline version {data.get('version')!r} is not supported "
            f"(expected {VERSION}); write it again with `--write-baseline`"
        )
    counts: Counter[str] = Counter()
    for index, entry in enumerate(data["findings"]):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint:
            raise BaselineError(f"{source}: entry {index + 1} has no `fingerprint`")
        counts[fingerprint] += 1
    return Baseline(counts, source)


def apply(findings: Iterable[Finding], baseline: Baseline) -> int:
    """Mark the findings the baseline covers; returns how many entries matched nothing (the
    problems since fixed, which a rewrite of the baseline drops).

    Findings are taken in their order (sorted by path and line), so when a fingerprint has more
    findings than entries, the ones further down the file are the new ones.
    """
    left = Counter(baseline.counts)
    justification = f"baseline `{baseline.source}`"
    for finding in findings:
        if finding.suppression is not None and finding.suppression.kind != "baseline":
            continue
        if finding.rule_id in NOT_BASELINED:
            continue
        fingerprint = finding.fingerprint
        if left[fingerprint] > 0:
            left[fingerprint] -= 1
            finding.suppression = Suppression("baseline", justification)
        elif finding.suppression is not None:
            finding.suppression = None  # covered by an older baseline, not by this one
    return sum(left.values())


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
