"""The command line as users and CI see it.

Every behaviour is checked at least once through a real ``python -m flux_lint`` process,
because exit codes and the split between stdout (the report) and stderr (summary, errors) are
what scripts depend on, and click's test runner can blur both. Matrices of option values use
click's runner or ``main()`` in-process to keep the suite fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import manifests
import pytest
from click.testing import CliRunner

from flux_lint import __version__
from flux_lint.check.registry import builtin_registry
from flux_lint.cli import cli, main
from flux_lint.report.docs import rule_markdown

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

GIT_REPOSITORY = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 5m
  url: https://github.com/example/app
  ref:
    branch: main
  timout: 60s
"""

HELM_RELEASE = manifests.HELM_RELEASE + "---\n" + manifests.HELM_REPOSITORY

ALERT_V1BETA2 = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Alert
metadata:
  name: slack
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSources:
    - kind: Kustomization
      name: '*'
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  channel: general
"""

FL101_LINE = (
    "apps/git.yaml:11:3: FL101 [error] unknown field `spec.timout`; "
    "did you mean `timeout`? (unknown-field)"
)
FL401_MESSAGE = (
    "`spec.postRenderers` without `spec.postRenderStrategy`: since Flux 2.9 the default is "
    "`combined`, so Helm hooks are post-rendered too (it was `nohooks`), and "
    "`spec.postRenderers[0].kustomize.images` rewrites the images of hook Pods and Jobs as well"
)
FL401_LINE = f"release.yaml:14:3: FL401 [warning] {FL401_MESSAGE} (post-render-strategy-default)"
ALERT_REMOVED = (
    "alert.yaml:1:13: FL301 [error] Alert `notification.toolkit.fluxcd.io/v1beta2` was removed "
    "in Flux 2.9; use `notification.toolkit.fluxcd.io/v1beta3` (removed-api-version)\n"
)
ALERT_DEPRECATED = (
    "alert.yaml:1:13: FL302 [warning] Alert `notification.toolkit.fluxcd.io/v1beta2` is "
    "deprecated since Flux 2.2 and removed in Flux 2.9; use "
    "`notification.toolkit.fluxcd.io/v1beta3` (deprecated-api-version)\n"
)
UNSAFE_HINT = "1 fixable with `--unsafe-fixes`\n"
BOTH_HINTS = "1 fixable with `--fix` (1 more with `--unsafe-fixes`)\n"
ONE_ERROR_ONE_WARNING = (
    "Found 2 problems (1 error, 1 warning) in 2 files\nBy rule: FL101, FL401\n" + UNSAFE_HINT
)
ONE_WARNING = "Found 1 problem (1 warning) in 1 file\nBy rule: FL401\n" + UNSAFE_HINT


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's environment minus what changes the output (colour, debug tracebacks)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "FLUX_LINT_DEBUG", "CLICOLOR_FORCE")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


def flux_lint(
    *args: str,
    cwd: Path,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> Run:
    """Run ``python -m flux_lint`` in a real process, as a shell or CI would."""
    proc = subprocess.run(
        [sys.executable, "-m", "flux_lint", *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=_env(env),
        timeout=120,
    )
    return Run(
        proc.returncode,
        proc.stdout.decode("utf-8"),
        proc.stderr.decode("utf-8"),
    )


def python_code(code: str, *, cwd: Path) -> Run:
    """Run a Python snippet that drives ``flux_lint.cli.main`` in a real process."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        env=_env(),
        timeout=120,
        text=True,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def invoke(*args: str, cwd: Path, stdin: bytes | None = None) -> Run:
    """Run the command in this process with click's runner: fast, for matrices of values whose
    process-level behaviour one ``flux_lint`` call already covers."""
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return Run(result.exit_code, result.stdout, result.stderr)


def assert_one_error_line(run: Run, starts: str = "flux-lint: error: ") -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr with the given prefix."""
    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr.endswith("\n")
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(starts), run.stderr
    assert "Traceback" not in run.stderr
    return lines[0]


def in_process(*args: str, cwd: Path, stdin: bytes | None = None) -> Run:
    """``main(args)`` in this process (so tests can patch the file system functions): exit
    code, stdout and stderr, with any internal error visible as such."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            pytest.raises(SystemExit) as exited,
        ):
            main(list(args))
    finally:
        os.chdir(previous)
    code = exited.value.code if isinstance(exited.value.code, int) else 1
    return Run(code, out.getvalue(), err.getvalue())


def error_line(*args: str, cwd: Path) -> str:
    """``main(args)`` in-process in ``cwd``: the one error line of a usage or configuration
    error (exit 2, nothing on stdout)."""
    return assert_one_error_line(in_process(*args, cwd=cwd))


def write_repo(root: Path) -> Path:
    """A repository with one error (FL101) in apps/git.yaml and one warning (FL401) in
    apps/release.yaml."""
    (root / "apps").mkdir()
    (root / "apps" / "git.yaml").write_text(GIT_REPOSITORY)
    (root / "apps" / "release.yaml").write_text(HELM_RELEASE)
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path)


@pytest.fixture
def warn_repo(tmp_path: Path) -> Path:
    """A repository whose only finding is the FL401 warning."""
    (tmp_path / "release.yaml").write_text(HELM_RELEASE)
    return tmp_path


@pytest.fixture
def alert_repo(tmp_path: Path) -> Path:
    (tmp_path / "alert.yaml").write_text(ALERT_V1BETA2)
    return tmp_path


# -- paths ------------------------------------------------------------------------------------


def test_default_path_is_the_current_folder(repo: Path) -> None:
    run = flux_lint(cwd=repo)
    assert run.code == 1
    assert run.stdout == f"{FL101_LINE}\napps/{FL401_LINE}\n"
    assert run.stderr == ONE_ERROR_ONE_WARNING


