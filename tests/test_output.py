"""Output formats: exact text, GitHub commands and JSON; SARIF checked against the official
schema; rule docs; and that the SARIF object model is only imported for SARIF."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flux_lint import __version__
from flux_lint.check.registry import Registry, Rule
from flux_lint.core.findings import Edit, Finding, Fix, ObjectRef, Severity, Span, Suppression
from flux_lint.report.docs import rule_markdown, rules_markdown
from flux_lint.report.output import (
    FORMATS,
    LineIndex,
    OutputOptions,
    RunSummary,
    render,
    source_lines,
)
from flux_lint.report.output.text import statistics, text_summary

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = ROOT / ".." / "shared" / "sarif" / "sarif-schema-2.1.0.json"
HELP = "https://github.com/flux-lint/flux-lint/blob/main/docs/rules.md"

UNKNOWN_FIELD = Rule(
    id="FL101",
    name="unknown-field",
    severity=Severity.ERROR,
    summary="The field is not part of the resource's schema",
    category="schema",
    fix="safe",
    docs={
        "what": "The object has a field its CRD does not define.",
        "why": "The API server prunes unknown fields, so the setting silently does nothing.",
        "example": "spec:\n  intervall: 5m\n",
        "useInstead": "spec:\n  interval: 5m\n",
        "references": ["https://fluxcd.io/flux/components/"],
    },
)
REMOVED_API = Rule(
    id="FL301",
    name="removed-api-version",
    severity=Severity.ERROR,
    summary="The apiVersion was removed from Flux",
    category="api-lifecycle",
    fix="unsafe",
    flux_versions=">=2.7",
    docs={"what": "This apiVersion is no longer served.", "why": "Flux rejects the object."},
)
NO_INTERVAL = Rule(
    id="FL601",
    name="missing-interval",
    severity=Severity.WARNING,
    summary="No reconciliation interval | set",
    category="practice",
)
NOTE_RULE = Rule(
    id="FL602",
    name="long-interval",
    severity=Severity.NOTE,
    summary="A very long interval",
    category="practice",
)
RULES = Registry([NOTE_RULE, REMOVED_API, UNKNOWN_FIELD, NO_INTERVAL])

APPS = "clusters/prod/apps.yaml"
APPS_TEXT = (
    "apiVersion: kustomize.toolkit.fluxcd.io/v1beta1\n"
    "kind: Kustomization\n"
    "metadata:\n"
    "  name: apps\n"
    "  namespace: flux-system\n"
    "spec:\n"
    "  intervall: 5m\n"
)
KS = ObjectRef("kustomize.toolkit.fluxcd.io/v1beta1", "Kustomization", "flux-system", "apps")
REPORT = RunSummary(files=12, documents=30, objects=40, duration=1.25, flux_version="2.9")


def _offset(line: int, column: int, text: str = APPS_TEXT) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1


def _findings() -> list[Finding]:
    api = Finding(
        rule_id="FL301",
        rule_name="removed-api-version",
        severity=Severity.WARNING,  # overrides the rule's default `error`
        message="`kustomize.toolkit.fluxcd.io/v1beta1` was removed in Flux 2.7",
        path=APPS,
        span=Span(1, 13, 1, 48),
        obj=KS,
        pointer="/apiVersion",
        fix=Fix(
            "Use `kustomize.toolkit.fluxcd.io/v1`",
            (Edit(_offset(1, 13), _offset(1, 48), "kustomize.toolkit.fluxcd.io/v1"),),
            safe=False,
        ),
    )
    field = Finding(
        rule_id="FL101",
        rule_name="unknown-field",
        severity=Severity.ERROR,
        message="unknown field `intervall`",
        path=APPS,
        span=Span(7, 3, 7, 12),
        obj=KS,
        pointer="/spec/intervall",
        fix=Fix("Rename to `interval`", (Edit(_offset(7, 3), _offset(7, 12), "interval"),)),
    )
    note = Finding(
        rule_id="FL602",
        rule_name="long-interval",
        severity=Severity.NOTE,
        message="interval `48h` is longer than a day",
        path="clusters/prod/sources.yaml",
        span=Span(8, 13, 10, 1),
        obj=ObjectRef("source.toolkit.fluxcd.io/v1", "GitRepository", "flux-system", "repo"),
        pointer="/spec/interval",
    )
    suppressed = Finding(
        rule_id="FL601",
        rule_name="missing-interval",
        severity=Severity.WARNING,
        message="no `spec.interval`",
        path="clusters/prod/sources.yaml",
        span=Span(20, 1, 20, 5),
        obj=ObjectRef("source.toolkit.fluxcd.io/v1", "HelmRepository", "flux-system", "charts"),
        pointer="/spec",
        suppression=Suppression("inline", "the default is fine here"),
    )
    return [api, field, note, suppressed]


def _render(fmt: str, findings: list[Finding] | None = None, **options: object) -> str:
    return render(
        fmt,
        _findings() if findings is None else findings,
        rules=RULES,
        report=REPORT,
        options=OutputOptions(**options),  # type: ignore[arg-type]
    )


def _source(path: str) -> str | None:
    return APPS_TEXT if path == APPS else None


# --- entry point -------------------------------------------------------------------------------


def test_formats_and_unknown_format():
    assert FORMATS == ("text", "json", "github", "sarif")
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        _render("xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(fmt):
    first = _render(fmt, source=_source, show_source=True)
    assert first == _render(fmt, source=_source, show_source=True)
    assert first.endswith("\n")


def test_sarif_om_is_imported_only_for_sarif():
    script = """
