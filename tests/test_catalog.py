"""The schema catalog: project bundles built from the upstream CRDs and kept in sync with them,
read lazily, and validating custom resources with the schema and CEL rules, with positions.

Fixtures: ``tests/fixtures/catalog/<project>/pass*.yaml`` must give no finding of the schema,
CEL and API-lifecycle rules; ``fail*.yaml`` exactly the ``# expect:`` annotations in them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruleharness import expectations

from flux_lint.check.engine import RunConfig
from flux_lint.check.schema.build import SCHEMA_KEYS, BundleBuildError, build_command
from flux_lint.check.schema.catalog import Catalog
from flux_lint.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "schemas" / "catalog"
SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures" / "catalog"
PROJECTS = sorted(p.name for p in CATALOG.iterdir() if (p / "index.json").is_file())


def _index(project: str) -> dict:
    return json.loads((CATALOG / project / "index.json").read_text(encoding="utf-8"))


def _crd_folder(project: str) -> Path:
    """Where the upstream CRDs of the committed release are in ``../shared``."""
    release = "v" + _index(project)["release"]
    if project == "flux-operator":
        return SHARED / "flux-operator-crds" / release
    return SHARED / "ecosystem-crds" / project / release


def _schema_nodes(schema: dict):
    """Every schema node (not property names), depth first."""
    yield schema
    for sub in (schema.get("properties") or {}).values():
        yield from _schema_nodes(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _schema_nodes(schema[key])


# -- the committed bundles ----------------------------------------------------------------------


def test_the_catalog_holds_the_expected_projects():
    assert PROJECTS == [
        "cert-manager",
        "cloudnative-pg",
        "envoy-gateway",
        "external-dns",
        "external-secrets",
        "flagger",
        "flux-operator",
        "gateway-api",
        "grafana-operator",
        "kyverno",
        "prometheus-operator",
    ]


@pytest.mark.parametrize("project", PROJECTS)
def test_committed_project_matches_a_rebuild(project: str, tmp_path: Path):
    crds = _crd_folder(project)
    if not crds.is_dir():
        pytest.skip(f"{crds} is not available (the upstream CRDs live in ../shared)")
    folder = build_command(crds, tmp_path, project=project)
    built = {p.name: p.read_bytes() for p in folder.iterdir()}
    committed = {p.name: p.read_bytes() for p in (CATALOG / project).iterdir()}
    assert sorted(built) == sorted(committed)
    stale = [name for name in built if built[name] != committed[name]]
    assert not stale, (
        f"schemas/catalog/{project}/{stale[0]} is stale: rebuild with `flux-lint schemas build "
        f"--crds {crds} --out schemas/catalog --project {project}`"
    )


@pytest.mark.parametrize("project", PROJECTS)
def test_committed_project_is_reduced_and_compiles(project: str):
    from flux_lint.check.rules.crd_cel import rule_sites

    catalog = Catalog(CATALOG)
    index = _index(project)
    assert index["format"] == 1 and index["project"] == project
    for kind in index["kinds"]:
        data = json.loads((CATALOG / project / kind["file"]).read_text(encoding="utf-8"))
        for version in data["versions"]:
            for node in _schema_nodes(version["schema"]):
                assert set(node) <= SCHEMA_KEYS, set(node) - SCHEMA_KEYS  # no description
            assert "status" not in version["schema"].get("properties", {})
        for version in kind["versions"]:
            entry = catalog.entry(kind["group"], version["name"], kind["kind"])
            if not version["served"]:
                assert entry is None
                continue
            assert entry is not None
            assert catalog.validator(entry) is not None  # every schema compiles
            rule_sites(entry.schema)  # and its CEL rules parse (or are skipped with a reason)


def test_operator_bundle_keeps_the_cel_rules():
    catalog = Catalog(CATALOG)
    entry = catalog.entry("fluxcd.controlplane.io", "v1", "ResourceSetInputProvider")
    assert entry is not None
    rules = entry.schema["properties"]["spec"]["x-kubernetes-validations"]
    assert {"rule": "self.type != 'Static' || !has(self.url)"}.items() <= rules[0].items()
    assert len(rules) == 16


def test_project_build_needs_a_release_and_a_name(tmp_path: Path):
    crds = tmp_path / "crds"
    crds.mkdir()
    with pytest.raises(BundleBuildError, match="cannot tell the release of demo"):
        build_command(crds, tmp_path / "out", project="demo")
    with pytest.raises(BundleBuildError, match="is not a project name"):
        build_command(crds, tmp_path / "out", project="Demo Project", release="1.0.0")


def test_a_rebuild_removes_kinds_the_release_dropped(tmp_path: Path):
    src = _crd_folder("flux-operator")
    if not src.is_dir():
        pytest.skip(f"{src} is not available")
    crds = tmp_path / "v1.0.0"
    crds.mkdir()
    (crds / "a.yaml").write_bytes((src / "fluxcd.controlplane.io_fluxreports.yaml").read_bytes())
    out = tmp_path / "out"
    (out / "demo").mkdir(parents=True)
    (out / "demo" / "gone.example.io.json").write_text("{}\n")
    folder = build_command(crds, out, project="demo")
    assert sorted(p.name for p in folder.iterdir()) == [
        "fluxreports.fluxcd.controlplane.io.json",
        "index.json",
    ]
    assert json.loads((folder / "index.json").read_text())["release"] == "1.0.0"


# -- lazy loading -------------------------------------------------------------------------------


def test_nothing_is_read_for_core_and_flux_objects(tmp_path: Path):
    catalog = Catalog(CATALOG)
    assert catalog.kind("apps", "Deployment") is None
    assert catalog.kind("", "ConfigMap") is None
    assert catalog._projects is None  # no index read
    assert catalog.kind("fluxcd.controlplane.io", "FluxInstance") is not None
    assert catalog._entries == {}  # indexes only, no schema yet
    assert catalog.entry("fluxcd.controlplane.io", "v1", "FluxInstance") is not None
    assert list(catalog._entries) == [("fluxcd.controlplane.io", "FluxInstance")]


def test_a_run_without_catalog_kinds_reads_no_catalog_file(tmp_path: Path):
    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: c}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: d}\n"
    )
    code = (
        "import builtins, sys\n"
        "from flux_lint.check.engine import RunConfig\n"
        "from flux_lint.run.pipeline import run\n"
        "opened = []\n"
        "real = builtins.open\n"
        "def spy(f, *a, **k):\n"
        "    opened.append(str(f)); return real(f, *a, **k)\n"
        "builtins.open = spy\n"
        "import pathlib\n"
        "real_read = pathlib.Path.read_text\n"
        "def spy_read(self, *a, **k):\n"
        "    opened.append(str(self)); return real_read(self, *a, **k)\n"
        "pathlib.Path.read_text = spy_read\n"
        f"run(RunConfig(paths=[{str(tmp_path)!r}]))\n"
        "print(sum('schemas/catalog' in p for p in opened))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


# -- fixtures -----------------------------------------------------------------------------------

CHECKED = ("FL1", "FL2", "FL3")


def _cases(prefix: str) -> list[tuple[str, Path]]:
    return [
        (folder.name, path)
        for folder in sorted(FIXTURES.iterdir())
        for path in sorted(folder.glob(f"{prefix}*.yaml"))
    ]


def _lint(path: Path):
    # A fixture file stands alone, whatever applies files in the repository it lives in.
    config = RunConfig(paths=[str(path)], check_unapplied=True)
    return [f for f in run(config).findings if f.rule_id.startswith(CHECKED)]


def test_every_project_has_fixtures():
    assert sorted(p.name for p in FIXTURES.iterdir()) == PROJECTS
    for folder in FIXTURES.iterdir():
        assert list(folder.glob("pass*.yaml")) and list(folder.glob("fail*.yaml")), folder


@pytest.mark.parametrize(("project", "path"), _cases("pass"), ids=str)
def test_valid_objects_pass(project: str, path: Path):
    findings = _lint(path)
    assert findings == [], "\n".join(f"{f.line}: {f.rule_id} {f.message}" for f in findings)


@pytest.mark.parametrize(("project", "path"), _cases("fail"), ids=str)
def test_defects_are_flagged_at_their_line(project: str, path: Path):
    display = path.resolve().relative_to(ROOT).as_posix()
    expected = expectations(path, display)
    assert expected, f"{path} has no `# expect:` line"
    findings = _lint(path)
    actual = sorted((f.rule_id, f.line) for f in findings)
    assert actual == sorted((e.rule, e.line) for e in expected), "\n".join(
        f"{f.line}:{f.column}: {f.rule_id} {f.message}" for f in findings
    )
    for e in expected:
        match = [f for f in findings if (f.rule_id, f.line) == (e.rule, e.line)]
        if e.column is not None:
            assert any(f.column == e.column for f in match), (e, [f.column for f in match])
        if e.fragment is not None:
            assert any(e.fragment in f.message for f in match), (e, [f.message for f in match])


# -- precedence, summary, overlays ------------------------------------------------------------

CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: default}
spec:
  secretName: web-tls
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
  unknownField: true
"""


