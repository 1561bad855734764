"""Inline suppressions: which comments are directives, what they cover, FL008 and FL010.

The reading of comments is tested on its traps (``#`` inside quoted and block scalars, block
scalar header comments, broken YAML, byte order marks, unusual line breaks); the effect on a
run is tested end to end through :func:`flux_lint.check.engine.run`, since suppressions are applied
only once every finding, including the repository-wide ones, exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flux_lint.check.engine import RunConfig
from flux_lint.check.registry import builtin_registry
from flux_lint.core.findings import Suppression
from flux_lint.load.directives import Directive, parse
from flux_lint.load.yaml import load_text
from flux_lint.report.fix import apply_fixes
from flux_lint.report.output import OutputOptions, RunSummary, render
from flux_lint.run.pipeline import run

HEADER = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 5m
  url: https://github.com/example/app
"""


def _directives(text: str) -> list[tuple[str, tuple[str, ...], int, int, int]]:
    """(action, rules, line, first, last) of every directive."""
    return [
        (d.action, tuple(c.text for c in d.codes), d.line, d.first, d.last)
        for d in parse(text).directives
    ]


def _run(tmp_path: Path, files: dict[str, str], **kwargs) -> list[tuple]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    result = run(RunConfig(paths=[str(tmp_path)], **kwargs))
    return [
        (f.path, f.line, f.column, f.rule_id, f.message, f.suppression) for f in result.findings
    ]


# -- which comments are directives ------------------------------------------------------------


def test_no_marker_no_scan():
    assert not parse("a: 1 # disable=FL101\n")
    assert parse("a: 1\n").directives == []


def test_hash_inside_quoted_scalars_is_text():
    text = (
        'a: "x # flux-lint: disable=FL101"\n'
        "b: 'y # flux-lint: disable=FL102'\n"
        'c: "multi\n'
        "  # flux-lint: disable=FL103\n"
        '  line" # flux-lint: disable=FL104\n'
    )
    assert _directives(text) == [("disable", ("FL104",), 5, 5, 5)]


def test_block_scalar_content_is_text_but_its_header_comment_is_not():
    text = (
        "script: |  # flux-lint: disable=FL101\n"
        "  # flux-lint: disable=FL102\n"
        "  echo hi # flux-lint: disable=FL103\n"
        "\n"
        "    # flux-lint: disable=FL104\n"
        "folded: >-\n"
        "  # flux-lint: disable=FL105\n"
        "# flux-lint: disable-next-line=FL106\n"
        "other: 1\n"
    )
    assert _directives(text) == [
        ("disable", ("FL101",), 1, 1, 1),
        ("disable-next-line", ("FL106",), 8, 9, 9),
    ]


def test_less_indented_comment_ends_a_block_scalar():
    text = "a:\n    b: |\n      text\n  # flux-lint: disable-next-line=FL101\n    c: 1\n"
    assert _directives(text) == [("disable-next-line", ("FL101",), 4, 5, 5)]


def test_hash_needs_a_blank_before_it():
    text = "a: [b#flux-lint: disable=FL101]\nc: d #flux-lint: disable=FL102\n"
    assert _directives(text) == [("disable", ("FL102",), 2, 2, 2)]


def test_flow_collections_and_hash_in_keys():
    text = '{a: "#x", b: [1, 2]} # flux-lint: disable=FL101\n"k # flux-lint: x": 1\n'
    assert _directives(text) == [("disable", ("FL101",), 1, 1, 1)]


def test_directive_after_other_comment_text_and_two_on_one_line():
    text = (
        "a: 1 # a note # flux-lint: disable=FL101 # flux-lint: disable=FL102 -- why\n"
        "b: 2 # see flux-lint: docs\n"
    )
    found = parse(text)
    assert [(d.action, [c.text for c in d.codes], d.reason) for d in found.directives] == [
        ("disable", ["FL101"], ""),
        ("disable", ["FL102"], "why"),
    ]
    assert found.errors == []  # `flux-lint:` must follow the `#` to be a directive


def test_positions_and_justification():
    text = "a: 1  # flux-lint: disable=FL101, unknown-field -- kept on purpose  \n"
    (directive,) = parse(text).directives
    assert isinstance(directive, Directive)
    assert (directive.line, directive.column, directive.end_column) == (1, 7, 67)
    assert [(c.text, c.column, c.end_column) for c in directive.codes] == [
        ("FL101", 28, 33),
        ("unknown-field", 35, 48),
    ]
    assert directive.reason == "kept on purpose"


def test_byte_order_mark_takes_no_column():
    text = "\ufeff# flux-lint: disable-file=FL101\na: 1\n"
    (directive,) = parse(text).directives
    assert (directive.line, directive.column, directive.codes[0].column) == (1, 1, 27)


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\u2028", "\x85"])
def test_line_numbers_follow_libyaml_line_breaks(newline: str):
    text = newline.join(["a: 1", "# flux-lint: disable-next-line=FL101", "", "b: 2", ""])
    assert _directives(text) == [("disable-next-line", ("FL101",), 2, 4, 4)]


