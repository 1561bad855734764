"""A run from the cache says exactly what a run without it says, byte for byte and in every
output format: on every repository of the corpus, and on a repository edited step by step
(a file changed, added, deleted, renamed, a parent Kustomization's patches changed, a
``.sourceignore`` changed, an app un-commented in a ``kustomization.yaml``).

The runs go through the real entry point (``python -m flux_lint``'s ``main``), in this
process: the answer replayed from the cache before the command line is parsed
(run/replay.py), the whole run remembered (run/memo.py) and the per-file cache are all on the
way.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from manifests import bootstrap_sync, write_tree

import flux_lint.__main__ as entry
from flux_lint.run import memo, replay

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FORMATS = ("text", "json", "sarif", "github")
TIMING = re.compile(r" \(\d+\.\d\ds\)")


def _run(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], *args: str):
    """(exit code, stdout, stderr without the run time) of ``flux-lint ARGS``."""
    monkeypatch.setattr(sys, "argv", ["flux-lint", *args])
    with pytest.raises(SystemExit) as stop:
        entry.main()
    out, err = capfd.readouterr()
    return stop.value.code, out, TIMING.sub(" (TIME)", err)


def _compare(
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    cache: Path,
    targets: tuple[str, ...] = (".",),
) -> list[tuple[int, str, str]]:
    """Every format with the cache (twice: the second is answered from it when nothing
    changed) and without, for each of ``targets`` (a folder, or a file named alone as a
    pre-commit hook does); asserts they agree and returns the results without the cache."""
    fresh = []
    for target in targets:
        for fmt in FORMATS:
            args = (target, "--format", fmt)
            expected = _run(monkeypatch, capfd, *args, "--no-cache")
            first = _run(monkeypatch, capfd, *args, "--cache-dir", str(cache))
            second = _run(monkeypatch, capfd, *args, "--cache-dir", str(cache))
            assert first == expected, (target, fmt)
            assert second == expected, (target, fmt)
            fresh.append(expected)
    return fresh


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not beside this checkout")
@pytest.mark.parametrize(
    "repo", sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
)
def test_corpus_cached_equals_fresh(
    repo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CORPUS / repo)
    _compare(monkeypatch, capfd, tmp_path / "cache")
    # The corpus does not change under the test: the last runs were answered from the cache.
    args = [".", "--format", "json", "--cache-dir", str(tmp_path / "cache")]
    assert replay.replayed(args) is not None
    capfd.readouterr()


APPS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/dev
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  patches:
    - target:
        kind: HelmRelease
        name: web
      patch: |
        - op: replace
          path: /spec/interval
          value: 5m
"""

RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: apps
spec:
  {interval}: 10m
  chart:
    spec:
      chart: {name}
      sourceRef:
        kind: HelmRepository
        name: charts
"""

CHARTS = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: apps
spec:
  interval: 1h
  url: https://charts.example.com
"""


def _write(root: Path, path: str, text: str) -> None:
    write_tree(root, {path: text})


