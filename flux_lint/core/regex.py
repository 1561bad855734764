"""Regular expressions with the semantics Kubernetes gives them.

The API server checks OpenAPI ``pattern`` values and CEL ``matches()`` with Go's ``regexp``
package: RE2 syntax, linear time, unanchored search, and ``^``/``$`` that match only at the very
start and end of the text. Python's ``re`` differs in ways that change verdicts on real
manifests (``$`` also matches before a final newline, lookarounds and backreferences are
accepted, ``\\Z`` exists), so every pattern a rule evaluates goes through RE2 here.

The RE2 binding already matches Go on the points that matter: without ``(?m)``, ``$`` is the
end of the text (``^a$`` does not match ``"a\\n"``), ``.`` does not match a newline, and
lookarounds are rejected as invalid. Searching is done on UTF-8 bytes so that the binding does
not have to map byte offsets back to character offsets, which only a match object would need.

Manifests repeat the same few values (``interval: 10m``, ``kind: HelmRepository``) thousands of
times across a repository, so each pattern remembers its recent verdicts: a dictionary lookup
costs a fraction of an RE2 call through the binding.

:func:`lazy` is for flux-lint's own patterns (Python ``re``): a module-level pattern compiled
the first time it is used, so that importing a module does not pay for patterns its caller
never needs (compiling one costs tens to hundreds of microseconds, and there are many).
RE2 itself is imported with the first RE2 pattern.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import re2

__all__ = ["LazyRegex", "Pattern", "compile_pattern", "lazy", "search"]


@cache
def _options() -> re2.Options:
    import re2

    options = re2.Options()
    # A bad pattern is reported to the caller as a ValueError; RE2 must not also log it to
    # stderr, where it would interleave with the linter's own output.
    options.log_errors = False
    return options


_MEMO_SIZE = 2048


class Pattern:
    """A compiled RE2 pattern answering "does it occur anywhere in this text"."""

    __slots__ = ("_memo", "_regexp", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._memo: dict[str, bool] = {}
        import re2

        try:
            self._regexp = re2.compile(pattern, _options())
        except re2.error as exc:
            raise ValueError(f"invalid regular expression `{pattern}`: {_reason(exc)}") from None
        except (TypeError, UnicodeEncodeError):
            raise ValueError(f"invalid regular expression {pattern!r}") from None

    def search(self, text: str) -> bool:
        """True when the pattern matches a substring of ``text`` (Kubernetes ``pattern`` and
        CEL ``matches()`` semantics: unanchored unless the pattern anchors itself)."""
        memo = self._memo
        found = memo.get(text)
        if found is None:
            found = self._regexp.search(text.encode("utf-8", "surrogatepass")) is not None
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[text] = found
        return found

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"


def _reason(exc: re2.error) -> str:
    """RE2 errors carry the reason as bytes in ``args[0]``."""
    raw = exc.args[0] if exc.args else ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Pattern:
    """Compile ``pattern`` once per process; raises ``ValueError`` when RE2 rejects it.

    The CRD patterns and CEL rules come from a small fixed set, and user rules add a few more,
    so a bounded cache keeps every one of them compiled for the whole run.
    """
    if not isinstance(pattern, str):
        raise ValueError(f"a regular expression must be a string, got {type(pattern).__name__}")
    return Pattern(pattern)


def search(pattern: str, text: str) -> bool:
    """``compile_pattern(pattern).search(text)``."""
    return compile_pattern(pattern).search(text)


#: The methods of a compiled ``re.Pattern`` that :class:`LazyRegex` offers.
_METHODS = ("match", "search", "fullmatch", "sub", "subn", "split", "finditer", "findall")


class LazyRegex:
    """A Python ``re`` pattern compiled on first use; then its methods are the compiled
    pattern's own (bound onto the instance), so a call costs what it costs on ``re.Pattern``."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def compiled(self) -> re.Pattern[Any]:
        """The compiled pattern (compiling it, and binding its methods, the first time)."""
        found = re.compile(self.pattern, self.flags)
        for name in _METHODS:
            setattr(self, name, getattr(found, name))
        self.compiled = lambda: found  # type: ignore[method-assign]
        return found

    def match(self, *args: Any) -> Any:
        return self.compiled().match(*args)

    def search(self, *args: Any) -> Any:
        return self.compiled().search(*args)

    def fullmatch(self, *args: Any) -> Any:
        return self.compiled().fullmatch(*args)

    def sub(self, *args: Any) -> Any:
        return self.compiled().sub(*args)

    def subn(self, *args: Any) -> Any:
        return self.compiled().subn(*args)

    def split(self, *args: Any) -> Any:
        return self.compiled().split(*args)

    def finditer(self, *args: Any) -> Any:
        return self.compiled().finditer(*args)

    def findall(self, *args: Any) -> Any:
        return self.compiled().findall(*args)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r})"


def lazy(pattern: str | bytes, flags: int = 0) -> LazyRegex:
    """``re.compile(pattern, flags)``, done the first time the pattern is used."""
    return LazyRegex(pattern, flags)
