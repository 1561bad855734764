"""``--schema-dir``: kubeconform-style schema folders, in both file layouts, offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from flux_lint.check.schema.schema_dirs import SchemaDirs, candidates
from flux_lint.cli import cli

CERTIFICATE = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string", "enum": ["example.com/v1"]},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["secretName"],
            "additionalProperties": False,
            "properties": {
                "secretName": {"type": ["string", "null"]},
                "dnsNames": {"type": "array", "items": {"type": "string"}},
                "renewBefore": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            },
        },
        "status": {"type": "object", "required": ["conditions"]},
    },
}

MANIFEST = """\
apiVersion: example.com/v1
kind: Certificate
metadata:
  name: web
spec:
  secretName: web-tls
  renewBefore: 360h
  dnsName:
    - web.example.com
---
apiVersion: example.org/v1
kind: Unknown
metadata:
  name: passes
spec:
  whatever: 1
"""


def _run(tmp_path: Path, *args: str):
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        return CliRunner().invoke(cli, [*args, "--no-cache"], catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_file_names_of_both_layouts():
    folder = Path("s")
    assert candidates(folder, "cert-manager.io/v1", "Certificate") == [
        folder / "certificate-cert-manager-v1.json",
        folder / "cert-manager.io" / "certificate_v1.json",
    ]
    assert candidates(folder, "v1", "Service") == [folder / "service-v1.json"]


def test_kubeconform_layout_validates_and_unknown_kinds_pass(tmp_path):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "certificate-example-v1.json").write_text(json.dumps(CERTIFICATE))
    (tmp_path / "cert.yaml").write_text(MANIFEST, encoding="utf-8")
    result = _run(tmp_path, "cert.yaml", "--schema-dir", "schemas")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "cert.yaml:8:3: FL101 [error] unknown field `spec.dnsName`; did you mean `dnsNames`? "
        "(unknown-field)"
    )
    assert "Found 1 problem" in result.output
    assert "Schemas: 1 object by schema folders; 1 without a schema (Unknown)" in result.output
    assert _run(tmp_path, "cert.yaml").exit_code == 0  # without the folder: not judged


def test_catalogue_layout_from_the_config_file(tmp_path):
    group = tmp_path / "crds" / "example.com"
    group.mkdir(parents=True)
    (group / "certificate_v1.json").write_text(json.dumps(CERTIFICATE))
    (tmp_path / ".flux-lint.yaml").write_text("schema-dir: [crds]\n", encoding="utf-8")
    (tmp_path / "cert.yaml").write_text(MANIFEST.replace("  secretName: web-tls\n", ""))
    result = _run(tmp_path, "cert.yaml")
    assert "FL105 [error] missing required field `spec.secretName`" in result.output
    assert "FL101" in result.output


def test_broken_schema_files_and_built_in_kinds_are_not_looked_up(tmp_path):
    (tmp_path / "certificate-example-v1.json").write_text("{not json")
    (tmp_path / "deployment-apps-v1.json").write_text(json.dumps(CERTIFICATE))
    dirs = SchemaDirs((tmp_path,))
    assert dirs.lookup("example.com", "v1", "Certificate") is None
    assert dirs.lookup("apps", "v1", "Deployment") is None