def test_repository_crds_win_over_the_catalog(tmp_path: Path):
    (tmp_path / "cert.yaml").write_text(CERTIFICATE)
    result = run(RunConfig(paths=[str(tmp_path)]))
    assert [(f.rule_id, f.line) for f in result.findings if f.rule_id < "FL3"] == [("FL101", 7)]
    assert result.schemas.get("catalog cert-manager") == 1
    # A CRD in the repository that accepts anything in spec decides instead.
    (tmp_path / "crd.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: certificates.cert-manager.io}\n"
        "spec:\n  group: cert-manager.io\n  scope: Namespaced\n"
        "  names: {kind: Certificate, plural: certificates}\n"
        "  versions:\n    - name: v1\n      served: true\n      storage: true\n"
        "      schema:\n        openAPIV3Schema:\n          type: object\n"
        "          x-kubernetes-preserve-unknown-fields: true\n"
    )
    result = run(RunConfig(paths=[str(tmp_path)]))
    assert [f.rule_id for f in result.findings if f.rule_id < "FL3"] == []
    assert result.schemas.get("repository CRDs") == 1
    assert "catalog cert-manager" not in result.schemas and not result.unchecked


def test_a_project_can_be_turned_off(tmp_path: Path):
    (tmp_path / "cert.yaml").write_text(CERTIFICATE)
    config = RunConfig(paths=[str(tmp_path)], options={"catalog": {"cert-manager": "off"}})
    result = run(config)
    assert [f.rule_id for f in result.findings if f.rule_id < "FL3"] == []
    assert result.unchecked == {"Certificate": 1}


