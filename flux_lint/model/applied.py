"""The applied set: which files of the repository Flux actually applies, and through what.

Flux applies objects, not files. A repository holds much that no controller ever reads: an
``.archive/`` folder, an app whose ``ks.yaml`` is commented out of the kustomization that
would include it, templates nothing references. Findings there are noise a maintainer rejects,
so the checks run on what Flux applies (README, "How flux-lint reads a repository").

How it is worked out, following the controllers:

1. **Entry points**, where Flux enters the repository:

   * a Flux Kustomization whose ``spec.path`` build contains its own manifest (the
     ``flux bootstrap`` shape: ``clusters/<name>/flux-system/gotk-sync.yaml`` applying
     ``./clusters/<name>``), when its source is this repository;
   * a FluxInstance's ``spec.sync`` (flux-operator creates a source and a Kustomization named
     after the instance's namespace from it), and the same block in the values of a HelmRelease
     of the ``flux-instance`` chart, which renders that FluxInstance;
   * for an OCI sync whose ``path`` does not exist at the top of the repository but under one
     folder (CI pushes ``./kubernetes`` as the artifact), that folder is taken as the
     artifact's root and the summary says so;
   * the Flux Kustomizations a ResourceSet renders (flux-operator applies them as rendered,
     :mod:`flux_lint.model.resourceset`) whose source is this repository: the bootstrap source,
     a FluxInstance's sync source, or a GitRepository/OCIRepository rendered alongside whose
     URL is this repository's. They are followed when the ResourceSet itself is applied, and
     in a repository with no other entry point every ResourceSet is taken as applied. The
     inline ``postBuild.substitute`` values of the Kustomization applying a ResourceSet are
     substituted into it before it is rendered, as kustomize-controller does. A path or
     source printed from inputs only the cluster knows (a provider flux-lint cannot query, a
     ``${VAR}`` with no known value) enters nothing. Kustomizations rendered for other
     repositories' artifacts are not entry points here.

   Several clusters give several entry points; the applied set is their union.

2. **Reachability.** From each entry point the build is followed as kustomize-controller does
   it (:mod:`flux_lint.model.graph`: ``spec.path`` with its kustomization files, or the
   kustomization the controller generates for a folder without one), and every Flux
   Kustomization found in an applied file whose source is this repository is followed in
   turn. A Flux Kustomization that no applied file holds (an orphan) applies nothing.

3. **What the artifact holds.** source-controller leaves files out of a GitRepository artifact
   by ``.sourceignore`` files (each scoped to its folder) and ``spec.ignore``; without any such
   pattern its default exclusions apply (CI folders, ``.sops.yaml``, ...), and with one they
   are replaced except for the VCS entries (fluxcd/pkg ``sourceignore``, ``SourceIgnoreFilter``
   in fluxcd/pkg ``artifact/storage``; ``../shared`` kustomize-controller facts §4). A file
   left out of the artifact is applied by nothing.

Where no entry point resolves (a bare folder of manifests, a fleet repository whose sources
live elsewhere), :attr:`AppliedSet.known` is False and every file is checked, with the reason
in :attr:`AppliedSet.note`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flux_lint.model.applied_set import (
    FLUX_INSTANCE_CHART,
    OPERATOR_GROUP,
    AppliedSet,
    EntryPoint,
)
from flux_lint.model.artifact import ArtifactFilter
from flux_lint.model.graph import BOOTSTRAP_SOURCE, LOCAL_SOURCE_KINDS, RepoGraph
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.objects import FLUX_KUSTOMIZE_GROUP, SOURCE_GROUP

#: The folder ``flux bootstrap --path=clusters/<name>`` writes into (at any depth).
CLUSTERS_FOLDER = "clusters"
#: The files ``flux bootstrap`` writes into ``<path>/flux-system/``.
BOOTSTRAP_FILES = frozenset({"gotk-sync.yaml", "gotk-components.yaml"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _folder(path: str) -> str | None:
    """A ``spec.path``/``sync.path`` as a folder relative to the artifact root; None when it
    cannot be read (a placeholder, not a string)."""
    if "${" in path:
        return None
    rel = posixpath.normpath("/" + path.strip()).lstrip("/")
    return "" if rel == "." else rel


def _is_flux_instance_chart(entry: IndexEntry, index: RepoIndex) -> bool:
    spec = _dict(entry.data.get("spec"))
    chart = _str(_dict(_dict(spec.get("chart")).get("spec")).get("chart"))
    if chart and chart.rstrip("/").rpartition("/")[2] == FLUX_INSTANCE_CHART:
        return True
    ref = _dict(spec.get("chartRef"))
    name = _str(ref.get("name"))
    if ref.get("kind") != "OCIRepository" or name is None:
        return False
    if name == FLUX_INSTANCE_CHART:
        return True
    for repo in index.find("OCIRepository", name, _str(ref.get("namespace")) or entry.namespace):
        url = _str(_dict(repo.data.get("spec")).get("url"))
        if url and url.rstrip("/").rpartition("/")[2] == FLUX_INSTANCE_CHART:
            return True
    return False


def _syncs(index: RepoIndex) -> list[tuple[IndexEntry, str, dict[str, Any]]]:
    """(object, kind shown, sync block) of every FluxInstance and flux-instance HelmRelease."""
    found = []
    for entry in index.of_kind("FluxInstance", OPERATOR_GROUP):
        sync = _dict(_dict(entry.data.get("spec")).get("sync"))
        if sync:
            found.append((entry, "FluxInstance", sync))
    for entry in index.of_kind("HelmRelease"):
        if not entry.group.startswith("helm.toolkit.") or not _is_flux_instance_chart(entry, index):
            continue
        values = _dict(_dict(entry.data.get("spec")).get("values"))
        sync = _dict(_dict(values.get("instance")).get("sync"))
        if sync:
            found.append((entry, "HelmRelease", sync))
    return found


def _synthetic_kustomization(entry: IndexEntry, sync: dict[str, Any], spec_path: str) -> IndexEntry:
    """The Kustomization flux-operator creates for a sync block (named after the instance's
    namespace, ``flux-system`` in practice), standing in for it in the graph."""
    namespace = entry.namespace or BOOTSTRAP_SOURCE
    name = _str(sync.get("name")) or namespace
    kind = _str(sync.get("kind")) or "GitRepository"
    data = {
        "apiVersion": f"{FLUX_KUSTOMIZE_GROUP}/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"path": spec_path, "sourceRef": {"kind": kind, "name": BOOTSTRAP_SOURCE}},
    }
    api_version = data["apiVersion"]
    return IndexEntry(
        entry.path, entry.document, api_version, "Kustomization", namespace, name, data
    )


def _folder_kustomization(folder: str, spec_path: str) -> IndexEntry:
    """A bootstrap Kustomization applying ``folder``, for a cluster folder without one."""
    data = {
        "apiVersion": f"{FLUX_KUSTOMIZE_GROUP}/v1",
        "kind": "Kustomization",
        "metadata": {"name": BOOTSTRAP_SOURCE, "namespace": BOOTSTRAP_SOURCE},
        "spec": {
            "path": spec_path,
            "sourceRef": {"kind": "GitRepository", "name": BOOTSTRAP_SOURCE},
        },
    }
    api_version = data["apiVersion"]
    return IndexEntry(
        folder, 0, api_version, "Kustomization", BOOTSTRAP_SOURCE, BOOTSTRAP_SOURCE, data
    )


def _bootstrap_folders(graph: RepoGraph) -> list[str]:
    """Where ``flux bootstrap --path=<folder>`` put Flux, when its sync manifest is not there
    to say so (not committed, or committed empty): folders holding ``flux-system/`` with the
    bootstrap files; failing that, the ``clusters/<name>/`` folders of the usual layout."""
    found = sorted(
        {
            posixpath.dirname(posixpath.dirname(path))
            for path in graph.files
            if posixpath.basename(path) in BOOTSTRAP_FILES
            and posixpath.basename(posixpath.dirname(path)) == BOOTSTRAP_SOURCE
        }
    )
    if found:
        return found
    return [
        folder
        for folder in sorted(graph.folders)
        if folder.rpartition("/")[2]
        and folder.rpartition("/")[0].rpartition("/")[2] == CLUSTERS_FOLDER
    ]


def _self_applying(graph: RepoGraph) -> bool:
    return any(
        graph.is_local_source(ks) and ks.path in graph.applied_files(ks)
        for ks in graph.flux_kustomizations
    )


def _resolve_sync_folder(path: str, kind: str, graph: RepoGraph) -> tuple[str | None, str | None]:
    """The repository folder (display path) a sync ``path`` names, and a note when an
    artifact root other than the repository's top had to be assumed (gitless: CI pushes a
    sub-folder as the artifact)."""
    folder = _folder(path)
    if folder is None:
        return None, None
    shown = posixpath.join(graph.root, folder) if graph.root else folder
    shown = shown.rstrip("/") if folder else graph.root
    if shown in graph.folders:
        return shown, None
    if kind != "OCIRepository" or not folder:
        return None, None
    hits = sorted(f for f in graph.folders if f.endswith("/" + folder) and _below(f, graph.root))
    if len(hits) != 1:
        return None, None
    root = hits[0][: -len(folder) - 1]
    return hits[0], f"OCI artifact root assumed at `{root}/` (its sync path `{path}` is there)"


def _below(path: str, root: str) -> bool:
    return not root or path.startswith(root + "/")


def _relative(folder: str, root: str) -> str:
    """A display folder as a ``spec.path`` against the graph's root."""
    if root and (folder == root or folder.startswith(root + "/")):
        return folder[len(root) + 1 :] or "./"
    return folder or "./"


