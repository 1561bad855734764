"""Where the shipped data lives.

``rules/`` and ``schemas/`` sit at the top of the source tree so that they are easy to read and
review; the wheel carries them as ``flux_lint/_data/``. Both layouts are looked up here and
nowhere else.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: flux_lint/ (``pathlib`` is not imported here: a run answered from the cache needs only
#: the folders' names, and importing it costs more than that whole run).
_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


@cache
def data_folder(name: str) -> str:
    """The folder of the shipped data ``name`` (``rules``, ``schemas``)."""
    for candidate in (
        os.path.join(_PACKAGE, "_data", name),
        os.path.join(os.path.dirname(_PACKAGE), name),
    ):
        if os.path.isdir(candidate):
            return candidate
    raise FileNotFoundError(f"flux-lint data folder `{name}` is missing from the installation")


def data_dir(name: str) -> Path:
    """:func:`data_folder` as a ``Path``."""
    from pathlib import Path

    return Path(data_folder(name))


def rules_dir() -> Path:
    return data_dir("rules")


def schemas_dir() -> Path:
    return data_dir("schemas")
