"""Writing files without ever leaving a half-written one behind.

The new content goes to a temporary file in the same folder, is flushed to disk, takes the
original's permission bits, and replaces the original with one ``os.replace`` (atomic on POSIX
and Windows). An interrupted run leaves either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` atomically.

    Only regular files are replaced: a device, FIFO or socket (``-o /dev/null``,
    ``-o /dev/stdout``, a named pipe) is written to in place, because renaming over it would
    destroy the special file; a symbolic link is followed, so that it stays a link.
    """
    # Through a symbolic link, the file it points at is replaced and the link stays a link.
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        with open(target, "wb") as fh:
            fh.write(data)
        return
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        # A new file gets the mode a plain open() would give it, not mkstemp's 0600.
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
