"""Compiled CEL kept between runs (check/cel/program_cache.py): a program made from the kept
form is the program compiling makes (same verdicts, same fast path, same evaluation), a bad
file is compiled again, and a warm run that lints a HelmRelease never loads cel-python."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flux_lint.check import cel
from flux_lint.check.cel import compiler, parser_cache, program_cache, values

ROOT = Path(__file__).resolve().parent.parent

RULE = ("self", "oldSelf")

#: (source, declared variables): fast-path guards, expressions the fast path cannot build or
#: cannot decide, optional syntax, namespaced and unsupported functions, and compile errors of
#: every kind the compiler reports.
EXPRESSIONS: list[tuple[str, tuple[str, ...] | None]] = [
    ("has(self.a) || self.b == 'x'", RULE),
    ("(has(self.a) && !has(self.b)) || (!has(self.a) && has(self.b))", RULE),
    ("self.l.all(i, i.name.matches('^[a-z]+$'))", RULE),
    ("self.l.exists(i, i.name == 'ok')", RULE),
    ("size(self.s) > 2 && self.s.startsWith('a') && self.s.endsWith('c')", RULE),
    ("self.s.contains('b') || self.s == '\\u00e9'", RULE),
    ("self.s == r'\\d' || self.s == '''x\ny'''", RULE),
    ('self.s == "\\x41\\101"', RULE),
    ("self.n == 0x1F || self.x == null || self.b == true", RULE),
    ("!has(self.b) ? self.s == 'abc' : self.b", RULE),
    ("self.count > 1", RULE),
    ("self.n + 1 > 2", RULE),
    ("self.s.lowerAscii() == 'abc'", RULE),
    ("self.l.map(i, i.name).size() > 0", RULE),
    ("self.?a.orValue('x') == 'x'", RULE),
    ("[?self.?a].size() == 1", RULE),
    ("math.greatest(1, 2) == 2", RULE),
    ("sets.contains(['a', 'b'], ['a'])", RULE),
    ("self.a == oldSelf.a", RULE),
    ("x.y == 1 && self.a == 'x'", None),
    ('self.n + 1 == "\\UFFFFFFFF"', RULE),  # the bad literal is never reached
    ("self.a ==", RULE),
    ("self.a == 'x", RULE),
    ("self.a # 1", RULE),
    ("self.items.exist(i, i > 1)", RULE),
    ("has(self)", RULE),
    ("self.l.all(1, true)", RULE),
    ("self.l.map(i)", RULE),
    ("other.a == 'x'", RULE),
    ("self.a == 'x' &&\n  nope(self.b)", RULE),
    ("(" * 260 + "self.a" + ")" * 260 + " == 'x'", RULE),
    ("   ", RULE),
]

#: Values of ``self`` (and of ``oldSelf``) each program is decided and evaluated on.
SELVES: list[object] = [
    {},
    {"a": "x"},
    {"a": "y", "b": "x"},
    {"b": True, "s": "abc"},
    {"b": False, "s": "xbz"},
    {"s": "\u00e9"},
    {"s": "\\d"},
    {"s": "AA"},
    {"l": [{"name": "ok"}, {"name": "fine"}]},
    {"l": [{"name": "Bad"}]},
    {"l": [{}]},
    {"n": 31, "count": 2},
    {"x": None, "n": 1},
]


def _activation(value: object, *, visible: bool) -> dict[str, object]:
    def convert(v: object) -> object:
        return cel.to_visible(v) if visible else v

    return {"self": convert(value), "oldSelf": convert(value), "x": convert({"y": 1})}


def _outcome(source: str, variables: tuple[str, ...] | None) -> tuple[object, ...]:
    """Everything a caller can observe of compiling ``source``: the compile error, or the
    program's verdicts, its fast decisions and its evaluations on :data:`SELVES`."""
    try:
        program = cel.compile_expression(source, variables)
    except cel.CelCompileError as exc:
        return ("error", exc.source, exc.reason, exc.line, exc.column)
    except (ValueError, OverflowError) as exc:
        return ("raises", type(exc).__name__, str(exc))
    decisions = [cel.decide(program, _activation(v, visible=True)) for v in SELVES]
    results = []
    for value in SELVES:
        try:
            results.append(cel.to_python(cel.evaluate(program, _activation(value, visible=False))))
        except cel.CelEvalError as exc:
            results.append(("eval-error", exc.message, exc.unsupported, exc.budget))
    return (
        "program",
        program.source,
        sorted(program.unsupported),
        sorted(program.variables),
        sorted(program.optional_marks),
        program.fast is not None,
        decisions,
        results,
    )


@pytest.fixture
def compiles(monkeypatch):
    """Counts cel-python compiles; each test starts with no program compiled in the process."""
    calls: list[str] = []
    real = compiler._compile

    def counting(source, variables):
        calls.append(source)
        return real(source, variables)

    monkeypatch.setattr(compiler, "_compile", counting)
    monkeypatch.setattr(compiler, "_CACHE", {})
    monkeypatch.setattr(parser_cache, "_DIRECTORY", None)
    return calls


