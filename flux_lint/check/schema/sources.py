"""Which schema validates a custom resource: the repository's CRDs, schema folders, the catalog.

Flux's own kinds are validated against the Flux bundle of the target release. Every other
custom resource is looked up, first match wins, in:

1. the CRDs the repository carries and those given with ``--crds`` (the cluster runs what the
   repository installs, so its CRDs describe it best);
2. kubeconform-style schema folders (``--schema-dir``), when the run has some;
3. the shipped catalog (:mod:`flux_lint.check.schema.catalog`), unless the configuration turns
   the kind's project off.

An object none of them knows has no schema: it is counted in the run summary, never reported.

The ``catalog:`` configuration key (``{external-secrets: off, cert-manager: "1.15.3"}``) turns a
project off, or states the release the cluster runs; see :class:`CatalogSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flux_lint.check.schema.kubernetes import is_kubernetes_group
from flux_lint.check.schema.store import VersionEntry
from flux_lint.core.regex import lazy

if TYPE_CHECKING:
    from flux_lint.check.schema.catalog import Catalog

__all__ = [
    "CATALOG_KEY",
    "SOURCE_CATALOG",
    "SOURCE_CRDS",
    "SOURCE_FLUX",
    "SOURCE_SCHEMA_DIR",
    "CatalogSettings",
    "Resolution",
    "SchemaSources",
    "catalog_settings",
    "parse_release",
]

CATALOG_KEY = "catalog"
SOURCE_FLUX = "Flux"
SOURCE_CRDS = "repository CRDs"
SOURCE_SCHEMA_DIR = "schema folders"
SOURCE_CATALOG = "catalog"

_RELEASE = lazy(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?$")


def parse_release(text: Any) -> tuple[int, int, int] | None:
    """``v1.21.1``, ``1.21`` → (1, 21, 1), (1, 21, 0); anything else (ranges, ``latest``,
    placeholders) → None."""
    if not isinstance(text, str):
        return None
    match = _RELEASE.match(text.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


@dataclass(frozen=True)
class CatalogSettings:
    """``catalog:`` in the configuration: projects turned off, releases pinned."""

    disabled: frozenset[str] = frozenset()
    pinned: Mapping[str, str] = field(default_factory=dict)


def catalog_settings(options: Any) -> CatalogSettings:
    """Read ``options["catalog"]`` (already checked by the configuration reader)."""
    raw = options.get(CATALOG_KEY) if isinstance(options, Mapping) else None
    if not isinstance(raw, Mapping):
        return CatalogSettings()
    disabled = frozenset(k for k, v in raw.items() if v in ("off", False))
    pinned = {k: str(v) for k, v in raw.items() if isinstance(v, str) and v != "off"}
    return CatalogSettings(disabled, pinned)


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where an object's schema comes from (``source``), and the version entry."""

    source: str
    entry: VersionEntry
    owner: Any  # what compiles the entry's validator (``owner.validator(entry)``)
    project: str | None = None  # the catalog project, for catalog kinds

    @property
    def validator(self) -> Any:
        """The compiled structural validator (compiled on first use, once per process)."""
        return self.owner.validator(self.entry)

    @property
    def label(self) -> str:
        """How the run summary names the source."""
        return f"{self.source} {self.project}" if self.project else self.source


class SchemaSources:
    """The schema sources of a run for non-Flux custom resources, in precedence order."""

    def __init__(
        self,
        crds: Any,
        schema_dirs: Sequence[Any] = (),
        catalog: Catalog | None = None,
        settings: CatalogSettings | None = None,
    ) -> None:
        self.crds = crds  # a CrdCatalog (repository and --crds CRDs)
        self.schema_dirs = list(schema_dirs)  # objects with lookup() and validator()
        self._catalog = catalog
        self.settings = settings or CatalogSettings()

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:  # imported and read for the first kind asked about
            from flux_lint.check.schema.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    def resolve(self, group: str, version: str, kind: str) -> Resolution | None:
        """The first source that serves ``group/version`` ``kind``; None when none does."""
        if self.crds is not None and self.crds.entries:
            entry = self.crds.lookup(group, version, kind)
            if entry is not None:
                return Resolution(SOURCE_CRDS, entry, self.crds)
        for folder in self.schema_dirs:
            entry = folder.lookup(group, version, kind)
            if entry is not None:
                return Resolution(SOURCE_SCHEMA_DIR, entry, folder)
        if is_kubernetes_group(group):  # answered without reading, or importing, the catalog
            return None
        found = self.catalog.kind(group, kind)
        if found is None or found.project in self.settings.disabled:
            return None
        entry = self.catalog.entry(group, version, kind)
        if entry is None:
            return None
        return Resolution(SOURCE_CATALOG, entry, self.catalog, found.project)

    def defines_elsewhere(self, group: str, version: str, kind: str) -> bool:
        """Whether a source before the catalog serves ``group/version`` ``kind``."""
        if self.crds is not None and self.crds.lookup(group, version, kind) is not None:
            return True
        return any(folder.lookup(group, version, kind) is not None for folder in self.schema_dirs)
