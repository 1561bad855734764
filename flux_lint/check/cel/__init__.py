"""CEL, evaluated the way the Kubernetes API server evaluates it.

Every CEL expression flux-lint runs goes through this package: the
``x-kubernetes-validations`` rules of CRDs, the validations of user rule descriptors, and the
expression strings that Flux controllers run themselves (``readyExpr``, ``healthCheckExprs``,
Receiver filters). cel-python does the parsing and the evaluation; around it:

* :mod:`.compiler` compiles once per process, with the compile-time checks cel-go makes
  (:mod:`.checks`, and its nesting limit), cel-go's optional syntax and namespaced functions;
  :mod:`.environment` holds the one cel-python environment. Where the run says
  (:func:`set_parser_cache_dir`), :mod:`.parser_cache` keeps cel-python's parser tables
  between runs, and :mod:`.program_cache` what compiling each expression found, so that a
  later run decides rules on the fast path without loading cel-python at all.
* :mod:`.interpreter` is cel-python's interpreter with cel-go's semantics where they differ
  (strict ``has()``, errors that are not ``false``, macros that propagate errors), metered by
  :mod:`.budget`; :mod:`.evaluation` turns what it gives into a value or a
  :class:`CelEvalError`.
* :mod:`.values` converts manifest values following the schema, as the API server does, and
  :mod:`.fast` decides the common guard expressions on plain values without the interpreter.
* :mod:`.library` holds the Kubernetes CEL libraries, one module each, registered in
  :mod:`.registry`.

Importing this package is cheap: its names are loaded on first use (loading cel-python takes
a noticeable part of a second), so a run that evaluates no CEL never pays for it, and the run
can call :func:`set_parser_cache_dir` without loading cel-python. Compiling from kept forms,
:func:`decide` and :class:`CelView`'s plain values do not load it either: only the interpreter
(evaluating, or compiling for it) does.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Where each public name lives.
_HOMES = {
    "celtypes": "celpy",
    "DEFAULT_BUDGET": "budget",
    "Budget": "budget",
    "Program": "compiler",
    "compile_expression": "compiler",
    "CelCompileError": "errors",
    "CelError": "errors",
    "CelEvalError": "errors",
    "evaluate": "evaluation",
    "evaluate_bool": "evaluation",
    "decide": "fast",
    "CelCIDR": "library.network",
    "CelIP": "library.network",
    "CelOptional": "library.optional",
    "CelQuantity": "library.quantity",
    "CelSemver": "library.semver",
    "CelURL": "library.urls",
    "set_parser_cache_dir": "parser_cache",
    "EXTENSIONS": "registry",
    "KUBERNETES_LIBRARY": "registry",
    "extension": "registry",
    "OPAQUE": "values",
    "CelView": "values",
    "to_cel": "values",
    "to_python": "values",
    "to_visible": "values",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if home == "celpy":
        from celpy import celtypes

        return celtypes
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
