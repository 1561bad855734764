"""The shortcuts that make large runs fast give the results of the long way round: the sized
file reader, fix verification on the edited document only, and how often a run reads and
parses each file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import manifests
import pytest

from flux_lint.check import edits as fix
from flux_lint.check.engine import Linter, RunConfig
from flux_lint.load.source import read_source
from flux_lint.run import pipeline as engine
from flux_lint.run.pipeline import read_file, run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


# -- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"a: 1\n",
        b"",
        "\ufeffkind: x\r\n".encode(),
        "kind: x\n".encode("utf-16"),
        "kind: x\n".encode("utf-32"),
        b"a: \xff\n",
        b"\x00\x01binary",
        b"x" * 5000,
    ],
    ids=["plain", "empty", "bom-crlf", "utf16", "utf32", "invalid-utf8", "binary", "too-large"],
)
def test_read_file_is_read_source(tmp_path, content):
    path = tmp_path / "f.yaml"
    path.write_bytes(content)
    assert read_file(path, "f.yaml", 4096) == read_source(path, "f.yaml", max_bytes=4096)


def test_read_file_special_files_go_the_long_way(tmp_path):
    missing = tmp_path / "missing.yaml"
    assert read_file(missing, "m", 100) == read_source(missing, "m", max_bytes=100)
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert read_file(folder, "d", 100) == read_source(folder, "d", max_bytes=100)
    target = tmp_path / "t.yaml"
    target.write_text("a: 1\n", encoding="utf-8")
    link = tmp_path / "l.yaml"
    link.symlink_to(target)
    assert read_file(link, "l", 100) == read_source(link, "l", max_bytes=100)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "p.yaml"
        os.mkfifo(fifo)
        assert read_file(fifo, "p", 100) == read_source(fifo, "p", max_bytes=100)


# -- fix verification ----------------------------------------------------------------------------

#: One HelmRelease per document, named `app<i>`, each with a fixable FL401.
RELEASE = manifests.HELM_RELEASE.replace("name: podinfo\n  namespace", "name: app{i}\n  namespace")


def _fix_findings(linter: Linter, path: str, text: str) -> list[tuple]:
    report = linter.lint_file(path, text)[0]
    return [(f.rule_id, f.span, f.pointer, f.fix) for f in report.findings]


def _whole_file_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fix, "_verified_in_document", lambda *args: False)


def _fixture_texts() -> list[tuple[str, str]]:
    texts = []
    for folder in (FIXTURES / "rules", CORPUS):
        if folder.is_dir():
            for path in sorted(folder.rglob("*.y*ml")):
                try:
                    texts.append((path.name, path.read_text(encoding="utf-8")))
                except (UnicodeDecodeError, OSError):
                    continue
    return texts


def test_document_verification_offers_exactly_the_fixes_of_whole_file_verification(
    monkeypatch,
):
    """Every fixture and corpus file, fixes verified both ways: the same fixes come out."""
    linter = Linter(RunConfig(from_version=(2, 8)))
    texts = _fixture_texts()
    fast = [_fix_findings(linter, name, text) for name, text in texts]
    _whole_file_only(monkeypatch)
    fix._loaded.cache_clear()
    slow = [_fix_findings(linter, name, text) for name, text in texts]
    assert fast == slow
    assert any(f[3] is not None for findings in fast for f in findings)


@pytest.mark.parametrize(
    "text",
    [
        # A directive above the second document changes how its tags read.
        "a: 1\n%TAG !e! tag:example.com,2000:\n---\nkind: Kustomization\nspec: {x: !e!y 1}\n",
        # Anchors are per document; an alias to a key of the edited mapping.
        "---\nspec: &s\n  a: 1\nother: *s\n---\nspec: {}\n",
        # Documents closed with `...`, a comment between documents.
        "spec:\n  a: 1\n...\n# between\n---\nspec:\n  b: 2\n",
        # The last document without a trailing line break.
        "spec:\n  a: 1\n---\nspec:\n  b: 2",
        # CRLF and a flow mapping.
        "spec: {a: 1}\r\n---\r\nspec: {b: 2}\r\n",
    ],
)
def test_document_verification_agrees_on_odd_layouts(text):
    """For each document, inserting a key verified the short way agrees with the long way."""
    loaded = fix.load_text(text)
    for document in loaded.documents:
        if not isinstance(document.data, dict) or not isinstance(document.data.get("spec"), dict):
            continue
        builder = fix.insert_key("/spec", "added", "yes-no")
        made = builder(document, text)
        if made is None:
            continue
        short = fix._verified_in_document(document, text, made.edits, "/spec/added", "yes-no")
        assert not short or _whole_file_check(document, text, made.edits, "/spec/added")


def _whole_file_check(document, text, edits, pointer) -> bool:
    before = fix.load_text(text)
    after = fix.load_text(fix.apply_edits(text, edits))
    if len(after.documents) != len(before.documents):
        return False
    if fix._problem_codes(after) != fix._problem_codes(before):
        return False
    expected = fix._with_value(document.data, fix.pointer_tokens(pointer), "yes-no")
    return all(
        fix._same(new.data, expected if old.index == document.index else old.data)
        for old, new in zip(before.documents, after.documents, strict=True)
    )


def test_many_fixable_documents_cost_a_parse_each_not_a_file_each(monkeypatch):
    """300 HelmReleases in one file, each with an insert-key fix: whole-file parses stay a
    handful (they were one per fix), and every fix is still offered."""
    text = "---\n".join(RELEASE.format(i=i) for i in range(300))
    linter = Linter(RunConfig())
    whole = 0
    real = fix.load_text

    def counting(source: str):
        nonlocal whole
        if len(source) >= len(text):
            whole += 1
        return real(source)

    monkeypatch.setattr(fix, "load_text", counting)
    fix._loaded.cache_clear()
    report = linter.lint_file("releases.yaml", text)[0]
    fixes = [f for f in report.findings if f.rule_id == "FL401"]
    assert len(fixes) == 300 and all(f.fix is not None for f in fixes)
    assert whole <= 2


# -- how often a run reads and parses --------------------------------------------------------------


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", root)
    (root / ".git").mkdir()
    return root


def test_a_warm_run_reads_each_file_once_and_parses_none(tmp_path, monkeypatch):
    root = _repo(tmp_path)
    config = RunConfig(paths=[str(root)], cache_dir=tmp_path / "cache")
    cold = run(config)
    reads: list[str] = []
    parses: list[int] = []
    real_read = engine.read_file_and_bytes
    real_load = engine.load_text

    def read(path, display, max_bytes):
        reads.append(display)
        return real_read(path, display, max_bytes)

    def load(text):
        parses.append(len(text))
        return real_load(text)

    monkeypatch.setattr(engine, "read_file_and_bytes", read)
    monkeypatch.setattr(engine, "load_text", load)
    warm = run(config)
    assert warm.findings == cold.findings
    # Each file is read once to be hashed; a file holding only findings of the repository pass
    # (objects judged as their builds deploy them) is read once more, to show them.
    shown = {f.path for f in warm.findings}
    again = [path for path in set(reads) if reads.count(path) > 1]
    assert all(reads.count(path) == 2 and path in shown for path in again)
    assert len(set(reads)) == warm.files
    assert parses == []


def test_a_run_without_cache_reads_each_file_once(tmp_path, monkeypatch):
    root = _repo(tmp_path)
    reads: list[str] = []
    real_read = engine.read_file_and_bytes

    def read(path, display, max_bytes):
        reads.append(display)
        return real_read(path, display, max_bytes)

    monkeypatch.setattr(engine, "read_file_and_bytes", read)
    result = run(RunConfig(paths=[str(root)], enabled={"FL101", "FL301"}))
    # A file whose findings come from the repository pass (an object judged as its builds
    # deploy it) is read once more, to locate and show them.
    shown = {f.path for f in result.findings}
    again = [path for path in set(reads) if reads.count(path) > 1]
    assert all(reads.count(path) == 2 and path in shown for path in again)
    assert len(set(reads)) == result.files


# -- the --from a run detects -------------------------------------------------------------------

FLUX_INSTANCE_26 = """\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.6.x"
    registry: ghcr.io/fluxcd
