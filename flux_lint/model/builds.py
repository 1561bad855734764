"""What each Flux Kustomization's build reads: its kustomization files and resource files.

The graph (:mod:`flux_lint.model.graph`) answers which *objects* a build emits. The rules about
build failures need the files instead, including the ones that emit nothing or do not exist:
every kustomization file a build goes through (so that a ``resources`` entry naming a missing
file is found even though it emits nothing), and the files kustomize-controller's generated
kustomization lists for a folder without one, minus what the source artifact leaves out.

Only Kustomizations that this repository deploys count (:func:`deployed`): a build that nothing
runs cannot fail, so reporting on it would be noise.

Usage::

    builds = repository_builds(graph)          # cached on the graph
    builds.kustomizations["apps/base/kustomization.yaml"].appliers
    builds.generated_files(ks)                  # files of the generated kustomization
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flux_lint.model.artifact import ArtifactFilter, relative_to
from flux_lint.model.graph import (
    COMPONENT,
    RESOURCE,
    SOURCE_GROUP,
    RepoGraph,
    entry_key,
)
from flux_lint.model.index import IndexEntry

FLUX_OPERATOR_GROUP = "fluxcd.controlplane.io"
YAML_EXTENSIONS = (".yaml", ".yml")


@dataclass
class KustomizationUse:
    """A kustomization file some deployed build goes through."""

    path: str
    appliers: list[IndexEntry] = field(default_factory=list)
    as_component: bool = False  # included through ``components`` (or ``spec.components``)
    parents: list[str] = field(default_factory=list)  # kustomization files that include it


@dataclass
class FluxBuild:
    """One deployed Flux Kustomization's build, as files."""

    ks: IndexEntry
    folder: str  # spec.path as a display path
    kustomization: str | None  # the folder's kustomization file; None: generated
    generated: list[str] = field(default_factory=list)  # files the generated one lists
    excluded: list[str] = field(default_factory=list)  # YAML files the artifact leaves out