def test_next_line_skips_comments_and_blank_lines_and_may_cover_nothing():
    text = (
        "# flux-lint: disable-next-line=FL101\n"
        "# flux-lint: disable-next-line=FL102\n"
        "\n"
        "a: 1\n"
        "# flux-lint: disable-next-line=FL103\n"
    )
    assert _directives(text) == [
        ("disable-next-line", ("FL101",), 1, 4, 4),
        ("disable-next-line", ("FL102",), 2, 4, 4),
        ("disable-next-line", ("FL103",), 5, 0, -1),
    ]


def test_next_line_inside_a_multi_line_scalar():
    text = 'a: "one\n# flux-lint: not a comment\n  two"\n'
    assert _directives(text) == []


def test_documents():
    text = (
        "# flux-lint: disable-document=FL101\n"  # header above the first ---: document 0
        "---\n"
        "a: 1\n"
        "---\n"
        "b: 2 # flux-lint: disable-document=FL102\n"
        "c: 3\n"
        "...\n"
        "---\n"
        "# flux-lint: disable-document=FL103\n"
        "d: 4\n"
    )
    found = parse(text).directives
    assert [(d.document, d.first, d.last) for d in found] == [
        (0, 1, 3),
        (1, 4, 7),
        (2, 8, found[2].last),
    ]
    assert found[2].last > 10**9  # to the end of the file


def test_implicit_first_document():
    text = "a: 1 # flux-lint: disable-document=FL101\n---\nb: 2\n"
    (directive,) = parse(text).directives
    assert (directive.document, directive.first, directive.last) == (0, 1, 1)


def test_after_a_syntax_error_only_whole_line_comments_are_read():
    text = (
        "# flux-lint: disable-file=FL001\n"
        'a: "unterminated\n'
        "b: 1 # flux-lint: disable=FL102\n"
        "# flux-lint: disable=FL103\n"
        "---\n"
        "c: 1 # flux-lint: disable=FL104\n"
    )
    assert _directives(text) == [
        ("disable-file", ("FL001",), 1, 1, _directives(text)[0][4]),
        ("disable", ("FL103",), 4, 4, 4),
        ("disable", ("FL104",), 6, 6, 6),
    ]


@pytest.mark.parametrize(
    ("comment", "message", "column"),
    [
        ("disabel=FL101", "unknown directive `disabel`; did you mean `disable`?", 19),
        ("enable=FL101", "unknown directive `enable`; did you mean `disable`?", 19),
        ("this file is generated", "unknown directive `this` (use `disable`, ", 19),
        ("disable=", "`disable=` needs the rules it suppresses", 19),
        ("disable-file =  # note", "`disable-file=` needs the rules it suppresses", 19),
        ("disable this is generated", "unexpected `this` after `disable` (name rules", 27),
        ("disable=FL101 FL102", "unexpected `FL102` after the rules", 33),
        ("disable=FL101,", "unexpected `,` after the rules", 32),
        ("", "a `flux-lint:` comment must name a directive", 6),
    ],
)
def test_unreadable_directives(comment: str, message: str, column: int):
    found = parse(f"a: 1 # flux-lint: {comment}\n")
    assert found.directives == []
    (error,) = found.errors
    assert error.message.startswith(message), error.message
    assert (error.line, error.column) == (1, column)


def test_bare_directives_name_no_rules():
    text = (
        "a: 1 # flux-lint: disable\n"
        "# flux-lint: disable-next-line -- generated\n"
        "b: 2\n"
        "# flux-lint:disable-file\n"
    )
    found = parse(text)
    assert found.errors == []
    assert [
        (d.action, d.codes, d.blanket, d.reason, d.first, d.last) for d in found.directives
    ] == [
        ("disable", (), True, "", 1, 1),
        ("disable-next-line", (), True, "generated", 3, 3),
        ("disable-file", (), True, "", 1, 1 << 62),
    ]


# -- effect on a run ------------------------------------------------------------------------


def test_bare_directives_suppress_every_rule(tmp_path: Path):
    text = (
        HEADER.replace("interval: 5m", "interval: 5 minutes # flux-lint: disable")
        + "  # flux-lint: disable-next-line -- legacy field\n"
        "  timout: 60s\n"
        "  tagg: v1\n"
    )
    found = _run(tmp_path, {"git.yaml": text})
    assert [(line, rule, sup) for _, line, _, rule, _, sup in found] == [
        (7, "FL104", Suppression("inline", "")),
        (10, "FL101", Suppression("inline", "legacy field")),
        (11, "FL101", None),
    ]
    whole = "# flux-lint: disable-file -- vendored\n" + text
    found = _run(tmp_path, {"git.yaml": whole})
    assert [(rule, sup.kind if sup else None) for _, _, _, rule, _, sup in found] == [
        ("FL104", "inline"),
        ("FL101", "inline"),
        ("FL101", "inline"),
    ]


