"""``engine: cel`` rule descriptors, run on the objects they match: the user rules.

One check object serves every enabled CEL descriptor that no Python function implements (user
rules from ``--rules``; a built-in descriptor could use it too). It is added to the engine's
checks next to the ``@check`` functions and yields problems carrying each rule's id, so
selection, suppression, severities, baselines and every output format treat user rules like
the built-in ones.

How a rule runs on an object, and why:

* Rules are indexed by ``kind`` when the run starts; an object whose group, version, kind or
  target Flux version no rule matches costs one dictionary lookup, and the object is converted
  to CEL values only when an expression actually needs the interpreter (:class:`cel.CelView`,
  shared by every rule on the object). Most guards are decided by :func:`cel.decide` without
  the interpreter at all.
* ``self`` is the whole object as written (see :mod:`flux_lint.check.user_rules`); partial objects
  (files a ``kustomization.yaml`` uses as patches) are skipped, as they are fragments.
* A ``false`` result is a finding with the validation's ``message`` (or its evaluated
  ``messageExpression``, or ``failed rule: <rule>``), at ``fieldPath`` when given, else at the
  object. An evaluation error is a finding too ("failed to evaluate: no such key ..."), as the
  API server rejects an object whose rule fails to evaluate; the usual fix is a ``has()``
  guard in the rule.
* Neither is reported when a field the expression reads holds a ``${VAR}`` placeholder or SOPS
  ciphertext: its final value is not known here. The fields an expression reads are found
  statically, as the ``self.a.b`` selections in it (conservatively: a selection of the whole
  ``self`` reads everything).
* Budget: each evaluation runs under :data:`cel.DEFAULT_BUDGET`; running out is a finding of
  the rule. A rule that runs out :data:`MAX_BUDGET_FAILURES` times, or spends more than
  :data:`RULE_TIME_LIMIT` seconds over the whole run, is stopped for the rest of the run (with
  one more finding saying so), so one bad rule costs seconds, never the run.
"""

from __future__ import annotations

import time
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flux_lint.check.user_rules import (
    USER_VARIABLES,
    VersionConstraint,
    field_path_tokens,
    match_specs,
    parse_flux_versions,
)
from flux_lint.core.findings import KEY, Problem, pointer_join
from flux_lint.core.placeholders import is_unresolved

if TYPE_CHECKING:
    from flux_lint.check.cel import Budget, CelView, Program
    from flux_lint.check.context import CheckContext
    from flux_lint.check.registry import Registry, Rule
    from flux_lint.model.objects import K8sObject

__all__ = ["BUDGET", "MAX_BUDGET_FAILURES", "RULE_TIME_LIMIT", "CelRuleCheck", "read_paths"]

#: The budget of one evaluation (``None``: :data:`cel.DEFAULT_BUDGET`).
BUDGET: Budget | None = None
#: Evaluations of one rule that may run out of budget before the rule is stopped.
MAX_BUDGET_FAILURES = 3
#: Seconds one rule may spend over a whole run before it is stopped.
RULE_TIME_LIMIT = 30.0


@dataclass(frozen=True)
class _Validation:
    rule: str
    program: Program
    message: str | None
    message_program: Program | None
    pointer: str  # where a failure is reported: fieldPath as a JSON pointer, or the object
    reads: tuple[tuple[str, ...], ...]  # the fields of ``self`` the rule reads


@dataclass
class _CompiledRule:
    rule: Rule
    validations: tuple[_Validation, ...]
    selectors: list[dict[str, frozenset[str]]]
    versions: tuple[VersionConstraint, ...]
    spent: float = 0.0
    budget_failures: int = 0
    stopped: bool = False

    def matches(self, obj: K8sObject, flux_version: tuple[int, int]) -> bool:
        if self.stopped or not all(c.allows(flux_version) for c in self.versions):
            return False
        if not self.selectors:
            return True
        group, version, kind = obj.group, obj.version, obj.kind
        return any(
            ("group" not in s or group in s["group"])
            and ("version" not in s or version in s["version"])
            and ("kind" not in s or kind in s["kind"])
            for s in self.selectors
        )