@dataclass
class RepositoryBuilds:
    kustomizations: dict[str, KustomizationUse]
    builds: list[FluxBuild]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _under(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


def sync_folders(graph: RepoGraph) -> set[str]:
    """Folders that a FluxInstance's ``spec.sync.path`` makes Flux apply (display paths)."""
    found = set()
    for inst in graph.index.of_kind("FluxInstance", FLUX_OPERATOR_GROUP):
        path = _dict(_dict(inst.data.get("spec")).get("sync")).get("path")
        if isinstance(path, str) and "${" not in path:
            rel = posixpath.normpath("/" + path.strip()).lstrip("/")
            rel = "" if rel == "." else rel
            found.add(posixpath.join(graph.root, rel) if graph.root and rel else graph.root or rel)
    return found


def deployed(graph: RepoGraph, ks: IndexEntry, applied: Any = None) -> bool:
    """Does this repository deploy the Flux Kustomization ``ks``?

    With the run's applied set (:mod:`flux_lint.model.applied`) known, exactly when that set
    applies the Kustomization's file. Otherwise (no entry point resolved):

    * A Kustomization whose file a deployed Kustomization applies (its own build included, as
      for ``flux-system`` in ``gotk-sync.yaml``) is deployed.
    * One whose file nothing in the repository applies is an entry point (the Kustomization
      that bootstrap or a FluxInstance creates in the cluster is often not committed), unless
      the folder of a Flux Kustomization's ``spec.path`` holds the file and its build leaves it
      out (an app commented out of its parent's kustomization.yaml): that one is not deployed.
    * A FluxInstance's ``spec.sync.path`` folder deploys what its build applies; without a
      Kustomization object for it in the repository, every Kustomization below it counts.
    """
    if applied is not None and getattr(applied, "known", False):
        return bool(applied.applies(ks.path))
    cache = vars(graph).setdefault("_deployed_cache", {})
    if "sync" not in cache:
        cache["sync"] = sync_folders(graph)
    return _is_deployed(graph, ks, cache["sync"], cache)


def _is_deployed(graph: RepoGraph, ks: IndexEntry, sync: set[str], memo: dict[Any, Any]) -> bool:
    key = entry_key(ks)
    if key in memo:
        return bool(memo[key])
    memo[key] = False  # Kustomizations applying each other in a cycle deploy nothing new
    appliers = graph.appliers(ks.path)
    if appliers:
        result = any(other is ks or _is_deployed(graph, other, sync, memo) for other in appliers)
    else:
        result = graph.left_out_by(ks.path) is None or any(
            _under(ks.path, folder) for folder in sync
        )
    memo[key] = result
    return result


def artifact_filter(
    graph: RepoGraph, ks: IndexEntry, read_ignore: Callable[[str], Sequence[str] | None]
) -> ArtifactFilter:
    """What source-controller leaves out of the artifact ``ks`` reads (see
    :mod:`flux_lint.model.artifact`): ``.sourceignore`` files below the repository root and the
    GitRepository's ``spec.ignore``."""
    kind, name, _ = graph.source_ref(ks)
    spec_ignore = None
    if kind == "GitRepository" and name:
        for repo in graph.index.find("GitRepository", name, group=SOURCE_GROUP):
            value = _dict(repo.data.get("spec")).get("ignore")
            if isinstance(value, str):
                spec_ignore = value
                break
    root = graph.root
    folders = [rel for f in graph.folders if (rel := relative_to(f, root)) is not None]

    def read(folder: str) -> Sequence[str] | None:
        return read_ignore(posixpath.join(root, folder) if root and folder else root or folder)

    return ArtifactFilter.for_repository(read, folders, spec_ignore)


def repository_builds(
    graph: RepoGraph,
    read_ignore: Callable[[str], Sequence[str] | None] | None = None,
    applied: Any = None,
) -> RepositoryBuilds:
    """Every deployed build as files (cached on the graph); ``applied`` is the run's applied
    set, when it is known."""
    cache = vars(graph).setdefault("_repository_builds", {})
    found = cache.get("builds")
    if found is not None:
        return found
    reader = read_ignore or (lambda folder: None)
    uses: dict[str, KustomizationUse] = {}
    builds: list[FluxBuild] = []
    for ks in graph.flux_kustomizations:
        if not graph.is_local_source(ks) or not deployed(graph, ks, applied):
            continue
        folder = graph.path_folder(ks)
        if folder is None or folder not in graph.folders:
            continue
        kfile = graph.kustomization_in(folder)
        build = FluxBuild(ks, folder, kfile)
        builds.append(build)
        starts: list[tuple[str, bool, str | None]] = []
        if kfile is not None:
            starts.append((kfile, False, None))
        else:
            excluded = artifact_filter(graph, ks, reader)
            for sub, files in _generated(graph, folder):
                if sub is not None:
                    starts.append((sub, False, None))
                for path in files:
                    rel = relative_to(path, graph.root)
                    left_out = applied is not None and path in getattr(applied, "excluded", ())
                    if left_out or (rel is not None and excluded(rel)):
                        build.excluded.append(path)
                    else:
                        build.generated.append(path)
        for ref in _list(_dict(ks.data.get("spec")).get("components")):
            if isinstance(ref, str) and "${" not in ref:
                target = graph.kustomization_in(posixpath.normpath(posixpath.join(folder, ref)))
                if target is not None:
                    starts.append((target, True, kfile))
        _visit(graph, ks, starts, uses)
    found = RepositoryBuilds(uses, builds)
    cache["builds"] = found
    return found


def _visit(
    graph: RepoGraph,
    ks: IndexEntry,
    starts: list[tuple[str, bool, str | None]],
    uses: dict[str, KustomizationUse],
) -> None:
    stack = list(reversed(starts))
    seen: set[str] = set()
    while stack:
        kfile, as_component, parent = stack.pop()
        use = uses.get(kfile)
        if use is None:
            use = uses[kfile] = KustomizationUse(kfile)
        if ks not in use.appliers:
            use.appliers.append(ks)
        use.as_component = use.as_component or as_component
        if parent is not None and parent not in use.parents:
            use.parents.append(parent)
        if kfile in seen:
            continue
        seen.add(kfile)
        for inc in reversed(graph.includes(kfile)):
            if inc.kustomization is not None and inc.role in (RESOURCE, COMPONENT):
                stack.append((inc.kustomization, inc.role == COMPONENT, kfile))


def _generated(graph: RepoGraph, folder: str) -> list[tuple[str | None, list[str]]]:
    """The generated kustomization of a folder: subfolders with a kustomization file (one
    resource each, not descended into) and the YAML files elsewhere below the folder."""
    subfolders: dict[str, None] = {}
    files: list[str] = []
    for path in sorted(graph.files):
        if not _under(path, folder) or path == folder:
            continue
        if posixpath.splitext(path)[1] not in YAML_EXTENSIONS:
            continue  # kustomize-controller compares the extension case-sensitively
        sub = _topmost_kustomization(graph, path, folder)
        if sub is not None:
            subfolders.setdefault(sub, None)
        else:
            files.append(path)
    out: list[tuple[str | None, list[str]]] = [(k, []) for k in subfolders]
    out.append((None, files))
    return out


def _topmost_kustomization(graph: RepoGraph, path: str, folder: str) -> str | None:
    found = None
    current = posixpath.dirname(path)
    while current and current != folder and _under(current, folder):
        kfile = graph.kustomization_in(current)
        if kfile is not None:
            found = kfile
        current = posixpath.dirname(current)
    return found


__all__ = [
    "FluxBuild",
    "KustomizationUse",
    "RepositoryBuilds",
    "artifact_filter",
    "deployed",
    "repository_builds",
    "sync_folders",
]
