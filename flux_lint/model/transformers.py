"""kustomize's transformers besides patches, on one build's copy of an object.

They complete an effective object (model/effective.py) that a patch or a substitution changes:
``commonLabels``/``labels`` and ``commonAnnotations`` on its metadata, ``replicas`` and
``images`` (kustomize ``api/filters/labels``, ``api/filters/replicacount``,
``api/filters/imagetag``), the Flux Kustomization's ``spec.images`` merged into the root's, and
the name and namespace the build gives it (model/instances.py).
"""

from __future__ import annotations

import posixpath
from typing import Any

from flux_lint.core.findings import pointer_tokens
from flux_lint.model.graph import RepoGraph
from flux_lint.model.index import IndexEntry
from flux_lint.model.instances import NOT_AFFIXED, entry_key


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def set_value(data: Any, pointer: str, value: Any) -> Any:
    """``data`` with the value at ``pointer`` replaced, copying only the containers on the way
    (manifests are shared with every other check); unchanged when the pointer does not exist."""
    tokens = pointer_tokens(pointer)
    if not tokens:
        return data
    token = tokens[0]
    rest = pointer[len(token.replace("~", "~0").replace("/", "~1")) + 1 :]
    if isinstance(data, dict) and token in data:
        child = value if not rest else set_value(data[token], rest, value)
        return data if child is data[token] else {**data, token: child}
    if isinstance(data, list) and token.isdigit() and int(token) < len(data):
        child = value if not rest else set_value(data[int(token)], rest, value)
        if child is data[int(token)]:
            return data
        copied = list(data)
        copied[int(token)] = child
        return copied
    return data


#: Where kustomize's image transformer looks for containers (the pod specs of workloads).
_POD_SPECS = ("/spec", "/spec/template/spec", "/spec/jobTemplate/spec/template/spec")
_REPLICATED = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"})


def transform(
    data: dict[str, Any], inst: Any, chain: list[str], graph: RepoGraph
) -> dict[str, Any]:
    """The kustomize transformers besides patches that change what the checks read, per
    kustomization inside out (kustomize's order within one: labels, annotations, replicas,
    images), then the Flux Kustomization's ``spec.images``, then the name and namespace the
    build gives the object. They complete a build that something else changes; on their own
    they do not make one (they set metadata, image references and replica counts, which a
    valid kustomization cannot make invalid)."""
    applier = inst.applier
    key = ("transformers", tuple(chain), inst.root, entry_key(applier) if applier else None)
    steps = graph.chain_facts.get(key)
    if steps is None:
        steps = graph.chain_facts[key] = _steps(chain, inst.root, applier, graph)
    layers, root = steps
    for labels, notes, replicas, images in layers:
        if labels:
            data = _merge_meta(data, "labels", labels)
        if notes:
            data = _merge_meta(data, "annotations", notes)
        data = _replicas(data, inst.entry, replicas)
        data = _images(data, images)
    meta = _dict(data.get("metadata"))
    name, namespace = inst.name, inst.namespace
    if applier is not None and name and inst.entry.kind not in NOT_AFFIXED:
        name = _flux_affixes(name, applier, root)
    if (name and meta.get("name") != name) or (namespace and meta.get("namespace") != namespace):
        meta = dict(meta)
        if name:
            meta["name"] = name
        if namespace and meta.get("namespace") != namespace:
            meta["namespace"] = namespace
        data = {**data, "metadata": meta}
    return data


def _steps(
    chain: list[str], root: str, applier: IndexEntry | None, graph: RepoGraph
) -> tuple[list[tuple[dict[str, Any], dict[str, Any], list[Any], list[Any]]], dict[str, Any]]:
    """What :func:`transform` applies for a chain and applier, whatever the object: per
    kustomization inside out (the Flux Kustomization's ``spec.images`` merged in) its labels,
    annotations, replicas and images, the layers that set none left out; and the root
    kustomization (``{}`` when the build's root has none), whose affixes Flux's replace."""
    layers = []
    for kfile in chain:
        kustomization = graph.index.kustomize_files.get(kfile)
        if kustomization is not None:
            layers.append(kustomization.data)
    rooted = bool(chain) and posixpath.dirname(chain[-1]) == root and bool(layers)
    flux_images = _list(_dict(applier.data.get("spec")).get("images")) if applier else []
    if flux_images:
        if rooted:  # merged by name into the root kustomization's own
            layers[-1] = {**layers[-1], "images": _merge_images(layers[-1], flux_images)}
        else:  # the kustomization the controller generates holds only Flux's
            layers.append({"images": flux_images})
    steps = []
    for layer in layers:
        labels = {str(k): v for k, v in _dict(layer.get("commonLabels")).items()}
        for item in _list(layer.get("labels")):
            labels.update({str(k): v for k, v in _dict(_dict(item).get("pairs")).items()})
        annotations = _dict(layer.get("commonAnnotations"))
        replicas, images = _list(layer.get("replicas")), _list(layer.get("images"))
        if labels or annotations or replicas or images:
            steps.append((labels, annotations, replicas, images))
    return steps, layers[-1] if rooted else {}