def test_the_summary_names_sources_and_unchecked_kinds():
    from flux_lint.report.output import RunSummary
    from flux_lint.report.output.text import schema_coverage

    assert schema_coverage(RunSummary(schemas={"Flux": 4})) == ""
    summary = RunSummary(
        schemas={"Flux": 4, "catalog cert-manager": 2, "repository CRDs": 1},
        unchecked={"Deployment": 3, "Service": 2, "A": 1, "B": 1, "C": 1, "D": 1, "E": 1},
    )
    assert schema_coverage(summary) == (
        "Schemas: 4 objects by Flux, 2 by catalog cert-manager, 1 by repository CRDs; "
        "10 without a schema (Deployment ×3, Service ×2, A, B, C, 2 more kinds)"
    )


def test_a_field_an_overlay_patches_in_is_not_missing_on_the_base(tmp_path: Path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "issuer.yaml").write_text(
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: le}\n"
        "spec:\n  acme:\n    privateKeySecretRef: {name: le}\n"
        "    solvers: [{http01: {ingress: {class: nginx}}}]\n"
    )
    (base / "kustomization.yaml").write_text("resources: [issuer.yaml]\n")
    for env, patched in (("production", True), ("staging", True)):
        folder = tmp_path / env
        folder.mkdir()
        patch = (
            "patches:\n  - patch: |\n      - op: add\n        path: /spec/acme/server\n"
            "        value: https://acme.example.com/directory\n"
            "    target: {kind: ClusterIssuer, name: le}\n"
        )
        (folder / "kustomization.yaml").write_text(
            "resources: [../base]\n" + (patch if patched else "")
        )
    found = [(f.path, f.rule_id, f.line) for f in run(RunConfig(paths=[str(tmp_path)])).findings]
    assert found == []  # every build that deploys the base supplies the server
    (tmp_path / "staging" / "kustomization.yaml").write_text("resources: [../base]\n")
    found = [(f.path, f.rule_id, f.line) for f in run(RunConfig(paths=[str(tmp_path)])).findings]
    assert found == [("base/issuer.yaml", "FL105", 5)]  # staging deploys it without one
    (tmp_path / "production" / "kustomization.yaml").write_text(
        "resources: [../base]\npatches:\n  - patch: |\n      - op: add\n"
        "        path: /spec/acme/email\n        value: ops@example.com\n"
        "    target: {kind: ClusterIssuer, name: le}\n"
    )
    found = [(f.path, f.rule_id, f.line) for f in run(RunConfig(paths=[str(tmp_path)])).findings]
    assert found == [("base/issuer.yaml", "FL105", 5)]  # the patch does not supply the server


def test_catalog_configuration_is_checked(tmp_path: Path):
    from flux_lint.config import ConfigError, load

    (tmp_path / ".git").mkdir()
    path = tmp_path / ".flux-lint.yaml"
    path.write_text("catalog:\n  kyverno: off\n  external-secrets: 0.16.2\n")
    assert load(path, tmp_path).options() == {
        "catalog": {"kyverno": "off", "external-secrets": "0.16.2"}
    }
    path.write_text("catalog:\n  certmanager: off\n")
    with pytest.raises(ConfigError, match=r"2:3: unknown catalog project `certmanager` \(did you"):
        load(path, tmp_path)
    path.write_text("catalog:\n  cert-manager: latest\n")
    with pytest.raises(ConfigError, match=r"must be `off` or a release such as 1\.2\.3"):
        load(path, tmp_path)


def test_a_configured_release_decides_fl320(tmp_path: Path):
    (tmp_path / "es.yaml").write_text(
        "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n"
        "metadata: {name: a, namespace: default}\nspec: {}\n"
    )

    def fl320(options: dict) -> list[str]:
        config = RunConfig(paths=[str(tmp_path)], options=options)
        return [f.message for f in run(config).findings if f.rule_id == "FL320"]

    assert len(fl320({})) == 1
    assert fl320({"catalog": {"external-secrets": "0.16.2"}}) == []
    assert fl320({"catalog": {"external-secrets": "off"}}) == []
    [message] = fl320({"catalog": {"external-secrets": "0.17.1"}})
    assert message.startswith(
        "`external-secrets.io/v1beta1` is not served by external-secrets 0.17.1 "
        "(set in the `catalog:` configuration); use `external-secrets.io/v1`"
    )


def test_kubernetes_groups_are_not_catalog_groups():
    from flux_lint.check.schema.kubernetes import KUBERNETES_GROUPS

    groups = {k["group"] for project in PROJECTS for k in _index(project)["kinds"]}
    assert groups and not groups & KUBERNETES_GROUPS
