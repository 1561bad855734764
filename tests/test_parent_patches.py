"""Parent patches: selectors, strategic merge, JSON 6902, the objects as deployed, FL511/FL512
messages, and required fields judged on the objects as deployed (model/effective.py).

The rule fixtures (``tests/fixtures/rules/FL511``, ``FL512``) pin where findings start; these
tests pin the model underneath and what fixtures cannot express (severities, whole runs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_lint.check.engine import Linter, RunConfig
from flux_lint.core.findings import Finding
from flux_lint.model.graph import repo_graph
from flux_lint.model.parent_patches import (
    Selector,
    Target,
    apply_json6902,
    apply_strategic,
    parse_label_selector,
    parse_patch,
    patched_objects,
)
from flux_lint.run.pipeline import run

# -- selectors --------------------------------------------------------------------------------


def target(**overrides) -> Target:
    values = {
        "api_version": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "names": frozenset({"podinfo"}),
        "namespaces": frozenset({"apps"}),
        "labels": {"app": "web", "tier": "front"},
        "annotations": {},
    }
    values.update(overrides)
    return Target(**values)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"kind": "HelmRelease"}, True),
        ({"kind": "Helm"}, False),  # anchored: no substring match
        ({"kind": "Helm.*"}, True),
        ({"group": "helm.toolkit.fluxcd.io", "version": "v2"}, True),
        ({"group": "helm.toolkit.fluxcd.io", "version": "v2beta2"}, False),
        ({"name": "pod"}, False),
        ({"name": "pod|podinfo"}, True),  # ^(?:...)$ wraps the whole alternation
        ({"namespace": "apps"}, True),
        ({"namespace": "prod"}, False),
        ({"labelSelector": "app=web"}, True),
        ({"labelSelector": "app in (web, api),!legacy"}, True),
        ({"labelSelector": "app!=web"}, False),
        ({"labelSelector": "tier notin (front)"}, False),
        ({"labelSelector": "owner"}, False),
        ({"annotationSelector": "team=shop"}, False),
    ],
)
def test_selector_matches(raw, expected):
    assert Selector.parse(raw).matches(target()) is expected


def test_object_without_namespace_matches_any_namespace_selector():
    assert Selector.parse({"namespace": "prod"}).matches(target(namespaces=frozenset())) is True


def test_generated_objects_leave_label_selectors_undecided():
    generated = target(kind="ConfigMap", api_version="v1", labels=None, annotations=None)
    assert Selector.parse({"kind": "ConfigMap", "labelSelector": "a=b"}).matches(generated) is None


def test_labels_added_by_a_transformer_leave_a_mismatch_undecided():
    assert (
        Selector.parse({"labelSelector": "team=shop"}).matches(target(labels_final=False)) is None
    )


@pytest.mark.parametrize("text", ["app=", "a b", "!a=b", "x in a,b)"])
def test_bad_label_selectors_are_rejected(text):
    if text == "app=":
        assert parse_label_selector(text)[0].values == ("",)  # an empty value is allowed
        return
    with pytest.raises(ValueError):
        parse_label_selector(text)


# -- strategic merge --------------------------------------------------------------------------


def test_strategic_merge_merges_maps_and_deletes_with_null():
    base = {"kind": "HelmRelease", "metadata": {"name": "a"}, "spec": {"x": 1, "y": {"z": 2}}}
    patch = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "_", "labels": {"team": "shop"}},
        "spec": {"x": None, "y": {"w": 3}},
    }
    assert apply_strategic(base, patch) == {
        "kind": "HelmRelease",
        "metadata": {"name": "a", "labels": {"team": "shop"}},  # the patch's name is ignored
        "spec": {"y": {"z": 2, "w": 3}},
    }


def test_strategic_merge_lists_merge_by_name_or_replace():
    base = {"spec": {"containers": [{"name": "a", "image": "x"}], "args": ["1", "2"]}}
    patch = {"spec": {"containers": [{"name": "a", "image": "y"}, {"name": "b"}], "args": ["3"]}}
    assert apply_strategic(base, patch) == {
        "spec": {"containers": [{"name": "a", "image": "y"}, {"name": "b"}], "args": ["3"]}
    }
    # Flux patch lists have no associative key: the patch's list replaces the object's.
    ks = {"spec": {"patches": [{"patch": "a"}]}}
    assert apply_strategic(ks, {"spec": {"patches": [{"patch": "b"}]}}) == {
        "spec": {"patches": [{"patch": "b"}]}
    }


def test_strategic_merge_directives():
    base = {"spec": {"values": {"a": 1, "b": 2}, "containers": [{"name": "a"}, {"name": "b"}]}}
    assert apply_strategic(base, {"spec": {"values": {"$patch": "replace", "c": 3}}}) == {
        "spec": {"values": {"c": 3}, "containers": [{"name": "a"}, {"name": "b"}]}
    }
    assert apply_strategic(base, {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}) == {
        "spec": {"values": {"a": 1, "b": 2}, "containers": [{"name": "b"}]}
    }
    assert apply_strategic(base, {"$patch": "delete", "kind": "X"}) is None


# -- JSON 6902 --------------------------------------------------------------------------------


def test_json6902_operations():
    base = {"spec": {"a": 1, "list": [1, 2]}}
    ops = [
        {"op": "add", "path": "/spec/b", "value": {"c": 1}},
        {"op": "add", "path": "/spec/list/-", "value": 3},
        {"op": "add", "path": "/spec/list/0", "value": 0},
        {"op": "replace", "path": "/spec/a", "value": 2},
        {"op": "copy", "from": "/spec/a", "path": "/spec/copied"},
        {"op": "move", "from": "/spec/b/c", "path": "/spec/moved"},
        {"op": "remove", "path": "/spec/list/1"},
        {"op": "test", "path": "/spec/moved", "value": 1},
        {"op": "add", "path": "/metadata~1x", "value": "slash"},
    ]
    assert apply_json6902(base, ops) == {
        "spec": {"a": 2, "list": [0, 2, 3], "b": {}, "copied": 2, "moved": 1},
        "metadata/x": "slash",
    }
    assert base == {"spec": {"a": 1, "list": [1, 2]}}  # the input is not changed


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"op": "replace", "path": "/spec/missing", "value": 1}, "it does not exist"),
        ({"op": "remove", "path": "/spec/a/b"}, "it does not exist"),
        ({"op": "add", "path": "/spec/a/b", "value": 1}, "its parent is neither"),
        ({"op": "add", "path": "/spec/x/y", "value": 1}, "its parent does not exist"),
        ({"op": "add", "path": "/spec/list/5", "value": 1}, "index 5 is out of range"),
        ({"op": "test", "path": "/spec/a", "value": 2}, "the object has another value there"),
        ({"op": "copy", "from": "/nope", "path": "/spec/b"}, "it does not exist"),
    ],
)
def test_json6902_failures(op, message):
    with pytest.raises(ValueError) as info:
        apply_json6902(
            {"spec": {"a": 1, "list": []}}, [{"op": "add", "path": "/z", "value": 0}, op]
        )
    assert message in info.value.args[0]
    assert info.value.args[1] == 1


# -- parsing patches --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message", "pointer", "offset"),
    [
        (
            {"patch": "- op: add\n  path: /a: b\n", "target": {"kind": "X"}},
            "the patch is not valid YAML",
            "/spec/patches/0/patch",
            (2, 11),
        ),
        (
            {"patch": "- op: upsert\n  path: /a\n", "target": {"kind": "X"}},
            "operation 1 has unknown `op` `upsert`",
            "/spec/patches/0/patch",
            (1, 1),
        ),
        (
            {"patch": "- op: add\n  path: /a\n  value: 1\n- op: move\n  path: /b\n"},
            "operation 2 (`move`) needs a `from`",
            "/spec/patches/0/patch",
            (4, 1),
        ),
        (
            {"patch": "- op: add\n  path: /a\n  value: 1\n"},
            "a JSON 6902 patch needs a `target`",
            "/spec/patches/0",
            None,
        ),
        (
            {"patch": "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"},
            "a patch without `target` must name its object",
            "/spec/patches/0/patch",
            (1, 1),
        ),
        (
            {"patch": "just text", "target": {"kind": "X"}},
            "must be a strategic-merge mapping or a list",
            "/spec/patches/0/patch",
            (1, 1),
        ),
        (
            {"patch": "{}", "target": {"labelSelector": "a b"}},
            "`target.labelSelector`: invalid selector requirement `a b`",
            "/spec/patches/0/target/labelSelector",
            None,
        ),
    ],
)
def test_parse_patch_errors(item, message, pointer, offset):
    patch = parse_patch(item, 0)
    assert patch is not None and patch.error is not None
    assert message in patch.error.message
    assert (patch.error.pointer, patch.error.offset) == (pointer, offset)


def test_parse_patch_kinds():
    json_patch = parse_patch({"patch": "- op: remove\n  path: /a\n", "target": {"kind": "X"}}, 3)
    assert json_patch is not None and json_patch.error is None
    assert (
        json_patch.is_json
        and json_patch.op_lines == [1]
        and json_patch.pointer == "/spec/patches/3"
    )
    merge = parse_patch(
        {"patch": "kind: A\nmetadata: {name: a}\n---\nkind: B\nmetadata: {name: b}\n"}, 0
    )
    assert merge is not None and [d["kind"] for d in merge.strategic] == ["A", "B"]
    assert parse_patch({"target": {"kind": "X"}}, 0) is None  # no patch text: the schema says so


# -- the repository as deployed ---------------------------------------------------------------

PARENT = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  patches:
    - target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
      patch: |
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          interval: 1h
          prune: true
          sourceRef:
            kind: GitRepository
            name: flux-system
          patches:
            - target:
                kind: HelmRelease
              patch: |
                - op: add
                  path: /spec/install
                  value:
                    crds: CreateReplace
"""

