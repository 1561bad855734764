"""Effective objects: an object as the Flux Kustomizations that apply it deploy it.

A repository often leaves fields out of a manifest because the Kustomization that applies it
patches them in (a parent giving every child Kustomization its ``interval`` and ``prune``, or
every HelmRelease the same remediation). The object Flux applies is the manifest with those
``spec.patches`` applied, and that is what required fields are judged on: a field a parent
supplies is never reported missing, while one that some build deploys unpatched still is.

Built from the applied set's graph (model/applied.py) before any object is checked, so the
decision is made once, when the object is checked. The patches and their selection follow
kustomize (model/parent_patches.py); a Kustomization's own patches are taken as *its* parent
deploys it, so patches a parent injects into its children take effect too.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flux_lint.model.graph import Instance, RepoGraph
from flux_lint.model.index import IndexEntry
from flux_lint.model.objects import K8sObject
from flux_lint.model.parent_patches import patched_objects


class EffectiveObjects:
    """Per object, its data as each Flux Kustomization with ``spec.patches`` deploys it."""

    def __init__(self, graph: RepoGraph) -> None:
        self.graph = graph
        self.patched = patched_objects(graph)
        self._keys: dict[str, str] = {}

    def _patching_appliers(self, path: str) -> list[IndexEntry]:
        return [ks for ks in self.graph.appliers(path) if self.patched.patches(ks)]

    def variants(self, obj: K8sObject) -> list[dict[str, Any] | None] | None:
        """The object as each build that applies it deploys it (None for a build whose patch
        deletes it), or None when no applying Kustomization has patches (then the object is
        deployed as written)."""
        if obj.partial:
            return None
        appliers = self.graph.appliers(obj.path)
        if not any(self.patched.patches(ks) for ks in appliers):
            return None
        entry = IndexEntry.of(obj)
        out: list[dict[str, Any] | None] = []
        for ks in appliers:
            namespace = self.graph.target_namespace(ks) or entry.namespace
            root = self.graph.path_folder(ks) or ""
            out.append(self.patched.deployed(Instance(entry, namespace, ks, root)))
        return out

    def context_key(self, path: str) -> str:
        """What the effective objects of a file depend on besides the file itself (the patches
        of the Kustomizations applying it, as deployed): part of its cache key."""
        key = self._keys.get(path)
        if key is None:
            parts = [
                (ks.path, ks.document, repr(self.patched.kustomization(ks).get("spec")))
                for ks in self._patching_appliers(path)
            ]
            key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest() if parts else ""
            self._keys[path] = key
        return key