import sys
from flux_lint.core.findings import Finding, Severity, Span
from flux_lint.report.output import OutputOptions, RunSummary, render
from flux_lint.check.registry import Registry
f = Finding("FL101", "unknown-field", Severity.ERROR, "m", "a.yaml", Span(1, 1, 1, 2))
for fmt in ("text", "json", "github"):
    render(fmt, [f], rules=Registry([]), report=RunSummary(), options=OutputOptions())
    assert "sarif_om" not in sys.modules, fmt
    assert "jschema_to_python" not in sys.modules, fmt
render("sarif", [f], rules=Registry([]), report=RunSummary(), options=OutputOptions())
assert "sarif_om" in sys.modules
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_line_index_follows_the_yaml_reader():
    text = "a\r\nbc\rd\n\ufeffef"
    assert source_lines(text) == ["a", "bc", "d", "ef"]
    index = LineIndex(text)
    assert index.position(0) == (1, 1)
    assert index.position(3) == (2, 1)
    assert index.position(5) == (2, 3)
    assert index.position(6) == (3, 1)
    assert index.position(8) == (4, 1)  # the byte order mark takes no column
    assert index.position(10) == (4, 2)
    assert index.position(99) == (4, 3)


# --- text --------------------------------------------------------------------------------------


def test_text_one_line_per_finding_without_suppressed():
    assert _render("text") == (
        "clusters/prod/apps.yaml:1:13: FL301 [warning] "
        "`kustomize.toolkit.fluxcd.io/v1beta1` was removed in Flux 2.7 (removed-api-version)\n"
        "clusters/prod/apps.yaml:7:3: FL101 [error] unknown field `intervall` (unknown-field)\n"
        "clusters/prod/sources.yaml:8:13: FL602 [note] interval `48h` is longer than a day "
        "(long-interval)\n"
    )


def test_text_include_suppressed_marks_them():
    out = _render("text", include_suppressed=True)
    assert out.splitlines()[-1] == (
        "clusters/prod/sources.yaml:20:1: FL601 [warning] no `spec.interval` "
        "(missing-interval) [suppressed: inline]"
    )


def test_text_empty():
    assert _render("text", []) == ""


