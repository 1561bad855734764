"""kubeconform-style schema folders (``--schema-dir``), read offline.

Teams that validate with kubeconform often keep JSON schemas for their CRDs in a folder. Two
layouts are in use, and both are looked up:

* kubeconform's own: ``<kind>-<first part of the group>-<version>.json``
  (``certificate-cert-manager-v1.json``; ``service-v1.json`` for the core group), what
  ``openapi2jsonschema.py`` writes;
* the CRD catalogue's: ``<group>/<kind>_<version>.json`` (``cert-manager.io/certificate_v1.json``).

A schema is JSON Schema as those tools write it (``type: [string, "null"]``, ``oneOf`` for
int-or-string, ``additionalProperties: false`` in strict files). It is reduced to the structural
schema the validator walks with the same resolver as the built-in Kubernetes schemas; what that
reduction cannot express (``oneOf``, ``pattern``) is dropped, which can only make validation
more lenient. A file that is not valid JSON is ignored: it is the user's file, and a missing
schema is what the run would have without it. Which source wins when several know a kind is
:mod:`flux_lint.check.schema.sources`' business (the repository's CRDs come first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux_lint.check.schema.store import VersionEntry


def candidates(folder: Path, api_version: str, kind: str) -> list[Path]:
    """The file names both layouts give ``api_version``/``kind`` in ``folder``."""
    group, _, version = api_version.rpartition("/")
    lower = kind.lower()
    first = group.split(".")[0].lower() if group else ""
    suffix = f"-{first}-{version}" if group else f"-{version}"
    found = [folder / f"{lower}{suffix.lower()}.json"]
    if group:
        found.append(folder / group / f"{lower}_{version}.json")
    return found


def structural(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as the validator's structural schema, without ``status``."""
    from flux_lint.check.schema.kubernetes_build import resolve_schema

    defs = schema.get("definitions") or schema.get("$defs") or {}
    out = resolve_schema(schema, defs, ("<root>",))
    props = out.get("properties") or {}
    props.pop("status", None)
    for key in ("apiVersion", "kind"):
        if isinstance(props.get(key), dict):
            props[key].pop("enum", None)
    if isinstance(out.get("required"), list):
        out["required"] = [r for r in out["required"] if r != "status"]
    return out


@dataclass
class SchemaDirs:
    """The ``--schema-dir`` folders of one run, as one schema source of
    :class:`~flux_lint.check.schema.sources.SchemaSources`: ``lookup`` finds a kind's schema
    file (read once), ``validator`` compiles it (once).

    Built-in Kubernetes kinds are never looked up here (kubeconform folders usually hold them
    too): the shipped schemas of the target release validate those."""

    folders: tuple[Path, ...]
    _entries: dict[tuple[str, str, str], VersionEntry | None] = field(default_factory=dict)
    _validators: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    def lookup(self, group: str, version: str, kind: str) -> VersionEntry | None:
        key = (group, version, kind)
        if key not in self._entries:
            self._entries[key] = None if _builtin(group, version) else self._read(*key)
        return self._entries[key]

    def _read(self, group: str, version: str, kind: str) -> VersionEntry | None:
        api_version = f"{group}/{version}" if group else version
        for folder in self.folders:
            for path in candidates(Path(folder), api_version, kind):
                try:
                    schema = json.loads(path.read_text(encoding="utf-8"))
                    reduced = structural(schema) if isinstance(schema, dict) else None
                except (OSError, ValueError, RecursionError):
                    continue
                if reduced is None:
                    continue
                return VersionEntry(
                    group=group,
                    kind=kind,
                    plural="",
                    scope="Namespaced",
                    version=version,
                    served=True,
                    storage=True,
                    deprecated=False,
                    deprecation_warning=None,
                    schema=reduced,
                )
        return None

    def validator(self, entry: VersionEntry) -> Any:
        """The compiled validator of ``entry``; None when its schema cannot be compiled."""
        key = (entry.group, entry.version, entry.kind)
        if key not in self._validators:
            from flux_lint.check.schema.validate import StructuralValidator

            try:
                self._validators[key] = StructuralValidator(entry.schema)
            except Exception:  # a schema too broken to compile is no schema
                self._validators[key] = None
        return self._validators[key]


def _builtin(group: str, version: str) -> bool:
    from flux_lint.check.schema.kubernetes import is_builtin_group

    return is_builtin_group(group) and (group != "" or version == "v1")