def _forget(monkeypatch) -> None:
    """A new process, as far as compiled programs go."""
    monkeypatch.setattr(compiler, "_CACHE", {})


def _forms(folder: Path) -> list[Path]:
    """The kept forms in the cache folder ``folder``."""
    return sorted((folder / program_cache.folder_name()).glob("*.pack"))


def test_a_kept_form_makes_the_program_compiling_makes(tmp_path, monkeypatch, compiles):
    expected = {e: _outcome(*e) for e in EXPRESSIONS}  # no cache folder: nothing kept
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setattr(parser_cache, "_DIRECTORY", tmp_path)
    _forget(monkeypatch)
    assert {e: _outcome(*e) for e in EXPRESSIONS} == expected  # compiled, and kept
    # Every expression but the blank one (refused before anything is compiled) has its file.
    assert len(_forms(tmp_path)) == len(EXPRESSIONS) - 1

    _forget(monkeypatch)
    compiles.clear()
    for source, variables in EXPRESSIONS:
        with contextlib.suppress(cel.CelCompileError):
            cel.compile_expression(source, variables)
    assert compiles == []  # every program and every compile error comes from its file

    compiles.clear()
    assert {e: _outcome(*e) for e in EXPRESSIONS} == expected
    # cel-python compiles only what the interpreter ran: programs whose evaluation was asked.
    programs = [s for (s, _), o in expected.items() if o[0] == "program"]
    assert sorted(compiles) == sorted(programs)


def test_a_string_literal_that_cannot_be_decoded_fails_as_before(tmp_path, monkeypatch, compiles):
    monkeypatch.setattr(parser_cache, "_DIRECTORY", tmp_path)
    for _ in range(2):
        _forget(monkeypatch)
        with pytest.raises(OverflowError):
            cel.compile_expression('self.a == "\\UFFFFFFFF"', RULE)
        with pytest.raises(ValueError, match="chr"):
            cel.compile_expression('self.a == "\\U00110000"', RULE)
    assert _forms(tmp_path) == []


def test_every_shipped_crd_rule_is_kept_and_made_again_alike(tmp_path, monkeypatch, compiles):
    rules: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for rule in node.get("x-kubernetes-validations") or []:
                if isinstance(rule, dict):
                    rules.update(r for r in (rule.get("rule"), rule.get("messageExpression")) if r)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((ROOT / "schemas").rglob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            walk(json.load(handle))
    assert len(rules) > 300

    def verdicts() -> dict[str, tuple[object, ...]]:
        found = {}
        for rule in sorted(rules):
            try:
                program = cel.compile_expression(rule, RULE)
            except cel.CelCompileError as exc:
                found[rule] = (exc.reason, exc.line, exc.column)
            else:
                found[rule] = (
                    program.unsupported,
                    program.variables,
                    program.optional_marks,
                    program.fast is not None,
                )
        return found

    fresh = verdicts()
    monkeypatch.setattr(parser_cache, "_DIRECTORY", tmp_path)
    _forget(monkeypatch)
    assert verdicts() == fresh
    _forget(monkeypatch)
    compiles.clear()
    assert verdicts() == fresh
    assert compiles == []
    assert sum(fast for *_, fast in fresh.values() if isinstance(fast, bool)) > 250


def test_a_damaged_or_foreign_file_is_compiled_again(tmp_path, monkeypatch, compiles):
    monkeypatch.setattr(parser_cache, "_DIRECTORY", tmp_path)
    first, second = "has(self.a) || self.b == 'x'", "self.a =="

    def compile_all() -> list[str]:
        _forget(monkeypatch)
        compiles.clear()
        expected = _outcome(first, RULE), _outcome(second, RULE)
        assert expected[0][0] == "program" and expected[1][0] == "error"
        return list(compiles)

    compile_all()
    (file_a,) = [p for p in _forms(tmp_path) if p.read_bytes().find(first.encode()) > 0]
    (file_b,) = [p for p in _forms(tmp_path) if p != file_a]
    # Warm: only the evaluation compiles (the error needs no cel-python at all).
    assert compile_all() == [first]

    genuine = file_a.read_bytes()
    file_b.write_bytes(genuine)  # another expression's genuine file
    file_a.write_bytes(genuine[:-7])  # truncated
    assert compile_all() == [first, second]  # both compiled again
    assert compile_all() == [first]  # and both rewritten: warm again

    from flux_lint.run.cache_clean import clean

    kept = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(_forms(tmp_path)) == 2 and (tmp_path / "key") in kept
    assert clean(tmp_path).files == len(kept)  # `flux-lint cache clean` removes them all
    assert not tmp_path.exists()


def test_the_code_key_follows_the_code(monkeypatch):
    here = os.path.dirname(program_cache.__file__)
    names = {name for name, _, _ in program_cache._stamps(here)}
    assert {"fast.py", "compiler.py", "checks.py", "tree.py", "library/lists.py"} <= names
    key = program_cache._code_key()
    real = program_cache._stamps
    monkeypatch.setattr(program_cache, "_CODE_KEY", [])
    monkeypatch.setattr(
        program_cache, "_stamps", lambda folder: [(n, s, t + 1) for n, s, t in real(folder)]
    )
    assert program_cache._code_key() != key


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("aGVsbG8=", "byte"),
        ("aGVsbG8", "byte"),
        ("not base64!", "byte"),
        ("\u00e9", "byte"),
        ("2024-02-29T10:00:00Z", "date-time"),
        ("2024-02-30T10:00:00Z", "date-time"),
        ("2024-02-29T10:00:00.123456789+02:00", "date-time"),
        ("P1Y", "date-time"),
        ("2024-02-29", "date"),
        ("2023-02-29", "date"),
        ("1h30m", "duration"),
        ("ninety", "duration"),
        ("x", "email"),
    ],
)
def test_visible_formatted_strings_follow_the_conversion(value, fmt):
    from celpy import celtypes

    as_string = type(values._string(value, fmt)) is celtypes.StringType
    assert values._reads_as_string(value, fmt) is as_string
    assert (cel.to_visible(value, {"type": "string", "format": fmt}) == value) is as_string


