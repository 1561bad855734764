"""Properties of fixes on generated manifests.

Documents are assembled from parts whose YAML is valid by construction, with a removed
apiVersion written in a random style (plain, single or double quotes; block or flow; before or
after ``kind``; with or without a comment), in the object itself and in a nested reference,
between random other keys, comments and blank lines, with ``\\n`` or ``\\r\\n`` line breaks.
After fixing: bytes outside the edited spans are identical, each edit replaces exactly the old
apiVersion by the new one in the same quoting, the text loads to the same data except those
values, and fixing again changes nothing.
"""

from __future__ import annotations

import json
from itertools import pairwise

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flux_lint.check.edits import LineIndex, insert_key, replace_scalar, select_edits
from flux_lint.check.engine import Linter, RunConfig
from flux_lint.load.yaml import load_text
from flux_lint.report.fix import fix_file, plan_fixes

LINTER = Linter(RunConfig())
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: (kind, removed apiVersion, replacement) whose bump is safe for the objects generated here.
REMOVED = [
    ("GitRepository", "source.toolkit.fluxcd.io/v1beta2", "source.toolkit.fluxcd.io/v1"),
    ("GitRepository", "source.toolkit.fluxcd.io/v1beta1", "source.toolkit.fluxcd.io/v1"),
    ("HelmRepository", "source.toolkit.fluxcd.io/v1beta2", "source.toolkit.fluxcd.io/v1"),
    ("Kustomization", "kustomize.toolkit.fluxcd.io/v1beta2", "kustomize.toolkit.fluxcd.io/v1"),
    ("HelmRelease", "helm.toolkit.fluxcd.io/v2beta1", "helm.toolkit.fluxcd.io/v2"),
    ("HelmRelease", "helm.toolkit.fluxcd.io/v2beta2", "helm.toolkit.fluxcd.io/v2"),
    (
        "Provider",
        "notification.toolkit.fluxcd.io/v1beta2",
        "notification.toolkit.fluxcd.io/v1beta3",
    ),
    ("ImageRepository", "image.toolkit.fluxcd.io/v1beta2", "image.toolkit.fluxcd.io/v1"),
]
REPLACEMENT = {old: new for _, old, new in REMOVED}

names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
label_keys = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
free_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20
)
quote_style = st.sampled_from(["plain", "single", "double"])


def _quote(value: str, style: str) -> str:
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(value, ensure_ascii=False)
    return value


@st.composite
def comment(draw: st.DrawFn) -> str:
    return " # " + draw(free_text).replace("\n", " ")


@st.composite
def label_entries(draw: st.DrawFn) -> list[str]:
    """`key: value` lines for metadata.labels; values are always quoted so any text is safe."""
    keys = draw(st.lists(label_keys, unique=True, max_size=3))
    return [f"{k}: {json.dumps(draw(free_text), ensure_ascii=False)}" for k in keys]


@st.composite
def obj(draw: st.DrawFn) -> tuple[str, list[str]]:
    """One object as YAML text and the removed apiVersions written in it."""
    kind, api_version, _ = draw(st.sampled_from(REMOVED))
    style = draw(quote_style)
    flow = draw(st.booleans())
    name = draw(names)
    labels = draw(label_entries())
    removed = [api_version]
    api = _quote(api_version, style)
    kind_first = draw(st.booleans())
    if flow:
        meta = f"{{name: {name}, labels: {{{', '.join(labels)}}}}}"
        head = [f"apiVersion: {api}", f"kind: {kind}"]
        if kind_first:
            head.reverse()
        parts = [*head, f"metadata: {meta}"]
        if kind == "Kustomization" and draw(st.booleans()):
            ref_api = draw(
                st.sampled_from(["source.toolkit.fluxcd.io/v1beta2", "source.toolkit.fluxcd.io/v1"])
            )
            if ref_api.endswith("beta2"):
                removed.append(ref_api)
            ref_value = _quote(ref_api, draw(quote_style))
            ref = f"{{apiVersion: {ref_value}, kind: GitRepository, name: {name}}}"
            parts.append(f"spec: {{interval: 5m, prune: true, sourceRef: {ref}}}")
        lines = ["{" + ", ".join(parts) + "}" + (draw(comment()) if draw(st.booleans()) else "")]
        return "\n".join(lines), removed
    head = [
        f"apiVersion: {api}" + (draw(comment()) if draw(st.booleans()) else ""),
        f"kind: {kind}",
    ]
    if kind_first:
        head.reverse()
    body = ["metadata:", f"  name: {name}"]
    if labels:
        body += ["  labels:", *(f"    {line}" for line in labels)]
    if kind == "Kustomization":
        body += ["spec:", "  interval: 10m", "  prune: true"]
        if draw(st.booleans()):
            ref_api = draw(
                st.sampled_from(["source.toolkit.fluxcd.io/v1beta1", "source.toolkit.fluxcd.io/v1"])
            )
            if ref_api.endswith("beta1"):
                removed.append(ref_api)
            body += [
                "  sourceRef:",
                "    kind: GitRepository",
                f"    apiVersion: {_quote(ref_api, draw(quote_style))}"
                + (draw(comment()) if draw(st.booleans()) else ""),
                f"    name: {name}",
            ]
    lines = head + body
    # Comments and blank lines anywhere between top-level entries.
    extra = draw(st.lists(st.sampled_from(["", "# note", "#", "  # indented"]), max_size=3))
    for item in extra:
        position = draw(st.integers(0, len(lines)))
        if position < len(lines) and lines[position].startswith(" "):
            continue  # keep nested blocks together
        lines.insert(position, item)
    return "\n".join(lines), removed


