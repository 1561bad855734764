"""What the last run learned of each file, kept with the file's metadata: a file whose metadata
did not change is not read again.

A warm run takes every per-file result from the cache by the file's content hash; reading and
hashing every file to learn that hash was most of what such a run still did. So the cache also
keeps, per file, its *stamp* (size, modification and change times in nanoseconds, inode and
device) with its content hash and what the reading pass looks for in its text (whether it
holds a CRD, an object the applied set is computed from, a Flux version). When a file's stamp
is what it was, those facts stand and the file is not opened; a file with findings is read
when its text is shown.

The stamp is taken before the file is read: a file changed while it was read has a newer
stamp next time, and is read again then. As for remembered results (run/memo.py), a file
changed less than :data:`~flux_lint.run.memo.RACY_SECONDS` before the run started is not
remembered, since an edit within the file system's time granularity leaves its stamp as it
was.
"""

from __future__ import annotations

import stat
from typing import Any

from flux_lint.run import memo

__all__ = ["CRD", "FACTS_KEY", "STRUCTURE", "VERSION", "Facts", "flags_of"]

#: The cache entry holding the facts (it does not depend on the run's CRDs).
FACTS_KEY = "facts:"
#: Flags: the file looks like a CRD; it may hold a structural object
#: (model/structure_text.py); it mentions something that states a Flux version.
CRD, STRUCTURE, VERSION = 1, 2, 4


class Facts:
    """The facts of one run's files: those the run's cache holds, and those this run learns."""

    def __init__(self, cache: Any, started: float) -> None:
        self.cache = cache
        stored = cache.get_memo(FACTS_KEY)
        self._old: dict[str, Any] = stored if isinstance(stored, dict) else {}
        self._new: dict[str, Any] = {}
        self._limit = memo.racy_limit(started)
        self._stamps: dict[str, tuple[int, ...] | None] = {}
        self._answers: dict[str, tuple[str, int] | None] = {}
        #: Whether a file read was changed too recently to be remembered (a result made from
        #: it cannot be remembered either: run/memo.py).
        self.racy = False

    def known(self, display: str, path: Any) -> tuple[str, int] | None:
        """(content hash, flags) of a file whose stamp is as it was; None: read it (its
        stamp is taken now, before it is read)."""
        if display in self._answers:
            answer = self._answers[display]
            if answer is not None:  # a step recorded since depends on it as well
                memo.note_read(path)
            return answer
        stamp = memo.file_stamp(path)
        if stamp is not None and stamp[0] != stat.S_IFREG:
            stamp = None  # anything but a regular file is always read
        self._stamps[display] = stamp
        old = self._old.get(display)
        answer = None
        if stamp is not None and old is not None and tuple(old[0]) == stamp:
            memo.note_read(path)  # a remembered result made from this file depends on it
            self._new[display] = old
            answer = (old[1], old[2])
        self._answers[display] = answer
        return answer

    def learn(self, display: str, sha256: str, flags: int) -> None:
        """What reading a file showed; kept when its stamp (taken by :meth:`known`, before the
        file was read) is old enough to tell a later edit apart."""
        stamp = self._stamps.get(display)
        if stamp is None:
            return
        if memo.is_racy(stamp, self._limit):
            self.racy = True
            return
        self._new[display] = (stamp, sha256, flags)

    def save(self) -> None:
        """Keep what this run knows for the next one."""
        if not self._new:
            return
        if self._new == self._old:
            self.cache.get_memo(FACTS_KEY)  # kept as it is (the pack need not be written)
        else:
            self.cache.put_memo(FACTS_KEY, self._new)


def flags_of(display: str, text: str, raw: bytes | None) -> int:
    """What the reading pass looks for in a file (see :data:`CRD`)."""
    from flux_lint.check.schema.crds import looks_like_crd
    from flux_lint.model.flux_version import may_state_version
    from flux_lint.model.structure_text import may_hold_structure

    flags = CRD if looks_like_crd(raw if raw is not None else text) else 0
    if may_hold_structure(text):
        flags |= STRUCTURE
    if may_state_version(display, text):
        flags |= VERSION
    return flags
