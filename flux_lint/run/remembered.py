"""What the command line keeps in the cache besides the run itself (run/memo.py): the
parsed rule descriptors, the Flux version a repository pins, and whether a command's answer
may be replayed (run/replay.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any


def builtin_rules(cache_dir: Any) -> Any:
    """The shipped rules; with a cache, their descriptors' parsed form is kept there (keyed
    by the code fingerprint, which covers every descriptor file), which saves parsing 80-odd
    YAML files at every start."""
    from flux_lint.check.registry import builtin_registry, read_descriptors

    if cache_dir is None:
        return builtin_registry()

    def read(directory: Any) -> Any:
        from flux_lint.run.cache import code_fingerprint, digest
        from flux_lint.run.memo import memoized

        key = digest("descriptors", code_fingerprint(), str(directory))
        return memoized(cache_dir, key, lambda: read_descriptors(directory))

    return builtin_registry(read)


def from_default(
    paths: Sequence[str],
    target: tuple[int, int],
    exclude: Sequence[str],
    texts: Mapping[str, str],
    cache_dir: Any,
) -> tuple[tuple[int, int] | None, str | None]:
    """``model.flux_version.from_default``; with a cache, remembered with the metadata of
    every file it read, so a repository in which nothing changed is not read again for it."""

    def detect() -> Any:
        from flux_lint.model.flux_version import from_default as detect_default

        return detect_default(paths, target, exclude=exclude, texts=texts)

    if cache_dir is None or texts:
        return detect()
    from flux_lint.run.cache import code_fingerprint, digest
    from flux_lint.run.memo import memoized

    key = digest("from", code_fingerprint(), list(paths), target, list(exclude), os.getcwd())
    current, note = memoized(cache_dir, key, detect)
    return (tuple(current) if current is not None else None), note


def replayable(
    no_bar: bool, cache_dir: Any, fixes: bool, output: Any, baseline: Any, paths: Any
) -> None:
    """Whether this run's answer may be replayed when nothing it read changes: it writes
    nothing but its report (no fixes, output file or baseline), reads no standard input and
    draws no progress bar."""
    from flux_lint.run import replay

    if no_bar and not fixes and not output and not baseline and "-" not in paths:
        replay.replayable(cache_dir)
    else:
        replay.not_replayable()
