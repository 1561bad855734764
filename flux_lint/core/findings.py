"""The data every stage shares: severities, spans, problems, findings and fixes.

Rules produce :class:`Problem` objects that point *into an object* with a JSON pointer; they never
compute line numbers. The engine turns a problem into a :class:`Finding` by resolving the pointer
to a :class:`Span` in the file (see ``positions.py``). Keeping the two apart is what lets every
rule report an exact location without knowing anything about YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    """Ordered so that ``severity >= threshold`` answers "does this fail the run"."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or note)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based, end-exclusive region of a file (columns count characters, not bytes)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """The Kubernetes object a finding belongs to (any part may be unknown)."""

    api_version: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None

    def label(self) -> str:
        parts = [p for p in (self.kind, self.namespace, self.name) if p]
        return "/".join(parts)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` (character offsets in the decoded file) by ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A minimal set of text edits. ``safe`` fixes run with ``--fix``; the others need
    ``--unsafe-fixes`` because they may change behaviour."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


#: Where in the node a problem points: the mapping key (e.g. an unknown field), the value
#: (e.g. a wrong enum value) or the whole node (e.g. a mapping that lacks a required key).
KEY = "key"
VALUE = "value"


@dataclass(slots=True)
class Problem:
    """What a rule reports: a message about one place inside one document.

    ``pointer`` is an RFC 6901 JSON pointer into the document (``""`` is the document root).
    ``target`` says whether to underline the key or the value at that pointer; when the pointer
    does not exist (a missing field), the engine falls back to the closest existing parent.
    """

    message: str
    pointer: str = ""
    target: str = VALUE
    #: A ready :class:`Fix`, or a builder ``(document, text) -> Fix | None`` that the engine calls
    #: with the composed document (``load.Document``) and the file text, because only the
    #: engine knows where things are written.
    fix: Fix | Callable[[Any, str], Fix | None] | None = None
    rule_id: str | None = None  # set when one check function serves several rules
    severity: Severity | None = None  # overrides the rule's default when set
    #: 1-based (line, column) inside the string value at ``pointer``, for problems inside an
    #: embedded language (a CEL expression): the finding then lands on that character.
    offset: tuple[int, int] | None = None


@dataclass(slots=True)
class Suppression:
    """Why a finding is not counted: ``kind`` is ``inline``, ``config`` or ``baseline``."""

    kind: str
    justification: str = ""


@dataclass(slots=True)
class Finding:
    """One located problem, ready for output."""

    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    path: str  # repository-relative POSIX path, or "-" for stdin
    span: Span
    obj: ObjectRef = field(default_factory=ObjectRef)
    pointer: str = ""
    document: int = 0  # 0-based index of the YAML document in the file
    fix: Fix | None = None
    suppression: Suppression | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def fingerprint(self) -> str:
        """Stable identity: rule, file, object and pointer, but not the line, so the baseline
        and SARIF ``partialFingerprints`` survive edits elsewhere in the file."""
        key = "\x1f".join(
            [
                self.rule_id,
                self.path,
                self.obj.api_version or "",
                self.obj.kind or "",
                self.obj.namespace or "",
                self.obj.name or "",
                self.pointer,
                "" if self.obj.kind else str(self.document),
            ]
        )
        from flux_lint.core.digests import sha256_hex

        return sha256_hex(key.encode("utf-8"))[:32]

    def sort_key(self) -> tuple:
        return (self.path, self.span.line, self.span.column, self.rule_id, self.message)


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_join(base: str, *tokens: str | int) -> str:
    return base + "".join("/" + escape_pointer_token(t) for t in tokens)


def pointer_tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
