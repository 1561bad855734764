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
schema is what the run would have without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    """The folders of one run and the validators compiled from them."""

    folders: tuple[Path, ...]
    _validators: dict[tuple[str, str], Any] = field(default_factory=dict)

    def validator(self, api_version: str, kind: str) -> Any:
        """The validator for ``api_version``/``kind`` from the first folder that has a usable
        schema, or None."""
        key = (api_version, kind)
        if key in self._validators:
            return self._validators[key]
        validator = None
        for folder in self.folders:
            for path in candidates(Path(folder), api_version, kind):
                try:
                    schema = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if not isinstance(schema, dict):
                    continue
                try:
                    from flux_lint.check.schema.validate import StructuralValidator

                    validator = StructuralValidator(structural(schema))
                except Exception:  # a schema too broken to compile is no schema
                    continue
                break
            if validator is not None:
                break
        self._validators[key] = validator
        return validator
