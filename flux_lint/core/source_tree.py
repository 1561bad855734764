"""The files of a source tree by metadata only: what a code fingerprint is made of.

A cache keyed by the code that made it must notice an edited checkout or an upgraded library
without reading either: the name, size and modification time of every source file are enough
(stat only: ~100 files cost about a millisecond).
"""

from __future__ import annotations

import os
import sys
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
    """The file a module would be loaded from, found without importing it or its parent
    package (``importlib.util.find_spec`` imports the parent of a dotted name). A top-level
    name is looked up as ``importlib.util.find_spec`` does (the module's own spec when it is
    loaded, else the first finder of ``sys.meta_path`` that knows it), without importing
    ``importlib.util``: a small run would spend more on that import than on the rest."""
    if "." not in name:
        module = sys.modules.get(name)
        spec = getattr(module, "__spec__", None)
        if module is None:
            for finder in sys.meta_path:
                find_spec = getattr(finder, "find_spec", None)
                if find_spec is None:
                    continue
                try:
                    spec = find_spec(name, None)
                except (ImportError, ValueError):
                    return None
                if spec is not None:
                    break
        return getattr(spec, "origin", None)
    parts = name.split(".")
    for entry in sys.path:
        candidate = os.path.join(entry or ".", *parts, "__init__.py")
        if os.path.isfile(candidate):
            return candidate
    return None
