"""User rules: loading with exact errors, running through the engine with exact findings,
selection, documentation and SARIF like built-in rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flux_lint.check import cel
from flux_lint.check.context import CheckContext
from flux_lint.check.engine import Linter, RunConfig
from flux_lint.check.registry import builtin_registry
from flux_lint.check.rules import user_cel
from flux_lint.check.rules.user_cel import CelRuleCheck, read_paths
from flux_lint.check.user_rules import (
    UserRuleError,
    field_path_tokens,
    load_user_rules,
    match_specs,
    parse_flux_versions,
    registry_with_user_rules,
)
from flux_lint.model.objects import K8sObject
from flux_lint.report.docs import rule_markdown
from flux_lint.report.output import RunSummary, render
from flux_lint.run.pipeline import run

FIXTURES = Path(__file__).parent / "fixtures" / "user-rules"
RULES = FIXTURES / "rules"
INVALID = FIXTURES / "invalid"

UPPER_CASE_TEAM = "label `team` must be lower-case letters, got `Platform`"
EXPECTED = [
    ("apps.yaml", 9, 3, "ACME001", "warning", "interval `30s` is shorter than `1m`"),
    ("apps.yaml", 22, 5, "ACME003", "note", UPPER_CASE_TEAM),
    ("apps.yaml", 33, 1, "ACME003", "note", "missing label `team`"),
    ("release.yaml", 20, 9, "ACME004", "warning", "memory limit above 2Gi"),
    ("sources.yaml", 19, 3, "ACME002", "error", "URL scheme `http` is not allowed"),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "repo", root)
    (root / ".git").mkdir()
    return root


def lint(root: Path, **kwargs) -> list[tuple]:
    result = run(RunConfig(paths=[str(root)], **kwargs))
    return [
        (f.path, f.line, f.column, f.rule_id, str(f.severity), f.message) for f in result.findings
    ]


def write_rule(folder: Path, text: str, name: str = "rule.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------------------------
# Loading


def test_fixture_rules_load_next_to_the_builtin_ones():
    rules = load_user_rules([RULES], builtin_registry())
    assert [r.id for r in rules] == ["ACME001", "ACME004", "ACME002", "ACME003"]
    assert {r.category for r in rules} == {"user"}
    assert {r.engine for r in rules} == {"cel"}
    assert rules[0].source == f"{RULES.as_posix()}/ACME001-interval-at-least-one-minute.yaml:1"
    assert rules[3].source == f"{RULES.as_posix()}/sources.yaml:13"
    registry = registry_with_user_rules(builtin_registry(), [RULES])
    assert len(registry) == len(builtin_registry()) + 4
    assert "ACME001" not in builtin_registry().rules  # the cached registry is untouched
    assert registry_with_user_rules(registry, [RULES]) is registry  # loading again: no change
    assert registry_with_user_rules(builtin_registry(), []) is builtin_registry()
    twice = load_user_rules([RULES, RULES / "sources.yaml"], builtin_registry())
    assert [r.id for r in twice] == [r.id for r in rules]


def test_user_rules_can_be_selected_by_id_name_and_prefix():
    registry = registry_with_user_rules(builtin_registry(), [RULES])
    assert registry.expand("ACME") == {"ACME001", "ACME002", "ACME003", "ACME004"}
    assert registry.expand("acme00") == {"ACME001", "ACME002", "ACME003", "ACME004"}
    assert registry.expand("team-label") == {"ACME003"}
    assert registry.expand("acme002") == {"ACME002"}
    assert "ACME001" not in registry.expand("FL")
    with pytest.raises(KeyError):
        registry.expand("NOPE")


INVALID_PROBLEMS = {
    "bad-cel.yaml": [
        "6:30: `rule` does not compile: undeclared reference to function `startWith`",
        "7:33: `rule` does not compile: unexpected end of expression",
    ],
    "bad-keys.yaml": [
        "1:5: id `FL900`: a user rule id is capital letters then digits (`ACME001`) and must not "
        "start with `FL`, which flux-lint's own rules use",
        "2:7: name `Bad_Name` must be kebab-case (`require-interval`)",
        "3:11: unknown severity `fatal` (use error, warning or note)",
        "5:1: unknown key `matches`; did you mean `match`?",
        "8:3: unknown key `kinds`; did you mean `kind`?",
        "11:5: unknown key `messages`; did you mean `message`?",
        "12:16: `fieldPath` `spec` must be a path like `.spec.interval` or "
        "`.metadata.labels['app']`",
        "13:13: `reason` must be one of FieldValueInvalid, FieldValueForbidden, "
        "FieldValueRequired, FieldValueDuplicate",
    ],
    "bad-structure.yaml": [
        "1:1: `validations` is required: a list of `rule`s",
        "5:9: a user rule must use `engine: cel`",
        "6:1: user rules cannot have a `fix`",
    ],
    "duplicate.yaml": [
        "8:5: id `ACME105` is already used by {dir}/duplicate.yaml:1",
        "9:7: name `unknown-field` is already used by flux-lint's rule FL101",
    ],
    "not-yaml.yaml": ["4:1: while parsing a flow node: did not find expected node content"],
    "unsupported.yaml": [
        "6:39: `rule` uses `math.abs`, which flux-lint does not implement (see "
        "docs/user-rules.md for the functions available)"
    ],
}


@pytest.mark.parametrize("name", sorted(INVALID_PROBLEMS))
def test_invalid_rule_files_report_every_problem_with_its_position(name: str):
    path = INVALID / name
    with pytest.raises(UserRuleError) as info:
        load_user_rules([path], builtin_registry())
    prefix = f"{path.as_posix()}:"
    expected = [
        prefix + p.format(dir=INVALID.as_posix()) for p in INVALID_PROBLEMS[name]
    ]  # fmt: skip
    assert info.value.problems == expected


def test_the_error_message_is_the_first_problem_and_a_count():
    with pytest.raises(UserRuleError) as info:
        load_user_rules([INVALID / "bad-structure.yaml"])
    assert str(info.value) == (
        f"{INVALID.as_posix()}/bad-structure.yaml:1:1: `validations` is required: a list of "
        "`rule`s (and 2 more problems)"
    )


def test_problems_of_several_files_are_collected_in_file_order():
    with pytest.raises(UserRuleError) as info:
        load_user_rules([INVALID], builtin_registry())
    assert len(info.value.problems) == sum(len(p) for p in INVALID_PROBLEMS.values())
    assert info.value.problems == sorted(info.value.problems, key=lambda p: p.split(":")[0])


def test_missing_paths_and_empty_folders(tmp_path: Path):
    with pytest.raises(UserRuleError) as info:
        load_user_rules([tmp_path / "nope", tmp_path])
    assert info.value.problems == [
        f"{tmp_path}:1:1: no rule files (*.yaml, *.yml) in this folder",
        f"{tmp_path}/nope:1:1: no such file or folder",
    ]


def test_more_loading_errors(tmp_path: Path):
    folder = write_rule(
        tmp_path / "rules",
        "id: ORG1\nname: more\nseverity: note\nsummary: s\n"
        "fluxVersions: 'newer than 2.7'\n"
        "match: [{}, {kind: 3}]\n"
        "validations:\n"
        "  - rule: has(self.spec)\n"
        "    message: |\n      two\n      lines\n"
        "    optionalOldSelf: true\n"
        "    messageExpression: 'oldSelf.x'\n"
        "  - not a mapping\n",
    )
    with pytest.raises(UserRuleError) as info:
        load_user_rules([folder])
    where = f"{folder.as_posix()}/rule.yaml"
    assert info.value.problems == [
        f"{where}:5:15: `newer than 2.7` is not a version constraint like `>=2.8`",
        f"{where}:6:9: an empty selector matches every object; leave `match` out",
        f"{where}:6:14: `kind` must be a string or a list of strings",
        f"{where}:9:14: `message` must be one line",
        f"{where}:12:5: user rules have no `oldSelf`: they see one version",
        f"{where}:13:25: `messageExpression` does not compile: undeclared reference to `oldSelf`",
        f"{where}:14:5: a validation must be a mapping with a `rule`",
    ]


def test_a_rule_file_cannot_reuse_an_id_of_another_folder(tmp_path: Path):
    first = write_rule(
        tmp_path / "a", "id: ORG1\nname: one\nseverity: note\nsummary: s\n"
        "validations: [{rule: 'true'}]\n"
    )  # fmt: skip
    second = write_rule(
        tmp_path / "b", "id: ORG1\nname: two\nseverity: note\nsummary: s\n"
        "validations: [{rule: 'true'}]\n"
    )  # fmt: skip
    registry = registry_with_user_rules(builtin_registry(), [first])
    with pytest.raises(UserRuleError) as info:
        registry_with_user_rules(registry, [second])
    assert info.value.problems == [
        f"{second.as_posix()}/rule.yaml:1:5: id `ORG1` is already used by "
        f"{first.as_posix()}/rule.yaml:1"
    ]


def test_helpers():
    assert field_path_tokens(".spec.interval") == ("spec", "interval")
    assert field_path_tokens(".metadata.labels['app.kubernetes.io/name']") == (
        "metadata",
        "labels",
        "app.kubernetes.io/name",
    )
    assert field_path_tokens(".spec.items[0].name") == ("spec", "items", "0", "name")
    assert field_path_tokens("spec") is None
    assert field_path_tokens("") is None
    [constraint_ge, constraint_lt] = parse_flux_versions(">=2.7, <2.9")
    assert constraint_ge.allows((2, 7)) and not constraint_ge.allows((2, 6))
    assert constraint_lt.allows((2, 8)) and not constraint_lt.allows((2, 9))
    assert parse_flux_versions("2.8")[0].allows((2, 8))
    assert match_specs({"resources": [{"group": "a", "kind": ["B", "C"]}]}) == [
        {"group": frozenset({"a"}), "kind": frozenset({"B", "C"})}
    ]
    assert match_specs({"kind": "X"}) == [{"kind": frozenset({"X"})}]
    assert match_specs({}) == []


def test_read_paths():
    def paths(source: str) -> tuple:
        return read_paths(cel.compile_expression(source, ["self"]))

    assert paths("self.spec.interval == '1m'") == (("spec", "interval"),)
    assert paths("has(self.spec.x) && self.spec.items.all(i, i.name != self.metadata.name)") == (
        ("metadata", "name"),
        ("spec", "items"),
        ("spec", "x"),
    )
    assert paths("self.spec.items[0].name == 'a'") == (("spec", "items"),)
    assert paths("size(self) > 1") == ((),)
    assert paths("true") == ()


# --------------------------------------------------------------------------------------------
# Running


def test_exact_findings_on_the_fixture_repository(repo: Path):
    assert lint(repo, rule_dirs=[RULES]) == EXPECTED


def test_the_cli_registry_and_the_engine_agree(repo: Path):
    """The command line builds the registry (to resolve --select) and passes it in; the
    engine then finds the rules already there."""
    registry = registry_with_user_rules(builtin_registry(), [RULES])
    result = run(RunConfig(paths=[str(repo)], rule_dirs=[RULES]), registry)
    assert [(f.path, f.line, f.rule_id) for f in result.findings] == [
        (e[0], e[1], e[3]) for e in EXPECTED
    ]
    assert result.findings[0].rule_name == "interval-at-least-one-minute"


def test_selection_and_ignoring(repo: Path):
    registry = registry_with_user_rules(builtin_registry(), [RULES])
    only = registry.expand("team-label") | registry.expand("ACME002")
    assert [f[3] for f in lint(repo, rule_dirs=[RULES], enabled=only)] == [
        "ACME003",
        "ACME003",
        "ACME002",
    ]
    ignored = set(registry.rules) - registry.expand("ACME")
    assert lint(repo, rule_dirs=[RULES], enabled=ignored) == []


def test_no_user_rules_no_cel_check():
    linter = Linter(RunConfig())
    assert not any(isinstance(c, CelRuleCheck) for c in linter.checks)


def obj(data: dict, *, partial: bool = False) -> K8sObject:
    return K8sObject(
        path="x.yaml",
        document=0,
        data=data,
        api_version=data["apiVersion"],
        kind=data["kind"],
        partial=partial,
    )


def check_for(tmp_path: Path, text: str) -> CelRuleCheck:
    registry = registry_with_user_rules(builtin_registry(), [write_rule(tmp_path / "r", text)])
    check = CelRuleCheck.for_run(registry, registry.rules, {})
    assert check is not None
    return check


CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}


def test_messages_errors_placeholders_and_partial_objects(tmp_path: Path):
    check = check_for(
        tmp_path,
        "id: ORG1\nname: data-keys\nseverity: warning\nsummary: s\n"
        "match: {group: '', kind: ConfigMap}\n"
        "validations:\n"
        "  - rule: self.data.size() > 0\n"
        "  - rule: self.data.mode == 'on'\n"
        "    messageExpression: self.data.missing\n"
        "    message: mode must be `on`\n"
        "    fieldPath: .data.mode\n",
    )
    ctx = CheckContext()
    messages = [(p.rule_id, p.pointer, p.message) for p in check(obj(CONFIGMAP), ctx)]
    assert messages == [
        ("ORG1", "", "failed rule: self.data.size() > 0"),
        ("ORG1", "", "rule `self.data.mode == 'on'` failed to evaluate: no such key: mode"),
    ]
    off = {**CONFIGMAP, "data": {"mode": "off"}}
    assert [(p.pointer, p.message) for p in check(obj(off), ctx)] == [
        ("/data/mode", "mode must be `on`")
    ]
    substituted = {**CONFIGMAP, "data": {"mode": "${MODE}"}}
    assert list(check(obj(substituted), ctx)) == []
    assert list(check(obj(CONFIGMAP, partial=True), ctx)) == []
    other_kind = {**CONFIGMAP, "kind": "Secret"}
    assert list(check(obj(other_kind), ctx)) == []


def test_flux_versions_limit_where_a_rule_runs(tmp_path: Path):
    check = check_for(
        tmp_path,
        "id: ORG2\nname: old-flux-only\nseverity: note\nsummary: s\nfluxVersions: '<2.8'\n"
        "validations: [{rule: 'false', message: old}]\n",
    )
    assert [p.message for p in check(obj(CONFIGMAP), CheckContext(flux_version=(2, 7)))] == ["old"]
    assert list(check(obj(CONFIGMAP), CheckContext(flux_version=(2, 8)))) == []


def test_a_rule_that_runs_out_of_budget_is_stopped(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(user_cel, "BUDGET", cel.Budget(steps=50))
    check = check_for(
        tmp_path,
        "id: ORG3\nname: expensive\nseverity: note\nsummary: s\n"
        "validations: [{rule: 'self.data.all(k, self.data.all(j, k != j || k == j))'}]\n",
    )
    big = {**CONFIGMAP, "data": {str(n): "x" for n in range(20)}}
    ctx = CheckContext()
    found = [[p.message for p in check(obj(big), ctx)] for _ in range(4)]
    exceeded = (
        "rule `self.data.all(k, self.data.all(j, k != j || k == j))` failed to evaluate: "
        "evaluation budget exceeded: more than 50 steps"
    )
    assert found == [
        [exceeded],
        [exceeded],
        [exceeded + "; the rule is stopped for the rest of the run"],
        [],
    ]
    small = {**CONFIGMAP, "data": {"a": "x"}}
    assert list(check(obj(small), ctx)) == []  # stopped: not even cheap objects


def test_documentation_and_sarif_descriptors(repo: Path):
    registry = registry_with_user_rules(builtin_registry(), [RULES])
    text = rule_markdown(registry["ACME001"])
    assert text.startswith("## ACME001 interval-at-least-one-minute\n")
    assert "Category: user" in text
    assert "The object reconciles more often than once a minute." in text
    result = run(RunConfig(paths=[str(repo)], rule_dirs=[RULES]), registry)
    log = json.loads(render("sarif", result.findings, rules=registry, report=RunSummary()))
    descriptors = {d["id"]: d for d in log["runs"][0]["tool"]["driver"]["rules"]}
    assert sorted(descriptors) == ["ACME001", "ACME002", "ACME003", "ACME004"]
    assert descriptors["ACME002"]["name"] == "source-url-scheme"
    assert descriptors["ACME002"]["shortDescription"]["text"] == (
        "Sources are fetched over https, ssh or oci only"
    )
    assert descriptors["ACME002"]["defaultConfiguration"]["level"] == "error"