def test_explicit_files_and_folders(repo: Path) -> None:
    (repo / "other").mkdir()
    (repo / "other" / "alert.yaml").write_text(ALERT_V1BETA2)
    run = flux_lint("other", "apps/release.yaml", cwd=repo)
    assert run.code == 1
    assert run.stdout == f"apps/{FL401_LINE}\nother/{ALERT_REMOVED}"
    assert run.stderr == (
        "Found 2 problems (1 error, 1 warning) in 2 files\nBy rule: FL301, FL401\n" + BOTH_HINTS
    )

    only_file = invoke("apps/git.yaml", cwd=repo)
    assert (only_file.code, only_file.stdout) == (1, FL101_LINE + "\n")


def test_stdin_is_shown_as_dash(tmp_path: Path) -> None:
    run = flux_lint("-", cwd=tmp_path, stdin=HELM_RELEASE.encode())
    assert run.code == 0
    assert run.stdout == f"-:14:3: FL401 [warning] {FL401_MESSAGE} (post-render-strategy-default)\n"
    assert run.stderr == ONE_WARNING


def test_stdin_together_with_files(warn_repo: Path) -> None:
    run = flux_lint("-", "release.yaml", cwd=warn_repo, stdin=ALERT_V1BETA2.encode())
    assert run.code == 1
    assert run.stdout.splitlines() == [
        "-:1:13: FL301 [error] Alert `notification.toolkit.fluxcd.io/v1beta2` was removed in "
        "Flux 2.9; use `notification.toolkit.fluxcd.io/v1beta3` (removed-api-version)",
        FL401_LINE,
    ]
    assert run.stderr == (
        "Found 2 problems (1 error, 1 warning) in 2 files\nBy rule: FL301, FL401\n" + BOTH_HINTS
    )


def test_stdin_keeps_crlf_and_reports_bad_bytes(tmp_path: Path) -> None:
    """stdin is read as bytes and decoded like a file: CRLF does not move columns, invalid
    UTF-8 is a finding at the bad byte, not a crash."""
    crlf = HELM_RELEASE.replace("\n", "\r\n").encode()
    run = flux_lint("-", "--show-source", cwd=tmp_path, stdin=crlf)
    assert run.code == 0
    assert run.stdout.splitlines()[:4] == [
        f"-:14:3: FL401 [warning] {FL401_MESSAGE} (post-render-strategy-default)",
        "   |",
        "14 |   postRenderers:",
        "   |   ^^^^^^^^^^^^^",
    ]

    bad = flux_lint("-", cwd=tmp_path, stdin=b"a: \xff\n")
    assert bad.code == 1
    assert bad.stdout == (
        "-:1:4: FL004 [error] invalid UTF-8: byte 0xff at offset 3 (line 1, column 4) (not-text)\n"
    )
    assert bad.stderr == "Found 1 problem (1 error) in 1 file\nBy rule: FL004\n"


def test_stdin_larger_than_the_limit(tmp_path: Path) -> None:
    run = flux_lint("--max-file-size", "10", "-", cwd=tmp_path, stdin=HELM_RELEASE.encode())
    assert run.code == 0  # FL005 is a warning: the file was skipped, not judged
    assert run.stdout == (
        "-:1:1: FL005 [warning] file too large: more than 10 bytes (limit 10 bytes) "
        "(file-too-large)\n"
    )


def test_folder_named_like_a_subcommand(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "release.yaml").write_text(HELM_RELEASE)
    expected = f"rules/{FL401_LINE}\n"
    dotted = flux_lint("./rules", cwd=tmp_path)
    assert (dotted.code, dotted.stdout, dotted.stderr) == (0, expected, ONE_WARNING)
    explicit = invoke("check", "rules", cwd=tmp_path)
    assert (explicit.code, explicit.stdout) == (0, expected)
    listing = invoke("rules", cwd=tmp_path)
    assert listing.stdout.startswith("FL001  yaml-syntax-error ")


def test_missing_path_is_a_finding_the_run_goes_on_and_fails(warn_repo: Path) -> None:
    run = flux_lint("nope.yaml", "release.yaml", cwd=warn_repo)
    assert run.code == 2
    assert run.stdout == (
        f"nope.yaml:1:1: FL007 [warning] no such file or directory (skipped-path)\n{FL401_LINE}\n"
    )
    assert run.stderr == (
        "Found 2 problems (2 warnings) in 1 file\nBy rule: FL007, FL401\n"
        + UNSAFE_HINT
        + "flux-lint: error: cannot lint nope.yaml: no such file or directory\n"
    )


def test_empty_path_argument_is_a_usage_error(warn_repo: Path) -> None:
    line = assert_one_error_line(flux_lint("", cwd=warn_repo))
    assert line == "flux-lint: error: empty path argument (use `.` for the current folder)"


def test_exclude(repo: Path) -> None:
    run = flux_lint("--exclude", "git.yaml", cwd=repo)
    assert (run.code, run.stdout) == (0, f"apps/{FL401_LINE}\n")
    both = invoke("--exclude", "git.yaml", "--exclude", "apps/release.yaml", cwd=repo)
    assert (both.code, both.stdout) == (0, "")
    assert both.stderr == "All checks passed: 0 files, 0 objects\n"


# -- formats and output -----------------------------------------------------------------------


def test_format_text_is_the_default(repo: Path) -> None:
    text = flux_lint("--format", "text", cwd=repo)
    default = invoke(cwd=repo)
    assert text.stdout.splitlines()[0] == FL101_LINE
    assert (text.code, text.stdout, text.stderr) == (default.code, default.stdout, default.stderr)


def test_format_json(repo: Path) -> None:
    run = flux_lint("--format", "json", cwd=repo)
    assert run.code == 1
    assert run.stderr == ""  # the summary is in the document, not on stderr
    data = json.loads(run.stdout)
    assert data["version"] == 1
    assert data["tool"] == {"name": "flux-lint", "version": __version__}
    assert data["fluxVersion"] == "2.9"
    first = data["findings"][0]
    assert {k: first[k] for k in ("ruleId", "ruleName", "severity", "path", "line", "column")} == {
        "ruleId": "FL101",
        "ruleName": "unknown-field",
        "severity": "error",
        "path": "apps/git.yaml",
        "line": 11,
        "column": 3,
    }
    assert first["message"] == "unknown field `spec.timout`; did you mean `timeout`?"
    assert first["object"] == {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "namespace": "flux-system",
        "name": "app",
    }
    assert first["pointer"] == "/spec/timout"
    assert [f["ruleId"] for f in data["findings"]] == ["FL101", "FL401"]
    assert data["summary"]["bySeverity"] == {"error": 1, "warning": 1, "note": 0}


