"""Helpers for cel-python's parse trees (Lark trees), shared by the compiler and the
interpreter, and :func:`plain`, the one adapter from a Lark tree to the plain form the fast
path (:mod:`.fast`) builds its closures from."""

from __future__ import annotations

from typing import Any

import lark

_LITERAL_STRINGS = frozenset({"STRING_LIT", "MLSTRING_LIT"})


def plain(tree: Any) -> Any:
    """``tree`` in the plain form of :mod:`.fast` (tuples and strings), without recursion: the
    trees of hostile expressions are deep.

    A string literal cel-python cannot decode (an escape beyond Unicode) is kept as the error
    it raises (see :data:`.fast.LITERAL_ERRORS`), raised again when a closure is built from it.
    """
    from celpy.evaluation import celstr

    if not isinstance(tree, lark.Tree):
        return str(tree)
    done: dict[int, Any] = {}
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if node.data == "literal" and len(node.children) == 1:
            token = node.children[0]
            kind = str(getattr(token, "type", ""))
            try:
                value = str(celstr(token)) if kind in _LITERAL_STRINGS else str(token)
            except (ValueError, OverflowError) as exc:
                kind, value = type(exc).__name__, str(exc)
            done[id(node)] = ("literal", kind, value)
        elif expanded:
            done[id(node)] = (
                str(node.data),
                *(done[id(c)] if isinstance(c, lark.Tree) else str(c) for c in node.children),
            )
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in node.children if isinstance(c, lark.Tree))
    return done[id(tree)]


def unwrap(tree: Any) -> Any:
    """Descend through the single-child wrappers (expr → conditionalor → ... → member)."""
    node = tree
    while (
        isinstance(node, lark.Tree)
        and len(node.children) == 1
        and isinstance(node.children[0], lark.Tree)
    ):
        node = node.children[0]
    return node


def args(node: lark.Tree, index: int) -> list[Any]:
    """The argument trees of a call node whose ``exprlist`` is child ``index``."""
    return list(node.children[index].children) if len(node.children) > index else []


def position(node: Any) -> tuple[int, int] | None:
    """The 1-based (line, column) where a token or tree starts, when cel-python kept it."""
    line = getattr(node, "line", None)
    if line is not None:
        return int(line), int(getattr(node, "column", 1) or 1)
    if isinstance(node, lark.Tree) and not node.meta.empty:
        return node.meta.line, node.meta.column
    return None


#: cel-go's parser limit (``parser.MaxRecursionDepth``, 250 by default, which the API server
#: keeps): deeper expressions do not compile.
MAX_DEPTH = 250

#: The nodes cel-go's parser counts towards the limit when it builds the expression (binary
#: operators, selections, calls on a target, indexes); nested expressions (parentheses, list
#: items, arguments) count once more each in its grammar's own recursion guard.
_COUNTED = frozenset({"member_dot", "member_dot_arg", "member_index"})
_BINARY = frozenset({"relation", "addition", "multiplication"})


def depth(tree: Any) -> int:
    """How deeply ``tree`` nests by cel-go's two measures (the larger), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int, int]] = [(tree, 0, 0)]
    while stack:
        node, nested, built = stack.pop()
        if not isinstance(node, lark.Tree):
            continue
        kind, children = node.data, node.children
        if kind == "expr":
            nested += 1
            if len(children) == 3:
                built += 1
        elif kind in _COUNTED or (kind in _BINARY and len(children) == 2):
            built += 1
        deepest = max(deepest, nested, built)
        stack.extend((child, nested, built) for child in children)
    return deepest
