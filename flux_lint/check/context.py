"""What a check function gets besides the object: the run's settings and shared, lazily built
state (schema bundles, the lifecycle table, the repository index)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from flux_lint.check.schema.kubernetes import DEFAULT_KUBERNETES, KubernetesSchemas, schemas_for
from flux_lint.check.schema.store import DEFAULT_MINOR, Bundle, load_bundle, nearest_minor


@dataclass
class CheckContext:
    flux_version: tuple[int, int] = DEFAULT_MINOR  # the Flux the repository must work with
    from_version: tuple[int, int] | None = None  # set for an upgrade report (--from)
    options: dict[str, Any] = field(default_factory=dict)  # per-rule options from config
    index: Any = None  # the repository index (cross-file rules), when built
    root: Path | None = None  # the repository root that display paths are relative to
    #: The Kubernetes built-in objects are checked against (--kubernetes-version).
    kubernetes_version: tuple[int, int] = DEFAULT_KUBERNETES
    #: kubeconform-style schema folders (--schema-dir), for kinds without a shipped schema.
    schema_dirs: tuple[Path, ...] = ()
    applied: Any = None  # which files Flux applies (model/applied.py AppliedSet), when known
    effective: Any = None  # objects as their Kustomizations deploy them (model/effective.py)
    #: Where custom resources that are not Flux's get their schemas (schema/sources.py).
    schema_sources: Any = None
    #: (ResourceSet index entry, model.resourceset.RenderResult) of every ResourceSet rendered
    #: in this run (check/rendered.py), for the template rules.
    rendered: list[Any] = field(default_factory=list)

    @cached_property
    def bundle(self) -> Bundle:
        """The schema bundle of the target Flux version."""
        return load_bundle(nearest_minor(self.flux_version))

    @property
    def kubernetes(self) -> KubernetesSchemas:
        """What the target Kubernetes serves; its index is read on first use."""
        return schemas_for(self.kubernetes_version)

    def bundle_for(self, minor: tuple[int, int]) -> Bundle:
        return load_bundle(nearest_minor(minor))
