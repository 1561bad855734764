"""Fixes: exact bytes before and after, through the whole engine where it matters.

Most cases write a file, lint it with the engine, apply the fixes with ``apply_fixes`` and
compare the bytes on disk, so that decoding, offsets, edits, re-encoding and the atomic write
are all covered by the same assertion.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import pytest
from ruleharness import FIXTURES, settings

from flux_lint.check.edits import LineIndex, apply_edits, insert_key, replace_scalar, select_edits
from flux_lint.check.engine import RunConfig
from flux_lint.check.schema.store import parse_minor
from flux_lint.core.findings import Edit, Fix, Suppression
from flux_lint.load.yaml import load_text
from flux_lint.report.fix import (
    FixOutcome,
    apply_fixes,
    fix_file,
    plan_fixes,
    unified_diff,
    write_fixed,
)
from flux_lint.run.pipeline import RunResult, run

HR_V2BETA1 = """\
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
"""
HR_V2 = HR_V2BETA1.replace("v2beta1", "v2")


def _lint(path: Path, flux: str = "2.9") -> RunResult:
    return run(RunConfig(paths=[str(path)], flux_version=parse_minor(flux)))


def _fix_bytes(
    tmp_path: Path, data: bytes, *, name: str = "x.yaml", unsafe: bool = False, flux: str = "2.9"
) -> tuple[bytes, FixOutcome]:
    path = tmp_path / name
    path.write_bytes(data)
    outcome = apply_fixes(_lint(path, flux), unsafe=unsafe, write=True)
    assert outcome.errors == []
    return path.read_bytes(), outcome


def _fixed(tmp_path: Path, text: str, **kwargs) -> str:
    data, _ = _fix_bytes(tmp_path, text.encode("utf-8"), **kwargs)
    return data.decode("utf-8")


# -- apiVersion bumps, however they are written ---------------------------------------------------


def test_plain_value(tmp_path: Path):
    assert _fixed(tmp_path, HR_V2BETA1) == HR_V2


def test_single_quoted_value(tmp_path: Path):
    before = HR_V2BETA1.replace(
        "apiVersion: helm.toolkit.fluxcd.io/v2beta1", "apiVersion: 'helm.toolkit.fluxcd.io/v2beta1'"
    )
    after = HR_V2.replace(
        "apiVersion: helm.toolkit.fluxcd.io/v2", "apiVersion: 'helm.toolkit.fluxcd.io/v2'"
    )
    assert _fixed(tmp_path, before) == after


def test_double_quoted_value(tmp_path: Path):
    before = HR_V2BETA1.replace(
        "apiVersion: helm.toolkit.fluxcd.io/v2beta1", 'apiVersion: "helm.toolkit.fluxcd.io/v2beta1"'
    )
    after = HR_V2.replace(
        "apiVersion: helm.toolkit.fluxcd.io/v2", 'apiVersion: "helm.toolkit.fluxcd.io/v2"'
    )
    assert _fixed(tmp_path, before) == after


def test_kind_before_api_version_and_comment_on_the_same_line(tmp_path: Path):
    before = (
        "kind: GitRepository\n"
        "apiVersion: source.toolkit.fluxcd.io/v1beta2   # pinned: see #42\n"
        "metadata: {name: app, namespace: flux-system}\n"
        'spec: {interval: 5m, url: "https://github.com/example/app"}\n'
    )
    after = (
        "kind: GitRepository\n"
        "apiVersion: source.toolkit.fluxcd.io/v1   # pinned: see #42\n"
        "metadata: {name: app, namespace: flux-system}\n"
        'spec: {interval: 5m, url: "https://github.com/example/app"}\n'
    )
    assert _fixed(tmp_path, before) == after


def test_flow_style_object(tmp_path: Path):
    before = (
        "{kind: GitRepository, apiVersion: source.toolkit.fluxcd.io/v1beta2,\n"
        "  metadata: {name: app}, spec: {interval: 5m, url: 'https://example.com/app'}}\n"
    )
    after = (
        "{kind: GitRepository, apiVersion: source.toolkit.fluxcd.io/v1,\n"
        "  metadata: {name: app}, spec: {interval: 5m, url: 'https://example.com/app'}}\n"
    )
    assert _fixed(tmp_path, before) == after


def test_json_file_keeps_json(tmp_path: Path):
    before = (
        "{\n"
        '  "apiVersion": "source.toolkit.fluxcd.io/v1beta2",\n'
        '  "kind": "GitRepository",\n'
        '  "metadata": {"name": "app"},\n'
        '  "spec": {"interval": "5m", "url": "https://example.com/app"}\n'
        "}\n"
    )
    after = before.replace("v1beta2", "v1")
    assert _fixed(tmp_path, before, name="repo.json") == after


def test_crlf_file(tmp_path: Path):
    before = HR_V2BETA1.replace("\n", "\r\n").encode()
    data, outcome = _fix_bytes(tmp_path, before)
    assert data == HR_V2.replace("\n", "\r\n").encode()
    assert outcome.applied == 1


def test_utf8_bom_is_kept(tmp_path: Path):
    before = codecs.BOM_UTF8 + HR_V2BETA1.encode()
    data, _ = _fix_bytes(tmp_path, before)
    assert data == codecs.BOM_UTF8 + HR_V2.encode()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_file_round_trip(tmp_path: Path, encoding: str):
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    text = "# naïve → ✓\n" + HR_V2BETA1.replace("\n", "\r\n")
    data, _ = _fix_bytes(tmp_path, bom + text.encode(encoding))
    assert data == bom + text.replace("v2beta1", "v2").encode(encoding)


def test_tagged_value_keeps_its_tag(tmp_path: Path):
    before = HR_V2BETA1.replace("apiVersion: helm", "apiVersion: !!str helm")
    assert _fixed(tmp_path, before) == HR_V2.replace("apiVersion: helm", "apiVersion: !!str helm")


def test_non_ascii_before_the_value_keeps_offsets(tmp_path: Path):
    before = "# ünïcödé 😀 — ok\n" + HR_V2BETA1
    assert _fixed(tmp_path, before) == "# ünïcödé 😀 — ok\n" + HR_V2


def test_nested_references(tmp_path: Path):
    before = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps
  prune: true
  sourceRef:
    apiVersion: "source.toolkit.fluxcd.io/v1beta2"
    kind: GitRepository
    name: flux-system
  healthChecks:
    - {apiVersion: helm.toolkit.fluxcd.io/v2beta1, kind: HelmRelease, name: a, namespace: b}
    - apiVersion: apps/v1
      kind: Deployment
      name: c
      namespace: b
"""
    after = before.replace('"source.toolkit.fluxcd.io/v1beta2"', '"source.toolkit.fluxcd.io/v1"')
    after = after.replace("helm.toolkit.fluxcd.io/v2beta1", "helm.toolkit.fluxcd.io/v2")
    assert _fixed(tmp_path, before) == after