def test_format_github(repo: Path) -> None:
    run = flux_lint("--format", "github", cwd=repo)
    assert run.code == 1
    assert run.stderr == ""
    assert run.stdout.splitlines()[0] == (
        "::error file=apps/git.yaml,line=11,col=3,endLine=11,endColumn=9,"
        "title=FL101 unknown-field::unknown field `spec.timout`; did you mean `timeout`?"
    )
    assert run.stdout.splitlines()[1].startswith("::warning file=apps/release.yaml,line=14,")


def test_format_sarif(repo: Path) -> None:
    run = flux_lint("--format", "sarif", cwd=repo)
    assert run.code == 1
    assert run.stderr == ""
    data = json.loads(run.stdout)
    assert data["version"] == "2.1.0"
    sarif_run = data["runs"][0]
    assert sarif_run["tool"]["driver"]["name"] == "flux-lint"
    assert [r["id"] for r in sarif_run["tool"]["driver"]["rules"]] == ["FL101", "FL401"]
    result = sarif_run["results"][0]
    assert (result["ruleId"], result["level"]) == ("FL101", "error")
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "apps/git.yaml", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 11, "startColumn": 3, "endLine": 11, "endColumn": 9}
    # Reproducible by default: the checkout's absolute path is not in the report.
    assert "uri" not in sarif_run["originalUriBaseIds"]["%SRCROOT%"]
    absolute = json.loads(flux_lint("--format", "sarif", "--sarif-absolute-root", cwd=repo).stdout)
    base = absolute["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    assert base["uri"] == repo.resolve().as_uri() + "/"


def test_output_file_in_a_real_process(repo: Path) -> None:
    run = flux_lint("--output", "report.txt", cwd=repo)
    assert (run.code, run.stdout, run.stderr) == (1, "", ONE_ERROR_ONE_WARNING)
    report = (repo / "report.txt").read_text(encoding="utf-8")
    assert report == f"{FL101_LINE}\napps/{FL401_LINE}\n"


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_output_file_gets_the_report_and_stdout_nothing(repo: Path, fmt: str) -> None:
    to_stdout = invoke("--format", fmt, cwd=repo)
    run = invoke("--format", fmt, "--output", "report.out", cwd=repo)
    assert run.code == 1
    assert run.stdout == ""
    assert (repo / "report.out").read_text(encoding="utf-8") == to_stdout.stdout
    assert run.stderr == (ONE_ERROR_ONE_WARNING if fmt == "text" else "")


def test_output_into_a_missing_folder_is_one_error_line(repo: Path) -> None:
    line = assert_one_error_line(flux_lint("-o", "missing/report.txt", cwd=repo))
    assert line == (
        "flux-lint: error: Could not open file 'missing/report.txt': No such file or directory"
    )


# -- exit codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "code", "real"),
    [("error", 0, True), ("warning", 1, True), ("note", 1, False), ("never", 0, False)],
)
def test_fail_on_with_a_warning_only_repo(
    warn_repo: Path, fail_on: str, code: int, real: bool
) -> None:
    run = (flux_lint if real else invoke)("--fail-on", fail_on, cwd=warn_repo)
    assert run.code == code
    assert run.stdout == FL401_LINE + "\n"
    assert run.stderr == ONE_WARNING


def test_fail_on_never_with_errors(repo: Path) -> None:
    run = invoke("--fail-on", "never", cwd=repo)
    assert (run.code, run.stderr) == (0, ONE_ERROR_ONE_WARNING)


def test_clean_repo_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "release.yaml").write_text(
        HELM_RELEASE.replace("  postRenderers:", "  postRenderStrategy: combined\n  postRenderers:")
    )
    run = flux_lint("--fail-on", "note", cwd=tmp_path)
    assert (run.code, run.stdout, run.stderr) == (0, "", "All checks passed: 1 file, 2 objects\n")


# -- rule selection ---------------------------------------------------------------------------


def test_select_and_ignore_in_a_real_process(repo: Path) -> None:
    selected = flux_lint("--select", "FL101", cwd=repo)
    assert (selected.code, selected.stdout) == (1, FL101_LINE + "\n")
    ignored = invoke("--ignore", "unknown-field", cwd=repo)
    assert (ignored.code, ignored.stdout) == (0, f"apps/{FL401_LINE}\n")


@pytest.mark.parametrize(
    ("args", "rules"),
    [
        (["--select", "FL101"], ["FL101"]),
        (["--select", "unknown-field"], ["FL101"]),
        (["--select", "fl101"], ["FL101"]),
        (["--select", "FL1"], ["FL101"]),
        (["--select", "FL4"], ["FL401"]),
        (["--select", "FL101,post-render-strategy-default"], ["FL101", "FL401"]),
        (["--select", "FL101", "--select", "FL401"], ["FL101", "FL401"]),
        (["--select", " FL101 , FL401 "], ["FL101", "FL401"]),
        (["--select", "ALL"], ["FL101", "FL401"]),
        (["--ignore", "FL101"], ["FL401"]),
        (["--ignore", "post-render-strategy-default"], ["FL101"]),
        (["--ignore", "FL1,FL4"], []),
        (["--ignore", "FL1", "--ignore", "FL4"], []),
        (["--select", "FL1", "--ignore", "unknown-field"], []),
        (["--select", "FL"], ["FL101", "FL401"]),
    ],
)
def test_select_and_ignore_forms(repo: Path, args: list[str], rules: list[str]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, [*args, "--format", "json", str(repo)])
    assert result.exit_code == (1 if "FL101" in rules else 0), result.output
    found = [f["ruleId"] for f in json.loads(result.stdout)["findings"]]
    assert found == rules


