"""The objects as their builds deploy them, judged again only where an edit reaches
(run/repository.py ``FileMemo``), and a HelmRelease's values outside the structure the
applied set is computed from (model/applied_set.py ``structural_part``): a warm run after an
edit says exactly what a run without the cache says."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifests import write_tree
from test_effective import DEPLOYMENT, PATCHED

import flux_lint.check.effective as effective
import flux_lint.run.applied_memo as applied_memo
from flux_lint.check.engine import RunConfig
from flux_lint.model.applied_set import structural_part
from flux_lint.model.index import IndexEntry
from flux_lint.run.pipeline import run

WORKER = DEPLOYMENT.replace("name: web", "name: worker").replace("app: web", "app: worker")

SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: flux-system
data:
  REPLICAS: "{replicas}"
"""


def _repo(root: Path) -> None:
    """PATCHED (an overlay patches the base Deployment; the Flux Kustomization patches every
    Deployment), with a second Deployment in the base."""
    write_tree(
        root,
        {
            **PATCHED,
            "apps/base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - worker.yaml\n",
            "apps/base/worker.yaml": WORKER,
        },
    )


def _brief(root: Path, cache: Path | None) -> list[tuple[str, str, int, int, str]]:
    config = RunConfig(paths=[str(root)], cache_dir=cache, enabled={"FL101", "FL102", "FL105"})
    return [
        (f.rule_id, f.path, f.span.line, f.span.column, f.message) for f in run(config).findings
    ]


def _judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose objects are judged as deployed from now on."""
    judged: list[str] = []
    real = effective._file_findings

    def counting(linter, entries, checks, texts):  # type: ignore[no-untyped-def]
        judged.append(entries[0].path)
        return real(linter, entries, checks, texts)

    monkeypatch.setattr(effective, "_file_findings", counting)
    return judged


def test_an_edit_judges_the_edited_file_again_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    first = _brief(root, cache)
    # A value the patches do not touch: the repository checks run again, the other
    # Deployment's builds are not judged again.
    write_tree(root, {"apps/base/worker.yaml": WORKER.replace("nginx:1.27", "nginx:1.28")})
    judged = _judged(monkeypatch)
    found = _brief(root, cache)
    assert judged == ["apps/base/worker.yaml"]
    assert found == first == _brief(root, None)
    assert [f[1:4] for f in found] == [
        ("apps/base/worker.yaml", 7, 25),  # revisionHistoryLimit: the overlay fixes web's only
        ("apps/prod/deployment-patch.yaml", 6, 13),  # replicas: three
        ("clusters/prod/apps.yaml", 24, 46),  # the Flux Kustomization's patch, in web
        ("clusters/prod/apps.yaml", 24, 46),  # and in worker
    ]


def test_a_patch_file_edit_judges_every_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The overlay's patch file is part of the structure the applied set is computed from:
    an edit of it judges every file again (a comment too, which moves the finding placed
    in it)."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    _brief(root, cache)
    patch = (root / "apps/prod/deployment-patch.yaml").read_text()
    write_tree(root, {"apps/prod/deployment-patch.yaml": "# the prod overlay\n" + patch})
    found = _brief(root, cache)
    assert found == _brief(root, None)
    assert ("FL102", "apps/prod/deployment-patch.yaml", 7) in [f[:3] for f in found]
    write_tree(
        root,
        {"apps/prod/deployment-patch.yaml": patch.replace("replicas: three", "replicas: 3")},
    )
    judged = _judged(monkeypatch)
    found = _brief(root, cache)
    assert set(judged) == {
        "apps/base/deployment.yaml",
        "apps/base/worker.yaml",
        "clusters/prod/apps.yaml",
        "clusters/prod/flux-system/gotk-sync.yaml",
    }
    assert found == _brief(root, None)
    assert [f for f in found if f[1] == "apps/prod/deployment-patch.yaml"] == []


def test_a_substitution_source_edit_judges_again(tmp_path: Path) -> None:
    """A ConfigMap the Flux Kustomization substitutes from decides the values it gives."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    apps = (root / "clusters/prod/apps.yaml").read_text()
    with_variables = apps.replace(
        "  patches:\n",
        "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n"
        "  patches:\n",
    )
    write_tree(
        root,
        {
            "clusters/prod/apps.yaml": with_variables,
            "clusters/prod/settings.yaml": SETTINGS.format(replicas="2"),
        },
    )
    assert _brief(root, cache) == _brief(root, None)
    write_tree(root, {"clusters/prod/settings.yaml": SETTINGS.format(replicas="two")})
    found = _brief(root, cache)
    assert found == _brief(root, None)
    substituted = [f for f in found if f[1] == "clusters/prod/settings.yaml"]
    assert [f[:3] for f in substituted] == [("FL102", "clusters/prod/settings.yaml", 7)]
    assert (
        "substituted from clusters/prod/settings.yaml:7: `REPLICAS` = `two`" in (substituted[0][4])
    )


