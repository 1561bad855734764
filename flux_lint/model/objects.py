"""Kubernetes objects found in the repository, as the rules see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flux_lint.core.findings import ObjectRef
from flux_lint.load.yaml import Document
from flux_lint.model.kustomize import is_kustomize_config

FLUX_GROUP_SUFFIX = ".fluxcd.io"
FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"


def split_api_version(api_version: str) -> tuple[str, str]:
    """``source.toolkit.fluxcd.io/v1`` → (group, ``v1``); ``v1`` (core) → ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def is_flux_group(group: str) -> bool:
    """Groups whose CRDs ship with Flux itself (``*.toolkit.fluxcd.io``, ``source.extensions``).

    ``fluxcd.controlplane.io`` (flux-operator) is a different project and not part of the bundles.
    """
    return group.endswith(".toolkit.fluxcd.io") or group == "source.extensions.fluxcd.io"


def is_flux_kustomization(entry: Any) -> bool:
    """A Flux Kustomization (not a kustomize one), for an object or an index entry."""
    return entry.kind == "Kustomization" and entry.group == FLUX_KUSTOMIZE_GROUP


@dataclass(slots=True)
class K8sObject:
    """One document that is a Kubernetes object: a mapping with string ``apiVersion`` and ``kind``.

    ``data`` is the plain JSON view (dict/list/str/int/float/bool/None) as Kubernetes would read
    the YAML. ``partial`` is true for files a kustomization.yaml uses as patches: they are
    fragments, so missing required fields must not be reported.
    """

    path: str  # repository-relative POSIX path
    document: int  # 0-based index of the document in the file
    data: dict[str, Any]
    api_version: str
    kind: str
    partial: bool = False
    sops: bool = False  # the document carries a top-level `sops:` block
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def version(self) -> str:
        return split_api_version(self.api_version)[1]

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.data.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str | None:
        name = self.metadata.get("name")
        return name if isinstance(name, str) else None

    @property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return ns if isinstance(ns, str) else None

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.data.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def is_flux(self) -> bool:
        return is_flux_group(self.group)

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.api_version, self.kind, self.namespace, self.name)


def classify(path: str, doc: Document, *, partial: bool = False) -> K8sObject | None:
    """A Kubernetes object, or None for anything else (values files, CI configs, ...)."""
    data = doc.data
    if not isinstance(data, dict):
        return None
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    if not api_version or not kind or is_kustomize_config(data, path):
        return None
    return K8sObject(
        path=path,
        document=doc.index,
        data=data,
        api_version=api_version,
        kind=kind,
        partial=partial,
        sops=isinstance(data.get("sops"), dict),
    )