def test_text_color():
    finding = _findings()[1]
    out = _render("text", [finding], color=True)
    assert out == (
        "\x1b[1mclusters/prod/apps.yaml\x1b[0m:7:3: \x1b[1;31mFL101\x1b[0m "
        "[\x1b[31merror\x1b[0m] unknown field `intervall` \x1b[2m(unknown-field)\x1b[0m\n"
    )
    assert "\x1b" not in _render("text", [finding], color=False)


def test_text_escapes_control_and_bidi_characters():
    finding = _findings()[1]
    finding.message = "value `a\nb\x1b[2J\u202etxt` ünïcödé ✓"
    finding.path = "dir/ä\tb.yaml"
    assert _render("text", [finding]) == (
        "dir/ä\\tb.yaml:7:3: FL101 [error] value `a\\nb\\x1b[2J\\u202etxt` ünïcödé ✓ "
        "(unknown-field)\n"
    )


def test_text_show_source():
    out = _render("text", _findings()[:2], show_source=True, source=_source)
    assert out == (
        "clusters/prod/apps.yaml:1:13: FL301 [warning] "
        "`kustomize.toolkit.fluxcd.io/v1beta1` was removed in Flux 2.7 (removed-api-version)\n"
        "  |\n"
        "1 | apiVersion: kustomize.toolkit.fluxcd.io/v1beta1\n"
        "  |             " + "^" * 35 + "\n"
        "  |\n"
        "  = unsafe fix: Use `kustomize.toolkit.fluxcd.io/v1`\n"
        "\n"
        "clusters/prod/apps.yaml:7:3: FL101 [error] unknown field `intervall` (unknown-field)\n"
        "  |\n"
        "7 |   intervall: 5m\n"
        "  |   ^^^^^^^^^\n"
        "  |\n"
        "  = fix: Rename to `interval`\n"
        "\n"
    )


def test_text_show_source_aligns_under_tabs_wide_characters_and_multiline_spans():
    text = "a:\n\t名前: [x,\n  y]\n"
    finding = Finding("FL101", "unknown-field", Severity.ERROR, "m", "f.yaml", Span(2, 6, 3, 4))
    out = _render("text", [finding], show_source=True, source=lambda _: text)
    assert out.splitlines()[1:4] == ["  |", "2 | \t名前: [x,", "  | \t      ^^^"]


def test_text_show_source_without_text_or_line():
    finding = _findings()[2]  # no source for sources.yaml
    out = _render("text", [finding], show_source=True, source=_source)
    assert out == (
        "clusters/prod/sources.yaml:8:13: FL602 [note] interval `48h` is longer than a day "
        "(long-interval)\n\n"
    )


def test_text_summary():
    findings = _findings()
    assert text_summary(findings, REPORT) == (
        "Found 3 problems (1 error, 1 warning, 1 note) in 12 files, 1 suppressed\n"
        "By rule: FL101, FL301, FL602\n"
        "1 fixable with `--fix` (1 more with `--unsafe-fixes`)\n"
    )
    assert text_summary(findings[1:2], RunSummary(files=1)) == (
        "Found 1 problem (1 error) in 1 file\nBy rule: FL101\n1 fixable with `--fix`\n"
    )
    assert text_summary(findings[:1], REPORT) == (
        "Found 1 problem (1 warning) in 12 files\nBy rule: FL301\n1 fixable with `--unsafe-fixes`\n"
    )
    twice = [*findings[1:3], findings[2]]
    assert text_summary(twice, REPORT).splitlines()[1] == "By rule: FL602 ×2, FL101"
    assert text_summary([], REPORT) == "All checks passed: 12 files, 40 objects\n"
    assert text_summary(findings[3:], RunSummary(files=1, objects=1)) == (
        "All checks passed: 1 file, 1 object, 1 suppressed\n"
    )
    assert text_summary([], REPORT, timing=True) == (
        "All checks passed: 12 files, 40 objects (1.25s)\n"
    )
    colored = text_summary(findings[1:2], REPORT, color=True)
    assert colored.startswith("\x1b[1;31mFound 1 problem\x1b[0m (1 error)")


