"""The built-in Kubernetes schemas: rebuilt from kubernetes-validate without drift, loaded
kind by kind, and only when a run meets a built-in object."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flux_lint.check.schema.kubernetes import (
    BUILTIN_GROUPS,
    KUBERNETES_MINORS,
    format_version,
    load_index,
    parse_kubernetes_version,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas" / "kubernetes"


def test_committed_schemas_match_a_fresh_build():
    pytest.importorskip("kubernetes_validate")
    from flux_lint.check.schema.kubernetes_build import build, source_dir

    index, files = build(source_dir())
    committed = json.loads((SCHEMAS / "index.json").read_text(encoding="utf-8"))
    assert committed == index
    on_disk = {p.name.removesuffix(".json.gz") for p in SCHEMAS.glob("*.json.gz")}
    assert on_disk == set(files)
    for name, data in files.items():
        assert gzip.decompress((SCHEMAS / f"{name}.json.gz").read_bytes()) == data, name


def test_every_supported_release_is_indexed_with_its_core_kinds():
    releases = load_index()["kubernetes"]
    assert sorted(releases) == [format_version(m) for m in KUBERNETES_MINORS]
    for served in releases.values():
        assert {"Deployment", "StatefulSet", "DaemonSet"} <= set(served["apps/v1"])
        assert {"Service", "ConfigMap", "Secret", "Namespace"} <= set(served["v1"])
        assert "Ingress" in served["networking.k8s.io/v1"]
        assert not any(kind.endswith("List") for kinds in served.values() for kind in kinds)
        groups = {av.rpartition("/")[0] for av in served}
        assert groups <= BUILTIN_GROUPS


def test_schemas_carry_the_api_server_semantics():
    served = load_index()["kubernetes"]["1.34"]
    name = served["apps/v1"]["Deployment"]
    schema = json.loads(gzip.decompress((SCHEMAS / f"{name}.json.gz").read_bytes()))
    spec = schema["properties"]["spec"]["properties"]
    assert "status" not in schema["properties"]
    strategy = spec["strategy"]["properties"]["rollingUpdate"]["properties"]
    assert strategy["maxSurge"] == {"x-kubernetes-int-or-string": True}
    pod = spec["template"]["properties"]["spec"]["properties"]
    containers = pod["containers"]
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    ports = containers["items"]["properties"]["ports"]
    assert ports["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    assert ports["items"]["properties"]["protocol"]["default"] == "TCP"
    limits = containers["items"]["properties"]["resources"]["properties"]["limits"]
    assert limits["additionalProperties"] == {"format": "quantity"}


def test_parse_kubernetes_version():
    assert parse_kubernetes_version("1.35") == (1, 35)
    assert parse_kubernetes_version("v1.36.2") == (1, 36)
    for bad in ("2.9", "1", "latest", ""):
        with pytest.raises(ValueError):
            parse_kubernetes_version(bad)


_PROBE = """
import json, sys
from flux_lint.check.engine import RunConfig
from flux_lint.check.schema import kubernetes
from flux_lint.run.pipeline import run
result = run(RunConfig(paths=[sys.argv[1]]))
print(json.dumps({"loaded": kubernetes.LOADED,
                  "rules": sorted(f.rule_id for f in result.findings)}))
"""


def _loaded(tmp_path: Path, text: str) -> dict:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(manifest)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    return json.loads(proc.stdout)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: "2"
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.9.0
"""


def test_a_run_on_one_deployment_loads_the_deployment_schema_alone(tmp_path):
    probe = _loaded(tmp_path, DEPLOYMENT)
    deployment = load_index()["kubernetes"]["1.34"]["apps/v1"]["Deployment"]
    assert probe["loaded"] == ["index.json", f"{deployment}.json.gz"]
    assert probe["rules"] == ["FL102"]


def test_a_run_without_built_in_objects_loads_nothing_of_them(tmp_path):
    probe = _loaded(
        tmp_path,
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
        "  name: podinfo\nspec:\n  interval: 5m\n  url: https://example.com/podinfo\n",
    )
    assert probe["loaded"] == []


def test_schemas_are_decompressed_as_gzip_does() -> None:
    """The shipped schemas are read through zlib alone; anything else is gzip's to judge."""
    import gzip

    from flux_lint.check.schema.kubernetes import _gunzip

    for data in (
        gzip.compress(b'{"type": "object"}'),
        gzip.compress(b""),
        gzip.compress(b"a") + gzip.compress(b"b"),  # two members: gzip reads both
    ):
        assert _gunzip(data) == gzip.decompress(data)
    with pytest.raises(gzip.BadGzipFile):
        _gunzip(b"not gzip")
