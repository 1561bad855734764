"""Flux Kustomizations rendered by ResourceSets as entry points of the applied set
(model/applied.py with model/resourceset/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from manifests import write_tree

from flux_lint.check.engine import RunConfig
from flux_lint.run.pipeline import run

FIXTURE = Path(__file__).parent / "fixtures" / "applied" / "resourceset"
RELEASE = (FIXTURE / "archive" / "release.yaml").read_text()


write = write_tree


def lint(root: Path, **options) -> object:
    return run(RunConfig(paths=[str(root)], enabled={"FL102"}, **options))


def brief(result) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.path, f.span.line) for f in result.findings]


def copy_fixture(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    return root


def test_files_reached_only_through_rendered_kustomizations_are_checked(tmp_path: Path) -> None:
    result = lint(copy_fixture(tmp_path))
    # tenants/team-c (no input set for it), archive/ (the path of a Kustomization rendered for
    # another repository's OCI artifact) and templates/ are applied by nothing.
    assert brief(result) == [
        ("FL102", "shared/release.yaml", 16),
        ("FL102", "tenants/team-a/release.yaml", 16),
        ("FL102", "tenants/team-b/release.yaml", 16),
    ]
    applied = result.applied
    assert result.unapplied == 3
    assert "archive/release.yaml" not in applied.files
    assert "tenants/team-c/release.yaml" not in applied.files
    assert applied.files["tenants/team-a/release.yaml"] == ("flux-system/team-a",)
    assert applied.files["shared/release.yaml"] == ("shared/shared",)
    assert [(e.kind, e.name) for e in applied.entry_points] == [("Kustomization", "flux-system")]
    assert result.notes == [
        "Kustomizations rendered by ResourceSet flux-system/sources (clusters/prod/sources.yaml) "
        "apply shared/; Kustomizations rendered by ResourceSet flux-system/tenants "
        "(clusters/prod/tenants.yaml) apply tenants/team-a/ (inputs {tenant: team-a}), "
        "tenants/team-b/ (inputs {tenant: team-b})",
        "3 files are not applied by any Flux Kustomization: not checked "
        "(`--check-unapplied` checks them)",
    ]


def test_a_resourceset_nothing_applies_enters_nothing(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    (root / "clusters/prod/tenants.yaml").rename(root / "templates/tenants.yaml")
    result = lint(root)
    assert brief(result) == [("FL102", "shared/release.yaml", 16)]
    assert "tenants/team-a/release.yaml" not in result.applied.files
    assert "flux-system/tenants" not in (result.applied.note or "")


def test_a_new_input_set_enters_its_folder(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    rset = root / "clusters/prod/tenants.yaml"
    rset.write_text(rset.read_text().replace("    - tenant: team-b\n", "    - tenant: team-c\n"))
    result = lint(root)
    assert [p for _, p, _ in brief(result)] == [
        "shared/release.yaml",
        "tenants/team-a/release.yaml",
        "tenants/team-c/release.yaml",
    ]


def test_the_cache_follows_a_changed_input_set(tmp_path: Path) -> None:
    """The applied set is computed from the ResourceSets and providers on every run: a new
    input set enters its folder even when every other file comes from the cache."""
    root = copy_fixture(tmp_path)
    cache = tmp_path / "cache"
    first = lint(root, cache_dir=cache)
    assert "tenants/team-c/release.yaml" not in first.applied.files
    rset = root / "clusters/prod/tenants.yaml"
    rset.write_text(rset.read_text().replace("    - tenant: team-b\n", "    - tenant: team-c\n"))
    again = lint(root, cache_dir=cache)
    assert again.cache_hits > 0
    assert [p for _, p, _ in brief(again)] == [
        "shared/release.yaml",
        "tenants/team-a/release.yaml",
        "tenants/team-c/release.yaml",
    ]


def test_post_build_variables_are_substituted_before_rendering(tmp_path: Path) -> None:
    """kustomize-controller substitutes the applying Kustomization's `postBuild.substitute`
    into the ResourceSet before the operator renders it: `./apps/${cluster}` is
    `./apps/prod` here (and `upper` sees the substituted value)."""
    root = write(
        tmp_path,
        {
            "clusters/prod/flux-system/gotk-sync.yaml": (
                FIXTURE / "clusters/prod/flux-system/gotk-sync.yaml"
            ).read_text(),
            "clusters/prod/fleet.yaml": """\
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: fleet
              namespace: flux-system
            spec:
              interval: 10m
              path: ./fleet
              prune: true
              sourceRef:
                kind: GitRepository
                name: flux-system
              postBuild:
                substitute:
                  cluster: prod
                  region: eu
            """,
            "fleet/apps.yaml": """\
            apiVersion: fluxcd.controlplane.io/v1
            kind: ResourceSet
            metadata:
              name: apps
              namespace: flux-system
            spec:
              inputs:
                - region: "${region}"
              resources:
                - apiVersion: kustomize.toolkit.fluxcd.io/v1
                  kind: Kustomization
                  metadata:
                    name: apps
                    namespace: flux-system
                  spec:
                    interval: 10m
                    path: ./apps/${cluster}/<< inputs.region | upper >>
                    prune: true
                    sourceRef:
                      kind: GitRepository
                      name: flux-system
                - apiVersion: kustomize.toolkit.fluxcd.io/v1
                  kind: Kustomization
                  metadata:
                    name: secret-path
                    namespace: flux-system
                  spec:
                    interval: 10m
                    path: ./apps/${unknown}
                    prune: true
                    sourceRef:
                      kind: GitRepository
                      name: flux-system
            """,
            "apps/prod/EU/release.yaml": RELEASE,
            "apps/prod/eu/release.yaml": RELEASE,
            "apps/staging/EU/release.yaml": RELEASE,
        },
    )
    result = lint(root)
    assert brief(result) == [("FL102", "apps/prod/EU/release.yaml", 16)]
    assert result.applied.files["apps/prod/EU/release.yaml"] == ("flux-system/apps",)


RSET_ONLY = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: {name}
  namespace: flux-system
  labels:
    fleet: tenants
spec:
  type: Static
  defaultValues:
    tenant: {name}
"""


