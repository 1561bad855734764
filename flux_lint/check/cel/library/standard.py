"""Standard CEL functions where cel-python answers differently from cel-go.

``size(null)`` is an error in cel-go (cel-python answers 0), and ``matches()`` is an RE2
search (``regexp.MatchString``), so ``^`` and ``$`` anchor only at the ends of the text and
patterns RE2 refuses are errors.
"""

from __future__ import annotations

from typing import Any

from celpy import celtypes

from flux_lint.check.cel.registry import error, extension, is_string, type_name
from flux_lint.core.regex import compile_pattern


@extension("size")
def size(value: Any) -> Any:
    """``size(null)`` is an error in CEL; cel-python would answer 0."""
    if isinstance(value, (str, bytes, list, dict)):
        return celtypes.IntType(len(value))
    return error(f"no such overload: size({type_name(value)})")


@extension("matches")
def matches(text: Any, pattern: Any) -> Any:
    """RE2 search, like ``regexp.MatchString`` in cel-go."""
    if not is_string(text, pattern):
        return error("no such overload: matches")
    try:
        return celtypes.BoolType(compile_pattern(str(pattern)).search(str(text)))
    except ValueError as exc:
        return error(str(exc))