def test_multiple_documents_and_two_fixes_in_one_object(tmp_path: Path):
    before = """\
---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata:
  name: app
spec:
  interval: 5m
  url: https://example.com/app
---
# second
apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata:
  name: app
spec:
  interval: 5m
  path: ./
  prune: true
  sourceRef:
    apiVersion: source.toolkit.fluxcd.io/v1beta2
    kind: GitRepository
    name: app
...
"""
    after = """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
spec:
  interval: 5m
  url: https://example.com/app
---
# second
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  interval: 5m
  path: ./
  prune: true
  sourceRef:
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    name: app
...
"""
    text, outcome = _fix_bytes(tmp_path, before.encode())
    assert text.decode() == after
    assert outcome.applied == 3
    assert [f.path for f in outcome.changed_files] == ["x.yaml"]


def test_last_line_without_line_break(tmp_path: Path):
    before = "kind: GitRepository\napiVersion: source.toolkit.fluxcd.io/v1beta2"
    assert (
        _fixed(tmp_path, before) == "kind: GitRepository\napiVersion: source.toolkit.fluxcd.io/v1"
    )


def test_deprecated_version_for_an_older_target(tmp_path: Path):
    before = HR_V2BETA1.replace("v2beta1", "v2beta2")
    assert _fixed(tmp_path, before, flux="2.6") == HR_V2


# -- what is not fixed --------------------------------------------------------------------------


