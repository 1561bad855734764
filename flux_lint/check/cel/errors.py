"""The errors of flux-lint's CEL: a compile error with a position, and an evaluation error that
says whether it is about the manifest, about flux-lint, or about the evaluation budget.

They live apart from the compiler and the interpreter so that the library modules and the
callers (the CRD rule check, user rules, embedded expressions) can name them without importing
cel-python.
"""

from __future__ import annotations


class CelError(Exception):
    """Base class of the errors this package raises."""


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
    expression uses something flux-lint does not evaluate, in which case the error says
    nothing about the manifest. ``budget`` is true when the evaluation was stopped because it
    ran out of its :class:`~flux_lint.check.cel.budget.Budget`.
    """

    def __init__(self, message: str, *, unsupported: bool = False, budget: bool = False) -> None:
        self.message = message
        self.unsupported = unsupported
        self.budget = budget
        super().__init__(message)
