"""The process's one cel-python environment, with the Kubernetes library loaded.

Building cel-python's parser is the expensive part of starting CEL, so it is built once per
process, on the first compile, from tables kept between runs when the run allows it
(:mod:`.parser_cache`). The functions every program gets are cel-python's base functions with
the registry (:mod:`.registry`) on top, filled by importing :mod:`.library`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import celpy
from celpy.evaluation import base_functions

from flux_lint.check.cel.interpreter import KubernetesRunner
from flux_lint.check.cel.library import MODULES
from flux_lint.check.cel.parser_cache import install_parser
from flux_lint.check.cel.registry import EXTENSIONS, CelFunction

__all__ = ["environment", "functions"]

assert MODULES  # every library module is imported, so the registry is complete


@lru_cache(maxsize=1)
def environment() -> celpy.Environment:
    """The process's one CEL environment."""
    install_parser()
    return celpy.Environment(runner_class=KubernetesRunner)


def functions() -> dict[str, CelFunction]:
    """cel-python's base functions with the Kubernetes library on top (a fresh dict: a test
    may register a function after the first compile)."""
    merged: dict[str, Any] = {**base_functions, **EXTENSIONS}
    return merged
