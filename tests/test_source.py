"""Tests for reading and decoding sources: encodings, newlines, limits and unreadable files."""

from __future__ import annotations

import codecs
import hashlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flux_lint.load import source
from flux_lint.load.source import (
    SourceError,
    SourceText,
    decode_source,
    read_source,
    read_stdin,
)


def put(tmp_path: Path, data: bytes, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_plain_utf8(tmp_path: Path) -> None:
    data = "kind: ConfigMap\ndata:\n  k: café\n".encode()
    path = put(tmp_path, data)
    assert read_source(path, "f.yaml") == SourceText(
        display="f.yaml",
        text="kind: ConfigMap\ndata:\n  k: café\n",
        bom=False,
        newline="\n",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        encoding="utf-8",
        path=path,
    )


def test_empty_file_is_valid_text(tmp_path: Path) -> None:
    result = read_source(put(tmp_path, b""), "f.yaml")
    assert isinstance(result, SourceText)
    assert (result.text, result.size, result.bom, result.newline) == ("", 0, False, "\n")
    assert result.sha256 == hashlib.sha256(b"").hexdigest()


def test_utf8_bom_is_stripped_and_remembered(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + b"a: 1\n"
    result = read_source(put(tmp_path, data), "f.yaml")
    assert isinstance(result, SourceText)
    assert (result.text, result.bom, result.encoding) == ("a: 1\n", True, "utf-8")
    assert result.size == 8
    assert result.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("text", "newline"),
    [
        ("a: 1\r\nb: 2\r\n", "\r\n"),
        ("a: 1\r\nb: 2\r\nc: 3\n", "\r\n"),
        ("a: 1\r\nb: 2\nc: 3\n", "\n"),
        ("a: 1\r\nb: 2\n", "\n"),
        ("a: 1", "\n"),
    ],
)
def test_dominant_newline(tmp_path: Path, text: str, newline: str) -> None:
    result = read_source(put(tmp_path, text.encode()), "f.yaml")
    assert isinstance(result, SourceText)
    assert result.newline == newline
    assert result.text == text  # line endings are kept as they are


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_bom(tmp_path: Path, encoding: str) -> None:
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }[encoding]
    data = bom + "a: é\r\n".encode(encoding)
    result = read_source(put(tmp_path, data), "f.yaml")
    assert isinstance(result, SourceText)
    assert (result.text, result.bom, result.encoding, result.newline) == (
        "a: é\r\n",
        True,
        encoding,
        "\r\n",
    )
    assert result.size == len(data)