"""

GOTK_27 = """\
# This manifest was generated by flux. DO NOT EDIT.
# Flux Version: v2.7.1
# Components: source-controller,kustomize-controller
---
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
"""


def _pinned_repo(tmp_path: Path) -> Path:
    root = _repo(tmp_path)
    (root / "clusters" / "prod").mkdir(parents=True)
    (root / "clusters" / "prod" / "flux-instance.yaml").write_text(FLUX_INSTANCE_26)
    (root / "clusters" / "prod" / "gotk-components.yaml").write_text(GOTK_27)
    return root


def test_the_run_detects_its_from_reading_each_file_once(tmp_path, monkeypatch):
    from flux_lint.load import source
    from flux_lint.model.flux_version import from_default

    root = _pinned_repo(tmp_path)
    expected = from_default([str(root)], (2, 9))
    assert expected == (
        (2, 6),
        "Flux `2.6.x` (FluxInstance in clusters/prod/flux-instance.yaml): upgrade report "
        "from 2.6 to 2.9 (--from none turns it off)",
    )
    opened: list[str] = []
    real_open = source._open

    def counting(path):
        opened.append(os.path.realpath(path))
        return real_open(path)

    monkeypatch.setattr(source, "_open", counting)
    notes: list[str] = []
    config = RunConfig(paths=[str(root)], enabled={"FL101", "FL301"}, detect_from=True)
    config.from_note = notes.append
    result = run(config)
    assert notes == [expected[1]]
    assert (config.from_version, config.detect_from) == ((2, 6), False)
    assert result.detected_from == expected
    # Detection added no read: files are opened once, except those whose repository
    # findings are shown (read once more, as in any run).
    shown = {os.path.realpath(root / f.path) for f in result.findings}
    again = {path for path in opened if opened.count(path) > 1}
    assert again <= shown
    assert os.path.realpath(root / "clusters/prod/flux-instance.yaml") in opened
    assert len(set(opened)) == result.files
    given = run(RunConfig(paths=[str(root)], enabled={"FL101", "FL301"}, from_version=(2, 6)))
    assert result.findings == given.findings


def test_a_detected_from_is_remembered_and_changes_with_the_file(tmp_path, monkeypatch):
    from flux_lint.run import memo

    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)  # as if written long before
    root = _pinned_repo(tmp_path)
    cache = tmp_path / "cache"

    def detected_run() -> tuple[list[str], RunConfig]:
        notes: list[str] = []
        config = RunConfig(paths=[str(root)], cache_dir=cache, detect_from=True)
        config.from_note = notes.append
        result = run(config)
        assert result.detected_from == (config.from_version, notes[0])
        return notes, config

    first, config = detected_run()
    assert config.from_version == (2, 6)
    linted = []
    monkeypatch.setattr(engine, "_run_all", lambda *args: linted.append(args))
    again, config = detected_run()  # the whole run from its record: the note all the same
    assert (again, config.from_version, linted) == (first, (2, 6), [])
    monkeypatch.undo()
    monkeypatch.setattr(memo, "RACY_SECONDS", 0.0)
    instance = root / "clusters" / "prod" / "flux-instance.yaml"
    instance.write_text(FLUX_INSTANCE_26.replace("2.6.x", "2.9.x") + "\n")
    notes, config = detected_run()
    assert config.from_version == (2, 7)  # the oldest pinned version left
    assert notes == [
        "Flux `v2.7.1` (gotk-components.yaml in clusters/prod/gotk-components.yaml:2): upgrade "
        "report from 2.7 to 2.9 (--from none turns it off)"
    ]
