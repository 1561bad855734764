"""Command line: ``flux-lint [PATH ...]`` plus ``rules``, ``rule`` and ``schemas`` subcommands.

Only click and the version are imported at start-up; everything that reads schemas, compiles
CEL or formats output is imported inside the command that needs it, so ``--version`` and
``--help`` stay fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__

FORMATS = ("text", "json", "github", "sarif")
FAIL_ON = ("error", "warning", "note", "never")


class UsageProblem(click.UsageError):
    """A bad flag value found after click parsed the arguments."""


class DefaultGroup(click.Group):
    """A group whose default command is ``check``: ``flux-lint apps/`` lints ``apps/``.

    A first argument that names a subcommand runs it; anything else (paths, options) goes to
    ``check``. A folder that has a subcommand's name can be given as ``./rules``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="flux-lint", message="%(prog)s %(version)s"
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
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
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
    default="2.9",
    show_default=True,
    help="The Flux version the repository must work with.",
)
@click.option(
    "--from",
    "from_version",
    metavar="VERSION",
    help="The Flux version running today: report what an upgrade breaks.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip paths matching this gitignore-style pattern (repeatable).",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the text output (default: on a TTY)."
)
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule.")
@click.option("--show-source", is_flag=True, help="Show the offending line under each finding.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=5 * 1024 * 1024,
    show_default=True,
    help="Skip files larger than this many bytes.",
)
def check_command(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    flux_version: str,
    from_version: str | None,
    exclude: tuple[str, ...],
    color: bool | None,
    statistics: bool,
    show_source: bool,
    quiet: bool,
    max_file_size: int,
) -> None:
    """Lint the manifests under PATHS (default: the current folder; `-` reads stdin)."""
    from .engine import RunConfig, exit_code, run
    from .model import Severity
    from .registry import builtin_registry
    from .schema_store import format_minor, parse_minor

    registry = builtin_registry()
    try:
        target = parse_minor(flux_version)
        current = parse_minor(from_version) if from_version else None
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    enabled = _selection(registry, _split(select), _split(ignore))
    stdin_text = None
    if "-" in paths:
        stdin_text = sys.stdin.read()
    config = RunConfig(
        paths=list(paths) or ["."],
        exclude=list(exclude),
        flux_version=target,
        from_version=current,
        enabled=enabled,
        max_bytes=max_file_size,
        stdin_text=stdin_text,
    )
    result = run(config, registry)

    from .output import OutputOptions, RunSummary, render
    from .output.text import statistics as statistics_table
    from .output.text import text_summary

    to_terminal = output is None and sys.stdout.isatty()
    use_color = to_terminal if color is None else color
    summary = RunSummary(
        files=result.files,
        documents=result.documents,
        objects=result.objects,
        duration=result.duration,
        flux_version=format_minor(target),
    )
    options = OutputOptions(
        color=use_color and fmt == "text",
        show_source=show_source,
        source=result.texts.get,
        srcroot=result.root,
    )
    rendered = render(fmt, result.findings, rules=registry, report=summary, options=options)
    if output:
        from .fsio import write_text_atomic

        write_text_atomic(output, rendered)
    elif rendered:
        click.echo(rendered, nl=not rendered.endswith("\n"))
    if statistics:
        click.echo(statistics_table(result.findings, registry), err=True)
    if not quiet and fmt == "text":
        click.echo(text_summary(result.findings, summary, color=use_color), err=True)
    threshold = None if fail_on == "never" else Severity.parse(fail_on)
    sys.exit(exit_code(result.findings, threshold))


def _selection(registry: Any, select: list[str], ignore: list[str]) -> set[str]:
    def expand(selectors: list[str]) -> set[str]:
        ids: set[str] = set()
        for sel in selectors:
            try:
                ids |= registry.expand(sel)
            except KeyError:
                raise UsageProblem(f"unknown rule `{sel}` (see `flux-lint rules`)") from None
        return ids

    enabled = expand(select) if select else set(registry.rules)
    return enabled - expand(ignore)


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_command(fmt: str) -> None:
    """List every rule: id, name, severity and summary."""
    from .registry import builtin_registry

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
    from .docs_render import rule_markdown
    from .registry import builtin_registry

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
    help="A folder of Flux CRD manifests (one Flux release).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Where to write the bundle (flux-<minor>.json).",
)
@click.option("--flux-version", help="The Flux release of the CRDs (default: the folder name).")
def schemas_build_command(crds: str, out: str, flux_version: str | None) -> None:
    """Generate a schema bundle from a folder of CRDs."""
    from pathlib import Path

    from .schema_build import build_command

    try:
        path = build_command(Path(crds), Path(out), flux_version)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    click.echo(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage and configuration errors print one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="flux-lint", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("flux-lint: aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"flux-lint: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as exc:  # a defect: one line by default, the traceback on request
        import os

        if os.environ.get("FLUX_LINT_DEBUG"):
            raise
        click.echo(
            f"flux-lint: internal error: {type(exc).__name__}: {exc} "
            "(set FLUX_LINT_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(2)
