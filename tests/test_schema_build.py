"""The schema bundles: built faithfully from the CRDs, reduced, deterministic, and in sync with
the committed ``schemas/flux-*.json``."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from flux_lint.check.schema.build import (
    SCHEMA_KEYS,
    BundleBuildError,
    build_bundle,
    build_command,
    bundle_file_name,
    dumps_bundle,
    reduce_schema,
    write_bundle,
)
from flux_lint.check.schema.store import MINORS, Bundle, bundle_path, format_minor

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
SHARED_CRDS = ROOT.parent / "shared" / "flux-crds"
SOURCES = {"2.6": "v2.6.4", "2.7": "v2.7.5", "2.8": "v2.8.8", "2.9": "v2.9.4"}


def _committed(minor: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"flux-{minor}.json").read_text(encoding="utf-8"))


def _schema_nodes(schema: dict[str, Any]):
    """Every schema node (not property names), depth first."""
    yield schema
    for sub in (schema.get("properties") or {}).values():
        yield from _schema_nodes(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _schema_nodes(schema[key])


def _all_nodes(bundle: dict[str, Any]):
    for res in bundle["resources"]:
        for ver in res["versions"]:
            for node in _schema_nodes(ver["schema"]):
                yield res, ver, node


# -- the committed bundles ----------------------------------------------------------------------


def test_every_minor_has_a_committed_bundle():
    for minor in MINORS:
        assert bundle_path(minor, SCHEMAS).is_file()
    assert not (SCHEMAS / ".keep").exists()


@pytest.mark.parametrize("minor", sorted(SOURCES))
def test_committed_bundle_matches_a_rebuild(minor: str, tmp_path: Path):
    crds = SHARED_CRDS / SOURCES[minor]
    if not crds.is_dir():
        pytest.skip(f"{crds} is not available")
    out = build_command(crds, tmp_path)
    assert out.name == f"flux-{minor}.json"
    committed = (SCHEMAS / out.name).read_bytes()
    assert out.read_bytes() == committed, (
        f"schemas/{out.name} is stale: rebuild it with `flux-lint schemas build "
        f"--crds {crds} --out schemas`"
    )


@pytest.mark.parametrize("minor", sorted(SOURCES))
def test_committed_bundle_records_its_sources(minor: str):
    bundle = _committed(minor)
    assert bundle["format"] == 1
    assert bundle["flux"] == SOURCES[minor].lstrip("v")
    files = [c["file"] for c in bundle["crds"]]
    assert files == sorted(files)
    crds = SHARED_CRDS / SOURCES[minor]
    if crds.is_dir():
        for entry in bundle["crds"]:
            digest = hashlib.sha256((crds / entry["file"]).read_bytes()).hexdigest()
            assert entry["sha256"] == digest


@pytest.mark.parametrize("minor", sorted(SOURCES))
def test_bundles_are_reduced(minor: str):
    bundle = _committed(minor)
    for _, ver, node in _all_nodes(bundle):
        assert set(node) <= SCHEMA_KEYS, set(node) - SCHEMA_KEYS
        assert "description" not in node
        for rule in node.get("x-kubernetes-validations", []):
            assert set(rule) <= {"rule", "message", "messageExpression", "fieldPath", "reason"}
        assert "status" not in ver["schema"].get("properties", {})
    text = (SCHEMAS / f"flux-{minor}.json").read_text(encoding="utf-8")
    assert '"description"' not in text


def test_flux_29_carries_the_24_cel_rules():
    bundle = _committed("2.9")
    per_kind: Counter[str] = Counter()
    nodes = 0
    for res, _, node in _all_nodes(bundle):
        rules = node.get("x-kubernetes-validations")
        if rules:
            nodes += 1
            per_kind[res["kind"]] += len(rules)
            for rule in rules:
                assert set(rule) == {"rule", "message"}
                assert "oldSelf" not in rule["rule"]
    assert sum(per_kind.values()) == 24
    assert nodes == 12
    assert per_kind == {
        "HelmRelease": 5,
        "ImagePolicy": 2,
        "Kustomization": 2,
        "Provider": 1,
        "Receiver": 4,
        "ArtifactGenerator": 1,
        "Bucket": 7,
        "GitRepository": 1,
        "HelmChart": 1,
    }


def test_the_cel_regex_keeps_its_cel_escaping():
    bundle = _committed("2.9")
    rules = [
        rule["rule"]
        for res, _, node in _all_nodes(bundle)
        if res["kind"] == "ArtifactGenerator"
        for rule in node.get("x-kubernetes-validations", [])
    ]
    assert len(rules) == 1
    assert "matches(" in rules[0] and "\\\\." in rules[0]


def _served(bundle: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for res in bundle["resources"]:
        for ver in res["versions"]:
            if ver["served"]:
                out.setdefault(f"{res['kind']}.{res['group']}", set()).add(ver["name"])
    return out


def test_versions_per_minor_follow_the_flux_releases():
    v26, v27, v28, v29 = (_served(_committed(m)) for m in ("2.6", "2.7", "2.8", "2.9"))
    assert v26["HelmRelease.helm.toolkit.fluxcd.io"] == {"v2", "v2beta1", "v2beta2"}
    assert v27["HelmRelease.helm.toolkit.fluxcd.io"] == {"v2", "v2beta2"}
    assert v28["HelmRelease.helm.toolkit.fluxcd.io"] == {"v2"}
    assert v26["Kustomization.kustomize.toolkit.fluxcd.io"] == {"v1", "v1beta1", "v1beta2"}
    assert v28["Receiver.notification.toolkit.fluxcd.io"] == {"v1", "v1beta2"}
    assert v29["Receiver.notification.toolkit.fluxcd.io"] == {"v1"}
    assert v29["Alert.notification.toolkit.fluxcd.io"] == {"v1beta3"}
    assert v29["ImagePolicy.image.toolkit.fluxcd.io"] == {"v1"}
    assert "ArtifactGenerator.source.extensions.fluxcd.io" not in v26
    assert v27["ArtifactGenerator.source.extensions.fluxcd.io"] == {"v1beta1"}
    assert v27["ExternalArtifact.source.toolkit.fluxcd.io"] == {"v1"}
    assert len(v29) == 15


def _crd_version_order(folder: Path) -> dict[str, tuple[str, ...]]:
    """``<plural>.<group>`` → the version names in the order of the CRD file."""
    from ruamel.yaml import YAML

    found = {}
    for path in sorted(folder.glob("*.yaml")):
        for doc in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                found[doc["metadata"]["name"]] = tuple(v["name"] for v in doc["spec"]["versions"])
    return found


@pytest.mark.skipif(not SHARED_CRDS.is_dir(), reason="the shared CRD folders are not present")
@pytest.mark.parametrize("minor", sorted(SOURCES))
def test_bundles_keep_the_version_order_of_each_crd(minor: str):
    """JSON patches address CRD versions by index (``/spec/versions/1/...``), so the bundle
    keeps every CRD's versions in the order the CRD lists them."""
    expected = _crd_version_order(SHARED_CRDS / SOURCES[minor])
    bundle = Bundle(_committed(minor))
    assert {k: v for k, v in bundle.crd_versions.items() if k in expected} == expected
    assert bundle.crd_versions["alerts.notification.toolkit.fluxcd.io"] == (
        ("v1beta3",) if minor == "2.9" else expected["alerts.notification.toolkit.fluxcd.io"]
    )


