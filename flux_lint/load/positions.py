"""JSON pointer → source span. The one place where findings get their line and column.

Rules speak in JSON pointers into the plain view; this module walks the composed node tree of
the same document to find where that pointer is written. When the pointer does not exist (a
missing field), the deepest existing ancestor is used, so "missing `url`" lands on ``spec:``.
"""

from __future__ import annotations

from flux_lint.core.findings import KEY, Span, pointer_tokens
from flux_lint.load.yaml import Node, node_key


def _span(node: Node) -> Span:
    if node.kind == "scalar" or node.style == "flow":
        end_line, end_col = node.end_line, node.end_col
        if node.kind == "scalar" and node.style in ("|", ">"):
            # Block scalars end at the start of the next line: stop at their header instead.
            end_line, end_col = node.line, node.col + 1
        return Span(node.line + 1, node.col + 1, end_line + 1, end_col + 1)
    # Block collections: underline the first line only, it reads better in every viewer.
    return Span(node.line + 1, node.col + 1, node.line + 1, node.col + 2)


def _child(node: Node, token: str) -> tuple[Node | None, Node | None]:
    """(key node, value node) of ``token`` inside ``node``; merge keys are followed."""
    if node.kind == "map":
        merged: list[Node] = []
        for key_node, value_node in reversed(node.value):  # the last duplicate wins
            if key_node.kind == "scalar" and key_node.tag is None and key_node.value == "<<":
                merged.extend(value_node.value if value_node.kind == "seq" else [value_node])
                continue
            if node_key(key_node) == token:
                return key_node, value_node
        for source in merged:
            key_node, value_node = _child(source, token)
            if value_node is not None:
                return key_node, value_node
        return None, None
    if node.kind == "seq" and token.isdigit():
        index = int(token)
        if index < len(node.value):
            return None, node.value[index]
    return None, None


def locate(
    root: Node,
    pointer: str,
    target: str,
    *,
    offset: tuple[int, int] | None = None,
    text: str | None = None,
) -> Span:
    """Where ``pointer`` is written below ``root``; ``target`` picks the key or the value.

    With ``offset`` (1-based line and column inside a string value) and the file ``text``, the
    span is the single character at that place inside the scalar, as written in the file.
    """
    node = root
    key_node: Node | None = None
    for token in pointer_tokens(pointer):
        k, child = _child(node, token)
        if child is None:
            # The pointer goes further than the document: point at what exists.
            return _span(key_node) if key_node is not None else _span(node)
        node, key_node = child, k
    if offset is not None and text is not None and node.kind == "scalar":
        inner = _inside_scalar(node, offset, text)
        if inner is not None:
            return inner
    if target == KEY and key_node is not None:
        return _span(key_node)
    return _span(node)


_ESCAPE_LENGTH = {"x": 2, "u": 4, "U": 8}


def _inside_scalar(node: Node, offset: tuple[int, int], text: str) -> Span | None:
    """The position of character ``offset`` of a scalar's value in the file, or None when the
    scalar's layout does not allow an exact answer (folded or multi-line flow scalars)."""
    line_no, column = offset
    lines = text.splitlines()
    if node.style in (None, "'", '"') and node.line == node.end_line and line_no == 1:
        raw = lines[node.line] if node.line < len(lines) else ""
        pos = node.col + (0 if node.style is None else 1)
        remaining = column - 1
        while remaining > 0 and pos < len(raw):
            if node.style == "'" and raw.startswith("''", pos):
                pos += 2
            elif node.style == '"' and raw[pos] == "\\" and pos + 1 < len(raw):
                pos += 2 + _ESCAPE_LENGTH.get(raw[pos + 1], 0)
            else:
                pos += 1
            remaining -= 1
        return Span(node.line + 1, pos + 1, node.line + 1, pos + 2)
    if node.style == "|":
        target_line = node.line + line_no
        content = [ln for ln in lines[node.line + 1 : node.end_line + 1] if ln.strip()]
        if target_line >= len(lines) or not content:
            return None
        indent = len(content[0]) - len(content[0].lstrip(" "))
        col = indent + column
        return Span(target_line + 1, col, target_line + 1, col + 1)
    return None