def test_unknown_rule_in_select_is_one_error_line(repo: Path) -> None:
    line = assert_one_error_line(flux_lint("--select", "FL101,nope", cwd=repo))
    assert line == "flux-lint: error: unknown rule `nope` (see `flux-lint rules`)"
    assert_one_error_line(flux_lint("--ignore", "FL9", cwd=repo))


# -- Flux versions ----------------------------------------------------------------------------


def test_flux_version_changes_results(alert_repo: Path) -> None:
    at_29 = flux_lint(cwd=alert_repo)
    assert (at_29.code, at_29.stdout) == (1, ALERT_REMOVED)
    at_28 = flux_lint("--flux-version", "2.8", cwd=alert_repo)
    assert (at_28.code, at_28.stdout, at_28.stderr) == (
        0,
        ALERT_DEPRECATED,
        "Found 1 problem (1 warning) in 1 file\nBy rule: FL302\n1 fixable with `--fix`\n",
    )
    full_release = invoke("--flux-version", "v2.8.3", cwd=alert_repo)
    assert (full_release.code, full_release.stdout) == (0, ALERT_DEPRECATED)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "--flux-version: not a Flux version: 'abc' (expected e.g. 2.9)"),
        ("2", "--flux-version: not a Flux version: '2' (expected e.g. 2.9)"),
        ("1.0", "--flux-version: Flux 1.0 is not supported (only Flux 2.x)"),
        ("3.0", "--flux-version: Flux 3.0 is not supported (only Flux 2.x)"),
    ],
)
def test_bad_flux_version_is_one_error_line(
    alert_repo: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--flux-version", value, str(alert_repo)])
    out, err = capsys.readouterr()
    assert (exited.value.code, out, err) == (2, "", f"flux-lint: error: {message}\n")


def test_bad_flux_version_in_a_real_process(alert_repo: Path) -> None:
    run = flux_lint("--flux-version", "2", cwd=alert_repo)
    assert assert_one_error_line(run) == (
        "flux-lint: error: --flux-version: not a Flux version: '2' (expected e.g. 2.9)"
    )


def test_from_turns_the_run_into_an_upgrade_report(warn_repo: Path) -> None:
    upgrade = flux_lint("--from", "2.8", cwd=warn_repo)
    assert (upgrade.code, upgrade.stdout) == (0, FL401_LINE + "\n")
    already = invoke("--from", "2.9", cwd=warn_repo)
    assert (already.code, already.stdout) == (0, "")
    assert already.stderr == "All checks passed: 1 file, 2 objects\n"
    bad = flux_lint("--from", "x", cwd=warn_repo)
    assert assert_one_error_line(bad) == (
        "flux-lint: error: --from: not a Flux version: 'x' (expected e.g. 2.9)"
    )


# -- presentation -----------------------------------------------------------------------------


def test_color_is_forced_or_disabled(warn_repo: Path) -> None:
    forced = flux_lint("--color", cwd=warn_repo)
    assert forced.stdout == (
        "\x1b[1mrelease.yaml\x1b[0m:14:3: \x1b[1;33mFL401\x1b[0m [\x1b[33mwarning\x1b[0m] "
        f"{FL401_MESSAGE} \x1b[2m(post-render-strategy-default)\x1b[0m\n"
    )
    assert forced.stderr == (
        "\x1b[1;33mFound 1 problem\x1b[0m (1 warning) in 1 file\nBy rule: FL401\n" + UNSAFE_HINT
    )
    disabled = invoke("--no-color", cwd=warn_repo)
    assert "\x1b" not in disabled.stdout + disabled.stderr
    default = flux_lint(cwd=warn_repo)  # pipes are not terminals
    assert (default.stdout, default.stderr) == (disabled.stdout, disabled.stderr)
    assert default.stdout == FL401_LINE + "\n"


def test_color_only_applies_to_text(warn_repo: Path) -> None:
    run = invoke("--color", "--format", "json", cwd=warn_repo)
    assert "\x1b" not in run.stdout
    assert json.loads(run.stdout)["findings"][0]["ruleId"] == "FL401"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_default_color_on_a_terminal_and_no_color(warn_repo: Path) -> None:
    def on_tty(env: Mapping[str, str] | None = None) -> str:
        primary, secondary = os.openpty()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "flux_lint", "-q"],
                cwd=warn_repo,
                stdin=subprocess.DEVNULL,
                stdout=secondary,
                stderr=subprocess.DEVNULL,
                env=_env(env),
            )
            os.close(secondary)
            chunks = []
            while True:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            assert proc.wait(timeout=60) == 0
        finally:
            os.close(primary)
        return b"".join(chunks).decode()

    assert on_tty().startswith("\x1b[1mrelease.yaml\x1b[0m:14:3: ")
    assert "\x1b" not in on_tty({"NO_COLOR": "1"})


def test_quiet_suppresses_the_summary(repo: Path) -> None:
    run = flux_lint("-q", cwd=repo)
    assert (run.code, run.stdout, run.stderr) == (1, f"{FL101_LINE}\napps/{FL401_LINE}\n", "")
    long = invoke("--quiet", cwd=repo)
    assert (long.code, long.stderr) == (1, "")


def test_statistics(repo: Path) -> None:
    """Only the table, on stdout, as `ruff check --statistics` prints it; -q hides nothing
    of it."""
    table = "1  FL101  unknown-field\n1  FL401  post-render-strategy-default\n"
    run = flux_lint("--statistics", cwd=repo)
    assert (run.code, run.stdout, run.stderr) == (1, table, "")
    quiet = invoke("--statistics", "-q", cwd=repo)
    assert (quiet.code, quiet.stdout, quiet.stderr) == (1, table, "")
    rows = json.loads(invoke("--statistics", "--format", "json", cwd=repo).stdout)
    assert rows == [
        {"ruleId": "FL101", "ruleName": "unknown-field", "count": 1, "fixable": 0},
        {"ruleId": "FL401", "ruleName": "post-render-strategy-default", "count": 1, "fixable": 0},
    ]
    assert error_line("--statistics", "--format", "sarif", cwd=repo) == (
        "flux-lint: error: --statistics prints text or json, not sarif"
    )


