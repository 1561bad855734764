"""The loader reads YAML the way Kubernetes does and never gives up on a file."""

from __future__ import annotations

import math

import pytest

from flux_lint.core.findings import KEY, VALUE, Span
from flux_lint.load.positions import locate
from flux_lint.load.yaml import load_text, resolve_plain


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("On", True),
        ("y", True),
        ("NO", False),
        ("off", False),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("010", 8),
        ("0x1F", 31),
        ("0b101", 5),
        ("0o17", 15),
        ("1_000", 1000),
        ("-42", -42),
        ("+7", 7),
        ("0", 0),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("2024-01-01", "2024-01-01"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("10m", "10m"),
        ("v1", "v1"),
        ("08", 8.0),
        ("9223372036854775808", 9.223372036854776e18),
    ],
)
def test_yaml_1_1_scalars(text, value):
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_special_floats():
    assert resolve_plain(".inf") == math.inf
    assert resolve_plain("-.Inf") == -math.inf
    assert math.isnan(resolve_plain(".NaN"))


def test_quoted_and_tagged_scalars_stay_strings():
    result = load_text("a: \"yes\"\nb: '010'\nc: !!str 12\nd: !env_var FOO\ne: |\n  yes\n")
    assert result.documents[0].data == {"a": "yes", "b": "010", "c": "12", "d": "FOO", "e": "yes\n"}
    assert result.problems == []


def test_go_accepts_reused_anchors_and_equals_key():
    result = load_text("a: &x 1\nb: &x 2\nc: *x\n=: eq\n")
    assert result.problems == []
    assert result.documents[0].data == {"a": 1, "b": 2, "c": 2, "=": "eq"}


def test_non_string_keys_become_json_keys():
    result = load_text("on: push\n1: one\nnull: x\n")
    assert result.documents[0].data == {"true": "push", "1": "one", "null": "x"}


def test_merge_keys():
    result = load_text("base: &b {k: 1, j: 2}\nm:\n  <<: *b\n  j: 3\n")
    assert result.documents[0].data["m"] == {"j": 3, "k": 1}


def test_duplicate_key_is_reported_at_second_key_and_last_wins():
    result = load_text("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert result.documents[0].data == {"a": 1, "b": {"c": 2}}
    [problem] = result.problems
    assert (problem.code, problem.line, problem.column) == ("duplicate-key", 3, 2)
    assert "duplicate key `c` (first defined on line 3)" in problem.message


def test_syntax_error_keeps_other_documents():
    text = "a: 1\n---\nk: [1, 2\n---\nafter: ok\n---\nx: [\n---\nz: 1\n"
    result = load_text(text)
    assert [(d.index, d.data) for d in result.documents] == [
        (0, {"a": 1}),
        (2, {"after": "ok"}),
        (4, {"z": 1}),
    ]
    assert [(p.code, p.line, p.document) for p in result.problems] == [
        ("syntax", 3, 1),
        ("syntax", 7, 3),
    ]


def test_tab_indentation_error_position():
    result = load_text("a: b\n\tc: d\n")
    [problem] = result.problems
    assert (problem.line, problem.column) == (1, 0)
    assert "tab" in problem.message


def test_control_character_is_a_syntax_problem_with_position():
    result = load_text("x: ok\ny: \x07bad\n")
    [problem] = result.problems
    assert (problem.code, problem.line, problem.column) == ("syntax", 1, 3)


def test_alias_bomb_is_refused():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(8):
        prev, cur = chr(97 + i), chr(98 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    result = load_text("\n".join(lines) + "\n")
    assert [p.code for p in result.problems] == ["limit"]
    assert "alias expansion" in result.problems[0].message
    assert result.documents[0].data is None


def test_deep_nesting_is_refused():
    result = load_text("a:\n" + "".join("  " * i + "- \n" for i in range(300)))
    assert [p.code for p in result.problems] == ["limit"]
    assert "nesting deeper than 200" in result.problems[0].message


def test_empty_inputs():
    assert load_text("").documents == []
    result = load_text("---\n---\n")
    assert [d.data for d in result.documents] == [None, None]
    assert load_text("# only a comment\n").documents == []


def test_positions_of_keys_values_and_missing_fields():
    text = (
        "apiVersion: v1\nkind: X\nspec:\n  list:\n    - name: a\n    - name: 'b'\n  flow: {x: 1}\n"
    )
    doc = load_text(text).documents[0]
    assert locate(doc.node, "/spec/list/1/name", VALUE) == Span(6, 13, 6, 16)
    assert locate(doc.node, "/spec/list/1/name", KEY) == Span(6, 7, 6, 11)
    assert locate(doc.node, "/spec", KEY) == Span(3, 1, 3, 5)
    assert locate(doc.node, "/spec/missing/deeper", KEY) == Span(3, 1, 3, 5)
    assert locate(doc.node, "/spec/flow/x", VALUE) == Span(7, 13, 7, 14)
    assert locate(doc.node, "", VALUE) == Span(1, 1, 1, 2)


def test_positions_count_characters_not_bytes():
    doc = load_text('a: "é€😀"\nb: x\n').documents[0]
    assert locate(doc.node, "/a", VALUE) == Span(1, 4, 1, 9)


def test_flow_scalars_with_colons_load_as_go_reads_them():
    result = load_text("roles: [os:etcd:backup]\nscopes: [openid, app:token]\nurl: {a: http://x}\n")
    assert result.problems == []
    assert result.documents[0].data == {
        "roles": ["os:etcd:backup"],
        "scopes": ["openid", "app:token"],
        "url": {"a": "http://x"},
    }
    doc = result.documents[0]
    assert locate(doc.node, "/scopes/1", VALUE) == Span(2, 18, 2, 27)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: b\n\tc: d\n", 1, 0),
        ("a:\n\t- b\n", 1, 0),
        ("spec:\n  k: |\n    a\n\tb\n", 3, 0),
        ("list:\n  -\t- nested\n", 1, 3),
    ],
)
def test_tab_indentation_message_and_position(text, line, column):
    [problem] = load_text(text).problems
    assert (problem.code, problem.line, problem.column) == ("syntax", line, column)
    assert problem.message == "tab character used for indentation"
    assert problem.severity is None


