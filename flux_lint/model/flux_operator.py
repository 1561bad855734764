"""flux-operator as the repository deploys it: FluxInstances, the operator, its manifests artifact.

A ``FluxInstance`` (``fluxcd.controlplane.io/v1``) asks flux-operator to install Flux. Three
things decide what actually gets installed, and they live in different files:

* ``spec.distribution.version``, a semver constraint resolved against the Flux versions in the
  manifests the operator uses;
* ``spec.distribution.artifact``, an OCI artifact of those manifests
  (``oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:<tag>``); without it the
  manifests embedded in the operator image are used. Its ``:latest`` tag moves with every
  operator release;
* the flux-operator version itself, whose compiled-in kustomize patches are applied to whatever
  manifests it picked. Operators older than v0.54.0 resolve the version against every Flux
  release in the artifact; from v0.54.0 on, only against the Flux minors embedded in the running
  image (flux-operator commit 79a3905, "fix electing versions beyond supported").

This module finds the instances (a ``FluxInstance`` object, or a ``HelmRelease`` of the
``flux-instance`` chart whose ``values.instance`` becomes one), the operator deployments
(a ``HelmRelease`` of the ``flux-operator`` chart from ``oci://ghcr.io/controlplaneio-fluxcd/charts``
through a ``HelmRepository`` or an ``OCIRepository``, a container running the operator image, or
a kustomize resource of the operator's ``install.yaml`` release asset), including the literal
objects of a ``ResourceSet``'s ``spec.resources``, and resolves a distribution version to the
Flux minor it installs: the newest minor flux-lint knows that the constraint allows.

A ``HelmRelease`` of the operator chart that sets ``values.image.tag`` runs that image whatever
the chart version: the chart's Deployment uses
``image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"``
(controlplaneio-fluxcd/charts ``charts/flux-operator/templates/deployment.yaml``), so the tag,
not the chart version (nor the chart's ``OCIRepository`` reference), is the deployed version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flux_lint.core.placeholders import has_placeholder
from flux_lint.core.releases import MINORS
from flux_lint.model.flux_version import (
    ConstraintError,
    allowed_minors,
    is_flux_instance_release,
)
from flux_lint.model.index import IndexEntry, RepoIndex

Minor = tuple[int, int]
Version = tuple[int, int, int]

OPERATOR_GROUP = "fluxcd.controlplane.io"
OPERATOR_CHART = "flux-operator"
#: The registry path of the operator's charts, images and manifests artifacts.
VENDOR_PATH = "ghcr.io/controlplaneio-fluxcd"
MANIFESTS_REPOSITORY = f"{VENDOR_PATH}/flux-operator-manifests"
OPERATOR_IMAGE = f"{VENDOR_PATH}/flux-operator"
#: The first operator release that constrains version selection to its embedded Flux minors.
EMBEDDED_MINORS_SINCE: Version = (0, 54, 0)
#: What the flux-instance chart writes when the values leave a field out (chart values.yaml).
CHART_DEFAULTS = {"version": "2.x"}
CHART_DEFAULT_ARTIFACT = "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:latest"
#: Components flux-operator installs when ``spec.components`` is not set
#: (``DefaultComponents`` in internal/builder/components.go).
DEFAULT_COMPONENTS = (
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
)
#: A template marker of a ResourceSet: such a value is only known after rendering.
_TEMPLATE = "<<"

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_INSTALL_URL = re.compile(
    r"github\.com/controlplaneio-fluxcd/flux-operator/releases/"
    r"(?:download/(?P<tag>[^/\s]+)|(?P<latest>latest)/download)/install\.yaml"
)


def parse_version(text: str) -> Version | None:
    """``v0.52.0`` or ``0.52.0`` → ``(0, 52, 0)``; anything else (ranges, pre-releases) → None."""
    m = _VERSION.match(text.strip()) if isinstance(text, str) else None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def format_version(version: Version) -> str:
    return "v{}.{}.{}".format(*version)


# -- the manifests artifact -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Artifact:
    """An ``oci://`` reference split into repository, tag and digest."""

    url: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def floating(self) -> bool:
        """True when the reference follows a moving tag: ``:latest`` or no tag (which the
        registry client resolves to ``latest``), and no digest."""
        return self.digest is None and self.tag in (None, "latest")

    @property
    def version(self) -> Version | None:
        return parse_version(self.tag) if self.tag else None

    @property
    def is_operator_manifests(self) -> bool:
        return self.repository == MANIFESTS_REPOSITORY


def parse_artifact(url: Any) -> Artifact | None:
    """Split ``oci://host/path:tag@sha256:...``; None for what is not an ``oci://`` string."""
    if not isinstance(url, str) or not url.startswith("oci://"):
        return None
    rest = url[len("oci://") :].strip()
    digest = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
    head, _, last = rest.rpartition("/")
    tag = None
    if ":" in last:
        last, tag = last.split(":", 1)
    repository = f"{head}/{last}" if head else last
    return Artifact(url=url, repository=repository.rstrip("/"), tag=tag or None, digest=digest)


