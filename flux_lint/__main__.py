"""``python -m flux_lint`` runs the command line."""

from flux_lint.cli import main

if __name__ == "__main__":
    main()
