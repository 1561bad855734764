"""The applied set (model/applied.py): entry points, reachability, artifact ignore rules, and
what the run does with files Flux does not apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from manifests import bootstrap_sync, write_tree

from flux_lint.check.engine import RunConfig
from flux_lint.cli import cli
from flux_lint.run.pipeline import run

BROKEN_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
  install:
    remediation:
      retries: "3"
"""

APPS_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: {path}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


write = write_tree


def bootstrap_repo(root: Path, ignore: str = "") -> Path:
    """clusters/prod applies apps/ (a folder without kustomization.yaml); .archive/ and an
    app commented out of a kustomization are applied by nothing."""
    return write(
        root,
        {
            "clusters/prod/flux-system/gotk-sync.yaml": bootstrap_sync("prod", ignore=ignore),
            "clusters/prod/apps.yaml": APPS_KS.format(name="apps", path="./apps"),
            "apps/web/release.yaml": BROKEN_RELEASE.format(name="web"),
            "apps/nested/deeper/release.yaml": BROKEN_RELEASE.format(name="deeper"),
            "apps/old/kustomization.yaml": "resources:\n  - ./live.yaml\n  # - ./gone.yaml\n",
            "apps/old/live.yaml": BROKEN_RELEASE.format(name="live"),
            "apps/old/gone.yaml": BROKEN_RELEASE.format(name="gone"),
            ".archive/release.yaml": BROKEN_RELEASE.format(name="archived"),
            ".github/workflows/ci.yaml": "on: push\njobs: {}\n",
        },
    )


#: The rules these tests look at: a schema error that marks a checked object, YAML syntax, and
#: the note about explicit files.
RULES = {"FL001", "FL011", "FL102"}


def lint(root: Path, *paths: str, **options) -> object:
    options.setdefault("enabled", RULES)
    return run(RunConfig(paths=[str(root / p) for p in (paths or ("",))], **options))


def brief(result) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.path, f.span.line) for f in result.findings]


def test_only_applied_files_are_checked(tmp_path: Path) -> None:
    result = lint(bootstrap_repo(tmp_path))
    assert brief(result) == [
        ("FL102", "apps/nested/deeper/release.yaml", 16),
        ("FL102", "apps/old/live.yaml", 16),
        ("FL102", "apps/web/release.yaml", 16),
    ]
    # .archive/release.yaml, apps/old/gone.yaml and the CI workflow
    assert result.unapplied == 3
    assert result.notes == [
        "3 files are not applied by any Flux Kustomization: not checked "
        "(`--check-unapplied` checks them)"
    ]
    entry = result.applied.entry_points[0]
    assert (entry.kind, entry.name, entry.folder) == (
        "Kustomization",
        "flux-system",
        "clusters/prod",
    )
    assert result.applied.files["apps/web/release.yaml"] == ("flux-system/apps",)
    assert "apps/old/kustomization.yaml" in result.applied.files


def test_check_unapplied_checks_everything(tmp_path: Path) -> None:
    result = lint(bootstrap_repo(tmp_path), check_unapplied=True)
    assert [(r, p) for r, p, _ in brief(result)] == [
        ("FL102", ".archive/release.yaml"),
        ("FL102", "apps/nested/deeper/release.yaml"),
        ("FL102", "apps/old/gone.yaml"),
        ("FL102", "apps/old/live.yaml"),
        ("FL102", "apps/web/release.yaml"),
    ]
    assert result.unapplied == 0 and result.notes == []


def test_yaml_errors_are_reported_in_files_nothing_applies(tmp_path: Path) -> None:
    root = bootstrap_repo(tmp_path)
    write(root, {".archive/broken.yaml": "a: [1, 2\n"})
    result = lint(root)
    assert ("FL001", ".archive/broken.yaml", 2) in brief(result)


def test_an_explicit_file_outside_the_applied_set_says_so_once(tmp_path: Path) -> None:
    root = bootstrap_repo(tmp_path)
    (root / ".git").mkdir()  # a checkout: the root is found from the files named
    result = run(
        RunConfig(
            paths=[str(root / "apps/old/gone.yaml"), str(root / "apps/web/release.yaml")],
            enabled=RULES,
        )
    )
    # Explicit files still see the whole repository (its root is found from them).
    assert [(f.rule_id, f.path, f.span.line) for f in result.findings] == [
        ("FL011", "apps/old/gone.yaml", 1),
        ("FL102", "apps/web/release.yaml", 16),
    ]
    note = result.findings[0]
    assert "not applied by any Flux Kustomization of this repository" in note.message
    assert str(note.severity) == "note"


