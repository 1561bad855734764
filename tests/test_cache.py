"""The on-disk result cache: a warm run gives exactly what a fresh run gives, and notices
every change that could change a finding (a file, the rules, the configuration, the CRDs,
flux-lint itself); damaged or foreign cache files are ignored; runs can share a cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import manifests
import pytest
from click.testing import CliRunner

from flux_lint.check.engine import RunConfig
from flux_lint.cli import cli
from flux_lint.run import cache as cache_module
from flux_lint.run import pipeline as engine
from flux_lint.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

RELEASE = manifests.HELM_RELEASE

SOURCE = manifests.HELM_REPOSITORY

OLD_ALERT = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta2  # flux-lint: disable=FL999 -- typo
kind: Alert
metadata:
  name: slack
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSources:
    - kind: Kustomization
      name: "*"
"""


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root)
    (root / ".git").mkdir()
    (root / "apps" / "extra").mkdir(parents=True, exist_ok=True)
    (root / "apps" / "extra" / "release.yaml").write_text(RELEASE, encoding="utf-8")
    (root / "apps" / "extra" / "alert.yaml").write_text(OLD_ALERT, encoding="utf-8")
    return root


def _json(root: Path, *args: str) -> str:
    """The JSON report of ``flux-lint ARGS`` run in ``root`` (in this process)."""
    previous = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(
            cli, ["check", "--format", "json", "--no-progress", "-q", *args], catch_exceptions=False
        )
    finally:
        os.chdir(previous)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _result(root: Path, cache_dir: Path | None, **kwargs) -> engine.RunResult:
    # Every file is checked, applied or not: what is cached must not depend on it here
    # (test_applied.py covers the cache with the applied set).
    kwargs.setdefault("check_unapplied", True)
    return run(RunConfig(paths=[str(root)], cache_dir=cache_dir, **kwargs))


def _brief(result: engine.RunResult) -> list[tuple]:
    return [
        (f.rule_id, f.path, f.line, f.column, f.message, f.fix, f.suppression)
        for f in result.findings
    ]


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_warm_run_is_byte_identical_and_reads_everything_from_the_cache(tmp_path, cache_dir):
    root = _repo(tmp_path)
    fresh = _json(root, "--no-cache")
    cold = _json(root, "--cache-dir", str(cache_dir))
    warm = _json(root, "--cache-dir", str(cache_dir))
    assert cold == fresh
    assert warm == fresh
    assert json.loads(fresh)["findings"], "the example repository has findings on purpose"
    cold_result = _result(root, cache_dir)
    assert cold_result.cache_hits == 0 and cold_result.linted == cold_result.files
    result = _result(root, cache_dir)
    assert result.cache_hits == result.files and result.linted == 0


def test_fixes_and_suppressions_survive_the_cache(tmp_path, cache_dir):
    root = _repo(tmp_path)
    cold = _result(root, cache_dir)
    warm = _result(root, cache_dir)
    assert warm.cache_hits == warm.files
    assert _brief(warm) == _brief(cold) == _brief(_result(root, None))
    assert any(f.fix is not None and f.fix.edits for f in warm.findings)
    assert any(f.rule_id == "FL010" for f in warm.findings)  # the unknown FL999 in a directive
    assert warm.texts == cold.texts


def test_fix_from_a_warm_cache_writes_the_same_file(tmp_path, cache_dir):
    root = _repo(tmp_path)
    other = tmp_path / "other"
    shutil.copytree(root, other)
    _json(root, "--cache-dir", str(cache_dir))  # fill the cache
    _json(root, "--cache-dir", str(cache_dir), "--fix", "--unsafe-fixes")
    _json(other, "--no-cache", "--fix", "--unsafe-fixes")
    for path in sorted(root.rglob("*.yaml")):
        assert path.read_bytes() == (other / path.relative_to(root)).read_bytes(), path


def test_a_changed_file_is_linted_again(tmp_path, cache_dir):
    root = _repo(tmp_path)
    first = _result(root, cache_dir)
    release = root / "apps" / "extra" / "release.yaml"
    release.write_text(RELEASE.replace("interval: 10m", "interval: 10 minutes"), encoding="utf-8")
    second = _result(root, cache_dir)
    assert second.cache_hits == first.files - 1 and second.linted == 1
    assert _brief(second) == _brief(_result(root, None))
    assert _brief(second) != _brief(first)


