"""PyYAML's libyaml binding (``yaml._yaml.CParser``), imported without paying for the pure
Python parser it comes with.

Importing ``yaml._yaml`` runs PyYAML's ``yaml/__init__.py``: the binding's own initialisation
imports the ``yaml`` package and binds classes of its reader, scanner, parser, composer,
constructor, emitter, serializer and representer modules, so none of them can be left out.
Their import costs about 15 ms, and most of it is compiling regular expressions at module and
class level (the reader's ``NON_PRINTABLE`` alone, a character class up to U+10FFFF, takes
about 9 ms) that only the pure Python reader, scanner, resolver and constructor use. flux-lint
uses none of those: it reads libyaml's events and composes nodes itself (:mod:`.yaml_compose`).

So while the ``yaml`` package is imported, a pattern compiled by one of its modules is
compiled on its first use instead (:class:`DeferredPattern`): the same pattern, the same
methods, just later, and usually never. Nothing else changes, and a program that imports
``yaml`` later gets the same, complete package.
"""

from __future__ import annotations

import re
import sys
from typing import Any

__all__ = ["DeferredPattern", "cparser"]


class DeferredPattern:
    """A regular expression compiled the first time one of its attributes is looked up."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: Any, flags: int) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(*self._args)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"DeferredPattern({self._args[0]!r}, {self._args[1]!r})"


def cparser() -> Any:
    """``yaml._yaml.CParser``; ImportError when PyYAML was built without libyaml."""
    if "yaml" not in sys.modules:
        _import_yaml_deferring_patterns()
    from yaml._yaml import CParser

    return CParser


def _import_yaml_deferring_patterns() -> None:
    """``import yaml``, with the patterns its own modules compile while it is imported left
    for their first use (other modules' patterns are compiled as usual)."""
    compile_now = re.compile

    def compile_later(pattern: Any, flags: int = 0) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller == "yaml" or caller.startswith("yaml."):
            return DeferredPattern(pattern, flags)
        return compile_now(pattern, flags)

    re.compile = compile_later  # type: ignore[assignment]
    try:
        import yaml  # noqa: F401
    finally:
        re.compile = compile_now
