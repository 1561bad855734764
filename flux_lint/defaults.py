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
from typing import Any

__all__ = ["apply_defaults", "prune_nulls"]

Schema = Mapping[str, Any]


def apply_defaults(schema: Schema | None, data: Any) -> Any:
    """Return ``data`` as the API server would store it: nulls pruned, defaults applied.

    Returns ``data`` itself when nothing changes.
    """
    if not isinstance(schema, Mapping):
        return data
    return _default(prune_nulls(schema, data), schema)


def _has_default(schema: Schema | None) -> bool:
    return isinstance(schema, Mapping) and schema.get("default") is not None


def _nullable(schema: Schema | None) -> bool:
    return isinstance(schema, Mapping) and bool(schema.get("nullable"))


def _items_schema(schema: Schema | None) -> Schema | None:
    items = schema.get("items") if isinstance(schema, Mapping) else None
    return items if isinstance(items, Mapping) else None


def prune_nulls(schema: Schema | None, data: Any) -> Any:
    """Drop ``null`` fields whose schema is neither nullable nor defaulted (step 1)."""
    if not isinstance(schema, Mapping):
        return data  # without a schema nothing below can be pruned (as in the API server)
    if isinstance(data, dict):
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        additional = schema.get("additionalProperties")
        additional = additional if isinstance(additional, Mapping) else None
        if not properties and additional is None:
            return data  # e.g. `x-kubernetes-preserve-unknown-fields` values: kept as written
        changed = False
        result: dict[str, Any] = {}
        for key, value in data.items():
            sub = properties.get(key, additional)
            if value is None and sub is not None and not _nullable(sub) and not _has_default(sub):
                changed = True
                continue
            new = prune_nulls(sub, value)
            changed = changed or new is not value
            result[key] = new
        return result if changed else data
    if isinstance(data, list):
        items = _items_schema(schema)
        if items is None:
            return data
        pruned = [prune_nulls(items, value) for value in data]
        return pruned if any(n is not o for n, o in zip(pruned, data, strict=True)) else data
    return data


def _non_nullable_null(value: Any, schema: Schema | None) -> bool:
    return value is None and isinstance(schema, Mapping) and not _nullable(schema)


def _default(data: Any, schema: Schema | None) -> Any:
    """Apply defaults below ``data`` (step 2); copies only what changes."""
    if not isinstance(schema, Mapping):
        return data
    if isinstance(data, dict):
        return _default_object(data, schema)
    if isinstance(data, list):
        items = _items_schema(schema)
        if items is None:
            return data
        result = []
        changed = False
        for value in data:
            new = _default(value, items)
            if _non_nullable_null(value, items) and _has_default(items):
                new = copy.deepcopy(items["default"])
            changed = changed or new is not value
            result.append(new)
        return result if changed else data
    return data


def _default_object(data: dict[str, Any], schema: Schema) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    additional = schema.get("additionalProperties")
    additional = additional if isinstance(additional, Mapping) else None
    result = dict(data)
    changed = False
    for key, prop in properties.items():
        if not _has_default(prop):
            continue
        if key not in result or _non_nullable_null(result[key], prop):
            result[key] = copy.deepcopy(prop["default"])
            changed = True
    for key, value in result.items():
        if key in properties:
            new = _default(value, properties[key])
        elif additional is not None:
            new = _default(value, additional)
            if _non_nullable_null(value, additional) and _has_default(additional):
                new = copy.deepcopy(additional["default"])
        else:
            continue
        if new is not value:
            result[key] = new
            changed = True
    return result if changed else data
