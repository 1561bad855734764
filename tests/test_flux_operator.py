"""flux-operator: the parsers that read strings as the operator's libraries do (robfig/cron,
Go durations, Masterminds semver constraints), the repository model of instances and operator
deployments, and the severities of the FluxInstance rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_lint.check.engine import RunConfig
from flux_lint.core.cron import CronError, operator_spec, parse_cron
from flux_lint.core.findings import Severity
from flux_lint.core.go_duration import DurationError, parse_duration
from flux_lint.core.semver_constraints import ConstraintSyntaxError, check_constraint
from flux_lint.model.flux_operator import Operator, is_open_range, parse_artifact, resolve
from flux_lint.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rules"

# -- cron -----------------------------------------------------------------------------------------

ACCEPTED_CRON = [
    "0 0 * * *",
    "*/5 * * * *",
    "? ? ? ? ?",
    "5,35 */2 1-15/2 * sun",
    "0 9-17 * JAN-mar MON-FRI",
    "0 0 29 2 *",
    "0 0 1,,15 * *",  # empty list items are dropped
    "*-3 * * * *",  # a star ignores what follows its hyphen
    "+5 * * * *",  # strconv.Atoi takes a sign
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@every 1h30m",
    "@every 1.5s",
    "@every 0",
]
REJECTED_CRON = [
    ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
    ("60 * * * *", "end of range (60) above maximum (59): 60"),
    ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("0 0 * 13 *", "end of range (13) above maximum (12): 13"),
    ("0 0 * * 5-1", "beginning of range (5) beyond end of range (1): 5-1"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("1/2/3 * * * *", "too many slashes: 1/2/3"),
    ("-1 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'),
    ("0 0 L * *", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'),
    ("0 0 ? * 1#2", 'failed to parse int from 1#2: strconv.Atoi: parsing "1#2": invalid syntax'),
    ("0 0 * * *  *", "expected exactly 5 fields, found 6: [0 0 * * * *]"),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("@reboot", "unrecognized descriptor: @reboot"),
    ("@every", "unrecognized descriptor: @every"),
    ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
]


@pytest.mark.parametrize("spec", ACCEPTED_CRON)
def test_cron_accepts_what_robfig_cron_accepts(spec: str):
    parse_cron(operator_spec(spec, "UTC"))
    parse_cron(spec)


@pytest.mark.parametrize(("spec", "message"), REJECTED_CRON)
def test_cron_rejects_with_robfig_cron_messages(spec: str, message: str):
    with pytest.raises(CronError) as info:
        parse_cron(operator_spec(spec, "UTC"))
    assert str(info.value) == message


def test_cron_time_zone_prefix_trims_what_a_bare_spec_does_not():
    parse_cron(operator_spec("@daily ", "UTC"))  # TrimSpace after the zone
    with pytest.raises(CronError, match="unrecognized descriptor"):
        parse_cron(operator_spec("@daily ", None))
    with pytest.raises(CronError, match="expected exactly 5 fields, found 6"):
        parse_cron(operator_spec("CRON_TZ=Europe/Paris 0 0 * * *", "UTC"))
    with pytest.raises(CronError, match="empty spec string"):
        parse_cron("")


def test_cron_time_zones():
    parse_cron(operator_spec("0 0 * * *", "Local"))
    with pytest.raises(CronError, match=r"provided bad location \.\./etc/passwd"):
        parse_cron(operator_spec("0 0 * * *", "../etc/passwd"))
    # An unknown name is only reported when the zone database can tell.
    parse_cron(operator_spec("0 0 * * *", "Nowhere/Town"), zone_exists=lambda name: None)
    with pytest.raises(CronError, match="unknown time zone Nowhere/Town"):
        parse_cron(operator_spec("0 0 * * *", "Nowhere/Town"), zone_exists=lambda name: False)


# -- Go durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("0", 0),
        ("1h30m", 5400 * 10**9),
        ("1.5s", 1_500_000_000),
        (".5ms", 500_000),
        ("-2m", -120 * 10**9),
        ("+3us", 3_000),
        ("1\u00b5s", 1_000),
        ("2h45m0.5s", (2 * 3600 + 45 * 60) * 10**9 + 500_000_000),
    ],
)
def test_go_durations(text: str, nanos: int):
    assert parse_duration(text) == nanos


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("5", 'time: missing unit in duration "5"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        (".s", 'time: invalid duration ".s"'),
        ("1h 30m", 'time: unknown unit "h " in duration "1h 30m"'),
        ("9999999999h", 'time: invalid duration "9999999999h"'),
    ],
)
def test_go_duration_errors(text: str, message: str):
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert str(info.value) == message


# -- Masterminds semver constraints ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2.x",
        "*",
        "1.2.3",
        "v1.2.3",
        ">=1.0.0 <2.0.0",
        ">=1.0.0, <2.0.0",
        ">= 1.x",
        "~1",
        "~> 1.2",
        "^1.2.3-rc.1",
        "!=1.5.0",
        "1.2 - 1.4.5",
        ">=1.0.0-rc.0",
        "1.0.0+build.5",
        "1.x || >=3.0.0",
        "=<2.0",
    ],
)
def test_constraints_new_constraint_accepts(text: str):
    check_constraint(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'improper constraint: ""'),
        ("latest", 'improper constraint: "latest"'),
        (">=1.0.0;<2.0.0", 'improper constraint: ">=1.0.0;<2.0.0"'),
        ("1.0 ||", 'improper constraint: ""'),
        ("1.0.0.0", 'improper constraint: "1.0.0.0"'),
        ("1|2", "constraint parser error"),
        ("99999999999999999999.0.0", "constraint parser error"),
    ],
)
def test_constraints_new_constraint_rejects(text: str, message: str):
    with pytest.raises(ConstraintSyntaxError) as info:
        check_constraint(text)
    assert str(info.value) == message


# -- the repository model -------------------------------------------------------------------------


def test_artifacts():
    latest = parse_artifact("oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:latest")
    assert latest is not None and latest.floating and latest.is_operator_manifests
    bare = parse_artifact("oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests")
    assert bare is not None and bare.floating and bare.tag is None
    pinned = parse_artifact("oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.52.0")
    assert pinned is not None and not pinned.floating and pinned.version == (0, 52, 0)
    digest = parse_artifact("oci://registry:5000/mirror/flux-operator-manifests@sha256:abc")
    assert digest is not None and not digest.floating and digest.tag is None
    assert digest.repository == "registry:5000/mirror/flux-operator-manifests"
    assert parse_artifact("https://example.com/manifests") is None


def test_distribution_versions_resolve_to_the_newest_known_minor():
    assert resolve("2.x") == (2, 9)
    assert resolve("*") == (2, 9)
    assert resolve(">=2.6 <2.8") == (2, 7)
    assert resolve("2.8.3") == (2, 8)
    assert resolve("2.5.x") is None
    assert resolve("${FLUX_VERSION}") is None
    assert [is_open_range(v) for v in ("2.x", "*", ">=2.8", "^2.7", "2.9.x", "~2.9", "2.9.4")] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ("0.52.0", False),
        ("v0.54.0", True),
        ("0.58.1", True),
        ("*", True),
        ("latest", True),
        ("0.52.x", False),
        (">=0.50.0", True),
        ("~0.53.0", False),
        (">=1.0.0", None),
        ("not a version", None),
    ],
)
def test_operator_versions_with_embedded_minor_selection(text: str, guarded: bool | None):
    assert Operator(text, "test", "x.yaml").guarded is guarded


# -- severities -----------------------------------------------------------------------------------


def _findings(path: Path, rules: set[str] | None = None):
    found = run(RunConfig(paths=[str(path)], check_unapplied=path.is_file())).findings
    return [
        (f.rule_id, f.line, f.column, f.severity)
        for f in found
        if rules is None or f.rule_id in rules
    ]


def test_the_floating_artifact_repository_has_exactly_these_findings():
    """Operator chart pinned to 0.52.0, FluxInstance `2.x` with the `:latest` artifact and an
    index-based CRD patch: the bootstrap failure, reported as two errors and nothing else."""
    folder = FIXTURES / "FL330" / "fail-operator-chart-pinned-0.52"
    found = run(RunConfig(paths=[str(folder)])).findings
    instance = "clusters/production/flux-system/flux-instance.yaml"
    assert [(f.path.rpartition("fail-operator-chart-pinned-0.52/")[2], f.rule_id, f.line,
             f.column, f.severity) for f in found] == [
        (instance, "FL330", 10, 15, Severity.ERROR),
        (instance, "FL332", 28, 19, Severity.ERROR),
    ]  # fmt: skip
    assert "pin it to `v0.52.0`, the flux-operator version this repository deploys" in (
        found[0].message
    )


@pytest.mark.parametrize(
    ("fixture", "rule", "severity"),
    [
        ("FL330/fail-unknown-operator.yaml", "FL330", Severity.ERROR),
        ("FL330/fail-no-tag-pinned-version.yaml", "FL330", Severity.WARNING),
        ("FL330/fail-chart-values-guarded-operator", "FL330", Severity.WARNING),
        ("FL331/fail-newer-artifact-old-operator", "FL331", Severity.ERROR),
        ("FL331/fail-older-artifact", "FL331", Severity.WARNING),
        ("FL331/fail-operator-image.yaml", "FL331", Severity.WARNING),
        ("FL332/fail-index-exists-in-pinned-minor.yaml", "FL332", Severity.WARNING),
        ("FL332/fail-receivers-removed.yaml", "FL332", Severity.ERROR),
        ("FL332/fail-operator-embeds-flux-2.8", "FL332", Severity.WARNING),
    ],
)
def test_severity_follows_what_breaks(fixture: str, rule: str, severity: Severity):
    found = _findings(FIXTURES / fixture, {rule})
    assert found and {f[3] for f in found} == {severity}
