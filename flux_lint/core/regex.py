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
"""

from __future__ import annotations

from functools import lru_cache

import re2

__all__ = ["Pattern", "compile_pattern", "search"]


def _options() -> re2.Options:
    options = re2.Options()
    # A bad pattern is reported to the caller as a ValueError; RE2 must not also log it to
    # stderr, where it would interleave with the linter's own output.
    options.log_errors = False
    return options


_OPTIONS = _options()
_MEMO_SIZE = 2048


class Pattern:
    """A compiled RE2 pattern answering "does it occur anywhere in this text"."""

    __slots__ = ("_memo", "_regexp", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._memo: dict[str, bool] = {}
        try:
            self._regexp = re2.compile(pattern, _OPTIONS)
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
