"""Effective objects (model/effective.py, check/effective.py): schema checks judge each object
as its builds deploy it, and each finding points at the line that produced the value."""

from __future__ import annotations

from pathlib import Path

from manifests import bootstrap_sync, write_tree

from flux_lint.check.engine import RunConfig
from flux_lint.core.findings import Finding
from flux_lint.run.pipeline import run

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${REPLICAS:=1}
  revisionHistoryLimit: "5"
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

APPS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/{overlay}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
{extra}"""

PATCHED = {
    "clusters/prod/flux-system/gotk-sync.yaml": bootstrap_sync("prod"),
    "clusters/prod/apps.yaml": APPS.format(
        overlay="prod",
        extra="""\
  patches:
    - target:
        kind: Deployment
      patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: any
        spec:
          template:
            spec:
              terminationGracePeriodSeconds: soon
""",
    ),
    "apps/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
    "apps/base/deployment.yaml": DEPLOYMENT,
    "apps/prod/kustomization.yaml": """\
resources:
  - ../base
patches:
  - path: deployment-patch.yaml
""",
    # The overlay fixes the manifest's revisionHistoryLimit and breaks its replicas.
    "apps/prod/deployment-patch.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: three
  revisionHistoryLimit: 5
""",
}


write = write_tree


def lint(root: Path, files: dict[str, str]) -> list[Finding]:
    write(root, files)
    return run(RunConfig(paths=[str(root)], enabled={"FL102", "FL105"})).findings


def brief(findings: list[Finding]) -> list[tuple[str, str, int, int, str]]:
    return [(f.rule_id, f.path, f.span.line, f.span.column, f.message) for f in findings]


def test_finding_whose_value_comes_from_a_patch(tmp_path: Path):
    # The manifest's own `revisionHistoryLimit: "5"` is fixed by the overlay: not reported.
    # The overlay's patch file breaks `replicas`: the patch file's own check says so, once.
    # The Flux Kustomization's inline patch breaks the grace period: reported at its line.
    assert brief(lint(tmp_path, PATCHED)) == [
        (
            "FL102",
            "apps/prod/deployment-patch.yaml",
            6,
            13,
            '`spec.replicas` must be of type `integer`, got string `"three"`',
        ),
        (
            "FL102",
            "clusters/prod/apps.yaml",
            24,
            46,
            "`spec.template.spec.terminationGracePeriodSeconds` must be of type `integer`, "
            'got string `"soon"` (set by the patch in clusters/prod/apps.yaml:24)',
        ),
    ]


def test_manifest_checked_alone_keeps_its_own_findings(tmp_path: Path):
    # The base alone (no Flux Kustomization) is deployed as written.
    files = {"apps/base/kustomization.yaml": PATCHED["apps/base/kustomization.yaml"]}
    files["apps/base/deployment.yaml"] = DEPLOYMENT
    assert brief(lint(tmp_path, files)) == [
        (
            "FL102",
            "apps/base/deployment.yaml",
            7,
            25,
            '`spec.revisionHistoryLimit` must be of type `integer`, got string `"5"`',
        ),
    ]


def cluster(name: str, replicas: str) -> dict[str, str]:
    return {
        f"clusters/{name}/flux-system/gotk-sync.yaml": bootstrap_sync(name),
        f"clusters/{name}/apps.yaml": APPS.format(
            overlay="base",
            extra=f"""\
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  REPLICAS: "{replicas}"
""",
        ).replace("name: apps\n", f"name: apps-{name}\n"),
    }


def two_clusters(staging: str) -> dict[str, str]:
    base = DEPLOYMENT.replace('revisionHistoryLimit: "5"', "revisionHistoryLimit: 5")
    return {
        **cluster("prod", "3"),
        **cluster("staging", staging),
        "apps/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/base/deployment.yaml": base,
    }


def test_two_clusters_with_different_substitutions(tmp_path: Path):
    # Each cluster's ConfigMap has the same name in its own folder: the values of both are
    # known, and only staging's breaks the integer field.
    assert brief(lint(tmp_path, two_clusters("two"))) == [
        (
            "FL102",
            "clusters/staging/apps.yaml",
            24,
            13,
            '`spec.replicas` must be of type `integer`, got string `"two"`'
            " (substituted from clusters/staging/apps.yaml:24: `REPLICAS` = `two`)"
            " (only in the build of Kustomization `flux-system/apps-staging`)",
        ),
    ]


