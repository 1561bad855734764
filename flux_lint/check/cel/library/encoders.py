"""cel-go's encoders library: ``base64.encode(bytes)`` and ``base64.decode(string)``.

The API server's environment does not include it; it is here because tools that run CEL over
Kubernetes objects next to Flux (kro, policy engines) do, and user rules can use it.
``decode`` accepts the text with or without its ``=`` padding, as cel-go does.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from celpy import celtypes

from flux_lint.check.cel.budget import sized
from flux_lint.check.cel.registry import error, extension, is_string, no_overload


@extension("base64.encode")
def encode(data: Any) -> Any:
    """``base64.encode(b'hello')`` is ``'aGVsbG8='``."""
    if not isinstance(data, bytes):
        return no_overload("base64.encode", data)
    return celtypes.StringType(sized(base64.b64encode(bytes(data)).decode("ascii")))


@extension("base64.decode")
def decode(text: Any) -> Any:
    """``base64.decode('aGVsbG8=')`` and ``base64.decode('aGVsbG8')`` are ``b'hello'``."""
    if not is_string(text):
        return no_overload("base64.decode", text)
    raw = str(text)
    try:
        return celtypes.BytesType(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        pass
    try:  # cel-go retries without padding (base64.RawStdEncoding)
        if "=" in raw or len(raw) % 4 == 1:
            raise ValueError(raw)
        return celtypes.BytesType(base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True))
    except (binascii.Error, ValueError):
        return error("illegal base64 data at input byte 0")
