"""Which files the reading pass parses for their structure (model/structure_text.py): a file
that only names a structural kind in a nested ``kind:`` is left out; a file that may hold a
structural object in any YAML form is kept. Each case is checked against the parse itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifests import write_tree
from test_applied import APPS_KS, BROKEN_RELEASE, brief, lint

from flux_lint.load.yaml import load_text
from flux_lint.model.applied_set import is_structural
from flux_lint.model.index import IndexEntry
from flux_lint.model.kustomize import is_kustomize_config
from flux_lint.model.objects import classify
from flux_lint.model.structure_text import may_hold_structure

RELEASE_OF_OCI_CHART = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  chartRef:
    kind: OCIRepository  # the chart
    name: web
  dependsOn:
    - name: db
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Alert
spec:
  eventSources:
  - kind: 'GitRepository'
    name: '*'
  - kind: "Kustomization"
    name: apps
"""

SOURCE = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: web
spec:
  url: https://example.com/web
"""

#: Files that only name structural kinds: not parsed.
LEFT_OUT = {
    "nested references": RELEASE_OF_OCI_CHART,
    "a label of the Flux group": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n"
        "    kustomize.toolkit.fluxcd.io/prune: disabled\n"
    ),
    "comments and empty documents": "# header\n---\n---\n" + RELEASE_OF_OCI_CHART + "...\n",
}

#: Files that hold a structural object written some other way: parsed.
HOLDING = {
    "plain": SOURCE,
    "second document": RELEASE_OF_OCI_CHART + "---\n" + SOURCE,
    "quoted kind": SOURCE.replace("kind: GitRepository", 'kind: "GitRepository"'),
    "JSON": (
        '{\n  "apiVersion": "source.toolkit.fluxcd.io/v1",\n  "kind": "GitRepository",\n'
        '  "metadata": {"name": "web"}\n}\n'
    ),
    "flow mapping over lines": (
        "{apiVersion: source.toolkit.fluxcd.io/v1,\n  kind: GitRepository\n}\n"
    ),
    "indented root": "".join("  " + line + "\n" for line in SOURCE.splitlines()),
    "indented second document": RELEASE_OF_OCI_CHART
    + "---\n"
    + "".join("   " + line + "\n" for line in SOURCE.splitlines()),
    "value on the next line": SOURCE.replace("kind: GitRepository", "kind:\n  GitRepository"),
    "block scalar": SOURCE.replace("kind: GitRepository", "kind: |-\n  GitRepository"),
    "anchor and alias": (
        "apiVersion: source.toolkit.fluxcd.io/v1\nmetadata:\n  name: web\n"
        "  labels:\n    kind: &k GitRepository\nkind: *k\n"
    ),
    "merge key": (
        "base: &base\n  apiVersion: source.toolkit.fluxcd.io/v1\n  kind: GitRepository\n"
        "<<: *base\nmetadata:\n  name: web\n"
    ),
    "escape": SOURCE.replace("kind: GitRepository", 'kind: "Git\\x52epository"')
    + "x:\n  kind: GitRepository\n",
    "content after the marker": "--- !!map\n" + SOURCE,
    "directive": "%YAML 1.2\n---\n" + SOURCE,
    "document after an end marker": "a: 1\n...\n" + SOURCE,
    "complex key": SOURCE.replace("kind: GitRepository", "? kind\n: GitRepository"),
    "tag": SOURCE.replace("kind: GitRepository", "kind: !!str GitRepository"),
    "CRLF": SOURCE.replace("\n", "\r\n"),
    "Flux Kustomization": APPS_KS.format(name="apps", path="./apps"),
    "ResourceSetInputProvider": (
        "apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\n"
        "metadata:\n  name: prs\n"
    ),
}


def _structure(text: str) -> bool:
    """Whether parsing the text gives something the reading pass keeps: a structural object
    (a HelmRelease only with a flux-instance sync block) or kustomize configuration."""
    for doc in load_text(text).documents:
        obj = classify("x.yaml", doc)
        if obj is not None:
            entry = IndexEntry.of(obj)
            if entry.kind == "HelmRelease":
                values = (entry.data.get("spec") or {}).get("values") or {}
                if is_structural(entry) and (values.get("instance") or {}).get("sync"):
                    return True
            elif is_structural(entry):
                return True
        elif is_kustomize_config(doc.data, "x.yaml"):
            return True
    return False


@pytest.mark.parametrize("name", sorted(LEFT_OUT))
def test_files_that_only_name_structural_kinds_are_not_parsed(name: str) -> None:
    text = LEFT_OUT[name]
    assert not _structure(text)
    assert not may_hold_structure(text)


@pytest.mark.parametrize("name", sorted(HOLDING))
def test_files_holding_structure_in_any_form_are_parsed(name: str) -> None:
    text = HOLDING[name]
    assert _structure(text), "the case must hold a structural object"
    assert may_hold_structure(text)


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: ConfigMap\n",  # no structural kind named
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: GitRepository\n",  # a plain value
    ],
)
def test_doubtful_texts(text: str) -> None:
    assert may_hold_structure(text) == ("GitRepository" in text)


def test_releases_that_may_carry_a_flux_instance_sync_are_parsed() -> None:
    release = RELEASE_OF_OCI_CHART.split("---")[0]
    synced = release + "  values:\n    instance:\n      sync:\n        path: clusters/prod\n"
    assert may_hold_structure(synced)
    assert may_hold_structure(release.replace("name: web", "name: flux-instance"))
    assert not may_hold_structure(release + "  values:\n    rsync: {}\n    sync-wave: 1\n")


def test_flux_instance_release_naming_its_chart_source_only_by_kind(tmp_path: Path) -> None:
    """A flux-instance HelmRelease whose file names neither the chart nor anything but the
    ``OCIRepository`` kind of its ``chartRef`` is still an entry point."""
    write_tree(
        tmp_path,
        {
            "kubernetes/flux/instance.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: flux
  namespace: flux-system
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: operator-charts
  values:
    instance:
      sync:
        kind: GitRepository
        url: https://github.com/example/home-ops
        ref: refs/heads/main
        path: kubernetes/flux/cluster
""",
            "kubernetes/flux/source.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: operator-charts
  namespace: flux-system
spec:
  interval: 1h
  url: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance
""",
            "kubernetes/flux/cluster/ks.yaml": APPS_KS.format(
                name="cluster-apps", path="./kubernetes/apps"
            ),
            "kubernetes/apps/web/release.yaml": BROKEN_RELEASE.format(name="web"),
            "templates/release.yaml": BROKEN_RELEASE.format(name="template"),
        },
    )
    result = lint(tmp_path)
    assert brief(result) == [("FL102", "kubernetes/apps/web/release.yaml", 16)]
    [entry] = result.applied.entry_points
    assert entry.describe().startswith("HelmRelease flux (kubernetes/flux/instance.yaml) →")
