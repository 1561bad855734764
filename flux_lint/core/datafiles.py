"""The shipped data tables (``rules/data/*.yaml``), read from their JSON copies.

The YAML files are what people read and edit. Next to each is a JSON copy of its parsed data,
generated from it (``python -m flux_lint.core.datafiles``; a test fails when a copy differs
from its YAML file), because a run reads the copy in a tenth of a millisecond where parsing the
YAML costs up to 30 ms, plus 20 ms to import the YAML library, in every process that looks
at a single object.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from flux_lint.core.resources import data_folder


def yaml_files() -> list[str]:
    """Paths of the shipped data tables."""
    folder = os.path.join(data_folder("rules"), "data")
    return sorted(
        os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".yaml")
    )


def copy_path(yaml_path: str) -> str:
    """The JSON copy of the data table ``yaml_path``."""
    return yaml_path.removesuffix(".yaml") + ".json"


def load(name: str) -> Any:
    """The data of ``rules/data/<name>`` (``api-versions.yaml``, ...), read from its copy."""
    path = copy_path(os.path.join(data_folder("rules"), "data", name))
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def copy_text(yaml_path: str) -> str:
    """The JSON copy of ``yaml_path`` as it is committed (the YAML file parsed)."""
    from flux_lint.core.yamlio import safe_load_text

    with open(yaml_path, encoding="utf-8") as fh:
        data = safe_load_text(fh.read(), f"rules/data/{os.path.basename(yaml_path)}")
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    """Write the JSON copy of every data table; print the ones that changed."""
    for path in yaml_files():
        text = copy_text(path)
        target = copy_path(path)
        try:
            with open(target, encoding="utf-8") as fh:
                if fh.read() == text:
                    continue
        except FileNotFoundError:
            pass
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {os.path.relpath(target)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
