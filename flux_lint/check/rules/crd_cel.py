"""FL201: the ``x-kubernetes-validations`` rules of the Flux CRDs, evaluated as the API server
evaluates them.

The CRDs carry CEL rules the OpenAPI schema cannot express ("either chart or chartRef must be
set", "secretRef is required when type is not generic-oidc"). A manifest that breaks one is
accepted by every schema validator and then rejected by the cluster when Flux applies it, so
the rules are run here on the manifest as the API server would see it:

* Schema defaults are applied first (:mod:`flux_lint.check.schema.defaults`); several rules read
defaulted
  fields without ``has()`` and would otherwise fail on manifests a cluster accepts.
* A rule runs on every node its schema node applies to: each item of an array, each value of
  a map, and never on a node that is absent or ``null``.
* The finding carries the CRD's own ``message`` (or its evaluated ``messageExpression``) and
  points at the node the rule is attached to, or at the rule's ``fieldPath`` below it.
* A rule is skipped on a node that holds a value only known later (``${VAR}`` placeholders,
  SOPS ciphertext), on partial objects (kustomize patches), and for transition rules
  (``oldSelf``), which the API server does not run when an object is created.
* A rule that fails to *evaluate* (rather than returning ``false``) is reported only when the
  API server would report it too: the object has no "blocking" schema error (wrong type,
  missing required field, value not in the enum, too long, too many items), because the API
  server skips every CEL rule of such an object. A ``false`` result is reported unless the
  node has a value of the wrong type, where the rule's verdict means nothing; the other
  schema errors are reported by their own rules, so the user sees every problem in one run
  rather than one round at a time.

Cost: the rules of a schema are compiled once per process. Per object, the defaulted view is
built with structural sharing, and most rules (guards of ``has()``, string comparisons and
``size()``) are decided by :func:`flux_lint.check.cel.decide` on plain values in microseconds; the
cel-python interpreter, and the conversion of the node to its values, run only for the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flux_lint.check.registry import check
from flux_lint.core.findings import KEY, Problem, pointer_join
from flux_lint.core.placeholders import is_unresolved
from flux_lint.core.regex import lazy

if TYPE_CHECKING:
    from flux_lint.check.cel import CelView, Program
    from flux_lint.check.context import CheckContext
    from flux_lint.model.objects import K8sObject

__all__ = ["Site", "Validation", "crd_validation_rules", "rule_sites", "validate"]

#: Variables the API server declares for CRD rules.
RULE_VARIABLES = frozenset({"self", "oldSelf"})

# Steps of a schema path: into a property, into every array item, into every map value.
_PROPERTY = "property"
_ITEMS = "items"
_VALUES = "values"


@dataclass(frozen=True)
class Validation:
    """One ``x-kubernetes-validations`` entry, compiled."""

    rule: str
    program: Program | None  # None when it cannot run here (see ``skipped``)
    message: str | None = None
    message_program: Program | None = None
    field_path: tuple[str, ...] = ()
    skipped: str | None = None  # why the rule is not evaluated

    @property
    def default_message(self) -> str:
        return self.message or f"failed rule: {self.rule}"


@dataclass(frozen=True)
class Site:
    """A schema node with validation rules, and the path from the root schema to it."""

    steps: tuple[tuple[str, str], ...]
    schema: Mapping[str, Any]
    validations: tuple[Validation, ...]


_SITES: dict[int, tuple[Mapping[str, Any], tuple[Site, ...]]] = {}


def rule_sites(schema: Mapping[str, Any]) -> tuple[Site, ...]:
    """Every schema node of ``schema`` that has rules, with the rules compiled.

    Cached by the identity of the schema: bundles are loaded once per process, so each
    version of each kind is compiled once. The cache holds the schema itself so that its id
    cannot be reused by another object.
    """
    cached = _SITES.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    sites = tuple(_collect(schema, ()))
    _SITES[id(schema)] = (schema, sites)
    return sites


def _collect(schema: Any, steps: tuple[tuple[str, str], ...]) -> Iterator[Site]:
    if not isinstance(schema, Mapping):
        return
    rules = schema.get("x-kubernetes-validations")
    if isinstance(rules, list) and rules:
        compiled = tuple(_compile_validation(r) for r in rules if isinstance(r, Mapping))
        yield Site(steps, schema, compiled)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            yield from _collect(sub, (*steps, (_PROPERTY, name)))
    yield from _collect(schema.get("items"), (*steps, (_ITEMS, "")))
    yield from _collect(schema.get("additionalProperties"), (*steps, (_VALUES, "")))


def _compile_validation(spec: Mapping[str, Any]) -> Validation:
    from flux_lint.check import cel

    rule = spec.get("rule")
    message = spec.get("message") if isinstance(spec.get("message"), str) else None
    field_path = _field_path(spec.get("fieldPath"))
    if not isinstance(rule, str):
        return Validation(str(rule), None, message, skipped="rule is not a string")
    try:
        program = cel.compile_expression(rule, RULE_VARIABLES)
    except cel.CelCompileError as exc:
        return Validation(rule, None, message, field_path=field_path, skipped=str(exc))
    if "oldSelf" in program.variables:
        return Validation(rule, None, message, field_path=field_path, skipped="transition rule")
    message_program = None
    expression = spec.get("messageExpression")
    if isinstance(expression, str):
        try:
            message_program = cel.compile_expression(expression, RULE_VARIABLES)
        except cel.CelCompileError:
            message_program = None
    return Validation(rule, program, message, message_program, field_path)


_FIELD_PATH_STEP = lazy(r"\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


def _field_path(text: Any) -> tuple[str, ...]:
    """``.spec.foo['a.b']`` → ("spec", "foo", "a.b"); anything unparsable → ()."""
    if not isinstance(text, str) or not text:
        return ()
    tokens: list[str] = []
    position = 0
    while position < len(text):
        step = _FIELD_PATH_STEP.match(text, position)
        if step is None:
            return ()
        name, quoted, index = step.groups()
        tokens.append(name if name is not None else index if index is not None else quoted)
        position = step.end()
    return tuple(tokens)


# --------------------------------------------------------------------------------------------
# Running the rules


@check("FL201")
def crd_validation_rules(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Evaluate the CRD's CEL rules on one Flux object of a kind the target bundle serves."""
    if obj.partial or not obj.is_flux:
        return
    entry = ctx.bundle.lookup(obj.group, obj.version, obj.kind)
    if entry is None:
        return
    yield from validate(entry.schema, obj.data)


