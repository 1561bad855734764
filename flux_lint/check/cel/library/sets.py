"""cel-go's sets library, offered by the API server from Kubernetes 1.29: ``sets.contains``,
``sets.equivalent`` and ``sets.intersects`` over lists, with CEL equality (``1``, ``1u`` and
``1.0`` are one value).
"""

from __future__ import annotations

from typing import Any

from celpy import celtypes

from flux_lint.check.cel.registry import extension, no_overload, values_equal


def _holds(items: list[Any], value: Any) -> bool:
    return any(values_equal(item, value) for item in items)


@extension("sets.contains")
def contains(first: Any, second: Any) -> Any:
    """Whether every item of ``second`` is in ``first``."""
    if not isinstance(first, list) or not isinstance(second, list):
        return no_overload("sets.contains", first, second)
    return celtypes.BoolType(all(_holds(first, v) for v in second))


@extension("sets.equivalent")
def equivalent(first: Any, second: Any) -> Any:
    """Whether the two lists hold the same values, however often each."""
    if not isinstance(first, list) or not isinstance(second, list):
        return no_overload("sets.equivalent", first, second)
    return celtypes.BoolType(
        all(_holds(second, v) for v in first) and all(_holds(first, v) for v in second)
    )


@extension("sets.intersects")
def intersects(first: Any, second: Any) -> Any:
    """Whether the two lists have a value in common."""
    if not isinstance(first, list) or not isinstance(second, list):
        return no_overload("sets.intersects", first, second)
    return celtypes.BoolType(any(_holds(second, v) for v in first))
