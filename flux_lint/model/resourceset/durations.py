"""Go's ``time.Duration`` text, both ways, and slim-sprig's ``duration``/``durationRound``.

Followed exactly, so that a ResourceSet printing a duration renders what the operator renders:

- ``Duration.String`` and ``ParseDuration`` from Go's ``time/time.go`` and ``time/format.go``
  (``fmtFrac``, ``fmtInt``, ``leadingInt``, ``leadingFraction``, ``unitMap``);
- slim-sprig v3.0.0 ``date.go``: ``duration`` takes a string (``strconv.ParseInt``, 0 on error)
  or an ``int64`` of seconds, anything else is 0; ``durationRound`` takes a duration string
  (``time.ParseDuration``, 0 on error) or an ``int64`` of nanoseconds and prints the largest
  whole unit strictly exceeded (``y`` = 365 days, ``mo`` = 30 days, ``d``, ``h``, ``m``, ``s``).

Python has one integer type where Go has ``int`` (a template literal, ``len``, ``atoi``) and
``int64`` (``add``, ``int64``): both functions treat them differently, so an integer argument
is not evaluated rather than guessed.
"""

from __future__ import annotations

import re
from typing import Any

from flux_lint.model.resourceset.gotypes import ANY, go_func
from flux_lint.model.resourceset.template import NotEvaluated

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # U+00B5 micro sign
    "\u03bcs": MICROSECOND,  # U+03BC Greek letter mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
#: What ``strconv.ParseInt(s, 10, 64)`` reads (a sign, then ASCII digits).
_DECIMAL = re.compile(r"[+-]?[0-9]+")


def _wrap_int64(n: int) -> int:
    """Go's two's-complement overflow of an int64 product."""
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


def _frac(u: int, prec: int) -> tuple[str, int]:
    """``fmtFrac``: the fraction of ``u`` / 10**prec without trailing zeros (and its point)."""
    digits = []
    printed = False
    for _ in range(prec):
        digit = u % 10
        printed = printed or digit != 0
        if printed:
            digits.append(str(digit))
        u //= 10
    text = "." + "".join(reversed(digits)) if printed else ""
    return text, u


def format_duration(d: int) -> str:
    """``time.Duration(d).String()`` for nanoseconds ``d`` (an int64)."""
    neg = d < 0
    u = -d if neg else d  # uint64(-MinInt64) is 1<<63, which Python keeps as is
    if u < SECOND:
        if u == 0:
            return "0s"
        if u < MICROSECOND:
            unit, prec = "ns", 0
        elif u < MILLISECOND:
            unit, prec = "\u00b5s", 3
        else:
            unit, prec = "ms", 6
        frac, u = _frac(u, prec)
        text = f"{u}{frac}{unit}"
    else:
        frac, u = _frac(u, 9)
        text = f"{u % 60}{frac}s"
        u //= 60
        if u > 0:
            text = f"{u % 60}m" + text
            u //= 60
            if u > 0:
                text = f"{u}h" + text
    return "-" + text if neg else text


def parse_duration(s: str) -> int | None:
    """``time.ParseDuration``: nanoseconds, or None where Go returns an error."""
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            return None
        i = 0
        v = 0
        while i < len(s) and "0" <= s[i] <= "9":  # leadingInt
            if v > (1 << 63) // 10:
                return None
            v = v * 10 + ord(s[i]) - 48
            if v > 1 << 63:
                return None
            i += 1
        pre = i > 0
        s = s[i:]
        f, scale, post = 0, 1.0, False
        if s and s[0] == ".":
            s = s[1:]
            i = 0
            overflow = False
            while i < len(s) and "0" <= s[i] <= "9":  # leadingFraction
                if not overflow:
                    if f > ((1 << 63) - 1) // 10:
                        overflow = True
                    else:
                        y = f * 10 + ord(s[i]) - 48
                        if y > 1 << 63:
                            overflow = True
                        else:
                            f = y
                            scale *= 10
                i += 1
            post = i > 0
            s = s[i:]
        if not pre and not post:
            return None
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            return None
        unit = _UNITS.get(s[:i])
        s = s[i:]
        if unit is None or v > (1 << 63) // unit:
            return None
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > 1 << 63:
                return None
        total += v
        if total > 1 << 63:
            return None
    if neg:
        return -total
    return None if total > _INT64_MAX else total


def _integer(value: Any, name: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        raise NotEvaluated(
            f"cannot evaluate {name} of an integer (Go tells int from int64 here)", -1
        )


@go_func(ANY)
def duration(sec: Any) -> str:
    _integer(sec, "duration")
    n = 0
    if isinstance(sec, str) and _DECIMAL.fullmatch(sec):
        n = int(sec)
        if not _INT64_MIN <= n <= _INT64_MAX:
            n = _INT64_MAX if n > 0 else _INT64_MIN  # strconv.ParseInt's range error
    return format_duration(_wrap_int64(n * SECOND))


_ROUND_UNITS = (
    (HOUR * 24 * 365, "y"),
    (HOUR * 24 * 30, "mo"),
    (HOUR * 24, "d"),
    (HOUR, "h"),
    (MINUTE, "m"),
    (SECOND, "s"),
)


@go_func(ANY)
def durationRound(value: Any) -> str:
    _integer(value, "durationRound")
    d = 0
    if isinstance(value, str):
        d = parse_duration(value) or 0
    u = -d if d < 0 else d
    for size, unit in _ROUND_UNITS:
        if u > size:
            return f"{u // size}{unit}"
    return "0s"
