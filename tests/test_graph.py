"""The repository graph: kustomize includes, Flux Kustomization builds, namespaces."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from flux_lint.check.engine import Linter, RunConfig
from flux_lint.load.yaml import load_text
from flux_lint.model.graph import (
    COMPONENT,
    DATA,
    PATCH,
    RESOURCE,
    Include,
    repo_graph,
    substitute,
)
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.kustomize import file_roles, is_kustomization_file, is_kustomize_config


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def index_of(root: Path, prefix: str = "") -> RepoIndex:
    """Index every YAML file below ``root`` the way a run does, with display paths relative
    to ``root`` (``prefix`` prepended, as when a repository is linted from a parent folder)."""
    linter = Linter(RunConfig(enabled={"FL501"}))
    files = {prefix + p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*.y*ml"))}
    roles: dict[str, str] = {}
    for display, path in files.items():
        if is_kustomization_file(display):
            for doc in load_text(path.read_text(encoding="utf-8")).documents:
                if isinstance(doc.data, dict) and is_kustomize_config(doc.data, display):
                    for target, role in file_roles(display, doc.data).items():
                        roles.setdefault(target, role)
    for display, path in files.items():
        linter.lint_text(display, path.read_text(encoding="utf-8"), roles.get(display))
    assert linter.index is not None
    return linter.index


def only(index: RepoIndex, kind: str, name: str, path: str | None = None) -> IndexEntry:
    found = [e for e in index.entries if e.kind == kind and e.name == name]
    if path is not None:
        found = [e for e in found if e.path == path]
    assert len(found) == 1, found
    return found[0]


def ks(name: str, path: str, *, source: str = "flux-system", extra: str = "") -> str:
    """A Flux Kustomization; ``extra`` holds more ``spec`` lines, indented by two spaces."""
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
        "kind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: {source}\n"
        f"  path: {path}\n  prune: true\n{extra}\n"
    )


CONFIGMAP = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {name}
    {namespace}
    data:
      key: value
    """


def cm(name: str, namespace: str | None = None) -> str:
    ns = f"  namespace: {namespace}" if namespace else ""
    return CONFIGMAP.format(name=name, namespace=ns)


# -- the kustomize graph -------------------------------------------------------------------------


def test_includes_resolve_every_local_reference_relative_to_the_kustomization(tmp_path):
    write(
        tmp_path,
        {
            "app/kustomization.yaml": """
                resources:
                  - deploy.yaml
                  - ../base
                  - https://github.com/example/repo//deploy?ref=main
                  - github.com/example/other/deploy
                components:
                  - ../components/monitoring
                patches:
                  - path: patch.yaml
                    target:
                      kind: Deployment
                patchesStrategicMerge:
                  - merge.yaml
                configMapGenerator:
                  - name: settings
                    files:
                      - config.json
                      - extra=extra.yaml
                """,
            "base/kustomization.yaml": "resources: []\n",
        },
    )
    graph = repo_graph(index_of(tmp_path))
    assert graph.includes("app/kustomization.yaml") == [
        Include("resources", RESOURCE, "deploy.yaml", "app/deploy.yaml"),
        Include("resources", RESOURCE, "../base", "base", "base/kustomization.yaml"),
        Include("components", COMPONENT, "../components/monitoring", "components/monitoring"),
        Include("patches", PATCH, "patch.yaml", "app/patch.yaml"),
        Include("patchesStrategicMerge", PATCH, "merge.yaml", "app/merge.yaml"),
        Include("configMapGenerator", DATA, "config.json", "app/config.json"),
        Include("configMapGenerator", DATA, "extra=extra.yaml", "app/extra.yaml"),
    ]
    assert graph.kustomization_in("base") == "base/kustomization.yaml"
    assert graph.kustomization_in("app/nothing") is None


