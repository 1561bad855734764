"""The command line as ruff and yamllint users expect it: runs that should fail fail, lookups
never end in an internal error, paths are shown from where the command runs, ``--statistics``
alone, the option names people type from habit, standard input that does not walk the current
folder, a cache that writes only where it is told, and ``--fix`` that reaches its fixed point.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_cli import (
    FL101_LINE,
    FL401_LINE,
    FL401_MESSAGE,
    GIT_REPOSITORY,
    HELM_RELEASE,
    flux_lint,
    in_process,
    invoke,
    write_repo,
)

FL401_LINE_IN_APPS = f"apps/{FL401_LINE}"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree with an error in apps/git.yaml and a warning in apps/release.yaml."""
    (tmp_path / ".git").mkdir()
    return write_repo(tmp_path)


# -- a check that should fail, fails ------------------------------------------------------------


def test_named_paths_that_cannot_be_linted_fail_whatever_fail_on(repo: Path) -> None:
    os.symlink("loop", repo / "loop")
    missing = "nope:1:1: FL007 [warning] no such file or directory (skipped-path)\n"
    for extra in ([], ["--exit-zero"], ["--fail-on", "never"]):
        run = invoke("nope/", *extra, cwd=repo)
        assert (run.code, run.stdout) == (2, missing), extra
        assert run.stderr.endswith(
            "flux-lint: error: cannot lint nope/: no such file or directory\n"
        )
    loop = invoke("loop", "apps/release.yaml", "--exit-zero", cwd=repo)
    assert loop.code == 2
    assert loop.stdout == (
        f"{FL401_LINE_IN_APPS}\nloop:1:1: FL007 [warning] symlink loop (skipped-path)\n"
    )
    assert loop.stderr.endswith("flux-lint: error: cannot lint loop: symlink loop\n")
    # A process sees the same exit code (click's runner could blur it).
    assert flux_lint("apps", "nope.yaml", cwd=repo).code == 2
    assert flux_lint("apps", cwd=repo).code == 1


@contextlib.contextmanager
def denied(
    monkeypatch: pytest.MonkeyPatch, call: str, paths: set[Path]
) -> Iterator[Callable[[], int]]:
    """Make one file system function raise PermissionError for ``paths`` (as it does for a
    user without the right permissions); yields how many times it did."""
    targets = {os.path.abspath(p) for p in paths}
    hits = 0

    def failing(original: Callable[..., object]) -> Callable[..., object]:
        def wrapper(path: object, *args: object, **kwargs: object) -> object:
            nonlocal hits
            if isinstance(path, str | os.PathLike) and os.path.abspath(path) in targets:
                hits += 1
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return original(path, *args, **kwargs)

        return wrapper

    if call == "open":
        monkeypatch.setattr(os, "open", failing(os.open))
        monkeypatch.setattr(io, "open", failing(io.open))
        monkeypatch.setattr(builtins, "open", failing(builtins.open))
    else:
        monkeypatch.setattr(os, call, failing(getattr(os, call)))
    yield lambda: hits


LOOKUP_CASES = [
    # (call that fails, path it fails for, path of the FL003 finding, its message)
    ("stat", "apps/.git", "apps", "cannot look for the repository root (.git) here"),
    ("stat", "apps/.flux-lint.yaml", "apps", "cannot look for a configuration file here"),
    ("stat", "apps/.flux-lint.yml", "apps", "cannot look for a configuration file here"),
    ("stat", "apps/pyproject.toml", "apps", "cannot look for a configuration file here"),
    ("stat", ".flux-lint.yaml", ".", "cannot look for a configuration file here"),
    ("open", "pyproject.toml", "pyproject.toml", "cannot read"),
    ("open", ".flux-lint.yaml", ".flux-lint.yaml", "cannot read configuration file"),
]


@pytest.mark.parametrize(("call", "target", "where", "message"), LOOKUP_CASES)
def test_lookups_report_unreadable_paths_as_fl003(
    repo: Path, monkeypatch: pytest.MonkeyPatch, call: str, target: str, where: str, message: str
) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n')
    if target == ".flux-lint.yaml" and call == "open":
        (repo / ".flux-lint.yaml").write_text("ignore: [FL401]\n")
    with denied(monkeypatch, call, {repo / target}) as hits:
        run = in_process("apps", cwd=repo)
    assert hits() >= 1
    assert "internal error" not in run.stderr
    expected = f"{where}:1:1: FL003 [error] {message}: permission denied (unreadable-file)"
    assert sorted(run.stdout.splitlines()) == sorted([FL101_LINE, FL401_LINE_IN_APPS, expected])
    assert run.code == 1


