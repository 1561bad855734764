"""The applied set remembered with the structure it was computed from (run/applied_memo.py):
a warm run whose structure did not change builds no repository graph unless it lints a file
some build may change, and says exactly what a run without the cache says."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifests import bootstrap_sync, write_tree
from test_effective import APPS, PATCHED

import flux_lint.model.graph as graph
from flux_lint.check.engine import RunConfig
from flux_lint.model.applied import compute
from flux_lint.model.effective import EffectiveObjects
from flux_lint.model.index import RepoIndex
from flux_lint.run import memo
from flux_lint.run.pipeline import run

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
{field}:
  mode: fast
"""


def _repo(root: Path) -> None:
    write_tree(
        root,
        {
            **PATCHED,
            "apps/prod/kustomization.yaml": (
                "resources:\n  - ../base\n  - settings.yaml\n"
                "patches:\n  - path: deployment-patch.yaml\n"
            ),
            "apps/prod/settings.yaml": CONFIGMAP.format(field="data"),
        },
    )


def _graphs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the repository graphs built from now on."""
    built: list[int] = []
    real = graph.RepoGraph.__init__

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(graph.RepoGraph, "__init__", counting)
    return built


def _brief(root: Path, cache: Path | None, *paths: str) -> list[tuple[str, str, int, int, str]]:
    named = [str(root / p) for p in paths] or [str(root)]
    config = RunConfig(paths=named, cache_dir=cache, enabled={"FL101", "FL102", "FL105"})
    return [
        (f.rule_id, f.path, f.span.line, f.span.column, f.message) for f in run(config).findings
    ]


def test_a_file_no_build_changes_is_linted_without_a_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit that changes no object (a comment) leaves the repository checks' inputs as
    they were too: nothing in the run needs the builds."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    write_tree(root, {"apps/prod/settings.yaml": CONFIGMAP.format(field="datum")})
    _brief(root, cache)
    write_tree(root, {"apps/prod/settings.yaml": CONFIGMAP.format(field="datum") + "# ok\n"})
    built = _graphs(monkeypatch)
    found = _brief(root, cache)
    assert ("FL101", "apps/prod/settings.yaml", 5, 1) in [f[:4] for f in found]
    assert built == []  # the structure is as it was, and no patch can reach a ConfigMap here
    assert found == _brief(root, None)


def test_a_comment_in_a_file_a_build_changes_needs_no_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base Deployment is patched by the overlay. A comment leaves its data as it was: the
    cold run remembered that a build changes it, so it is linted again without the builds,
    and its findings are still those of the object as deployed."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    before = _brief(root, cache)
    deployment = (root / "apps/base/deployment.yaml").read_text()
    write_tree(root, {"apps/base/deployment.yaml": "# reviewed\n" + deployment})
    built = _graphs(monkeypatch)
    found = _brief(root, cache)
    assert built == []
    assert found == before == _brief(root, None)
    assert [f[1] for f in found if f[0] == "FL102"] == [
        "apps/prod/deployment-patch.yaml",
        "clusters/prod/apps.yaml",
    ]


def test_a_value_edit_in_a_file_a_build_changes_builds_the_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed value is judged in the object as each build deploys it: that needs the
    builds, and the findings are those of a run without the cache."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    _brief(root, cache)
    deployment = (root / "apps/base/deployment.yaml").read_text()
    edited = deployment.replace("image: nginx:1.27", "image: nginx:1.28")
    write_tree(root, {"apps/base/deployment.yaml": edited})
    built = _graphs(monkeypatch)
    found = _brief(root, cache)
    assert built != []
    assert found == _brief(root, None)
    built.clear()
    write_tree(root, {"apps/base/deployment.yaml": edited + "# reviewed\n"})
    assert _brief(root, cache) == found
    assert built == []  # asked and answered for these data by the run before


def test_a_changed_structure_computes_the_applied_set_again(tmp_path: Path) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    assert _brief(root, cache) == _brief(root, None)
    # The Flux Kustomization now applies nothing of apps/: its files are not checked.
    write_tree(root, {"clusters/prod/apps.yaml": APPS.format(overlay="none", extra="")})
    assert _brief(root, cache) == _brief(root, None)
    assert [f for f in _brief(root, cache) if f[1].startswith("apps/")] == []


def test_changeable_kinds() -> None:
    index = RepoIndex()
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
    for path, data in {
        "apps/base/kustomization.yaml": {"resources": ["deployment.yaml"]},
        "apps/plain/kustomization.yaml": {"resources": ["plain.yaml"]},
        "apps/patched/kustomization.yaml": {
            "resources": ["../base", "extra.yaml"],
            "patches": [{"patch": patch}, {"target": {"kind": "Service"}, "patch": patch}],
        },
        "apps/pattern/kustomization.yaml": {
            "resources": ["pattern.yaml"],
            "patches": [{"target": {"kind": "Deploy.*"}, "patch": patch}],
        },
        "apps/replaced/kustomization.yaml": {"resources": ["replaced.yaml"], "replacements": [{}]},
    }.items():
        index.add_kustomize_file(path, data)
        folder = path.rpartition("/")[0]
        index.files.update({path, *(f"{folder}/{r}" for r in data["resources"] if ".." not in r)})
    effective = EffectiveObjects(compute(index).graph)
    assert effective.changeable_kinds("apps/plain/plain.yaml") == frozenset()
    assert effective.changeable_kinds("apps/patched/extra.yaml") == {"Deployment", "Service"}
    assert effective.changeable_kinds("apps/base/deployment.yaml") == {"Deployment", "Service"}
    assert effective.changeable_kinds("apps/pattern/pattern.yaml") is None
    assert effective.changeable_kinds("apps/replaced/replaced.yaml") is None


def test_bootstrap_sync_only(tmp_path: Path) -> None:
    """A repository whose only entry point is the bootstrap sync is remembered too."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    write_tree(
        root,
        {
            "clusters/dev/flux-system/gotk-sync.yaml": bootstrap_sync("dev"),
            "clusters/dev/settings.yaml": CONFIGMAP.format(field="datum"),
        },
    )
    first = _brief(root, cache)
    assert [f[:2] for f in first] == [("FL101", "clusters/dev/settings.yaml")]
    assert _brief(root, cache) == first == _brief(root, None)


