"""The function registry shared by the Kubernetes CEL library modules, and the small helpers
each of them needs (argument checks, CEL type names, error values).

A library module registers its functions with :func:`extension` when it is imported; the
compiler imports :mod:`.library` (which imports every library module) before it compiles
anything, then hands :func:`functions` to cel-python. Keeping the registry in a module of its
own lets the library modules depend on it without depending on each other or on the compiler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celpy import celtypes
from celpy.evaluation import CELEvalError

__all__ = [
    "EXTENSIONS",
    "KUBERNETES_LIBRARY",
    "NAMESPACES",
    "CelFunction",
    "UnsupportedFunction",
    "error",
    "extension",
    "is_int",
    "is_string",
    "type_name",
    "values_equal",
]

CelFunction = Callable[..., Any]

#: Functions added to, or replacing, cel-python's base functions. A method call
#: ``x.f(a)`` and a global call ``f(x, a)`` both call ``EXTENSIONS["f"](x, a)``; a namespaced
#: call ``sets.contains(a, b)`` calls ``EXTENSIONS["sets.contains"](a, b)``.
EXTENSIONS: dict[str, CelFunction] = {}

#: Names that compile but that flux-lint does not evaluate: cel-go's math library, which the
#: API server does not offer (a CRD using it is refused when it is created), so a verdict on
#: it would be flux-lint's invention. Expressions that use them evaluate to an error marked
#: ``unsupported``.
KUBERNETES_LIBRARY: frozenset[str] = frozenset(
    {
        "math.greatest", "math.least", "math.abs", "math.ceil", "math.floor", "math.round",
        "math.trunc", "math.isInf", "math.isNaN", "math.isFinite", "math.sign", "math.sqrt",
        "math.bitAnd", "math.bitOr", "math.bitXor", "math.bitNot", "math.bitShiftLeft",
        "math.bitShiftRight",
    }
)  # fmt: skip

#: Identifiers that name a library namespace (``sets.contains(...)``) rather than a variable,
#: when no variable of that name is in scope.
NAMESPACES = frozenset({"math", "strings", "sets", "lists", "optional", "base64", "format", "ip"})


class UnsupportedFunction(CELEvalError):
    """The value a name of :data:`KUBERNETES_LIBRARY` evaluates to."""


def extension(*names: str) -> Callable[[CelFunction], CelFunction]:
    """Register ``fn`` as the CEL function(s) ``names``.

    Functions get and return cel-python values. They report a CEL error by returning a
    ``CELEvalError`` (raising ``TypeError`` or ``ValueError`` also works: cel-python turns those
    into "no such overload" errors).
    """

    def wrap(fn: CelFunction) -> CelFunction:
        for name in names:
            EXTENSIONS[name] = fn
        return fn

    return wrap


def error(message: str) -> CELEvalError:
    """A CEL error value with ``message``."""
    return CELEvalError(message)


def no_overload(name: str, *args: Any) -> CELEvalError:
    """cel-go's ``no such overload`` for ``name`` applied to ``args``."""
    if not args:
        return CELEvalError(f"no such overload: {name}")
    return CELEvalError(f"no such overload: {name}({', '.join(type_name(a) for a in args)})")


def _unsupported(name: str) -> CelFunction:
    def stub(*_args: Any) -> CELEvalError:
        return UnsupportedFunction(f"function `{name}` is not supported by flux-lint")

    return stub


for _name in KUBERNETES_LIBRARY:
    EXTENSIONS[_name] = _unsupported(_name)


def is_string(*values: Any) -> bool:
    return all(isinstance(v, str) for v in values)


def is_int(*values: Any) -> bool:
    """CEL ints (cel-python's ``BoolType`` is an ``int`` subclass, so it is excluded)."""
    return all(
        isinstance(v, int) and not isinstance(v, (bool, celtypes.BoolType, celtypes.UintType))
        for v in values
    )


def is_bool(value: Any) -> bool:
    return isinstance(value, (bool, celtypes.BoolType))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, (bool, celtypes.BoolType))


def values_equal(a: Any, b: Any) -> bool:
    """CEL's runtime (heterogeneous) equality, as the library functions use it: numbers of
    different types are equal when their values are (``1 == 1u == 1.0``), lists and maps
    compare item by item, and values of unrelated types are simply unequal."""
    if _number(a) and _number(b):
        return (
            float(a) == float(b)
            if isinstance(a, float) or isinstance(b, float)
            else int(a) == int(b)
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        for key, value in a.items():
            match = [v for k, v in b.items() if values_equal(k, key)]
            if len(match) != 1 or not values_equal(value, match[0]):
                return False
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (celtypes.BoolType, "bool"),
    (celtypes.IntType, "int"),
    (celtypes.UintType, "uint"),
    (celtypes.DoubleType, "double"),
    (celtypes.StringType, "string"),
    (celtypes.BytesType, "bytes"),
    (celtypes.ListType, "list"),
    (celtypes.MapType, "map"),
    (celtypes.TimestampType, "timestamp"),
    (celtypes.DurationType, "duration"),
)


def type_name(value: Any) -> str:
    """The CEL name of ``value``'s type, as cel-go writes it in errors."""
    if value is None:
        return "null_type"
    named = getattr(type(value), "CEL_TYPE", None)
    if isinstance(named, str):
        return named
    for cel_type, name in _TYPE_NAMES:
        if isinstance(value, cel_type):
            return name
    return type(value).__name__
