"""Access to the generated Flux schema bundles (``schemas/flux-<minor>.json``).

A bundle is built from the upstream CRDs by ``flux-lint schemas build`` and has this shape::

    {
      "format": 1,
      "flux": "2.9.4",                      # the Flux release the CRDs came from
      "crds": [{"file": "...", "sha256": "..."}],
      "resources": [
        {"group": "source.toolkit.fluxcd.io", "kind": "GitRepository",
         "plural": "gitrepositories", "scope": "Namespaced",
         "versions": [
           {"name": "v1", "served": true, "storage": true, "deprecated": false,
            "deprecationWarning": null,
            "schema": { ...openAPIV3Schema without descriptions and without `status`... }}
         ]}
      ]
    }

Bundles are read lazily, once per process, and only for the minors a run needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flux_lint.core.releases import DEFAULT_MINOR, MINORS  # noqa: F401 (looked up here too)
from flux_lint.core.resources import schemas_dir


def parse_minor(text: str) -> tuple[int, int]:
    """``2.9``, ``v2.9.4`` or ``2.9.x`` → (2, 9). Raises ``ValueError`` otherwise."""
    t = text.strip().lstrip("v")
    parts = t.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        raise ValueError(f"not a Flux version: {text!r} (expected e.g. 2.9)") from None


def format_minor(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


@dataclass(frozen=True)
class VersionEntry:
    """One served version of one kind in one bundle."""

    group: str
    kind: str
    plural: str
    scope: str
    version: str
    served: bool
    storage: bool
    deprecated: bool
    deprecation_warning: str | None
    schema: dict[str, Any]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


class Bundle:
    def __init__(self, data: dict[str, Any], source: str = ""):
        self.flux: str = data.get("flux", "")
        self.source = source
        self.entries: dict[tuple[str, str, str], VersionEntry] = {}
        #: Every CRD of the bundle by ``<plural>.<group>`` name, with its version names in the
        #: order of the CRD's ``spec.versions`` (served or not): the order JSON patches that
        #: address ``/spec/versions/<index>`` depend on.
        self.crd_versions: dict[str, tuple[str, ...]] = {}
        for res in data.get("resources", []):
            name = f"{res.get('plural', '')}.{res['group']}"
            self.crd_versions[name] = tuple(v["name"] for v in res.get("versions", []))
            for ver in res.get("versions", []):
                entry = VersionEntry(
                    group=res["group"],
                    kind=res["kind"],
                    plural=res.get("plural", ""),
                    scope=res.get("scope", "Namespaced"),
                    version=ver["name"],
                    served=bool(ver.get("served", True)),
                    storage=bool(ver.get("storage", False)),
                    deprecated=bool(ver.get("deprecated", False)),
                    deprecation_warning=ver.get("deprecationWarning"),
                    schema=ver.get("schema") or {},
                )
                self.entries[(entry.group, entry.version, entry.kind)] = entry
        self._validators: dict[tuple[str, str, str], Any] = {}

    def lookup(self, group: str, version: str, kind: str) -> VersionEntry | None:
        entry = self.entries.get((group, version, kind))
        return entry if entry and entry.served else None

    def kinds(self) -> list[VersionEntry]:
        return [e for e in self.entries.values() if e.served]

    def groups(self) -> set[str]:
        return {g for g, _, _ in self.entries}

    def validator(self, entry: VersionEntry) -> Any:
        """The compiled structural validator for ``entry``, built once per process."""
        key = (entry.group, entry.version, entry.kind)
        validator = self._validators.get(key)
        if validator is None:
            from flux_lint.check.schema.validate import StructuralValidator

            validator = self._validators[key] = StructuralValidator(entry.schema)
        return validator


def bundle_path(minor: tuple[int, int], directory: Path | None = None) -> Path:
    return (directory or schemas_dir()) / f"flux-{format_minor(minor)}.json"


@cache
def load_bundle(minor: tuple[int, int]) -> Bundle:
    path = bundle_path(minor)
    with path.open("rb") as fh:
        return Bundle(json.load(fh), source=path.name)


def nearest_minor(minor: tuple[int, int]) -> tuple[int, int]:
    """The bundle to use for ``minor``: itself if shipped, else the closest older (or oldest)."""
    older = [m for m in MINORS if m <= minor]
    return older[-1] if older else MINORS[0]