def _fixes(text: str, tmp: Path, flux: str = "2.9") -> list[tuple[str, Fix | None]]:
    path = tmp / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return [
        (f.rule_id, f.fix) for f in _lint(path, flux).findings if f.rule_id in ("FL301", "FL302")
    ]


KS_REMOVED_FIELDS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  validation: client
  patchesStrategicMerge:
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


def test_bump_that_drops_fields_is_unsafe(tmp_path: Path):
    ((rule, fix),) = _fixes(KS_REMOVED_FIELDS, tmp_path)
    assert rule == "FL301"
    assert fix is not None and not fix.safe
    assert fix.title == (
        "Change apiVersion to `kustomize.toolkit.fluxcd.io/v1` (unsafe: "
        "`kustomize.toolkit.fluxcd.io/v1` has no fields `spec.validation`, "
        "`spec.patchesStrategicMerge`)"
    )
    outcome = apply_fixes(_lint(tmp_path / "x.yaml"), unsafe=False, write=True)
    assert outcome.applied == 0 and outcome.unsafe_hidden == 1
    assert (tmp_path / "x.yaml").read_text() == KS_REMOVED_FIELDS
    outcome = apply_fixes(_lint(tmp_path / "x.yaml"), unsafe=True, write=True)
    assert outcome.applied == 1
    assert (tmp_path / "x.yaml").read_text() == KS_REMOVED_FIELDS.replace("v1beta2", "v1", 1)


def test_error_the_object_already_had_does_not_make_the_bump_unsafe(tmp_path: Path):
    text = HR_V2BETA1.replace("  interval: 10m\n", "  interval: 10m\n  intervall: 5m\n")
    ((_, fix),) = _fixes(text, tmp_path)
    assert fix is not None and fix.safe
    assert fix.title == "Change apiVersion to `helm.toolkit.fluxcd.io/v2`"


def test_removed_helm_field_is_named(tmp_path: Path):
    text = HR_V2BETA1.replace(
        "      chart: podinfo\n", "      chart: podinfo\n      valuesFile: v.yaml\n"
    )
    ((_, fix),) = _fixes(text, tmp_path)
    assert fix is not None and not fix.safe
    assert fix.title.endswith(
        "(unsafe: `helm.toolkit.fluxcd.io/v2` has no field `spec.chart.spec.valuesFile`)"
    )


@pytest.mark.parametrize(
    "text",
    [
        # the value comes from an alias: changing the anchor would change another value too
        "x: &v source.toolkit.fluxcd.io/v1beta2\n---\n"
        "apiVersion: &v source.toolkit.fluxcd.io/v1beta2\nkind: GitRepository\nother: *v\n",
        # the value comes from a merge key
        "<<: {apiVersion: source.toolkit.fluxcd.io/v1beta2}\nkind: GitRepository\n",
        # a block scalar
        "apiVersion: |-\n  source.toolkit.fluxcd.io/v1beta2\nkind: GitRepository\n",
    ],
)
def test_no_fix_where_an_edit_would_change_more(tmp_path: Path, text: str):
    assert [(rule, fix) for rule, fix in _fixes(text, tmp_path) if rule == "FL301"] == [
        ("FL301", None)
    ]


def test_alias_value_gets_no_fix_but_keeps_its_finding():
    text = "apiVersion: &v source.toolkit.fluxcd.io/v1beta2\nkind: GitRepository\nother: *v\n"
    doc = load_text(text).documents[0]
    assert replace_scalar("/apiVersion", "source.toolkit.fluxcd.io/v1")(doc, text) is None


def test_anchor_on_the_path_is_checked_by_parsing_the_result():
    text = "spec: &s\n  sourceRef:\n    apiVersion: source.toolkit.fluxcd.io/v1beta2\n"
    builder = replace_scalar("/spec/sourceRef/apiVersion", "source.toolkit.fluxcd.io/v1")
    fix = builder(load_text(text).documents[0], text)
    assert fix is not None
    assert apply_edits(text, fix.edits) == text.replace("v1beta2", "v1")
    shared = text + "copy: *s\n"  # the edit would change `copy` too
    assert builder(load_text(shared).documents[0], shared) is None


