"""FL101-FL109 for custom resources whose schema comes from a ``--schema-dir`` folder.

Only objects that nothing else validates are looked up: Flux kinds have the shipped bundles,
built-in kinds the shipped Kubernetes schemas, and a CRD from the repository or ``--crds``
(:mod:`flux_lint.check.rules.extra_crds`) is more exact than a converted JSON schema. Like that
check, this one is an object the engine adds to the run rather than an ``@check`` function,
because the schema rule ids are bound to the built-in functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flux_lint.check.rules.kubernetes import is_builtin
from flux_lint.check.rules.schema import RULE_BY_CODE, problems_from_errors

if TYPE_CHECKING:
    from flux_lint.check.context import CheckContext
    from flux_lint.check.schema.crds import CrdCatalog
    from flux_lint.check.schema.schema_dirs import SchemaDirs
    from flux_lint.core.findings import Problem
    from flux_lint.model.objects import K8sObject

SCHEMA_RULES = tuple(sorted(RULE_BY_CODE.values()))


@dataclass
class SchemaDirCheck:
    dirs: SchemaDirs
    catalog: CrdCatalog
    enabled: frozenset[str] = field(default_factory=frozenset)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r for r in SCHEMA_RULES if r in self.enabled)

    @classmethod
    def for_run(
        cls, dirs: SchemaDirs, catalog: CrdCatalog, enabled: Iterable[str]
    ) -> SchemaDirCheck | None:
        wanted = frozenset(enabled) & set(SCHEMA_RULES)
        return cls(dirs, catalog, wanted) if wanted and dirs.folders else None

    def __call__(self, obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
        if obj.is_flux or is_builtin(obj):
            return
        if self.catalog.lookup(obj.group, obj.version, obj.kind) is not None:
            return
        validator = self.dirs.validator(obj.api_version, obj.kind)
        if validator is not None:
            yield from problems_from_errors(validator.validate(obj.data, partial=obj.partial))
