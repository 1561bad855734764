"""Structural defaulting, as the API server applies it to custom resources.

The API server fills in schema ``default`` values before it validates an object, and the CEL
rules of the Flux CRDs rely on it: Bucket's rules read ``self.provider`` without ``has()``
because it defaults to ``generic``, and a manifest that leaves it out is accepted. Validating
the manifest as written would report errors a cluster never gives, so every check that must
agree with the cluster validates the defaulted view built here.

The algorithm mirrors ``k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting``:

1. ``PruneNonNullableNullsWithoutDefaults``: a ``null`` under a property (or an
   ``additionalProperties`` value) whose schema is neither ``nullable`` nor defaulted is removed.
   Nulls inside arrays stay.
2. ``Default``: a property that is missing, or ``null`` and not nullable, gets a deep copy of
   its default; defaults are then applied inside every property value, including the copied
   defaults. A ``null`` array item or map value that is not nullable is replaced by the item
   schema's default, but, as in the API server, the copied default is not defaulted further.

The input is never modified. Only the containers on a path to a change are copied; untouched
subtrees (``HelmRelease.spec.values`` for example) are shared with the input, which keeps this
cheap enough to run on every object.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["apply_defaults", "prune_nulls"]

Schema = Mapping[str, Any]


def apply_defaults(schema: Schema | None, data: Any) -> Any:
    """Return ``data`` as the API server would store it: nulls pruned, defaults applied.

    Returns ``data`` itself when nothing changes.
    """
    node = _node(schema)
    if node is None:
        return data
    return _default(prune_nulls(schema, data), node)


@dataclass(frozen=True, slots=True)
class _Node:
    """What defaulting needs from one schema node, read once per node and process."""

    properties: Mapping[str, Any]
    defaulted: tuple[tuple[str, Any], ...]  # (property, its schema) for defaulted properties
    additional: Mapping[str, Any] | None
    items: Mapping[str, Any] | None
    nullable: bool
    has_default: bool


_NODES: dict[int, tuple[Schema, _Node]] = {}


def _node(schema: Any) -> _Node | None:
    """The defaulting view of a schema node, cached by identity (bundles live for the whole
    run, and the cache keeps the schema alive so that its id cannot be reused)."""
    if not isinstance(schema, Mapping):
        return None
    cached = _NODES.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    additional = schema.get("additionalProperties")
    items = schema.get("items")
    node = _Node(
        properties=properties,
        defaulted=tuple(
            (key, sub)
            for key, sub in properties.items()
            if isinstance(sub, Mapping) and sub.get("default") is not None
        ),
        additional=additional if isinstance(additional, Mapping) else None,
        items=items if isinstance(items, Mapping) else None,
        nullable=bool(schema.get("nullable")),
        has_default=schema.get("default") is not None,
    )
    _NODES[id(schema)] = (schema, node)
    return node


def prune_nulls(schema: Schema | None, data: Any) -> Any:
    """Drop ``null`` fields whose schema is neither nullable nor defaulted (step 1)."""
    node = _node(schema)
    if node is None:
        return data  # without a schema nothing below can be pruned (as in the API server)
    if isinstance(data, dict):
        if not node.properties and node.additional is None:
            return data  # e.g. `x-kubernetes-preserve-unknown-fields` values: kept as written
        result: dict[str, Any] | None = None
        for index, (key, value) in enumerate(data.items()):
            sub = node.properties.get(key, node.additional)
            sub_node = _node(sub)
            if value is None and sub_node is not None:
                new = _PRUNED if not sub_node.nullable and not sub_node.has_default else None
            else:
                new = prune_nulls(sub, value)
            if result is None and new is not value:
                result = dict(list(data.items())[:index])
            if result is not None and new is not _PRUNED:
                result[key] = new
        return data if result is None else result
    if isinstance(data, list) and node.items is not None:
        pruned = [prune_nulls(node.items, value) for value in data]
        return pruned if any(n is not o for n, o in zip(pruned, data, strict=True)) else data
    return data


_PRUNED = object()


def _default(data: Any, node: _Node | None) -> Any:
    """Apply defaults below ``data`` (step 2); copies only what changes."""
    if node is None:
        return data
    if isinstance(data, dict):
        return _default_object(data, node)
    if isinstance(data, list) and node.items is not None:
        items = _node(node.items)
        assert items is not None
        result = []
        changed = False
        for value in data:
            new = _default(value, items)
            if value is None and not items.nullable and items.has_default:
                new = copy.deepcopy(node.items["default"])
            changed = changed or new is not value
            result.append(new)
        return result if changed else data
    return data


def _default_object(data: dict[str, Any], node: _Node) -> dict[str, Any]:
    if not node.properties and node.additional is None:
        return data
    result = data
    for key, sub in node.defaulted:
        value = result.get(key, _PRUNED)
        if value is _PRUNED or (value is None and not sub.get("nullable")):
            if result is data:
                result = dict(data)
            result[key] = copy.deepcopy(sub["default"])
    additional = _node(node.additional)
    for key, value in list(result.items()):
        sub = node.properties.get(key)
        if sub is not None:
            new = _default(value, _node(sub))
        elif additional is not None:
            new = _default(value, additional)
            if value is None and not additional.nullable and additional.has_default:
                new = copy.deepcopy(node.additional["default"])  # type: ignore[index]
        else:
            continue
        if new is not value:
            if result is data:
                result = dict(data)
            result[key] = new
    return result
