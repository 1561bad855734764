"""cel-go's ``format`` string function (``'%s is %d'.format([name, count])``), as the
strings extension of the API server has it.

The verbs are ``%s``, ``%d``, ``%f``, ``%e``, ``%E`` (with a precision, ``%.2f``), ``%b``,
``%o``, ``%x``, ``%X`` and ``%%``. ``%s`` shows a value as cel-go's ``string()`` does: doubles
in Go's shortest form (``1e+06``), lists and maps as ``[a, b]`` and ``{k: v}``, timestamps in
RFC 3339 and durations in seconds (``6347s``).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from celpy import celtypes
from celpy.evaluation import CELEvalError

from flux_lint.check.cel.budget import sized
from flux_lint.check.cel.registry import error, extension, is_int, is_string

_FORMAT_VERB = re.compile(r"%(?:\.(\d+))?([a-zA-Z%])")


@extension("format")
def format_(template: Any, args: Any) -> Any:
    if not is_string(template) or not isinstance(args, list):
        return error("no such overload: format")
    out: list[str] = []
    position = index = 0
    text = str(template)
    while True:
        percent = text.find("%", position)
        if percent < 0:
            out.append(text[position:])
            break
        out.append(text[position:percent])
        verb = _FORMAT_VERB.match(text, percent)
        if verb is None:
            return error(f"format: unterminated or invalid verb at position {percent}")
        position = verb.end()
        precision, code = verb.group(1), verb.group(2)
        if code == "%":
            out.append("%")
            continue
        if index >= len(args):
            return error(f"format: index {index} out of range")
        piece = _format_one(code, None if precision is None else int(precision), args[index])
        if isinstance(piece, CELEvalError):
            return piece
        out.append(piece)
        index += 1
    return celtypes.StringType(sized("".join(out)))


def _format_one(code: str, precision: int | None, value: Any) -> Any:
    if code == "s":
        return _display(value)
    if code == "d":
        if is_int(value) or isinstance(value, celtypes.UintType):
            return str(int(value))
        return error("format: decimal clause can only be used on integers")
    if code in "feE":
        if not isinstance(value, (int, float)) or isinstance(value, (bool, celtypes.BoolType)):
            return error("format: fixed-point and scientific clauses can only be used on numbers")
        if not _finite(float(value)):
            return _special_float(float(value))
        return f"{float(value):.{6 if precision is None else precision}{code}}"
    if code == "b":
        if isinstance(value, (bool, celtypes.BoolType)):
            return "1" if value else "0"
        if is_int(value) or isinstance(value, celtypes.UintType):
            return format(int(value), "b")
        return error("format: only integers and bools can be formatted as binary")
    if code == "o":
        if is_int(value) or isinstance(value, celtypes.UintType):
            return format(int(value), "o")
        return error("format: octal clause can only be used on integers")
    if code in "xX":
        if is_int(value) or isinstance(value, celtypes.UintType):
            digits = format(int(value), "x")
        elif isinstance(value, (str, bytes)):
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            digits = raw.hex()
        else:
            return error("format: only integers, byte buffers, and strings can be formatted as hex")
        return digits.upper() if code == "X" else digits
    return error(f"format: unrecognized formatting clause `%{code}`")


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))


def _special_float(value: float) -> str:
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _go_float(number: float) -> str:
    """A double as Go's ``strconv.FormatFloat(x, 'g', -1, 64)`` writes it (cel-go's
    ``string(double)``): the shortest digits that round-trip, in exponent form below 1e-4 and
    from 1e6 on (``1e+06``)."""
    if number == 0:
        return "-0" if str(number).startswith("-") else "0"
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    point = len(text) + int(exponent)  # position of the decimal point in ``text``
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        power = point - 1
        body = f"{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    elif point <= 0:
        body = "0." + "0" * -point + text
    elif point >= len(text):
        body = text + "0" * (point - len(text))
    else:
        body = text[:point] + "." + text[point:]
    return ("-" if sign else "") + body


def _display(value: Any) -> str:
    """A value as ``%s`` shows it (cel-go's ``string()`` conversions; lists and maps as CEL
    literals)."""
    if value is None:
        return "null"
    if isinstance(value, (bool, celtypes.BoolType)):
        return "true" if value else "false"
    if isinstance(value, celtypes.DoubleType):
        number = float(value)
        if not _finite(number):
            return _special_float(number)
        return _go_float(number)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.BytesType):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, celtypes.TimestampType):
        return go_timestamp(value)
    if isinstance(value, datetime.timedelta):
        return go_duration(value)
    if isinstance(value, list):
        return "[" + ", ".join(_display(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_display(k)}: {_display(v)}" for k, v in value.items()) + "}"
    return str(value)


def go_timestamp(value: datetime.datetime) -> str:
    """A timestamp as cel-go's ``string(timestamp)`` writes it: RFC 3339 in UTC, with the
    fraction of a second only when there is one."""
    utc = value.astimezone(datetime.timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def go_duration(value: datetime.timedelta) -> str:
    """A duration as cel-go's ``string(duration)`` writes it: seconds, ``6347s``, ``1.5s``."""
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    seconds, fraction = divmod(abs(micros), 1_000_000)
    text = f"{sign}{seconds}"
    if fraction:
        text += f".{fraction:06d}".rstrip("0")
    return text + "s"