def _walk(display: str) -> tuple[str, ...]:
    """source-controller's walk order: a folder's ``.sourceignore`` before its subfolders'."""
    folder = posixpath.dirname(display)
    return tuple(folder.split("/")) if folder else ()


def _spec_ignore(repo: IndexEntry) -> str | None:
    return _str(_dict(repo.data.get("spec")).get("ignore")) or None


def _local_git_ignores(graph: RepoGraph, index: RepoIndex) -> list[str]:
    """``spec.ignore`` of the GitRepositories that are this repository."""
    found = []
    for repo in index.of_kind("GitRepository", SOURCE_GROUP):
        if repo.name and graph.is_local_source_name("GitRepository", repo.name):
            ignore = _spec_ignore(repo)
            if ignore:
                found.append(ignore)
    return found


def compute(
    index: RepoIndex,
    sourceignores: Mapping[str, str] | None = None,
    *,
    local_names: Iterable[str] = (BOOTSTRAP_SOURCE,),
) -> AppliedSet:
    """The applied set of a repository from its structural index (every file path, the
    structural objects and the kustomize files; see :data:`STRUCTURE_MARKERS`) and the texts
    of its ``.sourceignore`` files by display path."""
    local_names = tuple(local_names)
    user = [
        (posixpath.dirname(display), text.split("\n"))
        for display, text in sorted((sourceignores or {}).items(), key=lambda i: _walk(i[0]))
    ]
    # A graph is made here only when a GitRepository has ``spec.ignore`` (which ones are
    # this repository is a question for the graph, answered without its builds, which are
    # most of this function's work: they are worked out only if this graph is used on).
    whole: RepoGraph | None = None
    if any(_spec_ignore(repo) for repo in index.of_kind("GitRepository", SOURCE_GROUP)):
        whole = RepoGraph(index, local_names=local_names, build=False)
        user += [("", ignore.splitlines()) for ignore in _local_git_ignores(whole, index)]
    artifact = ArtifactFilter.from_patterns(user)
    excluded = frozenset(p for p in RepoGraph.files_of(index) if artifact(p))
    work = index
    if excluded:
        work = index.filtered(lambda path: path not in excluded)
    notes: list[str] = []
    synthetic: list[tuple[IndexEntry, EntryPoint]] = []
    # The builds of the plain graph are only needed when no sync names an entry point: with
    # one, the graph is built once, with the synthetic Kustomizations in it.
    if whole is not None and not excluded:
        plain_graph = whole
    else:
        plain_graph = RepoGraph(work, local_names=local_names, build=False)
    for entry, shown, sync in _syncs(work):
        path = _str(sync.get("path"))
        kind = _str(sync.get("kind")) or "GitRepository"
        if path is None or kind not in LOCAL_SOURCE_KINDS:
            continue
        folder, note = _resolve_sync_folder(path, kind, plain_graph)
        if folder is None:
            continue
        if note:
            notes.append(note)
        ks = _synthetic_kustomization(entry, sync, _relative(folder, plain_graph.root))
        name = entry.name or "?"
        synthetic.append((ks, EntryPoint(shown, name, entry.path, folder)))
    if not synthetic and not _self_applying(plain_graph.built()):
        for folder in _bootstrap_folders(plain_graph):
            ks = _folder_kustomization(folder, _relative(folder, plain_graph.root))
            synthetic.append((ks, EntryPoint("folder", folder, folder, folder)))
    if synthetic:
        extended = work.filtered(lambda path: True)
        for ks, _ in synthetic:
            extended.add(ks)
        graph = RepoGraph(extended, local_names=local_names)
    else:
        extended = work
        graph = plain_graph.built()
    rendered = rendered_kustomizations(work, graph, local_names)
    if rendered:
        extended = extended.filtered(lambda path: True)
        for item in rendered:
            extended.add(item.entry)
        graph = RepoGraph(extended, local_names=local_names)
    rendered_ids = {id(item.entry) for item in rendered}

    roots: list[tuple[IndexEntry, EntryPoint]] = list(synthetic)
    for ks in graph.flux_kustomizations:
        if any(ks is s for s, _ in synthetic) or not graph.is_local_source(ks):
            continue
        if id(ks) in rendered_ids:
            continue
        files = graph.applied_files(ks)
        if ks.path in files:
            folder = graph.path_folder(ks) or ""
            roots.append((ks, EntryPoint("Kustomization", ks.name or "?", ks.path, folder)))
    # Without any other entry point, every ResourceSet is taken as applied: its file, the
    # providers it reads and the Kustomizations it renders.
    applied: dict[str, list[str]] = {}
    if not roots and rendered:
        for item in rendered:
            folder = graph.path_folder(item.entry) or ""
            point = EntryPoint("ResourceSet", item.resourceset, item.entry.path, folder)
            roots.append((item.entry, point))
        for entry in _operator_inputs(work):
            label = f"{entry.kind} {entry.namespace or BOOTSTRAP_SOURCE}/{entry.name or '?'}"
            names = applied.setdefault(entry.path, [])
            if label not in names:
                names.append(label)
    if not roots:
        reason = "no Flux entry point found in the repository"
        return AppliedSet(note=reason, excluded=excluded, graph=graph)

    by_path: dict[str, list[IndexEntry]] = {}
    for ks in graph.flux_kustomizations:
        by_path.setdefault(ks.path, []).append(ks)
    seen: set[int] = set()
    queue = [ks for ks, _ in roots]
    while queue:
        ks = queue.pop()
        if id(ks) in seen:
            continue
        seen.add(id(ks))
        label = f"{ks.namespace or BOOTSTRAP_SOURCE}/{ks.name or '?'}"
        for path in _build_files(graph, ks):
            names = applied.setdefault(path, [])
            if label not in names:
                names.append(label)
            for child in by_path.get(path, ()):
                if id(child) not in seen and graph.is_local_source(child):
                    queue.append(child)
    notes.extend(_entered_note(graph, [item for item in rendered if id(item.entry) in seen]))
    return AppliedSet(
        entry_points=[point for _, point in roots],
        files={path: tuple(sorted(names)) for path, names in applied.items()},
        excluded=excluded,
        note="; ".join(notes) or None,
        graph=graph,
    )


