"""Whole results remembered with every file they were made from: a run over a repository in
which nothing changed reads one record and returns.

A step (the whole run, the ``--from`` detection) is run once under a :class:`Recorder`, which
notes every file the step opens for reading, every folder it lists and every path it looks up
(``os.stat``, ``os.lstat``, which ``os.path`` and ``pathlib`` go through). At the end, each of
those paths gets a *stamp* from its metadata: a file read, its type, size, modification and
change times in nanoseconds, inode and device; a path only looked up, its type (what it is
looked up for); a listed folder, every entry's name and type (what a listing tells, and
all the discovery uses). The result is stored with the stamps. The next time the same step
runs with the same settings, the stamps are taken again; if every one is equal, nothing the
step read can have changed and the stored result is returned without running it. Any
difference, or anything that cannot be stamped the same way, runs the step again (and records
it afresh).

Why metadata and not contents: stamping 1,000 files costs a few milliseconds, reading and
hashing them costs more than the rest of a warm run. An edit changes the change time (and
almost always the size or modification time) of the file, and adding, removing or renaming a
file changes its folder's listing.

A path is stamped once per step: a stamp taken earlier in the step (by a record recalled
inside it, or by a step run inside it) stands for the end of the step too. That is safe
because it is never newer than what the step read: a path that changed since no longer
matches it, and the step runs again next time.

The one case metadata cannot tell apart is a file edited within the file system's timestamp
granularity of the moment it was read (git calls such entries "racy"). A step whose inputs
include a path changed less than :data:`RACY_SECONDS` before the step started is not stored,
so such a file is read again next time; by then its times have moved on.

What is not recorded: the Python installation and flux-lint's own files (the code fingerprint
in the key covers them) and the cache folder itself.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import stat
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

#: Paths whose change or modification time is this close to the start of the step (or later)
#: make the step's result unsafe to store (see the module docstring).
RACY_SECONDS = 2.0

_KIND = b"memo"

#: The recorder of the step being run in this process, if any (the audit hook reads it).
_ACTIVE: Recorder | None = None
_HOOKED = False


class Recorder:
    """The paths one step read (files opened), listed (folders) and looked up (stat), as
    given (made absolute and filtered only once, at the end: a run looks up thousands)."""

    def __init__(self, ignore: list[str]) -> None:
        self.ignore = tuple(os.path.join(os.path.abspath(p), "") for p in ignore)
        self.files: set[Any] = set()
        self.folders: set[Any] = set()
        self.looked_up: set[Any] = set()
        #: Stamps already taken in this step, by (kind, absolute path): see the module
        #: docstring; a pre-commit run would otherwise stamp its repository three times.
        self.stamped: dict[tuple[str, str], Any] = {}

    def _paths(self, given: set[Any]) -> set[str]:
        out = set()
        for path in given:
            if isinstance(path, int):
                continue
            try:
                text = os.fsdecode(path)
                text = _absolute(text) if os.path.isabs(text) else os.path.abspath(text)
            except (TypeError, ValueError):
                continue
            if not (text + os.sep).startswith(self.ignore):
                out.add(text)
        return out

    def opened(self, path: Any, mode: Any, flags: Any) -> None:
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return
        if isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
            return
        if not isinstance(path, int):
            self.files.add(path)

    def listed(self, path: Any) -> None:
        self.folders.add("." if path is None else path)

    def stat(self, path: Any) -> None:
        if not isinstance(path, int):
            self.looked_up.add(path)

    def stamps(self) -> list[tuple[str, str, Any]]:
        """Every recorded path with its stamp, in a stable order."""
        files = self._paths(self.files)
        known = self.stamped
        out: list[tuple[str, str, Any]] = []
        for kind, paths, stamper in (
            ("d", self._paths(self.folders), folder_stamp),
            ("p", files, path_stamp),
            ("s", self._paths(self.looked_up) - files, kind_stamp),
        ):
            for path in sorted(paths):
                stamp = known.get((kind, path), _MISSING)
                out.append((kind, path, stamper(path) if stamp is _MISSING else stamp))
        return out

    def note_stamps(self, stamps: list[tuple[str, str, Any]]) -> None:
        """Stamps taken during this step, to be reused for its own record."""
        self.stamped.update(((kind, path), stamp) for kind, path, stamp in stamps)


_MISSING = object()


@functools.lru_cache(maxsize=1 << 16)
def _absolute(path: str) -> str:
    """``os.path.abspath`` of an absolute path (which the current folder does not change),
    once per process: a step and the steps recorded inside it name the same thousands of
    paths, each normalized for every record."""
    return os.path.abspath(path)


def kind_stamp(path: str) -> Any:
    """What looking a path up without reading it is used for: whether it is there and what
    it is (file, folder, link and what the link leads to); a folder's identity too (the
    discovery tells folder loops by it)."""
    own = _stat_tuple(path, False)
    if own is None:
        return None
    if own[0] == stat.S_IFLNK:
        target = _stat_tuple(path, True)
        return (own[0], _link(path), None if target is None else _kind_of(target))
    return _kind_of(own)


def _link(path: str) -> str | None:
    """Where a symbolic link points (the text of the link, not followed)."""
    try:
        return os.readlink(path)
    except (OSError, ValueError):
        return None


def _kind_of(stamp: tuple[int, ...]) -> Any:
    return stamp if stamp[0] == stat.S_IFDIR else (stamp[0],)


def path_stamp(path: str) -> Any:
    """What a path is now, as far as metadata tells: the path itself and, for a symbolic
    link, what it points to (None where nothing is)."""
    own = _stat_tuple(path, False)
    if own is not None and own[0] == stat.S_IFLNK:
        return (own, _link(path), _stat_tuple(path, True))
    return own


def _stat_tuple(path: str, follow: bool) -> Any:
    try:
        info = os.stat(path, follow_symlinks=follow)
    except (OSError, ValueError):
        return None
    return _tuple(info)


def _tuple(info: os.stat_result) -> tuple[int, ...]:
    if stat.S_ISDIR(info.st_mode):
        # A folder looked up is there or not; what it holds is in its listing's stamp, and
        # its times move whenever anything in it changes (a shared /tmp, say).
        return (stat.S_IFDIR, 0, 0, 0, info.st_ino, info.st_dev)
    return (
        stat.S_IFMT(info.st_mode),
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
        info.st_ino,
        info.st_dev,
    )


def folder_stamp(path: str) -> Any:
    """What listing a folder tells: its entries' names and types (file, folder, link, other),
    which the listing gives without a system call per entry. What a file holds is in its own
    stamp when it was read."""
    own = _stat_tuple(path, True)
    try:
        with os.scandir(path) as listing:
            entries = sorted((entry.name, _kind(entry)) for entry in listing)
    except (OSError, ValueError):
        return (own, None)
    return (own, entries)


def _kind(entry: os.DirEntry[str]) -> int:
    try:
        if entry.is_symlink():
            return 1
        if entry.is_dir(follow_symlinks=False):
            return 2
        if entry.is_file(follow_symlinks=False):
            return 3
    except OSError:
        pass
    return 0


def file_stamp(path: Any) -> Any:
    """A path's own stamp, links followed: (type, size, modification and change times in ns,
    inode, device), or None when nothing is there."""
    return _stat_tuple(path, True)


def _newest(stamp: Any) -> int:
    """The latest modification or change time in a stamp (ns), 0 when none. Times are in the
    stat tuples of a stamp; a folder's listing (a list of names and types) holds none, and is
    not looked through (it is most of a repository's stamps)."""
    if not isinstance(stamp, tuple):
        return 0
    if len(stamp) == 6 and isinstance(stamp[0], int):
        return max(stamp[2], stamp[3])
    return max((_newest(part) for part in stamp), default=0)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    recorder = _ACTIVE
    if recorder is None:
        return
    if event == "open":
        recorder.opened(
            args[0], args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else None
        )
    elif event in ("os.scandir", "os.listdir"):
        recorder.listed(args[0] if args else None)


def _install_hook() -> None:
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_hook)
        _HOOKED = True


