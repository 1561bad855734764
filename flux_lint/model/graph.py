"""The repository as a graph: what kustomize builds and what each Flux Kustomization applies.

Rules that look across files need to know where an object *ends up*, not just where it is
written: which namespace it lands in, which Flux Kustomization applies it, which other objects
arrive with it. This module answers those questions from the
:class:`~flux_lint.model.index.RepoIndex`
alone (it never opens a file), once per run, for every rule that asks.

Entry point::

    graph = repo_graph(index)                # built once per index, then cached

The kustomize graph (``kustomization.yaml`` files):

* ``graph.kustomization_in(folder)`` → the kustomization file of a folder, or None.
* ``graph.includes(kustomization_path)`` → :class:`Include` edges: every local file or folder a
  kustomization names in ``resources``/``bases``, ``components``, ``patches*`` and the file
  inputs of its generators, resolved against its folder. Remote references are ignored.
* ``graph.build(folder)`` → the :class:`Instance` list that ``kustomize build folder`` emits.

Flux Kustomizations (``kustomize.toolkit.fluxcd.io``):

* ``graph.is_local_source(ks)``: does the Kustomization read *this* repository (see below)?
* ``graph.path_folder(ks)``: its ``spec.path`` as a repository display path.
* ``graph.applied_files(ks)`` → ``list[str]``: the files whose documents it applies, in build order.
* ``graph.applied_objects(ks)`` → ``list[IndexEntry]``; ``graph.applied_instances(ks)`` with the
  namespace each object lands in.
* ``graph.appliers(path)`` → ``list[IndexEntry]``: the Flux Kustomizations whose build includes
  the file directly (not their parents).
* ``graph.target_namespace(ks)``: its ``spec.targetNamespace``.

Namespaces:

* ``graph.instances(entry)``: every build that emits the object, each with its namespace.
* ``graph.effective_namespace(entry)``: the namespace the object lands in when every build agrees
  (``None`` when unknown or ambiguous); ``graph.effective_namespaces(entry)`` gives them all.

How a build is modelled, and why:

* **Outermost namespace wins.** kustomize runs a kustomization's ``namespace:`` transformer over
  everything it accumulated, including what its resources' own kustomizations already set, so
  an overlay's namespace overrides its base's. A Flux Kustomization's ``targetNamespace`` is
  added as ``namespace:`` of the outermost build, so it overrides everything below. Known
  cluster-scoped kinds keep no namespace, and a ``Namespace`` object is *renamed* to it (what
  kustomize does, and why ``metadata.name: _`` placeholders work).
* **Folders without a kustomization file** are what kustomize-controller generates for a
  ``spec.path``: every ``.yaml``/``.yml`` file below the folder, recursively, except that a
  subfolder with its own kustomization file is taken as one resource and not descended into.
* **The repository root.** Display paths are relative to the linted tree, which need not be the
  Git repository Flux reads (a fixture folder, ``examples/``). The root is the folder against
  which the most ``spec.path`` values of GitRepository/OCIRepository-sourced Kustomizations exist
  (ties: the shallowest). ``root_confirmed`` says whether any non-root path supported it.
* **ArtifactGenerators.** A Kustomization reading an ExternalArtifact that an ArtifactGenerator
  builds from this repository by whole-folder copies (``@repo/apps/**`` → ``@artifact/apps/``)
  has its ``spec.path`` mapped back to the repository folder.
* **Which source is this repository.** A Kustomization's ``sourceRef`` (GitRepository or
  OCIRepository) is taken to be this repository when its name is one of ``local_names``
  (default ``flux-system``, the source ``flux bootstrap`` creates, often not committed), when
  some Kustomization reading that source has a ``spec.path`` other than the root that exists
  here, or when it is a GitRepository whose URL equals such a source's URL.
* **Names.** ``namePrefix``/``nameSuffix`` of every kustomization on the way are applied (outer
  ones outside), except to CRDs, APIServices and Namespaces. Flux reference fields are not
  rewritten by kustomize, so a reference keeps the name as written.
* **Generated objects.** ``configMapGenerator``/``secretGenerator`` entries become instances with
  ``generated=True`` and the keys they are known to have (``None`` when they read env files).
  Hash suffixes are ignored: references that kustomize would rewrite still match.
* **Each kustomization is expanded once per build and namespace.** Apart from the include chain
  and the affixes of the kustomizations around it, what a kustomization emits depends only on
  the namespace imposed on it, so when a build reaches it again under the same namespace (a
  shared base, a diamond) its recorded output is emitted again, chains and names rebased,
  instead of being expanded again: N stacked diamonds would otherwise cost 2^N expansions. A
  second arrival only repeats objects the build already holds, which kustomize refuses ("may
  not add resource with an already registered id"), so each object of the repeated output is
  emitted once: enough for the duplicate to be reported, and nested repeats stay polynomial
  instead of doubling per level. Expansion keeps its own stack instead of recursing, so an
  include chain of any depth works. An include cycle is cut where it closes; kustomize refuses
  cyclic builds too, and a kustomization's recorded output is reused even if a cycle was cut
  inside it, so for such a build the objects listed are a best effort.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.instances import (
    CLUSTER_SCOPED,
    NOT_AFFIXED,
    Emission,
    EntryKey,
    Instance,
    entry_key,
    substitute,
)
from flux_lint.model.kustomize import is_kustomization_file
from flux_lint.model.objects import SOURCE_GROUP, is_flux_kustomization

BOOTSTRAP_SOURCE = "flux-system"
#: Source kinds that can carry this repository's own content.
LOCAL_SOURCE_KINDS = frozenset({"GitRepository", "OCIRepository"})

RESOURCE = "resource"
COMPONENT = "component"
PATCH = "patch"
DATA = "data"

#: ArtifactGenerator ``copy`` of a whole folder: ``@alias/dir/**`` → ``@artifact/dest/``.
_COPY_FROM = re.compile(r"@([a-z0-9][a-z0-9_-]*)/?((?:[^*?\[\]{}]*[^/*?\[\]{}])?)/?\*\*")
_COPY_TO = re.compile(r"@artifact/?((?:[^*?\[\]{}]*[^/*?\[\]{}])?)/?")


@dataclass(frozen=True, slots=True)
class Include:
    """One local file or folder named by a kustomization file."""

    field: str  # "resources", "components", "patches", "configMapGenerator", ...
    role: str  # RESOURCE, COMPONENT, PATCH or DATA
    ref: str  # as written
    path: str  # resolved display path (a file or a folder)
    kustomization: str | None = None  # the kustomization file of a folder that has one


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parents(path: str) -> Iterable[str]:
    """Every ancestor folder of a display path, innermost first, ending with "" (the root)."""
    current = posixpath.dirname(path)
    while current:
        yield current
        current = posixpath.dirname(current)
    yield ""


def _join(base: str, ref: str) -> str | None:
    """A local reference resolved against a folder; None for remote or odd references."""
    if not ref or "://" in ref or ref.startswith(("github.com/", "gitlab.com/", "git@", "git::")):
        return None
    joined = posixpath.normpath(posixpath.join(base, ref.split("?")[0]))
    return "" if joined == "." else joined


def _under(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


_ExpansionKey = tuple[str, str | None]
"""A kustomization file and the namespace imposed on it from outside (None: its own)."""


@dataclass(slots=True)
class _Frame:
    """A kustomization being expanded: its includes and how far it got, what it needs to emit
    files and generated objects, and what to restore when it is done. A finished frame is
    kept as the record of its output: ``build.instances[start:end]``, produced ``depth``
    kustomizations deep, inside the affixes ``outer_prefix`` and ``outer_suffix``."""

    kfile: str
    key: _ExpansionKey | None  # None: not recorded (a build's root with ``spec.components``)
    includes: list[Include]
    data: dict[str, Any]
    namespace: str | None
    outer_prefix: str
    outer_suffix: str
    start: int  # ``len(build.instances)`` when the expansion began
    step: int = 0  # the next entry of ``includes``
    end: int = 0  # ``len(build.instances)`` when it was done
    depth: int = 0  # how many kustomizations enclose it
    chain: tuple[str, ...] | None = None  # built when first needed, see :meth:`_Build.chain`


class _Build:
    """One build while it is expanded: what it emits and the files it reads as resources."""

    def __init__(
        self, root: str, applier: IndexEntry | None, variables: Mapping[str, str] | None
    ) -> None:
        self.root = root
        self.applier = applier
        self.variables = variables  # the applier's post-build variables, None without postBuild
        self.instances: list[Instance] = []
        self.files: list[str] = []
        # namePrefix/nameSuffix in force where the expansion currently is (outer ones outside).
        self.prefix = ""
        self.suffix = ""
        # The kustomizations being expanded, outermost first (their files also as a set, to
        # find include cycles), and every expansion finished so far.
        self.frames: list[_Frame] = []
        self.active: set[str] = set()
        self.expanded: dict[_ExpansionKey, _Frame] = {}

    def chain(self) -> tuple[str, ...]:
        """The kustomization files from the build's root to the one being expanded.

        Built only for kustomizations that emit something, and then once: a deep include chain
        that merely passes through would otherwise copy a tuple per level, quadratic in depth.
        """
        frames = self.frames
        if not frames:
            return ()
        top = frames[-1]
        if top.chain is None:
            parent = frames[-2].chain if len(frames) > 1 else ()
            if parent is None:
                top.chain = tuple(frame.kfile for frame in frames)
            else:
                top.chain = (*parent, top.kfile)
        return top.chain


class RepoGraph:
    """The kustomize include graph and the Flux apply graph of one :class:`RepoIndex`."""

    def __init__(
        self,
        index: RepoIndex,
        *,
        local_names: Iterable[str] = (BOOTSTRAP_SOURCE,),
        build: bool = True,
    ):
        """``build=False`` leaves the builds (what each Kustomization applies) to
        :meth:`built`: files, folders, the root and the local sources are known at once."""
        self.index = index
        self.local_names = frozenset(local_names)
        self._entries_by_path: dict[str, list[IndexEntry]] = defaultdict(list)
        for entry in index.entries:
            # Objects a ResourceSet renders are applied by flux-operator as rendered: no
            # kustomize build or post-build substitution of the ResourceSet's file touches them.
            if entry.rendered is None:
                self._entries_by_path[entry.path].append(entry)
        self.files: set[str] = self.files_of(index)
        self._kustomizations: dict[str, str] = {}  # folder -> kustomization file
        for path in sorted(index.kustomize_files):
            if is_kustomization_file(path):
                self._kustomizations.setdefault(posixpath.dirname(path), path)
        self.folders: set[str] = {""}
        for path in self.files:
            self.folders.update(_parents(path))
        self._includes: dict[str, list[Include]] = {}
        self.flux_kustomizations: list[IndexEntry] = [
            e for e in index.entries if is_flux_kustomization(e) and not e.partial
        ]
        self.root, self.root_confirmed = self._find_root()
        self._artifacts: dict[str, list[tuple[str, str]]] = {}
        self._local_sources = self._find_local_sources()
        self._artifacts = self._find_artifacts()
        self._flux_builds: dict[EntryKey, _Build] = {}
        self._instances: dict[EntryKey, list[Instance]] = defaultdict(list)
        self._appliers: dict[str, list[IndexEntry]] = defaultdict(list)
        self._emissions: dict[str, list[Emission]] = defaultdict(list)
        self.kustomize_roots: list[str] = []
        self._plain_builds: dict[str, _Build] = {}
        self._variables: dict[EntryKey, dict[str, str]] = {}
        #: What the models on top of the graph work out once per chain of kustomization
        #: files (keyed by what and the chain); the kustomize files do not change.
        self.chain_facts: dict[tuple[Any, ...], Any] = {}
        self._built = False
        if build:
            self.built()

    def built(self) -> RepoGraph:
        """Work out every build (once; the graph itself)."""
        if not self._built:
            self._built = True
            self._build_all()
        return self

    @staticmethod
    def files_of(index: RepoIndex) -> set[str]:
        """The repository files a graph of ``index`` knows (display paths): every file read,
        the files of its objects (not those a ResourceSet renders) and of its kustomize files.
        Cheap, so callers that need only this do not build a graph."""
        files = {p for p in index.files if p != "-"}
        files |= {e.path for e in index.entries if e.rendered is None} - {"-"}
        files |= set(index.kustomize_files)
        return files

    # -- the kustomize graph -------------------------------------------------------------------

    def kustomization_in(self, folder: str) -> str | None:
        """The kustomization file of a folder (display path), or None."""
        return self._kustomizations.get(folder)

    def includes(self, kustomization: str) -> list[Include]:
        """The local files and folders one kustomization file names, in file order."""
        cached = self._includes.get(kustomization)
        if cached is not None:
            return cached
        kfile = self.index.kustomize_files.get(kustomization)
        data = kfile.data if kfile is not None else {}
        base = posixpath.dirname(kustomization)
        out: list[Include] = []

        def add(field_name: str, role: str, ref: Any, target: str | None = None) -> None:
            if not isinstance(ref, str):
                return
            path = _join(base, target if target is not None else ref)
            if path is None:
                return
            out.append(Include(field_name, role, ref, path, self._kustomizations.get(path)))

        for field_name in ("resources", "bases"):
            for ref in _list(data.get(field_name)):
                add(field_name, RESOURCE, ref)
        for ref in _list(data.get("components")):
            add("components", COMPONENT, ref)
        for patch in _list(data.get("patches")) + _list(data.get("patchesJson6902")):
            if isinstance(patch, dict):
                add("patches", PATCH, patch.get("path"))
        for patch in _list(data.get("patchesStrategicMerge")):
            if isinstance(patch, str) and "\n" not in patch and ": " not in patch:
                add("patchesStrategicMerge", PATCH, patch)
        for gen_field in ("configMapGenerator", "secretGenerator"):
            for gen in _list(data.get(gen_field)):
                gen = _dict(gen)
                for item in _list(gen.get("files")) + _list(gen.get("envs")) + [gen.get("env")]:
                    if isinstance(item, str):
                        add(gen_field, DATA, item, item.split("=", 1)[-1])
        self._includes[kustomization] = out
        return out

    def build(self, folder: str) -> list[Instance]:
        """What ``kustomize build folder`` emits (the folder needs a kustomization file)."""
        return list(self._plain_build(folder).instances)

    def _plain_build(self, folder: str) -> _Build:
        build = self._plain_builds.get(folder)
        if build is None:
            build = self._plain_builds[folder] = _Build(folder, None, None)
            kfile = self._kustomizations.get(folder)
            if kfile is not None:
                self._expand(kfile, None, build)
        return build

    # -- Flux Kustomizations -------------------------------------------------------------------

    def path_folder(self, ks: IndexEntry) -> str | None:
        """``spec.path`` as a display path below the repository root (None when it cannot be
        known: not a string, a placeholder, or a path that leaves the root)."""
        path = _dict(ks.data.get("spec")).get("path", "")
        if path is None:
            path = ""
        if not isinstance(path, str) or "${" in path:
            return None
        rel = posixpath.normpath("/" + path.strip()).lstrip("/")
        rel = "" if rel in (".", "") else rel
        kind, name, _ = self.source_ref(ks)
        if kind == "ExternalArtifact":
            rel_in_repo = self._artifact_path(name, rel)
            if rel_in_repo is None:
                return None
            rel = rel_in_repo
        return posixpath.join(self.root, rel) if self.root and rel else (self.root or rel)

    def _artifact_path(self, artifact: str | None, rel: str) -> str | None:
        """Where a path inside an ArtifactGenerator's artifact comes from in this repository
        (the deepest ``copy`` destination that holds it), or None."""
        best: tuple[str, str] | None = None
        for dest, origin in self._artifacts.get(artifact or "", ()):
            if _under(rel, dest) and (best is None or len(dest) > len(best[0])):
                best = (dest, origin)
        if best is None:
            return None
        rest = rel[len(best[0]) :].lstrip("/")
        return posixpath.join(best[1], rest) if best[1] and rest else (best[1] or rest)

    def target_namespace(self, ks: IndexEntry) -> str | None:
        return _str(_dict(ks.data.get("spec")).get("targetNamespace"))

    def source_ref(self, ks: IndexEntry) -> tuple[str | None, str | None, str | None]:
        """(kind, name, namespace as written) of a Flux Kustomization's ``sourceRef``."""
        ref = _dict(_dict(ks.data.get("spec")).get("sourceRef"))
        return _str(ref.get("kind")), _str(ref.get("name")), _str(ref.get("namespace"))

    def is_local_source(self, ks: IndexEntry) -> bool:
        """True when the Kustomization's source is taken to be this repository."""
        kind, name, _ = self.source_ref(ks)
        if kind == "ExternalArtifact" and name in self._artifacts:
            return self.path_folder(ks) is not None
        if kind not in LOCAL_SOURCE_KINDS or name is None:
            return False
        return name in self.local_names or (kind, name) in self._local_sources

    def is_local_source_name(self, kind: str, name: str) -> bool:
        """Is the source ``kind``/``name`` this repository (see :meth:`is_local_source`)?"""
        return name in self.local_names or (kind, name) in self._local_sources

    def applied_instances(self, ks: IndexEntry) -> list[Instance]:
        """Every object the Kustomization applies, with the namespace it lands in."""
        build = self._flux_builds.get(entry_key(ks))
        return list(build.instances) if build else []

    def applied_objects(self, ks: IndexEntry) -> list[IndexEntry]:
        """The repository objects the Kustomization applies (generated ones excluded)."""
        seen: set[EntryKey] = set()
        out: list[IndexEntry] = []
        for inst in self.applied_instances(ks):
            key = entry_key(inst.entry)
            if not inst.generated and key not in seen:
                seen.add(key)
                out.append(inst.entry)
        return out

    def applied_files(self, ks: IndexEntry) -> list[str]:
        """The files whose documents the Kustomization applies, in build order.

        Empty when the source is not this repository or ``spec.path`` does not exist. A file
        that holds no object (an empty file, a YAML file without ``kind``) is still listed:
        kustomize reads it."""
        build = self._flux_builds.get(entry_key(ks))
        return list(dict.fromkeys(build.files)) if build else []

    def entries_in(self, path: str) -> list[IndexEntry]:
        """The objects (partial ones included) of one file."""
        return list(self._entries_by_path.get(path, ()))

    def emissions(self, path: str) -> list[Emission]:
        """How each build (a Flux Kustomization's, or a plain kustomize build of a
        kustomization nothing includes) emits the file (first arrival per build)."""
        return list(self._emissions.get(path, ()))

    def appliers(self, path: str) -> list[IndexEntry]:
        """The Flux Kustomizations whose own build includes the file."""
        return list(self._appliers.get(path, ()))

    def left_out_by(self, path: str) -> IndexEntry | None:
        """The Flux Kustomization whose ``spec.path`` folder holds the file although its build
        does not include it (a folder taken out of a kustomization's ``resources``), when no
        build applies the file at all: such a file is not deployed."""
        if self._appliers.get(path):
            return None
        best: _Build | None = None
        for build in self._flux_builds.values():
            if _under(path, build.root) and (best is None or len(build.root) > len(best.root)):
                best = build
        return best.applier if best else None

    # -- namespaces ----------------------------------------------------------------------------

    def instances(self, entry: IndexEntry) -> list[Instance]:
        """Every build that emits the object (a file that no build includes: one instance with
        the namespace as written)."""
        found = self._instances.get(entry_key(entry))
        if found:
            return list(found)
        return [Instance(entry, entry.namespace, None, entry.path)]

    def effective_namespaces(self, entry: IndexEntry) -> frozenset[str | None]:
        return frozenset(inst.namespace for inst in self.instances(entry))

    def effective_namespace(self, entry: IndexEntry) -> str | None:
        """The namespace the object lands in when all its builds agree, else None."""
        namespaces = self.effective_namespaces(entry)
        return next(iter(namespaces)) if len(namespaces) == 1 else None

    def all_instances(self) -> Iterable[Instance]:
        """Every instance of every object (a file no build includes: as written), generated
        ConfigMaps and Secrets included."""
        for entry in self.index.entries:
            yield from self.instances(entry)
        yield from self._generated

    def variables(self, ks: IndexEntry) -> dict[str, str]:
        """The post-build variables a Flux Kustomization is known to supply: its
        ``postBuild.substitute`` plus the ``data`` of ``substituteFrom`` ConfigMaps defined in
        the repository."""
        key = entry_key(ks)
        if key in self._variables:
            return self._variables[key]
        post = _dict(_dict(ks.data.get("spec")).get("postBuild"))
        found: dict[str, str] = {}
        for ref in _list(post.get("substituteFrom")):
            ref = _dict(ref)
            name = _str(ref.get("name"))
            if ref.get("kind") != "ConfigMap" or name is None:
                continue
            for cm in self.index.find("ConfigMap", name):
                found.update(
                    {k: v for k, v in _dict(cm.data.get("data")).items() if isinstance(v, str)}
                )
        found.update({k: str(v) for k, v in _dict(post.get("substitute")).items()})
        self._variables[key] = found
        return found

    # -- building ------------------------------------------------------------------------------

    def _find_root(self) -> tuple[str, bool]:
        paths: list[tuple[str, str]] = []
        for ks in self.flux_kustomizations:
            kind = _str(_dict(_dict(ks.data.get("spec")).get("sourceRef")).get("kind"))
            path = _dict(ks.data.get("spec")).get("path")
            if kind not in LOCAL_SOURCE_KINDS or not isinstance(path, str) or "${" in path:
                continue
            rel = posixpath.normpath("/" + path.strip()).lstrip("/")
            if rel not in ("", "."):
                paths.append((ks.path, rel))
        candidates: set[str] = {""}
        for ks_path, _ in paths:
            candidates.update(_parents(ks_path))
        best, best_count = "", 0
        # Each distinct path once, with how many Kustomizations name it (a large repository
        # has hundreds of Kustomizations and a hundred candidate roots).
        rels = Counter(rel for _, rel in paths)
        folders = self.folders
        for prefix in sorted(candidates, key=lambda p: (p.count("/") + bool(p), p)):
            head = prefix + "/" if prefix else ""
            count = sum(n for rel, n in rels.items() if head + rel in folders)
            if count > best_count:
                best, best_count = prefix, count
        return best, best_count > 0

    def _find_local_sources(self) -> set[tuple[str, str]]:
        local: set[tuple[str, str]] = set()
        for ks in self.flux_kustomizations:
            kind, name, _ = self.source_ref(ks)
            folder = self.path_folder(ks)
            if kind not in LOCAL_SOURCE_KINDS or name is None or folder is None:
                continue
            if folder != self.root and folder in self.folders:
                local.add((kind, name))
        urls = set()
        for repo in self.index.of_kind("GitRepository", SOURCE_GROUP):
            if repo.name and (
                ("GitRepository", repo.name) in local or repo.name in self.local_names
            ):
                url = _normal_url(_dict(repo.data.get("spec")).get("url"))
                if url:
                    urls.add(url)
        for repo in self.index.of_kind("GitRepository", SOURCE_GROUP):
            url = _normal_url(_dict(repo.data.get("spec")).get("url"))
            if repo.name and url and url in urls:
                local.add(("GitRepository", repo.name))
        return local

    def _find_artifacts(self) -> dict[str, list[tuple[str, str]]]:
        """ArtifactGenerator copies out of this repository: artifact name → (folder in the
        artifact, folder in the repository). Only whole-folder copies (``@alias/dir/**`` to
        ``@artifact/dest/``) are understood; anything else leaves the artifact unmapped."""
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for gen in self.index.of_kind("ArtifactGenerator", "source.extensions.fluxcd.io"):
            spec = _dict(gen.data.get("spec"))
            local_aliases = set()
            for source in _list(spec.get("sources")):
                source = _dict(source)
                kind, name = _str(source.get("kind")), _str(source.get("name"))
                if (
                    kind in LOCAL_SOURCE_KINDS
                    and name is not None
                    and (name in self.local_names or (kind, name) in self._local_sources)
                ):
                    local_aliases.add(_str(source.get("alias")))
            for artifact in _list(spec.get("artifacts")):
                artifact = _dict(artifact)
                name = _str(artifact.get("name"))
                for op in _list(artifact.get("copy")):
                    op = _dict(op)
                    origin = _COPY_FROM.fullmatch(str(op.get("from", "")))
                    dest = _COPY_TO.fullmatch(str(op.get("to", "")))
                    if name and origin and dest and origin.group(1) in local_aliases:
                        found[name].append((dest.group(1), origin.group(2)))
        return dict(found)

    def _build_all(self) -> None:
        self._generated: list[Instance] = []
        reached: set[str] = set()
        for ks in self.flux_kustomizations:
            if not self.is_local_source(ks):
                continue
            folder = self.path_folder(ks)
            if folder is None or folder not in self.folders:
                continue
            build = _Build(folder, ks, self._variables_of(ks))
            spec = _dict(ks.data.get("spec"))
            components = [c for c in _list(spec.get("components")) if isinstance(c, str)]
            kfile = self._kustomizations.get(folder)
            if kfile is not None:
                self._expand(kfile, self.target_namespace(ks), build, components)
            else:
                self._expand_generated(folder, self.target_namespace(ks), build, components)
            self._flux_builds[entry_key(ks)] = build
            for path in dict.fromkeys(build.files):
                self._appliers[path].append(ks)
            self._record(build)
            # Instances share their chain tuples: visit each tuple once.
            for chain in {id(inst.chain): inst.chain for inst in build.instances}.values():
                reached.update(chain)
        included: set[str] = set()
        for kfile in self._kustomizations.values():
            included.update(i.kustomization for i in self.includes(kfile) if i.kustomization)
        for folder, kfile in sorted(self._kustomizations.items()):
            if kfile not in reached and kfile not in included:
                self.kustomize_roots.append(kfile)
                self._record(self._plain_build(folder))

    def _record(self, build: _Build) -> None:
        for inst in build.instances:
            if inst.generated:
                self._generated.append(inst)
            else:
                self._instances[entry_key(inst.entry)].append(inst)

    def _variables_of(self, ks: IndexEntry) -> Mapping[str, str] | None:
        post = _dict(ks.data.get("spec")).get("postBuild")
        return self.variables(ks) if isinstance(post, dict) else None

    def _emit_file(self, path: str, namespace: str | None, build: _Build) -> None:
        build.files.append(path)
        entries = self._entries_by_path.get(path)
        emission = Emission(
            namespace,
            build.applier,
            build.root,
            build.chain(),
            build.variables,
            build.prefix,
            build.suffix,
        )
        self._emissions[path].append(emission)
        for entry in entries or ():
            build.instances.append(emission.instance(entry))

    def _expand(
        self,
        kfile: str,
        outer_ns: str | None,
        build: _Build,
        extra_components: list[str] | None = None,
    ) -> None:
        """Emit into ``build`` what kustomize builds from ``kfile``, in kustomize's order.

        Depth first with an explicit stack (``build.frames``) rather than recursion, so the
        depth of an include chain is not bounded by Python's recursion limit.
        """
        frames = build.frames
        self._enter(kfile, outer_ns, build, extra_components)
        while frames:
            child = self._advance(frames[-1], build)
            if child is None:
                self._leave(build)
            else:
                self._enter(child, frames[-1].namespace, build, None)

    def _enter(
        self,
        kfile: str,
        outer_ns: str | None,
        build: _Build,
        extra_components: list[str] | None,
    ) -> None:
        """Start expanding ``kfile``, or emit its recorded output if it was expanded before."""
        if kfile in build.active:
            return  # an include cycle; kustomize rejects it, nothing more to learn here
        key: _ExpansionKey | None = None if extra_components else (kfile, outer_ns)
        done = build.expanded.get(key) if key is not None else None
        if done is not None:
            self._replay(done, build)
            return
        data = self.index.kustomize_files[kfile].data if kfile in self.index.kustomize_files else {}
        includes = self.includes(kfile)
        if extra_components:  # a Flux Kustomization's spec.components, after the file's own
            base = posixpath.dirname(kfile)
            extra: list[Include] = []
            for ref in extra_components:
                path = _join(base, ref)
                if path is not None and path in self._kustomizations:
                    component = self._kustomizations[path]
                    extra.append(Include("components", COMPONENT, ref, path, component))
            includes = includes + extra
        frame = _Frame(
            kfile,
            key,
            includes,
            data,
            outer_ns if outer_ns is not None else _str(data.get("namespace")),
            build.prefix,
            build.suffix,
            len(build.instances),
        )
        build.prefix = frame.outer_prefix + (_str(data.get("namePrefix")) or "")
        build.suffix = (_str(data.get("nameSuffix")) or "") + frame.outer_suffix
        build.frames.append(frame)
        build.active.add(kfile)

    def _leave(self, build: _Build) -> None:
        """Finish the innermost expansion: restore the affixes around it, record its output."""
        frame = build.frames.pop()
        build.active.discard(frame.kfile)
        build.prefix, build.suffix = frame.outer_prefix, frame.outer_suffix
        if frame.key is not None:
            frame.end = len(build.instances)
            frame.depth = len(build.frames)
            build.expanded[frame.key] = frame

    def _advance(self, frame: _Frame, build: _Build) -> str | None:
        """Go on with an expansion: emit its files up to the next kustomization it includes
        and return that one, or, at its end, emit its generated objects and return None."""
        includes = frame.includes
        while frame.step < len(includes):
            inc = includes[frame.step]
            frame.step += 1
            if inc.role == RESOURCE:
                if inc.kustomization is not None:
                    return inc.kustomization
                if inc.path in self.files:
                    self._emit_file(inc.path, frame.namespace, build)
            elif inc.role == COMPONENT and inc.kustomization:
                return inc.kustomization
        self._emit_generated(frame.kfile, frame.data, frame.namespace, build)
        return None

    def _replay(self, done: _Frame, build: _Build) -> None:
        """Emit a finished expansion's objects again where the build reaches it once more.

        Only the include chain and the affixes of the enclosing kustomizations differ from the
        first time; each distinct object is emitted once (see the module docs for why).
        """
        if done.start == done.end:
            return
        prefix, suffix = build.prefix, build.suffix
        above = build.chain()
        chains: dict[int, tuple[str, ...]] = {}
        seen: set[tuple[int, str | None, str | None]] = set()
        for inst in build.instances[done.start : done.end]:
            entry = inst.entry
            renamed = inst.renamed
            name = entry.name
            if name and (inst.generated or entry.kind not in NOT_AFFIXED):
                written = renamed if renamed is not None else name
                inner = written[len(done.outer_prefix) : len(written) - len(done.outer_suffix)]
                full = prefix + inner + suffix
                renamed = full if len(full) != len(name) else None
            identity = (id(entry), inst.namespace, renamed)
            if identity in seen:
                continue
            seen.add(identity)
            chain = chains.get(id(inst.chain))
            if chain is None:
                chain = chains[id(inst.chain)] = above + inst.chain[done.depth :]
            build.instances.append(
                Instance(
                    entry,
                    inst.namespace,
                    inst.applier,
                    inst.root,
                    chain,
                    generated=inst.generated,
                    keys=inst.keys,
                    variables=inst.variables,
                    renamed=renamed,
                )
            )

    def _expand_generated(
        self, folder: str, namespace: str | None, build: _Build, components: list[str]
    ) -> None:
        """The kustomization kustomize-controller generates for a folder that has none."""
        done: set[str] = set()
        for path in sorted(self.files):
            if not _under(path, folder) or path == folder:
                continue
            if not path.endswith((".yaml", ".yml")):
                continue
            sub = self._topmost_kustomization_dir(path, folder)
            if sub is not None:
                if sub not in done:
                    done.add(sub)
                    self._expand(self._kustomizations[sub], namespace, build)
                continue
            self._emit_file(path, namespace, build)
        for ref in components:
            path = _join(folder, ref)
            if path is not None and path in self._kustomizations:
                self._expand(self._kustomizations[path], namespace, build)

    def _topmost_kustomization_dir(self, path: str, folder: str) -> str | None:
        found = None
        for parent in _parents(path):
            if parent == folder or not _under(parent, folder):
                break
            if parent in self._kustomizations:
                found = parent
        return found

    def _emit_generated(
        self,
        kfile: str,
        data: dict[str, Any],
        namespace: str | None,
        build: _Build,
    ) -> None:
        if not data.get("configMapGenerator") and not data.get("secretGenerator"):
            return
        variables = build.variables
        chain = build.chain()
        for gen_field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for gen in _list(data.get(gen_field)):
                gen = _dict(gen)
                name = _str(gen.get("name"))
                if name is None:
                    continue
                keys: set[str] | None = set()
                for item in _list(gen.get("files")):
                    if isinstance(item, str) and keys is not None:
                        keys.add(item.split("=", 1)[0] if "=" in item else posixpath.basename(item))
                for item in _list(gen.get("literals")):
                    if isinstance(item, str) and keys is not None:
                        keys.add(item.split("=", 1)[0])
                if gen.get("envs") or gen.get("env") or gen.get("behavior") in ("merge",):
                    keys = None
                ns = namespace if namespace is not None else _str(gen.get("namespace"))
                renamed = (
                    build.prefix + name + build.suffix if build.prefix or build.suffix else None
                )
                entry = IndexEntry(
                    path=kfile,
                    document=-1,
                    api_version="v1",
                    kind=kind,
                    namespace=ns,
                    name=name,
                    data={"apiVersion": "v1", "kind": kind, "metadata": {"name": name}},
                )
                build.instances.append(
                    Instance(
                        entry,
                        ns,
                        build.applier,
                        build.root,
                        chain,
                        generated=True,
                        keys=frozenset(keys) if keys is not None else None,
                        variables=variables,
                        renamed=renamed,
                    )
                )


