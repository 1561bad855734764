"""The API lifecycle table and the FL301/FL302/FL303 check.

The table is compared with the upstream CRDs of every Flux release in ``../shared/flux-crds``
(when that folder is present): a version served in one release and gone in the next must have
that release as ``removedIn``, a CRD version flagged ``deprecated`` must be deprecated in the
table, and nothing else may be. The check is tested on hand-built objects for each target.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from flux_lint.check.context import CheckContext
from flux_lint.check.lifecycle import (
    CONFIG_KEY,
    LifecycleDataError,
    LifecycleTable,
    builtin_table,
    data_file,
    load_rows,
    parse_rows,
    table,
    table_for,
    version_priority,
)
from flux_lint.check.registry import CHECKS, builtin_registry
from flux_lint.check.rules.lifecycle import REFERENCE_FIELDS, ApiVersionIssue, api_lifecycle, issues
from flux_lint.core.findings import VALUE
from flux_lint.model.objects import K8sObject

ROOT = Path(__file__).resolve().parent.parent
CRDS = ROOT.parent / "shared" / "flux-crds"
TARGETS = [(2, 6), (2, 7), (2, 8), (2, 9)]


def obj(api_version: str, kind: str, spec: dict | None = None) -> K8sObject:
    data: dict = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
    if spec is not None:
        data["spec"] = spec
    return K8sObject(path="x.yaml", document=0, data=data, api_version=api_version, kind=kind)


def found(o: K8sObject, target: tuple[int, int], **options) -> list[tuple[str, str, str]]:
    ctx = CheckContext(flux_version=target, options=options)
    return [(i.rule_id, i.pointer, i.message) for i in issues(o, ctx)]


# -- the data file -----------------------------------------------------------------------------


def test_every_row_has_a_source_url():
    rows = list(builtin_table())
    assert len(rows) >= 40
    for row in rows:
        assert re.match(r"^https://\S+$", row.source), row.origin


def test_every_deprecated_or_removed_row_names_a_served_replacement():
    t = builtin_table()
    for row in t:
        if row.deprecated_in or row.removed_in:
            assert row.replacement, row.origin
            group, version = row.replacement.split("/")
            assert t.status(group, version, row.kind, (2, 9)) == "served", row.origin


def test_alert_and_provider_move_to_v1beta3_not_v1():
    t = builtin_table()
    for kind in ("Alert", "Provider"):
        for version in ("v1beta1", "v1beta2"):
            row = t.row("notification.toolkit.fluxcd.io", version, kind)
            assert row.replacement == "notification.toolkit.fluxcd.io/v1beta3"
        assert t.row("notification.toolkit.fluxcd.io", "v1", kind) is None
    assert t.row("notification.toolkit.fluxcd.io", "v1beta2", "Receiver").replacement == (
        "notification.toolkit.fluxcd.io/v1"
    )


def test_removals_by_release():
    removed: dict[str, set[str]] = {}
    for row in builtin_table():
        if row.removed_in:
            removed.setdefault("{}.{}".format(*row.removed_in), set()).add(row.api_version)
    assert removed == {
        "2.7": {
            "source.toolkit.fluxcd.io/v1beta1",
            "kustomize.toolkit.fluxcd.io/v1beta1",
            "helm.toolkit.fluxcd.io/v2beta1",
            "notification.toolkit.fluxcd.io/v1beta1",
            "image.toolkit.fluxcd.io/v1beta1",
        },
        "2.8": {
            "source.toolkit.fluxcd.io/v1beta2",
            "kustomize.toolkit.fluxcd.io/v1beta2",
            "helm.toolkit.fluxcd.io/v2beta2",
        },
        "2.9": {"image.toolkit.fluxcd.io/v1beta2", "notification.toolkit.fluxcd.io/v1beta2"},
    }


def test_the_data_file_explains_itself():
    text = data_file().read_text(encoding="utf-8")
    header = text.split("\n- ", 1)[0]
    for word in ("removedIn", "deprecatedIn", "replacement", "source", f"{CONFIG_KEY}:"):
        assert word in header


# -- agreement with the upstream CRDs -----------------------------------------------------------


def _crd_versions() -> dict[tuple[int, int], dict[tuple[str, str, str], bool]]:
    """minor → {(group, version, kind): deprecated} from the newest folder of each minor."""
    from flux_lint.core.yamlio import safe_load_text

    newest: dict[tuple[int, int], Path] = {}
    for folder in sorted(CRDS.iterdir(), key=lambda p: [int(x) for x in p.name[1:].split(".")]):
        major, minor, _ = (int(x) for x in folder.name[1:].split("."))
        newest[(major, minor)] = folder
    out: dict[tuple[int, int], dict[tuple[str, str, str], bool]] = {}
    for minor, folder in newest.items():
        served: dict[tuple[str, str, str], bool] = {}
        for path in sorted(folder.glob("*.yaml")):
            crd = safe_load_text(path.read_text(encoding="utf-8"), path.name)
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    key = (spec["group"], version["name"], spec["names"]["kind"])
                    served[key] = bool(version.get("deprecated"))
        out[minor] = served
    return out


needs_crds = pytest.mark.skipif(not CRDS.is_dir(), reason="../shared/flux-crds is not present")


@needs_crds
def test_table_matches_the_crds_of_every_release():
    t = builtin_table()
    releases = _crd_versions()
    assert sorted(releases) == TARGETS
    for minor, served in releases.items():
        for (group, version, kind), deprecated in served.items():
            expected = "deprecated" if deprecated else "served"
            assert t.status(group, version, kind, minor) == expected, (minor, group, version, kind)
        listed = {r.gvk for r in t if r.status(minor) in ("served", "deprecated")}
        assert listed == set(served), minor


@needs_crds
def test_removed_deprecated_and_introduced_minors_match_the_crds():
    t = builtin_table()
    releases = _crd_versions()
    minors = sorted(releases)
    checked_removals = checked_deprecations = 0
    for before, after in itertools.pairwise(minors):
        for gvk in set(releases[before]) - set(releases[after]):
            assert t.row(*gvk).removed_in == after, gvk
            checked_removals += 1
        for gvk in set(releases[after]) - set(releases[before]):
            assert t.row(*gvk).introduced == after, gvk
    for row in t:
        flagged = [m for m in minors if releases[m].get(row.gvk)]
        if not flagged:
            continue  # never flagged: test_table_matches_the_crds_of_every_release covers it
        checked_deprecations += 1
        gvk = row.gvk
        if flagged[0] == minors[0]:
            assert row.deprecated_in is not None and row.deprecated_in <= minors[0], gvk
        else:
            assert row.deprecated_in == flagged[0], gvk
    assert checked_removals == 12 + 7 + 6
    assert checked_deprecations == 20 + 3


# -- lookups -------------------------------------------------------------------------------------


def test_version_priority_prefers_ga_then_beta_then_alpha():
    versions = ["v1beta1", "v1alpha1", "v2", "v1", "v2beta2", "v1beta3", "foo"]
    assert sorted(versions, key=version_priority) == [
        "v2",
        "v1",
        "v2beta2",
        "v1beta3",
        "v1beta1",
        "v1alpha1",
        "foo",
    ]


def test_lookups():
    t = builtin_table()
    assert t.versions("helm.toolkit.fluxcd.io", "HelmRelease") == ["v2", "v2beta2", "v2beta1"]
    assert t.versions("notification.toolkit.fluxcd.io", "Alert") == [
        "v1beta3",
        "v1beta2",
        "v1beta1",
    ]
    assert t.versions("helm.toolkit.fluxcd.io", "Nope") == []
    gvks = t.known_gvks()
    assert ("source.extensions.fluxcd.io", "v1beta1", "ArtifactGenerator") in gvks
    assert len(gvks) == len(t)
    row = t.row("helm.toolkit.fluxcd.io", "v2beta2", "HelmRelease")
    assert (row.introduced, row.deprecated_in, row.removed_in) == ((2, 2), (2, 3), (2, 8))


@pytest.mark.parametrize(
    ("api_version", "kind", "statuses"),
    [
        (
            "helm.toolkit.fluxcd.io/v2beta1",
            "HelmRelease",
            ["deprecated", "removed", "removed", "removed"],
        ),
        (
            "source.toolkit.fluxcd.io/v1beta2",
            "OCIRepository",
            ["deprecated", "deprecated", "removed", "removed"],
        ),
        (
            "notification.toolkit.fluxcd.io/v1beta2",
            "Receiver",
            ["deprecated", "deprecated", "deprecated", "removed"],
        ),
        (
            "image.toolkit.fluxcd.io/v1beta1",
            "ImagePolicy",
            ["served", "removed", "removed", "removed"],
        ),
        (
            "image.toolkit.fluxcd.io/v1beta2",
            "ImagePolicy",
            ["served", "deprecated", "deprecated", "removed"],
        ),
        ("image.toolkit.fluxcd.io/v1", "ImagePolicy", ["unknown", "served", "served", "served"]),
        (
            "source.extensions.fluxcd.io/v1beta1",
            "ArtifactGenerator",
            ["unknown", "served", "served", "served"],
        ),
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease", ["served"] * 4),
        ("notification.toolkit.fluxcd.io/v1", "Alert", ["unknown"] * 4),
    ],
)
def test_status_per_target(api_version, kind, statuses):
    group, version = api_version.split("/")
    assert [builtin_table().status(group, version, kind, m) for m in TARGETS] == statuses


@pytest.mark.parametrize(
    ("written", "target", "expected"),
    [
        (
            ("source.toolkit.fluxcd.io", "v1beta1", "ArtifactGenerator"),
            None,
            ("source.extensions.fluxcd.io", "v1beta1", "ArtifactGenerator"),
        ),
        (
            ("helm.toolkit.fluxcd.io", "v2", "Helmrelease"),
            None,
            ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
        ),
        (
            ("helm.toolkit.fluxcd.io", "v2", "HelmReleases"),
            None,
            ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
        ),
        (
            ("helm.toolkit.fluxcd.io", "v2beta3", "HelmRelease"),
            None,
            ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
        ),
        (
            ("helm.toolkit.fluxcd.io", "v2beta3", "HelmRelease"),
            (2, 6),
            ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
        ),
        (
            ("notification.toolkit.fluxcd.io", "v1", "Provider"),
            None,
            ("notification.toolkit.fluxcd.io", "v1beta3", "Provider"),
        ),
        (
            ("image.toolkit.fluxcd.io", "v2", "ImagePolicy"),
            (2, 6),
            ("image.toolkit.fluxcd.io", "v1beta2", "ImagePolicy"),
        ),
        (
            ("kustomization.toolkit.fluxcd.io", "v1", "Kustomization"),
            None,
            ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
        ),
        (
            ("kustomize.toolkit.fluxcd.io", "v1", "Kustomisation"),
            None,
            ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
        ),
    ],
)
def test_closest(written, target, expected):
    suggestion = builtin_table().closest(*written, target=target)
    assert suggestion is not None
    assert (suggestion.group, suggestion.version, suggestion.kind) == expected


def test_closest_gives_up_on_unrelated_kinds_and_never_returns_the_input():
    t = builtin_table()
    assert t.closest("source.toolkit.fluxcd.io", "v1", "Database") is None
    assert t.closest("helm.toolkit.fluxcd.io", "v2", "HelmRelease") is None


def test_replacement_is_what_the_target_serves():
    t = builtin_table()
    iua = t.row("image.toolkit.fluxcd.io", "v1beta1", "ImageUpdateAutomation")
    assert t.replacement(iua, (2, 6)) == "image.toolkit.fluxcd.io/v1beta2"
    assert t.replacement(iua, (2, 7)) == "image.toolkit.fluxcd.io/v1"
    hr = t.row("helm.toolkit.fluxcd.io", "v2beta1", "HelmRelease")
    assert t.replacement(hr, (2, 6)) == "helm.toolkit.fluxcd.io/v2"


# -- user rows and validation --------------------------------------------------------------------


def test_config_rows_override_and_extend():
    extra = [
        {
            "group": "helm.toolkit.fluxcd.io",
            "kind": "HelmRelease",
            "version": "v2",
            "deprecatedIn": "2.9",
            "replacement": "helm.toolkit.fluxcd.io/v3",
        },
        {
            "group": "helm.toolkit.fluxcd.io",
            "kind": "HelmRelease",
            "version": "v3",
            "introduced": "2.9",
        },
        {
            "group": "fluxcd.controlplane.io",
            "kind": "FluxInstance",
            "version": "v1beta1",
            "removedIn": "2.8",
            "replacement": "fluxcd.controlplane.io/v1",
        },
        {"group": "fluxcd.controlplane.io", "kind": "FluxInstance", "version": "v1"},
    ]
    t = table(extra)
    assert t is not builtin_table()
    assert t.status("helm.toolkit.fluxcd.io", "v2", "HelmRelease", (2, 9)) == "deprecated"
    assert t.covers("fluxcd.controlplane.io")
    assert not builtin_table().covers("fluxcd.controlplane.io")
    assert len(t) == len(builtin_table()) + 3
    o = obj("fluxcd.controlplane.io/v1beta1", "FluxInstance")
    assert found(o, (2, 9), **{CONFIG_KEY: extra}) == [
        (
            "FL301",
            "/apiVersion",
            "FluxInstance `fluxcd.controlplane.io/v1beta1` was removed in Flux 2.8; "
            "use `fluxcd.controlplane.io/v1`",
        ),
    ]
    assert found(o, (2, 9)) == []  # without the config rows the group is not Flux's


def test_table_for_prefers_a_table_on_the_context():
    ctx = CheckContext()
    assert table_for(ctx) is builtin_table()
    own = LifecycleTable([])
    ctx.lifecycle = own  # type: ignore[attr-defined]
    assert table_for(ctx) is own
    rows = [{"group": "example.toolkit.fluxcd.io", "kind": "Thing", "version": "v1"}]
    a = table_for(CheckContext(options={CONFIG_KEY: rows}))
    assert a is table_for(CheckContext(options={CONFIG_KEY: list(rows)}))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "removedin": "2.9",
            },
            "config row 1 (helm.toolkit.fluxcd.io v3 HelmRelease): unknown field(s) removedin",
        ),
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "removedIn": 2.10,
            },
            "config row 1 (helm.toolkit.fluxcd.io v3 HelmRelease): `removedIn` must be a quoted "
            'Flux minor such as "2.7", got 2.1',
        ),
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "deprecatedIn": "2.x",
            },
            "`deprecatedIn` must be a Flux minor",
        ),
        (
            {"group": "helm.toolkit.fluxcd.io", "kind": "HelmRelease", "version": "3"},
            "`version` must be a version such as v2beta1, got '3'",
        ),
        ({"group": "helm", "kind": "HelmRelease", "version": "v3"}, "`group` must be"),
        (
            {"group": "helm.toolkit.fluxcd.io", "kind": "helmRelease", "version": "v3"},
            "`kind` must be",
        ),
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "replacement": "v4",
            },
            "`replacement` must be a full apiVersion",
        ),
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "replacement": "helm.toolkit.fluxcd.io/v3",
            },
            "`replacement` names the row itself",
        ),
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "introduced": "2.9",
                "removedIn": "2.9",
            },
            "`removedIn` must come after `introduced`",
        ),
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "deprecatedIn": "2.9",
                "removedIn": "2.8",
            },
            "`deprecatedIn` must not come after",
        ),
        (
            {
                "group": "helm.toolkit.fluxcd.io",
                "kind": "HelmRelease",
                "version": "v3",
                "source": "see the changelog",
            },
            "`source` must be an http(s) URL",
        ),
        ("HelmRelease v3", "config row 1: a row must be a mapping"),
    ],
)
def test_invalid_rows_are_reported_with_their_row(row, message):
    with pytest.raises(LifecycleDataError) as err:
        parse_rows([row], "config", require_source=False)
    assert message in str(err.value)


def test_duplicates_and_missing_sources():
    row = {"group": "helm.toolkit.fluxcd.io", "kind": "HelmRelease", "version": "v3"}
    with pytest.raises(LifecycleDataError, match=r"config row 2 .* duplicates config row 1"):
        parse_rows([row, dict(row)], "config", require_source=False)
    with pytest.raises(LifecycleDataError, match="`source` must be an http"):
        parse_rows([row], "rules/data/api-versions.yaml", require_source=True)
    with pytest.raises(LifecycleDataError, match="expected a list of rows"):
        table({"group": "x"})  # type: ignore[arg-type]


def test_the_shipped_file_loads_through_the_strict_parser():
    rows = load_rows(data_file())
    assert len(rows) == len(builtin_table())
    assert rows[0].origin.startswith("rules/data/api-versions.yaml row 1 ")


# -- the check -------------------------------------------------------------------------------------


HR = "HelmRelease"


@pytest.mark.parametrize(
    ("api_version", "kind", "by_target"),
    [
        (
            "helm.toolkit.fluxcd.io/v2beta1",
            HR,
            {
                (2, 6): [
                    (
                        "FL302",
                        "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` is deprecated since "
                        "Flux 2.2 and removed in Flux 2.7; use "
                        "`helm.toolkit.fluxcd.io/v2`",
                    )
                ],
                (2, 7): [
                    (
                        "FL301",
                        "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` was removed in Flux "
                        "2.7; use `helm.toolkit.fluxcd.io/v2`",
                    )
                ],
                (2, 8): [
                    (
                        "FL301",
                        "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` was removed in Flux "
                        "2.7; use `helm.toolkit.fluxcd.io/v2`",
                    )
                ],
                (2, 9): [
                    (
                        "FL301",
                        "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` was removed in Flux "
                        "2.7; use `helm.toolkit.fluxcd.io/v2`",
                    )
                ],
            },
        ),
        (
            "kustomize.toolkit.fluxcd.io/v1beta2",
            "Kustomization",
            {
                (2, 6): [
                    (
                        "FL302",
                        "Kustomization `kustomize.toolkit.fluxcd.io/v1beta2` is deprecated "
                        "since Flux 2.0 and removed in Flux 2.8; use "
                        "`kustomize.toolkit.fluxcd.io/v1`",
                    )
                ],
                (2, 7): [
                    (
                        "FL302",
                        "Kustomization `kustomize.toolkit.fluxcd.io/v1beta2` is deprecated "
                        "since Flux 2.0 and removed in Flux 2.8; use "
                        "`kustomize.toolkit.fluxcd.io/v1`",
                    )
                ],
                (2, 8): [
                    (
                        "FL301",
                        "Kustomization `kustomize.toolkit.fluxcd.io/v1beta2` was removed in "
                        "Flux 2.8; use `kustomize.toolkit.fluxcd.io/v1`",
                    )
                ],
                (2, 9): [
                    (
                        "FL301",
                        "Kustomization `kustomize.toolkit.fluxcd.io/v1beta2` was removed in "
                        "Flux 2.8; use `kustomize.toolkit.fluxcd.io/v1`",
                    )
                ],
            },
        ),
        (
            "notification.toolkit.fluxcd.io/v1beta2",
            "Provider",
            {
                (2, 6): [
                    (
                        "FL302",
                        "Provider `notification.toolkit.fluxcd.io/v1beta2` is deprecated "
                        "since Flux 2.2 and removed in Flux 2.9; use "
                        "`notification.toolkit.fluxcd.io/v1beta3`",
                    )
                ],
                (2, 7): [
                    (
                        "FL302",
                        "Provider `notification.toolkit.fluxcd.io/v1beta2` is deprecated "
                        "since Flux 2.2 and removed in Flux 2.9; use "
                        "`notification.toolkit.fluxcd.io/v1beta3`",
                    )
                ],
                (2, 8): [
                    (
                        "FL302",
                        "Provider `notification.toolkit.fluxcd.io/v1beta2` is deprecated "
                        "since Flux 2.2 and removed in Flux 2.9; use "
                        "`notification.toolkit.fluxcd.io/v1beta3`",
                    )
                ],
                (2, 9): [
                    (
                        "FL301",
                        "Provider `notification.toolkit.fluxcd.io/v1beta2` was removed in "
                        "Flux 2.9; use `notification.toolkit.fluxcd.io/v1beta3`",
                    )
                ],
            },
        ),
        (
            "image.toolkit.fluxcd.io/v1beta1",
            "ImageRepository",
            {
                (2, 6): [],
                (2, 7): [
                    (
                        "FL301",
                        "ImageRepository `image.toolkit.fluxcd.io/v1beta1` was removed in "
                        "Flux 2.7; use `image.toolkit.fluxcd.io/v1`",
                    )
                ],
                (2, 8): [
                    (
                        "FL301",
                        "ImageRepository `image.toolkit.fluxcd.io/v1beta1` was removed in "
                        "Flux 2.7; use `image.toolkit.fluxcd.io/v1`",
                    )
                ],
                (2, 9): [
                    (
                        "FL301",
                        "ImageRepository `image.toolkit.fluxcd.io/v1beta1` was removed in "
                        "Flux 2.7; use `image.toolkit.fluxcd.io/v1`",
                    )
                ],
            },
        ),
        (
            "image.toolkit.fluxcd.io/v1beta1",
            "ImageUpdateAutomation",
            {
                (2, 6): [
                    (
                        "FL302",
                        "ImageUpdateAutomation `image.toolkit.fluxcd.io/v1beta1` is "
                        "deprecated since Flux 2.3 and removed in Flux 2.7; use "
                        "`image.toolkit.fluxcd.io/v1beta2`",
                    )
                ],
                (2, 7): [
                    (
                        "FL301",
                        "ImageUpdateAutomation `image.toolkit.fluxcd.io/v1beta1` was "
                        "removed in Flux 2.7; use `image.toolkit.fluxcd.io/v1`",
                    )
                ],
            },
        ),
        (
            "image.toolkit.fluxcd.io/v1",
            "ImagePolicy",
            {
                (2, 6): [
                    (
                        "FL303",
                        "ImagePolicy `image.toolkit.fluxcd.io/v1` is not served before "
                        "Flux 2.7; use `image.toolkit.fluxcd.io/v1beta2`",
                    )
                ],
                (2, 7): [],
                (2, 9): [],
            },
        ),
        ("source.toolkit.fluxcd.io/v1", "GitRepository", {m: [] for m in TARGETS}),
        (
            "helm.toolkit.fluxcd.io/v2beta3",
            HR,
            {
                (2, 6): [
                    (
                        "FL303",
                        "HelmRelease `helm.toolkit.fluxcd.io/v2beta3` is not a Flux API "
                        "version; did you mean `helm.toolkit.fluxcd.io/v2`",
                    )
                ],
                (2, 9): [
                    (
                        "FL303",
                        "HelmRelease `helm.toolkit.fluxcd.io/v2beta3` is not a Flux API "
                        "version; did you mean `helm.toolkit.fluxcd.io/v2`",
                    )
                ],
            },
        ),
        (
            "notification.toolkit.fluxcd.io/v1",
            "Alert",
            {
                (2, 6): [
                    (
                        "FL303",
                        "Alert `notification.toolkit.fluxcd.io/v1` is not a Flux API "
                        "version; did you mean `notification.toolkit.fluxcd.io/v1beta3`",
                    )
                ],
                (2, 9): [
                    (
                        "FL303",
                        "Alert `notification.toolkit.fluxcd.io/v1` is not a Flux API "
                        "version; did you mean `notification.toolkit.fluxcd.io/v1beta3`",
                    )
                ],
            },
        ),
        (
            "source.toolkit.fluxcd.io/v1beta1",
            "ArtifactGenerator",
            {
                (2, 6): [
                    (
                        "FL303",
                        "ArtifactGenerator `source.toolkit.fluxcd.io/v1beta1` is not a Flux "
                        "API version; did you mean `source.extensions.fluxcd.io/v1beta1`",
                    )
                ],
                (2, 9): [
                    (
                        "FL303",
                        "ArtifactGenerator `source.toolkit.fluxcd.io/v1beta1` is not a Flux "
                        "API version; did you mean `source.extensions.fluxcd.io/v1beta1`",
                    )
                ],
            },
        ),
        (
            "source.extensions.fluxcd.io/v1beta1",
            "ArtifactGenerator",
            {
                (2, 6): [
                    (
                        "FL303",
                        "ArtifactGenerator `source.extensions.fluxcd.io/v1beta1` is not "
                        "served before Flux 2.7",
                    )
                ],
                (2, 7): [],
            },
        ),
    ],
)
def test_object_api_version(api_version, kind, by_target):
    for target, expected in by_target.items():
        actual = found(obj(api_version, kind), target)
        assert actual == [(rule, "/apiVersion", message) for rule, message in expected], target


def test_kind_typo_points_at_the_kind():
    assert found(obj("helm.toolkit.fluxcd.io/v2", "Helmrelease"), (2, 9)) == [
        (
            "FL303",
            "/kind",
            "Kind `Helmrelease` does not exist in `helm.toolkit.fluxcd.io`; did you mean "
            "`HelmRelease`",
        ),
    ]
    assert found(obj("source.toolkit.fluxcd.io/v1", "Database"), (2, 8)) == [
        ("FL303", "/kind", "Kind `Database` does not exist in `source.toolkit.fluxcd.io`"),
    ]


def test_kind_typo_with_a_removed_version_suggests_both():
    assert found(obj("helm.toolkit.fluxcd.io/v2beta1", "Helmrelease"), (2, 9)) == [
        (
            "FL303",
            "/kind",
            "Kind `Helmrelease` does not exist in `helm.toolkit.fluxcd.io`; did you mean "
            "`HelmRelease` in `helm.toolkit.fluxcd.io/v2`",
        ),
    ]


def test_misspelt_group():
    assert found(obj("kustomization.toolkit.fluxcd.io/v1", "Kustomization"), (2, 9)) == [
        (
            "FL303",
            "/apiVersion",
            "Kustomization `kustomization.toolkit.fluxcd.io/v1` is not a Flux API version; did you "
            "mean `kustomize.toolkit.fluxcd.io/v1`",
        ),
    ]


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("apps/v1", "Deployment"),
        ("v1", "ConfigMap"),
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        ("fluxcd.controlplane.io/v1", "FluxInstance"),
        ("infra.contrib.fluxcd.io/v1alpha2", "Terraform"),
        ("schema.plugin.fluxcd.io/v1beta1", "Config"),
        ("helm.fluxcd.io/v1", "HelmRelease"),
    ],
)
def test_other_groups_are_not_judged(api_version, kind):
    for target in TARGETS:
        assert found(obj(api_version, kind), target) == []


KS_SPEC = {
    "interval": "1h",
    "path": "./apps",
    "sourceRef": {
        "apiVersion": "source.toolkit.fluxcd.io/v1beta2",
        "kind": "GitRepository",
        "name": "flux-system",
    },
    "healthChecks": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        {"apiVersion": "helm.toolkit.fluxcd.io/v2beta1", "kind": HR, "name": "web"},
        {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": HR, "name": "ok"},
        {"apiVersion": "helm.toolkit.fluxcd.io/v2beta3", "kind": HR, "name": "typo"},
    ],
    "healthCheckExprs": [
        {"apiVersion": "helm.toolkit.fluxcd.io/v2beta2", "current": "true"},
        {"apiVersion": "notification.toolkit.fluxcd.io/v1beta2", "current": "true"},
        {"apiVersion": "helm.toolkit.fluxcd.io/v9", "current": "true"},
        {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "current": "true"},
    ],
}


def test_kustomization_references_on_each_target():
    o = obj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", KS_SPEC)
    typo = (
        "FL303",
        "/spec/healthChecks/3/apiVersion",
        "HelmRelease `helm.toolkit.fluxcd.io/v2beta3` in `spec.healthChecks[3]` is not a Flux "
        "API version; did you mean `helm.toolkit.fluxcd.io/v2`",
    )
    unknown_expr = (
        "FL303",
        "/spec/healthCheckExprs/2/apiVersion",
        "`helm.toolkit.fluxcd.io/v9` in `spec.healthCheckExprs[2]` is not a Flux API "
        "version; did you mean `helm.toolkit.fluxcd.io/v2`",
    )
    assert found(o, (2, 7)) == [
        (
            "FL302",
            "/spec/sourceRef/apiVersion",
            "GitRepository `source.toolkit.fluxcd.io/v1beta2` in `spec.sourceRef` is deprecated "
            "since Flux 2.0 and removed in Flux 2.8; use `source.toolkit.fluxcd.io/v1`",
        ),
        (
            "FL552",
            "/spec/healthChecks/1/apiVersion",
            "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` in `spec.healthChecks[1]` was removed in "
            "Flux 2.7; kustomize-controller reads only the group and kind of a health check, so "
            "it still works: use `helm.toolkit.fluxcd.io/v2`",
        ),
        typo,
        (
            "FL302",
            "/spec/healthCheckExprs/0/apiVersion",
            "`helm.toolkit.fluxcd.io/v2beta2` in `spec.healthCheckExprs[0]` is deprecated since "
            "Flux 2.3; use `helm.toolkit.fluxcd.io/v2`",
        ),
        (
            "FL302",
            "/spec/healthCheckExprs/1/apiVersion",
            "`notification.toolkit.fluxcd.io/v1beta2` in `spec.healthCheckExprs[1]` is deprecated "
            "since Flux 2.0",
        ),
        unknown_expr,
    ]
    assert found(o, (2, 9)) == [
        (
            "FL301",
            "/spec/sourceRef/apiVersion",
            "GitRepository `source.toolkit.fluxcd.io/v1beta2` in `spec.sourceRef` was removed in "
            "Flux 2.8; use `source.toolkit.fluxcd.io/v1`",
        ),
        (
            "FL552",
            "/spec/healthChecks/1/apiVersion",
            "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` in `spec.healthChecks[1]` was removed in "
            "Flux 2.7; kustomize-controller reads only the group and kind of a health check, so "
            "it still works: use `helm.toolkit.fluxcd.io/v2`",
        ),
        typo,
        (
            "FL301",
            "/spec/healthCheckExprs/0/apiVersion",
            "`helm.toolkit.fluxcd.io/v2beta2` in `spec.healthCheckExprs[0]` was removed in "
            "Flux 2.8; use `helm.toolkit.fluxcd.io/v2`",
        ),
        (
            "FL301",
            "/spec/healthCheckExprs/1/apiVersion",
            "`notification.toolkit.fluxcd.io/v1beta2` in `spec.healthCheckExprs[1]` was removed in "
            "Flux 2.9",
        ),
        unknown_expr,
    ]


@pytest.mark.parametrize("target", TARGETS)
def test_references_of_every_kind(target):
    specs = {
        ("helm.toolkit.fluxcd.io/v2", HR): (
            {
                "chart": {
                    "spec": {
                        "chart": "x",
                        "sourceRef": {
                            "apiVersion": "source.toolkit.fluxcd.io/v1beta1",
                            "kind": "HelmRepository",
                            "name": "x",
                        },
                    }
                },
                "chartRef": {
                    "apiVersion": "source.toolkit.fluxcd.io/v1beta1",
                    "kind": "HelmChart",
                    "name": "x",
                },
            },
            ["/spec/chart/spec/sourceRef/apiVersion", "/spec/chartRef/apiVersion"],
        ),
        ("source.toolkit.fluxcd.io/v1", "HelmChart"): (
            {
                "sourceRef": {
                    "apiVersion": "source.toolkit.fluxcd.io/v1beta1",
                    "kind": "GitRepository",
                    "name": "x",
                }
            },
            ["/spec/sourceRef/apiVersion"],
        ),
        ("image.toolkit.fluxcd.io/v1", "ImageUpdateAutomation"): (
            {
                "sourceRef": {
                    "apiVersion": "source.toolkit.fluxcd.io/v1beta1",
                    "kind": "GitRepository",
                    "name": "x",
                }
            },
            ["/spec/sourceRef/apiVersion"],
        ),
        ("notification.toolkit.fluxcd.io/v1beta3", "Alert"): (
            {
                "eventSources": [
                    {"kind": "Kustomization", "name": "*"},
                    {
                        "apiVersion": "kustomize.toolkit.fluxcd.io/v1beta1",
                        "kind": "Kustomization",
                        "name": "*",
                    },
                ]
            },
            ["/spec/eventSources/1/apiVersion"],
        ),
        ("notification.toolkit.fluxcd.io/v1", "Receiver"): (
            {
                "resources": [
                    {
                        "apiVersion": "image.toolkit.fluxcd.io/v1beta1",
                        "kind": "ImageRepository",
                        "name": "x",
                    }
                ]
            },
            ["/spec/resources/0/apiVersion"],
        ),
    }
    for (api_version, kind), (spec, pointers) in specs.items():
        results = issues(obj(api_version, kind, spec), CheckContext(flux_version=target))
        if target == (2, 6) and api_version.startswith("image.toolkit.fluxcd.io/v1"):
            results = [i for i in results if i.pointer != "/apiVersion"]  # v1 is newer than 2.6
        if target == (2, 6):
            # Still served by 2.6 (deprecated, or in image v1beta1's case not even flagged).
            assert all(i.rule_id in ("FL302",) for i in results), results
            continue
        assert [i.pointer for i in results] == pointers, (kind, results)
        assert {i.rule_id for i in results} == {"FL301"}
    assert set(REFERENCE_FIELDS) == {
        "Kustomization",
        HR,
        "HelmChart",
        "ExternalArtifact",
        "ImageUpdateAutomation",
        "Alert",
        "Receiver",
    }


def test_references_that_are_not_mappings_or_strings_are_skipped():
    spec = {
        "sourceRef": "flux-system",
        "healthChecks": [None, {"apiVersion": 3, "kind": HR}, {"apiVersion": "", "kind": HR}],
        "healthCheckExprs": {"apiVersion": "helm.toolkit.fluxcd.io/v2beta1"},
    }
    assert found(obj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", spec), (2, 9)) == []


def test_issues_carry_what_a_fix_needs():
    [issue] = issues(obj("helm.toolkit.fluxcd.io/v2beta1", HR), CheckContext(flux_version=(2, 9)))
    assert issue == ApiVersionIssue(
        "FL301",
        "HelmRelease `helm.toolkit.fluxcd.io/v2beta1` was removed in Flux 2.7; use "
        "`helm.toolkit.fluxcd.io/v2`",
        "/apiVersion",
        "helm.toolkit.fluxcd.io/v2beta1",
        HR,
        "helm.toolkit.fluxcd.io/v2",
    )
    [kind_issue] = issues(obj("helm.toolkit.fluxcd.io/v2", "Helmrelease"), CheckContext())
    assert (kind_issue.pointer, kind_issue.replacement, kind_issue.suggested_kind) == (
        "/kind",
        None,
        HR,
    )
    problem = issue.problem()
    assert (problem.rule_id, problem.pointer, problem.target, problem.fix) == (
        "FL301",
        "/apiVersion",
        VALUE,
        None,
    )


def test_registered_for_all_three_rules():
    for rid in ("FL301", "FL302", "FL303"):
        assert CHECKS[rid] is api_lifecycle
    problems = list(
        api_lifecycle(obj("helm.toolkit.fluxcd.io/v2beta2", HR), CheckContext(flux_version=(2, 7)))
    )
    assert [(p.rule_id, p.pointer) for p in problems] == [("FL302", "/apiVersion")]


# -- rule docs: the example triggers the rule, "use instead" does not ----------------------------


@pytest.mark.parametrize("rule_id", ["FL301", "FL302", "FL303"])
def test_rule_docs_example_and_use_instead(rule_id):
    from flux_lint.check.engine import Linter, RunConfig
    from flux_lint.check.schema.store import parse_minor

    rule = builtin_registry()[rule_id]
    assert rule.source.endswith(f"rules/api-lifecycle/{rule.id}-{rule.name}.yaml")
    assert rule.category == "api-lifecycle"
    for key in ("what", "why", "example", "useInstead", "references"):
        assert rule.docs.get(key), key

    def rule_findings(text: str) -> list[str]:
        setting = re.search(r"^#\s*fixture:.*flux-version=(\S+)", text, re.MULTILINE)
        config = RunConfig(flux_version=parse_minor(setting.group(1)) if setting else (2, 9))
        report = Linter(config).lint_text("example.yaml", text)
        return [f.message for f in report.findings if f.rule_id == rule_id]

    assert rule_findings(rule.docs["example"])
    assert rule_findings(rule.docs["useInstead"]) == []
