"""Baselines: the file is deterministic, matching ignores line moves and counts duplicates."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from flux_lint import __version__
from flux_lint.check.engine import RunConfig
from flux_lint.core.findings import Finding, Severity, Span, Suppression
from flux_lint.report.baseline import Baseline, BaselineError, apply, read, render, write
from flux_lint.run.pipeline import run

OBJECT = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 5m
  url: https://github.com/example/app
  timout: 60s
"""


def _lint(root: Path, files: dict[str, str]) -> list[Finding]:
    (root / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return run(RunConfig(paths=[str(root)])).findings


def _shown(findings: list[Finding]) -> list[tuple[str, int, str, str | None]]:
    return [
        (f.path, f.line, f.rule_id, f.suppression.kind if f.suppression else None) for f in findings
    ]


def test_file_format(tmp_path: Path):
    findings = _lint(tmp_path, {"b.yaml": OBJECT, "a.yaml": OBJECT.replace("app", "other")})
    target = tmp_path / "baseline.json"
    written = write(str(target), findings)
    assert written.size == 2
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data == {
        "version": 1,
        "tool": {"name": "flux-lint", "version": __version__},
        "findings": [
            {
                "fingerprint": findings[0].fingerprint,
                "ruleId": "FL101",
                "path": "a.yaml",
                "message": "unknown field `spec.timout`; did you mean `timeout`?",
            },
            {
                "fingerprint": findings[1].fingerprint,
                "ruleId": "FL101",
                "path": "b.yaml",
                "message": "unknown field `spec.timout`; did you mean `timeout`?",
            },
        ],
    }
    # No line numbers (they would churn), no timestamps, same bytes in any finding order.
    assert '"line"' not in target.read_text(encoding="utf-8")
    assert render(list(reversed(findings))) == target.read_text(encoding="utf-8")


def test_lines_added_above_keep_the_finding_suppressed_and_new_ones_are_reported(
    tmp_path: Path,
):
    baseline = write(str(tmp_path / "baseline.json"), _lint(tmp_path, {"git.yaml": OBJECT}))
    edited = OBJECT.replace("spec:\n", "spec:\n  suspend: false\n  # moved down\n")
    edited += "  tagg: v1\n"
    findings = _lint(tmp_path, {"git.yaml": edited})
    assert apply(findings, read(str(tmp_path / "baseline.json"))) == 0
    assert _shown(findings) == [
        ("git.yaml", 11, "FL101", "baseline"),
        ("git.yaml", 12, "FL101", None),
    ]
    assert findings[0].suppression == Suppression("baseline", f"baseline `{baseline.source}`")


def test_matching_counts_duplicates(tmp_path: Path):
    twice = OBJECT + "---\n" + OBJECT
    findings = _lint(tmp_path, {"git.yaml": twice})
    fl101 = [f for f in findings if f.rule_id == "FL101"]
    assert len(fl101) == 2 and fl101[0].fingerprint == fl101[1].fingerprint
    baseline = write(str(tmp_path / "baseline.json"), findings)
    assert baseline.counts[fl101[0].fingerprint] == 2

    findings = _lint(tmp_path, {"git.yaml": twice + "---\n" + OBJECT})
    apply(findings, baseline)
    suppressed = [(f.line, f.suppression is not None) for f in findings if f.rule_id == "FL101"]
    assert suppressed == [(9, True), (19, True), (29, False)]


def test_stale_entries_are_counted(tmp_path: Path):
    baseline = write(str(tmp_path / "baseline.json"), _lint(tmp_path, {"git.yaml": OBJECT}))
    fixed = _lint(tmp_path, {"git.yaml": OBJECT.replace("  timout: 60s\n", "")})
    assert apply(fixed, baseline) == 1


def test_other_suppressions_and_internal_errors_are_not_recorded():
    def finding(rule: str, line: int, suppression: Suppression | None = None) -> Finding:
        return Finding(
            rule,
            "x",
            Severity.ERROR,
            f"message {line}",
            "a.yaml",
            Span(line, 1, line, 2),
            pointer=f"/{line}",
            suppression=suppression,
        )

    findings = [
        finding("FL101", 1),
        finding("FL101", 2, Suppression("inline", "why")),
        finding("FL101", 3, Suppression("config", "per-file-ignores")),
        finding("FL009", 4),
        finding("FL101", 5, Suppression("baseline", "old")),
    ]
    data = json.loads(render(findings))
    assert sorted(e["message"] for e in data["findings"]) == ["message 1", "message 5"]


def test_older_baseline_suppression_is_replaced():
    finding = Finding(
        "FL101",
        "unknown-field",
        Severity.ERROR,
        "m",
        "a.yaml",
        Span(1, 1, 1, 2),
        suppression=Suppression("baseline", "old"),
    )
    assert apply([finding], Baseline(Counter(), "new.json")) == 0
    assert finding.suppression is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "b.json:1:2: not a flux-lint baseline: Expecting property name enclosed"),
        ("[]", "b.json: not a flux-lint baseline (no `findings` list)"),
        ('{"version": 2, "findings": []}', "b.json: baseline version 2 is not supported"),
        ('{"version": 1, "findings": [{}]}', "b.json: entry 1 has no `fingerprint`"),
    ],
)
def test_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.json").write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError) as info:
        read("b.json")
    assert str(info.value).startswith(message), str(info.value)


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BaselineError) as info:
        read("b.json")
    assert str(info.value) == (
        "b.json: no such baseline file (create it with `--write-baseline b.json`)"
    )
