"""Command line: ``flux-lint [PATH ...]`` plus ``rules``, ``rule``, ``schemas``, ``cache``,
``clean`` and ``plugin`` subcommands.

Only click and the version are imported at start-up; everything that reads schemas, compiles
CEL or formats output is imported inside the command that needs it, so ``--version`` and
``--help`` stay fast. What ``check`` does is in command/check.py; a plain ``check`` command
line runs it without this module (command/argv.py).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from flux_lint import __version__
from flux_lint.command import check as command_check
from flux_lint.command.check import (
    FAIL_ON,
    FORMATS,
    cache_dir_path,
    end_on_error,
    plural,
    report_error,
)


class UsageProblem(click.UsageError):
    """A bad flag value found after click parsed the arguments."""


class DefaultGroup(click.Group):
    """A group whose default command is ``check``: ``flux-lint apps/`` lints ``apps/``.

    A first argument that names a subcommand runs it; anything else (paths, options) goes to
    ``check``. A folder that has a subcommand's name can be given as ``./rules``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version", "-V")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", "-V", prog_name="flux-lint", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Lint Flux CD GitOps repositories: schemas, CEL rules, removed APIs, Flux 2.9 changes.

    Run `flux-lint PATH ...` (the default command is `check`), `flux-lint rules` to list the
    rules and `flux-lint rule ID` to read one rule's docs.
    """


@cli.command("check")
@click.argument("paths", nargs=-1, type=str)
@click.option(
    "--format",
    "--output-format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default=None,
    help="Lowest severity that makes the exit code 1.  [default: error]",
)
@click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when there are findings (same as --fail-on never); exit code 2 still "
    "reports a path that could not be read or an error.",
)
@click.option(
    "--select",
    multiple=True,
    metavar="RULES",
    help="Only these rules (ids, names or id prefixes such as FL1; comma-separated).",
)
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules.")
@click.option(
    "--flux-version",
    default=None,
    help="The Flux version the repository must work with.  [default: 2.9]",
)
@click.option(
    "--kubernetes-version",
    default=None,
    metavar="VERSION",
    help="The Kubernetes release built-in objects are checked against.  [default: 1.34, the "
    "oldest Flux 2.9 supports]",
)
@click.option(
    "--schema-dir",
    "schema_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="A kubeconform-style folder of JSON schemas (kind-group-version.json) for kinds "
    "flux-lint has no schema of; repeatable.",
)
@click.option(
    "--from",
    "from_version",
    metavar="VERSION",
    help="The Flux version running today: report what an upgrade breaks. Default: the "
    "version the repository pins (FluxInstance, gotk-components.yaml); `none` turns it off.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip paths matching this gitignore-style pattern (repeatable).",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="Read the configuration from FILE instead of the nearest .flux-lint.yaml, "
    ".flux-lint.yml or pyproject.toml [tool.flux-lint].",
)
@click.option("--no-config", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "--baseline",
    metavar="FILE",
    help="Do not report the findings recorded in FILE (see --write-baseline).",
)
@click.option(
    "--write-baseline",
    metavar="FILE",
    help="Record the current findings in FILE; later runs with --baseline FILE report only "
    "new ones.",
)
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    metavar="PATH",
    help="Also load user rule descriptors from this file or folder (repeatable).",
)
@click.option(
    "--crds",
    "crd_paths",
    multiple=True,
    metavar="PATH",
    help="Also validate custom resources against the CRDs in this file or folder (repeatable).",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the text output (default: on a TTY)."
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Print only the number of findings per rule (a table, or JSON with --format json).",
)
@click.option("--show-source", is_flag=True, help="Show the offending line under each finding.")
@click.option(
    "--quiet", "-q", is_flag=True, help="No summary, notes or progress bar; only the report."
)
@click.option(
    "--check-unapplied",
    is_flag=True,
    default=None,
    help="Also check files that no Flux Kustomization applies (by default only what Flux "
    "applies is checked; YAML errors are reported everywhere).",
)
@click.option(
    "--no-progress",
    is_flag=True,
    help="Never draw the progress bar (it is only drawn on a terminal, outside CI).",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=5 * 1024 * 1024,
    show_default=True,
    help="Skip files larger than this many bytes.",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the files.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Also apply fixes that may change behaviour (implies --fix).",
)
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change no file.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read and write no cache: nothing is written to disk (unchanged files are otherwise "
    "not checked again).",
)
@click.option(
    "--cache-dir",
    metavar="DIR",
    help="Keep the cache (results, CEL parser tables, their key) in DIR and write nowhere "
    "else.  [default: $XDG_CACHE_HOME/flux-lint or ~/.cache/flux-lint]",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    help="Worker processes for large runs (0: one per core, 1: none).  [default: 0]",
)
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="The file standard input stands for: findings carry its path, and the configuration "
    "and rules apply as for that file (implies `-` when no path is given).",
)
@click.option(
    "--sarif-absolute-root",
    "absolute_srcroot",
    is_flag=True,
    help="Write the checkout's absolute path as SARIF %SRCROOT% (default: left out, so the "
    "report is the same on every machine).",
)
def check_command(**options: Any) -> None:
    """Lint the manifests under PATHS (default: the current folder; `-` reads stdin).

    Settings come from the nearest .flux-lint.yaml (or pyproject.toml [tool.flux-lint]) up to
    the repository root; flags win over it. With `--fix`, fixed files are written back and
    the report shows what is left; fixed standard input goes to stdout, and the report to
    stderr (or `--output`).

    Paths are shown relative to the current folder (SARIF: to the repository root). Exit
    codes: 0 nothing at or above --fail-on, 1 findings, 2 a usage, configuration or internal
    error, or a path named here that could not be linted (whatever --fail-on says).
    """
    try:
        code = command_check.check(**options)
    except command_check.FileProblem as exc:
        raise click.FileError(exc.filename, exc.message) from None
    except command_check.UsageProblem as exc:
        raise UsageProblem(str(exc)) from None
    # ctx.exit, not sys.exit: main() gets the code back from click and flushes stdout before
    # exiting, so a reader that closed the pipe early is handled there, not at shutdown.
    click.get_current_context().exit(code)


@cli.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def rules_command(fmt: str) -> None:
    """List every rule: id, name, severity and summary."""
    from flux_lint.check.registry import builtin_registry

    registry = builtin_registry()
    if fmt == "json":
        import json

        data = [
            {
                "id": r.id,
                "name": r.name,
                "severity": str(r.severity),
                "category": r.category,
                "fix": r.fix,
                "summary": r.summary,
            }
            for r in registry
        ]
        click.echo(json.dumps(data, indent=2))
        return
    width = max(len(r.name) for r in registry)
    for rule in registry:
        click.echo(f"{rule.id}  {rule.name:<{width}}  {rule.severity!s:<7}  {rule.summary}")


@cli.command("rule")
@click.argument("rule_id")
def rule_command(rule_id: str) -> None:
    """Print the documentation of one rule (by id or name) as Markdown."""
    from flux_lint.check.registry import builtin_registry
    from flux_lint.report.docs import rule_markdown

    rule = builtin_registry().get(rule_id)
    if rule is None:
        raise UsageProblem(f"unknown rule `{rule_id}` (see `flux-lint rules`)")
    click.echo(rule_markdown(rule))


@cli.group("schemas")
def schemas_group() -> None:
    """Build the Flux schema bundles flux-lint validates against."""


@schemas_group.command("build")
@click.option(
    "--crds",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="A folder of CRD manifests (one release of Flux, or of the --project).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Where to write the bundle (flux-<minor>.json).",
)
@click.option("--flux-version", help="The Flux release of the CRDs (default: the folder name).")
@click.option(
    "--project",
    help="Build a catalog project instead (e.g. cert-manager): writes OUT/PROJECT/.",
)
@click.option("--release", help="The project's release, with --project (default: the folder name).")
def schemas_build_command(
    crds: str, out: str, flux_version: str | None, project: str | None, release: str | None
) -> None:
    """Generate a schema bundle from a folder of CRDs."""
    from pathlib import Path

    from flux_lint.check.schema.build import build_command

    if release is not None and project is None:
        raise UsageProblem("--release needs --project")
    try:
        path = build_command(Path(crds), Path(out), flux_version, project=project, release=release)
    except ValueError as exc:  # BundleBuildError: the CRDs cannot make a bundle
        raise UsageProblem(str(exc)) from None
    except OSError as exc:  # unreadable CRD file, or the bundle cannot be written
        where = f"`{exc.filename}`: " if exc.filename else ""
        raise UsageProblem(f"{where}{exc.strerror or exc}") from None
    click.echo(f"wrote {path}")


@schemas_group.command("kubernetes")
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False),
    help="The kubernetes-json-schema folder of kubernetes-validate (default: the installed one).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Where to write index.json and the per-kind schemas (schemas/kubernetes).",
)
def schemas_kubernetes_command(source: str | None, out: str) -> None:
    """Generate the built-in Kubernetes schemas from kubernetes-validate."""
    from pathlib import Path

    from flux_lint.check.schema.kubernetes_build import build_command

    try:
        path = build_command(Path(source) if source else None, Path(out))
    except ValueError as exc:  # BundleBuildError
        raise UsageProblem(str(exc)) from None
    except OSError as exc:
        where = f"`{exc.filename}`: " if exc.filename else ""
        raise UsageProblem(f"{where}{exc.strerror or exc}") from None
    click.echo(f"wrote {path}")


@schemas_group.command("cel")
@click.option(
    "--out",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="The folder of the schema bundles (schemas/): its rules are compiled, and the result "
    "written there as cel-seed.bin.",
)
def schemas_cel_command(out: str) -> None:
    """Compile the CEL rules of the schema bundles once, for runs without a cache."""
    from flux_lint.check.cel.seed import SEED_FILE
    from flux_lint.check.cel.seed_build import build
    from flux_lint.check.rules.crd_cel import RULE_VARIABLES
    from flux_lint.core.sealed import write_atomic

    path = os.path.join(out, SEED_FILE)
    try:
        written = write_atomic(path, build(out, RULE_VARIABLES))
    except OSError as exc:  # an unreadable schema file
        where = f"`{exc.filename}`: " if exc.filename else ""
        raise UsageProblem(f"{where}{exc.strerror or exc}") from None
    if not written:
        raise UsageProblem(f"`{path}` cannot be written")
    click.echo(f"wrote {path}")


#: click 8.2+ raises this for a group called without a subcommand; click 8.1 printed the help
#: and exited 0 instead, so on 8.1 there is nothing to catch.
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


@cli.group("cache")
def cache_group() -> None:
    """The result cache: where it is, and removing it."""


_CACHE_DIR_HELP = "The cache folder (default: $XDG_CACHE_HOME/flux-lint, else ~/.cache/flux-lint)."


@cache_group.command("dir")
@click.option("--cache-dir", metavar="DIR", help=_CACHE_DIR_HELP)
def cache_dir_command(cache_dir: str | None) -> None:
    """Print the cache folder."""
    click.echo(str(cache_dir_path(cache_dir)))


@cache_group.command("clean")
@click.option("--cache-dir", metavar="DIR", help=_CACHE_DIR_HELP)
def cache_clean_command(cache_dir: str | None) -> None:
    """Remove what flux-lint keeps in the cache folder (and nothing else in it)."""
    _clean(cache_dir)


@cli.command("clean")
@click.option("--cache-dir", metavar="DIR", help=_CACHE_DIR_HELP)
def clean_command(cache_dir: str | None) -> None:
    """Same as `flux-lint cache clean` (the name `ruff clean` users type)."""
    _clean(cache_dir)


def _clean(option: str | None) -> None:
    from flux_lint.run.cache_clean import clean

    folder = cache_dir_path(option)
    done = clean(folder)
    for error in done.errors:
        click.echo(f"flux-lint: cannot remove {error}", err=True)
    if done.files:
        click.echo(f"removed {plural(done.files, 'file')} ({done.size} bytes) from {folder}")
    elif not done.errors:
        click.echo(f"nothing to remove in {folder}")
    if done.errors:
        click.get_current_context().exit(2)


@cli.group("plugin")
def plugin_group() -> None:
    """Run flux-lint as `flux lint`, a Flux CLI plugin."""


_PLUGIN_DIR_HELP = "The plugin folder (default: $FLUXCD_PLUGINS, else ~/.fluxcd/plugins)."


@plugin_group.command("install")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=_PLUGIN_DIR_HELP)
def plugin_install_command(directory: str | None) -> None:
    """Link flux-lint into the Flux CLI's plugin folder so that `flux lint` runs it."""
    from pathlib import Path

    from flux_lint.plugin import PluginError, install

    try:
        link = install(Path(directory) if directory else None)
    except PluginError as exc:
        raise UsageProblem(str(exc)) from None
    click.echo(f"installed {link}: `flux lint` runs flux-lint")


