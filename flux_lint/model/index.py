"""The repository as a whole: every object by kind, namespace and name, and every kustomize
build file, for the rules that look across files (references, dependencies, substitution).

Per-file work fills the index; repository checks (``@repo_check``) read it once every file has
been processed. They report problems against an :class:`IndexEntry`, and the engine locates them
in the entry's file afterwards, so no node tree has to be kept in memory meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flux_lint.core.findings import ObjectRef
from flux_lint.model.objects import K8sObject, split_api_version


@dataclass(slots=True)
class IndexEntry:
    """One object of the repository (``namespace`` as written; None when not set)."""

    path: str
    document: int
    api_version: str
    kind: str
    namespace: str | None
    name: str | None
    data: dict[str, Any]
    partial: bool = False
    #: For an object a ResourceSet renders: its ``model.resourceset.RenderedObject`` (the
    #: rendered text and the source map back to the template); ``path`` and ``document`` are
    #: the ResourceSet's.
    rendered: Any = None
    #: The strings of ``data`` that hold a ``$``, as ``(pointer, text, is_key)`` in document
    #: order (model.substitution.dollar_sites), worked out with the file and kept with its
    #: cached record, so that the substitution checks do not walk every object of the
    #: repository again on each run; None when not worked out.
    sites: Any = None

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.api_version, self.kind, self.namespace, self.name)

    @classmethod
    def of(cls, obj: K8sObject) -> IndexEntry:
        return cls(
            obj.path,
            obj.document,
            obj.api_version,
            obj.kind,
            obj.namespace,
            obj.name,
            obj.data,
            obj.partial,
        )


@dataclass(slots=True)
class KustomizeFile:
    """A kustomize ``kustomization.yaml`` and its content (resources, patches, namespace ...)."""

    path: str
    data: dict[str, Any]


@dataclass
class RepoIndex:
    entries: list[IndexEntry] = field(default_factory=list)
    kustomize_files: dict[str, KustomizeFile] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)  # every file discovered (display paths)
    _by_kind: dict[str, list[IndexEntry]] = field(default_factory=lambda: defaultdict(list))
    _by_name: dict[tuple[str, str | None], list[IndexEntry]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, entry: IndexEntry) -> None:
        self.entries.append(entry)
        self._by_kind[entry.kind].append(entry)
        self._by_name[(entry.kind, entry.name)].append(entry)

    def add_kustomize_file(self, path: str, data: dict[str, Any]) -> None:
        self.kustomize_files[path] = KustomizeFile(path, data)

    def merge(self, other: RepoIndex) -> None:
        """Add what another index (e.g. from a worker process) collected."""
        for entry in other.entries:
            self.add(entry)
        self.kustomize_files.update(other.kustomize_files)
        self.files |= other.files

    def in_file_order(self) -> RepoIndex:
        """The same index with its entries in file order (path, then document) and its
        kustomize files by path: the same whatever order the files were added in."""
        other = RepoIndex(files=set(self.files))
        for entry in sorted(self.entries, key=lambda e: (e.path, e.document)):
            other.add(entry)
        other.kustomize_files = dict(sorted(self.kustomize_files.items()))
        return other

    def filtered(self, keep: Callable[[str], bool]) -> RepoIndex:
        """A new index with what lives in the files ``keep`` accepts (display paths)."""
        other = RepoIndex(files={p for p in self.files if keep(p)})
        for entry in self.entries:
            if keep(entry.path):
                other.add(entry)
        for path, kfile in self.kustomize_files.items():
            if keep(path):
                other.kustomize_files[path] = kfile
        return other

    def of_kind(self, kind: str, group: str | None = None) -> Iterator[IndexEntry]:
        for entry in self._by_kind.get(kind, ()):
            if group is None or entry.group == group:
                yield entry

    def find(
        self, kind: str, name: str, namespace: str | None = None, *, group: str | None = None
    ) -> list[IndexEntry]:
        """Objects of ``kind`` named ``name``; an entry without a namespace matches any
        namespace, because kustomize or the Flux Kustomization may set it at build time."""
        return [
            e
            for e in self._by_name.get((kind, name), ())
            if (group is None or e.group == group)
            and (namespace is None or e.namespace in (None, namespace))
        ]
