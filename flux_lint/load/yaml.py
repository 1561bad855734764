"""YAML text → documents with positions, read the way Kubernetes reads them.

Why not ``ruamel.yaml``'s loaders: the round-trip loader is ~20x slower than libyaml, the C
composer rejects reused anchors (Go's parser accepts them), and every constructor resolves
scalars as YAML 1.2 while Kubernetes decodes YAML 1.1 (``yes`` is a boolean, ``010`` is octal).
So flux-lint takes *events* from libyaml and composes a light node tree itself
(:mod:`.yaml_compose`), builds the plain JSON view (:mod:`.yaml_nodes`), asks a second parser
where libyaml rejects what the spec allows (:mod:`.yaml_recover`) and reports what the spec
forbids but libyaml lets through (:mod:`.yaml_spec`). Nothing in here raises on bad input:
problems come back as :class:`LoadProblem` at their mark and the other documents of the file
survive. How close this is to the YAML spec and to Go: ``docs/yaml.md``.
"""

from __future__ import annotations

import re

from flux_lint.core.regex import lazy

from .yaml_compose import (
    MAX_DOCUMENTS,
    MAX_NODES_PER_DOCUMENT,
    MAX_NODES_PER_FILE,
    Budget,
    Spots,
    Stop,
    compose,
    event_source,
    line_offset,
)
from .yaml_nodes import (
    ALIAS_BUDGET,
    MAX_DEPTH,
    Document,
    LoadProblem,
    LoadResult,
    Node,
    build_view,
    key_string,
    node_key,
    resolve_plain,
)
from .yaml_recover import recover
from .yaml_spec import spec_problems

MAX_SYNTAX_ERRORS = 100

__all__ = [
    "ALIAS_BUDGET",
    "MAX_DEPTH",
    "MAX_DOCUMENTS",
    "MAX_NODES_PER_DOCUMENT",
    "MAX_NODES_PER_FILE",
    "MAX_SYNTAX_ERRORS",
    "TAB_INDENTATION",
    "Document",
    "LoadProblem",
    "LoadResult",
    "Node",
    "build_view",
    "key_string",
    "load_text",
    "node_key",
    "resolve_plain",
]

_DOC_START = lazy(r"^---(?=[ \t]|$)", re.MULTILINE)