def test_the_outermost_kustomize_namespace_wins(tmp_path):
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "namespace: base\nresources: [config.yaml, ns.yaml]\n",
            "base/config.yaml": cm("settings", "written"),
            "base/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n",
            "overlay/kustomization.yaml": "namespace: overlay\nresources: [../base]\n",
            "plain/kustomization.yaml": "resources: [config.yaml]\n",
            "plain/config.yaml": cm("plain", "written"),
        },
    )
    index = index_of(tmp_path)
    graph = repo_graph(index)
    built = {(i.kind, i.name, i.namespace) for i in graph.build("overlay")}
    # kustomize renames a Namespace object to the namespace it sets.
    assert built == {("ConfigMap", "settings", "overlay"), ("Namespace", "overlay", None)}
    assert {(i.name, i.namespace) for i in graph.build("base")} == {
        ("settings", "base"),
        ("base", None),
    }
    settings = only(index, "ConfigMap", "settings")
    # base/ is included by overlay/, so only the overlay build is a root.
    assert graph.kustomize_roots == ["overlay/kustomization.yaml", "plain/kustomization.yaml"]
    assert graph.effective_namespace(settings) == "overlay"
    assert graph.effective_namespace(only(index, "ConfigMap", "plain")) == "written"


def test_a_file_in_two_builds_has_two_namespaces(tmp_path):
    write(
        tmp_path,
        {
            "base/config.yaml": cm("settings"),
            "prod/kustomization.yaml": "namespace: prod\nresources: [../base/config.yaml]\n",
            "dev/kustomization.yaml": "namespace: dev\nresources: [../base/config.yaml]\n",
            "loose.yaml": cm("loose", "written"),
        },
    )
    index = index_of(tmp_path)
    graph = repo_graph(index)
    settings = only(index, "ConfigMap", "settings")
    assert graph.effective_namespaces(settings) == {"prod", "dev"}
    assert graph.effective_namespace(settings) is None
    loose = only(index, "ConfigMap", "loose")
    assert [(i.namespace, i.applier, i.chain) for i in graph.instances(loose)] == [
        ("written", None, ())
    ]


def test_generated_configmaps_carry_their_keys(tmp_path):
    write(
        tmp_path,
        {
            "app/kustomization.yaml": """
                namespace: app
                configMapGenerator:
                  - name: values
                    files: [values.yaml, custom=other.yaml]
                    literals: [replicas=2]
                  - name: env
                    envs: [app.env]
                secretGenerator:
                  - name: token
                    namespace: ignored
                    literals: [token=abc]
                """,
        },
    )
    graph = repo_graph(index_of(tmp_path))
    generated = {
        (i.kind, i.name, i.namespace, i.keys) for i in graph.all_instances() if i.generated
    }
    assert generated == {
        ("ConfigMap", "values", "app", frozenset({"values.yaml", "custom", "replicas"})),
        ("ConfigMap", "env", "app", None),
        ("Secret", "token", "app", frozenset({"token"})),
    }


# -- Flux Kustomizations ---------------------------------------------------------------------------


def test_applied_files_follow_the_kustomization_recursively(tmp_path):
    write(
        tmp_path,
        {
            "clusters/prod/apps.yaml": ks(
                "apps",
                "./apps/prod",
                extra="  targetNamespace: web\n  components:\n    - ../../components/extra",
            ),
            "apps/prod/kustomization.yaml": "resources: [../base, local.yaml]\n",
            "apps/prod/local.yaml": cm("local", "written"),
            "apps/prod/unlisted.yaml": cm("unlisted"),
            "apps/base/kustomization.yaml": "namespace: base\nresources: [config.yaml]\n",
            "apps/base/config.yaml": cm("config"),
            "components/extra/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                "resources: [extra.yaml]\n"
            ),
            "components/extra/extra.yaml": cm("extra"),
        },
    )
    index = index_of(tmp_path)
    graph = repo_graph(index)
    apps = only(index, "Kustomization", "apps")
    assert graph.is_local_source(apps)
    assert graph.path_folder(apps) == "apps/prod"
    assert graph.target_namespace(apps) == "web"
    assert graph.applied_files(apps) == [
        "apps/base/config.yaml",
        "apps/prod/local.yaml",
        "components/extra/extra.yaml",
    ]
    assert [e.name for e in graph.applied_objects(apps)] == ["config", "local", "extra"]
    # targetNamespace overrides every kustomize namespace below it.
    assert {i.namespace for i in graph.applied_instances(apps)} == {"web"}
    assert graph.appliers("apps/base/config.yaml") == [apps]
    assert graph.appliers("apps/prod/unlisted.yaml") == []
    assert graph.left_out_by("apps/prod/unlisted.yaml") == apps
    assert graph.left_out_by("apps/prod/local.yaml") is None


