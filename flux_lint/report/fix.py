"""Applying fixes: the edits rules offered (:mod:`flux_lint.check.edits`), written to files.

Applying. :func:`apply_fixes` takes a run result, keeps the fixes the user allowed (safe ones,
and unsafe ones with ``--unsafe-fixes``), takes whole fixes in finding order and skips a fix
whose edits overlap one already taken (a later run applies it against the new text), checks
that the file still loads as before, and writes it back with the original encoding and byte
order mark through :func:`~flux_lint.core.fsio.write_bytes_atomic`. Standard input (``-``) is
never written; its fixed text is in the outcome for the caller to print.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from flux_lint.check.edits import (
    STDIN,
    _loaded,
    _overlaps,
    _problem_codes,
    apply_edits,
    load_text,
)
from flux_lint.core.findings import Edit, Finding, Fix

if TYPE_CHECKING:
    from flux_lint.load.source import SourceText


class RunResult(Protocol):
    """What fixing needs of a run's result (run/pipeline.py ``RunResult``)."""

    root: Path
    findings: list[Finding]
    texts: dict[str, str]


# --------------------------------------------------------------------------------------------
# Applying edits


def plan_fixes(fixes: Iterable[Fix]) -> tuple[list[Fix], list[Fix]]:
    """(taken, conflicting): whole fixes in order, a fix taken only if none of its edits
    conflicts with an edit already taken. Fixes are all-or-nothing: half of a fix could leave
    the file in a state no rule asked for."""
    taken: list[Fix] = []
    conflicting: list[Fix] = []
    edits: list[Edit] = []
    for fix in fixes:
        new = [e for e in dict.fromkeys(fix.edits) if e not in edits]
        clash = any(_overlaps(e, other) for e in new for other in edits) or any(
            _overlaps(a, b) for i, a in enumerate(new) for b in new[i + 1 :]
        )
        if clash:
            conflicting.append(fix)
            continue
        edits.extend(new)
        taken.append(fix)
    return taken, conflicting


def fix_file(source_text: str, fixes: Iterable[Fix]) -> str:
    """The text after applying ``fixes`` (see :func:`plan_fixes` for conflicts)."""
    taken, _ = plan_fixes(fixes)
    return apply_edits(source_text, [e for fix in taken for e in fix.edits])


def _diff_lines(text: str) -> list[str]:
    """Lines split after ``\\n`` only, so ``\\r\\n`` stays one line and a lone ``\\r`` or a form
    feed does not start a new one in the diff."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff ``git apply`` accepts (``a/``/``b/`` prefixes, ``\\ No newline at end of
    file`` markers); empty when nothing changed."""
    if old == new:
        return ""
    a, b = (path, path) if path == STDIN else (f"a/{path}", f"b/{path}")
    out: list[str] = []
    for line in difflib.unified_diff(_diff_lines(old), _diff_lines(new), a, b, lineterm="\n"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# A whole run


class FixError(Exception):
    """A file that cannot be fixed or written; the message says why."""


@dataclass
class FileOutcome:
    """What fixing one file did. ``new`` is the fixed text (equal to ``old`` when nothing was
    applied); ``written`` is true once it is on disk."""

    path: str
    old: str
    new: str
    applied: list[Finding] = field(default_factory=list)
    conflicts: list[Finding] = field(default_factory=list)
    written: bool = False
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.new != self.old

    def diff(self) -> str:
        return unified_diff(self.path, self.old, self.new)


@dataclass
class FixOutcome:
    """Per-file results and the counts a CLI reports.

    ``unsafe_hidden`` counts unsafe fixes that were not applied because they were not asked
    for (``--unsafe-fixes``).
    """

    files: list[FileOutcome] = field(default_factory=list)
    unsafe_hidden: int = 0

    @property
    def applied(self) -> int:
        return sum(len(f.applied) for f in self.files if f.error is None)

    @property
    def conflicts(self) -> int:
        return sum(len(f.conflicts) for f in self.files if f.error is None)

    @property
    def changed_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.error is None and f.changed]

    @property
    def errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.error is not None]

    def file(self, path: str) -> FileOutcome | None:
        return next((f for f in self.files if f.path == path), None)

    def remaining(self, findings: Iterable[Finding]) -> list[Finding]:
        """``findings`` minus those a fix resolved (what is left to report after ``--fix``)."""
        fixed = {id(f) for out in self.files if out.error is None for f in out.applied}
        return [f for f in findings if id(f) not in fixed]

    def diff(self) -> str:
        return "".join(f.diff() for f in self.changed_files)


