"""cel-python's interpreter with the semantics cel-go (and so the API server) has, metered.

Where cel-python differs from cel-go, cel-go wins:

* ``has(e.f)`` is strict: an error when ``e`` itself fails, not ``false``.
* ``||`` and ``&&`` skip their right operand when the left one decides; an absorbing value on
  either side wins over an error on the other (``error || true`` is ``true``).
* The macros apply to lists and maps only, and an error for one item fails ``map``,
  ``filter`` and ``exists_one``, while ``all`` and ``exists`` fail only if no item decides the
  answer (cel-python keeps errors as list items or counts them as true). ``map`` also has its
  three-argument form (``map(x, filter, value)``).
* The library's macros: ``sortBy`` (lists), ``optMap`` and ``optFlatMap`` (optional values);
  and optional selection (``a.?b``, ``a[?k]``) and optional list items and map entries
  (``[?x]``, ``{?k: v}``), at the positions the compiler marked.

Every node visited spends one step of the evaluation's budget (:mod:`.budget`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.evaluation import CELEvalError, Evaluator, NameContainer

from flux_lint.check.cel.budget import METER, Meter
from flux_lint.check.cel.library.lists import sort_by_keys
from flux_lint.check.cel.library.optional import NONE, CelOptional, of, select
from flux_lint.check.cel.registry import error, type_name
from flux_lint.check.cel.tree import args, position, unwrap

__all__ = ["KubernetesEvaluator", "KubernetesRunner"]

_QUANTIFIERS = frozenset({"all", "exists"})
_COLLECTING = frozenset({"map", "filter", "exists_one", "existsOne"})
_TWO_VARIABLE = frozenset({"transformList", "transformMap", "transformMapEntry"})


class KubernetesEvaluator(Evaluator):
    """The interpreter for one program (see the module docstring)."""

    def __init__(
        self,
        ast: lark.Tree,
        activation: Any,
        meter: Meter | None = None,
        marks: frozenset[tuple[int, int]] = frozenset(),
    ) -> None:
        super().__init__(ast, activation=activation)
        self.meter = meter
        self.marks = marks

    def sub_evaluator(self, ast: lark.Tree) -> Evaluator:
        return KubernetesEvaluator(ast, self.activation, self.meter, self.marks)

    def visit(self, tree: lark.Tree) -> Any:
        meter = self.meter
        if meter is not None:
            meter.left -= 1
            if meter.left <= meter.next_check:
                meter.check()
        return super().visit(tree)

    def visit_children(self, tree: lark.Tree) -> list[Any]:
        """Children go through :meth:`visit` (lark's own loop would bypass the meter)."""
        self.level += 1
        try:
            return [self.visit(c) if isinstance(c, lark.Tree) else c for c in tree.children]
        finally:
            self.level -= 1

    # -- operators ----------------------------------------------------------------------------

    def conditionalor(self, tree: lark.Tree) -> Any:
        return self._logical(tree, absorbing=True)

    def conditionaland(self, tree: lark.Tree) -> Any:
        return self._logical(tree, absorbing=False)

    def _logical(self, tree: lark.Tree, *, absorbing: bool) -> Any:
        if len(tree.children) != 2:
            return self.visit_children(tree)[0]
        left = self.visit(tree.children[0])
        if isinstance(left, celtypes.BoolType) and bool(left) is absorbing:
            return left
        right = self.visit(tree.children[1])
        if isinstance(right, celtypes.BoolType) and bool(right) is absorbing:
            return right
        for side in (left, right):
            if isinstance(side, CELEvalError):
                return side
        if isinstance(left, celtypes.BoolType) and isinstance(right, celtypes.BoolType):
            return celtypes.BoolType(not absorbing)
        operator = "||" if absorbing else "&&"
        return error(f"no such overload: {type_name(left)} {operator} {type_name(right)}")

    def addition(self, tree: lark.Tree) -> Any:
        """``+``, refusing strings, bytes and lists beyond the size limit (nested macros can
        double a value at every level without visiting many nodes)."""
        result = super().addition(tree)
        if self.meter is not None:
            self.meter.size(result)
        return result

    # -- selection ----------------------------------------------------------------------------

    def macro_has_eval(self, exprlist: lark.Tree) -> Any:
        """``has(e.f)``: whether map ``e`` has key ``f``; an error when ``e`` itself fails."""
        selection = unwrap(exprlist.children[0]) if exprlist.children else None
        if not isinstance(selection, lark.Tree) or selection.data != "member_dot":
            return error("invalid argument to has() macro")
        target_tree, name = selection.children
        target = self.visit(target_tree)
        if isinstance(target, CELEvalError):
            return target
        if isinstance(target, CelOptional):  # has(a.?b.c): whether the optional holds c
            return celtypes.BoolType(
                target.present and isinstance(target.value, dict) and str(name) in target.value
            )
        if isinstance(target, dict):
            return celtypes.BoolType(celtypes.StringType(str(name)) in target)
        return error(f"no such overload: has() on {type_name(target)}")

    def member_dot(self, tree: lark.Tree) -> Any:
        """``a.b``; ``a.?b`` (marked) and any selection on an optional value are optional."""
        target_tree, name = tree.children
        target = self.visit(target_tree)
        if isinstance(target, CELEvalError):
            return target
        if isinstance(target, CelOptional) or (self.marks and position(name) in self.marks):
            return select(target, celtypes.StringType(str(name)))
        if isinstance(target, celtypes.MapType):
            try:
                return target[str(name)]
            except KeyError:
                message = f"no such member in mapping: {str(name)!r}"
                return CELEvalError(message, KeyError, None, tree=tree)
        if isinstance(target, (NameContainer, celtypes.MessageType)):
            return super().member_dot(tree)
        return CELEvalError(
            f"{target!r} with type: '{type(target)}' does not support field selection",
            TypeError,
            None,
            tree=tree,
        )

    def member_index(self, tree: lark.Tree) -> Any:
        """``a[k]``; ``a[?k]`` (marked) and any index on an optional value are optional."""
        target_tree, key_tree = tree.children
        target, key = self.visit(target_tree), self.visit(key_tree)
        for value in (target, key):
            if isinstance(value, CELEvalError):
                return value
        if isinstance(target, CelOptional) or (self.marks and position(key_tree) in self.marks):
            return select(target, key)
        index = self.activation.resolve_function("_[_]")
        try:
            return index(target, key)
        except TypeError as exc:
            message = (
                f"found no matching overload for _[_] applied to '({type(target)}, {type(key)})'"
            )
            return CELEvalError(message, exc.__class__, exc.args, tree=tree)
        except KeyError as exc:
            return CELEvalError("no such key", exc.__class__, exc.args, tree=tree)
        except IndexError as exc:
            return CELEvalError("invalid_argument", exc.__class__, exc.args, tree=tree)

    def primary(self, tree: lark.Tree) -> Any:
        """List and map literals with optional items and entries (``[?x]``, ``{?k: v}``)."""
        child = tree.children[0] if len(tree.children) == 1 else None
        if (
            self.marks
            and isinstance(child, lark.Tree)
            and child.data in ("list_lit", "map_lit")
            and child.children
        ):
            return self._literal(child)
        return super().primary(tree)

    def _literal(self, literal: lark.Tree) -> Any:
        items = literal.children[0].children
        if literal.data == "list_lit":
            values: list[Any] = []
            for item in items:
                value = self.visit(item)
                if isinstance(value, CELEvalError):
                    return value
                if position(item) in self.marks:
                    if not isinstance(value, CelOptional):
                        return error(f"no such overload: optional list item of {type_name(value)}")
                    if value.present:
                        values.append(value.value)
                else:
                    values.append(value)
            return celtypes.ListType(values)
        entries = celtypes.MapType()
        for key_tree, value_tree in zip(items[::2], items[1::2], strict=False):
            key, value = self.visit(key_tree), self.visit(value_tree)
            for part in (key, value):
                if isinstance(part, CELEvalError):
                    return part
            if position(key_tree) in self.marks:
                if not isinstance(value, CelOptional):
                    return error(f"no such overload: optional map entry of {type_name(value)}")
                if not value.present:
                    continue
                value = value.value
            if key in entries:
                return error(f"Failed with repeated key: {key}")
            entries[key] = value
        return entries

    # -- macros -------------------------------------------------------------------------------

    def member_dot_arg(self, tree: lark.Tree) -> Any:
        method = str(tree.children[1])
        arguments = args(tree, 2)
        if method == "min" or (method in ("map", "all", "exists") and len(arguments) < 2):
            # cel-python treats ``min()`` as a macro of its own; Kubernetes' is a function.
            target = self.visit(tree.children[0])
            values = self.visit_children(tree.children[2]) if len(tree.children) > 2 else []
            return self.method_eval(target, tree.children[1], values)
        if method in _TWO_VARIABLE or (
            len(arguments) == 3 and method in ("all", "exists", "existsOne", "exists_one")
        ):
            return self._two_variables(tree, method, arguments)
        if method in ("optMap", "optFlatMap") and len(arguments) == 2:
            return self._optional_macro(tree, arguments, flat=method == "optFlatMap")
        if method == "sortBy" and len(arguments) == 2:
            return self._sort_by(tree, arguments)
        if method not in _QUANTIFIERS and method not in _COLLECTING:
            return super().member_dot_arg(tree)
        items = self.visit(tree.children[0])
        if isinstance(items, CELEvalError):
            return items
        if not isinstance(items, (list, dict)):
            return error(f"no such overload: {method} on {type_name(items)}")
        if method in _QUANTIFIERS:
            return self._quantifier(arguments, items, absorbing=method == "exists")
        if method == "map" and len(arguments) == 3:
            keep = self._function(arguments[0], arguments[1])
            transform = self._function(arguments[0], arguments[2])
        else:
            keep, transform = None, self._function(arguments[0], arguments[1])
        results = []
        for item in items:
            if keep is not None:
                wanted = keep(item)
                if isinstance(wanted, CELEvalError):
                    return wanted
                if not isinstance(wanted, celtypes.BoolType):
                    return error("no such overload: map filter is not a bool")
                if not wanted:
                    continue
            result = transform(item)
            if isinstance(result, CELEvalError):
                return result
            if method != "map" and not isinstance(result, celtypes.BoolType):
                return error(f"no such overload: {method} predicate is not a bool")
            results.append((item, result))
        if method == "map":
            return celtypes.ListType([r for _, r in results])
        if method == "filter":
            return celtypes.ListType([i for i, r in results if r])
        return celtypes.BoolType(sum(1 for _, r in results if r) == 1)

    def _function(self, variable: Any, body: Any) -> Callable[[Any], Any]:
        """The macro body as a function of its variable: a value or a ``CELEvalError``."""
        name = str(unwrap(variable).children[0])
        nested = self.sub_evaluator(body)

        def run(value: Any) -> Any:
            try:
                return nested.evaluate({name: value})
            except CELEvalError as exc:
                return exc

        return run

    def _quantifier(self, arguments: list[Any], items: Iterable[Any], absorbing: bool) -> Any:
        body = self._function(arguments[0], arguments[1])
        failure: Any = None
        for item in items:
            result = body(item)
            if isinstance(result, celtypes.BoolType):
                if bool(result) is absorbing:
                    return celtypes.BoolType(absorbing)
            elif failure is None:
                failure = (
                    result
                    if isinstance(result, CELEvalError)
                    else error("no such overload: predicate is not a bool")
                )
        return failure if failure is not None else celtypes.BoolType(not absorbing)

    def _two_variables(self, tree: lark.Tree, method: str, arguments: list[Any]) -> Any:
        """cel-go's two-variable comprehensions (Kubernetes 1.32): ``all``, ``exists`` and
        ``existsOne`` with an index (or key) and a value, ``transformList``, ``transformMap``
        and ``transformMapEntry``, each with an optional filter before the transform."""
        items = self.visit(tree.children[0])
        if isinstance(items, CELEvalError):
            return items
        if isinstance(items, list):
            pairs = [(celtypes.IntType(i), v) for i, v in enumerate(items)]
        elif isinstance(items, dict):
            pairs = list(items.items())
        else:
            return error(f"no such overload: {method} on {type_name(items)}")
        first, second = (str(unwrap(a).children[0]) for a in arguments[:2])
        bodies = [self._function2(first, second, body) for body in arguments[2:]]
        if method in ("all", "exists"):
            absorbing = method == "exists"
            failure: Any = None
            for key, value in pairs:
                result = bodies[0](key, value)
                if isinstance(result, celtypes.BoolType):
                    if bool(result) is absorbing:
                        return celtypes.BoolType(absorbing)
                elif failure is None:
                    failure = (
                        result
                        if isinstance(result, CELEvalError)
                        else error("no such overload: predicate is not a bool")
                    )
            return failure if failure is not None else celtypes.BoolType(not absorbing)
        keep = bodies[0] if len(bodies) == 2 else None
        transform = bodies[-1]
        if method in ("existsOne", "exists_one"):
            keep, transform = None, bodies[0]
        kept: list[tuple[Any, Any, Any]] = []
        for key, value in pairs:
            if keep is not None:
                wanted = keep(key, value)
                if isinstance(wanted, CELEvalError):
                    return wanted
                if not isinstance(wanted, celtypes.BoolType):
                    return error(f"no such overload: {method} filter is not a bool")
                if not wanted:
                    continue
            result = transform(key, value)
            if isinstance(result, CELEvalError):
                return result
            kept.append((key, value, result))
        if method in ("existsOne", "exists_one"):
            if any(not isinstance(r, celtypes.BoolType) for _, _, r in kept):
                return error("no such overload: predicate is not a bool")
            return celtypes.BoolType(sum(1 for _, _, r in kept if r) == 1)
        if method == "transformList":
            return celtypes.ListType(r for _, _, r in kept)
        merged = celtypes.MapType()
        for key, _value, result in kept:
            entries = {key: result} if method == "transformMap" else result
            if not isinstance(entries, dict):
                return error(f"no such overload: {method} entry is {type_name(result)}")
            for k, v in entries.items():
                if k in merged:
                    return error(f"insert failed: key {k} already exists")
                merged[k] = v
        return merged

    def _function2(self, first: str, second: str, body: Any) -> Callable[[Any, Any], Any]:
        nested = self.sub_evaluator(body)

        def run(key: Any, value: Any) -> Any:
            try:
                return nested.evaluate({first: key, second: value})
            except CELEvalError as exc:
                return exc

        return run

    def _optional_macro(self, tree: lark.Tree, arguments: list[Any], *, flat: bool) -> Any:
        """``o.optMap(x, e)``: ``optional.of(e)`` with ``x`` the value of ``o``, or none;
        ``o.optFlatMap(x, e)``: ``e`` itself, which must be an optional."""
        target = self.visit(tree.children[0])
        if isinstance(target, CELEvalError):
            return target
        if not isinstance(target, CelOptional):
            return error(f"no such overload: {type_name(target)}.optMap")
        if not target.present:
            return NONE
        result = self._function(arguments[0], arguments[1])(target.value)
        if isinstance(result, CELEvalError):
            return result
        if flat:
            if not isinstance(result, CelOptional):
                return error(f"no such overload: optFlatMap to {type_name(result)}")
            return result
        return of(result)

    def _sort_by(self, tree: lark.Tree, arguments: list[Any]) -> Any:
        items = self.visit(tree.children[0])
        if isinstance(items, CELEvalError):
            return items
        if not isinstance(items, list):
            return error(f"no such overload: sortBy on {type_name(items)}")
        key = self._function(arguments[0], arguments[1])
        keys = []
        for item in items:
            value = key(item)
            if isinstance(value, CELEvalError):
                return value
            keys.append(value)
        return sort_by_keys(items, keys)


class KubernetesRunner(celpy.InterpretedRunner):
    """cel-python's runner, evaluating with :class:`KubernetesEvaluator` under a meter."""

    #: Set by the compiler: where the program's optional syntax is.
    optional_marks: frozenset[tuple[int, int]] = frozenset()

    def evaluate(self, context: Any, meter: Meter | None = None) -> Any:
        evaluator = KubernetesEvaluator(self.ast, self.new_activation(), meter, self.optional_marks)
        token = METER.set(meter)
        try:
            return evaluator.evaluate(context)
        finally:
            METER.reset(token)
