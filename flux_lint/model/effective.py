"""Effective objects: an object as the builds that apply it deploy it.

A repository often leaves fields out of a manifest, or sets them differently per cluster,
because something on the way to the cluster changes them: an overlay's ``kustomization.yaml``
patches its base, a parent Flux Kustomization's ``spec.patches`` give every child its
``interval``, a cluster's ConfigMap supplies ``${REPLICAS}``. The object Flux applies is the
manifest after all of that, and that is what the schema, CEL and lifecycle checks judge
(check/effective.py), while each finding still points at the line a person must edit.

In Flux's order (kustomize-controller merges its fields into the root kustomization, so
kustomize's transformer order applies; docs/graph.md has the table with sources): the patches
of each kustomization file from the object's own up to the build's root, inside out, the Flux
Kustomization's ``spec.patches`` appended to the root's; then labels, annotations, replicas and
images per kustomization and the Kustomization's ``spec.images``; the build's name and
namespace; then post-build substitution with the values the repository supplies. Every value
a patch or a substitution changes keeps its :class:`Origin` (the patch line, the variable's
definition). A Kustomization's own patches are taken as *its* parent deploys it
(model/parent_patches.py).

What is not modelled (a JSON 6902 patch file, a patch that cannot be parsed, selecting the
object or maybe selecting it) makes the object's builds *unknown*; required fields are then not
judged, since the field may well be supplied. A variable whose value is not known leaves its
placeholder as written, which no check judges.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, field, replace
from typing import Any

from flux_lint.core.findings import pointer_join, pointer_tokens
from flux_lint.model.graph import RepoGraph
from flux_lint.model.index import IndexEntry
from flux_lint.model.instances import entry_key
from flux_lint.model.objects import K8sObject, is_flux_group
from flux_lint.model.parent_patches import (
    ASSOCIATIVE_KEYS,
    TRANSFORMING_FIELDS,
    ParentPatch,
    PatchError,
    Selector,
    SelectorError,
    Target,
    apply_json6902,
    apply_patch,
    kustomization_instance,
    parse_patch,
    patched_objects,
    selectable_kinds,
    selects,
    strategic_documents,
    target_of,
)
from flux_lint.model.substitution import (
    SubstitutionSyntaxError,
    Template,
    clean_value,
    is_substitution_disabled,
    manifest_values,
    parse,
    references,
    retype,
    string_sites,
    substitute_text,
)
from flux_lint.model.transformers import set_value, transform

#: :meth:`EffectiveObjects.variants` when a patch that may apply is not modelled.
UNKNOWN: list[dict[str, Any] | None] = []
#: :meth:`EffectiveObjects.builds_of` when a patch that may apply is not modelled.
UNKNOWN_BUILDS: list[Build] = []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Variables:
    """A Flux Kustomization's post-build variables: name → (value, where it is defined).
    A value None is a name whose value is not known (SOPS ciphertext, several manifests that
    disagree, a later source outside the repository that may override it). ``runs``: whether
    the controller substitutes at all (None: cannot be known)."""

    values: dict[str, tuple[str | None, Origin | None]] = field(default_factory=dict)
    runs: bool | None = True
    #: False when a source is outside the repository: a name missing from ``values`` may
    #: still be defined, so a placeholder's default is not known to apply.
    complete: bool = True


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value of an effective object was written, when not in the object's manifest:
    ``pointer`` inside document ``document`` of ``path``; ``offset`` a 1-based (line, column)
    inside the string at ``pointer`` (an inline patch text). ``path`` None: the value comes
    from a text the repository does not hold as written (a patch a parent injects)."""

    what: str  # "patch", "substitution", or "default" (a placeholder's own default)
    path: str | None
    document: int = 0
    pointer: str = ""  # "" for a patch file: the patch document itself
    inner: str = ""  # the pointer inside the patch (document ``part`` of an inline text)
    part: int = 0
    documents: tuple[int, ...] = ()  # a patch file's documents, in order
    variable: str = ""  # for a substitution: the variable and its value
    value: str = ""


@dataclass(slots=True)
class Build:
    """One build's copy of an object: its data as deployed, the Flux Kustomization (or the
    plain kustomize build's root) that deploys it, and where the values that differ from the
    manifest were set (pointer → origin; the nearest pointer above a value holds it)."""

    data: dict[str, Any] | None
    label: str
    origins: dict[str, Origin] = field(default_factory=dict)
    applier: IndexEntry | None = None

    def origin(self, pointer: str) -> Origin | None:
        """Where the value at ``pointer`` was set (None: the manifest): the origin recorded at
        it or above it, pointing as deep into a patch as the patch goes."""
        probe = pointer
        while True:
            found = self.origins.get(probe)
            if found is not None:
                if found.what == "patch" and probe != pointer:
                    return replace(found, inner=found.inner + pointer[len(probe) :])
                return found
            if not probe:
                return None
            probe = probe.rsplit("/", 1)[0]