def test_deprecated_versions_keep_their_warning():
    bundle = Bundle(_committed("2.6"))
    entry = bundle.lookup("kustomize.toolkit.fluxcd.io", "v1beta2", "Kustomization")
    assert entry is not None and entry.deprecated
    assert entry.deprecation_warning and "v1" in entry.deprecation_warning
    current = bundle.lookup("kustomize.toolkit.fluxcd.io", "v1", "Kustomization")
    assert current is not None and current.storage and not current.deprecated
    assert current.deprecation_warning is None
    assert current.plural == "kustomizations" and current.scope == "Namespaced"


def test_new_29_fields_are_only_in_the_29_bundle():
    def spec(minor: str, kind: str) -> dict[str, Any]:
        res = next(r for r in _committed(minor)["resources"] if r["kind"] == kind)
        ver = next(v for v in res["versions"] if v["storage"])
        return ver["schema"]["properties"]["spec"]["properties"]

    assert "postRenderStrategy" in spec("2.9", "HelmRelease")
    assert "postRenderStrategy" not in spec("2.8", "HelmRelease")
    assert "ignore" in spec("2.9", "Kustomization")
    assert spec("2.9", "HelmRelease")["values"] == {"x-kubernetes-preserve-unknown-fields": True}


# -- building -------------------------------------------------------------------------------------


CRD_TEMPLATE = """\
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.example.fluxcd.io
spec:
  group: example.fluxcd.io
  names:
    kind: {kind}
    plural: {plural}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        description: A test kind.
        type: object
        properties:
          apiVersion: {{type: string}}
          kind: {{type: string}}
          metadata: {{type: object}}
          spec:
            description: The spec.
            type: object
            required: [description]
            x-kubernetes-validations:
            - rule: self.description != ''
              message: empty
              messageExpression: "'empty'"
              fieldPath: .description
              reason: FieldValueInvalid
              optionalOldSelf: false
            properties:
              description:
                description: A field that happens to be called description.
                type: string
                maxLength: 10
                example: hello
              on: {{type: boolean, default: off}}
          status:
            type: object
  - name: v1beta1
    served: false
    storage: false
    deprecated: true
    deprecationWarning: use v1
    schema:
      openAPIV3Schema:
        type: object
"""


