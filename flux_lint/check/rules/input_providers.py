"""FL336-FL338: ResourceSetInputProvider strings the operator parses only when it reconciles.

The CRD of a ``ResourceSetInputProvider`` (``fluxcd.controlplane.io/v1``) types
``schedule[].cron``, the ``filter`` regular expressions and ``filter.semver`` as plain strings;
flux-operator parses them in its reconciler, and a bad one stalls the provider (no inputs, so
every ResourceSet fed by it stops changing) with nothing reported before it reaches a cluster.
These checks parse them the way the operator does (flux-operator v0.58.1):

* **FL336** ``schedule[]``: ``internal/schedule.NewScheduler`` parses ``cron`` with robfig/cron
  v3 (five fields or a descriptor, after ``CRON_TZ=<timeZone>``), see :mod:`flux_lint.core.cron`,
  and requires a non-zero ``window`` to be at least twice the reconcile timeout (annotation
  ``fluxcd.controlplane.io/reconcileTimeout``, default 2m);
* **FL337** ``filter.includeBranch``, ``excludeBranch``, ``includeTag``, ``excludeTag``,
  ``includeEnvironment``, ``excludeEnvironment``: Go ``regexp.Compile`` (RE2 syntax), see
  :mod:`flux_lint.core.regex`;
* **FL338** ``filter.semver``: Masterminds ``semver.NewConstraint``, see
  :mod:`flux_lint.core.semver_constraints`.

Values holding a ``${VAR}`` placeholder or a ResourceSet template marker (``<<``) are skipped:
they are only final after substitution or rendering.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import check
from flux_lint.core.findings import VALUE, Problem
from flux_lint.core.placeholders import has_placeholder
from flux_lint.model.objects import K8sObject

SCHEDULE = "FL336"
FILTER_REGEX = "FL337"
FILTER_SEMVER = "FL338"

OPERATOR_GROUP = "fluxcd.controlplane.io"
KIND = "ResourceSetInputProvider"
FILTER_REGEX_FIELDS = (
    "includeBranch",
    "excludeBranch",
    "includeTag",
    "excludeTag",
    "includeEnvironment",
    "excludeEnvironment",
)
TIMEOUT_ANNOTATION = f"{OPERATOR_GROUP}/reconcileTimeout"
#: ``GetTimeout`` in api/v1/resourcesetinputprovider_types.go.
DEFAULT_TIMEOUT_NS = 2 * 60 * 1_000_000_000
#: The CRD default of ``schedule[].timeZone``, applied by the API server when it is left out.
DEFAULT_TIME_ZONE = "UTC"


def _final(value: Any) -> bool:
    """A string whose text is what the operator will read."""
    return isinstance(value, str) and not has_placeholder(value) and "<<" not in value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@check(SCHEDULE, FILTER_REGEX, FILTER_SEMVER)
def input_provider_strings(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Parse a ResourceSetInputProvider's cron schedules, filter regexes and semver range."""
    if obj.kind != KIND or obj.group != OPERATOR_GROUP:
        return
    spec = _dict(obj.data.get("spec"))
    yield from _schedules(obj, spec)
    filters = _dict(spec.get("filter"))
    yield from _regexes(filters)
    yield from _semver(filters)


def _timeout(obj: K8sObject) -> int:
    """The reconcile timeout in nanoseconds; an unreadable annotation falls back to the default
    (as the operator does)."""
    from flux_lint.core.go_duration import DurationError, parse_duration

    annotations = _dict(_dict(obj.data.get("metadata")).get("annotations"))
    value = annotations.get(TIMEOUT_ANNOTATION)
    if not isinstance(value, str):
        return DEFAULT_TIMEOUT_NS
    try:
        return parse_duration(value)
    except DurationError:
        return DEFAULT_TIMEOUT_NS


def _schedules(obj: K8sObject, spec: dict[str, Any]) -> Iterator[Problem]:
    from flux_lint.core.cron import CronError, operator_spec, parse_cron
    from flux_lint.core.go_duration import DurationError, parse_duration

    schedules = spec.get("schedule")
    if not isinstance(schedules, list):
        return
    for number, item in enumerate(schedules):
        item = _dict(item)
        cron, zone = item.get("cron"), item.get("timeZone", DEFAULT_TIME_ZONE)
        if _final(cron) and (zone is None or _final(zone)):
            try:
                parse_cron(operator_spec(cron, zone if isinstance(zone, str) else None))
            except CronError as exc:
                where = "timeZone" if "bad location" in str(exc) else "cron"
                yield Problem(
                    f"flux-operator cannot parse schedule[{number}]: {exc}",
                    pointer=f"/spec/schedule/{number}/{where}",
                    target=VALUE,
                    rule_id=SCHEDULE,
                )
        window = item.get("window")
        if not _final(window):
            continue
        try:
            nanos = parse_duration(window)
        except DurationError:
            continue  # the CRD pattern reports it
        timeout = _timeout(obj)
        if 0 < nanos < 2 * timeout:
            yield Problem(
                f"schedule[{number}] window `{window}` must be 0 or at least twice the reconcile "
                f"timeout ({_format(timeout)}): flux-operator rejects the schedule",
                pointer=f"/spec/schedule/{number}/window",
                target=VALUE,
                rule_id=SCHEDULE,
            )


def _format(nanos: int) -> str:
    seconds = nanos / 1_000_000_000
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def _regexes(filters: dict[str, Any]) -> Iterator[Problem]:
    from flux_lint.core.regex import compile_pattern

    for field in FILTER_REGEX_FIELDS:
        value = filters.get(field)
        if not _final(value) or not value:
            continue
        try:
            compile_pattern(value)
        except ValueError as exc:
            reason = str(exc).partition("`: ")[2] or str(exc)
            yield Problem(
                f"`filter.{field}` is not a valid Go regular expression: {reason}",
                pointer=f"/spec/filter/{field}",
                target=VALUE,
                rule_id=FILTER_REGEX,
            )


def _semver(filters: dict[str, Any]) -> Iterator[Problem]:
    from flux_lint.core.semver_constraints import ConstraintSyntaxError, check_constraint

    value = filters.get("semver")
    if not _final(value) or not value:
        return
    try:
        check_constraint(value)
    except ConstraintSyntaxError as exc:
        yield Problem(
            f"`filter.semver` is not a semver constraint flux-operator can parse: {exc}",
            pointer="/spec/filter/semver",
            target=VALUE,
            rule_id=FILTER_SEMVER,
        )