class EffectiveObjects:
    """Per object, its data as each Flux build that applies it deploys it."""

    def __init__(self, graph: RepoGraph) -> None:
        self.graph = graph
        self.patched = patched_objects(graph)
        self._keys: dict[str, str] = {}
        self._chain_keys: dict[tuple[str, ...], str] = {}
        self._kfile_keys: dict[str, str] = {}
        self._spec_keys: dict[Any, str] = {}
        self._overlay_patches: dict[str, list[ParentPatch | None]] = {}
        self._variables: dict[Any, Variables] = {}
        self._labels: dict[Any, str] = {}
        self._builds: dict[Any, list[Build] | None] = {}
        self._patch_sources: dict[int, tuple[str, tuple[int, ...]]] = {}
        self._inline_pointers: dict[int, str] = {}  # id(patch) -> pointer of its text
        self._components: dict[str, bool] = {}  # folder -> whether the component transforms
        self._full_index: Any = None
        self._kind_candidates: dict[Any, Any] = {}
        self._templates: dict[str, Template | None] = {}
        self._emission_kinds: dict[Any, frozenset[str] | None] = {}
        self._unmodelled_builds: dict[Any, bool] = {}
        self._list_kinds: dict[int, tuple[list[Any], set[str] | None]] = {}

    def variants(self, obj: K8sObject) -> list[dict[str, Any] | None] | None:
        """The object as each build deploys it (None where a patch deletes it), or None when
        nothing on the way changes it (it is deployed as written), or :data:`UNKNOWN`."""
        builds = self._patched(IndexEntry.of(obj)) if not obj.partial else None
        if builds is None or builds is UNKNOWN_BUILDS:
            return None if builds is None else UNKNOWN
        return [b.data for b in builds]

    def changes(self, obj: K8sObject) -> bool:
        """Whether a patch or a transformer on the way changes ``obj`` in some build: then it
        is judged per build (check/effective.py), by the pass that sees the whole repository.
        Substitution alone does not count: it only replaces placeholders, which the checks of
        the manifest do not judge, so the values it brings are judged on their own
        (:meth:`substituted`); this decision needs only the builds and the object."""
        if obj.partial:
            return False
        builds = self._patched(IndexEntry.of(obj))
        return builds is not None and builds is not UNKNOWN_BUILDS

    def substituted(self, entry: IndexEntry) -> list[Build] | None:
        """The builds of an object that no patch changes, where post-build substitution
        gives one of its placeholders a known value (None: none does)."""
        if entry.partial or entry.rendered is not None or is_flux_group(entry.group):
            return None  # substituted values of Flux objects are FL408's (check/rules)
        if not self._may_substitute(entry) or self._patched(entry) is not None:
            return None
        out = []
        for emission in self._emissions(entry):
            if emission.applier is None:
                continue
            inst = emission.instance(entry)
            build = Build(entry.data, self._label(inst), applier=inst.applier)
            if self._substitute(build, emission.applier):
                out.append(build)
        return out or None

    def _may_substitute(self, entry: IndexEntry) -> bool:
        if "${" not in json.dumps(entry.data, default=str) or is_substitution_disabled(entry.data):
            return False
        for emission in self._emissions(entry):
            applier = emission.applier
            if applier is not None:
                spec = _dict(self.patched.kustomization(applier).get("spec"))
                if isinstance(spec.get("postBuild"), dict):
                    return True
        return False

    def use_index(self, index: Any) -> None:
        """The whole repository's index: where post-build variables are read from (the
        applied set's graph holds only the objects that decide what is applied)."""
        self._full_index = index

    def builds_of(self, entry: IndexEntry) -> list[Build] | None:
        """The object as each build deploys it, with where its changed values come from
        (post-build substitution with what :meth:`use_index` supplies); None when no build may
        change it, :data:`UNKNOWN_BUILDS` when a change is not modelled."""
        if entry.partial or entry.rendered is not None:
            return None
        builds = self._patched(entry)
        if builds is None or builds is UNKNOWN_BUILDS:
            return builds
        builds = [Build(b.data, b.label, dict(b.origins), b.applier) for b in builds or ()]
        if is_flux_group(entry.group):
            return builds  # substituted values of Flux objects are FL408's (check/rules)
        for build in builds:
            if build.applier is not None and build.data is not None:
                self._substitute(build, build.applier)
        return builds

    def _emissions(self, entry: IndexEntry) -> list[Any]:
        emissions = self.graph.emissions(entry.path)
        if any(e.applier is not None for e in emissions):
            # Flux builds are what is deployed; a plain kustomize build of the same folder
            # (a kustomization that only a Flux Kustomization's path names) is not another.
            emissions = [e for e in emissions if e.applier is not None]
        return emissions

    def _patched(self, entry: IndexEntry) -> list[Build] | None:
        """The builds after patches and transformers (None: nothing changes the object)."""
        key = entry_key(entry)
        if key in self._builds:
            return self._builds[key]
        found = self._make_builds(entry)
        self._builds[key] = found
        return found

    def _make_builds(self, entry: IndexEntry) -> list[Build] | None:
        if entry.partial or entry.rendered is not None:
            return None
        emissions = self._emissions(entry)
        if not emissions:
            return None
        out: list[Build] = []
        changed = False
        for emission in emissions:
            inst = emission.instance(entry)
            build = Build(entry.data, self._label(inst), applier=inst.applier)
            target = target_of(inst, self.graph)
            # Kustomize builds inside out: the innermost kustomization's patches first. Flux's
            # own ``spec.patches`` are appended to the root kustomization's.
            chain = list(reversed(inst.chain))
            if self._unmodelled(inst):
                return UNKNOWN_BUILDS
            for kfile in chain:
                for patch in self._candidates(self._patches_of(kfile), target):
                    if build.data is None:
                        break
                    if patch is None or patch.error is not None:
                        if patch is None or patch.target is None:
                            continue
                        if patch.target.matches(target) is not False:
                            return UNKNOWN_BUILDS
                        continue
                    if selects(patch, target) is False:
                        continue
                    try:
                        changed |= self._apply(
                            build, patch, self._kfile_origin(kfile, patch), target
                        )
                    except ValueError:
                        return UNKNOWN_BUILDS
            applier = inst.applier
            if applier is not None and build.data is not None:
                raw = _dict(applier.data.get("spec")).get("patches")
                written = raw if isinstance(raw, list) else []
                for patch in self._candidates(self.patched.patches(applier), target):
                    if build.data is None:
                        break
                    if selects(patch, target) is False:
                        continue
                    origin = _spec_patch_origin(applier, patch, written)
                    try:
                        changed |= self._apply(build, patch, origin, target)
                    except ValueError:
                        continue
            if build.data is not None:
                build.data = transform(build.data, inst, chain, self.graph)
            out.append(build)
        return out if changed else None

    def labels(self, entry: IndexEntry) -> list[str]:
        """The Flux Kustomizations that deploy ``entry`` (``namespace/name``), in build order."""
        found = [
            self._label(e.instance(entry)) for e in self._emissions(entry) if e.applier is not None
        ]
        return list(dict.fromkeys(found))

    def _candidates(self, patches: list[Any], target: Any) -> list[Any]:
        """The patches of a list that may select ``target``, in their order: those whose
        group, version and kind may select it (most patches of a Kustomization target one
        kind), and of the untargeted strategic-merge patches only those naming one of its
        names. The split is made once per list and kind, so an overlay with a patch per app
        does not test every patch against every object it builds."""
        key = (id(patches), target.api_version, target.kind)
        cached = self._kind_candidates.get(key)
        if cached is None:
            always, by_name = self._split(patches, target)
            # The list is kept with the result, so that its id is not reused while cached.
            cached = (patches, always, [p for _, p in always], by_name)
            self._kind_candidates[key] = cached
        _, always, plain, by_name = cached
        named = [pair for name in set(target.names) for pair in by_name.get(name, ())]
        if not named:
            return plain
        merged = sorted({id(p): (i, p) for i, p in [*always, *named]}.values(), key=_first)
        return [p for _, p in merged]

    @staticmethod
    def _split(patches: list[Any], target: Any) -> tuple[Any, dict[str, list[Any]]]:
        """(patches to test against any object of ``target``'s kind, with their positions;
        untargeted strategic-merge patches by the names their documents give)."""
        group, _, version = target.api_version.rpartition("/")
        always: list[Any] = []
        by_name: dict[str, list[Any]] = {}
        for position, patch in enumerate(patches):
            selector = getattr(patch, "target", None)
            if selector is not None and not (
                selector._match("group", group)
                and selector._match("version", version)
                and selector._match("kind", target.kind)
            ):
                continue
            if selector is None and patch is not None and patch.error is None:
                docs = [d for d in patch.strategic if d.get("kind") == target.kind]
                if not docs:
                    continue
                names = {_dict(d.get("metadata")).get("name") for d in docs}
                for name in names:
                    if isinstance(name, str):
                        by_name.setdefault(name, []).append((position, patch))
                continue
            always.append((position, patch))
        return always, by_name

    def _unmodelled(self, inst: Any) -> bool:
        """Whether a build passes through a change this model does not apply: a
        kustomization's ``replacements``, ``vars`` or ``transformers``, or a component (of a
        kustomization file, or a Flux Kustomization's ``spec.components``) that transforms
        what it is added to. The object is then not judged on what such a change could set.
        Known once per chain and applier (every object of a folder shares them)."""
        applier = inst.applier
        key = (inst.chain, entry_key(applier) if applier is not None else None)
        found = self._unmodelled_builds.get(key)
        if found is None:
            found = self._unmodelled_builds[key] = self._find_unmodelled(inst)
        return found

    def _find_unmodelled(self, inst: Any) -> bool:
        for kfile in inst.chain:
            kustomization = self.graph.index.kustomize_files.get(kfile)
            data = kustomization.data if kustomization is not None else {}
            if any(data.get(f) for f in _UNMODELLED_FIELDS):
                return True
            base = posixpath.dirname(kfile)
            for ref in _list(data.get("components")):
                if isinstance(ref, str) and self._transforming_component(base, ref):
                    return True
        applier = inst.applier
        if applier is None:
            return False
        folder = self.graph.path_folder(applier)
        refs = _list(_dict(applier.data.get("spec")).get("components"))
        return any(
            isinstance(ref, str) and (folder is None or self._transforming_component(folder, ref))
            for ref in refs
        )

    def _transforming_component(self, base: str, ref: str) -> bool:
        folder = posixpath.normpath(posixpath.join(base, ref)) if base else posixpath.normpath(ref)
        found = self._components.get(folder)
        if found is None:
            kfile = self.graph.kustomization_in(folder)
            kustomization = self.graph.index.kustomize_files.get(kfile) if kfile else None
            # A component that is not in the repository may do anything.
            found = kustomization is None or any(
                kustomization.data.get(f) for f in TRANSFORMING_FIELDS
            )
            self._components[folder] = found
        return found

    def _label(self, inst: Any) -> str:
        """The Flux Kustomization of a build as ``namespace/name`` (a plain build: its root)."""
        applier = inst.applier
        if applier is None:
            return inst.root
        key = entry_key(applier)
        label = self._labels.get(key)
        if label is None:
            owner = kustomization_instance(self.graph, applier)
            name = owner.resolved_name or applier.name or "?"
            namespace = owner.resolved_namespace
            label = self._labels[key] = f"{namespace}/{name}" if namespace else name
        return label

    def _apply(
        self, build: Build, patch: ParentPatch, origin: Origin | None, target: Target
    ) -> bool:
        """Apply one patch to ``build``, recording where the values it changes come from."""
        before = build.data
        assert before is not None
        if patch.operations:
            data: dict[str, Any] | None = before
            for i, op in enumerate(patch.operations):
                assert data is not None
                after = apply_json6902(data, [op])
                inner = f"/{i}/value" if isinstance(op, dict) and "value" in op else f"/{i}"
                self._record(build, data, after, origin, inner, str(op.get("path", "")))
                data = after
            build.data = data
            return data is not before
        after = apply_patch(before, patch, target)
        build.data = after
        if after is None:
            return True
        documents = strategic_documents(patch, target)
        self._record(build, before, after, origin, "", "", documents)
        return after is not before

    def _record(
        self,
        build: Build,
        before: Any,
        after: Any,
        origin: Origin | None,
        inner: str,
        op_path: str,
        documents: list[dict[str, Any]] | None = None,
    ) -> None:
        changed: list[str] = []
        _diff(before, after, "", changed)
        for pointer in changed:
            for known in [p for p in build.origins if p == pointer or p.startswith(pointer + "/")]:
                del build.origins[known]
            if origin is None:
                continue
            if documents is not None:  # strategic merge: the same place in the patch document
                index, where = _in_patch(after, documents, pointer)
                document = origin.documents[index] if index < len(origin.documents) else 0
                if origin.documents:
                    located = replace(origin, document=document, inner=where)
                else:
                    located = replace(origin, part=index, inner=where)
            else:  # JSON 6902: the operation's value
                rest = pointer[len(op_path) :] if pointer.startswith(op_path) else ""
                located = replace(origin, inner=inner + rest)
            build.origins[pointer] = located

    def _substitute(self, build: Build, applier: IndexEntry) -> bool:
        """Post-build substitution of the build's values with what the repository supplies;
        True when a value changed. A placeholder whose value is not known stays as written
        (the schema checks do not judge placeholders). The result is typed as Flux re-parses
        the YAML (``replicas: ${N}`` with ``N=3`` is the integer 3)."""
        data = build.data
        if data is None or "${" not in json.dumps(data, default=str):
            return False
        variables = self.variables(applier)
        if variables.runs is not True or is_substitution_disabled(data):
            return False
        values = {name: value for name, (value, _) in variables.values.items()}
        changed = False
        for site in list(string_sites(data)):
            if site.key or "${" not in site.text or site.pointer.startswith("/sops"):
                continue
            template = self._template(site.text)
            if template is None:
                continue
            refs = references(template)
            if not variables.complete and any(r.name not in values for r in refs):
                continue  # a source outside the repository may define it
            result = substitute_text(template, values)
            if result is None or result == site.text:
                continue
            updated = set_value(build.data, site.pointer, retype(site.text, result))
            if updated is build.data:
                continue
            build.data = updated
            changed = True
            for known in [
                p for p in build.origins if p == site.pointer or p.startswith(site.pointer + "/")
            ]:
                del build.origins[known]
            origin = _substitution_origin(variables, refs)
            if origin is not None:
                build.origins[site.pointer] = origin
        return changed

    def _template(self, text: str) -> Template | None:
        """A placeholder text parsed once (None: the controller cannot parse it)."""
        if text in self._templates:
            return self._templates[text]
        try:
            found: Template | None = parse(text)
        except (SubstitutionSyntaxError, RecursionError):
            found = None
        self._templates[text] = found
        return found

    def variables(self, applier: IndexEntry) -> Variables:
        """The post-build variables of a Flux Kustomization (as deployed) whose values the
        repository shows, each with where it is defined; see :class:`Variables`."""
        key = entry_key(applier)
        found = self._variables.get(key)
        if found is None:
            found = self._variables[key] = self._read_variables(applier)
        return found

    def _read_variables(self, applier: IndexEntry) -> Variables:
        data = self.patched.kustomization(applier)
        post = _dict(data.get("spec")).get("postBuild")
        result = Variables()
        if not isinstance(post, dict):
            result.runs = False
            return result
        owner = kustomization_instance(self.graph, applier)
        namespace = owner.resolved_namespace
        complete = True
        for ref in _list(post.get("substituteFrom")):
            ref = _dict(ref)
            kind, name = ref.get("kind"), ref.get("name")
            name = owner.resolve(name) if isinstance(name, str) else None
            sources = (
                self._sources(kind, name, namespace, applier)
                if kind in ("ConfigMap", "Secret") and name
                else []
            )
            if not sources:
                # Not in the repository (made by hand, by bootstrap, by an ExternalSecret): it
                # may define any name and override what earlier sources set.
                complete = False
                result.values = {k: (None, None) for k in result.values}
                continue
            merged: dict[str, tuple[str | None, Origin | None]] = {}
            for source in sources:
                values = manifest_values(source.kind, source.data)
                if values is None:
                    complete = False
                    result.values = {k: (None, None) for k in result.values}
                    continue
                for k, v in values.items():
                    field_name = "data" if k in _dict(source.data.get("data")) else "stringData"
                    origin = Origin(
                        "substitution",
                        source.path,
                        source.document,
                        pointer_join(f"/{field_name}", k),
                        variable=k,
                        value=v or "",
                    )
                    if k in merged and merged[k][0] != v:
                        merged[k] = (None, None)  # several manifests disagree: not known
                    else:
                        merged[k] = (v if v is not None and "${" not in v else None, origin)
            result.values.update(merged)
        written = _dict(_dict(_dict(applier.data.get("spec")).get("postBuild")).get("substitute"))
        for k, v in _dict(post.get("substitute")).items():
            k = str(k)
            text = v if isinstance(v, str) else json.dumps(v)
            value = clean_value(text) if "${" not in text else None
            origin = (
                Origin(
                    "substitution",
                    applier.path,
                    applier.document,
                    pointer_join("/spec/postBuild/substitute", k),
                    variable=k,
                    value=value or "",
                )
                if written.get(k) == v
                else Origin("substitution", None, variable=k, value=value or "")
            )
            result.values[k] = (value, origin)
        result.complete = complete
        if post.get("substituteStrategy") == "Always" or result.values:
            result.runs = True
        else:
            result.runs = False if complete else None
        return result

    def _sources(
        self, kind: str, name: str, namespace: str | None, applier: IndexEntry
    ) -> list[IndexEntry]:
        """ConfigMaps or Secrets of the repository that may be ``namespace/name``: those that
        the same cluster deploys (the same root Kustomization) when there are such, since
        clusters that share a base each define their own."""
        out = []
        index = self._full_index if self._full_index is not None else self.graph.index
        for entry in index.find(kind, name):
            if entry.group != "" or entry.partial or entry.rendered is not None:
                continue
            emissions = self._emissions(entry)
            spaces = {e.instance(entry).namespace for e in emissions} or {entry.namespace}
            if namespace is None or namespace in spaces or None in spaces:
                out.append(entry)
        if len(out) > 1:
            roots = self._roots(applier)
            same = [e for e in out if self._roots(e) & roots]
            out = same or out
        return out

    def _roots(self, entry: IndexEntry) -> set[Any]:
        """The root Flux Kustomizations (those nothing applies) whose builds lead to ``entry``."""
        roots: set[Any] = set()
        seen: set[Any] = set()
        todo = [entry]
        while todo:
            current = todo.pop()
            key = entry_key(current)
            if key in seen:
                continue
            seen.add(key)
            appliers = [a for a in self.graph.appliers(current.path) if entry_key(a) != key]
            if not appliers and current is not entry:
                roots.add(key)
            todo.extend(appliers)
        return roots

    def _kfile_origin(self, kfile: str, patch: ParentPatch) -> Origin | None:
        if patch.text:  # inline in the kustomization file
            return Origin("patch", kfile, 0, self._inline_pointers.get(id(patch), patch.pointer))
        file = self._patch_sources.get(id(patch))
        if file is None:
            return None
        return Origin("patch", file[0], file[1][0] if file[1] else 0, documents=file[1])

    def _patches_of(self, kfile: str) -> list[ParentPatch | None]:
        """The patches of one kustomization file, parsed once, in kustomize's order: the
        deprecated ``patchesStrategicMerge`` first, then ``patches``, then the deprecated
        ``patchesJson6902`` (``configureBuiltinTransformers`` in kustomize's
        api/internal/target/kusttarget_configplugin.go). Inline patches are parsed; patch
        files are read from the documents the model holds for them."""
        found = self._overlay_patches.get(kfile)
        if found is None:
            kustomization = self.graph.index.kustomize_files.get(kfile)
            data = kustomization.data if kustomization is not None else {}
            found = [
                self._merge_patch(kfile, item, i)
                for i, item in enumerate(_list(data.get("patchesStrategicMerge")))
            ]
            for field_name in ("patches", "patchesJson6902"):
                found += [
                    self._overlay_patch(kfile, item, i, field_name)
                    for i, item in enumerate(_list(data.get(field_name)))
                ]
            self._overlay_patches[kfile] = found
        return found

    def _merge_patch(self, kfile: str, item: Any, index: int) -> ParentPatch | None:
        """One ``patchesStrategicMerge`` entry: a file name or, as kustomize also accepts, the
        patch itself written inline (a string of several lines)."""
        if not isinstance(item, str):
            return None
        pointer = f"/patchesStrategicMerge/{index}"
        if "\n" in item.strip():
            patch = parse_patch({"patch": item}, index)
            if patch is not None:
                self._inline_pointers[id(patch)] = pointer
            return patch
        return self._patch_file(kfile, item.strip(), None, ParentPatch(index, pointer, ""))

    def _overlay_patch(
        self, kfile: str, item: Any, index: int, field_name: str
    ) -> ParentPatch | None:
        if not isinstance(item, dict):
            return None
        if "patch" in item:
            patch = parse_patch(item, index)
            if patch is not None:
                self._inline_pointers[id(patch)] = f"/{field_name}/{index}/patch"
            return patch
        path = item.get("path")
        if not isinstance(path, str):
            return None
        patch = ParentPatch(index, f"/{field_name}/{index}", "")
        if field_name == "patchesJson6902":  # a file of JSON 6902 operations
            patch.error = PatchError("patch file not modelled", "")
            return patch
        return self._patch_file(kfile, path, item.get("target"), patch)

    def _patch_file(
        self, kfile: str, path: str, target: Any, patch: ParentPatch
    ) -> ParentPatch | None:
        file = posixpath.normpath(posixpath.join(posixpath.dirname(kfile), path))
        entries = self.graph.entries_in(file)
        documents = [e.data for e in entries]
        self._patch_sources[id(patch)] = (file, tuple(e.document for e in entries))
        if isinstance(target, dict):
            try:
                patch.target = Selector.parse(target)
            except SelectorError:
                return None
        if not documents:
            patch.error = PatchError("patch file not modelled", "")  # JSON 6902, or unread
            return patch
        patch.strategic = documents
        return patch

    def changeable_kinds(self, path: str) -> frozenset[str] | None:
        """The kinds of object in ``path`` that some build may change (:meth:`changes`), read
        from the patches on the way alone, whatever the objects: the kinds their targets or
        documents name. None when any kind may be changed (a patch whose target kind is a
        pattern or missing, or a change this model does not apply); empty when none can."""
        kinds: set[str] = set()
        for emission in self.graph.emissions(path):
            applier = emission.applier
            key = (emission.chain, entry_key(applier) if applier is not None else None)
            if key not in self._emission_kinds:
                self._emission_kinds[key] = self._kinds_of(emission)
            found = self._emission_kinds[key]
            if found is None:
                return None
            kinds |= found
        return frozenset(kinds)

    def _kinds_of(self, emission: Any) -> frozenset[str] | None:
        """:meth:`changeable_kinds` of one build of a file (files share their builds)."""
        if self._unmodelled(emission):
            return None
        lists = [self._patches_of(kfile) for kfile in emission.chain]
        if emission.applier is not None:
            lists.append(self.patched.patches(emission.applier))
        kinds: set[str] = set()
        for patches in lists:
            cached = self._list_kinds.get(id(patches))
            if cached is None or cached[0] is not patches:
                cached = self._list_kinds[id(patches)] = (patches, selectable_kinds(patches))
            if cached[1] is None:
                return None
            kinds |= cached[1]
        return frozenset(kinds)

    def context_key(self, path: str) -> str:
        """What the effective objects of a file depend on besides the file itself (the patches
        on the way, as deployed): part of its cache key.

        Most files of a repository share their chains and their applier, so the digest of
        each chain (its patches and patch files) and of each applier's spec is made once.
        """
        key = self._keys.get(path)
        if key is None:
            parts: list[Any] = []
            for emission in self.graph.emissions(path):
                applier = emission.applier
                parts.append(
                    (
                        self._chain_key(emission.chain),
                        self._spec_key(applier) if applier is not None else "",
                        emission.namespace,
                        emission.prefix,
                    )
                )
            key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
            self._keys[path] = key
        return key

    def _chain_key(self, chain: tuple[str, ...]) -> str:
        """The digest of the patches a chain of kustomization files applies, and of the
        documents of the patch files they name: made of one digest per kustomization file,
        which the chains of a repository share."""
        key = self._chain_keys.get(chain)
        if key is None:
            parts = [self._kfile_key(kfile) for kfile in chain]
            key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
            self._chain_keys[chain] = key
        return key

    def _kfile_key(self, kfile: str) -> str:
        key = self._kfile_keys.get(kfile)
        if key is None:
            kustomization = self.graph.index.kustomize_files.get(kfile)
            if kustomization is None:
                key = ""
            else:
                base = posixpath.dirname(kfile)
                parts = (
                    kfile,
                    repr([kustomization.data.get(f) for f in _KEYED_FIELDS]),
                    [
                        repr([e.data for e in self.graph.entries_in(p)])
                        for p in sorted(self._patch_files((kfile,)))
                    ],
                    self._components_state(base, kustomization.data.get("components")),
                )
                key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
            self._kfile_keys[kfile] = key
        return key

    def _spec_key(self, applier: IndexEntry) -> str:
        """The digest of an applying Flux Kustomization's spec, as deployed (whether it
        substitutes: the values themselves are read by the repository pass)."""
        ident = entry_key(applier)
        key = self._spec_keys.get(ident)
        if key is None:
            spec = _dict(self.patched.kustomization(applier).get("spec"))
            folder = self.graph.path_folder(applier)
            components = self._components_state(folder or "", spec.get("components"))
            text = repr((spec, components))
            key = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            self._spec_keys[ident] = key
        return key

    def _components_state(self, base: str, refs: Any) -> str:
        """The kustomization files of the components a build adds, for cache keys: whether
        they transform decides whether the object is judged."""
        state = []
        for ref in _list(refs):
            if isinstance(ref, str):
                folder = posixpath.normpath(posixpath.join(base, ref))
                kfile = self.graph.kustomization_in(folder)
                found = self.graph.index.kustomize_files.get(kfile) if kfile else None
                state.append((folder, found.data if found is not None else None))
        return repr(state)

    def _patch_files(self, chain: tuple[str, ...]) -> set[str]:
        files = set()
        for kfile in chain:
            kustomization = self.graph.index.kustomize_files.get(kfile)
            data = kustomization.data if kustomization is not None else {}
            base = posixpath.dirname(kfile)
            names = [i for i in _list(data.get("patchesStrategicMerge")) if isinstance(i, str)]
            names += [
                item["path"]
                for item in _list(data.get("patches"))
                if isinstance(item, dict) and isinstance(item.get("path"), str)
            ]
            for name in names:
                if "\n" not in name.strip():
                    files.add(posixpath.normpath(posixpath.join(base, name.strip())))
        return files