def _build_files(graph: RepoGraph, ks: IndexEntry) -> list[str]:
    """Every file a Flux Kustomization's build reads: the files whose objects it applies, and
    the kustomization files, patches, components and generator inputs on the way."""
    files = list(graph.applied_files(ks))
    folder = graph.path_folder(ks)
    if folder is None:
        return files
    pending = []
    top = graph.kustomization_in(folder)
    if top:
        pending.append(top)
    for component in _dict(ks.data.get("spec")).get("components") or ():
        if isinstance(component, str):
            joined = posixpath.normpath(posixpath.join(folder, component))
            kfile = graph.kustomization_in(joined)
            if kfile:
                pending.append(kfile)
    for path in files:  # kustomization files of folders a generated build took whole
        kfile = graph.kustomization_in(posixpath.dirname(path))
        if kfile:
            pending.append(kfile)
    done: set[str] = set()
    while pending:
        kfile = pending.pop()
        if kfile in done:
            continue
        done.add(kfile)
        files.append(kfile)
        for include in graph.includes(kfile):
            if include.kustomization:
                pending.append(include.kustomization)
            elif include.path:
                files.append(include.path)
    return list(dict.fromkeys(files))


# -- Kustomizations rendered by ResourceSets ---------------------------------------------------


@dataclass
class RenderedKustomization:
    """A Flux Kustomization a ResourceSet renders, whose source is this repository.

    ``entry`` stands for it in the graph: the ResourceSet's file and document, the rendered
    data with ``sourceRef`` naming this repository's bootstrap source (the graph's notion of
    "this repository"), and ``rendered`` set so that it is no object of the ResourceSet's file.
    """

    entry: IndexEntry
    resourceset: str  # namespace/name
    inputs: str  # label of the input set ("" without inputs)


