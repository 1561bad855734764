"""Precision on real repositories: every finding flux-lint gives on ``../shared/corpus`` is in a
reviewed snapshot (``tests/corpus/<repository>.txt``), each with a one-line reason why it is
right. A finding that appears or disappears fails the test, so every change of behaviour on
real repositories is looked at by a person.

Snapshot lines: ``RULE path:line message | reason``. After an intended change, regenerate with
``FLUX_LINT_UPDATE_CORPUS=1 pytest tests/test_corpus.py``: known findings keep their reasons,
new ones get ``REVIEW`` (which fails the test until a reason replaces it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flux_lint.check.engine import RunConfig
from flux_lint.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SNAPSHOTS = Path(__file__).parent / "corpus"
UNREVIEWED = "REVIEW"

REPOSITORIES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


def _key(line: str) -> tuple[str, str]:
    head, _, _ = line.partition(" | ")
    return head.strip(), line


def current(name: str) -> list[str]:
    result = run(RunConfig(paths=[str(CORPUS / name)]))
    assert not result.internal_errors(), [f.message for f in result.internal_errors()]
    return [
        f"{f.rule_id} {f.path}:{f.line} {f.message.splitlines()[0]}"
        for f in result.findings
        if f.suppression is None
    ]


def read_snapshot(name: str) -> dict[str, str]:
    path = SNAPSHOTS / f"{name}.txt"
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            head, reason = _key(line)
            found[head] = reason.partition(" | ")[2]
    return found


@pytest.mark.skipif(not REPOSITORIES, reason="../shared/corpus is not beside the project")
@pytest.mark.parametrize("name", REPOSITORIES)
def test_findings_on_real_repositories_are_reviewed(name: str) -> None:
    found = current(name)
    known = read_snapshot(name)
    if os.environ.get("FLUX_LINT_UPDATE_CORPUS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        lines = [f"# flux-lint findings on {name} (see tests/test_corpus.py)"]
        lines += [f"{head} | {known.get(head) or UNREVIEWED}" for head in found]
        (SNAPSHOTS / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        known = read_snapshot(name)
    assert sorted(found) == sorted(known), "findings changed: review and update the snapshot"
    unreviewed = [head for head, reason in known.items() if reason.strip() in ("", UNREVIEWED)]
    assert unreviewed == [], "findings without a reason"
