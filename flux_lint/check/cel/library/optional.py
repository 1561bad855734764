"""CEL optional values, part of the API server's CEL from Kubernetes 1.29: ``optional.of``,
``optional.ofNonZeroValue``, ``optional.none``, ``optional.unwrap`` and the methods
``hasValue``, ``value``, ``or``, ``orValue``, ``unwrapOpt``, ``first`` and ``last``
(``optMap`` and ``optFlatMap`` are macros, and ``a.?b`` / ``a[?k]`` selections are syntax:
both are evaluated by the interpreter with :func:`select`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

from celpy import celtypes

from flux_lint.check.cel.registry import error, extension, no_overload

_ABSENT = object()


@dataclass(frozen=True, eq=False)
class CelOptional:
    """An optional value: a value, or none (``optional.none()``)."""

    CEL_TYPE: ClassVar[str] = "optional_type"
    value: Any = _ABSENT

    @property
    def present(self) -> bool:
        return self.value is not _ABSENT

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CelOptional):
            return NotImplemented
        if not self.present or not other.present:
            return self.present == other.present
        return bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.present)


NONE = CelOptional()


def of(value: Any) -> CelOptional:
    return CelOptional(value)


def select(target: Any, key: Any) -> Any:
    """``target.?key`` / ``target[?key]``: ``optional.of(target[key])`` when the map has the key
    (or the list the index), else ``optional.none()``; an optional target selects inside its
    value, so the selection is viral (``a.?b.c`` is none when ``b`` is missing)."""
    if isinstance(target, CelOptional):
        if not target.present:
            return NONE
        target = target.value
    if isinstance(target, dict):
        return of(target[key]) if key in target else NONE
    if isinstance(target, list) and isinstance(key, int) and not isinstance(key, bool):
        return of(target[key]) if 0 <= key < len(target) else NONE
    return no_overload("_[?_]", target, key)


@extension("optional.of")
def optional_of(value: Any) -> Any:
    return of(value)


@extension("optional.none")
def optional_none() -> Any:
    return NONE


def _is_zero(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (bool, int, float, str, bytes, list, dict)):
        return not value
    if isinstance(value, datetime.timedelta):
        return value == datetime.timedelta(0)
    if isinstance(value, datetime.datetime):
        return value.timestamp() == 0
    return False


@extension("optional.ofNonZeroValue")
def optional_of_non_zero_value(value: Any) -> Any:
    """``optional.of(value)``, or none for a zero value (``0``, ``''``, ``[]``, ``{}``,
    ``false``, ``null``)."""
    return NONE if _is_zero(value) else of(value)


@extension("hasValue")
def has_value(value: Any) -> Any:
    if not isinstance(value, CelOptional):
        return no_overload("hasValue", value)
    return celtypes.BoolType(value.present)


@extension("value")
def value_(value: Any) -> Any:
    if not isinstance(value, CelOptional):
        return no_overload("value", value)
    return value.value if value.present else error("optional.none() dereference")


@extension("or", "of")
def or_(value: Any, other: Any) -> Any:
    """``a.or(b)``: ``a`` when it has a value, else the optional ``b``."""
    if not isinstance(value, CelOptional) or not isinstance(other, CelOptional):
        return no_overload("or", value, other)
    return value if value.present else other


@extension("orValue")
def or_value(value: Any, default: Any) -> Any:
    """``a.orValue(v)``: the value of ``a``, or ``v``."""
    if not isinstance(value, CelOptional):
        return no_overload("orValue", value, default)
    return value.value if value.present else default


@extension("optional.unwrap", "unwrapOpt")
def unwrap(items: Any) -> Any:
    """The values of the optionals in a list that have one."""
    if not isinstance(items, list) or not all(isinstance(i, CelOptional) for i in items):
        return no_overload("optional.unwrap", items)
    return celtypes.ListType(i.value for i in items if i.present)


@extension("first")
def first(items: Any) -> Any:
    if not isinstance(items, list):
        return no_overload("first", items)
    return of(items[0]) if items else NONE


@extension("last")
def last(items: Any) -> Any:
    if not isinstance(items, list):
        return no_overload("last", items)
    return of(items[-1]) if items else NONE
