"""Hostile and broken input never crashes, hangs or mislocates a finding.

Real repositories contain half-edited files, binary blobs with a ``.yaml`` name, generated
monsters, FIFOs and sockets left by tools, symlink loops and unreadable folders. flux-lint must
turn each of them into findings (or skip them) in bounded time, and every finding must point at a
place that exists in the file, because an annotation on line 900 of a 40-line file is worse than
none. Each case runs under a wall-clock limit raised from ``SIGALRM`` (no plugin needed).

The mutation tests take every file of the shared corpus, damage it in one way (seeded by path
and mutation, so a failure reproduces), and lint all damaged copies in one engine run, the same
path a user's ``flux-lint DIR`` takes (discovery, kustomization roles, repository checks).
"""

from __future__ import annotations

import errno
import os
import random
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from flux_lint.check.engine import INTERNAL_RULE, Linter, RunConfig
from flux_lint.core.findings import Finding
from flux_lint.load import discover as discover_module
from flux_lint.load.yaml import load_text
from flux_lint.run.pipeline import RunResult, run

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


class Hang(BaseException):
    """Raised by the alarm. A ``BaseException`` so that the engine's "a rule must never take the
    run down" handlers (``except Exception``) cannot turn a hang into an FL009 finding."""


@contextmanager
def time_limit(seconds: float, what: str = "this case") -> Iterator[None]:
    """Fail with :class:`Hang` when the block runs longer than ``seconds`` of wall time."""

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"{what} took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def linter() -> Linter:
    return Linter(RunConfig())


def line_count(text: str) -> int:
    """Lines as the widest reader counts them: ``str.splitlines`` breaks on everything libyaml
    breaks on (LF, CR, CRLF, NEL, LS, PS) and more, so it is the bound to hold positions to."""
    return len(text.splitlines())


def assert_well_placed(findings: list[Finding], texts: dict[str, str]) -> None:
    """No internal error; every finding inside its file (1 <= line <= lines + 1, column >= 1)."""
    internal = [f for f in findings if f.rule_id == INTERNAL_RULE]
    assert not internal, [(f.path, f.message) for f in internal]
    for f in findings:
        where = f"{f.rule_id} {f.path}:{f.line}:{f.column}: {f.message[:120]}"
        assert f.line >= 1 and f.column >= 1, where
        assert f.span.end_line >= f.line, where
        text = texts.get(f.path)
        if text is not None:
            assert f.line <= line_count(text) + 1, where
            assert f.span.end_line <= line_count(text) + 1, where


def lint(linter: Linter, text: str, path: str = "x.yaml") -> list[Finding]:
    findings = linter.lint_text(path, text).findings
    assert_well_placed(findings, {path: text})
    return findings


def rule_ids(findings: list[Finding]) -> set[str]:
    return {f.rule_id for f in findings}


# --------------------------------------------------------------------------------------------
# Mutations. Each takes a seeded generator and the file's text and returns the damaged bytes.


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def truncate(rng: random.Random, text: str) -> bytes:
    return text[: rng.randint(0, len(text))].encode()


def delete_lines(rng: random.Random, text: str) -> bytes:
    lines = _lines(text)
    for _ in range(rng.randint(1, 3)):
        if lines:
            del lines[rng.randrange(len(lines))]
    return "".join(lines).encode()


def duplicate_lines(rng: random.Random, text: str) -> bytes:
    lines = _lines(text)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    return "".join(lines).encode()


def insert_tabs(rng: random.Random, text: str) -> bytes:
    lines = _lines(text)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        line = lines[i]
        stripped = line.lstrip(" ")
        cut = rng.randint(0, len(line) - len(stripped))
        lines[i] = line[:cut] + "\t" + line[cut:]
    return "".join(lines).encode()


def swap_indentation(rng: random.Random, text: str) -> bytes:
    lines = _lines(text)
    for _ in range(rng.randint(1, 3)):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        a, b = lines[i], lines[j]
        lines[i] = " " * (len(b) - len(b.lstrip(" "))) + a.lstrip(" ")
        lines[j] = " " * (len(a) - len(a.lstrip(" "))) + b.lstrip(" ")
    return "".join(lines).encode()


def flip_quotes(rng: random.Random, text: str) -> bytes:
    chars = list(text)
    quotes = [i for i, c in enumerate(chars) if c in "\"'"]
    for i in rng.sample(quotes, min(len(quotes), rng.randint(1, 3))):
        chars[i] = rng.choice(["'", '"', ""])
    if not quotes:  # add an unbalanced one somewhere
        chars.insert(rng.randint(0, len(chars)), rng.choice("\"'"))
    return "".join(chars).encode()


