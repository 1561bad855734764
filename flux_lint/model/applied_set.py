"""What the rest of the run reads of the applied set (model/applied.py), without what
computes it.

Working the applied set out builds the repository graph (model/graph.py and what it imports);
reading one (which files are applied, the entry points, which objects it is computed from)
needs none of it. A run that takes the applied set from the cache (run/applied_memo.py) — a
pre-commit hook linting one file in a warm repository — imports only this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from flux_lint.model.objects import FLUX_KUSTOMIZE_GROUP, SOURCE_GROUP

if TYPE_CHECKING:
    from flux_lint.model.graph import RepoGraph
    from flux_lint.model.index import IndexEntry

OPERATOR_GROUP = "fluxcd.controlplane.io"
FLUX_INSTANCE_CHART = "flux-instance"

#: Substrings of a file that may hold an object the applied set is computed from: Flux
#: Kustomizations, sources, ArtifactGenerators, FluxInstances and flux-instance HelmReleases.
#: Every other file is left to the main pass unparsed, and so is a file that only names these
#: kinds in nested ``kind:`` entries (model/structure_text.py).
STRUCTURE_MARKERS = (
    FLUX_KUSTOMIZE_GROUP,
    "FluxInstance",
    "ResourceSet",  # and ResourceSetInputProvider
    FLUX_INSTANCE_CHART,
    "GitRepository",
    "OCIRepository",
    "ArtifactGenerator",
)


@dataclass(frozen=True)
class EntryPoint:
    """Where Flux enters the repository: the object that says so, and the folder it applies."""

    kind: str  # Kustomization, FluxInstance, HelmRelease (flux-instance chart), ResourceSet
    # or folder
    name: str
    path: str  # the file of the object
    folder: str  # the folder its build starts from (display path; "" is the root)

    def describe(self) -> str:
        folder = self.folder or "."
        if self.kind == "folder":
            return f"cluster folder {folder}/"
        return f"{self.kind} {self.name} ({self.path}) → {folder}/"


@dataclass
class AppliedSet:
    """The files Flux applies, each with the Flux Kustomizations (``namespace/name``) whose
    build reads it; where ResourceSets are the only entry points, their files and their
    providers' are applied by ``ResourceSet namespace/name`` /
    ``ResourceSetInputProvider namespace/name``."""

    entry_points: list[EntryPoint] = field(default_factory=list)
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Files left out of the artifact by ``.sourceignore``/``spec.ignore`` or the defaults.
    excluded: frozenset[str] = frozenset()
    #: Why no entry point resolved, or which artifact root was assumed; None otherwise.
    note: str | None = None
    #: The graph the set was computed on (entry points included), for effective objects.
    graph: RepoGraph | None = field(default=None, repr=False, compare=False)
    #: A digest of what the set was computed from, when the run keeps it in a cache
    #: (run/applied_memo.py): part of the keys of what is remembered with it.
    key: str = field(default="", repr=False, compare=False)

    @property
    def known(self) -> bool:
        """True when at least one entry point resolved: then only applied files are checked."""
        return bool(self.entry_points)

    def applies(self, path: str) -> bool:
        """Is the file applied (always True when the applied set is not known)?"""
        return not self.known or path in self.files


def is_structural(entry: IndexEntry) -> bool:
    """Objects the applied set is computed from (everything else only rides along)."""
    group = entry.group
    if entry.kind == "Kustomization":
        return group == FLUX_KUSTOMIZE_GROUP
    if entry.kind in ("GitRepository", "OCIRepository"):
        return group == SOURCE_GROUP
    if entry.kind == "ArtifactGenerator":
        return group.startswith("source.")
    if entry.kind in ("FluxInstance", "ResourceSet", "ResourceSetInputProvider"):
        return group == OPERATOR_GROUP
    return entry.kind == "HelmRelease" and group.startswith("helm.toolkit.")


def structural_part(entry: IndexEntry) -> IndexEntry:
    """What the applied set reads of a structural object: all of it, except of a HelmRelease
    only its chart (whether it is flux-operator's flux-instance or operator chart) and the
    values those charts read (``instance``, ``image``). Keeping no more makes an edit of a
    release's other values leave the structure, and what is remembered with it, unchanged."""
    if entry.kind != "HelmRelease" or entry.partial:
        return entry
    data = entry.data
    spec = _dict(data.get("spec"))
    values = _dict(spec.get("values"))
    part: dict[str, Any] = {k: v for k, v in data.items() if k != "spec"}
    if "spec" in data:
        kept = {k: spec[k] for k in ("chart", "chartRef") if k in spec}
        if "values" in spec:
            kept["values"] = {k: values[k] for k in ("instance", "image") if k in values}
        part["spec"] = kept
    return replace(entry, data=part)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