@st.composite
def stream(draw: st.DrawFn) -> tuple[str, list[str]]:
    documents = draw(st.lists(obj(), min_size=1, max_size=3))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    start = draw(st.sampled_from(["", "---\n", "# file\n---\n"]))
    text = (
        start
        + "\n---\n".join(d for d, _ in documents)
        + draw(st.sampled_from(["", "\n", "\n...\n"]))
    )
    return text.replace("\n", newline), [v for _, removed in documents for v in removed]


def _fix_once(text: str) -> tuple[str, list]:
    findings = LINTER.lint_text("x.yaml", text).findings
    fixes = [f.fix for f in findings if f.fix is not None]
    taken, _ = plan_fixes(fixes)
    return fix_file(text, fixes), [e for fix in taken for e in fix.edits]


def _unquote(text: str) -> str:
    if text[:1] in ("'", '"') and text[-1:] == text[:1]:
        return text[1:-1]
    return text


@SETTINGS
@given(stream())
def test_fix_changes_only_the_api_versions(case: tuple[str, list[str]]):
    text, removed = case
    before = load_text(text)
    assume(not before.problems)
    fixed, edits = _fix_once(text)
    # Every removed apiVersion got exactly one edit, and the edit is that value, re-quoted alike.
    assert len(edits) == len(removed)
    for edit in edits:
        old = text[edit.start : edit.end]
        quote = old[0] if old[0] in "'\"" else ""
        assert edit.replacement.startswith(quote) and edit.replacement.endswith(quote)
        assert REPLACEMENT[_unquote(old)] == _unquote(edit.replacement)
    # Bytes outside the edited spans are identical.
    position = shift = 0
    for edit in sorted(edits, key=lambda e: e.start):
        assert fixed[position + shift : edit.start + shift] == text[position : edit.start]
        shift += len(edit.replacement) - (edit.end - edit.start)
        position = edit.end
    assert fixed[position + shift :] == text[position:]
    # The result loads, to the same data with the new apiVersions.
    after = load_text(fixed)
    assert not after.problems
    assert len(after.documents) == len(before.documents)
    for old_doc, new_doc in zip(before.documents, after.documents, strict=True):
        assert _replace_api_versions(old_doc.data) == new_doc.data
    # Fixing again changes nothing, and nothing removed is left.
    again, more = _fix_once(fixed)
    assert again == fixed and more == []
    assert not [f for f in LINTER.lint_text("x.yaml", fixed).findings if f.rule_id == "FL301"]


def _replace_api_versions(data: object) -> object:
    if isinstance(data, dict):
        return {
            k: REPLACEMENT.get(v, v)
            if k == "apiVersion" and isinstance(v, str)
            else _replace_api_versions(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_replace_api_versions(v) for v in data]
    return data


@SETTINGS
@given(stream(), st.sampled_from(["/spec", "", "/metadata", "/metadata/labels"]), label_keys)
def test_insert_key_only_adds_the_key(case: tuple[str, list[str]], pointer: str, key: str):
    text, _ = case
    loaded = load_text(text)
    assume(not loaded.problems)
    for doc in loaded.documents:
        fix = insert_key(pointer, key, "v")(doc, text)
        if fix is None:
            continue
        (edit,) = fix.edits
        assert edit.start == edit.end
        fixed = text[: edit.start] + edit.replacement + text[edit.end :]
        after = load_text(fixed)
        assert not after.problems
        data = after.documents[doc.index].data
        target = data
        for token in [t for t in pointer.split("/") if t]:
            target = target[token]
        assert target[key] == "v"
        # Line breaks of the inserted text match the file's.
        if "\r\n" in text and "\n" in edit.replacement:
            assert "\r\n" in edit.replacement and "\n" not in edit.replacement.replace("\r\n", "")


YAML_PIECES = [*"ab:-#'\"{}[], \t\n\r&*!|>", "\r\n", "\x85", "\u2028", "apiVersion", "é", "\n  "]
yaml_text = st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join)


@SETTINGS
@given(yaml_text)
def test_builders_never_raise_on_any_text(text: str):
    loaded = load_text(text)
    for doc in loaded.documents:
        for builder in (
            replace_scalar("/apiVersion", "x.io/v1"),
            replace_scalar("/a", "b"),
            replace_scalar("/0", "c"),
            insert_key("", "k", "v"),
            insert_key("/a", "k", "v", before="b"),
            insert_key("/a", "k", "v", after="b"),
        ):
            fix = builder(doc, text)
            if fix is not None:
                fixed = fix_file(text, [fix])
                assert len(load_text(fixed).problems) == len(loaded.problems)


@SETTINGS
@given(yaml_text)
def test_line_index_matches_libyaml_marks(text: str):
    from _ruamel_yaml import CParser

    index = LineIndex(text)
    parser = CParser(text)
    try:
        while True:
            event = parser.get_event()
            for mark in (event.start_mark, event.end_mark):
                assert index.offset(mark.line, mark.column) == mark.index
            if type(event).__name__ == "StreamEndEvent":
                break
    except Exception as exc:  # a syntax error ends the stream; marks up to it were checked
        if "Error" not in type(exc).__name__:
            raise


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5), st.text(max_size=3)), max_size=8))
def test_kept_edits_never_overlap(raw: list[tuple[int, int, str]]):
    from flux_lint.core.findings import Edit

    edits = [Edit(start, start + length, text) for start, length, text in raw]
    kept, dropped = select_edits(edits)
    assert len(kept) + len(dropped) <= len(edits)
    ordered = sorted(kept, key=lambda e: (e.start, e.end))
    for a, b in pairwise(ordered):
        assert a.end <= b.start
        assert not (a.start == a.end == b.start == b.end)
