"""References between objects of the catalog's operators (FL520–FL523).

Four relations are well known and fail the same way a Flux ``sourceRef`` does (the object
stays not ready, nothing happens, and the cause is only visible in its status):

* **FL520** an ExternalSecret's ``secretStoreRef`` (and the ``storeRef`` of a ``data`` or
  ``dataFrom`` entry's ``sourceRef``), and a ClusterExternalSecret's ClusterSecretStore: a
  SecretStore in the ExternalSecret's namespace, or a ClusterSecretStore;
* **FL521** a Gateway API route's ``parentRefs`` that name a Gateway (the default group and
  kind), in the route's namespace unless the entry names one;
* **FL522** a cert-manager Certificate's ``issuerRef``: an Issuer in its namespace, or a
  ClusterIssuer (an external issuer of another group is not judged);
* **FL523** a Flagger Canary's ``targetRef``: a Deployment or DaemonSet in its namespace.

The severity policy is the Flux references' (:mod:`flux_lint.check.rules.references`): the
same placeholder resolution through the applying Kustomization, the same ``references:``
configuration (``external``, ``externalNamespaces``), and a note instead of a warning when the
repository is visibly not the whole picture (nothing else in that namespace, another cluster,
a file no Kustomization applies). A Deployment or Gateway in a namespace where a HelmRelease
installs a chart may come from the chart, so a missing one there is a note too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.rules.references import Resolver, resolver
from flux_lint.core.findings import VALUE, Problem, Severity
from flux_lint.model.graph import Instance
from flux_lint.model.index import IndexEntry, RepoIndex

RULE_SECRET_STORE = "FL520"
RULE_GATEWAY = "FL521"
RULE_ISSUER = "FL522"
RULE_CANARY_TARGET = "FL523"

ESO = "external-secrets.io"
GATEWAY = "gateway.networking.k8s.io"
CERT_MANAGER = "cert-manager.io"
FLAGGER = "flagger.app"
ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})

#: The kinds references can name, with their group and whether they are cluster-scoped.
TARGETS: dict[str, tuple[str, bool]] = {
    "SecretStore": (ESO, False),
    "ClusterSecretStore": (ESO, True),
    "Gateway": (GATEWAY, False),
    "Issuer": (CERT_MANAGER, False),
    "ClusterIssuer": (CERT_MANAGER, True),
    "Deployment": ("apps", False),
    "DaemonSet": ("apps", False),
}
#: Kinds a Helm chart commonly creates: missing ones where a HelmRelease installs are notes.
CHART_MADE = frozenset({"Deployment", "DaemonSet", "Gateway"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class CatalogRef:
    """One reference: the rule, what the message calls it, the target kind and name."""

    rule: str
    kind: str
    name: str
    namespace: str | None  # as written; None: the referrer's namespace
    pointer: str


def _group(entry: IndexEntry) -> str:
    return entry.api_version.rpartition("/")[0]


def catalog_references(entry: IndexEntry) -> Iterator[CatalogRef]:
    """The well-known references an object of a catalog kind writes."""
    group, spec = _group(entry), _dict(entry.data.get("spec"))
    if group == ESO and entry.kind == "ExternalSecret":
        yield from _store_refs(spec, "/spec")
    elif group == ESO and entry.kind == "ClusterExternalSecret":
        for ref in _store_refs(_dict(spec.get("externalSecretSpec")), "/spec/externalSecretSpec"):
            if ref.kind == "ClusterSecretStore":  # a SecretStore lives in each target namespace
                yield ref
    elif group == GATEWAY and entry.kind in ROUTES:
        for i, parent in enumerate(spec.get("parentRefs") or []):
            parent = _dict(parent)
            name = _str(parent.get("name"))
            if (
                name is not None
                and parent.get("group", GATEWAY) == GATEWAY
                and parent.get("kind", "Gateway") == "Gateway"
            ):
                namespace = _str(parent.get("namespace"))
                yield CatalogRef(RULE_GATEWAY, "Gateway", name, namespace, f"/spec/parentRefs/{i}")
    elif group == CERT_MANAGER and entry.kind == "Certificate":
        ref = _dict(spec.get("issuerRef"))
        name, kind = _str(ref.get("name")), ref.get("kind", "Issuer")
        group_ok = ref.get("group", CERT_MANAGER) in (CERT_MANAGER, "")
        if name and group_ok and kind in ("Issuer", "ClusterIssuer"):
            yield CatalogRef(RULE_ISSUER, kind, name, None, "/spec/issuerRef/name")
    elif group == FLAGGER and entry.kind == "Canary":
        ref = _dict(spec.get("targetRef"))
        name, kind = _str(ref.get("name")), ref.get("kind")
        if name and kind in ("Deployment", "DaemonSet"):
            yield CatalogRef(RULE_CANARY_TARGET, kind, name, None, "/spec/targetRef/name")


def _store_refs(spec: dict[str, Any], base: str) -> Iterator[CatalogRef]:
    refs = [(_dict(spec.get("secretStoreRef")), f"{base}/secretStoreRef/name")]
    for field in ("data", "dataFrom"):
        for i, item in enumerate(spec.get(field) or []):
            store = _dict(_dict(_dict(item).get("sourceRef")).get("storeRef"))
            refs.append((store, f"{base}/{field}/{i}/sourceRef/storeRef/name"))
    for ref, pointer in refs:
        name, kind = _str(ref.get("name")), ref.get("kind", "SecretStore")
        if name and kind in ("SecretStore", "ClusterSecretStore"):
            yield CatalogRef(RULE_SECRET_STORE, kind, name, None, pointer)


class Targets:
    """The objects references may name, as the builds land them, and where charts install."""

    def __init__(self, res: Resolver):
        self.named: dict[tuple[str, str], list[str | None]] = defaultdict(list)
        self.chart_namespaces: set[str] = set()
        for inst in res.graph.all_instances():
            entry = inst.entry
            if entry.partial:
                continue
            group = _group(entry)
            if entry.kind == "HelmRelease" and group == "helm.toolkit.fluxcd.io":
                spec = _dict(entry.data.get("spec"))
                target = inst.resolve(_str(spec.get("targetNamespace")))
                namespace = target or inst.resolved_namespace
                if namespace:
                    self.chart_namespaces.add(namespace)
                continue
            known = TARGETS.get(entry.kind)
            if known is None or known[0] != group:
                continue
            name = inst.resolved_name
            namespace = None if known[1] else inst.resolved_namespace
            self.named[(entry.kind, name or "")].append(namespace if name else None)
            if name is None:  # a placeholder name: anything of the kind may be it
                self.named[(entry.kind, "*")].append(None)

    def has(self, kind: str, name: str, namespace: str | None) -> bool:
        if self.named.get((kind, "*")):
            return True
        found = self.named.get((kind, name), [])
        return any(ns is None or namespace is None or ns == namespace for ns in found)


_MESSAGES = {
    RULE_SECRET_STORE: "{kind} `{label}` is not defined in this repository",
    RULE_GATEWAY: "parent Gateway `{label}` is not defined in this repository",
    RULE_ISSUER: "{kind} `{label}` is not defined in this repository",
    RULE_CANARY_TARGET: "Canary target {kind} `{label}` is not defined in this repository",
}


def _check(index: RepoIndex, ctx: CheckContext, rule: str) -> Iterator[tuple[IndexEntry, Problem]]:
    res = resolver(index, ctx)
    targets: Targets | None = None
    for entry in index.entries:
        if entry.partial:
            continue
        for ref in catalog_references(entry):
            if ref.rule != rule:
                continue
            if targets is None:
                targets = Targets(res)
            problem = _resolve(res, targets, entry, ref)
            if problem is not None:
                yield entry, problem


def _resolve(res: Resolver, targets: Targets, entry: IndexEntry, ref: CatalogRef) -> Problem | None:
    cluster_scoped = TARGETS[ref.kind][1]
    for inst in res.graph.instances(entry):
        name = inst.resolve(ref.name)
        if cluster_scoped:
            namespace = None
        elif ref.namespace is not None:
            namespace = inst.resolve(ref.namespace)
            if namespace is None:
                continue
        else:
            namespace = inst.resolved_namespace
            if namespace is None and inst.namespace is not None:
                continue  # a placeholder that cannot be resolved here
        if name is None:
            continue
        if res.config.is_external(ref.kind, namespace, name):
            continue
        if targets.has(ref.kind, name, namespace):
            continue
        severity, why = _severity(res, targets, ref, namespace, inst)
        label = f"{namespace}/{name}" if namespace else name
        message = _MESSAGES[ref.rule].format(kind=ref.kind, label=label) + why
        return Problem(
            message,
            ref.pointer + ("" if ref.pointer.endswith("/name") else "/name"),
            VALUE,
            rule_id=ref.rule,
            severity=severity,
        )
    return None


def _severity(
    res: Resolver, targets: Targets, ref: CatalogRef, namespace: str | None, inst: Instance
) -> tuple[Severity | None, str]:
    severity, why = res.severity(namespace, inst)
    if severity is not None:
        return severity, why
    if ref.kind in CHART_MADE and namespace in targets.chart_namespaces:
        return Severity.NOTE, f" (a HelmRelease installs a chart in namespace `{namespace}`)"
    return None, ""


@repo_check(RULE_SECRET_STORE)
def missing_secret_store(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """An ExternalSecret's SecretStore or ClusterSecretStore that the repository lacks."""
    yield from _check(index, ctx, RULE_SECRET_STORE)


@repo_check(RULE_GATEWAY)
def missing_gateway(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """A route's parent Gateway that the repository lacks."""
    yield from _check(index, ctx, RULE_GATEWAY)


@repo_check(RULE_ISSUER)
def missing_issuer(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """A Certificate's Issuer or ClusterIssuer that the repository lacks."""
    yield from _check(index, ctx, RULE_ISSUER)


@repo_check(RULE_CANARY_TARGET)
def missing_canary_target(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """A Flagger Canary's target Deployment or DaemonSet that the repository lacks."""
    yield from _check(index, ctx, RULE_CANARY_TARGET)
