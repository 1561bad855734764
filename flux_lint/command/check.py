"""The ``check`` command (the default one): from its options to a report and an exit code.

The command line (cli.py) declares the options with click; this module is what they run. It
does not import click itself: a plain command line, such as the one a pre-commit hook or an
editor runs over and over, is read by :mod:`.argv` and runs :func:`check` without loading
click at all (about 30 ms of a run that takes a few hundred).
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

FORMATS = ("text", "json", "github", "sarif")
FAIL_ON = ("error", "warning", "note", "never")


class UsageProblem(Exception):
    """A bad flag value or configuration found after the command line was read: the command
    stops with ``flux-lint: error: MESSAGE`` and exit code 2."""


class FileProblem(UsageProblem):
    """The report file could not be written (the message click gives an unopenable file)."""

    def __init__(self, filename: str, message: str) -> None:
        super().__init__(f"Could not open file {filename!r}: {message}")
        self.filename = filename
        self.message = message


def check(
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
) -> int:
    """Run the check command with its options (see ``flux-lint check --help`` in cli.py, where
    they are declared) and return its exit code."""
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
            echo(f"flux-lint: note: {note}", err=True)

    rule_dirs = [*settings.rules, *(Path(p) for p in rule_paths)]
    extra_crds = [*settings.crds, *(Path(p) for p in crd_paths)]
    cache_folder = None if no_cache else cache_dir_path(cache_dir)
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
        from_note=None if quiet else lambda note: echo(f"flux-lint: {note}", err=True),
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
            echo(f"flux-lint: {shown(path)}: not fixed: {one_line(error)}", err=True)
        if diff:
            _write_report(fixing.diff, output)
            return 1 if fixing.changed_files else 0
        result = fixing.result
        if stdin_source is not None:
            fixed_stdin = fixing.stdin_text if fixing.stdin_text is not None else stdin_text
        if fixing.applied:
            fixed_note = (
                f"Fixed {plural(fixing.applied, 'problem')} in "
                f"{plural(len(fixing.changed_files), 'file')}\n"
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
            f"Wrote {plural(written.size, 'finding')} to the baseline {write_baseline}\n"
        )
    elif stale:
        baseline_note = (
            f"{plural(stale, 'baseline entry', 'baseline entries')} matched nothing (the "
            f"problems are gone): refresh it with `--write-baseline {baseline}`\n"
        )

    from flux_lint.report.output import OutputOptions, RunSummary, render

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
            echo(rendered, nl=False, err=True, color=True)
    else:
        _write_report(rendered, output)
    if fixed_note and not quiet:
        echo(fixed_note, nl=False, err=True)
    if baseline_note and not quiet:
        echo(baseline_note, nl=False, err=True)
    if not quiet and not statistics and fmt == "text":
        from flux_lint.report.output.text import text_summary

        echo(
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
        more = f" (and {plural(len(missing) - 1, 'more path')})" if len(missing) > 1 else ""
        report_error(f"cannot lint {missing[0]}{more}")
    # Returned, not sys.exit: the caller flushes stdout before exiting, so a reader that
    # closed the pipe early is handled there, not at shutdown.
    return 2 if missing else code


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
        echo(f"flux-lint: {note}", err=True)
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


def echo(message: str, *, err: bool = False, nl: bool = True, **kwargs: Any) -> None:
    """``click.echo``, noted for a replay of this command (run/replay.py); ``timing``: the
    run time shown in ``message``, which a replay writes afresh."""
    from flux_lint.run import replay

    color, timing = kwargs.get("color"), kwargs.get("timing")
    replay.wrote(message + ("\n" if nl else ""), err, timing, raw=color is True)
    _write(message, err=err, nl=nl, color=color)


def _write(message: str, *, err: bool = False, nl: bool = True, color: bool | None = None) -> None:
    """``click.echo`` when click is loaded; else (the command line was read by :mod:`.argv`,
    which only does so for plain text streams, which click writes to as they are) the same
    thing here: escape codes stripped unless ``color`` is True or the stream is a terminal,
    then written and flushed."""
    click = sys.modules.get("click")
    if click is not None:
        click.echo(message, nl=nl, err=err, color=color)
        return
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    text = message + "\n" if nl else message
    if not text:
        stream.flush()
        return
    if "\x1b" in text and (not color if color is not None else not _isatty(stream)):
        text = _strip_ansi(text)
    stream.write(text)
    stream.flush()


def _strip_ansi(text: str) -> str:
    """Escape sequences removed, as click removes them."""
    import re

    return re.sub(r"\033\[[0-?]*[ -/]*[@-~]", "", text)


def cache_dir_path(option: str | None) -> Any:
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
            raise FileProblem(output, exc.strerror or str(exc)) from None
    elif text:
        echo(text, nl=not text.endswith("\n"), color=True)


def plural(count: int, word: str, words: str | None = None) -> str:
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


def _kubernetes_minor(text: str) -> tuple[int, int]:
    from flux_lint.check.schema.kubernetes import parse_kubernetes_version

    try:
        return parse_kubernetes_version(text)
    except ValueError as exc:
        raise UsageProblem(f"--kubernetes-version: {exc}") from None


def one_line(message: str) -> str:
    """``message`` folded onto one line: exit-2 messages are one line so that CI logs and
    wrappers can show them whole (YAML and schema errors often carry line breaks)."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def report_error(message: str) -> None:
    """``flux-lint: error: MESSAGE`` on stderr, on one line."""
    _write(f"flux-lint: error: {one_line(message)}", err=True)


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def report_internal_error(exc: BaseException) -> None:
    """A defect, on one line (``FLUX_LINT_DEBUG=1`` shows the traceback instead)."""
    detail = one_line(str(exc))
    _write(
        f"flux-lint: internal error: {type(exc).__name__}{': ' + detail if detail else ''} "
        "(set FLUX_LINT_DEBUG=1 for a traceback)",
        err=True,
    )


def stop_writing_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush does
    not print "Exception ignored ... BrokenPipeError" after the reader went away."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def end_on_error(exc: Exception) -> NoReturn:
    """End a run that ``exc`` stopped, as every command line ends one: a reader that went
    away quietly (exit 1); a defect on one line, or re-raised with ``FLUX_LINT_DEBUG`` for its
    traceback (exit 2)."""
    if isinstance(exc, BrokenPipeError):
        stop_writing_stdout()
        sys.exit(1)
    if os.environ.get("FLUX_LINT_DEBUG"):
        raise exc
    report_internal_error(exc)
    sys.exit(2)
