"""The Kubernetes quantity library: ``quantity()``, ``isQuantity()`` and the
``kubernetes.Quantity`` methods ``sign``, ``isInteger``, ``asInteger``, ``asApproximateFloat``,
``add``, ``sub``, ``compareTo``, ``isGreaterThan`` and ``isLessThan``.

``resource.ParseQuantity`` is ported with its two representations: a value that fits an
int64 at a scale of at least 10^-9 is kept exactly ("fast"), anything else becomes an
arbitrary-precision decimal, rounded up to 10^-9 (and capped at 2^63-1 when its suffix is a
binary one, ``Ki`` ... ``Ei``). The difference is
visible in CEL: ``isInteger()`` and ``asInteger()`` only succeed for the fast form, so
``quantity('1.5Ki').isInteger()`` is false although 1.5Ki is 1536, as on a cluster.
``compareTo``, ``isGreaterThan`` and ``isLessThan`` are shared with the semver library
(:mod:`.compare`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from celpy import celtypes
from celpy.evaluation import CELEvalError

from flux_lint.check.cel.registry import error, extension, is_int, is_string

_INT64_MAX = 2**63 - 1
_NANO = Fraction(1, 10**9)
_EXPONENT_LIMIT = 400
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12,
                     "P": 15, "E": 18}  # fmt: skip
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_QUANTITY_FORMAT = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


class _QuantityError(Exception):
    """``resource.ParseQuantity`` refused the text."""


@dataclass(frozen=True, eq=False)
class CelQuantity:
    """A quantity value (``kubernetes.Quantity``): its exact value, and whether Kubernetes
    holds it as an int64 (see the module docstring)."""

    CEL_TYPE: ClassVar[str] = "kubernetes.Quantity"

    value: Fraction
    fast: bool = True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CelQuantity):
            return NotImplemented
        return self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def cel_compare(self, other: Any) -> int | None:
        """-1, 0 or 1 against another quantity; None for any other type."""
        if not isinstance(other, CelQuantity):
            return None
        return _compare(self, other)

    def as_int64(self) -> int | None:
        if not self.fast or self.value.denominator != 1:
            return None
        number = int(self.value)
        return number if -(2**63) <= number <= _INT64_MAX else None


def _quantity_parts(text: str) -> tuple[bool, str, str, str, str]:
    """``parseQuantityString``: sign, the numeric text, numerator and denominator digits (the
    numerator without leading zeros) and the suffix."""
    positive, pos, end = True, 0, len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] != "-"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and text[pos].isascii() and text[pos].isdigit():
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isascii() and text[pos].isdigit():
            pos += 1
        denom = text[start:pos]
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in "eEinumkKMGTP":
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos].isascii() and text[pos].isdigit():
        pos += 1
    if pos < end:
        raise _QuantityError(_QUANTITY_FORMAT)
    return positive, value, num, denom, text[suffix_start:]


def _parse_quantity(text: str) -> CelQuantity:
    if not text:
        raise _QuantityError(_QUANTITY_FORMAT)
    if text == "0":
        return CelQuantity(Fraction(0))
    positive, _, num, denom, suffix = _quantity_parts(text)
    if suffix in _BINARY_SUFFIXES:
        base, exponent, binary = 2, _BINARY_SUFFIXES[suffix], True
    elif suffix in _DECIMAL_SUFFIXES:
        base, exponent, binary = 10, _DECIMAL_SUFFIXES[suffix], False
    elif len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]{1,18}", suffix[1:]):
        base, exponent, binary = 10, int(suffix[1:]), False
    else:
        raise _QuantityError("unable to parse quantity's suffix")
    digits = int(num + denom)
    # An exponent like 1e999999999 is valid; its exact value would take gigabytes, and beyond
    # 10^±400 no comparison with a quantity anyone writes changes, so the power is clamped.
    power = Fraction(base) ** max(-_EXPONENT_LIMIT, min(exponent, _EXPONENT_LIMIT))
    magnitude = Fraction(digits, 10 ** len(denom)) * power
    # The fast path of ParseQuantity: an int64 mantissa at a scale of at least 10^-9.
    fast = False
    if binary:
        if exponent >= 0 and not denom:
            precision = 15 - len(num) - int(exponent * 3 / 10) - 1
            fast = precision >= 0 and digits * 2**exponent <= _INT64_MAX
    else:
        precision = 18 - (len(num) + len(denom))
        fast = precision >= 0 and exponent - len(denom) >= -9
    if not fast:
        if magnitude % _NANO:
            magnitude = (magnitude // _NANO + 1) * _NANO
        if binary:  # ParseQuantity caps binary-suffixed amounts only
            magnitude = min(magnitude, Fraction(_INT64_MAX))
    return CelQuantity(magnitude if positive else -magnitude, fast)


@extension("quantity")
def _quantity(text: Any) -> Any:
    if not is_string(text):
        return error("no such overload: quantity")
    try:
        return _parse_quantity(str(text))
    except _QuantityError as exc:
        return error(str(exc))


@extension("isQuantity")
def _is_quantity(text: Any) -> Any:
    if not is_string(text):
        return error("no such overload: isQuantity")
    try:
        _parse_quantity(str(text))
    except _QuantityError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


def _quantity_operand(value: Any, *, integers: bool = False) -> CelQuantity | None:
    if isinstance(value, CelQuantity):
        return value
    if integers and is_int(value):
        return CelQuantity(Fraction(int(value)))
    return None


def _operands(name: str, value: Any, other: Any, *, integers: bool = False) -> Any:
    """Both operands of a binary quantity method, or the no-such-overload error."""
    right = _quantity_operand(other, integers=integers)
    if not isinstance(value, CelQuantity) or right is None:
        return error(f"no such overload: {name}")
    return value, right


def _compare(a: CelQuantity, b: CelQuantity) -> int:
    return (a.value > b.value) - (a.value < b.value)


def _combine(a: CelQuantity, b: CelQuantity, value: Fraction) -> CelQuantity:
    """The result of ``add``/``sub``: it stays an int64 amount when both operands are and the
    result still fits one at a scale of at least 10^-9."""
    fast = a.fast and b.fast
    if fast:
        scale = 0
        while (value * 10**scale).denominator != 1 and scale < 9:
            scale += 1
        fast = (value * 10**scale).denominator == 1 and abs(value * 10**scale) <= _INT64_MAX
    return CelQuantity(value, fast)


@extension("sign")
def _sign(value: Any) -> Any:
    if not isinstance(value, CelQuantity):
        return error("no such overload: sign")
    return celtypes.IntType((value.value > 0) - (value.value < 0))


@extension("isInteger")
def is_integer(value: Any) -> Any:
    if not isinstance(value, CelQuantity):
        return error("no such overload: isInteger")
    return celtypes.BoolType(value.as_int64() is not None)


@extension("asInteger")
def _as_integer(value: Any) -> Any:
    if not isinstance(value, CelQuantity):
        return error("no such overload: asInteger")
    number = value.as_int64()
    if number is None:
        return error("cannot convert value to integer")
    return celtypes.IntType(number)


@extension("asApproximateFloat")
def _as_approximate_float(value: Any) -> Any:
    if not isinstance(value, CelQuantity):
        return error("no such overload: asApproximateFloat")
    return celtypes.DoubleType(float(value.value))


@extension("add")
def _add(value: Any, other: Any) -> Any:
    pair = _operands("add", value, other, integers=True)
    if isinstance(pair, CELEvalError):
        return pair
    return _combine(*pair, pair[0].value + pair[1].value)


@extension("sub")
def _sub(value: Any, other: Any) -> Any:
    pair = _operands("sub", value, other, integers=True)
    if isinstance(pair, CELEvalError):
        return pair
    return _combine(*pair, pair[0].value - pair[1].value)