def test_edit_sequence_cached_equals_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # Files written a moment ago are "racy" (run/memo.py); the test edits files between runs
    # a moment apart, always after the run before has ended, so their stamps differ anyway.
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    _write(root, "clusters/dev/flux-system/gotk-sync.yaml", bootstrap_sync("dev"))
    _write(root, "clusters/dev/apps.yaml", APPS)
    _write(root, "apps/dev/kustomization.yaml", "resources:\n  - charts.yaml\n  - web.yaml\n")
    _write(root, "apps/dev/charts.yaml", CHARTS)
    _write(root, "apps/dev/web.yaml", RELEASE.format(name="web", interval="interval"))
    _write(root, "apps/dev/worker.yaml", RELEASE.format(name="worker", interval="intervall"))
    monkeypatch.chdir(root)
    cache = tmp_path / "cache"

    # The whole repository, a file that stays as it is, and one that the steps edit.
    targets = (".", "apps/dev/charts.yaml", "apps/dev/worker.yaml")
    seen = [_compare(monkeypatch, capfd, cache, targets)]
    args = [".", "--format", "json", "--cache-dir", str(cache)]
    assert replay.replayed(args) is not None  # nothing changed: answered from the cache
    capfd.readouterr()

    def step() -> None:
        assert replay.replayed(args) is None  # something changed: not answered
        seen.append(_compare(monkeypatch, capfd, cache, targets))

    _write(root, "apps/dev/web.yaml", RELEASE.format(name="web", interval="intervals"))
    step()  # changed
    _write(root, "apps/dev/extra.yaml", RELEASE.format(name="extra", interval="interval"))
    _write(
        root,
        "apps/dev/kustomization.yaml",
        "resources:\n  - charts.yaml\n  - web.yaml\n  - extra.yaml\n",
    )
    step()  # added
    (root / "apps/dev/extra.yaml").unlink()
    step()  # deleted (the kustomization.yaml now names a missing file)
    (root / "apps/dev/web.yaml").rename(root / "apps/dev/web-release.yaml")
    step()  # renamed
    _write(root, "clusters/dev/apps.yaml", APPS.replace("value: 5m", "value: 5 minutes"))
    step()  # a parent Kustomization's patches changed
    _write(root, ".sourceignore", "apps/dev/charts.yaml\n")
    step()  # the source's ignore rules changed
    _write(
        root,
        "apps/dev/kustomization.yaml",
        "resources:\n  - charts.yaml\n  - web-release.yaml\n  # - worker.yaml\n",
    )
    step()
    _write(
        root,
        "apps/dev/kustomization.yaml",
        "resources:\n  - charts.yaml\n  - web-release.yaml\n  - worker.yaml\n",
    )
    step()  # an app un-commented
    _write(root, "apps/dev/worker.yaml", RELEASE.format(name="worker", interval="interval"))
    step()  # the file named alone changed
    # Not vacuous: the edits changed what the runs found.
    assert len({repr(results) for results in seen}) >= 6


def test_memo_follows_what_a_step_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record of a step is used while the files it read, the folders it listed and the
    paths it looked up are as they were, and not after any of them changes."""
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)
    cache, tree = tmp_path / "cache", tmp_path / "tree"
    tree.mkdir()
    (tree / "a.yaml").write_text("a: 1\n")
    (tree / "b.yaml").write_text("b: 2\n")
    (tree / "link.yaml").symlink_to("a.yaml")
    calls = []

    def step() -> list[str]:
        calls.append(1)
        names = sorted(os.listdir(tree))
        text = (tree / "link.yaml").read_text()
        exists = (tree / "missing.yaml").exists()
        return [*names, text, str(exists)]

    def run() -> list[str]:
        return memo.memoized(cache, "step", step)

    assert run() == ["a.yaml", "b.yaml", "link.yaml", "a: 1\n", "False"]
    assert run() == ["a.yaml", "b.yaml", "link.yaml", "a: 1\n", "False"] and len(calls) == 1
    (tree / "b.yaml").write_text("b: 3\n")  # listed, never read: the record holds
    assert run()[-2] == "a: 1\n" and len(calls) == 1
    (tree / "link.yaml").unlink()
    (tree / "link.yaml").symlink_to("b.yaml")  # the link now leads elsewhere
    assert run()[-2] == "b: 3\n" and len(calls) == 2
    (tree / "missing.yaml").write_text("")  # a path looked up appears
    assert run()[-1] == "True" and len(calls) == 3
    (tree / "b.yaml").write_text("b: 4\n")  # the file read through the link changes
    assert run()[-2] == "b: 4\n" and len(calls) == 4
    assert run()[-2] == "b: 4\n" and len(calls) == 4


def test_memo_does_not_keep_what_changed_while_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed within :data:`memo.RACY_SECONDS` of the step cannot be told apart from
    an edit made while the step read it: the result is not kept."""
    cache, tree = tmp_path / "cache", tmp_path / "tree"
    tree.mkdir()
    (tree / "a.yaml").write_text("a: 1\n")
    calls = []

    def step() -> str:
        calls.append(1)
        return (tree / "a.yaml").read_text()

    memo.memoized(cache, "step", step)
    memo.memoized(cache, "step", step)
    assert len(calls) == 2  # just written: read again
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)  # as if written long before
    memo.memoized(cache, "step", step)
    memo.memoized(cache, "step", step)
    assert len(calls) == 3  # kept, then used