RELEASE = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2",
    "kind": "HelmRelease",
    "metadata": {"name": "web", "namespace": "apps"},
    "spec": {
        "interval": "10m",
        "chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "w"}}},
        "values": {"replicas": 2, "image": {"tag": "1.0"}, "instance": {"sync": {"path": "x"}}},
    },
}


def _entry(data: dict, *, partial: bool = False) -> IndexEntry:
    return IndexEntry("a.yaml", 0, data["apiVersion"], data["kind"], "apps", "web", data, partial)


def test_structural_part_of_a_helm_release() -> None:
    part = structural_part(_entry(RELEASE)).data
    assert part == {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {
            "chart": RELEASE["spec"]["chart"],
            "values": {"image": {"tag": "1.0"}, "instance": {"sync": {"path": "x"}}},
        },
    }
    # A patch document is kept whole (overlays read all of it); other kinds too.
    assert structural_part(_entry(RELEASE, partial=True)).data is RELEASE
    kustomization = {**RELEASE, "kind": "Kustomization"}
    assert structural_part(_entry(kustomization)).data is kustomization


def test_a_release_value_edit_keeps_the_applied_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A HelmRelease is structural (the flux-instance chart is an entry point), but its
    other values are not: editing them leaves the structure's digest, the key of the
    remembered applied set and of the judged builds, as it was."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n"
        "spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: web\n      sourceRef:\n"
        "        kind: GitRepository\n        name: charts\n  values:\n    replicas: {n}\n"
        "    instance:\n      sync:\n        path: clusters/dev\n"
    )
    write_tree(
        root,
        {
            "apps/base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - release.yaml\n",
            "apps/base/release.yaml": release.format(n=1),
        },
    )
    digests: list[str] = []
    real = applied_memo.structure_digest

    def noting(*args, **kwargs):  # type: ignore[no-untyped-def]
        digests.append(real(*args, **kwargs))
        return digests[-1]

    monkeypatch.setattr(applied_memo, "structure_digest", noting)
    _brief(root, cache)
    write_tree(root, {"apps/base/release.yaml": release.format(n=3)})
    assert _brief(root, cache) == _brief(root, None)
    assert len(digests) == 2 and digests[0] == digests[1]  # parsed for the structure, but
    # only its chart and flux-operator's values are kept there (its values name a sync)
    write_tree(root, {"apps/base/release.yaml": release.format(n=3).replace("web\n", "app\n")})
    assert _brief(root, cache) == _brief(root, None)
    assert digests[2] != digests[1]  # its chart is structural


def test_files_named_alone_have_their_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit run names a patch file or a patched base alone: the repository's
    kustomization files give them, and the files of the context walk, their roles, so a
    patch is checked as a fragment and the overlay's patch file changes the base as it
    does in a run over the whole repository."""
    root = tmp_path / "repo"
    _repo(root)
    (root / ".git").mkdir()  # a repository, as pre-commit runs in
    monkeypatch.chdir(root)

    def named(path: str, cache: Path | None) -> list[tuple[str, str, int, str]]:
        config = RunConfig(paths=[path], cache_dir=cache, enabled={"FL101", "FL102", "FL105"})
        return [(f.rule_id, f.path, f.span.line, f.message) for f in run(config).findings]

    whole = [f for f in _brief(root, None) if f[1] == "apps/prod/deployment-patch.yaml"]
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):
        # Not "missing required field `spec.selector`": a patch names only what it changes.
        assert [f[:3] for f in named("apps/prod/deployment-patch.yaml", cache)] == [
            f[:3] for f in whole
        ]
        found = named("apps/base/deployment.yaml", cache)
        # Not `revisionHistoryLimit: "5"`: the overlay's patch file sets it to 5.
        assert [(f[0], f[2]) for f in found] == [("FL102", 6), ("FL102", 15)]
        assert found[0][3].endswith("(set by the patch in apps/prod/deployment-patch.yaml)")


def test_outside_a_repository_a_file_named_alone_is_judged_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a git work tree the root is the current folder, which may be a home folder or
    /tmp: a file named alone there is not judged with the whole tree around it (reading it
    could take minutes and gigabytes)."""
    import flux_lint.run.structure as structure

    root = tmp_path / "repo"
    _repo(root)
    monkeypatch.chdir(root)

    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tree around a named file was read")

    monkeypatch.setattr(structure, "_context_files", no_walk)
    config = RunConfig(paths=["apps/prod/deployment-patch.yaml"], cache_dir=None)
    result = run(config)
    assert result.files == 1
