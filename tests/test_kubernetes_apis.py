"""Removed and deprecated built-in Kubernetes APIs: the table, its fixtures, the fixes, and the
``--kubernetes-version`` option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from flux_lint.check.rules.kubernetes_apis import DEPRECATED, REMOVED, judge, parse_table, table
from flux_lint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rules"
TABLE = ROOT / "rules" / "data" / "kubernetes-apis.yaml"


def _flux_lint(*args: str, cwd: Path):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [*args, "--no-cache"], catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_every_row_has_a_known_source_and_a_release():
    data = YAML(typ="safe").load(TABLE.read_text(encoding="utf-8"))
    rows = parse_table(data)
    assert len(rows) >= 40
    for row in rows:
        assert row.source and all(s in data["sources"] for s in row.source)
        assert row.removed or row.deprecated
        assert row.kinds and all(k[0].isupper() for k in row.kinds)
    removed = {r.removed for r in rows if r.removed}
    assert min(removed) == (1, 16) and max(removed) <= (1, 36)
    with pytest.raises(ValueError, match="unknown source"):
        parse_table({"sources": {}, "apis": [{"apiVersion": "a/b", "kinds": ["X"]}]})


def _fixture_objects(rule: str) -> set[tuple[str, str]]:
    """(apiVersion, kind) of every object on a line of a fail fixture expecting ``rule``."""
    found = set()
    for path in sorted((FIXTURES / rule).glob("fail-*.yaml")):
        api_version = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("apiVersion:"):
                api_version = line.split()[1] if f"expect: {rule}" in line else None
            elif line.startswith("kind:") and api_version:
                found.add((api_version, line.split()[1]))
    return found


def test_every_row_of_the_table_is_exercised_by_a_fixture():
    exercised = _fixture_objects(REMOVED) | _fixture_objects(DEPRECATED)
    missing = sorted(set(table()) - exercised)
    assert missing == []


def test_judgement_follows_the_target_release():
    cronjob = table()[("batch/v1beta1", "CronJob")]
    assert judge(cronjob, (1, 34))[0] == REMOVED
    vac = table()[("storage.k8s.io/v1alpha1", "VolumeAttributesClass")]
    assert judge(vac, (1, 34)) == (DEPRECATED, "is removed in Kubernetes 1.35")
    assert judge(vac, (1, 35)) == (REMOVED, "was removed in Kubernetes 1.35")
    beta = table()[("resource.k8s.io/v1beta1", "ResourceClaim")]
    assert judge(beta, (1, 34)) == (
        DEPRECATED,
        "is deprecated since Kubernetes 1.34 and is planned to be removed in 1.36",
    )


INGRESS = """\
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: web # the site
spec:
  backend:
    serviceName: fallback
    servicePort: http
  rules:
    - host: a.example.com
      http:
        paths:
          - path: /
            backend:
              serviceName: "web"
              servicePort: 8080
---
apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  maxReplicas: 5
  metrics:
    - type: Resource
      resource:
        name: cpu
        targetAverageUtilization: 80
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
"""

FIXED = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web # the site
spec:
  defaultBackend:
    service:
      name: fallback
      port:
        name: http
  rules:
    - host: a.example.com
      http:
        paths:
          - path: /
            pathType: ImplementationSpecific
            backend:
              service:
                name: "web"
                port:
                  number: 8080
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  maxReplicas: 5
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 80
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
"""


def test_safe_fix_bumps_only_objects_valid_on_the_new_version(tmp_path):
    path = tmp_path / "apps.yaml"
    path.write_text(INGRESS, encoding="utf-8")
    result = _flux_lint(str(path), "--fix", cwd=tmp_path)
    assert result.exit_code == 1
    expected = INGRESS.replace("apiVersion: policy/v1beta1", "apiVersion: policy/v1")
    assert path.read_text(encoding="utf-8") == expected


def test_unsafe_fixes_rewrite_ingress_backends_and_hpa_metrics(tmp_path):
    path = tmp_path / "apps.yaml"
    path.write_text(INGRESS, encoding="utf-8")
    result = _flux_lint(str(path), "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == FIXED
    assert result.exit_code == 0, result.output
    again = _flux_lint(str(path), "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert again.exit_code == 0 and path.read_text(encoding="utf-8") == FIXED


def test_a_bump_that_breaks_the_object_is_unsafe_and_says_why(tmp_path):
    path = tmp_path / "deploy.yaml"
    path.write_text(
        "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: web\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n"
        "          image: nginx\n",
        encoding="utf-8",
    )
    result = _flux_lint(str(path), "--format", "json", cwd=tmp_path)
    assert '"ruleId": "FL310"' in result.output
    assert "(unsafe: `apps/v1` would reject it: missing required field `spec.selector`" in (
        result.output
    )


def test_kubernetes_version_from_the_command_line_and_the_config(tmp_path):
    path = tmp_path / "vac.yaml"
    path.write_text(
        "apiVersion: storage.k8s.io/v1alpha1\nkind: VolumeAttributesClass\nmetadata:\n"
        "  name: fast\ndriverName: csi.example.com\n",
        encoding="utf-8",
    )
    default = _flux_lint(str(path), cwd=tmp_path)
    assert "FL311 [warning] VolumeAttributesClass `storage.k8s.io/v1alpha1` is removed in" in (
        default.output
    )
    newer = _flux_lint(str(path), "--kubernetes-version", "1.35", cwd=tmp_path)
    assert "FL310 [error] VolumeAttributesClass `storage.k8s.io/v1alpha1` was removed in" in (
        newer.output
    )
    (tmp_path / ".flux-lint.yaml").write_text('kubernetes-version: "1.36"\n', encoding="utf-8")
    configured = _flux_lint(str(path), cwd=tmp_path)
    assert "FL310 [error]" in configured.output
    (tmp_path / ".flux-lint.yaml").write_text("kubernetes-version: 1.3x\n", encoding="utf-8")
    broken = _flux_lint(str(path), cwd=tmp_path)
    assert broken.exit_code == 2 and "`kubernetes-version`: not a Kubernetes version" in (
        broken.output
    )
    bad = _flux_lint(str(path), "--no-config", "--kubernetes-version", "2.9", cwd=tmp_path)
    assert bad.exit_code == 2 and "not a Kubernetes version" in bad.output


def test_the_docs_list_every_row_of_the_table():
    text = (ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    rows = {row for row in table().values()}
    for row in rows:
        assert f"| `{row.api_version}` | {', '.join(row.kinds)} |" in text, row.api_version