def test_statistics():
    findings = _findings()
    findings.append(
        Finding("FL101", "unknown-field", Severity.ERROR, "m", "b.yaml", Span(1, 1, 1, 2))
    )
    findings.append(Finding("FL999", "user-rule", Severity.ERROR, "m", "b.yaml", Span(2, 1, 2, 2)))
    assert statistics(findings, RULES) == (
        "2  FL101  unknown-field\n"
        "1  FL301  removed-api-version\n"
        "1  FL602  long-interval\n"
        "1  FL999  user-rule\n"
    )
    assert statistics([], RULES) == ""


# --- github ------------------------------------------------------------------------------------


def test_github_workflow_commands():
    assert _render("github") == (
        "::warning file=clusters/prod/apps.yaml,line=1,col=13,endLine=1,endColumn=48,"
        "title=FL301 removed-api-version::"
        "`kustomize.toolkit.fluxcd.io/v1beta1` was removed in Flux 2.7\n"
        "::error file=clusters/prod/apps.yaml,line=7,col=3,endLine=7,endColumn=12,"
        "title=FL101 unknown-field::unknown field `intervall`\n"
        # Columns are not allowed when the annotation spans several lines.
        "::notice file=clusters/prod/sources.yaml,line=8,endLine=10,"
        "title=FL602 long-interval::interval `48h` is longer than a day\n"
    )


def test_github_escaping_and_stdin():
    escaped = Finding(
        "FL101",
        "unknown-field",
        Severity.ERROR,
        "100% sure:\r\nnext, line ü",
        "dir,1/a:b%.yaml",
        Span(2, 1, 2, 3),
    )
    stdin = Finding("FL101", "unknown-field", Severity.WARNING, "m", "-", Span(1, 1, 1, 2))
    assert _render("github", [escaped, stdin]) == (
        "::error file=dir%2C1/a%3Ab%25.yaml,line=2,col=1,endLine=2,endColumn=3,"
        "title=FL101 unknown-field::100%25 sure:%0D%0Anext, line ü\n"
        "::warning title=FL101 unknown-field::m\n"
    )


def test_github_empty():
    assert _render("github", []) == ""


# --- json --------------------------------------------------------------------------------------


def test_json_envelope():
    out = _render("json")
    assert out.endswith("}\n")
    assert out.startswith('{\n  "version": 1,\n  "tool": {\n    "name": "flux-lint",')
    data = json.loads(out)
    assert list(data) == ["version", "tool", "fluxVersion", "findings", "summary"]
    field = _findings()[1]
    assert data["tool"] == {"name": "flux-lint", "version": __version__}
    assert data["fluxVersion"] == "2.9"
    assert data["findings"][1] == {
        "ruleId": "FL101",
        "ruleName": "unknown-field",
        "severity": "error",
        "message": "unknown field `intervall`",
        "path": APPS,
        "line": 7,
        "column": 3,
        "endLine": 7,
        "endColumn": 12,
        "object": {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1beta1",
            "kind": "Kustomization",
            "namespace": "flux-system",
            "name": "apps",
        },
        "document": 0,
        "pointer": "/spec/intervall",
        "fingerprint": field.fingerprint,
        "fix": {
            "title": "Rename to `interval`",
            "safe": True,
            "edits": [{"start": 124, "end": 133, "replacement": "interval"}],
        },
        "suppressed": None,
    }
    assert list(data["findings"][1]) == list(data["findings"][0])
    assert data["findings"][0]["fix"]["safe"] is False
    assert data["findings"][2]["fix"] is None
    assert data["findings"][3]["suppressed"] == {
        "kind": "inline",
        "justification": "the default is fine here",
    }
    assert data["summary"] == {
        "files": 12,
        "documents": 30,
        "objects": 40,
        "problems": 3,
        "suppressed": 1,
        "bySeverity": {"error": 1, "warning": 1, "note": 1},
        "byRule": {"FL101": 1, "FL301": 1, "FL602": 1},
        "unappliedFiles": 0,
        "notes": [],
    }
    assert "duration" not in out and "1.25" not in out