def test_statistics_of_a_clean_run_prints_no_table(tmp_path: Path) -> None:
    run = invoke("--statistics", "-q", cwd=tmp_path)
    assert (run.code, run.stdout, run.stderr) == (0, "", "")


def test_show_source(repo: Path) -> None:
    run = flux_lint("--show-source", "apps/git.yaml", cwd=repo)
    assert run.code == 1
    assert run.stdout == (f"{FL101_LINE}\n   |\n11 |   timout: 60s\n   |   ^^^^^^\n   |\n\n")


def test_version() -> None:
    run = flux_lint("--version", cwd=ROOT)
    assert (run.code, run.stdout, run.stderr) == (0, f"flux-lint {__version__}\n", "")


def test_help_exits_zero() -> None:
    run = flux_lint("--help", cwd=ROOT)
    assert run.code == 0
    assert run.stdout.startswith("Usage: flux-lint [OPTIONS] COMMAND [ARGS]...\n")
    check_help = invoke("check", "--help", cwd=ROOT)
    assert check_help.code == 0
    assert "--fail-on [error|warning|note|never]" in check_help.stdout
    assert "--format, --output-format [text|json|github|sarif]" in check_help.stdout
    for option in ("--exit-zero", "--stdin-filename PATH", "-V, --version"):
        assert option in check_help.stdout + run.stdout, option


# -- fixes ------------------------------------------------------------------------------------

ALERT_DIFF = """\
--- a/alert.yaml
+++ b/alert.yaml
@@ -1,4 +1,4 @@
-apiVersion: notification.toolkit.fluxcd.io/v1beta2
+apiVersion: notification.toolkit.fluxcd.io/v1beta3
 kind: Alert
 metadata:
   name: slack
"""
RELEASE_DIFF = """\
--- a/release.yaml
+++ b/release.yaml
@@ -11,6 +11,7 @@
       sourceRef:
         kind: HelmRepository
         name: podinfo
+  postRenderStrategy: nohooks
   postRenderers:
     - kustomize:
         images:
"""


@pytest.fixture
def fixable_repo(tmp_path: Path) -> Path:
    """A removed Alert version (safe fix) and a HelmRelease without a strategy (unsafe fix)."""
    (tmp_path / "alert.yaml").write_text(ALERT_V1BETA2)
    (tmp_path / "release.yaml").write_text(HELM_RELEASE)
    return tmp_path


def test_fix_writes_safe_fixes_and_reports_what_is_left(fixable_repo: Path) -> None:
    run = flux_lint("--fix", cwd=fixable_repo)
    assert run.code == 0
    assert run.stdout == FL401_LINE + "\n"
    assert run.stderr == "Fixed 1 problem in 1 file\n" + ONE_WARNING.replace("1 file", "2 files")
    fixed = ALERT_V1BETA2.replace("v1beta2", "v1beta3", 1)
    assert (fixable_repo / "alert.yaml").read_text() == fixed
    assert (fixable_repo / "release.yaml").read_text() == HELM_RELEASE

    again = invoke("--fix", cwd=fixable_repo)
    assert (again.code, again.stdout) == (0, FL401_LINE + "\n")
    assert not again.stderr.startswith("Fixed")


def test_unsafe_fixes_imply_fix(fixable_repo: Path) -> None:
    run = invoke("--unsafe-fixes", cwd=fixable_repo)
    assert (run.code, run.stdout) == (0, "")
    assert run.stderr == "Fixed 2 problems in 2 files\nAll checks passed: 2 files, 4 objects\n"
    assert "  postRenderStrategy: nohooks\n" in (fixable_repo / "release.yaml").read_text()


def test_diff_prints_the_fixes_and_changes_nothing(fixable_repo: Path) -> None:
    run = flux_lint("--diff", cwd=fixable_repo)
    assert (run.code, run.stdout, run.stderr) == (1, ALERT_DIFF, "")
    assert (fixable_repo / "alert.yaml").read_text() == ALERT_V1BETA2
    unsafe = invoke("--diff", "--unsafe-fixes", cwd=fixable_repo)
    assert (unsafe.code, unsafe.stdout) == (1, ALERT_DIFF + RELEASE_DIFF)
    nothing = invoke("--diff", "--select", "FL101", cwd=fixable_repo)
    assert (nothing.code, nothing.stdout, nothing.stderr) == (0, "", "")


def test_fix_stdin_prints_the_fixed_manifest_in_its_encoding(tmp_path: Path) -> None:
    """stdin is never written back: the fixed manifest is stdout (same encoding and byte order
    mark), the report goes to stderr."""
    data = "\ufeff".encode("utf-16-le") + ALERT_V1BETA2.encode("utf-16-le")
    run = subprocess.run(
        [sys.executable, "-m", "flux_lint", "--fix", "-"],
        cwd=tmp_path,
        input=data,
        capture_output=True,
        env=_env(),
        timeout=120,
    )
    assert run.returncode == 0
    expected = ALERT_V1BETA2.replace("v1beta2", "v1beta3", 1)
    assert run.stdout == "\ufeff".encode("utf-16-le") + expected.encode("utf-16-le")
    assert (
        run.stderr.decode() == "Fixed 1 problem in 1 file\nAll checks passed: 1 file, 2 objects\n"
    )

    unfixable = invoke("--fix", "-", cwd=tmp_path, stdin=HELM_RELEASE.encode())
    assert unfixable.code == 0
    assert unfixable.stdout == HELM_RELEASE
    expected_report = f"-:14:3: FL401 [warning] {FL401_MESSAGE} (post-render-strategy-default)\n"
    assert unfixable.stderr == expected_report + ONE_WARNING


# -- rules and rule ---------------------------------------------------------------------------