CHILD = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  path: ./apps/web/app
"""

RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: web
spec:
  interval: 30m
  chartRef:
    kind: OCIRepository
    name: web
"""


def run_files(files: dict[str, str], rules: set[str]) -> tuple[Linter, list[Finding]]:
    """The per-file pass and the repository pass over ``files`` (FL511 keeps the index)."""
    linter = Linter(RunConfig(enabled=rules | {"FL511"}))
    findings: list[Finding] = []
    for path, text in sorted(files.items()):
        findings += linter.lint_text(path, text).findings
    findings += linter.check_repository(files.get)
    return linter, sorted(findings, key=Finding.sort_key)


def brief(findings: list[Finding], rule: str) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.message) for f in findings if f.rule_id == rule]


REPO = {
    "clusters/prod/apps.yaml": PARENT,
    "apps/kustomization.yaml": "resources:\n  - web/ks.yaml\n",
    "apps/web/ks.yaml": CHILD,
    "apps/web/app/release.yaml": RELEASE,
}


def test_patches_injected_by_a_parent_reach_the_grandchildren():
    # The graph builds a Kustomization from its manifest as written, so the child names its
    # source itself here; the rest comes from the parent.
    child = CHILD + "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    linter, _ = run_files({**REPO, "apps/web/ks.yaml": child}, {"FL105"})
    graph = repo_graph(linter.index)
    patched = patched_objects(graph)
    child = next(e for e in linter.index.entries if e.name == "web" and e.kind == "Kustomization")
    assert patched.kustomization(child)["spec"]["interval"] == "1h"
    release = next(e for e in linter.index.entries if e.kind == "HelmRelease")
    (inst,) = graph.instances(release)
    assert patched.deployed(inst)["spec"]["install"] == {"crds": "CreateReplace"}
    assert release.data["spec"].get("install") is None  # the manifest itself is untouched