def test_sourceignore_keeps_files_out_of_the_artifact(tmp_path: Path) -> None:
    root = bootstrap_repo(tmp_path)
    write(root, {"apps/.sourceignore": "web/\n"})
    result = lint(root)
    assert [p for _, p, _ in brief(result)] == [
        "apps/nested/deeper/release.yaml",
        "apps/old/live.yaml",
    ]
    assert "apps/web/release.yaml" in result.applied.excluded


def test_spec_ignore_replaces_the_default_exclusions(tmp_path: Path) -> None:
    """With a user pattern, source-controller's defaults (``.sops.yaml``, CI folders...) no
    longer apply: a `.sops.yaml` under the applied folder is then part of the build."""
    ignore = "  ignore: |\n    /apps/nested/\n"
    root = bootstrap_repo(tmp_path, ignore=ignore)
    write(root, {"apps/.sops.yaml": "creation_rules: []\n"})
    result = lint(root)
    applied = result.applied
    assert "apps/nested/deeper/release.yaml" in applied.excluded
    assert "apps/.sops.yaml" in applied.files
    write(tmp_path / "defaults", {})
    default_root = bootstrap_repo(tmp_path / "defaults")
    write(default_root, {"apps/.sops.yaml": "creation_rules: []\n"})
    assert "apps/.sops.yaml" in lint(default_root).applied.excluded


def test_flux_instance_sync_is_an_entry_point(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "clusters/prod/flux-instance.yaml": """\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.9.x"
    registry: ghcr.io/fluxcd
  sync:
    kind: GitRepository
    url: https://github.com/example/fleet
    ref: refs/heads/main
    path: clusters/prod
""",
            "clusters/prod/apps.yaml": APPS_KS.format(name="apps", path="./apps"),
            "apps/release.yaml": BROKEN_RELEASE.format(name="web"),
            "templates/release.yaml": BROKEN_RELEASE.format(name="template"),
        },
    )
    result = lint(tmp_path)
    assert brief(result) == [("FL102", "apps/release.yaml", 16)]
    [entry] = result.applied.entry_points
    assert entry.describe() == (
        "FluxInstance flux (clusters/prod/flux-instance.yaml) → clusters/prod/"
    )


