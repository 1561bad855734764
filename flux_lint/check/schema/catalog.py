"""The catalog: schema bundles of the operators most Flux repositories install.

Besides Flux's own kinds, most objects in a Flux repository belong to a handful of projects
(flux-operator, external-secrets, cert-manager, Gateway API, the Prometheus and Grafana
operators ...). Their upstream CRDs are reduced by ``flux-lint schemas build --project NAME``
exactly as the Flux bundles are (:mod:`flux_lint.check.schema.build`) and shipped under
``schemas/catalog/<project>/``: one ``index.json`` naming the release, the source files and
every kind with its versions, and one file per kind with the schemas::

    schemas/catalog/cert-manager/index.json
        {"format": 1, "project": "cert-manager", "release": "1.21.1",
         "crds": [{"file": ..., "sha256": ...}],
         "kinds": [{"group": "cert-manager.io", "kind": "Certificate",
                    "plural": "certificates", "scope": "Namespaced",
                    "file": "certificates.cert-manager.io.json",
                    "versions": [{"name": "v1", "served": true, ...}]}]}
    schemas/catalog/cert-manager/certificates.cert-manager.io.json
        {"group": ..., "kind": ..., "versions": [{"name": "v1", ..., "schema": {...}}]}

Why per kind: the catalog is several megabytes of JSON, and a repository uses a few kinds of
it. Nothing is read until an object of a group outside Kubernetes' and Flux's own asks; then
the small indexes are read (once per process), and a kind's schemas only when an object of
that kind is checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flux_lint.check.schema.kubernetes import is_kubernetes_group
from flux_lint.check.schema.store import VersionEntry
from flux_lint.core.resources import schemas_dir

__all__ = [
    "CATALOG_FOLDER",
    "Catalog",
    "CatalogKind",
    "CatalogVersion",
    "Project",
    "load_catalog",
]

CATALOG_FOLDER = "catalog"

INDEX_FILE = "index.json"


@dataclass(frozen=True, slots=True)
class CatalogVersion:
    """One version of a catalog kind as its CRD lists it."""

    name: str
    served: bool
    storage: bool
    deprecated: bool


@dataclass(frozen=True, slots=True)
class CatalogKind:
    """One kind of one project, without its schemas (those are read on first use)."""

    project: str
    release: str
    group: str
    kind: str
    plural: str
    scope: str
    file: str
    versions: tuple[CatalogVersion, ...]

    def served(self) -> list[str]:
        """The served version names, storage version first."""
        served = [v for v in self.versions if v.served]
        return [v.name for v in sorted(served, key=lambda v: not v.storage)]

    @property
    def label(self) -> str:
        return f"{self.project} v{self.release}"


@dataclass(frozen=True, slots=True)
class Project:
    """One project of the catalog: its release and the kinds it defines."""

    name: str
    release: str
    folder: Path
    kinds: tuple[CatalogKind, ...]

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(k.group for k in self.kinds)


class Catalog:
    """The shipped catalog (or one in ``directory``, for tests), read lazily."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._projects: dict[str, Project] | None = None
        self._kinds: dict[tuple[str, str], CatalogKind] = {}
        self._groups: set[str] = set()
        self._entries: dict[tuple[str, str], dict[str, VersionEntry]] = {}
        self._validators: dict[tuple[str, str, str], Any] = {}

    # -- the indexes --------------------------------------------------------------------------

    @property
    def projects(self) -> dict[str, Project]:
        """Every project, by name (reads the indexes on first use)."""
        if self._projects is None:
            self._projects = {}
            folders = sorted(self.directory.iterdir()) if self.directory.is_dir() else []
            for folder in folders:
                index = folder / INDEX_FILE
                if index.is_file():
                    project = _read_index(folder, json.loads(index.read_text(encoding="utf-8")))
                    self._projects[project.name] = project
                    for kind in project.kinds:
                        self._kinds.setdefault((kind.group, kind.kind), kind)
                        self._groups.add(kind.group)
        return self._projects

    def has_group(self, group: str) -> bool:
        """Whether some project defines kinds of ``group``. Kubernetes' own groups are answered
        without reading anything."""
        if is_kubernetes_group(group):
            return False
        self.projects  # noqa: B018 (reads the indexes)
        return group in self._groups

    def kind(self, group: str, kind: str) -> CatalogKind | None:
        """The catalog kind ``group``/``kind``, served versions or not."""
        if not self.has_group(group):
            return None
        return self._kinds.get((group, kind))

    def kinds_of_group(self, group: str) -> list[CatalogKind]:
        if not self.has_group(group):
            return []
        return [k for (g, _), k in sorted(self._kinds.items()) if g == group]

    # -- the schemas --------------------------------------------------------------------------

    def entry(self, group: str, version: str, kind: str) -> VersionEntry | None:
        """The served ``group/version`` ``kind`` with its schema, or None."""
        found = self.kind(group, kind)
        if found is None:
            return None
        entries = self._entries.get((group, kind))
        if entries is None:
            entries = self._entries[(group, kind)] = _read_kind(self.projects[found.project], found)
        entry = entries.get(version)
        return entry if entry is not None and entry.served else None

    def validator(self, entry: VersionEntry) -> Any:
        """The compiled structural validator of ``entry``, built once per process."""
        key = (entry.group, entry.version, entry.kind)
        if key not in self._validators:
            from flux_lint.check.schema.validate import StructuralValidator

            self._validators[key] = StructuralValidator(entry.schema)
        return self._validators[key]


def _read_index(folder: Path, data: dict[str, Any]) -> Project:
    name, release = str(data["project"]), str(data["release"])
    kinds = tuple(
        CatalogKind(
            project=name,
            release=release,
            group=k["group"],
            kind=k["kind"],
            plural=k.get("plural", ""),
            scope=k.get("scope", "Namespaced"),
            file=k["file"],
            versions=tuple(
                CatalogVersion(
                    v["name"],
                    bool(v.get("served")),
                    bool(v.get("storage")),
                    bool(v.get("deprecated")),
                )
                for v in k.get("versions", [])
            ),
        )
        for k in data.get("kinds", [])
    )
    return Project(name, release, folder, kinds)


def _read_kind(project: Project, kind: CatalogKind) -> dict[str, VersionEntry]:
    with (project.folder / kind.file).open("rb") as handle:
        data = json.load(handle)
    entries = {}
    for ver in data.get("versions", []):
        entries[ver["name"]] = VersionEntry(
            group=data["group"],
            kind=data["kind"],
            plural=data.get("plural", ""),
            scope=data.get("scope", "Namespaced"),
            version=ver["name"],
            served=bool(ver.get("served", True)),
            storage=bool(ver.get("storage", False)),
            deprecated=bool(ver.get("deprecated", False)),
            deprecation_warning=ver.get("deprecationWarning"),
            schema=ver.get("schema") or {},
        )
    return entries


@cache
def load_catalog() -> Catalog:
    """The shipped catalog, one per process."""
    return Catalog(schemas_dir() / CATALOG_FOLDER)