@plugin_group.command("uninstall")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=_PLUGIN_DIR_HELP)
def plugin_uninstall_command(directory: str | None) -> None:
    """Remove the link that `flux-lint plugin install` made (and nothing else)."""
    from pathlib import Path

    from flux_lint.plugin import PluginError, uninstall

    try:
        link = uninstall(Path(directory) if directory else None)
    except PluginError as exc:
        raise UsageProblem(str(exc)) from None
    click.echo(f"removed {link}" if link else "no flux-lint plugin to remove")


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage and configuration errors print one line and exit 2.

    click runs with ``standalone_mode=False`` so that every error reaches this function
    instead of click's own printing: click would show a multi-line usage block, a help page
    for a group called without a subcommand, or "Aborted!" with exit code 1.
    """
    try:
        from flux_lint.run.replay import recorded

        code = recorded(
            sys.argv[1:] if argv is None else list(argv),
            lambda: cli.main(args=argv, prog_name="flux-lint", standalone_mode=False),
        )
        sys.stdout.flush()
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except _NO_ARGS_IS_HELP as exc:
        # `flux-lint schemas` alone: click would print the whole help page as the "error".
        report_error(f"missing command (see `{exc.ctx.command_path} --help`)")
        sys.exit(2)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            sys.exit(130)
        click.echo("flux-lint: aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        report_error(exc.format_message())
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a closed stdout, or a defect
        end_on_error(exc)
    # With standalone_mode=False click returns the code of `ctx.exit(n)` (`--help`,
    # `--version`) or a command's return value; only an int is an exit code.
    sys.exit(code if isinstance(code, int) else 0)