def test_repository_findings_follow_a_change_in_another_file(tmp_path, cache_dir):
    """FL501 (missing source) depends on a file other than the one it is reported in."""
    root = _repo(tmp_path)
    before = _result(root, cache_dir)
    missing = [f for f in before.findings if f.rule_id == "FL501" and "podinfo" in f.message]
    (root / "apps" / "extra" / "source.yaml").write_text(SOURCE, encoding="utf-8")
    after = _result(root, cache_dir)
    assert _brief(after) == _brief(_result(root, None))
    gone = [
        f for f in after.findings if f.rule_id == "FL501" and f.path == "apps/extra/release.yaml"
    ]
    assert gone == [] and len(missing) >= len(gone)
    (root / "apps" / "extra" / "source.yaml").unlink()
    assert _brief(_result(root, cache_dir)) == _brief(_result(root, None))


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "FL1"],
        ["--ignore", "FL401"],
        ["--flux-version", "2.8"],
        ["--from", "2.8"],
        ["--from", "none"],
        ["--max-file-size", "400"],
    ],
)
def test_settings_are_part_of_the_key(tmp_path, cache_dir, args):
    root = _repo(tmp_path)
    _json(root, "--cache-dir", str(cache_dir))
    assert _json(root, "--cache-dir", str(cache_dir), *args) == _json(root, "--no-cache", *args)
    # ... and going back does not pick up the other settings' results either.
    assert _json(root, "--cache-dir", str(cache_dir)) == _json(root, "--no-cache")


def test_configuration_file_changes_are_noticed(tmp_path, cache_dir):
    root = _repo(tmp_path)
    config = root / ".flux-lint.yaml"
    config.write_text("severity: {FL401: error}\n", encoding="utf-8")
    assert _json(root, "--cache-dir", str(cache_dir)) == _json(root, "--no-cache")
    config.write_text("severity: {FL401: note}\nignore: [FL102]\n", encoding="utf-8")
    assert _json(root, "--cache-dir", str(cache_dir)) == _json(root, "--no-cache")


def test_rule_options_are_part_of_the_key(tmp_path, cache_dir):
    root = _repo(tmp_path)
    first = _result(root, cache_dir)
    other = _result(root, cache_dir, options={"FL501": {"external": ["HelmRepository/*/*"]}})
    assert other.cache_hits == 0 and first.cache_hits == 0


def test_user_rule_content_is_part_of_the_key(tmp_path, cache_dir):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "user-rules" / "repo", root)
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURES / "user-rules" / "rules", rules)
    args = ("--rules", str(rules))
    assert _json(root, "--cache-dir", str(cache_dir), *args) == _json(root, "--no-cache", *args)
    for path in rules.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("severity: warning", "severity: error"), encoding="utf-8")
    changed = _json(root, "--cache-dir", str(cache_dir), *args)
    assert changed == _json(root, "--no-cache", *args)


def test_crd_files_are_part_of_the_key(tmp_path, cache_dir):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "crds" / "repo", root)
    crd = tmp_path / "widgets.yaml"
    shutil.copy(FIXTURES / "crds" / "widgets.example.com.yaml", crd)
    args = ("--crds", str(crd))
    with_crd = _json(root, "--cache-dir", str(cache_dir), *args)
    assert with_crd == _json(root, "--no-cache", *args)
    without = _json(root, "--cache-dir", str(cache_dir))
    assert without == _json(root, "--no-cache")
    # The same CRD file with other content.
    crd.write_text(crd.read_text(encoding="utf-8").replace("maxLength", "minLength"), "utf-8")
    assert _json(root, "--cache-dir", str(cache_dir), *args) == _json(root, "--no-cache", *args)


def test_a_crd_added_to_the_repository_invalidates_every_file(tmp_path, cache_dir):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "crds" / "repo", root)
    before = _result(root, cache_dir)
    (root / "zz-crds").mkdir()
    shutil.copy(FIXTURES / "crds" / "widgets.example.com.yaml", root / "zz-crds" / "crd.yaml")
    after = _result(root, cache_dir)
    assert after.cache_hits == 0
    assert _brief(after) == _brief(_result(root, None))
    assert _result(root, cache_dir).cache_hits == after.files
    del before


def test_a_new_version_or_changed_code_uses_a_new_cache(tmp_path, cache_dir, monkeypatch):
    root = _repo(tmp_path)
    _result(root, cache_dir)
    assert _result(root, cache_dir).cache_hits > 0
    monkeypatch.setattr(cache_module, "__version__", "999.0.0")
    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    assert _result(root, cache_dir).cache_hits == 0
    monkeypatch.setattr(cache_module, "_FINGERPRINT", "edited-checkout")
    assert _result(root, cache_dir).cache_hits == 0