def test_rules_lists_every_rule_on_one_line() -> None:
    registry = builtin_registry()
    run = flux_lint("rules", cwd=ROOT)
    assert (run.code, run.stderr) == (0, "")
    lines = run.stdout.splitlines()
    assert len(lines) == len(registry)
    width = max(len(rule.name) for rule in registry)
    expected = [f"{r.id}  {r.name:<{width}}  {r.severity!s:<7}  {r.summary}" for r in registry]
    assert lines == expected
    assert [line.split()[0] for line in lines] == sorted(registry.rules)
    fl101 = next(line for line in lines if line.startswith("FL101 "))
    assert fl101.split()[1:3] == ["unknown-field", "error"]


def test_rules_json() -> None:
    registry = builtin_registry()
    run = flux_lint("rules", "--format", "json", cwd=ROOT)
    assert (run.code, run.stderr) == (0, "")
    data = json.loads(run.stdout)
    assert [entry["id"] for entry in data] == sorted(registry.rules)
    first = {entry["id"]: entry for entry in data}["FL101"]
    rule = registry.rules["FL101"]
    assert first == {
        "id": "FL101",
        "name": "unknown-field",
        "severity": "error",
        "category": "schema",
        "fix": rule.fix,
        "summary": rule.summary,
    }


def test_rule_by_id_and_by_name_print_the_same_markdown() -> None:
    by_id = flux_lint("rule", "FL101", cwd=ROOT)
    by_name = invoke("rule", "unknown-field", cwd=ROOT)
    assert by_id.code == by_name.code == 0
    assert by_id.stdout == by_name.stdout
    assert by_id.stdout == rule_markdown(builtin_registry().rules["FL101"]) + "\n"
    assert by_id.stderr == ""


def test_unknown_rule_doc_is_one_error_line() -> None:
    line = assert_one_error_line(flux_lint("rule", "FL999", cwd=ROOT))
    assert line == "flux-lint: error: unknown rule `FL999` (see `flux-lint rules`)"


# -- schemas build ----------------------------------------------------------------------------


@pytest.mark.skipif(not (SHARED / "flux-crds" / "v2.9.4").is_dir(), reason="needs ../shared")
def test_schemas_build_reproduces_the_shipped_bundle(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = flux_lint(
        "schemas", "build", "--crds", str(SHARED / "flux-crds" / "v2.9.4"), "--out", str(out),
        cwd=ROOT,
    )  # fmt: skip
    assert (run.code, run.stderr) == (0, "")
    assert run.stdout == f"wrote {out / 'flux-2.9.json'}\n"
    assert (out / "flux-2.9.json").read_bytes() == (ROOT / "schemas" / "flux-2.9.json").read_bytes()


def test_schemas_build_errors_are_one_line(tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "broken.yaml").write_text("kind: [\n")
    no_version = flux_lint("schemas", "build", "--crds", str(crds), "--out", "o", cwd=tmp_path)
    assert assert_one_error_line(no_version) == (
        "flux-lint: error: cannot tell the Flux version from `crds`; pass one like 2.9.4"
    )
    broken = flux_lint(
        "schemas", "build", "--crds", str(crds), "--out", "o", "--flux-version", "2.9.1",
        cwd=tmp_path,
    )  # fmt: skip
    assert_one_error_line(broken)
    missing = flux_lint("schemas", "build", "--crds", "nope", "--out", "o", cwd=tmp_path)
    assert_one_error_line(missing)


# -- usage and internal errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "No such option"),
        (["--format", "xml"], "Invalid value for '--format'"),
        (["--fail-on", "fatal"], "Invalid value for '--fail-on'"),
        (["--format"], "Option '--format' requires an argument."),
        (["rule"], "Missing argument 'RULE_ID'."),
        (["rules", "extra"], "Got unexpected extra argument (extra)"),
        (["rules", "--format", "yaml"], "Invalid value for '--format'"),
        (["schemas"], "missing command (see `flux-lint schemas --help`)"),
        (["schemas", "build"], "Missing option '--crds'."),
        (["schemas", "nope"], "No such command 'nope'."),
        (["--max-file-size", "0"], "Invalid value for '--max-file-size'"),
    ],
)
def test_usage_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    assert exited.value.code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"flux-lint: error: {message}")


def test_usage_error_in_a_real_process(tmp_path: Path) -> None:
    run = flux_lint("--format", "xml", cwd=tmp_path)
    assert assert_one_error_line(run) == (
        "flux-lint: error: Invalid value for '--format' / '--output-format': 'xml' is not one of "
        "'text', 'json', 'github', 'sarif'."
    )
    subgroup = flux_lint("schemas", cwd=tmp_path)
    assert assert_one_error_line(subgroup) == (
        "flux-lint: error: missing command (see `flux-lint schemas --help`)"
    )


def test_internal_error_is_one_line_and_exit_2(warn_repo: Path) -> None:
    code = (
        "import flux_lint.run.pipeline as engine\n"
        "def boom(*args, **kwargs):\n"
        "    raise RuntimeError('first line\\nsecond line')\n"
        "engine.run = boom\n"
        "from flux_lint.cli import main\n"
        "main(['.'])\n"
    )
    run = python_code(code, cwd=warn_repo)
    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr == (
        "flux-lint: internal error: RuntimeError: first line second line "
        "(set FLUX_LINT_DEBUG=1 for a traceback)\n"
    )