def run_repo(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    """A whole run (entry points, applied set, effective objects) over ``files``."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return run(RunConfig(paths=[str(tmp_path)], enabled={"FL105"})).findings


def test_fields_the_parent_patches_in_are_not_missing(tmp_path: Path):
    # Checked alone, the child lacks interval, prune and sourceRef ...
    _, findings = run_files(REPO, {"FL105"})
    assert brief(findings, "FL105") == [
        ("apps/web/ks.yaml", 6, "missing required field `spec.interval`"),
        ("apps/web/ks.yaml", 6, "missing required field `spec.prune`"),
        ("apps/web/ks.yaml", 6, "missing required field `spec.sourceRef`"),
    ]
    # ... but the Kustomization that applies it patches them in: as deployed, nothing is.
    assert brief(run_repo(tmp_path, REPO), "FL105") == []


def test_fields_some_build_deploys_unpatched_are_missing(tmp_path: Path):
    other = {
        **REPO,
        # A second Kustomization applies the same child without patching it.
        "clusters/prod/raw.yaml": PARENT.replace("cluster-apps", "raw").split("  patches:")[0],
    }
    # Reported once each, naming the build that deploys the child without them.
    only = " (only in the build of Kustomization `flux-system/raw`)"
    assert [f.message for f in run_repo(tmp_path, other)] == [
        "missing required field `spec.interval`" + only,
        "missing required field `spec.prune`" + only,
        "missing required field `spec.sourceRef`" + only,
    ]


def test_fields_the_patch_does_not_supply_are_missing(tmp_path: Path):
    partial = {**REPO, "clusters/prod/apps.yaml": PARENT.replace("          prune: true\n", "")}
    assert brief(run_repo(tmp_path, partial), "FL105") == [
        ("apps/web/ks.yaml", 6, "missing required field `spec.prune`")
    ]


def test_an_object_nothing_applies_keeps_its_missing_fields(tmp_path: Path):
    assert [f.message for f in run_repo(tmp_path, {"web.yaml": CHILD})] == [
        "missing required field `spec.interval`",
        "missing required field `spec.prune`",
        "missing required field `spec.sourceRef`",
    ]


# -- FL511 / FL512 severities and messages ----------------------------------------------------

NOTHING = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  patches:
    - target:
        kind: HelmRelease
        name: ${APP}
      patch: |
        - op: add
          path: /spec/timeout
          value: 5m
    - target:
        kind: HelmRelease
        name: web
      patch: |
        - op: add
          path: /spec/timeout
          value: 5m
    - patch: |
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: api
        spec:
          interval: 5m
---
""" + RELEASE.replace("name: web\n  namespace", "name: podinfo\n  namespace")


def test_fl511_severities_and_messages():
    _, findings = run_files({"apps.yaml": NOTHING}, {"FL511"})
    assert [(f.line, f.column, str(f.severity), f.message) for f in findings] == [
        (
            21,
            7,
            "warning",
            "the patch target (kind `HelmRelease`, name `web`) selects nothing that "
            "Kustomization `flux-system/apps` applies (it applies HelmRelease `podinfo`)",
        ),
        (
            28,
            14,
            "error",
            "the patch (kind `HelmRelease`, name `api`) has no `target` and no object that "
            "Kustomization `flux-system/apps` applies has its kind and name: kustomize fails the "
            "build (it applies HelmRelease `podinfo`)",
        ),
    ]


def test_fl511_resolves_target_placeholders_through_the_parent():
    parent = PARENT.split("  patches:")[0] + "  postBuild:\n    substitute:\n      APP: web\n"
    child = CHILD.replace(
        "spec:\n",
        "spec:\n  interval: 1h\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
        "    name: flux-system\n  patches:\n    - target:\n        kind: HelmRelease\n"
        "        name: ${APP}-.*\n      patch: |\n        - op: remove\n          path: /spec/x\n",
    )
    files = {**REPO, "clusters/prod/apps.yaml": parent, "apps/web/ks.yaml": child}
    _, findings = run_files(files, {"FL511", "FL512"})
    assert brief(findings, "FL511") == [
        (
            "apps/web/ks.yaml",
            13,
            "the patch target (kind `HelmRelease`, name `web-.*`) selects nothing that "
            "Kustomization `flux-system/web` applies (it applies HelmRelease `web`)",
        )
    ]
    assert brief(findings, "FL512") == []


def test_fl512_reports_each_failing_patch_once():
    release_b = RELEASE.replace("name: web\n  namespace", "name: api\n  namespace")
    text = (
        NOTHING.split("  patches:")[0]
        + "  patches:\n    - target:\n        kind: HelmRelease\n      patch: |\n"
        "        - op: remove\n          path: /spec/suspend\n---\n" + RELEASE + "---\n" + release_b
    )
    _, findings = run_files({"apps.yaml": text}, {"FL512"})
    assert brief(findings, "FL512") == [
        (
            "apps.yaml",
            17,
            "operation 1 cannot apply to HelmRelease `web/web`: `remove` of `/spec/suspend`: "
            "it does not exist in the object; kustomize fails the build",
        )
    ]
