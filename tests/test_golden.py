"""Golden outputs: the example repository in every format, byte for byte.

Regenerate after an intended change with ``FLUX_LINT_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flux_lint.check.engine import RunConfig
from flux_lint.check.registry import builtin_registry
from flux_lint.report.output import OutputOptions, RunSummary, render
from flux_lint.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SARIF_SCHEMA = ROOT.parent / "shared" / "sarif" / "sarif-schema-2.1.0.json"
SUFFIX = {"text": "txt", "json": "json", "github": "github.txt", "sarif": "sarif"}


def _render(fmt: str) -> str:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = run(RunConfig(paths=["examples"]))
    finally:
        os.chdir(cwd)
    summary = RunSummary(
        files=result.files, documents=result.documents, objects=result.objects, flux_version="2.9"
    )
    options = OutputOptions(source=result.texts.get)
    return render(fmt, result.findings, rules=builtin_registry(), report=summary, options=options)


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_golden_output(fmt):
    path = GOLDEN / f"examples.{SUFFIX[fmt]}"
    output = _render(fmt)
    if os.environ.get("FLUX_LINT_UPDATE_GOLDEN"):
        path.write_text(output, encoding="utf-8")
    assert output == path.read_text(encoding="utf-8")


def test_output_is_deterministic():
    assert _render("sarif") == _render("sarif")


@pytest.mark.skipif(not SARIF_SCHEMA.exists(), reason="the shared SARIF schema is not present")
def test_golden_sarif_is_valid_sarif():
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    log = json.loads((GOLDEN / "examples.sarif").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    assert all(r["partialFingerprints"] for r in results)
