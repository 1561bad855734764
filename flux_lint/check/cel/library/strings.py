"""cel-go's extended strings library as the API server offers it (``ext.Strings`` version 2):
``charAt``, ``indexOf``, ``lastIndexOf``, ``lowerAscii``, ``upperAscii``, ``replace``,
``split``, ``substring``, ``trim``, ``join`` and ``strings.quote`` (``format`` has a module of
its own), plus ``reverse``.

Indexes count code points, as Go's ``[]rune`` does. ``indexOf``, ``lastIndexOf`` and
``reverse`` also take lists (the Kubernetes list library and cel-go's lists library), so the
list forms are dispatched here too: one CEL name is one registered function.
"""

from __future__ import annotations

from typing import Any

from celpy import celtypes

from flux_lint.check.cel.budget import check_length, sized
from flux_lint.check.cel.registry import error, extension, is_int, is_string, values_equal

_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}

#: Unicode White_Space, which Go's ``strings.TrimSpace`` (and so cel-go's ``trim``) removes;
#: Python's ``str.strip()`` would also remove the ASCII separators U+001C..U+001F.
WHITE_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


@extension("lowerAscii")
def lower_ascii(text: Any) -> Any:
    if not is_string(text):
        return error("no such overload: lowerAscii")
    return celtypes.StringType(str(text).translate(_LOWER))


@extension("upperAscii")
def upper_ascii(text: Any) -> Any:
    if not is_string(text):
        return error("no such overload: upperAscii")
    return celtypes.StringType(str(text).translate(_UPPER))


@extension("trim")
def trim(text: Any) -> Any:
    if not is_string(text):
        return error("no such overload: trim")
    return celtypes.StringType(str(text).strip(WHITE_SPACE))


@extension("charAt")
def char_at(text: Any, index: Any) -> Any:
    if not is_string(text) or not is_int(index):
        return error("no such overload: charAt")
    if index < 0 or index > len(text):
        return error(f"index out of range: {index}")
    return celtypes.StringType(str(text)[index : index + 1])


@extension("indexOf")
def index_of(container: Any, item: Any, offset: Any = None) -> Any:
    """``'abc'.indexOf('c')`` (code points; an offset beyond the end finds nothing) and
    ``[1, 2].indexOf(2)`` (list library)."""
    if isinstance(container, list) and offset is None:
        for i, value in enumerate(container):
            if values_equal(value, item):
                return celtypes.IntType(i)
        return celtypes.IntType(-1)
    start = 0 if offset is None else offset
    if not is_string(container, item) or not is_int(start):
        return error("no such overload: indexOf")
    text, sub = str(container), str(item)
    if sub == "":
        return celtypes.IntType(start)
    if start < 0:
        return error(f"index out of range: {start}")
    if start >= len(text):
        return celtypes.IntType(-1)
    return celtypes.IntType(text.find(sub, start))


@extension("lastIndexOf")
def last_index_of(container: Any, item: Any, offset: Any = None) -> Any:
    """The start of the last occurrence, optionally at or before ``offset``."""
    if isinstance(container, list) and offset is None:
        for i in range(len(container) - 1, -1, -1):
            if values_equal(container[i], item):
                return celtypes.IntType(i)
        return celtypes.IntType(-1)
    if not is_string(container, item) or (offset is not None and not is_int(offset)):
        return error("no such overload: lastIndexOf")
    text, sub = str(container), str(item)
    if offset is None:
        return celtypes.IntType(text.rfind(sub))
    if sub == "":
        return celtypes.IntType(offset)
    if offset < 0:
        return error(f"index out of range: {offset}")
    if offset >= len(text):
        return celtypes.IntType(-1)
    return celtypes.IntType(text.rfind(sub, 0, offset + len(sub)))


@extension("replace")
def replace(text: Any, old: Any, new: Any, count: Any = -1) -> Any:
    if not is_string(text, old, new) or not is_int(count):
        return error("no such overload: replace")
    if len(new) > len(old):
        # Check the length before building a string that could be far too large.
        found = str(text).count(str(old))
        check_length(len(text) + (found if count < 0 else min(count, found)) * len(new))
    return celtypes.StringType(str(text).replace(str(old), str(new), count))


@extension("split")
def split(text: Any, separator: Any, limit: Any = -1) -> Any:
    """Go's ``strings.SplitN``: ``limit`` 0 gives an empty list, an empty separator splits
    into code points."""
    if not is_string(text, separator) or not is_int(limit):
        return error("no such overload: split")
    value, sep = str(text), str(separator)
    if limit == 0:
        return celtypes.ListType()
    if sep == "":
        parts = list(value)
        if 0 < limit < len(parts):
            parts = [*parts[: limit - 1], "".join(parts[limit - 1 :])]
    else:
        parts = value.split(sep, limit - 1 if limit > 0 else -1)
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


@extension("substring")
def substring(text: Any, start: Any, end: Any = None) -> Any:
    if not is_string(text) or not is_int(start) or (end is not None and not is_int(end)):
        return error("no such overload: substring")
    stop = len(text) if end is None else end
    if start > stop:
        return error(f"invalid substring range. start: {start}, end: {stop}")
    if start < 0 or start > len(text):
        return error(f"index out of range: {start}")
    if stop > len(text):
        return error(f"index out of range: {stop}")
    return celtypes.StringType(str(text)[start:stop])


@extension("join")
def join(items: Any, separator: Any = "") -> Any:
    if not isinstance(items, list) or not is_string(separator, *items):
        return error("no such overload: join")
    return celtypes.StringType(sized(str(separator).join(str(i) for i in items)))


@extension("reverse")
def reverse(value: Any) -> Any:
    """A list's items (cel-go's lists library) or a string's code points in reverse order."""
    if isinstance(value, list):
        return celtypes.ListType(reversed(value))
    if not is_string(value):
        return error("no such overload: reverse")
    return celtypes.StringType(str(value)[::-1])


_QUOTED = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


@extension("strings.quote")
def quote(text: Any) -> Any:
    """``strings.quote('a"b')`` is ``"a\\"b"``: the text in double quotes, with the escape
    sequences written out (invalid UTF-8, which a YAML string cannot hold, aside)."""
    if not is_string(text):
        return error("no such overload: strings.quote")
    body = "".join(_QUOTED.get(c, c) for c in str(text))
    return celtypes.StringType(sized(f'"{body}"'))
