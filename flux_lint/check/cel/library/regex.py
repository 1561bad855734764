"""The Kubernetes regex library: ``find`` and ``findAll``, with RE2 as on the API server.

``'abc 123'.find('[0-9]+')`` is the first match or ``''``; ``findAll`` gives every match, or
the first ``n`` with ``findAll(pattern, n)``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2
from celpy import celtypes
from celpy.evaluation import CELEvalError

from flux_lint.check.cel.registry import error, extension, is_int, is_string


@lru_cache(maxsize=256)
def _re2(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


def compiled(pattern: Any) -> Any:
    """The RE2 program for ``pattern``, or a CEL error value."""
    try:
        return _re2(str(pattern))
    except re2.error:
        return error(f"invalid regular expression `{pattern}`")


@extension("find")
def find(text: Any, pattern: Any) -> Any:
    """The first match of ``pattern`` in ``text``, or ``""``."""
    if not is_string(text, pattern):
        return error("no such overload: find")
    regexp = compiled(pattern)
    if isinstance(regexp, CELEvalError):
        return regexp
    match = regexp.search(str(text))
    return celtypes.StringType(match.group(0) if match else "")


@extension("findAll")
def find_all(text: Any, pattern: Any, limit: Any = -1) -> Any:
    """All (or the first ``limit``) matches of ``pattern`` in ``text``."""
    if not is_string(text, pattern) or not is_int(limit):
        return error("no such overload: findAll")
    regexp = compiled(pattern)
    if isinstance(regexp, CELEvalError):
        return regexp
    return celtypes.ListType(celtypes.StringType(m) for m in _go_find_all(regexp, str(text), limit))


def _go_find_all(regexp: Any, text: str, limit: int) -> list[str]:
    """Go's ``FindAllString``: successive non-overlapping matches, where an empty match right
    after the previous match is skipped (Python's ``finditer`` keeps it)."""
    found: list[str] = []
    position, previous_end = 0, -1
    while position <= len(text) and (limit < 0 or len(found) < limit):
        match = regexp.search(text, position)
        if match is None:
            break
        start, end = match.span()
        accept = True
        if end == position:  # an empty match at the search position
            accept = start != previous_end
            position += 1
        else:
            position = end
        previous_end = end
        if accept:
            found.append(match.group(0))
    return found
