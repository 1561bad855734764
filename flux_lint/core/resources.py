"""Where the shipped data lives.

``rules/`` and ``schemas/`` sit at the top of the source tree so that they are easy to read and
review; the wheel carries them as ``flux_lint/_data/``. Both layouts are looked up here and
nowhere else.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # flux_lint/


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"flux-lint data folder `{name}` is missing from the installation")


def rules_dir() -> Path:
    return data_dir("rules")


def schemas_dir() -> Path:
    return data_dir("schemas")
