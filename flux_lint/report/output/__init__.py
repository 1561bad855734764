"""Report findings in one of the output formats.

:func:`render` is the only entry point. It imports the chosen formatter on demand so that a run
printing text never pays for (or depends on) the SARIF object model: ``sarif_om`` and its
``attrs`` classes are only loaded when SARIF is asked for.

Every formatter receives the findings already sorted and returns the whole output as one string
that ends with a newline unless it is empty; the caller writes it unchanged. Formatters never
print, never read files themselves and never look at the clock, so the same findings always give
the same bytes (golden tests compare them verbatim).
"""

from __future__ import annotations

import bisect
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flux_lint.core.regex import lazy

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry
    from flux_lint.core.findings import Finding

__all__ = [
    "DEFAULT_HELP_URI_BASE",
    "FORMATS",
    "OutputOptions",
    "RunSummary",
    "SourceLookup",
    "render",
]

#: Where rule documentation is published; each rule is the anchor ``#<rule.anchor>`` below it.
DEFAULT_HELP_URI_BASE = "https://github.com/flux-lint/flux-lint/blob/main/docs/rules.md"

#: ``--format`` value → module (inside this package) that implements it.
_MODULES = {
    "text": "text",
    "json": "json_format",
    "github": "github",
    "sarif": "sarif",
}
FORMATS: tuple[str, ...] = tuple(_MODULES)

#: Given a repository-relative path (as in ``Finding.path``), the decoded text of that file, or
#: ``None`` when it is not available (stdin already consumed, file gone). Offsets in
#: :class:`~flux_lint.core.findings.Edit` and columns in :class:`~flux_lint.core.findings.Span`
#: refer to this text.
SourceLookup = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What the run looked at, for summaries. ``duration`` is seconds of wall time; formatters
    that must be reproducible (json, sarif) leave it out."""

    files: int = 0
    documents: int = 0
    objects: int = 0
    duration: float = 0.0
    flux_version: str = ""
    #: Files not checked because no Flux Kustomization applies them (model/applied.py).
    unapplied: int = 0
    #: What the user should know about what was checked (entry points, files not applied).
    notes: tuple[str, ...] = ()
    #: Objects per schema source that validated them, and objects without a schema per kind.
    schemas: dict[str, int] = field(default_factory=dict)
    unchecked: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """How to render.

    ``include_suppressed`` only concerns text output: JSON and SARIF always carry suppressed
    findings (flagged), because a consumer must be able to tell "suppressed" from "fixed".
    GitHub annotations have no suppressed state, so that format never shows them.
    """

    color: bool = False
    show_source: bool = False
    source: SourceLookup | None = None
    srcroot: str | Path | None = None
    help_uri_base: str = DEFAULT_HELP_URI_BASE
    include_suppressed: bool = False
    #: How text, JSON and GitHub output show a finding's path (see :func:`cwd_relative`);
    #: None shows it as it is, relative to the repository root. SARIF never uses it.
    shown_path: Callable[[str], str] | None = None

    def path(self, path: str) -> str:
        return path if self.shown_path is None else self.shown_path(path)


def cwd_relative(root: str | Path, cwd: str) -> Callable[[str], str] | None:
    """Turns a finding's path (relative to the repository ``root``) into the path a user in
    ``cwd`` types: relative to ``cwd`` when the file is below it, else absolute, as ruff
    prints paths. None when the two folders are the same (nothing to change). Standard input
    (``-``) stays as it is."""
    import os
    import posixpath

    base = os.path.abspath(root)
    here = os.path.abspath(cwd)
    if base == here:
        return None
    prefix = here if here.endswith(os.sep) else here + os.sep

    def shown(path: str) -> str:
        if path == "-":
            return path
        full = os.path.normpath(os.path.join(base, path))
        if full == here:
            return "."
        if full.startswith(prefix):
            return Path(full[len(prefix) :]).as_posix()
        return posixpath.normpath(Path(full).as_posix())

    return shown


def render(
    fmt: str,
    findings: list[Finding],
    *,
    rules: Registry,
    report: RunSummary,
    options: OutputOptions | None = None,
) -> str:
    """Render sorted ``findings`` in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        module_name = _MODULES[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r} (use {', '.join(FORMATS)})") from None
    module = importlib.import_module(f"{__name__}.{module_name}")
    result: str = module.render(
        findings, rules=rules, report=report, options=options or OutputOptions()
    )
    return result


# Line handling shared by the formatters that look at source text. It follows ruamel.yaml's
# reader in YAML 1.2 mode, which is what produces the spans: a line ends at "\r\n", "\n" or a
# lone "\r", and U+FEFF (byte order mark) does not occupy a column.
_LINE_BREAK = lazy(r"\r\n|\r|\n")
_BOM = "\ufeff"


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` without their line breaks, so ``lines[span.line - 1]`` is the line
    a span starts on and ``column - 1`` indexes into it."""
    return [line.replace(_BOM, "") for line in _LINE_BREAK.split(text)]


class LineIndex:
    """Turns character offsets (as in :class:`~flux_lint.core.findings.Edit`) into 1-based line and
    column, using the same line and column rules as the spans of findings."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self._text)))
        row = bisect.bisect_right(self._starts, offset) - 1
        start = self._starts[row]
        column = offset - start - self._text.count(_BOM, start, offset) + 1
        return row + 1, column