def test_unused_bare_directive_is_fl008_and_fixed(tmp_path: Path):
    text = HEADER + "  suspend: false # flux-lint: disable\n  # flux-lint: disable-next-line\n"
    found = _run(tmp_path, {"git.yaml": text})
    assert [(line, col, rule, message) for _, line, col, rule, message, _ in found] == [
        (9, 18, "FL008", "blanket `disable` suppresses nothing"),
        (
            10,
            3,
            "FL008",
            "blanket `disable-next-line` suppresses nothing; there is no line after it",
        ),
    ]
    result = run(RunConfig(paths=[str(tmp_path)]))
    outcome = apply_fixes(result, write=True)
    assert not outcome.errors
    assert (tmp_path / "git.yaml").read_text(encoding="utf-8") == HEADER + "  suspend: false\n"
    # A blanket directive never hides the report that it is unused (as `all` does not).
    stale = "# flux-lint: disable-file\n" + HEADER
    found = _run(tmp_path, {"git.yaml": stale})
    assert [(line, rule, message, sup) for _, line, _, rule, message, sup in found] == [
        (1, "FL008", "blanket `disable-file` suppresses nothing", None)
    ]


def test_suppressed_findings_stay_marked_with_the_justification(tmp_path: Path):
    found = _run(
        tmp_path,
        {"git.yaml": HEADER + "  timout: 60s # flux-lint: disable=FL101 -- migration pending\n"},
    )
    assert found == [
        (
            "git.yaml",
            9,
            3,
            "FL101",
            "unknown field `spec.timout`; did you mean `timeout`?",
            Suppression("inline", "migration pending"),
        )
    ]


def test_every_scope(tmp_path: Path):
    text = (
        "# flux-lint: disable-file=FL104\n"
        + HEADER.replace("interval: 5m", "interval: 5 minutes")
        + "  # flux-lint: disable-next-line=unknown-field\n"
        "  timout: 60s\n"
        "  tagg: v1\n"
        "---\n"
        "# flux-lint: disable-document=FL1\n" + HEADER + "  semvr: 1.x\n"
    )
    found = _run(tmp_path, {"git.yaml": text})
    assert [(line, rule, sup.kind if sup else None) for _, line, _, rule, _, sup in found] == [
        (8, "FL104", "inline"),
        (11, "FL101", "inline"),
        (12, "FL101", None),
        (23, "FL101", "inline"),
    ]


def test_repository_findings_are_suppressed_too(tmp_path: Path):
    text = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tenants
  namespace: flux-system
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: tenants # flux-lint: disable=missing-source -- created by the platform team
  path: ./
  prune: true
