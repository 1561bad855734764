"""Build the built-in Kubernetes schemas in ``schemas/kubernetes/`` from ``kubernetes-validate``.

The source is the JSON schemas that the ``kubernetes-validate`` package ships for every
Kubernetes minor (generated from the upstream OpenAPI of each release). Its schemas are one
definitions file per release with ``$ref`` links between types; flux-lint's validator wants
structural schemas (no references), one per kind, and a run must load only the kinds it meets.
So each kind's schema is resolved here into one self-contained tree, reduced to what validation
needs (types, formats, required fields, list types and map keys, nothing for humans), and
written compressed under a name derived from its content, so that a kind whose schema did not
change between releases is stored once. ``index.json`` maps each release's apiVersions and
kinds to those files.

Types with API-server semantics of their own become markers the validator knows:

* ``IntOrString`` → ``x-kubernetes-int-or-string``;
* ``Quantity`` → ``format: quantity`` (a number, or a string in the quantity syntax);
* ``Time``/``MicroTime`` → ``string`` with ``format: date-time``;
* ``RawExtension`` and apiextensions ``JSON`` (anything goes) →
  ``x-kubernetes-preserve-unknown-fields``;
* a type that contains itself (only the CRD's ``JSONSchemaProps``) is open below its first
  repetition.

``status`` is dropped (the API server ignores it on create and update), as are the ``*List``
kinds and the ``meta/v1`` types that every group lists (``DeleteOptions``, ``Status``...).
The source carries no enum values (its generator drops them), so built-in kinds get no enum
checks: writing them by hand would drift from upstream unnoticed.

The build is a pure function of its input: ``tests/test_kubernetes_schemas.py`` rebuilds the
committed files from the installed ``kubernetes-validate`` and fails on any difference.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flux_lint.check.schema.build import BundleBuildError

#: Kubernetes minors that get schemas: those Flux 2.9 supports.
KUBERNETES_MINORS: tuple[str, ...] = ("1.34", "1.35", "1.36")
INDEX_FORMAT = 1

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
SPECIAL: dict[str, dict[str, Any]] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"x-kubernetes-int-or-string": True},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"format": "quantity"},
    _META + "Time": {"type": "string", "format": "date-time"},
    _META + "MicroTime": {"type": "string", "format": "date-time"},
    "io.k8s.apimachinery.pkg.runtime.RawExtension": {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    },
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": {
        "x-kubernetes-preserve-unknown-fields": True
    },
    _META + "FieldsV1": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}

#: Keywords copied as they are.
_KEPT = (
    "enum",
    "format",
    "required",
    "default",
    "minimum",
    "maximum",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
)
#: Formats the validator checks for built-in kinds; the rest (``int32``, ``double``) say nothing
#: a type check does not.
_FORMATS = frozenset({"int64", "date-time", "byte", "quantity"})


def source_dir() -> Path:
    """The schema folder of the installed ``kubernetes-validate`` package."""
    try:
        import kubernetes_validate
    except ImportError:
        raise BundleBuildError(
            "the `kubernetes-validate` package is not installed; install it or pass --source"
        ) from None
    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def source_version() -> str:
    try:
        from importlib.metadata import version

        return version("kubernetes-validate")
    except Exception:  # not installed as a distribution: a folder was given
        return "unknown"


def resolve_schema(node: Any, defs: dict[str, Any], stack: tuple[str, ...]) -> dict[str, Any]:
    """``node`` with every reference replaced by the reduced schema it names."""
    if not isinstance(node, dict):
        raise BundleBuildError(f"{'/'.join(stack)}: a schema must be a mapping")
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in SPECIAL:
            return dict(SPECIAL[name])
        if name in stack:  # a recursive type: open below its first repetition
            return {"x-kubernetes-preserve-unknown-fields": True}
        if name not in defs:
            raise BundleBuildError(f"{'/'.join(stack)}: reference to unknown type `{name}`")
        return resolve_schema(defs[name], defs, (*stack, name))
    out: dict[str, Any] = {}
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if isinstance(kind, str):
        out["type"] = kind
    for key in _KEPT:
        if key in node:
            out[key] = node[key]
    if out.get("format") not in _FORMATS:
        out.pop("format", None)
    props = node.get("properties")
    if isinstance(props, dict):
        out["properties"] = {k: resolve_schema(v, defs, stack) for k, v in props.items()}
    items = node.get("items")
    keys = node.get("x-kubernetes-list-map-keys")
    if isinstance(items, dict) and isinstance(keys, list):
        out["items"] = _with_key_defaults(resolve_schema(items, defs, stack), items, defs, keys)
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        out["additionalProperties"] = resolve_schema(additional, defs, stack)
    if isinstance(items, dict) and "items" not in out:
        out["items"] = resolve_schema(items, defs, stack)
    open_type = out.get("type") == "object" or not out
    if "properties" not in out and "additionalProperties" not in out and open_type:
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


_DEFAULTS_TO = re.compile(r'Defaults to "([^"]+)"')


def _with_key_defaults(
    schema: dict[str, Any], raw: dict[str, Any], defs: dict[str, Any], keys: list[str]
) -> dict[str, Any]:
    """List-map items whose key field has a documented default (a container port's
    ``protocol`` "Defaults to \"TCP\"") get it as ``default``: the API server defaults the
    field before it compares keys, so ``{containerPort: 80}`` and ``{containerPort: 80,
    protocol: TCP}`` are the same entry. The source keeps such defaults only in the field
    description, so this is where they are read from."""
    ref = raw.get("$ref")
    definition = defs.get(ref.rsplit("/", 1)[-1], {}) if isinstance(ref, str) else raw
    props = schema.get("properties") or {}
    for key in keys:
        text = ((definition.get("properties") or {}).get(key) or {}).get("description") or ""
        match = _DEFAULTS_TO.search(text)
        if match and key in props and "default" not in props[key]:
            props[key]["default"] = match.group(1)
    return schema


def kind_schema(defs: dict[str, Any], name: str) -> dict[str, Any]:
    """The self-contained, reduced schema of the definition ``name``, without ``status``."""
    schema = resolve_schema(defs[name], defs, (name,))
    props = schema.get("properties") or {}
    props.pop("status", None)
    for key in ("apiVersion", "kind"):
        props.get(key, {}).pop("enum", None)  # the index says which values exist
    if "required" in schema:
        schema["required"] = [r for r in schema["required"] if r != "status"] or None
        if schema["required"] is None:
            del schema["required"]
    return schema


def resources(defs: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """(group, version, kind) → definition name, for every kind one can write a manifest of."""
    found: dict[tuple[str, str, str], str] = {}
    for name, definition in defs.items():
        if name.startswith("io.k8s.apimachinery."):
            continue
        for gvk in definition.get("x-kubernetes-group-version-kind") or ():
            kind = gvk.get("kind", "")
            if kind and not kind.endswith("List"):
                found[(gvk.get("group", ""), gvk.get("version", ""), kind)] = name
    return found


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")


def build(source: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The index and the schema files (name → uncompressed JSON bytes) built from ``source``."""
    files: dict[str, bytes] = {}
    releases: dict[str, dict[str, dict[str, str]]] = {}
    for minor in KUBERNETES_MINORS:
        path = Path(source) / f"v{minor}.0-local" / "_definitions.json"
        try:
            defs = json.loads(path.read_text(encoding="utf-8"))["$defs"]
        except (OSError, ValueError, KeyError) as exc:
            raise BundleBuildError(f"{path}: cannot read the definitions ({exc})") from None
        served: dict[str, dict[str, str]] = {}
        for (group, version, kind), name in sorted(resources(defs).items()):
            data = _dumps(kind_schema(defs, name))
            digest = hashlib.sha256(data).hexdigest()[:12]
            file_name = f"{kind.lower()}-{digest}"
            files[file_name] = data
            api_version = f"{group}/{version}" if group else version
            served.setdefault(api_version, {})[kind] = file_name
        releases[minor] = served
    index = {
        "format": INDEX_FORMAT,
        "source": {"package": "kubernetes-validate", "version": source_version()},
        "kubernetes": releases,
    }
    return index, files


def write(index: dict[str, Any], files: dict[str, bytes], out: Path) -> Path:
    """Write ``index.json`` and one ``<name>.json.gz`` per schema into ``out`` (stale schema
    files are removed) and return the index path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json.gz"):
        if old.name.removesuffix(".json.gz") not in files:
            old.unlink()
    for name, data in files.items():
        (out / f"{name}.json.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    path = out / "index.json"
    text = json.dumps(index, sort_keys=True, indent=1, separators=(",", ":")) + "\n"
    path.write_bytes(text.encode("ascii"))
    return path


def build_command(source: Path | None, out: Path) -> Path:
    """What ``flux-lint schemas kubernetes --out DIR`` runs."""
    index, files = build(source or source_dir())
    return write(index, files, out)