def test_a_crashing_rule_becomes_fl009_and_exit_2(warn_repo: Path) -> None:
    code = (
        "import flux_lint.check.rules.behaviour\n"
        "from flux_lint.check.registry import CHECKS\n"
        "def boom(obj, ctx):\n"
        "    if obj.kind == 'HelmRelease':\n"
        "        raise RuntimeError('boom')\n"
        "    return []\n"
        "boom.rule_ids = ('FL401',)\n"
        "CHECKS['FL401'] = boom\n"
        "from flux_lint.cli import main\n"
        "main(['-q', '.'])\n"
    )
    run = python_code(code, cwd=warn_repo)
    assert run.code == 2
    assert run.stderr == ""
    lines = run.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "release.yaml:1:1: FL009 [error] rule FL401 failed on this object: RuntimeError: boom ("
    )


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    """`flux-lint | head -1`: the reader leaves early; no traceback, no "Exception ignored".

    1500 missing paths give ~120 KB of findings (more than a pipe buffer) without parsing any
    YAML, so the write really fails and the test stays fast.
    """
    missing = [f"missing-{i:04}.yaml" for i in range(1500)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "flux_lint", *missing],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    assert (
        first
        == b"missing-0000.yaml:1:1: FL007 [warning] no such file or directory (skipped-path)\n"
    )
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    code = proc.wait(timeout=120)
    # Whether the kernel reports the closed pipe to a write already in progress depends on the
    # platform: either the write fails (exit 1, nothing more printed) or the run completes.
    finished = (
        "Found 1500 problems (1500 warnings) in 0 files\nBy rule: FL007 ×1500\n"
        "flux-lint: error: cannot lint missing-0000.yaml: no such file or directory "
        "(and 1499 more paths)\n"
    )
    assert (code, err) in [(1, ""), (2, finished)]


