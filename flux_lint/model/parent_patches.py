"""A Flux Kustomization's ``spec.patches``, applied to the objects it deploys.

Repositories often leave fields out of a manifest because the Kustomization that applies it
patches them in: a parent sets ``interval``, ``prune``, ``decryption`` or ``sourceRef`` on every
child Kustomization, or ``kubeConfig`` on every HelmRelease of a spoke cluster. Validating the
manifest as written then reports required fields that the cluster will have. This module
computes the object *as deployed* so that such findings can be withdrawn, and tells which
patches cannot be parsed or applied and which select nothing.

How kustomize applies a patch, and what is reproduced here:

* kustomize-controller writes ``spec.patches`` into the kustomization it builds (the one at
  ``spec.path``, or the one it generates), next to ``namespace: <targetNamespace>``. kustomize runs
  the patch transformer *before* that kustomization's namespace and name-prefix transformers and
  before post-build substitution, so a target matches names as the inner build left them, and a
  ``${VAR}`` in a name is matched as written.
* A patch text that is a YAML list is a JSON 6902 patch (it needs a ``target``); a mapping is a
  strategic-merge patch (one per YAML document). A strategic-merge patch without ``target``
  applies to the object with its kind and ``metadata.name``; kustomize fails the build when no
  object matches ("failed to find unique target for patch"). With a ``target``, the patch's own
  kind and name are ignored (``metadata.name: _`` is a common placeholder).
* Targets (kustomize ``resWrangler.Select``): ``group``, ``version``, ``kind``, ``name`` and
  ``namespace`` are regular expressions anchored at both ends; name and namespace match either
  the object's original or its current value; an object without namespace matches any
  ``namespace`` selector; ``labelSelector``/``annotationSelector`` use the Kubernetes selector
  syntax.
* Strategic merge on custom resources (kyaml ``merge2``): mappings merge, ``null`` deletes a
  field, ``$patch: delete|replace`` directives, lists of mappings merge by the first of
  ``mountPath``, ``devicePath``, ``ip``, ``type``, ``topologyKey``, ``name``, ``containerPort``
  that every element has (kyaml's associative keys; CRDs carry no merge keys), other lists are
  replaced.
* JSON 6902 (RFC 6902, evanphx/json-patch): ``add``, ``remove``, ``replace``, ``move``, ``copy``
  and ``test``; an operation on a missing path fails the build.

What is approximated: an object's labels are the ones written in its manifest (a kustomization's
``labels``/``commonLabels`` on the way make a label selector "maybe"); objects made by generators
only match on kind and name; and the parent chain is followed through the *first* build that
applies a Kustomization. A selector that cannot be decided counts as matching, so the lint
errs towards withdrawing a finding and towards not calling a patch useless.

Required fields (FL105) are judged on the objects as deployed: see model/effective.py, which
uses :class:`PatchedObjects` before any object is checked.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from flux_lint.core.regex import Pattern, compile_pattern
from flux_lint.load.yaml import load_text
from flux_lint.model.graph import EntryKey, Instance, RepoGraph, entry_key
from flux_lint.model.index import IndexEntry

__all__ = [
    "ParentPatch",
    "PatchError",
    "PatchedObjects",
    "Selector",
    "apply_json6902",
    "apply_patch",
    "apply_strategic",
    "kustomization_instance",
    "parse_patches",
    "patched_objects",
]

MISSING_REQUIRED = "FL105"
#: kyaml's keys for merging lists of mappings that have no schema (yaml.AssociativeSequenceKeys).
ASSOCIATIVE_KEYS = ("mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort")
JSON_OPS = ("add", "remove", "replace", "move", "copy", "test")
#: kustomization fields that change objects before Flux's patches see them.
TRANSFORMING_FIELDS = (
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "components",
    "helmCharts",
    "transformers",
    "vars",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "images",
    "replicas",
)
_LABEL_FIELDS = ("labels", "commonLabels", "commonAnnotations")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- selectors --------------------------------------------------------------------------------


class PatchError(ValueError):
    """A patch that kustomize rejects. ``pointer`` is inside the Kustomization; ``offset`` a
    1-based (line, column) inside the string at ``pointer`` when known."""

    def __init__(self, message: str, pointer: str, offset: tuple[int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.pointer = pointer
        self.offset = offset


_REQUIREMENT = re.compile(
    r"\s*(?P<not>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|=|!=)\s*(?P<value>[A-Za-z0-9_.-]*)"
    r"|\s(?P<setop>in|notin)\s*\((?P<values>[^()]*)\))?\s*"
)


@dataclass(frozen=True, slots=True)
class _Requirement:
    key: str
    op: str  # "exists", "!exists", "=", "!=", "in", "notin"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return has
        if self.op == "!exists":
            return not has
        if self.op in ("=", "in"):
            return has and value in self.values
        return not has or value not in self.values  # "!=", "notin"


def parse_label_selector(text: str) -> tuple[_Requirement, ...]:
    """A Kubernetes label selector string (``app=web,tier in (a,b),!legacy``); raises
    ValueError when it is malformed."""
    requirements: list[_Requirement] = []
    rest = text.strip()
    if not rest:
        return ()
    parts: list[str] = []
    depth = 0
    current = ""
    for char in rest:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in parts:
        m = _REQUIREMENT.fullmatch(part)
        if not m or (m["not"] and (m["op"] or m["setop"])):
            raise ValueError(f"invalid selector requirement `{part.strip()}`")
        key = m["key"]
        if m["not"]:
            requirements.append(_Requirement(key, "!exists"))
        elif m["op"]:
            requirements.append(_Requirement(key, "!=" if m["op"] == "!=" else "=", (m["value"],)))
        elif m["setop"]:
            values = tuple(v.strip() for v in m["values"].split(",") if v.strip())
            requirements.append(_Requirement(key, m["setop"], values))
        else:
            requirements.append(_Requirement(key, "exists"))
    return tuple(requirements)


def _anchored(pattern: str) -> Pattern:
    """kustomize anchors target patterns (``^(?:p)$``) and compiles them with Go's RE2."""
    try:
        return compile_pattern(f"^(?:{pattern})$")
    except ValueError:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        raise


