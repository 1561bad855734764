"""The composite GitHub Action (``action.yml``) and its job summary module.

GitHub's runner is not available here, so :class:`CompositeRunner` does for ``action.yml`` what
the runner does for a composite action: it fills in defaults for the inputs, evaluates the
``${{ ... }}`` expressions the action uses, runs each ``run:`` step with
``bash --noprofile --norc -eo pipefail`` in ``$GITHUB_WORKSPACE`` with fresh
``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY`` files, reads step outputs back for later
expressions, stops at the first failing step and evaluates the action's outputs. An expression
it does not know fails the test, so the action cannot grow a construct that goes untested.

The install step is real: it builds flux-lint from this checkout into a fresh virtual
environment (dependencies come from the package index), once per module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from flux_lint.report import action_summary
from flux_lint.report.output import DEFAULT_HELP_URI_BASE

ROOT = Path(__file__).resolve().parent.parent
ACTION_FILE = ROOT / "action.yml"
DOCS = ROOT / "docs" / "integrations.md"
SARIF_SCHEMA = ROOT.parent / "shared" / "sarif" / "sarif-schema-2.1.0.json"

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

HELM_REPOSITORY = """\
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  url: https://stefanprodan.github.io/podinfo
"""

HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo-missing
"""

ERROR_ANNOTATION = (
    "::error file=repo.yaml,line=1,col=13,endLine=1,endColumn=45,"
    "title=FL301 removed-api-version::HelmRepository `source.toolkit.fluxcd.io/v1beta2` was "
    "removed in Flux 2.8; use `source.toolkit.fluxcd.io/v1`"
)
WARNING_ANNOTATION = (
    "::warning file=my apps/release.yaml,line=13,col=15,endLine=13,endColumn=30,"
    "title=FL501 missing-source::source HelmRepository `flux-system/podinfo-missing` is not "
    "defined in this repository"
)