def _operator_inputs(index: RepoIndex) -> list[IndexEntry]:
    """The ResourceSets and ResourceSetInputProviders of the index."""
    return [
        entry
        for kind in ("ResourceSet", "ResourceSetInputProvider")
        for entry in index.of_kind(kind, OPERATOR_GROUP)
        if not entry.partial
    ]


def _local_sources(
    index: RepoIndex, graph: RepoGraph, local_names: tuple[str, ...]
) -> tuple[set[tuple[str, str | None]], set[str]]:
    """This repository as a source: (name, namespace; None = any) pairs of the sources that
    are it, and their normalized URLs.

    The bootstrap source lives in ``flux-system``; flux-operator names a FluxInstance's sync
    source after ``sync.name`` or the instance's namespace, in that namespace; a committed
    GitRepository/OCIRepository the graph takes as this repository keeps its own namespace.
    """
    from flux_lint.model.graph import _normal_url

    names: set[tuple[str, str | None]] = {(name, BOOTSTRAP_SOURCE) for name in local_names}
    urls: set[str] = set()
    for entry, _shown, sync in _syncs(index):
        namespace = entry.namespace or BOOTSTRAP_SOURCE
        names.add((_str(sync.get("name")) or namespace, namespace))
        url = _normal_url(sync.get("url"))
        if url:
            urls.add(url)
    for kind in sorted(LOCAL_SOURCE_KINDS):
        for repo in index.of_kind(kind, SOURCE_GROUP):
            if repo.rendered is None and repo.name and graph.is_local_source_name(kind, repo.name):
                names.add((repo.name, repo.namespace))
                url = _normal_url(_dict(repo.data.get("spec")).get("url"))
                if url:
                    urls.add(url)
    return names, urls


