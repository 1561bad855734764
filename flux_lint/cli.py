"""Command line: ``flux-lint [PATH ...]`` plus ``rules``, ``rule``, ``schemas``, ``cache``,
``clean`` and ``plugin`` subcommands.

Only click and the version are imported at start-up; everything that reads schemas, compiles
CEL or formats output is imported inside the command that needs it, so ``--version`` and
``--help`` stay fast.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from flux_lint import __version__

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
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version", "-V")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


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
def check_command(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    flux_version: str | None,
    kubernetes_version: str | None,
    schema_dirs: tuple[str, ...],
    from_version: str | None,
    exclude: tuple[str, ...],
    config_file: str | None,
    no_config: bool,
    baseline: str | None,
    write_baseline: str | None,
    rule_paths: tuple[str, ...],
    crd_paths: tuple[str, ...],
    color: bool | None,
    statistics: bool,
    show_source: bool,
    quiet: bool,
    check_unapplied: bool | None,
    no_progress: bool,
    max_file_size: int,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int,
    absolute_srcroot: bool,
    exit_zero: bool,
    stdin_filename: str | None,
) -> None:
    """Lint the manifests under PATHS (default: the current folder; `-` reads stdin).

    Settings come from the nearest .flux-lint.yaml (or pyproject.toml [tool.flux-lint]) up to
    the repository root; flags win over it. With `--fix`, fixed files are written back and
    the report shows what is left; fixed standard input goes to stdout, and the report to
    stderr (or `--output`).

    Paths are shown relative to the current folder (SARIF: to the repository root). Exit
    codes: 0 nothing at or above --fail-on, 1 findings, 2 a usage, configuration or internal
    error, or a path named here that could not be linted (whatever --fail-on says).
    """
    from pathlib import Path

    from flux_lint.check.engine import RunConfig
    from flux_lint.check.schema.store import format_minor
    from flux_lint.config import ConfigError, load_for_run
    from flux_lint.core.findings import Severity
    from flux_lint.run import inputs, remembered
    from flux_lint.run.pipeline import exit_code, run

    if any(not path for path in paths):
        # An empty argument is almost always an unset shell variable; linting the current
        # folder instead would report on the wrong files and still look like success.
        raise UsageProblem("empty path argument (use `.` for the current folder)")
    if config_file is not None and no_config:
        raise UsageProblem("--config and --no-config cannot be used together")
    if exit_zero:
        if fail_on not in (None, "never"):
            raise UsageProblem("--exit-zero and --fail-on cannot be used together")
        fail_on = "never"
    if stdin_filename is not None:
        if not stdin_filename.strip():
            raise UsageProblem("--stdin-filename: empty path")
        if not paths:
            paths = ("-",)
        elif "-" not in paths:
            raise UsageProblem("--stdin-filename names standard input: add `-` to the paths")
    named = [p for p in paths if p != "-"]
    try:
        settings = load_for_run(
            paths, config_file=config_file, no_config=no_config, stdin_filename=stdin_filename
        )
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from None
    if not quiet:
        for note in settings.notes:
            _echo(f"flux-lint: note: {note}", err=True)

    rule_dirs = [*settings.rules, *(Path(p) for p in rule_paths)]
    extra_crds = [*settings.crds, *(Path(p) for p in crd_paths)]
    cache_folder = None if no_cache else _cache_dir(cache_dir)
    registry = _registry_with_user_rules(remembered.builtin_rules(cache_folder), rule_dirs)
    rules = _rule_settings(settings, registry, _split(select), _split(ignore))
    registry = _with_severities(registry, rules.severities)
    enabled = rules.enabled

    target = _flux_minor(flux_version or settings.flux_version or "2.9", "--flux-version")
    kubernetes = _kubernetes_minor(kubernetes_version or settings.kubernetes_version or "1.34")
    exclude_all = [*settings.exclude, *exclude]
    fail_on = fail_on or settings.fail_on or "error"
    baseline_data = _read_baseline(baseline) if baseline and not write_baseline else None
    stdin_source, stdin_error = _read_stdin(max_file_size) if "-" in paths else (None, None)
    stdin_text = stdin_source.text if stdin_source is not None else None
    stdin_path = inputs.stdin_path(stdin_filename, settings.root)
    current, detect_from = _from_version(
        from_version or settings.from_version,
        target,
        named or inputs.repository_of(stdin_filename, settings.root),
        exclude_all,
        {stdin_path: stdin_text} if stdin_text is not None else {},
        quiet,
        cache_folder,
        in_run=bool(named) and ("-" not in paths or stdin_text is not None),
    )
    bar = None if quiet or no_progress else _progress_bar()
    remembered.replayable(
        bar is None, cache_folder, fix or unsafe_fixes or diff, output, write_baseline, paths
    )
    config = RunConfig(
        paths=list(paths) or ["."],
        exclude=exclude_all,
        flux_version=target,
        from_version=current,
        enabled=enabled,
        max_bytes=max_file_size,
        stdin_text=stdin_text,
        stdin_path=stdin_path,
        root=settings.root if named or stdin_filename else None,
        rule_dirs=rule_dirs,
        extra_crds=extra_crds,
        kubernetes_version=kubernetes,
        schema_dirs=[*settings.schema_dirs, *(Path(p) for p in schema_dirs)],
        options=settings.options(),
        progress=bar,
        cache_dir=cache_folder,
        jobs=jobs,
        check_unapplied=bool(check_unapplied or settings.check_unapplied),
        detect_from=detect_from,
        from_note=None if quiet else lambda note: _echo(f"flux-lint: {note}", err=True),
    )
    stale = 0

    def lint() -> Any:
        nonlocal stale
        from flux_lint.config import apply_per_file_ignores, apply_severities

        try:
            result = run(config, registry)
        except ValueError as exc:
            # User rules and --crds files are read when the run starts; their errors name the
            # file and line, like a configuration error.
            if not _is_input_error(exc):
                raise
            raise UsageProblem(str(exc)) from None
        finally:
            if bar is not None:
                bar.close()
        if stdin_error is not None:
            inputs.add_stdin_error(result, registry, enabled, stdin_error, stdin_path)
        inputs.add_lookup_errors(result, registry, enabled, settings.unreadable)
        apply_severities(result.findings, rules.severities)
        apply_per_file_ignores(settings, registry, result.findings)
        if baseline_data is not None:
            from flux_lint.report.baseline import apply as apply_baseline

            stale = apply_baseline(result.findings, baseline_data)
        return result

    result = lint()
    shown = _shown_paths(result.root)

    fixed_stdin: str | None = None
    fixed_note = ""
    if diff or fix or unsafe_fixes:
        from flux_lint.run.fixpoint import fix_until_settled

        def set_stdin(text: str) -> None:
            config.stdin_text = text

        fixing = fix_until_settled(
            result, lint, unsafe=unsafe_fixes, write=not diff, stdin=stdin_path, set_stdin=set_stdin
        )
        for path, error in fixing.errors:
            click.echo(f"flux-lint: {shown(path)}: not fixed: {_one_line(error)}", err=True)
        if diff:
            _write_report(fixing.diff, output)
            click.get_current_context().exit(1 if fixing.changed_files else 0)
        result = fixing.result
        if stdin_source is not None:
            fixed_stdin = fixing.stdin_text if fixing.stdin_text is not None else stdin_text
        if fixing.applied:
            fixed_note = (
                f"Fixed {_plural(fixing.applied, 'problem')} in "
                f"{_plural(len(fixing.changed_files), 'file')}\n"
            )
        if not fixing.settled:
            fixed_note += (
                f"flux-lint: fixes still change the files after {fixing.rounds} rounds; "
                "run --fix again\n"
            )

    baseline_note = ""
    if write_baseline:
        from flux_lint.report.baseline import BaselineError
        from flux_lint.report.baseline import apply as apply_baseline
        from flux_lint.report.baseline import write as write_baseline_file

        try:
            written = write_baseline_file(write_baseline, result.findings)
        except BaselineError as exc:
            raise UsageProblem(str(exc)) from None
        apply_baseline(result.findings, written)
        baseline_note = (
            f"Wrote {_plural(written.size, 'finding')} to the baseline {write_baseline}\n"
        )
    elif stale:
        baseline_note = (
            f"{_plural(stale, 'baseline entry', 'baseline entries')} matched nothing (the "
            f"problems are gone): refresh it with `--write-baseline {baseline}`\n"
        )

    from flux_lint.report.output import OutputOptions, RunSummary, render
    from flux_lint.report.output.text import text_summary

    no_color = bool(os.environ.get("NO_COLOR"))
    if color is None:
        use_color = output is None and _isatty(sys.stdout) and not no_color
        summary_color = _isatty(sys.stderr) and not no_color
    else:
        use_color = summary_color = color
    summary = RunSummary(
        files=result.files,
        documents=result.documents,
        objects=result.objects,
        duration=result.duration,
        flux_version=format_minor(target),
        unapplied=result.unapplied,
        notes=tuple(result.notes),
        schemas=result.schemas,
        unchecked=result.unchecked,
    )
    options = OutputOptions(
        color=use_color and fmt == "text",
        show_source=show_source,
        source=result.texts.get,
        srcroot=result.root if absolute_srcroot else None,
        shown_path=shown,
    )
    if statistics:
        # Only the table, as `ruff check --statistics` prints it: what was asked for.
        rendered = _statistics(fmt, result.findings, registry)
    else:
        rendered = render(fmt, result.findings, rules=registry, report=summary, options=options)
    if stdin_source is not None and fixed_stdin is not None:
        # `flux-lint --fix - < in.yaml > out.yaml`: stdout is the fixed manifest, byte for byte
        # in the encoding it came in, so the report moves to stderr unless it has a file.
        from flux_lint.report.fix import encode_like

        sys.stdout.flush()
        sys.stdout.buffer.write(encode_like(stdin_source, fixed_stdin))
        sys.stdout.buffer.flush()
        if output:
            _write_report(rendered, output)
        else:
            _echo(rendered, nl=False, err=True, color=True)
    else:
        _write_report(rendered, output)
    if fixed_note and not quiet:
        _echo(fixed_note, nl=False, err=True)
    if baseline_note and not quiet:
        _echo(baseline_note, nl=False, err=True)
    if not quiet and not statistics and fmt == "text":
        _echo(
            text_summary(result.findings, summary, color=summary_color, fixed=fix or unsafe_fixes),
            nl=False,
            err=True,
            color=True,
            timing=f"({result.duration:.2f}s)",
        )
    threshold = None if fail_on == "never" else Severity.parse(fail_on)
    code = exit_code(result.findings, threshold)
    missing = inputs.named_path_errors(named)
    if missing:
        # A path named on the command line that could not be linted: nothing was checked
        # there, so the run fails whatever --fail-on says (see "Exit codes" in the README).
        more = f" (and {_plural(len(missing) - 1, 'more path')})" if len(missing) > 1 else ""
        _error(f"cannot lint {missing[0]}{more}")
    # ctx.exit, not sys.exit: main() gets the code back from click and flushes stdout before
    # exiting, so a reader that closed the pipe early is handled there, not at shutdown.
    click.get_current_context().exit(2 if missing else code)


def _from_version(
    text: str | None,
    target: tuple[int, int],
    paths: list[str],
    exclude: list[str],
    texts: dict[str, str],
    quiet: bool,
    cache_dir: Any = None,
    in_run: bool = False,
) -> tuple[tuple[int, int] | None, bool]:
    """``--from`` as given (``none``: off), else the version the linted files pin (stdin too):
    found by the run as it reads them (``in_run``: returns True), or here (run/remembered.py)."""
    if text or in_run:
        none = not text or text.strip().lower() == "none"
        return (None if none else _flux_minor(text, "--from")), in_run and not text
    from flux_lint.run.remembered import from_default

    current, note = from_default(paths, target, exclude, texts, cache_dir)
    if note and not quiet:
        _echo(f"flux-lint: {note}", err=True)
    return current, False


def _shown_paths(root: Any) -> Any:
    """How text, JSON and GitHub output show a path: relative to the current folder when the
    file is below it, else absolute (as ruff shows them), so a terminal or an editor opens it
    from where the command ran. SARIF keeps repository-relative URIs."""
    from flux_lint.report.output import cwd_relative

    return cwd_relative(root, os.getcwd())


def _statistics(fmt: str, findings: list[Any], registry: Any) -> str:
    """``--statistics``: the per-rule table, or the same rows as JSON."""
    from flux_lint.report.output.text import statistics as statistics_table

    if fmt == "json":
        from flux_lint.report.output.json_format import statistics as statistics_json

        return statistics_json(findings, registry)
    if fmt != "text":
        raise UsageProblem(f"--statistics prints text or json, not {fmt}")
    return statistics_table(findings, registry)


def _echo(message: str, *, err: bool = False, nl: bool = True, **kwargs: Any) -> None:
    """``click.echo``, noted for a replay of this command (run/replay.py); ``timing``: the
    run time shown in ``message``, which a replay writes afresh."""
    from flux_lint.run import replay

    color, timing = kwargs.get("color"), kwargs.get("timing")
    replay.wrote(message + ("\n" if nl else ""), err, timing, raw=color is True)
    click.echo(message, nl=nl, err=err, color=color)


def _cache_dir(option: str | None) -> Any:
    """``--cache-dir``, else the user cache folder."""
    from pathlib import Path

    from flux_lint.run.cache import default_cache_dir

    return Path(option) if option else default_cache_dir()


def _registry_with_user_rules(registry: Any, rule_dirs: list[Any]) -> Any:
    """The registry a run resolves rule names against: user rules (``--rules``, config
    ``rules``) join the built-in ones before ``--select`` and the config are read."""
    if not rule_dirs:
        return registry
    from flux_lint.check.registry import RuleError
    from flux_lint.check.user_rules import registry_with_user_rules

    try:
        return registry_with_user_rules(registry, rule_dirs)
    except RuleError as exc:
        raise UsageProblem(str(exc)) from None


def _rule_settings(settings: Any, registry: Any, select: list[str], ignore: list[str]) -> Any:
    """Enabled rules and severities: flags (unknown rules are usage errors), then the config
    file (unknown rules are configuration errors with the file's position)."""
    from flux_lint.config import ConfigError, resolve_rules

    def expand(selectors: list[str]) -> set[str]:
        ids: set[str] = set()
        for sel in selectors:
            try:
                ids |= registry.expand(sel)
            except KeyError:
                raise UsageProblem(f"unknown rule `{sel}` (see `flux-lint rules`)") from None
        return ids

    cli_select, cli_ignore = expand(select), expand(ignore)
    try:
        return resolve_rules(settings, registry, cli_select=cli_select, cli_ignore=cli_ignore)
    except ConfigError as exc:
        raise UsageProblem(str(exc)) from None


def _with_severities(registry: Any, severities: dict[str, Any]) -> Any:
    from flux_lint.config import with_severities

    return with_severities(registry, severities)


def _is_input_error(exc: ValueError) -> bool:
    """Whether ``exc`` is a user rule or extra CRD file the run could not read (exit 2), as
    opposed to a defect (an internal error)."""
    from flux_lint.check.registry import RuleError

    if isinstance(exc, RuleError):
        return True
    extra = sys.modules.get("flux_lint.check.schema.crds")
    error_type = getattr(extra, "ExtraCrdError", None)
    return error_type is not None and isinstance(exc, error_type)


def _read_baseline(path: str) -> Any:
    from flux_lint.report.baseline import BaselineError, read

    try:
        return read(path)
    except BaselineError as exc:
        raise UsageProblem(str(exc)) from None


def _progress_bar() -> Any:
    """A progress bar on stderr when a person is watching it, else None."""
    from flux_lint.progress import ProgressBar, wanted

    return ProgressBar(sys.stderr) if wanted(sys.stderr) else None


def _write_report(text: str, output: str | None) -> None:
    """Write the report to ``output`` (atomically) or to stdout.

    The formatter already decided about escape codes (text escapes control characters found in
    manifests), so click must not strip or add anything: `--color` has to reach a pipe, and
    machine formats must arrive byte for byte.
    """
    if output:
        from flux_lint.core.fsio import write_text_atomic

        try:
            write_text_atomic(output, text)
        except OSError as exc:
            raise click.FileError(output, exc.strerror or str(exc)) from None
    elif text:
        _echo(text, nl=not text.endswith("\n"), color=True)


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"


def _isatty(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; a closed or missing stream (a daemon) is not."""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _flux_minor(text: str, option: str) -> tuple[int, int]:
    """Parse a Flux version given on the command line into a minor.

    Only Flux 2 is accepted: bundles cover 2.6 to 2.9 and older or newer 2.x minors fall back
    to the nearest bundle, but a Flux 1 or 3 manifest has nothing in common with these schemas,
    so judging it against them would only produce noise that looks authoritative.
    """
    from flux_lint.check.schema.store import parse_minor

    try:
        minor = parse_minor(text)
    except ValueError as exc:
        raise UsageProblem(f"{option}: {exc}") from None
    if minor[0] != 2:
        raise UsageProblem(f"{option}: Flux {text.strip()} is not supported (only Flux 2.x)")
    return minor


def _read_stdin(max_bytes: int) -> tuple[Any, Any]:
    """Read `-` as bytes and decode it like a file.

    Text-mode ``sys.stdin`` would decode with the locale, translate ``\r\n`` (shifting the
    spans fixes rely on), ignore the size limit and raise on invalid UTF-8; reading through
    :func:`~flux_lint.load.source.read_stdin` gives stdin exactly a file's treatment. Returns the
    :class:`~flux_lint.load.source.SourceText` (its encoding is needed to write a fixed manifest
    back), or the :class:`~flux_lint.load.source.SourceError` to report as a finding.
    """
    from flux_lint.load.source import SourceError, SourceText, read_stdin

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        return None, SourceError("-", "unreadable", "standard input is not available")
    source = read_stdin(max_bytes, stream=stream)
    if isinstance(source, SourceText):
        return source, None
    return None, source


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


def _kubernetes_minor(text: str) -> tuple[int, int]:
    from flux_lint.check.schema.kubernetes import parse_kubernetes_version

    try:
        return parse_kubernetes_version(text)
    except ValueError as exc:
        raise UsageProblem(f"--kubernetes-version: {exc}") from None


def _one_line(message: str) -> str:
    """``message`` folded onto one line: exit-2 messages are one line so that CI logs and
    wrappers can show them whole (YAML and schema errors often carry line breaks)."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def _error(message: str) -> None:
    click.echo(f"flux-lint: error: {_one_line(message)}", err=True)


def _stop_writing_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush does
    not print "Exception ignored ... BrokenPipeError" after the reader went away."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


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
    click.echo(str(_cache_dir(cache_dir)))


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

    folder = _cache_dir(option)
    done = clean(folder)
    for error in done.errors:
        click.echo(f"flux-lint: cannot remove {error}", err=True)
    if done.files:
        click.echo(f"removed {_plural(done.files, 'file')} ({done.size} bytes) from {folder}")
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
        _error(f"missing command (see `{exc.ctx.command_path} --help`)")
        sys.exit(2)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            sys.exit(130)
        click.echo("flux-lint: aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        _error(exc.format_message())
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        _stop_writing_stdout()
        sys.exit(1)
    except Exception as exc:  # a defect: one line by default, the traceback on request
        if os.environ.get("FLUX_LINT_DEBUG"):
            raise
        detail = _one_line(str(exc))
        click.echo(
            f"flux-lint: internal error: {type(exc).__name__}{': ' + detail if detail else ''} "
            "(set FLUX_LINT_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(2)
    # With standalone_mode=False click returns the code of `ctx.exit(n)` (`--help`,
    # `--version`) or a command's return value; only an int is an exit code.
    sys.exit(code if isinstance(code, int) else 0)
