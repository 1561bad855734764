"""The benchmark tools keep working: numbers from a broken generator or script mislead.

The generator must give exactly the requested number of documents, the same bytes for the same
seed, YAML that every parser reads without error, and a repository on which the rules fire; the
benchmark script must run end to end and print its table and JSON.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ruamel.yaml import YAML

from flux_lint.check.engine import INTERNAL_RULE, RunConfig
from flux_lint.load.yaml import load_text
from flux_lint.run.pipeline import run

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


generate = _module("generate")
bench = _module("run")


def _digest(texts: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("n", [0, 1, 9, 37, 120, 600])
def test_exact_document_count_and_clean_yaml(n: int) -> None:
    texts = generate.generate(n, seed=7).texts()
    yaml = YAML(typ="safe", pure=False)
    documents = floor_documents = 0
    for path, text in texts.items():
        if not path.endswith((".yaml", ".yml")):
            continue
        loaded = load_text(text)
        assert loaded.problems == [], (path, loaded.problems)
        documents += len(loaded.documents)
        floor_documents += sum(1 for _ in yaml.load_all(text))
    assert documents == floor_documents == n


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = generate.generate(500, seed=1).texts()
    assert _digest(first) == _digest(generate.generate(500, seed=1).texts())
    assert _digest(first) != _digest(generate.generate(500, seed=2).texts())


def test_generated_repository_has_the_expected_shape_and_findings(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "generate.py"), "800", str(out), "--seed", "5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for expected in (
        "clusters/production/flux-system/gotk-sync.yaml",
        "clusters/staging/apps.yaml",
        "apps/production/kustomization.yaml",
        "infrastructure/controllers/kustomization.yaml",
        ".github/workflows/e2e.yaml",
    ):
        assert expected in files
    assert any(p.endswith(".sops.yaml") for p in files)
    assert any(p.startswith("apps/base/") and p.endswith("/values.yaml") for p in files)

    result = run(RunConfig(paths=[str(out)]))
    assert result.documents == 800
    rules = {f.rule_id for f in result.findings}
    assert INTERNAL_RULE not in rules
    assert not rules & {"FL001", "FL002", "FL003", "FL004", "FL005", "FL006", "FL007"}
    assert {"FL101", "FL102", "FL301"} <= rules, rules  # the deliberate mistakes are found
    assert len(result.findings) < 800 * 0.05  # ... and they are only a few

    again = subprocess.run(
        [sys.executable, str(BENCHMARKS / "generate.py"), "10", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode != 0 and "not empty" in again.stderr
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "keep.txt").write_text("mine\n", encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, str(BENCHMARKS / "generate.py"), "10", str(stranger), "--force"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and (stranger / "keep.txt").exists()


def test_run_script_on_a_tiny_repository(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "--docs",
            "50",
            "--json",
            str(report),
            "--workdir",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| repository |" in done.stdout and "| 50 docs |" in done.stdout
    assert "flux-lint --version" in done.stdout and "Machine:" in done.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    (repo,) = data["repositories"]
    assert repo["documents"] == repo["floor_documents"] == 50
    assert repo["floor_failed_files"] == 0
    assert repo["cold"]["seconds"] > 0 and repo["cold"]["rss"] > 0
    assert data["machine"]["cores"] >= 1 and data["machine"]["python"]
    # the warm, one-file-changed and pre-commit runs, and the whole tree's memory
    assert repo["warm"]["seconds"] > 0 and repo["changed"]["seconds"] > 0
    assert repo["value_changed"] is None  # no HelmRelease with an interval in 50 documents
    assert repo["precommit"]["seconds"] > 0 and repo["precommit_file"].endswith(".yaml")
    assert repo["cold"]["tree_rss"] >= repo["cold"]["rss"]
    assert "| scenario | goal | today | ratio | met |" in done.stdout
    assert [g["met"] for g in data["goals"]] == [None] * 8  # no 1k or 10k repository here


def test_value_edits(tmp_path: Path) -> None:
    """Each run sees a new value of the release's first ``interval``; the file is restored."""
    release = tmp_path / "release.yaml"
    original = b"kind: HelmRelease\nspec:\n  interval: 30m # often\n  timeout: 5m\n  interval: 1h\n"
    release.write_bytes(original)
    seen = tmp_path / "seen"
    copy = f"open({str(seen)!r}, 'ab').write(open({str(release)!r}, 'rb').read())"
    runner = bench.Runner(None, timeout=30)
    done = bench._value_edits(release, runner, [sys.executable, "-c", copy], tmp_path, "r", 2)
    assert done is not None and done.code == 0
    assert seen.read_bytes() == original.replace(b"30m", b"7m") + original.replace(b"30m", b"8m")
    assert release.read_bytes() == original
    release.write_bytes(b"kind: HelmRelease\nspec:\n  chart: web\n")
    assert (
        bench._value_edits(release, runner, [sys.executable, "-c", "pass"], tmp_path, "r", 1)
        is None
    )


