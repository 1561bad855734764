"""Read one manifest's bytes and decode them into text, or say precisely why that is impossible.

Every later stage works on the decoded text: fixes are character edits on it and positions are
character columns in it, so the text is kept verbatim (no newline translation) and only a byte
order mark is removed. What the bytes looked like (BOM, encoding, dominant newline, hash, size) is
kept beside the text so a fix can write the file back exactly as it was shaped.

Encodings follow what Kubernetes accepts: UTF-8, and UTF-16/UTF-32 when a byte order mark says so
(the Go YAML parser behind ``kubectl`` decodes those). Anything else is reported, not guessed: a
NUL byte means a binary file, and invalid UTF-8 is reported at the exact byte, line and column so
the user can find it.

A failure is a value (:class:`SourceError`), never an exception, because one bad file must not stop
a run over a whole repository.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from flux_lint.core.digests import sha256_hex

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
"""Large enough for any hand-written manifest, small enough that a stray dump cannot stall a run."""


BINARY_SNIFF_BYTES = 8192
"""How far to look for a NUL byte; the same window git uses to decide a file is binary."""

SourceErrorCode = Literal["unreadable", "not-text", "too-large"]

# UTF-32-LE must be tried before UTF-16-LE: its BOM (FF FE 00 00) starts with UTF-16-LE's (FF FE).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class SourceText:
    """A decoded file.

    ``text`` is exactly the file's content minus a byte order mark, so offsets into it are the
    offsets fixes and positions use. ``newline`` is the dominant line ending, for writing new
    lines that match the file. ``sha256`` and ``size`` describe the raw bytes (BOM included), so a
    caller can detect that a file changed under it before writing a fix back.
    """

    display: str
    text: str
    bom: bool
    newline: Literal["\n", "\r\n"]
    sha256: str
    size: int
    encoding: str = "utf-8"
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class SourceError:
    """Why a file could not be turned into text.

    ``code`` is stable and small so the caller can map it to one rule id; ``message`` is for
    people. For decoding failures ``offset`` (bytes from the start of the file), ``line`` and
    ``column`` (1-based, column in characters) point at the first bad byte so the caller can
    report a real position.
    """

    display: str
    code: SourceErrorCode
    message: str
    path: Path | None = None
    offset: int | None = None
    line: int | None = None
    column: int | None = None


def _open(path: Path) -> BinaryIO:
    """Open for reading with O_NONBLOCK, so that a FIFO without a writer cannot hang the run;
    the caller clears the flag so that a pipe with a writer (`<(kustomize build)`) reads fully."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    return open(fd, "rb", closefd=True)