def record(step: Callable[[], Any], ignore: list[str]) -> tuple[Any, Recorder]:
    """Run ``step`` and return its result with what it read."""
    global _ACTIVE
    _install_hook()
    recorder = Recorder(ignore)
    real_stat, real_lstat = os.stat, os.lstat

    def stat_recorded(path: Any, *args: Any, **kwargs: Any) -> Any:
        recorder.stat(path)
        return real_stat(path, *args, **kwargs)

    def lstat_recorded(path: Any, *args: Any, **kwargs: Any) -> Any:
        recorder.stat(path)
        return real_lstat(path, *args, **kwargs)

    outer = _ACTIVE
    _ACTIVE = recorder
    os.stat, os.lstat = stat_recorded, lstat_recorded  # type: ignore[assignment]
    try:
        result = step()
    finally:
        os.stat, os.lstat = real_stat, real_lstat  # type: ignore[assignment]
        _ACTIVE = outer
    if outer is not None:  # a step inside a step: the outer one read all of this too
        outer.files |= recorder.files
        outer.folders |= recorder.folders
        outer.looked_up |= recorder.looked_up
        outer.stamped.update(recorder.stamped)
    return result, recorder


def ignored_paths(cache_dir: Path | str) -> list[str]:
    """The Python installation, flux-lint's own files and the cache folder."""
    from flux_lint.run.cache import data_roots

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(cache_dir)}
    roots.update(str(root) for root in data_roots())
    for entry in sys.path:
        if (entry and "site-packages" in entry) or entry.endswith(".zip"):
            roots.add(entry)
    return sorted(roots)