# -- helpers ----------------------------------------------------------------------------------


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _substitution_origin(variables: Variables, refs: list[Any]) -> Origin | None:
    """Where the value of a substituted text comes from: the first variable it reads whose
    definition is known, else the first it reads."""
    for ref in refs:
        found = variables.values.get(ref.name)
        if found is not None and found[1] is not None:
            return found[1]
    for ref in refs:
        if ref.name in variables.values:
            value = variables.values[ref.name][0] or ""
            return Origin("substitution", None, variable=ref.name, value=value)
    for ref in refs:  # a default the placeholder itself supplies: the manifest's own line
        return Origin("default", None, variable=ref.name)
    return None


#: The fields of a kustomization file that effective objects read (part of the cache key).
#: Kustomization fields whose changes are not applied here (see EffectiveObjects._unmodelled).
_UNMODELLED_FIELDS = ("replacements", "vars", "transformers")

_KEYED_FIELDS = (
    *_UNMODELLED_FIELDS,
    "patchesStrategicMerge",
    "patches",
    "patchesJson6902",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "replicas",
    "images",
)


def _spec_patch_origin(
    applier: IndexEntry, patch: ParentPatch, written: list[Any]
) -> Origin | None:
    """Where a Flux Kustomization's ``spec.patches`` entry is written: in its manifest when
    the deployed patch is the one written there (not one a parent injects)."""
    if patch.index < len(written):
        item = written[patch.index]
        if isinstance(item, dict) and item.get("patch") == patch.text:
            return Origin(
                "patch", applier.path, applier.document, f"/spec/patches/{patch.index}/patch"
            )
    return None


