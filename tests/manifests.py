"""Manifests several test modules build small repositories from.

``HELM_RELEASE`` is a valid HelmRelease whose only finding is FL401 (a post-renderer that rewrites
images, hooks' too, without a post-render strategy); ``HELM_REPOSITORY`` is the source it names.
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