def test_named_file_that_cannot_be_opened_is_fl003_and_exit_2(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with denied(monkeypatch, "open", {repo / "apps" / "git.yaml"}):
        run = in_process("apps/git.yaml", "--exit-zero", cwd=repo)
    assert run.stdout == "apps/git.yaml:1:1: FL003 [error] permission denied (unreadable-file)\n"
    assert run.stderr.endswith(
        "flux-lint: error: cannot lint apps/git.yaml: cannot read: permission denied\n"
    )
    assert run.code == 2


def test_unsearchable_named_folder_never_raises(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chmod 000 apps; flux-lint apps` as a non-root user: every call for a name inside the
    folder fails; the run reports the folder and fails, without an internal error."""
    inside = {repo / "apps" / name for name in (".git", ".flux-lint.yaml", ".flux-lint.yml")}
    inside |= {repo / "apps" / "pyproject.toml"}
    with denied(monkeypatch, "stat", inside), denied(monkeypatch, "scandir", {repo / "apps"}):
        run = in_process("apps", cwd=repo)
    assert "internal error" not in run.stderr
    assert run.stdout.splitlines() == [
        "apps:1:1: FL007 [warning] cannot read directory: permission denied (skipped-path)"
    ]
    assert run.stderr.endswith(
        "flux-lint: error: cannot lint apps: cannot read directory: permission denied\n"
    )
    assert run.code == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_chmod_unreadable_folder_and_config(repo: Path) -> None:
    (repo / ".flux-lint.yaml").write_text("ignore: [FL401]\n")
    (repo / ".flux-lint.yaml").chmod(0)
    (repo / "locked").mkdir()
    (repo / "locked").chmod(0)
    try:
        run = flux_lint("apps", "locked", cwd=repo)
    finally:
        (repo / "locked").chmod(0o755)
        (repo / ".flux-lint.yaml").chmod(0o644)
    assert "internal error" not in run.stderr
    assert run.code == 2
    assert run.stdout.splitlines()[0] == (
        ".flux-lint.yaml:1:1: FL003 [error] cannot read configuration file: permission denied "
        "(unreadable-file)"
    )


# -- how paths and statistics are shown --------------------------------------------------------


def test_paths_are_relative_to_the_current_folder(repo: Path) -> None:
    here = repo / "apps"
    text = invoke(".", cwd=here)
    assert text.stdout.splitlines() == [FL101_LINE.removeprefix("apps/"), FL401_LINE]
    findings = json.loads(invoke(".", "--output-format", "json", cwd=here).stdout)["findings"]
    assert [f["path"] for f in findings] == ["git.yaml", "release.yaml"]
    github = invoke(".", "--format", "github", cwd=here).stdout
    assert github.startswith("::error file=git.yaml,line=11,")
    sarif = json.loads(invoke(".", "--format", "sarif", cwd=here).stdout)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]
    assert uris == ["apps/git.yaml", "apps/release.yaml"]  # %SRCROOT%-relative
    (repo / "other").mkdir()
    outside = invoke(str(repo / "apps" / "release.yaml"), cwd=repo / "other")
    assert outside.stdout == f"{repo}/{FL401_LINE_IN_APPS}\n"  # not below: absolute


def test_quiet_never_hides_what_was_asked_for(repo: Path) -> None:
    table = "1  FL101  unknown-field\n1  FL401  post-render-strategy-default\n"
    run = flux_lint("-q", "--statistics", "--no-progress", cwd=repo)
    assert (run.code, run.stdout, run.stderr) == (1, table, "")
    diff = invoke("-q", "--diff", "--select", "FL401", "--unsafe-fixes", cwd=repo)
    assert diff.stdout.startswith("--- a/apps/release.yaml\n")


# -- habits: aliases and standard input ----------------------------------------------------------


def test_aliases(repo: Path) -> None:
    version = flux_lint("-V", cwd=repo)
    assert (version.code, version.stdout.startswith("flux-lint ")) == (0, True)
    assert flux_lint("--exit-zero", cwd=repo).code == 0
    same = invoke("--output-format", "json", cwd=repo).stdout
    assert same == invoke("--format", "json", cwd=repo).stdout
    clash = in_process("--exit-zero", "--fail-on", "warning", cwd=repo)
    assert (clash.code, clash.stderr) == (
        2,
        "flux-lint: error: --exit-zero and --fail-on cannot be used together\n",
    )


def test_stdin_filename_places_standard_input(repo: Path) -> None:
    (repo / ".flux-lint.yaml").write_text('per-file-ignores: {"apps/git.yaml": [FL104]}\n')
    text = GIT_REPOSITORY.replace("interval: 5m", "interval: 5 minutes")
    run = flux_lint("--stdin-filename", "apps/git.yaml", cwd=repo, stdin=text.encode())
    # The finding carries the path; per-file-ignores apply as for that file (FL104 is gone).
    assert (run.code, run.stdout) == (1, FL101_LINE + "\n")
    inside = flux_lint("--stdin-filename", "git.yaml", "-", cwd=repo / "apps", stdin=text.encode())
    assert inside.stdout == FL101_LINE.removeprefix("apps/") + "\n"
    # Standard input stands in for the file on disk when both are linted.
    both = invoke("--stdin-filename", "apps/git.yaml", "-", "apps", cwd=repo, stdin=b"a: 1\n")
    assert both.stdout == f"{FL401_LINE_IN_APPS}\n"
    usage = in_process("--stdin-filename", "x.yaml", "apps", cwd=repo)
    assert usage.stderr == (
        "flux-lint: error: --stdin-filename names standard input: add `-` to the paths\n"
    )
    # --fix never writes the file standard input stands for; the fixed text goes to stdout.
    old = GIT_REPOSITORY.replace("source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2")
    fixed = flux_lint("--fix", "--stdin-filename", "apps/git.yaml", cwd=repo, stdin=old.encode())
    assert fixed.stdout == GIT_REPOSITORY
    assert (repo / "apps" / "git.yaml").read_text() == GIT_REPOSITORY


def test_stdin_does_not_walk_the_current_folder(tmp_path: Path) -> None:
    """`flux-lint -` reads standard input only: a pinned Flux version in a file of the current
    folder is not taken as --from, and a huge folder costs nothing."""
    (tmp_path / "flux.yaml").write_text(
        "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
        "  namespace: flux-system\nspec:\n  distribution:\n    version: 2.6.0\n"
        "    registry: ghcr.io/fluxcd\n"
    )
    for index in range(300):
        (tmp_path / f"d{index}").mkdir()
        (tmp_path / f"d{index}" / "x.yaml").write_text("a: 1\n")
    started = time.perf_counter()
    run = flux_lint("-", cwd=tmp_path, stdin=HELM_RELEASE.encode())
    assert time.perf_counter() - started < 20
    assert run.stdout == f"-:14:3: FL401 [warning] {FL401_MESSAGE} (post-render-strategy-default)\n"
    assert "FluxInstance" not in run.stderr and "upgrade report" not in run.stderr
    assert "in 1 file" in run.stderr


# -- --fix reaches the fixed point ----------------------------------------------------------------

FLUX_INSTANCE_SUPPRESSED = """\
# flux-lint: disable-file=all
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.x"
    registry: ghcr.io/fluxcd
"""


def test_one_fix_run_reaches_the_fixed_point_across_files(repo: Path) -> None:
    """Bumping b.yaml leaves a.yaml's suppression with nothing to suppress; the same run
    removes it, and a second run has nothing left to do."""
    for name in ("git.yaml", "release.yaml"):
        (repo / "apps" / name).unlink()
    (repo / "a.yaml").write_text(FLUX_INSTANCE_SUPPRESSED)
    old = GIT_REPOSITORY.replace("/v1\n", "/v1beta2\n", 1).replace("  timout: 60s\n", "")
    (repo / "b.yaml").write_text(old)
    before = flux_lint("--no-cache", cwd=repo)
    # The GitRepository in b.yaml is removed API at first (not validated), then a Flux object.
    schemas = "Schemas: 1 object by Flux, 1 by catalog flux-operator\n"
    assert before.stderr.endswith(
        "1 fixable with `--fix`\nSchemas: 1 object by catalog flux-operator\n"
    )
    first = flux_lint("--fix", "--no-cache", cwd=repo)
    assert (first.code, first.stdout) == (0, "")
    assert first.stderr == (
        "Fixed 2 problems in 2 files\nAll checks passed: 2 files, 2 objects\n" + schemas
    )
    assert (repo / "a.yaml").read_text() == FLUX_INSTANCE_SUPPRESSED.split("\n", 1)[1]
    assert (repo / "b.yaml").read_text() == old.replace("/v1beta2\n", "/v1\n", 1)
    second = invoke("--fix", "--no-cache", cwd=repo)
    assert (second.code, second.stdout, second.stderr) == (
        0,
        "",
        "All checks passed: 2 files, 2 objects\n" + schemas,
    )


def test_summary_after_a_fix_run_offers_no_fix_it_could_not_apply() -> None:
    from flux_lint.core.findings import Finding, Fix, Severity, Span
    from flux_lint.report.output import RunSummary
    from flux_lint.report.output.text import text_summary

    def finding(safe: bool) -> Finding:
        fix = Fix("bump", (), safe=safe)
        return Finding(
            "FL301", "removed-api-version", Severity.ERROR, "m", "a.yaml", Span(1, 1, 1, 2), fix=fix
        )

    findings = [finding(True), finding(False)]
    summary = RunSummary(files=1)
    assert text_summary(findings, summary).endswith(
        "1 fixable with `--fix` (1 more with `--unsafe-fixes`)\n"
    )
    assert text_summary(findings, summary, fixed=True).endswith(
        "By rule: FL301 ×2\n1 fixable with `--unsafe-fixes`\n"
    )
    assert text_summary(findings, summary, fixed=True, fixed_unsafe=True).endswith(
        "By rule: FL301 ×2\n"
    )


# -- the cache ---------------------------------------------------------------------------------


def test_cache_clean_removes_flux_lint_files_only(repo: Path) -> None:
    cache = repo.parent / "cache"
    env = {"HOME": str(repo.parent / "home"), "XDG_CACHE_HOME": ""}
    assert flux_lint("--cache-dir", str(cache), "apps", cwd=repo, env=env).code == 1
    written = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())
    assert "key" in written and any(name.endswith(".pack") for name in written)
    (cache / "notes.txt").write_text("not flux-lint's\n")
    where = flux_lint("cache", "dir", "--cache-dir", str(cache), cwd=repo, env=env)
    assert where.stdout == f"{cache}\n"
    cleaned = flux_lint("cache", "clean", "--cache-dir", str(cache), cwd=repo, env=env)
    assert cleaned.code == 0
    assert cleaned.stdout.startswith(f"removed {len(written)} files (")
    assert cleaned.stdout.endswith(f" bytes) from {cache}\n")
    assert sorted(p.name for p in cache.rglob("*")) == ["notes.txt"]
    (cache / "notes.txt").unlink()
    again = flux_lint("clean", "--cache-dir", str(cache), cwd=repo, env=env)
    assert (again.code, again.stdout) == (0, f"nothing to remove in {cache}\n")
    assert not cache.exists()
    default = flux_lint("cache", "dir", cwd=repo, env=env)
    assert default.stdout == f"{repo.parent / 'home' / '.cache' / 'flux-lint'}\n"


KUSTOMIZATION_WITH_CEL = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  healthCheckExprs:
    - apiVersion: example.com/v1
      kind: Widget
      current: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')"
"""


def test_no_cache_writes_nothing_and_cache_dir_only_there(repo: Path) -> None:
    """Under a fresh HOME: `--no-cache` leaves no file anywhere (no key, no CEL parser
    tables), `--cache-dir DIR` writes only below DIR, the default goes to ~/.cache/flux-lint."""
    (repo / "ks.yaml").write_text(KUSTOMIZATION_WITH_CEL)
    home = repo.parent / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": ""}

    def written(folder: Path) -> list[str]:
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())

    before = written(repo)
    assert flux_lint("--no-cache", cwd=repo, env=env).code == 1
    assert (written(home), written(repo)) == ([], before)
    cache = repo.parent / "elsewhere"
    assert flux_lint("--cache-dir", str(cache), cwd=repo, env=env).code == 1
    assert (written(home), written(repo)) == ([], before)
    inside = written(cache)
    assert "key" in inside
    # The parser tables are written there unless the package ships them (check/cel/seed.py).
    from flux_lint.check.cel import parser_cache, seed

    shipped = seed.parser_tables(parser_cache.parser_name()) is not None
    tables = any(name.startswith("cel-parser-") and name.endswith(".bin") for name in inside)
    assert tables is not shipped
    assert any(name.endswith(".pack") for name in inside)
    assert flux_lint(cwd=repo, env=env).code == 1
    assert {name.split("/")[-1].split("-")[0] for name in written(home)} >= {"key"}
    assert all(name.startswith(".cache/flux-lint/") for name in written(home))
