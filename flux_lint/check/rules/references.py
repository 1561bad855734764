"""References between objects, dependency cycles, spec.path and duplicates (FL501–FL510).

Every check here is a repository check: it reads the whole index through
:mod:`flux_lint.model.graph`,
because whether a reference resolves depends on where both objects *land* (kustomize
``namespace:``, ``targetNamespace``), not on where they are written.

Resolution follows the controllers: a reference without ``namespace`` means the referring
object's namespace (after kustomize and ``targetNamespace``); a name or namespace that holds a
post-build placeholder is resolved with the applying Flux Kustomization's variables, and one that
cannot be resolved is never reported. An object that several builds emit (a base shared by two
overlays) must resolve in each of them.

Not everything a repository references lives in it, and a linter that cries wolf on every
bootstrap object is switched off. So:

* ``GitRepository``, ``OCIRepository`` and ``Kustomization`` ``flux-system`` (what
  ``flux bootstrap`` and the Flux Operator create) count as present, and so does anything the
  user lists under ``references.external`` (``Kind/name`` or ``Kind/namespace/name``, shell
  globs allowed) or in a namespace listed under ``references.externalNamespaces``.
* A missing target in a namespace where the repository defines nothing, or referenced by an
  object that a Flux Kustomization applies to another cluster (``spec.kubeConfig``), is a note:
  the repository is visibly not the whole picture there.
* A missing Secret is a note at most: Secrets are usually created by SOPS in another path,
  External Secrets, Sealed Secrets or by hand. Secrets and ConfigMaps produced by well-known
  generators in the repository (ExternalSecret, SealedSecret, ObjectBucketClaim, cert-manager
  Certificate, kustomize generators) count as present.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.core.findings import VALUE, Problem, Severity, pointer_join
from flux_lint.model.graph import (
    BOOTSTRAP_SOURCE,
    CLUSTER_SCOPED,
    EntryKey,
    Instance,
    RepoGraph,
    entry_key,
    is_flux_kustomization,
    repo_graph,
)
from flux_lint.model.index import IndexEntry, RepoIndex

SOURCE = "source.toolkit.fluxcd.io"
SOURCE_EXT = "source.extensions.fluxcd.io"
KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
HELM = "helm.toolkit.fluxcd.io"
NOTIFICATION = "notification.toolkit.fluxcd.io"
IMAGE = "image.toolkit.fluxcd.io"

#: The API group of every kind a Flux reference can name; "" is the core group.
KIND_GROUPS: dict[str, str] = {
    "GitRepository": SOURCE,
    "OCIRepository": SOURCE,
    "Bucket": SOURCE,
    "HelmRepository": SOURCE,
    "HelmChart": SOURCE,
    "ExternalArtifact": SOURCE,
    "ArtifactGenerator": SOURCE_EXT,
    "Kustomization": KUSTOMIZE,
    "HelmRelease": HELM,
    "Provider": NOTIFICATION,
    "Alert": NOTIFICATION,
    "Receiver": NOTIFICATION,
    "ImageRepository": IMAGE,
    "ImagePolicy": IMAGE,
    "ImageUpdateAutomation": IMAGE,
    "ConfigMap": "",
    "Secret": "",
}

#: Names assumed to exist although the repository does not define them (config adds more).
DEFAULT_EXTERNAL = (
    f"GitRepository/{BOOTSTRAP_SOURCE}",
    f"OCIRepository/{BOOTSTRAP_SOURCE}",
    f"Kustomization/{BOOTSTRAP_SOURCE}",
)
CONFIG_KEY = "references"

#: Keys of the ConfigMap and Secret a Rook/lib-bucket-provisioner ObjectBucketClaim creates.
OBC_CONFIGMAP_KEYS = frozenset(
    {"BUCKET_HOST", "BUCKET_NAME", "BUCKET_PORT", "BUCKET_REGION", "BUCKET_SUBREGION"}
)
OBC_SECRET_KEYS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})

RULE_SOURCE = "FL501"
RULE_DEPENDENCY = "FL502"
RULE_CYCLE = "FL503"
RULE_PROVIDER = "FL504"
RULE_IMAGE_REPOSITORY = "FL505"
RULE_EVENT_SOURCE = "FL506"
RULE_RECEIVER = "FL507"
RULE_CONFIG = "FL508"
RULE_PATH = "FL509"
RULE_DUPLICATE = "FL510"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _label(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """``references:`` in the flux-lint config, with the defaults applied."""

    external: tuple[str, ...] = DEFAULT_EXTERNAL
    external_namespaces: tuple[str, ...] = ()
    repository_sources: tuple[str, ...] = (BOOTSTRAP_SOURCE,)

    def is_external(self, kind: str, namespace: str | None, name: str) -> bool:
        if namespace is not None and any(
            fnmatchcase(namespace, p) for p in self.external_namespaces
        ):
            return True
        for pattern in self.external:
            parts = pattern.split("/")
            if len(parts) == 2:
                p_kind, p_ns, p_name = parts[0], "*", parts[1]
            elif len(parts) == 3:
                p_kind, p_ns, p_name = parts
            else:
                continue
            if not fnmatchcase(kind, p_kind) or not fnmatchcase(name, p_name):
                continue
            if p_ns == "*" or (namespace is not None and fnmatchcase(namespace, p_ns)):
                return True
        return False


def settings(ctx: CheckContext) -> Settings:
    """Read ``ctx.options["references"]``: ``external`` and ``externalNamespaces`` extend the
    defaults, ``repositorySources`` replaces the names of sources taken to be this repository."""
    options = getattr(ctx, "options", None)
    raw = options.get(CONFIG_KEY) if isinstance(options, Mapping) else None
    raw = raw if isinstance(raw, Mapping) else {}

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    sources = strings("repositorySources") if "repositorySources" in raw else (BOOTSTRAP_SOURCE,)
    return Settings(
        external=DEFAULT_EXTERNAL + strings("external"),
        external_namespaces=strings("externalNamespaces"),
        repository_sources=sources,
    )


# -- what exists ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Something a reference can resolve to. ``name``/``namespace`` None: not known statically
    (a placeholder), so it may be anything. ``keys`` None: data keys not known."""

    kind: str
    name: str | None
    namespace: str | None
    keys: frozenset[str] | None = None