def test_a_folder_without_kustomization_is_every_yaml_file_below_it(tmp_path):
    write(
        tmp_path,
        {
            "clusters/prod/flux-system/gotk-sync.yaml": ks("flux-system", "./clusters/prod"),
            "clusters/prod/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
            "clusters/prod/apps.yaml": ks("apps", "./apps"),
            "clusters/prod/nested/deeper/config.yaml": cm("deep"),
            "apps/kustomization.yaml": "resources: [app.yaml]\n",
            "apps/app.yaml": cm("app"),
            "apps/not-listed.yaml": cm("not-listed"),
        },
    )
    index = index_of(tmp_path)
    graph = repo_graph(index)
    root = only(index, "Kustomization", "flux-system")
    assert graph.applied_files(root) == [
        "clusters/prod/apps.yaml",
        "clusters/prod/flux-system/gotk-sync.yaml",
        "clusters/prod/nested/deeper/config.yaml",
    ]
    # The flux-system Kustomization applies its own file: a self-managed bootstrap.
    assert graph.appliers("clusters/prod/flux-system/gotk-sync.yaml") == [root]
    apps = only(index, "Kustomization", "apps")
    assert graph.applied_files(apps) == ["apps/app.yaml"]
    assert graph.effective_namespace(apps) == "flux-system"


def test_sources_of_other_repositories_apply_nothing_here(tmp_path):
    write(
        tmp_path,
        {
            "clusters/prod/sync.yaml": """
                apiVersion: source.toolkit.fluxcd.io/v1
                kind: GitRepository
                metadata:
                  name: fleet
                  namespace: flux-system
                spec:
                  interval: 1h
                  url: ssh://git@github.com/example/fleet.git
                ---
                apiVersion: source.toolkit.fluxcd.io/v1
                kind: GitRepository
                metadata:
                  name: fleet-main
                  namespace: flux-system
                spec:
                  interval: 1h
                  url: https://github.com/example/fleet
                ---
                apiVersion: source.toolkit.fluxcd.io/v1
                kind: GitRepository
                metadata:
                  name: upstream
                  namespace: flux-system
                spec:
                  interval: 1h
                  url: https://github.com/fluxcd/flux2
                """,
            "clusters/prod/ks.yaml": "\n---\n".join(
                [
                    ks("fleet", "./clusters/prod", source="fleet"),
                    ks("fleet-main", "./apps", source="fleet-main"),
                    ks("upstream", "./manifests/install", source="upstream"),
                ]
            ),
            "apps/app.yaml": cm("app"),
        },
    )
    index = index_of(tmp_path)
    graph = repo_graph(index)
    # `fleet` is this repository: a Kustomization reading it has a path that exists here.
    assert graph.is_local_source(only(index, "Kustomization", "fleet"))
    # `fleet-main` has the same URL as `fleet`.
    assert graph.is_local_source(only(index, "Kustomization", "fleet-main"))
    upstream = only(index, "Kustomization", "upstream")
    assert not graph.is_local_source(upstream)
    assert graph.applied_files(upstream) == []
    assert graph.root_confirmed


def test_the_root_is_found_when_the_repository_is_linted_from_a_parent_folder(tmp_path):
    write(
        tmp_path,
        {
            "clusters/prod/apps.yaml": ks("apps", "./apps"),
            "apps/app.yaml": cm("app"),
        },
    )
    index = index_of(tmp_path, prefix="examples/repo/")
    graph = repo_graph(index)
    assert (graph.root, graph.root_confirmed) == ("examples/repo", True)
    apps = only(index, "Kustomization", "apps")
    assert graph.path_folder(apps) == "examples/repo/apps"
    assert graph.applied_files(apps) == ["examples/repo/apps/app.yaml"]


def test_the_root_is_not_confirmed_without_an_existing_path(tmp_path):
    write(tmp_path, {"clusters/prod/apps.yaml": ks("apps", "./apps")})
    graph = repo_graph(index_of(tmp_path))
    assert (graph.root, graph.root_confirmed) == ("", False)
    apps = graph.flux_kustomizations[0]
    assert graph.applied_files(apps) == []