def _error_position(exc: Exception, text: str) -> tuple[int, int, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None:
        message = problem or str(exc)
        if "tab" in message or _tab_at(text, mark.line, mark.column):
            return mark.line, mark.column, TAB_INDENTATION
        context = getattr(exc, "context", None)
        context_mark = getattr(exc, "context_mark", None)
        if context and problem:
            if context_mark is not None and (context_mark.line, context_mark.column) != (
                mark.line,
                mark.column,
            ):
                context = (
                    f"{context} started at line {context_mark.line + 1}, "
                    f"column {context_mark.column + 1}"
                )
            message = f"{context}: {problem}"
        return mark.line, mark.column, message
    # ReaderError: position is a character index
    position = getattr(exc, "position", None)
    reason = getattr(exc, "reason", None) or str(exc)
    return -1, position if isinstance(position, int) else 0, reason


TAB_INDENTATION = "tab character used for indentation"


def _tab_at(text: str, line: int, column: int) -> bool:
    """Whether the error mark is a tab in the line's indentation (what libyaml calls "found
    character that cannot start any token")."""
    start = line_offset(text, line)
    if start is None or start + column >= len(text) or text[start + column] != "\t":
        return False
    return not text[start : start + column].strip(" \t-?:")


def load_text(
    text: str,
    *,
    max_nodes_per_document: int = MAX_NODES_PER_DOCUMENT,
    max_nodes_per_file: int = MAX_NODES_PER_FILE,
) -> LoadResult:
    """All documents of ``text`` with their plain views; problems for what could not be read.

    The node limits bound the memory one file can take (a node costs a few hundred bytes until
    the run ends); tests lower them.
    """
    result = LoadResult()
    spots = Spots()
    budget = Budget(max_nodes_per_document, max_nodes_per_file)
    chunk_line = -1  # first line of the chunk being parsed (-1: the whole text)
    chunk = text
    chunk_start = 0  # its offset in ``text``: it only grows, so the loop ends
    errors = 0
    index = 0
    while True:
        try:
            get_event = event_source(chunk)
        except Exception as exc:  # text libyaml cannot take at all (e.g. a lone surrogate)
            next_index, error = index, exc
        else:
            next_index, error = compose(get_event, index, result, budget, spots)
        index = next_index
        if error is None:
            break
        code = "syntax"
        if isinstance(error, Stop):
            code, line, col, message = "limit", error.line, error.column, str(error)
            if error.scope == "file":
                result.problems.append(LoadProblem(code, message, line, col, index))
                break
        elif isinstance(error, UnicodeError):
            pos = getattr(error, "start", 0)
            line = text.count("\n", 0, pos)
            col = pos - (text.rfind("\n", 0, pos) + 1)
            message = "the text has a character that is not valid Unicode (a lone surrogate)"
        else:
            line, col, message = _error_position(error, text)
            if "maximum nesting depth" in message:
                # libyaml 0.2's own guard against absurd nesting: the same limit as ours.
                code = "limit"
                message = f"nesting deeper than {MAX_DEPTH} levels; the document is not checked"
        if line < 0:  # reader error: turn the character index into a position
            pos = col
            line = text.count("\n", 0, pos)
            col = pos - (text.rfind("\n", 0, pos) + 1)
        # Resume at the next document start at or after the error, keeping line numbers exact.
        resume_from = line_offset(text, max(line, chunk_line + 1))
        match = _DOC_START.search(text, resume_from) if resume_from is not None else None
        if code == "syntax" and _second_reading_may_help(error, message):
            # libyaml gave up: read the text from the last document marker before the error to
            # the next document start another way (libyaml may have closed a document early).
            first = _last_marker_line(text, line, col, max(chunk_line, 0))
            index = _rollback(result, spots, first, index)
            problem = LoadProblem(code, _clean_message(message), line, col, index)
            end = _segment_end(text, line)
            index, recovered = recover(text, first, end, index, result, budget, problem, spots)
            if recovered:
                if end <= chunk_start or end >= len(text):
                    break
                chunk_start, chunk_line = end, text.count("\n", 0, end)
                chunk = "\n" * chunk_line + text[end:]
                continue
        else:
            result.problems.append(LoadProblem(code, _clean_message(message), line, col, index))
            index += 1
        if match is None or match.start() < chunk_start:
            break
        errors += 1
        if errors >= MAX_SYNTAX_ERRORS:
            # Each error costs a new parse of the rest of the file: stop before that adds up.
            result.problems.append(
                LoadProblem(
                    "limit",
                    f"more than {MAX_SYNTAX_ERRORS} YAML syntax errors in one file; the rest of "
                    "the file is not checked",
                    text.count("\n", 0, match.start()),
                    0,
                    index,
                )
            )
            break
        chunk_start, chunk_line = match.start(), text.count("\n", 0, match.start())
        chunk = "\n" * chunk_line + text[match.start() :]
    result.problems.extend(spec_problems(text, spots, result.documents))
    for doc in result.documents:
        if doc.node is not None:
            doc.data = build_view(doc, result.problems)
    return result


def _second_reading_may_help(error: Exception, message: str) -> bool:
    """Whether libyaml's error is one of structure, where the spec may allow what it refused.

    Not for the characters it refuses (reader errors) nor for bad escapes such as ``"\\ud800"``
    (Go rejects those too, and the Python parser would accept them).
    """
    if type(error).__name__ == "ReaderError" or "escape" in message:
        return False
    # libyaml's own depth limit: the Python parser takes quadratic time on such nesting.
    return "nesting depth" not in message


_MARKER = lazy(r"^(?:---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)


def _last_marker_line(text: str, line: int, column: int, floor: int) -> int:
    """The line where the document holding the error at (``line``, ``column``) starts: after the
    last ``...`` or at the last ``---`` before the error (at least ``floor``). A marker at the
    error itself starts the next document: the error belongs to the one before."""
    start = line_offset(text, line)
    error_at = (len(text) if start is None else start) + column
    last = floor
    for match in _MARKER.finditer(text, line_offset(text, floor) or 0, error_at):
        if match.start() >= error_at:
            break
        marker_line = text.count("\n", 0, match.start())
        # `...` ends the document before it: what follows starts on the next line.
        last = max(last, marker_line + (text[match.start()] == "."))
    return min(last, line)


def _segment_end(text: str, line: int) -> int:
    """Where the document around ``line`` ends: the next ``---`` after that line that does not
    follow directives (``%YAML 1.2`` then ``---`` start one document)."""
    start, after = line_offset(text, line), line_offset(text, line + 1)
    if start is None or after is None:
        return len(text)
    for match in _DOC_START.finditer(text, after):
        before = [
            b.strip()
            for b in text[start : match.start()].split("\n")
            if b.strip() and not b.lstrip().startswith("#")
        ]
        if not before or not before[-1].startswith("%"):
            return match.start()
    return len(text)


def _rollback(result: LoadResult, spots: Spots, first_line: int, index: int) -> int:
    """Drop the documents that start at or after ``first_line``; returns the next index."""
    while result.documents and result.documents[-1].line >= first_line:
        index = result.documents.pop().index
    result.problems[:] = [p for p in result.problems if p.document < index]
    spots.drop_from(index)
    return index


def _clean_message(message: str) -> str:
    return " ".join(message.split())
