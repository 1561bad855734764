"""A plain ``check`` command line, read and run without click.

A pre-commit hook or an editor runs the same short command line over and over
(``flux-lint --format json changed.yaml``). Importing click costs about 30 ms (it imports
``inspect``, ``uuid``, ``platform``, ``datetime``, ...), a large share of such a run. So a
command line made only of paths and the common options with ordinary values is read here,
into exactly the options click would give :func:`.check.check`; anything else (a
subcommand, ``--help``, ``--version``, ``-`` or ``--stdin-filename``, a value click would
have to check or reject, an option this module does not know, a stream click would rewrap)
gets ``None``, and the command line goes to click (cli.py) as before.

tests/test_command_argv.py holds this module to click: the same options for the same command
lines, the same option names and defaults as the command click declares.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from flux_lint.command.check import FAIL_ON, FORMATS

__all__ = ["DEFAULTS", "SUBCOMMANDS", "parse", "run"]

#: The command line's subcommands (a first argument naming one is not a path).
SUBCOMMANDS = ("cache", "check", "clean", "plugin", "rule", "rules", "schemas")

#: Every option of ``check`` and its value when not given, as click gives it.
DEFAULTS: dict[str, Any] = {
    "paths": (),
    "fmt": "text",
    "output": None,
    "fail_on": None,
    "select": (),
    "ignore": (),
    "flux_version": None,
    "kubernetes_version": None,
    "schema_dirs": (),
    "from_version": None,
    "exclude": (),
    "config_file": None,
    "no_config": False,
    "baseline": None,
    "write_baseline": None,
    "rule_paths": (),
    "crd_paths": (),
    "color": None,
    "statistics": False,
    "show_source": False,
    "quiet": False,
    "check_unapplied": None,
    "no_progress": False,
    "max_file_size": 5 * 1024 * 1024,
    "fix": False,
    "unsafe_fixes": False,
    "diff": False,
    "no_cache": False,
    "cache_dir": None,
    "jobs": 0,
    "absolute_srcroot": False,
    "exit_zero": False,
    "stdin_filename": None,
}

_TEXT = "text"  # any string
_MANY = "many"  # repeatable: the values in order
#: Options that take a value: (option name, what the value may be). Choices are matched
#: exactly, as click does; a number is plain digits at least the minimum click declares.
_VALUES: dict[str, tuple[str, Any]] = {
    "--format": ("fmt", FORMATS),
    "--output-format": ("fmt", FORMATS),
    "--fail-on": ("fail_on", FAIL_ON),
    "--select": ("select", _MANY),
    "--ignore": ("ignore", _MANY),
    "--flux-version": ("flux_version", _TEXT),
    "--kubernetes-version": ("kubernetes_version", _TEXT),
    "--from": ("from_version", _TEXT),
    "--exclude": ("exclude", _MANY),
    "--config": ("config_file", _TEXT),
    "--baseline": ("baseline", _TEXT),
    "--write-baseline": ("write_baseline", _TEXT),
    "--rules": ("rule_paths", _MANY),
    "--crds": ("crd_paths", _MANY),
    "--max-file-size": ("max_file_size", 1),
    "--cache-dir": ("cache_dir", _TEXT),
    "--jobs": ("jobs", 0),
    "-j": ("jobs", 0),
}
#: Flags: (option name, the value they set).
_FLAGS: dict[str, tuple[str, bool]] = {
    "--exit-zero": ("exit_zero", True),
    "--no-config": ("no_config", True),
    "--color": ("color", True),
    "--no-color": ("color", False),
    "--statistics": ("statistics", True),
    "--show-source": ("show_source", True),
    "--quiet": ("quiet", True),
    "-q": ("quiet", True),
    "--check-unapplied": ("check_unapplied", True),
    "--no-progress": ("no_progress", True),
    "--fix": ("fix", True),
    "--unsafe-fixes": ("unsafe_fixes", True),
    "--diff": ("diff", True),
    "--no-cache": ("no_cache", True),
    "--sarif-absolute-root": ("absolute_srcroot", True),
}


def parse(argv: list[str]) -> dict[str, Any] | None:
    """The options of the ``check`` command line ``argv`` (without the program name), as
    click would pass them to :func:`.check.check`; None when click must read it."""
    args = list(argv)
    if args and args[0] == "check":
        del args[0]
    elif args and args[0] in SUBCOMMANDS:
        return None
    options = dict(DEFAULTS)
    paths: list[str] = []
    many: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            paths.append(arg)
            continue
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in _FLAGS and not equals:
            key, flag = _FLAGS[name]
            options[key] = flag
            continue
        if name not in _VALUES:
            return None  # `-`, `--`, `--help`, `-qj2`, `--output`, a typo: click knows
        if not equals:
            if i == len(args) or args[i].startswith("-"):
                return None  # a missing value, or one click may read otherwise
            value = args[i]
            i += 1
        key, kind = _VALUES[name]
        if kind is _MANY:
            many.setdefault(key, []).append(value)
        elif kind is _TEXT:
            options[key] = value
        elif isinstance(kind, int):
            if not (value.isascii() and value.isdigit()) or int(value) < kind:
                return None
            options[key] = int(value)
        elif value in kind:
            options[key] = value
        else:
            return None
    options["paths"] = tuple(paths)
    for key, values in many.items():
        options[key] = tuple(values)
    return options


def plain_streams() -> bool:
    """Whether click would write to stdout and stderr as they are (text streams with an
    encoding other than ASCII, outside Windows' console), which :func:`.check.echo` relies
    on when click is not loaded."""
    if sys.platform == "win32":
        return False
    import codecs
    import io

    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper) or stream.errors is None:
            return False
        try:
            if codecs.lookup(stream.encoding).name == "ascii":
                return False
        except LookupError:
            return False
    return True


def run(argv: list[str], options: dict[str, Any]) -> NoReturn:
    """Run the check command with ``options`` (read from ``argv`` by :func:`parse`) and exit
    with its code; errors end the way cli.py's ``main`` ends them."""
    from flux_lint.command.check import UsageProblem, check, end_on_error, report_error
    from flux_lint.run.replay import recorded

    try:
        code = recorded(argv, lambda: check(**options))
        sys.stdout.flush()
    except UsageProblem as exc:
        report_error(str(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("\n")  # as click does before it gives up
        sys.exit(130)
    except EOFError:
        sys.stderr.write("\nflux-lint: aborted\n")
        sys.exit(2)
    except Exception as exc:  # a closed stdout, or a defect
        end_on_error(exc)
    sys.exit(code if isinstance(code, int) else 0)
