"""Validating semantic version constraints the way Masterminds/semver v3 parses them.

flux-operator parses version constraints with ``semver.NewConstraint`` from
``github.com/Masterminds/semver/v3`` (the ``filter.semver`` of a ResourceSetInputProvider, the
``distribution.version`` of a FluxInstance). A constraint it rejects stalls the object, so the
question here is only "does NewConstraint accept this text"; which versions a constraint allows
is answered by :mod:`flux_lint.model.flux_version`.

NewConstraint, step by step (constraints.go):

1. hyphen ranges ``A - B`` are rewritten to ``>= A, <= B``;
2. the text is split on ``||``; each part must match ``validConstraintRegex`` (comparators
   separated by spaces or commas);
3. each comparator (``findConstraintRegex``) must match ``constraintRegex`` and its version,
   with wildcards replaced by ``0``, must be accepted by ``NewVersion`` (loose mode: leading
   zeros allowed, numbers must fit in a uint64).

The regular expressions below are the library's, transcribed for Python: Go's ``\\s`` is ASCII
whitespace only and ``$`` is the end of the text, so both are spelled out. Their character
class ``[0-9|x|X|\\*]`` really does accept ``|``, which NewVersion then rejects.
"""

from __future__ import annotations

import re

__all__ = ["ConstraintSyntaxError", "check_constraint"]

_S = r"[\t\n\f\r ]"
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CONSTRAINT = re.compile(rf"^{_S}*({_OPS}){_S}*({_CV}){_S}*\Z")
_RANGE = re.compile(rf"{_S}*({_CV}){_S}+-{_S}+({_CV}){_S}*")
_FIND = re.compile(rf"({_OPS}){_S}*({_CV})")
_VALID = re.compile(
    rf"^({_S}*({_OPS}){_S}*({_CV}){_S}*)((?:{_S}+|,{_S}*)({_OPS}){_S}*({_CV}){_S}*)*\Z"
)
_LOOSE_VERSION = re.compile(
    r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?\Z"
)
_UINT64_MAX = (1 << 64) - 1


class ConstraintSyntaxError(ValueError):
    """A constraint NewConstraint rejects; the message is the library's."""


def _rewrite_range(text: str) -> str:
    """``1.2 - 1.4.5`` → ``>= 1.2, <= 1.4.5 `` (group 1 and group 11 of the Go regex)."""
    out = text
    for m in _RANGE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    return out


def _is_x(part: str) -> bool:
    return part in ("x", "X", "*")


def _parse_comparator(text: str) -> None:
    m = _CONSTRAINT.match(text)
    if not m:
        raise ConstraintSyntaxError(f"improper constraint: {_go_quote(text)}")
    major, minor, patch = m.group(3), m.group(4) or "", m.group(5) or ""
    suffix = m.group(6) or ""
    if _is_x(major) or major == "":
        version = f"0.0.0{suffix}"
    elif _is_x(minor.removeprefix(".")) or minor == "":
        version = f"{major}.0.0{suffix}"
    elif _is_x(patch.removeprefix(".")) or patch == "":
        version = f"{major}{minor}.0{suffix}"
    else:
        version = m.group(2)
    v = _LOOSE_VERSION.match(version)
    if not v or any(
        int(part.lstrip(".")) > _UINT64_MAX for part in (v.group(1), v.group(2), v.group(3)) if part
    ):
        raise ConstraintSyntaxError("constraint parser error")


def check_constraint(text: str) -> None:
    """Raise :class:`ConstraintSyntaxError` when ``semver.NewConstraint(text)`` fails."""
    text = _rewrite_range(text)
    for branch in text.split("||"):
        if not _VALID.match(branch):
            raise ConstraintSyntaxError(f"improper constraint: {_go_quote(branch)}")
        found = [m.group(0) for m in _FIND.finditer(branch)] or [branch]
        for comparator in found:
            if comparator:
                _parse_comparator(comparator)


def _go_quote(text: str) -> str:
    """Go's ``%q`` for the plain strings constraints are made of."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'
