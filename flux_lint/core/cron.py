"""Cron schedules as flux-operator reads them.

A ``ResourceSetInputProvider``'s ``spec.schedule[].cron`` is parsed by flux-operator's
``internal/schedule.Parse`` with ``github.com/robfig/cron/v3`` (v3.0.1) configured as
``NewParser(Minute | Hour | Dom | Month | Dow | Descriptor)``, after prefixing
``CRON_TZ=<timeZone> `` when the schedule has a time zone (the CRD defaults it to ``UTC``).
This module follows that parser rule by rule, so that what it rejects is exactly what the
operator rejects (the provider then stalls with ``InvalidSchedule``):

* exactly five whitespace-separated fields: minute (0-59), hour (0-23), day of month (1-31),
  month (1-12 or ``jan``-``dec``), day of week (0-6 or ``sun``-``sat``; ``7`` is *not* Sunday);
* each field a comma-separated list of ``*``, ``?``, ``N``, ``N-M``, each optionally ``/step``
  (``N/step`` means ``N-max/step``); names are case-insensitive; no ``L``, ``W`` or ``#``;
* or one descriptor: ``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``,
  ``@midnight``, ``@hourly``, or ``@every <Go duration>``;
* a ``TZ=``/``CRON_TZ=`` prefix names an IANA time zone.

The error messages are robfig/cron's, so a user can match them against the operator's status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flux_lint.core.go_duration import DurationError, parse_duration

__all__ = ["CronError", "operator_spec", "parse_cron", "zone_known"]


class CronError(ValueError):
    """A schedule the operator's cron parser rejects; the message is the parser's."""


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True, slots=True)
class _Bounds:
    low: int
    high: int
    names: dict[str, int] | None = None


_MINUTES = _Bounds(0, 59)
_HOURS = _Bounds(0, 23)
_DOM = _Bounds(1, 31)
_MONTHS = _Bounds(
    1,
    12,
    {m: i for i, m in enumerate(_MONTH_NAMES, 1)},
)
_DOW = _Bounds(0, 6, {d: i for i, d in enumerate(_DAY_NAMES)})
_FIELDS = (_MINUTES, _HOURS, _DOM, _MONTHS, _DOW)

_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_EVERY = "@every "
#: strconv.Atoi: an optional sign and ASCII digits.
_INT = re.compile(r"[+-]?[0-9]+")
_INT64_MAX = (1 << 63) - 1


def operator_spec(cron: str, time_zone: str | None) -> str:
    """The text the operator hands to the parser (``internal/schedule.Parse``)."""
    return f"CRON_TZ={time_zone} {cron}" if time_zone else cron


def zone_known(name: str) -> bool | None:
    """Whether ``name`` is an IANA time zone, or None when this machine has no time zone
    database to tell (then nothing is reported). Go's ``time.LoadLocation`` reads the same
    database, which the operator's image ships."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False if available_timezones() else None
    return True


def parse_cron(spec: str, zone_exists: Callable[[str], bool | None] | None = zone_known) -> None:
    """Raise :class:`CronError` when robfig/cron's standard parser rejects ``spec``.

    ``zone_exists(name) -> bool | None`` answers whether a time zone name is known (None: it
    cannot tell, then the name is accepted).
    """
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        if space < 0:
            # robfig/cron v3.0.1 slices with -1 and panics; the operator always adds a space.
            raise CronError(f"provided bad location {spec[spec.find('=') + 1 :]}")
        zone = spec[spec.find("=") + 1 : space]
        if not _zone_ok(zone, zone_exists):
            raise CronError(f"provided bad location {zone}: unknown time zone {zone}")
        spec = spec[space:].strip()
    if spec.startswith("@"):
        _descriptor(spec)
        return
    fields = spec.split()
    if len(fields) != 5:
        shown = "[" + " ".join(fields) + "]"
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {shown}")
    for text, bounds in zip(fields, _FIELDS, strict=True):
        for expr in (part for part in text.split(",") if part):
            _range(expr, bounds)


def _zone_ok(zone: str, zone_exists: Callable[[str], bool | None] | None) -> bool:
    if zone in ("", "UTC", "Local"):
        return True
    if ".." in zone or zone.startswith(("/", "\\")):
        return False
    if zone_exists is None:
        return True
    known = zone_exists(zone)
    return known is None or known


def _descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    if spec.startswith(_EVERY):
        try:
            parse_duration(spec[len(_EVERY) :])
        except DurationError as exc:
            raise CronError(f"failed to parse duration {spec}: {exc}") from None
        return
    raise CronError(f"unrecognized descriptor: {spec}")


def _int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    value = int(text)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": value out of range'
        )
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _int_or_name(text: str, bounds: _Bounds) -> int:
    if bounds.names is not None and text.lower() in bounds.names:
        return bounds.names[text.lower()]
    return _int(text)


def _range(expr: str, bounds: _Bounds) -> None:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = bounds.low, bounds.high
    else:
        start = _int_or_name(low_and_high[0], bounds)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], bounds)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = bounds.high
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < bounds.low:
        raise CronError(f"beginning of range ({start}) below minimum ({bounds.low}): {expr}")
    if end > bounds.high:
        raise CronError(f"end of range ({end}) above maximum ({bounds.high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