def test_tree_memory_sums_the_children() -> None:
    """A parent of 20 MB that starts a child of 60 MB: the tree's peak holds both."""
    child = "b = bytearray(60 << 20); import time; time.sleep(1.5)"
    parent = (
        "import subprocess, sys; a = bytearray(20 << 20); "
        f"subprocess.run([sys.executable, '-c', {child!r}])"
    )
    done = bench.Runner(None, timeout=30).sample([sys.executable, "-c", parent], tree=True)
    assert done.code == 0
    # The largest single process (``rss``) need not be smaller: the kernel's figure for the
    # child can already count pages the parent's interpreter shares with it.
    assert done.tree_rss >= 80 << 20 and done.tree_rss >= done.rss


def test_goal_rows_from_a_results_document() -> None:
    def measure(seconds: float, cpu: float, rss: int = 0, tree: int = 0) -> dict:
        return {"seconds": seconds, "cpu": cpu, "rss": rss, "code": 0, "tree_rss": tree}

    one_k = {
        "size": 1000, "documents": 1000, "floor": measure(1.0, 0.8),
        "cold": measure(2.0, 1.9), "warm": measure(0.08, 0.07),
        "changed": measure(0.2, 0.18), "precommit": measure(0.5, 0.4),
        "value_changed": measure(0.28, 0.25),
    }  # fmt: skip
    ten_k = {
        "size": 10000, "documents": 10000, "floor": measure(10.0, 8.0),
        "cold": measure(6.0, 9.0, 100 << 20, 300 << 20), "warm": None,
        "changed": None, "precommit": None,
    }  # fmt: skip
    data = {
        "startup": {"python -c pass (interpreter alone)": measure(0.05, 0.02)},
        "repositories": [one_k, ten_k],
    }
    rows = bench.goals(data)
    assert [(r["ratio"], r["met"]) for r in rows] == [
        ("0.08× (CPU 0.09×)", True),
        ("0.20×", False),  # 0.2 s, but more than 0.15 × the floor
        ("0.28×", False),
        ("10.0×", False),
        ("wall 0.60×, CPU 1.12×", False),
        ("-", False),
        ("-", None),
        ("-", None),
    ]
    assert rows[5]["figure"] == "300 MB (largest process 100 MB)"
    assert rows[6]["figure"] == "not measured"
    table = bench.goals_table(rows)
    assert table.count("\n") == 10 and "| **no** |" in table


@pytest.mark.parametrize("timer", ["wait4", "gnu-time"])
def test_runner_measures_one_child(timer: str) -> None:
    chosen = None if timer == "wait4" else bench.find_gnu_time()
    if timer == "gnu-time" and chosen is None:
        pytest.skip("no GNU time")
    runner = bench.Runner(chosen, timeout=30)
    done = runner.sample([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert done.code == 3 and done.rss > 1_000_000 and done.seconds > 0
    with pytest.raises(TimeoutError):
        bench.Runner(chosen, timeout=0.3).sample(
            [sys.executable, "-c", "import time; time.sleep(30)"]
        )
