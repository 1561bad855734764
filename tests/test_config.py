"""Configuration files: where they are found, every key, every error with its position,
``extends``, and how the settings reach a run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flux_lint.check.engine import RunConfig
from flux_lint.check.registry import builtin_registry
from flux_lint.config import (
    Config,
    ConfigError,
    PathMatcher,
    apply_per_file_ignores,
    find_config,
    load,
    load_for_run,
    rebase,
    resolve_rules,
    with_severities,
)
from flux_lint.core.findings import Severity, Suppression
from flux_lint.run.pipeline import run

REGISTRY = builtin_registry()

GIT_REPOSITORY = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 5m
  url: https://github.com/example/app
  timout: 60s
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repository that is also the current folder (error messages name files
    relative to it)."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path, root: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load(path, root)
    return str(info.value)


# -- finding the file -------------------------------------------------------------------------


def test_found_walking_up_to_the_repository_root(repo: Path):
    config = _write(repo / ".flux-lint.yaml", "fail-on: warning\n")
    (repo / "apps" / "base").mkdir(parents=True)
    assert find_config(repo / "apps" / "base", repo) == config
    assert load_for_run(["apps/base"], config_file=None, no_config=False).fail_on == "warning"
    assert load_for_run(["apps/base"], config_file=None, no_config=True) == Config()


def test_not_found_above_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _write(tmp_path / ".flux-lint.yaml", "fail-on: warning\n")
    inner = tmp_path / "checkout"
    (inner / ".git").mkdir(parents=True)
    monkeypatch.chdir(inner)
    assert find_config(inner, inner) is None
    assert load_for_run(["."], config_file=None, no_config=False) == Config()


def test_which_file_wins_in_one_folder(repo: Path):
    _write(repo / "pyproject.toml", '[tool.flux-lint]\nfail-on = "note"\n')
    assert find_config(repo, repo) == repo / "pyproject.toml"
    _write(repo / ".flux-lint.yml", "fail-on: warning\n")
    assert find_config(repo, repo) == repo / ".flux-lint.yml"
    _write(repo / ".flux-lint.yaml", "fail-on: error\n")
    assert find_config(repo, repo) == repo / ".flux-lint.yaml"


def test_nearest_file_wins_and_pyproject_without_the_table_does_not_count(repo: Path):
    _write(repo / ".flux-lint.yaml", "fail-on: warning\n")
    _write(repo / "apps" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_config(repo / "apps", repo) == repo / ".flux-lint.yaml"
    _write(repo / "apps" / ".flux-lint.yml", "fail-on: note\n")
    assert find_config(repo / "apps", repo) == repo / "apps" / ".flux-lint.yml"


def test_explicit_config_file(repo: Path):
    _write(repo / "ci" / "lint.yaml", "fail-on: never\n")
    assert load_for_run(["."], config_file="ci/lint.yaml", no_config=False).fail_on == "never"
    with pytest.raises(ConfigError, match=r"^nope\.yaml: no such configuration file$"):
        load_for_run(["."], config_file="nope.yaml", no_config=False)


# -- every key ------------------------------------------------------------------------------------

FULL = """\
select: [FL1, FL3, FL5]
ignore: FL105, missing-dependency
severity:
  FL302: error
  unknown-field: warning
  FL4: off
exclude:
  - legacy/
  - "*.enc.yaml"
per-file-ignores:
  "tests/**": [FL101, FL5]
flux-version: 2.10
from: none
crds: [crds/, extra/cert-manager.yaml]
rules: policies
fail-on: warning
references:
  external: [GitRepository/flux-system/tenants]
  externalNamespaces: [platform-*]
  repositorySources: [fleet]
apiVersions:
  - group: example.com
    kind: Widget
    version: v1alpha1
    removedIn: 2.9
    replacement: example.com/v1
