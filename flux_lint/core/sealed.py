"""Sealed files: what flux-lint keeps on disk between runs, written atomically and trusted
only when genuine.

Every such file starts with a header (magic, format, kind) and a keyed BLAKE2b MAC over its
payload; the key lives in the cache folder (``key``, mode 0600). A damaged, truncated or
foreign file is therefore read as missing, never decoded. The result cache (run/cache.py) and
the CEL parser tables (check/cel) both keep their files this way.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

# BLAKE2 and the constant-time comparison without ``hashlib`` and ``hmac``, which load OpenSSL:
# this module is on the path of a run answered from the cache, where every millisecond shows.
try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b
try:
    from _operator import _compare_digest as compare_digest
except ImportError:  # pragma: no cover
    from hmac import compare_digest

if TYPE_CHECKING:
    from pathlib import Path

#: Bumped whenever the layout of an entry changes.
FORMAT = 3
_MAGIC = b"FLUXLINT-CACHE\x00"
_MAC_SIZE = 32


def default_cache_dir() -> Path:
    """:func:`default_cache_folder` as a ``Path``."""
    from pathlib import Path

    return Path(default_cache_folder())


def default_cache_folder() -> str:
    """``$XDG_CACHE_HOME/flux-lint``, else ``~/.cache/flux-lint`` (the XDG base directory
    rule: a relative ``XDG_CACHE_HOME`` is ignored)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "flux-lint")


class Sealer:
    """Adds and checks the header and MAC of cache files.

    The key lives in the cache root (``key``, mode 0600). Two runs creating it at once agree on
    one: the key is written to a unique temporary name and hard-linked into place, and the
    loser reads the winner's.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = root
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = _load_or_create_key(os.path.join(self.root, "key"))
        return self._key

    def _mac(self, kind: bytes, payload: bytes | memoryview) -> bytes:
        mac = blake2b(key=self.key, digest_size=_MAC_SIZE)
        mac.update(kind)
        mac.update(payload)
        return mac.digest()

    def seal(self, kind: bytes, payload: bytes) -> bytes:
        """The prefix to write before ``payload`` (header and MAC): kept apart from the
        payload so that a pack of tens of megabytes is not copied to be written."""
        header = _MAGIC + FORMAT.to_bytes(2, "big") + len(kind).to_bytes(1, "big") + kind
        return header + self._mac(kind, payload)

    def unseal(self, kind: bytes, blob: bytes) -> memoryview | None:
        """The payload of ``blob`` (a view into it, not a copy), or None when the header or
        the MAC is wrong."""
        header = _MAGIC + FORMAT.to_bytes(2, "big") + len(kind).to_bytes(1, "big") + kind
        if not blob.startswith(header) or len(blob) < len(header) + _MAC_SIZE:
            return None
        view = memoryview(blob)
        mac = view[len(header) : len(header) + _MAC_SIZE]
        payload = view[len(header) + _MAC_SIZE :]
        if not compare_digest(mac, self._mac(kind, payload)):
            return None
        return payload


def _load_or_create_key(path: str) -> bytes:
    try:
        key = _read(path)
        if len(key) == 32:
            return key
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    key = os.urandom(32)
    temp = _temp_name(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)
    except FileExistsError:
        existing = _read(path)
        if len(existing) == 32:
            key = existing
        else:  # a broken key file: replace it (entries sealed with it are lost, not trusted)
            os.replace(temp, path)
            return key
    except OSError:  # no hard links on this file system: last writer wins
        os.replace(temp, path)
        return key
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return key


def _read(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _temp_name(path: str | os.PathLike[str]) -> str:
    return f"{path}.{os.getpid()}.{os.urandom(6).hex()}.tmp"


def write_atomic(path: str | os.PathLike[str], *parts: bytes) -> bool:
    """Write ``parts`` one after the other to ``path`` through a uniquely named temporary
    file and a rename; False (and nothing left behind) when that is impossible."""
    temp = _temp_name(path)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return False


def read_sealed(sealer: Sealer, kind: bytes, path: str | os.PathLike[str]) -> memoryview | None:
    """The payload of a sealed file, or None when it is missing, unreadable or not genuine."""
    try:
        blob = _read(path)
    except OSError:
        return None
    try:
        return sealer.unseal(kind, blob)
    except OSError:  # the key cannot be read or made
        return None


def write_sealed(sealer: Sealer, kind: bytes, path: str | os.PathLike[str], payload: bytes) -> bool:
    try:
        prefix = sealer.seal(kind, payload)
    except OSError:
        return False
    return write_atomic(path, prefix, payload)