def test_two_clusters_with_valid_substitutions(tmp_path: Path):
    assert brief(lint(tmp_path, two_clusters("2"))) == []


def test_inline_overlay_patch_and_json6902_point_at_their_lines(tmp_path: Path):
    files = {
        **PATCHED,
        "clusters/prod/apps.yaml": APPS.format(overlay="prod", extra=""),
        "apps/prod/kustomization.yaml": """\
resources:
  - ../base
patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        revisionHistoryLimit: 5
        minReadySeconds: later
  - target:
      kind: Deployment
      name: web
    patch: |
      - op: replace
        path: /spec/replicas
        value: many
""",
    }
    del files["apps/prod/deployment-patch.yaml"]
    assert brief(lint(tmp_path, files)) == [
        (
            "FL102",
            "apps/prod/kustomization.yaml",
            11,
            26,
            '`spec.minReadySeconds` must be of type `integer`, got string `"later"`'
            " (set by the patch in apps/prod/kustomization.yaml:11)",
        ),
        (
            "FL102",
            "apps/prod/kustomization.yaml",
            18,
            16,
            '`spec.replicas` must be of type `integer`, got string `"many"`'
            " (set by the patch in apps/prod/kustomization.yaml:18)",
        ),
    ]


def test_values_not_known_are_not_judged(tmp_path: Path):
    # SOPS ciphertext, and a ConfigMap the repository does not hold: no value, no finding.
    files = two_clusters("2")
    files["clusters/staging/apps.yaml"] = (
        files["clusters/staging/apps.yaml"]
        .replace('REPLICAS: "2"', "REPLICAS: ENC[AES256_GCM,data:abc=,iv:x=,tag:y=,type:str]")
        .replace("kind: ConfigMap\n", "kind: Secret\n")
        .replace("      - kind: ConfigMap", "      - kind: Secret")
    )
    files["clusters/prod/apps.yaml"] = files["clusters/prod/apps.yaml"].replace(
        "name: cluster-vars\n", "name: elsewhere\n", 1
    )
    assert brief(lint(tmp_path, files)) == []


def test_a_changed_configmap_relints_the_child(tmp_path: Path):
    cache = tmp_path / "cache"
    repo = tmp_path / "repo"
    write(repo, two_clusters("2"))
    config = RunConfig(paths=[str(repo)], enabled={"FL102"}, cache_dir=cache)
    assert run(config).findings == []
    write(
        repo,
        {"clusters/staging/apps.yaml": cluster("staging", "two")["clusters/staging/apps.yaml"]},
    )
    second = run(config)
    assert [(f.path, f.span.line) for f in second.findings] == [("clusters/staging/apps.yaml", 24)]
    write(
        repo, {"clusters/staging/apps.yaml": cluster("staging", "4")["clusters/staging/apps.yaml"]}
    )
    assert run(config).findings == []


def test_a_default_applies_only_when_every_source_is_known(tmp_path: Path):
    files = two_clusters("2")
    files["apps/base/deployment.yaml"] = files["apps/base/deployment.yaml"].replace(
        "${REPLICAS:=1}", "${SCALE:=lots}"
    )
    # prod reads a ConfigMap the repository does not hold: it may define SCALE.
    files["clusters/prod/apps.yaml"] = files["clusters/prod/apps.yaml"].replace(
        "name: cluster-vars\n", "name: elsewhere\n", 1
    )
    # staging's sources are all known and none defines SCALE: the default applies.
    assert brief(lint(tmp_path, files)) == [
        (
            "FL102",
            "apps/base/deployment.yaml",
            6,
            13,
            '`spec.replicas` must be of type `integer`, got string `"lots"`'
            " (the placeholder's default: no variable `SCALE` is defined)"
            " (only in the build of Kustomization `flux-system/apps-staging`)",
        ),
    ]


