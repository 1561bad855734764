"""CEL as the Kubernetes API server evaluates it: compiling, values, semantics, fast path."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flux_lint.check import cel
from flux_lint.check.cel import CelCompileError, CelEvalError


def run(source: str, self_value: object = None, **variables: object) -> object:
    """Evaluate with plain JSON values and return plain Python values."""
    activation = {"self": self_value, **variables}
    return cel.to_python(cel.evaluate(cel.compile_expression(source), activation))


def error_of(source: str, self_value: object = None) -> CelEvalError:
    with pytest.raises(CelEvalError) as info:
        cel.evaluate(cel.compile_expression(source), {"self": self_value})
    return info.value


# --------------------------------------------------------------------------------------------
# Compiling


def test_compile_is_cached_per_source_and_variables():
    first = cel.compile_expression("has(self.a) || self.b == 'x'", ["self"])
    assert cel.compile_expression("has(self.a) || self.b == 'x'", ["self"]) is first
    assert cel.compile_expression("has(self.a) || self.b == 'x'", ("self",)) is first
    assert cel.compile_expression("has(self.a) || self.b == 'x'") is not first


def test_compile_errors_are_cached_and_raised_fresh():
    with pytest.raises(CelCompileError) as one:
        cel.compile_expression("self.a ==")
    with pytest.raises(CelCompileError) as two:
        cel.compile_expression("self.a ==")
    assert one.value is not two.value
    assert (one.value.line, one.value.column, one.value.reason) == (
        two.value.line,
        two.value.column,
        two.value.reason,
    )


@pytest.mark.parametrize(
    ("source", "line", "column", "reason"),
    [
        ("", 1, 1, "empty expression"),
        ("   ", 1, 1, "empty expression"),
        ("self.a ==", 1, 10, "unexpected end of expression"),
        ("self.a == 'x", 1, 11, "unterminated string literal"),
        ("self.a # 1", 1, 8, "unexpected character `#`"),
        ("self.a ?? 1", 1, 9, "unexpected `?`"),
        ("self.items.exist(i, i > 1)", 1, 12, "undeclared reference to function `exist`"),
        ("lowercase(self.a)", 1, 1, "undeclared reference to function `lowercase`"),
        ("has(self)", 1, 1, "invalid argument to has() macro"),
        ("self.l.all(1, true)", 1, 8, "the first argument of `all` must be a simple name"),
        ("self.l.map(x, x, x, x)", 1, 8, "`map` takes exactly 2 or 3 arguments"),
        ("other.name == 'x'", 1, 1, "undeclared reference to `other`"),
        ("self.a &&\n  self.b.nope()", 2, 10, "undeclared reference to function `nope`"),
    ],
)
def test_compile_errors_have_positions(source, line, column, reason):
    with pytest.raises(CelCompileError) as info:
        cel.compile_expression(source, ["self", "oldSelf"])
    assert (info.value.line, info.value.column, info.value.reason) == (line, column, reason)
    assert str(info.value) == f"line {line}, column {column}: {reason}"


def test_compile_accepts_bound_macro_variables_and_type_names():
    program = cel.compile_expression(
        "self.l.all(item, type(item) == string) && self.l.exists(x, x == 'a')", ["self"]
    )
    assert program.variables == frozenset({"self"})


def test_compile_reports_the_variables_an_expression_reads():
    program = cel.compile_expression("self.a == oldSelf.a")
    assert program.variables == frozenset({"self", "oldSelf"})


def test_functions_outside_the_api_server_compile_but_are_unsupported():
    program = cel.compile_expression("math.greatest(self.a, 1) == math.least(self.a, 1)", ["self"])
    assert program.unsupported == {"math.greatest", "math.least"}
    with pytest.raises(CelEvalError) as info:
        cel.evaluate(program, {"self": {"a": 2}})
    assert info.value.unsupported
    # An unsupported function on a branch that does not matter does not matter.
    assert run("true || math.abs(self.a) == 1", {"a": 1}) is True


def test_namespaced_library_calls_compile():
    program = cel.compile_expression("math.greatest(1, 2) == 2", ["self"])
    assert "math.greatest" in program.unsupported
    assert cel.compile_expression("sets.contains([1], [1])", ["self"]).unsupported == set()
    with pytest.raises(CelCompileError, match=r"undeclared reference to function `sets\.nope`"):
        cel.compile_expression("sets.nope([1], [1])", ["self"])
    # A macro variable named like a namespace is a variable.
    assert run("[[1]].all(sets, sets.size() == 1)") is True


# --------------------------------------------------------------------------------------------
# Semantics


def test_has_on_map_fields():
    assert run("has(self.a)", {"a": 1}) is True
    assert run("has(self.a)", {"b": 1}) is False
    assert run("has(self.a)", {"a": None}) is True  # present, even if null
    assert run("has(self.a.b)", {"a": {"b": ""}}) is True


def test_has_on_a_missing_parent_is_an_error_not_false():
    assert error_of("has(self.a.b)", {}).message == "no such key: a"
    assert "no such overload" in error_of("has(self.a.b)", {"a": "text"}).message


def test_missing_key_is_an_error_not_false():
    error = error_of("self.provider == 'aws'", {})
    assert error.message == "no such key: provider"
    assert not error.unsupported


def test_logical_operators_absorb_errors_like_cel():
    assert run("self.missing == 'x' || true", {}) is True
    assert run("true || self.missing == 'x'", {}) is True
    assert run("self.missing == 'x' && false", {}) is False
    assert error_of("false || self.missing == 'x'", {}).message == "no such key: missing"
    assert error_of("true && self.missing == 'x'", {}).message == "no such key: missing"


def test_evaluate_bool_rejects_non_bool_results():
    program = cel.compile_expression("self.a", ["self"])
    with pytest.raises(CelEvalError, match="rule evaluated to string, not bool"):
        cel.evaluate_bool(program, {"self": {"a": "x"}})
    assert cel.evaluate_bool(cel.compile_expression("self.a"), {"self": {"a": True}}) is True


def test_type_mismatch_is_a_no_such_overload_error():
    assert error_of("self.a == 'x'", {"a": 1}).message == "no such overload: int == string"
    assert error_of("!self.a", {"a": 1}).message == "no such overload: !int"


def test_size():
    assert run("size(self.s) + size(self.l) + size(self.m)", {"s": "héé", "l": [1], "m": {}}) == 4
    assert run("self.s.size()", {"s": "ab"}) == 2
    assert error_of("size(self.n)", {"n": None}).message == "no such overload: size(null_type)"


def test_macros():
    data = {"l": [{"n": 1}, {"n": 2}], "m": {"ab": 1, "ac": 2}}
    assert run("self.l.all(x, x.n > 0)", data) is True
    assert run("self.l.exists(x, x.n == 2)", data) is True
    assert run("self.l.exists_one(x, x.n > 1)", data) is True
    assert run("self.l.map(x, x.n * 10)", data) == [10, 20]
    assert run("self.l.filter(x, x.n > 1)", data) == [{"n": 2}]
    assert run("self.m.all(k, k.startsWith('a'))", data) is True


def test_macros_propagate_errors():
    data = {"l": [{"n": 1}, {}]}
    assert error_of("self.l.map(x, x.n)", data).message == "no such key: n"
    assert error_of("self.l.filter(x, x.n == 1)", data).message == "no such key: n"
    assert error_of("self.l.exists_one(x, x.n == 1)", data).message == "no such key: n"
    assert error_of("self.l.all(x, x.n == 1)", data).message == "no such key: n"
    # ... unless an element already decides the answer.
    assert run("self.l.all(x, x.n == 2)", data) is False
    assert run("self.l.exists(x, x.n == 1)", data) is True


def test_matches_is_an_re2_search():
    assert run("'xa.bx'.matches('a\\\\.b')") is True  # `\\.` in CEL source is regex `\.`
    assert run("'xaxbx'.matches('a\\\\.b')") is False
    assert run("'a.b'.matches('^a.b$')") is True
    assert run("'line\\n'.matches('^line$')") is False  # Python's re would match here
    assert run("'a\\nb'.matches('(?m)^b$')") is True


def test_matches_with_an_invalid_regex_is_an_error():
    assert "invalid regular expression" in error_of("'x'.matches('(')").message
    assert "invalid regular expression" in error_of("'x'.matches('(?=x)')").message


def test_artifact_name_rule_escapes():
    rule = (
        "self.artifacts.all(a, a.name.matches("
        "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'))"
    )
    program = cel.compile_expression(rule, ["self"])
    for name, valid in [("app", True), ("app.v1", True), ("a..b", False), ("App", False)]:
        value = {"artifacts": [{"name": name}]}
        assert cel.evaluate_bool(program, {"self": value}) is valid, name


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'AbC-Ü'.lowerAscii()", "abc-Ü"),
        ("'abc-ü'.upperAscii()", "ABC-ü"),
        ("'a,b,c'.split(',')", ["a", "b", "c"]),
        ("'a,b,c'.split(',', 2)", ["a", "b,c"]),
        ("'a,b,c'.split(',', 0)", []),
        ("'abc'.split('')", ["a", "b", "c"]),
        ("'abc'.split('', 2)", ["a", "bc"]),
        ("'hello'.indexOf('l')", 2),
        ("'hello'.indexOf('l', 3)", 3),
        ("'hello'.indexOf('z')", -1),
        ("'hello'.indexOf('')", 0),
        ("'hello'.lastIndexOf('l')", 3),
        ("'hello'.lastIndexOf('l', 2)", 2),
        ("'héllo'.charAt(1)", "é"),
        ("'abc'.charAt(3)", ""),
        ("'  \\t x y \\n'.trim()", "x y"),
        ("'a-b-c'.replace('-', '+')", "a+b+c"),
        ("'a-b-c'.replace('-', '+', 1)", "a+b-c"),
        ("'abcdef'.substring(2)", "cdef"),
        ("'abcdef'.substring(1, 3)", "bc"),
        ("['a', 'b'].join()", "ab"),
        ("['a', 'b'].join('/')", "a/b"),
        ("'abc'.reverse()", "cba"),
        ("'v1.2.3'.find('[0-9]+')", "1"),
        ("'v1.2.3'.find('x')", ""),
        ("'v1.22.3'.findAll('[0-9]+')", ["1", "22", "3"]),
        ("'v1.22.3'.findAll('[0-9]+', 2)", ["1", "22"]),
        ("[3, 1, 2].indexOf(2)", 2),
        ("[1, 2, 2].lastIndexOf(2)", 2),
        ("[1, 2, 3].isSorted()", True),
        ("[1, 3, 2].isSorted()", False),
        ("[1, 2, 3].sum()", 6),
        ("[1, 5, 3].max()", 5),
        ("[4, 2, 3].min()", 2),
        ("'hello'.contains('ell') && 'hello'.startsWith('he') && 'hello'.endsWith('lo')", True),
    ],
)
def test_string_and_list_library(source, expected):
    assert run(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("'abc'.charAt(4)", "index out of range: 4"),
        ("'abc'.substring(2, 1)", "invalid substring range. start: 2, end: 1"),
        ("'abc'.substring(0, 4)", "index out of range: 4"),
        ("'abc'.indexOf('a', -1)", "index out of range: -1"),
    ],
)
def test_library_range_errors(source, message):
    assert error_of(source).message == message


def test_extension_registry_adds_functions():
    @cel.extension("flTestTwice")
    def twice(value):
        return value + value

    try:
        assert run("'ab'.flTestTwice() == 'abab' && flTestTwice(2) == 4") is True
    finally:
        del cel.EXTENSIONS["flTestTwice"]


# --------------------------------------------------------------------------------------------
# Values


def test_to_cel_follows_the_schema():
    schema = {
        "type": "object",
        "properties": {
            "ratio": {"type": "number"},
            "count": {"type": "integer"},
            "when": {"type": "string", "format": "date-time"},
            "raw": {"type": "string", "format": "byte"},
            "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    data = {
        "ratio": 1,
        "count": 2.0,
        "when": "2024-01-02T03:04:05Z",
        "raw": "aGk=",
        "values": {"anything": 1},
        "labels": {"app": "x"},
        "typo": "pruned",
    }
    value = cel.to_cel(data, schema)
    assert isinstance(value["ratio"], cel.celtypes.DoubleType)
    assert isinstance(value["count"], cel.celtypes.IntType)
    assert isinstance(value["when"], datetime.datetime)
    assert value["raw"] == b"hi"
    assert dict(value["values"]) == {}  # preserved, but not readable from CEL
    assert cel.to_python(value["labels"]) == {"app": "x"}
    assert "typo" not in value


def test_to_cel_keeps_badly_formatted_strings_as_strings():
    schema = {"type": "object", "properties": {"when": {"type": "string", "format": "date-time"}}}
    assert cel.to_python(cel.to_cel({"when": "${DATE}"}, schema)) == {"when": "${DATE}"}


def test_to_cel_root_metadata_shows_only_name_and_generate_name():
    schema = {"type": "object", "properties": {"metadata": {"type": "object"}}}
    data = {"metadata": {"name": "a", "namespace": "b", "labels": {"x": "y"}}}
    assert cel.to_python(cel.to_cel(data, schema, root=True)) == {"metadata": {"name": "a"}}


def test_number_fields_compare_as_doubles():
    schema = {"type": "object", "properties": {"ratio": {"type": "number"}}}
    program = cel.compile_expression("self.ratio > 0.5", ["self"])
    assert cel.evaluate_bool(program, {"self": cel.to_cel({"ratio": 1}, schema)}) is True


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=10,
    )
)
def test_to_cel_round_trips_json(value):
    assert cel.to_python(cel.to_cel(value)) == value


def test_view_converts_each_node_once():
    schema = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"ref": {"type": "object"}}}},
    }
    view = cel.CelView({"spec": {"ref": {}}}, schema)
    spec = view.at(("spec",), schema["properties"]["spec"])
    assert view.at(("spec",), schema["properties"]["spec"]) is spec
    ref = view.at(("spec", "ref"), {"type": "object"})
    assert ref is spec["ref"]
    assert view.plain(("spec",), schema["properties"]["spec"]) == {"ref": {}}


# --------------------------------------------------------------------------------------------
# The fast path


def decide(source: str, self_value: object, schema: dict | None = None) -> bool | None:
    program = cel.compile_expression(source, ["self"])
    return cel.decide(program, {"self": cel.to_visible(self_value, schema)})


def test_decide_answers_guards_without_the_interpreter():
    assert decide("!has(self.sts) || self.sts.provider == 'aws'", {}) is True
    assert (
        decide("!has(self.sts) || self.sts.provider == 'aws'", {"sts": {"provider": "x"}}) is False
    )
    assert decide("self.type != 'x' || (has(self.l) && size(self.l) > 0)", {"type": "x"}) is False
    assert decide("self.l.all(a, a.name.matches('^[a-z]+$'))", {"l": [{"name": "ok"}]}) is True


def test_decide_leaves_errors_and_unmodelled_values_to_the_interpreter():
    assert decide("self.provider == 'aws'", {}) is None  # an error: the interpreter words it
    assert decide("self.count > 1", {"count": 2}) is None  # numbers are not modelled
    assert decide("self.a.lowerAscii() == 'a'", {"a": "A"}) is None
    assert decide("self.missing == 'x' || true", {}) is True


ATOMS = [
    "has(self.a)",
    "has(self.m.k)",
    "self.a == 'x'",
    "self.a != 'x'",
    "self.b == true",
    "size(self.l) > 1",
    "self.l.size() == 0",
    "self.m.k == 'v'",
    "self.a.startsWith('x')",
    "self.a.matches('^x+$')",
    "self.l.all(i, i == 'x')",
    "self.l.exists(i, i != 'x')",
    "self.n == 1",
    "true",
    "false",
]


def expressions():
    atom = st.sampled_from(ATOMS)
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: f"({p[0]} || {p[1]})"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]} && {p[1]})"),
            inner.map(lambda e: f"!{e}"),
            st.tuples(inner, inner, inner).map(lambda p: f"({p[0]} ? {p[1]} : {p[2]})"),
        ),
        max_leaves=5,
    )


def values():
    scalar = st.sampled_from([None, "x", "xx", "", "v", True, False, 1, 2.5])
    items = st.lists(st.sampled_from(["x", "y", None, 1]), max_size=3)
    return st.fixed_dictionaries(
        {},
        optional={
            "a": scalar,
            "b": scalar,
            "n": scalar,
            "l": st.one_of(items, scalar),
            "m": st.one_of(st.fixed_dictionaries({}, optional={"k": scalar}), scalar),
        },
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), values())
def test_decide_agrees_with_the_interpreter(source, value):
    program = cel.compile_expression(source, ["self"])
    verdict = cel.decide(program, {"self": cel.to_visible(value)})
    try:
        expected = cel.evaluate_bool(program, {"self": value})
    except CelEvalError:
        assert verdict is None
    else:
        assert verdict is None or verdict == expected


@given(st.text(max_size=8))
def test_trim_and_ascii_case_follow_go(text):
    assert run("self.trim()", text) == text.strip(
        "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
        "\u200a\u2028\u2029\u202f\u205f\u3000"
    )
    lowered = run("self.lowerAscii()", text)
    assert len(lowered) == len(text)
    assert all(
        a == b.lower() if "A" <= b <= "Z" else a == b for a, b in zip(lowered, text, strict=True)
    )


# --------------------------------------------------------------------------------------------
# Nesting: bounded as cel-go's parser bounds it (found by fuzzing)


def nested(levels: int) -> str:
    return "[" * levels + "true" + "]" * levels


def test_nesting_beyond_cel_gos_limit_is_a_compile_error():
    with pytest.raises(CelCompileError) as info:
        cel.compile_expression(nested(251))
    assert (info.value.line, info.value.column, info.value.reason) == (
        1,
        1,
        "expression too deeply nested (more than 250 levels)",
    )
    chained = "1" + " + 1" * 251
    with pytest.raises(CelCompileError, match="too deeply nested"):
        cel.compile_expression(chained)
    selections = "self" + ".a" * 251
    with pytest.raises(CelCompileError, match="too deeply nested"):
        cel.compile_expression(selections, ["self"])


def test_nesting_within_the_limit_compiles_and_never_crashes():
    program = cel.compile_expression(nested(230))
    assert program.fast is None
    with pytest.raises(CelEvalError) as info:  # deeper than cel-python's interpreter goes
        cel.evaluate(program, {})
    assert info.value.unsupported  # no verdict rather than a wrong one
    assert run(nested(10)) == [[[[[[[[[[True]]]]]]]]]]
    assert run("(" * 20 + "1" + ")" * 20) == 1
    cel.compile_expression("(" * 249 + "1" + ")" * 249)  # 250 expressions deep: the limit


def health_check(expression: str) -> list[tuple[str, int, int, str]]:
    from flux_lint.check.engine import Linter, RunConfig

    text = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
        "kind: Kustomization\n"
        "metadata:\n"
        "  name: apps\n"
        "  namespace: flux-system\n"
        "spec:\n"
        "  interval: 10m\n"
        "  path: ./apps\n"
        "  prune: true\n"
        "  sourceRef:\n"
        "    kind: GitRepository\n"
        "    name: flux-system\n"
        "  healthCheckExprs:\n"
        "    - apiVersion: example.com/v1\n"
        "      kind: Gadget\n"
        f'      current: "{expression}"\n'
    )
    findings = Linter(RunConfig()).lint_text("k.yaml", text).findings
    return [(f.rule_id, f.line, f.column, f.message) for f in findings]


def test_a_deeply_nested_health_check_is_a_finding_not_an_internal_error():
    assert health_check(nested(230)) == []  # the API server's CEL accepts it too
    assert health_check(nested(300)) == [
        (
            "FL202",
            16,
            17,
            "`spec.healthCheckExprs[0].current` is not valid CEL: expression too deeply nested "
            "(more than 250 levels) (column 1 of the expression)",
        )
    ]


# --------------------------------------------------------------------------------------------
# The parser tables are kept only where the run says


def test_parser_tables_are_kept_only_in_the_runs_cache_dir(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env["PYTHONPATH"] = str(Path(__file__).parent.parent)
    manifest = tmp_path / "r.yaml"
    manifest.write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata:\n  name: b\n"
        "spec:\n  interval: 1m\n  bucketName: b\n  endpoint: e\n  provider: generic\n"
    )

    def lint(*options: str) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "flux_lint", *options, "--no-progress", str(manifest)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

    lint("--no-cache")
    assert list(home.rglob("*")) == []  # nothing written anywhere
    lint("--cache-dir", str(tmp_path / "c"))
    assert list(home.rglob("*")) == []
    from flux_lint.check.cel import parser_cache, seed

    # Tables shipped with the package (check/cel/seed.py) are not copied into the folder.
    shipped = seed.parser_tables(parser_cache.parser_name()) is not None
    assert len(list((tmp_path / "c").glob("cel-parser-*.bin"))) == (0 if shipped else 1)


def test_public_names_resolve_to_what_they_name_whatever_was_imported_first():
    import importlib
    import pkgutil
    import types

    import flux_lint.check.cel as package

    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
    for name in package.__all__:
        assert not isinstance(getattr(package, name), types.ModuleType) or name == "celtypes"
    assert callable(cel.evaluate) and callable(cel.evaluate_bool)
