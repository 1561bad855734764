"""Looking above the linted paths: the repository root and the configuration file.

Both lookups stat a few names (``.git``, ``.flux-lint.yaml``, ``.flux-lint.yml``,
``pyproject.toml``) in each folder from the first linted path upwards, and read the one file
they settle on. A folder the user may not search, or a file they may not read, must not end
the run with an internal error, and must not be skipped silently either (a configuration that
is silently not read leaves rules on that the repository turned off). So every such path
becomes an :class:`Unreadable` entry, reported by the run as an FL003 finding at that path,
and the lookup carries on as if the name were not there.

Everything here touches the file system through :func:`os.stat` and :func:`os.open` only, so
a test can make either fail for any path and check that the lookups never raise.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A path a lookup could not look into: ``path`` is absolute, ``message`` says why."""

    path: Path
    message: str


@dataclass
class Lookup:
    """The paths the lookups of one run could not read, each once, in the order met."""

    problems: list[Unreadable] = field(default_factory=list)

    def note(self, path: Path, message: str) -> None:
        if all(problem.path != path for problem in self.problems):
            self.problems.append(Unreadable(path, message))

    def kind(self, path: Path, looking_for: str) -> str | None:
        """``"dir"``, ``"file"``, ``"other"``, or None when nothing is there.

        Only a folder that cannot be searched makes :func:`os.stat` fail with a permission
        error for a name in it, so that folder is the unreadable path, not the name.
        """
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return None  # a link loop named `.git` is no repository and no configuration
            self.note(path.parent, f"cannot look for {looking_for} here: {os_message(exc)}")
            return None
        if stat.S_ISDIR(info.st_mode):
            return "dir"
        return "file" if stat.S_ISREG(info.st_mode) else "other"

    def exists(self, path: Path, looking_for: str) -> bool:
        """Whether anything is at ``path``, without following a last symbolic link (a ``.git``
        link marks a repository as a ``.git`` folder does)."""
        try:
            os.stat(path, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            self.note(path.parent, f"cannot look for {looking_for} here: {os_message(exc)}")
            return False
        return True

    def read_text(self, path: Path) -> str | None:
        """The text of ``path``; None (and the path noted) when it cannot be read, or when it
        is not UTF-8 (then the caller reports what it expected instead)."""
        try:
            data = _read_bytes(path)
        except OSError as exc:
            self.note(path, f"cannot read: {os_message(exc)}")
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None


def _read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, opened without blocking (a FIFO named like a configuration file
    must not stop the run)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def os_message(exc: OSError) -> str:
    """An :class:`OSError` as the few words a finding ends with."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return (exc.strerror or str(exc)).lower()


def find_root(first: str | os.PathLike[str], lookup: Lookup | None = None) -> Path:
    """The directory display paths are relative to: the nearest folder holding ``.git`` at or
    above ``first``; else the current directory if ``first`` is inside it; else ``first``
    itself (its folder, for a file)."""
    lookup = lookup if lookup is not None else Lookup()
    path = Path(os.path.abspath(first))
    start = path if lookup.kind(path, "the repository root") == "dir" else path.parent
    for candidate in (start, *start.parents):
        if lookup.exists(candidate / ".git", "the repository root (.git)"):
            return candidate
    cwd = os.getcwd()
    for target in (str(path), os.path.realpath(path)):
        if _inside(target, cwd):
            return Path(cwd)
    return start


def in_repository(root: Path) -> bool:
    """Whether ``root`` is a git work tree (holds ``.git``), not a fallback folder."""
    return os.path.lexists(root / ".git")


def _inside(path: str, base: str) -> bool:
    """Is ``path`` equal to or below ``base`` (both absolute and normalised)?"""
    if path == base:
        return True
    return path.startswith(base if base.endswith(os.sep) else base + os.sep)


def named_path_problems(paths: list[str]) -> list[tuple[str, str]]:
    """``(path, message)`` for each path named on the command line that cannot be linted at
    all: missing, a dangling link or a link loop, a file that cannot be opened, a folder that
    cannot be listed. Such a run checked nothing there, so it must fail (exit code 2) whatever
    ``--fail-on`` says: a misspelt path in a CI job would otherwise pass for ever."""
    problems: list[tuple[str, str]] = []
    for path in paths:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            dangling = os.path.islink(path)
            problems.append((path, "dangling symlink" if dangling else "no such file or directory"))
            continue
        except OSError as exc:
            problems.append((path, os_message(exc)))
            continue
        try:
            if stat.S_ISDIR(info.st_mode):
                with os.scandir(path):
                    pass
            elif stat.S_ISREG(info.st_mode):  # never open a FIFO: that waits for a writer
                os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
        except OSError as exc:
            what = "cannot read directory" if stat.S_ISDIR(info.st_mode) else "cannot read"
            problems.append((path, f"{what}: {os_message(exc)}"))
    return problems