def apply_fixes(
    result: RunResult, *, unsafe: bool = False, write: bool = False, stdin: str = STDIN
) -> FixOutcome:
    """Apply the fixes of ``result``'s findings, file by file.

    Suppressed findings are not fixed. Unsafe fixes are applied only with ``unsafe``. With
    ``write`` the changed files are written back atomically (mode kept, symbolic links
    followed to the file they point to), in their original encoding and with their byte order
    mark; a file that changed on disk since it was read, or whose fixed text no longer loads
    like the original, is left alone and reported in ``FileOutcome.error``. Standard input
    (findings whose path is ``stdin``: ``-``, or the ``--stdin-filename``) is never written.
    """
    outcome = FixOutcome()
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.fix is None or finding.suppression is not None or not finding.fix.edits:
            continue
        if not finding.fix.safe and not unsafe:
            outcome.unsafe_hidden += 1
            continue
        by_path.setdefault(finding.path, []).append(finding)
    for path in sorted(by_path):
        findings = by_path[path]
        old = result.texts.get(path)
        if old is None:
            outcome.files.append(FileOutcome(path, "", "", error="file text not available"))
            continue
        fixes = [f.fix for f in findings if f.fix is not None]
        taken, _ = plan_fixes(fixes)
        taken_ids = {id(fix) for fix in taken}
        new = apply_edits(old, [e for fix in taken for e in fix.edits])
        file_outcome = FileOutcome(
            path,
            old,
            new,
            applied=[f for f in findings if id(f.fix) in taken_ids],
            conflicts=[f for f in findings if id(f.fix) not in taken_ids],
        )
        outcome.files.append(file_outcome)
        before, after = _loaded(old), load_text(new)
        if len(after.documents) != len(before.documents) or _problem_codes(after) != _problem_codes(
            before
        ):
            file_outcome.error = "the fixed text does not load like the original; not changed"
            file_outcome.new = old
            continue
        if write and path not in (STDIN, stdin) and file_outcome.changed:
            try:
                write_fixed(Path(result.root) / path, old, new)
            except (OSError, FixError) as exc:
                file_outcome.error = str(exc) if isinstance(exc, FixError) else _os_message(exc)
            else:
                file_outcome.written = True
    return outcome


def _os_message(exc: OSError) -> str:
    return f"cannot write: {(exc.strerror or str(exc)).lower()}"


def encode_like(source: SourceText, text: str) -> bytes:
    """``text`` encoded as ``source`` was: same encoding, byte order mark when it had one. Line
    breaks are part of the text and are never translated."""
    import codecs

    boms = {
        "utf-8": codecs.BOM_UTF8,
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }
    bom = boms[source.encoding] if source.bom else b""
    return bom + text.encode(source.encoding)


def write_fixed(path: str | os.PathLike[str], old: str, new: str) -> None:
    """Write ``new`` over the file at ``path`` whose decoded text must still be ``old``.

    The bytes are re-read and decoded as the linter decoded them; re-encoding ``old`` must give
    them back exactly, which proves the encoding and byte order mark are known, so every byte
    outside the edits is preserved. A symbolic link is resolved so the link stays a link.
    """
    from flux_lint.core.fsio import write_bytes_atomic
    from flux_lint.load.source import SourceError, decode_source

    target = Path(os.path.realpath(path))
    data = target.read_bytes()
    source = decode_source(data, str(path), path=target)
    if isinstance(source, SourceError):
        raise FixError(f"cannot be read back: {source.message}")
    if source.text != old:
        raise FixError("changed on disk since it was read; not changed")
    if encode_like(source, old) != data:
        raise FixError("cannot be written back byte for byte; not changed")
    write_bytes_atomic(target, encode_like(source, new))
