"""FL101-FL109 and FL201 for custom resources that are not Flux's.

The built-in schema and CRD CEL checks serve the kinds of the shipped Flux bundles; this check
serves every other custom resource whose schema the run knows: from the repository's CRDs and
``--crds`` first, then schema folders, then the shipped catalog (flux-operator, cert-manager,
external-secrets, Gateway API ...; precedence in :mod:`flux_lint.check.schema.sources`). It
uses the same validator, the same problem mapping and the same CEL evaluation, so a finding on
an ExternalSecret reads exactly like one on a HelmRelease. It is not an ``@check`` function
because those rule ids are bound to the built-in functions already; the engine adds it to a
run's checks when a rule of it is enabled, holding the run's
:class:`~flux_lint.check.schema.sources.SchemaSources`, whose repository CRDs the engine's
pre-pass fills before objects are checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flux_lint.check.deployed import required_as_deployed
from flux_lint.check.rules.schema import RULE_BY_CODE, problems_from_errors

if TYPE_CHECKING:
    from flux_lint.check.context import CheckContext
    from flux_lint.check.schema.sources import SchemaSources
    from flux_lint.core.findings import Problem
    from flux_lint.model.objects import K8sObject

__all__ = ["CEL_RULE", "SCHEMA_RULES", "ExtraCrdCheck"]

SCHEMA_RULES = tuple(sorted(RULE_BY_CODE.values()))
CEL_RULE = "FL201"


@dataclass
class ExtraCrdCheck:
    """The check function (``fn(obj, ctx) -> problems``) for custom resources of other CRDs."""

    sources: SchemaSources
    enabled: frozenset[str] = field(default_factory=frozenset)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r for r in (*SCHEMA_RULES, CEL_RULE) if r in self.enabled)

    @classmethod
    def for_run(cls, sources: SchemaSources, enabled: Iterable[str]) -> ExtraCrdCheck | None:
        """The check, or ``None`` when none of its rules is enabled."""
        wanted = frozenset(enabled) & {*SCHEMA_RULES, CEL_RULE}
        return cls(sources, wanted) if wanted else None

    def __call__(self, obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
        if obj.is_flux:
            return
        found = self.sources.resolve(obj.group, obj.version, obj.kind)
        if found is None:
            return
        if self.enabled & set(SCHEMA_RULES):
            validator = found.validator
            if validator is not None:
                errors = validator.validate(obj.data, partial=obj.partial)
                yield from problems_from_errors(required_as_deployed(obj, ctx, validator, errors))
        if CEL_RULE in self.enabled and not obj.partial:
            from flux_lint.check.rules import crd_cel  # imported for the first such object

            for problem in crd_cel.validate(found.entry.schema, obj.data):
                problem.rule_id = CEL_RULE
                yield problem