def _flux_affixes(name: str, applier: IndexEntry, root: dict[str, Any]) -> str:
    """``spec.namePrefix``/``nameSuffix`` of the Flux Kustomization replace the root
    kustomization's own (fluxcd/pkg ``kustomize_generator.go``), outside the inner ones."""
    spec = _dict(applier.data.get("spec"))
    prefix, suffix = spec.get("namePrefix"), spec.get("nameSuffix")
    if isinstance(prefix, str) and prefix:
        own = root.get("namePrefix")
        if isinstance(own, str) and own and name.startswith(own):
            name = name[len(own) :]
        name = prefix + name
    if isinstance(suffix, str) and suffix:
        own = root.get("nameSuffix")
        if isinstance(own, str) and own and name.endswith(own):
            name = name[: -len(own)]
        name = name + suffix
    return name


def _merge_images(root: dict[str, Any], flux: list[Any]) -> list[Any]:
    """The root's ``images`` with Flux's merged in by name (kustomize-controller 1.9.4 on):
    ``newName`` replaced when set, ``newTag`` and ``digest`` replaced together."""
    merged = [dict(_dict(item)) for item in _list(root.get("images"))]
    for item in flux:
        item = _dict(item)
        same = next((m for m in merged if m.get("name") == item.get("name")), None)
        if same is None:
            merged.append(dict(item))
            continue
        if item.get("newName"):
            same["newName"] = item["newName"]
        if item.get("newTag") is not None or item.get("digest"):
            same["newTag"], same["digest"] = item.get("newTag"), item.get("digest")
    return merged


def _merge_meta(data: dict[str, Any], field_name: str, values: dict[str, Any]) -> dict[str, Any]:
    meta = _dict(data.get("metadata"))
    current = _dict(meta.get(field_name))
    merged = {**current, **{k: v if isinstance(v, str) else str(v) for k, v in values.items()}}
    if merged == current:
        return data
    return {**data, "metadata": {**meta, field_name: merged}}


def _replicas(data: dict[str, Any], entry: IndexEntry, items: list[Any]) -> dict[str, Any]:
    if entry.kind not in _REPLICATED or not items:
        return data
    name = _dict(data.get("metadata")).get("name")
    for item in items:
        item = _dict(item)
        count = item.get("count")
        if item.get("name") in (name, entry.name) and isinstance(count, int):
            spec = _dict(data.get("spec"))
            if spec.get("replicas") != count:
                data = {**data, "spec": {**spec, "replicas": count}}
    return data


def _split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest


def _images(data: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    """kustomize's image transformer on the containers of a pod spec."""
    rules = [_dict(item) for item in items if isinstance(_dict(item).get("name"), str)]
    if not rules:
        return data
    for spec_pointer in _POD_SPECS:
        spec: Any = data
        for token in pointer_tokens(spec_pointer):
            spec = spec.get(token) if isinstance(spec, dict) else None
        if not isinstance(spec, dict):
            continue
        for field_name in ("initContainers", "containers"):
            containers = spec.get(field_name)
            for i, container in enumerate(containers if isinstance(containers, list) else []):
                image = _dict(container).get("image")
                if not isinstance(image, str) or "${" in image:
                    continue
                name, tag, digest = _split_image(image)
                for rule in rules:
                    if rule["name"] != name:
                        continue
                    new_name = rule.get("newName") if isinstance(rule.get("newName"), str) else name
                    new_tag = rule.get("newTag")
                    new_digest = rule.get("digest")
                    if isinstance(new_digest, str) and new_digest:
                        tag, digest = "", new_digest
                    elif new_tag is not None:
                        tag, digest = str(new_tag), ""
                    updated = new_name + (f":{tag}" if tag else "")
                    updated += f"@{digest}" if digest else ""
                    if updated != image:
                        data = set_value(data, f"{spec_pointer}/{field_name}/{i}/image", updated)
                    break
    return data
