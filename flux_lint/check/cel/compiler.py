"""Compiling CEL expressions once, with the compile-time checks cel-go makes and cel-python
does not.

* **Compile once.** :func:`compile_expression` keeps every compiled program (and every compile
  error) by source text and declared variables, for the whole process, and what compiling
  found between runs when the run keeps a cache (:mod:`.program_cache`): a later process then
  gets the verdicts and the fast path without loading cel-python or Lark, and compiles with
  cel-python only when the interpreter has to run (:attr:`Program.runner`).
* **Compile errors that point somewhere.** cel-python accepts some expressions that cel-go
  rejects when it compiles (an unknown function, ``has()`` on something that is not a field
  selection, a macro with a non-name variable, an expression nested deeper than cel-go's
  parser allows), so those are checked (:mod:`.checks`) and reported like syntax errors, with
  a 1-based line and column.
* **What cel-python's grammar lacks.** cel-go's optional syntax (``a.?b``, ``a[?k]``,
  ``[?x]``, ``{?k: v}``) is parsed by blanking the ``?`` in place, so positions stay those of
  the source, and remembering where it was (:attr:`Program.optional_marks`); namespaced
  functions (``sets.contains(a, b)``) are turned into calls of their qualified name.

This module loads cel-python only when it has to compile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flux_lint.check.cel import program_cache, seed
from flux_lint.check.cel.errors import CelCompileError
from flux_lint.check.cel.fast import Undecided, build, decide
from flux_lint.check.cel.forms import COMPILED, FAILED, Form

__all__ = ["Program", "compile_expression"]


class Program:
    """A compiled CEL expression, ready to be evaluated any number of times."""

    __slots__ = (
        "_declared",
        "_runner",
        "fast",
        "optional_marks",
        "source",
        "unsupported",
        "variables",
    )

    def __init__(
        self,
        source: str,
        runner: Any = None,
        unsupported: frozenset[str] = frozenset(),
        variables: frozenset[str] = frozenset(),
        fast: Callable[[Mapping[str, Any]], Any] | None = None,
        optional_marks: frozenset[tuple[int, int]] = frozenset(),
        *,
        declared: frozenset[str] | None = None,
    ) -> None:
        self.source = source
        #: Names the expression uses that flux-lint cannot evaluate.
        self.unsupported = unsupported
        #: Identifiers the expression reads at its top level (``self``, ``oldSelf`` ...).
        self.variables = variables
        #: The expression as a Python closure over visible values, when it only uses the
        #: subset :func:`.fast.decide` understands.
        self.fast = fast
        #: Where optional syntax was: the (line, column) of what follows each ``?``.
        self.optional_marks = optional_marks
        self._declared = declared
        self._runner = runner

    @property
    def runner(self) -> Any:
        """cel-python's program, compiled on first use when the program came from the cache
        (an exception here is a defect: the cache said the expression compiles)."""
        runner = self._runner
        if runner is None:
            runner = self._runner = _compile(self.source, self._declared)[1]
        return runner

    def __repr__(self) -> str:
        return f"Program(source={self.source!r})"

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
            cached = _program(source, names)
        except CelCompileError as exc:
            cached = exc
        _CACHE[key] = cached
    if isinstance(cached, CelCompileError):
        raise cached.copy()
    return cached


def _program(source: str, variables: frozenset[str] | None) -> Program:
    """The program of ``source``: from the form kept by an earlier run (or shipped with the
    package, check/cel/seed.py), else compiled (and its form kept). Both give the same
    program: it is always made from the form."""
    if not isinstance(source, str) or not source.strip():
        raise CelCompileError(str(source), "empty expression")
    form = program_cache.load(source, variables)
    runner = None
    if form is None:
        # The form shipped with the package, else compiled; kept in the cache folder either
        # way (a small file read is cheaper than loading the whole seed on every warm run).
        form = seed.form(source, variables)
        if form is None:
            form, runner = fresh_form(source, variables)
        program_cache.store(source, variables, form)
    if form[0] == FAILED:
        _, reason, line, column = form
        raise CelCompileError(source, reason, line, column)
    _, unsupported, free, marks, tree = form
    return Program(
        source=source,
        runner=runner,
        unsupported=frozenset(unsupported),
        variables=frozenset(free),
        fast=_fast(tree),
        optional_marks=frozenset(marks),
        declared=variables,
    )


def fresh_form(source: str, variables: frozenset[str] | None) -> tuple[Form, Any]:
    """Compile ``source`` with cel-python: its form as it is kept (the parse tree only when
    it makes a closure: the rest never needs it) and cel-python's program (None when it does
    not compile)."""
    try:
        form, runner = _compile(source, variables)
    except CelCompileError as exc:
        return (FAILED, exc.reason, exc.line, exc.column), None
    _, unsupported, free, marks, tree = form
    if tree is not None and _fast(tree) is None:
        form = (COMPILED, unsupported, free, marks, None)
    return form, runner


def _fast(tree: Any) -> Any:
    """The closure of a kept parse tree, None when there is no tree or it makes none."""
    if tree is None:
        return None
    try:
        return build(tree)
    except (Undecided, RecursionError):
        return None


def _compile(source: str, variables: frozenset[str] | None) -> tuple[Form, Any]:
    """Compile with cel-python: the form of the compiled expression and cel-python's program;
    raise :class:`CelCompileError` when it does not compile."""
    import celpy

    from flux_lint.check.cel.checks import Checker
    from flux_lint.check.cel.environment import environment, functions
    from flux_lint.check.cel.tree import MAX_DEPTH, depth, plain

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
    checker = Checker(source, variables)
    checker.check(ast)
    runner = env.program(ast, functions=functions())
    runner.optional_marks = marks
    form = (
        COMPILED,
        tuple(sorted(checker.unsupported)),
        tuple(sorted(checker.free)),
        tuple(sorted(marks)),
        None if marks else plain(ast),
    )
    return form, runner


def _parse_error(source: str, exc: Exception) -> CelCompileError:
    import lark

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