def _write_crds(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "b.yaml").write_text(
        CRD_TEMPLATE.format(kind="Beta", plural="betas")
        + CRD_TEMPLATE.format(kind="Alpha", plural="alphas")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        encoding="utf-8",
    )
    (folder / "kustomization.yaml").write_text("resources: [b.yaml]\n", encoding="utf-8")
    (folder / "NOTES.txt").write_text("not yaml: [\n", encoding="utf-8")


def test_build_reads_multi_document_files(tmp_path: Path):
    crds = tmp_path / "v9.1.0"
    _write_crds(crds)
    bundle = build_bundle(crds, "9.1.0")
    assert [r["kind"] for r in bundle["resources"]] == ["Alpha", "Beta"]
    assert [c["file"] for c in bundle["crds"]] == ["b.yaml"]
    res = bundle["resources"][0]
    assert res["plural"] == "alphas" and res["group"] == "example.fluxcd.io"
    v1, v1beta1 = res["versions"]
    assert v1beta1 == {
        "name": "v1beta1",
        "served": False,
        "storage": False,
        "deprecated": True,
        "deprecationWarning": "use v1",
        "schema": {"type": "object"},
    }
    assert v1["deprecationWarning"] is None
    schema = v1["schema"]
    assert "description" not in schema
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec"}
    spec = schema["properties"]["spec"]
    assert set(spec["properties"]) == {"description", "true"}
    assert spec["required"] == ["description"]
    assert spec["properties"]["description"] == {"type": "string", "maxLength": 10}
    # YAML 1.1, as the API server reads CRDs: `on` and `off` are booleans, and a boolean key
    # becomes the JSON key "true".
    assert spec["properties"]["true"] == {"type": "boolean", "default": False}
    assert spec["x-kubernetes-validations"] == [
        {
            "rule": "self.description != ''",
            "message": "empty",
            "messageExpression": "'empty'",
            "fieldPath": ".description",
            "reason": "FieldValueInvalid",
            "optionalOldSelf": False,
        }
    ]


def test_build_is_deterministic(tmp_path: Path):
    crds = tmp_path / "v9.1.0"
    _write_crds(crds)
    first = write_bundle(build_bundle(crds, "9.1.0"), tmp_path / "a")
    second = build_command(crds, tmp_path / "b")
    assert first.name == second.name == "flux-9.1.json"
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert data.endswith(b"}\n") and data.isascii()
    assert json.loads(data) == build_bundle(crds, "9.1.0")
    assert dumps_bundle(json.loads(data)).encode() == data


def test_build_command_version(tmp_path: Path):
    crds = tmp_path / "crds"
    _write_crds(crds)
    with pytest.raises(BundleBuildError, match=r"pass one like 2\.9\.4"):
        build_command(crds, tmp_path / "out")
    out = build_command(crds, tmp_path / "out", "v2.10.1")
    assert out.name == "flux-2.10.json"
    assert json.loads(out.read_text())["flux"] == "2.10.1"


def test_build_errors(tmp_path: Path):
    with pytest.raises(BundleBuildError, match="not a folder"):
        build_bundle(tmp_path / "missing", "1.0.0")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n", encoding="utf-8")
    with pytest.raises(BundleBuildError, match="no CustomResourceDefinition"):
        build_bundle(empty, "1.0.0")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text("a: [\n", encoding="utf-8")
    with pytest.raises(BundleBuildError, match="not valid YAML"):
        build_bundle(broken, "1.0.0")
    twice = tmp_path / "twice"
    twice.mkdir()
    (twice / "a.yaml").write_text(CRD_TEMPLATE.format(kind="A", plural="as"), encoding="utf-8")
    (twice / "b.yaml").write_text(CRD_TEMPLATE.format(kind="A", plural="as"), encoding="utf-8")
    with pytest.raises(BundleBuildError, match="defined twice"):
        build_bundle(twice, "1.0.0")


def test_reduce_schema_rejects_non_structural_items():
    with pytest.raises(BundleBuildError, match="tuple"):
        reduce_schema({"type": "array", "items": [{"type": "string"}]}, "x")
    with pytest.raises(BundleBuildError, match="must be a mapping"):
        reduce_schema(["no"], "x")


def test_bundle_file_name():
    assert bundle_file_name("2.9.4") == "flux-2.9.json"
    assert bundle_file_name("2.10.0-rc.1") == "flux-2.10.json"
    assert format_minor((2, 9)) == "2.9"
