"""Build the schema bundles in ``schemas/`` from the upstream Flux CRD files.

A bundle (format described in :mod:`flux_lint.check.schema.store`) holds, for every kind of one Flux
release, every version the CRDs declare (served or not, deprecated or not) with the structural
schema reduced to what validation needs. Reducing matters twice: descriptions are about 80% of
the CRD text, so dropping them keeps the wheel small and loading fast; and a fixed list of kept
keywords means the validator never meets a keyword it does not implement.

The build is a pure function of the CRD folder: the same files give the same bytes, and the test
suite rebuilds the committed bundles to catch drift between ``schemas/`` and the CRDs they claim
to come from (each bundle records the file names and SHA-256 of its sources).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BUNDLE_FORMAT = 1

#: Schema keywords kept in a bundle. Everything else (``description``, ``title``, ``example``,
#: ``x-kubernetes-*`` markers that only affect server-side apply) is dropped. Composition
#: keywords (``allOf``/``anyOf``/``oneOf``/``not``) are not used by any Flux CRD; dropping them
#: would make validation more lenient, never stricter, should they ever appear.
SCHEMA_KEYS = frozenset(
    {
        "type",
        "properties",
        "additionalProperties",
        "items",
        "required",
        "enum",
        "pattern",
        "format",
        "default",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "nullable",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-validations",
    }
)

#: Keys kept in each ``x-kubernetes-validations`` rule.
VALIDATION_RULE_KEYS = frozenset(
    {"rule", "message", "messageExpression", "fieldPath", "reason", "optionalOldSelf"}
)

_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


class BundleBuildError(ValueError):
    """The CRD folder cannot be turned into a bundle; the message names the file."""


def reduce_schema(node: Any, source: str = "") -> dict[str, Any]:
    """Copy ``node`` keeping only :data:`SCHEMA_KEYS`, recursively.

    Property *names* are data, not keywords, so a field called ``type`` or ``pattern`` (Flux has
    both) is kept; only the keywords inside each property schema are filtered.
    """
    if not isinstance(node, dict):
        raise BundleBuildError(f"{source}: a schema must be a mapping, got {type(node).__name__}")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in SCHEMA_KEYS:
            continue
        if key == "properties":
            out[key] = {
                _json_key(name): reduce_schema(sub, f"{source}.{name}")
                for name, sub in value.items()
            }
        elif key == "items":
            if isinstance(value, list):
                raise BundleBuildError(f"{source}: tuple `items` is not a structural schema")
            out[key] = reduce_schema(value, f"{source}[]")
        elif key == "additionalProperties":
            out[key] = value if isinstance(value, bool) else reduce_schema(value, f"{source}{{}}")
        elif key == "x-kubernetes-validations":
            out[key] = [
                {k: v for k, v in rule.items() if k in VALIDATION_RULE_KEYS} for rule in value
            ]
        else:
            out[key] = _plain(value, f"{source}.{key}")
    return out


def _json_key(key: Any) -> str:
    """A mapping key as sigs.k8s.io/yaml turns it into a JSON key: YAML 1.1 reads an unquoted
    ``on:`` as the boolean true, which becomes the JSON key ``"true"``."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _plain(value: Any, source: str) -> Any:
    """Check that a keyword value is plain JSON, so the bundle round-trips exactly."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return [_plain(v, source) for v in value]
    if isinstance(value, dict):
        return {_json_key(k): _plain(v, source) for k, v in value.items()}
    raise BundleBuildError(f"{source}: value of type {type(value).__name__} is not JSON")


def _root_schema(version: dict[str, Any], source: str) -> dict[str, Any]:
    """The version's reduced openAPIV3Schema without the top-level ``status``.

    The API server ignores ``status`` on create and update of the main resource, so a manifest
    that carries one (e.g. exported from a cluster) is not wrong in that respect.
    """
    raw = (version.get("schema") or {}).get("openAPIV3Schema")
    if raw is None:
        raise BundleBuildError(f"{source}: version `{version.get('name')}` has no schema")
    schema = reduce_schema(raw, source)
    props = schema.get("properties")
    if isinstance(props, dict):
        props.pop("status", None)
    if isinstance(schema.get("required"), list):
        schema["required"] = [r for r in schema["required"] if r != "status"]
        if not schema["required"]:
            del schema["required"]
    _check_schema(schema, source)
    return schema


def _check_schema(schema: dict[str, Any], source: str) -> None:
    """Reject a reduced schema that is not a well-formed JSON schema (a malformed ``required``
    or ``enum`` would otherwise surface as a confusing validator crash later).

    CRDs use OpenAPI v3.0 schemas, whose keywords are those of JSON Schema draft 4 (boolean
    ``exclusiveMinimum``/``exclusiveMaximum``); the ``x-kubernetes-*`` and ``nullable`` keys are
    extensions that the draft 4 meta-schema allows.
    """
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import best_match

    # No format checker: ``pattern`` values are RE2 (Go) expressions, which Python's ``re``
    # cannot always compile (``(?i)`` in the middle of a pattern), and ``validate.py`` compiles
    # them with RE2 anyway.
    error = best_match(Draft4Validator(Draft4Validator.META_SCHEMA).iter_errors(schema))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise BundleBuildError(f"{source}: invalid schema at `{where}`: {error.message}")


def _load_documents(path: Path) -> Iterator[Any]:
    """Documents of one YAML file, read as the API server reads them (YAML 1.1 scalars)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.error import YAMLError

    class _Constructor(SafeConstructor):
        """YAML 1.1's "value" tag: a plain ``=`` (an enum value of Prometheus matchers) is the
        string "=" for Go's parser, which is what the API server reads."""

    _Constructor.add_constructor(
        "tag:yaml.org,2002:value", lambda constructor, node: constructor.construct_scalar(node)
    )
    yaml = YAML(typ="safe", pure=False)
    yaml.version = (1, 1)
    yaml.Constructor = _Constructor
    try:
        yield from list(yaml.load_all(path.read_text(encoding="utf-8")))
    except YAMLError as exc:
        raise BundleBuildError(f"{path.name}: not valid YAML: {exc}") from None