def alias_noise(rng: random.Random, text: str) -> bytes:
    noise = ["&a ", "*a ", "*a", "&b ", "*b", "<<: *a\n", "&a", "*undefined ", "!!merge "]
    out = text
    for _ in range(rng.randint(1, 4)):
        candidates = [i + 2 for i in range(len(out)) if out.startswith((": ", "- "), i)]
        at = rng.choice(candidates) if candidates else rng.randint(0, len(out))
        out = out[:at] + rng.choice(noise) + out[at:]
    return out.encode()


def nul_bytes(rng: random.Random, text: str) -> bytes:
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 3)):
        data.insert(rng.randint(0, len(data)), 0)
    return bytes(data)


def invalid_utf8(rng: random.Random, text: str) -> bytes:
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(data))
        data[at:at] = rng.choice([b"\xff", b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88"])
    return bytes(data)


def control_characters(rng: random.Random, text: str) -> bytes:
    """Characters that are line breaks to some readers only: CR, NEL, LS, PS; and a stray BOM."""
    out = text
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        out = out[:at] + rng.choice(["\r", "\x85", "\u2028", "\u2029", "\ufeff", "\x1b"]) + out[at:]
    return out.encode()


def huge_line(rng: random.Random, text: str) -> bytes:
    # Runs of `[` and `{` included: libyaml spends time proportional to the open flow levels
    # on every token, so the loader must cut such a line off at its depth limit.
    lines = _lines(text)
    filler = rng.choice(["x", "a: ", "- ", "{", "[", "'", " ", "#", "\\"]) * rng.randint(
        20_000, 80_000
    )
    lines.insert(rng.randrange(len(lines)), f"huge: {filler}\n")
    return "".join(lines).encode()


def deep_nesting(rng: random.Random, text: str) -> bytes:
    depth = rng.choice([150, 199, 200, 201, 1_000, 5_000])
    opener, closer = rng.choice([("[", "]"), ("{a: ", "}"), ("- ", "")])
    lines = _lines(text)
    i = rng.randrange(len(lines))
    value = opener * depth + "x" + closer * depth
    lines.insert(i, f"nested: {value}\n")
    return "".join(lines).encode()


MUTATIONS: dict[str, Callable[[random.Random, str], bytes]] = {
    f.__name__.replace("_", "-"): f
    for f in (
        truncate,
        delete_lines,
        duplicate_lines,
        insert_tabs,
        swap_indentation,
        flip_quotes,
        alias_noise,
        nul_bytes,
        invalid_utf8,
        control_characters,
        huge_line,
        deep_nesting,
    )
}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def checked_run(config: RunConfig, texts: dict[str, str], seconds: float) -> RunResult:
    with time_limit(seconds, f"linting {config.paths}"):
        result = run(config)
    assert_well_placed(result.findings, texts)
    return result


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutated_corpus(mutation: str, tmp_path: Path, linter: Linter) -> None:
    files = corpus_files()
    if not files:
        pytest.skip(f"no corpus at {CORPUS}")
    mutate = MUTATIONS[mutation]
    texts: dict[str, str] = {}
    (tmp_path / ".git").mkdir()
    for path in files:
        rel = path.relative_to(CORPUS).as_posix()
        rng = random.Random(f"{mutation}:{rel}")
        data = mutate(rng, path.read_text(encoding="utf-8"))
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        texts[rel] = data.decode("utf-8", "replace")
    try:
        result = checked_run(RunConfig(paths=[str(tmp_path)]), texts, 60)
    except (Exception, Hang):
        # Name the file: lint each damaged copy on its own, the first failure is the culprit.
        for rel, text in texts.items():
            if "\x00" in text or "\ufffd" in text:
                continue
            with time_limit(10, rel):
                lint(linter, text, rel)
        raise
    assert result.files == len(files)


# --------------------------------------------------------------------------------------------
# Limits: alias bombs, nesting, document counts, sizes.

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    "text",
    [
        BILLION_LAUGHS,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" + BILLION_LAUGHS,
        # Merge keys doubling at every level: 2**40 keys if expanded naively.
        "a: &m0 {x: 1}\n"
        + "".join(f"m{i}: &m{i}\n  <<: [*m{i - 1}, *m{i - 1}]\n" for i in range(1, 41)),
        # An anchor used inside itself: a cycle, not a tree.
        "a: &a [*a]\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: x\n  self: *m\n",
    ],
    ids=["billion-laughs", "billion-laughs-in-object", "merge-doubling", "self-alias", "self-map"],
)
def test_alias_bombs_are_refused_quickly(linter: Linter, text: str) -> None:
    with time_limit(5):
        found = lint(linter, text)
    assert "FL006" in rule_ids(found)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "{a: " * 10_000 + "}" * 10_000,
        "- " * 10_000 + "x\n",
        "".join("  " * i + f"k{i}:\n" for i in range(2_000)) + "  " * 2_000 + "v\n",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: x\n"
        "spec:\n  interval: 1m\n  values:\n    deep: " + "[" * 10_000 + "]" * 10_000 + "\n",
    ],
    ids=["flow-seq", "flow-map", "block-seq", "block-map-2000", "in-helm-values"],
)
def test_ten_thousand_levels_of_nesting(linter: Linter, text: str) -> None:
    with time_limit(20):
        found = lint(linter, text)
    assert "FL006" in rule_ids(found)


