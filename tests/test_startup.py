"""Start-up cost: commands only import what they use.

``--version``, ``--help``, ``rules`` and ``rule`` run in editors, pre-commit hooks and shell
completions, where a linter that builds a CEL parser or loads jsonschema before answering feels
broken. Each case runs in a fresh interpreter, because ``sys.modules`` of the test process
already holds everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import manifests
import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Expensive or optional dependencies, and the flux-lint modules that pull them in.
HEAVY = (
    "jsonschema",
    "celpy",
    "re2",
    "sarif_om",
    "ruamel",
    "flux_lint.check.schema.validate",
    "flux_lint.check.cel",
    "flux_lint.check.engine",
)
#: Listing or describing rules reads the YAML descriptors (ruamel) but nothing else heavy.
RULE_DOCS_FORBIDDEN = tuple(name for name in HEAVY if name != "ruamel")

HELM_RELEASE = manifests.HELM_RELEASE

# Runs the real entry point, then writes the names of every imported module to a file (stdout
# and stderr belong to the command under test).
PROBE = """
import json, sys
report = sys.argv[1]
code = 0
try:
    if sys.argv[2] == "--main":  # the `flux-lint` command's own entry point
        sys.argv[1:] = sys.argv[3:]
        from flux_lint.__main__ import main
        main()
    else:
        from flux_lint.cli import main
        main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
reader = sys.modules.get("yaml.reader")
pattern = type(reader.Reader.NON_PRINTABLE).__name__ if reader else None
with open(report, "w", encoding="utf-8") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules), "yaml_pattern": pattern}, fh)
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FLUX_LINT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def imported_by(tmp_path: Path, *args: str, entry: str = "cli") -> tuple[int, set[str]]:
    """Exit code and imported modules of ``flux-lint ARGS`` in a fresh interpreter, through
    cli.py's ``main`` or (``entry="main"``) the command's entry point in ``__main__``."""
    report = tmp_path / "modules.json"
    first = ["--main"] if entry == "main" else []
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *first, *args],
        cwd=tmp_path,
        capture_output=True,
        env=_env(),
        timeout=120,
    )
    assert report.exists(), proc.stderr.decode()
    data = json.loads(report.read_text(encoding="utf-8"))
    if data["yaml_pattern"] is not None:
        # Whenever PyYAML was imported, it was through load/libyaml.py: its pure Python
        # reader's costly pattern was left uncompiled.
        assert data["yaml_pattern"] == "DeferredPattern"
    return data["code"], set(data["modules"])