def _resource(crd: dict[str, Any], source: str) -> dict[str, Any]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, kind = spec.get("group"), names.get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        raise BundleBuildError(f"{source}: CRD without spec.group or spec.names.kind")
    versions = []
    for version in spec.get("versions") or []:
        name = version.get("name")
        where = f"{source}:{kind}/{name}"
        versions.append(
            {
                "name": name,
                "served": bool(version.get("served", False)),
                "storage": bool(version.get("storage", False)),
                "deprecated": bool(version.get("deprecated", False)),
                "deprecationWarning": version.get("deprecationWarning"),
                "schema": _root_schema(version, where),
            }
        )
    if not versions:
        raise BundleBuildError(f"{source}: CRD `{kind}` has no versions")
    return {
        "group": group,
        "kind": kind,
        "plural": names.get("plural", ""),
        "scope": spec.get("scope", "Namespaced"),
        "versions": versions,
    }


def build_bundle(crd_dir: Path, flux_version: str) -> dict[str, Any]:
    """Read every CRD document in ``crd_dir`` (``*.yaml``/``*.yml``, several documents per file
    allowed, other kinds of documents ignored) into a bundle for ``flux_version``."""
    crd_dir = Path(crd_dir)
    if not crd_dir.is_dir():
        raise BundleBuildError(f"{crd_dir}: not a folder")
    files = sorted(p for p in crd_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    crds: list[dict[str, str]] = []
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    for path in files:
        found = False
        for doc in _load_documents(path):
            if not (
                isinstance(doc, dict)
                and doc.get("kind") == "CustomResourceDefinition"
                and str(doc.get("apiVersion", "")).startswith("apiextensions.k8s.io/")
            ):
                continue
            res = _resource(doc, path.name)
            key = (res["group"], res["kind"])
            if key in resources:
                raise BundleBuildError(f"{path.name}: {res['kind']}.{res['group']} defined twice")
            resources[key] = res
            found = True
        if found:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            crds.append({"file": path.name, "sha256": digest})
    if not resources:
        raise BundleBuildError(f"{crd_dir}: no CustomResourceDefinition found")
    return {
        "format": BUNDLE_FORMAT,
        "flux": flux_version,
        "crds": crds,
        "resources": [resources[k] for k in sorted(resources)],
    }


def bundle_file_name(flux_version: str) -> str:
    """``2.9.4`` → ``flux-2.9.json``: one bundle per minor, since API versions and fields only
    change between minors."""
    major, minor = flux_version.split(".")[:2]
    return f"flux-{int(major)}.{int(minor)}.json"


def dumps_bundle(bundle: dict[str, Any]) -> str:
    """Serialise deterministically: sorted keys, ASCII only, one line per value nesting level
    (``indent=1``) so that a rebuild after a CRD change gives a reviewable diff, no spaces after
    separators, and a final newline."""
    return json.dumps(bundle, sort_keys=True, indent=1, separators=(",", ":")) + "\n"


def write_bundle(bundle: dict[str, Any], out_dir: Path) -> Path:
    """Write ``bundle`` as ``out_dir/flux-<major>.<minor>.json`` and return the path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / bundle_file_name(bundle["flux"])
    path.write_bytes(dumps_bundle(bundle).encode("ascii"))
    return path


#: A catalog project's name: the folder under ``schemas/catalog/``.
_PROJECT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CATALOG_INDEX = "index.json"


def kind_file_name(resource: dict[str, Any]) -> str:
    """The file of one kind in a catalog project: the CRD's own name, ``<plural>.<group>``."""
    plural = resource.get("plural") or str(resource["kind"]).lower()
    return f"{plural}.{resource['group']}.json"


def build_project(crd_dir: Path, project: str, release: str) -> dict[str, str]:
    """A catalog project (format in :mod:`flux_lint.check.schema.catalog`) as file name →
    text: ``index.json`` and one file per kind, each reduced exactly as a Flux bundle is."""
    bundle = build_bundle(crd_dir, release)
    files: dict[str, str] = {}
    kinds = []
    for res in bundle["resources"]:
        name = kind_file_name(res)
        files[name] = dumps_bundle(res)
        versions = [
            {k: v for k, v in version.items() if k != "schema"} for version in res["versions"]
        ]
        kinds.append(
            {
                "group": res["group"],
                "kind": res["kind"],
                "plural": res["plural"],
                "scope": res["scope"],
                "file": name,
                "versions": versions,
            }
        )
    index = {
        "format": BUNDLE_FORMAT,
        "project": project,
        "release": release,
        "crds": bundle["crds"],
        "kinds": kinds,
    }
    files[CATALOG_INDEX] = dumps_bundle(index)
    return files


def write_project(files: dict[str, str], out_dir: Path, project: str) -> Path:
    """Write a catalog project into ``out_dir/<project>/``, replacing what was there (a kind
    the new release dropped must not stay behind); returns the folder."""
    folder = Path(out_dir) / project
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    for name, text in sorted(files.items()):
        (folder / name).write_bytes(text.encode("ascii"))
    return folder


def build_command(
    crds: Path,
    out: Path,
    flux_version: str | None = None,
    *,
    project: str | None = None,
    release: str | None = None,
) -> Path:
    """What ``flux-lint schemas build --crds DIR --out DIR`` runs.

    The Flux version defaults to the CRD folder's name without its ``v`` (``v2.9.4`` →
    ``2.9.4``), the layout of the shared CRD folders; it must be a full ``X.Y.Z`` release.
    With ``project``, the CRDs are another project's (``--project cert-manager``): the catalog
    project ``out/<project>/`` is written, its release taken the same way (``release``, else
    the folder name).
    """
    crds = Path(crds)
    if project is not None:
        if not _PROJECT.match(project):
            raise BundleBuildError(
                f"`{project}` is not a project name (lower-case letters, digits and `-`)"
            )
        version = (release or crds.resolve().name).strip().removeprefix("v")
        if not _VERSION.match(version):
            raise BundleBuildError(
                f"cannot tell the release of {project} from `{crds.name}`; "
                "pass one like --release 1.21.1"
            )
        return write_project(build_project(crds, project, version), out, project)
    version = (flux_version or crds.resolve().name).strip().removeprefix("v")
    if not _VERSION.match(version):
        raise BundleBuildError(
            f"cannot tell the Flux version from `{crds.name}`; pass one like 2.9.4"
        )
    return write_bundle(build_bundle(crds, version), out)