"""


def test_every_key(repo: Path):
    config = load(_write(repo / ".flux-lint.yaml", FULL), repo)
    assert [s.text for s in config.select or []] == ["FL1", "FL3", "FL5"]
    assert [(s.text, s.where) for s in config.ignore or []] == [
        ("FL105", ".flux-lint.yaml:2:9"),
        ("missing-dependency", ".flux-lint.yaml:2:9"),
    ]
    assert [(s.text, level) for s, level in config.severity] == [
        ("FL302", "error"),
        ("unknown-field", "warning"),
        ("FL4", "off"),  # `off` is a string, not YAML 1.1's false
    ]
    assert config.exclude == ["legacy/", "*.enc.yaml"]
    assert [(g, [s.text for s in r]) for g, r in config.per_file_ignores] == [
        ("tests/**", ["FL101", "FL5"])
    ]
    assert config.flux_version == "2.10"  # not the float 2.1
    assert config.from_version == "none"
    assert config.crds == [repo / "crds", repo / "extra" / "cert-manager.yaml"]
    assert config.rules == [repo / "policies"]
    assert config.fail_on == "warning"
    assert config.options() == {
        "references": {
            "external": ["GitRepository/flux-system/tenants"],
            "externalNamespaces": ["platform-*"],
            "repositorySources": ["fleet"],
        },
        "apiVersions": [
            {
                "group": "example.com",
                "kind": "Widget",
                "version": "v1alpha1",
                "removedIn": "2.9",
                "replacement": "example.com/v1",
            }
        ],
    }
    rules = resolve_rules(config, REGISTRY)
    assert "FL101" in rules.enabled and "FL105" not in rules.enabled
    assert "FL502" not in rules.enabled and "FL501" in rules.enabled
    assert not any(rid.startswith(("FL0", "FL2", "FL4")) for rid in rules.enabled)
    assert rules.severities == {"FL302": Severity.ERROR, "FL101": Severity.WARNING}


def test_empty_file_is_the_defaults(repo: Path):
    config = load(_write(repo / ".flux-lint.yaml", "# nothing yet\n"), repo)
    assert (config.select, config.fail_on, config.exclude) == (None, None, [])
    assert resolve_rules(config, REGISTRY).enabled == set(REGISTRY.rules)


def test_pyproject_table(repo: Path):
    text = """\
[project]
name = "gitops"

[tool.flux-lint]
select = ["FL1"]
fail-on = "warning"
exclude = ["legacy/"]

[tool.flux-lint.severity]
FL101 = "note"