def load_action() -> dict[str, Any]:
    data = YAML(typ="safe").load(ACTION_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ------------------------------------------------------------------------------------------
# a small composite-action runner


@dataclass
class StepResult:
    id: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


@dataclass
class ActionResult:
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def returncode(self) -> int:
        return self.steps[-1].returncode if self.steps else 0

    @property
    def summary(self) -> str:
        return "".join(step.summary for step in self.steps)

    def step(self, step_id: str) -> StepResult:
        return next(step for step in self.steps if step.id == step_id)


def parse_output_file(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner reads it: ``name=value`` lines and
    ``name<<DELIMITER`` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            else:
                raise AssertionError(f"unterminated output {name!r}")
            values[name] = "\n".join(block)
        else:
            name, _, value = line.partition("=")
            values[name] = value
    return values


class CompositeRunner:
    """Runs the ``run:`` steps of a composite action the way the Actions runner does."""

    def __init__(self, action: Mapping[str, Any], workspace: Path, temp: Path) -> None:
        assert action["runs"]["using"] == "composite"
        self.action = action
        self.workspace = workspace
        self.temp = temp
        self.step_outputs: dict[str, dict[str, str]] = {}

    def _inputs(self, given: Mapping[str, str]) -> dict[str, str]:
        declared = self.action.get("inputs") or {}
        unknown = set(given) - set(declared)
        assert not unknown, f"inputs the action does not declare: {sorted(unknown)}"
        return {
            name: str(given.get(name, (spec or {}).get("default", "")))
            for name, spec in declared.items()
        }

    def evaluate(self, text: str, inputs: Mapping[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            expr = match.group(1)
            parts = expr.split(".")
            if len(parts) == 2 and parts[0] == "inputs":
                return inputs[parts[1]]
            if expr == "github.action_path":
                return str(ROOT)
            if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
                # The runner gives an empty string for an output a step did not set.
                return self.step_outputs.get(parts[1], {}).get(parts[3], "")
            raise AssertionError(f"expression the test runner does not simulate: {expr}")

        return EXPRESSION.sub(value, text)

    def base_env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")
            and not k.startswith(("GITHUB_", "RUNNER_", "FLUX_LINT_", "INPUT_"))
        }
        # The runner's PATH has a Python 3; here it is the one running the tests.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.update(
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_ACTION_PATH=str(ROOT),
            RUNNER_TEMP=str(self.temp),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        return env

    def run(
        self,
        inputs: Mapping[str, str] | None = None,
        *,
        only: set[str] | None = None,
    ) -> ActionResult:
        """Run the steps (those in ``only`` when given) in order, stopping at a failure."""
        values = self._inputs(inputs or {})
        result = ActionResult()
        for index, step in enumerate(self.action["runs"]["steps"]):
            step_id = step.get("id", f"step{index}")
            if only is not None and step_id not in only:
                continue
            assert set(step) <= {"name", "id", "shell", "env", "run"}, step
            assert step["shell"] == "bash"
            run_dir = self.temp / "steps" / f"{len(list(self.temp.glob('steps/*')))}-{step_id}"
            run_dir.mkdir(parents=True)
            output_file = run_dir / "output"
            summary_file = run_dir / "summary"
            output_file.touch()
            summary_file.touch()
            script = run_dir / "script.sh"
            script.write_text(self.evaluate(step["run"], values), encoding="utf-8")
            env = self.base_env()
            env.update(
                {k: self.evaluate(str(v), values) for k, v in (step.get("env") or {}).items()}
            )
            env.update(GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary_file))
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            outputs = parse_output_file(output_file.read_text(encoding="utf-8"))
            self.step_outputs[step_id] = outputs
            result.steps.append(
                StepResult(
                    step_id,
                    proc.returncode,
                    proc.stdout,
                    proc.stderr,
                    outputs,
                    summary_file.read_text(encoding="utf-8"),
                )
            )
            if proc.returncode != 0:
                return result
        result.outputs = {
            name: self.evaluate(str(spec["value"]), values)
            for name, spec in (self.action.get("outputs") or {}).items()
        }
        return result


# ------------------------------------------------------------------------------------------
# the action file itself (fast)


def test_action_is_composite_with_documented_inputs_and_outputs() -> None:
    action = load_action()
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {name: spec.get("default") for name, spec in inputs.items()} == {
        "paths": ".",
        "flux-version": "",
        "fail-on": "error",
        "format": "github",
        "args": "",
        "sarif-file": "flux-lint.sarif",
    }
    assert all(spec.get("description") for spec in inputs.values())
    assert set(action["outputs"]) == {"sarif-file", "findings"}
    step_ids = {step.get("id") for step in action["runs"]["steps"]}
    for spec in action["outputs"].values():
        for expr in EXPRESSION.findall(spec["value"]):
            assert expr.split(".")[1] in step_ids


def test_scripts_never_paste_expressions() -> None:
    """Inputs reach the scripts through ``env:`` only. An expression inside ``run:`` is pasted
    into the script before bash reads it, so an input such as ``paths: "$(curl …)"`` would run
    as code."""
    for step in load_action()["runs"]["steps"]:
        assert "${{" not in step["run"], step["name"]


def test_docs_workflow_uses_existing_inputs() -> None:
    inputs = set(load_action()["inputs"])
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    used = []
    for block in blocks:
        data = YAML(typ="safe").load(block)
        jobs = data.get("jobs", {}) if isinstance(data, dict) else {}
        for job in jobs.values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("flux-lint/flux-lint@"):
                    used.append(step)
                    assert set(step.get("with") or {}) <= inputs, step
    assert used, "docs/integrations.md has no workflow using the action"


def test_parse_output_file_reads_both_forms() -> None:
    text = "a=1\nb<<EOF\nline one\nline=two\nEOF\nc=x=y\n"
    assert parse_output_file(text) == {"a": "1", "b": "line one\nline=two", "c": "x=y"}


# ------------------------------------------------------------------------------------------
# running the action (slow: the install step builds and installs flux-lint)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Outputs of the real install step, shared by the tests that run the lint step."""
    temp = tmp_path_factory.mktemp("runner-temp")
    workspace = tmp_path_factory.mktemp("install-workspace")
    runner = CompositeRunner(load_action(), workspace, temp)
    result = runner.run(only={"install"})
    step = result.step("install")
    assert step.returncode == 0, step.stdout + step.stderr
    python = Path(step.outputs["python"])
    assert python.is_file()
    assert temp in python.parents  # a venv of its own under $RUNNER_TEMP
    assert re.search(r"^flux-lint \d", step.stdout, re.M), step.stdout
    return step.outputs


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout with one error (FL301, fixable) and one warning (FL501)."""
    workspace = tmp_path / "workspace"
    (workspace / "my apps").mkdir(parents=True)
    (workspace / "repo.yaml").write_text(HELM_REPOSITORY, encoding="utf-8")
    (workspace / "my apps" / "release.yaml").write_text(HELM_RELEASE, encoding="utf-8")
    _git("init", "-q", cwd=workspace)
    return workspace


@pytest.fixture
def runner(repo: Path, installed: dict[str, str], tmp_path: Path) -> CompositeRunner:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    runner = CompositeRunner(load_action(), repo, temp)
    runner.step_outputs["install"] = dict(installed)
    return runner


def _lint(runner: CompositeRunner, **inputs: str) -> ActionResult:
    result = runner.run(inputs, only={"lint"})
    assert "Traceback" not in result.step("lint").stderr, result.step("lint").stderr
    return result


EXPECTED_SUMMARY = f"""\
## flux-lint

Found **2 problems** (1 error, 1 warning) in 2 files (Flux 2.9).

| Rule | Name | Count | Severity |
| --- | --- | ---: | --- |
| [FL301]({DEFAULT_HELP_URI_BASE}#fl301-removed-api-version) | `removed-api-version` | 1 | error |
| [FL501]({DEFAULT_HELP_URI_BASE}#fl501-missing-source) | `missing-source` | 1 | warning |

"""


@pytest.mark.slow
def test_defaults_annotate_write_sarif_outputs_summary_and_fail(runner: CompositeRunner) -> None:
    result = _lint(runner)
    step = result.step("lint")
    assert step.returncode == 1, step.stderr
    assert step.stdout.splitlines() == [WARNING_ANNOTATION, ERROR_ANNOTATION]
    assert step.outputs == {"findings": "2", "sarif-file": "flux-lint.sarif"}
    assert result.summary == EXPECTED_SUMMARY

    sarif_path = runner.workspace / "flux-lint.sarif"
    log = json.loads(sarif_path.read_text(encoding="utf-8"))
    results = log["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["FL301", "FL501"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"repo.yaml", "my%20apps/release.yaml"}
    if SARIF_SCHEMA.is_file():
        from jsonschema.validators import validator_for

        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        validator_for(schema)(schema).validate(log)


@pytest.mark.slow
def test_action_outputs_and_a_sarif_file_in_a_new_folder(runner: CompositeRunner) -> None:
    result = _lint(runner, **{"fail-on": "never", "sarif-file": "reports/lint.sarif"})
    assert result.returncode == 0
    assert result.outputs == {"findings": "2", "sarif-file": "reports/lint.sarif"}
    assert (runner.workspace / "reports" / "lint.sarif").is_file()
    assert not (runner.workspace / "flux-lint.sarif").exists()
    assert result.summary == EXPECTED_SUMMARY


@pytest.mark.slow
@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("note", 1)])
def test_fail_on_decides_the_exit_code(runner: CompositeRunner, fail_on: str, code: int) -> None:
    # Only the warning: quoting in `paths` keeps the space in the folder name.
    result = _lint(runner, paths='"my apps"', **{"fail-on": fail_on, "sarif-file": ""})
    step = result.step("lint")
    assert step.returncode == code, step.stderr
    assert step.stdout.splitlines() == [WARNING_ANNOTATION]
    assert step.outputs == {"findings": "1", "sarif-file": ""}
    assert not (runner.workspace / "flux-lint.sarif").exists()


@pytest.mark.slow
def test_flux_version_format_and_args_reach_flux_lint(runner: CompositeRunner) -> None:
    result = _lint(
        runner,
        **{
            "flux-version": "2.7",
            "format": "text",
            "args": "--ignore FL501 --exclude 'my apps'",
            "sarif-file": "",
        },
    )
    step = result.step("lint")
    # In Flux 2.7 the HelmRepository API is only deprecated: a warning, which passes.
    assert step.returncode == 0, step.stderr
    assert step.stdout.startswith("repo.yaml:1:13: FL302 [warning] ")
    assert step.outputs["findings"] == "1"
    assert "(Flux 2.7)" in result.summary
    assert "FL501" not in result.summary


@pytest.mark.slow
def test_usage_error_fails_with_code_2_and_no_outputs(runner: CompositeRunner) -> None:
    result = _lint(runner, args="--select NOPE")
    step = result.step("lint")
    assert step.returncode == 2
    assert "unknown rule `NOPE`" in step.stderr
    assert step.outputs == {}
    assert result.summary == ""


@pytest.mark.slow
def test_inputs_are_data_not_code(runner: CompositeRunner) -> None:
    marker = runner.workspace / "pwned"
    result = _lint(runner, paths=f'"$(touch {marker})" `touch {marker}`', **{"sarif-file": ""})
    assert not marker.exists()
    # Each word is a path that does not exist (a warning), taken literally; a named path that
    # cannot be linted fails the run.
    assert result.returncode == 2
    stdout = result.step("lint").stdout
    assert f"file=$(touch {marker})," in stdout
    assert "file=`touch," in stdout


@pytest.mark.slow
def test_unbalanced_quote_in_args_is_reported(runner: CompositeRunner) -> None:
    result = _lint(runner, args="--exclude 'oops")
    step = result.step("lint")
    assert step.returncode == 2
    assert "::error title=flux-lint::cannot split the args input" in step.stdout
    assert "No closing quotation" in step.stderr


# ------------------------------------------------------------------------------------------
# flux_lint.report.action_summary (fast)


def _finding(rule: str, name: str, severity: str, suppressed: bool = False) -> dict[str, Any]:
    return {
        "ruleId": rule,
        "ruleName": name,
        "severity": severity,
        "message": "m",
        "suppressed": {"kind": "inline", "justification": None} if suppressed else None,
    }


def _report(findings: list[dict[str, Any]], **summary: Any) -> dict[str, Any]:
    counted = [f for f in findings if f["suppressed"] is None]
    return {
        "version": 1,
        "tool": {"name": "flux-lint", "version": "0"},
        "fluxVersion": "2.9",
        "findings": findings,
        "summary": {
            "files": 3,
            "problems": len(counted),
            "suppressed": len(findings) - len(counted),
            **summary,
        },
    }


def test_summary_rows_by_id_with_worst_severity_and_without_suppressed() -> None:
    report = _report(
        [
            _finding("FL501", "missing-source", "warning"),
            _finding("FL101", "unknown-field", "error"),
            _finding("FL501", "missing-source", "error"),
            _finding("FL101", "unknown-field", "error", suppressed=True),
            _finding("FL404", "ignore|pipe", "note"),
        ]
    )
    base = "https://docs.example/rules.md"
    assert action_summary.markdown(report, help_uri_base=base) == (
        "## flux-lint\n"
        "\n"
        "Found **4 problems** (2 errors, 1 warning, 1 note) in 3 files (Flux 2.9). "
        "1 suppressed.\n"
        "\n"
        "| Rule | Name | Count | Severity |\n"
        "| --- | --- | ---: | --- |\n"
        f"| [FL101]({base}#fl101-unknown-field) | `unknown-field` | 1 | error |\n"
        f"| [FL404]({base}#fl404-ignore%7Cpipe) | `ignore\\|pipe` | 1 | note |\n"
        f"| [FL501]({base}#fl501-missing-source) | `missing-source` | 2 | error |\n"
        "\n"
    )
    assert action_summary.count(report) == 4


def test_summary_without_problems_has_no_table() -> None:
    report = _report([_finding("FL101", "unknown-field", "error", suppressed=True)])
    assert action_summary.markdown(report) == (
        "## flux-lint\n\nNo problems found in 3 files (Flux 2.9). 1 suppressed.\n\n"
    )
    assert action_summary.count(report) == 0


def test_count_falls_back_to_the_findings() -> None:
    report = _report([_finding("FL101", "unknown-field", "error")])
    del report["summary"]
    assert action_summary.count(report) == 1
    assert "Found **1 problem** (1 error) (Flux 2.9)." in action_summary.markdown(report)


def test_summary_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(_report([_finding("FL101", "unknown-field", "error")])))
    assert action_summary.main([str(path)]) == 0
    assert capsys.readouterr().out.startswith("## flux-lint\n")
    assert action_summary.main(["--count", str(path)]) == 0
    assert capsys.readouterr().out == "1\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{", "not JSON"),
        ('{"version": 1}', "not a flux-lint JSON report"),
        ('{"version": 9, "findings": []}', "unsupported report version 9"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_summary_cli_rejects_bad_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "report.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert action_summary.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flux-lint: error: ") and message in err


@pytest.mark.parametrize("argv", [[], ["a", "b"], ["--bogus"]])
def test_summary_cli_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert action_summary.main(argv) == 2
    assert capsys.readouterr().err.startswith("usage:")