def _file(cache_dir: Path | str, key: str) -> str:
    from flux_lint import __version__
    from flux_lint.run.cache import code_fingerprint

    folder = f"{__version__}-{code_fingerprint()[:16]}"
    return os.path.join(cache_dir, folder, f"memo-{key}.pack")


def recall(cache_dir: Path | str, key: str) -> tuple[bool, Any]:
    """(True, result) when a record of ``key`` exists and every path it was made from is
    stamped as it was; (False, None) otherwise."""
    from flux_lint.core.sealed import Sealer, read_sealed

    path = _file(cache_dir, key)
    payload = read_sealed(Sealer(cache_dir), _KIND, path)
    if payload is None:
        return False, None
    try:
        stamps, result = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return False, None
    if not unchanged(stamps):
        return False, None
    note_inputs(stamps)
    with contextlib.suppress(OSError):
        os.utime(path)  # in use: not pruned
    return True, result


def note_inputs(stamps: list[tuple[str, str, Any]]) -> None:
    """Inside a recorded step, a result taken from a record was read from the record's
    paths: they are the step's inputs too (with the stamps just found equal)."""
    if _ACTIVE is not None:
        for kind, where, _ in stamps:
            {"d": _ACTIVE.folders, "p": _ACTIVE.files, "s": _ACTIVE.looked_up}[kind].add(where)
        _ACTIVE.note_stamps(stamps)


def note_read(path: Any) -> None:
    """Inside a recorded step, a file the step relies on without opening it (its content is
    known from its metadata: run/facts.py) is an input all the same."""
    if _ACTIVE is not None:
        _ACTIVE.files.add(path)


def unchanged(stamps: list[tuple[str, str, Any]]) -> bool:
    """Whether every path is stamped as it was.

    Most records are given up because a file was edited, and edits come back to the files
    edited last: so files are compared first, the most recently changed first, and folders,
    whose listings cost the most, last. A changed path is usually the first one compared."""
    stampers = {"p": path_stamp, "s": kind_stamp, "d": folder_stamp}
    order = sorted(
        range(len(stamps)),
        key=lambda i: (
            _COMPARED_FIRST.get(stamps[i][0], 3),
            -_newest(stamps[i][2]) if stamps[i][0] == "p" else 0,
        ),
    )
    for i in order:
        kind, where, stamp = stamps[i]
        if stampers[kind](where) != stamp:
            return False
    return True


#: The order :func:`unchanged` compares the kinds of stamps in.
_COMPARED_FIRST = {"p": 0, "s": 1, "d": 2}


def racy_limit(started: float) -> int:
    """The time (ns) from which a change is too recent to be told apart from an edit made
    while a step that started at ``started`` read the path."""
    return int((started - RACY_SECONDS) * 1e9)


def is_racy(stamp: Any, limit: int) -> bool:
    """Whether ``stamp`` changed at or after ``limit`` (see :func:`racy_limit`)."""
    return _newest(stamp) >= limit


def trustworthy(stamps: list[tuple[str, str, Any]], started: float) -> bool:
    """False when a path changed too recently to be told apart from an edit made while the
    step read it (see the module docstring)."""
    limit = racy_limit(started)
    return not any(is_racy(stamp, limit) for _, _, stamp in stamps)


def remember(
    cache_dir: Path | str, key: str, result: Any, recorder: Recorder, started: float
) -> bool:
    """Store ``result`` with the stamps of what ``recorder`` saw, unless one of them changed
    too recently to be trusted (see the module docstring) or cannot be encoded."""
    from flux_lint.core.sealed import Sealer, write_sealed

    stamps = recorder.stamps()
    if _ACTIVE is not None:  # a step inside a step: the outer one's record reuses them
        _ACTIVE.note_stamps(stamps)
    if not trustworthy(stamps, started):
        return False
    try:
        payload = marshal.dumps((stamps, result))
    except ValueError:
        return False
    return write_sealed(Sealer(cache_dir), _KIND, _file(cache_dir, key), payload)


def memoized(cache_dir: Path | str, key: str, step: Callable[[], Any]) -> Any:
    """``step()``, from the record of ``key`` when nothing it read changed since."""
    found, result = recall(cache_dir, key)
    if found:
        return result
    started = time.time()
    result, recorder = record(step, ignored_paths(cache_dir))
    remember(cache_dir, key, result, recorder, started)
    return result
