"""What a check function gets besides the object: the run's settings and shared, lazily built
state (schema bundles, the lifecycle table, the repository index)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from flux_lint.check.schema.store import DEFAULT_MINOR, Bundle, load_bundle, nearest_minor


@dataclass
class CheckContext:
    flux_version: tuple[int, int] = DEFAULT_MINOR  # the Flux the repository must work with
    from_version: tuple[int, int] | None = None  # set for an upgrade report (--from)
    options: dict[str, Any] = field(default_factory=dict)  # per-rule options from config
    index: Any = None  # the repository index (cross-file rules), when built
    root: Path | None = None  # the repository root that display paths are relative to
    applied: Any = None  # which files Flux applies (model/applied.py AppliedSet), when known
    effective: Any = None  # objects as their Kustomizations deploy them (model/effective.py)
    #: Where custom resources that are not Flux's get their schemas (schema/sources.py).
    schema_sources: Any = None

    @cached_property
    def bundle(self) -> Bundle:
        """The schema bundle of the target Flux version."""
        return load_bundle(nearest_minor(self.flux_version))

    def bundle_for(self, minor: tuple[int, int]) -> Bundle:
        return load_bundle(nearest_minor(minor))