def test_deep_flow_nesting_is_cut_off_in_linear_time() -> None:
    with time_limit(3, "40k unclosed `[`"):
        result = load_text("a: " + "[" * 40_000 + "\n")
    assert [p.code for p in result.problems] == ["limit"]


def test_nesting_just_under_the_limit_is_checked(linter: Linter) -> None:
    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: x\n"
        "spec:\n  interval: 1m\n  chartRef: {kind: OCIRepository, name: x}\n"
        "  values:\n    deep: " + "[" * 190 + "]" * 190 + "\n"
    )
    with time_limit(10):
        found = lint(linter, text)
    assert "FL006" not in rule_ids(found)


def test_hundred_thousand_documents_in_one_file(tmp_path: Path) -> None:
    doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n"
    text = doc * 100_000
    (tmp_path / "many.yaml").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    result = checked_run(
        RunConfig(paths=[str(tmp_path)], max_bytes=len(text) + 1), {"many.yaml": text}, 60
    )
    limits = [f for f in result.findings if f.rule_id == "FL006"]
    assert len(limits) == 1 and "10000 documents" in limits[0].message
    assert result.documents == 10_000
    assert time.perf_counter() - started < 60


def test_fifty_megabyte_file_is_refused_by_size(tmp_path: Path) -> None:
    line = "key: " + "v" * 94 + "\n"
    with open(tmp_path / "big.yaml", "w", encoding="utf-8") as handle:
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    (tmp_path / "ok.yaml").write_text("a: 1\n", encoding="utf-8")
    for max_bytes in (1024, 5 * 1024 * 1024, 50 * 1024 * 1024 - 1):
        result = checked_run(RunConfig(paths=[str(tmp_path)], max_bytes=max_bytes), {}, 10)
        assert [(f.rule_id, f.path) for f in result.findings] == [("FL005", "big.yaml")]
        assert result.files == 2


def test_huge_line_within_the_size_limit(linter: Linter) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: " + "x" * 4_000_000
    with time_limit(10):
        lint(linter, text + "\n")


# --------------------------------------------------------------------------------------------
# Files that are not files: FIFOs, sockets, devices, links that loop, folders we cannot read.


def test_fifo_and_socket_inside_a_folder_are_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "link-to-pipe.yaml").symlink_to("pipe.yaml")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock.yaml"))
        (tmp_path / "ok.yaml").write_text("a: 1\n", encoding="utf-8")
        result = checked_run(RunConfig(paths=[str(tmp_path)]), {}, 10)
    finally:
        server.close()
    assert result.files == 1
    assert result.findings == []


