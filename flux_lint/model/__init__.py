"""Stage 2, the repository model: what the repository is, and what Flux makes of it.

Takes the loaded documents; gives the Kubernetes objects (``objects``), the repository index
(``index``), kustomize's build files (``kustomize``), the build graph and what each Flux
Kustomization applies (``graph``), post-build substitution (``substitution``), parent
Kustomization patches (``parent_patches``) and the Flux version the repository pins
(``flux_version``). Nothing here reports a finding: checks read the model.
"""
