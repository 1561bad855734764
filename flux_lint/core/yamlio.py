"""Small YAML helpers for flux-lint's own files (rule descriptors, data tables, config).

Manifests go through ``load.py``; these files are trusted, small and read with the safe loader.
"""

from __future__ import annotations

from typing import Any


class DataFileError(ValueError):
    """A flux-lint data or config file is not valid YAML; the message has file and line."""


def safe_load_text(text: str, source: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    yaml = YAML(typ="safe", pure=False)
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise DataFileError(f"{where}: {exc.problem}") from None
