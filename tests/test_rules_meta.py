"""Every rule is complete: descriptor, docs, fixtures, and docs that tell the truth."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruleharness import FIXTURES

from flux_lint.check.engine import Linter, RunConfig
from flux_lint.check.registry import CHECKS, REPO_CHECKS, builtin_registry
from flux_lint.check.schema.store import parse_minor
from flux_lint.report.docs import rules_markdown

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = builtin_registry()
RULES = list(REGISTRY)

#: Rules about files rather than YAML text: their cases build the files in a test.
TESTED_ELSEWHERE = {
    "FL003": "test_engine.py",
    "FL004": "test_engine.py",
    "FL005": "test_engine.py",
    "FL007": "test_engine.py",
    "FL009": "test_engine.py",
    "FL011": "test_applied.py",
}


def _version_for(rule) -> tuple[int, int]:
    """A Flux version inside the rule's ``fluxVersions`` range (the default target otherwise)."""
    spec = (rule.flux_versions or "").strip()
    if spec.startswith("<"):
        return (2, 8)
    return (2, 9)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_docs(rule):
    assert rule.docs.get("what"), f"{rule.id} has no docs.what"
    assert rule.docs.get("why"), f"{rule.id} has no docs.why"
    assert rule.docs.get("references"), f"{rule.id} has no references"
    assert Path(rule.source).name == f"{rule.id}-{rule.name}.yaml"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_an_implementation(rule):
    """A rule is reported by the engine itself (FL0xx) or names the function that implements
    it, and that name resolves to the function registered for its id, of the same kind
    (``check`` per object, ``repositoryCheck`` for the repository)."""
    from flux_lint.check import engine
    from flux_lint.check.registry import BoundCheck

    input_rules = set(engine.LOAD_CODES.values()) | set(engine.SOURCE_CODES.values())
    input_rules |= {engine.DISCOVERY_RULE, engine.INTERNAL_RULE, *engine.DIRECTIVE_RULES}
    input_rules.add(engine.NOT_APPLIED_RULE)
    if rule.id in input_rules:
        assert rule.check is None
        return
    assert rule.check is not None, f"{rule.id} names no function (`check:`)"
    module, function = rule.check.split(".")
    fn = BoundCheck(rule.check, (rule.id,), rule.repository).resolve()
    assert (fn.__module__, fn.__qualname__) == (f"flux_lint.check.rules.{module}", function)
    assert rule.id in (REPO_CHECKS if rule.repository else CHECKS)
    assert rule.id in fn.rule_ids


def test_every_registered_function_is_named_by_its_descriptors():
    """The other way round: every ``@check``/``@repo_check`` of every rule module is named by
    exactly the descriptors of the ids it registers, which it lists in order (a run knows a
    function's ids from the descriptors, before importing it)."""
    from flux_lint.check.registry import RULES_PACKAGE, bound_checks
    from flux_lint.check.rules import import_all

    import_all()
    for repository, table in ((False, CHECKS), (True, REPO_CHECKS)):
        bound = {
            b.rule_ids: b
            for b in bound_checks(REGISTRY, set(REGISTRY.rules), repository=repository)
        }
        functions = {id(fn): fn for fn in table.values()}
        assert len(functions) == len(bound)
        for fn in functions.values():
            assert fn.rule_ids == tuple(sorted(fn.rule_ids))
            named = bound[fn.rule_ids]
            target = f"{fn.__module__.removeprefix(RULES_PACKAGE + '.')}.{fn.__qualname__}"
            assert named.target == target
            assert named.resolve() is fn


def test_a_run_imports_only_the_rule_modules_it_runs(tmp_path):
    """Linting one Namespace imports the modules of the per-object checks, and none of the
    repository checks' modules when the repository checks are not run."""
    import subprocess
    import sys

    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    code = (
        "import sys\n"
        "from flux_lint.check.engine import Linter, RunConfig\n"
        "linter = Linter(RunConfig())\n"
        "linter.lint_text('ns.yaml', open(sys.argv[1]).read())\n"
        "print(' '.join(sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "    if m.startswith('flux_lint.check.rules.'))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "ns.yaml")],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = set(run.stdout.split())
    repository_only = {"references", "build_errors", "substitution", "resourceset", "chart_values"}
    assert not imported & repository_only
    assert {"schema", "lifecycle", "kubernetes_apis"} <= imported


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_pass_and_fail_cases(rule):
    if rule.id in TESTED_ELSEWHERE:
        test_file = ROOT / "tests" / TESTED_ELSEWHERE[rule.id]
        assert rule.id in test_file.read_text(encoding="utf-8")
        return
    folder = FIXTURES / rule.id
    assert list(folder.glob("fail-*")), f"{rule.id} has no fail fixture"
    assert list(folder.glob("pass-*")), f"{rule.id} has no pass fixture"


