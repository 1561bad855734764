"""What the YAML spec forbids and libyaml (like Go's reader, a port of it) lets through.

Go's reader accepts these, so Flux applies the file; other YAML readers (yamllint, editors,
Python and JavaScript tools) reject it. They are reported as FL001 *warnings* at their position,
and the document is still checked as Go reads it. The one Go rejects too, a ``%YAML`` directive
of another version after a document that no ``...`` ends, is an error.

The checks cost nothing on ordinary files: the loader notes the rare constructs they look at
while it composes (multi-line flow collections and quoted scalars inside block collections, a
lone ``-`` in a flow collection, directives after a document), and the comment check runs only
when a cheap search finds a ``#`` glued to a closing quote, bracket, comma or block indicator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flux_lint.core.regex import lazy

from .yaml_compose import Spots
from .yaml_nodes import Document, LoadProblem, Node

GO_ACCEPTS = " (Go's YAML reader accepts it, other YAML readers reject it)"

# What may stand right before a glued `#`: a closing quote or bracket, a comma, a block scalar
# header (`>`, `|-`, `|2`).
_BEFORE_HASH = frozenset("\"']},>|-+123456789")
# A line holding only closing brackets (and commas, a comment): JSON-style layouts put these at
# the parent's indentation; Go and most readers take it, so it is left alone.
_CLOSING_ONLY = lazy(r"[ \t]*[\]}][\]}, \t]*(?:#.*)?")


def spec_problems(text: str, spots: Spots, documents: list[Document]) -> list[LoadProblem]:
    """The spec violations in ``text`` that libyaml accepted."""
    problems: list[LoadProblem] = []
    lines: list[str] | None = None
    if spots.continued:
        lines = text.split("\n")
        for node, parent_col, document in spots.continued:
            problems.extend(_under_indented(node, parent_col, document, lines))
    for node, document in spots.dashes:
        problems.append(
            LoadProblem(
                "syntax",
                "`-` alone is not a plain scalar inside a flow collection; quote it" + GO_ACCEPTS,
                node.line,
                node.col,
                document,
                severity="warning",
            )
        )
    for line, col, version, document in spots.directives:
        go_rejects = version not in ("", "1.1")
        problems.append(
            LoadProblem(
                "syntax",
                "a directive after a document needs `...` to end that document first"
                + ("" if go_rejects else GO_ACCEPTS),
                line,
                col,
                document,
                severity=None if go_rejects else "warning",
            )
        )
    if _glued_hash(text):
        lines = lines if lines is not None else text.split("\n")
        problems.extend(_glued_comments(text, lines, documents))
    return problems


def _glued_hash(text: str) -> bool:
    """Whether any `#` follows one of ``_BEFORE_HASH`` (a cheap filter: a loop over the `#`
    only, several times faster than a regular expression without a literal prefix)."""
    at = text.find("#")
    while at > 0:
        if text[at - 1] in _BEFORE_HASH:
            return True
        at = text.find("#", at + 1)
    return False


def _under_indented(
    node: Node, parent_col: int, document: int, lines: list[str]
) -> Iterator[LoadProblem]:
    """Continuation lines of a flow collection or quoted scalar must be indented more than the
    block collection that holds it (a tab does not count as indentation)."""
    what = "flow collection" if node.kind != "scalar" else "quoted scalar"
    for number in range(node.line + 1, min(node.end_line, len(lines) - 1) + 1):
        line = lines[number]
        if not line.strip() or (node.kind != "scalar" and _CLOSING_ONLY.fullmatch(line)):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if number == node.end_line and indent >= node.end_col:
            continue  # the line holds nothing of the node (it ended before)
        if indent <= parent_col:
            yield LoadProblem(
                "syntax",
                f"this line of a multi-line {what} must start to the right of column "
                f"{parent_col + 1}, where the block that holds it starts" + GO_ACCEPTS,
                number,
                indent,
                document,
                severity="warning",
            )
            return


def _glued_comments(text: str, lines: list[str], documents: list[Document]) -> list[LoadProblem]:
    """A `#` directly after a quoted scalar, a flow collection, a comma or a block scalar
    header: YAML needs whitespace before a comment."""
    problems: list[LoadProblem] = []
    flows: list[Node] = []
    scalars: list[Node] = []
    for doc in documents:
        for node in _walk(doc.node):
            if node.kind == "scalar":
                scalars.append(node)
            elif node.style == "flow":
                flows.append(node)
            spot: tuple[int, int] | None = None
            if node.style in ('"', "'") or (node.kind != "scalar" and node.style == "flow"):
                spot = (node.end_line, node.end_col)
            elif node.style in ("|", ">"):
                header = lines[node.line][node.col :] if node.line < len(lines) else ""
                match = re.match(r"[|>][-+1-9]{0,2}#", header)
                if match:
                    spot = (node.line, node.col + match.end() - 1)
            if spot and _char(lines, spot) == "#":
                problems.append(_comment_problem(spot, doc.index))
    for match in re.finditer(r",#", text):
        line = text.count("\n", 0, match.start())
        spot = (line, match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1)
        inside_flow = any(_contains(node, spot) for node in flows)
        if inside_flow and not any(_contains(node, spot) for node in scalars):
            problems.append(_comment_problem(spot, _document_at(documents, line)))
    return problems


def _comment_problem(spot: tuple[int, int], document: int) -> LoadProblem:
    return LoadProblem(
        "syntax",
        "a comment needs a space before `#`" + GO_ACCEPTS,
        spot[0],
        spot[1],
        document,
        severity="warning",
    )


def _char(lines: list[str], spot: tuple[int, int]) -> str:
    line, col = spot
    return lines[line][col : col + 1] if line < len(lines) else ""


def _contains(node: Node, spot: tuple[int, int]) -> bool:
    return (node.line, node.col) <= spot < (node.end_line, node.end_col)


def _document_at(documents: list[Document], line: int) -> int:
    index = documents[0].index if documents else 0
    for doc in documents:
        if doc.line <= line:
            index = doc.index
    return index


def _walk(root: Node | None) -> Iterator[Node]:
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if node.kind == "seq":
            stack.extend(node.value)
        elif node.kind == "map":
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
