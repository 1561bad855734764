"""flux-lint's YAML reader against the official YAML test suite (``../shared/yaml-test-suite``).

Each case folder holds ``in.yaml`` and either ``error`` (the spec rejects it) or, usually,
``in.json`` (the data it must load as, one JSON value per document). A case is *rejected* when
the loader reports any FL001 problem (error or warning), *accepted* otherwise.

The numbers this test prints are the ones ``docs/yaml.md`` explains. Go's YAML readers (what
Flux decodes manifests with: gopkg.in/yaml.v2 2.4.0 and yaml.v3 3.0.1, the code that
sigs.k8s.io/yaml and kyaml vendor) reject 72 of the valid cases and accept 15 of the invalid
ones; ``GO_REJECTS_VALID`` lists those valid cases, measured with ``benchmarks/go-yaml-verdicts``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from flux_lint.load.yaml import Node, key_string, load_text

SUITE = Path(__file__).resolve().parent.parent.parent / "shared" / "yaml-test-suite"

# Valid cases that Go's YAML readers reject with a parse error. Where flux-lint rejects a valid
# case, Go must reject it too: Flux cannot apply such a file, so FL001 is right for its users.
_GO_REJECTS_VALID = """
    27NA 2JQS 2LFX 2SXE 3UYS 4FJ6 4MUZ/00 4MUZ/01 4MUZ/02 58MP 5MUD 5T43 6BCT 6BFJ 6CA3 6LVF
    6M2F 6PBE 6ZKB 7Z25 8XYN 96NN/00 96NN/01 9DXL 9MMW 9SA2 A2M4 BEC7 CFD4 DBG4 DK3J DK95/00
    DK95/03 DK95/04 DK95/07 FP8R FRK4 HM87/00 HWV9 JR7V K3WX KK5P LX3P M2N8/00 M2N8/01 M5DY M7A3
    MUS6/05 MUS6/06 NHX8 NJ66 NKF9 Q5MG Q9WF QT73 R4YG RTP8 RZP5 S3PD SBG9 SM9W/01 UKK6/00 UT92
    V9D5 VJP3/01 W4TN W5VH WZ62 X38W XW4D Y79Y/001 Y79Y/010"""
GO_REJECTS_VALID = set(_GO_REJECTS_VALID.split())
# Valid cases that load, but not as in.json says, because of how libyaml reads them (a `?` or
# `:` glued to a flow scalar, trailing blank lines of a block scalar). Go reads them as libyaml.
LIBYAML_READINGS = {"652Z", "HM87/01", "JEF9/02", "L24T/01", "Y2GN"}

MAX_VALID_REJECTED = 12  # every one of them a case Go rejects (asserted below)
MAX_INVALID_ACCEPTED = 5


def _cases() -> list[tuple[str, Path]]:
    found = []
    for folder in sorted(SUITE.iterdir()):
        if not re.fullmatch(r"[0-9A-Z]{4}", folder.name):
            continue  # License, name/ and tags/ indexes
        if (folder / "in.yaml").is_file():
            found.append((folder.name, folder))
        else:
            found.extend((f"{folder.name}/{sub.name}", sub) for sub in sorted(folder.iterdir()))
    return found


def _json_stream(text: str) -> list[Any]:
    decoder, values, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return values
        value, i = decoder.raw_decode(text, i)
        values.append(value)


# The YAML 1.2 core schema, to tell a difference of scalar typing (Kubernetes reads YAML 1.1:
# `y`, `on`, `010`) from a difference of parsing.
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def _core_scalar(node: Node) -> Any:
    text = node.value
    if node.tag is not None:
        return text
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return text.lower() == "true"
    if _CORE_INT.fullmatch(text):
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _CORE_FLOAT.fullmatch(text):
        return float(text)
    if text.lower().lstrip("+-") in (".inf", ".nan"):
        return math.inf if ".inf" in text.lower() else math.nan
    return text


def _core_view(node: Node | None) -> Any:
    if node is None:
        return None
    if node.kind == "scalar":
        return _core_scalar(node)
    if node.kind == "seq":
        return [_core_view(child) for child in node.value]
    return {
        key_string(_core_scalar(k)) if k.kind == "scalar" else str(k): _core_view(v)
        for k, v in node.value
    }


def test_yaml_test_suite(capsys: pytest.CaptureFixture[str]) -> None:
    if not SUITE.is_dir():
        pytest.skip(f"the YAML test suite is not at {SUITE}")
    valid_rejected, invalid_accepted, invalid_warned = [], [], []
    typing_only, other_values = [], []
    valid = invalid = 0
    for case, folder in _cases():
        text = (folder / "in.yaml").read_bytes().decode("utf-8", "surrogateescape")
        result = load_text(text)
        syntax = [p for p in result.problems if p.code == "syntax"]
        if (folder / "error").exists():
            invalid += 1
            if not syntax:
                invalid_accepted.append(case)
            elif all(p.severity == "warning" for p in syntax):
                invalid_warned.append(case)
            continue
        valid += 1
        if syntax:
            valid_rejected.append(case)
            continue
        expected_file = folder / "in.json"
        if not expected_file.exists():
            continue  # data JSON cannot hold (collection keys, ...)
        expected = _json_stream(expected_file.read_text(encoding="utf-8"))
        if [d.data for d in result.documents] != expected:
            if [_core_view(d.node) for d in result.documents] == expected:
                typing_only.append(case)
            else:
                other_values.append(case)
    with capsys.disabled():
        print(
            f"\nYAML test suite: {valid} valid cases, {len(valid_rejected)} rejected: "
            f"{' '.join(valid_rejected)}\n"
            f"{invalid} invalid cases, {len(invalid_accepted)} accepted: "
            f"{' '.join(invalid_accepted)}; {len(invalid_warned)} reported as warnings only "
            f"(Go accepts them): {' '.join(invalid_warned)}\n"
            f"values: {len(typing_only)} differ only by YAML 1.1 scalar typing, as Kubernetes "
            f"reads them ({' '.join(typing_only)}); {len(other_values)} differ otherwise "
            f"({' '.join(other_values)})"
        )
    assert len(valid_rejected) <= MAX_VALID_REJECTED, valid_rejected
    assert set(valid_rejected) <= GO_REJECTS_VALID, set(valid_rejected) - GO_REJECTS_VALID
    assert len(invalid_accepted) <= MAX_INVALID_ACCEPTED, invalid_accepted
    assert set(other_values) <= LIBYAML_READINGS, set(other_values) - LIBYAML_READINGS
    assert valid > 300 and invalid > 90  # the whole suite was read
