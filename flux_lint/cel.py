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
  (:mod:`flux_lint.regex`), so ``^``/``$`` anchor only at the ends of the text.
* **Errors are not ``false``.** :func:`evaluate` returns a value or raises
  :class:`CelEvalError`. An error carries ``unsupported=True`` when the expression uses a
  Kubernetes library function that flux-lint does not implement, so callers can stay silent
  instead of reporting a verdict the API server would not give.
* **A fast path.** The interpreter needs about 0.3 ms per rule. :func:`decide` answers the
  common guard expressions (``has()``, field selection, string comparison, ``size()``,
  ``all()``/``exists()``, boolean operators) from plain values in microseconds, and says
  "don't know" for everything else, which then goes to the interpreter.

Extension functions live in one registry, :data:`EXTENSIONS`, filled with :func:`extension`.
The Kubernetes string library (``lowerAscii``, ``split``, ``indexOf``, ``trim`` ...), the regex
library (``find``, ``findAll``) and part of the list library are implemented; the names in
:data:`KUBERNETES_LIBRARY` compile but are reported as unsupported when they are evaluated.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

import celpy
import lark
import re2
from celpy import celtypes
from celpy.evaluation import CELEvalError, Evaluator, base_functions, celstr

from .regex import compile_pattern

__all__ = [
    "EXTENSIONS",
    "KUBERNETES_LIBRARY",
    "OPAQUE",
    "CelCompileError",
    "CelError",
    "CelEvalError",
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
    nothing about the manifest.
    """

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        self.message = message
        self.unsupported = unsupported
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
        # URLs
        "url", "isURL", "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath",
        "getQuery",
        # Quantities
        "quantity", "isQuantity", "sign", "isInteger", "asInteger", "asApproximateFloat", "add",
        "sub", "isGreaterThan", "isLessThan", "compareTo",
        # IP addresses and CIDRs
        "ip", "isIP", "cidr", "isCIDR", "family", "isUnspecified", "isLoopback",
        "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast", "isCanonical",
        "containsIP", "containsCIDR", "prefixLength", "masked",
        # Semantic versions
        "semver", "isSemver", "major", "minor", "patch",
        # Named formats, strings.quote, string formatting
        "format", "named", "validate", "quote",
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
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


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
    return celtypes.StringType(str(separator).join(str(i) for i in items))


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
    ):
        if isinstance(value, cel_type):
            return name
    return type(value).__name__


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
    """cel-python's interpreter with the CEL semantics cel-go (and so the API server) has."""

    def sub_evaluator(self, ast: lark.Tree) -> Evaluator:
        return _KubernetesEvaluator(ast, activation=self.activation)

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
    def evaluate(self, context: Any) -> Any:
        return _KubernetesEvaluator(ast=self.ast, activation=self.new_activation()).evaluate(
            context
        )


@lru_cache(maxsize=1)
def _environment() -> celpy.Environment:
    """The process's one CEL environment (building the parser is the expensive part)."""
    return celpy.Environment(runner_class=_KubernetesRunner)


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


def evaluate(program: Program, activation: Mapping[str, Any]) -> Any:
    """Evaluate ``program`` with the variables of ``activation`` and return the CEL value.

    Plain JSON values in ``activation`` are converted with :func:`to_cel` (without a schema);
    values converted already (by :class:`CelView`) are used as they are. Raises
    :class:`CelEvalError` when the evaluation fails; never raises anything else.
    """
    bound = {
        name: value if value is None or isinstance(value, _CEL_TYPES) else to_cel(value)
        for name, value in activation.items()
    }
    try:
        result = program.runner.evaluate(bound)
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


def evaluate_bool(program: Program, activation: Mapping[str, Any]) -> bool:
    """Evaluate a validation rule: ``True``/``False``, or :class:`CelEvalError` (also when the
    result is not a bool, which the API server refuses when it compiles the rule)."""
    result = evaluate(program, activation)
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