def test_a_patch_adding_list_items_leaves_the_others_at_the_manifest(tmp_path: Path):
    files = {
        **PATCHED,
        "clusters/prod/apps.yaml": APPS.format(overlay="prod", extra=""),
        "apps/base/deployment.yaml": DEPLOYMENT.replace('revisionHistoryLimit: "5"', "paused: true")
        + "          ports:\n            - containerPort: http\n",
        # The overlay adds a sidecar (merged by name) with a bad port of its own.
        "apps/prod/deployment-patch.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: busybox
          ports:
            - containerPort: metrics
""",
    }
    found = brief(lint(tmp_path, files))
    assert [(rule, path, line) for rule, path, line, _, _ in found] == [
        ("FL102", "apps/base/deployment.yaml", 20),
        ("FL102", "apps/prod/deployment-patch.yaml", 12),
    ]


def test_builds_apply_transformers_in_order(tmp_path: Path):
    from flux_lint.check.engine import Linter
    from flux_lint.model.effective import EffectiveObjects
    from flux_lint.model.graph import repo_graph

    files = {
        **PATCHED,
        "clusters/prod/apps.yaml": APPS.format(
            overlay="prod",
            extra="""\
  targetNamespace: web
  namePrefix: prod-
  images:
    - name: nginx
      newTag: "1.28"
  postBuild:
    substitute:
      REPLICAS: "4"
""",
        ),
        "apps/prod/kustomization.yaml": """\
resources:
  - ../base
commonLabels:
  team: web
replicas:
  - name: web
    count: 2
images:
  - name: nginx
    newName: mirror.example.com/nginx
patches:
  - path: deployment-patch.yaml
""",
    }
    linter = Linter(RunConfig())
    for path, text in sorted(files.items()):
        linter.lint_text(path, text)
    assert linter.index is not None
    effective = EffectiveObjects(repo_graph(linter.index))
    effective.use_index(linter.index)
    web = next(e for e in linter.index.entries if e.kind == "Deployment")
    (build,) = effective.builds_of(web) or []
    assert build.label == "flux-system/apps"
    data = build.data
    assert data is not None
    assert data["metadata"] == {"name": "prod-web", "namespace": "web", "labels": {"team": "web"}}
    # The overlay's patch sets replicas; its `replicas` transformer runs after it; the
    # substitution has nothing left to replace.
    assert data["spec"]["replicas"] == 2
    assert data["spec"]["revisionHistoryLimit"] == 5
    image = data["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "mirror.example.com/nginx:1.28"


def test_a_failure_building_an_object_is_an_internal_finding(tmp_path: Path, monkeypatch):
    from flux_lint.model.effective import EffectiveObjects

    def broken(self, entry):
        raise RuntimeError("boom")

    monkeypatch.setattr(EffectiveObjects, "substituted", broken)
    write(tmp_path, two_clusters("two"))
    findings = run(RunConfig(paths=[str(tmp_path)], enabled={"FL102", "FL009"})).findings
    # Every object is asked; the run goes on and says so for each, nothing else is reported.
    assert {f.rule_id for f in findings} == {"FL009"}
    assert "apps/base/deployment.yaml" in {f.path for f in findings}
    assert all("could not be built: RuntimeError: boom" in f.message for f in findings)


def test_a_changed_overlay_relints_the_base(tmp_path: Path):
    repo = tmp_path / "repo"
    files = {**PATCHED, "clusters/prod/apps.yaml": APPS.format(overlay="prod", extra="")}
    files["apps/prod/deployment-patch.yaml"] = files["apps/prod/deployment-patch.yaml"].replace(
        "  replicas: three\n", ""
    )
    write(repo, files)
    config = RunConfig(paths=[str(repo)], enabled={"FL102"}, cache_dir=tmp_path / "cache")
    assert run(config).findings == []  # the overlay fixes the base's revisionHistoryLimit
    write(repo, {"apps/prod/kustomization.yaml": "resources:\n  - ../base\n"})
    # Nothing patches the base any more: its own file is linted again and the value is back.
    assert [(f.path, f.span.line) for f in run(config).findings] == [
        ("apps/base/deployment.yaml", 7)
    ]


def test_deprecated_patch_fields_are_applied_in_kustomizes_order(tmp_path: Path):
    # `patchesStrategicMerge` (a file and an inline patch) runs before `patches`, and the
    # deprecated `patchesJson6902` after them: the file fixes the manifest's own
    # revisionHistoryLimit, the inline merge patch sets replicas, which the JSON 6902 operation
    # then breaks.
    files = {
        "clusters/prod/flux-system/gotk-sync.yaml": bootstrap_sync("prod"),
        "clusters/prod/apps.yaml": APPS.format(overlay="prod", extra=""),
        "apps/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/base/deployment.yaml": DEPLOYMENT,
        "apps/prod/kustomization.yaml": """\
resources:
  - ../base
patchesStrategicMerge:
  - history.yaml
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 2
patchesJson6902:
  - target:
      group: apps
      version: v1
      kind: Deployment
      name: web
    patch: |-
      - op: replace
        path: /spec/replicas
        value: two
""",
        "apps/prod/history.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  revisionHistoryLimit: 5
""",
    }
    assert brief(lint(tmp_path, files)) == [
        (
            "FL102",
            "apps/prod/kustomization.yaml",
            21,
            16,
            '`spec.replicas` must be of type `integer`, got string `"two"` '
            "(set by the patch in apps/prod/kustomization.yaml:21)",
        ),
    ]
    # Without the deprecated fields the manifest is deployed as written.
    files["apps/prod/kustomization.yaml"] = "resources:\n  - ../base\n"
    assert [f[:4] for f in brief(lint(tmp_path, files))] == [
        ("FL102", "apps/base/deployment.yaml", 7, 25)
    ]