def test_tabs_as_separation_are_read_with_exact_positions():
    # libyaml rejects these; the spec allows them: a second reading takes them, positions kept.
    text = "a: 1\n---\nitems:\n  -\tfirst\n  - foo:\t bar\nnext:\n \tvalue\n---\nz: 2\n"
    result = load_text(text)
    assert result.problems == []
    assert [(d.index, d.data) for d in result.documents] == [
        (0, {"a": 1}),
        (1, {"items": ["first", {"foo": "bar"}], "next": "value"}),
        (2, {"z": 2}),
    ]
    doc = result.documents[1]
    assert locate(doc.node, "/items/0", VALUE) == Span(4, 5, 4, 10)
    assert locate(doc.node, "/next", VALUE) == Span(7, 3, 7, 8)


def test_a_tab_inside_a_block_scalar_is_never_rewritten():
    # Rewriting this tab would change the value: the error stands.
    result = load_text("k: |\n x\n\ty\n")
    assert [(p.line, p.column, p.message) for p in result.problems] == [
        (2, 0, "tab character used for indentation")
    ]


def test_document_end_marker_alone_is_valid():
    result = load_text("a: 1\n...\n# nothing more\n...\n")
    assert result.problems == []
    assert [d.data for d in result.documents] == [{"a": 1}]


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ('key: "value"# note\n', 0, 12, "a comment needs a space before `#`"),
        ("k: [a, b]#x\n", 0, 9, "a comment needs a space before `#`"),
        ("k: [a,#x\n  b]\n", 0, 6, "a comment needs a space before `#`"),
        ("k: >#x\n  text\n", 0, 4, "a comment needs a space before `#`"),
        ("k: [-]\n", 0, 4, "`-` alone is not a plain scalar"),
        ('k: "a\nb"\n', 1, 0, "must start to the right of column 1"),
        ("k:\n  l: [a,\n  b]\n", 2, 2, "must start to the right of column 3"),
        ("x: 1\n%TAG !e! tag:e.com:\n---\ny: 2\n", 1, 0, "needs `...` to end that document"),
    ],
)
def test_what_only_the_spec_forbids_is_a_warning_and_the_data_is_kept(text, line, column, fragment):
    result = load_text(text)
    [problem] = result.problems
    assert (problem.code, problem.line, problem.column) == ("syntax", line, column)
    assert problem.severity == "warning"
    assert fragment in problem.message
    assert "Go's YAML reader accepts it" in problem.message
    assert all(d.data is not None for d in result.documents)


def test_a_yaml_directive_go_rejects_after_an_open_document_is_an_error():
    [problem] = load_text("x: 1\n%YAML 1.2\n---\ny: 2\n").problems
    assert (problem.line, problem.column, problem.severity) == (1, 0, None)
    assert "needs `...`" in problem.message


def test_closing_brackets_at_the_parent_indentation_are_accepted():
    result = load_text('spec:\n  args: [\n    "a",\n  ]\n  env: {\n    A: "1"\n  }\n')
    assert result.problems == []
    assert result.documents[0].data == {"spec": {"args": ["a"], "env": {"A": "1"}}}


def test_nodes_per_document_are_bounded():
    big = "items:\n" + "".join(f"  - {i}\n" for i in range(50))
    result = load_text("a: 1\n---\n" + big + "---\nz: 2\n", max_nodes_per_document=20)
    assert [(d.index, d.data) for d in result.documents] == [(0, {"a": 1}), (2, {"z": 2})]
    [problem] = result.problems
    # Crossed at the 21st node: the mapping, `items`, the sequence, then items 0..17 (line 20).
    assert (problem.code, problem.line, problem.column, problem.document) == ("limit", 20, 4, 1)
    assert "more than 20 YAML nodes in one document" in problem.message


def test_nodes_per_file_are_bounded_and_the_rest_is_not_read():
    docs = "".join(f"---\nk{i}: [1, 2, 3]\n" for i in range(10))
    result = load_text(docs, max_nodes_per_file=18)
    assert len(result.documents) == 3  # 6 nodes each: the mapping of the 4th crosses 18
    [problem] = result.problems
    assert (problem.code, problem.line, problem.column) == ("limit", 7, 0)
    assert "more than 18 YAML nodes in one file" in problem.message
