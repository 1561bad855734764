"""What stops kustomize-controller's build, found in the kustomization files (FL513–FL519).

Every rule here reports on a build that a Flux Kustomization of this repository deploys
(:mod:`flux_lint.model.builds`), at the line of the kustomization file or manifest that causes
the failure. The failures and their sources (kustomize-controller v1.9.4, fluxcd/pkg kustomize
v1.35.4, kustomize api v0.21.1):

* **FL513** a ``resources``/``bases``/``components`` entry, a patch ``path`` or a generator file
  that does not exist, or a folder without a kustomization file: kustomize's
  ``accumulateResources``/``accumulateComponents`` (``api/internal/target/kusttarget.go``) and
  the patch and generator loaders fail.
* **FL514** an entry that leads out of the source artifact (``../`` beyond the repository
  root): the build's file system is ``securefs.MakeFsOnDiskSecure(root)``
  (fluxcd/pkg ``kustomize/filesys/fs_secure.go``), which refuses it.
* **FL515** two kustomization files in one folder: ``LoadKustFile`` fails with "Found multiple
  kustomization files under".
* **FL516** a document without ``kind``, ``apiVersion`` or ``metadata.name`` read as a resource,
  most often a Helm values file or a CI config in a folder for which kustomize-controller
  generates the kustomization (every ``.yaml``/``.yml`` file below it, fluxcd/pkg
  ``kustomize_generator.go`` ``scanManifests``): kustomize's ``dropBadNodes`` fails with
  "missing kind in object" / "missing metadata.name in object", and kustomize-controller with
  "failed to decode Kubernetes apiVersion, kind and name". Files the artifact leaves out
  (``.sourceignore``, ``spec.ignore``, the default exclusions) are not read.
* **FL517** a strategic-merge patch without ``target`` whose kind and name no resource of the
  kustomization has: "no resource matches strategic merge patch" (``PatchTransformer.go``).
* **FL518** a JSON 6902 patch without ``target``: "must specify a target for JSON patch".
* **FL519** ``helmCharts``: kustomize-controller builds without Helm ("must specify
  --enable-helm").

Files the index does not hold (a generator's ``.env`` file, a ``Kustomization`` file without
extension, files excluded from linting) are looked up on disk below the run's root, so a rule
never reports a file missing that is there; without a root the existence rules stay silent.
"""

from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.rules.references import resolver
from flux_lint.core.findings import KEY, VALUE, Problem
from flux_lint.model.artifact import ArtifactFilter, relative_to
from flux_lint.model.builds import (
    KustomizationUse,
    RepositoryBuilds,
    artifact_filter,
    repository_builds,
)
from flux_lint.model.graph import RESOURCE, RepoGraph
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.kustomize import KUSTOMIZATION_FILES

