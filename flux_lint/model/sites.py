"""Where an object holds a ``$``: the strings post-build substitution may change.

Kept apart from model/substitution.py (the substitution itself) because the per-file pass
works these out for every object it indexes (:attr:`IndexEntry.sites`), and that pass should
not load the substitution machinery for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Site", "dollar_sites", "string_sites"]


@dataclass(frozen=True, slots=True)
class Site:
    """A string in a manifest: a value (``key=False``) or a mapping key at ``pointer``."""

    pointer: str
    text: str
    key: bool = False


def _escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def string_sites(data: Any, pointer: str = "") -> Iterator[Site]:
    """Every string value and mapping key below ``data`` that holds a ``$``, in document order
    (a key before its value): substitution runs over the serialised object, keys included."""
    # Most nodes are leaves without a `$`: they are passed over before a pointer is made.
    stack: list[tuple[str, Any, bool]] = [(pointer, data, False)]
    while stack:
        where, value, is_key = stack.pop()
        if is_key:
            yield Site(where, value, key=True)
        elif isinstance(value, str):
            if "$" in value:
                yield Site(where, value)
        elif isinstance(value, dict):
            for key, sub in reversed(list(value.items())):
                keyed = isinstance(key, str) and "$" in key
                if not keyed and not _may_hold(sub):
                    continue
                child = f"{where}/{_escape(key)}"
                stack.append((child, sub, False))
                if keyed:
                    stack.append((child, key, True))
        elif isinstance(value, list):
            for i in range(len(value) - 1, -1, -1):
                sub = value[i]
                if _may_hold(sub):
                    stack.append((f"{where}/{i}", sub, False))


def dollar_sites(data: Any) -> tuple[tuple[str, str, bool], ...]:
    """:func:`string_sites` of an object as plain tuples (what an index entry keeps); one
    C-speed serialisation tells most objects apart: no ``$``, nothing to walk."""
    if "$" not in json.dumps(data, ensure_ascii=False, default=str):
        return ()
    return tuple((site.pointer, site.text, site.key) for site in string_sites(data))


def _may_hold(value: Any) -> bool:
    """Whether a value may hold a string with a `$`: a collection, or such a string."""
    return "$" in value if isinstance(value, str) else isinstance(value, (dict, list))
