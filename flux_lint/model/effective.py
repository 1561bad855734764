"""Effective objects: an object as the builds that apply it deploy it.

A repository often leaves fields out of a manifest because something on the way to the cluster
supplies them: an overlay's ``kustomization.yaml`` patches its base (an ACME server per
environment), a parent Flux Kustomization's ``spec.patches`` give every child its ``interval``
and ``prune`` or every HelmRelease the same remediation. The object Flux applies is the
manifest after those patches, and that is what required fields are judged on: a field supplied
in every build that applies the object is never reported missing, while one that some build
deploys unpatched still is.

In Flux's order (kustomize-controller merges its fields into the root kustomization, so
kustomize's transformer order applies): the patches of the kustomization files from the object
up to the build's root, then the Flux Kustomization's ``spec.patches`` (appended after the
user's). A Kustomization's own patches are taken as *its* parent deploys it, so patches a
parent injects into its children take effect too (model/parent_patches.py). Built from the
applied set's graph (model/applied.py) before any object is checked, so the decision is made
once, when the object is checked.

What is not modelled (a JSON 6902 patch file, a patch that cannot be parsed, selecting the
object or maybe selecting it) makes the object's effective form *unknown*; required fields are
then not judged, since the field may well be supplied.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from flux_lint.model.graph import RepoGraph
from flux_lint.model.index import IndexEntry
from flux_lint.model.instances import entry_key
from flux_lint.model.objects import K8sObject
from flux_lint.model.parent_patches import (
    ParentPatch,
    PatchError,
    Selector,
    SelectorError,
    apply_patch,
    parse_patch,
    patched_objects,
    selects,
    target_of,
)

#: :meth:`EffectiveObjects.variants` when a patch that may apply is not modelled.
UNKNOWN: list[dict[str, Any] | None] = []


class EffectiveObjects:
    """Per object, its data as each Flux build that applies it deploys it."""

    def __init__(self, graph: RepoGraph) -> None:
        self.graph = graph
        self.patched = patched_objects(graph)
        self._keys: dict[str, str] = {}
        self._chain_keys: dict[tuple[str, ...], str] = {}
        self._kfile_keys: dict[str, str] = {}
        self._spec_keys: dict[Any, str] = {}
        self._overlay_patches: dict[str, list[ParentPatch | None]] = {}

    def variants(self, obj: K8sObject) -> list[dict[str, Any] | None] | None:
        """The object as each build deploys it (None where a patch deletes it), or None when
        no patch on the way selects it (it is deployed as written), or :data:`UNKNOWN`."""
        if obj.partial:
            return None
        emissions = self.graph.emissions(obj.path)
        if not emissions:
            return None
        entry = IndexEntry.of(obj)
        out: list[dict[str, Any] | None] = []
        changed = False
        for emission in emissions:
            inst = emission.instance(entry)
            target = target_of(inst, self.graph)
            data: dict[str, Any] | None = entry.data
            for kfile in inst.chain:
                for patch in self._patches_of(kfile):
                    if data is None:
                        break
                    if patch is None or patch.error is not None:
                        if patch is None or patch.target is None:
                            continue
                        if patch.target.matches(target) is not False:
                            return UNKNOWN
                        continue
                    if selects(patch, target) is False:
                        continue
                    try:
                        data = apply_patch(data, patch)
                    except ValueError:
                        return UNKNOWN
                    changed = True
            if inst.applier is not None:
                for patch in self.patched.patches(inst.applier):
                    if data is None:
                        break
                    if selects(patch, target) is False:
                        continue
                    try:
                        data = apply_patch(data, patch)
                    except ValueError:
                        continue
                    changed = True
            out.append(data)
        return out if changed else None

    def _patches_of(self, kfile: str) -> list[ParentPatch | None]:
        """The ``patches`` of one kustomization file, parsed once: inline patches, and
        strategic-merge patch files read from the documents the model holds for them."""
        found = self._overlay_patches.get(kfile)
        if found is None:
            kustomization = self.graph.index.kustomize_files.get(kfile)
            raw = kustomization.data.get("patches") if kustomization is not None else None
            items = raw if isinstance(raw, list) else []
            found = [self._overlay_patch(kfile, item, i) for i, item in enumerate(items)]
            self._overlay_patches[kfile] = found
        return found

    def _overlay_patch(self, kfile: str, item: Any, index: int) -> ParentPatch | None:
        if not isinstance(item, dict):
            return None
        if "patch" in item:
            return parse_patch(item, index)
        path = item.get("path")
        if not isinstance(path, str):
            return None
        file = posixpath.normpath(posixpath.join(posixpath.dirname(kfile), path))
        documents = [e.data for e in self.graph.entries_in(file)]
        patch = ParentPatch(index, f"/patches/{index}", "")
        target = item.get("target")
        if isinstance(target, dict):
            try:
                patch.target = Selector.parse(target)
            except SelectorError:
                return None
        if not documents:
            patch.error = PatchError("patch file not modelled", "")  # JSON 6902, or unread
            return patch
        patch.strategic = documents
        return patch

    def context_key(self, path: str) -> str:
        """What the effective objects of a file depend on besides the file itself (the patches
        on the way, as deployed): part of its cache key.

        Most files of a repository share their chains and their applier, so the digest of
        each chain (its patches and patch files) and of each applier's spec is made once.
        """
        key = self._keys.get(path)
        if key is None:
            parts: list[Any] = []
            for emission in self.graph.emissions(path):
                applier = emission.applier
                parts.append(
                    (
                        self._chain_key(emission.chain),
                        self._spec_key(applier) if applier is not None else "",
                        emission.namespace,
                        emission.prefix,
                    )
                )
            key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
            self._keys[path] = key
        return key

    def _chain_key(self, chain: tuple[str, ...]) -> str:
        """The digest of the patches a chain of kustomization files applies, and of the
        documents of the patch files they name: made of one digest per kustomization file,
        which the chains of a repository share."""
        key = self._chain_keys.get(chain)
        if key is None:
            parts = [self._kfile_key(kfile) for kfile in chain]
            key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
            self._chain_keys[chain] = key
        return key

    def _kfile_key(self, kfile: str) -> str:
        key = self._kfile_keys.get(kfile)
        if key is None:
            kustomization = self.graph.index.kustomize_files.get(kfile)
            if kustomization is None:
                key = ""
            else:
                parts = (
                    kfile,
                    repr(kustomization.data.get("patches")),
                    [
                        repr([e.data for e in self.graph.entries_in(p)])
                        for p in sorted(self._patch_files((kfile,)))
                    ],
                )
                key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
            self._kfile_keys[kfile] = key
        return key

    def _spec_key(self, applier: IndexEntry) -> str:
        """The digest of an applying Flux Kustomization's spec, as deployed."""
        ident = entry_key(applier)
        key = self._spec_keys.get(ident)
        if key is None:
            spec = repr(self.patched.kustomization(applier).get("spec"))
            key = hashlib.blake2b(spec.encode(), digest_size=16).hexdigest()
            self._spec_keys[ident] = key
        return key

    def _patch_files(self, chain: tuple[str, ...]) -> set[str]:
        files = set()
        for kfile in chain:
            kustomization = self.graph.index.kustomize_files.get(kfile)
            raw = kustomization.data.get("patches") if kustomization is not None else None
            for item in raw if isinstance(raw, list) else []:
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    base = posixpath.dirname(kfile)
                    files.add(posixpath.normpath(posixpath.join(base, item["path"])))
        return files