def test_each_document_of_a_patch_file_patches_its_own_object(tmp_path: Path):
    # One patch file for a Deployment and a Service: each document merges into the object of
    # its own kind and name only (a Deployment has no `spec.ports`, a Service no
    # `spec.replicas`), and a wrong type in the Service's document is reported there.
    files = {
        "clusters/prod/flux-system/gotk-sync.yaml": bootstrap_sync("prod"),
        "clusters/prod/apps.yaml": APPS.format(overlay="prod", extra=""),
        "apps/base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - service.yaml\n",
        "apps/base/deployment.yaml": DEPLOYMENT.replace('"5"', "5"),
        "apps/base/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
""",
        "apps/prod/kustomization.yaml": """\
resources:
  - ../base
patches:
  - path: web.yaml
""",
        "apps/prod/web.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  publishNotReadyAddresses: "yes"
""",
    }
    write(tmp_path, files)
    findings = run(RunConfig(paths=[str(tmp_path)], enabled={"FL101", "FL102"})).findings
    assert brief(findings) == [
        (
            "FL102",
            "apps/prod/web.yaml",
            13,
            29,
            '`spec.publishNotReadyAddresses` must be of type `boolean`, got string `"yes"`',
        ),
    ]


def test_changes_not_modelled_leave_required_fields_unjudged(tmp_path: Path):
    # The overlay's `replacements` and a component that patches are not applied by the model:
    # a field they may supply is not reported missing; with neither, it is.
    base = {
        "clusters/prod/flux-system/gotk-sync.yaml": bootstrap_sync("prod"),
        "clusters/prod/apps.yaml": APPS.format(overlay="prod", extra=""),
        "apps/base/kustomization.yaml": "resources:\n  - kustomization-apps.yaml\n",
        "apps/base/kustomization-apps.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  path: ./web
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    }
    replaced = {
        **base,
        "apps/prod/kustomization.yaml": """\
resources:
  - ../base
replacements:
  - source:
      kind: ConfigMap
      name: values
      fieldPath: data.prune
    targets:
      - select:
          kind: Kustomization
        fieldPaths:
          - spec.prune
        options:
          create: true
""",
    }
    component = {
        **base,
        "apps/prod/kustomization.yaml": "resources:\n  - ../base\ncomponents:\n  - ../prune\n",
        "apps/prune/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target:
      kind: Kustomization
    patch: |
      - op: add
        path: /spec/prune
        value: true
""",
    }
    plain = {**base, "apps/prod/kustomization.yaml": "resources:\n  - ../base\n"}
    assert brief(lint(tmp_path / "replaced", replaced)) == []
    assert brief(lint(tmp_path / "component", component)) == []
    assert brief(lint(tmp_path / "plain", plain)) == [
        (
            "FL105",
            "apps/base/kustomization-apps.yaml",
            6,
            1,
            "missing required field `spec.prune`",
        ),
    ]
