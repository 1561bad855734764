"""FL310 and FL311: built-in Kubernetes APIs that the target Kubernetes removed or deprecated.

The facts are data: ``rules/data/kubernetes-apis.yaml``, one row per removed or deprecated
group/version with its kinds, the release, the replacement and the source of the row. A row is
judged against ``--kubernetes-version``:

* removed in or before the target → FL310 (error): the API server rejects the object, and the
  dry-run failure blocks every object of the Flux Kustomization;
* deprecated in or before the target, or removed after it → FL311 (warning), naming the release
  that removes it.

The fix writes the replacement apiVersion. Like the Flux migrations
(:mod:`flux_lint.check.rules.lifecycle`), it is safe only when the object validates on the new
version as it is; otherwise it is offered as unsafe with the reason. Two shape changes have
fixes of their own that rewrite exactly those fields
(:mod:`flux_lint.check.rules.kubernetes_fixes`): Ingress ``serviceName``/``servicePort`` →
``service.name``/``service.port`` plus the now required ``pathType``, and the
HorizontalPodAutoscaler ``v2beta1`` metric targets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import check
from flux_lint.check.schema.kubernetes import (
    format_version,
    is_builtin_group,
    parse_kubernetes_version,
)
from flux_lint.core.findings import VALUE, Problem
from flux_lint.model.objects import K8sObject, split_api_version

REMOVED = "FL310"
DEPRECATED = "FL311"

Version = tuple[int, int]


@dataclass(frozen=True)
class ApiRow:
    """One removed or deprecated built-in group/version and the kinds it served."""

    api_version: str
    kinds: tuple[str, ...]
    removed: Version | None
    deprecated: Version | None
    planned_removal: Version | None
    replacement: str | None
    changes: str | None
    note: str | None
    source: tuple[str, ...]

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def version(self) -> str:
        return split_api_version(self.api_version)[1]


def _version(value: Any, where: str) -> Version | None:
    if value is None:
        return None
    try:
        return parse_kubernetes_version(str(value))
    except ValueError:
        raise ValueError(f"{where}: not a Kubernetes version: {value!r}") from None


def parse_table(data: Any) -> list[ApiRow]:
    """The rows of the table file, checked: each has a group/version, kinds, a release and a
    known source."""
    if not isinstance(data, dict) or not isinstance(data.get("apis"), list):
        raise ValueError("kubernetes-apis.yaml: expected `sources:` and `apis:`")
    sources = data.get("sources") or {}
    rows = []
    for number, item in enumerate(data["apis"], start=1):
        where = f"kubernetes-apis.yaml row {number}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: not a mapping")
        source = item.get("source")
        source_list = tuple(source) if isinstance(source, list) else (source,)
        if not source_list or any(s not in sources for s in source_list):
            raise ValueError(f"{where}: unknown source {source!r}")
        row = ApiRow(
            api_version=str(item["apiVersion"]),
            kinds=tuple(item["kinds"]),
            removed=_version(item.get("removed"), where),
            deprecated=_version(item.get("deprecated"), where),
            planned_removal=_version(item.get("plannedRemoval"), where),
            replacement=item.get("replacement"),
            changes=item.get("changes"),
            note=item.get("note"),
            source=source_list,
        )
        if row.removed is None and row.deprecated is None:
            raise ValueError(f"{where}: neither `removed` nor `deprecated`")
        rows.append(row)
    return rows


@cache
def table() -> dict[tuple[str, str], ApiRow]:
    """(apiVersion, kind) → row, from the JSON copy of the data file (core/datafiles.py)."""
    from flux_lint.core import datafiles

    data = datafiles.load("kubernetes-apis.yaml")
    return {(row.api_version, kind): row for row in parse_table(data) for kind in row.kinds}


def table_row(group: str, version: str, kind: str) -> ApiRow | None:
    api_version = f"{group}/{version}" if group else version
    return table().get((api_version, kind))


def judge(row: ApiRow, target: Version) -> tuple[str, str] | None:
    """(rule id, message tail) for ``row`` on Kubernetes ``target``, or None if all is well."""
    release = format_version
    if row.removed is not None and row.removed <= target:
        return REMOVED, f"was removed in Kubernetes {release(row.removed)}"
    removal = row.removed or row.planned_removal
    if row.deprecated is not None and row.deprecated <= target:
        tail = f"is deprecated since Kubernetes {release(row.deprecated)}"
        if removal:
            planned = "is" if row.removed else "is planned to be"
            tail += f" and {planned} removed in {release(removal)}"
        return DEPRECATED, tail
    if row.removed is not None:
        return DEPRECATED, f"is removed in Kubernetes {release(row.removed)}"
    return None


def _instead(row: ApiRow) -> str:
    if row.replacement:
        return f"; use `{row.replacement}`"
    return f"; {row.note}" if row.note else ""


@check(REMOVED, DEPRECATED)
def kubernetes_api_lifecycle(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Report a built-in object whose apiVersion the target Kubernetes removed or deprecated."""
    if not is_builtin_group(obj.group):
        return
    row = table().get((obj.api_version, obj.kind))
    if row is None:
        return
    verdict = judge(row, ctx.kubernetes_version)
    if verdict is None:
        return
    rule_id, tail = verdict
    message = f"{obj.kind} `{obj.api_version}` {tail}{_instead(row)}"
    problem = Problem(message, "/apiVersion", VALUE, rule_id=rule_id)
    if row.replacement:
        from flux_lint.check.rules.kubernetes_fixes import bump_fix

        problem.fix = bump_fix(obj, ctx, row)
    yield problem