def test_flux_instance_chart_values_are_an_entry_point(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kubernetes/apps/flux-system/flux-instance/helmrelease.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: flux-instance
  namespace: flux-system
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: flux-instance
  values:
    instance:
      sync:
        kind: GitRepository
        url: https://github.com/example/home-ops
        ref: refs/heads/main
        path: kubernetes/flux/cluster
""",
            "kubernetes/flux/cluster/ks.yaml": APPS_KS.format(
                name="cluster-apps", path="./kubernetes/apps"
            ),
            "kubernetes/apps/web/release.yaml": BROKEN_RELEASE.format(name="web"),
            "bootstrap/helmfile/values.yaml": "instance: {}\n",
        },
    )
    result = lint(tmp_path)
    assert brief(result) == [("FL102", "kubernetes/apps/web/release.yaml", 16)]
    assert result.unapplied == 1  # bootstrap/helmfile/values.yaml


def test_gitless_oci_sync_finds_the_artifact_root(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kubernetes/clusters/prod/flux-instance.yaml": """\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.9.x"
    registry: ghcr.io/fluxcd
  sync:
    kind: OCIRepository
    url: oci://ghcr.io/example/fleet
    ref: latest
    path: clusters/prod
""",
            "kubernetes/clusters/prod/release.yaml": BROKEN_RELEASE.format(name="web"),
            "scratch/release.yaml": BROKEN_RELEASE.format(name="scratch"),
        },
    )
    result = lint(tmp_path)
    assert brief(result) == [("FL102", "kubernetes/clusters/prod/release.yaml", 16)]
    assert result.notes[0] == (
        "OCI artifact root assumed at `kubernetes/` (its sync path `clusters/prod` is there)"
    )


def test_cluster_folders_are_entry_points_when_bootstrap_files_are_missing(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "clusters/staging/apps.yaml": APPS_KS.format(name="apps", path="./apps/staging"),
            "clusters/production/apps.yaml": APPS_KS.format(name="apps", path="./apps/prod"),
            "apps/staging/release.yaml": BROKEN_RELEASE.format(name="web"),
            "apps/prod/release.yaml": BROKEN_RELEASE.format(name="web"),
            "apps/dev/release.yaml": BROKEN_RELEASE.format(name="web"),
        },
    )
    result = lint(tmp_path)
    assert [p for _, p, _ in brief(result)] == [
        "apps/prod/release.yaml",
        "apps/staging/release.yaml",
    ]
    assert [e.describe() for e in result.applied.entry_points] == [
        "cluster folder clusters/production/",
        "cluster folder clusters/staging/",
    ]


def test_no_entry_point_checks_everything_and_says_why(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "orphan/ks.yaml": APPS_KS.format(name="apps", path="./apps"),
            "apps/release.yaml": BROKEN_RELEASE.format(name="web"),
            "other/release.yaml": BROKEN_RELEASE.format(name="other"),
        },
    )
    result = lint(tmp_path)
    assert [p for _, p, _ in brief(result)] == ["apps/release.yaml", "other/release.yaml"]
    assert result.notes == ["no Flux entry point found in the repository: every file is checked"]


def test_a_bare_folder_of_manifests_gets_no_note(tmp_path: Path) -> None:
    write(tmp_path, {"release.yaml": BROKEN_RELEASE.format(name="web")})
    result = lint(tmp_path)
    assert brief(result) == [("FL102", "release.yaml", 16)]
    assert result.notes == [] and result.unapplied == 0


def test_cli_summary_and_json(tmp_path: Path) -> None:
    root = bootstrap_repo(tmp_path)
    runner = CliRunner()
    text = runner.invoke(cli, [str(root), "--no-cache", "--no-color", "--select", "FL102"])
    assert text.exit_code == 1
    assert (
        "Note: 3 files are not applied by any Flux Kustomization: not checked "
        "(`--check-unapplied` checks them)\n"
    ) in text.stderr
    report = runner.invoke(cli, [str(root), "--no-cache", "--format", "json", "--select", "FL102"])
    summary = json.loads(report.stdout)["summary"]
    assert summary["unappliedFiles"] == 3
    everything = runner.invoke(
        cli, [str(root), "--no-cache", "--check-unapplied", "-q", "--select", "FL102"]
    )
    assert everything.stdout.count("FL102") == 5


@pytest.mark.parametrize("value", ["true", "false"])
def test_check_unapplied_config_key(tmp_path: Path, value: str) -> None:
    root = bootstrap_repo(tmp_path)
    write(root, {".flux-lint.yaml": f"check-unapplied: {value}\n"})
    result = CliRunner().invoke(cli, [str(root), "--no-cache", "-q", "--select", "FL102"])
    assert result.stdout.count("FL102") == (5 if value == "true" else 3)


def test_check_unapplied_config_key_must_be_a_boolean(tmp_path: Path) -> None:
    root = bootstrap_repo(tmp_path)
    write(root, {".flux-lint.yaml": "check-unapplied: yes please\n"})
    result = CliRunner().invoke(cli, [str(root), "--no-cache"])
    assert result.exit_code == 2
    assert "`check-unapplied` must be true or false" in result.stderr


def test_cache_gives_the_same_result(tmp_path: Path) -> None:
    root = bootstrap_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    cold = lint(root)
    first = lint(root, cache_dir=cache)
    warm = lint(root, cache_dir=cache)
    assert brief(cold) == brief(first) == brief(warm)
    assert warm.cache_hits > 0
    # Un-commenting the app in its kustomization brings its file into the applied set.
    write(root, {"apps/old/kustomization.yaml": "resources:\n  - ./live.yaml\n  - ./gone.yaml\n"})
    again = lint(root, cache_dir=cache)
    assert ("FL102", "apps/old/gone.yaml", 16) in brief(again)
    assert brief(again) == brief(lint(root))
