"""API lifecycle rules: removed (FL301), deprecated (FL302) and unknown (FL303) Flux APIs.

An object is judged by its own ``apiVersion``/``kind`` and by every field through which a Flux
object names another object's apiVersion (``spec.sourceRef``, health checks, Receiver resources,
Alert event sources, ...): a stale apiVersion there breaks or silently disables the reference
after an upgrade just as surely, and ``flux migrate`` does not rewrite it.

All the facts come from :mod:`flux_lint.check.lifecycle`. The check first computes
:class:`ApiVersionIssue` values, which carry the location of the value to change and what to
write instead; only then are they turned into :class:`~flux_lint.core.findings.Problem`. A ``--fix``
implementation can call :func:`issues` and build an edit of the value at ``issue.pointer``
without repeating any lifecycle logic.

Removed and deprecated apiVersions carry a fix that rewrites the value in place (see
:func:`flux_lint.check.edits.replace_scalar`): the object's own ``apiVersion`` and every reference
field above, however the value is quoted or laid out. Changing a reference is always safe (it
only names a version). Changing the object's own apiVersion is safe only when the object is
as valid under the new version as it was under the old one: the bumped object is checked
against the target Flux's schema and CEL rules for the new version, and any error it did not
already have under the old version (a field the new version dropped, such as Kustomization
``spec.patchesStrategicMerge``) makes the fix unsafe, with the reason in its title. Errors the
object already had are not the bump's doing and are reported by their own rules either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flux_lint.check.context import CheckContext
from flux_lint.check.lifecycle import ApiRow, LifecycleTable, Minor, Suggestion, table_for
from flux_lint.check.registry import check
from flux_lint.check.schema.store import MINORS, Bundle, VersionEntry, format_minor
from flux_lint.check.schema.validate import UNKNOWN_FIELD, format_path
from flux_lint.core.findings import VALUE, Problem, pointer_join, pointer_tokens
from flux_lint.model.objects import K8sObject, split_api_version

if TYPE_CHECKING:
    from flux_lint.check.edits import FixBuilder

REMOVED = "FL301"
DEPRECATED = "FL302"
UNKNOWN = "FL303"
#: A removed apiVersion in a Kustomization's ``spec.healthChecks[]``: kustomize-controller keeps
#: only the group and kind of a health check (``ReferenceToObjMetadataSet`` in its
#: ``internal/inventory/inventory.go`` builds ``object.ObjMetadata`` from
#: ``schema.ParseGroupVersion(apiVersion).Group`` and the kind), so the check still works: a
#: tidy-up warning with a safe fix instead of the FL301 error.
HEALTH_CHECK = "FL552"

#: Fields of Flux kinds that name another object's ``apiVersion`` (and usually its ``kind``),
#: read from the Flux 2.6 to 2.9 CRDs. ``*`` walks every item of a list. Keyed by kind alone
#: (Flux kinds are unique across its groups) so that an object whose own group is misspelt
#: still has its references checked.
REFERENCE_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Kustomization": (
        ("spec", "sourceRef"),
        ("spec", "healthChecks", "*"),
        ("spec", "healthCheckExprs", "*"),
    ),
    "HelmRelease": (
        ("spec", "chart", "spec", "sourceRef"),
        ("spec", "chartRef"),
        ("spec", "healthCheckExprs", "*"),
    ),
    "HelmChart": (("spec", "sourceRef"),),
    "ExternalArtifact": (("spec", "sourceRef"),),
    "ImageUpdateAutomation": (("spec", "sourceRef"),),
    "Alert": (("spec", "eventSources", "*"),),
    "Receiver": (("spec", "resources", "*"),),
}


@dataclass(frozen=True, slots=True)
class ApiVersionIssue:
    """One lifecycle finding, with what a fix needs.

    ``pointer`` is the value to change: an ``apiVersion`` (then ``replacement`` is the
    apiVersion to write) or, for a misspelt kind, a ``kind`` (then ``suggested_kind``).
    """

    rule_id: str
    message: str
    pointer: str
    api_version: str
    kind: str | None
    replacement: str | None = None
    suggested_kind: str | None = None

    def problem(self) -> Problem:
        return Problem(self.message, pointer=self.pointer, target=VALUE, rule_id=self.rule_id)


@dataclass(frozen=True, slots=True)
class _Place:
    """Where an apiVersion is written: the object itself or one of its reference fields."""

    pointer: str  # of the mapping holding `apiVersion` (and `kind`)
    field: str = ""  # dotted path for messages, e.g. `spec.healthChecks[0]`; "" = the object

    def subject(self, kind: str | None, api_version: str) -> str:
        what = f"{kind} `{api_version}`" if kind else f"`{api_version}`"
        return f"{what} in `{self.field}`" if self.field else what


@check(REMOVED, DEPRECATED, UNKNOWN, HEALTH_CHECK)
def api_lifecycle(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Report removed, deprecated and unknown Flux API versions of ``obj`` and its references."""
    for issue in issues(obj, ctx):
        problem = issue.problem()
        problem.fix = _fix(obj, ctx, issue)
        yield problem