def test_the_code_fingerprint_follows_the_files(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    module = code / "rules.py"
    module.write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(cache_module, "data_roots", lambda: [code])
    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    first = cache_module.code_fingerprint()
    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    module.write_text("X = 22\n", encoding="utf-8")
    assert cache_module.code_fingerprint() != first


def _packs(cache_dir: Path) -> list[Path]:
    """The packs of per-file entries (not the records of whole results, ``memo-*``, nor the
    compiled CEL expressions, check/cel/program_cache.py)."""
    from flux_lint.check.cel.program_cache import folder_name

    return sorted(
        p
        for p in cache_dir.rglob("*.pack")
        if not p.name.startswith("memo-") and p.parent.name != folder_name()
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),
        lambda data: b"garbage" * 100,
        lambda data: __import__("pickle").dumps({"x": 1}),
    ],
    ids=["empty", "truncated", "flipped-bit", "garbage", "pickle"],
)
def test_damaged_packs_are_ignored_and_rebuilt(tmp_path, cache_dir, damage):
    root = _repo(tmp_path)
    expected = _brief(_result(root, cache_dir))
    (pack,) = _packs(cache_dir)
    pack.write_bytes(damage(pack.read_bytes()))
    again = _result(root, cache_dir)
    assert again.cache_hits == 0
    assert _brief(again) == expected
    assert _result(root, cache_dir).cache_hits == again.files  # rebuilt


def test_a_pack_sealed_with_another_key_is_not_trusted(tmp_path, cache_dir):
    root = _repo(tmp_path)
    _result(root, cache_dir)
    (cache_dir / "key").write_bytes(os.urandom(32))
    assert _result(root, cache_dir).cache_hits == 0


def test_an_unusable_cache_folder_does_not_fail_the_run(tmp_path):
    root = _repo(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    result = _result(root, blocker)
    assert _brief(result) == _brief(_result(root, None))


def test_rule_crashes_are_not_remembered(tmp_path, cache_dir, monkeypatch):
    root = _repo(tmp_path)
    from flux_lint.check.registry import CHECKS
    from flux_lint.check.rules import behaviour  # registers FL401 before it is replaced

    original = behaviour.post_render_strategy_default
    assert CHECKS["FL401"] is original

    def broken(obj, ctx):
        raise RuntimeError("boom")

    broken.rule_ids = original.rule_ids
    monkeypatch.setitem(CHECKS, "FL401", broken)
    crashed = _result(root, cache_dir, enabled={"FL401", "FL009"})
    assert any(f.rule_id == "FL009" for f in crashed.findings)
    monkeypatch.setitem(CHECKS, "FL401", original)
    fixed = _result(root, cache_dir, enabled={"FL401", "FL009"})
    assert not any(f.rule_id == "FL009" for f in fixed.findings)
    assert fixed.linted >= 1


def test_stale_entries_are_dropped_from_the_pack(tmp_path, cache_dir):
    root = _repo(tmp_path)
    _result(root, cache_dir)
    (pack,) = _packs(cache_dir)
    size = pack.stat().st_size
    (root / "apps" / "extra" / "release.yaml").unlink()
    _result(root, cache_dir)
    (pack,) = _packs(cache_dir)
    assert pack.stat().st_size < size


def test_old_packs_are_pruned(tmp_path):
    root = tmp_path / "cache"
    old = root / "0.0.1-old" / "x.pack"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    recent = root / "0.0.2-new" / "y.pack"
    recent.parent.mkdir(parents=True)
    recent.write_bytes(b"y")
    past = old.stat().st_mtime - cache_module.MAX_AGE_SECONDS - 10
    os.utime(old, (past, past))
    cache_module.prune(root, keep=recent.parent)
    assert not old.exists() and not old.parent.exists()
    assert recent.exists()


def test_concurrent_runs_share_a_cache(tmp_path, cache_dir):
    """Four processes fill the same cache at once: every report is the fresh one, no
    temporary file is left behind, and the cache they leave serves a warm run."""
    root = _repo(tmp_path)
    expected = _json(root, "--no-cache")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "flux_lint",
        "--format",
        "json",
        "-q",
        "--no-progress",
        "--cache-dir",
        str(cache_dir),
        ".",
    ]
    procs = [
        subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=300)[0].decode("utf-8") for proc in procs]
    assert all(out == expected for out in outputs)
    assert not list(cache_dir.rglob("*.tmp"))
    (pack,) = _packs(cache_dir)
    payload = cache_module.read_sealed(cache_module.Sealer(cache_dir), b"pack", pack)
    assert payload is not None  # one intact pack: the last writer's
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, timeout=300)
    assert proc.stdout.decode("utf-8") == expected