def test_without_other_entry_points_every_resourceset_is_applied(tmp_path: Path) -> None:
    """A fleet repository driven by flux-operator alone: the ResourceSets (with Static
    providers, Flatten) are where Flux enters, their own files and providers are applied."""
    root = write(
        tmp_path,
        {
            "fleet/tenants.yaml": """\
            apiVersion: fluxcd.controlplane.io/v1
            kind: ResourceSet
            metadata:
              name: tenants
              namespace: flux-system
            spec:
              inputsFrom:
                - selector:
                    matchLabels:
                      fleet: tenants
              resources:
                - apiVersion: kustomize.toolkit.fluxcd.io/v1
                  kind: Kustomization
                  metadata:
                    name: << inputs.tenant >>
                    namespace: flux-system
                  spec:
                    interval: 10m
                    path: ./tenants/<< inputs.tenant >>
                    prune: true
                    sourceRef:
                      kind: GitRepository
                      name: flux-system
            """,
            "fleet/providers.yaml": RSET_ONLY.format(name="team-a")
            + "---\n"
            + RSET_ONLY.format(name="team-b"),
            "tenants/team-a/release.yaml": RELEASE,
            "tenants/team-b/release.yaml": RELEASE,
            "tenants/team-c/release.yaml": RELEASE,
        },
    )
    result = lint(root)
    assert [p for _, p, _ in brief(result)] == [
        "tenants/team-a/release.yaml",
        "tenants/team-b/release.yaml",
    ]
    applied = result.applied
    assert [(e.kind, e.name, e.folder) for e in applied.entry_points] == [
        ("ResourceSet", "flux-system/tenants", "tenants/team-a"),
        ("ResourceSet", "flux-system/tenants", "tenants/team-b"),
    ]
    assert applied.files["fleet/tenants.yaml"] == ("ResourceSet flux-system/tenants",)
    assert applied.files["fleet/providers.yaml"] == (
        "ResourceSetInputProvider flux-system/team-a",
        "ResourceSetInputProvider flux-system/team-b",
    )
    assert result.unapplied == 1


