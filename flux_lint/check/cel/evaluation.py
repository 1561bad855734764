"""Evaluating a compiled program: a CEL value, or a :class:`CelEvalError` worded as cel-go
words it; never any other exception.

Errors are not ``false``: the API server reports a failed evaluation with its own message,
never with the rule's ``message``. An error carries ``unsupported=True`` when it comes from
something flux-lint does not evaluate, so callers can stay silent instead of reporting a
verdict the API server would not give, and ``budget=True`` when the evaluation ran out of its
:class:`~flux_lint.check.cel.budget.Budget`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from celpy import celtypes
from celpy.evaluation import CELEvalError

from flux_lint.check.cel.budget import DEFAULT_BUDGET, Budget, BudgetExceeded, Meter
from flux_lint.check.cel.errors import CelEvalError
from flux_lint.check.cel.registry import UnsupportedFunction, type_name
from flux_lint.check.cel.values import to_cel

__all__ = ["evaluate", "evaluate_bool"]


class Runnable(Protocol):
    """What evaluation needs of a compiled program (:class:`.compiler.Program`)."""

    runner: Any
    unsupported: frozenset[str]


_CEL_TYPES = (
    celtypes.BoolType,
    celtypes.IntType,
    celtypes.UintType,
    celtypes.DoubleType,
    celtypes.StringType,
    celtypes.BytesType,
    celtypes.ListType,
    celtypes.MapType,
    celtypes.TimestampType,
    celtypes.DurationType,
)


def evaluate(
    program: Runnable, activation: Mapping[str, Any], budget: Budget | None = DEFAULT_BUDGET
) -> Any:
    """Evaluate ``program`` with the variables of ``activation`` and return the CEL value.

    Plain JSON values in ``activation`` are converted with :func:`to_cel` (without a schema);
    values converted already (by :class:`CelView`) are used as they are. Raises
    :class:`CelEvalError` when the evaluation fails or runs out of ``budget`` (``None``: no
    limit); never raises anything else.
    """
    bound = {
        name: value if value is None or isinstance(value, _CEL_TYPES) else to_cel(value)
        for name, value in activation.items()
    }
    try:
        result = program.runner.evaluate(bound, None if budget is None else Meter(budget))
    except BudgetExceeded as exc:
        raise CelEvalError(str(exc), budget=True) from None
    except UnsupportedFunction as exc:
        raise CelEvalError(_describe(exc), unsupported=True) from None
    except CELEvalError as exc:
        raise CelEvalError(_describe(exc), unsupported=bool(program.unsupported)) from None
    except RecursionError:
        # Deeper than cel-python's interpreter can go, though within what cel-go accepts
        # (the compiler refuses the rest): no verdict rather than a wrong one.
        raise CelEvalError(
            "expression is nested too deeply for flux-lint to evaluate", unsupported=True
        ) from None
    except Exception as exc:  # a defect in the interpreter must not stop a lint run
        raise CelEvalError(f"internal evaluation error: {type(exc).__name__}: {exc}") from None
    if isinstance(result, UnsupportedFunction):
        raise CelEvalError(_describe(result), unsupported=True)
    if isinstance(result, CELEvalError):
        raise CelEvalError(_describe(result), unsupported=bool(program.unsupported))
    return result


def evaluate_bool(
    program: Runnable, activation: Mapping[str, Any], budget: Budget | None = DEFAULT_BUDGET
) -> bool:
    """Evaluate a validation rule: ``True``/``False``, or :class:`CelEvalError` (also when the
    result is not a bool, which the API server refuses when it compiles the rule)."""
    result = evaluate(program, activation, budget)
    if not isinstance(result, celtypes.BoolType):
        raise CelEvalError(f"rule evaluated to {type_name(result)}, not bool")
    return bool(result)


def _describe(exc: CELEvalError) -> str:
    """cel-python's error text, shortened to what cel-go would say."""
    message = str(exc.args[0]) if exc.args else "evaluation error"
    if isinstance(exc.args[1] if len(exc.args) > 1 else None, type) and exc.args[1] is KeyError:
        prefix = "no such member in mapping: "
        if message.startswith(prefix):
            return "no such key: " + message[len(prefix) :].strip("'\"")
    message = message.split(" (in activation", 1)[0]
    overload = _OVERLOAD.match(message)
    if overload:
        operator = _OPERATORS.get(overload.group(1), overload.group(1))
        types = [_CLASS_NAMES.get(t, t) for t in _CLASS.findall(overload.group(2))]
        if len(types) == 2:
            return f"no such overload: {types[0]} {operator} {types[1]}"
        if len(types) == 1 and operator in ("!", "-"):
            return f"no such overload: {operator}{types[0]}"
        return f"no such overload: {operator}({', '.join(types)})"
    if message.startswith("undeclared reference to"):
        return message.replace("'", "`")
    if message in ("no such overload", "return error for overflow") and len(exc.args) > 2:
        detail = exc.args[2]
        if isinstance(detail, tuple) and detail:
            return f"{message}: {detail[0]}"
    return message


_OVERLOAD = re.compile(
    r"found no matching overload for (?:Token\('RULE', ')?'?([\w_|&!]+)'?\)? applied to '\((.*)\)'"
)
_CLASS = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")
_OPERATORS = {
    "relation_eq": "==",
    "relation_ne": "!=",
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_in": "in",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
    "unary_not": "!",
    "unary_neg": "-",
}
_CLASS_NAMES = {
    "BoolType": "bool",
    "IntType": "int",
    "UintType": "uint",
    "DoubleType": "double",
    "StringType": "string",
    "BytesType": "bytes",
    "ListType": "list",
    "MapType": "map",
    "NoneType": "null_type",
    "TimestampType": "timestamp",
    "DurationType": "duration",
}
