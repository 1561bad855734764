"""The engine end to end on small repositories built in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flux_lint.check.engine import RunConfig
from flux_lint.check.registry import CHECKS
from flux_lint.core.findings import Severity
from flux_lint.load import discover as discover_module
from flux_lint.run.pipeline import exit_code, run

GITREPO = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 5m
  url: https://github.com/stefanprodan/podinfo
"""


def _repo(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


def _lint(root: Path, **kwargs) -> list[tuple[str, str, int, int, str]]:
    result = run(RunConfig(paths=[str(root)], **kwargs))
    return [(f.rule_id, f.path, f.line, f.column, f.message) for f in result.findings]


def test_clean_repository(tmp_path):
    root = _repo(tmp_path, {"source.yaml": GITREPO})
    result = run(RunConfig(paths=[str(root)]))
    assert result.findings == []
    assert (result.files, result.documents, result.objects) == (1, 1, 1)


def test_binary_and_invalid_utf8_files_are_fl004(tmp_path):
    root = _repo(
        tmp_path, {"a.yaml": b"\x00\x01binary", "b.yaml": b"a: 1\nb: \xff\n", "ok.yaml": GITREPO}
    )
    found = _lint(root)
    assert [(r, p, line, col) for r, p, line, col, _ in found] == [
        ("FL004", "a.yaml", 1, 1),
        ("FL004", "b.yaml", 1, 1),
    ]
    assert "binary" in found[0][4]
    assert "line 2" in found[1][4]


def test_too_large_file_is_fl005_and_the_run_goes_on(tmp_path):
    root = _repo(tmp_path, {"big.yaml": "a: " + "x" * 2000 + "\n", "ok.yaml": GITREPO})
    found = _lint(root, max_bytes=1000)
    assert [(r, p) for r, p, *_ in found] == [("FL005", "big.yaml")]
    result = run(RunConfig(paths=[str(root)], max_bytes=1000))
    assert result.objects == 1
    assert exit_code(result.findings, Severity.ERROR) == 0  # FL005 is a warning
    assert exit_code(result.findings, Severity.WARNING) == 1


def test_file_that_vanishes_during_the_run_is_fl003(tmp_path, monkeypatch):
    root = _repo(tmp_path, {"gone.yaml": GITREPO, "ok.yaml": GITREPO})
    real = discover_module.discover

    def discover_then_delete(*args, **kwargs):
        found = real(*args, **kwargs)
        (root / "gone.yaml").unlink()
        return found

    monkeypatch.setattr(discover_module, "discover", discover_then_delete)
    found = _lint(root)
    assert [(r, p, line) for r, p, line, *_ in found] == [("FL003", "gone.yaml", 1)]


def test_missing_path_and_symlinks_are_fl007(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(GITREPO)
    root = _repo(tmp_path / "repo", {"ok.yaml": GITREPO})
    os.symlink(outside, root / "linked")
    os.symlink(root / "loop", root / "loop")
    result = run(RunConfig(paths=[str(root), str(root / "missing.yaml")]))
    rules = sorted((f.rule_id, f.path) for f in result.findings)
    assert rules == [("FL007", "linked"), ("FL007", "loop"), ("FL007", "missing.yaml")]
    assert all(f.severity is Severity.WARNING for f in result.findings)
    assert result.objects == 1


def test_a_failing_rule_becomes_fl009_and_exit_code_2(tmp_path, monkeypatch):
    def broken(obj, ctx):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    broken.rule_ids = ("FL306",)
    import flux_lint.check.rules.migration  # noqa: F401  (registers FL306 before it is replaced)

    monkeypatch.setitem(CHECKS, "FL306", broken)
    root = _repo(tmp_path, {"source.yaml": GITREPO})
    result = run(RunConfig(paths=[str(root)]))
    [finding] = [f for f in result.findings if f.rule_id == "FL009"]
    assert (finding.path, finding.line) == ("source.yaml", 1)
    assert "rule FL306 failed on this object: RuntimeError: boom" in finding.message
    assert exit_code(result.findings, Severity.ERROR) == 2
    assert exit_code(result.findings, None) == 2


def test_kustomize_patch_files_are_partial_and_generator_files_are_data(tmp_path):
    root = _repo(
        tmp_path,
        {
            "app/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                "resources: [release.yaml]\npatches:\n  - path: patch.yaml\n"
                "configMapGenerator:\n  - name: values\n    files: [values.yaml]\n"
            ),
            "app/release.yaml": GITREPO,
            # a patch: no spec.url, no interval; only the changed fields
            "app/patch.yaml": (
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
                "metadata:\n  name: podinfo\nspec:\n  ref:\n    tag: 6.0.0\n"
            ),
            # generator data that happens to look like an object with an error
            "app/values.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n",
            # the same patch, not referenced: a full object missing required fields
            "other/patch.yaml": (
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
                "metadata:\n  name: podinfo\nspec:\n  ref:\n    tag: 6.0.0\n"
            ),
        },
    )
    found = _lint(root)
    assert [(r, p, line) for r, p, line, *_ in found] == [
        ("FL105", "other/patch.yaml", 5),
        ("FL105", "other/patch.yaml", 5),
    ]


def test_non_kubernetes_yaml_and_kustomize_config_are_not_objects(tmp_path):
    root = _repo(
        tmp_path,
        {
            ".github/workflows/ci.yaml": "on:\n  push: {}\njobs: {}\n",
            "values.yaml": "replicaCount: 2\nimage:\n  tag: ${TAG}\n",
            "kustomization.yaml": "resources:\n  - source.yaml\n",
            "source.yaml": GITREPO,
        },
    )
    result = run(RunConfig(paths=[str(root)]))
    assert result.findings == []
    assert (result.files, result.objects) == (4, 1)


def test_placeholders_and_sops_do_not_cause_schema_errors(tmp_path):
    root = _repo(
        tmp_path,
        {
            "app.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${APP}
  namespace: flux-system
spec:
  interval: ${INTERVAL:=10m}
  prune: ${PRUNE}
  path: ./apps
  sourceRef:
    kind: GitRepository
    name: flux-system
  timeout: ENC[AES256_GCM,data:abcd,iv:efgh,tag:ijkl,type:str]
sops:
  age:
    - recipient: age1xyz
  lastmodified: "2026-01-01T00:00:00Z"
  version: 3.9.0
"""
        },
    )
    assert _lint(root) == []


def test_findings_are_sorted_and_stdin_is_linted(tmp_path):
    result = run(RunConfig(paths=["-"], stdin_text=GITREPO.replace("interval", "intervall")))
    assert [(f.rule_id, f.path, f.line, f.column) for f in result.findings] == [
        ("FL105", "-", 6, 1),
        ("FL101", "-", 7, 3),
    ]


@pytest.mark.parametrize("enabled", [{"FL101"}, set()])
def test_enabled_rules_only(tmp_path, enabled):
    result = run(
        RunConfig(paths=["-"], stdin_text=GITREPO.replace("interval", "intervall"), enabled=enabled)
    )
    assert {f.rule_id for f in result.findings} == enabled


def test_yaml_only_the_spec_forbids_is_an_fl001_warning_and_the_object_is_checked(tmp_path):
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
        'data:\n  roles: "os:etcd:backup"# glued comment\n'
        "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
        "  name: podinfo\n  namespace: flux-system\nspec:\n  interval: 1m\n"
        "  url: https://github.com/stefanprodan/podinfo\n  ref: {branch: main}\n"
        "  intervall: 5m\n"
        "---\nkind: Thing\nlist: [a,\n\tb]\n"
    )
    root = _repo(tmp_path, {"app.yaml": manifest})
    result = run(RunConfig(paths=[str(root)]))
    found = sorted((f.rule_id, f.line, f.column, str(f.severity)) for f in result.findings)
    assert found == [
        ("FL001", 6, 26, "warning"),
        ("FL001", 21, 1, "warning"),
        ("FL101", 17, 3, "error"),
    ]
    assert exit_code(result.findings, Severity.ERROR) == 1


def test_tab_indentation_is_an_fl001_error_that_says_so(tmp_path):
    root = _repo(tmp_path, {"bad.yaml": "apiVersion: v1\nkind: ConfigMap\ndata:\n\tkey: v\n"})
    assert _lint(root) == [
        ("FL001", "bad.yaml", 4, 1, "tab character used for indentation"),
    ]
