"""The Kubernetes semver library: ``semver()``, ``isSemver()`` (both with an optional
``normalize`` flag) and the ``kubernetes.Semver`` methods ``major``, ``minor``, ``patch``,
``compareTo``, ``isGreaterThan`` and ``isLessThan`` (the last three in :mod:`.compare`).

The API server parses with ``github.com/blang/semver/v4``'s ``Parse`` (strict Semantic
Versioning 2.0.0: ``1.2.3``, ``1.2.3-rc.1+build.5``), and with ``normalize`` first removes a
``v`` prefix, fills in a missing minor or patch and removes leading zeros. Both are ported
here with their error texts; build metadata never takes part in comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from celpy import celtypes

from flux_lint.check.cel.registry import error, extension, is_bool, is_string, no_overload

_NUMBERS = frozenset("0123456789")
_ALPHANUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789")
_UINT64_MAX = 2**64 - 1


class _SemverError(Exception):
    """``semver.Parse`` refused the text."""


@dataclass(frozen=True)
class CelSemver:
    """A semantic version (``kubernetes.Semver``)."""

    CEL_TYPE: ClassVar[str] = "kubernetes.Semver"
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()
    build: tuple[str, ...] = field(default=(), compare=False)

    def cel_compare(self, other: Any) -> int | None:
        """``Version.Compare``: -1, 0 or 1 against another version; None for other types."""
        if not isinstance(other, CelSemver):
            return None
        mine, theirs = (self.major, self.minor, self.patch), (other.major, other.minor, other.patch)
        if mine != theirs:
            return 1 if mine > theirs else -1
        if not self.pre or not other.pre:
            return (not self.pre) - (not other.pre)
        for a, b in zip(self.pre, other.pre, strict=False):
            order = _compare_identifier(a, b)
            if order:
                return order
        return (len(self.pre) > len(other.pre)) - (len(self.pre) < len(other.pre))

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + ".".join(str(p) for p in self.pre)
        if self.build:
            text += "+" + ".".join(self.build)
        return text


def _compare_identifier(a: int | str, b: int | str) -> int:
    """Numeric identifiers sort before alphanumeric ones; each kind in its natural order."""
    if isinstance(a, int) != isinstance(b, int):
        return -1 if isinstance(a, int) else 1
    return (a > b) - (a < b)  # type: ignore[operator]


def _number(text: str, part: str) -> int:
    if not text or not set(text) <= _NUMBERS:
        raise _SemverError(f'Invalid character(s) found in {part} number "{text}"')
    if len(text) > 1 and text[0] == "0":
        raise _SemverError(f'{part.capitalize()} number must not contain leading zeroes "{text}"')
    number = int(text)
    if number > _UINT64_MAX:
        raise _SemverError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return number


def parse(text: str) -> CelSemver:
    """``semver.Parse``."""
    if not text:
        raise _SemverError("Version string empty")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise _SemverError("No Major.Minor.Patch elements found")
    major, minor = _number(parts[0], "major"), _number(parts[1], "minor")
    patch_text, build, pre = parts[2], [], []
    if "+" in patch_text:
        patch_text, _, build_text = patch_text.partition("+")
        build = build_text.split(".")
    if "-" in patch_text:
        patch_text, _, pre_text = patch_text.partition("-")
        pre = pre_text.split(".")
    patch = _number(patch_text, "patch")
    identifiers: list[int | str] = []
    for item in pre:
        if not item:
            raise _SemverError("Prerelease is empty")
        if set(item) <= _NUMBERS:
            if len(item) > 1 and item[0] == "0":
                raise _SemverError(
                    f'Numeric PreRelease version must not contain leading zeroes "{item}"'
                )
            identifiers.append(int(item))
        elif set(item) <= _ALPHANUM:
            identifiers.append(item)
        else:
            raise _SemverError(f'Invalid character(s) found in prerelease "{item}"')
    for item in build:
        if not item:
            raise _SemverError("Build meta data is empty")
        if not set(item) <= _ALPHANUM:
            raise _SemverError(f'Invalid character(s) found in build meta data "{item}"')
    return CelSemver(major, minor, patch, tuple(identifiers), tuple(build))


def normalize_and_parse(text: str) -> CelSemver:
    """The library's ``normalizeAndParse``: no ``v`` prefix, no leading zeros, and a missing
    minor or patch filled in with 0."""
    text = text.removeprefix("v")
    parts = text.split(".", 2)
    for i, part in enumerate(parts):
        if len(part) > 1:
            part = part.lstrip("0")
            if not part or part[0] not in _NUMBERS:
                part = "0" + part
            parts[i] = part
    if len(parts) < 3:
        if any(c in parts[-1] for c in "+-"):
            raise _SemverError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return parse(".".join(parts))


def _convert(name: str, text: Any, normalize: Any) -> CelSemver | Any:
    if not is_string(text) or not is_bool(normalize):
        return no_overload(name, text)
    return normalize_and_parse(str(text)) if normalize else parse(str(text))


@extension("semver")
def semver(text: Any, normalize: Any = False) -> Any:
    """``semver('1.2.3')``; ``semver('v1.2', true)`` normalizes first."""
    try:
        return _convert("semver", text, normalize)
    except _SemverError as exc:
        return error(str(exc))


@extension("isSemver")
def is_semver(text: Any, normalize: Any = False) -> Any:
    try:
        value = _convert("isSemver", text, normalize)
    except _SemverError:
        return celtypes.BoolType(False)
    return value if not isinstance(value, CelSemver) else celtypes.BoolType(True)


def _part(name: str) -> Any:
    def method(value: Any) -> Any:
        if not isinstance(value, CelSemver):
            return no_overload(name, value)
        return celtypes.IntType(getattr(value, name))

    return method


major = extension("major")(_part("major"))
minor = extension("minor")(_part("minor"))
patch = extension("patch")(_part("patch"))
