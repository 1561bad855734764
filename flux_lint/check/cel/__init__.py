"""CEL, evaluated the way the Kubernetes API server evaluates it.

Every CEL expression flux-lint runs goes through this module: the ``x-kubernetes-validations``
rules of the Flux CRDs, the validations of rule descriptors, and the expression strings that
Flux controllers run themselves (``readyExpr``, ``healthCheckExprs``, Receiver filters).

cel-python does the parsing and the evaluation. On top of it this module provides what the
API server adds and what a linter needs:

* **Compile once.** Building the CEL parser costs about 0.15 s, so one environment is shared by
  the whole process, and :func:`compile_expression` keeps every compiled program (and every
  compile error) by source text.
* **Compile errors that point somewhere.** cel-python accepts some expressions that cel-go
  rejects when it compiles (an unknown function, ``has()`` on something that is not a field
  selection, a macro with a non-name variable), so those are checked statically here and
  reported like syntax errors, with a 1-based line and column.
* **Kubernetes values.** :func:`to_cel` converts the plain JSON view of a manifest following
  the schema, as the API server does: ``number`` is always a double, ``integer`` an int,
  ``date-time`` strings are timestamps, unknown fields are not visible, and at the root only
  ``metadata.name`` and ``metadata.generateName`` exist. :class:`CelView` converts a document
  once, the first time a rule needs it, and hands out sub-values to every later rule.
* **Kubernetes semantics where cel-python differs.** ``has()`` is strict (an error on a missing
  parent, not ``false``); ``map()``, ``filter()`` and ``exists_one()`` propagate errors instead
  of treating them as values; ``size(null)`` is an error; ``matches()`` is an RE2 search
  (:mod:`flux_lint.core.regex`), so ``^``/``$`` anchor only at the ends of the text.
* **Errors are not ``false``.** :func:`evaluate` returns a value or raises
  :class:`CelEvalError`. An error carries ``unsupported=True`` when the expression uses a
  Kubernetes library function that flux-lint does not implement, so callers can stay silent
  instead of reporting a verdict the API server would not give.
* **A fast path.** The interpreter needs about 0.3 ms per rule. :func:`decide` answers the
  common guard expressions (``has()``, field selection, string comparison, ``size()``,
  ``all()``/``exists()``, boolean operators) from plain values in microseconds, and says
  "don't know" for everything else, which then goes to the interpreter.

* **A budget.** Rules come from files flux-lint does not control (user rule folders, CRDs found
  in a repository), and cel-python has no cost model, so every evaluation is metered: steps
  (tree nodes visited, which counts macro iterations), the size of the values it builds, and a
  wall-clock deadline. Running out is a :class:`CelEvalError` with ``budget=True``, never a
  hang. ``||`` and ``&&`` skip their right operand when the left one decides, as in cel-go.

Extension functions live in one registry, :data:`EXTENSIONS`, filled with :func:`extension`.
Implemented from the Kubernetes CEL library: strings (``lowerAscii``, ``upperAscii``,
``split``, ``indexOf``, ``lastIndexOf``, ``trim``, ``replace``, ``substring``, ``charAt``,
``join``, ``reverse``, ``format``), lists (``isSorted``, ``sum``, ``min``, ``max``,
``indexOf``, ``lastIndexOf``), regex (``find``, ``findAll``), URLs (``url``, ``isURL``,
``getScheme``, ``getHost``, ``getHostname``, ``getPort``, ``getEscapedPath``, ``getQuery``)
and quantities (``quantity``, ``isQuantity``, ``sign``, ``isInteger``, ``asInteger``,
``asApproximateFloat``, ``add``, ``sub``, ``compareTo``, ``isGreaterThan``, ``isLessThan``).
The names in :data:`KUBERNETES_LIBRARY` compile but are reported as unsupported when they are
evaluated.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

import celpy
import lark
import re2
from celpy import celtypes
from celpy.evaluation import CELEvalError, Evaluator, base_functions, celstr

from flux_lint.core.regex import compile_pattern

__all__ = [
    "DEFAULT_BUDGET",
    "EXTENSIONS",
    "KUBERNETES_LIBRARY",
    "OPAQUE",
    "Budget",
    "CelCompileError",
    "CelError",
    "CelEvalError",
    "CelQuantity",
    "CelURL",
    "CelView",
    "Program",
    "compile_expression",
    "decide",
    "evaluate",
    "evaluate_bool",
    "extension",
    "to_cel",
    "to_python",
    "to_visible",
]

# --------------------------------------------------------------------------------------------
# Errors


class CelError(Exception):
    """Base class of the errors this module raises."""


class CelCompileError(CelError):
    """The expression does not compile; ``line`` and ``column`` are 1-based positions in it."""

    def __init__(self, source: str, reason: str, line: int = 1, column: int = 1) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(f"line {line}, column {column}: {reason}")

    def copy(self) -> CelCompileError:
        """A fresh instance, so that re-raising a cached error never grows its traceback."""
        return CelCompileError(self.source, self.reason, self.line, self.column)


class CelEvalError(CelError):
    """The expression compiled but its evaluation failed (no such key, no such overload ...).

    This is distinct from a ``false`` result: the API server reports a failed evaluation with
    its own message, never with the rule's ``message``. ``unsupported`` is true when the
    expression uses a function flux-lint does not implement, in which case the error says
    nothing about the manifest. ``budget`` is true when the evaluation was stopped because it
    ran out of its :class:`Budget`.
    """

    def __init__(self, message: str, *, unsupported: bool = False, budget: bool = False) -> None:
        self.message = message
        self.unsupported = unsupported
        self.budget = budget
        super().__init__(message)


class _UnsupportedFunction(CELEvalError):
    """The value a not-implemented Kubernetes library function evaluates to."""


# --------------------------------------------------------------------------------------------
# Extension functions

CelFunction = Callable[..., Any]

#: Functions added to, or replacing, cel-python's base functions. A method call
#: ``x.f(a)`` and a global call ``f(x, a)`` both call ``EXTENSIONS["f"](x, a)``.
EXTENSIONS: dict[str, CelFunction] = {}

#: Kubernetes CEL library names that flux-lint does not evaluate yet. Expressions that use them
#: compile (they are valid on a cluster) and evaluate to an error marked ``unsupported``.
KUBERNETES_LIBRARY: frozenset[str] = frozenset(
    {
        # IP addresses and CIDRs
        "ip", "isIP", "cidr", "isCIDR", "family", "isUnspecified", "isLoopback",
        "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast", "isCanonical",
        "containsIP", "containsCIDR", "prefixLength", "masked",
        # Semantic versions
        "semver", "isSemver", "major", "minor", "patch",
        # Named formats, strings.quote
        "named", "validate", "quote",
        # math, sets, lists and optional extensions
        "greatest", "least", "abs", "ceil", "floor", "round", "trunc", "isInf", "isNaN",
        "isFinite", "equivalent", "intersects", "slice", "flatten", "distinct", "sort", "sortBy",
        "first", "last", "of", "ofNonZeroValue", "none", "orValue", "value", "hasValue", "optMap",
        "optFlatMap", "encode", "decode",
    }
)  # fmt: skip

#: Identifiers that name a library namespace (``math.greatest(...)``) rather than a variable.
_NAMESPACES = frozenset({"math", "strings", "sets", "lists", "optional", "base64", "format"})

#: Type names usable as identifiers (``type(x) == string``).
_TYPE_NAMES = frozenset(
    {"bool", "bytes", "double", "duration", "int", "list", "map", "null_type", "string",
     "timestamp", "type", "uint", "dyn"}
)  # fmt: skip

#: Macros and how many arguments each takes.
_MACROS: dict[str, tuple[int, ...]] = {
    "all": (2,),
    "exists": (2,),
    "exists_one": (2,),
    "map": (2,),
    "filter": (2,),
}


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


def _error(message: str) -> CELEvalError:
    return CELEvalError(message)


def _unsupported(name: str) -> CelFunction:
    def stub(*_args: Any) -> CELEvalError:
        return _UnsupportedFunction(f"function `{name}` is not supported by flux-lint")

    return stub


def _is_string(*values: Any) -> bool:
    return all(isinstance(v, str) for v in values)


def _is_int(*values: Any) -> bool:
    """CEL ints (cel-python's ``BoolType`` is an ``int`` subclass, so it is excluded)."""
    return all(isinstance(v, int) and not isinstance(v, (bool, celtypes.BoolType)) for v in values)


@extension("size")
def _size(value: Any) -> Any:
    """``size(null)`` is an error in CEL; cel-python would answer 0."""
    if isinstance(value, (str, bytes, list, dict)):
        return celtypes.IntType(len(value))
    return _error(f"no such overload: size({_type_name(value)})")


@extension("matches")
def _matches(text: Any, pattern: Any) -> Any:
    """RE2 search, like ``regexp.MatchString`` in cel-go."""
    if not _is_string(text, pattern):
        return _error("no such overload: matches")
    try:
        return celtypes.BoolType(compile_pattern(str(pattern)).search(str(text)))
    except ValueError as exc:
        return _error(str(exc))


@lru_cache(maxsize=256)
def _re2(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


def _compiled(pattern: Any) -> Any:
    try:
        return _re2(str(pattern))
    except re2.error:
        return _error(f"invalid regular expression `{pattern}`")


@extension("find")
def _find(text: Any, pattern: Any) -> Any:
    """The first match of ``pattern`` in ``text``, or ``""`` (Kubernetes regex library)."""
    if not _is_string(text, pattern):
        return _error("no such overload: find")
    regexp = _compiled(pattern)
    if isinstance(regexp, CELEvalError):
        return regexp
    match = regexp.search(str(text))
    return celtypes.StringType(match.group(0) if match else "")


@extension("findAll")
def _find_all(text: Any, pattern: Any, limit: Any = -1) -> Any:
    """All (or the first ``limit``) matches of ``pattern`` in ``text``."""
    if not _is_string(text, pattern) or not _is_int(limit):
        return _error("no such overload: findAll")
    regexp = _compiled(pattern)
    if isinstance(regexp, CELEvalError):
        return regexp
    found = [celtypes.StringType(m.group(0)) for m in regexp.finditer(str(text))]
    return celtypes.ListType(found if limit < 0 else found[:limit])


@extension("lowerAscii")
def _lower_ascii(text: Any) -> Any:
    if not _is_string(text):
        return _error("no such overload: lowerAscii")
    return celtypes.StringType(str(text).translate(_LOWER))


@extension("upperAscii")
def _upper_ascii(text: Any) -> Any:
    if not _is_string(text):
        return _error("no such overload: upperAscii")
    return celtypes.StringType(str(text).translate(_UPPER))


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}

#: Unicode White_Space, which Go's ``strings.TrimSpace`` (and so cel-go's ``trim``) removes;
#: Python's ``str.strip()`` would also remove the ASCII separators U+001C..U+001F.
_WHITE_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


@extension("trim")
def _trim(text: Any) -> Any:
    if not _is_string(text):
        return _error("no such overload: trim")
    return celtypes.StringType(str(text).strip(_WHITE_SPACE))


@extension("charAt")
def _char_at(text: Any, index: Any) -> Any:
    if not _is_string(text) or not _is_int(index):
        return _error("no such overload: charAt")
    if index < 0 or index > len(text):
        return _error(f"index out of range: {index}")
    return celtypes.StringType(str(text)[index : index + 1])


@extension("indexOf")
def _index_of(container: Any, item: Any, offset: Any = 0) -> Any:
    """``'abc'.indexOf('c')`` (code points) and ``[1, 2].indexOf(2)`` (list library)."""
    if isinstance(container, list):
        for i, value in enumerate(container):
            if _equal(value, item):
                return celtypes.IntType(i)
        return celtypes.IntType(-1)
    if not _is_string(container, item) or not _is_int(offset):
        return _error("no such overload: indexOf")
    if offset < 0 or offset > len(container):
        return _error(f"index out of range: {offset}")
    return celtypes.IntType(str(container).find(str(item), offset))


@extension("lastIndexOf")
def _last_index_of(container: Any, item: Any, offset: Any = None) -> Any:
    if isinstance(container, list):
        for i in range(len(container) - 1, -1, -1):
            if _equal(container[i], item):
                return celtypes.IntType(i)
        return celtypes.IntType(-1)
    if not _is_string(container, item) or (offset is not None and not _is_int(offset)):
        return _error("no such overload: lastIndexOf")
    text, sub = str(container), str(item)
    if offset is None:
        return celtypes.IntType(text.rfind(sub))
    if offset < 0 or offset > len(text):
        return _error(f"index out of range: {offset}")
    return celtypes.IntType(text.rfind(sub, 0, offset + len(sub)))


@extension("replace")
def _replace(text: Any, old: Any, new: Any, count: Any = -1) -> Any:
    if not _is_string(text, old, new) or not _is_int(count):
        return _error("no such overload: replace")
    if len(new) > len(old):
        # Check the length before building a string that could be far too large.
        found = str(text).count(str(old))
        _check_length(len(text) + (found if count < 0 else min(count, found)) * len(new))
    return celtypes.StringType(str(text).replace(str(old), str(new), count))


@extension("split")
def _split(text: Any, separator: Any, limit: Any = -1) -> Any:
    """Go's ``strings.SplitN``: ``limit`` 0 gives an empty list, an empty separator splits
    into code points."""
    if not _is_string(text, separator) or not _is_int(limit):
        return _error("no such overload: split")
    value, sep = str(text), str(separator)
    if limit == 0:
        return celtypes.ListType()
    if sep == "":
        parts = list(value)
        if 0 < limit < len(parts):
            parts = [*parts[: limit - 1], "".join(parts[limit - 1 :])]
    else:
        parts = value.split(sep, limit - 1 if limit > 0 else -1)
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


@extension("substring")
def _substring(text: Any, start: Any, end: Any = None) -> Any:
    if not _is_string(text) or not _is_int(start) or (end is not None and not _is_int(end)):
        return _error("no such overload: substring")
    stop = len(text) if end is None else end
    if start < 0 or start > len(text) or stop < start or stop > len(text):
        return _error(f"index out of range: [{start}:{stop}]")
    return celtypes.StringType(str(text)[start:stop])


@extension("join")
def _join(items: Any, separator: Any = "") -> Any:
    if not isinstance(items, list) or not _is_string(separator, *items):
        return _error("no such overload: join")
    return celtypes.StringType(_sized(str(separator).join(str(i) for i in items)))


@extension("reverse")
def _reverse(text: Any) -> Any:
    if isinstance(text, list):
        return celtypes.ListType(reversed(text))
    if not _is_string(text):
        return _error("no such overload: reverse")
    return celtypes.StringType(str(text)[::-1])


@extension("isSorted")
def _is_sorted(items: Any) -> Any:
    if not isinstance(items, list):
        return _error("no such overload: isSorted")
    try:
        return celtypes.BoolType(all(a <= b for a, b in pairwise(items)))
    except TypeError:
        return _error("no such overload: isSorted")


@extension("sum")
def _sum(items: Any) -> Any:
    if not isinstance(items, list) or not items:
        return celtypes.IntType(0) if isinstance(items, list) else _error("no such overload: sum")
    try:
        total = items[0]
        for item in items[1:]:
            total = total + item
        return total
    except (TypeError, ValueError):
        return _error("no such overload: sum")


@extension("max")
def _max(items: Any) -> Any:
    if not isinstance(items, list) or not items:
        return _error("max called on an empty list" if items == [] else "no such overload: max")
    try:
        return max(items)
    except TypeError:
        return _error("no such overload: max")


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except TypeError:
        return False


def _type_name(value: Any) -> str:
    if value is None:
        return "null_type"
    for cel_type, name in (
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
        (CelURL, "kubernetes.URL"),
        (CelQuantity, "kubernetes.Quantity"),
    ):
        if isinstance(value, cel_type):
            return name
    return type(value).__name__


@extension("min")
def _min(items: Any) -> Any:
    if not isinstance(items, list) or not items:
        return _error("min called on an empty list" if items == [] else "no such overload: min")
    try:
        return min(items)
    except TypeError:
        return _error("no such overload: min")


# --------------------------------------------------------------------------------------------
# Evaluation budget
#
# cel-go estimates the cost of an expression when it compiles it and the API server refuses
# rules that could cost too much; cel-python has no cost model at all, and the rules flux-lint
# runs come from files it does not control (user rule folders, CRDs found in a repository). So
# the interpreter is metered while it runs: every node of the expression tree it visits is one
# step, which also counts every iteration of a macro (``all``, ``exists``, ``map`` ...) because
# each iteration visits the macro's body; a wall-clock deadline is checked every few hundred
# steps; and values that could grow without visiting many nodes (``+`` on strings and lists,
# ``replace``, ``join``, ``format``, nested macros that double a string at every level) are
# limited in size. Running out is an evaluation error with ``budget=True``, never a hang.


@dataclass(frozen=True)
class Budget:
    """Limits for one evaluation of one expression.

    ``steps`` is deterministic (the same expression on the same object always takes the same
    number of steps), so it decides on every machine; ``seconds`` is only a safety net for
    single steps that are slow. ``size`` bounds the length of any string, bytes or list an
    operation produces.
    """

    steps: int = 100_000
    seconds: float = 5.0
    size: int = 1_000_000


#: The budget every evaluation gets unless the caller passes another one. A CRD rule on a
#: large real object takes a few thousand steps.
DEFAULT_BUDGET = Budget()

_CHECK_EVERY = 256


class _BudgetExceeded(Exception):
    """Raised from inside the interpreter; deliberately not a ``CELEvalError`` (nor a
    ``ValueError``/``TypeError``, which cel-python turns into values) so that no ``||``, macro
    or function wrapper can absorb it."""


class _Meter:
    """The budget being spent by one evaluation."""

    __slots__ = ("budget", "deadline", "left", "next_check")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.left = budget.steps
        self.next_check = budget.steps - _CHECK_EVERY
        self.deadline = time.perf_counter() + budget.seconds

    def check(self) -> None:
        if self.left <= 0:
            raise _BudgetExceeded(
                f"evaluation budget exceeded: more than {self.budget.steps} steps"
            )
        if time.perf_counter() > self.deadline:
            raise _BudgetExceeded(
                f"evaluation budget exceeded: took longer than {self.budget.seconds:g} s"
            )
        self.next_check = self.left - _CHECK_EVERY

    def size(self, value: Any) -> Any:
        if isinstance(value, (str, bytes, list, dict, range)) and len(value) > self.budget.size:
            raise _BudgetExceeded(
                f"evaluation budget exceeded: a value of more than {self.budget.size} "
                "characters or items"
            )
        return value


_METER: ContextVar[_Meter | None] = ContextVar("flux_lint_cel_meter", default=None)


def _sized(value: Any) -> Any:
    """``value``, after checking it against the running evaluation's size limit."""
    meter = _METER.get()
    return value if meter is None else meter.size(value)


def _check_length(length: int) -> None:
    """Refuse to build a value of ``length`` characters or items beyond the size limit."""
    meter = _METER.get()
    if meter is not None and length > meter.budget.size:
        meter.size(range(length))


# --------------------------------------------------------------------------------------------
# String formatting (cel-go's strings extension, ``'%s: %d'.format([a, b])``)

_FORMAT_VERB = re.compile(r"%(?:\.(\d+))?([a-zA-Z%])")


@extension("format")
def _format(template: Any, args: Any) -> Any:
    if not _is_string(template) or not isinstance(args, list):
        return _error("no such overload: format")
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
            return _error(f"format: unterminated or invalid verb at position {percent}")
        position = verb.end()
        precision, code = verb.group(1), verb.group(2)
        if code == "%":
            out.append("%")
            continue
        if index >= len(args):
            return _error(f"format: index {index} out of range")
        piece = _format_one(code, None if precision is None else int(precision), args[index])
        if isinstance(piece, CELEvalError):
            return piece
        out.append(piece)
        index += 1
    return celtypes.StringType(_sized("".join(out)))


def _format_one(code: str, precision: int | None, value: Any) -> Any:
    if code == "s":
        return _display(value)
    if code == "d":
        if _is_int(value) or isinstance(value, celtypes.UintType):
            return str(int(value))
        return _error("format: decimal clause can only be used on integers")
    if code in "feE":
        if not isinstance(value, (int, float)) or isinstance(value, (bool, celtypes.BoolType)):
            return _error("format: fixed-point and scientific clauses can only be used on numbers")
        if not _finite(float(value)):
            return _special_float(float(value))
        return f"{float(value):.{6 if precision is None else precision}{code}}"
    if code == "b":
        if isinstance(value, (bool, celtypes.BoolType)):
            return "1" if value else "0"
        if _is_int(value) or isinstance(value, celtypes.UintType):
            return format(int(value), "b")
        return _error("format: only integers and bools can be formatted as binary")
    if code == "o":
        if _is_int(value) or isinstance(value, celtypes.UintType):
            return format(int(value), "o")
        return _error("format: octal clause can only be used on integers")
    if code in "xX":
        if _is_int(value) or isinstance(value, celtypes.UintType):
            digits = format(int(value), "x")
        elif isinstance(value, (str, bytes)):
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            digits = raw.hex()
        else:
            return _error(
                "format: only integers, byte buffers, and strings can be formatted as hex"
            )
        return digits.upper() if code == "X" else digits
    return _error(f"format: unrecognized formatting clause `%{code}`")


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
    if isinstance(value, list):
        return "[" + ", ".join(_display(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_display(k)}: {_display(v)}" for k, v in value.items()) + "}"
    return str(value)


# --------------------------------------------------------------------------------------------
# URLs (Kubernetes' URL library: ``url()``, ``isURL()``, ``getHost()`` ...)
#
# The library parses with Go's ``net/url``: ``isURL`` is ``url.ParseRequestURI`` (an absolute
# URL or an absolute path, no fragment handling), and ``url()`` checks with ``ParseRequestURI``
# and then keeps what ``url.Parse`` makes of the text. The subset of ``net/url`` those two need
# is ported below, byte for byte where it decides validity.


class _URLError(Exception):
    """``net/url`` refused the text."""


@dataclass(frozen=True)
class CelURL:
    """A URL value (``kubernetes.URL``): the parts ``net/url`` stores."""

    scheme: str = ""
    opaque: str = ""
    host: str = ""
    path: str = ""
    raw_path: str = ""  # the path as written, before unescaping
    raw_query: str = ""
    fragment: str = ""


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_PATH, _HOST, _ZONE, _QUERY, _FRAGMENT = "path", "host", "zone", "query", "fragment"


def _should_escape(c: str, mode: str) -> bool:
    """``net/url.shouldEscape`` for one ASCII character."""
    if c in _ALNUM:
        return False
    if mode in (_HOST, _ZONE) and c in "!$&'()*+,;=:[]<>\"":
        return False
    if c in "-_.~":
        return False
    if c in "$&+,/:;=?@":
        if mode == _PATH:
            return c == "?"
        if mode == _QUERY:
            return True
        if mode == _FRAGMENT:
            return False
    return not (mode == _FRAGMENT and c in "!()*")


def _unescape(text: str, mode: str) -> str:
    """``net/url.unescape``: decode ``%XX`` (and ``+`` in query components), rejecting what
    Go rejects."""
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            if i + 2 >= len(text) or text[i + 1] not in _HEX or text[i + 2] not in _HEX:
                raise _URLError(f'invalid URL escape "{text[i : i + 3]}"')
            escape = text[i : i + 3]
            if mode == _HOST and int(text[i + 1], 16) < 8 and escape != "%25":
                raise _URLError(f'invalid URL escape "{escape}"')
            if mode == _ZONE:
                byte = int(text[i + 1 : i + 3], 16)
                if escape != "%25" and byte != 0x20 and _should_escape(chr(byte), _HOST):
                    raise _URLError(f'invalid URL escape "{escape}"')
            i += 3
            continue
        if mode in (_HOST, _ZONE) and ord(c) < 0x80 and _should_escape(c, mode):
            raise _URLError(f'invalid character "{c}" in host name')
        i += 1
    raw = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            raw.append(int(text[i + 1 : i + 3], 16))
            i += 3
        elif c == "+" and mode == _QUERY:
            raw.append(0x20)
            i += 1
        else:
            raw.extend(c.encode("utf-8"))
            i += 1
    return raw.decode("utf-8", errors="replace")


def _escape(text: str, mode: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        c = chr(byte)
        out.append(f"%{byte:02X}" if byte >= 0x80 or _should_escape(c, mode) else c)
    return "".join(out)


def _valid_encoded(text: str) -> bool:
    """``net/url.validEncoded`` for paths: whether the text as written can be kept."""
    for c in text:
        if c in "!$&'()*+,;=:@[]%":
            continue
        if ord(c) >= 0x80 or _should_escape(c, _PATH):
            return False
    return True


def _valid_optional_port(port: str) -> bool:
    if port == "":
        return True
    return port[0] == ":" and all("0" <= c <= "9" for c in port[1:])


def _url_scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if "a" <= c <= "z" or "A" <= c <= "Z":
            continue
        if "0" <= c <= "9" or c in "+-.":
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise _URLError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def _url_host(host: str) -> str:
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise _URLError("missing ']' in host")
        colon_port = host[end + 1 :]
        if not _valid_optional_port(colon_port):
            raise _URLError(f'invalid port "{colon_port}" after host')
        zone = host.find("%25", 0, end)
        if zone >= 0:
            return (
                _unescape(host[:zone], _HOST)
                + _unescape(host[zone:end], _ZONE)
                + _unescape(host[end:], _HOST)
            )
    else:
        colon = host.rfind(":")
        if colon != -1 and not _valid_optional_port(host[colon:]):
            raise _URLError(f'invalid port "{host[colon:]}" after host')
    return _unescape(host, _HOST)


def _url_authority(authority: str) -> str:
    at = authority.rfind("@")
    host = _url_host(authority[at + 1 :])
    if at >= 0 and not all(c in _ALNUM or c in "-._:~!$&'()*+,;=%@" for c in authority[:at]):
        raise _URLError("net/url: invalid userinfo")
    return host


def _parse_url(raw: str, via_request: bool) -> CelURL:
    """``net/url.parse``: the URL without its fragment."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise _URLError("net/url: invalid control character in URL")
    if raw == "" and via_request:
        raise _URLError("empty url")
    if raw == "*":
        return CelURL(path="*", raw_path="*")
    scheme, rest = _url_scheme(raw)
    scheme = scheme.lower()
    if rest.endswith("?") and rest.count("?") == 1:
        rest, query = rest[:-1], ""
    else:
        rest, _, query = rest.partition("?")
    if not rest.startswith("/"):
        if scheme:
            return CelURL(scheme=scheme, opaque=rest, raw_query=query)
        if via_request:
            raise _URLError("invalid URI for request")
        if ":" in rest.partition("/")[0]:
            raise _URLError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or (not via_request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        host, rest = _url_authority(authority), slash + tail
    return CelURL(
        scheme=scheme, host=host, path=_unescape(rest, _PATH), raw_path=rest, raw_query=query
    )


def _request_uri(text: str) -> CelURL:
    """``url.ParseRequestURI``, then ``url.Parse`` (as the Kubernetes library does)."""
    _parse_url(text, via_request=True)
    before, hash_mark, fragment = text.partition("#")
    parsed = _parse_url(before, via_request=False)
    if hash_mark:
        parsed = CelURL(**{**parsed.__dict__, "fragment": _unescape(fragment, _FRAGMENT)})
    return parsed


@extension("url")
def _url(text: Any) -> Any:
    if not _is_string(text):
        return _error("no such overload: url")
    try:
        return _request_uri(str(text))
    except _URLError as exc:
        return _error(f"URL parse error during conversion from string: {exc}")


@extension("isURL")
def _is_url(text: Any) -> Any:
    if not _is_string(text):
        return _error("no such overload: isURL")
    try:
        _request_uri(str(text))
    except _URLError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


def _split_host_port(host: str) -> tuple[str, str]:
    port = ""
    colon = host.rfind(":")
    if colon != -1 and _valid_optional_port(host[colon:]):
        host, port = host[:colon], host[colon + 1 :]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port


def _url_method(name: str, get: Callable[[CelURL], Any]) -> CelFunction:
    def method(value: Any) -> Any:
        if not isinstance(value, CelURL):
            return _error(f"no such overload: {name}")
        return get(value)

    return method


def _escaped_path(value: CelURL) -> str:
    if value.path == "*":
        return "*"
    return value.raw_path if _valid_encoded(value.raw_path) else _escape(value.path, _PATH)


def _query(value: CelURL) -> Any:
    """``url.Query()``: pairs that do not decode, and pairs with ``;``, are left out."""
    result: dict[str, list[str]] = {}
    for pair in value.raw_query.split("&"):
        if not pair or ";" in pair:
            continue
        key, _, item = pair.partition("=")
        try:
            key, item = _unescape(key, _QUERY), _unescape(item, _QUERY)
        except _URLError:
            continue
        result.setdefault(key, []).append(item)
    return celtypes.MapType(
        {
            celtypes.StringType(k): celtypes.ListType([celtypes.StringType(v) for v in vs])
            for k, vs in result.items()
        }
    )


for _url_name, _url_get in (
    ("getScheme", lambda u: celtypes.StringType(u.scheme)),
    ("getHost", lambda u: celtypes.StringType(u.host)),
    ("getHostname", lambda u: celtypes.StringType(_split_host_port(u.host)[0])),
    ("getPort", lambda u: celtypes.StringType(_split_host_port(u.host)[1])),
    ("getEscapedPath", lambda u: celtypes.StringType(_escaped_path(u))),
    ("getQuery", _query),
):
    EXTENSIONS[_url_name] = _url_method(_url_name, _url_get)


# --------------------------------------------------------------------------------------------
# Quantities (Kubernetes' quantity library: ``quantity('1Gi').isGreaterThan(...)``)
#
# ``resource.ParseQuantity`` is ported with its two representations: a value that fits an
# int64 at a scale of at least 10^-9 is kept exactly ("fast"), anything else becomes an
# arbitrary-precision decimal, rounded up to 10^-9 and capped at 2^63-1. The difference is
# visible in CEL: ``isInteger()`` and ``asInteger()`` only succeed for the fast form, so
# ``quantity('1.5Ki').isInteger()`` is false although 1.5Ki is 1536, as on a cluster.

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
    holds it as an int64 (see the section comment)."""

    value: Fraction
    fast: bool = True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CelQuantity):
            return NotImplemented
        return self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

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
        magnitude = min(magnitude, Fraction(_INT64_MAX))
    return CelQuantity(magnitude if positive else -magnitude, fast)


@extension("quantity")
def _quantity(text: Any) -> Any:
    if not _is_string(text):
        return _error("no such overload: quantity")
    try:
        return _parse_quantity(str(text))
    except _QuantityError as exc:
        return _error(str(exc))


@extension("isQuantity")
def _is_quantity(text: Any) -> Any:
    if not _is_string(text):
        return _error("no such overload: isQuantity")
    try:
        _parse_quantity(str(text))
    except _QuantityError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


def _quantity_operand(value: Any, *, integers: bool = False) -> CelQuantity | None:
    if isinstance(value, CelQuantity):
        return value
    if integers and _is_int(value):
        return CelQuantity(Fraction(int(value)))
    return None


def _operands(name: str, value: Any, other: Any, *, integers: bool = False) -> Any:
    """Both operands of a binary quantity method, or the no-such-overload error."""
    right = _quantity_operand(other, integers=integers)
    if not isinstance(value, CelQuantity) or right is None:
        return _error(f"no such overload: {name}")
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
        return _error("no such overload: sign")
    return celtypes.IntType((value.value > 0) - (value.value < 0))


@extension("isInteger")
def _is_integer(value: Any) -> Any:
    if not isinstance(value, CelQuantity):
        return _error("no such overload: isInteger")
    return celtypes.BoolType(value.as_int64() is not None)


@extension("asInteger")
def _as_integer(value: Any) -> Any:
    if not isinstance(value, CelQuantity):
        return _error("no such overload: asInteger")
    number = value.as_int64()
    if number is None:
        return _error("cannot convert value to integer")
    return celtypes.IntType(number)


@extension("asApproximateFloat")
def _as_approximate_float(value: Any) -> Any:
    if not isinstance(value, CelQuantity):
        return _error("no such overload: asApproximateFloat")
    return celtypes.DoubleType(float(value.value))


@extension("compareTo")
def _compare_to(value: Any, other: Any) -> Any:
    pair = _operands("compareTo", value, other)
    return pair if isinstance(pair, CELEvalError) else celtypes.IntType(_compare(*pair))


@extension("isGreaterThan")
def _is_greater_than(value: Any, other: Any) -> Any:
    pair = _operands("isGreaterThan", value, other)
    return pair if isinstance(pair, CELEvalError) else celtypes.BoolType(_compare(*pair) > 0)


@extension("isLessThan")
def _is_less_than(value: Any, other: Any) -> Any:
    pair = _operands("isLessThan", value, other)
    return pair if isinstance(pair, CELEvalError) else celtypes.BoolType(_compare(*pair) < 0)


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


for _name in KUBERNETES_LIBRARY:
    EXTENSIONS.setdefault(_name, _unsupported(_name))


def _functions() -> dict[str, CelFunction]:
    return {**base_functions, **EXTENSIONS}


# --------------------------------------------------------------------------------------------
# Evaluation with Kubernetes semantics


def _unwrap(tree: lark.Tree) -> lark.Tree:
    """Descend through the single-child wrappers (expr → conditionalor → ... → member)."""
    node = tree
    while (
        isinstance(node, lark.Tree)
        and len(node.children) == 1
        and isinstance(node.children[0], lark.Tree)
    ):
        node = node.children[0]
    return node


class _KubernetesEvaluator(Evaluator):
    """cel-python's interpreter with the CEL semantics cel-go (and so the API server) has, and
    metered: every node it visits spends one step of the evaluation's :class:`Budget`."""

    def __init__(self, ast: lark.Tree, activation: Any, meter: _Meter | None = None) -> None:
        super().__init__(ast, activation=activation)
        self.meter = meter

    def sub_evaluator(self, ast: lark.Tree) -> Evaluator:
        return _KubernetesEvaluator(ast, activation=self.activation, meter=self.meter)

    def visit(self, tree: lark.Tree) -> Any:
        meter = self.meter
        if meter is not None:
            meter.left -= 1
            if meter.left <= meter.next_check:
                meter.check()
        return super().visit(tree)

    def visit_children(self, tree: lark.Tree) -> list[Any]:
        """Children go through :meth:`visit` (lark's own loop would bypass the meter)."""
        self.level += 1
        try:
            return [self.visit(c) if isinstance(c, lark.Tree) else c for c in tree.children]
        finally:
            self.level -= 1

    def conditionalor(self, tree: lark.Tree) -> Any:
        return self._logical(tree, absorbing=True)

    def conditionaland(self, tree: lark.Tree) -> Any:
        return self._logical(tree, absorbing=False)

    def _logical(self, tree: lark.Tree, *, absorbing: bool) -> Any:
        """``||`` and ``&&`` as cel-go evaluates them: the right operand is skipped when the
        left one decides (cel-python evaluates both, which costs time and budget for nothing);
        an absorbing value on either side wins over an error on the other (``error || true``
        is ``true``); otherwise the first error is the result."""
        if len(tree.children) != 2:
            return self.visit_children(tree)[0]
        left = self.visit(tree.children[0])
        if isinstance(left, celtypes.BoolType) and bool(left) is absorbing:
            return left
        right = self.visit(tree.children[1])
        if isinstance(right, celtypes.BoolType) and bool(right) is absorbing:
            return right
        for side in (left, right):
            if isinstance(side, CELEvalError):
                return side
        if isinstance(left, celtypes.BoolType) and isinstance(right, celtypes.BoolType):
            return celtypes.BoolType(not absorbing)
        operator = "||" if absorbing else "&&"
        return _error(f"no such overload: {_type_name(left)} {operator} {_type_name(right)}")

    def addition(self, tree: lark.Tree) -> Any:
        """``+``, refusing strings, bytes and lists beyond the size limit (nested macros can
        double a value at every level without visiting many nodes)."""
        result = super().addition(tree)
        if self.meter is not None:
            self.meter.size(result)
        return result

    def macro_has_eval(self, exprlist: lark.Tree) -> Any:
        """``has(e.f)``: whether map ``e`` has key ``f``; an error when ``e`` itself fails.

        cel-python answers ``false`` whenever ``e.f`` cannot be evaluated, which would turn
        ``has(self.missing.field)`` into a silent ``false``.
        """
        selection = _unwrap(exprlist.children[0]) if exprlist.children else None
        if not isinstance(selection, lark.Tree) or selection.data != "member_dot":
            return _error("invalid argument to has() macro")
        target_tree, name = selection.children
        target = self.visit(target_tree)
        if isinstance(target, CELEvalError):
            return target
        if isinstance(target, dict):
            return celtypes.BoolType(celtypes.StringType(str(name)) in target)
        return _error(f"no such overload: has() on {_type_name(target)}")

    def member_dot_arg(self, tree: lark.Tree) -> Any:
        """The macros, with cel-go's rules: they apply to lists and maps (keys) only, and an
        error for one item fails ``map``, ``filter`` and ``exists_one``, while ``all`` and
        ``exists`` fail only if no item decides the answer. cel-python keeps errors as list
        items, counts them as true, or raises a Python error for a non-list target."""
        method = str(tree.children[1])
        if method == "min":
            # cel-python treats ``min()`` as a macro of its own; Kubernetes' is a function.
            target = self.visit(tree.children[0])
            args = self.visit_children(tree.children[2]) if len(tree.children) > 2 else []
            return self.method_eval(target, tree.children[1], args)
        if method not in _MACROS:
            return super().member_dot_arg(tree)
        items = self.visit(tree.children[0])
        if isinstance(items, CELEvalError):
            return items
        if not isinstance(items, (list, dict)):
            return _error(f"no such overload: {method} on {_type_name(items)}")
        if method in ("all", "exists"):
            return self._quantifier(tree, items, absorbing=method == "exists")
        body = self.build_macro_eval(tree)
        results = []
        for item in items:
            try:
                result = body(item)
            except CELEvalError as exc:
                return exc
            if isinstance(result, CELEvalError):
                return result
            if method != "map" and not isinstance(result, celtypes.BoolType):
                return _error(f"no such overload: {method} predicate is not a bool")
            results.append((item, result))
        if method == "map":
            return celtypes.ListType([r for _, r in results])
        if method == "filter":
            return celtypes.ListType([i for i, r in results if r])
        return celtypes.BoolType(sum(1 for _, r in results if r) == 1)

    def _quantifier(self, tree: lark.Tree, items: Iterable[Any], absorbing: bool) -> Any:
        body = self.build_ss_macro_eval(tree)
        error: Any = None
        for item in items:
            result = body(item)
            if isinstance(result, celtypes.BoolType):
                if bool(result) is absorbing:
                    return celtypes.BoolType(absorbing)
            elif error is None:
                error = (
                    result
                    if isinstance(result, CELEvalError)
                    else _error("no such overload: predicate is not a bool")
                )
        return error if error is not None else celtypes.BoolType(not absorbing)


class _KubernetesRunner(celpy.InterpretedRunner):
    def evaluate(self, context: Any, meter: _Meter | None = None) -> Any:
        evaluator = _KubernetesEvaluator(self.ast, activation=self.new_activation(), meter=meter)
        token = _METER.set(meter)
        try:
            return evaluator.evaluate(context)
        finally:
            _METER.reset(token)


@lru_cache(maxsize=1)
def _environment() -> celpy.Environment:
    """The process's one CEL environment (building the parser is the expensive part, so its
    tables come from a file when they can: :func:`_install_parser`)."""
    _install_parser()
    return celpy.Environment(runner_class=_KubernetesRunner)


# --------------------------------------------------------------------------------------------
# The parser's tables, kept between runs
#
# cel-python builds a LALR parser from its Lark grammar in every process, about 0.3 s: half of
# what linting one small file used to cost. The tables depend only on the grammar and the Lark
# version, so they are computed once and kept in the cache folder (named after both), and each
# later process only loads them (~10 ms). The file holds Lark's own serialisation of the parser
# (plain dicts, lists and strings) written with marshal, behind the cache's header and MAC
# (cache.Sealer), so nothing is unpickled and a damaged or foreign file is simply rebuilt.
# The parser is the one cel-python would build, with ``debug`` off: Lark's debug mode only
# prints a state dump to stdout when parsing fails with something other than a syntax error.

#: Where the tables are kept; None: the default user cache folder (cache.default_cache_dir).
#: Not the run's ``--cache-dir``, and kept with ``--no-cache`` too: the tables come from the
#: installed cel-python and Lark alone, never from what a run reads, so every run of the
#: installation shares one copy (a run with a fresh result cache does not rebuild them).
PARSER_CACHE_DIR: Any = None
_PARSER_FILE = b"cel-parser"


def _install_parser() -> None:
    """Give cel-python its parser before it builds one: loaded from the cache folder, else
    built and stored there."""
    from celpy.celparser import CELParser

    if CELParser.CEL_PARSER is None:
        CELParser.CEL_PARSER = _cached_parser(CELParser.ambiguous_literals)


def _cached_parser(ambiguous_literals: Callable[[Any], Any]) -> lark.Lark:
    import hashlib
    import marshal
    from pathlib import Path

    import celpy.celparser
    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    from flux_lint.core import sealed as cache

    grammar = (Path(celpy.celparser.__file__).parent / "cel.lark").read_text(encoding="utf-8")
    options = {
        "parser": "lalr",
        "start": "expr",
        "maybe_placeholders": False,
        "priority": "invert",
    }
    runtime = {
        "lexer_callbacks": {"IDENT": ambiguous_literals},
        "tree_class": lark.Tree,
        "g_regex_flags": re.M,
        "propagate_positions": True,
    }
    name = hashlib.blake2b(
        repr((lark.__version__, grammar, sorted(options.items()))).encode("utf-8"),
        digest_size=16,
    ).hexdigest()
    root = Path(PARSER_CACHE_DIR) if PARSER_CACHE_DIR is not None else cache.default_cache_dir()
    path = root / f"cel-parser-{name}.bin"
    sealer = cache.Sealer(root)
    payload = cache.read_sealed(sealer, _PARSER_FILE, path)
    if payload is not None:
        try:
            stored = marshal.loads(payload)
            return lark.Lark._load_from_dict(stored["data"], stored["memo"], **runtime)
        except Exception:  # damaged, or from a Lark that serialises differently: rebuild
            pass
    parser = lark.Lark(grammar, **options, **runtime)
    try:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        data["options"] = {
            k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS
        }
        payload = marshal.dumps({"data": _marshalable(data), "memo": _marshalable(memo)})
    except (ValueError, TypeError):  # something marshal cannot write: use it unsaved
        return parser
    cache.write_sealed(sealer, _PARSER_FILE, path, payload)
    return parser


def _marshalable(value: Any) -> Any:
    """Lark's serialisation with its enum flags (``re.M``) as the ints they are."""
    if isinstance(value, dict):
        return {_marshalable(k): _marshalable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marshalable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_marshalable(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool) and type(value) is not int:
        return int(value)
    return value


# --------------------------------------------------------------------------------------------
# Compiling


@dataclass(frozen=True, eq=False)
class Program:
    """A compiled CEL expression, ready to be evaluated any number of times."""

    source: str
    runner: Any = field(repr=False)
    #: Names the expression uses that flux-lint cannot evaluate (see ``KUBERNETES_LIBRARY``).
    unsupported: frozenset[str] = frozenset()
    #: Identifiers the expression reads at its top level (``self``, ``oldSelf`` ...).
    variables: frozenset[str] = frozenset()
    #: The expression as a Python closure over visible values, when it only uses the subset
    #: :func:`decide` understands.
    fast: Callable[[Mapping[str, Any]], Any] | None = field(default=None, repr=False)

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        return evaluate(self, activation)

    def decide(self, activation: Mapping[str, Any]) -> bool | None:
        return decide(self, activation)


_CACHE: dict[tuple[str, frozenset[str] | None], Program | CelCompileError] = {}


def compile_expression(source: str, variables: Iterable[str] | None = None) -> Program:
    """Compile ``source`` once per process; raise :class:`CelCompileError` if it is invalid.

    ``variables``, when given, are the only free identifiers the expression may use (as the
    API server declares ``self`` and ``oldSelf`` for CRD rules); without it any identifier
    compiles and an unbound one fails at evaluation.
    """
    names = None if variables is None else frozenset(variables)
    key = (source, names)
    cached = _CACHE.get(key)
    if cached is None:
        try:
            cached = _compile(source, names)
        except CelCompileError as exc:
            cached = exc
        _CACHE[key] = cached
    if isinstance(cached, CelCompileError):
        raise cached.copy()
    return cached


def _compile(source: str, variables: frozenset[str] | None) -> Program:
    if not isinstance(source, str) or not source.strip():
        raise CelCompileError(str(source), "empty expression")
    env = _environment()
    try:
        ast = env.compile(source)
    except celpy.CELParseError as exc:
        raise _parse_error(source, exc) from None
    checker = _Checker(source, variables)
    checker.visit(ast, frozenset())
    runner = env.program(ast, functions=_functions())
    try:
        fast = _fast(ast)
    except _Undecided:
        fast = None
    return Program(
        source=source,
        runner=runner,
        unsupported=frozenset(checker.unsupported),
        variables=frozenset(checker.free),
        fast=fast,
    )


def _parse_error(source: str, exc: Exception) -> CelCompileError:
    cause = exc.__context__
    line = getattr(exc, "line", None) or getattr(cause, "line", None) or 1
    column = getattr(exc, "column", None) or getattr(cause, "column", None) or 1
    if isinstance(cause, lark.exceptions.UnexpectedToken):
        token = cause.token
        if token.type == "$END" or not str(token):
            reason = "unexpected end of expression"
            lines = source.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
        else:
            reason = f"unexpected `{token}`"
    elif isinstance(cause, lark.exceptions.UnexpectedCharacters):
        reason = f"unexpected character `{cause.char}`"
        if cause.char in "\"'":
            reason = "unterminated string literal"
    else:
        reason = "syntax error"
    return CelCompileError(source, reason, int(line), int(column))


class _Checker:
    """Static checks cel-go makes at compile time and cel-python leaves to evaluation."""

    def __init__(self, source: str, variables: frozenset[str] | None) -> None:
        self.source = source
        self.variables = variables
        self.functions = set(base_functions) | set(EXTENSIONS) | {"has", "dyn", "min"}
        self.unsupported: set[str] = set()
        self.free: set[str] = set()

    def fail(self, where: Any, reason: str) -> None:
        line = getattr(where, "line", None)
        column = getattr(where, "column", None)
        if line is None and isinstance(where, lark.Tree) and not where.meta.empty:
            line, column = where.meta.line, where.meta.column
        raise CelCompileError(self.source, reason, line or 1, column or 1)

    def visit(self, node: Any, bound: frozenset[str]) -> None:
        if not isinstance(node, lark.Tree):
            return
        kind = node.data
        if kind == "member_dot_arg":
            self.method(node, bound)
        elif kind == "ident_arg":
            self.call(node, bound)
        elif kind == "ident":
            self.ident(node.children[0], bound)
        else:
            for child in node.children:
                self.visit(child, bound)

    def args(self, node: lark.Tree, index: int) -> list[Any]:
        return list(node.children[index].children) if len(node.children) > index else []

    def method(self, node: lark.Tree, bound: frozenset[str]) -> None:
        target, name = node.children[0], node.children[1]
        args = self.args(node, 2)
        self.visit(target, bound)
        if str(name) in _MACROS:
            if len(args) not in _MACROS[str(name)]:
                self.fail(name, f"`{name}` takes exactly 2 arguments")
            variable = _unwrap(args[0])
            if not (isinstance(variable, lark.Tree) and variable.data == "ident"):
                self.fail(name, f"the first argument of `{name}` must be a simple name")
            inner = bound | {str(variable.children[0])}
            for arg in args[1:]:
                self.visit(arg, inner)
            return
        self.function(name)
        for arg in args:
            self.visit(arg, bound)

    def call(self, node: lark.Tree, bound: frozenset[str]) -> None:
        name = node.children[0]
        args = self.args(node, 1)
        if str(name) == "has":
            selection = _unwrap(args[0]) if len(args) == 1 else None
            if not (isinstance(selection, lark.Tree) and selection.data == "member_dot"):
                self.fail(name, "invalid argument to has() macro")
        else:
            self.function(name)
        for arg in args:
            self.visit(arg, bound)

    def function(self, name: Any) -> None:
        text = str(name)
        if text not in self.functions:
            self.fail(name, f"undeclared reference to function `{text}`")
        if text in KUBERNETES_LIBRARY:
            self.unsupported.add(text)

    def ident(self, token: Any, bound: frozenset[str]) -> None:
        text = str(token)
        if text in bound or text in _TYPE_NAMES:
            return
        if text in _NAMESPACES:
            self.unsupported.add(text)
            return
        self.free.add(text)
        if self.variables is not None and text not in self.variables:
            self.fail(token, f"undeclared reference to `{text}`")


# --------------------------------------------------------------------------------------------
# Evaluating

_PLAIN = (dict, list, str, int, float, bool)
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
    program: Program, activation: Mapping[str, Any], budget: Budget | None = DEFAULT_BUDGET
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
        result = program.runner.evaluate(bound, None if budget is None else _Meter(budget))
    except _BudgetExceeded as exc:
        raise CelEvalError(str(exc), budget=True) from None
    except _UnsupportedFunction as exc:
        raise CelEvalError(_describe(exc), unsupported=True) from None
    except CELEvalError as exc:
        raise CelEvalError(_describe(exc), unsupported=bool(program.unsupported)) from None
    except RecursionError:
        raise CelEvalError("expression is nested too deeply") from None
    except Exception as exc:  # a defect in the interpreter must not stop a lint run
        raise CelEvalError(f"internal evaluation error: {type(exc).__name__}: {exc}") from None
    if isinstance(result, CELEvalError):
        raise CelEvalError(_describe(result), unsupported=bool(program.unsupported))
    return result


def evaluate_bool(
    program: Program, activation: Mapping[str, Any], budget: Budget | None = DEFAULT_BUDGET
) -> bool:
    """Evaluate a validation rule: ``True``/``False``, or :class:`CelEvalError` (also when the
    result is not a bool, which the API server refuses when it compiles the rule)."""
    result = evaluate(program, activation, budget)
    if not isinstance(result, celtypes.BoolType):
        raise CelEvalError(f"rule evaluated to {_type_name(result)}, not bool")
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


# --------------------------------------------------------------------------------------------
# Converting JSON values


def to_cel(value: Any, schema: Mapping[str, Any] | None = None, *, root: bool = False) -> Any:
    """Convert a plain JSON value to cel-python values.

    With a structural ``schema`` the conversion follows the API server: ``number`` fields are
    doubles even when written ``1``, ``integer`` fields are ints, ``byte``/``date``/
    ``date-time``/``duration`` strings become bytes/timestamps/durations, and fields the schema
    does not declare are left out (the API server prunes them before any rule runs). ``root``
    restricts ``metadata`` to ``name`` and ``generateName``, the only metadata rules can read.
    """
    if value is None:
        return None
    if schema is None:
        return _generic(value)
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return (
            celtypes.DoubleType(value)
            if schema.get("type") == "number"
            else celtypes.IntType(value)
        )
    if isinstance(value, float):
        if schema.get("type") == "integer" and value.is_integer():
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


def _string(value: str, fmt: Any) -> Any:
    try:
        if fmt == "byte":
            return celtypes.BytesType(base64.b64decode(value, validate=True))
        if fmt in ("date-time", "date"):
            text = value + "T00:00:00Z" if fmt == "date" else value
            return celtypes.TimestampType(text)
        if fmt == "duration":
            return celtypes.DurationType(value)
    except (ValueError, TypeError, binascii.Error):
        pass  # the schema check reports the bad format; CEL sees the raw string
    return celtypes.StringType(value)


def _generic(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
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
    return value[token if isinstance(token, int) else celtypes.StringType(token)]


def _plain_step(value: Any, token: str | int) -> Any:
    return value[token]


_MISSING = object()


# --------------------------------------------------------------------------------------------
# Deciding simple expressions without the interpreter
#
# cel-python needs about 0.3 ms for a one-line rule, most of it in the tree walk, and a
# repository has thousands of objects. Most CRD rules are guards made of ``has()``, field
# selection, string equality, ``size()`` and boolean operators; those are compiled once more
# into Python closures that run on the visible plain values (:func:`to_visible`) in
# microseconds. Anything outside that subset, and any value the closures do not model
# (numbers, timestamps, bytes), makes :func:`decide` answer ``None`` and the caller evaluates
# with the interpreter, so the closures never have to be complete, only right.


class _Undecided(Exception):
    """The closures cannot tell what CEL would answer."""


class _Opaque:
    """A value :func:`decide` does not model (numbers, and strings CEL reads as timestamps,
    durations or bytes): any operation on it is undecided."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OPAQUE"


OPAQUE = _Opaque()
_ERR = object()  # a CEL error whose outcome is certain (a missing key), not an undecided one

Fast = Callable[[Mapping[str, Any]], Any]


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
            return (
                value if type(_string(value, schema["format"])) is celtypes.StringType else OPAQUE
            )
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


def decide(program: Program, activation: Mapping[str, Any]) -> bool | None:
    """What ``program`` evaluates to, if its fast closure can tell; else ``None``.

    ``activation`` must hold values made by :func:`to_visible` (or :meth:`CelView.plain`). A
    ``None`` answer means "ask :func:`evaluate_bool`", including when the expression fails:
    the interpreter produces the error message.
    """
    fast = program.fast
    if fast is None:
        return None
    try:
        result = fast(activation)
    except (_Undecided, RecursionError):
        return None
    return result if result is True or result is False else None


def _fast(node: Any) -> Fast:
    """Compile a parse tree into a closure; raise ``_Undecided`` for unsupported syntax."""
    if not isinstance(node, lark.Tree):
        raise _Undecided
    kind, children = node.data, node.children
    if len(children) == 1 and kind in _WRAPPERS:
        return _fast(children[0])
    builder = _FAST_BUILDERS.get(kind)
    if builder is None:
        raise _Undecided
    return builder(children)


_WRAPPERS = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
     "unary", "member", "primary", "paren_expr"}
)  # fmt: skip


def _fast_ternary(children: list[Any]) -> Fast:
    condition, when_true, when_false = (_fast(c) for c in children)

    def run(activation: Mapping[str, Any]) -> Any:
        chosen = condition(activation)
        if chosen is True:
            return when_true(activation)
        if chosen is False:
            return when_false(activation)
        if chosen is _ERR:
            return _ERR
        raise _Undecided

    return run


def _try(fn: Fast, activation: Mapping[str, Any]) -> Any:
    try:
        return fn(activation)
    except _Undecided:
        return _Undecided


def _fast_logical(absorbing: bool) -> Callable[[list[Any]], Fast]:
    """``||`` (``absorbing=True``) and ``&&``: the absorbing value wins whatever the other
    side is, even an error; two errors, or an error and the other value, give an error."""

    def build(children: list[Any]) -> Fast:
        left, right = _fast(children[0]), _fast(children[1])

        def run(activation: Mapping[str, Any]) -> Any:
            a = _try(left, activation)
            if a is absorbing:
                return absorbing
            b = _try(right, activation)
            if b is absorbing:
                return absorbing
            if a is _Undecided or b is _Undecided:
                raise _Undecided
            if a is (not absorbing) and b is (not absorbing):
                return not absorbing
            if (a is _ERR or a is (not absorbing)) and (b is _ERR or b is (not absorbing)):
                return _ERR
            raise _Undecided

        return run

    return build


def _same_kind(a: Any, b: Any) -> bool:
    return type(a) is type(b) and type(a) in (str, bool, int)


def _fast_relation(children: list[Any]) -> Fast:
    operator_tree, right_tree = children
    operator = operator_tree.data
    left, right = _fast(operator_tree.children[0]), _fast(right_tree)
    if operator not in _COMPARISONS:
        raise _Undecided
    compare = _COMPARISONS[operator]
    ordering = operator not in ("relation_eq", "relation_ne")

    def run(activation: Mapping[str, Any]) -> Any:
        a, b = left(activation), right(activation)
        if a is _ERR or b is _ERR:
            return _ERR
        if ordering and (type(a) is bool or type(b) is bool):
            raise _Undecided
        if _same_kind(a, b):
            return compare(a, b)
        raise _Undecided

    return run


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "relation_eq": lambda a, b: a == b,
    "relation_ne": lambda a, b: a != b,
    "relation_lt": lambda a, b: a < b,
    "relation_le": lambda a, b: a <= b,
    "relation_gt": lambda a, b: a > b,
    "relation_ge": lambda a, b: a >= b,
}


def _fast_unary(children: list[Any]) -> Fast:
    operator, operand_tree = children
    if not isinstance(operator, lark.Tree) or operator.data != "unary_not":
        raise _Undecided
    operand = _fast(operand_tree)

    def run(activation: Mapping[str, Any]) -> Any:
        value = operand(activation)
        if value is True or value is False:
            return not value
        if value is _ERR:
            return _ERR
        raise _Undecided

    return run


def _fast_select(children: list[Any]) -> Fast:
    target, name = _fast(children[0]), str(children[1])

    def run(activation: Mapping[str, Any]) -> Any:
        value = target(activation)
        if value is _ERR:
            return _ERR
        if type(value) is dict:
            return value.get(name, _ERR)
        raise _Undecided

    return run


def _fast_has(argument: Any) -> Fast:
    selection = _unwrap(argument)
    if not isinstance(selection, lark.Tree) or selection.data != "member_dot":
        raise _Undecided
    target, name = _fast(selection.children[0]), str(selection.children[1])

    def run(activation: Mapping[str, Any]) -> Any:
        value = target(activation)
        if value is _ERR:
            return _ERR
        if type(value) is dict:
            return name in value
        raise _Undecided

    return run


def _fast_size(argument: Fast) -> Fast:
    def run(activation: Mapping[str, Any]) -> Any:
        value = argument(activation)
        if value is _ERR:
            return _ERR
        if type(value) in (str, list, dict):
            return len(value)
        raise _Undecided

    return run


def _fast_method(children: list[Any]) -> Fast:
    name = str(children[1])
    args = list(children[2].children) if len(children) > 2 else []
    if name in ("all", "exists") and len(args) == 2:
        return _fast_quantifier(children[0], args, absorbing=name == "exists")
    target = _fast(children[0])
    if name == "size" and not args:
        return _fast_size(target)
    if name in _STRING_METHODS and len(args) == 1:
        return _fast_string_method(_STRING_METHODS[name], target, _fast(args[0]))
    raise _Undecided


def _fast_quantifier(target_tree: Any, args: list[Any], absorbing: bool) -> Fast:
    """``all()`` (``absorbing=False``) and ``exists()`` over a list, with the error rules of
    ``&&`` and ``||``: one absorbing answer decides, else any error makes the result an error."""
    variable = _unwrap(args[0])
    if not (isinstance(variable, lark.Tree) and variable.data == "ident"):
        raise _Undecided
    name = str(variable.children[0])
    target, body = _fast(target_tree), _fast(args[1])

    def run(activation: Mapping[str, Any]) -> Any:
        items = target(activation)
        if items is _ERR:
            return _ERR
        if type(items) is not list:
            raise _Undecided
        scope = dict(activation)
        undecided = failed = False
        for item in items:
            scope[name] = item
            value = _try(body, scope)
            if value is absorbing:
                return absorbing
            if value is _ERR:
                failed = True
            elif value is not (not absorbing):
                undecided = True
        if undecided:
            raise _Undecided
        return _ERR if failed else not absorbing

    return run


def _matches(text: str, pattern: str) -> bool:
    try:
        return compile_pattern(pattern).search(text)
    except ValueError:
        raise _Undecided from None  # the interpreter reports the bad pattern


_STRING_METHODS: dict[str, Callable[[str, str], bool]] = {
    "matches": _matches,
    "startsWith": str.startswith,
    "endsWith": str.endswith,
    "contains": str.__contains__,
}


def _fast_string_method(method: Callable[[str, str], bool], target: Fast, argument: Fast) -> Fast:
    def run(activation: Mapping[str, Any]) -> Any:
        text, other = target(activation), argument(activation)
        if text is _ERR or other is _ERR:
            return _ERR
        if type(text) is str and type(other) is str:
            return method(text, other)
        raise _Undecided

    return run


def _fast_call(children: list[Any]) -> Fast:
    name = str(children[0])
    args = list(children[1].children) if len(children) > 1 else []
    if len(args) != 1:
        raise _Undecided
    if name == "has":
        return _fast_has(args[0])
    if name == "size":
        return _fast_size(_fast(args[0]))
    raise _Undecided


def _fast_ident(children: list[Any]) -> Fast:
    name = str(children[0])

    def run(activation: Mapping[str, Any]) -> Any:
        if name not in activation:
            raise _Undecided
        return activation[name]

    return run


def _fast_literal(children: list[Any]) -> Fast:
    token = children[0]
    kind = token.type
    if kind in ("STRING_LIT", "MLSTRING_LIT"):
        value: Any = str(celstr(token))
    elif kind == "BOOL_LIT":
        value = token.value == "true"
    elif kind == "NULL_LIT":
        value = None
    elif kind == "INT_LIT":
        try:
            value = int(token.value, 0)
        except ValueError:
            raise _Undecided from None
    else:
        raise _Undecided
    return lambda _activation: value


_FAST_BUILDERS: dict[str, Callable[[list[Any]], Fast]] = {
    "expr": _fast_ternary,
    "conditionalor": _fast_logical(True),
    "conditionaland": _fast_logical(False),
    "relation": _fast_relation,
    "unary": _fast_unary,
    "member_dot": _fast_select,
    "member_dot_arg": _fast_method,
    "ident_arg": _fast_call,
    "ident": _fast_ident,
    "literal": _fast_literal,
}