def _object_keys(entry: IndexEntry) -> frozenset[str] | None:
    """The data keys of a ConfigMap or Secret manifest (SOPS keeps key names in clear)."""
    fields = ("data", "binaryData") if entry.kind == "ConfigMap" else ("data", "stringData")
    keys: set[str] = set()
    for field_name in fields:
        value = entry.data.get(field_name)
        if value is None:
            continue
        if not isinstance(value, dict):
            return None
        keys.update(str(k) for k in value)
    return frozenset(keys)


class Resolver:
    """Everything that exists, by kind, and the namespaces the repository populates."""

    def __init__(self, index: RepoIndex, graph: RepoGraph, config: Settings):
        self.index = index
        self.graph = graph
        self.config = config
        self.targets: dict[str, list[Target]] = defaultdict(list)
        # Lookup tables for `find`: by (kind, name), plus the targets whose name is unknown;
        # each entry keeps its insertion number so that results keep the order of `targets`.
        self._named: dict[tuple[str, str], list[tuple[int, Target]]] = defaultdict(list)
        self._unnamed: dict[str, list[tuple[int, Target]]] = defaultdict(list)
        self.namespaces: set[str] = set()
        self._keys: dict[int, tuple[IndexEntry, frozenset[str] | None]] = {}
        for inst in graph.all_instances():
            self._add_instance(inst)

    def _add(
        self,
        kind: str,
        name: str | None,
        namespace: str | None,
        keys: frozenset[str] | None = None,
        *,
        derived: bool = False,
    ) -> None:
        """Record a target; ``derived`` ones (what a controller creates elsewhere, such as a
        HelmRelease's HelmChart in the source's namespace) do not make their namespace one the
        repository populates."""
        target = Target(kind, name, namespace, keys)
        number = len(self.targets[kind])
        self.targets[kind].append(target)
        if name is None:
            self._unnamed[kind].append((number, target))
        else:
            self._named[(kind, name)].append((number, target))
        if namespace and not derived:
            self.namespaces.add(namespace)

    def _add_instance(self, inst: Instance) -> None:
        entry = inst.entry
        if entry.partial:
            return
        group = KIND_GROUPS.get(entry.kind)
        if group is not None and entry.group != group and not inst.generated:
            return  # same kind name, other API (e.g. a Crossplane Bucket)
        name = inst.resolved_name
        if name is None and inst.name and inst.variables is None:
            # Never substituted (no Flux Kustomization with postBuild applies it): the
            # placeholder is the name, which matches no other name.
            name = inst.name
        namespace = inst.resolved_namespace
        if entry.kind == "Namespace" and name:
            self.namespaces.add(name)
        if inst.generated:
            self._add(entry.kind, name, namespace, inst.keys)
            if inst.renamed is not None:
                # A kustomize `configurations:` nameReference may rewrite the reference too,
                # as it does for the hash suffix: accept the name as written as well.
                self._add(entry.kind, inst.resolve(entry.name), namespace, inst.keys)
        elif entry.kind in ("ConfigMap", "Secret"):
            # An object of a shared base has an instance per build: its keys are read once.
            keys = self._keys.get(id(entry))
            if keys is None or keys[0] is not entry:
                keys = self._keys[id(entry)] = (entry, _object_keys(entry))
            self._add(entry.kind, name, namespace, keys[1])
        elif group is not None:
            self._add(entry.kind, name, namespace)
        elif namespace:
            self.namespaces.add(namespace)
        spec = _dict(entry.data.get("spec"))
        # Objects that controllers create from this one.
        if entry.kind == "HelmRelease" and entry.group == HELM:
            chart = _dict(_dict(spec.get("chart")).get("spec"))
            if chart:
                source_ns = inst.resolve(_str(_dict(chart.get("sourceRef")).get("namespace")))
                chart_name = f"{namespace}-{name}" if namespace and name else None
                self._add("HelmChart", chart_name, source_ns or namespace, derived=True)
        elif entry.kind == "ArtifactGenerator" and entry.group == SOURCE_EXT:
            for artifact in _list(spec.get("artifacts")):
                self._add(
                    "ExternalArtifact", inst.resolve(_str(_dict(artifact).get("name"))), namespace
                )
        elif entry.kind == "ExternalSecret" and entry.group.startswith("external-secrets.io"):
            target = _dict(spec.get("target"))
            keys: set[str] | None = {
                str(_dict(d).get("secretKey")) for d in _list(spec.get("data"))
            }
            template = _dict(target.get("template"))
            if isinstance(keys, set):
                keys.update(str(k) for k in _dict(template.get("data")))
            if spec.get("dataFrom") or template.get("templateFrom"):
                keys = None
            secret = inst.resolve(_str(target.get("name"))) or name
            self._add("Secret", secret, namespace, frozenset(keys) if keys is not None else None)
        elif entry.kind == "SealedSecret" and entry.group == "bitnami.com":
            template = _dict(spec.get("template"))
            secret = inst.resolve(_str(_dict(template.get("metadata")).get("name"))) or name
            keys = set(map(str, _dict(spec.get("encryptedData"))))
            keys.update(map(str, _dict(template.get("data"))))
            self._add("Secret", secret, namespace, frozenset(keys))
        elif entry.kind == "ObjectBucketClaim" and entry.group == "objectbucket.io":
            self._add("ConfigMap", name, namespace, OBC_CONFIGMAP_KEYS)
            self._add("Secret", name, namespace, OBC_SECRET_KEYS)
        elif entry.kind == "Certificate" and entry.group == "cert-manager.io":
            self._add("Secret", inst.resolve(_str(spec.get("secretName"))), namespace)

    def find(self, kind: str, name: str, namespace: str | None) -> list[Target]:
        """Targets that may be ``kind`` ``namespace/name`` (None namespace: any), in the order
        they were recorded. Looked up by name, so a reference costs O(candidates), not
        O(objects of the kind)."""
        candidates = self._named.get((kind, name), [])
        unnamed = self._unnamed.get(kind)
        if unnamed:
            candidates = sorted(candidates + unnamed, key=lambda item: item[0])
        return [
            t
            for _, t in candidates
            if t.namespace is None or namespace is None or t.namespace == namespace
        ]

    def severity(self, namespace: str | None, inst: Instance) -> tuple[Severity | None, str]:
        """A lower severity and the reason, when the repository is visibly not the whole
        picture for this reference; (None, "") keeps the rule's own severity."""
        applier = inst.applier
        if applier is not None and _dict(applier.data.get("spec")).get("kubeConfig"):
            return Severity.NOTE, " (applied to another cluster through `spec.kubeConfig`)"
        if applier is None:
            owner = self.graph.left_out_by(inst.entry.path)
            if owner is not None:
                label = _label(self.graph.effective_namespace(owner), owner.name or "")
                return (
                    Severity.NOTE,
                    f" (the file is not applied: Kustomization `{label}` leaves it out)",
                )
        if namespace is not None and namespace not in self.namespaces:
            return Severity.NOTE, f" (nothing in this repository is in namespace `{namespace}`)"
        return None, ""