def _diff(before: Any, after: Any, pointer: str, out: list[str]) -> None:
    """The pointers below which ``after`` differs from ``before`` (added or changed values;
    a list whose length changed counts as one change)."""
    if before is after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in after.items():
            if key not in before:
                out.append(pointer_join(pointer, str(key)))
            elif before[key] is not value and before[key] != value:
                _diff(before[key], value, pointer_join(pointer, str(key)), out)
        return
    if isinstance(before, list) and isinstance(after, list):
        if len(before) == len(after):
            for i, (old, new) in enumerate(zip(before, after, strict=True)):
                if old is not new and old != new:
                    _diff(old, new, f"{pointer}/{i}", out)
            return
        key = _common_key(before, after)
        if key is not None:  # merged by key: items keep their identity, new ones are added
            by_key = {item[key]: item for item in before if isinstance(item.get(key), str)}
            for i, new in enumerate(after):
                old = by_key.get(new.get(key))
                if old is None:
                    out.append(f"{pointer}/{i}")
                elif old is not new and old != new:
                    _diff(old, new, f"{pointer}/{i}", out)
            return
        if after[: len(before)] == before:  # items appended
            out.extend(f"{pointer}/{i}" for i in range(len(before), len(after)))
            return
    if before != after or type(before) is not type(after):
        out.append(pointer)


