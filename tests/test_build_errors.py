"""Build failures (FL513–FL519, FL551), the artifact filter and what counts as deployed.

The rule fixtures (``tests/fixtures/rules/FL51*``, ``FL551``) cover where findings land; these
tests pin what fixtures cannot express: files that only exist on disk, the exclusion rules of
source-controller, and which Kustomizations count as deployed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from manifests import write_tree

from flux_lint.check.engine import RunConfig
from flux_lint.model.artifact import ArtifactFilter
from flux_lint.model.builds import deployed, repository_builds
from flux_lint.model.graph import repo_graph
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.run.pipeline import run

KUST = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


write = write_tree


def ks(name: str, path: str, extra: str = "") -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        "spec:\n  interval: 10m\n  prune: true\n"
        f"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: {path}\n" + extra
    )


def cm(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: apps\n"


def findings(root: Path, rules: set[str]) -> list[tuple[str, str, int, str]]:
    result = run(RunConfig(paths=[str(root)], enabled=rules))
    return sorted((f.rule_id, f.path, f.line, f.message) for f in result.findings)


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(
        root,
        {
            "clusters/prod/flux-system.yaml": ks("flux-system", "./clusters/prod"),
            "clusters/prod/apps.yaml": ks("apps", "./apps"),
            **files,
        },
    )
    return root


# -- the artifact filter ---------------------------------------------------------------------


def test_default_exclusions_apply_only_without_user_patterns():
    defaults = ArtifactFilter.from_patterns([])
    assert defaults(".github/workflows/ci.yaml")
    assert defaults("apps/.sops.yaml")
    assert defaults("apps/.git/config")
    assert not defaults("apps/values.yaml")
    custom = ArtifactFilter.from_patterns([("", ["values.yaml"])])
    assert custom("apps/values.yaml")
    assert not custom(".github/workflows/ci.yaml")  # the defaults are gone
    assert not custom("apps/.sops.yaml")
    assert custom(".git/config")  # VCS patterns stay


def test_sourceignore_patterns_are_scoped_to_their_folder_and_negation_works():
    lines = {"apps": ["*.yaml", "!keep.yaml"], "": ["/docs/"]}
    excluded = ArtifactFilter.for_repository(lines.get, ["", "apps", "docs"], None)
    assert excluded("apps/values.yaml")
    assert not excluded("apps/keep.yaml")
    assert not excluded("other/values.yaml")
    assert excluded("docs/guide/page.yaml")  # inside an excluded folder


def test_spec_ignore_comes_after_sourceignore_files():
    lines = {"": ["apps/"]}
    excluded = ArtifactFilter.for_repository(lines.get, [""], "!apps/\n")
    assert not excluded("apps/web.yaml")


# -- deployed Kustomizations -------------------------------------------------------------------


def index_of(files: dict[str, str]) -> RepoIndex:
    from flux_lint.check.engine import Linter

    linter = Linter(RunConfig())
    for path, text in sorted(files.items()):
        linter.lint_text(path, textwrap.dedent(text))
    assert linter.index is not None
    return linter.index


def only(index: RepoIndex, name: str) -> IndexEntry:
    return next(e for e in index.entries if e.kind == "Kustomization" and e.name == name)


def test_left_out_kustomizations_are_not_deployed_and_unapplied_ones_are_entry_points():
    index = index_of(
        {
            "clusters/prod/flux-system.yaml": ks("flux-system", "./clusters/prod"),
            "clusters/prod/kustomization.yaml": KUST + "resources:\n  - flux-system.yaml\n",
            "clusters/prod/old.yaml": ks("old", "./apps/old"),
            "apps/old/web.yaml": cm("old"),
            "hub/prod.yaml": ks("hub", "./apps/hub"),
            "apps/hub/web.yaml": cm("hub"),
        }
    )
    graph = repo_graph(index)
    assert deployed(graph, only(index, "flux-system"))
    assert not deployed(graph, only(index, "old"))  # its folder's kustomization leaves it out
    assert deployed(graph, only(index, "hub"))  # nothing here applies it: an entry point
    folders = {b.folder for b in repository_builds(graph).builds}
    assert folders == {"clusters/prod", "apps/hub"}


# -- rules that look at the disk ---------------------------------------------------------------


def test_files_only_on_disk_count_as_present(tmp_path):
    root = repo(
        tmp_path,
        {
            "apps/kustomization.yaml": KUST + "resources:\n  - web.yaml\n  - sub\n"
            "configMapGenerator:\n  - name: env\n    envs:\n      - settings.env\n",
            "apps/web.yaml": cm("web"),
            "apps/settings.env": "A=1\n",
            # A kustomization file without extension is not linted but kustomize reads it.
            "apps/sub/Kustomization": KUST + "resources:\n  - one.yaml\n",
            "apps/sub/one.yaml": cm("one"),
        },
    )
    assert findings(root, {"FL513"}) == []


def test_a_kustomization_file_without_extension_next_to_a_yaml_one(tmp_path):
    root = repo(
        tmp_path,
        {
            "apps/kustomization.yaml": KUST + "resources:\n  - web.yaml\n",
            "apps/Kustomization": KUST + "resources:\n  - web.yaml\n",
            "apps/web.yaml": cm("web"),
        },
    )
    assert findings(root, {"FL515"}) == [
        (
            "FL515",
            "apps/kustomization.yaml",
            1,
            "the folder also holds `Kustomization`: kustomize fails the build of Kustomization "
            '`flux-system/apps` ("Found multiple kustomization files"); keep one',
        )
    ]


def test_missing_non_yaml_files_are_not_judged(tmp_path):
    root = repo(
        tmp_path,
        {
            "apps/kustomization.yaml": KUST + "resources:\n  - web.yaml\n  - gone.yaml\n"
            "configMapGenerator:\n  - name: s\n    files:\n      - run.sh\n",
            "apps/web.yaml": cm("web"),
        },
    )
    assert [(r, p, line) for r, p, line, _ in findings(root, {"FL513"})] == [
        ("FL513", "apps/kustomization.yaml", 5)
    ]


def test_nothing_is_reported_for_a_build_nothing_deploys(tmp_path):
    root = repo(
        tmp_path,
        {
            "clusters/prod/kustomization.yaml": KUST
            + "resources:\n  - flux-system.yaml\n# - apps.yaml\n",
            "apps/values.yaml": "replicaCount: 2\n",
            "apps/kustomization.yml": KUST + "resources: []\nhelmCharts:\n  - name: x\n",
        },
    )
    assert findings(root, {"FL513", "FL515", "FL516", "FL519"}) == []


def test_a_values_file_in_a_generated_folder_is_reported_once_per_document(tmp_path):
    root = repo(
        tmp_path,
        {
            "apps/web.yaml": cm("web"),
            "apps/values.yaml": "a: 1\n---\nb: 2\n---\n# only a comment\n",
        },
    )
    assert [(r, p, line) for r, p, line, _ in findings(root, {"FL516"})] == [
        ("FL516", "apps/values.yaml", 1),
        ("FL516", "apps/values.yaml", 3),
    ]
