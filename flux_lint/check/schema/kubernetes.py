"""The built-in Kubernetes schemas (``schemas/kubernetes/``), loaded kind by kind.

``index.json`` (a few kilobytes) says which apiVersions and kinds each supported Kubernetes
minor serves and which file holds each kind's schema; it is read the first time a run meets an
object whose group is a built-in one. A kind's schema is read, decompressed and compiled the
first time an object of that kind and version is validated, and kept for the rest of the
process. So a run over Flux objects only reads nothing from here, and a run over one Deployment
reads the index and Deployment's schema alone (:data:`LOADED` records what was read, for the
tests that hold this).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flux_lint.core.resources import schemas_dir

#: Kubernetes' built-in API groups with a dot (those without one, ``apps``, ``batch`` ...,
#: are built in too): no catalog project (check/schema/catalog.py) defines kinds in them.
KUBERNETES_GROUPS = frozenset(
    {
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
        "kustomize.config.k8s.io",
    }
)


def is_kubernetes_group(group: str) -> bool:
    """Whether ``group`` is one of Kubernetes' own (without a dot: the core group, ``apps``,
    ...; or one of :data:`KUBERNETES_GROUPS`), in which no catalog project defines kinds."""
    return "." not in group or group in KUBERNETES_GROUPS


#: Kubernetes minors with schemas, oldest first; the default is the oldest one Flux 2.9 supports.
KUBERNETES_MINORS: tuple[tuple[int, int], ...] = ((1, 34), (1, 35), (1, 36))
DEFAULT_KUBERNETES = (1, 34)

#: Groups of the built-in APIs, including those whose every version was removed before 1.34
#: (``extensions``). Anything else (``gateway.networking.k8s.io``, ``cert-manager.io``) is a CRD.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "extensions",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)


#: Kinds that are not API resources although their group is built in: kubectl and kustomize
#: expand ``v1 List`` documents, and ``*List`` kinds are read the same way.
def is_list_kind(kind: str) -> bool:
    return kind.endswith("List")


#: File names read from ``schemas/kubernetes/`` in this process, in order.
LOADED: list[str] = []


def parse_kubernetes_version(text: str) -> tuple[int, int]:
    """``1.34``, ``v1.34.2`` → (1, 34). Raises ``ValueError`` otherwise."""
    parts = str(text).strip().lstrip("v").split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        raise ValueError(f"not a Kubernetes version: {text!r} (expected e.g. 1.34)") from None
    if major != 1:
        raise ValueError(f"not a Kubernetes version: {text!r} (expected e.g. 1.34)")
    return major, minor


def format_version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def nearest_minor(version: tuple[int, int]) -> tuple[int, int]:
    """The schemas to use for ``version``: its own, else the closest older (or the oldest)."""
    older = [m for m in KUBERNETES_MINORS if m <= version]
    return older[-1] if older else KUBERNETES_MINORS[0]


def is_builtin_group(group: str) -> bool:
    return group in BUILTIN_GROUPS


def _directory() -> Path:
    return schemas_dir() / "kubernetes"


@cache
def load_index() -> dict[str, Any]:
    path = _directory() / "index.json"
    LOADED.append(path.name)
    with path.open("rb") as fh:
        return json.load(fh)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema stored as ``<name>.json.gz``."""
    path = _directory() / f"{name}.json.gz"
    LOADED.append(path.name)
    return json.loads(_gunzip(path.read_bytes()))


def _gunzip(data: bytes) -> bytes:
    """``gzip.decompress`` for the usual one-member file through ``zlib`` alone: the
    ``gzip`` module (and what it imports) costs more than decompressing a kind's schema."""
    import zlib

    reader = zlib.decompressobj(wbits=31)  # 16 + 15: a gzip header and trailer
    try:
        out = reader.decompress(data)
        if reader.eof and not reader.unused_data:
            return out
    except zlib.error:
        pass
    import gzip  # several members, or something zlib does not take: gzip decides

    return gzip.decompress(data)


@cache
def _validator(name: str) -> Any:
    from flux_lint.check.schema.validate import StructuralValidator

    return StructuralValidator(load_schema(name), builtin=True)


class KubernetesSchemas:
    """What one Kubernetes minor serves, and the validators of its kinds."""

    def __init__(self, version: tuple[int, int]):
        self.version = version
        self.minor = nearest_minor(version)
        served = load_index()["kubernetes"].get(format_version(self.minor), {})
        self.served: dict[str, dict[str, str]] = served

    def file_for(self, api_version: str, kind: str) -> str | None:
        return self.served.get(api_version, {}).get(kind)

    def validator(self, api_version: str, kind: str) -> Any:
        name = self.file_for(api_version, kind)
        return _validator(name) if name else None

    def schema(self, api_version: str, kind: str) -> dict[str, Any] | None:
        name = self.file_for(api_version, kind)
        return load_schema(name) if name else None

    def api_versions_of(self, kind: str) -> list[str]:
        """The apiVersions that serve ``kind``, GA first, then beta, then alpha."""
        found = [av for av, kinds in self.served.items() if kind in kinds]
        return sorted(found, key=_stability)

    def kinds_of(self, group: str) -> set[str]:
        return {
            k for av, kinds in self.served.items() if av.rpartition("/")[0] == group for k in kinds
        }

    def closest_kind(self, group: str, kind: str) -> str | None:
        kinds = sorted(self.kinds_of(group))
        lowered = {k.lower(): k for k in kinds}
        if kind.lower() in lowered:
            return lowered[kind.lower()]
        import difflib

        close = difflib.get_close_matches(kind.lower(), list(lowered), n=1, cutoff=0.75)
        return lowered[close[0]] if close else None


def _stability(api_version: str) -> tuple[int, str]:
    version = api_version.rpartition("/")[2]
    rank = 2 if "alpha" in version else 1 if "beta" in version else 0
    return rank, api_version


def served_from(api_version: str, kind: str, version: tuple[int, int]) -> tuple[int, int] | None:
    """The first release with schemas after ``version`` that serves ``api_version``/``kind``."""
    releases = load_index()["kubernetes"]
    for minor in KUBERNETES_MINORS:
        if minor > version and kind in releases.get(format_version(minor), {}).get(api_version, {}):
            return minor
    return None


@cache
def schemas_for(version: tuple[int, int]) -> KubernetesSchemas:
    return KubernetesSchemas(version)
