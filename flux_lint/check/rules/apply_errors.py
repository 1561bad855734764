"""What fails kustomize-controller after the build: encrypted Secrets (FL551).

(Variable names that ``postBuild`` rejects, inline or as keys of ``substituteFrom`` objects,
are FL407's.)

* **FL551** a Secret that still carries its top-level ``sops`` block when it reaches the apply
  stage: kustomize-controller (``kustomization_controller.go`` v1.9.4 L948,
  ``decryptor.IsEncryptedSecret``) refuses it unless the Kustomization has ``spec.decryption``
  or the Secret is annotated ``kustomize.toolkit.fluxcd.io/decrypt: disabled``. A parent's
  ``spec.patches`` that add ``decryption`` to the Kustomization count as setting it.

It only looks at Kustomizations this repository deploys (:func:`flux_lint.model.builds.deployed`)
and at objects those builds apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.rules.build_errors import ks_label
from flux_lint.check.rules.references import resolver
from flux_lint.core.findings import KEY, Problem
from flux_lint.model.builds import deployed
from flux_lint.model.graph import RepoGraph
from flux_lint.model.index import IndexEntry, RepoIndex

RULE_ENCRYPTED = "FL551"

DECRYPT_ANNOTATION = "kustomize.toolkit.fluxcd.io/decrypt"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _deployed_kustomizations(graph: RepoGraph, applied: Any) -> Iterator[IndexEntry]:
    for ks in graph.flux_kustomizations:
        if deployed(graph, ks, applied):
            yield ks


def _patches_add_decryption(graph: RepoGraph, ks: IndexEntry) -> bool:
    """Whether a Kustomization applying ``ks`` patches ``decryption`` into it."""
    for parent in graph.appliers(ks.path):
        for patch in _list(_dict(parent.data.get("spec")).get("patches")):
            patch = _dict(patch)
            if "decryption" not in str(patch.get("patch", "")):
                continue
            target = _dict(patch.get("target"))
            kind = target.get("kind")
            if not kind or kind == "Kustomization" or not str(kind).isalnum():
                return True
    return False


def _still_encrypted(entry: IndexEntry) -> bool:
    if entry.kind != "Secret" or entry.api_version != "v1" or "sops" not in entry.data:
        return False
    annotations = _dict(_dict(entry.data.get("metadata")).get("annotations"))
    return str(annotations.get(DECRYPT_ANNOTATION, "")).lower() != "disabled"


@repo_check(RULE_ENCRYPTED)
def encrypted_secret_without_decryption(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """SOPS-encrypted Secrets applied by a Kustomization that cannot decrypt them."""
    graph = resolver(index, ctx).graph
    reported: set[int] = set()
    for ks in _deployed_kustomizations(graph, getattr(ctx, "applied", None)):
        spec = _dict(ks.data.get("spec"))
        if spec.get("decryption") is not None or _patches_add_decryption(graph, ks):
            continue
        for entry in graph.applied_objects(ks):
            if id(entry) in reported or not _still_encrypted(entry):
                continue
            reported.add(id(entry))
            message = (
                f"this Secret is SOPS-encrypted and Kustomization `{ks_label(graph, ks)}`, which "
                'applies it, has no `spec.decryption`: the apply fails ("is SOPS encrypted, '
                'configuring decryption is required"); add `decryption: {provider: sops, '
                "secretRef: ...}`"
            )
            yield entry, Problem(message, "/sops", KEY, rule_id=RULE_ENCRYPTED)
