"""The pre-commit hooks (``.pre-commit-hooks.yaml``), run by the real ``pre-commit``.

The test uses the hooks the way a user's ``.pre-commit-config.yaml`` does (``repo:`` + ``rev:``),
against a snapshot of this checkout committed to a temporary git repository. Why a snapshot
rather than ``pre-commit try-repo`` on the checkout itself:

* ``try-repo`` clones the repository at ``HEAD`` and adds only *tracked* changes (``git add
  -u``): a new module or hook file that is not committed yet would be missing, so a working tree
  would test stale code. The snapshot holds the working tree as it is (tracked and untracked
  files, minus what ``.gitignore`` excludes); in a fresh CI clone that is exactly ``HEAD``.
* ``try-repo`` makes a new pre-commit store for every call, so each call installs the hook
  environment again (a pip install of flux-lint and its dependencies, most of the test's time).
  With a config file and one ``PRE_COMMIT_HOME``, the environment is installed once and the
  failing run, the fix and the passing run reuse it.

The hook environment is installed by pre-commit with pip, from the package index.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
DOCS = ROOT / "docs" / "integrations.md"

REMOVED_API = """\
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  url: https://stefanprodan.github.io/podinfo
"""

#: Folders never worth copying when the checkout is not a git repository (an sdist).
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", ".*_cache", ".hypothesis", "dist", "build"
)


def _pre_commit_available() -> None:
    """pre-commit comes with the `test` extra. Without it the test is skipped on a developer
    machine, but never in CI, where a skip would hide that the hooks went untested."""
    if importlib.util.find_spec("pre_commit") is None:
        if os.environ.get("CI"):
            pytest.fail("pre-commit is not installed; install the `test` extra")
        pytest.skip("pre-commit is not installed (it comes with the `test` extra)")


def _env(tmp: Path) -> dict[str, str]:
    """Environment for git and pre-commit: a store in ``tmp``, a fixed identity, and no user
    or system git config (signing, hooks, templates would change what the commands do)."""
    empty_config = tmp / "gitconfig"
    empty_config.write_text("", encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")
        and not k.startswith(("GIT_", "PRE_COMMIT"))
    }
    env.update(
        PRE_COMMIT_HOME=str(tmp / "store"),
        PRE_COMMIT_COLOR="never",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(empty_config),
        GIT_AUTHOR_NAME="flux-lint tests",
        GIT_AUTHOR_EMAIL="tests@flux-lint.invalid",
        GIT_COMMITTER_NAME="flux-lint tests",
        GIT_COMMITTER_EMAIL="tests@flux-lint.invalid",
    )
    return env


def _git(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _source_files(env: dict[str, str]) -> list[str] | None:
    """The checkout's files as git sees them (tracked or untracked, not ignored), or ``None``
    when it is not a git work tree."""
    if not (ROOT / ".git").exists():
        return None
    out = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT, env)
    return [name for name in out.split("\0") if name]


def _snapshot(dest: Path, env: dict[str, str]) -> str:
    """Commit the working tree of this checkout into ``dest``; return the commit id."""
    files = _source_files(env)
    if files is None:
        shutil.copytree(ROOT, dest, ignore=_NOT_SOURCE)
    else:
        for name in files:
            source = ROOT / name
            if not source.is_file():  # deleted but not staged, or a submodule
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(["init", "-q"], dest, env)
    _git(["add", "-A"], dest, env)
    _git(["commit", "-q", "--no-verify", "-m", "snapshot"], dest, env)
    return _git(["rev-parse", "HEAD"], dest, env).strip()


def _pre_commit(
    args: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_hook_manifest_is_valid() -> None:
    _pre_commit_available()
    proc = _pre_commit(["validate-manifest", str(HOOKS_FILE)], ROOT, dict(os.environ))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = {hook["id"]: hook for hook in YAML(typ="safe").load(HOOKS_FILE.read_text())}
    assert set(hooks) == {"flux-lint", "flux-lint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["types"] == ["yaml"]
        assert hook["require_serial"] is True
    assert hooks["flux-lint"]["entry"] == "flux-lint"
    assert hooks["flux-lint-fix"]["entry"] == "flux-lint --fix"


def test_docs_config_is_valid(tmp_path: Path) -> None:
    _pre_commit_available()
    text = DOCS.read_text(encoding="utf-8")
    configs = [block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if "repos:" in block]
    assert configs, "docs/integrations.md has no .pre-commit-config.yaml example"
    for index, block in enumerate(configs):
        config = tmp_path / f"config-{index}.yaml"
        config.write_text(block, encoding="utf-8")
        proc = _pre_commit(["validate-config", str(config)], tmp_path, dict(os.environ))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        ids = {
            hook["id"] for repo in YAML(typ="safe").load(block)["repos"] for hook in repo["hooks"]
        }
        assert ids <= {"flux-lint", "flux-lint-fix"}


@pytest.mark.slow
def test_hooks_fail_fix_and_pass(tmp_path: Path) -> None:
    _pre_commit_available()
    env = _env(tmp_path)
    rev = _snapshot(tmp_path / "flux-lint", env)

    work = tmp_path / "gitops"
    (work / "infra").mkdir(parents=True)
    (work / "infra" / "podinfo.yaml").write_text(REMOVED_API, encoding="utf-8")
    (work / "apps.yaml").write_text("# nothing yet\n", encoding="utf-8")
    (work / "README.md").write_text("GitOps\n", encoding="utf-8")
    (work / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {tmp_path / 'flux-lint'}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: flux-lint\n"
        "      - id: flux-lint-fix\n",
        encoding="utf-8",
    )
    _git(["init", "-q"], work, env)
    _git(["add", "-A"], work, env)

    # The first run installs the hook environment; the finding fails the hook.
    lint = _pre_commit(["run", "flux-lint", "--all-files"], work, env)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert re.search(r"^flux-lint\.+Failed$", lint.stdout, re.M), lint.stdout
    assert "infra/podinfo.yaml:1:13: FL301 [error]" in lint.stdout

    # The whole repository is linted even when only another YAML file changed...
    other = _pre_commit(["run", "flux-lint", "--files", "apps.yaml"], work, env)
    assert other.returncode == 1, other.stdout + other.stderr
    assert "infra/podinfo.yaml:1:13: FL301" in other.stdout
    # ...and the hook does not run at all when no YAML file changed.
    docs_only = _pre_commit(["run", "flux-lint", "--files", "README.md"], work, env)
    assert docs_only.returncode == 0, docs_only.stdout + docs_only.stderr
    assert re.search(r"^flux-lint\.+\(no files to check\)Skipped$", docs_only.stdout, re.M)

    # The fix hook rewrites the file and fails, as pre-commit fixers do, to have it reviewed.
    fix = _pre_commit(["run", "flux-lint-fix", "--all-files"], work, env)
    assert fix.returncode == 1, fix.stdout + fix.stderr
    assert "files were modified by this hook" in fix.stdout
    fixed = (work / "infra" / "podinfo.yaml").read_text(encoding="utf-8")
    assert fixed == REMOVED_API.replace("v1beta2", "v1")

    _git(["add", "-A"], work, env)
    clean = _pre_commit(["run", "--all-files"], work, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"^flux-lint\.+Passed$", clean.stdout, re.M), clean.stdout
    assert re.search(r"^flux-lint --fix\.+Passed$", clean.stdout, re.M), clean.stdout
