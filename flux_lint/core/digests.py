"""SHA-256 digests without loading OpenSSL for the few small inputs of a small run.

``hashlib`` loads OpenSSL (a few milliseconds), which a run that reads one or two changed
files (a pre-commit hook, an edit in a warm repository) and prints a few findings'
fingerprints does not need: their bytes are hashed by the interpreter's built-in SHA-256 in
microseconds. Once more than :data:`BUILTIN_SHA256_BYTES` went through it, OpenSSL's several
times faster one takes over. Both give the same digest.
"""

from __future__ import annotations

__all__ = ["BUILTIN_SHA256_BYTES", "sha256_hex"]

#: Bytes hashed with the interpreter's own SHA-256 before OpenSSL's is loaded.
BUILTIN_SHA256_BYTES = 256 * 1024
_builtin_hashed = 0


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex (see the module docstring)."""
    global _builtin_hashed
    if _builtin_hashed + len(data) <= BUILTIN_SHA256_BYTES:
        try:
            from _sha256 import sha256  # Python 3.10 and 3.11
        except ImportError:
            try:
                from _sha2 import sha256  # Python 3.12 and later
            except ImportError:  # pragma: no cover - built without them
                sha256 = None
        if sha256 is not None:
            _builtin_hashed += len(data)
            return sha256(data).hexdigest()
    import hashlib

    return hashlib.sha256(data).hexdigest()
