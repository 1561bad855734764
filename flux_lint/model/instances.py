"""Object instances: one object as one build emits it, and what decides where it lands.

Shared by the repository graph (model/graph.py), which makes them, and by everything that
reads where objects end up (effective objects, references, substitution).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flux_lint.model.index import IndexEntry

#: Kinds without a namespace: the kustomize namespace transformer leaves them alone.
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CertificateSigningRequest",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterSecretStore",
        "ClusterPolicy",
        "CustomResourceDefinition",
        "GatewayClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeSnapshotClass",
    }
)

#: Kinds kustomize's namePrefix/nameSuffix leave alone.
NOT_AFFIXED = frozenset({"CustomResourceDefinition", "APIService", "Namespace"})

_VAR = re.compile(r"(?<!\$)\$\{([^{}]*)\}")
_VAR_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_VAR_DEFAULT = re.compile(r"([_a-zA-Z][_a-zA-Z0-9]*)(:?[=-])(.*)", re.DOTALL)

EntryKey = tuple[str, int]


def entry_key(entry: IndexEntry) -> EntryKey:
    """Index entries are unhashable dataclasses; (path, document) identifies one (an object
    a ResourceSet renders shares both with the ResourceSet: its rendering tells it apart)."""
    if entry.rendered is not None:
        return (f"{entry.path}#{id(entry.rendered)}", entry.document)
    return (entry.path, entry.document)


def substitute(text: str, variables: Mapping[str, str]) -> str | None:
    """``text`` after Flux post-build substitution, or None when a variable has no value.

    Supports ``${VAR}``, ``${VAR:=default}`` and ``${VAR:-default}`` (and the forms without the
    colon); any other shell expansion is unknown, so the result is None.
    """
    if "${" not in text:
        return text
    unresolved = False

    def one(match: re.Match[str]) -> str:
        nonlocal unresolved
        body = match.group(1)
        if _VAR_NAME.fullmatch(body):
            if body in variables:
                return variables[body]
            unresolved = True
            return ""
        m = _VAR_DEFAULT.fullmatch(body)
        if m:
            name, _, default = m.groups()
            value = variables.get(name)
            return value if value else default
        unresolved = True
        return ""

    result = _VAR.sub(one, text)
    return None if unresolved else result.replace("$${", "${")


@dataclass(eq=False, slots=True)
class Instance:
    """One object as one build emits it.

    ``namespace`` is the namespace after kustomize and ``targetNamespace`` (before post-build
    substitution; :meth:`resolve` applies it). ``applier`` is the Flux Kustomization whose build
    this is, or None for a plain kustomize build or a file that no build includes. ``keys`` are
    the data keys of a generated ConfigMap/Secret (None: not known).
    """

    entry: IndexEntry
    namespace: str | None
    applier: IndexEntry | None
    root: str
    chain: tuple[str, ...] = ()
    generated: bool = False
    keys: frozenset[str] | None = None
    variables: Mapping[str, str] | None = None
    renamed: str | None = None  # a Namespace object takes the name of the kustomize namespace

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def name(self) -> str | None:
        return self.renamed if self.renamed is not None else self.entry.name

    def resolve(self, text: str | None) -> str | None:
        """A name or namespace after the applier's post-build substitution (None: unknown)."""
        if text is None:
            return None
        if "${" not in text:
            return text
        if self.variables is None or _substitution_disabled(self.entry):
            return None
        return substitute(text, self.variables)

    @property
    def resolved_name(self) -> str | None:
        return self.resolve(self.name)

    @property
    def resolved_namespace(self) -> str | None:
        return self.resolve(self.namespace)


@dataclass(frozen=True, slots=True)
class Emission:
    """One Flux build emitting one file: what decides where its objects land (the namespace
    kustomize imposes, the affixes in force, the kustomization files on the way)."""

    namespace: str | None
    applier: IndexEntry | None
    root: str
    chain: tuple[str, ...]
    variables: Mapping[str, str] | None
    prefix: str
    suffix: str

    def instance(self, entry: IndexEntry) -> Instance:
        """``entry`` (an object of the emitted file) as this build emits it."""
        namespace = self.namespace
        ns = entry.namespace if namespace is None or entry.kind in CLUSTER_SCOPED else namespace
        renamed = None
        if entry.kind == "Namespace" and entry.group == "":
            renamed = namespace
        elif (self.prefix or self.suffix) and entry.name and entry.kind not in NOT_AFFIXED:
            renamed = self.prefix + entry.name + self.suffix
        return Instance(
            entry,
            ns,
            self.applier,
            self.root,
            self.chain,
            variables=self.variables,
            renamed=renamed,
        )


def _substitution_disabled(entry: IndexEntry) -> bool:
    meta = entry.data.get("metadata")
    if not isinstance(meta, dict):
        return False
    key = "kustomize.toolkit.fluxcd.io/substitute"
    for field_name in ("annotations", "labels"):
        values = meta.get(field_name)
        if isinstance(values, dict) and values.get(key) == "disabled":
            return True
    return False