def _common_key(before: list[Any], after: list[Any]) -> str | None:
    """The associative key every item of two lists of mappings has (kyaml's merge keys)."""
    items = [*before, *after]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    return next((k for k in ASSOCIATIVE_KEYS if all(k in i for i in items)), None)


def _in_patch(data: Any, documents: list[dict[str, Any]], pointer: str) -> tuple[int, str]:
    """(document, pointer) of the place in a strategic-merge patch that wrote ``pointer`` of
    the patched object: the same keys; list items by their merge key (or position)."""
    tokens = pointer_tokens(pointer)
    best = (0, "")
    for index, document in enumerate(documents):
        node: Any = document
        value: Any = data
        where = ""
        for token in tokens:
            if isinstance(node, dict) and isinstance(value, dict) and token in node:
                node, value = node[token], value.get(token)
            elif isinstance(node, list) and isinstance(value, list) and token.isdigit():
                item = value[int(token)] if int(token) < len(value) else None
                at = _list_item(node, item, int(token))
                if at is None:
                    break
                token = str(at)
                node, value = node[at], item
            else:
                break
            where = pointer_join(where, token)
        if len(where) > len(best[1]):
            best = (index, where)
    return best


def _list_item(patch_list: list[Any], item: Any, position: int) -> int | None:
    if isinstance(item, dict):
        for key in ASSOCIATIVE_KEYS:
            if key in item:
                for i, candidate in enumerate(patch_list):
                    if isinstance(candidate, dict) and candidate.get(key) == item[key]:
                        return i
                return None
    return position if position < len(patch_list) else None
