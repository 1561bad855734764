"""The JSON copies of the data tables are the YAML files' data, and are what a run reads."""

from __future__ import annotations

import json
import os

import pytest

from flux_lint.core import datafiles
from flux_lint.core.yamlio import safe_load_text

FILES = datafiles.yaml_files()


def test_every_data_table_is_known():
    names = {os.path.basename(path) for path in FILES}
    assert {"api-versions.yaml", "kubernetes-apis.yaml", "field-migrations.yaml"} <= names
    assert {"catalog-projects.yaml"} <= names


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_the_json_copy_is_the_yaml_data(path):
    """Regenerate with `python -m flux_lint.core.datafiles` after editing a data table."""
    with open(path, encoding="utf-8") as fh:
        data = safe_load_text(fh.read(), path)
    with open(datafiles.copy_path(path), encoding="utf-8") as fh:
        copy = fh.read()
    assert json.loads(copy) == data, f"{datafiles.copy_path(path)} is stale"
    assert copy == datafiles.copy_text(path)
    assert datafiles.load(os.path.basename(path)) == data


def test_the_generator_writes_only_what_changed(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "rules" / "data"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text("rows:\n  - a: 1\n    b: x\n", encoding="utf-8")
    monkeypatch.setattr(datafiles, "data_folder", lambda name: str(tmp_path / name))
    assert datafiles.main() == 0
    assert (folder / "t.json").read_text(encoding="utf-8") == (
        '{\n "rows": [\n  {\n   "a": 1,\n   "b": "x"\n  }\n ]\n}\n'
    )
    assert "t.json" in capsys.readouterr().out
    assert datafiles.main() == 0
    assert capsys.readouterr().out == ""
    assert datafiles.load("t.yaml") == {"rows": [{"a": 1, "b": "x"}]}
