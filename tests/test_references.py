"""Reference rules (FL501–FL510): severities, configuration and messages.

The rule fixtures (``tests/fixtures/rules/FL5*``) cover where findings start; these tests pin
what fixtures cannot express: severities, ``references:`` options, and that every docs example
triggers its rule through the repository pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from flux_lint.check.engine import Linter, RunConfig
from flux_lint.check.registry import builtin_registry
from flux_lint.core.findings import Finding, Severity

#: FL552 is judged per object (with the API lifecycle rules); its example runs in test_rules_meta.
REFERENCE_RULES = [r for r in builtin_registry() if r.id.startswith("FL5") and r.id != "FL552"]
#: Rules that need a repository layout to show (a Flux Kustomization, its path, files on
#: disk): their fixtures are folders, and they have no one-file docs example.
LAYOUT_RULES = {"FL509", "FL513", "FL514", "FL515", "FL516", "FL517", "FL518", "FL519", "FL551"}


def lint(
    files: dict[str, str], rules: set[str], options: dict[str, Any] | None = None
) -> list[Finding]:
    """Run the per-file pass over ``files`` and then the repository pass."""
    linter = Linter(RunConfig(enabled=rules))
    if options is not None:
        linter.ctx.options = options
    for path, text in sorted(files.items()):
        linter.lint_text(path, text)
    findings = linter.check_repository(files.get)
    return sorted((f for f in findings if f.rule_id in rules), key=Finding.sort_key)


def brief(findings: list[Finding]) -> list[tuple[str, int, str, str]]:
    return [(f.rule_id, f.line, str(f.severity), f.message) for f in findings]


@pytest.mark.parametrize("rule", REFERENCE_RULES, ids=lambda r: r.id)
def test_docs_example_triggers_and_use_instead_does_not(rule):
    if "example" not in rule.docs:
        assert rule.id in LAYOUT_RULES, f"{rule.id} needs an example"
        return
    assert [f.rule_id for f in lint({"example.yaml": rule.docs["example"]}, {rule.id})]
    assert lint({"fixed.yaml": rule.docs["useInstead"]}, {rule.id}) == []


HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: {namespace}
spec:
  interval: 30m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
        namespace: {source_namespace}
"""


def release(namespace: str = "apps", source_namespace: str = "apps") -> str:
    return HELM_RELEASE.format(namespace=namespace, source_namespace=source_namespace)


def test_a_missing_source_in_a_namespace_the_repository_uses_is_a_warning():
    assert brief(lint({"r.yaml": release()}, {"FL501"})) == [
        (
            "FL501",
            13,
            "warning",
            "source HelmRepository `apps/podinfo` is not defined in this repository",
        )
    ]


def test_a_missing_source_in_a_namespace_the_repository_never_uses_is_a_note():
    assert brief(lint({"r.yaml": release(source_namespace="charts")}, {"FL501"})) == [
        (
            "FL501",
            13,
            "note",
            "source HelmRepository `charts/podinfo` is not defined in this repository "
            "(nothing in this repository is in namespace `charts`)",
        )
    ]


def test_the_bootstrap_source_and_configured_externals_count_as_present():
    text = release(source_namespace="charts") + (
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n"
        "  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )
    assert [f.message for f in lint({"r.yaml": text}, {"FL501"})] == [
        "source HelmRepository `charts/podinfo` is not defined in this repository "
        "(nothing in this repository is in namespace `charts`)"
    ]
    for options in (
        {"references": {"external": ["HelmRepository/charts/*"]}},
        {"references": {"external": ["HelmRepository/podinfo"]}},
        {"references": {"externalNamespaces": ["char*"]}},
    ):
        assert lint({"r.yaml": text}, {"FL501"}, options) == [], options
    # An option that matches something else changes nothing.
    other = {"references": {"external": ["HelmRepository/apps/podinfo"]}}
    assert len(lint({"r.yaml": text}, {"FL501"}, other)) == 1


def flux_kustomization(name: str, path: str, source: str = "flux-system") -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n"
        f"  prune: true\n  path: {path}\n  sourceRef:\n    kind: GitRepository\n"
        f"    name: {source}\n"
    )