def test_socket_named_on_the_command_line_is_unreadable(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock.yaml"))
        result = checked_run(RunConfig(paths=[str(tmp_path / "sock.yaml")]), {}, 10)
    finally:
        server.close()
    assert [f.rule_id for f in result.findings] == ["FL003"]


def test_endless_character_device_is_cut_at_the_size_limit() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    result = checked_run(RunConfig(paths=["/dev/zero"], max_bytes=4096), {}, 10)
    assert [f.rule_id for f in result.findings] == ["FL005"]


def test_fifo_named_on_the_command_line_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    checked_run(RunConfig(paths=[str(tmp_path / "pipe.yaml")]), {}, 3)


def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "ok.yaml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "apps" / "up").symlink_to("..")  # a folder that contains itself
    (tmp_path / "apps" / "self").symlink_to("self")  # ELOOP
    (tmp_path / "x.yaml").symlink_to("y.yaml")  # two links that point at each other
    (tmp_path / "y.yaml").symlink_to("x.yaml")
    result = checked_run(RunConfig(paths=[str(tmp_path)]), {}, 10)
    assert result.files == 1
    loops = sorted(f.path for f in result.findings if f.rule_id == "FL007")
    assert loops == ["apps/self", "apps/up", "x.yaml", "y.yaml"], result.findings
    named = checked_run(RunConfig(paths=[str(tmp_path / "x.yaml")]), {}, 10)
    assert [f.rule_id for f in named.findings] == ["FL007"]


def test_folder_without_permission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permissions are simulated: the suite may run as root, who can read anything."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "open.yaml").write_text("a: 1\n", encoding="utf-8")
    real_scandir = os.scandir
    locked = str(tmp_path / "secret")

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(discover_module.os, "scandir", scandir)
    result = checked_run(RunConfig(paths=[str(tmp_path)]), {}, 10)
    assert [(f.rule_id, f.path) for f in result.findings] == [("FL007", "secret")]
    assert "permission denied" in result.findings[0].message
    assert result.files == 1


def test_file_without_permission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated at ``os.open``, which every way of reading a file ends in, so the test holds
    whichever reader the engine uses."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "locked.yaml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "open.yaml").write_text("a: 1\n", encoding="utf-8")
    real_open = os.open

    def guarded_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).endswith("locked.yaml"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    result = checked_run(RunConfig(paths=[str(tmp_path)]), {}, 10)
    assert [(f.rule_id, f.path, f.message) for f in result.findings] == [
        ("FL003", "locked.yaml", "permission denied")
    ]


def test_output_through_a_symlink_writes_the_target(tmp_path: Path) -> None:
    from flux_lint.cli import main

    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    target = tmp_path / "report.json"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with time_limit(30), pytest.raises(SystemExit):
        main([str(tmp_path / "repo"), "--format", "json", "-o", str(link)])
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("{")


# --------------------------------------------------------------------------------------------
# Repository structure: ignore files and kustomization graphs written to hurt.


def test_gitignore_glob_cannot_stall_discovery(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*a" * 12 + "*b\n", encoding="utf-8")
    (tmp_path / ("a" * 60 + ".yaml")).write_text("a: 1\n", encoding="utf-8")
    checked_run(RunConfig(paths=[str(tmp_path)]), {}, 2)


FLUX_KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./k0
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


def _kustomization(folder: Path, resources: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f"  - {r}\n" for r in resources)
    (folder / "kustomization.yaml").write_text(
        f"resources:\n{body}" if resources else "resources: []\n", encoding="utf-8"
    )


def test_deep_kustomization_chain_is_not_an_internal_error(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ks.yaml").write_text(FLUX_KUSTOMIZATION, encoding="utf-8")
    depth = 1_000
    for i in range(depth):
        _kustomization(tmp_path / f"k{i}", [f"../k{i + 1}"])
    _kustomization(tmp_path / f"k{depth}", [])
    checked_run(RunConfig(paths=[str(tmp_path)]), {}, 30)


def test_kustomization_diamonds_take_linear_time(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "ks.yaml").write_text(FLUX_KUSTOMIZATION, encoding="utf-8")
    depth = 22
    for i in range(depth):
        _kustomization(tmp_path / f"k{i}", [f"../a{i}", f"../b{i}"])
        _kustomization(tmp_path / f"a{i}", [f"../k{i + 1}"])
        _kustomization(tmp_path / f"b{i}", [f"../k{i + 1}"])
    _kustomization(tmp_path / f"k{depth}", [])
    checked_run(RunConfig(paths=[str(tmp_path)]), {}, 3)


# --------------------------------------------------------------------------------------------
# Keys that are not strings.


def test_nan_as_a_mapping_key(linter: Linter) -> None:
    """A plain `.nan:` key (seen in Helm values) once aborted the whole run."""
    with time_limit(5):
        lint(linter, "values:\n  .nan: 1\n  .inf: 2\n  1.5: 3\n")
    assert load_text(".nan: 1\n").documents[0].data == {"NaN": 1}


# --------------------------------------------------------------------------------------------
# Text that cannot come from a file but can reach the public API.


def test_lone_surrogate_is_a_problem_not_a_crash() -> None:
    result = load_text("a: \udcff\n")
    assert [p.code for p in result.problems] == ["syntax"]
