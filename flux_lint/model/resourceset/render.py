"""Render a ResourceSet into the objects flux-operator would apply, with a source map.

Follows flux-operator v0.58.1 ``internal/builder/resourceset.go``:

- ``spec.resources``: each item is turned into YAML text (``yaml.JSONToYAML``), the whole text
  is executed as one template per input set and read back as one object
  (``BuildResource``), so the YAML type of a value is decided after rendering;
- ``spec.resourcesTemplate``: one multi-document template per input set
  (``BuildResourcesFromYAML``);
- without input sets the templates run once with nil inputs (and the ``resources`` objects are
  then neither filtered nor deduplicated); with ``inputsFrom`` and no input sets nothing is
  rendered (``resourceset_controller.go``);
- objects annotated ``fluxcd.controlplane.io/reconcile: disabled`` are dropped, duplicates by
  group, kind, namespace and name keep the first (``resources`` before ``resourcesTemplate``);
- ``spec.steps`` are rendered step by step with the same rules (``BuildResourceSetSteps``);
- ``spec.commonMetadata`` and the owner labels are set on every object, as the controller does.

Every rendered document keeps the text it was read from and a map from that text back to the
template, and from the template to the ResourceSet file (:class:`SourceMap`), so that a finding
on a rendered object lands on the template line that produced the value.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flux_lint.model.resourceset.functions as functions
from flux_lint.core.findings import KEY, VALUE, Span
from flux_lint.load.positions import locate
from flux_lint.load.yaml import Document, Node, load_text
from flux_lint.model.resourceset.executor import Output, execute
from flux_lint.model.resourceset.inputs import (
    Combined,
    Provider,
    combine,
    describe,
    one_provider,
    selector_matches,
)
from flux_lint.model.resourceset.template import (
    NotEvaluated,
    Template,
    TemplateExecError,
    TemplateSyntaxError,
    parse,
)
from flux_lint.model.resourceset.yamlemit import Scalar, emit

RECONCILE_ANNOTATION = "fluxcd.controlplane.io/reconcile"
OWNER_NAME_LABEL = "resourceset.fluxcd.controlplane.io/name"
OWNER_NAMESPACE_LABEL = "resourceset.fluxcd.controlplane.io/namespace"

# Rule ids of the template findings.
SYNTAX_ERROR = "FL210"
MISSING_INPUT = "FL211"
UNDEFINED_FUNCTION = "FL212"
INVALID_OUTPUT = "FL213"
UNDEFINED_INPUT_ID = "FL214"
NOT_EVALUATED = "FL215"
EXECUTION_ERROR = "FL216"
#: Template problems that make the operator's build fail as a whole: it applies nothing.
BUILD_FAILS = frozenset(
    {SYNTAX_ERROR, MISSING_INPUT, UNDEFINED_FUNCTION, INVALID_OUTPUT, UNDEFINED_INPUT_ID}
    | {EXECUTION_ERROR}
)


@dataclass(frozen=True, slots=True)
class Place:
    """A place in the ResourceSet document, as the engine locates problems: a JSON pointer,
    key or value, and optionally a 1-based (line, column) inside the string value there."""

    pointer: str
    target: str = VALUE
    offset: tuple[int, int] | None = None


#: The file span of a :class:`Place` of the ResourceSet document.
Where = Callable[[Place], Span]


@dataclass
class TemplateProblem:
    """A finding about the template itself, for one input set (``label``; "" when the
    template fails whatever the inputs, e.g. a syntax error)."""

    rule_id: str
    message: str
    place: Place
    span: Span
    label: str = ""


@dataclass
class SourceMap:
    """Rendered text → template → ResourceSet file."""

    output: Output
    to_file: Callable[[int], Place]  # template offset → place in the ResourceSet
    file_range: Callable[[int, int], tuple[int, int] | None]  # template range → file offsets
    where: Where

    def place(self, offset: int) -> tuple[Place, bool]:
        """(place in the ResourceSet, the rendered character was printed from placeholders)."""
        source, _literal, uncertain = self.output.source_of(offset)
        return self.to_file(source), uncertain

    def file_span(self, start: int, end: int) -> tuple[Span, bool]:
        """The file span of rendered ``start:end``: the template text it was copied from, or
        the whole action that printed it; uncertain when placeholders printed any of it."""
        first = self.output.segment_at(start)
        if first is None:
            return Span(1, 1, 1, 1), False
        stop = max(end, start + 1)
        last = self.output.segment_at(stop - 1) or first
        uncertain = any(
            s.uncertain for s in self.output.segments if s.end > start and s.start < stop
        )
        a = first.source + (start - first.start) if first.literal else first.source
        if last.literal:
            b = last.source + (stop - 1 - last.start)
        else:
            b = max(last.source_end - 1, last.source)
        head = self.where(self.to_file(a))
        tail = self.where(self.to_file(b))
        if (tail.line, tail.column) >= (head.line, head.column):
            return Span(head.line, head.column, tail.end_line, tail.end_column), uncertain
        return head, uncertain

    def span(self, offset: int) -> tuple[Span, bool]:
        """(file span, the rendered character was printed from placeholder inputs)."""
        place, uncertain = self.place(offset)
        return self.where(place), uncertain

    def literal_range(self, start: int, end: int) -> tuple[int, int] | None:
        """File offsets of rendered ``start:end`` when it is copied from one literal piece of
        the template (so that an edit there is an edit of the template), else None."""
        if end <= start:
            seg = self.output.segment_at(start)
            if seg is None or not seg.literal:
                return None
            t = seg.source + (start - seg.start)
            return self.file_range(t, t)
        first = self.output.segment_at(start)
        last = self.output.segment_at(end - 1)
        if first is None or first is not last or not first.literal:
            return None
        t0 = first.source + (start - first.start)
        return self.file_range(t0, t0 + (end - start))


@dataclass
class Origin:
    """Where a rendered object comes from: the ResourceSet, the template and the input set."""

    path: str
    document: int
    resourceset: str  # "namespace/name"
    pointer: str  # /spec/resources/0, /spec/resourcesTemplate, /spec/steps/1/resources/0 ...
    input_index: int | None  # None: rendered without inputs
    inputs: str  # label of the input set, "" without inputs


@dataclass
class RenderedObject:
    data: dict[str, Any]
    origin: Origin
    text: str  # the rendered text the object was read from
    document: Document  # its document in ``text`` (node positions are in ``text``)
    source: SourceMap


@dataclass
class RenderResult:
    objects: list[RenderedObject] = field(default_factory=list)
    problems: list[TemplateProblem] = field(default_factory=list)
    input_sets: int = 0
    #: Input sets include placeholders for providers flux-lint cannot query.
    uncertain: bool = False
    #: Names of the providers whose inputs are placeholders.
    uncertain_providers: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Templates of a ResourceSet


@dataclass
class _Unit:
    """One template: a ``resources`` item or a ``resourcesTemplate`` string."""

    pointer: str
    text: str
    to_file: Callable[[int], Place]
    file_range: Callable[[int, int], tuple[int, int] | None]
    multi: bool  # resourcesTemplate: many documents
    step: str = ""


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _offset_of(span: Span, line_starts: list[int]) -> int | None:
    if span.line - 1 >= len(line_starts):
        return None
    return line_starts[span.line - 1] + span.column - 1


def _string_unit(
    pointer: str, value: str, where: Where, file_text: str, line_starts: list[int], step: str
) -> _Unit:
    def to_file(t: int) -> Place:
        return Place(pointer, VALUE, _line_col(value, min(t, max(len(value) - 1, 0))))

    def file_range(t0: int, t1: int) -> tuple[int, int] | None:
        if value.count("\n", t0, t1):
            return None
        start = _offset_of(where(Place(pointer, VALUE, _line_col(value, t0))), line_starts)
        if start is None:
            return None
        end = start + (t1 - t0)
        return (start, end) if file_text[start:end] == value[t0:t1] else None

    return _Unit(pointer, value, to_file, file_range, True, step)


def _item_unit(
    pointer: str,
    item: dict[str, Any],
    where: Where,
    file_text: str,
    line_starts: list[int],
    step: str,
) -> _Unit:
    text, scalars = emit(item, record=True, pointer=pointer)
    starts = [s.start for s in scalars]

    def scalar_at(t: int) -> Scalar | None:
        k = bisect.bisect_right(starts, t) - 1
        return scalars[k] if k >= 0 else None

    def inside(s: Scalar, t: int) -> tuple[int, int]:
        """1-based (line, column) of generated offset t inside the value of scalar s."""
        if s.literal:
            before = text[s.start : t]
            line = before.count("\n")
            col = len(before) - before.rfind("\n") - 1 - s.indent + 1
            return max(line, 1), max(col, 1)
        return 1, t - s.start + 1

    def to_file(t: int) -> Place:
        s = scalar_at(t)
        if s is None:
            return Place(pointer)
        if s.key:
            return Place(s.pointer, KEY)
        if t <= s.end and (s.plain or s.literal):
            return Place(s.pointer, VALUE, inside(s, min(t, s.end - 1) if s.end > s.start else t))
        return Place(s.pointer)

    def file_range(t0: int, t1: int) -> tuple[int, int] | None:
        s = scalar_at(t0)
        if s is None or s.key or not s.plain or t1 > s.end:
            return None
        start = _offset_of(where(Place(s.pointer, VALUE, inside(s, t0))), line_starts)
        if start is None:
            return None
        end = start + (t1 - t0)
        return (start, end) if file_text[start:end] == text[t0:t1] else None

    return _Unit(pointer, text, to_file, file_range, False, step)


def _units(spec: dict[str, Any], where: Where, file_text: str) -> list[list[_Unit]]:
    """The templates of each step (one anonymous step without ``spec.steps``)."""
    line_starts = [0]
    for k, ch in enumerate(file_text):
        if ch == "\n":
            line_starts.append(k + 1)

    def of(container: dict[str, Any], base: str, step: str) -> list[_Unit]:
        units: list[_Unit] = []
        resources = container.get("resources")
        if isinstance(resources, list):
            for i, item in enumerate(resources):
                if isinstance(item, dict):
                    units.append(
                        _item_unit(
                            f"{base}/resources/{i}", item, where, file_text, line_starts, step
                        )
                    )
        template = container.get("resourcesTemplate")
        if isinstance(template, str) and template:
            units.append(
                _string_unit(
                    f"{base}/resourcesTemplate", template, where, file_text, line_starts, step
                )
            )
        return units

    steps = spec.get("steps")
    if isinstance(steps, list) and steps:
        return [
            of(step, f"/spec/steps/{k}", str(step.get("name", k)))
            for k, step in enumerate(steps)
            if isinstance(step, dict)
        ]
    return [of(spec, "/spec", "")]


# ---------------------------------------------------------------------------------------------
# Inputs


def providers_for(data: dict[str, Any], candidates: list[dict[str, Any]]) -> list[Provider]:
    """The ResourceSetInputProviders ``spec.inputsFrom`` selects among ``candidates`` (the
    repository's), in the ResourceSet's namespace; a name not found is a placeholder provider.
    """
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    refs = spec.get("inputsFrom")
    if not isinstance(refs, list):
        return []

    def same_namespace(obj: dict[str, Any]) -> bool:
        obj_meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        ns = obj_meta.get("namespace")
        return namespace is None or ns is None or ns == namespace

    chosen: dict[str, Provider] = {}
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        name = ref.get("name")
        if isinstance(name, str) and name:
            if name in chosen:
                continue
            found = [
                c
                for c in candidates
                if same_namespace(c) and (c.get("metadata") or {}).get("name") == name
            ]
            chosen[name] = one_provider(found, name, namespace)
        elif "selector" in ref:
            matched: dict[str, list[dict[str, Any]]] = {}
            for c in candidates:
                c_meta = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
                c_name = c_meta.get("name")
                if not isinstance(c_name, str) or c_name in chosen or not same_namespace(c):
                    continue
                if selector_matches(ref.get("selector"), c_meta.get("labels")):
                    matched.setdefault(c_name, []).append(c)
            for c_name, found in matched.items():
                chosen[c_name] = one_provider(found, c_name, namespace)
    return list(chosen.values())


# ---------------------------------------------------------------------------------------------
# Rendering


class _Renderer:
    def __init__(
        self, data: dict[str, Any], path: str, document: int, where: Where, file_text: str
    ) -> None:
        self.file_text = file_text
        self.data = data
        self.path = path
        self.document = document
        self.where = where
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        self.name = str(meta.get("name") or "")
        self.namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
        self.result = RenderResult()
        self.allowed = set(functions.OPERATOR_FUNCTIONS)

    def problem(self, rule_id: str, message: str, place: Place, label: str = "") -> None:
        problem = TemplateProblem(rule_id, message, place, self.where(place), label)
        self.result.problems.append(problem)

    def parse(self, unit: _Unit) -> Template | None:
        try:
            return parse(unit.text, self.allowed)
        except TemplateSyntaxError as exc:
            place = unit.to_file(exc.pos)
            if exc.function is not None:
                hint = functions.NOT_PROVIDED_HINTS.get(exc.function)
                message = (
                    f"the template calls `{exc.function}`, a function flux-operator does not "
                    "provide" + (f": {hint}" if hint else "") + "; the ResourceSet fails to build"
                )
                self.problem(UNDEFINED_FUNCTION, message, place)
            else:
                self.problem(
                    SYNTAX_ERROR,
                    f"template syntax error: {exc.message}; the ResourceSet fails to build",
                    place,
                )
            return None
        except NotEvaluated as exc:
            self.problem(NOT_EVALUATED, _not_evaluated(exc), unit.to_file(exc.pos))
            return None

    def execute(
        self, unit: _Unit, template: Template, input_set: Any, label: str, inline_flatten: bool
    ) -> Output | None:
        try:
            return execute(template, functions.function_map(input_set), functions.GoValues)
        except TemplateExecError as exc:
            place = unit.to_file(exc.pos)
            if exc.missing_key == "id" and inline_flatten:
                message = (
                    "`inputs.id` is not defined: inline inputs with the Flatten strategy get no "
                    "`id` (only input providers and Permute set it); define `id` in each input "
                    "set or use another key; the ResourceSet fails to build"
                )
                self.problem(UNDEFINED_INPUT_ID, message, place, label)
            elif exc.missing_key is not None:
                message = (
                    f"input key `{exc.missing_key}` is not defined in the input set "
                    "(missingkey=error); the ResourceSet fails to build; use "
                    f'`get inputs "{exc.missing_key}"` for an optional key'
                )
                self.problem(MISSING_INPUT, message, place, label)
            else:
                message = f"template execution fails: {exc.message}; the ResourceSet fails to build"
                self.problem(EXECUTION_ERROR, message, place, label)
        except NotEvaluated as exc:
            self.problem(NOT_EVALUATED, _not_evaluated(exc), unit.to_file(exc.pos), label)
        except RecursionError:
            self.problem(
                NOT_EVALUATED,
                "cannot evaluate this template (too deeply nested); its objects are not checked",
                unit.to_file(0),
                label,
            )
        return None

    def read(
        self, unit: _Unit, output: Output, index: int | None, label: str
    ) -> list[RenderedObject]:
        """The objects of one rendered text (ssautil ReadObject/ReadObjects)."""
        text = output.text
        source = SourceMap(output, unit.to_file, unit.file_range, self.where)
        loaded = load_text(text)
        origin = Origin(
            self.path,
            self.document,
            f"{self.namespace or ''}/{self.name}",
            unit.pointer,
            index,
            label,
        )
        for problem in loaded.problems:
            offset = _offset_in(text, problem.line, problem.column)
            place, uncertain = source.place(offset)
            if uncertain:
                return []
            detail = re.sub(r"\s*(started )?at line \d+, column \d+", "", problem.message)
            message = (
                f"the rendered template is not valid YAML ({detail}); use `| quote` for "
                "strings and `toYaml | nindent N` for maps and lists; the ResourceSet fails to "
                "build"
            )
            self.problem(INVALID_OUTPUT, message, place, label)
            return []
        objects: list[RenderedObject] = []
        docs = loaded.documents if unit.multi else loaded.documents[:1]
        for doc in docs:
            if doc.data is None:
                continue
            if not isinstance(doc.data, dict) or not doc.data.get("kind"):
                offset = _offset_in(text, doc.line, 0)
                place, uncertain = source.place(offset)
                if not uncertain:
                    self.problem(
                        INVALID_OUTPUT,
                        "a rendered document is not a Kubernetes object (it has no `kind`); "
                        "the ResourceSet fails to build",
                        place,
                        label,
                    )
                return []
            if not isinstance(doc.data.get("apiVersion"), str):
                continue
            objects.append(RenderedObject(doc.data, origin, text, doc, source))
        return objects

    def render(self, providers: list[Provider]) -> RenderResult:
        spec = self.data.get("spec") if isinstance(self.data.get("spec"), dict) else {}
        combined: Combined = combine(self.name, self.namespace, spec, providers)
        result = self.result
        result.uncertain = combined.uncertain
        result.uncertain_providers = [p.name for p in providers if p.uncertain]
        if combined.error:
            self.problem(
                EXECUTION_ERROR,
                f"the inputs cannot be combined: {combined.error}; the ResourceSet fails to build",
                Place("/spec/inputStrategy"),
            )
            return result
        has_inputs_from = isinstance(spec.get("inputsFrom"), list) and bool(spec["inputsFrom"])
        sets = combined.sets
        result.input_sets = len(sets)
        if has_inputs_from and not sets:
            return result
        strategy = spec.get("inputStrategy") if isinstance(spec.get("inputStrategy"), dict) else {}
        inline_flatten = (strategy or {}).get("name", "Flatten") != "Permute"
        labels = [describe(s, sets) for s in sets]
        step_of: dict[tuple[str, str, str, str], str] = {}
        for step_units in _units(spec, self.where, self.file_text):
            kept: dict[tuple[str, str, str, str], None] = {}
            for unit in step_units:
                template = self.parse(unit)
                if template is None:
                    continue
                runs: list[tuple[int | None, Any, str]] = (
                    [(k, s, labels[k]) for k, s in enumerate(sets)] if sets else [(None, {}, "")]
                )
                for index, input_set, label in runs:
                    flatten_inline = inline_flatten and (index is None or _is_inline(input_set))
                    output = self.execute(unit, template, input_set, label, flatten_inline)
                    if output is None:
                        continue
                    for obj in self.read(unit, output, index, label):
                        filtered = sets or unit.multi
                        if filtered and _disabled(obj.data):
                            continue
                        key = _object_key(obj.data)
                        if filtered and key in kept:
                            continue
                        kept[key] = None
                        if not self._new_in_step(key, unit, step_of, label):
                            continue
                        result.objects.append(obj)
        self._common_metadata(spec)
        return result

    def _new_in_step(
        self,
        key: tuple[str, str, str, str],
        unit: _Unit,
        step_of: dict[tuple[str, str, str, str], str],
        label: str,
    ) -> bool:
        """``BuildResourceSetSteps``: an object may belong to one step only."""
        previous = step_of.setdefault(key, unit.step)
        if previous == unit.step:
            return True
        _, kind, namespace, name = key
        what = "/".join(part for part in (kind, namespace, name) if part)
        self.problem(
            EXECUTION_ERROR,
            f"duplicate resource {what} in step {unit.step!r}, already defined in step "
            f"{previous!r}; the ResourceSet fails to build",
            Place(unit.pointer),
            label,
        )
        return False

    def _common_metadata(self, spec: dict[str, Any]) -> None:
        common = spec.get("commonMetadata") if isinstance(spec.get("commonMetadata"), dict) else {}
        labels = common.get("labels") if isinstance(common.get("labels"), dict) else {}
        annotations = (
            common.get("annotations") if isinstance(common.get("annotations"), dict) else {}
        )
        owner = {OWNER_NAME_LABEL: self.name, OWNER_NAMESPACE_LABEL: self.namespace or ""}
        for obj in self.result.objects:
            meta = obj.data.setdefault("metadata", {})
            if not isinstance(meta, dict):
                continue
            for key, extra in (("labels", {**owner, **labels}), ("annotations", annotations)):
                if not extra:
                    continue
                current = meta.get(key)
                if not isinstance(current, dict):
                    current = meta[key] = {}
                current.update(extra)


def _is_inline(input_set: Any) -> bool:
    provider = input_set.get("provider") if isinstance(input_set, dict) else None
    return isinstance(provider, dict) and provider.get("kind") == "ResourceSet"


def _disabled(data: dict[str, Any]) -> bool:
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    return annotations.get(RECONCILE_ANNOTATION) == "disabled"


def _object_key(data: dict[str, Any]) -> tuple[str, str, str, str]:
    api_version = data.get("apiVersion") if isinstance(data.get("apiVersion"), str) else ""
    group = api_version.rpartition("/")[0]
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return (
        group,
        str(data.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def _offset_in(text: str, line: int, column: int) -> int:
    """Offset of a 0-based line and column."""
    offset = 0
    for _ in range(line):
        nl = text.find("\n", offset)
        if nl < 0:
            return len(text)
        offset = nl + 1
    return min(offset + column, len(text))


def _not_evaluated(exc: NotEvaluated) -> str:
    message = exc.message
    if not message.startswith("cannot evaluate"):
        message = "cannot evaluate " + message
    return f"{message}; the objects of this template are not checked"


def locator(node: Node | None, file_text: str) -> Where:
    """``where`` for a document of a file: the span of a pointer (and offset) in it."""

    def where(place: Place) -> Span:
        if node is None:
            return Span(1, 1, 1, 1)
        return locate(node, place.pointer, place.target, offset=place.offset, text=file_text)

    return where


def render(
    data: dict[str, Any],
    *,
    path: str,
    document: Document,
    file_text: str,
    candidates: list[dict[str, Any]] | None = None,
) -> RenderResult:
    """Render the ResourceSet ``data`` (``document`` of the file ``path`` whose text is
    ``file_text``); ``candidates`` are the repository's ResourceSetInputProvider objects."""
    renderer = _Renderer(data, path, document.index, locator(document.node, file_text), file_text)
    return renderer.render(providers_for(data, candidates or []))