def test_paths_printed_from_cluster_inputs_enter_nothing(tmp_path: Path) -> None:
    """A GitHubBranch provider only the cluster can query, and a `${VAR}` the cluster
    substitutes: flux-lint cannot know the folder, so nothing is entered (the repository
    has no entry point and is checked whole)."""
    root = write(
        tmp_path,
        {
            "fleet/previews.yaml": """\
            apiVersion: fluxcd.controlplane.io/v1
            kind: ResourceSetInputProvider
            metadata:
              name: branches
              namespace: flux-system
            spec:
              type: GitHubBranch
              url: https://github.com/example/fleet
            ---
            apiVersion: fluxcd.controlplane.io/v1
            kind: ResourceSet
            metadata:
              name: previews
              namespace: flux-system
            spec:
              inputsFrom:
                - name: branches
              resources:
                - apiVersion: kustomize.toolkit.fluxcd.io/v1
                  kind: Kustomization
                  metadata:
                    name: preview-<< inputs.id >>
                    namespace: flux-system
                  spec:
                    interval: 10m
                    path: ./previews/<< inputs.branch >>
                    prune: true
                    sourceRef:
                      kind: GitRepository
                      name: flux-system
                - apiVersion: kustomize.toolkit.fluxcd.io/v1
                  kind: Kustomization
                  metadata:
                    name: env
                    namespace: flux-system
                  spec:
                    interval: 10m
                    path: ./envs/${ENVIRONMENT}
                    prune: true
                    sourceRef:
                      kind: GitRepository
                      name: flux-system
            """,
            "previews/placeholder/release.yaml": RELEASE,
            "envs/prod/release.yaml": RELEASE,
        },
    )
    result = lint(root)
    assert not result.applied.known
    assert [p for _, p, _ in brief(result)] == [
        "envs/prod/release.yaml",
        "previews/placeholder/release.yaml",
    ]


def test_a_flux_instance_oci_sync_source_is_this_repository(tmp_path: Path) -> None:
    """d2-fleet's shape: the FluxInstance syncs this repository's OCI artifact as
    `flux-system`; a ResourceSet it applies renders a Kustomization of that source."""
    root = write(
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
                kind: OCIRepository
                url: oci://ghcr.io/example/fleet
                ref: latest
                path: clusters/prod
            """,
            "clusters/prod/infra.yaml": """\
            apiVersion: fluxcd.controlplane.io/v1
            kind: ResourceSet
            metadata:
              name: infra
              namespace: flux-system
            spec:
              inputs:
                - component: cert-manager
              resourcesTemplate: |
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata:
                  name: << inputs.component >>
                  namespace: flux-system
                spec:
                  interval: 10m
                  path: ./infra/<< inputs.component >>
                  prune: true
                  sourceRef:
                    kind: OCIRepository
                    name: flux-system
            """,
            "infra/cert-manager/release.yaml": RELEASE,
            "infra/unused/release.yaml": RELEASE,
        },
    )
    result = lint(root)
    assert brief(result) == [("FL102", "infra/cert-manager/release.yaml", 16)]
    assert result.applied.files["infra/cert-manager/release.yaml"] == ("flux-system/cert-manager",)


CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
D2_FLEET = CORPUS / "controlplaneio-fluxcd__d2-fleet"


@pytest.mark.skipif(not D2_FLEET.is_dir(), reason="../shared/corpus is not beside the project")
def test_d2_fleet_renders_kustomizations_of_other_repositories_only() -> None:
    """d2-fleet's ResourceSets render 57 objects (6 input sets), 8 of them Flux
    Kustomizations: of d2-apps/d2-infra OCI artifacts (paths `./${ENVIRONMENT}`) and
    GitRepositories. None is this repository, so the applied set stays the FluxInstances'."""
    from flux_lint.load.yaml import load_text
    from flux_lint.model.resourceset import is_resourceset
    from flux_lint.model.resourceset.render import render

    objects = input_sets = 0
    kustomizations = []
    for path in sorted(D2_FLEET.rglob("*.yaml")):
        text = path.read_text()
        for doc in load_text(text).documents:
            if is_resourceset(doc.data):
                result = render(doc.data, path=str(path), document=doc, file_text=text)
                assert not result.problems
                objects += len(result.objects)
                input_sets += result.input_sets
                kustomizations += [o for o in result.objects if o.data["kind"] == "Kustomization"]
    assert (objects, input_sets, len(kustomizations)) == (57, 6, 8)
    result = run(RunConfig(paths=[str(D2_FLEET)]))
    graph = result.applied.graph
    assert [k for k in graph.flux_kustomizations if k.rendered is not None] == []
    assert (len(result.applied.files), result.unapplied) == (25, 5)
    assert [e.kind for e in result.applied.entry_points] == ["FluxInstance"] * 4