# -- resolving a distribution version -------------------------------------------------------------


def version_text(value: Any) -> str | None:
    """A distribution version as text (``version: 2.9`` unquoted is a YAML float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def allowed(text: str | None) -> tuple[Minor, ...]:
    """The Flux minors a distribution version allows; () when it cannot be read."""
    if not text or has_placeholder(text) or _TEMPLATE in text:
        return ()
    try:
        return allowed_minors(text)
    except ConstraintError:
        return ()


def resolve(text: str | None) -> Minor | None:
    """The Flux minor a distribution version installs, among those flux-lint knows: the newest
    known minor the constraint allows (None when it allows none of them)."""
    minors = set(allowed(text))
    known = [m for m in MINORS if m in minors]
    return known[-1] if known else None


def is_open_range(text: str | None) -> bool:
    """True when the constraint also allows Flux minors newer than every one released so far
    (``2.x``, ``*``, ``>=2.8``, ``^2.7``): it floats to whatever comes next."""
    newest = MINORS[-1]
    return (newest[0], newest[1] + 1) in allowed(text)


# -- instances ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instance:
    """A FluxInstance spec as the operator will receive it.

    ``base`` is the JSON pointer of the spec inside ``entry``'s document: ``/spec`` for a
    FluxInstance, ``/spec/values/instance`` for a HelmRelease of the flux-instance chart (whose
    chart fills in ``distribution.version: 2.x`` when the values leave it out).
    """

    entry: IndexEntry
    spec: dict[str, Any]
    base: str
    chart: bool

    def pointer(self, *tokens: str | int) -> str:
        return self.base + "".join(f"/{t}" for t in tokens)

    def get(self, *path: str) -> Any:
        data: Any = self.spec
        for key in path:
            if not isinstance(data, dict):
                return None
            data = data.get(key)
        return data

    @property
    def version(self) -> str | None:
        text = version_text(self.get("distribution", "version"))
        if text is None and self.chart:
            return CHART_DEFAULTS["version"]
        return text

    @property
    def version_written(self) -> bool:
        return version_text(self.get("distribution", "version")) is not None

    @property
    def components(self) -> list[tuple[int, str]]:
        """(index, name) of the components; the operator's defaults when not set."""
        value = self.get("components")
        if isinstance(value, list):
            return [(i, c) for i, c in enumerate(value) if isinstance(c, str)]
        return []

    @property
    def component_names(self) -> tuple[str, ...]:
        value = self.get("components")
        if isinstance(value, list):
            return tuple(c for c in value if isinstance(c, str))
        return DEFAULT_COMPONENTS

    def describe(self) -> str:
        if self.chart:
            return f"HelmRelease `{self.entry.name}` of the flux-instance chart"
        return f"FluxInstance `{self.entry.name}`"


def instances(index: RepoIndex) -> Iterator[Instance]:
    """Every FluxInstance of the repository, written directly or through the chart."""
    for entry in index.of_kind("FluxInstance", OPERATOR_GROUP):
        spec = entry.data.get("spec")
        if not entry.partial and isinstance(spec, dict):
            yield Instance(entry, spec, "/spec", chart=False)
    for entry in index.of_kind("HelmRelease"):
        if entry.partial or not is_flux_instance_release(entry, index):
            continue
        values = _dict(entry.data.get("spec")).get("values")
        instance = values.get("instance") if isinstance(values, dict) else None
        yield Instance(
            entry, instance if isinstance(instance, dict) else {}, "/spec/values/instance", True
        )


# -- operator deployments -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operator:
    """One way the repository deploys flux-operator, and at which version.

    ``text`` is the version as written (a tag, or a constraint such as ``*`` for a chart);
    ``exact`` is set when it names one release.
    """

    text: str
    source: str
    path: str

    @property
    def exact(self) -> Version | None:
        return parse_version(self.text)

    @property
    def guarded(self) -> bool | None:
        """Whether the operator constrains Flux to its embedded minors (v0.54.0 and later):
        True or False when the version tells, None when it does not. A range picks the newest
        release it allows, so one that allows v0.54.0 or later is guarded."""
        if self.exact is not None:
            return self.exact >= EMBEDDED_MINORS_SINCE
        if self.text == "latest":
            return True
        try:
            minors = [m for m in allowed_minors(self.text) if m[0] == 0]
        except ConstraintError:
            return None
        if not minors:
            return None
        return any(m >= EMBEDDED_MINORS_SINCE[:2] for m in minors)

    def describe(self) -> str:
        return f"{self.source} in {self.path}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _vendor_url(url: Any, name: str) -> bool:
    """An ``oci://`` URL of the vendor's chart or image ``name`` (a trailing slash allowed)."""
    return isinstance(url, str) and url.strip().rstrip("/") == f"oci://{VENDOR_PATH}/charts/{name}"