def validate(schema: Mapping[str, Any], data: Any) -> Iterator[Problem]:
    """The problems the CEL rules of ``schema`` find in the document ``data``."""
    sites = rule_sites(schema)
    if not sites or not isinstance(data, dict):
        return
    # Imported here: loading cel-python and building its parser takes about 0.25 s, which a
    # run without Flux objects should not pay.
    from flux_lint.check import cel
    from flux_lint.check.schema.defaults import apply_defaults

    data = apply_defaults(schema, data)
    run = _Run(schema, data)
    view = cel.CelView(data, schema)
    for site in sites:
        for path, node in _locations(data, site.steps, ()):
            if node is None:
                continue
            visible = view.plain(path, site.schema)
            if _contains_unresolved(visible):
                continue
            for validation in site.validations:
                if validation.program is None:
                    continue
                verdict = cel.decide(validation.program, {"self": visible})
                if verdict is True:
                    continue
                problem = _evaluate(cel, run, validation, site, path, node, view, verdict)
                if problem is not None:
                    yield problem


class _Run:
    """Per-object state computed only if needed: the blocking-error verdict."""

    def __init__(self, schema: Mapping[str, Any], data: Any) -> None:
        self.schema = schema
        self.data = data
        self._blocked: bool | None = None

    def blocked(self) -> bool:
        """Whether the API server would skip every CEL rule of this object."""
        if self._blocked is None:
            self._blocked = _invalid(self.schema, self.data, blocking=True)
        return self._blocked