def read_source(
    path: Path, display: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceText | SourceError:
    """Read and decode ``path``, reading at most ``max_bytes + 1`` bytes."""
    return read_source_and_bytes(path, display, max_bytes=max_bytes)[0]


def read_source_and_bytes(
    path: Path, display: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[SourceText | SourceError, bytes | None]:
    """:func:`read_source`, plus the raw bytes it decoded (None on an error), for callers that
    hash the content.

    The size limit is checked from ``fstat`` before reading when the file is a regular file, and
    again on the bytes actually read, because a file can grow after discovery and a FIFO has no
    size at all. A regular file is read with a buffer of its own size: asking for
    ``max_bytes + 1`` allocates that much for every small file, which made reading alone a
    tenth of a run over many small files.
    """
    try:
        with _open(path) as handle:
            info = os.fstat(handle.fileno())
            if hasattr(os, "set_blocking"):
                os.set_blocking(handle.fileno(), True)
            if stat.S_ISDIR(info.st_mode):
                return SourceError(display, "unreadable", "is a directory", path=path), None
            regular = stat.S_ISREG(info.st_mode)
            if regular and info.st_size > max_bytes:
                return _too_large(display, path, info.st_size, max_bytes), None
            if regular:
                data = handle.read(info.st_size + 1)
                if len(data) > info.st_size:  # it grew since fstat: read up to the limit
                    data += handle.read(max(0, max_bytes + 1 - len(data)))
            else:
                data = handle.read(max_bytes + 1)
    except OSError as exc:
        return SourceError(display, "unreadable", _os_error_message(exc), path=path), None
    if len(data) > max_bytes:
        size = max(info.st_size, len(data)) if regular else None
        return _too_large(display, path, size, max_bytes), None
    return decode_source(data, display, path=path), data


def read_stdin(
    max_bytes: int = DEFAULT_MAX_BYTES, *, stream: BinaryIO | None = None
) -> SourceText | SourceError:
    """Read a manifest from standard input (display path ``-``), with the same limits and checks.

    ``stream`` defaults to ``sys.stdin.buffer``; it is a parameter so callers that already hold a
    binary stream (and tests) need not swap the process's stdin.
    """
    source = sys.stdin.buffer if stream is None else stream
    try:
        data = source.read(max_bytes + 1)
    except OSError as exc:
        return SourceError("-", "unreadable", _os_error_message(exc))
    if len(data) > max_bytes:
        return _too_large("-", None, None, max_bytes)
    return decode_source(data, "-")


def decode_source(
    data: bytes, display: str, *, path: Path | None = None
) -> SourceText | SourceError:
    """Decode raw bytes the way :func:`read_source` does.

    Separate from the I/O so the rules about encodings can be used (and tested) on bytes that did
    not come from a file.
    """
    encoding, bom_length = "utf-8", 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, bom_length = name, len(bom)
            break
    # UTF-16 and UTF-32 text is full of NUL bytes, so only the 8-bit encoding is sniffed.
    if encoding == "utf-8" and b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return SourceError(display, "not-text", "binary file", path=path)
    body = data[bom_length:]
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        return _decode_error(display, path, body, encoding, bom_length, exc)
    return SourceText(
        display=display,
        text=text,
        bom=bom_length > 0,
        newline=_dominant_newline(text),
        sha256=sha256_hex(data),
        size=len(data),
        encoding=encoding,
        path=path,
    )


def _dominant_newline(text: str) -> Literal["\n", "\r\n"]:
    """The line ending most lines use; a tie or no line break at all gives ``\\n``.

    A fix that inserts lines uses this so an edited CRLF file does not end up with mixed endings.
    """
    crlf = text.count("\r\n")
    lf_only = text.count("\n") - crlf
    return "\r\n" if crlf > lf_only else "\n"


def _decode_error(
    display: str,
    path: Path | None,
    body: bytes,
    encoding: str,
    bom_length: int,
    exc: UnicodeDecodeError,
) -> SourceError:
    """Locate the first undecodable byte as offset, line and character column.

    Everything before ``exc.start`` decoded cleanly, so decoding that prefix again gives the
    exact line and column the user's editor shows.
    """
    start = exc.start
    prefix = body[:start].decode(encoding)
    line = prefix.count("\n") + 1
    column = len(prefix) - (prefix.rfind("\n") + 1) + 1
    offset = bom_length + start
    label = encoding.upper()
    if encoding == "utf-8":
        detail = f"byte 0x{body[start]:02x} at offset {offset}"
    else:
        detail = f"{exc.reason} at offset {offset}"
    message = f"invalid {label}: {detail} (line {line}, column {column})"
    return SourceError(
        display, "not-text", message, path=path, offset=offset, line=line, column=column
    )


def _too_large(display: str, path: Path | None, size: int | None, max_bytes: int) -> SourceError:
    amount = f"{size} bytes" if size is not None else f"more than {max_bytes} bytes"
    return SourceError(
        display, "too-large", f"file too large: {amount} (limit {max_bytes} bytes)", path=path
    )


def _os_error_message(exc: OSError) -> str:
    """A short, stable message: the path is already in the display, so it is not repeated."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file disappeared before it could be read"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return (exc.strerror or str(exc)).lower()
