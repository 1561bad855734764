"""cel-python's parser tables, kept between runs when the run says where.

cel-python builds a LALR parser from its Lark grammar in every process, about 0.3 s: half of
what linting one small file costs. The tables depend only on the grammar and the Lark version,
so they can be computed once, kept in a folder (in a file named after both), and only loaded
(~10 ms) by later processes. The file holds Lark's own serialisation of the parser (plain
dicts, lists and strings) written with marshal, sealed like every file flux-lint keeps
(:mod:`flux_lint.core.sealed`), so nothing is unpickled and a damaged or foreign file is simply
rebuilt. The parser is the one cel-python would build, with ``debug`` off: Lark's debug mode
only prints a state dump to stdout when parsing fails with something other than a syntax
error.

Where the tables are kept is the caller's decision, made once before the first expression is
compiled: :func:`set_parser_cache_dir` with the run's cache folder (``--cache-dir``), or None
(``--no-cache``, and the default: nothing is written anywhere). The compiled forms of
:mod:`.program_cache` are kept in the same folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "cached_parser",
    "install_parser",
    "new_parser",
    "parser_cache_dir",
    "parser_name",
    "set_parser_cache_dir",
    "tables",
]

_DIRECTORY: Path | None = None
_KIND = b"cel-parser"


def set_parser_cache_dir(path: str | Path | None) -> None:
    """Keep the parser tables and the compiled forms in ``path`` (created when needed); None:
    keep them nowhere."""
    global _DIRECTORY
    _DIRECTORY = None if path is None else Path(path)


def parser_cache_dir() -> Path | None:
    """Where the parser tables and the compiled forms are kept, if anywhere."""
    return _DIRECTORY


def install_parser() -> None:
    """Give cel-python its parser before it builds one: loaded from the folder, else built
    (and stored there when there is a folder)."""
    from celpy.celparser import CELParser

    if CELParser.CEL_PARSER is None:
        CELParser.CEL_PARSER = cached_parser(CELParser.ambiguous_literals)


#: The options cel-python builds its parser with (those that shape the tables).
_OPTIONS = {"parser": "lalr", "start": "expr", "maybe_placeholders": False, "priority": "invert"}


def cached_parser(ambiguous_literals: Callable[[Any], Any]) -> Any:
    """The Lark parser cel-python would build: loaded from the folder when it holds it, else
    from the tables shipped with the package when they were made from the same grammar and
    Lark (check/cel/seed.py), else built (and kept in the folder, if there is one)."""
    import lark

    grammar, name = _grammar()
    runtime = {
        "lexer_callbacks": {"IDENT": ambiguous_literals},
        "tree_class": lark.Tree,
        "g_regex_flags": re.M,
        "propagate_positions": True,
    }
    root = _DIRECTORY
    if root is not None:
        from flux_lint.core import sealed

        path = root / f"cel-parser-{name}.bin"
        sealer = sealed.Sealer(root)
        loaded = _from_tables(sealed.read_sealed(sealer, _KIND, path), runtime)
        if loaded is not None:
            return loaded
    from flux_lint.check.cel import seed

    loaded = _from_tables(seed.parser_tables(name), runtime)
    if loaded is not None:
        return loaded
    parser = new_parser(ambiguous_literals, grammar)
    if root is not None:
        payload = tables(parser)
        if payload is not None:
            sealed.write_sealed(sealer, _KIND, path, payload)
    return parser


def new_parser(ambiguous_literals: Callable[[Any], Any], grammar: str | None = None) -> Any:
    """The Lark parser cel-python would build, built (its tables computed: about 0.3 s)."""
    import lark

    return lark.Lark(
        grammar if grammar is not None else _grammar()[0],
        **_OPTIONS,
        lexer_callbacks={"IDENT": ambiguous_literals},
        tree_class=lark.Tree,
        g_regex_flags=re.M,
        propagate_positions=True,
    )


def parser_name() -> str:
    """The name of cel-python's parser tables: a digest of its grammar, Lark's version and
    the options (what the tables are made from)."""
    return _grammar()[1]


def _grammar() -> tuple[str, str]:
    import hashlib

    import celpy.celparser
    import lark

    grammar = (Path(celpy.celparser.__file__).parent / "cel.lark").read_text(encoding="utf-8")
    name = hashlib.blake2b(
        repr((lark.__version__, grammar, sorted(_OPTIONS.items()))).encode("utf-8"),
        digest_size=16,
    ).hexdigest()
    return grammar, name


def tables(parser: Any) -> bytes | None:
    """Lark's serialisation of ``parser``, written with marshal; None when marshal cannot
    write it (the parser is then used unsaved)."""
    import marshal

    from lark.grammar import Rule
    from lark.lark import _LOAD_ALLOWED_OPTIONS
    from lark.lexer import TerminalDef

    try:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        data["options"] = {
            k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS
        }
        return marshal.dumps({"data": _marshalable(data), "memo": _marshalable(memo)})
    except (ValueError, TypeError):
        return None


def _from_tables(payload: bytes | None, runtime: dict[str, Any]) -> Any:
    """The parser of stored tables; None without them, or when they are damaged or from a
    Lark that serialises differently."""
    if payload is None:
        return None
    import marshal

    import lark

    try:
        stored = marshal.loads(payload)
        return lark.Lark._load_from_dict(stored["data"], stored["memo"], **runtime)
    except Exception:
        return None


def _marshalable(value: Any) -> Any:
    """Lark's serialisation with its enum flags (``re.M``) as the ints they are."""
    if isinstance(value, dict):
        return {_marshalable(k): _marshalable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marshalable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_marshalable(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool) and type(value) is not int:
        return int(value)
    return value
