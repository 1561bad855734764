"""The evaluation budget: how a CEL expression from a file flux-lint does not control is kept
from hanging or exhausting a run.

cel-go estimates the cost of an expression when it compiles it and the API server refuses
rules that could cost too much; cel-python has no cost model at all, and the rules flux-lint
runs come from files it does not control (user rule folders, CRDs found in a repository). So
the interpreter is metered while it runs: every node of the expression tree it visits is one
step, which also counts every iteration of a macro (``all``, ``exists``, ``map`` ...) because
each iteration visits the macro's body; a wall-clock deadline is checked every few hundred
steps; and values that could grow without visiting many nodes (``+`` on strings and lists,
``replace``, ``join``, ``format``, nested macros that double a string at every level) are
limited in size. Running out is an evaluation error with ``budget=True``, never a hang.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


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


class BudgetExceeded(Exception):
    """Raised from inside the interpreter; deliberately not a ``CELEvalError`` (nor a
    ``ValueError``/``TypeError``, which cel-python turns into values) so that no ``||``, macro
    or function wrapper can absorb it."""


class Meter:
    """The budget being spent by one evaluation."""

    __slots__ = ("budget", "deadline", "left", "next_check")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.left = budget.steps
        self.next_check = budget.steps - _CHECK_EVERY
        self.deadline = time.perf_counter() + budget.seconds

    def check(self) -> None:
        if self.left <= 0:
            raise BudgetExceeded(f"evaluation budget exceeded: more than {self.budget.steps} steps")
        if time.perf_counter() > self.deadline:
            raise BudgetExceeded(
                f"evaluation budget exceeded: took longer than {self.budget.seconds:g} s"
            )
        self.next_check = self.left - _CHECK_EVERY

    def size(self, value: Any) -> Any:
        if isinstance(value, (str, bytes, list, dict, range)) and len(value) > self.budget.size:
            raise BudgetExceeded(
                f"evaluation budget exceeded: a value of more than {self.budget.size} "
                "characters or items"
            )
        return value


#: The meter of the evaluation running in this context (None: unmetered).
METER: ContextVar[Meter | None] = ContextVar("flux_lint_cel_meter", default=None)


def sized(value: Any) -> Any:
    """``value``, after checking it against the running evaluation's size limit."""
    meter = METER.get()
    return value if meter is None else meter.size(value)


def check_length(length: int) -> None:
    """Refuse to build a value of ``length`` characters or items beyond the size limit."""
    meter = METER.get()
    if meter is not None and length > meter.budget.size:
        meter.size(range(length))