def rendered_kustomizations(
    index: RepoIndex, graph: RepoGraph, local_names: Iterable[str] = (BOOTSTRAP_SOURCE,)
) -> list[RenderedKustomization]:
    """The Flux Kustomizations the repository's ResourceSets render whose source is this
    repository (see the module docstring), rendered as flux-operator does with the
    repository's ResourceSetInputProviders, once per set of post-build variables the
    Kustomizations applying the ResourceSet substitute into it first. A ResourceSet whose
    build fails (a template problem that stops the operator) renders nothing."""
    from flux_lint.model.resourceset import is_resourceset

    resourcesets = [e for e in index.of_kind("ResourceSet", OPERATOR_GROUP) if not e.partial]
    if not resourcesets:
        return []
    local_names = tuple(local_names)
    names, urls = _local_sources(index, graph, local_names)
    providers = [e.data for e in index.of_kind("ResourceSetInputProvider", OPERATOR_GROUP)]
    found: list[RenderedKustomization] = []
    for rs in resourcesets:
        if not is_resourceset(rs.data):
            continue
        seen: set[tuple[Any, ...]] = set()
        for data in _substituted(rs, graph):
            for item in _local_kustomizations(rs, data, providers, names, urls, local_names):
                spec = _dict(item.entry.data.get("spec"))
                key = (item.entry.namespace, item.entry.name, spec.get("path"))
                if key not in seen:
                    seen.add(key)
                    found.append(item)
    return found


SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute"


def _substituted(rs: IndexEntry, graph: RepoGraph) -> list[dict[str, Any]]:
    """The ResourceSet as the operator receives it: kustomize-controller substitutes the
    post-build variables of the Flux Kustomization that applies it before the operator renders
    it (fluxcd/pkg ``kustomize/kustomize_varsub.go``), once per applier. Only inline
    ``postBuild.substitute`` values are known here; a placeholder they do not resolve stays as
    written (and a path holding one enters nothing)."""
    from flux_lint.model.instances import substitute

    meta = _dict(rs.data.get("metadata"))
    opted_out = any(
        _dict(meta.get(key)).get(SUBSTITUTE_ANNOTATION) == "disabled"
        for key in ("labels", "annotations")
    )
    if opted_out or "${" not in repr(rs.data):
        return [rs.data]
    variants: list[dict[str, Any]] = []
    for applier in graph.appliers(rs.path):
        post = _dict(applier.data.get("spec")).get("postBuild")
        if not isinstance(post, dict):
            continue
        variables = {
            str(k): str(v) for k, v in _dict(post.get("substitute")).items() if isinstance(v, str)
        }

        def walk(value: Any, variables: dict[str, str] = variables) -> Any:
            if isinstance(value, str):
                done = substitute(value, variables)
                return value if done is None else done
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            return value

        data = walk(rs.data)
        if data not in variants:
            variants.append(data)
    return variants or [rs.data]


