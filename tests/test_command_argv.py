"""A plain ``check`` command line read without click (command/argv.py) gives exactly the
options click gives, and everything else is left to click."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import manifests
import pytest

from flux_lint.cli import check_command, cli
from flux_lint.command import argv as plain

ROOT = Path(__file__).resolve().parent.parent

#: Options of ``check`` that command/argv.py leaves to click on purpose: click checks their
#: values against the file system or reads standard input.
LEFT_TO_CLICK = {"--output", "-o", "--schema-dir", "--stdin-filename", "--help", "-h"}


def clicks(args: list[str]) -> dict:
    """The options click passes to the check command for ``flux-lint ARGS``."""
    if args and args[0] == "check":
        args = args[1:]
    with check_command.make_context("check", list(args)) as ctx:
        return dict(ctx.params)


def test_the_defaults_are_clicks() -> None:
    assert plain.parse([]) == clicks([]) == plain.DEFAULTS


def test_every_option_of_check_is_read_here_or_left_to_click() -> None:
    declared = set()
    for param in check_command.params:
        if isinstance(param, click.Option):
            declared.update(param.opts, param.secondary_opts)
    known = set(plain._VALUES) | set(plain._FLAGS)
    assert declared - known == LEFT_TO_CLICK - {"--help", "-h"}
    assert known <= declared


def test_the_subcommands_are_clicks() -> None:
    assert set(plain.SUBCOMMANDS) == set(cli.commands)


@pytest.mark.parametrize(
    "args",
    [
        ["apps/namespace.yaml"],
        ["check", "a.yaml", "b.yaml"],
        ["--format", "json", "infrastructure/namespace.yaml", "--cache-dir", "/tmp/c"],
        ["--format=sarif", "--output-format", "github", "x"],
        ["-q", "--no-cache", "--select", "FL1,FL2", "--select", "FL301", "--ignore=FL9"],
        ["--color", "--no-color", "--show-source", "--statistics", "--exit-zero"],
        ["--no-color", "--color", "--fail-on", "warning", "--fix", "--unsafe-fixes", "--diff"],
        ["--flux-version", "2.7", "--kubernetes-version", "1.33", "--from", "none"],
        ["--exclude", "a/**", "--exclude=b", "--config", "c.yaml", "--no-config"],
        ["--baseline", "b.json", "--write-baseline", "w.json", "--rules", "r", "--crds", "c"],
        ["--check-unapplied", "--no-progress", "--sarif-absolute-root", "--quiet"],
        ["-j", "3", "--jobs=0", "--max-file-size", "1024", "p", "--cache-dir="],
        ["rulesx", "--format", "text", "."],
        ["./rules"],
    ],
)
def test_a_plain_command_line_gives_clicks_options(args: list[str]) -> None:
    assert plain.parse(args) == clicks(args)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-h"],
        ["check", "--help"],
        ["--version"],
        ["rules"],
        ["rule", "FL101"],
        ["schemas", "build"],
        ["cache", "dir"],
        ["-"],
        ["a.yaml", "-"],
        ["--", "a.yaml"],
        ["--stdin-filename", "x.yaml"],
        ["--output", "report.json", "a"],
        ["-o", "report.json"],
        ["--schema-dir", "schemas"],
        ["-qj2"],
        ["-j2"],
        ["--format", "xml"],
        ["--format", "JSON"],
        ["--fail-on=fatal"],
        ["--jobs", "-1"],
        ["--jobs", "1_0"],
        ["--max-file-size", "0"],
        ["--max-file-size", "١٢"],
        ["--select"],
        ["--select", "-q"],
        ["--quiet=yes"],
        ["--fromm", "2.6"],
        ["--formats", "json"],
    ],
)
def test_anything_else_is_left_to_click(args: list[str]) -> None:
    assert plain.parse(args) is None


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FLUX_LINT_DEBUG", "NO_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


THROUGH_CLICK = "import sys; from flux_lint.cli import main; main(sys.argv[1:])"
#: ``python -m flux_lint``, noting whether click was loaded (stdout and stderr are the
#: command's).
THROUGH_MAIN = """
import atexit, os, sys
atexit.register(lambda: open(os.environ["CLICK_NOTE"], "w").write(str("click" in sys.modules)))
sys.argv[0] = "flux-lint"
from flux_lint.__main__ import main
main()
"""

BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [unclosed\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--no-cache", "--format", "json", "repo"],
        ["--no-cache", "repo/apps/release.yaml", "--format", "github"],
        ["--no-cache", "-q", "repo"],
        ["--no-cache", "--statistics", "repo"],
        ["--no-cache", "--format", "json", "--select", "FL9999", "repo"],
        ["--no-cache", "--flux-version", "3.0", "repo"],
        ["--no-cache", "-q", "repo/missing.yaml"],
        ["--no-cache", "--format", "sarif", "--statistics", "repo"],
    ],
)
def test_the_same_run_with_and_without_click(tmp_path: Path, args: list[str]) -> None:
    manifests.write_tree(
        tmp_path / "repo",
        {
            "apps/release.yaml": manifests.HELM_RELEASE.replace("interval:", "intervall:"),
            "apps/broken.yaml": BROKEN,
        },
    )
    note = tmp_path / "click.txt"
    env = {**_env(), "CLICK_NOTE": str(note)}
    fast = subprocess.run(
        [sys.executable, "-c", THROUGH_MAIN, *args],
        cwd=tmp_path,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert note.read_text() == "False"  # read and run without click
    slow = subprocess.run(
        [sys.executable, "-c", THROUGH_CLICK, *args],
        cwd=tmp_path,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        slow.returncode,
        slow.stdout,
        slow.stderr,
    )
    assert fast.returncode in (1, 2)  # there was something to report, or a usage error
