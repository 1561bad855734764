"""Every rule's fixtures, run through the whole engine.

``fail-*`` fixtures must produce exactly the annotated findings (rule, line, column, message
fragment) for the rules they annotate; ``pass-*`` fixtures must produce no finding of their
folder's rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ruleharness import cases, expectations, settings

from flux_lint.check.engine import RunConfig
from flux_lint.check.schema.kubernetes import parse_kubernetes_version
from flux_lint.check.schema.store import parse_minor
from flux_lint.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent


def _lint(path: Path):
    options = settings(path)
    # A fixture file stands alone: it is not judged by the applied set of the repository it
    # happens to live in (a folder fixture is a repository of its own and is).
    config = RunConfig(paths=[str(path)], check_unapplied=path.is_file())
    if "flux-version" in options:
        config.flux_version = parse_minor(options["flux-version"])
    if "from" in options:
        config.from_version = parse_minor(options["from"])
    if "kubernetes-version" in options:
        config.kubernetes_version = parse_kubernetes_version(options["kubernetes-version"])
    return run(config).findings


def _display(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    return [path]


@pytest.mark.parametrize(("rule", "path"), cases("fail"), ids=lambda v: getattr(v, "name", v))
def test_fail_fixture(rule: str, path: Path):
    expected = [e for f in _files(path) for e in expectations(f, _display(f))]
    assert any(e.rule == rule for e in expected), f"{path} has no `# expect: {rule}` line"
    rules = {e.rule for e in expected} | {rule}
    findings = [f for f in _lint(path) if f.rule_id in rules]
    actual = sorted((f.path, f.rule_id, f.line) for f in findings)
    assert actual == sorted((e.path, e.rule, e.line) for e in expected), "\n".join(
        f"{f.path}:{f.line}:{f.column}: {f.rule_id} {f.message}" for f in findings
    )
    for e in expected:
        match = [f for f in findings if (f.path, f.rule_id, f.line) == (e.path, e.rule, e.line)]
        if e.column is not None:
            assert any(f.column == e.column for f in match), (e, [f.column for f in match])
        if e.fragment is not None:
            assert any(e.fragment in f.message for f in match), (e, [f.message for f in match])


@pytest.mark.parametrize(("rule", "path"), cases("pass"), ids=lambda v: getattr(v, "name", v))
def test_pass_fixture(rule: str, path: Path):
    findings = [f for f in _lint(path) if f.rule_id == rule]
    assert findings == [], "\n".join(f"{f.path}:{f.line}: {f.message}" for f in findings)
