"""PyYAML's libyaml binding is imported without compiling the pure Python parser's patterns,
and the ``yaml`` package it leaves behind still works in full."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flux_lint.load.libyaml import DeferredPattern

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import re, sys
from flux_lint.load.libyaml import cparser
parser = cparser()
import yaml
import yaml.constructor, yaml.reader, yaml.resolver
print(type(yaml.reader.Reader.NON_PRINTABLE).__name__)
print(type(yaml.constructor.SafeConstructor.timestamp_regexp).__name__)
print(re.compile is re.__dict__["compile"] and re.compile.__module__)
print(parser is yaml._yaml.CParser)
print(yaml.safe_load("a: 2020-01-02\\nb: 0x10\\nc: ~\\n"))
try:
    yaml.safe_load("a: \\x01\\n")
except yaml.reader.ReaderError as exc:
    print("ReaderError", exc.character)
print(type(yaml.reader.Reader.NON_PRINTABLE._compiled).__name__)
"""


def test_the_binding_defers_yaml_patterns_and_yaml_still_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.splitlines() == [
        "DeferredPattern",
        "DeferredPattern",
        "re",  # re.compile is itself again
        "True",
        "{'a': datetime.date(2020, 1, 2), 'b': 16, 'c': None}",
        "ReaderError 1",  # the code point the pure reader rejects
        "Pattern",  # compiled on its first use
    ]


def test_a_deferred_pattern_behaves_like_the_compiled_one() -> None:
    deferred = DeferredPattern(r"(?P<word>[a-z]+)", 0)
    assert deferred._compiled is None
    assert deferred.search("12 abc").group("word") == "abc"
    assert deferred.pattern == "(?P<word>[a-z]+)"
    assert deferred.sub("x", "ab cd") == "x x"
    assert deferred._compiled is not None