_RESOLVERS: dict[int, tuple[RepoIndex, Settings, Resolver]] = {}


def resolver(index: RepoIndex, ctx: CheckContext) -> Resolver:
    """One resolver per index and settings, shared by the rules of a run."""
    config = settings(ctx)
    graph = repo_graph(index, local_names=config.repository_sources)
    cached = _RESOLVERS.get(id(index))
    if cached and cached[0] is index and cached[1] == config and cached[2].graph is graph:
        return cached[2]
    made = Resolver(index, graph, config)
    _RESOLVERS.clear()
    _RESOLVERS[id(index)] = (index, config, made)
    return made


# -- references -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """One reference written in an object: what it names and where."""

    rule: str
    what: str  # how the message names the target ("source", "dependency", ...)
    kind: str
    name: str
    namespace: str | None  # as written; None means the referrer's namespace
    pointer: str
    same_namespace_only: bool = False  # the field has no namespace (Alert providerRef ...)


def _is(entry: IndexEntry, kind: str) -> bool:
    return entry.kind == kind and entry.group == KIND_GROUPS[kind]


def _ref(
    rule: str, what: str, ref: Any, pointer: str, kinds: Iterable[str], default_kind: str = ""
) -> Ref | None:
    ref = _dict(ref)
    kind = _str(ref.get("kind")) or default_kind
    name = _str(ref.get("name"))
    if kind not in kinds or name is None:
        return None
    return Ref(rule, what, kind, name, _str(ref.get("namespace")), pointer)


