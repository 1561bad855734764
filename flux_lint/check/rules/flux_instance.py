"""FL330-FL335: FluxInstance settings that break or silently change a flux-operator install.

Each FluxInstance of the repository (a ``FluxInstance`` object, or the ``values.instance`` of a
``HelmRelease`` of the ``flux-instance`` chart, see :mod:`flux_lint.model.flux_operator`) is
checked against the Flux release its ``distribution.version`` resolves to: the newest Flux minor
flux-lint ships CRDs for that the constraint allows, within the manifests the operator gets when
the repository shows them (:func:`~flux_lint.model.flux_operator.resolve_instance`).

* **FL330** the manifests artifact follows ``:latest`` (or has no tag): the Flux the operator
  installs changes with every operator release. With an open-ended version (``2.x``, ``*``,
  ``>=2.8``) and an operator older than v0.54.0 (or one the repository does not show), a new
  artifact can hand the operator a Flux minor its compiled-in patches do not know: bootstrap
  fails (``BuildFailed``). That is an error; with a v0.54.0+ operator it is a warning.
* **FL331** the artifact's tag and the flux-operator version the repository deploys differ: they
  are released as a pair.
* **FL332** a JSON 6902 operation in ``kustomize.patches`` addresses a CRD version by index
  (``/spec/versions/1/...``): a warning, because Flux drops deprecated versions and the indexes
  shift; an error when the index does not exist in that CRD in the resolved Flux release (the
  kustomize build fails).
* **FL333** a component the resolved Flux release does not ship (``source-watcher`` before 2.7).
* **FL334** a ``sync.provider`` the resolved release's source kind does not accept (``aws``
  for ``GitRepository`` before 2.9), read from that release's CRD enum.
* **FL335** a flux-instance chart release whose ``fullnameOverride`` names the FluxInstance
  something other than ``flux`` (a FluxInstance object with another name fails the CRD's own
  rule, FL201).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.schema.store import MINORS, Bundle, format_minor, load_bundle
from flux_lint.core.findings import VALUE, Problem, Severity
from flux_lint.core.placeholders import has_placeholder
from flux_lint.model.flux_operator import (
    EMBEDDED_MINORS_SINCE,
    Instance,
    Operator,
    Resolution,
    format_version,
    instances,
    is_open_range,
    newest_minor_in,
    operators,
    parse_artifact,
    resolve_instance,
)
from flux_lint.model.index import IndexEntry, RepoIndex

FLOATING = "FL330"
MISMATCH = "FL331"
INDEX_PATCH = "FL332"
COMPONENT = "FL333"
SYNC_PROVIDER = "FL334"
NAME = "FL335"

SOURCE_GROUP = "source.toolkit.fluxcd.io"
#: The first Flux minor that ships each optional component (flux-operator
#: internal/builder/components.go: "source-watcher is only supported in Flux versions >= 2.7.0").
COMPONENT_SINCE = {"source-watcher": (2, 7)}
#: The CRD groups (and, for the image controllers, plural names) each component installs.
COMPONENT_CRDS = {
    "source-controller": re.compile(r"^[a-z]+\.source\.toolkit\.fluxcd\.io$"),
    "source-watcher": re.compile(r"^[a-z]+\.source\.extensions\.fluxcd\.io$"),
    "kustomize-controller": re.compile(r"^[a-z]+\.kustomize\.toolkit\.fluxcd\.io$"),
    "helm-controller": re.compile(r"^[a-z]+\.helm\.toolkit\.fluxcd\.io$"),
    "notification-controller": re.compile(r"^[a-z]+\.notification\.toolkit\.fluxcd\.io$"),
    "image-reflector-controller": re.compile(
        r"^(imagerepositories|imagepolicies)\.image\.toolkit\.fluxcd\.io$"
    ),
    "image-automation-controller": re.compile(
        r"^imageupdateautomations\.image\.toolkit\.fluxcd\.io$"
    ),
}
_VERSIONS_PATH = re.compile(r"^/spec/versions/(?P<index>[0-9]+)(?P<rest>/.*)?$")


def _minor(minor: tuple[int, int]) -> str:
    return format_minor(minor)


@repo_check(FLOATING, MISMATCH, INDEX_PATCH, COMPONENT, SYNC_PROVIDER, NAME)
def flux_instance_rules(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """Every FluxInstance of the repository, against the Flux release it resolves to."""
    found = list(instances(index))
    if not found:
        return
    deployed = operators(index)
    for instance in found:
        for problem in _check(instance, deployed):
            yield instance.entry, problem


def _check(instance: Instance, deployed: list[Operator]) -> Iterator[Problem]:
    yield from _artifact(instance, deployed)
    resolution = resolve_instance(instance, deployed)
    if resolution is not None:
        yield from _patches(instance, resolution, load_bundle(resolution.minor))
        yield from _components(instance, resolution)
        yield from _sync_provider(instance, resolution)
    yield from _name(instance)


# -- FL330, FL331: the manifests artifact ---------------------------------------------------------


def _artifact(instance: Instance, deployed: list[Operator]) -> Iterator[Problem]:
    value = instance.get("distribution", "artifact")
    if not isinstance(value, str) or has_placeholder(value) or "<<" in value:
        return  # not written (the operator's embedded manifests), or only known later
    artifact = parse_artifact(value)
    if artifact is None or not artifact.is_operator_manifests:
        return
    pointer = instance.pointer("distribution", "artifact")
    if artifact.floating:
        yield _floating(instance, deployed, artifact.tag, pointer)
        return
    version = artifact.version
    exact = [o for o in deployed if o.exact is not None]
    if version is None or not exact or any(o.exact == version for o in exact):
        return
    operator = exact[0]
    assert operator.exact is not None
    shown = format_version(operator.exact)
    newer = version > operator.exact
    breaks = newer and operator.exact < EMBEDDED_MINORS_SINCE
    message = (
        f"the manifests artifact `{artifact.tag}` does not match flux-operator "
        f"`{operator.text}` deployed by {operator.describe()}: the two are released as a "
        f"matched pair; use `{MANIFESTS_TAG_HINT.format(shown)}`"
    )
    if breaks:
        message += (
            f" (an operator older than {format_version(EMBEDDED_MINORS_SINCE)} applies its "
            "compiled-in CRD patches to newer Flux manifests it does not know, and the build "
            "fails)"
        )
    else:
        held, embedded = newest_minor_in(version), newest_minor_in(operator.exact)
        if not newer and held is not None and embedded is not None and held < embedded:
            message += (
                f" (its manifests stop at Flux {_minor(held)}, flux-operator `{operator.text}` "
                f"ships Flux {_minor(embedded)})"
            )
    yield Problem(
        message,
        pointer=pointer,
        target=VALUE,
        rule_id=MISMATCH,
        severity=Severity.ERROR if breaks else None,
    )


MANIFESTS_TAG_HINT = "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:{}"


def _floating(
    instance: Instance, deployed: list[Operator], tag: str | None, pointer: str
) -> Problem:
    what = "`:latest`" if tag else "no tag (the registry serves `latest`)"
    exact = sorted({o.exact for o in deployed if o.exact is not None})
    pin = (
        f"pin it to `{format_version(exact[0])}`, the flux-operator version this repository deploys"
        if len(exact) == 1
        else "pin it to the release tag of the flux-operator that runs it, or remove it to use "
        "the manifests embedded in the operator image"
    )
    message = (
        f"the manifests artifact follows {what}: the Flux the operator installs changes with "
        f"every flux-operator release, without a change in this repository; {pin}"
    )
    if not is_open_range(instance.version):
        return Problem(message, pointer=pointer, target=VALUE, rule_id=FLOATING)
    guards = [o.guarded for o in deployed]
    version = f"`{instance.version}`" + ("" if instance.version_written else " (chart default)")
    if deployed and all(guards):
        message += (
            f"; with the open version {version}, flux-operator "
            f"{format_version(EMBEDDED_MINORS_SINCE)} or later still keeps to the Flux minors it "
            "embeds"
        )
        return Problem(message, pointer=pointer, target=VALUE, rule_id=FLOATING)
    known = [o for o in deployed if o.guarded is False]
    if known:
        who = f"flux-operator `{known[0].text}` ({known[0].describe()})"
    else:
        who = "a flux-operator older than v0.54.0 (this repository does not show which one runs)"
    message += (
        f"; with the open version {version}, {who} installs the newest Flux in the artifact even "
        "when its compiled-in patches do not know it, and bootstrap fails (`BuildFailed`)"
    )
    return Problem(
        message, pointer=pointer, target=VALUE, rule_id=FLOATING, severity=Severity.ERROR
    )


# -- FL332: CRD versions addressed by index -------------------------------------------------------


def _patches(instance: Instance, res: Resolution, bundle: Bundle) -> Iterator[Problem]:
    patches = instance.get("kustomize", "patches")
    if not isinstance(patches, list):
        return
    for number, item in enumerate(patches):
        if not isinstance(item, dict) or not isinstance(item.get("patch"), str):
            continue
        target = item.get("target") if isinstance(item.get("target"), dict) else {}
        if not _may_target_crds(target):
            continue
        text = item["patch"]
        if has_placeholder(text) or "<<" in text:
            continue
        pointer = instance.pointer("kustomize", "patches", number, "patch")
        for op, field, path, offset in _index_operations(text):
            yield _index_problem(instance, res, bundle, target, op, field, path, pointer, offset)


def _may_target_crds(target: dict[str, Any]) -> bool:
    """A kustomize target selects CRDs unless its ``kind`` or ``group`` rules them out (both
    are regular expressions, anchored by kustomize)."""
    for key, value in (("kind", "CustomResourceDefinition"), ("group", "apiextensions.k8s.io")):
        pattern = target.get(key)
        if isinstance(pattern, str) and pattern and not _full_match(pattern, value):
            return False
    return True


def _full_match(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _index_operations(text: str) -> Iterator[tuple[str | None, str, str, tuple[int, int]]]:
    """(``op``, ``path`` or ``from``, the JSON pointer, its 1-based position inside the patch
    text) of every operation that addresses ``/spec/versions/<n>``. A patch that is
    not a JSON 6902 list (a strategic merge patch) yields nothing."""
    from flux_lint.load.positions import locate
    from flux_lint.load.yaml import load_text

    loaded = load_text(text)
    if len(loaded.documents) != 1 or loaded.problems:
        return
    doc = loaded.documents[0]
    if not isinstance(doc.data, list):
        return
    for op_index, op in enumerate(doc.data):
        if not isinstance(op, dict):
            continue
        for field in ("path", "from"):
            value = op.get(field)
            if isinstance(value, str) and _VERSIONS_PATH.match(value):
                span = locate(doc.node, f"/{op_index}/{field}", VALUE)
                name = op.get("op")
                yield (
                    (name if isinstance(name, str) else None),
                    field,
                    value,
                    (span.line, span.column),
                )


def _selected_crds(
    bundle: Bundle, instance: Instance, target: dict[str, Any]
) -> list[tuple[str, tuple[str, ...]]]:
    """The CRDs of the installed components that ``target`` selects, by name."""
    components = instance.component_names
    name = target.get("name")
    selected = []
    for crd, versions in sorted(bundle.crd_versions.items()):
        if not any(
            COMPONENT_CRDS.get(c) is not None and COMPONENT_CRDS[c].match(crd) for c in components
        ):
            continue
        if isinstance(name, str) and name and not _full_match(name, crd):
            continue
        selected.append((crd, versions))
    return selected


def _index_problem(
    instance: Instance,
    res: Resolution,
    bundle: Bundle,
    target: dict[str, Any],
    op: str | None,
    field: str,
    path: str,
    pointer: str,
    offset: tuple[int, int],
) -> Problem:
    m = _VERSIONS_PATH.match(path)
    assert m is not None
    index = int(m.group("index"))
    # `add` of /spec/versions/<len> appends a version; every other use needs the element.
    appends = op == "add" and field == "path" and m.group("rest") is None
    missing = [
        (crd, versions)
        for crd, versions in _selected_crds(bundle, instance, target)
        if index > len(versions) or (index == len(versions) and not appends)
    ]
    hint = (
        "Flux removes deprecated API versions from its CRDs and the indexes shift; pin "
        "`distribution.version` to a minor and re-check the patch on every Flux upgrade"
    )
    if missing:
        crd, versions = missing[0]
        listed = ", ".join(f"`{v}`" for v in versions) or "none"
        more = f" (and {len(missing) - 1} more CRDs)" if len(missing) > 1 else ""
        return Problem(
            f"`{path}` addresses version {index} of CRD `{crd}`{more}, which has "
            f"{len(versions)} version{'s' if len(versions) != 1 else ''} ({listed}) in "
            f"{res.describe(instance.version)}: the kustomize build of the FluxInstance fails; "
            f"{hint}",
            pointer=pointer,
            target=VALUE,
            rule_id=INDEX_PATCH,
            severity=Severity.ERROR,
            offset=offset,
        )
    selected = [(crd, versions) for crd, versions in _selected_crds(bundle, instance, target)]
    today = ""
    if selected and index < len(selected[0][1]):
        crd, versions = selected[0]
        today = f" (today `{versions[index]}` of `{crd}` in {res.describe(instance.version)})"
    return Problem(
        f"`{path}` addresses a CRD version by its index{today}; {hint}",
        pointer=pointer,
        target=VALUE,
        rule_id=INDEX_PATCH,
        offset=offset,
    )


# -- FL333: components ----------------------------------------------------------------------------


def _components(instance: Instance, res: Resolution) -> Iterator[Problem]:
    for number, name in instance.components:
        since = COMPONENT_SINCE.get(name)
        if since is not None and res.minor < since:
            yield Problem(
                f"component `{name}` ships with Flux {_minor(since)} and later; "
                f"{res.describe(instance.version)} does not have it and the operator rejects "
                "the FluxInstance",
                pointer=instance.pointer("components", number),
                target=VALUE,
                rule_id=COMPONENT,
            )


# -- FL334: sync.provider -------------------------------------------------------------------------


def _provider_enum(minor: tuple[int, int], kind: str) -> list[str] | None:
    entry = load_bundle(minor).lookup(SOURCE_GROUP, "v1", kind)
    if entry is None:
        return None
    spec = entry.schema.get("properties", {}).get("spec", {})
    enum = spec.get("properties", {}).get("provider", {}).get("enum")
    return list(enum) if isinstance(enum, list) else None


def _sync_provider(instance: Instance, res: Resolution) -> Iterator[Problem]:
    kind, provider = instance.get("sync", "kind"), instance.get("sync", "provider")
    if not isinstance(kind, str) or not isinstance(provider, str):
        return
    enum = _provider_enum(res.minor, kind)
    if enum is None or provider in enum:
        return
    since = [m for m in MINORS if provider in (_provider_enum(m, kind) or ())]
    if not since:
        return  # no Flux release accepts it: the FluxInstance CRD's own rules report it
    yield Problem(
        f"`sync.provider: {provider}` for a {kind} needs Flux {_minor(since[0])} or later; "
        f"{res.describe(instance.version)} accepts {', '.join(f'`{p}`' for p in enum)}",
        pointer=instance.pointer("sync", "provider"),
        target=VALUE,
        rule_id=SYNC_PROVIDER,
    )


# -- FL335: the name ------------------------------------------------------------------------------


def _name(instance: Instance) -> Iterator[Problem]:
    """The name the flux-instance chart gives its FluxInstance. A FluxInstance object with
    another name is reported by FL201: the CRD's own rule ("the only accepted name for a
    FluxInstance is 'flux'") is checked with the operator's schemas."""
    if not instance.chart:
        return
    spec = instance.entry.data.get("spec")
    values = spec.get("values") if isinstance(spec, dict) else None
    name = values.get("fullnameOverride") if isinstance(values, dict) else None
    if not isinstance(name, str) or name == "flux" or has_placeholder(name) or "<<" in name:
        return
    yield Problem(
        f"the flux-instance chart names its FluxInstance `{name}`, and a FluxInstance must be "
        "named `flux`: the API server rejects any other name (one instance per cluster)",
        pointer="/spec/values/fullnameOverride",
        target=VALUE,
        rule_id=NAME,
    )