def test_multi_line_scalar_is_replaced_whole():
    text = 'a: "source.toolkit.fluxcd.io/\\\n  v1beta2"\nb: 1\n'
    doc = load_text(text).documents[0]
    assert doc.data["a"] == "source.toolkit.fluxcd.io/v1beta2"
    fix = replace_scalar("/a", "source.toolkit.fluxcd.io/v1", expected=doc.data["a"])(doc, text)
    assert fix is not None
    assert apply_edits(text, fix.edits) == 'a: "source.toolkit.fluxcd.io/v1"\nb: 1\n'


def test_expected_value_guards_the_edit():
    text = "apiVersion: source.toolkit.fluxcd.io/v1beta2\n"
    doc = load_text(text).documents[0]
    builder = replace_scalar("/apiVersion", "x/v1", expected="source.toolkit.fluxcd.io/v1beta1")
    assert builder(doc, text) is None


def test_value_that_needs_quotes_is_quoted():
    text = "a: b\nc: [d]\n"
    doc = load_text(text).documents[0]
    fix = replace_scalar("/a", "yes")(doc, text)
    assert fix is not None and apply_edits(text, fix.edits) == "a: 'yes'\nc: [d]\n"
    fix = replace_scalar("/c/0", "x, y")(doc, text)
    assert fix is not None and apply_edits(text, fix.edits) == "a: b\nc: ['x, y']\n"


def test_suppressed_findings_are_not_fixed(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text(HR_V2BETA1)
    result = _lint(path)
    for finding in result.findings:
        finding.suppression = Suppression("inline")
    outcome = apply_fixes(result, write=True)
    assert outcome.files == [] and path.read_text() == HR_V2BETA1


# -- FL401: inserting postRenderStrategy --------------------------------------------------------

HR_POST_RENDERERS = """\
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
  # label everything
  postRenderers:
    - kustomize:
        patches:
          - patch: |
              - op: add
                path: /metadata/labels/team
                value: platform
"""


def test_post_render_strategy_goes_above_post_renderers_and_its_comment(tmp_path: Path):
    after = HR_POST_RENDERERS.replace(
        "  # label everything\n", "  postRenderStrategy: nohooks\n  # label everything\n"
    )
    assert _fixed(tmp_path, HR_POST_RENDERERS) == HR_POST_RENDERERS  # unsafe: not by default
    assert _fixed(tmp_path, HR_POST_RENDERERS, unsafe=True) == after


def test_post_render_strategy_in_a_crlf_file_with_deeper_indentation(tmp_path: Path):
    before = HR_POST_RENDERERS.replace("\n  ", "\n    ").replace("\n", "\r\n")
    after = before.replace(
        "    # label everything\r\n",
        "    postRenderStrategy: nohooks\r\n    # label everything\r\n",
    )
    assert _fixed(tmp_path, before, unsafe=True) == after


def test_post_render_strategy_in_flow_and_json(tmp_path: Path):
    flow = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web}\n"
        "spec: {interval: 30m, chartRef: {kind: OCIRepository, name: web}, commonMetadata: "
        "{labels: {team: a}}}\n"
    )
    assert _fixed(tmp_path, flow, unsafe=True) == flow.replace(
        "commonMetadata:", "postRenderStrategy: nohooks, commonMetadata:"
    )
    json_text = (
        '{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", '
        '"metadata": {"name": "web"}, "spec": {"interval": "30m", '
        '"chartRef": {"kind": "OCIRepository", "name": "web"}, '
        '"postRenderers": [{"kustomize": {"images": [{"name": "web", "newTag": "2"}]}}]}}'
    )
    assert _fixed(tmp_path, json_text, name="web.json", unsafe=True) == json_text.replace(
        '"postRenderers":', '"postRenderStrategy": "nohooks", "postRenderers":'
    )


def test_insert_key_block_placements():
    text = (
        "spec:\n"
        "  a: 1\n"
        "  b:\n"
        "    - x: |\n"
        "        keep\n"
        "\n"
        "    # - y: 2\n"
        "# top-level comment\n"
        "other: 1"
    )
    doc = load_text(text).documents[0]
    after_b = insert_key("/spec", "c", "v")(doc, text)
    assert after_b is not None
    assert apply_edits(text, after_b.edits) == text.replace(
        "    # - y: 2\n", "    # - y: 2\n  c: v\n"
    )
    after_a = insert_key("/spec", "c", "v", after="a")(doc, text)
    assert after_a is not None
    assert apply_edits(text, after_a.edits) == text.replace("  a: 1\n", "  a: 1\n  c: v\n")
    at_end = insert_key("", "z", "on")(doc, text)  # `on` would read as a boolean: quoted
    assert at_end is not None
    assert apply_edits(text, at_end.edits) == text + "\nz: 'on'"
    assert insert_key("/spec", "a", "2")(doc, text) is None  # already there