def references(entry: IndexEntry) -> Iterator[Ref]:
    """Every object reference the entry writes, with the rule that checks it."""
    spec = _dict(entry.data.get("spec"))
    sources = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")
    if is_flux_kustomization(entry):
        found = _ref(RULE_SOURCE, "source", spec.get("sourceRef"), "/spec/sourceRef/name", sources)
        if found:
            yield found
    elif _is(entry, "HelmRelease"):
        chart_ref = _dict(_dict(spec.get("chart")).get("spec")).get("sourceRef")
        chart_kinds = ("HelmRepository", "GitRepository", "Bucket")
        pointer = "/spec/chart/spec/sourceRef/name"
        found = _ref(RULE_SOURCE, "source", chart_ref, pointer, chart_kinds)
        if found:
            yield found
        chart_kinds = ("OCIRepository", "HelmChart", "ExternalArtifact")
        found = _ref(RULE_SOURCE, "chart", spec.get("chartRef"), "/spec/chartRef/name", chart_kinds)
        if found:
            yield found
    elif _is(entry, "HelmChart"):
        ref = _ref(
            RULE_SOURCE,
            "source",
            spec.get("sourceRef"),
            "/spec/sourceRef/name",
            ("HelmRepository", "GitRepository", "Bucket"),
        )
        if ref:
            yield Ref(ref.rule, ref.what, ref.kind, ref.name, None, ref.pointer, True)
    elif _is(entry, "ImageUpdateAutomation"):
        found = _ref(
            RULE_SOURCE,
            "source",
            spec.get("sourceRef"),
            "/spec/sourceRef/name",
            ("GitRepository",),
            default_kind="GitRepository",
        )
        if found:
            yield found
    elif _is(entry, "ExternalArtifact"):
        kinds = ("ArtifactGenerator", *sources, "HelmChart")
        found = _ref(RULE_SOURCE, "source", spec.get("sourceRef"), "/spec/sourceRef/name", kinds)
        if found:
            yield found
    elif _is(entry, "ArtifactGenerator"):
        kinds = ("Bucket", "GitRepository", "OCIRepository", "HelmChart", "ExternalArtifact")
        for i, source in enumerate(_list(spec.get("sources"))):
            found = _ref(RULE_SOURCE, "source", source, f"/spec/sources/{i}/name", kinds)
            if found:
                yield found
    elif _is(entry, "Alert"):
        provider = _str(_dict(spec.get("providerRef")).get("name"))
        if provider:
            yield Ref(
                RULE_PROVIDER,
                "provider",
                "Provider",
                provider,
                None,
                "/spec/providerRef/name",
                True,
            )
        for i, source in enumerate(_list(spec.get("eventSources"))):
            if _dict(source).get("name") != "*":
                found = _ref(
                    RULE_EVENT_SOURCE,
                    "event source",
                    source,
                    f"/spec/eventSources/{i}/name",
                    EVENT_KINDS,
                )
                if found:
                    yield found
    elif _is(entry, "Receiver"):
        for i, resource in enumerate(_list(spec.get("resources"))):
            if _dict(resource).get("name") != "*":
                found = _ref(
                    RULE_RECEIVER, "resource", resource, f"/spec/resources/{i}/name", EVENT_KINDS
                )
                if found:
                    yield found
    elif _is(entry, "ImagePolicy"):
        ref = _dict(spec.get("imageRepositoryRef"))
        name = _str(ref.get("name"))
        if name:
            yield Ref(
                RULE_IMAGE_REPOSITORY,
                "image repository",
                "ImageRepository",
                name,
                _str(ref.get("namespace")),
                "/spec/imageRepositoryRef/name",
            )
    if is_flux_kustomization(entry) or _is(entry, "HelmRelease"):
        for i, dep in enumerate(_list(spec.get("dependsOn"))):
            dep = _dict(dep)
            name = _str(dep.get("name"))
            if name:
                yield Ref(
                    RULE_DEPENDENCY,
                    "dependency",
                    entry.kind,
                    name,
                    _str(dep.get("namespace")),
                    f"/spec/dependsOn/{i}/name",
                )