@dataclass
class CelRuleCheck:
    """The check function (``fn(obj, ctx) -> problems``) for a run's CEL descriptors."""

    rules: list[_CompiledRule]
    by_kind: dict[str, list[_CompiledRule]] = field(default_factory=dict)
    any_kind: list[_CompiledRule] = field(default_factory=list)

    def __post_init__(self) -> None:
        for compiled in self.rules:
            kinds = {k for s in compiled.selectors for k in s.get("kind", ())}
            if not compiled.selectors or any("kind" not in s for s in compiled.selectors):
                self.any_kind.append(compiled)
            else:
                for kind in sorted(kinds):
                    self.by_kind.setdefault(kind, []).append(compiled)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(sorted(c.rule.id for c in self.rules))

    @classmethod
    def for_run(
        cls, registry: Registry, enabled: Iterable[str], bound: Container[str]
    ) -> CelRuleCheck | None:
        """The check for the enabled ``engine: cel`` rules of ``registry`` whose ids are
        not in ``bound`` (the ids a Python function implements); ``None`` when there are none."""
        wanted = set(enabled)
        rules = [
            _compile(rule)
            for rule in registry
            if rule.engine == "cel" and rule.id in wanted and rule.id not in bound
        ]
        return cls(rules) if rules else None

    def __call__(self, obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
        if obj.partial:
            return
        candidates = self.by_kind.get(obj.kind, [])
        if self.any_kind:
            candidates = [*candidates, *self.any_kind]
        applicable = [c for c in candidates if c.matches(obj, ctx.flux_version)]
        if not applicable:
            return
        from flux_lint.check import cel

        view = cel.CelView(obj.data)
        for compiled in sorted(applicable, key=lambda c: c.rule.id):
            started = time.perf_counter()
            try:
                yield from _run(cel, compiled, obj, view)
            finally:
                compiled.spent += time.perf_counter() - started
            if not compiled.stopped and compiled.spent > RULE_TIME_LIMIT:
                compiled.stopped = True
                yield Problem(
                    message=f"rule stopped for the rest of the run: it took more than "
                    f"{RULE_TIME_LIMIT:g} s",
                    pointer="",
                    target=KEY,
                    rule_id=compiled.rule.id,
                )


def _compile(rule: Rule) -> _CompiledRule:
    """Compile a descriptor's expressions (once per process: :mod:`cel` caches them; the
    loader has checked them already, so an error here is a defect in a built-in rule)."""
    from flux_lint.check import cel

    validations = []
    for spec in rule.validations:
        program = cel.compile_expression(spec["rule"], USER_VARIABLES)
        expression = spec.get("messageExpression")
        message_program = (
            cel.compile_expression(expression, USER_VARIABLES)
            if isinstance(expression, str)
            else None
        )
        tokens = field_path_tokens(spec["fieldPath"]) if spec.get("fieldPath") else None
        validations.append(
            _Validation(
                rule=spec["rule"],
                program=program,
                message=spec.get("message"),
                message_program=message_program,
                pointer=pointer_join("", *tokens) if tokens else "",
                reads=read_paths(program),
            )
        )
    versions = parse_flux_versions(rule.flux_versions) if rule.flux_versions else ()
    return _CompiledRule(rule, tuple(validations), match_specs(rule.match), versions)


def _run(cel: Any, compiled: _CompiledRule, obj: K8sObject, view: CelView) -> Iterator[Problem]:
    rid = compiled.rule.id
    for validation in compiled.validations:
        verdict = cel.decide(validation.program, {"self": view.plain((), None)})
        if verdict is True:
            continue
        try:
            if verdict is None and cel.evaluate_bool(
                validation.program, {"self": view.at((), None)}, BUDGET or cel.DEFAULT_BUDGET
            ):
                continue
        except cel.CelEvalError as exc:
            if _reads_unresolved(obj.data, validation.reads):
                continue
            if exc.budget:
                compiled.budget_failures += 1
                if compiled.budget_failures >= MAX_BUDGET_FAILURES:
                    compiled.stopped = True
                    yield _problem(
                        rid,
                        f"rule `{validation.rule}` failed to evaluate: {exc.message}; the rule "
                        "is stopped for the rest of the run",
                    )
                    return
            yield _problem(rid, f"rule `{validation.rule}` failed to evaluate: {exc.message}")
            continue
        if _reads_unresolved(obj.data, validation.reads):
            continue
        yield _problem(rid, _message(cel, validation, view), validation.pointer)


def _problem(rule_id: str, message: str, pointer: str = "") -> Problem:
    return Problem(message=message, pointer=pointer, target=KEY, rule_id=rule_id)


def _message(cel: Any, validation: _Validation, view: CelView) -> str:
    """``messageExpression`` when it gives a usable one-line string, else ``message``, else
    the API server's default, as for CRD rules."""
    if validation.message_program is not None:
        try:
            text = cel.evaluate(validation.message_program, {"self": view.at((), None)})
        except cel.CelEvalError:
            text = None
        if isinstance(text, str) and text.strip() and "\n" not in text and "\r" not in text:
            return str(text)
    return validation.message or f"failed rule: {validation.rule}"


# --------------------------------------------------------------------------------------------
# Which fields an expression reads


def read_paths(program: Program) -> tuple[tuple[str, ...], ...]:
    """The longest ``self.a.b.c`` selections in ``program``, as field paths.

    A selection that continues with an index (``self.items[0].name``) or a call counts up to
    where it is a plain selection; ``self`` alone (``size(self)``, ``self.all(...)``) is the
    empty path, which covers the whole object.
    """
    found: set[tuple[str, ...]] = set()
    _collect(getattr(program.runner, "ast", None), found, extended=False)
    return tuple(sorted(found))


def _selection(node: Any) -> tuple[str, ...] | None:
    import lark  # loaded by cel-python already whenever an expression is compiled

    while isinstance(node, lark.Tree) and len(node.children) == 1 and node.data != "ident":
        node = node.children[0]
    if not isinstance(node, lark.Tree):
        return None
    if node.data == "ident":
        return () if str(node.children[0]) == "self" else None
    if node.data == "member_dot":
        base = _selection(node.children[0])
        return None if base is None else (*base, str(node.children[1]))
    return None


def _collect(node: Any, found: set[tuple[str, ...]], *, extended: bool) -> None:
    import lark

    if not isinstance(node, lark.Tree):
        return
    if not extended:
        path = _selection(node)
        if path is not None:
            found.add(path)
            return
    for index, child in enumerate(node.children):
        _collect(child, found, extended=node.data == "member_dot" and index == 0)


def _reads_unresolved(data: Any, reads: tuple[tuple[str, ...], ...]) -> bool:
    for path in reads:
        node = data
        for token in path:
            if not isinstance(node, dict) or token not in node:
                node = None
                break
            node = node[token]
        if _unresolved(node):
            return True
    return False


def _unresolved(node: Any) -> bool:
    if isinstance(node, str):
        return is_unresolved(node)
    if isinstance(node, dict):
        return any(_unresolved(k) or _unresolved(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_unresolved(v) for v in node)
    return False
