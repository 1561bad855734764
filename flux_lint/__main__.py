"""``python -m flux_lint`` (and the ``flux-lint`` command) runs the command line.

A command run again with nothing changed is answered from the cache before the command line
module (and what it imports) is loaded: see run/replay.py. A plain ``check`` command line is
then run without click (command/argv.py); anything else goes to click (cli.py).
``--version`` alone is answered here, before anything else is imported (editors and
pre-commit ask it often); the text is the one click's version option prints.
"""

import sys

VERSION_FLAGS = (["--version"], ["-V"])


def main() -> None:
    argv = sys.argv[1:]
    if argv in VERSION_FLAGS:
        from flux_lint import __version__

        sys.stdout.write(f"flux-lint {__version__}\n")
        sys.stdout.flush()
        sys.exit(0)
    from flux_lint.run.replay import replayed

    code = replayed(argv)
    if code is not None:
        sys.exit(code)
    from flux_lint.command import argv as plain

    options = plain.parse(argv)
    if options is not None and plain.plain_streams():
        plain.run(argv, options)
    from flux_lint.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
