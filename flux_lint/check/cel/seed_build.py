"""Making the seed of check/cel/seed.py: every CEL rule of a schemas folder compiled, and
cel-python's parser tables (``flux-lint schemas cel``)."""

from __future__ import annotations

import marshal

from flux_lint.check.cel import parser_cache
from flux_lint.check.cel.compiler import fresh_form
from flux_lint.check.cel.seed import SEED_FORMAT, code_key, library_key, rule_sources

__all__ = ["build"]


def build(folder: str, variables: frozenset[str]) -> bytes:
    """The seed of the schemas under ``folder``: the form of each of their rules compiled
    with ``variables`` (the variables the API server declares for CRD rules), and the parser
    tables. Made without any cache: every rule is compiled here."""
    from celpy.celparser import CELParser

    names = tuple(sorted(variables))
    forms = [((source, names), fresh_form(source, variables)[0]) for source in rule_sources(folder)]
    tables = parser_cache.tables(parser_cache.new_parser(CELParser.ambiguous_literals))
    parser = (parser_cache.parser_name(), tables)
    return marshal.dumps((SEED_FORMAT, (code_key(), library_key()), forms, parser), 2)
