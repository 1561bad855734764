"""The form of a compiled CEL expression: what compiling finds that a program needs before
the interpreter runs, as tuples and strings only (check/cel/program_cache.py keeps forms in a
cache folder; check/cel/seed.py ships those of the shipped schemas' rules).

* ``(FAILED, reason, line, column)``: the expression does not compile;
* ``(COMPILED, unsupported, free, marks, tree)``: it compiles; the names flux-lint cannot
  evaluate, the free identifiers, the (line, column) of each optional-syntax mark (each a
  sorted tuple), and the parse tree in the plain form of :mod:`.fast` when the fast path
  builds closures from it (else None).
"""

from __future__ import annotations

from typing import Any

__all__ = ["COMPILED", "FAILED", "FORMAT", "Form", "valid"]

FAILED = "failed"
COMPILED = "compiled"

#: A form (see the module docstring).
Form = tuple[Any, ...]

#: Bumped whenever the layout of a form changes.
FORMAT = 1


def valid(form: Any) -> bool:
    """Whether ``form`` has the shape of a form (see the module docstring)."""
    if type(form) is not tuple or not form:
        return False
    if form[0] == FAILED:
        return len(form) == 4 and type(form[1]) is str and type(form[2]) is type(form[3]) is int
    return (
        form[0] == COMPILED
        and len(form) == 5
        and all(type(part) is tuple for part in form[1:4])
        and (form[4] is None or type(form[4]) is tuple)
    )
