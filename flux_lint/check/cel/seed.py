"""The compiled forms of the shipped schemas' CEL rules, and cel-python's parser tables, made
once and shipped with the package (``schemas/cel-seed.bin``, written by
``flux-lint schemas cel``: check/cel/seed_build.py).

Without a cache folder that holds them already (``--no-cache``, the first run with a new
cache folder: a CI job), a run compiles the rules of every CRD whose objects it meets with
cel-python, and builds cel-python's parser first (about 0.3 s alone; a cold run over the
benchmark's 1,000-document repository spent about 0.2 s of its 1.9 s of CPU on it all). A
rule's form (check/cel/program_cache.py) depends only on its text, its declared variables and
the code that compiles it (this package's CEL modules, cel-python, Lark), so the forms of the
rules of the shipped schemas are made when the schemas are, and kept under a digest of the
*contents* of that code: a run where any of it differs (another cel-python, an edited module)
does not use them and compiles as before. The parser tables depend on cel-python's grammar
and Lark's version only, and carry their own name (:func:`.parser_cache.parser_name`).

The file is package data, as trusted as the code beside it: it is read with marshal, without
the seal the files of a cache folder carry.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterator
from typing import Any

from flux_lint.check.cel.forms import FORMAT, Form, valid

__all__ = [
    "SEED_FILE",
    "SEED_FORMAT",
    "code_key",
    "form",
    "library_key",
    "parser_tables",
    "read",
    "rule_sources",
]

#: The seed's name in the shipped schemas folder.
SEED_FILE = "cel-seed.bin"

#: Bumped whenever the layout of the seed changes.
SEED_FORMAT = 1

_LOADED: list[dict[str, Any] | None] = []  # the seed, read once per process
_KEYS: dict[str, str] = {}


def form(source: str, variables: frozenset[str] | None) -> Form | None:
    """The shipped form of ``source`` compiled with ``variables``; None when the seed does
    not hold it or was made by other code."""
    seed = _seed()
    if seed is None:
        return None
    if seed["usable"] is None:  # compared once, on the first use
        seed["usable"] = seed["keys"] == (code_key(), library_key())
    if not seed["usable"]:
        return None
    names = None if variables is None else tuple(sorted(variables))
    found = seed["forms"].get((source, names))
    return found if found is not None and valid(found) else None


def parser_tables(name: str) -> bytes | None:
    """The shipped parser tables if they are those named ``name``, else None."""
    seed = _seed()
    if seed is None or seed["parser"][0] != name:
        return None
    return seed["parser"][1]


def _seed() -> dict[str, Any] | None:
    if not _LOADED:
        _LOADED.append(read())
    return _LOADED[0]


def read() -> dict[str, Any] | None:
    """The shipped seed as it is (its keys not compared), or None when missing or damaged."""
    from flux_lint.core.resources import data_folder

    try:
        with open(os.path.join(data_folder("schemas"), SEED_FILE), "rb") as fh:
            stored = marshal.loads(fh.read())
        seed_format, keys, forms, parser = stored
        if seed_format != SEED_FORMAT:
            return None
        return {"keys": tuple(keys), "usable": None, "forms": dict(forms), "parser": tuple(parser)}
    except (OSError, ValueError, EOFError, TypeError):  # missing or damaged: compile
        return None


def code_key() -> str:
    """A digest of the contents of this package's CEL modules and of the forms' layout."""
    if "code" not in _KEYS:
        parts = [SEED_FORMAT, FORMAT, _contents(os.path.dirname(os.path.abspath(__file__)))]
        _KEYS["code"] = _digest(parts)
    return _KEYS["code"]


def library_key() -> str:
    """A digest of the contents of cel-python's modules and grammar, and of Lark's modules
    and grammars."""
    if "library" not in _KEYS:
        from flux_lint.core.source_tree import module_origin

        parts: list[Any] = []
        for name in ("celpy", "lark"):
            origin = module_origin(name)
            parts.append((name, None if origin is None else _contents(os.path.dirname(origin))))
        _KEYS["library"] = _digest(parts)
    return _KEYS["library"]


def _digest(parts: Any) -> str:
    from flux_lint.core.sealed import blake2b

    return blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def _contents(folder: str) -> list[tuple[str, str]]:
    """(path below ``folder``, digest of the content) of its source and grammar files."""
    from flux_lint.core.sealed import blake2b
    from flux_lint.core.source_tree import source_files

    cut = len(folder) + 1
    found = []
    for path, _, _ in source_files(folder, (".py", ".lark")):
        try:
            with open(path, "rb") as fh:
                digest = blake2b(fh.read(), digest_size=16).hexdigest()
        except OSError:
            digest = ""
        found.append((path[cut:].replace(os.sep, "/"), digest))
    return sorted(found)


def rule_sources(folder: str) -> Iterator[str]:
    """Every CEL rule and message expression (``x-kubernetes-validations``) of the schemas
    under ``folder``, once each, sorted."""
    import json

    from flux_lint.core.source_tree import source_files

    found: set[str] = set()
    stack: list[Any] = []
    for path, _, _ in source_files(folder, (".json",)):
        with open(path, encoding="utf-8") as fh:
            stack.append(json.load(fh))
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                rules = node.get("x-kubernetes-validations")
                for rule in rules if isinstance(rules, list) else ():
                    for field in ("rule", "messageExpression"):
                        text = rule.get(field) if isinstance(rule, dict) else None
                        if isinstance(text, str) and text.strip():
                            found.add(text)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    yield from sorted(found)
