"""FL402: the Secret of a ``gcr`` Receiver must hold ``token``, ``email`` and ``audience``.

Since Flux 2.9 (the fix for CVE-2026-40109) notification-controller verifies the Google-signed
OIDC token of a Pub/Sub push against the ``email`` and ``audience`` keys of the Receiver's
Secret. The CRD cannot express a requirement on another object, and the controller keeps the
Receiver Ready without them: every push is then answered with HTTP 400 and nothing tells the
owner. Only a repository-wide look can catch it, by finding the object that will become that
Secret.

The Secret may be written in several ways, each with its own idea of which keys it produces:

* a plain ``Secret`` (``data`` and ``stringData``; SOPS encrypts values, never key names);
* an ``ExternalSecret`` / ``ClusterExternalSecret`` (external-secrets.io):
  ``spec.data[].secretKey``, or, with a ``spec.target.template`` that has ``data`` or
  ``templateFrom``, the template's keys (``mergePolicy: Replace``, the default, drops the
  provider's keys; ``Merge`` keeps both). ``dataFrom``, ``templateFrom`` and
  ``creationPolicy: Merge`` bring keys that only the provider knows;
* a ``SealedSecret`` (bitnami.com): ``spec.encryptedData`` plus ``spec.template.data``;
* a kustomize ``secretGenerator``: ``literals`` and ``files`` name their keys, ``envs`` do not.

A key that is missing from a source whose keys are all known is an error; a source whose keys
are partly unknown, or no source at all, gives a note that says what could not be verified.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.core.findings import VALUE, Problem, Severity
from flux_lint.model.index import IndexEntry, RepoIndex

RULE = "FL402"
NOTIFICATION_GROUP = "notification.toolkit.fluxcd.io"
ESO_GROUP = "external-secrets.io"
SEALED_GROUP = "bitnami.com"
REQUIRED_KEYS = ("token", "email", "audience")
FLUX_2_9 = (2, 9)


@dataclass(slots=True)
class SecretSource:
    """One object (or generator) in the repository that becomes the Secret.

    ``unknown`` says why more keys than ``keys`` may end up in the Secret ("" when the keys are
    all known).
    """

    what: str  # e.g. "Secret `gcr-token` (apps/secret.yaml)"
    keys: set[str] = field(default_factory=set)
    unknown: str = ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _same_namespace(a: str | None, b: str | None) -> bool:
    """A missing namespace matches any: kustomize or the Flux Kustomization sets it at build
    time (the same rule as :meth:`RepoIndex.find`)."""
    return a is None or b is None or a == b


def _label(kind: str, name: str, path: str) -> str:
    return f"{kind} `{name}` ({path})"


def _secret(entry: IndexEntry) -> SecretSource:
    keys = set(_dict(entry.data.get("data"))) | set(_dict(entry.data.get("stringData")))
    return SecretSource(_label("Secret", entry.name or "?", entry.path), keys)


def _external_secret_keys(spec: dict[str, Any]) -> tuple[set[str], str]:
    """Keys of the Secret an ExternalSecret spec renders, and why more may come ("" if none)."""
    target = _dict(spec.get("target"))
    data_keys = {
        item["secretKey"]
        for item in _list(spec.get("data"))
        if isinstance(item, dict) and isinstance(item.get("secretKey"), str)
    }
    data_from = bool(_list(spec.get("dataFrom")))
    template = _dict(target.get("template"))
    template_keys = set(_dict(template.get("data")))
    template_from = [
        t
        for t in _list(template.get("templateFrom"))
        if isinstance(t, dict) and t.get("target", "Data") == "Data"
    ]
    unknown = ""
    if template and (template_keys or _list(template.get("templateFrom"))):
        keys = set(template_keys)
        if template_from:
            unknown = "`spec.target.template.templateFrom`"
        if template.get("mergePolicy") == "Merge":
            keys |= data_keys
            if data_from and not unknown:
                unknown = "`spec.dataFrom`"
    else:
        keys = data_keys
        if data_from:
            unknown = "`spec.dataFrom`"
    if target.get("creationPolicy") == "Merge" and not unknown:
        unknown = "`creationPolicy: Merge`"
    return keys, unknown


def _renders_secret(spec: dict[str, Any]) -> bool:
    """``creationPolicy: None`` only reads a Secret that something else creates."""
    return _dict(spec.get("target")).get("creationPolicy") != "None"


def sources(index: RepoIndex, name: str, namespace: str | None) -> list[SecretSource]:
    """Everything in the repository that becomes the Secret ``name`` in ``namespace``."""
    found: list[SecretSource] = []
    patched: set[str] = set()  # keys kustomize patches add to whichever Secret they target
    for entry in index.find("Secret", name, namespace, group=""):
        if entry.partial:
            patched |= _secret(entry).keys
        else:
            found.append(_secret(entry))
    for entry in index.of_kind("ExternalSecret", ESO_GROUP):
        spec = _dict(entry.data.get("spec"))
        target = _dict(spec.get("target")).get("name") or entry.name
        if target != name or not _same_namespace(entry.namespace, namespace):
            continue
        if entry.partial or not _renders_secret(spec):
            continue
        keys, unknown = _external_secret_keys(spec)
        found.append(
            SecretSource(_label("ExternalSecret", entry.name or "?", entry.path), keys, unknown)
        )
    for entry in index.of_kind("ClusterExternalSecret", ESO_GROUP):
        spec = _dict(entry.data.get("spec"))
        es_name = spec.get("externalSecretName") or entry.name
        es_spec = _dict(spec.get("externalSecretSpec"))
        target = _dict(es_spec.get("target")).get("name") or es_name
        if target != name or entry.partial or not _renders_secret(es_spec):
            continue  # it creates the Secret in every namespace its selectors pick
        keys, unknown = _external_secret_keys(es_spec)
        found.append(
            SecretSource(
                _label("ClusterExternalSecret", entry.name or "?", entry.path), keys, unknown
            )
        )
    for entry in index.find("SealedSecret", name, namespace, group=SEALED_GROUP):
        if entry.partial:
            continue
        spec = _dict(entry.data.get("spec"))
        keys = set(_dict(spec.get("encryptedData"))) | set(
            _dict(_dict(spec.get("template")).get("data"))
        )
        unknown = "`spec.data`" if spec.get("data") else ""
        found.append(
            SecretSource(_label("SealedSecret", entry.name or "?", entry.path), keys, unknown)
        )
    found.extend(_generated(index, name, namespace))
    for source in found:
        source.keys |= patched
    return found


def _generated(index: RepoIndex, name: str, namespace: str | None) -> Iterator[SecretSource]:
    """kustomize ``secretGenerator`` entries that create the Secret."""
    for kfile in index.kustomize_files.values():
        default_ns = kfile.data.get("namespace")
        for gen in _list(kfile.data.get("secretGenerator")):
            if not isinstance(gen, dict) or gen.get("name") != name:
                continue
            ns = gen.get("namespace") or default_ns
            if not _same_namespace(ns if isinstance(ns, str) else None, namespace):
                continue
            keys: set[str] = set()
            for literal in _list(gen.get("literals")):
                if isinstance(literal, str) and "=" in literal:
                    keys.add(literal.split("=", 1)[0].strip())
            for file in _list(gen.get("files")):
                if isinstance(file, str):
                    key, sep, _ = file.partition("=")
                    keys.add(key.strip() if sep else posixpath.basename(file.strip()))
            unknown = "`envs`" if gen.get("envs") or gen.get("env") else ""
            yield SecretSource(_label("secretGenerator", name, kfile.path), keys, unknown)


def _names(keys: list[str]) -> str:
    quoted = [f"`{k}`" for k in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def judge(index: RepoIndex, receiver: IndexEntry) -> Problem | None:
    """The FL402 problem of one ``gcr`` Receiver, or None when its Secret is fine."""
    spec = _dict(receiver.data.get("spec"))
    ref = spec.get("secretRef")
    name = _dict(ref).get("name")
    required = _names(list(REQUIRED_KEYS))
    if not isinstance(name, str) or not name:
        return Problem(
            f"`gcr` Receiver without `spec.secretRef`: it needs a Secret with {required}",
            pointer="/spec/type",
            target=VALUE,
        )
    pointer = "/spec/secretRef/name"
    found = sources(index, name, receiver.namespace)
    if not found:
        return Problem(
            f"Secret `{name}` is not in the repository: could not verify that it holds "
            f"{required} (required for `gcr` Receivers since Flux 2.9, CVE-2026-40109)",
            pointer=pointer,
            target=VALUE,
            severity=Severity.NOTE,
        )
    broken = [(s, [k for k in REQUIRED_KEYS if k not in s.keys]) for s in found]
    known_bad = [(s, missing) for s, missing in broken if missing and not s.unknown]
    if known_bad:
        source, missing = known_bad[0]
        more = f" (and {len(known_bad) - 1} more)" if len(known_bad) > 1 else ""
        return Problem(
            f"{source.what}{more} has no {_names(missing)} key: Flux 2.9 rejects every push to "
            f"this `gcr` Receiver with HTTP 400 (CVE-2026-40109)",
            pointer=pointer,
            target=VALUE,
        )
    unsure = [(s, missing) for s, missing in broken if missing and s.unknown]
    if unsure:
        source, missing = unsure[0]
        return Problem(
            f"{source.what} gets keys from {source.unknown}: could not verify that Secret "
            f"`{name}` holds {_names(missing)} (required for `gcr` Receivers since Flux 2.9)",
            pointer=pointer,
            target=VALUE,
            severity=Severity.NOTE,
        )
    return None


@repo_check(RULE)
def gcr_receiver_secret_keys(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """Every ``gcr`` Receiver whose Secret lacks (or may lack) a key Flux 2.9 needs."""
    if ctx.flux_version < FLUX_2_9:
        return
    for receiver in index.of_kind("Receiver", NOTIFICATION_GROUP):
        if receiver.partial or _dict(receiver.data.get("spec")).get("type") != "gcr":
            continue
        problem = judge(index, receiver)
        if problem is not None:
            yield receiver, problem
