"""Manifests several test modules build small repositories from, and the function that writes
such a repository.

``bootstrap_sync(cluster)`` is the ``gotk-sync.yaml`` of a cluster bootstrapped from the
repository: the ``flux-system`` GitRepository and the Kustomization that applies
``clusters/<cluster>``.
``HELM_RELEASE`` is a valid HelmRelease whose only finding is FL401 (a post-renderer that rewrites
images, hooks' too, without a post-render strategy); ``HELM_REPOSITORY`` is the source it names.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (path relative to ``root`` → text, dedented) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def bootstrap_sync(cluster: str, *, ignore: str = "") -> str:
    """The bootstrap ``gotk-sync.yaml`` of ``clusters/<cluster>``; ``ignore`` (lines of the
    GitRepository's spec, after its ``ref``) is what the artifact leaves out."""
    return f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: https://github.com/example/fleet
  ref:
    branch: main
{ignore}---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/{cluster}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: default
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
  postRenderers:
    - kustomize:
        images:
          - name: podinfo
            newTag: 6.5.0
"""

HELM_REPOSITORY = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: podinfo
  namespace: default
spec:
  interval: 1h
  url: https://stefanprodan.github.io/podinfo
"""
