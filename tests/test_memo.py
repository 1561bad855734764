"""Remembered steps (run/memo.py): how stamps are compared and reused.

A pre-commit run records the command (run/replay.py), inside it the run (run/pipeline.py), and
inside that recalls the context walk (run/structure.py): each path of the repository is stamped
once for all three, and a record that no longer holds is given up at the file that changed,
before any folder is listed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from flux_lint.run import memo


@pytest.fixture(autouse=True)
def _settled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)  # as if every file was written long before


def _tree(root: Path, files: int = 6) -> list[Path]:
    paths = []
    for i in range(files):
        path = root / f"d{i % 3}" / f"f{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"n: {i}\n")
        paths.append(path)
    return paths


def _read_all(root: Path) -> int:
    """A step that lists every folder and reads every file: the sum of the numbers."""
    total = 0
    for folder in sorted(os.listdir(root)):
        for name in sorted(os.listdir(root / folder)):
            with open(root / folder / name, encoding="utf-8") as fh:
                total += int(fh.read().split(":")[1])
    return total


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    calls: list[str] = []
    real = getattr(memo, name)

    def counted(path: Any) -> Any:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(memo, name, counted)
    return calls


def test_a_changed_file_is_found_before_any_folder_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    files = _tree(root)
    assert memo.memoized(cache, "k", lambda: _read_all(root)) == 15
    files[4].write_text("n: 40\n")
    listed = _counting(monkeypatch, "folder_stamp")
    stamped = _counting(monkeypatch, "path_stamp")
    assert memo.recall(cache, "k") == (False, None)
    assert listed == []
    assert len(stamped) <= len(files)
    assert memo.memoized(cache, "k", lambda: _read_all(root)) == 51


def test_the_file_changed_last_is_compared_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    files = _tree(root)
    os.utime(files[2], ns=(10**18, 10**18))  # the newest of the record
    memo.memoized(cache, "k", lambda: _read_all(root))
    files[2].write_text("n: 20\n")
    stamped = _counting(monkeypatch, "path_stamp")
    assert memo.recall(cache, "k") == (False, None)
    assert stamped == [str(files[2])]


def test_an_inner_step_lends_its_stamps_to_the_outer_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    ignore = memo.ignored_paths(cache)

    def outer() -> int:
        return memo.memoized(cache, "inner", lambda: _read_all(root))

    result, recorder = memo.record(outer, ignore)
    stamped = _counting(monkeypatch, "path_stamp")
    listed = _counting(monkeypatch, "folder_stamp")
    assert memo.remember(cache, "outer", result, recorder, time.time())
    assert (stamped, listed) == ([], [])  # all stamped by the inner step already
    assert memo.recall(cache, "outer") == (True, 15)


def test_a_lent_stamp_is_never_newer_than_what_was_read(tmp_path: Path) -> None:
    """A file changed after the inner step stamped it, before the outer step is stored: the
    outer record keeps the stamp of what was read, so it is not taken next time."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    files = _tree(root)
    ignore = memo.ignored_paths(cache)

    def outer() -> int:
        total = memo.memoized(cache, "inner", lambda: _read_all(root))
        files[0].write_text("n: 1000\n")
        return total

    result, recorder = memo.record(outer, ignore)
    assert result == 15
    assert memo.remember(cache, "outer", result, recorder, time.time())
    assert memo.recall(cache, "outer") == (False, None)
    assert memo.recall(cache, "inner") == (False, None)
