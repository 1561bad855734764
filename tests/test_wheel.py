"""The built wheel works on its own: rules and schemas ship inside it as ``flux_lint/_data``.

An editable install finds ``rules/`` and ``schemas/`` at the top of the source tree, so only a
real wheel in a fresh virtual environment, run outside the source tree, proves that packaging
carries them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from flux_lint.check.registry import builtin_registry
from flux_lint.report.docs import rule_markdown

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""

pytestmark = pytest.mark.slow


def _clean_env() -> dict[str, str]:
    """An environment that cannot reach the source tree or the test virtualenv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run(cmd: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )


def _build_wheel(out: Path) -> Path:
    """Build with an isolated build environment, as a release would; fall back to the current
    environment's backend only when the isolated one cannot be set up (no package index)."""
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)]
    proc = _run(cmd, ROOT)
    if proc.returncode != 0 and importlib.util.find_spec("hatchling") is not None:
        proc = _run([*cmd, "--no-isolation"], ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = sorted(out.glob("flux_lint-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _install(venv: Path, wheel: Path) -> Path:
    """Install the wheel into a fresh venv and return its ``flux-lint`` script.

    Dependencies normally come from the package index. Without one, the venv borrows the test
    environment's site-packages through a ``.pth`` file: it is appended after the venv's own
    site-packages, so the installed flux_lint still wins over the editable one.
    """
    proc = _run([sys.executable, "-m", "venv", str(venv)], venv.parent)
    assert proc.returncode == 0, proc.stderr
    python = venv / BIN / f"python{EXE}"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-compile"]
    proc = _run([*pip, str(wheel)], venv.parent)
    if proc.returncode != 0:
        site = _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            venv.parent,
        ).stdout.strip()
        (Path(site) / "_borrowed_test_deps.pth").write_text(
            sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
        )
        proc = _run([*pip, "--no-deps", str(wheel)], venv.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    script = venv / BIN / f"flux-lint{EXE}"
    assert script.exists()
    return script


def test_wheel_ships_rules_and_schemas_and_runs(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")

    names = set(zipfile.ZipFile(wheel).namelist())
    for rule in builtin_registry():
        category = Path(rule.source).parent.name
        assert f"flux_lint/_data/rules/{category}/{rule.id}-{rule.name}.yaml" in names
    for bundle in sorted((ROOT / "schemas").glob("flux-*.json")):
        assert f"flux_lint/_data/schemas/{bundle.name}" in names

    venv = tmp_path / "venv"
    flux_lint = _install(venv, wheel)

    # Run outside the source tree so nothing can fall back to the top-level rules/ or schemas/.
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples", work / "examples")

    python = venv / BIN / f"python{EXE}"
    where = _run(
        [
            str(python),
            "-c",
            "import flux_lint.core.resources as r; print(r.rules_dir()); print(r.schemas_dir())",
        ],
        work,
    )
    assert where.returncode == 0, where.stderr
    rules_dir, schemas_dir = (Path(line) for line in where.stdout.splitlines())
    assert rules_dir.parts[-3:] == ("flux_lint", "_data", "rules")
    assert schemas_dir.parts[-3:] == ("flux_lint", "_data", "schemas")
    assert venv.resolve() in rules_dir.resolve().parents

    lint = _run([str(flux_lint), "examples/"], work)
    assert lint.returncode == 1, lint.stderr
    assert "Traceback" not in lint.stderr
    assert any(line.split()[1] == "FL101" for line in lint.stdout.splitlines())
    assert lint.stdout.startswith("examples/")

    listing = _run([str(flux_lint), "rules"], work)
    assert (listing.returncode, listing.stderr) == (0, "")
    ids = [line.split()[0] for line in listing.stdout.splitlines()]
    assert ids == sorted(builtin_registry().rules)
    assert "FL101" in ids

    doc = _run([str(flux_lint), "rule", "FL001"], work)
    assert (doc.returncode, doc.stderr) == (0, "")
    assert doc.stdout == rule_markdown(builtin_registry().rules["FL001"]) + "\n"
