"""kustomize's own ``kustomization.yaml`` files: what they are, and what they make of other files.

A ``kustomization.yaml`` (``kustomize.config.k8s.io``) is build configuration, not a Flux
Kustomization. The files it names as patches are *partial* objects (fragments merged into a
resource), so their missing required fields are not errors; the files its generators read are
*data* that ends up inside a ConfigMap or Secret, so they are not objects at all.
"""

from __future__ import annotations

import posixpath
from typing import Any

KUSTOMIZE_GROUP = "kustomize.config.k8s.io"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

PATCH = "patch"
DATA = "data"
#: A resource of a kustomization that sets ``namespace:``: kustomize renames its Namespace
#: objects to that namespace, so their own name is a placeholder.
NAMESPACED = "namespaced"


def is_kustomization_file(display_path: str) -> bool:
    return posixpath.basename(display_path) in KUSTOMIZATION_FILES


def is_kustomize_config(data: Any, display_path: str) -> bool:
    """True for kustomize build configuration (``Kustomization``/``Component`` of kustomize's
    own group, or a kustomization file without ``apiVersion``, which kustomize accepts)."""
    if not isinstance(data, dict):
        return False
    api_version = data.get("apiVersion")
    if isinstance(api_version, str) and api_version.startswith(KUSTOMIZE_GROUP + "/"):
        return True
    return api_version is None and is_kustomization_file(display_path)


def _local(base: str, ref: Any) -> str | None:
    """The repository path a kustomization entry names, or None for remote/odd entries."""
    if (
        not isinstance(ref, str)
        or not ref
        or "://" in ref
        or ref.startswith(("github.com/", "git@"))
    ):
        return None
    return posixpath.normpath(posixpath.join(base, ref.split("?")[0]))


def file_roles(display_path: str, data: dict[str, Any]) -> dict[str, str]:
    """Roles (``patch``, ``data`` or ``namespaced``) of the files one kustomization names,
    by display path."""
    base = posixpath.dirname(display_path)
    roles: dict[str, str] = {}

    def mark(ref: Any, role: str) -> None:
        path = _local(base, ref)
        if path is not None:
            roles.setdefault(path, role)

    for entry in _list(data.get("patches")):
        if isinstance(entry, dict):
            mark(entry.get("path"), PATCH)
    for entry in _list(data.get("patchesStrategicMerge")):
        # Entries are file paths or inline YAML; inline ones contain a newline or a colon.
        if isinstance(entry, str) and "\n" not in entry and ": " not in entry:
            mark(entry, PATCH)
    for entry in _list(data.get("patchesJson6902")):
        if isinstance(entry, dict):
            mark(entry.get("path"), PATCH)
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in _list(data.get(key)):
            if not isinstance(gen, dict):
                continue
            for item in _list(gen.get("files")) + _list(gen.get("envs")) + [gen.get("env")]:
                if isinstance(item, str):
                    mark(item.split("=", 1)[-1], DATA)
    for entry in _list(data.get("replacements")):
        if isinstance(entry, dict):
            mark(entry.get("path"), DATA)
    for key in ("configurations", "crds", "openapi"):
        value = data.get(key)
        refs = [value.get("path")] if isinstance(value, dict) else _list(value)
        for ref in refs:
            mark(ref, DATA)
    for entry in _list(data.get("helmCharts")):
        if isinstance(entry, dict):
            mark(entry.get("valuesFile"), DATA)
    namespace = data.get("namespace")
    if (isinstance(namespace, str) and namespace) or data.get("kind") == "Component":
        # kustomize's namespace transformer also renames the Namespace objects of these files;
        # a Component's resources get the namespace of the kustomization that includes it
        for entry in _list(data.get("resources")):
            if isinstance(entry, str) and entry.endswith((".yaml", ".yml")):
                mark(entry, NAMESPACED)
    return roles


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
