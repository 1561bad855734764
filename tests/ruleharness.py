"""Reading the expectations written inside fixture files.

A fixture line that must carry a finding ends with a comment such as ``# expect: FL101``,
``# expect: FL101@7`` (1-based column), ``# expect: FL101@18:7`` (another line, for places
where a comment cannot go, such as inside a block scalar) or
``# expect: FL101 "fragment of the message"``; several expectations on one line are separated
by ``;``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
SETTINGS = re.compile(r"^#\s*fixture:\s*(?P<body>.+?)\s*$", re.MULTILINE)
EXPECT = re.compile(r"#\s*expect:\s*(?P<body>.+?)\s*$")
ITEM = re.compile(
    r'^(?P<rule>FL\d{3})(?:@(?:(?P<line>\d+):)?(?P<col>\d+))?(?:\s+"(?P<fragment>[^"]*)")?$'
)


@dataclass(frozen=True)
class Expectation:
    path: str
    rule: str
    line: int
    column: int | None
    fragment: str | None


def expectations(path: Path, display: str) -> list[Expectation]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECT.search(line)
        if not match:
            continue
        for item in match.group("body").split(";"):
            m = ITEM.match(item.strip())
            if not m:
                raise ValueError(f"{path}:{number}: bad expectation {item!r}")
            col = int(m.group("col")) if m.group("col") else None
            at = int(m.group("line")) if m.group("line") else number
            found.append(Expectation(display, m.group("rule"), at, col, m.group("fragment")))
    return found


def settings(path: Path) -> dict[str, str]:
    """``# fixture: flux-version=2.8 from=2.7`` on a line of its own sets run options."""
    files = sorted(path.rglob("*.y*ml")) if path.is_dir() else [path]
    found: dict[str, str] = {}
    for file in files:
        for match in SETTINGS.finditer(file.read_text(encoding="utf-8")):
            for item in match.group("body").split():
                key, _, value = item.partition("=")
                found[key] = value
    return found


def rule_fixture_dirs() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []


def cases(kind: str) -> list[tuple[str, Path]]:
    """(rule id, fixture path) for every ``fail-*`` or ``pass-*`` file or folder."""
    out = []
    for folder in rule_fixture_dirs():
        for path in sorted(folder.glob(f"{kind}-*")):
            if path.is_dir() or path.suffix in (".yaml", ".yml", ".json"):
                out.append((folder.name, path))
    return out