def _local_kustomizations(
    rs: IndexEntry,
    rs_data: dict[str, Any],
    providers: list[dict[str, Any]],
    names: set[tuple[str, str | None]],
    urls: set[str],
    local_names: tuple[str, ...],
) -> list[RenderedKustomization]:
    """The Flux Kustomizations one rendering of a ResourceSet yields whose source is this
    repository."""
    from flux_lint.model.graph import _normal_url
    from flux_lint.model.resourceset import printed_from_placeholders, render_unlocated
    from flux_lint.model.resourceset.render import BUILD_FAILS

    found: list[RenderedKustomization] = []
    try:
        result = render_unlocated(rs_data, path=rs.path, document=rs.document, providers=providers)
    except Exception:  # the check stage reports it (FL009); here it enters nothing
        return found
    if any(p.rule_id in BUILD_FAILS for p in result.problems):
        return found
    # Sources rendered alongside: (kind, name, namespace) → this repository or not.
    rendered_sources: dict[tuple[str, str, str | None], bool] = {}
    for obj in result.objects:
        data = obj.data
        meta = _dict(data.get("metadata"))
        kind, name = _str(data.get("kind")), _str(meta.get("name"))
        group = str(data.get("apiVersion", "")).rpartition("/")[0]
        if kind in LOCAL_SOURCE_KINDS and group == SOURCE_GROUP and name:
            url = _normal_url(_dict(data.get("spec")).get("url"))
            certain = not printed_from_placeholders(obj, "/spec/url")
            key = (kind, name, _str(meta.get("namespace")))
            rendered_sources[key] = bool(url and certain and url in urls)
    resourceset = f"{rs.namespace or ''}/{rs.name or '?'}"
    for obj in result.objects:
        data = obj.data
        if data.get("kind") != "Kustomization":
            continue
        if str(data.get("apiVersion", "")).rpartition("/")[0] != FLUX_KUSTOMIZE_GROUP:
            continue
        spec = _dict(data.get("spec"))
        ref = _dict(spec.get("sourceRef"))
        kind, name = _str(ref.get("kind")), _str(ref.get("name"))
        path = spec.get("path", "")
        if kind not in LOCAL_SOURCE_KINDS or name is None or not isinstance(path, str):
            continue
        if "${" in path or any(
            printed_from_placeholders(obj, pointer)
            for pointer in ("/spec/path", "/spec/sourceRef/name")
            if pointer != "/spec/path" or path
        ):
            continue
        meta = _dict(data.get("metadata"))
        namespace = _str(ref.get("namespace")) or _str(meta.get("namespace"))
        alongside = [
            local
            for (k, n, ns), local in rendered_sources.items()
            if k == kind and n == name and (ns is None or namespace is None or ns == namespace)
        ]
        if alongside:
            if not all(alongside):
                continue
        elif not any(
            n == name and (ns is None or namespace is None or ns == namespace) for n, ns in names
        ):
            continue
        stand_in = {
            **data,
            "spec": {**spec, "sourceRef": {"kind": kind, "name": local_names[0]}},
        }
        entry = IndexEntry(
            rs.path,
            rs.document,
            str(data["apiVersion"]),
            "Kustomization",
            _str(meta.get("namespace")),
            _str(meta.get("name")),
            stand_in,
            rendered=obj,
        )
        found.append(RenderedKustomization(entry, resourceset, obj.origin.inputs))
    return found


def _entered_note(graph: RepoGraph, entered: list[RenderedKustomization]) -> list[str]:
    """One summary line per ResourceSet whose rendered Kustomizations were followed, naming
    the folders they apply."""
    folders: dict[tuple[str, str], list[str]] = {}
    for item in entered:
        folder = graph.path_folder(item.entry)
        if folder is None or folder not in graph.folders:
            continue
        shown = f"{folder or '.'}/"
        if item.inputs:
            shown += f" (inputs {item.inputs})"
        listed = folders.setdefault((item.resourceset, item.entry.path), [])
        if shown not in listed:
            listed.append(shown)
    return [
        f"Kustomizations rendered by ResourceSet {name} ({path}) apply " + ", ".join(shown)
        for (name, path), shown in folders.items()
    ]