# -- fixes ---------------------------------------------------------------------------------------


def _fix(obj: K8sObject, ctx: CheckContext, issue: ApiVersionIssue) -> FixBuilder | None:
    """A builder that writes the replacement apiVersion, for removed and deprecated ones."""
    if issue.rule_id not in (REMOVED, DEPRECATED, HEALTH_CHECK) or not issue.replacement:
        return None
    # Imported here: most objects have no API version issue, and their check needs no edits.
    from flux_lint.check.edits import replace_scalar

    title = f"Change apiVersion to `{issue.replacement}`"
    reason = None
    if issue.pointer == "/apiVersion":
        try:
            reason = _bump_breaks(obj, ctx, issue.replacement)
        except Exception as exc:  # the finding must survive a failure of the safety check
            reason = f"the object could not be checked against the new version ({exc})"
    if reason:
        title += f" (unsafe: {reason})"
    return replace_scalar(
        issue.pointer,
        issue.replacement,
        expected=issue.api_version,
        title=title,
        safe=reason is None,
    )


def _old_schema(ctx: CheckContext, obj: K8sObject) -> tuple[Bundle, VersionEntry] | None:
    """The schema of the object's current version, from the newest bundle that serves it."""
    for minor in sorted({ctx.flux_version, *MINORS}, reverse=True):
        bundle = ctx.bundle_for(minor)
        entry = bundle.lookup(obj.group, obj.version, obj.kind)
        if entry is not None:
            return bundle, entry
    return None


def _errors(
    bundle: Bundle, entry: VersionEntry, obj: K8sObject, data: dict[str, Any]
) -> dict[tuple[str, str], str]:
    """Schema and CEL errors of ``data`` under ``entry``, keyed so that the same error under
    two versions compares equal: (code, pointer) for the schema, (message, pointer) for CEL."""
    from flux_lint.check.rules.crd_cel import validate as cel_validate

    found: dict[tuple[str, str], str] = {}
    for error in bundle.validator(entry).validate(data, partial=obj.partial):
        found.setdefault((error.code, error.pointer), error.message)
    if not obj.partial:
        for problem in cel_validate(entry.schema, data):
            found.setdefault(("cel: " + problem.message, problem.pointer), problem.message)
    return found