def test_insert_key_in_sequence_item_mapping():
    text = "items:\n- name: a\n  value: 1\n"
    doc = load_text(text).documents[0]
    fix = insert_key("/items/0", "kind", "K", before="name")(doc, text)
    assert fix is None  # `- name:` shares its line with the dash and is the first key
    fix = insert_key("/items/0", "kind", "K", before="value")(doc, text)
    assert fix is not None
    assert apply_edits(text, fix.edits) == "items:\n- name: a\n  kind: K\n  value: 1\n"


# -- edits, conflicts, diffs --------------------------------------------------------------------


def test_apply_edits_from_the_end_with_insertions_at_range_edges():
    text = "0123456789"
    edits = [Edit(2, 4, "ab"), Edit(4, 4, "|"), Edit(0, 0, "<"), Edit(10, 10, ">")]
    assert apply_edits(text, edits) == "<01ab|456789>"


def test_overlapping_edits_keep_the_first_and_report_the_other():
    first, clash, same_point, touching = (
        Edit(2, 5, "x"),
        Edit(4, 6, "y"),
        Edit(3, 3, "z"),
        Edit(5, 6, "w"),
    )
    kept, dropped = select_edits([first, clash, same_point, touching, first])
    assert kept == [first, touching]
    assert dropped == [clash, same_point]
    assert apply_edits("0123456789", [first, clash, same_point, touching]) == "01xw6789"
    a, b = Edit(1, 1, "a"), Edit(1, 1, "b")
    assert select_edits([a, b]) == ([a], [b])


def test_conflicting_fixes_are_skipped_whole_and_counted(tmp_path: Path):
    one = Fix("one", (Edit(0, 1, "A"), Edit(5, 6, "B")))
    two = Fix("two", (Edit(8, 9, "C"), Edit(5, 7, "D")))  # second edit overlaps `one`
    three = Fix("three", (Edit(0, 1, "A"),))  # identical to an edit already taken
    assert plan_fixes([one, two, three]) == ([one, three], [two])
    assert fix_file("0123456789", [one, two, three]) == "A1234B6789"
    with pytest.raises(ValueError):
        apply_edits("abc", [Edit(2, 9, "x")])


def test_unified_diff_format():
    old = "a: 1\r\nb: 2\r\nc: 3"
    new = "a: 1\r\nb: 20\r\nc: 3"
    assert unified_diff("dir/x.yaml", old, new) == (
        "--- a/dir/x.yaml\n"
        "+++ b/dir/x.yaml\n"
        "@@ -1,3 +1,3 @@\n"
        " a: 1\r\n"
        "-b: 2\r\n"
        "+b: 20\r\n"
        " c: 3\n"
        "\\ No newline at end of file\n"
    )
    assert unified_diff("x.yaml", old, old) == ""
    assert unified_diff("-", "a\n", "b\n") == "--- -\n+++ -\n@@ -1 +1 @@\n-a\n+b\n"


