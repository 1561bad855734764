"""Files known by their metadata (run/facts.py): a warm run does not open a file whose stamp is
as it was, shows the source of its cached findings all the same, and a remembered result made
without opening a file still depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifests import bootstrap_sync, write_tree
from test_cache_equivalence import RELEASE
from test_effective import APPS

import flux_lint.load.source as source
from flux_lint.check.engine import RunConfig
from flux_lint.run import memo
from flux_lint.run.pipeline import run

SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
{field}:
  mode: fast
"""


def _repo(root: Path) -> None:
    (root / ".git").mkdir(parents=True)
    write_tree(
        root,
        {
            "clusters/dev/flux-system/gotk-sync.yaml": bootstrap_sync("dev"),
            "clusters/dev/apps.yaml": APPS.format(overlay="dev", extra=""),
            "apps/dev/kustomization.yaml": (
                "resources:\n  - web.yaml\n  - worker.yaml\n  - settings.yaml\n"
            ),
            "apps/dev/settings.yaml": SETTINGS.format(field="data"),
            "apps/dev/web.yaml": RELEASE.format(name="web", interval="interval"),
            "apps/dev/worker.yaml": RELEASE.format(name="worker", interval="intervall"),
        },
    )


def _opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display paths of the files the run reads, in order."""
    opened: list[str] = []
    real = source.read_source_and_bytes

    def counting(path, display, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(display)
        return real(path, display, **kwargs)

    monkeypatch.setattr(source, "read_source_and_bytes", counting)
    monkeypatch.setattr(
        source, "read_source", lambda path, display, **kw: counting(path, display, **kw)[0]
    )
    return opened


def _lint(root: Path, cache: Path | None) -> list[tuple[str, str, int, int]]:
    config = RunConfig(paths=[str(root)], cache_dir=cache)
    result = run(config)
    return [(f.rule_id, f.path, f.line, f.column) for f in result.findings], result


def test_unchanged_files_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)  # as if written long before
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    expected, _ = _lint(root, None)
    assert ("FL101", "apps/dev/worker.yaml", 7, 3) in expected
    _lint(root, cache)  # learns every file
    (root / "apps/dev/web.yaml").write_text(RELEASE.format(name="web", interval="interval") + "\n")
    opened = _opened(monkeypatch)
    found, result = _lint(root, cache)
    assert found == expected
    # Only the edited file, and the one with findings (its text is shown), are read.
    assert sorted(set(opened)) == ["apps/dev/web.yaml", "apps/dev/worker.yaml"]
    assert "intervall: 10m" in result.texts["apps/dev/worker.yaml"]
    assert result.linted == 1


def test_a_result_made_without_reading_a_file_follows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run after an edit is remembered although it opened almost nothing; changing a file
    it did not open must still make the next run run."""
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    _lint(root, cache)
    (root / "apps/dev/worker.yaml").write_text(RELEASE.format(name="worker", interval="interval"))
    opened = _opened(monkeypatch)
    second, _ = _lint(root, cache)
    assert [f for f in second if f[0] == "FL101"] == []
    assert "apps/dev/settings.yaml" not in opened
    (root / "apps/dev/settings.yaml").write_text(SETTINGS.format(field="datum"))
    third, result = _lint(root, cache)
    assert [f[:2] for f in third if f[0] == "FL101"] == [("FL101", "apps/dev/settings.yaml")]
    assert third == _lint(root, None)[0]
    assert result.linted == 1


def test_recent_files_are_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed a moment before the run cannot be told apart from an edit within its
    time stamp's granularity: it is not known by its metadata next time, and the run that
    read it is not remembered."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    _, first = _lint(root, cache)
    assert first.racy
    opened = _opened(monkeypatch)
    _lint(root, cache)
    assert "apps/dev/web.yaml" in opened


def test_files_named_one_by_one_share_what_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit hook names other files on each commit: the runs that name files alone
    share a pack, so the context walk of the next one opens only what changed."""
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)  # as if written long before
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    monkeypatch.chdir(root)

    def named(path: str, with_cache: Path | None) -> list[tuple[str, str, int, int]]:
        result = run(RunConfig(paths=[path], cache_dir=with_cache))
        return [(f.rule_id, f.path, f.line, f.column) for f in result.findings]

    named("apps/dev/web.yaml", cache)  # walks the repository, learns every file
    opened = _opened(monkeypatch)
    found = named("apps/dev/worker.yaml", cache)
    assert found == named("apps/dev/worker.yaml", None)
    assert ("FL101", "apps/dev/worker.yaml", 7, 3) in found
    # The named file and, without the cache, the whole repository; with it, nothing else.
    assert opened.count("apps/dev/settings.yaml") == 1
    assert opened.count("apps/dev/worker.yaml") == 2
    opened.clear()
    (root / "apps/dev/settings.yaml").write_text(SETTINGS.format(field="datum"))
    found = named("apps/dev/web.yaml", cache)
    assert found == named("apps/dev/web.yaml", None)
    assert opened.count("apps/dev/settings.yaml") == 2  # changed: read by both runs
    assert opened.count("clusters/dev/apps.yaml") == 1  # unchanged: by the run without cache
