"""The fast path: deciding simple CEL expressions without the interpreter.

cel-python needs about 0.3 ms for a one-line rule, most of it in the tree walk, and a
repository has thousands of objects. Most CRD rules are guards made of ``has()``, field
selection, string equality, ``size()`` and boolean operators; those are compiled once more
into Python closures that run on the visible plain values (:func:`.values.to_visible`) in
microseconds. Anything outside that subset, and any value the closures do not model
(numbers, timestamps, bytes), makes :func:`decide` answer ``None`` and the caller evaluates
with the interpreter, so the closures never have to be complete, only right.

The closures are built from the *plain form* of a parse tree, made of tuples and strings only
(:func:`.tree.plain` makes it from cel-python's Lark tree), so that it can be kept between runs
(:mod:`.program_cache`) and a later process builds the closures without loading cel-python or
Lark:

* a tree node is a tuple: its rule name, then its children (``("ident", "self")``);
* a token is its text (a ``str``), except the one child of a ``literal`` node, which is kept
  as two items, the token type and its value: ``("literal", "STRING_LIT", "abc")``, the string
  literals already decoded (escapes expanded, quotes removed). A string literal that
  cel-python cannot decode is kept as the error decoding raised (its type name, from
  :data:`LITERAL_ERRORS`, and its message), raised again if a closure is built from it.

This module imports neither cel-python nor Lark.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from flux_lint.core.regex import compile_pattern

__all__ = ["LITERAL_ERRORS", "Undecided", "build", "decide", "unwrap"]

#: The errors decoding a string literal may raise, by the name the plain form keeps.
LITERAL_ERRORS: dict[str, type[Exception]] = {
    "ValueError": ValueError,
    "OverflowError": OverflowError,
}


class Undecided(Exception):
    """The closures cannot tell what CEL would answer."""


_ERR = object()  # a CEL error whose outcome is certain (a missing key), not an undecided one

Fast = Callable[[Mapping[str, Any]], Any]


class Decidable(Protocol):
    """What :func:`decide` needs of a compiled program (:class:`.compiler.Program`)."""

    fast: Fast | None


def decide(program: Decidable, activation: Mapping[str, Any]) -> bool | None:
    """What ``program`` evaluates to, if its fast closure can tell; else ``None``.

    ``activation`` must hold values made by :func:`to_visible` (or :meth:`CelView.plain`). A
    ``None`` answer means "ask :func:`evaluate_bool`", including when the expression fails:
    the interpreter produces the error message.
    """
    fast = program.fast
    if fast is None:
        return None
    try:
        result = fast(activation)
    except (Undecided, RecursionError):
        return None
    return result if result is True or result is False else None


def build(node: Any) -> Fast:
    """Compile a parse tree in plain form into a closure; raise ``Undecided`` for unsupported
    syntax."""
    if type(node) is not tuple:
        raise Undecided
    kind, children = node[0], node[1:]
    if len(children) == 1 and kind in _WRAPPERS:
        return build(children[0])
    builder = _FAST_BUILDERS.get(kind)
    if builder is None:
        raise Undecided
    return builder(children)


def unwrap(node: Any) -> Any:
    """Descend through the single-child wrappers of a plain tree (expr → ... → member)."""
    while type(node) is tuple and len(node) == 2 and type(node[1]) is tuple:
        node = node[1]
    return node


def _is(node: Any, kind: str) -> bool:
    """Whether ``node`` is a plain tree node of rule ``kind``."""
    return type(node) is tuple and node[0] == kind


_WRAPPERS = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
     "unary", "member", "primary", "paren_expr"}
)  # fmt: skip


def _fast_ternary(children: tuple[Any, ...]) -> Fast:
    condition, when_true, when_false = (build(c) for c in children)

    def run(activation: Mapping[str, Any]) -> Any:
        chosen = condition(activation)
        if chosen is True:
            return when_true(activation)
        if chosen is False:
            return when_false(activation)
        if chosen is _ERR:
            return _ERR
        raise Undecided

    return run


def _try(fn: Fast, activation: Mapping[str, Any]) -> Any:
    try:
        return fn(activation)
    except Undecided:
        return Undecided


def _fast_logical(absorbing: bool) -> Callable[[tuple[Any, ...]], Fast]:
    """``||`` (``absorbing=True``) and ``&&``: the absorbing value wins whatever the other
    side is, even an error; two errors, or an error and the other value, give an error."""

    def make(children: tuple[Any, ...]) -> Fast:
        left, right = build(children[0]), build(children[1])

        def run(activation: Mapping[str, Any]) -> Any:
            a = _try(left, activation)
            if a is absorbing:
                return absorbing
            b = _try(right, activation)
            if b is absorbing:
                return absorbing
            if a is Undecided or b is Undecided:
                raise Undecided
            if a is (not absorbing) and b is (not absorbing):
                return not absorbing
            if (a is _ERR or a is (not absorbing)) and (b is _ERR or b is (not absorbing)):
                return _ERR
            raise Undecided

        return run

    return make


def _same_kind(a: Any, b: Any) -> bool:
    return type(a) is type(b) and type(a) in (str, bool, int)


def _fast_relation(children: tuple[Any, ...]) -> Fast:
    operator_tree, right_tree = children
    operator = operator_tree[0]
    left, right = build(operator_tree[1]), build(right_tree)
    if operator not in _COMPARISONS:
        raise Undecided
    compare = _COMPARISONS[operator]
    ordering = operator not in ("relation_eq", "relation_ne")

    def run(activation: Mapping[str, Any]) -> Any:
        a, b = left(activation), right(activation)
        if a is _ERR or b is _ERR:
            return _ERR
        if ordering and (type(a) is bool or type(b) is bool):
            raise Undecided
        if _same_kind(a, b):
            return compare(a, b)
        raise Undecided

    return run


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "relation_eq": lambda a, b: a == b,
    "relation_ne": lambda a, b: a != b,
    "relation_lt": lambda a, b: a < b,
    "relation_le": lambda a, b: a <= b,
    "relation_gt": lambda a, b: a > b,
    "relation_ge": lambda a, b: a >= b,
}


def _fast_unary(children: tuple[Any, ...]) -> Fast:
    operator, operand_tree = children
    if not _is(operator, "unary_not"):
        raise Undecided
    operand = build(operand_tree)

    def run(activation: Mapping[str, Any]) -> Any:
        value = operand(activation)
        if value is True or value is False:
            return not value
        if value is _ERR:
            return _ERR
        raise Undecided

    return run


def _fast_select(children: tuple[Any, ...]) -> Fast:
    target, name = build(children[0]), str(children[1])

    def run(activation: Mapping[str, Any]) -> Any:
        value = target(activation)
        if value is _ERR:
            return _ERR
        if type(value) is dict:
            return value.get(name, _ERR)
        raise Undecided

    return run


def _fast_has(argument: Any) -> Fast:
    selection = unwrap(argument)
    if not _is(selection, "member_dot"):
        raise Undecided
    target, name = build(selection[1]), str(selection[2])

    def run(activation: Mapping[str, Any]) -> Any:
        value = target(activation)
        if value is _ERR:
            return _ERR
        if type(value) is dict:
            return name in value
        raise Undecided

    return run


def _fast_size(argument: Fast) -> Fast:
    def run(activation: Mapping[str, Any]) -> Any:
        value = argument(activation)
        if value is _ERR:
            return _ERR
        if type(value) in (str, list, dict):
            return len(value)
        raise Undecided

    return run


def _fast_method(children: tuple[Any, ...]) -> Fast:
    name = str(children[1])
    args = list(children[2][1:]) if len(children) > 2 else []
    if name in ("all", "exists") and len(args) == 2:
        return _fast_quantifier(children[0], args, absorbing=name == "exists")
    target = build(children[0])
    if name == "size" and not args:
        return _fast_size(target)
    if name in _STRING_METHODS and len(args) == 1:
        return _fast_string_method(_STRING_METHODS[name], target, build(args[0]))
    raise Undecided


def _fast_quantifier(target_tree: Any, args: list[Any], absorbing: bool) -> Fast:
    """``all()`` (``absorbing=False``) and ``exists()`` over a list, with the error rules of
    ``&&`` and ``||``: one absorbing answer decides, else any error makes the result an error."""
    variable = unwrap(args[0])
    if not _is(variable, "ident"):
        raise Undecided
    name = str(variable[1])
    target, body = build(target_tree), build(args[1])

    def run(activation: Mapping[str, Any]) -> Any:
        items = target(activation)
        if items is _ERR:
            return _ERR
        if type(items) is not list:
            raise Undecided
        scope = dict(activation)
        undecided = failed = False
        for item in items:
            scope[name] = item
            value = _try(body, scope)
            if value is absorbing:
                return absorbing
            if value is _ERR:
                failed = True
            elif value is not (not absorbing):
                undecided = True
        if undecided:
            raise Undecided
        return _ERR if failed else not absorbing

    return run


def _fast_matches(text: str, pattern: str) -> bool:
    try:
        return compile_pattern(pattern).search(text)
    except ValueError:
        raise Undecided from None  # the interpreter reports the bad pattern


_STRING_METHODS: dict[str, Callable[[str, str], bool]] = {
    "matches": _fast_matches,
    "startsWith": str.startswith,
    "endsWith": str.endswith,
    "contains": str.__contains__,
}


def _fast_string_method(method: Callable[[str, str], bool], target: Fast, argument: Fast) -> Fast:
    def run(activation: Mapping[str, Any]) -> Any:
        text, other = target(activation), argument(activation)
        if text is _ERR or other is _ERR:
            return _ERR
        if type(text) is str and type(other) is str:
            return method(text, other)
        raise Undecided

    return run


def _fast_call(children: tuple[Any, ...]) -> Fast:
    name = str(children[0])
    args = list(children[1][1:]) if len(children) > 1 else []
    if len(args) != 1:
        raise Undecided
    if name == "has":
        return _fast_has(args[0])
    if name == "size":
        return _fast_size(build(args[0]))
    raise Undecided


def _fast_ident(children: tuple[Any, ...]) -> Fast:
    name = str(children[0])

    def run(activation: Mapping[str, Any]) -> Any:
        if name not in activation:
            raise Undecided
        return activation[name]

    return run


def _fast_literal(children: tuple[Any, ...]) -> Fast:
    kind, text = children
    if kind in LITERAL_ERRORS:
        raise LITERAL_ERRORS[kind](text)
    if kind in ("STRING_LIT", "MLSTRING_LIT"):
        value: Any = text  # decoded already
    elif kind == "BOOL_LIT":
        value = text == "true"
    elif kind == "NULL_LIT":
        value = None
    elif kind == "INT_LIT":
        try:
            value = int(text, 0)
        except ValueError:
            raise Undecided from None
    else:
        raise Undecided
    return lambda _activation: value


_FAST_BUILDERS: dict[str, Callable[[tuple[Any, ...]], Fast]] = {
    "expr": _fast_ternary,
    "conditionalor": _fast_logical(True),
    "conditionaland": _fast_logical(False),
    "relation": _fast_relation,
    "unary": _fast_unary,
    "member_dot": _fast_select,
    "member_dot_arg": _fast_method,
    "ident_arg": _fast_call,
    "ident": _fast_ident,
    "literal": _fast_literal,
}