def _literal(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and _TEMPLATE not in value


def _candidates(index: RepoIndex) -> Iterator[tuple[IndexEntry, dict[str, Any]]]:
    """Every object of the repository, and the literal objects a ResourceSet stamps out."""
    for entry in index.entries:
        if not entry.partial:
            yield entry, entry.data
    for entry in index.of_kind("ResourceSet", OPERATOR_GROUP):
        for item in _dict(entry.data.get("spec")).get("resources") or ():
            if isinstance(item, dict):
                yield entry, item


def _from_oci_repository(entry: IndexEntry, data: dict[str, Any]) -> Operator | None:
    spec = _dict(data.get("spec"))
    if not _vendor_url(spec.get("url"), OPERATOR_CHART):
        return None
    ref = _dict(spec.get("ref"))
    if ref.get("digest"):
        return None
    text = next((ref[k] for k in ("semver", "tag") if _literal(ref.get(k))), "latest")
    name = _dict(data.get("metadata")).get("name")
    return Operator(str(text).strip(), f"OCIRepository `{name}`", entry.path)


def _is_operator_chart_release(
    entry: IndexEntry, data: dict[str, Any], index: RepoIndex, charts: dict[str, list[str | None]]
) -> bool | None:
    """Is the HelmRelease ``data`` one of the flux-operator chart? True/False, or None for a
    ``chartRef`` to an OCIRepository that is not found (``charts``: the names and namespaces
    of the repository's OCIRepositories of the operator chart)."""
    spec = _dict(data.get("spec"))
    chart = _dict(_dict(spec.get("chart")).get("spec"))
    if chart:
        if chart.get("chart") != OPERATOR_CHART:
            return False
        ref = _dict(chart.get("sourceRef"))
        if ref.get("kind") != "HelmRepository" or not isinstance(ref.get("name"), str):
            return False
        namespace = ref.get("namespace") or _dict(data.get("metadata")).get("namespace")
        repos = index.find(
            "HelmRepository", ref["name"], namespace if isinstance(namespace, str) else None
        )
        return not repos or any(
            _dict(r.data.get("spec")).get("url", "").rstrip("/") == f"oci://{VENDOR_PATH}/charts"
            for r in repos
            if isinstance(_dict(r.data.get("spec")).get("url"), str)
        )
    ref = _dict(spec.get("chartRef"))
    name = ref.get("name")
    if ref.get("kind") != "OCIRepository" or not isinstance(name, str):
        return False
    namespace = ref.get("namespace") or _dict(data.get("metadata")).get("namespace")
    namespaces = charts.get(name)
    if namespaces is None:
        return None
    return any(ns is None or namespace is None or ns == namespace for ns in namespaces)


def _image_tag(data: dict[str, Any]) -> str | None:
    """``values.image.tag`` of a HelmRelease, when it is written literally (a digest after
    the tag is dropped: the tag still names the release)."""
    image = _dict(_dict(_dict(data.get("spec")).get("values")).get("image"))
    tag = image.get("tag")
    if not _literal(tag):
        return None
    return str(tag).strip().partition("@")[0] or None


def _from_helm_release(
    entry: IndexEntry, data: dict[str, Any], index: RepoIndex, charts: dict[str, list[str | None]]
) -> Operator | None:
    if not _is_operator_chart_release(entry, data, index, charts):
        return None
    name = _dict(data.get("metadata")).get("name")
    tag = _image_tag(data)
    if tag is not None:
        return Operator(tag, f"HelmRelease `{name}` (`values.image.tag`)", entry.path)
    chart = _dict(_dict(_dict(data.get("spec")).get("chart")).get("spec"))
    if not chart:
        return None  # a chartRef: its OCIRepository tells the version
    version = chart.get("version")
    text = version.strip() if _literal(version) else "*"
    return Operator(text, f"HelmRelease `{name}`", entry.path)


def _from_containers(entry: IndexEntry, data: dict[str, Any]) -> Iterator[Operator]:
    if data.get("kind") != "Deployment":
        return
    pod = _dict(_dict(_dict(data.get("spec")).get("template")).get("spec"))
    for container in pod.get("containers") or ():
        image = _dict(container).get("image")
        if not _literal(image):
            continue
        name, _, digest = image.partition("@")
        repository, _, tag = (
            name.rpartition(":") if ":" in name.rpartition("/")[2] else (name, "", "")
        )
        if repository == OPERATOR_IMAGE and tag and not digest:
            yield Operator(tag, f"image `{image}`", entry.path)


def operators(index: RepoIndex) -> list[Operator]:
    """Every flux-operator deployment of the repository, in path order."""
    found: list[Operator] = []
    candidates = list(_candidates(index))
    charts: dict[str, list[str | None]] = {}
    for _entry, data in candidates:
        if data.get("kind") == "OCIRepository" and _vendor_url(
            _dict(data.get("spec")).get("url"), OPERATOR_CHART
        ):
            meta = _dict(data.get("metadata"))
            if isinstance(meta.get("name"), str):
                namespace = meta.get("namespace")
                charts.setdefault(meta["name"], []).append(
                    namespace if isinstance(namespace, str) else None
                )
    # OCIRepositories of the chart whose release sets ``values.image.tag``: the tag wins.
    superseded: set[str] = set()
    for entry, data in candidates:
        if data.get("kind") != "HelmRelease" or _image_tag(data) is None:
            continue
        ref = _dict(_dict(data.get("spec")).get("chartRef"))
        chart_ref = ref.get("kind") == "OCIRepository" and isinstance(ref.get("name"), str)
        if chart_ref and _is_operator_chart_release(entry, data, index, charts):
            superseded.add(ref["name"])
    for entry, data in candidates:
        kind = data.get("kind")
        if kind == "OCIRepository":
            name = _dict(data.get("metadata")).get("name")
            operator = None if name in superseded else _from_oci_repository(entry, data)
        elif kind == "HelmRelease":
            operator = _from_helm_release(entry, data, index, charts)
        else:
            found.extend(_from_containers(entry, data))
            continue
        if operator is not None:
            found.append(operator)
    for kfile in index.kustomize_files.values():
        for resource in kfile.data.get("resources") or ():
            m = _INSTALL_URL.search(resource) if isinstance(resource, str) else None
            if m:
                text = m.group("tag") or "latest"
                found.append(Operator(text, "flux-operator install.yaml", kfile.path))
    return sorted(set(found), key=lambda o: (o.path, o.source, o.text))


# -- which Flux the instance installs -------------------------------------------------------------

#: The first flux-operator release whose manifests hold each Flux minor (the ``config/data/flux``
#: folders of the operator's release tags): a release's embedded manifests and its manifests
#: artifact stop at the newest minor listed here for it.
FIRST_OPERATOR_WITH: dict[Minor, Version] = {
    (2, 6): (0, 21, 0),
    (2, 7): (0, 30, 0),
    (2, 8): (0, 42, 0),
    (2, 9): (0, 53, 0),
}


def newest_minor_in(release: Version) -> Minor | None:
    """The newest Flux minor in the manifests of operator release ``release``; None when it is
    older than every minor flux-lint knows."""
    minors = [m for m, since in FIRST_OPERATOR_WITH.items() if since <= release]
    return max(minors) if minors else None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The Flux minor an instance installs and what decided it, for messages."""

    minor: Minor
    because: str

    def describe(self, version: str | None) -> str:
        return f"Flux {self.minor[0]}.{self.minor[1]} (what `{version}` resolves to{self.because})"


def _single_exact(deployed: list[Operator]) -> Operator | None:
    """The operator deployment, when the repository deploys one exact version."""
    exact = {o.exact for o in deployed}
    if len(exact) != 1 or None in exact:
        return None
    return deployed[0]


def resolve_instance(instance: Instance, deployed: list[Operator]) -> Resolution | None:
    """The Flux minor ``instance`` installs: the newest known minor its version allows, within
    the manifests it gets when the repository tells which (a release-tagged artifact, or the
    manifests embedded in the one operator version it deploys; operators from v0.54.0 on also
    keep a floating artifact to their embedded minors)."""
    allowed_here = set(allowed(instance.version))
    known = [m for m in MINORS if m in allowed_here]
    if not known:
        return None
    operator = _single_exact(deployed)
    op_version = operator.exact if operator is not None else None
    value = instance.get("distribution", "artifact")
    if value is None and instance.chart:
        value = CHART_DEFAULT_ARTIFACT
    artifact = parse_artifact(value)
    cap: Minor | None = None
    because = ""
    if value is None and op_version is not None:
        cap = newest_minor_in(op_version)
        because = f" with the manifests embedded in flux-operator `{operator.text}`"
    elif artifact is not None and artifact.version is not None:
        cap = newest_minor_in(artifact.version)
        because = f" with the manifests of `{artifact.tag}`"
    if op_version is not None and op_version >= EMBEDDED_MINORS_SINCE and value is not None:
        embedded = newest_minor_in(op_version)
        if embedded is not None and (cap is None or embedded < cap):
            cap = embedded
            because = f" with the Flux minors flux-operator `{operator.text}` embeds"
    if cap is not None:
        known = [m for m in known if m <= cap]
    return Resolution(known[-1], because) if known else None
