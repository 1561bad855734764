"""``compareTo``, ``isGreaterThan`` and ``isLessThan``: the comparison methods the quantity and
semver libraries share.

One CEL name is one registered function, so the methods dispatch on the receiver: any value
with a ``cel_compare(other)`` method (``kubernetes.Quantity``, ``kubernetes.Semver``) that
answers -1, 0 or 1 for an operand of its own type, and None for any other.
"""

from __future__ import annotations

from typing import Any

from celpy import celtypes

from flux_lint.check.cel.registry import extension, no_overload


def _compare(name: str, value: Any, other: Any) -> Any:
    compare = getattr(value, "cel_compare", None)
    result = compare(other) if compare is not None else None
    return no_overload(name, value, other) if result is None else result


@extension("compareTo")
def compare_to(value: Any, other: Any) -> Any:
    result = _compare("compareTo", value, other)
    return result if not isinstance(result, int) else celtypes.IntType(result)


@extension("isGreaterThan")
def is_greater_than(value: Any, other: Any) -> Any:
    result = _compare("isGreaterThan", value, other)
    return result if not isinstance(result, int) else celtypes.BoolType(result > 0)


@extension("isLessThan")
def is_less_than(value: Any, other: Any) -> Any:
    result = _compare("isLessThan", value, other)
    return result if not isinstance(result, int) else celtypes.BoolType(result < 0)
