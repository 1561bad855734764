"""The files of a source tree by metadata only: what a code fingerprint is made of.

A cache keyed by the code that made it must notice an edited checkout or an upgraded library
without reading either: the name, size and modification time of every source file are enough
(stat only: ~100 files cost about a millisecond).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

__all__ = ["module_origin", "source_files"]


def source_files(
    root: str | os.PathLike[str], suffixes: tuple[str, ...]
) -> Iterator[tuple[str, int, int]]:
    """(path, size, modification time in ns) of every file under ``root`` whose name ends
    with one of ``suffixes``; ``__pycache__`` and hidden entries are skipped, links to
    folders are not followed, and what cannot be listed or looked up is left out."""
    stack = [os.fspath(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name == "__pycache__" or entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith(suffixes):
                    info = entry.stat()
                    yield entry.path, info.st_size, info.st_mtime_ns
            except OSError:
                continue


def module_origin(name: str) -> str | None:
    """The file a top-level module is loaded from, found without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None