def test_truncated_utf16_is_not_text(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "a\nb".encode("utf-16-le") + b"\x00"
    result = read_source(put(tmp_path, data), "f.yaml")
    assert result == SourceError(
        "f.yaml",
        "not-text",
        "invalid UTF-16-LE: truncated data at offset 8 (line 2, column 2)",
        path=tmp_path / "f.yaml",
        offset=8,
        line=2,
        column=2,
    )


def test_nul_byte_means_binary(tmp_path: Path) -> None:
    path = put(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00")
    assert read_source(path, "f.yaml") == SourceError(
        "f.yaml", "not-text", "binary file", path=path
    )


def test_nul_byte_after_the_sniff_window_is_left_to_the_parser(tmp_path: Path) -> None:
    data = b"#" * source.BINARY_SNIFF_BYTES + b"\x00"
    assert isinstance(read_source(put(tmp_path, data), "f.yaml"), SourceText)


def test_invalid_utf8_reports_offset_line_and_character_column(tmp_path: Path) -> None:
    # Line 2 is "k: é" then a bad byte: column counts characters, so é is one column.
    data = b"a: 1\nk: \xc3\xa9\xff\n"
    path = put(tmp_path, data)
    assert read_source(path, "f.yaml") == SourceError(
        "f.yaml",
        "not-text",
        "invalid UTF-8: byte 0xff at offset 10 (line 2, column 5)",
        path=path,
        offset=10,
        line=2,
        column=5,
    )


def test_invalid_utf8_offset_counts_the_bom(tmp_path: Path) -> None:
    result = read_source(put(tmp_path, codecs.BOM_UTF8 + b"\xc3("), "f.yaml")
    assert isinstance(result, SourceError)
    assert (result.code, result.offset, result.line, result.column) == ("not-text", 3, 1, 1)
    assert result.message == "invalid UTF-8: byte 0xc3 at offset 3 (line 1, column 1)"


def test_too_large(tmp_path: Path) -> None:
    path = put(tmp_path, b"a" * 101)
    assert read_source(path, "f.yaml", max_bytes=100) == SourceError(
        "f.yaml", "too-large", "file too large: 101 bytes (limit 100 bytes)", path=path
    )
    assert isinstance(read_source(path, "f.yaml", max_bytes=101), SourceText)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_too_large_stream_reads_at_most_limit_plus_one(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    # The test holds a reader of its own first, so the writer connects at once and the data is
    # in the pipe before read_source opens it (a writer thread racing the reader could find no
    # reader at all and wait forever).
    keep = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(fifo, os.O_WRONLY)
    try:
        os.write(writer, b"a" * 1000)
        result = read_source(fifo, "pipe.yaml", max_bytes=100)
    finally:
        os.close(writer)
        os.close(keep)
    assert result == SourceError(
        "pipe.yaml",
        "too-large",
        "file too large: more than 100 bytes (limit 100 bytes)",
        path=fifo,
    )


def test_vanished_file(tmp_path: Path) -> None:
    path = put(tmp_path, b"a: 1\n")
    path.unlink()
    assert read_source(path, "f.yaml") == SourceError(
        "f.yaml", "unreadable", "file disappeared before it could be read", path=path
    )


def test_directory(tmp_path: Path) -> None:
    assert read_source(tmp_path, "d") == SourceError(
        "d", "unreadable", "is a directory", path=tmp_path
    )


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = put(tmp_path, b"a: 1\n")

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(source, "_open", denied)
    assert read_source(path, "f.yaml") == SourceError(
        "f.yaml", "unreadable", "permission denied", path=path
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied_by_mode(tmp_path: Path) -> None:
    path = put(tmp_path, b"a: 1\n")
    path.chmod(0)
    assert read_source(path, "f.yaml") == SourceError(
        "f.yaml", "unreadable", "permission denied", path=path
    )


def test_read_stdin() -> None:
    result = read_stdin(stream=io.BytesIO(codecs.BOM_UTF8 + b"a: 1\r\n"))
    assert isinstance(result, SourceText)
    assert (result.display, result.text, result.bom, result.newline, result.path) == (
        "-",
        "a: 1\r\n",
        True,
        "\r\n",
        None,
    )


def test_read_stdin_too_large_reads_at_most_limit_plus_one() -> None:
    requested: list[int | None] = []

    class Spy(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            requested.append(size)
            return super().read(size)

    stream = Spy(b"a" * 50)
    assert read_stdin(10, stream=stream) == SourceError(
        "-", "too-large", "file too large: more than 10 bytes (limit 10 bytes)"
    )
    assert requested == [11]


def test_read_stdin_error() -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError(5, "Input/output error")

    assert read_stdin(stream=Broken()) == SourceError("-", "unreadable", "input/output error")


@given(st.binary(max_size=200))
def test_decode_never_raises_and_round_trips(data: bytes) -> None:
    result = decode_source(data, "x.yaml")
    if isinstance(result, SourceText):
        prefix = codecs.BOM_UTF8 if result.bom and result.encoding == "utf-8" else b""
        if result.encoding == "utf-8":
            assert prefix + result.text.encode() == data
    else:
        assert result.code == "not-text"
        if result.offset is not None:
            assert 0 <= result.offset < len(data)