def test_a_source_is_this_repository_when_another_kustomization_proves_it():
    files = {
        "clusters/prod/apps.yaml": flux_kustomization("apps", "./missing", "fleet")
        + "---\n"
        + flux_kustomization("root", "./clusters/prod", "fleet"),
        "apps/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    }
    # `fleet` is this repository because `root` reads it with a path that exists.
    assert [(f.line, f.message) for f in lint(files, {"FL509"})] == [
        (9, "path `./missing` does not exist in this repository")
    ]


def test_repository_sources_name_the_sources_that_are_this_repository():
    files = {
        "clusters/prod/apps.yaml": flux_kustomization("apps", "./missing", "home-ops")
        + "---\n"
        + flux_kustomization("root", "./clusters/prod"),
        "apps/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    }
    # Nothing says `home-ops` is this repository: its path belongs to another one.
    assert lint(files, {"FL509"}) == []
    options = {"references": {"repositorySources": ["flux-system", "home-ops"]}}
    assert [f.message for f in lint(files, {"FL509"}, options)] == [
        "path `./missing` does not exist in this repository"
    ]


def test_a_path_outside_the_linted_files_is_not_reported():
    files = {
        "repo/clusters/prod/sync.yaml": (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1h\n"
            "  prune: true\n  path: ./repo/clusters/prod\n  sourceRef:\n"
            "    kind: GitRepository\n    name: flux-system\n---\n"
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n"
            "  prune: true\n  path: ./repo/apps\n  sourceRef:\n"
            "    kind: GitRepository\n    name: flux-system\n"
        ),
    }
    # Only repo/clusters/prod was linted: the root ("") is not covered, repo/apps may exist.
    assert lint(files, {"FL509"}) == []


def test_secrets_are_notes_and_configmaps_warnings():
    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n"
        "  namespace: apps\nspec:\n  interval: 1h\n  chartRef:\n    kind: OCIRepository\n"
        "    name: web\n  valuesFrom:\n    - kind: Secret\n      name: web-secret\n"
        "    - kind: ConfigMap\n      name: web-values\n"
    )
    assert brief(lint({"r.yaml": text}, {"FL508"})) == [
        ("FL508", 13, "note", "Secret `apps/web-secret` is not defined in this repository"),
        ("FL508", 15, "warning", "ConfigMap `apps/web-values` is not defined in this repository"),
    ]


def test_objects_applied_to_another_cluster_are_notes():
    files = {
        "hub/remote.yaml": (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata:\n  name: remote\n  namespace: flux-system\nspec:\n  interval: 1h\n"
            "  prune: true\n  path: ./deploy\n  targetNamespace: apps\n"
            "  kubeConfig:\n    secretRef:\n      name: kubeconfig\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
        ),
        "deploy/release.yaml": release(namespace="elsewhere").replace(
            "        namespace: apps\n", ""
        ),
    }
    assert brief(lint(files, {"FL501"})) == [
        (
            "FL501",
            13,
            "note",
            "source HelmRepository `apps/podinfo` is not defined in this repository "
            "(applied to another cluster through `spec.kubeConfig`)",
        )
    ]


def test_files_a_kustomization_leaves_out_are_notes():
    sync = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1h\n"
        "  prune: true\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n"
        "    name: flux-system\n"
    )
    files = {
        "clusters/prod/apps.yaml": sync,
        "apps/kustomization.yaml": "resources: [web]\n",
        "apps/web/kustomization.yaml": "resources: []\n",
        "apps/disabled/kustomization.yaml": "resources: [release.yaml]\n",
        "apps/disabled/release.yaml": release(),
    }
    assert brief(lint(files, {"FL501"})) == [
        (
            "FL501",
            13,
            "note",
            "source HelmRepository `apps/podinfo` is not defined in this repository "
            "(the file is not applied: Kustomization `flux-system/apps` leaves it out)",
        )
    ]


def test_a_cycle_is_reported_once_with_its_whole_path():
    def kustomization(name: str, depends: str) -> str:
        return (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            f"metadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n"
            f"  prune: true\n  dependsOn:\n    - name: {depends}\n  sourceRef:\n"
            "    kind: GitRepository\n    name: flux-system\n"
        )

    files = {
        "a.yaml": kustomization("b", "a"),
        "b.yaml": kustomization("a", "b"),
        "c.yaml": kustomization("c", "a"),
    }
    findings = lint(files, {"FL502", "FL503"})
    assert [(f.path, f.line, f.message) for f in findings] == [
        ("b.yaml", 10, "dependency cycle: `flux-system/a` → `flux-system/b` → `flux-system/a`")
    ]
    assert findings[0].severity is Severity.ERROR


def test_duplicates_are_reported_once_per_pair():
    sync = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1h\n"
        "  prune: true\n  path: ./\n  sourceRef:\n    kind: GitRepository\n"
        "    name: flux-system\n"
    )
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n  namespace: x\n"
    files = {"sync.yaml": sync, "a.yaml": config, "b.yaml": config, "c.yaml": config}
    assert [(f.path, f.message) for f in lint(files, {"FL510"})] == [
        (
            "b.yaml",
            "ConfigMap `x/same` is also defined in `a.yaml`, both in what Kustomization "
            "`flux-system/flux-system` applies",
        ),
        (
            "c.yaml",
            "ConfigMap `x/same` is also defined in `a.yaml`, both in what Kustomization "
            "`flux-system/flux-system` applies",
        ),
    ]


def test_unresolvable_placeholders_are_never_reported():
    text = release(namespace="${NS}", source_namespace="${SOURCE_NS}")
    assert lint({"r.yaml": text}, {"FL501"}) == []


def test_a_name_that_is_never_substituted_matches_no_other_name():
    """A template nothing applies keeps its ``${APP}`` name: it must not stand in for the
    Secret a HelmRelease reads (it used to, and then "has no key … (it has none)")."""
    template = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${APP}-auth\n  namespace: apps\n"
        "type: Opaque\n"
    )
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n"
        "  namespace: apps\nspec:\n  interval: 30m\n  chartRef:\n    kind: OCIRepository\n"
        "    name: web\n  valuesFrom:\n    - kind: Secret\n      name: web-auth\n"
        "      valuesKey: token\n"
    )
    found = lint({"templates/secret.yaml": template, "apps/release.yaml": release}, {"FL508"})
    assert brief(found) == [
        ("FL508", 13, "note", "Secret `apps/web-auth` is not defined in this repository")
    ]