class SelectorError(ValueError):
    """A ``target`` field kustomize cannot use; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Selector:
    """A patch ``target``."""

    group: str | None = None
    version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    labels: tuple[_Requirement, ...] | None = None
    annotations: tuple[_Requirement, ...] | None = None
    _compiled: dict[str, Pattern] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Selector:
        """Raises ValueError for a bad regular expression or selector."""
        values = {k: _str(raw.get(k)) for k in ("group", "version", "kind", "name", "namespace")}
        compiled = {}
        for key, value in values.items():
            if value:
                try:
                    compiled[key] = _anchored(value)
                except ValueError as exc:
                    raise SelectorError(key, str(exc)) from None
        labels = raw.get("labelSelector")
        annotations = raw.get("annotationSelector")
        parsed: dict[str, tuple[_Requirement, ...] | None] = {}
        for key, text in (("labelSelector", labels), ("annotationSelector", annotations)):
            try:
                parsed[key] = parse_label_selector(text) if isinstance(text, str) and text else None
            except ValueError as exc:
                raise SelectorError(key, str(exc)) from None
        return cls(
            **values,
            labels=parsed["labelSelector"],
            annotations=parsed["annotationSelector"],
            _compiled=compiled,
        )

    def _match(self, key: str, value: str) -> bool:
        pattern = self._compiled.get(key)
        return pattern is None or pattern.search(value)

    def describe(self) -> str:
        parts = [
            f"{k} `{v}`"
            for k, v in (
                ("group", self.group),
                ("version", self.version),
                ("kind", self.kind),
                ("name", self.name),
                ("namespace", self.namespace),
            )
            if v
        ]
        if self.labels is not None:
            parts.append("a label selector")
        if self.annotations is not None:
            parts.append("an annotation selector")
        return ", ".join(parts) or "every object"

    def matches(self, target: Target) -> bool | None:
        """True, False, or None when it cannot be decided statically."""
        group, _, version = target.api_version.rpartition("/")
        if not (
            self._match("group", group)
            and self._match("version", version)
            and self._match("kind", target.kind)
        ):
            return False
        if self.name and not any(self._match("name", n) for n in target.names):
            return False
        if (
            self.namespace
            and target.namespaces
            and not any(self._match("namespace", n) for n in target.namespaces)
        ):
            return False
        undecided = False
        for requirements, values in (
            (self.labels, target.labels),
            (self.annotations, target.annotations),
        ):
            if requirements is None:
                continue
            if values is None:
                undecided = True
            elif not all(r.matches(values) for r in requirements):
                if not target.labels_final:
                    undecided = True
                else:
                    return False
        return None if undecided else True


@dataclass(frozen=True)
class Target:
    """An object as the patch transformer sees it."""

    api_version: str
    kind: str
    names: frozenset[str]
    namespaces: frozenset[str]  # empty: the object has no namespace (matches any selector)
    labels: dict[str, str] | None  # None: not known (generated objects)
    annotations: dict[str, str] | None
    labels_final: bool = True  # False: a kustomization on the way adds labels or annotations


def _string_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in _dict(value).items()}


def _labels_final(chain: tuple[str, ...], graph: RepoGraph) -> bool:
    """Whether no kustomization of a chain adds labels or annotations (once per chain: the
    objects of a folder share theirs)."""
    known = graph.chain_facts.get(("labels-final", chain))
    if known is None:
        files = graph.index.kustomize_files
        known = not any(files[k].data.get(f) for k in chain if k in files for f in _LABEL_FIELDS)
        graph.chain_facts[("labels-final", chain)] = known
    return known


def target_of(inst: Instance, graph: RepoGraph) -> Target:
    entry = inst.entry
    names = {n for n in (entry.name, inst.name) if n}
    namespaces = {n for n in (entry.namespace,) if n}
    if entry.namespace and inst.namespace:
        namespaces.add(inst.namespace)
    meta = _dict(entry.data.get("metadata"))
    final = _labels_final(inst.chain, graph)
    if inst.generated:
        return Target(entry.api_version, entry.kind, frozenset(names), frozenset(), None, None)
    return Target(
        entry.api_version,
        entry.kind,
        frozenset(names),
        frozenset(namespaces),
        _string_map(meta.get("labels")),
        _string_map(meta.get("annotations")),
        final,
    )


# -- parsing patches --------------------------------------------------------------------------


@dataclass
class ParentPatch:
    """One ``spec.patches`` entry. ``strategic`` holds the merge patches (one per document),
    ``operations`` the JSON 6902 operations; ``error`` is why kustomize would reject it."""

    index: int
    pointer: str
    text: str
    target: Selector | None = None
    strategic: list[dict[str, Any]] = field(default_factory=list)
    operations: list[dict[str, Any]] = field(default_factory=list)
    op_lines: list[int] = field(default_factory=list)  # 1-based line of each operation in text
    error: PatchError | None = None

    @property
    def is_json(self) -> bool:
        return bool(self.operations)

    def describe(self) -> str:
        if self.target is not None:
            return self.target.describe()
        if self.strategic:
            first = self.strategic[0]
            name = _str(_dict(first.get("metadata")).get("name")) or "?"
            return f"kind `{first.get('kind')}`, name `{name}`"
        return "nothing"


def _check_operation(op: Any, index: int) -> str | None:
    if not isinstance(op, dict):
        return f"operation {index + 1} is not a mapping"
    name = op.get("op")
    if name not in JSON_OPS:
        return f"operation {index + 1} has unknown `op` `{name}` (use one of {', '.join(JSON_OPS)})"
    path = op.get("path")
    if not isinstance(path, str) or (path and not path.startswith("/")):
        return f"operation {index + 1} (`{name}`) needs a `path` that is a JSON pointer"
    if name in ("add", "replace", "test") and "value" not in op:
        return f"operation {index + 1} (`{name}`) needs a `value`"
    if name in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str) or (source and not source.startswith("/")):
            return f"operation {index + 1} (`{name}`) needs a `from` that is a JSON pointer"
    return None


def parse_patch(raw: Any, index: int) -> ParentPatch | None:
    """One ``spec.patches`` item, parsed; None when it has no patch text (the schema rules
    report a missing or mistyped ``patch``)."""
    item = _dict(raw)
    text = item.get("patch")
    pointer = f"/spec/patches/{index}"
    if not isinstance(text, str):
        return None
    patch = ParentPatch(index, pointer, text)
    target = item.get("target")
    if isinstance(target, dict):
        try:
            patch.target = Selector.parse(target)
        except SelectorError as exc:
            patch.error = PatchError(
                f"`target.{exc.field}`: {exc.message}", f"{pointer}/target/{exc.field}"
            )
            return patch
    text_pointer = f"{pointer}/patch"
    loaded = load_text(text)
    if loaded.problems:
        problem = loaded.problems[0]
        patch.error = PatchError(
            f"the patch is not valid YAML: {problem.message}",
            text_pointer,
            (problem.line + 1, problem.column + 1),
        )
        return patch
    documents = [d for d in loaded.documents if d.data is not None]
    if not documents:
        patch.error = PatchError("the patch is empty", text_pointer)
        return patch
    if len(documents) == 1 and isinstance(documents[0].data, list):
        operations = documents[0].data
        node = documents[0].node
        lines = [item.line + 1 for item in node.value] if node is not None else []
        for i, op in enumerate(operations):
            problem_text = _check_operation(op, i)
            if problem_text:
                at = (lines[i], 1) if i < len(lines) else None
                patch.error = PatchError(problem_text, text_pointer, at)
                return patch
        if patch.target is None:
            patch.error = PatchError("a JSON 6902 patch needs a `target`", pointer)
            return patch
        patch.operations = operations
        patch.op_lines = lines
        return patch
    for document in documents:
        if not isinstance(document.data, dict):
            patch.error = PatchError(
                "the patch must be a strategic-merge mapping or a list of JSON 6902 operations",
                text_pointer,
                (document.line + 1, 1),
            )
            return patch
        if patch.target is None:
            meta = _dict(document.data.get("metadata"))
            if not _str(document.data.get("kind")) or not _str(meta.get("name")):
                patch.error = PatchError(
                    "a patch without `target` must name its object (`kind` and `metadata.name`)",
                    text_pointer,
                    (document.line + 1, 1),
                )
                return patch
        patch.strategic.append(document.data)
    return patch


def parse_patches(ks_data: dict[str, Any]) -> list[ParentPatch]:
    """Every usable-or-broken ``spec.patches`` entry of a Flux Kustomization, in order."""
    out = []
    for i, raw in enumerate(_list(_dict(ks_data.get("spec")).get("patches"))):
        patch = parse_patch(raw, i)
        if patch is not None:
            out.append(patch)
    return out


# -- applying patches -------------------------------------------------------------------------

_IDENTITY = ("apiVersion", "kind")


def _merge_key(base: list[Any], patch: list[Any]) -> str | None:
    """kyaml's associative key for two lists: the first of :data:`ASSOCIATIVE_KEYS` that
    every element of both has (None: the lists are not associative and the patch replaces)."""
    items = [*base, *patch]
    if not patch or not all(isinstance(i, dict) for i in items):
        return None
    for key in ASSOCIATIVE_KEYS:
        if all(key in i for i in items):
            return key
    return None


_DIRECTIVES = ("$patch", "$retainKeys", "$setElementOrder/", "$deleteFromPrimitiveList/")


def _deleted(item: Any) -> bool:
    return isinstance(item, dict) and item.get("$patch") == "delete"


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(patch, dict):
        directive = patch.get("$patch")
        body = {
            k: v for k, v in patch.items() if not (isinstance(k, str) and k.startswith(_DIRECTIVES))
        }
        if directive == "replace" or not isinstance(base, dict):
            return {k: v for k, v in body.items() if v is not None}
        merged = dict(base)
        for key, value in body.items():
            if value is None or _deleted(value):
                merged.pop(key, None)
            elif key in merged:
                merged[key] = _merge(merged[key], value)
            else:
                merged[key] = _merge(None, value)
        return merged
    if isinstance(patch, list):
        if isinstance(base, list):
            key = _merge_key(base, patch)
            if key is not None:
                out = [copy.deepcopy(i) for i in base]
                for item in patch:
                    at = next((n for n, b in enumerate(out) if b.get(key) == item.get(key)), None)
                    if _deleted(item):
                        if at is not None:
                            out.pop(at)
                    elif at is not None:
                        out[at] = _merge(out[at], item)
                    else:
                        out.append(_merge(None, item))
                return out
        return [_merge(None, i) for i in patch if not _deleted(i)]
    return patch


def apply_strategic(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any] | None:
    """``base`` after one strategic-merge patch (None: the patch deletes the object). The
    patch's ``apiVersion``, ``kind``, ``metadata.name`` and ``metadata.namespace`` are not
    applied: kustomize sets them to the target's before merging."""
    if patch.get("$patch") == "delete":
        return None
    body = {k: v for k, v in patch.items() if k not in _IDENTITY}
    meta = body.get("metadata")
    if isinstance(meta, dict):
        meta = {k: v for k, v in meta.items() if k not in ("name", "namespace")}
        body["metadata"] = meta
        if not meta:
            del body["metadata"]
    merged = _merge(base, body)
    return merged if isinstance(merged, dict) else base


