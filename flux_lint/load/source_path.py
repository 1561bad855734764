"""A file to lint, as discovery hands it over: the path to open and the path to show.

A walk finds every file of the repository, of which a warm run opens a few; making a
:class:`~pathlib.Path` for each costs more than finding it, so the path may be given as text
and its ``Path`` is made when first asked for.
"""

from __future__ import annotations

import os
from dataclasses import FrozenInstanceError
from pathlib import Path

__all__ = ["SourcePath"]


class SourcePath:
    """A file to lint: ``path`` to open, ``display`` to show (root-relative, POSIX, no ``./``).

    ``path`` may be given as a string: its :class:`~pathlib.Path` is made when first asked
    for. A walk finds every file of the repository, of which a warm run opens a few, and
    making a ``Path`` costs more than finding the file. Otherwise a frozen record: compared,
    hashed and shown by its path and display path.
    """

    __slots__ = ("_path", "display")

    _path: Path | str
    display: str

    def __init__(self, path: Path | str, display: str) -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "display", display)

    @property
    def path(self) -> Path:
        path = self._path
        if path.__class__ is str:
            path = Path(path)
            object.__setattr__(self, "_path", path)
        return path  # type: ignore[return-value]

    @property
    def path_text(self) -> str:
        """``path`` as text, without making the ``Path`` (for a file only looked up)."""
        path = self._path
        return path if path.__class__ is str else os.fspath(path)  # type: ignore[return-value]

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, SourcePath)
        return (self.path, self.display) == (other.path, other.display)

    def __hash__(self) -> int:
        return hash((self.path, self.display))

    def __repr__(self) -> str:
        return f"SourcePath(path={self.path!r}, display={self.display!r})"

    def __reduce__(self) -> tuple[type[SourcePath], tuple[Path | str, str]]:
        return SourcePath, (self._path, self.display)