[tool.flux-lint.per-file-ignores]
"tests/**" = ["FL105"]
"""
    config = load(_write(repo / "pyproject.toml", text), repo)
    assert [s.where for s in config.select or []] == ["pyproject.toml:5:1"]
    assert config.fail_on == "warning"
    assert config.exclude == ["legacy/"]
    assert [(s.text, s.where, level) for s, level in config.severity] == [
        ("FL101", "pyproject.toml:10:1", "note")
    ]
    assert [g for g, _ in config.per_file_ignores] == ["tests/**"]


def test_pyproject_errors_have_positions(repo: Path):
    path = _write(repo / "pyproject.toml", '[tool.flux-lint]\nfail-on = "warning"\nselct = []\n')
    assert _error(path, repo) == "pyproject.toml:3:1: unknown key `selct` (did you mean `select`?)"
    path = _write(repo / "pyproject.toml", '[tool.flux-lint.severity]\n  FL101 = "loud"\n')
    assert _error(path, repo) == (
        "pyproject.toml:2:3: `severity` of `FL101` must be one of `error`, `warning`, `note`, "
        "`off`, got `loud`"
    )
    path = _write(repo / "pyproject.toml", "[tool.flux-lint]\nflux-version = 2.9\n")
    assert _error(path, repo) == (
        'pyproject.toml:2:1: `flux-version` must be a quoted version such as "2.9"'
    )
    path = _write(repo / "pyproject.toml", "[tool.flux-lint]\nselect = [1,,]\n")
    assert _error(path, repo) == "pyproject.toml:2:13: Invalid value"
    path = _write(repo / "pyproject.toml", "[tool.flux-lint]\nselect = [\n")
    assert _error(path, repo).startswith("pyproject.toml:3:1: ")


def test_pyproject_without_a_toml_reader_is_skipped_with_a_note(
    repo: Path, monkeypatch: pytest.MonkeyPatch
):
    """Python 3.10 has no tomllib; without tomli the table is skipped, never misread."""
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", None)
    config = load(_write(repo / "pyproject.toml", '[tool.flux-lint]\nfail-on = "note"\n'), repo)
    assert config.fail_on is None
    assert config.notes == [
        "pyproject.toml: [tool.flux-lint] skipped: reading TOML needs Python 3.11 or the "
        "`tomli` package"
    ]


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select: [FL1]\nselct: [FL2]\n", "2:1: unknown key `selct` (did you mean `select`?)"),
        ("fail-on: warning\nfoo: 1\n", "2:1: unknown key `foo`"),
        (
            "fail-on: loud\n",
            "1:10: `fail-on` must be one of `error`, `warning`, `note`, `never`, got `loud`",
        ),
        (
            "severity:\n  FL101: loud\n",
            "2:10: `severity` of `FL101` must be one of `error`, `warning`, `note`, `off`, "
            "got `loud`",
        ),
        ("severity: [FL101]\n", "1:11: `severity` must be a mapping, got a list"),
        ("select: {FL1: yes}\n", "1:9: `select` must be a list of strings, got a mapping"),
        ("exclude: [1, [a]]\n", "1:14: each item of `exclude` must be a string, got a list"),
        ("flux-version: 3.0\n", "1:15: `flux-version`: Flux 3.0 is not supported (only Flux 2.x)"),
        (
            "flux-version: latest\n",
            "1:15: `flux-version`: not a Flux version: 'latest' (expected e.g. 2.9)",
        ),
        ("from: \n", "1:6: `from` must be a string, got nothing"),
        (
            "references:\n  externals: []\n",
            "2:3: unknown key `references.externals` (did you mean `external`?)",
        ),
        (
            "references:\n  external: Secret/x\n",
            "2:13: `references.external` must be a list of strings, got `Secret/x`",
        ),
        (
            "apiVersions:\n  - group: example.com\n    kind: widget\n    version: v1\n",
            "2:5: `apiVersions` row 1 (example.com v1 widget): `kind` must be a kind such as "
            "HelmRelease, got 'widget'",
        ),
        ("apiVersions: {}\n", "1:14: `apiVersions` must be a list of rows, got a mapping"),
        (
            "extends: nope.yaml\n",
            "1:10: `extends`: no such file `nope.yaml` (or use `recommended`, `strict`)",
        ),
        ("fail-on: warning\nfail-on: note\n", "2:1: duplicate key `fail-on`"),
        ("select: [FL1\n", "2:1: "),
        ("- select\n", "1:1: the configuration must be a mapping of settings"),
        (
            "fail-on: note\n---\nfail-on: error\n",
            "3:1: a configuration file holds one YAML document",
        ),
    ],
)
def test_errors_name_file_line_and_column(repo: Path, text: str, message: str):
    error = _error(_write(repo / ".flux-lint.yaml", text), repo)
    assert error.startswith(f".flux-lint.yaml:{message}"), error


def test_unknown_rules_are_reported_where_they_are_written(repo: Path):
    config = load(_write(repo / ".flux-lint.yaml", "ignore:\n  - FL101\n  - unknwn-field\n"), repo)
    with pytest.raises(ConfigError) as info:
        resolve_rules(config, REGISTRY)
    assert str(info.value) == (
        ".flux-lint.yaml:3:5: unknown rule `unknwn-field` (see `flux-lint rules`)"
    )
    config = load(_write(repo / ".flux-lint.yaml", "per-file-ignores:\n  a/: [FL999]\n"), repo)
    with pytest.raises(ConfigError, match=r"^\.flux-lint\.yaml:2:8: unknown rule `FL999`"):
        resolve_rules(config, REGISTRY)


def test_config_file_in_another_folder_is_shown_with_its_path(repo: Path):
    path = _write(repo / "ci" / "lint.yaml", "fail-on: loud\n")
    assert _error(path, repo).startswith("ci/lint.yaml:1:10: ")


# -- extends ------------------------------------------------------------------------------------


def test_extends_strict(repo: Path):
    # Two rules that report notes by default, so that the preset has something to change.
    registry = with_severities(REGISTRY, {"FL302": Severity.NOTE, "FL305": Severity.NOTE})
    config = load(_write(repo / ".flux-lint.yaml", "extends: strict\n"), repo)
    assert config.fail_on == "warning"
    rules = resolve_rules(config, registry)
    # and every built-in rule whose default is a note
    notes = {r.id: Severity.WARNING for r in REGISTRY.rules.values() if r.severity == Severity.NOTE}
    assert {rid: s for rid, s in rules.severities.items()} == {
        **notes,
        "FL302": Severity.WARNING,
        "FL305": Severity.WARNING,
    }
    own = "extends: strict\nfail-on: error\nseverity:\n  FL305: note\n"
    config = load(_write(repo / ".flux-lint.yaml", own), repo)
    assert config.fail_on == "error"
    assert resolve_rules(config, registry).severities == {**notes, "FL302": Severity.WARNING}


def test_extends_recommended_is_the_defaults(repo: Path):
    config = load(_write(repo / ".flux-lint.yaml", "extends: recommended\n"), repo)
    assert resolve_rules(config, REGISTRY).enabled == set(REGISTRY.rules)
    assert (config.fail_on, resolve_rules(config, REGISTRY).severities) == (None, {})


def test_extends_a_file_merges(repo: Path):
    _write(
        repo / "shared" / "base.yaml",
        "select: [FL1]\nignore: [FL105]\nexclude: [vendor/]\nseverity:\n  FL101: note\n"
        "  FL102: note\nreferences:\n  external: [Secret/a]\n  externalNamespaces: [x]\n"
        "fail-on: note\n",
    )
    main = _write(
        repo / ".flux-lint.yaml",
        "extends: shared/base.yaml\nignore: [FL106]\nexclude: [legacy/]\n"
        "severity:\n  FL101: error\nreferences:\n  external: [Secret/b]\n",
    )
    config = load(main, repo)
    assert config.files == [main, repo / "shared" / "base.yaml"]
    assert [s.text for s in config.select or []] == ["FL1"]  # from the base
    assert [s.text for s in config.ignore or []] == ["FL106"]  # replaced
    assert config.exclude == ["shared/**/vendor/", "legacy/"]  # added; relative to their file
    assert config.references == {"external": ["Secret/b"], "externalNamespaces": ["x"]}
    assert config.fail_on == "note"
    # FL101 is back at its default (error), so only FL102 differs from the rule's default.
    assert resolve_rules(config, REGISTRY).severities == {"FL102": Severity.NOTE}


def test_extends_loop(repo: Path):
    _write(repo / "a.yaml", "extends: b.yaml\n")
    _write(repo / "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ConfigError, match=r"`extends` loops: a\.yaml → b\.yaml → .*a\.yaml"):
        load(repo / "a.yaml", repo)


# -- rules ------------------------------------------------------------------------------------


def test_cli_select_starts_over_and_cli_ignore_adds(repo: Path):
    config = load(
        _write(
            repo / ".flux-lint.yaml", "select: [FL1]\nignore: [FL101]\nseverity:\n  FL102: off\n"
        ),
        repo,
    )
    from_file = resolve_rules(config, REGISTRY).enabled
    assert "FL101" not in from_file and "FL102" not in from_file and "FL103" in from_file
    flags = resolve_rules(config, REGISTRY, cli_select={"FL101", "FL102", "FL301"})
    assert flags.enabled == {"FL101", "FL102", "FL301"}
    more = resolve_rules(config, REGISTRY, cli_ignore={"FL103"})
    assert more.enabled == from_file - {"FL103"}


def test_narrower_severity_wins(repo: Path):
    config = load(
        _write(repo / ".flux-lint.yaml", "severity:\n  FL301: error\n  FL3: off\n  all: note\n"),
        repo,
    )
    rules = resolve_rules(config, REGISTRY)
    assert "FL301" in rules.enabled
    assert not {"FL302", "FL303"} & rules.enabled
    assert rules.severities["FL101"] == Severity.NOTE
    assert "FL301" not in rules.severities  # error is its default already


# -- globs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "prefix", "expected"),
    [
        ("legacy/", "", "legacy/"),
        ("legacy/", "apps/", "apps/**/legacy/"),
        ("*.enc.yaml", "apps/", "apps/**/*.enc.yaml"),
        ("base/x.yaml", "apps/", "apps/base/x.yaml"),
        ("/x.yaml", "apps/", "apps/x.yaml"),
        ("!keep.yaml", "apps/", "!apps/**/keep.yaml"),
    ],
)
def test_rebase(pattern: str, prefix: str, expected: str):
    assert rebase(pattern, prefix) == expected


def test_path_matcher():
    matches = PathMatcher(["tests/", "*.enc.yaml"])
    assert matches("tests/a/b.yaml")
    assert matches("apps/secret.enc.yaml")
    assert not matches("apps/tests.yaml")
    assert not matches("-")


def test_per_file_ignores_mark_findings_as_config_suppressions(repo: Path):
    _write(repo / "apps" / "git.yaml", GIT_REPOSITORY)
    _write(repo / "tests" / "git.yaml", GIT_REPOSITORY)
    config = load(
        _write(repo / ".flux-lint.yaml", "per-file-ignores:\n  tests/: [unknown-field]\n"), repo
    )
    result = run(RunConfig(paths=[str(repo)]))
    apply_per_file_ignores(config, REGISTRY, result.findings)
    assert [(f.path, f.rule_id, f.suppression) for f in result.findings] == [
        ("apps/git.yaml", "FL101", None),
        ("tests/git.yaml", "FL101", Suppression("config", "per-file-ignores `tests/`")),
    ]


# -- options reach the rules --------------------------------------------------------------------

KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tenants
  namespace: flux-system
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: tenants
  path: ./
  prune: true
"""

