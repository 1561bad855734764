"""The ``check`` command apart from its click declaration: what it runs (check.py), and a
reader of plain command lines (argv.py) that lets a run skip importing click."""
