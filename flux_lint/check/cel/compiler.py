"""Compiling CEL expressions once, with the compile-time checks cel-go makes and cel-python
does not.

* **Compile once.** :func:`compile_expression` keeps every compiled program (and every compile
  error) by source text and declared variables, for the whole process.
* **Compile errors that point somewhere.** cel-python accepts some expressions that cel-go
  rejects when it compiles (an unknown function, ``has()`` on something that is not a field
  selection, a macro with a non-name variable, an expression nested deeper than cel-go's
  parser allows), so those are checked here and reported like syntax errors, with a 1-based
  line and column.
* **What cel-python's grammar lacks.** cel-go's optional syntax (``a.?b``, ``a[?k]``,
  ``[?x]``, ``{?k: v}``) is parsed by blanking the ``?`` in place, so positions stay those of
  the source, and remembering where it was (:attr:`Program.optional_marks`); namespaced
  functions (``sets.contains(a, b)``) are turned into calls of their qualified name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
import lark
from celpy.evaluation import base_functions

from flux_lint.check.cel.environment import environment, functions
from flux_lint.check.cel.errors import CelCompileError
from flux_lint.check.cel.fast import Undecided, build, decide
from flux_lint.check.cel.registry import EXTENSIONS, KUBERNETES_LIBRARY, NAMESPACES
from flux_lint.check.cel.tree import MAX_DEPTH, args, depth, position, unwrap

__all__ = ["MACROS", "Program", "compile_expression"]

#: Type names usable as identifiers (``type(x) == string``).
_TYPE_NAMES = frozenset(
    {"bool", "bytes", "double", "duration", "int", "list", "map", "null_type", "string",
     "timestamp", "type", "uint", "dyn", "optional_type"}
)  # fmt: skip

#: Macros (receiver-style) and how many arguments each takes; the first is a variable name,
#: and so is the second when there are three or four and the macro is a two-variable one.
MACROS: dict[str, tuple[int, ...]] = {
    "all": (2, 3),
    "exists": (2, 3),
    "exists_one": (2, 3),
    "existsOne": (2, 3),
    "map": (2, 3),
    "filter": (2,),
    "sortBy": (2,),
    "optMap": (2,),
    "optFlatMap": (2,),
    "transformList": (3, 4),
    "transformMap": (3, 4),
    "transformMapEntry": (3, 4),
}

#: cel-go's two-variable comprehensions (Kubernetes 1.32), besides ``all``, ``exists`` and
#: ``existsOne`` with three arguments.
_TWO_VARIABLE = frozenset({"transformList", "transformMap", "transformMapEntry"})


@dataclass(frozen=True, eq=False)
class Program:
    """A compiled CEL expression, ready to be evaluated any number of times."""

    source: str
    runner: Any = field(repr=False)
    #: Names the expression uses that flux-lint cannot evaluate.
    unsupported: frozenset[str] = frozenset()
    #: Identifiers the expression reads at its top level (``self``, ``oldSelf`` ...).
    variables: frozenset[str] = frozenset()
    #: The expression as a Python closure over visible values, when it only uses the subset
    #: :func:`.fast.decide` understands.
    fast: Callable[[Mapping[str, Any]], Any] | None = field(default=None, repr=False)
    #: Where optional syntax was: the (line, column) of what follows each ``?``.
    optional_marks: frozenset[tuple[int, int]] = frozenset()

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        from flux_lint.check.cel.evaluation import evaluate

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
    env = environment()
    masked, marks = mask_optional_syntax(source)
    try:
        ast = env.compile(masked)
    except celpy.CELParseError as exc:
        raise _parse_error(source, exc) from None
    if depth(ast) > MAX_DEPTH:
        raise CelCompileError(
            source, f"expression too deeply nested (more than {MAX_DEPTH} levels)"
        )
    checker = _Checker(source, variables)
    checker.check(ast)
    runner = env.program(ast, functions=functions())
    runner.optional_marks = marks
    fast = None
    if not marks:
        try:
            fast = build(ast)
        except (Undecided, RecursionError):
            fast = None
    return Program(
        source=source,
        runner=runner,
        unsupported=frozenset(checker.unsupported),
        variables=frozenset(checker.free),
        fast=fast,
        optional_marks=marks,
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


# --------------------------------------------------------------------------------------------
# Optional syntax

_OPTIONAL_OPENERS = frozenset(".[{,")


def mask_optional_syntax(source: str) -> tuple[str, frozenset[tuple[int, int]]]:
    """``source`` with cel-go's optional markers blanked, character for character, and the
    (line, column) of the first character after each marker.

    A ``?`` right after ``.``, ``[``, ``{`` or ``,`` (spaces and comments between allowed) is an
    optional marker; after anything else it belongs to a ``? :`` conditional. String literals
    (quoted, triple-quoted, raw) and ``//`` comments are left alone.
    """
    if "?" not in source:
        return source, frozenset()
    out = list(source)
    marks: set[tuple[int, int]] = set()
    pending = False
    n, i = len(source), 0
    previous = ""  # the last character outside strings, comments and whitespace
    while i < n:
        c = source[i]
        if c in "'\"":
            if pending:
                marks.add(_line_column(source, i))
                pending = False
            i = _skip_string(source, i)
            previous = c
            continue
        if c == "/" and source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        if c.isspace():
            i += 1
            continue
        if c == "?" and previous in _OPTIONAL_OPENERS:
            out[i] = " "
            pending = True
        elif pending:
            marks.add(_line_column(source, i))
            pending = False
        previous = c
        i += 1
    return "".join(out), frozenset(marks)


def _line_column(source: str, index: int) -> tuple[int, int]:
    line = source.count("\n", 0, index) + 1
    return line, index - (source.rfind("\n", 0, index) + 1) + 1


def _skip_string(source: str, start: int) -> int:
    """The index after the string literal opening at ``start`` (or the end of the text when it
    is not closed: the parser reports that)."""
    quote = source[start]
    j = start
    while j > 0 and source[j - 1].isalpha():
        j -= 1
    raw = "r" in source[j:start].lower()
    delimiter = quote * 3 if source.startswith(quote * 3, start) else quote
    i = start + len(delimiter)
    while i < len(source):
        if not raw and source[i] == "\\":
            i += 2
            continue
        if source.startswith(delimiter, i):
            return i + len(delimiter)
        if len(delimiter) == 1 and source[i] == "\n":
            return i
        i += 1
    return len(source)


# --------------------------------------------------------------------------------------------
# Static checks


class _Checker:
    """Static checks cel-go makes at compile time and cel-python leaves to evaluation; turns
    namespaced calls into calls of their qualified names on the way.

    The walk keeps its own stack: the trees of hostile expressions are deep."""

    def __init__(self, source: str, variables: frozenset[str] | None) -> None:
        self.source = source
        self.variables = variables
        self.functions = set(base_functions) | set(EXTENSIONS) | {"has", "dyn"}
        self.unsupported: set[str] = set()
        self.free: set[str] = set()

    def fail(self, where: Any, reason: str) -> None:
        line, column = position(where) or (1, 1)
        raise CelCompileError(self.source, reason, line, column)

    def check(self, tree: Any) -> None:
        stack: list[tuple[Any, frozenset[str]]] = [(tree, frozenset())]
        while stack:
            node, bound = stack.pop()
            if not isinstance(node, lark.Tree):
                continue
            kind = node.data
            if kind == "member_dot_arg":
                self._namespaced(node, bound)
                kind = node.data
            if kind == "member_dot_arg":
                stack.extend(self._method(node, bound))
            elif kind == "ident_arg":
                stack.extend(self._call(node, bound))
            elif kind == "ident":
                self._ident(node.children[0], bound)
            else:
                stack.extend((child, bound) for child in reversed(node.children))

    def _namespaced(self, node: lark.Tree, bound: frozenset[str]) -> None:
        """``sets.contains(a, b)`` → a call of ``sets.contains``, when ``sets`` is not a
        variable in scope."""
        target = unwrap(node.children[0])
        if not (isinstance(target, lark.Tree) and target.data == "ident"):
            return
        namespace = str(target.children[0])
        if namespace not in NAMESPACES or namespace in bound:
            return
        if self.variables is not None and namespace in self.variables:
            return
        method = node.children[1]
        name = lark.Token.new_borrow_pos("IDENT", f"{namespace}.{method}", target.children[0])
        call = lark.Tree("ident_arg", [name, *node.children[2:]], node.meta)
        node.data, node.children = "primary", [call]

    def _method(self, node: lark.Tree, bound: frozenset[str]) -> list[tuple[Any, frozenset]]:
        target, name = node.children[0], node.children[1]
        arguments = args(node, 2)
        pending = [(target, bound)]
        text = str(name)
        if text in MACROS:
            if len(arguments) not in MACROS[text]:
                counts = " or ".join(str(c) for c in MACROS[text])
                self.fail(name, f"`{name}` takes exactly {counts} arguments")
            two = text in _TWO_VARIABLE or (
                len(arguments) == 3 and text in ("all", "exists", "existsOne", "exists_one")
            )
            variables = 2 if two else 1
            names = []
            for argument in arguments[:variables]:
                variable = unwrap(argument)
                if not (isinstance(variable, lark.Tree) and variable.data == "ident"):
                    self.fail(name, f"the first argument of `{name}` must be a simple name")
                names.append(str(variable.children[0]))
            inner = bound | set(names)
            pending.extend((argument, inner) for argument in arguments[variables:])
            return pending
        self._function(name)
        pending.extend((argument, bound) for argument in arguments)
        return pending

    def _call(self, node: lark.Tree, bound: frozenset[str]) -> list[tuple[Any, frozenset]]:
        name = node.children[0]
        arguments = args(node, 1)
        if str(name) == "has":
            selection = unwrap(arguments[0]) if len(arguments) == 1 else None
            if not (isinstance(selection, lark.Tree) and selection.data == "member_dot"):
                self.fail(name, "invalid argument to has() macro")
        else:
            self._function(name)
        return [(argument, bound) for argument in arguments]

    def _function(self, name: Any) -> None:
        text = str(name)
        if text not in self.functions:
            self.fail(name, f"undeclared reference to function `{text}`")
        if text in KUBERNETES_LIBRARY:
            self.unsupported.add(text)

    def _ident(self, token: Any, bound: frozenset[str]) -> None:
        text = str(token)
        if text in bound or text in _TYPE_NAMES:
            return
        if text in NAMESPACES:
            self.unsupported.add(text)
            return
        self.free.add(text)
        if self.variables is not None and text not in self.variables:
            self.fail(token, f"undeclared reference to `{text}`")