def _evaluate(
    cel: Any,
    run: _Run,
    validation: Validation,
    site: Site,
    path: tuple[str | int, ...],
    node: Any,
    view: CelView,
    verdict: bool | None,
) -> Problem | None:
    """The problem a rule reports on one node, given the fast verdict (``False`` or unknown).

    The node is converted to cel-python values only if the interpreter has to run.
    """
    pointer = pointer_join("", *path)
    try:
        if verdict is None and cel.evaluate_bool(
            validation.program, {"self": view.at(path, site.schema)}
        ):
            return None
    except cel.CelEvalError as exc:
        if exc.unsupported or run.blocked():
            return None
        return Problem(
            message=f"rule `{validation.rule}` failed to evaluate: {exc.message}",
            pointer=pointer,
            target=KEY,
        )
    if _invalid(site.schema, node, blocking=False):
        return None
    return Problem(
        message=_message(cel, validation, view, path, site),
        pointer=pointer_join(pointer, *validation.field_path),
        target=KEY,
    )


def _message(
    cel: Any, validation: Validation, view: CelView, path: tuple[str | int, ...], site: Site
) -> str:
    """``messageExpression`` when it gives a usable one-line string, else ``message``."""
    if validation.message_program is not None:
        try:
            text = cel.evaluate(validation.message_program, {"self": view.at(path, site.schema)})
        except cel.CelEvalError:
            text = None
        if isinstance(text, str) and text.strip() and "\n" not in text and "\r" not in text:
            return str(text)
    return validation.default_message


def _locations(
    data: Any, steps: tuple[tuple[str, str], ...], path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """The data nodes (with their paths) that a schema path reaches."""
    if not steps:
        yield path, data
        return
    (kind, name), rest = steps[0], steps[1:]
    if kind == _PROPERTY:
        if isinstance(data, dict) and name in data:
            yield from _locations(data[name], rest, (*path, name))
    elif kind == _ITEMS:
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield from _locations(item, rest, (*path, index))
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _locations(value, rest, (*path, key))


def _contains_unresolved(node: Any) -> bool:
    """Whether a visible value (see ``cel.to_visible``) holds a placeholder or ciphertext."""
    if isinstance(node, str):
        return is_unresolved(node)
    if isinstance(node, dict):
        return any(_contains_unresolved(k) or _contains_unresolved(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_contains_unresolved(v) for v in node)
    return False


# --------------------------------------------------------------------------------------------
# Schema errors that change what CEL sees


def _type_ok(schema: Mapping[str, Any], value: Any) -> bool:
    if value is None:
        return bool(schema.get("nullable"))
    if isinstance(value, str) and is_unresolved(value):
        return True
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    expected = schema.get("type")
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "integer":
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _invalid(schema: Any, value: Any, *, blocking: bool) -> bool:
    """Whether ``value`` has a wrong type anywhere below ``schema`` and, with ``blocking``,
    any other error that makes the API server skip CEL rules (required, enum, maxLength,
    maxItems, maxProperties)."""
    if not isinstance(schema, Mapping):
        return False
    if not _type_ok(schema, value):
        return True
    if value is None or (isinstance(value, str) and is_unresolved(value)):
        return False
    if blocking and _limits_broken(schema, value):
        return True
    if isinstance(value, dict):
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            if isinstance(properties, Mapping) and key in properties:
                if _invalid(properties[key], item, blocking=blocking):
                    return True
            elif isinstance(additional, Mapping) and _invalid(additional, item, blocking=blocking):
                return True
    elif isinstance(value, list):
        items = schema.get("items")
        return any(_invalid(items, item, blocking=blocking) for item in value)
    return False


def _limits_broken(schema: Mapping[str, Any], value: Any) -> bool:
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return True
    if isinstance(value, str):
        limit = schema.get("maxLength")
        return isinstance(limit, int) and len(value) > limit
    if isinstance(value, list):
        limit = schema.get("maxItems")
        return isinstance(limit, int) and len(value) > limit
    if isinstance(value, dict):
        required = schema.get("required")
        if isinstance(required, list) and any(name not in value for name in required):
            return True
        limit = schema.get("maxProperties")
        return isinstance(limit, int) and len(value) > limit
    return False
