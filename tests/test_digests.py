"""SHA-256 digests: the interpreter's own for a small run's few bytes, OpenSSL's after."""

from __future__ import annotations

import hashlib

from flux_lint.core import digests


def test_the_digest_is_hashlibs_on_both_sides_of_the_switch(monkeypatch) -> None:
    monkeypatch.setattr(digests, "_builtin_hashed", 0)
    small, big = b"apiVersion: v1\n" * 10, b"x" * (digests.BUILTIN_SHA256_BYTES + 1)
    assert digests.sha256_hex(small) == hashlib.sha256(small).hexdigest()
    assert digests._builtin_hashed == len(small)  # counted: the built-in one hashed it
    assert digests.sha256_hex(big) == hashlib.sha256(big).hexdigest()
    assert digests._builtin_hashed == len(small)  # too big: OpenSSL's
    monkeypatch.setattr(digests, "_builtin_hashed", digests.BUILTIN_SHA256_BYTES)
    assert digests.sha256_hex(small) == hashlib.sha256(small).hexdigest()
    assert digests._builtin_hashed == digests.BUILTIN_SHA256_BYTES
    assert digests.sha256_hex(b"") == hashlib.sha256(b"").hexdigest()
