"""Manifest values as CEL sees them, following the schema the way the API server converts
an object before its rules run.

``number`` is always a double and ``integer`` an int; ``byte``, ``date``, ``date-time`` and
``duration`` strings become bytes, timestamps and durations when they are well formed (a
malformed one stays a string: the schema check reports it, and CEL must not fail on it);
fields the schema does not declare are not visible; at the root only ``metadata.name`` and
``metadata.generateName`` exist. An integer beyond the int64 range is what the API server's
JSON decoder makes of it, a double (the schema check reports the range).

:func:`to_cel` gives cel-python values for the interpreter, :func:`to_visible` the cheaper
plain values the fast path (:mod:`.fast`) works on, and :class:`CelView` converts a document
once, the first time a rule needs a node, and hands out sub-values to every later rule.

cel-python is loaded on the first conversion to its values, not before: the fast path's plain
values never need it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["OPAQUE", "CelView", "to_cel", "to_python", "to_visible"]

#: cel-python's ``celtypes`` module, once a conversion needs it (:func:`_load`).
celtypes: Any = None


def _load() -> None:
    global celtypes
    from celpy import celtypes as loaded

    celtypes = loaded


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def to_cel(value: Any, schema: Mapping[str, Any] | None = None, *, root: bool = False) -> Any:
    """Convert a plain JSON value to cel-python values.

    With a structural ``schema`` the conversion follows the API server: ``number`` fields are
    doubles even when written ``1``, ``integer`` fields are ints, ``byte``/``date``/
    ``date-time``/``duration`` strings become bytes/timestamps/durations, and fields the schema
    does not declare are left out (the API server prunes them before any rule runs). ``root``
    restricts ``metadata`` to ``name`` and ``generateName``, the only metadata rules can read.
    """
    if celtypes is None:
        _load()
    if value is None:
        return None
    if schema is None:
        return _generic(value)
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        if schema.get("type") == "number" or not _INT64_MIN <= value <= _INT64_MAX:
            return _double(value)
        return celtypes.IntType(value)
    if isinstance(value, float):
        if schema.get("type") == "integer" and value.is_integer() and _fits_int64(value):
            return celtypes.IntType(int(value))
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return _string(value, schema.get("format"))
    if isinstance(value, list):
        items = schema.get("items")
        item_schema = items if isinstance(items, Mapping) else None
        return celtypes.ListType([to_cel(v, item_schema) for v in value])
    if isinstance(value, dict):
        return _object(value, schema, root)
    return _generic(value)


def _object(value: dict[str, Any], schema: Mapping[str, Any], root: bool) -> Any:
    result = celtypes.MapType()
    for key, item, sub in _visible_fields(value, schema, root):
        result[celtypes.StringType(key)] = to_cel(item, sub)
    return result


def _visible_fields(
    value: dict[str, Any], schema: Mapping[str, Any], root: bool
) -> Iterator[tuple[str, Any, Mapping[str, Any] | None]]:
    """The fields of an object that CEL can read, each with its schema (``None``: untyped).

    Declared properties and ``additionalProperties`` values are visible. Undeclared fields are
    not: the API server prunes them, or keeps them under ``x-kubernetes-preserve-unknown-fields``
    without making them readable. ``metadata`` at the root, and in embedded resources, shows
    only ``name`` and ``generateName``; an embedded resource also shows ``apiVersion``/``kind``.
    """
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    additional = schema.get("additionalProperties")
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    for key, item in value.items():
        if key == "metadata" and (root or embedded) and isinstance(item, dict):
            yield key, {k: v for k, v in item.items() if k in ("name", "generateName")}, None
        elif key in properties:
            yield key, item, properties[key]
        elif isinstance(additional, Mapping):
            yield key, item, additional
        elif embedded and key in ("apiVersion", "kind"):
            yield key, item, None


def _fits_int64(value: float) -> bool:
    """Whether a whole double is an int64 (2**63 itself, a double, is one too many)."""
    return -(2.0**63) <= value < 2.0**63


def _double(value: int) -> Any:
    """An integer as a double; one too large even for that is infinite, as in Go."""
    try:
        return celtypes.DoubleType(float(value))
    except OverflowError:
        return celtypes.DoubleType(float("inf") if value > 0 else float("-inf"))


def _string(value: str, fmt: Any) -> Any:
    try:
        if fmt == "byte":
            return celtypes.BytesType(base64.b64decode(value, validate=True))
        if fmt in ("date-time", "date"):
            moment = parse_date_time(value) if fmt == "date-time" else parse_date(value)
            if moment is not None:
                return celtypes.TimestampType(moment)
        if fmt == "duration":
            return celtypes.DurationType(value)
    except (ValueError, TypeError, OverflowError, binascii.Error):
        pass  # the schema check reports the bad format; CEL sees the raw string
    return celtypes.StringType(value)


def _reads_as_string(value: str, fmt: Any) -> bool:
    """Whether :func:`_string` leaves ``value`` a string (a malformed value of its format),
    found without cel-python except for durations, which only cel-python parses."""
    if fmt == "byte":
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, TypeError, binascii.Error):
            return True
        return False
    if fmt == "date-time":
        return parse_date_time(value) is None
    if fmt == "date":
        return parse_date(value) is None
    if celtypes is None:
        _load()
    return type(_string(value, fmt)) is celtypes.StringType


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


def parse_date(text: str) -> datetime.datetime | None:
    """A ``date`` string (``2024-02-29``) as midnight UTC, or None when it is not one."""
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    try:
        return datetime.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def parse_date_time(text: str) -> datetime.datetime | None:
    """An RFC 3339 ``date-time`` string as an aware datetime, or None when it is not one
    (durations like ``P1Y`` and intervals are not timestamps, whatever a lenient parser says)."""
    m = _DATE_TIME.fullmatch(text)
    if m is None:
        return None
    try:
        zone = datetime.timezone.utc
        if m[9]:
            offset = datetime.timedelta(hours=int(m[10]), minutes=int(m[11]))
            zone = datetime.timezone(offset if m[9] == "+" else -offset)
        micros = int((m[7] or "0")[:6].ljust(6, "0"))
        return datetime.datetime(
            int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), micros, zone
        )
    except ValueError:
        return None


def _generic(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            return _double(value)
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, (list, tuple)):
        return celtypes.ListType([_generic(v) for v in value])
    if isinstance(value, dict):
        return celtypes.MapType(
            {celtypes.StringType(str(k)): _generic(v) for k, v in value.items()}
        )
    return celtypes.StringType(str(value))


def to_python(value: Any) -> Any:
    """Convert a CEL result back to plain Python values (for messages and tests)."""
    if celtypes is None:
        _load()
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, (celtypes.IntType, celtypes.UintType)):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.BytesType):
        return bytes(value)
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {to_python(k): to_python(v) for k, v in value.items()}
    return value


class CelView:
    """The values of one JSON document as CEL sees them, built on first use and shared.

    Converting a large object costs milliseconds, so a node is converted only when a rule
    actually runs on it, and only once: a node converted for one rule serves every rule on it
    and on the nodes below it. :meth:`at` gives cel-python values for the interpreter,
    :meth:`plain` the cheaper visible plain values for :func:`decide`.
    """

    def __init__(self, data: Any, schema: Mapping[str, Any] | None = None) -> None:
        self.data = data
        self.schema = schema
        self._cel: dict[tuple[str | int, ...], Any] = {}
        self._plain: dict[tuple[str | int, ...], Any] = {}

    def at(self, path: Sequence[str | int], schema: Mapping[str, Any] | None) -> Any:
        """The cel-python value at ``path`` (keys and list indexes); ``schema`` is its node."""
        return self._lookup(self._cel, tuple(path), schema, to_cel, _cel_step)

    def plain(self, path: Sequence[str | int], schema: Mapping[str, Any] | None) -> Any:
        """The visible plain value at ``path`` (see :func:`to_visible`)."""
        return self._lookup(self._plain, tuple(path), schema, to_visible, _plain_step)

    def _lookup(
        self,
        memo: dict[tuple[str | int, ...], Any],
        key: tuple[str | int, ...],
        schema: Mapping[str, Any] | None,
        convert: Callable[..., Any],
        step: Callable[[Any, str | int], Any],
    ) -> Any:
        for depth in range(len(key), -1, -1):
            base = memo.get(key[:depth], _MISSING)
            if base is not _MISSING:
                try:
                    value = base
                    for token in key[depth:]:
                        value = step(value, token)
                except (KeyError, IndexError, TypeError):
                    break  # not visible in the converted parent: convert the node itself
                memo[key] = value
                return value
        node = self.data
        for token in key:
            node = node[token]
        value = convert(node, schema, root=not key and schema is not None)
        memo[key] = value
        return value


def _cel_step(value: Any, token: str | int) -> Any:
    if celtypes is None:
        _load()
    return value[token if isinstance(token, int) else celtypes.StringType(token)]


def _plain_step(value: Any, token: str | int) -> Any:
    return value[token]


_MISSING = object()


class _Opaque:
    """A value :func:`decide` does not model (numbers, and strings CEL reads as timestamps,
    durations or bytes): any operation on it is undecided."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OPAQUE"


OPAQUE = _Opaque()


def to_visible(value: Any, schema: Mapping[str, Any] | None = None, *, root: bool = False) -> Any:
    """The plain JSON value CEL sees: the fields of :func:`to_cel`, with strings, booleans,
    null, lists and dicts kept, and numbers and formatted strings replaced by ``OPAQUE``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return OPAQUE
    if isinstance(value, str):
        if schema is not None and schema.get("format") in _FORMATTED:
            # Opaque only if CEL really gets a timestamp, duration or bytes value.
            return value if _reads_as_string(value, schema["format"]) else OPAQUE
        return value
    if isinstance(value, list):
        items = schema.get("items") if schema is not None else None
        item_schema = items if isinstance(items, Mapping) else None
        return [to_visible(v, item_schema) for v in value]
    if isinstance(value, dict):
        if schema is None:
            return {str(k): to_visible(v) for k, v in value.items()}
        return {k: to_visible(v, sub) for k, v, sub in _visible_fields(value, schema, root)}
    return OPAQUE


_FORMATTED = frozenset({"byte", "date", "date-time", "duration"})
