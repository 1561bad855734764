"""FL320: an apiVersion of a catalog project that the project's release no longer serves.

The catalog (:mod:`flux_lint.check.schema.catalog`) holds one release per project. An object
written for an older release (``external-secrets.io/v1beta1``, ``cert-manager.io/v1alpha2``)
is rejected by the API server once the cluster runs that release, so it is reported, naming
the release, as a warning: the cluster may well still run an older one. Which release the
cluster runs is taken, first match wins, from:

1. the ``catalog:`` configuration key (``{external-secrets: "0.16.2"}``);
2. a chart version the repository pins for the project: a HelmRelease of one of the project's
   charts (``rules/data/catalog-projects.yaml``) with an exact ``spec.chart.spec.version``, or
   an OCIRepository whose URL ends in the chart's name with an exact ``spec.ref.tag``; with
   several, the oldest;
3. the catalog's release.

With an older release, the version is reported only when the data file records that the
release no longer served it either; when nothing is known, nothing is reported. A CRD in the
repository (or ``--crds``) that serves the version silences the rule: it describes the cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.schema.catalog import CatalogKind
from flux_lint.check.schema.sources import (
    SchemaSources,
    catalog_settings,
    parse_release,
)
from flux_lint.core.findings import VALUE, Problem
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.objects import is_flux_group, split_api_version

RULE = "FL320"
DATA_FILE = "catalog-projects.yaml"

Release = tuple[int, int, int]


@dataclass(frozen=True)
class ProjectFacts:
    """What ``rules/data/catalog-projects.yaml`` says about one project."""

    charts: tuple[str, ...] = ()
    #: apiVersion → the last (major, minor) release that served it.
    served_until: tuple[tuple[str, tuple[int, int]], ...] = ()

    def last_served(self, api_version: str) -> tuple[int, int] | None:
        return dict(self.served_until).get(api_version)


@cache
def project_facts() -> dict[str, ProjectFacts]:
    """The data file (its JSON copy, core/datafiles.py), read once."""
    from flux_lint.core import datafiles

    data = datafiles.load(DATA_FILE) or {}
    facts = {}
    for name, raw in (data.get("projects") or {}).items():
        raw = raw or {}
        until = []
        for row in raw.get("served") or []:
            release = parse_release(str(row["until"]))
            if release is None:
                raise ValueError(f"{DATA_FILE}: {name}: `until` must be a release, got {row}")
            until.append((str(row["apiVersion"]), release[:2]))
        facts[name] = ProjectFacts(tuple(raw.get("charts") or ()), tuple(until))
    return facts


@dataclass(frozen=True)
class Pin:
    release: Release
    text: str
    where: str  # how the message names it


def chart_pins(index: RepoIndex) -> dict[str, Pin]:
    """The oldest exact chart version the repository pins, per project."""
    by_chart = {chart: name for name, f in project_facts().items() for chart in f.charts}
    pins: dict[str, Pin] = {}
    for entry in index.entries:
        if entry.partial or not is_flux_group(entry.group):
            continue
        found = _chart_version(entry)
        if found is None:
            continue
        chart, version = found
        project = by_chart.get(chart)
        release = parse_release(version)
        if project is None or release is None:
            continue
        pin = Pin(release, version.strip(), f"chart `{chart}` {version.strip()} in `{entry.path}`")
        if project not in pins or release < pins[project].release:
            pins[project] = pin
    return pins


def _chart_version(entry: IndexEntry) -> tuple[str, str] | None:
    spec = entry.data.get("spec")
    if not isinstance(spec, dict):
        return None
    if entry.kind == "HelmRelease":
        chart = spec.get("chart")
        chart_spec = chart.get("spec") if isinstance(chart, dict) else None
        if isinstance(chart_spec, dict):
            name, version = chart_spec.get("chart"), chart_spec.get("version")
            if isinstance(name, str) and isinstance(version, str):
                return name.rsplit("/", 1)[-1], version
    elif entry.kind == "OCIRepository":
        url, ref = spec.get("url"), spec.get("ref")
        tag = ref.get("tag") if isinstance(ref, dict) else None
        if isinstance(url, str) and isinstance(tag, str):
            return url.rstrip("/").rsplit("/", 1)[-1], tag
    return None


def _release_text(release: Release) -> str:
    return ".".join(map(str, release))


@repo_check(RULE)
def catalog_version_not_served(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """Objects of catalog kinds whose apiVersion the release the cluster runs does not serve."""
    sources = getattr(ctx, "schema_sources", None)
    if sources is None:
        sources = SchemaSources(None, settings=catalog_settings(ctx.options))
    pins: dict[str, Pin] | None = None
    for entry in index.entries:
        if entry.partial:
            continue
        group, version = split_api_version(entry.api_version)
        if is_flux_group(group):
            continue
        kind = sources.catalog.kind(group, entry.kind)
        if kind is None or kind.project in sources.settings.disabled:
            continue
        if version in kind.served() or sources.defines_elsewhere(group, version, entry.kind):
            continue
        if pins is None:
            pins = chart_pins(index)
        problem = _problem(kind, entry.api_version, sources, pins)
        if problem is not None:
            yield entry, problem


def _problem(
    kind: CatalogKind, api_version: str, sources: SchemaSources, pins: dict[str, Pin]
) -> Problem | None:
    catalog_release = parse_release(kind.release)
    assert catalog_release is not None
    configured = sources.settings.pinned.get(kind.project)
    configured_release = parse_release(configured)
    pin: Pin | None = None
    if configured is not None and configured_release is not None:
        pin = Pin(configured_release, configured, "set in the `catalog:` configuration")
    elif kind.project in pins:
        pin = pins[kind.project]
    release_label = kind.label
    if pin is not None and pin.release < catalog_release:
        facts = project_facts().get(kind.project, ProjectFacts())
        last = facts.last_served(api_version)
        if last is None or pin.release[:2] <= last:
            return None  # served by the pinned release, or nothing known about it
        release_label = f"{kind.project} {pin.text} ({pin.where})"
    served = kind.served()
    if served:
        hint = f"use `{kind.group}/{served[0]}`"
    else:
        hint = f"{kind.kind} has no served version there"
    message = (
        f"`{api_version}` is not served by {release_label}; {hint} "
        f"(the API server rejects {kind.kind} objects of this version)"
    )
    return Problem(message, "/apiVersion", VALUE, rule_id=RULE)
