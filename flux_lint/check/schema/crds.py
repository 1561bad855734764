"""CustomResourceDefinitions besides Flux's: from the repository, and from ``--crds PATH``.

Many repositories carry the CRDs of the controllers they install (external-secrets,
cert-manager, flux-operator, tofu-controller ...), or can point at a folder of them. Their
custom resources are then checked like Flux objects, with the same rules (FL101-FL109 for the
schema, FL201 for the CRD's ``x-kubernetes-validations``), without downloading anything.

A CRD document becomes the same kind of entry a shipped bundle holds
(:class:`schema_store.VersionEntry`), reduced by :func:`schema_build.reduce_schema`, so the
structural validator and the CRD CEL evaluation serve it unchanged.

Precedence, when several definitions exist for the same group, version and kind:

1. The shipped bundles always decide for Flux's own groups (``*.toolkit.fluxcd.io``,
   ``source.extensions.fluxcd.io``): a repository's ``gotk-components.yaml`` holds the CRDs of
   the Flux it runs today, while flux-lint checks against the Flux given by
   ``--flux-version``, so Flux CRDs found anywhere are ignored.
2. ``--crds`` paths, in the order given, then files and folders in sorted order.
3. CRDs in the repository, in path order.

The first definition of a (group, version, kind) wins; a later file can still add versions
the earlier ones lack. Only complete ``apiextensions.k8s.io/v1`` CRDs count: files a
``kustomization.yaml`` uses as patches are fragments and are skipped, as are ``v1beta1`` CRDs
(removed in Kubernetes 1.22).

Cost: the repository pre-pass reads each file's bytes once and parses only the YAML documents
that look like non-Flux CRDs (a Flux ``gotk-components.yaml`` is recognised from its text and
not parsed), so a run over a repository without CRDs pays a substring search per file. Schemas
are compiled on first use, for the kinds that objects actually use.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from flux_lint.check.schema.store import VersionEntry
from flux_lint.core.regex import lazy
from flux_lint.model.objects import is_flux_group

__all__ = ["CrdCatalog", "ExtraCrdError", "crd_entries", "looks_like_crd"]

CRD_API_VERSION = "apiextensions.k8s.io/v1"
CRD_KIND = "CustomResourceDefinition"
CRD_SUFFIXES = (".yaml", ".yml", ".json")

#: ``kind: CustomResourceDefinition`` in YAML or JSON (``"kind": "CustomResourceDefinition"``).
_MARKER = lazy(r"""kind["']?:[ \t]*["']?CustomResourceDefinition\b""")
_DOCUMENT_START = lazy(r"^---(?=[ \t]|$)", re.M)
_GROUP = lazy(r"""^[ \t]+group:[ \t]*["']?([A-Za-z0-9.-]+)""", re.M)


class ExtraCrdError(ValueError):
    """A ``--crds`` path cannot be used; the message names the file (and the CRD)."""


class _NotACrd(ValueError):
    """A document that claims to be a CRD but cannot be read as one."""


_MARKER_BYTES = lazy(_MARKER.pattern.encode("ascii"))


def looks_like_crd(text: bytes | str) -> bool:
    """Whether a text has a ``kind: CustomResourceDefinition`` (a cheap pre-filter: a
    substring search first, the pattern only on the few texts that pass it)."""
    if isinstance(text, bytes):
        return b"CustomResourceDefinition" in text and _MARKER_BYTES.search(text) is not None
    return "CustomResourceDefinition" in text and _MARKER.search(text) is not None


def crd_entries(data: Any, source: str) -> list[VersionEntry]:
    """The versions a CRD document defines, each with its reduced schema; ``[]`` for other
    documents. Raises ``_NotACrd`` (a ``ValueError``) for a malformed CRD."""
    if not (
        isinstance(data, dict)
        and data.get("kind") == CRD_KIND
        and data.get("apiVersion") == CRD_API_VERSION
    ):
        return []
    spec = data.get("spec")
    names = spec.get("names") if isinstance(spec, dict) else None
    group = spec.get("group") if isinstance(spec, dict) else None
    kind = names.get("kind") if isinstance(names, dict) else None
    versions = spec.get("versions") if isinstance(spec, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
        raise _NotACrd(f"{source}: CRD without spec.group, spec.names.kind or spec.versions")
    entries = []
    for version in versions:
        name = version.get("name") if isinstance(version, dict) else None
        if not isinstance(name, str):
            raise _NotACrd(f"{source}: {kind}.{group}: a version without a name")
        where = f"{source}: {kind}.{group}/{name}"
        schema = _schema(version, where)
        warning = version.get("deprecationWarning")
        entries.append(
            VersionEntry(
                group=group,
                kind=kind,
                plural=str(names.get("plural") or ""),
                scope=str(spec.get("scope") or "Namespaced"),
                version=name,
                served=bool(version.get("served", False)),
                storage=bool(version.get("storage", False)),
                deprecated=bool(version.get("deprecated", False)),
                deprecation_warning=warning if isinstance(warning, str) else None,
                schema=schema,
            )
        )
    return entries


def _schema(version: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The version's schema reduced as in the shipped bundles, without the top-level
    ``status`` (the API server ignores it when a resource is created)."""
    holder = version.get("schema")
    raw = holder.get("openAPIV3Schema") if isinstance(holder, dict) else None
    if raw is None:
        return {}  # no schema: the API server accepts anything, and so does the validator
    # Imported here: a run whose repository holds no CRD (and no --crds) reduces no schema.
    from flux_lint.check.schema.build import BundleBuildError, reduce_schema

    try:
        schema = reduce_schema(raw, where)
    except BundleBuildError as exc:  # its message names the place already
        raise _NotACrd(str(exc)) from None
    except (AttributeError, TypeError) as exc:
        raise _NotACrd(f"{where}: not a structural schema ({exc})") from None
    properties = schema.get("properties")
    if isinstance(properties, dict):
        properties.pop("status", None)
    required = schema.get("required")
    if isinstance(required, list) and "status" in required:
        schema["required"] = [r for r in required if r != "status"]
    return schema


@dataclass
class CrdCatalog:
    """The extra CRD versions a run knows, looked up like a bundle's."""

    entries: dict[tuple[str, str, str], VersionEntry] = field(default_factory=dict)
    #: Where each (group, kind) was first defined, for messages and tests.
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Flux CRDs seen and ignored (the shipped bundles decide), by ``kind.group``.
    ignored: set[str] = field(default_factory=set)
    _validators: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, group: str, version: str, kind: str) -> VersionEntry | None:
        entry = self.entries.get((group, version, kind))
        return entry if entry is not None and entry.served else None

    def validator(self, entry: VersionEntry) -> Any:
        """The structural validator of ``entry``, compiled on first use; ``None`` when the
        schema is too broken to compile (the kind is then not schema-checked)."""
        key = (entry.group, entry.version, entry.kind)
        if key not in self._validators:
            from flux_lint.check.schema.validate import StructuralValidator

            try:
                self._validators[key] = StructuralValidator(entry.schema)
            except Exception:  # a third-party schema the validator cannot model
                self._validators[key] = None
        return self._validators[key]

    # -- adding definitions -----------------------------------------------------------------

    def add(self, entries: Iterable[VersionEntry], source: str) -> int:
        """Add CRD versions unless defined already; returns how many were new."""
        added = 0
        for entry in entries:
            if is_flux_group(entry.group):
                self.ignored.add(f"{entry.kind}.{entry.group}")
                continue
            key = (entry.group, entry.version, entry.kind)
            if key in self.entries:
                continue
            self.entries[key] = entry
            self.origins.setdefault((entry.group, entry.kind), source)
            added += 1
        return added

    def add_text(self, text: str, source: str, *, strict: bool = False) -> int:
        """Add the CRDs of one file's text. Only the YAML documents that look like non-Flux
        CRDs are parsed. A malformed CRD raises :class:`ExtraCrdError` with ``strict``, and is
        skipped otherwise (a repository's broken CRD is the cluster's problem to report)."""
        from flux_lint.load.yaml import load_text

        added = 0
        for chunk in _documents(text):
            if not looks_like_crd(chunk):
                continue
            group = _GROUP.search(chunk)
            if group is not None and is_flux_group(group.group(1)):
                self.ignored.add(group.group(1))
                continue
            loaded = load_text(chunk)
            if strict and loaded.problems:
                problem = loaded.problems[0]
                raise ExtraCrdError(f"{source}: not valid YAML: {problem.message}")
            for doc in loaded.documents:
                try:
                    added += self.add(crd_entries(doc.data, source), source)
                except _NotACrd as exc:
                    if strict:
                        raise ExtraCrdError(str(exc)) from None
        return added

    def load_paths(self, paths: Sequence[Path | str], max_bytes: int = 50 * 1024 * 1024) -> None:
        """Load ``--crds`` paths: files, or folders searched recursively for ``*.yaml``,
        ``*.yml`` and ``*.json``. Raises :class:`ExtraCrdError` for a missing path, an
        unreadable file, a malformed CRD, or a path without any CRD."""
        for path in (Path(p) for p in paths):
            if path.is_dir():
                files = sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in CRD_SUFFIXES
                    and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            elif path.is_file():
                files = [path]
            else:
                raise ExtraCrdError(f"{path}: no such file or folder")
            before = len(self.entries) + len(self.ignored)
            for file in files:
                self.add_text(_read(file, max_bytes), file.as_posix(), strict=True)
            if len(self.entries) + len(self.ignored) == before:
                raise ExtraCrdError(f"{path}: no CustomResourceDefinition found")

    def scan_repository(
        self,
        sources: Iterable[Any],
        skip: set[str],
        max_bytes: int,
        stdin_text: str | None = None,
    ) -> int:
        """The pre-pass over the files of a run (``sources``: objects with ``path`` and
        ``display``), before any object is checked; ``skip`` holds the display paths of patch
        files. Non-regular files are never opened (a FIFO must be read once, by the main
        pass). Returns how many CRD versions were added."""
        added = 0
        for src in sources:
            if src.display in skip:
                continue
            raw = _read_regular(src.path, max_bytes)
            if raw is None or not looks_like_crd(raw):
                continue
            added += self.add_text(raw.decode("utf-8-sig", errors="replace"), src.display)
        if stdin_text is not None and looks_like_crd(stdin_text):
            added += self.add_text(stdin_text, "-")
        return added


def _documents(text: str) -> list[str]:
    """The text split at ``---`` lines (document starts), each part keeping its line count
    so that YAML error positions stay right. A split inside a block scalar only makes a part
    fail to parse, which is harmless for finding CRDs."""
    starts = [m.start() for m in _DOCUMENT_START.finditer(text)]
    if not starts:
        return [text]
    bounds = [0, *starts, len(text)]
    parts = []
    for begin, end in pairwise(bounds):
        if end > begin:
            parts.append("\n" * text.count("\n", 0, begin) + text[begin:end])
    return parts


def _read(path: Path, max_bytes: int) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(min(max_bytes, os.fstat(handle.fileno()).st_size) + 1)
    except OSError as exc:
        raise ExtraCrdError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise ExtraCrdError(f"{path}: larger than {max_bytes} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExtraCrdError(f"{path}: not UTF-8 text") from None


def _read_regular(path: Path, max_bytes: int) -> bytes | None:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        with open(path, "rb") as handle:
            # Sized by the file, not by the limit: a read of ``max_bytes`` would allocate that
            # much for every file of the repository.
            return handle.read(info.st_size + 1)
    except OSError:
        return None
