"""List functions: the Kubernetes list library (``isSorted``, ``sum``, ``min``, ``max``; its
``indexOf`` and ``lastIndexOf`` share their names with the strings library and live there) and
cel-go's lists extension at the version the API server offers from Kubernetes 1.34
(``slice``, ``flatten``, ``distinct``, ``sort``, ``lists.range``; ``reverse`` is with the
strings; ``sortBy`` is a macro, evaluated by the interpreter with :func:`sort_by_keys`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cmp_to_key
from itertools import pairwise
from typing import Any

from celpy import celtypes

from flux_lint.check.cel.budget import check_length
from flux_lint.check.cel.registry import (
    error,
    extension,
    is_int,
    no_overload,
    type_name,
    values_equal,
)

#: The element types ``sort`` and ``sortBy`` order (cel-go's comparable types).
_ORDERED = (
    celtypes.IntType,
    celtypes.UintType,
    celtypes.DoubleType,
    celtypes.BoolType,
    celtypes.StringType,
    celtypes.BytesType,
    datetime,
    timedelta,
)


@extension("isSorted")
def is_sorted(items: Any) -> Any:
    if not isinstance(items, list):
        return error("no such overload: isSorted")
    try:
        return celtypes.BoolType(all(a <= b for a, b in pairwise(items)))
    except TypeError:
        return error("no such overload: isSorted")


@extension("sum")
def sum_(items: Any) -> Any:
    if not isinstance(items, list):
        return error("no such overload: sum")
    if not items:
        return celtypes.IntType(0)
    try:
        total = items[0]
        for item in items[1:]:
            total = total + item
        return total
    except (TypeError, ValueError):
        return error("no such overload: sum")


@extension("max")
def max_(items: Any) -> Any:
    if not isinstance(items, list) or not items:
        return error("max called on an empty list" if items == [] else "no such overload: max")
    try:
        return max(items)
    except TypeError:
        return error("no such overload: max")


@extension("min")
def min_(items: Any) -> Any:
    if not isinstance(items, list) or not items:
        return error("min called on an empty list" if items == [] else "no such overload: min")
    try:
        return min(items)
    except TypeError:
        return error("no such overload: min")


@extension("slice")
def slice_(items: Any, start: Any, end: Any) -> Any:
    """``[1, 2, 3, 4].slice(1, 3)`` is ``[2, 3]``."""
    if not isinstance(items, list) or not is_int(start, end):
        return no_overload("slice", items, start, end)
    if start < 0 or end < 0:
        return error(f"cannot slice({start}, {end}), negative indexes not supported")
    if start > end:
        return error(
            f"cannot slice({start}, {end}), start index must be less than or equal to end index"
        )
    if len(items) < end:
        return error(f"cannot slice({start}, {end}), list is length {len(items)}")
    return celtypes.ListType(items[start:end])


@extension("flatten")
def flatten(items: Any, depth: Any = None) -> Any:
    """``[1, [2, [3]]].flatten()`` is ``[1, 2, [3]]``: one level, or ``depth`` levels."""
    if not isinstance(items, list) or (depth is not None and not is_int(depth)):
        return no_overload("flatten", items)
    levels = 1 if depth is None else int(depth)
    if levels < 0:
        return error("level must be non-negative")
    flat = _flatten(items, levels)
    check_length(len(flat))
    return celtypes.ListType(flat)


def _flatten(items: list[Any], depth: int) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, list) and depth > 0:
            out.extend(_flatten(item, depth - 1))
        else:
            out.append(item)
    return out


@extension("distinct")
def distinct(items: Any) -> Any:
    """The items in their first order, each value once (CEL equality: ``1`` and ``1.0`` are
    one value)."""
    if not isinstance(items, list):
        return no_overload("distinct", items)
    unique: list[Any] = []
    for item in items:
        if not any(values_equal(item, seen) for seen in unique):
            unique.append(item)
    return celtypes.ListType(unique)


@extension("sort")
def sort(items: Any) -> Any:
    """``[3, 1, 2].sort()`` is ``[1, 2, 3]``; the items must be of one comparable type."""
    if not isinstance(items, list):
        return no_overload("sort", items)
    return sort_by_keys(items, items)


def sort_by_keys(items: list[Any], keys: list[Any]) -> Any:
    """``items`` ordered by ``keys`` (a stable sort), or cel-go's error."""
    if not items:
        return celtypes.ListType()
    first = keys[0]
    if not isinstance(first, _ORDERED):
        return error("list elements must be comparable")
    kind = type_name(first)
    if any(type_name(k) != kind for k in keys):
        return error("list elements must have the same type")

    def compare(a: int, b: int) -> int:
        return (keys[a] > keys[b]) - (keys[a] < keys[b])

    order = sorted(range(len(items)), key=cmp_to_key(compare))
    return celtypes.ListType(items[i] for i in order)


@extension("lists.range")
def range_(count: Any) -> Any:
    """``lists.range(3)`` is ``[0, 1, 2]``."""
    if not is_int(count):
        return no_overload("lists.range", count)
    check_length(int(count))
    return celtypes.ListType(celtypes.IntType(i) for i in range(int(count)))
