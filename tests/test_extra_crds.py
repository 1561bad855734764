"""Custom resources validated against CRDs from --crds and from the repository, with exact
findings; precedence over the shipped Flux bundles; the repository pre-pass."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from flux_lint.check.engine import Linter, RunConfig
from flux_lint.check.schema.crds import CrdCatalog, ExtraCrdError, crd_entries, looks_like_crd
from flux_lint.load.discover import SourcePath
from flux_lint.run.pipeline import run

FIXTURES = Path(__file__).parent / "fixtures" / "crds"
WIDGETS_CRD = FIXTURES / "widgets.example.com.yaml"

WIDGET_FINDINGS = [
    ("apps/widgets.yaml", 22, 1, "FL105", "missing required field `spec.size`"),
    ("apps/widgets.yaml", 23, 3, "FL101", "unknown field `spec.sise`; did you mean `size`?"),
    (
        "apps/widgets.yaml",
        24,
        10,
        "FL103",
        "`spec.color` must be one of `red`, `green`, `blue`, got `purple`",
    ),
    ("apps/widgets.yaml", 27, 13, "FL106", "`spec.ports[0].port` must be at most `65535`, got `70000`"),  # noqa: E501
    ("apps/widgets.yaml", 36, 3, "FL201", "minReplicas must not exceed maxReplicas"),
    (
        "apps/widgets.yaml",
        38,
        3,
        "FL201",
        "endpoint must be an https URL, not http://widgets.example.com",
    ),
    ("apps/widgets.yaml", 39, 3, "FL201", "memory must be a quantity of at most 4Gi"),
]  # fmt: skip
GITREPOSITORY_FINDING = (
    "clusters/prod/flux-system/gotk-sync.yaml",
    13,
    3,
    "FL101",
    "unknown field `spec.ignorr`; did you mean `ignore`?",
)

PERMISSIVE_WIDGETS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "repo", root)
    (root / ".git").mkdir()
    return root


def lint(root: Path, **kwargs) -> list[tuple]:
    result = run(RunConfig(paths=[str(root)], check_unapplied=True, **kwargs))
    return [(f.path, f.line, f.column, f.rule_id, f.message) for f in result.findings]


def test_without_the_crd_only_flux_objects_are_checked(repo: Path):
    assert lint(repo) == [GITREPOSITORY_FINDING]


def test_crds_option(repo: Path):
    assert lint(repo, extra_crds=[WIDGETS_CRD]) == [*WIDGET_FINDINGS, GITREPOSITORY_FINDING]


def test_crds_option_with_a_folder_and_json(repo: Path, tmp_path: Path):
    folder = tmp_path / "crds" / "nested"
    folder.mkdir(parents=True)
    yaml = YAML(typ="safe")
    data = [d for d in yaml.load_all(WIDGETS_CRD.read_text()) if d]
    (folder / "widgets.json").write_text(json.dumps(data[0]))
    (folder / "README.md").write_text("kind: CustomResourceDefinition\n")
    assert lint(repo, extra_crds=[tmp_path / "crds"]) == [*WIDGET_FINDINGS, GITREPOSITORY_FINDING]


def test_crds_in_the_repository(repo: Path):
    crds = repo / "infrastructure" / "crds"
    crds.mkdir(parents=True)
    shutil.copy(WIDGETS_CRD, crds / "widgets.yaml")
    (crds / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - widgets.yaml\n"
    )
    assert lint(repo) == [*WIDGET_FINDINGS, GITREPOSITORY_FINDING]


def test_a_crd_after_its_resources_in_one_stream():
    widgets = (FIXTURES / "repo" / "apps" / "widgets.yaml").read_text()
    crd = WIDGETS_CRD.read_text()
    result = run(RunConfig(paths=["-"], stdin_text=f"{widgets}\n---\n{crd}"))
    found = [(f.line, f.rule_id) for f in result.findings]
    assert found == [(line, rid) for _, line, _, rid, _ in WIDGET_FINDINGS]


def test_flux_crds_never_override_the_shipped_bundles(repo: Path):
    """gotk-components.yaml holds a GitRepository CRD whose schema requires `notARealField`;
    the shipped bundle decides, so the only finding is the real typo, and the file is
    recognised without being parsed."""
    linter = Linter(RunConfig())
    found = SourcePath(
        repo / "clusters/prod/flux-system/gotk-components.yaml",
        "clusters/prod/flux-system/gotk-components.yaml",
    )
    assert linter.crd_catalog.scan_repository([found], set(), 10**6) == 0
    assert linter.crd_catalog.ignored == {"source.toolkit.fluxcd.io"}
    assert lint(repo, extra_crds=[repo / "clusters"]) == [GITREPOSITORY_FINDING]


def test_precedence_crds_option_first(repo: Path, tmp_path: Path):
    permissive = tmp_path / "permissive.yaml"
    permissive.write_text(PERMISSIVE_WIDGETS)
    shutil.copy(WIDGETS_CRD, repo / "widgets-crd.yaml")
    assert lint(repo, extra_crds=[permissive]) == [GITREPOSITORY_FINDING]


def test_precedence_repository_path_order(repo: Path):
    (repo / "a-permissive.yaml").write_text(PERMISSIVE_WIDGETS)
    shutil.copy(WIDGETS_CRD, repo / "b-strict.yaml")
    assert lint(repo) == [GITREPOSITORY_FINDING]
    (repo / "a-permissive.yaml").rename(repo / "c-permissive.yaml")
    assert lint(repo) == [*WIDGET_FINDINGS, GITREPOSITORY_FINDING]


def test_later_files_can_add_versions(repo: Path, tmp_path: Path):
    v2 = PERMISSIVE_WIDGETS.replace("name: v1\n", "name: v2\n")
    (tmp_path / "v2.yaml").write_text(v2)
    shutil.copy(WIDGETS_CRD, repo / "widgets-crd.yaml")
    (repo / "apps" / "v2.yaml").write_text(
        "apiVersion: example.com/v2\nkind: Widget\nmetadata:\n  name: w\nspec:\n  any: thing\n"
    )
    assert lint(repo, extra_crds=[tmp_path / "v2.yaml"]) == [
        *WIDGET_FINDINGS,
        GITREPOSITORY_FINDING,
    ]


def test_patches_and_v1beta1_crds_are_not_definitions(repo: Path):
    crds = repo / "crds"
    crds.mkdir()
    (crds / "widgets-patch.yaml").write_text(WIDGETS_CRD.read_text())
    (crds / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "patches:\n  - path: widgets-patch.yaml\n"
    )
    (repo / "old-crd.yaml").write_text(
        WIDGETS_CRD.read_text().replace(
            "apiextensions.k8s.io/v1\n", "apiextensions.k8s.io/v1beta1\n"
        )
    )
    removed = (
        "old-crd.yaml",
        4,
        13,
        "FL310",
        "CustomResourceDefinition `apiextensions.k8s.io/v1beta1` was removed in Kubernetes "
        "1.22; use `apiextensions.k8s.io/v1`",
    )
    assert sorted(lint(repo)) == sorted([GITREPOSITORY_FINDING, removed])


def test_selection(repo: Path):
    found = lint(repo, extra_crds=[WIDGETS_CRD], enabled={"FL201"})
    assert found == [f for f in WIDGET_FINDINGS if f[3] == "FL201"]
    found = lint(repo, extra_crds=[WIDGETS_CRD], enabled={"FL101", "FL105"})
    assert found == [
        f for f in [*WIDGET_FINDINGS, GITREPOSITORY_FINDING] if f[3] in ("FL101", "FL105")
    ]
    linter = Linter(RunConfig(enabled={"FL301"}))
    assert linter.crd_check is None  # no pre-pass either


def test_crds_option_errors(tmp_path: Path):
    def error(*paths: Path) -> str:
        with pytest.raises(ExtraCrdError) as info:
            CrdCatalog().load_paths(list(paths))
        return str(info.value)

    assert error(tmp_path / "nope") == f"{tmp_path}/nope: no such file or folder"
    (tmp_path / "plain.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    assert error(tmp_path) == f"{tmp_path}: no CustomResourceDefinition found"
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: {}\n"
    )
    assert error(broken) == (
        f"{broken.as_posix()}: CRD without spec.group, spec.names.kind or spec.versions"
    )
    bad_schema = tmp_path / "bad-schema.yaml"
    bad_schema.write_text(
        PERMISSIVE_WIDGETS.replace("x-kubernetes-preserve-unknown-fields: true", "items: [1]")
    )
    assert error(bad_schema) == (
        f"{bad_schema.as_posix()}: Widget.example.com/v1: tuple `items` is not a structural schema"
    )
    not_yaml = tmp_path / "not-yaml.yaml"
    not_yaml.write_text("kind: CustomResourceDefinition\nspec: [\n")
    assert error(not_yaml).startswith(f"{not_yaml.as_posix()}: not valid YAML: ")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"kind: CustomResourceDefinition\n\xff\xfe")
    assert error(binary) == f"{binary}: not UTF-8 text"


def test_crds_option_error_stops_the_run(repo: Path):
    with pytest.raises(ExtraCrdError):
        run(RunConfig(paths=[str(repo)], extra_crds=[repo / "missing"]))


def test_crd_entries():
    yaml = YAML(typ="safe")
    data = next(d for d in yaml.load_all(WIDGETS_CRD.read_text()) if d)
    entries = crd_entries(data, "widgets.yaml")
    assert [(e.group, e.version, e.kind, e.served, e.storage) for e in entries] == [
        ("example.com", "v1alpha1", "Widget", False, False),
        ("example.com", "v1", "Widget", True, True),
    ]
    schema = entries[1].schema
    assert "status" not in schema["properties"]
    assert "description" not in schema and "description" not in schema["properties"]["spec"]
    assert schema["properties"]["spec"]["x-kubernetes-validations"][0]["fieldPath"] == (
        ".minReplicas"
    )
    assert crd_entries({"apiVersion": "v1", "kind": "ConfigMap"}, "x") == []
    no_schema = {**data, "spec": {**data["spec"], "versions": [{"name": "v9", "served": True}]}}
    assert crd_entries(no_schema, "x")[0].schema == {}


def test_looks_like_crd():
    assert looks_like_crd("kind: CustomResourceDefinition\n")
    assert looks_like_crd(b'{"kind": "CustomResourceDefinition"}')
    assert looks_like_crd("kind: 'CustomResourceDefinition' # quoted\n")
    assert not looks_like_crd("kind: CustomResourceDefinitionList\n")
    assert not looks_like_crd("# mentions CustomResourceDefinition only\n")


def test_the_pre_pass_never_opens_a_fifo(tmp_path: Path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    started = time.perf_counter()
    assert CrdCatalog().scan_repository([SourcePath(fifo, "pipe.yaml")], set(), 10**6) == 0
    assert time.perf_counter() - started < 1