EXAMPLES = [r for r in RULES if r.docs.get("example")]


def _fixture_settings(text: str) -> dict[str, str]:
    """``# fixture: flux-version=2.8 from=2.7`` lines, as in the rule fixtures."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# fixture:"):
            for item in line.split(":", 1)[1].split():
                key, _, value = item.partition("=")
                found[key] = value
    return found


@pytest.mark.parametrize("rule", EXAMPLES, ids=lambda r: r.id)
def test_docs_example_triggers_and_use_instead_does_not(rule):
    settings = _fixture_settings(rule.docs["example"])
    version = parse_minor(settings["flux-version"]) if "flux-version" in settings else None
    current = parse_minor(settings["from"]) if "from" in settings else None

    def lint(name: str, text: str):
        # A fresh linter per text: repository rules must see only that text.
        config = RunConfig(
            flux_version=version or _version_for(rule), from_version=current, enabled={rule.id}
        )
        linter = Linter(config)
        findings = linter.lint_text(name, text).findings
        return findings + linter.check_repository(lambda path: text)

    found = lint("example.yaml", rule.docs["example"])
    assert [f.rule_id for f in found if f.rule_id == rule.id], f"{rule.id} example is silent"
    if rule.docs.get("useInstead"):
        fixed = lint("fixed.yaml", rule.docs["useInstead"])
        assert [f for f in fixed if f.rule_id == rule.id] == []


def test_docs_rules_md_is_up_to_date():
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(REGISTRY), (
        "docs/rules.md is stale: run `python -m flux_lint.report.docs docs/rules.md`"
    )


def test_rule_ids_and_names_are_unique_and_categorised():
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)
    for rule in RULES:
        folder = Path(rule.source).parent.name
        assert folder == rule.category, f"{rule.id} lives in rules/{folder}/, not {rule.category}"


def _fixture_objects() -> list:
    """Every object of the rule fixtures and examples, and each also as a kind and as a group
    it is not (to hold a function's guard against objects that look like its own)."""
    import copy

    from flux_lint.load.yaml import load_text
    from flux_lint.model.objects import classify

    found = []
    files = sorted(FIXTURES.rglob("*.y*ml")) + sorted((ROOT / "examples").rglob("*.y*ml"))
    for path in files:
        for doc in load_text(path.read_text(encoding="utf-8")).documents:
            obj = classify(str(path), doc)
            if obj is None:
                continue
            found.append(obj)
            version = obj.api_version.rpartition("/")[2]
            for api_version, kind in (
                (obj.api_version, obj.kind + "X"),
                (f"example.com/{version}", obj.kind),
            ):
                data = copy.deepcopy(obj.data)
                data["apiVersion"], data["kind"] = api_version, kind
                found.append(classify(str(path), type(doc)(doc.index, doc.node, data, doc.line)))
    return [obj for obj in found if obj is not None]


def test_a_function_with_match_ignores_every_other_object():
    """A per-object function whose rules all have ``match`` is not run on other objects
    (registry.BoundCheck): that must change nothing, so the function itself yields nothing
    for them, under each Flux version and upgrade."""
    from flux_lint.check.context import CheckContext
    from flux_lint.check.registry import bound_checks, selects

    gated = [
        b for b in bound_checks(REGISTRY, set(REGISTRY.rules), repository=False) if b.selectors
    ]
    assert {rid for b in gated for rid in b.rule_ids} >= {"FL202", "FL336", "FL401", "FL404"}
    objects = _fixture_objects()
    assert len(objects) > 500
    contexts = [CheckContext(flux_version=(2, 9)), CheckContext(flux_version=(2, 8))]
    contexts.append(CheckContext(flux_version=(2, 9), from_version=(2, 7)))
    for bound in gated:
        fn = bound.resolve()
        outside = [obj for obj in objects if not selects(bound.selectors, obj)]
        inside = [obj for obj in objects if selects(bound.selectors, obj)]
        assert outside and inside, bound
        for ctx in contexts:
            for obj in outside:
                assert list(fn(obj, ctx)) == [], (bound.target, obj.path, obj.kind)
                assert list(bound(obj, ctx)) == []
        # Inside the selectors the bound check is the function.
        yielded = [p.message for obj in inside for p in fn(obj, contexts[2])]
        assert yielded == [p.message for obj in inside for p in bound(obj, contexts[2])]