def test_json_empty_and_unicode():
    data = json.loads(_render("json", []))
    assert data["findings"] == []
    assert data["summary"]["problems"] == 0
    assert data["summary"]["bySeverity"] == {"error": 0, "warning": 0, "note": 0}
    finding = Finding(
        "FL101", "unknown-field", Severity.ERROR, "ключ `名前`\n", "ü/x.yaml", Span(1, 1, 1, 2)
    )
    out = _render("json", [finding])
    assert out.isascii()
    data = json.loads(out)
    assert data["findings"][0]["message"] == "ключ `名前`\n"
    assert data["findings"][0]["path"] == "ü/x.yaml"
    assert data["findings"][0]["object"] == {
        "apiVersion": None,
        "kind": None,
        "namespace": None,
        "name": None,
    }


# --- sarif -------------------------------------------------------------------------------------


def _sarif(findings: list[Finding] | None = None, **options: object) -> dict:
    return json.loads(_render("sarif", findings, **options))


def _validate(log: dict) -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip("the SARIF schema is not available")
    from jsonschema.validators import validator_for

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = validator_for(schema)
    validator.check_schema(schema)
    errors = sorted(validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_validates_against_the_schema():
    _validate(_sarif(source=_source, srcroot="/repo"))
    _validate(_sarif())
    _validate(_sarif([]))


def test_sarif_log_and_driver():
    log = _sarif(srcroot="/repo")
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///repo/"
    assert run["properties"] == {"fluxVersion": "2.9"}
    assert "invocations" not in run
    driver = run["tool"]["driver"]
    assert driver["name"] == "flux-lint"
    assert driver["version"] == __version__
    assert driver["informationUri"] == "https://github.com/flux-lint/flux-lint"
    # Only the rules with results, by id; FL601's result is suppressed but still there.
    assert [r["id"] for r in driver["rules"]] == ["FL101", "FL301", "FL601", "FL602"]
    unknown = driver["rules"][0]
    assert unknown == {
        "id": "FL101",
        "name": "unknown-field",
        "shortDescription": {"text": "The field is not part of the resource's schema"},
        "fullDescription": {"text": "The object has a field its CRD does not define."},
        "help": unknown["help"],
        "helpUri": f"{HELP}#fl101-unknown-field",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["schema"]},
    }
    assert unknown["help"]["text"].startswith("The field is not part of the resource's schema")
    assert unknown["help"]["markdown"] == rule_markdown(UNKNOWN_FIELD).split("\n\n", 1)[1]
    assert driver["rules"][2]["defaultConfiguration"] == {"level": "warning"}
    assert driver["rules"][2]["fullDescription"] == {"text": "No reconciliation interval | set"}


def test_sarif_help_uri_base():
    log = _sarif(help_uri_base="https://example.com/rules")
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == "https://example.com/rules#fl101-unknown-field"