EVENT_KINDS = (
    "Bucket",
    "GitRepository",
    "Kustomization",
    "HelmRelease",
    "HelmChart",
    "HelmRepository",
    "ImageRepository",
    "ImagePolicy",
    "ImageUpdateAutomation",
    "OCIRepository",
    "ArtifactGenerator",
    "ExternalArtifact",
)

_MESSAGES = {
    RULE_SOURCE: "{what} {kind} `{label}` is not defined in this repository",
    RULE_DEPENDENCY: "dependency {kind} `{label}` is not defined in this repository",
    RULE_PROVIDER: "Provider `{label}` is not defined in this repository",
    RULE_IMAGE_REPOSITORY: "ImageRepository `{label}` is not defined in this repository",
    RULE_EVENT_SOURCE: "event source {kind} `{label}` is not defined in this repository",
    RULE_RECEIVER: "receiver resource {kind} `{label}` is not defined in this repository",
}


def _referrers(index: RepoIndex) -> Iterator[IndexEntry]:
    for entry in index.entries:
        if not entry.partial and entry.kind in KIND_GROUPS:
            yield entry


def _check_refs(
    index: RepoIndex, ctx: CheckContext, rules: set[str]
) -> Iterator[tuple[IndexEntry, Problem]]:
    res = resolver(index, ctx)
    for entry in _referrers(index):
        for ref in references(entry):
            if ref.rule not in rules:
                continue
            problem = _resolve(res, entry, ref)
            if problem is not None:
                yield entry, problem


def _resolve(res: Resolver, entry: IndexEntry, ref: Ref) -> Problem | None:
    """A problem when the reference fails in some build of the referrer, else None."""
    for inst in res.graph.instances(entry):
        name = inst.resolve(ref.name)
        if ref.namespace is not None and not ref.same_namespace_only:
            namespace = inst.resolve(ref.namespace)
            if namespace is None:
                continue
        else:
            namespace = inst.resolved_namespace
        if name is None or (namespace is None and inst.namespace is not None):
            continue  # a placeholder that cannot be resolved here
        if res.config.is_external(ref.kind, namespace, name):
            continue
        if res.find(ref.kind, name, namespace):
            continue
        severity, why = res.severity(namespace, inst)
        message = _MESSAGES[ref.rule].format(
            what=ref.what, kind=ref.kind, label=_label(namespace, name)
        )
        return Problem(message + why, ref.pointer, VALUE, rule_id=ref.rule, severity=severity)
    return None