class _OpError(Exception):
    pass


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise _OpError(f"`{token}` is not an array index")
    index = int(token)
    limit = len(container) if allow_end else len(container) - 1
    if index > limit:
        raise _OpError(f"index {index} is out of range")
    return index


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise _OpError("the document root cannot be changed this way")
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, allow_end=False)]
        else:
            raise _OpError("its parent does not exist in the object")
    return node, tokens[-1]


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, allow_end=False)]
        else:
            raise _OpError("it does not exist in the object")
    return node


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, last = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, allow_end=True), value)
    else:
        raise _OpError("its parent is neither a mapping nor a list")


def _remove(doc: Any, pointer: str) -> Any:
    parent, last = _parent(doc, pointer)
    if isinstance(parent, dict):
        if last not in parent:
            raise _OpError("it does not exist in the object")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, allow_end=False))
    raise _OpError("it does not exist in the object")


def apply_json6902(base: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """``base`` after the operations, on a copy; raises ``ValueError`` with
    ``args == (message, operation index)`` when one cannot apply."""
    doc = copy.deepcopy(base)
    for i, op in enumerate(operations):
        name, path = op.get("op"), op.get("path", "")
        try:
            if name == "add":
                if path == "":
                    raise _OpError("the document root cannot be replaced")
                _add(doc, path, copy.deepcopy(op.get("value")))
            elif name == "remove":
                _remove(doc, path)
            elif name == "replace":
                _remove(doc, path)
                _add(doc, path, copy.deepcopy(op.get("value")))
            elif name == "move":
                value = _remove(doc, op.get("from", ""))
                _add(doc, path, value)
            elif name == "copy":
                _add(doc, path, copy.deepcopy(_get(doc, op.get("from", ""))))
            elif name == "test" and _get(doc, path) != op.get("value"):
                raise _OpError("the object has another value there")
        except _OpError as exc:
            raise ValueError(f"`{name}` of `{path or '/'}`: {exc}", i) from None
    return doc


def strategic_documents(patch: ParentPatch, target: Target | None) -> list[dict[str, Any]]:
    """The documents of a strategic-merge patch that apply to ``target``, ``{}`` in place of
    the others (so positions still name the patch's documents). Without a ``target`` selector,
    kustomize matches each document of a patch to the object of its own kind and name (a file
    patching a Cluster and a Database patches each with its own document); with one, every
    document applies to every object selected."""
    if patch.target is not None or target is None:
        return patch.strategic
    return [d if strategic_selects(d, target) else {} for d in patch.strategic]


def apply_patch(
    base: dict[str, Any], patch: ParentPatch, target: Target | None = None
) -> dict[str, Any] | None:
    """``base`` (the object ``target`` names) after one parsed patch (None: deleted). Raises
    ``ValueError`` as :func:`apply_json6902` does."""
    if patch.operations:
        return apply_json6902(base, patch.operations)
    current: dict[str, Any] | None = base
    for document in strategic_documents(patch, target):
        if not document:
            continue
        if current is None:
            return None
        current = apply_strategic(current, document)
    return current


def strategic_selects(patch: dict[str, Any], target: Target) -> bool:
    """An untargeted strategic-merge patch applies to the object of its kind and name (its
    group and namespace too, when it writes them)."""
    meta = _dict(patch.get("metadata"))
    if patch.get("kind") != target.kind or meta.get("name") not in target.names:
        return False
    api_version = _str(patch.get("apiVersion"))
    if api_version and api_version.rpartition("/")[0] != target.api_version.rpartition("/")[0]:
        return False
    namespace = _str(meta.get("namespace"))
    return not (namespace and target.namespaces and namespace not in target.namespaces)


def selects(patch: ParentPatch, target: Target) -> bool | None:
    """Whether ``patch`` applies to ``target`` (None: cannot be decided)."""
    if patch.error is not None:
        return False
    if patch.target is not None:
        return patch.target.matches(target)
    return any(strategic_selects(doc, target) for doc in patch.strategic)


def selectable_kinds(patches: list[ParentPatch | None]) -> set[str] | None:
    """The kinds a list of patches may select (None: any)."""
    kinds: set[str] = set()
    for patch in patches:
        found = _patch_kinds(patch)
        if found is None:
            return None
        kinds |= found
    return kinds


def _patch_kinds(patch: ParentPatch | None) -> set[str] | None:
    """The kinds a patch may select (None: any). A patch kustomize rejects without a target
    changes nothing (model/effective.py ``_make_builds``)."""
    if patch is None:
        return set()
    if patch.target is not None:
        kind = patch.target.kind
        return {kind} if kind and kind.isidentifier() else None
    if patch.error is not None:
        return set()
    kinds = {d.get("kind") for d in patch.strategic}
    if patch.operations or not all(isinstance(k, str) and k.isidentifier() for k in kinds):
        return None
    return set(kinds)  # type: ignore[arg-type]


# -- the repository as deployed ---------------------------------------------------------------


class PatchedObjects:
    """Objects after the ``spec.patches`` of the Kustomization that applies them, computed on
    demand and cached. A Kustomization's own patches are read from the Kustomization as *its*
    applier deploys it, so patches that a parent injects into its children (a common way of
    giving every HelmRelease the same remediation settings) take effect too."""

    def __init__(self, graph: RepoGraph) -> None:
        self.graph = graph
        self._ks: dict[EntryKey, dict[str, Any]] = {}
        self._patches: dict[EntryKey, list[ParentPatch]] = {}
        self._deployed: dict[tuple[EntryKey, EntryKey | None, str | None, str | None], Any] = {}
        self._busy: set[EntryKey] = set()

    def kustomization(self, ks: IndexEntry) -> dict[str, Any]:
        """A Flux Kustomization's data as the first build that applies it deploys it."""
        key = entry_key(ks)
        cached = self._ks.get(key)
        if cached is not None:
            return cached
        if key in self._busy:
            return ks.data  # a Kustomization that (indirectly) applies itself
        self._busy.add(key)
        try:
            data = ks.data
            inst = kustomization_instance(self.graph, ks)
            if inst.applier is not None:
                deployed = self.deployed(inst)
                data = deployed if isinstance(deployed, dict) else ks.data
        finally:
            self._busy.discard(key)
        self._ks[key] = data
        return data

    def patches(self, ks: IndexEntry) -> list[ParentPatch]:
        """The patches the Kustomization applies (as deployed, parents' patches included)."""
        key = entry_key(ks)
        found = self._patches.get(key)
        if found is None:
            found = self._patches[key] = parse_patches(self.kustomization(ks))
        return found

    def deployed(self, inst: Instance) -> dict[str, Any] | None:
        """``inst``'s object after its applier's patches; None when a patch deletes it."""
        applier = inst.applier
        key = (
            entry_key(inst.entry),
            entry_key(applier) if applier else None,
            inst.name,
            inst.namespace,
        )
        if key in self._deployed:
            return self._deployed[key]
        data: dict[str, Any] | None = inst.entry.data
        if applier is not None and not inst.generated:
            target = target_of(inst, self.graph)
            for patch in self.patches(applier):
                if data is None:
                    break
                if selects(patch, target) is False:
                    continue
                try:
                    data = apply_patch(data, patch, target)
                except ValueError:
                    continue
        self._deployed[key] = data
        return data


def patched_objects(graph: RepoGraph) -> PatchedObjects:
    """One :class:`PatchedObjects` per graph (stored on it), shared by the rules of a run."""
    cached = vars(graph).get("_patched_objects")
    if isinstance(cached, PatchedObjects):
        return cached
    made = vars(graph)["_patched_objects"] = PatchedObjects(graph)
    return made


def kustomization_instance(graph: RepoGraph, ks: IndexEntry) -> Instance:
    """The instance that stands for the Kustomization object in the cluster: the first build
    of a *parent* that applies it (its namespace, and the variables resolving placeholders in
    its manifest), else the manifest as written. A Kustomization whose own ``spec.path`` holds
    its manifest applies itself; that copy is not the one that runs."""
    for inst in graph.instances(ks):
        if inst.applier is not None and entry_key(inst.applier) != entry_key(ks):
            return inst
    return Instance(ks, ks.namespace, None, ks.path)


def build_is_complete(graph: RepoGraph, ks: IndexEntry) -> bool:
    """False when the Kustomization's build has objects the graph cannot see: remote
    resources, Helm charts inflated by kustomize, generators or transformers from plugins."""
    folder = graph.path_folder(ks)
    if folder is None or not graph.is_local_source(ks):
        return False
    chains = {k for inst in graph.applied_instances(ks) for k in inst.chain}
    kfile = graph.kustomization_in(folder)
    if kfile:
        chains.add(kfile)
    for kfile in chains:
        data = graph.index.kustomize_files.get(kfile)
        if data is None:
            continue
        for ref in _list(data.data.get("resources")) + _list(data.data.get("bases")):
            if isinstance(ref, str) and ("://" in ref or ref.startswith(("github.com/", "git@"))):
                return False
        if any(data.data.get(f) for f in ("helmCharts", "generators", "transformers")):
            return False
    return True


def is_transformed(graph: RepoGraph, inst: Instance) -> bool:
    """True when a kustomization on the way may change the object before Flux's patches do
    (its own patches, replacements, components...): then a JSON 6902 path that is missing
    from the manifest as written may well exist at patch time."""
    for kfile in inst.chain:
        data = graph.index.kustomize_files.get(kfile)
        if data is not None and any(data.data.get(f) for f in TRANSFORMING_FIELDS):
            return True
    applier = inst.applier
    return bool(applier and _dict(applier.data.get("spec")).get("components"))