def test_sarif_results():
    run = _sarif()["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    api, field, note, suppressed = run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    # A level equal to the SARIF default is still written: it differs from the rule's default.
    assert api["level"] == "warning"
    assert field == {
        "ruleId": "FL101",
        "ruleIndex": 0,
        "level": "error",
        "message": {"text": "unknown field `intervall`"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": APPS, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 7, "startColumn": 3, "endLine": 7, "endColumn": 12},
                },
                "logicalLocations": [
                    {
                        "name": "apps",
                        "kind": "object",
                        "fullyQualifiedName": "Kustomization/flux-system/apps#/spec/intervall",
                        "properties": {
                            "apiVersion": "kustomize.toolkit.fluxcd.io/v1beta1",
                            "kind": "Kustomization",
                            "namespace": "flux-system",
                            "name": "apps",
                            "pointer": "/spec/intervall",
                        },
                    }
                ],
            }
        ],
        "partialFingerprints": {"fluxLint/v1": _findings()[1].fingerprint},
        "fixes": [
            {
                "description": {"text": "Rename to `interval`"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": APPS, "uriBaseId": "%SRCROOT%"},
                        "replacements": [
                            {
                                "deletedRegion": {"charOffset": 124, "charLength": 9},
                                "insertedContent": {"text": "interval"},
                            }
                        ],
                    }
                ],
                "properties": {"safe": True},
            }
        ],
    }
    assert note["level"] == "note"
    assert "fixes" not in note
    assert suppressed["suppressions"] == [
        {"kind": "inSource", "justification": "the default is fine here"}
    ]
    assert "suppressions" not in field