"""
    found = _run(tmp_path, {"ks.yaml": text})
    assert [(rule, sup) for _, _, _, rule, _, sup in found] == [
        ("FL501", Suppression("inline", "created by the platform team"))
    ]


def test_unused_and_unknown_are_reported(tmp_path: Path):
    text = HEADER + (
        "  suspend: false # flux-lint: disable=FL101\n"
        "  timout: 60s # flux-lint: disable=FL101,FL999\n"
    )
    found = _run(tmp_path, {"git.yaml": text})
    assert [(line, col, rule, message) for _, line, col, rule, message, _ in found] == [
        (9, 18, "FL008", "`FL101` suppresses nothing"),
        (10, 3, "FL101", "unknown field `spec.timout`; did you mean `timeout`?"),
        (10, 42, "FL010", "unknown rule `FL999` in suppression"),
    ]


def test_unused_is_not_reported_for_rules_the_run_did_not_run(tmp_path: Path):
    text = HEADER + "  suspend: false # flux-lint: disable=FL101\n"
    registry = builtin_registry()
    selected = registry.expand("FL0") | registry.expand("FL3")
    assert _run(tmp_path, {"git.yaml": text}, enabled=selected) == []
    ignored = set(registry.rules) - {"FL008"}
    assert _run(tmp_path, {"git.yaml": text}, enabled=ignored) == []


def test_unused_report_is_suppressed_only_by_name(tmp_path: Path):
    text = (
        "# flux-lint: disable-file=unused-suppression -- generated file\n"
        + HEADER
        + "  suspend: false # flux-lint: disable=FL101\n"
    )
    found = _run(tmp_path, {"git.yaml": text})
    assert [(line, rule, sup) for _, line, _, rule, _, sup in found] == [
        (10, "FL008", Suppression("inline", "generated file"))
    ]
    blanket = "# flux-lint: disable-file=all\n" + HEADER + "  timout: 60s\n"
    found = _run(tmp_path, {"git.yaml": blanket})
    assert [(rule, sup.kind if sup else None) for _, _, _, rule, _, sup in found] == [
        ("FL101", "inline")
    ]
    nothing = "# flux-lint: disable-file=all\n" + HEADER
    found = _run(tmp_path, {"git.yaml": nothing})
    assert [(line, rule, message, sup) for _, line, _, rule, message, sup in found] == [
        (1, "FL008", "`all` suppresses nothing", None)
    ]


def test_syntax_errors_can_be_suppressed(tmp_path: Path):
    text = '# flux-lint: disable-file=yaml-syntax-error -- templated\na: "{{ x }\n'
    found = _run(tmp_path, {"tpl.yaml": text})
    assert [(rule, sup) for _, _, _, rule, _, sup in found] == [
        ("FL001", Suppression("inline", "templated"))
    ]


def test_stdin(tmp_path: Path):
    text = HEADER + "  timout: 60s # flux-lint: disable=FL101\n"
    result = run(RunConfig(paths=["-"], stdin_text=text))
    assert [(f.path, f.rule_id, f.suppression) for f in result.findings] == [
        ("-", "FL101", Suppression("inline", ""))
    ]


def test_fix_removes_unused_suppressions(tmp_path: Path):
    text = HEADER + (
        "  # flux-lint: disable-next-line=FL102\n"
        "  suspend: false # flux-lint: disable=FL101 -- stale\n"
        "  timout: 60s # flux-lint: disable=FL104,unknown-field,FL105 -- legacy\n"
        "  tagg: v1 # note # flux-lint: disable=FL102\n"
    )
    (tmp_path / ".git").mkdir()
    (tmp_path / "git.yaml").write_text(text, encoding="utf-8")
    config = RunConfig(paths=[str(tmp_path)])
    result = run(config)
    assert [f.rule_id for f in result.findings if f.suppression is None] == [
        "FL008",
        "FL008",
        "FL008",
        "FL101",
        "FL008",
    ]
    outcome = apply_fixes(result, write=True)
    assert not outcome.errors
    fixed = (tmp_path / "git.yaml").read_text(encoding="utf-8")
    assert fixed == HEADER + (
        "  suspend: false\n"
        "  timout: 60s # flux-lint: disable=unknown-field -- legacy\n"
        "  tagg: v1 # note\n"
    )
    again = run(config)
    assert [(f.rule_id, f.suppression) for f in again.findings] == [
        ("FL101", Suppression("inline", "legacy")),
        ("FL101", None),
    ]
    assert load_text(fixed).problems == []


def test_json_and_sarif_flag_inline_suppressions(tmp_path: Path):
    text = HEADER + "  timout: 60s # flux-lint: disable=FL101 -- migration pending\n"
    (tmp_path / ".git").mkdir()
    (tmp_path / "git.yaml").write_text(text, encoding="utf-8")
    result = run(RunConfig(paths=[str(tmp_path)]))
    registry = builtin_registry()
    as_json = json.loads(
        render("json", result.findings, rules=registry, report=RunSummary(files=1))
    )
    assert as_json["findings"][0]["suppressed"] == {
        "kind": "inline",
        "justification": "migration pending",
    }
    sarif = json.loads(
        render(
            "sarif",
            result.findings,
            rules=registry,
            report=RunSummary(files=1),
            options=OutputOptions(source=result.texts.get),
        )
    )
    assert sarif["runs"][0]["results"][0]["suppressions"] == [
        {"kind": "inSource", "justification": "migration pending"}
    ]
    assert render("text", result.findings, rules=registry, report=RunSummary(files=1)) == ""


# -- robustness ---------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "a: 1",
        "- x",
        "---",
        "...",
        "key: |",
        "  text",
        "k: 'q",
        'k: "q',
        "# flux-lint: disable=FL101",
        "x # flux-lint: disable-next-line=all -- why",
        "# flux-lint: disable-document=",
        "#flux-lint:",
        "\t",
        "{a: [",
        "\ufeff",
        "&a *a",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]), st.text(max_size=8))
def test_parse_never_raises_and_positions_are_inside_the_text(pieces, newline, noise):
    text = newline.join(pieces) + noise + " # flux-lint: disable=FL101"
    found = parse(text)
    lines = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", text))  # libyaml's line breaks
    for directive in found.directives:
        assert 1 <= directive.line <= lines
        assert 0 <= directive.cut[0] <= directive.cut[1] <= len(text)
        assert text[directive.codes_at[0] : directive.codes_at[1]].replace(" ", "").split(",") == [
            code.text for code in directive.codes
        ]
    for error in found.errors:
        assert 1 <= error.line <= lines
