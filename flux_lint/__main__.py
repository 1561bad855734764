"""``python -m flux_lint`` (and the ``flux-lint`` command) runs the command line.

A command run again with nothing changed is answered from the cache before the command line
module (and what it imports) is loaded: see run/replay.py.
"""

import sys


def main() -> None:
    from flux_lint.run.replay import replayed

    code = replayed(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from flux_lint.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
