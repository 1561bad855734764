"""Worker processes: a run spread over processes gives byte-identical output to a run in one
process, starts workers only from the size threshold on, and survives a broken pool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from flux_lint.check.engine import RunConfig
from flux_lint.cli import cli
from flux_lint.run import pipeline as engine
from flux_lint.run import workers as parallel
from flux_lint.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="workers need fork")


def _json(root: Path, *args: str) -> str:
    previous = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(
            cli,
            ["check", "--format", "json", "--no-progress", "-q", "--no-cache", *args],
            catch_exceptions=False,
        )
    finally:
        os.chdir(previous)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic repository of 600 documents (benchmarks/generate.py, fixed seed)."""
    out = tmp_path_factory.mktemp("generated") / "repo"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "600", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "FILES_PER_WORKER", 1)


def test_generated_repository_is_byte_identical_in_workers(generated, low_threshold):
    serial = _json(generated, "--jobs", "1")
    assert '"ruleId"' in serial
    assert _json(generated, "--jobs", "2") == serial
    assert _json(generated, "--jobs", "3") == serial


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_corpus_is_byte_identical_in_workers(low_threshold):
    serial = _json(CORPUS, "--jobs", "1")
    assert _json(CORPUS, "--jobs", "2") == serial


def test_every_output_format_is_identical(generated, low_threshold):
    for fmt in ("text", "sarif", "github"):
        serial = _json(generated, "--jobs", "1", "--format", fmt)
        assert _json(generated, "--jobs", "2", "--format", fmt) == serial, fmt


def test_workers_with_the_cache(generated, low_threshold, tmp_path):
    """Cold in workers, warm in one process (and the other way round): one result."""
    expected = _json(generated, "--jobs", "1")
    previous = os.getcwd()
    os.chdir(generated)
    try:
        for jobs, cache in (("2", "a"), ("1", "a"), ("1", "b"), ("2", "b")):
            args = ["--format", "json", "-q", "--no-progress", "--jobs", jobs]
            args += ["--cache-dir", str(tmp_path / cache), "."]
            result = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert result.stdout == expected, (jobs, cache)
    finally:
        os.chdir(previous)


def test_threshold_decides_whether_workers_start(generated, monkeypatch):
    files = run(RunConfig(paths=[str(generated)])).files
    monkeypatch.setattr(engine, "FILES_PER_WORKER", files // 2 + 1)
    assert run(RunConfig(paths=[str(generated)], jobs=2)).workers == 1  # below: one process
    monkeypatch.setattr(engine, "FILES_PER_WORKER", files // 2)
    assert run(RunConfig(paths=[str(generated)], jobs=2)).workers == 2
    assert run(RunConfig(paths=[str(generated)], jobs=8)).workers == 2  # one per share
    assert run(RunConfig(paths=[str(generated)], jobs=1)).workers == 1  # never with -j1


def test_workers_per_share_of_files(monkeypatch):
    monkeypatch.setattr(engine, "FILES_PER_WORKER", 200)
    assert engine._workers_for(16, 399) == 1
    assert engine._workers_for(16, 400) == 2
    assert engine._workers_for(16, 10_000) == 16
    assert engine._workers_for(2, 10_000) == 2
    assert engine._workers_for(1, 10_000) == 1


def test_threshold_counts_files_to_lint_not_cached_ones(generated, monkeypatch, tmp_path):
    files = run(RunConfig(paths=[str(generated)])).files
    monkeypatch.setattr(engine, "FILES_PER_WORKER", files // 2)
    config = RunConfig(paths=[str(generated)], jobs=2, cache_dir=tmp_path)
    assert run(config).workers == 2
    warm = run(config)
    assert warm.workers == 1 and warm.linted == 0


def test_auto_jobs_uses_every_core(monkeypatch):
    monkeypatch.setattr(parallel, "available_cpus", lambda: 6)
    assert engine._worker_count(0) == 6
    assert engine._worker_count(3) == 3
    assert engine._worker_count(1) == 1
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert engine._worker_count(0) == 1


def test_default_threshold_keeps_small_runs_in_one_process():
    result = run(RunConfig(paths=[str(EXAMPLES)], jobs=0))
    assert result.workers == 1


def test_a_broken_pool_falls_back_to_this_process(generated, low_threshold, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    expected = _json(generated, "--jobs", "1")

    class Broken:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, fn, chunks):
            yield fn(chunks[0])  # the first chunk arrives, then the pool dies
            raise BrokenProcessPool("a worker was killed")

    monkeypatch.setattr(parallel, "_LINTER", None)
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", Broken)
    assert _json(generated, "--jobs", "2") == expected


def test_chunks_are_balanced():
    assert parallel.chunk_size(10, 2) == 1
    assert parallel.chunk_size(1000, 2) == 63
    assert parallel.chunk_size(100_000, 2) == 64
    assert parallel.chunk_size(0, 2) == 1
