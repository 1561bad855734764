"""Property: on mutated real manifests, a run never ends in FL009, and one ``--fix`` reaches the
fixed point (linting and fixing again changes nothing).

The inputs are Flux manifests of the shared corpus with edits a user or an upgrade makes:
older apiVersions (which have fixes), lines deleted, duplicated or re-indented, misspelt keys,
and suppression comments in every form (bare, with rules, per line, document and file), so
fixes, unused suppressions and their removal meet each other. A second file with an old
apiVersion sits next to the mutated one, because fixes in one file can change what another
file's suppressions cover. The example count is small: every example is three or more full
runs, and the whole test stays within a few seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flux_lint.check.engine import RunConfig
from flux_lint.report.fix import apply_fixes
from flux_lint.run.fixpoint import fix_until_settled
from flux_lint.run.pipeline import run

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MAX_BYTES = 6000
OLDER = {
    "source.toolkit.fluxcd.io/v1": "source.toolkit.fluxcd.io/v1beta2",
    "kustomize.toolkit.fluxcd.io/v1": "kustomize.toolkit.fluxcd.io/v1beta2",
    "helm.toolkit.fluxcd.io/v2": "helm.toolkit.fluxcd.io/v2beta1",
    "notification.toolkit.fluxcd.io/v1beta3": "notification.toolkit.fluxcd.io/v1beta2",
    "image.toolkit.fluxcd.io/v1": "image.toolkit.fluxcd.io/v1beta2",
}
COMMENTS = (
    " # flux-lint: disable",
    " # flux-lint: disable=FL101",
    " # flux-lint: disable=all -- reason",
    "\n# flux-lint: disable-next-line",
    "\n# flux-lint: disable-next-line=FL301,FL302",
    "\n# flux-lint: disable-file",
    "\n# flux-lint: disable-document=FL1",
)
NEIGHBOUR = """\
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata:
  name: neighbour
  namespace: flux-system
spec:
  interval: 5m
  url: https://github.com/example/app
  ref:
    branch: main
"""


def _manifests() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = [
        path
        for path in sorted(CORPUS.rglob("*.yaml"))
        if path.is_file()
        and path.stat().st_size <= MAX_BYTES
        and "toolkit.fluxcd.io/" in path.read_text(encoding="utf-8", errors="replace")
    ]
    return found[::7][:120]  # a spread over every repository, read once


MANIFESTS = _manifests()


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Build the CEL environment before any example runs: celpy raises the interpreter's
    recursion limit when it is created, and hypothesis warns when that happens mid-test."""
    with tempfile.TemporaryDirectory() as name:
        (Path(name) / "b.yaml").write_text(NEIGHBOUR, encoding="utf-8")
        run(RunConfig(paths=[name]))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = MANIFESTS[draw(st.integers(0, len(MANIFESTS) - 1))].read_text(encoding="utf-8")
    for new, old in OLDER.items():
        if draw(st.booleans()):
            text = text.replace(f"apiVersion: {new}\n", f"apiVersion: {old}\n")
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "indent", "typo", "comment"]))
        line = lines[at]
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, line)
        elif action == "indent":
            lines[at] = "  " + line
        elif action == "typo" and ":" in line:
            key, _, rest = line.partition(":")
            lines[at] = f"{key}x:{rest}"
        elif action == "comment":
            lines[at] = line + draw(st.sampled_from(COMMENTS))
    return "\n".join(lines)


def _lint(folder: Path) -> object:
    result = run(RunConfig(paths=[str(folder)]))
    assert not result.internal_errors(), [f.message for f in result.internal_errors()]
    return result


@pytest.mark.skipif(not MANIFESTS, reason="needs ../shared/corpus")
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=mutated(), unsafe=st.booleans())
def test_no_internal_error_and_one_fix_run_reaches_the_fixed_point(text: str, unsafe: bool):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / ".git").mkdir()
        (folder / "a.yaml").write_text(text, encoding="utf-8")
        (folder / "b.yaml").write_text(NEIGHBOUR, encoding="utf-8")
        fixing = fix_until_settled(_lint(folder), lambda: _lint(folder), unsafe=unsafe, write=True)
        assert fixing.settled
        after = {p.name: p.read_bytes() for p in folder.glob("*.yaml")}
        again = apply_fixes(_lint(folder), unsafe=unsafe, write=True)
        assert again.applied == 0, [f.path for f in again.changed_files]
        assert {p.name: p.read_bytes() for p in folder.glob("*.yaml")} == after