def _normal_url(url: Any) -> str | None:
    """A Git URL without scheme, user, ``.git`` suffix or trailing slash, for comparison."""
    if not isinstance(url, str) or not url:
        return None
    text = re.sub(r"^[a-z+]+://", "", url.strip().lower())
    text = re.sub(r"^[^@/]+@", "", text).replace(":", "/")
    return text.removesuffix("/").removesuffix(".git")


def repo_graph(index: RepoIndex, *, local_names: Iterable[str] = (BOOTSTRAP_SOURCE,)) -> RepoGraph:
    """The graph of an index, built once and shared by every rule of the run.

    Cached on the index itself; the cache is dropped when the index has grown since (so a
    test that adds entries after a first query gets a fresh graph)."""
    names = frozenset(local_names)
    token = (len(index.entries), len(index.kustomize_files), len(index.files), names)
    cache = vars(index).setdefault("_repo_graph_cache", {})
    graph = cache.get(token)
    if graph is None:
        cache.clear()
        graph = cache[token] = RepoGraph(index, local_names=names)
    return graph


__all__ = [
    "CLUSTER_SCOPED",
    "COMPONENT",
    "DATA",
    "PATCH",
    "RESOURCE",
    "Include",
    "Instance",
    "RepoGraph",
    "entry_key",
    "is_flux_kustomization",
    "repo_graph",
    "substitute",
]