RULE_MISSING = "FL513"
RULE_OUTSIDE = "FL514"
RULE_MULTIPLE = "FL515"
RULE_NOT_OBJECT = "FL516"
RULE_SMP_NOTHING = "FL517"
RULE_JSON_TARGET = "FL518"
RULE_HELM = "FL519"

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _under(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


# -- the file system below the run's root ---------------------------------------------------


class Disk:
    """Read-only questions about files below the run's root (display paths)."""

    def __init__(self, root: Path | None):
        self.root = root
        self._ignores: dict[str, list[str] | None] = {}

    def _path(self, display: str) -> str | None:
        if self.root is None:
            return None
        return os.path.join(self.root, *display.split("/")) if display else str(self.root)

    def is_file(self, display: str) -> bool | None:
        path = self._path(display)
        return None if path is None else os.path.isfile(path)

    def is_dir(self, display: str) -> bool | None:
        path = self._path(display)
        return None if path is None else os.path.isdir(path)

    def read(self, display: str, limit: int = 4 << 20) -> str | None:
        path = self._path(display)
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            return None
        if len(data) > limit:
            return None
        return data.decode("utf-8", errors="replace")

    def ignore_lines(self, folder: str) -> list[str] | None:
        """A folder's ``.sourceignore`` lines (read once: every build under it asks)."""
        if folder in self._ignores:
            return self._ignores[folder]
        text = self.read(posixpath.join(folder, ".sourceignore") if folder else ".sourceignore")
        lines = self._ignores[folder] = text.splitlines() if text is not None else None
        return lines


def _builds(index: RepoIndex, ctx: CheckContext) -> tuple[RepoGraph, RepositoryBuilds, Disk]:
    graph = resolver(index, ctx).graph
    disk = Disk(getattr(ctx, "root", None))
    applied = getattr(ctx, "applied", None)
    return graph, repository_builds(graph, disk.ignore_lines, applied), disk


def kustomization_entry(index: RepoIndex, path: str) -> IndexEntry:
    """An index entry standing for a kustomization file, so that findings can point into it."""
    kfile = index.kustomize_files.get(path)
    data = kfile.data if kfile is not None else {}
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    return IndexEntry(
        path=path,
        document=0,
        api_version=api_version if isinstance(api_version, str) else KUSTOMIZE_API,
        kind=kind if isinstance(kind, str) else "Kustomization",
        namespace=None,
        name=None,
        data=data,
        partial=True,
    )


def ks_label(graph: RepoGraph, ks: IndexEntry) -> str:
    namespace = graph.effective_namespace(ks) or ks.namespace
    return f"{namespace}/{ks.name}" if namespace else ks.name or "?"


def _who(graph: RepoGraph, appliers: Sequence[IndexEntry]) -> str:
    first = f"Kustomization `{ks_label(graph, appliers[0])}`"
    return first if len(appliers) == 1 else f"{first} (and {len(appliers) - 1} more)"


# -- the entries of a kustomization file ------------------------------------------------------

FILE = "file"
FOLDER = "folder"
ANY = "any"


def file_refs(data: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(field as shown, JSON pointer, path as written, what it must be) of every local path a
    kustomization file names that the build reads."""
    for name in ("resources", "bases"):
        for i, ref in enumerate(_list(data.get(name))):
            if isinstance(ref, str):
                yield name, f"/{name}/{i}", ref, ANY
    for i, ref in enumerate(_list(data.get("components"))):
        if isinstance(ref, str):
            yield "components", f"/components/{i}", ref, FOLDER
    for name in ("patches", "patchesJson6902"):
        for i, item in enumerate(_list(data.get(name))):
            ref = _dict(item).get("path")
            if isinstance(ref, str):
                yield name, f"/{name}/{i}/path", ref, FILE
    for i, ref in enumerate(_list(data.get("patchesStrategicMerge"))):
        if isinstance(ref, str) and "\n" not in ref and ": " not in ref:
            yield "patchesStrategicMerge", f"/patchesStrategicMerge/{i}", ref, FILE
    for name in ("configMapGenerator", "secretGenerator"):
        for i, gen in enumerate(_list(data.get(name))):
            gen = _dict(gen)
            for key in ("files", "envs"):
                for j, item in enumerate(_list(gen.get(key))):
                    if isinstance(item, str):
                        ref = item.split("=", 1)[-1] if key == "files" else item
                        yield f"{name}.{key}", f"/{name}/{i}/{key}/{j}", ref, FILE
            if isinstance(gen.get("env"), str):
                yield f"{name}.env", f"/{name}/{i}/env", gen["env"], FILE


def is_remote(ref: str) -> bool:
    """References kustomize fetches (Git repositories, URLs) rather than reads from the source."""
    if "://" in ref or ref.startswith(("git@", "git::", "ssh:", "github.com/", "gitlab.com/")):
        return True
    if "?ref=" in ref or "?version=" in ref or "_git/" in ref or "//" in ref:
        return True
    first = ref.split("/", 1)[0]
    return "/" in ref and "." in first.strip(".") and not first.startswith(".")


def _resolve(base: str, ref: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, ref.split("?")[0]))
    return "" if joined == "." else joined


def _has_kustomization(graph: RepoGraph, disk: Disk, folder: str) -> bool:
    if graph.kustomization_in(folder) is not None:
        return True
    return any(disk.is_file(posixpath.join(folder, name)) for name in KUSTOMIZATION_FILES)


def _artifact_root(graph: RepoGraph, appliers: Sequence[IndexEntry]) -> str | None:
    """The artifact root of this repository's builds, when it is known."""
    if not graph.root_confirmed:
        return None
    for ks in appliers:
        kind, _, _ = graph.source_ref(ks)
        if kind not in ("GitRepository", "OCIRepository"):
            return None
    return graph.root


@repo_check(RULE_MISSING, RULE_OUTSIDE)
def missing_entries(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """Entries of deployed kustomization files that name nothing the build can read."""
    graph, builds, disk = _builds(index, ctx)
    filters: dict[int, ArtifactFilter] = {}
    for use in builds.kustomizations.values():
        kfile = index.kustomize_files.get(use.path)
        if kfile is None:
            continue
        base = posixpath.dirname(use.path)
        root = _artifact_root(graph, use.appliers)
        who = _who(graph, use.appliers)
        entry: IndexEntry | None = None
        for field, pointer, ref, expect in file_refs(kfile.data):
            if not ref or "${" in ref or is_remote(ref):
                continue
            path = _resolve(base, ref)
            problem = None
            checkable = _checkable(path, expect)
            if (
                path == ".."
                or path.startswith("../")
                or (root is not None and not _under(path, root))
            ):
                if root is not None:
                    problem = Problem(
                        f"`{field}` entry `{ref}` leads out of the source: kustomize-controller "
                        f"builds {who} inside the artifact and refuses files outside it",
                        pointer,
                        VALUE,
                        rule_id=RULE_OUTSIDE,
                    )
            elif checkable:
                why = _missing(graph, disk, path, expect)
                if why is None and root is not None:
                    why = _left_out(graph, disk, use.appliers, path, root, filters)
                if why is not None:
                    problem = Problem(
                        f"`{field}` entry `{ref}` {why}: kustomize fails the build of {who}",
                        pointer,
                        VALUE,
                        rule_id=RULE_MISSING,
                    )
            if problem is not None:
                entry = entry or kustomization_entry(index, use.path)
                yield entry, problem


def _left_out(
    graph: RepoGraph,
    disk: Disk,
    appliers: Sequence[IndexEntry],
    path: str,
    root: str,
    filters: dict[int, ArtifactFilter],
) -> str | None:
    """Why an existing file is still missing from the artifact every applier reads: a
    ``.sourceignore`` or ``spec.ignore`` pattern (or a default exclusion) leaves it out."""
    rel = relative_to(path, root)
    if rel is None or disk.root is None or path in graph.folders or disk.is_dir(path):
        return None  # folders: their files are judged where they are read
    for ks in appliers:
        if graph.source_ref(ks)[0] != "GitRepository":
            return None  # other artifacts are assembled elsewhere
        found = filters.get(id(ks))
        if found is None:
            found = filters[id(ks)] = artifact_filter(graph, ks, disk.ignore_lines)
        if not found(rel):
            return None
    return (
        "is left out of the source artifact (`.sourceignore`, `spec.ignore` or a default exclusion)"
    )


def _checkable(path: str, expect: str) -> bool:
    """Only YAML files and folders are judged missing: a copy of a repository that keeps its
    manifests alone (a CI cache, a YAML-only mirror) must not turn every script or dashboard
    a generator reads into a build error."""
    name = posixpath.basename(path)
    if name.endswith((".yaml", ".yml")):
        return True
    return expect != FILE and "." not in name.strip(".")  # a folder


def _missing(graph: RepoGraph, disk: Disk, path: str, expect: str) -> str | None:
    """Why ``path`` is not what the entry needs, or None when it is (or cannot be known)."""
    indexed = path in graph.files or path in graph.index.kustomize_files
    if disk.root is None:
        return None
    is_file = indexed or bool(disk.is_file(path))
    is_dir = path in graph.folders or bool(disk.is_dir(path))
    if expect == FILE:
        if is_file:
            return None
        return "is a folder, not a file" if is_dir else "does not exist"
    if expect == FOLDER and is_file:
        return "is a file, but a component is a folder with a kustomization file"
    if is_file:
        return None
    if is_dir:
        if _has_kustomization(graph, disk, path):
            return None
        return "is a folder without a kustomization file"
    return "does not exist"


@repo_check(RULE_MULTIPLE)
def multiple_kustomization_files(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """Folders of deployed builds holding more than one kustomization file."""
    graph, builds, disk = _builds(index, ctx)
    if disk.root is None:
        return
    for use in builds.kustomizations.values():
        folder = posixpath.dirname(use.path)
        names = [
            name
            for name in KUSTOMIZATION_FILES
            if posixpath.join(folder, name) in index.kustomize_files
            or disk.is_file(posixpath.join(folder, name))
        ]
        if len(names) < 2:
            continue
        others = [n for n in names if n != posixpath.basename(use.path)]
        shown = ", ".join(f"`{n}`" for n in others)
        message = (
            f"the folder also holds {shown}: kustomize fails the build of "
            f'{_who(graph, use.appliers)} ("Found multiple kustomization files"); keep one'
        )
        yield kustomization_entry(index, use.path), Problem(message, "", KEY)


@repo_check(RULE_HELM)
def helm_charts(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """``helmCharts`` in a kustomization file a Flux Kustomization builds."""
    graph, builds, _ = _builds(index, ctx)
    for use in builds.kustomizations.values():
        kfile = index.kustomize_files.get(use.path)
        if kfile is None or not kfile.data.get("helmCharts"):
            continue
        message = (
            f"`helmCharts` needs `kustomize build --enable-helm`, and kustomize-controller builds "
            f"without Helm: the build of {_who(graph, use.appliers)} fails "
            '("must specify --enable-helm"); use a HelmRelease'
        )
        yield kustomization_entry(index, use.path), Problem(message, "/helmCharts", KEY)


# -- documents that are not Kubernetes objects ---------------------------------------------


def _resource_files(
    graph: RepoGraph, builds: RepositoryBuilds
) -> dict[str, tuple[str, list[IndexEntry]]]:
    """Files read as resources: path → (how it gets in, appliers)."""
    found: dict[str, tuple[str, list[IndexEntry]]] = {}
    for build in builds.builds:
        how = (
            f"kustomize-controller generates the kustomization of `{build.folder or '.'}` "
            "from every YAML file below it"
        )
        for path in build.generated:
            found.setdefault(path, (how, []))[1].append(build.ks)
    for use in builds.kustomizations.values():
        for inc in graph.includes(use.path):
            if inc.role == RESOURCE and inc.kustomization is None and inc.path in graph.files:
                how = f"`{use.path}` lists it in `{inc.field}`"
                found.setdefault(inc.path, (how, []))[1].extend(use.appliers)
    return found


def _missing_fields(data: dict[str, Any]) -> list[str]:
    missing = []
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        missing.append("`kind`")
    api_version = data.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        missing.append("`apiVersion`")
    name = _dict(data.get("metadata")).get("name")
    if (name is None or name == "") and not (isinstance(kind, str) and kind.endswith("List")):
        missing.append("`metadata.name`")
    return missing


@repo_check(RULE_NOT_OBJECT)
def not_an_object(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """YAML documents that a deployed build reads as resources but that are not objects."""
    from flux_lint.load.yaml import load_text

    graph, builds, disk = _builds(index, ctx)
    by_path: dict[str, list[IndexEntry]] = defaultdict(list)
    for entry in index.entries:
        by_path[entry.path].append(entry)
    for path, (how, appliers) in sorted(_resource_files(graph, builds).items()):
        appliers = list({id(ks): ks for ks in appliers}.values())
        tail = f"{how}, so the build of {_who(graph, appliers)} fails"
        entries = by_path.get(path)
        if entries:
            for entry in entries:
                missing = _missing_fields(entry.data)
                if missing:
                    message = f"this document has no {' or '.join(missing)}; {tail}"
                    yield entry, Problem(message, "", KEY, rule_id=RULE_NOT_OBJECT)
            continue
        text = disk.read(path)
        if text is None:
            continue
        loaded = load_text(text)
        if loaded.problems:
            continue  # a syntax error is reported on its own
        for doc in loaded.documents:
            data = doc.data
            if not isinstance(data, dict) or not data:
                continue
            missing = _missing_fields(data)
            if missing:
                entry = IndexEntry(path, doc.index, "", "", None, None, data, partial=True)
                what = "not a Kubernetes object" if len(missing) > 1 else "not complete"
                message = f"this document is {what} (no {' or '.join(missing)}); {tail}"
                yield entry, Problem(message, "", KEY, rule_id=RULE_NOT_OBJECT)


# -- patches in kustomization files -------------------------------------------------------------


def _patch_documents(text: str) -> list[Any] | None:
    from flux_lint.load.yaml import load_text

    loaded = load_text(text)
    if loaded.problems:
        return None
    return [doc.data for doc in loaded.documents if doc.data is not None]


def _patch_text(item: Any, base: str, disk: Disk) -> tuple[str | None, str]:
    """The text of a ``patches`` entry and the pointer of where it is written."""
    if isinstance(item, str):
        return item, ""
    item = _dict(item)
    if isinstance(item.get("patch"), str):
        return item["patch"], "/patch"
    path = item.get("path")
    if isinstance(path, str) and not is_remote(path):
        return disk.read(_resolve(base, path)), "/path"
    return None, ""


def _candidates(
    graph: RepoGraph, use: KustomizationUse
) -> tuple[list[tuple[str, set[str]]], set[str], set[str]] | None:
    """(kind, names) of the resources a kustomization's patches see, with the name prefixes
    and suffixes of the kustomizations they come through; None when unknown."""
    folders: list[str]
    if use.as_component:
        if not use.parents:
            return None
        folders = [posixpath.dirname(p) for p in use.parents]
    else:
        folders = [posixpath.dirname(use.path)]
    found: dict[str, set[str]] = defaultdict(set)
    prefixes, suffixes = {""}, {""}
    for folder in folders:
        seen: set[str] = set()
        if not _complete(graph, graph.kustomization_in(folder), seen):
            return None
        for kfile in seen:
            data = _dict(getattr(graph.index.kustomize_files.get(kfile), "data", None))
            prefixes.add(str(data.get("namePrefix") or ""))
            suffixes.add(str(data.get("nameSuffix") or ""))
        for inst in graph.build(folder):
            for name in (inst.entry.name, inst.renamed):
                if name:
                    found[inst.kind].add(name)
    return list(found.items()), prefixes, suffixes


def _complete(graph: RepoGraph, kfile: str | None, seen: set[str]) -> bool:
    """Whether the graph sees every resource of the kustomization (nothing remote, no Helm
    charts or plugins, every local entry present)."""
    if kfile is None:
        return False
    if kfile in seen:
        return True
    seen.add(kfile)
    data = _dict(getattr(graph.index.kustomize_files.get(kfile), "data", None))
    if any(data.get(key) for key in ("helmCharts", "generators", "transformers", "replacements")):
        return False
    base = posixpath.dirname(kfile)
    for field in ("resources", "bases", "components"):
        for ref in _list(data.get(field)):
            if not isinstance(ref, str) or "${" in ref or is_remote(ref):
                return False
            path = _resolve(base, ref)
            inner = graph.kustomization_in(path)
            if inner is not None:
                if not _complete(graph, inner, seen):
                    return False
            elif path not in graph.files:
                return False
    return True


def _smp_id(doc: Any) -> tuple[str, str] | None:
    doc = _dict(doc)
    kind = doc.get("kind")
    name = _dict(doc.get("metadata")).get("name")
    if isinstance(kind, str) and kind and isinstance(name, str) and name:
        return kind, name
    return None


@repo_check(RULE_SMP_NOTHING, RULE_JSON_TARGET)
def kustomization_patches(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """Patches of deployed kustomization files that kustomize refuses to apply."""
    graph, builds, disk = _builds(index, ctx)
    for use in builds.kustomizations.values():
        kfile = index.kustomize_files.get(use.path)
        if kfile is None:
            continue
        data = kfile.data
        base = posixpath.dirname(use.path)
        who = _who(graph, use.appliers)
        entry = kustomization_entry(index, use.path)
        known: Any = False  # not computed yet
        ids: dict[str, set[str]] = {}  # kind -> every name its resources have had
        items: list[tuple[str, Any]] = [
            (f"/patches/{i}", p) for i, p in enumerate(_list(data.get("patches")))
        ]
        items += [
            (f"/patchesStrategicMerge/{i}", p)
            for i, p in enumerate(_list(data.get("patchesStrategicMerge")))
        ]
        for i, item in enumerate(_list(data.get("patchesJson6902"))):
            if isinstance(item, dict) and not item.get("target"):
                message = (
                    f"a `patchesJson6902` entry needs a `target`: kustomize fails the build of "
                    f'{who} ("must specify a target")'
                )
                yield (
                    entry,
                    Problem(message, f"/patchesJson6902/{i}", KEY, rule_id=RULE_JSON_TARGET),
                )
        for pointer, item in items:
            if isinstance(item, dict) and item.get("target"):
                continue
            if not isinstance(item, (dict, str)):
                continue
            text, where = _patch_text(item, base, disk)
            if text is None or "${" in text:
                continue
            docs = _patch_documents(text)
            if not docs:
                continue
            if isinstance(docs[0], list):
                if pointer.startswith("/patches/"):
                    message = (
                        f"a JSON 6902 patch without `target`: kustomize fails the build of {who} "
                        '("must specify a target for JSON patch"); add `target` with the kind '
                        "and name to patch"
                    )
                    yield entry, Problem(message, pointer + where, VALUE, rule_id=RULE_JSON_TARGET)
                continue
            if known is False:
                known = _candidates(graph, use)
            if known is None:
                continue
            candidates, prefixes, suffixes = known
            for doc in docs:
                smp = _smp_id(doc)
                if smp is None:
                    continue
                kind, name = smp
                # The original name, or one an inner namePrefix/nameSuffix made (kustomize
                # matches every id a resource has had).
                names_seen = ids.get(kind)
                if names_seen is None:
                    names_seen = ids[kind] = {
                        p + n + x
                        for k, names in candidates
                        if k == kind
                        for n in names
                        for p in prefixes
                        for x in suffixes
                    }
                if name in names_seen:
                    continue
                same_kind = sorted({n for k, names in candidates if k == kind for n in names})
                has = ""
                if same_kind:
                    shown = ", ".join(f"`{n}`" for n in same_kind[:4])
                    has = f" (it has {kind} {shown}{', …' if len(same_kind) > 4 else ''})"
                message = (
                    f"the strategic-merge patch of {kind} `{name}` has no `target` and no "
                    f"resource of this kustomization is a {kind} named `{name}`{has}: kustomize "
                    f'fails the build of {who} ("no resource matches strategic merge patch")'
                )
                yield entry, Problem(message, pointer + where, VALUE, rule_id=RULE_SMP_NOTHING)


__all__ = ["Disk", "file_refs", "is_remote", "ks_label", "kustomization_entry"]