def test_variables_come_from_substitute_and_repository_configmaps(tmp_path):
    write(
        tmp_path,
        {
            "clusters/prod/apps.yaml": ks(
                "apps",
                "./apps",
                extra=(
                    "  postBuild:\n    substitute:\n      APP: web\n"
                    "    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings"
                ),
            ),
            "clusters/prod/settings.yaml": """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: cluster-settings
                  namespace: flux-system
                data:
                  REGION: eu-west-1
                  APP: ignored
                """,
            "apps/app.yaml": cm("${APP}-${REGION}"),
        },
    )
    index = index_of(tmp_path)
    graph = repo_graph(index)
    apps = only(index, "Kustomization", "apps")
    assert graph.variables(apps) == {"REGION": "eu-west-1", "APP": "web"}
    [instance] = graph.applied_instances(apps)
    assert instance.resolved_name == "web-eu-west-1"


def test_the_graph_is_cached_until_the_index_grows(tmp_path):
    write(tmp_path, {"app.yaml": cm("app")})
    index = index_of(tmp_path)
    first = repo_graph(index)
    assert repo_graph(index) is first
    index.add(IndexEntry("other.yaml", 0, "v1", "ConfigMap", None, "other", {}))
    assert repo_graph(index) is not first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${APP}", "web"),
        ("${APP}-${MISSING:=fallback}", "web-fallback"),
        ("${MISSING:-dash}", "dash"),
        ("${EMPTY:=set}", "set"),
        ("${MISSING}", None),
        ("${APP/./-}", None),
        ("$${APP}", "${APP}"),
    ],
)
def test_substitute(text, expected):
    assert substitute(text, {"APP": "web", "EMPTY": ""}) == expected


def test_name_prefixes_and_suffixes_nest(tmp_path):
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "namePrefix: app-\nresources: [config.yaml]\n",
            "base/config.yaml": textwrap.dedent(cm("settings")) + "---\napiVersion: v1\n"
            "kind: Namespace\n"
            "metadata:\n  name: web\n",
            "overlay/kustomization.yaml": (
                "namePrefix: prod-\nnameSuffix: -v1\nresources: [../base]\n"
                "configMapGenerator:\n  - name: values\n    literals: [a=b]\n"
            ),
        },
    )
    graph = repo_graph(index_of(tmp_path))
    assert sorted((i.kind, i.name) for i in graph.build("overlay")) == [
        ("ConfigMap", "prod-app-settings-v1"),
        ("ConfigMap", "prod-values-v1"),
        ("Namespace", "web"),
    ]


def test_artifact_generator_copies_map_paths_back_to_the_repository(tmp_path):
    write(
        tmp_path,
        {
            "clusters/prod/artifacts.yaml": """
                apiVersion: source.extensions.fluxcd.io/v1beta1
                kind: ArtifactGenerator
                metadata:
                  name: flux-system
                  namespace: flux-system
                spec:
                  sources:
                    - alias: monorepo
                      kind: GitRepository
                      name: flux-system
                    - alias: other
                      kind: GitRepository
                      name: elsewhere
                  artifacts:
                    - name: apps
                      copy:
                        - from: "@monorepo/apps/base/**"
                          to: "@artifact/base/"
                        - from: "@monorepo/apps/prod/**"
                          to: "@artifact/prod/"
                    - name: foreign
                      copy:
                        - from: "@other/deploy/**"
                          to: "@artifact/"
                """,
            "clusters/prod/apps.yaml": """
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata:
                  name: apps
                  namespace: flux-system
                spec:
                  interval: 1h
                  prune: true
                  path: ./prod
                  sourceRef:
                    kind: ExternalArtifact
                    name: apps
                ---
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata:
                  name: foreign
                  namespace: flux-system
                spec:
                  interval: 1h
                  prune: true
                  path: ./
                  sourceRef:
                    kind: ExternalArtifact
                    name: foreign
                """,
            "apps/prod/kustomization.yaml": "resources: [../base]\n",
            "apps/base/kustomization.yaml": "resources: [config.yaml]\n",
            "apps/base/config.yaml": cm("config"),
        },
    )
    index = index_of(tmp_path)
    graph = repo_graph(index)
    apps = only(index, "Kustomization", "apps")
    assert graph.is_local_source(apps)
    assert graph.path_folder(apps) == "apps/prod"
    assert graph.applied_files(apps) == ["apps/base/config.yaml"]
    foreign = only(index, "Kustomization", "foreign")
    assert not graph.is_local_source(foreign)
    assert graph.applied_files(foreign) == []