@repo_check(RULE_SOURCE)
def missing_source(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """``sourceRef``/``chartRef``/``sources[]`` naming a source the repository does not define."""
    yield from _check_refs(index, ctx, {RULE_SOURCE})


@repo_check(RULE_DEPENDENCY)
def missing_dependency(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """``dependsOn`` naming a Kustomization or HelmRelease the repository does not define."""
    yield from _check_refs(index, ctx, {RULE_DEPENDENCY})


@repo_check(RULE_PROVIDER)
def missing_provider(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """An Alert's ``providerRef`` (same namespace) that the repository does not define."""
    yield from _check_refs(index, ctx, {RULE_PROVIDER})


@repo_check(RULE_IMAGE_REPOSITORY)
def missing_image_repository(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """An ImagePolicy's ``imageRepositoryRef`` that the repository does not define."""
    yield from _check_refs(index, ctx, {RULE_IMAGE_REPOSITORY})


@repo_check(RULE_EVENT_SOURCE)
def missing_event_source(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """An Alert ``eventSources`` entry naming one object (not ``*``) that is not defined."""
    yield from _check_refs(index, ctx, {RULE_EVENT_SOURCE})


@repo_check(RULE_RECEIVER)
def missing_receiver_resource(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """A Receiver ``resources`` entry naming one object (not ``*``) that is not defined."""
    yield from _check_refs(index, ctx, {RULE_RECEIVER})


# -- ConfigMaps and Secrets -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigRef:
    kind: str
    name: str
    key: str | None  # the data key the controller reads, None for "any"
    pointer: str
    key_pointer: str


def config_references(entry: IndexEntry) -> Iterator[ConfigRef]:
    """HelmRelease ``valuesFrom`` and Kustomization ``postBuild.substituteFrom`` entries that
    must exist (``optional: true`` ones are left out: the controllers tolerate their absence)."""
    spec = _dict(entry.data.get("spec"))
    if _is(entry, "HelmRelease"):
        for i, ref in enumerate(_list(spec.get("valuesFrom"))):
            ref = _dict(ref)
            kind, name = _str(ref.get("kind")), _str(ref.get("name"))
            if kind in ("ConfigMap", "Secret") and name and ref.get("optional") is not True:
                key = ref.get("valuesKey")
                key = key if isinstance(key, str) and key else "values.yaml"
                base = f"/spec/valuesFrom/{i}"
                key_pointer = f"{base}/valuesKey" if "valuesKey" in ref else base
                yield ConfigRef(kind, name, key, f"{base}/name", key_pointer)
    elif is_flux_kustomization(entry):
        post = _dict(spec.get("postBuild"))
        for i, ref in enumerate(_list(post.get("substituteFrom"))):
            ref = _dict(ref)
            kind, name = _str(ref.get("kind")), _str(ref.get("name"))
            if kind in ("ConfigMap", "Secret") and name and ref.get("optional") is not True:
                pointer = f"/spec/postBuild/substituteFrom/{i}/name"
                yield ConfigRef(kind, name, None, pointer, pointer)


@repo_check(RULE_CONFIG)
def missing_config_reference(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """ConfigMaps and Secrets (and their keys) that ``valuesFrom``/``substituteFrom`` read."""
    res = resolver(index, ctx)
    for entry in _referrers(index):
        for ref in config_references(entry):
            problem = _resolve_config(res, entry, ref)
            if problem is not None:
                yield entry, problem


def _resolve_config(res: Resolver, entry: IndexEntry, ref: ConfigRef) -> Problem | None:
    for inst in res.graph.instances(entry):
        name = inst.resolve(ref.name)
        namespace = inst.resolved_namespace
        if name is None or (namespace is None and inst.namespace is not None):
            continue
        if res.config.is_external(ref.kind, namespace, name):
            continue
        found = res.find(ref.kind, name, namespace)
        label = _label(namespace, name)
        if not found:
            severity, why = res.severity(namespace, inst)
            if ref.kind == "Secret":
                severity = Severity.NOTE
            message = f"{ref.kind} `{label}` is not defined in this repository{why}"
            return Problem(message, ref.pointer, VALUE, severity=severity)
        if ref.key is None or any(t.keys is None or ref.key in t.keys for t in found):
            continue
        keys = sorted(set().union(*(t.keys or () for t in found)))
        shown = ", ".join(f"`{k}`" for k in keys[:5]) or "none"
        message = f"{ref.kind} `{label}` has no key `{ref.key}` (it has {shown})"
        return Problem(message, ref.key_pointer, VALUE)
    return None


# -- dependency cycles ------------------------------------------------------------------------

Node = tuple[str, str | None, str]  # (kind, namespace, name)


def _node_label(node: Node) -> str:
    return f"`{_label(node[1], node[2])}`"


@repo_check(RULE_CYCLE)
def dependency_cycle(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """Kustomizations or HelmReleases whose ``dependsOn`` chain comes back to itself: none of
    them ever becomes ready. Each cycle is reported once, on its first member, with the path."""
    res = resolver(index, ctx)
    owners: dict[Node, tuple[IndexEntry, Instance]] = {}
    for entry in _referrers(index):
        if not (is_flux_kustomization(entry) or _is(entry, "HelmRelease")):
            continue
        for inst in res.graph.instances(entry):
            name = inst.resolved_name
            if name:
                owners.setdefault((entry.kind, inst.resolved_namespace, name), (entry, inst))
    by_name: dict[tuple[str, str], list[Node]] = defaultdict(list)
    for node in owners:
        by_name[(node[0], node[2])].append(node)
    edges: dict[Node, list[tuple[Node, str]]] = defaultdict(list)
    for node, (entry, inst) in owners.items():
        for i, dep in enumerate(_list(_dict(entry.data.get("spec")).get("dependsOn"))):
            dep = _dict(dep)
            name = inst.resolve(_str(dep.get("name")))
            written_ns = _str(dep.get("namespace"))
            namespace = inst.resolve(written_ns) if written_ns else node[1]
            if name is None:
                continue
            candidates = by_name.get((node[0], name), [])
            exact = [c for c in candidates if c[1] == namespace]
            for target in exact or [c for c in candidates if c[1] is None or namespace is None]:
                edges[node].append((target, f"/spec/dependsOn/{i}/name"))
    for component in _strongly_connected(list(owners), edges):
        members = set(component)
        start = min(component, key=lambda n: (n[1] or "", n[2]))
        if len(component) == 1 and not any(t == start for t, _ in edges.get(start, ())):
            continue
        path = _shortest_cycle(start, edges, members)
        if not path:
            continue
        entry, _ = owners[start]
        pointer = next(p for t, p in edges[start] if t == path[1])
        message = "dependency cycle: " + " → ".join(_node_label(n) for n in path)
        yield entry, Problem(message, pointer, VALUE)


def _strongly_connected(
    nodes: list[Node], edges: Mapping[Node, list[tuple[Node, str]]]
) -> list[list[Node]]:
    """Tarjan's algorithm, iterative so that long dependency chains cannot hit the recursion
    limit."""
    counter = 0
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    stack: list[Node] = []
    on_stack: set[Node] = set()
    result: list[list[Node]] = []
    for root in sorted(nodes, key=lambda n: (n[0], n[1] or "", n[2])):
        if root in index:
            continue
        work: list[tuple[Node, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, [])
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i][0]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return result


def _shortest_cycle(
    start: Node, edges: Mapping[Node, list[tuple[Node, str]]], members: set[Node]
) -> list[Node]:
    """The shortest path start → … → start inside one strongly connected component."""
    previous: dict[Node, Node] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for node in frontier:
            for target, _ in edges.get(node, ()):
                if target == start:
                    path = [start]
                    current = node
                    while current != start:
                        path.append(current)
                        current = previous[current]
                    return [start, *reversed(path[1:]), start]
                if target in members and target not in seen:
                    seen.add(target)
                    previous[target] = node
                    following.append(target)
        frontier = following
    return []


# -- spec.path --------------------------------------------------------------------------------


def _common_folder(paths: Iterable[str]) -> str:
    common: list[str] | None = None
    for path in paths:
        parts = path.split("/")[:-1]
        if common is None:
            common = parts
        else:
            n = 0
            while n < min(len(common), len(parts)) and common[n] == parts[n]:
                n += 1
            common = common[:n]
    return "/".join(common or [])


def _covers(folder: str, path: str) -> bool:
    """True when ``path`` lies in ``folder`` (the folder all linted files share)."""
    return folder == "" or path == folder or path.startswith(folder + "/")


@repo_check(RULE_PATH)
def missing_kustomization_path(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """``spec.path`` (and ``spec.components``) of a Kustomization that reads this repository
    must be a folder in it.

    Only reported when the repository root is confirmed by another Kustomization whose path
    exists, and for paths inside the folder that every linted file shares: linting one folder
    of a repository must not report every path outside it."""
    res = resolver(index, ctx)
    graph = res.graph
    if not graph.root_confirmed:
        return
    linted = _common_folder(graph.files)
    for ks in graph.flux_kustomizations:
        if not graph.is_local_source(ks):
            continue
        spec = _dict(ks.data.get("spec"))
        folder = graph.path_folder(ks)
        if folder is None:
            continue
        written = spec.get("path") if isinstance(spec.get("path"), str) else "./"
        if not _covers(linted, folder):
            continue  # outside what was linted: it may well exist
        if folder not in graph.folders:
            if folder in graph.files:
                message = f"path `{written}` is a file; Flux needs a folder"
            else:
                message = f"path `{written}` does not exist in this repository"
            pointer = "/spec/path" if "path" in spec else ""
            yield ks, Problem(message, pointer, VALUE)
            continue
        for i, component in enumerate(_list(spec.get("components"))):
            if not isinstance(component, str) or "${" in component or "://" in component:
                continue
            target = posixpath.normpath(posixpath.join(folder, component))
            if target not in graph.folders or graph.kustomization_in(target) is None:
                message = (
                    f"component `{component}` is not a folder with a kustomization file "
                    f"(relative to `{written}`)"
                )
                yield ks, Problem(message, f"/spec/components/{i}", VALUE)


# -- duplicates -------------------------------------------------------------------------------


@repo_check(RULE_DUPLICATE)
def duplicate_object(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """The same object twice in one build: kustomize refuses to build it ("may not add
    resource with an already registered id"), so nothing of that Kustomization is applied."""
    res = resolver(index, ctx)
    graph = res.graph
    builds: list[tuple[str, list[Instance]]] = []
    for ks in graph.flux_kustomizations:
        instances = graph.applied_instances(ks)
        if instances:
            ns = graph.effective_namespace(ks)
            builds.append((f"what Kustomization `{_label(ns, ks.name or '')}` applies", instances))
    for kfile in graph.kustomize_roots:
        folder = posixpath.dirname(kfile)
        builds.append((f"`kustomize build {folder or '.'}`", graph.build(folder)))
    reported: set[tuple[EntryKey, EntryKey]] = set()
    for where, instances in builds:
        first: dict[tuple[str, str, str | None, str], Instance] = {}
        for inst in instances:
            entry = inst.entry
            if inst.generated or entry.partial or entry.name is None:
                continue
            name = inst.resolved_name or entry.name
            namespace = None if entry.kind in CLUSTER_SCOPED else inst.namespace
            if namespace is not None:
                namespace = inst.resolve(namespace) or namespace
            key = (entry.group, entry.kind, namespace, name)
            other = first.setdefault(key, inst)
            if other is inst:
                continue
            pair = (entry_key(entry), entry_key(other.entry))
            if pair in reported:
                continue
            reported.add(pair)
            label = f"{entry.kind} `{_label(namespace, name)}`"
            if pair[0] == pair[1]:
                message = f"{label} is included twice in {where}"
            elif other.entry.path == entry.path:
                message = f"{label} is also defined earlier in this file, both in {where}"
            else:
                message = f"{label} is also defined in `{other.entry.path}`, both in {where}"
            yield entry, Problem(message, pointer_join("/metadata", "name"), VALUE)