def loaded(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden packages (or any of their submodules) present in ``modules``."""
    return sorted(
        name
        for name in forbidden
        if name in modules or any(m.startswith(name + ".") for m in modules)
    )


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"]])
def test_version_and_help_import_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    code, modules = imported_by(tmp_path, *args)
    assert code == 0
    assert "flux_lint.cli" in modules
    assert loaded(modules, HEAVY) == []


def test_version_through_python_m_with_importtime(tmp_path: Path) -> None:
    """The same through ``python -X importtime -m flux_lint``: the real ``__main__`` path."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "flux_lint", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == 0
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    # ``__main__`` answers ``--version`` alone itself: not even the command line is loaded.
    assert loaded(modules, (*HEAVY, "click", "flux_lint.cli", "flux_lint.run")) == []


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_from_main_is_what_click_prints(tmp_path: Path, flag: str) -> None:
    """The text and exit code of ``flux-lint --version`` answered in ``__main__`` are those
    of click's version option on the command line."""
    fast = subprocess.run(
        [sys.executable, "-m", "flux_lint", flag],
        cwd=tmp_path,
        capture_output=True,
        env=_env(),
        timeout=120,
    )
    through_click = subprocess.run(
        [sys.executable, "-c", "from flux_lint.cli import main; main()", flag],
        cwd=tmp_path,
        capture_output=True,
        env=_env(),
        timeout=120,
    )
    from flux_lint import __version__

    expected = f"flux-lint {__version__}\n".encode()
    assert (fast.returncode, fast.stdout, fast.stderr) == (0, expected, b"")
    assert (through_click.returncode, through_click.stdout, through_click.stderr) == (
        fast.returncode,
        fast.stdout,
        fast.stderr,
    )


@pytest.mark.parametrize(
    "args", [["rules"], ["rules", "--format", "json"], ["rule", "FL101"], ["rule", "unknown-field"]]
)
def test_rule_docs_do_not_load_the_checking_machinery(tmp_path: Path, args: list[str]) -> None:
    code, modules = imported_by(tmp_path, *args)
    assert code == 0
    assert "flux_lint.check.registry" in modules
    assert loaded(modules, RULE_DOCS_FORBIDDEN) == []


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_non_sarif_formats_never_import_sarif_om(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "release.yaml").write_text(HELM_RELEASE)
    code, modules = imported_by(tmp_path, "--format", fmt, "-q", "release.yaml")
    assert code == 0
    assert "flux_lint.check.engine" in modules  # it really linted
    assert loaded(modules, ("sarif_om",)) == []


def test_sarif_format_does_import_sarif_om(tmp_path: Path) -> None:
    """The probe can see sarif_om when it is loaded, so the tests above are not vacuous."""
    (tmp_path / "release.yaml").write_text(HELM_RELEASE)
    code, modules = imported_by(tmp_path, "--format", "sarif", "release.yaml")
    assert code == 0
    assert loaded(modules, ("sarif_om",)) == ["sarif_om"]


#: What a pre-commit run in a warm repository (one file named, the applied set and the rest of
#: the repository from the cache) does without: the repository graph and the effective objects
#: (model/applied_set.py is what it reads of the applied set), a CRD's schema reduction, the
#: defaults CEL rules need, fixes, and suggestions for misspellings.
PRE_COMMIT_FORBIDDEN = (
    *(name for name in HEAVY if not name.startswith("flux_lint.check.")),
    "flux_lint.model.applied",
    "flux_lint.model.graph",
    "flux_lint.model.instances",
    "flux_lint.model.effective",
    "flux_lint.model.substitution",
    "flux_lint.model.parent_patches",
    "flux_lint.check.schema.build",
    "flux_lint.check.schema.defaults",
    "flux_lint.check.edits",
    "flux_lint.check.schema.catalog",  # a Namespace is no catalog kind
    "difflib",
    "pkgutil",
    "hashlib",  # OpenSSL: a changed file or two are hashed by the built-in SHA-256
    "gzip",  # a kind's schema is decompressed by zlib alone
    "flux_lint.report.output.text",  # the text format's summary: this run prints JSON
)

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
APPS = """\
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
"""


def _settled(root: Path) -> None:
    """Every file as if written long ago (a run does not remember files changed just now)."""
    past = 1_600_000_000
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)


def test_a_pre_commit_run_in_a_warm_repository_imports_no_model_building(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    manifests.write_tree(
        repo,
        {
            "clusters/dev/flux-system/gotk-sync.yaml": manifests.bootstrap_sync("dev"),
            "clusters/dev/apps.yaml": APPS,
            "apps/kustomization.yaml": "resources:\n  - namespace.yaml\n  - release.yaml\n",
            "apps/namespace.yaml": NAMESPACE.format(name="apps"),
            "apps/release.yaml": HELM_RELEASE,
        },
    )
    (repo / ".git").mkdir()
    _settled(repo)
    args = ("apps/namespace.yaml", "--format", "json", "--cache-dir", str(tmp_path / "cache"))
    for _ in range(2):  # the whole repository, then the named file: the cache is warm
        code, _ = imported_by(repo, str(repo), *args[1:])
        assert code == 0
    code, _ = imported_by(repo, *args)
    assert code == 0
    with open(repo / "apps/namespace.yaml", "a", encoding="utf-8") as fh:
        fh.write("# reviewed\n")  # an edit that changes no object: nothing to recompute
    _settled(repo)
    code, modules = imported_by(repo, *args)
    assert code == 0
    assert "flux_lint.check.engine" in modules  # the file was linted, not replayed
    assert loaded(modules, PRE_COMMIT_FORBIDDEN) == []
    with open(repo / "apps/namespace.yaml", "a", encoding="utf-8") as fh:
        fh.write("# reviewed again\n")
    _settled(repo)
    # The same through the `flux-lint` command's entry point: the command line is read
    # without click (command/argv.py), and nothing else that click alone would load is.
    code, modules = imported_by(repo, *args, entry="main")
    assert code == 0
    assert "flux_lint.check.engine" in modules
    assert loaded(modules, (*PRE_COMMIT_FORBIDDEN, "click", "flux_lint.cli", "uuid")) == []
    assert "importlib.util" not in modules  # the code fingerprint finds its dependencies

    assert "flux_lint.model.applied_set" in modules
    assert loaded(modules, PRE_COMMIT_FORBIDDEN) == []
    # The named file was parsed by libyaml, whose binding came without the pure Python
    # parser's patterns (load/libyaml.py).
    assert "yaml._yaml" in modules
    assert "flux_lint.load.libyaml" in modules
