"""Go ``time.ParseDuration``, exactly: the syntax the controllers accept for durations.

flux-operator reads schedule windows, reconcile timeouts and ``@every`` cron descriptors with
Go's parser, which differs from the CRD pattern ``^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$``: it also
takes a sign, ``ns``/``us``/``µs``, a bare ``0`` and fractions without leading digits (``.5s``).
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["DurationError", "parse_duration"]

#: Nanoseconds per unit (Go's ``unitMap``; both micro signs are accepted).
UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_MAX = 1 << 63  # Go durations are int64 nanoseconds


class DurationError(ValueError):
    """Text Go's ``time.ParseDuration`` rejects; the message is Go's."""


def _digit(c: str) -> bool:
    return "0" <= c <= "9"


def parse_duration(text: str) -> int:
    """Nanoseconds of a Go duration string; raises :class:`DurationError` like Go does."""
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise DurationError(f'time: invalid duration "{text}"')
    total = Fraction(0)
    while s:
        if not (s[0] == "." or _digit(s[0])):
            raise DurationError(f'time: invalid duration "{text}"')
        i = 0
        while i < len(s) and _digit(s[i]):
            i += 1
        whole, s = s[:i], s[i:]
        fraction = ""
        if s.startswith("."):
            j = 1
            while j < len(s) and _digit(s[j]):
                j += 1
            fraction, s = s[1:j], s[j:]
            if not whole and not fraction:
                raise DurationError(f'time: invalid duration "{text}"')
        elif not whole:
            raise DurationError(f'time: invalid duration "{text}"')
        j = 0
        while j < len(s) and not (s[j] == "." or _digit(s[j])):
            j += 1
        if j == 0:
            raise DurationError(f'time: missing unit in duration "{text}"')
        unit, s = s[:j], s[j:]
        if unit not in UNITS:
            raise DurationError(f'time: unknown unit "{unit}" in duration "{text}"')
        value = Fraction(int(whole or "0"))
        if fraction:
            value += Fraction(int(fraction), 10 ** len(fraction))
        total += value * UNITS[unit]
        if total > _MAX:
            raise DurationError(f'time: invalid duration "{text}"')
    nanos = int(total)
    if not neg and nanos > _MAX - 1:
        raise DurationError(f'time: invalid duration "{text}"')
    return -nanos if neg else nanos
