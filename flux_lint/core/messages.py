"""How values appear in finding messages: one place, so every rule quotes values alike."""

from __future__ import annotations

import json
from typing import Any


def show(value: Any, limit: int = 80) -> str:
    """A value as it goes between backticks in a message: strings bare, the rest as JSON,
    on one line, without backticks of its own, and cut at ``limit`` characters."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
    text = text.replace("\n", "\\n").replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_type(value: Any) -> str:
    """The JSON-schema type name of a plain value (``boolean`` before ``integer``: in Python a
    bool is an int)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def failure(what: str, exc: BaseException) -> str:
    """The message of an internal-error finding: what failed, the exception, and the source
    line it was raised at (``rule FL101 failed on this object: KeyError: 'x' (schema.py:12)``),
    so a report can be acted on without a traceback."""
    import posixpath
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({posixpath.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    return f"{what}: {type(exc).__name__}: {exc}{where}"