WIDGET = "apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: w\n"


def test_references_and_api_versions_reach_the_rules(repo: Path):
    _write(repo / "ks.yaml", KUSTOMIZATION)
    _write(repo / "widget.yaml", WIDGET)
    before = run(RunConfig(paths=[str(repo)]))
    assert [f.rule_id for f in before.findings] == ["FL501"]
    config = load(_write(repo / ".flux-lint.yaml", FULL), repo)
    after = run(RunConfig(paths=[str(repo)], options=config.options()))
    assert [(f.path, f.rule_id, f.message) for f in after.findings] == [
        (
            "widget.yaml",
            "FL301",
            "Widget `example.com/v1alpha1` was removed in Flux 2.9; use `example.com/v1`",
        )
    ]


def test_the_documented_examples_are_valid(repo: Path):
    docs = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(
        encoding="utf-8"
    )
    yaml_example = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    toml_example = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    config = load(_write(repo / ".flux-lint.yaml", yaml_example), repo)
    rules = resolve_rules(config, REGISTRY)
    assert config.fail_on == "warning" and "FL402" not in rules.enabled
    assert rules.severities["FL302"] == Severity.ERROR
    config = load(_write(repo / "pyproject.toml", toml_example), repo)
    severities = resolve_rules(config, REGISTRY).severities
    # (``strict`` also raises the rules whose default is a note)
    own = {rid: s for rid, s in severities.items() if REGISTRY.rules[rid].severity != Severity.NOTE}
    assert own == {"FL302": Severity.ERROR}
