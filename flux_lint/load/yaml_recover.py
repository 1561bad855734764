"""A second opinion where libyaml rejects a document that the YAML spec allows.

libyaml (and Go's YAML reader, a port of it) stops at a few constructs the spec allows, mostly
tabs used as separation (``-<TAB>item``, ``key:`` then `` <TAB>value``) and a few flow and
directive forms. When libyaml gives up on a document, :func:`recover` parses that document
alone again, first with ruamel's Python parser (a different scanner with other fixes), then with
the tabs that are separation, not indentation, replaced by spaces (same length, so every
position stays exact) through both parsers. The first reading that succeeds is kept; if none
does, libyaml's error stands. Files libyaml reads never come here, so the common path keeps
libyaml's speed.
"""

from __future__ import annotations

from flux_lint.core.regex import lazy

from .yaml_compose import Budget, Spots, compose, event_source, line_offset
from .yaml_nodes import Document, LoadProblem, LoadResult

# The Python parser is ~30x slower than libyaml: it reads at most 256 KB per file
# (``Budget.recover_chars``), so a hostile file cannot make a run slow.

# What the second parser must not see: characters YAML does not allow (libyaml stops at them,
# ruamel's Python scanner can loop on some), and line breaks other than LF and CRLF, which the
# parsers count as lines and the positions here do not.
_UNSUITED = lazy(
    r"[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    r"|\r(?!\n)"
)
# A line this long is data (an embedded certificate, minified JSON), not the layout problem a
# second reading can settle, and the Python scanner reads such lines slowly: libyaml's error
# stands (a run over thousands of damaged files must stay fast).
_LONG_LINE = lazy(r"[^\n]{2049}")
# Indentation and block indicators (`- `, `? `, `: `) at the start of a line.
_LEAD = lazy(r"[ \t]*(?:[-?:](?:[ \t]+|$))*")
# The rest of a line starts a block mapping entry (`key: value`, `"key": value`, `key:`).
_IMPLICIT_KEY = lazy(r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^'"#\s][^#]*?)?[ \t]*:(?:[ \t]|$)""")


def recover(
    text: str,
    segment_line: int,
    end: int,
    index: int,
    result: LoadResult,
    budget: Budget,
    problem: LoadProblem,
    spots: Spots,
) -> tuple[int, bool]:
    """Read ``text[line segment_line : end]`` (the document libyaml stopped in) another way.

    Appends the documents to ``result`` and returns the next document index and True; when no
    parser reads it, appends libyaml's ``problem`` instead and returns False.
    """
    start = line_offset(text, segment_line)
    segment = text[start:end] if start is not None else ""
    if _only_markers(segment) and not _after_directive(text, start or 0):
        return index, True  # `...` with no document before it: nothing to read, nothing wrong
    if (
        segment
        and len(segment) <= budget.recover_chars
        and not _UNSUITED.search(segment)
        and not _LONG_LINE.search(segment)
    ):
        budget.recover_chars -= len(segment)
        prefix = "\n" * segment_line  # keeps every line number as in the file
        detabbed, replaced = detab(segment)
        attempts = [(segment, True)]
        if replaced:
            attempts += [(detabbed, False), (detabbed, True)]
        for variant, pure in attempts:
            sub = LoadResult()
            trial = Budget(budget.document, budget.file, 0)
            trial.used = budget.used
            try:
                get_event = event_source(prefix + variant, pure=pure)
            except Exception:  # text that parser cannot take at all
                continue
            noted = Spots()
            next_index, error = compose(get_event, index, sub, trial, noted)
            if error is not None:
                continue
            if variant is detabbed and _inside_scalar(sub.documents, replaced, segment_line):
                continue  # the tab was content (a block scalar line), not separation
            result.documents.extend(sub.documents)
            result.problems.extend(sub.problems)
            spots.extend(noted)
            budget.used = trial.used
            return next_index, True
    result.problems.append(problem)
    return index + 1, False


def _after_directive(text: str, offset: int) -> bool:
    """Whether the last line with content before ``offset`` is a directive (``%YAML 1.2``)."""
    for line in reversed(text[:offset].split("\n")):
        content = line.strip()
        if content and not content.startswith("#"):
            return content.startswith("%")
    return False


def _only_markers(segment: str) -> bool:
    """Whether ``segment`` holds only document end markers, comments and blank lines."""
    for line in segment.split("\n"):
        content = line.strip()
        if content and not content.startswith("#") and content.split("#")[0].strip() != "...":
            return False
    return bool(segment.strip())


def detab(segment: str) -> tuple[str, list[tuple[int, int]]]:
    """``segment`` with separation tabs replaced by spaces, and where they were (line, column).

    A tab may separate a block indicator from its content (``-<TAB>item``), or follow the spaces
    of an indentation (`` <TAB>value``), or sit on a blank or comment line; it may not be
    indentation itself (before an indicator, or before a mapping key it would indent), which
    Go rejects too. A line that starts with a tab is changed only before a flow indicator.
    """
    lines = segment.split("\n")
    replaced: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if "\t" not in line:
            continue
        lead = _LEAD.match(line).group()  # type: ignore[union-attr]
        if "\t" not in lead:
            continue
        rest = line[len(lead) :]
        stripped = line.strip(" \t")
        last = max(lead.rfind("-"), lead.rfind("?"), lead.rfind(":"))
        if not stripped or stripped.startswith("#"):
            first = 0
        elif "\t" in lead[: max(last, 0)] or not rest:
            continue  # a tab before an indicator, or before the node an indicator starts
        elif last < 0 and lead.startswith("\t"):
            if rest[0] not in "[]{}":
                continue
            first = 0
        elif _IMPLICIT_KEY.match(rest):
            continue
        else:
            first = last + 1
        cols = [c for c in range(first, len(lead)) if lead[c] == "\t"]
        if not cols:
            continue
        lines[i] = (
            lead.replace("\t", " ") + rest
            if first == 0
            else (lead[:first] + lead[first:].replace("\t", " ") + rest)
        )
        replaced.extend((i, c) for c in cols)
    return "\n".join(lines), replaced


def _inside_scalar(
    documents: list[Document], replaced: list[tuple[int, int]], segment_line: int
) -> bool:
    """Whether a replaced tab lies inside a scalar as read (where it would change a value)."""
    spots = [(segment_line + line, col) for line, col in replaced]
    stack = [d.node for d in documents if d.node is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.kind == "scalar":
            start, end = (node.line, node.col), (node.end_line, node.end_col)
            if any(start <= spot < end for spot in spots):
                return True
        elif node.kind == "seq":
            stack.extend(node.value)
        else:
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
    return False
