"""FL209: values merging, chart lookup, schema loading and the file-system boundaries."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from flux_lint.check.engine import RunConfig
from flux_lint.check.rules import chart_values
from flux_lint.check.rules.chart_values import (
    coalesce,
    find_chart_dir,
    load_schema,
    schema_problems,
)
from flux_lint.run.pipeline import run

SCHEMA = {
    "type": "object",
    "required": ["image"],
    "properties": {
        "replicas": {"type": "integer"},
        "image": {
            "type": "object",
            "required": ["repository"],
            "additionalProperties": False,
            "properties": {"repository": {"type": "string"}, "tag": {"type": "string"}},
        },
    },
}


def _problems(
    user: dict[str, Any], defaults: dict[str, Any], certain: bool = True, schema: Any = None
) -> list[tuple[str, str, str]]:
    compiled = load_schema("values.schema.json", json.dumps(schema or SCHEMA))
    return [
        (p.pointer, p.target, p.message) for p in schema_problems(compiled, user, defaults, certain)
    ]


def test_coalesce_follows_helm():
    defaults = {"a": 1, "m": {"x": 1, "y": 2}, "l": [1, 2], "gone": 3}
    user = {"m": {"y": 3, "z": 4}, "l": [9], "gone": None, "new": None}
    assert coalesce(user, defaults) == {
        "a": 1,
        "m": {"x": 1, "y": 3, "z": 4},
        "l": [9],
        "new": None,
    }
    assert coalesce({"m": "scalar"}, {"m": {"x": 1}}) == {"m": "scalar"}


def test_find_chart_dir_prefers_the_shallowest_root():
    files = {"charts/app/Chart.yaml", "clusters/prod/charts/app/Chart.yaml"}
    assert find_chart_dir(files, "clusters/prod/app.yaml", "charts/app") == ("", "charts/app")
    assert find_chart_dir(
        files - {"charts/app/Chart.yaml"}, "clusters/prod/app.yaml", "charts/app"
    ) == (
        "clusters/prod",
        "clusters/prod/charts/app",
    )
    assert find_chart_dir(files, "app.yaml", "charts/other") is None


def test_errors_point_at_the_users_values():
    user = {"replicas": "two", "image": {"tag": 1, "digest": "sha256:x"}}
    defaults = {"image": {"repository": "ghcr.io/x"}}
    assert _problems(user, defaults) == [
        (
            "/image/digest",
            "key",
            "chart value `image.digest` is not allowed by the schema (`values.schema.json`)",
        ),
        (
            "/image/tag",
            "value",
            "chart value `image.tag` must be of type `string`, got integer `1` "
            "(`values.schema.json`)",
        ),
        (
            "/replicas",
            "value",
            'chart value `replicas` must be of type `integer`, got string `"two"` '
            "(`values.schema.json`)",
        ),
    ]


def test_missing_values_only_when_nothing_else_can_supply_them():
    expected = [("", "key", "missing required chart value `image` (`values.schema.json`)")]
    assert _problems({"replicas": 1}, {}) == expected
    assert _problems({"replicas": 1}, {}, certain=False) == []
    assert _problems({}, {"image": {"repository": "r"}}) == []
    # A mapping only the defaults bring is the chart's own business.
    assert _problems({}, {"image": {"tag": "1"}}) == []
    assert _problems({"image": {"repository": None}}, {"image": {"repository": "r"}}) == [
        ("/image", "key", "missing required chart value `image.repository` (`values.schema.json`)")
    ]


def test_keys_brought_by_defaults_are_not_reported():
    assert _problems({"image": {"tag": "1"}}, {"image": {"repository": "r", "pull": "x"}}) == []


def test_unresolved_values_are_not_judged():
    assert _problems({"replicas": "${REPLICAS}", "image": {"repository": "r"}}, {}) == []
    sops = "ENC[AES256_GCM,data:eA==,iv:eA==,tag:eA==,type:int]"
    assert _problems({"replicas": sops, "image": {"repository": "r"}}, {}) == []


def test_draft_2020_12_by_default_and_schema_keyword_honoured():
    # Since 2019-09 the keywords beside `$ref` apply; in Draft 7 they are ignored.
    schema = {
        "$defs": {"s": {"type": "string"}},
        "properties": {"x": {"$ref": "#/$defs/s", "minLength": 3}},
    }
    assert [m for _, _, m in _problems({"x": "ab"}, {}, schema=schema)] == [
        "chart value `x` must be at least 3 character(s) long, got 2 (`values.schema.json`)"
    ]
    draft7 = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"s": {"type": "string"}},
        "properties": {"x": {"$ref": "#/definitions/s", "minLength": 3}},
    }
    assert _problems({"x": "ab"}, {}, schema=draft7) == []


def test_pattern_is_re2_search():
    schema = {"properties": {"x": {"type": "string", "pattern": "^a+$"}}}
    # Python's `$` would also match before a final newline; Go's does not.
    assert [m for _, _, m in _problems({"x": "aa\n"}, {}, schema=schema)] == [
        "chart value `x` must match `^a+$`, got `aa\\n` (`values.schema.json`)"
    ]
    assert _problems({"x": "aa"}, {}, schema=schema) == []


def test_invalid_json_and_invalid_schema():
    broken = load_schema("s.json", '{"type": "object",}')
    assert broken.validator is None
    assert broken.error == "Expecting property name enclosed in double quotes (line 1, column 19)"
    assert load_schema("s.json", "[1]").error == "the document is not a JSON object"
    invalid = load_schema("s.json", '{"type": "int"}')
    assert invalid.validator is None and invalid.error is None


def test_remote_references_are_never_fetched(monkeypatch: pytest.MonkeyPatch):
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the network must not be used")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    schema = {"properties": {"x": {"$ref": "https://schemas.example.com/x.json"}}}
    assert _problems({"x": 1}, {}, schema=schema) == []
    relative = {"properties": {"x": {"$ref": "other.json#/x"}}}
    assert _problems({"x": 1}, {}, schema=relative) == []


# --------------------------------------------------------------------------------------------
# Whole runs on a small repository


def _repository(tmp: Path, schema: str | None = None) -> Path:
    (tmp / ".git").mkdir(parents=True)
    chart = tmp / "charts" / "app"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("image:\n  repository: ghcr.io/x\n")
    if schema is None:
        schema = json.dumps(SCHEMA)
    (chart / "values.schema.json").write_text(schema)
    apps = tmp / "apps"
    apps.mkdir()
    (apps / "app.yaml").write_text(
        "apiVersion: helm.toolkit.fluxcd.io/v2\n"
        "kind: HelmRelease\n"
        "metadata:\n"
        "  name: app\n"
        "spec:\n"
        "  interval: 1h\n"
        "  chart:\n"
        "    spec:\n"
        "      chart: ./charts/app\n"
        "      sourceRef:\n"
        "        kind: GitRepository\n"
        "        name: flux-system\n"
        "  values:\n"
        "    replicas: many\n"
    )
    return tmp


def _fl209(path: Path) -> list[tuple[str, int, int]]:
    result = run(RunConfig(paths=[str(path)], enabled={"FL209"}))
    return [(f.path, f.line, f.column) for f in result.findings]


def test_run_from_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = _repository(tmp_path / "repo")
    monkeypatch.chdir(repo / "apps")  # a subfolder: the git work tree is the root
    assert _fl209(repo) == [("apps/app.yaml", 14, 15)]


def test_root_from_the_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = _repository(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # The engine hands the repository root to the check: the working directory does not matter.
    assert _fl209(repo) == [("apps/app.yaml", 14, 15)]
    # Without a usable root nothing is read.
    monkeypatch.setattr(chart_values, "_roots", lambda ctx: [elsewhere])
    assert _fl209(repo) == []


def test_links_out_of_the_root_are_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(SCHEMA))
    repo = _repository(tmp_path / "repo")
    schema = repo / "charts" / "app" / "values.schema.json"
    schema.unlink()
    os.symlink(outside, schema)
    monkeypatch.chdir(repo)
    assert _fl209(repo) == []


def test_oversized_schema_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    repo = _repository(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setattr(chart_values, "MAX_BYTES", 10)
    assert _fl209(repo) == []


def test_composite_keywords_and_uncertainty():
    schema = {
        "properties": {
            "mode": {"oneOf": [{"const": "a"}, {"const": "b"}]},
            "tls": {"anyOf": [{"required": ["secret"]}, {"required": ["issuer"]}]},
        }
    }
    expected = [
        (
            "/mode",
            "value",
            "chart value `mode` must match exactly one of the schemas in `oneOf` "
            "(`values.schema.json`)",
        ),
        (
            "/tls",
            "value",
            "chart value `tls` must match at least one of the schemas in `anyOf` "
            "(`values.schema.json`)",
        ),
    ]
    user = {"mode": "c", "tls": {"enabled": True}}
    assert _problems(user, {}, schema=schema) == expected
    # Another source could complete `tls`, but nothing can change the scalar `mode`.
    assert _problems(user, {}, certain=False, schema=schema) == expected[:1]


def test_schemas_that_cannot_be_judged():
    endless = {"allOf": [{"$ref": "#"}]}
    assert _problems({"x": 1}, {}, schema=endless) == []
    python_only = {"patternProperties": {"(?<=a)b": {"type": "string"}}}
    assert _problems({"ab": 1}, {}, schema=python_only) == []