def test_sarif_fix_regions_with_source_text():
    run = _sarif(source=_source)["runs"][0]
    api, field = run["results"][:2]
    region = field["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]
    assert region == {
        "charOffset": 124,
        "charLength": 9,
        "startLine": 7,
        "startColumn": 3,
        "endLine": 7,
        "endColumn": 12,
    }
    assert APPS_TEXT[124:133] == "intervall"
    assert api["fixes"][0]["properties"] == {"safe": False}


def test_sarif_fix_insertion_deletion_and_empty_fix():
    findings = _findings()[1:2]
    findings[0].fix = Fix(
        "Edit twice", (Edit(len(APPS_TEXT), len(APPS_TEXT), "  path: ./\n"), Edit(0, 0, "---\n"))
    )
    result = _sarif(findings, source=_source)["runs"][0]["results"][0]
    first, second = result["fixes"][0]["artifactChanges"][0]["replacements"]
    assert first["deletedRegion"] == {
        "charOffset": 0,
        "charLength": 0,
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
        "endColumn": 1,
    }
    assert second["deletedRegion"]["startLine"] == 8
    findings[0].fix = Fix("Nothing", ())
    log = _sarif(findings)
    assert "fixes" not in log["runs"][0]["results"][0]
    _validate(log)


def test_sarif_suppression_kinds():
    findings = []
    for i, (kind, justification) in enumerate(
        [("inline", ""), ("config", "generated files"), ("baseline", "")]
    ):
        findings.append(
            Finding(
                "FL601",
                "missing-interval",
                Severity.WARNING,
                "m",
                "a.yaml",
                Span(i + 1, 1, i + 1, 2),
                suppression=Suppression(kind, justification),
            )
        )
    log = _sarif(findings)
    _validate(log)
    assert [r["suppressions"] for r in log["runs"][0]["results"]] == [
        [{"kind": "inSource"}],
        [{"kind": "external", "justification": "generated files"}],
        [{"kind": "external"}],
    ]


def test_sarif_unicode_paths_messages_and_unknown_rules():
    finding = Finding(
        "FL999",
        "custom-policy",
        Severity.NOTE,
        "ключ `名前` is not allowed",
        "apps/ü dir/a#b:c.yaml",
        Span(1, 1, 1, 2),
    )
    out = _render("sarif", [finding])
    assert out.isascii()
    log = json.loads(out)
    _validate(log)
    run = log["runs"][0]
    (result,) = run["results"]
    assert result["message"]["text"] == "ключ `名前` is not allowed"
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == (
        "apps/%C3%BC%20dir/a%23b%3Ac.yaml"
    )
    assert "logicalLocations" not in location
    assert run["tool"]["driver"]["rules"] == [
        {
            "id": "FL999",
            "name": "custom-policy",
            "shortDescription": {"text": "custom-policy"},
            "defaultConfiguration": {"level": "note"},
        }
    ]


def test_sarif_empty():
    log = _sarif([])
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


def test_sarif_serializer_matches_to_json_where_to_json_is_right():
    """``to_plain`` replaces ``jschema_to_python.to_json`` only because the latter drops values
    equal to a default; on a log without such values both must give the same document."""
    from jschema_to_python.to_json import to_json

    from flux_lint.report.output.sarif import build_log, to_plain

    findings = [f for f in _findings() if f.severity != Severity.WARNING]
    log = build_log(findings, rules=RULES, report=REPORT, options=OutputOptions(source=_source))
    assert json.loads(to_json(log)) == to_plain(log)
    warning = build_log(
        _findings()[:1], rules=RULES, report=REPORT, options=OutputOptions(source=_source)
    )
    assert "level" not in json.loads(to_json(warning))["runs"][0]["results"][0]
    assert to_plain(warning)["runs"][0]["results"][0]["level"] == "warning"


# --- rule docs ---------------------------------------------------------------------------------


def _github_slug(heading: str) -> str:
    """GitHub's heading anchor: lower-case, drop punctuation except ``-``, spaces to ``-``."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_rule_markdown():
    assert rule_markdown(UNKNOWN_FIELD) == (
        "## FL101 unknown-field\n"
        "\n"
        "Severity: **error** · Category: schema · Fix: safe (`--fix`)\n"
        "\n"
        "The field is not part of the resource's schema\n"
        "\n"
        "**What it does**\n"
        "\n"
        "The object has a field its CRD does not define.\n"
        "\n"
        "**Why this matters**\n"
        "\n"
        "The API server prunes unknown fields, so the setting silently does nothing.\n"
        "\n"
        "**Example**\n"
        "\n"
        "```yaml\n"
        "spec:\n"
        "  intervall: 5m\n"
        "```\n"
        "\n"
        "**Use instead**\n"
        "\n"
        "```yaml\n"
        "spec:\n"
        "  interval: 5m\n"
        "```\n"
        "\n"
        "**References**\n"
        "\n"
        "- <https://fluxcd.io/flux/components/>\n"
    )
    assert "Flux: `>=2.7`" in rule_markdown(REMOVED_API)
    assert "unsafe (`--unsafe-fixes`)" in rule_markdown(REMOVED_API)


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_heading_anchor_is_the_rule_anchor(rule):
    heading = rule_markdown(rule).splitlines()[0]
    assert heading.startswith("## ")
    assert _github_slug(heading[3:]) == rule.anchor


def test_code_fence_is_longer_than_backticks_in_the_example():
    rule = Rule(
        id="FL603",
        name="fenced",
        severity=Severity.NOTE,
        summary="s",
        category="practice",
        docs={"example": "a: |\n  ```\n  x\n  ```\n"},
    )
    assert "````yaml\na: |\n  ```\n  x\n  ```\n````" in rule_markdown(rule)


def test_rules_markdown():
    doc = rules_markdown(RULES)
    assert doc == rules_markdown(RULES)
    assert doc.startswith("# Rules\n")
    assert doc.endswith("\n") and not doc.endswith("\n\n")
    assert "flux-lint has 4 rules." in doc
    assert (
        "| [FL101](#fl101-unknown-field) | `unknown-field` | error | schema | safe "
        "| The field is not part of the resource's schema |"
    ) in doc
    assert "| [FL601](#fl601-missing-interval) | `missing-interval` | warning | practice |  " in doc
    assert "No reconciliation interval \\| set |" in doc
    headings = [line for line in doc.splitlines() if line.startswith("## ")]
    assert headings == [
        "## FL101 unknown-field",
        "## FL301 removed-api-version",
        "## FL601 missing-interval",
        "## FL602 long-interval",
    ]
    assert rule_markdown(UNKNOWN_FIELD) in doc
    # Every link in the table of contents points at a heading of the document.
    anchors = {_github_slug(h[3:]) for h in headings}
    assert set(re.findall(r"\]\(#([^)]+)\)", doc)) == anchors