def _bump_breaks(obj: K8sObject, ctx: CheckContext, replacement: str) -> str | None:
    """Why moving ``obj`` to ``replacement`` is not safe, or None when it is."""
    group, version = split_api_version(replacement)
    entry = ctx.bundle.lookup(group, version, obj.kind)
    if entry is None:
        return f"no schema for {obj.kind} `{replacement}` to check the object against"
    bumped = {**obj.data, "apiVersion": replacement}
    after = _errors(ctx.bundle, entry, obj, bumped)
    if not after:
        return None
    old = _old_schema(ctx, obj)
    before = _errors(*old, obj, obj.data) if old is not None else {}
    introduced = {key: message for key, message in after.items() if key not in before}
    if not introduced:
        return None
    unknown = [_field(pointer) for (code, pointer) in introduced if code == UNKNOWN_FIELD]
    others = [m for (code, _), m in introduced.items() if code != UNKNOWN_FIELD]
    parts = []
    if unknown:
        shown = ", ".join(f"`{name}`" for name in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        plural = "s" if len(unknown) > 1 else ""
        parts.append(f"`{replacement}` has no field{plural} {shown}{more}")
    if others:
        more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
        parts.append(f"`{replacement}` would reject it: {others[0]}{more}")
    return "; ".join(parts)


def _field(pointer: str) -> str:
    tokens: list[str | int] = [int(t) if t.isdigit() else t for t in pointer_tokens(pointer)]
    return format_path(tokens)


def issues(obj: K8sObject, ctx: CheckContext) -> list[ApiVersionIssue]:
    """Every lifecycle issue of ``obj`` for the Flux version ``ctx.flux_version``."""
    table = table_for(ctx)
    target: Minor = (ctx.flux_version[0], ctx.flux_version[1])
    found: list[ApiVersionIssue] = []
    if not table.covers(obj.group):
        return found
    found.extend(_judge(table, target, _Place(""), obj.api_version, obj.kind))
    for place, ref in _references(obj):
        api_version = ref.get("apiVersion")
        if not isinstance(api_version, str):
            continue
        group, _ = split_api_version(api_version.strip())
        if not group or not table.covers(group):
            continue  # core and third-party APIs are not Flux's to judge
        kind = ref.get("kind")
        if isinstance(kind, str) and kind:
            judged = _judge(table, target, place, api_version.strip(), kind)
            if place.pointer.startswith(HEALTH_CHECKS) and obj.kind == "Kustomization":
                judged = [_health_check(issue) for issue in judged]
            found.extend(judged)
        else:
            found.extend(_judge_kindless(table, target, place, api_version.strip()))
    return found


HEALTH_CHECKS = "/spec/healthChecks/"


def _health_check(issue: ApiVersionIssue) -> ApiVersionIssue:
    """FL552 instead of FL301 for a health check: its version is never read."""
    if issue.rule_id != REMOVED:
        return issue
    message = issue.message.replace(
        "; use ",
        "; kustomize-controller reads only the group and kind of a health check, so it still "
        "works: use ",
        1,
    )
    return ApiVersionIssue(
        HEALTH_CHECK,
        message,
        issue.pointer,
        issue.api_version,
        issue.kind,
        issue.replacement,
        issue.suggested_kind,
    )


def _references(obj: K8sObject) -> Iterator[tuple[_Place, Mapping[str, Any]]]:
    paths = REFERENCE_FIELDS.get(obj.kind, ())
    for path in paths:
        yield from _walk(obj.data, path, "", "")


def _walk(
    node: Any, path: tuple[str, ...], pointer: str, field: str
) -> Iterator[tuple[_Place, Mapping[str, Any]]]:
    if not path:
        if isinstance(node, Mapping):
            yield _Place(pointer, field), node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from _walk(item, rest, pointer_join(pointer, index), f"{field}[{index}]")
        return
    if isinstance(node, Mapping) and head in node:
        yield from _walk(
            node[head], rest, pointer_join(pointer, head), f"{field}.{head}" if field else head
        )


# -- judging one apiVersion ----------------------------------------------------------------------


def _judge(
    table: LifecycleTable, target: Minor, place: _Place, api_version: str, kind: str
) -> list[ApiVersionIssue]:
    group, version = split_api_version(api_version)
    value_pointer = pointer_join(place.pointer, "apiVersion")
    row = table.row(group, version, kind)
    subject = place.subject(kind, api_version)
    if row is None:
        return [_unknown(table, target, place, api_version, kind)]
    status = row.status(target)
    if status == "removed":
        replacement = table.replacement(row, target)
        message = f"{subject} was removed in Flux {_minor(row.removed_in)}"
        return [
            ApiVersionIssue(
                REMOVED, message + _use(replacement), value_pointer, api_version, kind, replacement
            )
        ]
    if status == "deprecated":
        replacement = table.replacement(row, target)
        message = f"{subject} is deprecated since Flux {_minor(row.deprecated_in)}"
        if row.removed_in:
            message += f" and removed in Flux {_minor(row.removed_in)}"
        return [
            ApiVersionIssue(
                DEPRECATED,
                message + _use(replacement),
                value_pointer,
                api_version,
                kind,
                replacement,
            )
        ]
    if status == "unknown":  # introduced after the target
        replacement = _served_instead(table, row, target)
        message = f"{subject} is not served before Flux {_minor(row.introduced)}"
        return [
            ApiVersionIssue(
                UNKNOWN, message + _use(replacement), value_pointer, api_version, kind, replacement
            )
        ]
    return []


def _unknown(
    table: LifecycleTable, target: Minor, place: _Place, api_version: str, kind: str
) -> ApiVersionIssue:
    """FL303 for a (group, version, kind) that is in no row, with the likeliest intent."""
    group, version = split_api_version(api_version)
    suggestion = table.closest(group, version, kind, target)
    kind_pointer = pointer_join(place.pointer, "kind")
    value_pointer = pointer_join(place.pointer, "apiVersion")
    kind_known = bool(table.versions(group, kind))
    if (suggestion is not None and suggestion.kind != kind) or (
        suggestion is None and group in table.groups() and not kind_known
    ):
        where = f" in `{place.field}`" if place.field else ""
        message = f"Kind `{kind}`{where} does not exist in `{group}`" + _did_you_mean(
            suggestion, api_version, kind
        )
        return ApiVersionIssue(
            UNKNOWN,
            message,
            kind_pointer,
            api_version,
            kind,
            suggestion.api_version
            if suggestion and suggestion.api_version != api_version
            else None,
            suggestion.kind if suggestion else None,
        )
    message = f"{place.subject(kind, api_version)} is not a Flux API version" + _did_you_mean(
        suggestion, api_version, kind
    )
    return ApiVersionIssue(
        UNKNOWN,
        message,
        value_pointer,
        api_version,
        kind,
        suggestion.api_version if suggestion else None,
    )


def _judge_kindless(
    table: LifecycleTable, target: Minor, place: _Place, api_version: str
) -> list[ApiVersionIssue]:
    """A reference without ``kind`` (Flux 2.9 ``healthCheckExprs``) covers every kind of its
    apiVersion: judge the apiVersion by the best status any of those kinds has."""
    group, version = split_api_version(api_version)
    rows = [r for r in table if r.group == group and r.version == version]
    value_pointer = pointer_join(place.pointer, "apiVersion")
    subject = place.subject(None, api_version)
    statuses = {r.status(target) for r in rows}
    if "served" in statuses:
        return []
    if "deprecated" in statuses:
        deprecated = [r for r in rows if r.status(target) == "deprecated"]
        since = min(r.deprecated_in for r in deprecated if r.deprecated_in)
        replacement = _common({table.replacement(r, target) for r in deprecated})
        message = f"{subject} is deprecated since Flux {_minor(since)}"
        return [
            ApiVersionIssue(
                DEPRECATED,
                message + _use(replacement),
                value_pointer,
                api_version,
                None,
                replacement,
            )
        ]
    if "removed" in statuses:
        removed = [r for r in rows if r.status(target) == "removed"]
        when = min(r.removed_in for r in removed if r.removed_in)
        replacement = _common({table.replacement(r, target) for r in removed})
        message = f"{subject} was removed in Flux {_minor(when)}"
        return [
            ApiVersionIssue(
                REMOVED, message + _use(replacement), value_pointer, api_version, None, replacement
            )
        ]
    # No kind of the group ever had this version (or none yet in the target).
    served = {r.api_version for r in table if r.group == group and r.status(target) == "served"}
    replacement = _common(served)
    message = f"{subject} is not a Flux API version" + (
        f"; did you mean `{replacement}`" if replacement else ""
    )
    return [ApiVersionIssue(UNKNOWN, message, value_pointer, api_version, None, replacement)]


# -- wording ---------------------------------------------------------------------------------------


def _minor(minor: Minor | None) -> str:
    return format_minor(minor) if minor else "?"


def _served_instead(table: LifecycleTable, row: ApiRow, target: Minor) -> str | None:
    """For a version newer than the target: what the target serves for that kind."""
    for statuses in (("served",), ("deprecated",)):
        rows = table.rows_at(row.group, row.kind, target, *statuses)
        if rows:
            return rows[0].api_version
    return None


def _common(values: set[str | None]) -> str | None:
    values.discard(None)
    return values.pop() if len(values) == 1 else None


def _use(replacement: str | None) -> str:
    return f"; use `{replacement}`" if replacement else ""


def _did_you_mean(suggestion: Suggestion | None, api_version: str, kind: str) -> str:
    if suggestion is None:
        return ""
    if suggestion.kind == kind:
        return f"; did you mean `{suggestion.api_version}`"
    if suggestion.api_version == api_version:
        return f"; did you mean `{suggestion.kind}`"
    return f"; did you mean `{suggestion.kind}` in `{suggestion.api_version}`"
