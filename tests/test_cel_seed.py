"""The CEL forms and parser tables shipped with the package (check/cel/seed.py): made by
``flux-lint schemas cel`` from the shipped schemas, current with the code that compiles them,
used only by the code that made them, and giving the programs compiling gives."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest
from click.testing import CliRunner

from flux_lint.check.cel import compiler, forms, parser_cache, program_cache, seed
from flux_lint.check.cel.seed_build import build
from flux_lint.check.rules.crd_cel import RULE_VARIABLES
from flux_lint.cli import cli
from flux_lint.core.resources import data_folder

SCHEMAS = data_folder("schemas")


def test_the_shipped_seed_is_current() -> None:
    """Made from the shipped schemas' rules by this package's CEL modules: after a change to
    either, ``flux-lint schemas cel --out schemas/`` writes it again."""
    shipped = seed.read()
    assert shipped is not None
    code, library = shipped["keys"]
    assert code == seed.code_key(), "the CEL modules changed: run flux-lint schemas cel"
    names = tuple(sorted(RULE_VARIABLES))
    assert sorted(shipped["forms"]) == [(s, names) for s in seed.rule_sources(SCHEMAS)]
    assert shipped["parser"][0] == parser_cache.parser_name()
    if library != seed.library_key():
        pytest.skip("made with another cel-python or Lark: its forms are not used here")
    fresh = marshal.loads(build(SCHEMAS, RULE_VARIABLES))
    assert dict(fresh[2]) == shipped["forms"]


def test_the_shipped_parser_tables_parse_as_a_built_parser() -> None:
    """Lark numbers its states in no fixed order, so the tables are compared by what the
    parser made from them does: the same trees for every shipped rule."""
    from celpy.celparser import CELParser

    shipped = seed.read()
    assert shipped is not None
    runtime = {
        "lexer_callbacks": {"IDENT": CELParser.ambiguous_literals},
        "tree_class": __import__("lark").Tree,
        "g_regex_flags": __import__("re").M,
        "propagate_positions": True,
    }
    loaded = parser_cache._from_tables(shipped["parser"][1], runtime)
    built = parser_cache.new_parser(CELParser.ambiguous_literals)
    assert loaded is not None
    for source in list(seed.rule_sources(SCHEMAS))[:60]:
        try:
            expected = built.parse(source)
        except Exception as exc:  # a rule cel-python cannot parse fails the same way
            with pytest.raises(type(exc)):
                loaded.parse(source)
            continue
        assert loaded.parse(source) == expected


def test_a_shipped_form_makes_the_program_compiling_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shipped = seed.read()
    assert shipped is not None
    if shipped["keys"] != (seed.code_key(), seed.library_key()):
        pytest.skip("made with another cel-python or Lark: its forms are not used here")
    monkeypatch.setattr(parser_cache, "_DIRECTORY", None)
    (source, names), form = next(iter(sorted(shipped["forms"].items())))
    assert seed.form(source, frozenset(names)) == form
    assert compiler.fresh_form(source, frozenset(names))[0] == form
    assert seed.form(source, frozenset({"self"})) is None  # other variables: not shipped


def test_a_seed_made_by_other_code_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = seed.read()
    assert shipped is not None
    (source, names), _ = next(iter(sorted(shipped["forms"].items())))
    other = dict(shipped, keys=("other", "code"), usable=None)
    monkeypatch.setattr(seed, "_LOADED", [other])
    monkeypatch.setattr(parser_cache, "_DIRECTORY", None)
    assert seed.form(source, frozenset(names)) is None
    assert program_cache.load(source, frozenset(names)) is None


def test_the_command_writes_the_seed_of_a_schemas_folder(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-validations": [
                    {"rule": "has(self.a) || has(self.b)", "message": "a or b"},
                    {"rule": "self.a ==", "messageExpression": "'bad: ' + self.a"},
                ],
            }
        },
    }
    (tmp_path / "flux-9.9.json").write_text(json.dumps(schema), encoding="utf-8")
    result = CliRunner().invoke(cli, ["schemas", "cel", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {tmp_path / seed.SEED_FILE}\n"
    made = marshal.loads((tmp_path / seed.SEED_FILE).read_bytes())
    assert made[1] == (seed.code_key(), seed.library_key())
    found = dict(made[2])
    names = tuple(sorted(RULE_VARIABLES))
    assert sorted(found) == [
        ("'bad: ' + self.a", names),
        ("has(self.a) || has(self.b)", names),
        ("self.a ==", names),
    ]
    assert found[("has(self.a) || has(self.b)", names)][0] == forms.COMPILED
    failed = found[("self.a ==", names)]
    assert failed[0] == forms.FAILED and failed[2:] == (1, 10)


def test_the_command_needs_an_existing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schemas", "cel", "--out", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