class _ClosedPipe(io.StringIO):
    """A stdout whose reader went away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_pipe_exits_1_without_a_message(
    warn_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(warn_repo)
    with monkeypatch.context() as patched:
        patched.setattr(sys, "stdout", _ClosedPipe())
        patched.setattr(sys, "stderr", sys.stderr)  # click wraps both streams after EPIPE
        with pytest.raises(SystemExit) as exited:
            main(["-q", "."])
    assert exited.value.code == 1
    assert capsys.readouterr().err == ""


# -- configuration ----------------------------------------------------------------------------


def test_config_file_settings_and_flags_that_win(repo: Path) -> None:
    (repo / ".flux-lint.yaml").write_text("fail-on: never\nignore: [FL401]\n")
    configured = flux_lint(cwd=repo)
    assert (configured.code, configured.stdout) == (0, FL101_LINE + "\n")
    assert configured.stderr == "Found 1 problem (1 error) in 3 files\nBy rule: FL101\n"
    assert invoke("--fail-on", "error", cwd=repo).code == 1
    selected = invoke("--select", "FL401", cwd=repo)  # --select starts over: FL401 is back
    assert (selected.code, selected.stdout) == (0, f"apps/{FL401_LINE}\n")
    ignored = invoke("--ignore", "FL101", cwd=repo)  # --ignore adds to the file's ignores
    assert (ignored.code, ignored.stdout) == (0, "")
    bare = invoke("--no-config", cwd=repo)
    assert (bare.code, bare.stdout) == (1, f"{FL101_LINE}\napps/{FL401_LINE}\n")


def test_config_from_a_subfolder_and_with_config(repo: Path) -> None:
    (repo / ".git").mkdir()
    (repo / ".flux-lint.yaml").write_text("ignore: [unknown-field]\n")
    (repo / "ci.yaml").write_text("select: [FL101]\n")
    inner = invoke(".", cwd=repo / "apps")  # paths are shown relative to where it runs
    assert (inner.code, inner.stdout) == (0, f"{FL401_LINE}\n")
    explicit = invoke("--config", "ci.yaml", "apps", cwd=repo)
    assert (explicit.code, explicit.stdout) == (1, FL101_LINE + "\n")


def test_config_error_is_one_line_with_its_position(repo: Path) -> None:
    (repo / ".flux-lint.yaml").write_text("select: [FL1]\nselct: [FL2]\n")
    line = assert_one_error_line(flux_lint(cwd=repo))
    assert line == (
        "flux-lint: error: .flux-lint.yaml:2:1: unknown key `selct` (did you mean `select`?)"
    )
    (repo / ".flux-lint.yaml").write_text("severity:\n  unknwn-field: off\n")
    line = error_line(cwd=repo)
    assert line == (
        "flux-lint: error: .flux-lint.yaml:2:3: unknown rule `unknwn-field` (see `flux-lint rules`)"
    )
    (repo / ".flux-lint.yaml").write_text("flux-version: 1.9\n")
    line = error_line(cwd=repo)
    assert line == (
        "flux-lint: error: .flux-lint.yaml:1:15: `flux-version`: Flux 1.9 is not supported "
        "(only Flux 2.x)"
    )
    both = error_line("--config", "x.yaml", "--no-config", cwd=repo)
    assert both == "flux-lint: error: --config and --no-config cannot be used together"
    missing = error_line("--config", "x.yaml", cwd=repo)
    assert missing == "flux-lint: error: x.yaml: no such configuration file"


def test_config_severity_changes_the_report_and_the_exit_code(warn_repo: Path) -> None:
    (warn_repo / ".flux-lint.yaml").write_text("severity:\n  post-render-strategy-default: error\n")
    run = flux_lint(cwd=warn_repo)
    assert run.code == 1
    assert run.stdout == FL401_LINE.replace("[warning]", "[error]") + "\n"
    sarif = json.loads(invoke("--format", "sarif", cwd=warn_repo).stdout)
    rule = sarif["runs"][0]["tool"]["driver"]["rules"][0]
    assert (rule["id"], rule["defaultConfiguration"]["level"]) == ("FL401", "error")
    assert sarif["runs"][0]["results"][0]["level"] == "error"


def test_strict_preset_fails_on_warnings(warn_repo: Path) -> None:
    (warn_repo / ".flux-lint.yaml").write_text("extends: strict\n")
    assert flux_lint(cwd=warn_repo).code == 1
    assert invoke("--fail-on", "error", cwd=warn_repo).code == 0


def test_per_file_ignores_are_config_suppressions(repo: Path) -> None:
    (repo / ".flux-lint.yaml").write_text('per-file-ignores:\n  "apps/git.yaml": [FL1]\n')
    run = flux_lint("--format", "json", cwd=repo)
    assert run.code == 0
    data = json.loads(run.stdout)
    assert [(f["ruleId"], f["suppressed"]) for f in data["findings"]] == [
        ("FL101", {"kind": "config", "justification": "per-file-ignores `apps/git.yaml`"}),
        ("FL401", None),
    ]
    assert data["summary"]["suppressed"] == 1


def test_user_rules_from_config_and_flags(tmp_path: Path) -> None:
    fixtures = ROOT / "tests" / "fixtures" / "user-rules"
    for name in ("apps.yaml", "sources.yaml"):
        (tmp_path / name).write_text((fixtures / "repo" / name).read_text(encoding="utf-8"))
    (tmp_path / ".flux-lint.yaml").write_text(
        f"rules: [{fixtures / 'rules'}]\nselect: [ACME]\nseverity:\n  ACME002: warning\n"
    )
    run = flux_lint("--format", "json", cwd=tmp_path)
    data = json.loads(run.stdout)
    assert [(f["ruleId"], f["severity"]) for f in data["findings"]] == [
        ("ACME001", "warning"),
        ("ACME003", "note"),
        ("ACME003", "note"),
        ("ACME002", "warning"),
    ]
    assert run.code == 0
    flag = invoke(
        "--no-config", "--rules", str(fixtures / "rules"), "--select", "ACME002", cwd=tmp_path
    )
    assert (flag.code, flag.stdout.count("ACME002")) == (1, 1)
    bad = error_line("--no-config", "--crds", "nope", cwd=tmp_path)
    assert bad.startswith("flux-lint: error: nope")


# -- inline suppressions and baselines ----------------------------------------------------------


def test_inline_suppressions_in_a_real_process(repo: Path) -> None:
    text = GIT_REPOSITORY.replace("  timout: 60s\n", "  timout: 60s # flux-lint: disable=FL101\n")
    (repo / "apps" / "git.yaml").write_text(text + "  # flux-lint: disable-next-line=FL102\n")
    run = flux_lint("apps/git.yaml", cwd=repo)
    assert run.code == 0
    assert run.stdout == (
        "apps/git.yaml:12:3: FL008 [warning] `FL102` suppresses nothing; there is no line after "
        "it (unused-suppression)\n"
    )
    assert run.stderr == (
        "Found 1 problem (1 warning) in 1 file, 1 suppressed\nBy rule: FL008\n"
        "1 fixable with `--fix`\n"
    )


def test_baseline_round_trip(repo: Path) -> None:
    written = flux_lint("--write-baseline", "baseline.json", cwd=repo)
    assert (written.code, written.stdout) == (0, "")
    assert written.stderr == (
        "Wrote 2 findings to the baseline baseline.json\n"
        "All checks passed: 2 files, 3 objects, 2 suppressed\n"
    )
    data = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))
    assert [(e["ruleId"], e["path"]) for e in data["findings"]] == [
        ("FL101", "apps/git.yaml"),
        ("FL401", "apps/release.yaml"),
    ]

    # Lines added above a baselined finding do not bring it back; a new finding is reported.
    moved = GIT_REPOSITORY.replace("spec:\n", "spec:\n  suspend: false\n") + "  tagg: v1\n"
    (repo / "apps" / "git.yaml").write_text(moved)
    run = flux_lint("--baseline", "baseline.json", cwd=repo)
    assert run.code == 1
    assert (
        run.stdout
        == "apps/git.yaml:13:3: FL101 [error] unknown field `spec.tagg` (unknown-field)\n"
    )
    assert run.stderr == "Found 1 problem (1 error) in 2 files, 2 suppressed\nBy rule: FL101\n"

    sarif = json.loads(invoke("--baseline", "baseline.json", "--format", "sarif", cwd=repo).stdout)
    kinds = [r.get("suppressions") for r in sarif["runs"][0]["results"]]
    assert kinds == [
        [{"kind": "external", "justification": "baseline `baseline.json`"}],
        None,
        [{"kind": "external", "justification": "baseline `baseline.json`"}],
    ]

    (repo / "apps" / "git.yaml").write_text(GIT_REPOSITORY.replace("  timout: 60s\n", ""))
    fixed = flux_lint("--baseline", "baseline.json", cwd=repo)
    assert fixed.code == 0
    assert fixed.stderr == (
        "1 baseline entry matched nothing (the problems are gone): refresh it with "
        "`--write-baseline baseline.json`\n"
        "All checks passed: 2 files, 3 objects, 1 suppressed\n"
    )


def test_bad_baseline_is_one_error_line(repo: Path) -> None:
    missing = assert_one_error_line(flux_lint("--baseline", "nope.json", cwd=repo))
    assert missing == (
        "flux-lint: error: nope.json: no such baseline file (create it with "
        "`--write-baseline nope.json`)"
    )
    (repo / "bad.json").write_text("[]")
    bad = error_line("--baseline", "bad.json", cwd=repo)
    assert bad == "flux-lint: error: bad.json: not a flux-lint baseline (no `findings` list)"


# -- progress bar -------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_bar_waits_then_draws_throttled_and_erases() -> None:
    from flux_lint.progress import ProgressBar

    clock, stream = _Clock(), io.StringIO()
    bar = ProgressBar(stream, clock=clock, width=30)
    bar(1, 4)
    assert stream.getvalue() == ""  # a quick run shows nothing
    clock.now = 0.6
    bar(2, 4)
    clock.now = 0.65
    bar(3, 4)  # too soon after the last draw
    bar(4, 4)  # the end is always drawn
    bar.close()
    assert stream.getvalue() == (
        "\r\x1b[K[=======>         ] 2/4 files\r\x1b[K[=================] 4/4 files\r\x1b[K"
    )


def test_progress_bar_only_on_a_terminal_outside_ci() -> None:
    from flux_lint.progress import wanted

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wanted(Tty(), {"TERM": "xterm"})
    assert not wanted(io.StringIO(), {"TERM": "xterm"})
    assert not wanted(Tty(), {"TERM": "dumb"})
    assert not wanted(Tty(), {"TERM": "xterm", "CI": "true"})
    assert not wanted(Tty(), {"TERM": "xterm", "GITHUB_ACTIONS": "true"})
    assert wanted(Tty(), {"TERM": "xterm", "CI": "false"})
    assert not wanted(None, {})