# --------------------------------------------------------------------------------------------
# A whole run, in fresh interpreters


HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: default
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
  chartRef:
    kind: OCIRepository
    name: podinfo
  install:
    strategy:
      name: RemediateOnFailure
      retryInterval: 1m
"""

# Retries without a strategy name: the fast path cannot decide that rule, the interpreter does.
UNDECIDED = """\
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: other
  namespace: default
spec:
  interval: 10m
  chartRef:
    kind: OCIRepository
    name: podinfo
  upgrade:
    strategy:
      retryInterval: 1m
"""

# Runs the real entry point (without the forms shipped with the package, check/cel/seed.py,
# when asked), then writes the exit code and whether cel-python, Lark or pendulum were loaded
# (standard output is the report under test).
PROBE = """
import json, sys
from flux_lint.cli import main
if sys.argv[2] == "without-seed":
    from flux_lint.check.cel import seed
    seed._LOADED.append(None)
code = 0
try:
    main(sys.argv[3:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("celpy", "lark", "pendulum"))
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump({"code": code, "heavy": heavy}, fh)
"""


def _lint(tmp_path: Path, *options: str, seed: bool = False) -> tuple[int, str, list[str]]:
    report = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items() if k != "FLUX_LINT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(report),
            "with-seed" if seed else "without-seed",
            "repo",
            "--format",
            "json",
            *options,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    return data["code"], proc.stdout, data["heavy"]


def _edit(path: Path) -> None:
    """Change a file so that no cached result answers for it."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"# edited {os.urandom(4).hex()}\n")


@pytest.mark.parametrize("undecided", [False, True])
def test_a_warm_run_lints_a_helmrelease_without_cel_python(tmp_path, undecided):
    repo = tmp_path / "repo"
    repo.mkdir()
    release = repo / "release.yaml"
    release.write_text(HELM_RELEASE + (UNDECIDED if undecided else ""), encoding="utf-8")

    reference = _lint(tmp_path, "--no-cache")
    assert reference[0] == 1 and reference[2]  # compiled with cel-python
    findings = [
        (f["ruleId"], f["line"], f["message"]) for f in json.loads(reference[1])["findings"]
    ]
    assert ("FL201", 6, "either chart or chartRef must be set") in findings
    assert (
        "FL201",
        18,
        ".retryInterval cannot be set when .name is 'RemediateOnFailure'",
    ) in findings
    assert not list(tmp_path.glob("c*"))

    cold = _lint(tmp_path, "--cache-dir", "cache")
    assert cold[:2] == reference[:2]
    assert _forms(tmp_path / "cache")

    _edit(release)
    warm = _lint(tmp_path, "--cache-dir", "cache")
    no_cache = _lint(tmp_path, "--no-cache")
    assert warm[:2] == no_cache[:2]
    if undecided:
        # The interpreter had to run for the release without a strategy name, and compiled
        # what it ran.
        assert "celpy" in warm[2]
    else:
        assert warm[2] == []


@pytest.mark.parametrize("undecided", [False, True])
def test_a_run_without_cache_uses_the_shipped_forms(tmp_path, undecided):
    """The forms of the shipped schemas' rules come with the package: a run without a cache
    folder lints a HelmRelease without compiling its rules, with the same findings; cel-python
    is loaded only when the interpreter has to run."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "release.yaml").write_text(
        HELM_RELEASE + (UNDECIDED if undecided else ""), encoding="utf-8"
    )
    compiled = _lint(tmp_path, "--no-cache")
    shipped = _lint(tmp_path, "--no-cache", seed=True)
    assert shipped[:2] == compiled[:2]
    assert compiled[2]
    if undecided:
        assert "celpy" in shipped[2]
    else:
        assert shipped[2] == []