def _structure(data: dict, kustomization: dict) -> RepoIndex:
    from flux_lint.model.index import IndexEntry

    index = RepoIndex()
    index.files.update({"ks.yaml", "kustomization.yaml"})
    index.add(
        IndexEntry("ks.yaml", 0, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "a", "b", data)
    )
    index.add_kustomize_file("kustomization.yaml", kustomization)
    return index


def test_the_structure_digest_depends_on_values_not_on_objects() -> None:
    """The same structure parsed afresh or read back from the cache (other string objects,
    shared or not) has one digest; any changed value gives another."""
    import marshal

    from flux_lint.run.applied_memo import structure_digest

    path = "./apps"
    data = {"spec": {"path": path, "prune": True, "interval": "10m", "retries": 3}}
    kustomization = {"resources": [path, path]}  # one string object, twice
    fresh = _structure(data, kustomization)
    copied = _structure(
        marshal.loads(marshal.dumps(data)), {"resources": ["./ap" + "ps", "./apps"]}
    )
    assert structure_digest(fresh, {}) == structure_digest(copied, {})
    changed = _structure({**data, "spec": {**data["spec"], "retries": 3.0}}, kustomization)
    assert structure_digest(changed, {}) != structure_digest(fresh, {})
    assert structure_digest(fresh, {".sourceignore": "*.md"}) != structure_digest(fresh, {})


def test_files_named_alone_reuse_the_applied_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit run names other files each time: the structure is in file order
    whichever files are named, so the applied set remembered by the last run is used, and a
    ConfigMap no patch can select is linted and judged without a graph."""
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)  # as if written long before
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _repo(root)
    (root / ".git").mkdir()  # a repository, as pre-commit runs in
    write_tree(
        root,
        {
            "apps/prod/kustomization.yaml": (
                "resources:\n  - ../base\n  - settings.yaml\n  - other.yaml\n"
                "patches:\n  - path: deployment-patch.yaml\n"
            ),
            "apps/prod/other.yaml": CONFIGMAP.format(field="datum").replace("settings", "other"),
        },
    )
    monkeypatch.chdir(root)
    config = {"cache_dir": cache, "enabled": {"FL101", "FL102", "FL105"}}
    run(RunConfig(paths=["apps/prod/settings.yaml"], **config))
    built = _graphs(monkeypatch)
    found = run(RunConfig(paths=["apps/prod/other.yaml"], **config)).findings
    assert built == []
    fresh = run(RunConfig(paths=["apps/prod/other.yaml"], **{**config, "cache_dir": None}))
    assert [f.sort_key() for f in found] == [f.sort_key() for f in fresh.findings]
    assert [(f.rule_id, f.path, f.span.line) for f in found] == [
        ("FL101", "apps/prod/other.yaml", 5)
    ]