def test_write_atomic_uses_unique_temporary_names(tmp_path, monkeypatch):
    target = tmp_path / "f"
    seen: list[str] = []
    real = os.replace

    def spy(src, dst):
        seen.append(str(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    assert cache_module.write_atomic(target, b"a") and cache_module.write_atomic(target, b"b")
    assert len(set(seen)) == 2 and target.read_bytes() == b"b"


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_module.default_cache_dir() == tmp_path / "flux-lint"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_module.default_cache_dir() == tmp_path / "home" / ".cache" / "flux-lint"


def test_sealed_files_reject_other_kinds_and_formats(tmp_path):
    sealer = cache_module.Sealer(tmp_path)
    blob = sealer.seal(b"pack", b"payload") + b"payload"
    assert sealer.unseal(b"pack", blob) == b"payload"
    assert sealer.unseal(b"cel-parser", blob) is None
    assert sealer.unseal(b"pack", blob.replace(b"FLUXLINT", b"FLUXLINX")) is None
    assert oct((tmp_path / "key").stat().st_mode & 0o777) == "0o600"


def test_records_round_trip_every_field(tmp_path):
    root = _repo(tmp_path)
    linter = engine.Linter(RunConfig())
    path = root / "apps" / "extra" / "alert.yaml"
    report, entries, kustomize = linter.lint_file("a.yaml", path.read_text(encoding="utf-8"))
    record = cache_module.encode_record(report, entries, kustomize)
    import marshal

    back, entries_back, kustomize_back = cache_module.decode_record(
        "a.yaml", marshal.loads(marshal.dumps(record))
    )
    assert back == report
    assert entries_back == entries and kustomize_back == kustomize


# -- the CEL parser's tables ----------------------------------------------------------------


PARSE_PROBE = """
import sys, lark
from flux_lint.check import cel
from flux_lint.check.cel import seed
if sys.argv[2] == "without-seed":
    seed._LOADED.append(None)
cel.set_parser_cache_dir(sys.argv[1] if sys.argv[1] != "-" else None)
built = []
original = lark.Lark.__init__
def spy(self, *args, **kwargs):
    built.append(1)
    return original(self, *args, **kwargs)
lark.Lark.__init__ = spy
program = cel.compile_expression("self.spec.replicas > 1 && has(self.spec.x)")
value = program.evaluate({"self": {"spec": {"replicas": 2, "x": 1}}})  # compiles on first use
print(len(built), value)
"""


def test_the_cel_parser_is_built_once_then_loaded(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    folder = tmp_path / "parser"

    def probe(where: str = str(folder), shipped: str = "without-seed") -> str:
        proc = subprocess.run(
            [sys.executable, "-c", PARSE_PROBE, where, shipped],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert probe() == "1 True"  # built and stored
    assert probe() == "0 True"  # loaded, no grammar compiled
    (table,) = folder.glob("cel-parser-*.bin")
    table.write_bytes(table.read_bytes()[:100])
    assert probe() == "1 True"  # damaged: built again
    # Without a folder, the tables shipped with the package (check/cel/seed.py) are used.
    assert probe("-", "without-seed") == "1 True"
    assert probe("-", "with-seed") == "0 True"


def test_the_cached_parser_parses_like_cel_python(tmp_path, monkeypatch):
    import lark
    from celpy.celparser import CELParser

    from flux_lint.check.cel import parser_cache

    monkeypatch.setattr(parser_cache, "_DIRECTORY", tmp_path)
    reference = lark.Lark(
        (Path(sys.modules["celpy.celparser"].__file__).parent / "cel.lark").read_text("utf-8"),
        parser="lalr",
        start="expr",
        g_regex_flags=__import__("re").M,
        lexer_callbacks={"IDENT": CELParser.ambiguous_literals},
        propagate_positions=True,
        maybe_placeholders=False,
        priority="invert",
    )
    parser_cache.cached_parser(CELParser.ambiguous_literals)  # build and store
    loaded = parser_cache.cached_parser(CELParser.ambiguous_literals)  # load
    for source in (
        "self.a.b == 1 && has(self.c)",
        "self.items.all(i, i.name.matches('^[a-z]+$')) ? 'x' : \"y\"",
        "size(self.x) <= 3 || self.y in [1, 2u, 3.5, b'z', null, true]",
        "{'a': 1}['a'] - -2 % 3 / 4 * 5",
        "self.metadata.name.startsWith('a') != !false",
    ):
        assert loaded.parse(source) == reference.parse(source), source
    for bad in ("self.", "1 +", "'unterminated", "a b"):
        with pytest.raises(lark.exceptions.UnexpectedInput) as want:
            reference.parse(bad)
        with pytest.raises(lark.exceptions.UnexpectedInput) as got:
            loaded.parse(bad)
        assert type(got.value) is type(want.value)
        assert (got.value.line, got.value.column) == (want.value.line, want.value.column)
