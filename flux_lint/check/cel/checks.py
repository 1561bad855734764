"""The compile-time checks cel-go makes and cel-python does not (see :mod:`.compiler`).

cel-python accepts some expressions that cel-go rejects when it compiles: an unknown function,
``has()`` on something that is not a field selection, a macro with the wrong number of
arguments or a non-name variable, an undeclared variable. :class:`Checker` walks the parse
tree once, reports the first of these as a :class:`CelCompileError` with its position, and
collects what the program needs to know about itself (the names flux-lint cannot evaluate, the
free identifiers). It also turns namespaced calls (``sets.contains(a, b)``) into calls of their
qualified name, which is how the interpreter finds them.
"""

from __future__ import annotations

from typing import Any

import lark
from celpy.evaluation import base_functions

from flux_lint.check.cel.errors import CelCompileError
from flux_lint.check.cel.registry import EXTENSIONS, KUBERNETES_LIBRARY, NAMESPACES
from flux_lint.check.cel.tree import args, position, unwrap

__all__ = ["MACROS", "Checker"]

#: Type names usable as identifiers (``type(x) == string``).
_TYPE_NAMES = frozenset(
    {"bool", "bytes", "double", "duration", "int", "list", "map", "null_type", "string",
     "timestamp", "type", "uint", "dyn", "optional_type"}
)  # fmt: skip

#: Macros (receiver-style) and how many arguments each takes; the first is a variable name,
#: and so is the second when there are three or four and the macro is a two-variable one.
MACROS: dict[str, tuple[int, ...]] = {
    "all": (2, 3),
    "exists": (2, 3),
    "exists_one": (2, 3),
    "existsOne": (2, 3),
    "map": (2, 3),
    "filter": (2,),
    "sortBy": (2,),
    "optMap": (2,),
    "optFlatMap": (2,),
    "transformList": (3, 4),
    "transformMap": (3, 4),
    "transformMapEntry": (3, 4),
}

#: cel-go's two-variable comprehensions (Kubernetes 1.32), besides ``all``, ``exists`` and
#: ``existsOne`` with three arguments.
_TWO_VARIABLE = frozenset({"transformList", "transformMap", "transformMapEntry"})


class Checker:
    """Static checks cel-go makes at compile time and cel-python leaves to evaluation; turns
    namespaced calls into calls of their qualified names on the way.

    The walk keeps its own stack: the trees of hostile expressions are deep."""

    def __init__(self, source: str, variables: frozenset[str] | None) -> None:
        self.source = source
        self.variables = variables
        self.functions = set(base_functions) | set(EXTENSIONS) | {"has", "dyn"}
        self.unsupported: set[str] = set()
        self.free: set[str] = set()

    def fail(self, where: Any, reason: str) -> None:
        line, column = position(where) or (1, 1)
        raise CelCompileError(self.source, reason, line, column)

    def check(self, tree: Any) -> None:
        stack: list[tuple[Any, frozenset[str]]] = [(tree, frozenset())]
        while stack:
            node, bound = stack.pop()
            if not isinstance(node, lark.Tree):
                continue
            kind = node.data
            if kind == "member_dot_arg":
                self._namespaced(node, bound)
                kind = node.data
            if kind == "member_dot_arg":
                stack.extend(self._method(node, bound))
            elif kind == "ident_arg":
                stack.extend(self._call(node, bound))
            elif kind == "ident":
                self._ident(node.children[0], bound)
            else:
                stack.extend((child, bound) for child in reversed(node.children))

    def _namespaced(self, node: lark.Tree, bound: frozenset[str]) -> None:
        """``sets.contains(a, b)`` → a call of ``sets.contains``, when ``sets`` is not a
        variable in scope."""
        target = unwrap(node.children[0])
        if not (isinstance(target, lark.Tree) and target.data == "ident"):
            return
        namespace = str(target.children[0])
        if namespace not in NAMESPACES or namespace in bound:
            return
        if self.variables is not None and namespace in self.variables:
            return
        method = node.children[1]
        name = lark.Token.new_borrow_pos("IDENT", f"{namespace}.{method}", target.children[0])
        call = lark.Tree("ident_arg", [name, *node.children[2:]], node.meta)
        node.data, node.children = "primary", [call]

    def _method(self, node: lark.Tree, bound: frozenset[str]) -> list[tuple[Any, frozenset]]:
        target, name = node.children[0], node.children[1]
        arguments = args(node, 2)
        pending = [(target, bound)]
        text = str(name)
        if text in MACROS:
            if len(arguments) not in MACROS[text]:
                counts = " or ".join(str(c) for c in MACROS[text])
                self.fail(name, f"`{name}` takes exactly {counts} arguments")
            two = text in _TWO_VARIABLE or (
                len(arguments) == 3 and text in ("all", "exists", "existsOne", "exists_one")
            )
            variables = 2 if two else 1
            names = []
            for argument in arguments[:variables]:
                variable = unwrap(argument)
                if not (isinstance(variable, lark.Tree) and variable.data == "ident"):
                    self.fail(name, f"the first argument of `{name}` must be a simple name")
                names.append(str(variable.children[0]))
            inner = bound | set(names)
            pending.extend((argument, inner) for argument in arguments[variables:])
            return pending
        self._function(name)
        pending.extend((argument, bound) for argument in arguments)
        return pending

    def _call(self, node: lark.Tree, bound: frozenset[str]) -> list[tuple[Any, frozenset]]:
        name = node.children[0]
        arguments = args(node, 1)
        if str(name) == "has":
            selection = unwrap(arguments[0]) if len(arguments) == 1 else None
            if not (isinstance(selection, lark.Tree) and selection.data == "member_dot"):
                self.fail(name, "invalid argument to has() macro")
        else:
            self._function(name)
        return [(argument, bound) for argument in arguments]

    def _function(self, name: Any) -> None:
        text = str(name)
        if text not in self.functions:
            self.fail(name, f"undeclared reference to function `{text}`")
        if text in KUBERNETES_LIBRARY:
            self.unsupported.add(text)

    def _ident(self, token: Any, bound: frozenset[str]) -> None:
        text = str(token)
        if text in bound or text in _TYPE_NAMES:
            return
        if text in NAMESPACES:
            self.unsupported.add(text)
            return
        self.free.add(text)
        if self.variables is not None and text not in self.variables:
            self.fail(token, f"undeclared reference to `{text}`")