def test_diff_mode_writes_nothing(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text(HR_V2BETA1)
    outcome = apply_fixes(_lint(path), write=False)
    assert path.read_text() == HR_V2BETA1
    assert [f.written for f in outcome.files] == [False]
    assert outcome.diff() == (
        "--- a/x.yaml\n"
        "+++ b/x.yaml\n"
        "@@ -1,4 +1,4 @@\n"
        "-apiVersion: helm.toolkit.fluxcd.io/v2beta1\n"
        "+apiVersion: helm.toolkit.fluxcd.io/v2\n"
        " kind: HelmRelease\n"
        " metadata:\n"
        "   name: podinfo\n"
    )


def test_remaining_findings_after_fixing(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text(HR_V2BETA1 + "---\n" + KS_REMOVED_FIELDS)
    result = _lint(path)
    outcome = apply_fixes(result, write=True)
    left = [f.rule_id for f in outcome.remaining(result.findings) if f.rule_id == "FL301"]
    assert left == ["FL301"]  # the unsafe Kustomization bump
    assert outcome.applied == 1 and outcome.unsafe_hidden == 1


def test_line_index_counts_breaks_like_libyaml():
    text = "a\r\nb\rc\x85d\u2028e\u2029f\ng\x0ch"
    index = LineIndex(text)
    assert index.starts == [0, 3, 5, 7, 9, 11, 13]
    assert index.offset(6, 2) == 15 and index.offset(9, 0) == len(text)


# -- the rule fixtures: fail-*.yaml → fixed/<same name> -------------------------------------------


def _fixed_cases() -> list[Path]:
    return [
        path
        for rule in ("FL301", "FL302", "FL401")
        for path in sorted((FIXTURES / rule).glob("fail-*.yaml"))
    ]


@pytest.mark.parametrize("path", _fixed_cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fail_fixture_fixes_to_fixed_file(tmp_path: Path, path: Path):
    options = settings(path)
    flux = options.get("flux-version", "2.9")
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    outcome = apply_fixes(_lint(copy, flux), unsafe=True, write=True)
    assert outcome.errors == [] and outcome.conflicts == 0
    expected = path.parent / "fixed" / path.name
    assert copy.read_bytes() == expected.read_bytes()
    again = _lint(copy, flux)
    assert [f for f in again.findings if f.rule_id == path.parent.name] == []
    assert apply_fixes(again, unsafe=True, write=True).changed_files == []


# -- idempotence, stdin, writing ----------------------------------------------------------------


def test_second_run_changes_nothing(tmp_path: Path):
    text = HR_V2BETA1 + "---\n" + HR_POST_RENDERERS.replace("/v2\n", "/v2beta2\n", 1)
    path = tmp_path / "x.yaml"
    path.write_text(text)
    first = apply_fixes(_lint(path), unsafe=True, write=True)
    assert first.applied == 3
    once = path.read_bytes()
    second = apply_fixes(_lint(path), unsafe=True, write=True)
    assert second.applied == 0 and second.changed_files == []
    assert path.read_bytes() == once


def test_stdin_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = run(RunConfig(paths=["-"], stdin_text=HR_V2BETA1))
    outcome = apply_fixes(result, write=True)
    stdin = outcome.file("-")
    assert stdin is not None and stdin.new == HR_V2 and not stdin.written
    assert list(tmp_path.iterdir()) == []


def test_write_keeps_mode(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text(HR_V2BETA1)
    path.chmod(0o640)
    outcome = apply_fixes(_lint(path), write=True)
    assert [f.written for f in outcome.files] == [True]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == HR_V2


def test_failed_write_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "x.yaml"
    path.write_text(HR_V2BETA1)
    result = _lint(path)

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    outcome = apply_fixes(result, write=True)
    assert [(f.path, f.written, f.error) for f in outcome.files] == [
        ("x.yaml", False, "cannot write: no space left on device")
    ]
    assert path.read_text() == HR_V2BETA1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml"]


def test_file_changed_since_it_was_read_is_left_alone(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text(HR_V2BETA1)
    result = _lint(path)
    path.write_text(HR_V2BETA1 + "# edited\n")
    outcome = apply_fixes(result, write=True)
    assert outcome.errors[0].error == "changed on disk since it was read; not changed"
    assert path.read_text() == HR_V2BETA1 + "# edited\n"


def test_symlink_stays_a_link(tmp_path: Path):
    real = tmp_path / "real.yaml"
    real.write_text(HR_V2BETA1)
    link = tmp_path / "link.yaml"
    link.symlink_to("real.yaml")
    write_fixed(link, HR_V2BETA1, HR_V2)
    assert link.is_symlink() and real.read_text() == HR_V2


def test_fixed_text_that_does_not_load_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "x.yaml"
    path.write_text(HR_V2BETA1)
    result = _lint(path)
    (finding,) = [f for f in result.findings if f.fix is not None]
    finding.fix = Fix("break it", (Edit(0, 0, "]"),))
    outcome = apply_fixes(result, write=True)
    assert outcome.errors[0].error == "the fixed text does not load like the original; not changed"
    assert path.read_text() == HR_V2BETA1
