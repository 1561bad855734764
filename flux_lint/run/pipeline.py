"""The run: discover → read → load → model → check → sort, for every file of the paths given.

Each file is processed on its own (``Linter.lint_file``) so that a run can be spread over
processes and a file's node tree is dropped as soon as its findings are located. Only
kustomization files are read ahead: they decide which other files are patches (partial
objects) or generator data.

What one file gives is its report (findings, counts, inline suppressions) and its share of the
repository index. It comes from this process, from worker processes (workers.py, from
:data:`FILES_PER_WORKER` files to lint per worker) or from the on-disk cache (cache.py), as a
plain *record* in the last two cases, and is applied in file order whatever its origin, so the
three give the same result byte for byte. The repository checks run on the whole index; with a
cache, their findings are reused only when no file, path or setting they could read changed
(run/repository.py): at 10,000 documents they cost about as much as the rest of a warm
run together.
"""

from __future__ import annotations

import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux_lint.check.engine import (
    DISCOVERY_RULE,
    INTERNAL_RULE,
    NOT_APPLIED_RULE,
    SOURCE_CODES,
    FileReport,
    Linter,
    RunConfig,
)
from flux_lint.check.registry import Registry
from flux_lint.core.findings import Finding, Severity
from flux_lint.load.discover import SourcePath
from flux_lint.load.lookup import in_repository
from flux_lint.load.yaml import LoadResult, load_text
from flux_lint.model.index import IndexEntry
from flux_lint.model.kustomize import (
    DATA,
    PATCH,
    file_roles,
    is_kustomization_file,
    is_kustomize_config,
)
from flux_lint.run.structure import (
    add_context,
    add_structure,
    has_flux_kustomization,
    known_file,
)
from flux_lint.run.workers import Task


@dataclass
class RunResult:
    root: Path
    findings: list[Finding]
    files: int = 0
    documents: int = 0
    objects: int = 0
    duration: float = 0.0
    texts: dict[str, str] = field(default_factory=dict)  # file texts of files with findings
    #: Files whose per-file results came from the cache, and files linted in this run.
    cache_hits: int = 0
    linted: int = 0
    #: Worker processes used for the per-file pass (1: this process only).
    workers: int = 1
    #: Which files Flux applies (model/applied.py), and how many files were not checked
    #: because nothing applies them.
    applied: Any = None
    unapplied: int = 0
    #: Objects per schema source that validated them, and objects without a schema per kind.
    schemas: dict[str, int] = field(default_factory=dict)
    unchecked: dict[str, int] = field(default_factory=dict)

    #: Lines for the end of the run summary (e.g. ResourceSets rendered with placeholders).
    notes: list[str] = field(default_factory=list)
    #: (version, note) of the ``--from`` this run detected (RunConfig.detect_from), if any.
    detected_from: tuple[Any, str | None] | None = None
    #: Whether the run read a file changed too recently for its result to be remembered.
    racy: bool = False

    def internal_errors(self) -> list[Finding]:
        return [f for f in self.findings if f.rule_id == INTERNAL_RULE]


#: Files to lint per worker process, at least: each worker costs ~0.15 s of CPU (start, then
#: compile the schemas and CEL programs its objects need all over again, and the main process
#: decodes what it sends), which ~500 files (~0.6 ms each) repay with room to spare on a busy
#: machine. So a run starts workers from ``2 * FILES_PER_WORKER`` files on, and no more than
#: one per ``FILES_PER_WORKER`` files however many cores there are.
FILES_PER_WORKER = 500
#: Texts of files still to lint are kept from the reading pass up to this many characters in
#: all (larger runs read them again rather than hold a whole repository in memory), when they
#: are linted in this process (worker processes read their files themselves).
KEEP_TEXT_BUDGET = 16 * 1024 * 1024


def read_file(path: Path, display: str, max_bytes: int) -> Any:
    """A file's text (``SourceText``) or why it cannot be read (``SourceError``); every read of
    the engine goes through :func:`read_file_and_bytes`."""
    return read_file_and_bytes(path, display, max_bytes)[0]


def read_file_and_bytes(path: Path, display: str, max_bytes: int) -> tuple[Any, bytes | None]:
    """:func:`read_file`, plus the raw bytes (for the cache's content hash)."""
    from flux_lint.load.source import read_source_and_bytes

    return read_source_and_bytes(path, display, max_bytes=max_bytes)


class _Collector:
    """What the per-file pass adds up: findings, counts, texts, directives and the index."""

    def __init__(self, linter: Linter) -> None:
        self.linter = linter
        self.findings: list[Finding] = []
        self.texts: dict[str, str] = {}
        self.directives: dict[str, Any] = {}
        self.files = 0
        self.documents = 0
        self.objects = 0
        self.unapplied_files = 0  # files whose objects were not checked (not applied)
        self.schemas: Counter[str] = Counter()
        self.unchecked: Counter[str] = Counter()
        #: (display path, role, content hash or source error code, checked) of every file, in
        #: order: what the repository index and its checks were made from (the key of the
        #: repository findings).
        self.inputs: list[tuple[str, str | None, str, bool]] = []

    def error(self, rule_id: str, path: str, message: str) -> None:
        finding = self.linter.file_error(rule_id, path, message)
        if finding:
            self.findings.append(finding)

    def add(
        self,
        report: FileReport,
        entries: list[IndexEntry],
        kustomize: list[dict[str, Any]],
        role: str | None,
        text: str | None,
        checked: bool = True,
    ) -> None:
        self.findings.extend(report.findings)
        self.unapplied_files += not checked
        self.documents += report.documents
        self.objects += report.objects
        self.schemas.update(report.schemas)
        self.unchecked.update(report.unchecked)
        if report.findings and text is not None:
            self.texts[report.path] = text
        if report.directives is not None:
            # Kept for the suppression pass, and the text for FL008's fix and --show-source.
            self.directives[report.path] = report.directives
            if text is not None:
                self.texts[report.path] = text
        index = self.linter.index
        if index is not None:
            if role != DATA:
                index.files.add(report.path)
            for entry in entries:
                index.add(entry)
            for data in kustomize:
                index.add_kustomize_file(report.path, data)


def _worker_count(jobs: int) -> int:
    if jobs == 1:
        return 1
    from flux_lint.run.workers import available_cpus, can_fork

    if not can_fork():
        return 1
    return available_cpus() if jobs <= 0 else jobs


def _workers_for(workers: int, files: int) -> int:
    """Worker processes for ``files`` files to lint (1: none, lint here)."""
    used = min(workers, files // max(1, FILES_PER_WORKER))
    return used if used >= 2 else 1


def _planned_workers(jobs: int, files: int) -> int:
    """:func:`_workers_for` ``files`` with ``--jobs``; the cores are only looked up (and
    multiprocessing imported) when there are files enough for workers."""
    if files < 2 * FILES_PER_WORKER:
        return 1
    return _workers_for(_worker_count(jobs), files)


def _open_cache(config: RunConfig, linter: Linter, root: Path, found: Any = None) -> Any:
    """The run's cache, keyed by everything but the CRDs (added by :func:`_crd_key` once the
    repository's own CRDs are known).

    Runs that name files one by one (a pre-commit hook, an editor) share one pack per
    repository whatever files they name: each names others, and the context walk of the next
    one finds there the facts and structure of the files it did not open."""
    from flux_lint.run.cache import (
        ResultCache,
        canonical,
        code_fingerprint,
        digest,
        registry_digest,
    )

    assert config.cache_dir is not None
    base = digest(
        code_fingerprint(),
        registry_digest(linter.registry),
        sorted(linter.enabled),
        config.flux_version,
        config.from_version,
        config.kubernetes_version,
        schema_dirs_digest(config.schema_dirs),
        config.max_bytes,
        canonical(config.options),
        linter.index is not None,
        config.detect_from,
    )
    pack = digest(
        base,
        str(root),
        _pack_paths(config, found),
        sorted(config.exclude),
        config.respect_gitignore,
    )
    cache = ResultCache(Path(config.cache_dir), pack)
    cache.run_key = base
    return cache


def _pack_paths(config: RunConfig, found: Any) -> Any:
    """What part of the pack's key the named paths are: the paths, or, when every one is a
    file named alone (and standard input is not read), that alone."""
    paths = sorted(p for p in config.paths if p != "-")
    alone = found is not None and paths and len(found.explicit) == len(paths)
    return "files named one by one" if alone and "-" not in config.paths else paths


def schema_dirs_digest(folders: list[Path]) -> list[tuple[str, int, int]]:
    """Name, size and modification time of every schema file of ``--schema-dir`` folders: a
    cached result is reused only while those files stay the same."""
    items: list[tuple[str, int, int]] = []
    for folder in folders:
        try:
            entries = sorted(Path(folder).rglob("*.json"))
        except OSError:
            continue
        for path in entries:
            try:
                info = path.stat()
            except OSError:
                continue
            items.append((str(path), info.st_size, info.st_mtime_ns))
    return items


def _crd_key(linter: Linter) -> str:
    """Every CRD version the run validates custom resources against (``--crds`` and the
    repository's), with where each was defined: a per-file result depends on all of them."""
    from dataclasses import fields

    from flux_lint.run.cache import canonical, digest

    catalog = linter.crd_catalog
    return digest(
        [
            (key, canonical([getattr(entry, f.name) for f in fields(entry)]))
            for key, entry in sorted(catalog.entries.items())
        ],
        sorted(catalog.origins.items()),
        sorted(catalog.ignored),
    )


def _entry_key(
    linter: Linter, cache: Any, display: str, role: str | None, sha256: str, checked: bool
) -> str:
    """A file's record depends on its path, role and content, on whether it is checked, and
    on what its effective objects depend on (its Kustomizations' patches)."""
    from flux_lint.run.cache import digest

    effective = linter.ctx.effective
    context = effective.context_key(display) if checked and effective is not None else ""
    return digest(cache.run_key, display, role, sha256, checked, context)


def _cacheable(report: FileReport) -> bool:
    """A rule that crashed (FL009) may have met a passing condition (memory, recursion):
    such a file is linted again next time rather than its crash remembered."""
    return not any(f.rule_id == INTERNAL_RULE for f in report.findings)


def _kustomization_roles(
    config: RunConfig, sources: list[Any], cache: Any, facts: Any = None
) -> tuple[dict[str, str], dict[str, tuple[Any, bytes | None]], dict[str, LoadResult]]:
    """Roles of the files kustomization files name (patch, generator data), and what was read
    and parsed to learn them (kept for the per-file pass). A kustomization file's roles depend
    on its path and content only, so the cache keeps them too."""
    from flux_lint.load.source import SourceError
    from flux_lint.run.cache import digest

    roles: dict[str, str] = {}
    read: dict[str, tuple[Any, bytes | None]] = {}
    parsed: dict[str, LoadResult] = {}
    for src in sources:
        if not is_kustomization_file(src.display):
            continue
        known = facts.known(src.display, src.path_text) if facts is not None else None
        if known is not None:  # unchanged since the last run: its roles are in the cache
            named = cache.get_memo("roles:" + digest(cache.run_key, src.display, known[0]))
            if named is not None:
                for path, role in named:
                    roles.setdefault(path, role)
                continue
        text, raw = read_file_and_bytes(src.path, src.display, config.max_bytes)
        read[src.display] = (text, raw)
        if isinstance(text, SourceError):
            continue
        key = "roles:" + digest(cache.run_key, src.display, text.sha256) if cache else ""
        named = cache.get_memo(key) if cache is not None else None
        if named is None:
            named = []
            loaded = parsed[src.display] = load_text(text.text)
            for doc in loaded.documents:
                if isinstance(doc.data, dict) and is_kustomize_config(doc.data, src.display):
                    named.extend(file_roles(src.display, doc.data).items())
            if cache is not None:
                cache.put_memo(key, [list(pair) for pair in named])
        for path, role in named:
            roles.setdefault(path, role)
    return roles, read, parsed


def run(config: RunConfig, registry: Registry | None = None) -> RunResult:
    """Lint what ``config.paths`` name and return every finding, sorted.

    With a cache, the whole result is remembered with the metadata of every file and folder
    the run read (run/memo.py): when none of them changed, the run is one cache read. Else
    :func:`run_all` runs, reusing what the cache holds per file.
    """
    if config.cache_dir is None or "-" in config.paths:
        return run_all(config, registry)
    from flux_lint.check.registry import builtin_registry
    from flux_lint.run import memo

    started = time.perf_counter()
    registry = registry if registry is not None else builtin_registry()
    key = _run_memo_key(config, registry)
    found, stored = memo.recall(config.cache_dir, key)
    if found:
        try:
            result = _decode_result(stored, time.perf_counter() - started)
        except (TypeError, ValueError):
            pass  # a record of another shape: run
        else:
            if config.detect_from and result.detected_from is not None:
                from flux_lint.run.from_version import apply

                apply(config, *result.detected_from)
            return result
    wall = time.time()
    result, recorder = memo.record(
        lambda: run_all(config, registry), memo.ignored_paths(config.cache_dir)
    )
    if result.racy:  # nothing made from a file changed a moment ago can be remembered
        from flux_lint.run import replay

        replay.not_replayable()
    elif not result.internal_errors():
        memo.remember(config.cache_dir, key, _encode_result(result), recorder, wall)
    return result


def _run_memo_key(config: RunConfig, registry: Registry) -> str:
    """Everything a run's result depends on besides the files it reads: flux-lint's code,
    the rules, every setting, and the folder relative paths are resolved from."""
    from dataclasses import fields

    from flux_lint.run.cache import canonical, code_fingerprint, digest, registry_digest

    settings = [
        (f.name, canonical(getattr(config, f.name)))
        for f in fields(config)
        if f.name not in ("progress", "stdin_text", "from_note")
    ]
    return digest("run", code_fingerprint(), registry_digest(registry), settings, os.getcwd())


def _encode_result(result: RunResult) -> tuple[Any, ...]:
    from flux_lint.run.cache import encode_findings

    return (
        str(result.root),
        encode_findings(result.findings),
        result.files,
        result.documents,
        result.objects,
        dict(result.texts),
        result.linted + result.cache_hits,
        result.unapplied,
        list(result.notes),
        dict(result.schemas),
        dict(result.unchecked),
        list(result.detected_from) if result.detected_from is not None else None,
    )


def _decode_result(stored: Any, duration: float) -> RunResult:
    from flux_lint.run.cache import decode_findings

    (
        root,
        findings,
        files,
        documents,
        objects,
        texts,
        hits,
        unapplied,
        notes,
        schemas,
        unchecked,
        detected_from,
    ) = stored
    return RunResult(
        root=Path(root),
        findings=decode_findings(findings),
        files=files,
        documents=documents,
        objects=objects,
        duration=duration,
        texts=texts,
        cache_hits=hits,
        linted=0,
        unapplied=unapplied,
        notes=notes,
        schemas=schemas,
        unchecked=unchecked,
        detected_from=tuple(detected_from) if detected_from is not None else None,
    )


def run_all(config: RunConfig, registry: Registry | None = None) -> RunResult:
    """The run itself (see :func:`_run_all`); a run that was to detect its ``--from`` and
    fails before it did says the version all the same (run/from_version.py)."""
    try:
        return _run_all(config, registry)
    except Exception:
        if config.detect_from:
            from flux_lint.run.from_version import before_error

            before_error(config)
        raise


def _run_all(config: RunConfig, registry: Registry | None = None) -> RunResult:
    """The run itself (see :func:`run`).

    One path for every run, in the order of the stages: discover; read every file once
    (taking the repository's CRDs and the structural objects on the way); build the model
    (the applied set: which files Flux applies); lint each file (here, in worker processes,
    or from the cache: the same ``Linter.lint_file`` either way); the repository checks; the
    suppression pass; sort.
    """
    from flux_lint.check.cel import set_parser_cache_dir
    from flux_lint.load.discover import discover

    # CEL keeps its parser tables with the run's cache, and nowhere under --no-cache.
    set_parser_cache_dir(config.cache_dir)

    started = time.perf_counter()
    linter = Linter(config, registry)
    out = _Collector(linter)

    paths = [p for p in config.paths if p != "-"]
    root = config.root or Path.cwd()
    sources: list[Any] = []
    found = None
    if paths:
        found = discover(
            paths,
            root=config.root,
            exclude=config.exclude,
            respect_gitignore=config.respect_gitignore,
        )
        root = found.root
        for error in found.errors:
            out.error(DISCOVERY_RULE, error.display, error.message)
        sources = [src for src in found.files if src.display != config.stdin_path]
    linter.ctx.root = root
    cache = _open_cache(config, linter, root, found) if config.cache_dir is not None else None

    # Kustomization files first: they decide the role of the files they name.
    facts = None
    if cache is not None:
        from flux_lint.run.facts import Facts

        facts = Facts(cache, time.time())
    role_sources = sources
    # Files named one by one (pre-commit, an editor) are judged in their repository, a git
    # work tree. Outside one the root is the current folder, which may be a home folder or
    # /tmp: its whole tree is not read for them, and they are judged on their own.
    in_context = found is not None and bool(found.explicit) and in_repository(root)
    if in_context:
        # A file named alone has the role the repository's kustomization files give it (a
        # patch is checked as a fragment), and so do the files of the context walk.
        whole = discover([root], exclude=config.exclude, respect_gitignore=config.respect_gitignore)
        named = {src.display for src in sources}
        role_sources = [
            *sources,
            *(
                s
                for s in whole.files
                if s.display not in named and is_kustomization_file(s.display)
            ),
        ]
    roles, read_ahead, parsed = _kustomization_roles(config, role_sources, cache, facts)
    detection = None
    if config.detect_from:
        from flux_lint.run.from_version import FromDetection

        detection = FromDetection(config)
    plan = _read_all(linter, config, sources, roles, read_ahead, parsed, cache, detection, facts)
    detected = detection.settle(linter, cache) if detection is not None else None
    if in_context:
        # What applies the named files is read from the whole tree, not just from them.
        found = add_context(config, found, plan, cache, facts, roles)
    applied, linter.ctx.effective = _applied_set(config, found, plan, cache)
    linter.ctx.applied = applied
    checked = (lambda path: True) if config.check_unapplied else applied.applies
    linter.is_checked = checked
    if found is not None and applied.known and not config.check_unapplied:
        for display in sorted(found.explicit):
            if not applied.applies(display):
                out.error(NOT_APPLIED_RULE, display, _not_applied_message(applied, display))
    linted, used_workers = _lint_plan(linter, config, plan, checked, cache, out, parsed)

    if "-" in config.paths and config.stdin_text is not None:
        out.files += 1
        stdin_role = roles.get(config.stdin_path)
        report, entries, kustomize = linter.lint_file(
            config.stdin_path, config.stdin_text, stdin_role
        )
        out.add(report, entries, kustomize, stdin_role, config.stdin_text)
        linted += 1
    if config.progress is not None:
        config.progress(out.files, out.files)

    findings, texts = out.findings, out.texts
    if linter.index is not None:  # repository checks, and ResourceSets rendered and checked
        by_display = {src.display: src for src in sources}
        read_here: dict[str, str | None] = {}  # read for the repository checks: read once

        def text_of(path: str) -> str | None:
            from flux_lint.load.source import SourceError

            if path in texts:
                return texts[path]
            if path == config.stdin_path:
                return config.stdin_text
            if path in read_here:
                return read_here[path]
            src = by_display.get(path)
            text = read_file(src.path, path, config.max_bytes) if src else None
            found = None if text is None or isinstance(text, SourceError) else text.text
            read_here[path] = found
            return found

        if cache is None:
            repo_findings = linter.check_repository(text_of)
        else:
            from flux_lint.run.repository import repository_findings, repository_key

            key = repository_key(cache, linter, out.inputs, config, plan.sourceignores)
            repo_findings = repository_findings(
                linter, cache, key, text_of, out.inputs, applied.key
            )
        findings.extend(repo_findings)
        for finding in repo_findings:
            if finding.path not in texts:
                text = text_of(finding.path)
                if text is not None:
                    texts[finding.path] = text

    from flux_lint.check.rendered import placeholder_note

    rendered_note = placeholder_note(linter.index)
    if cache is not None:
        if facts is not None:
            facts.save()
        cache.save()
    if out.directives:  # inline suppressions, once every finding (file and repository) exists
        from flux_lint.report.suppressions import apply as apply_directives

        findings.extend(
            apply_directives(
                findings, out.directives, linter.registry, linter.enabled, linter.directive_finding
            )
        )
    findings.sort(key=Finding.sort_key)
    unapplied = 0 if config.check_unapplied or not applied.known else out.unapplied_files
    return RunResult(
        root=root,
        findings=findings,
        files=out.files,
        documents=out.documents,
        objects=out.objects,
        duration=time.perf_counter() - started,
        texts=texts,
        cache_hits=cache.hits if cache is not None else 0,
        linted=linted,
        workers=used_workers,
        applied=applied,
        unapplied=unapplied,
        notes=_notes(applied, plan, unapplied, config) + ([rendered_note] if rendered_note else []),
        schemas=dict(out.schemas),
        unchecked=dict(out.unchecked),
        detected_from=detected,
        racy=facts is not None and facts.racy,
    )


@dataclass
class _Plan:
    """What the reading pass found, in file order: per file ``("error", display, error)`` or
    ``("file", display, path, role, text or None, sha256)``; and the structural objects and
    kustomize files the applied set is computed from."""

    items: list[tuple[Any, ...]] = field(default_factory=list)
    structure: Any = None  # RepoIndex of every file path, structural objects, kustomize files
    has_flux: bool = False  # whether a Flux Kustomization was seen (for the summary note)
    sourceignores: str = ""  # a digest of the ignore files the applied set was computed with


def _read_all(
    linter: Linter,
    config: RunConfig,
    sources: list[Any],
    roles: dict[str, str],
    read_ahead: dict[str, tuple[Any, bytes | None]],
    parsed: dict[str, LoadResult],
    cache: Any,
    detection: Any = None,
    facts: Any = None,
) -> _Plan:
    """Read every file once: keep its text for the lint pass (within a memory budget), add
    the repository's CRDs to the run's catalog, and collect the objects and kustomize files
    the applied set is computed from (parsed only in files that can hold them, remembered
    by the cache per file content)."""
    from flux_lint.load.source import SourceError
    from flux_lint.model.index import RepoIndex

    plan = _Plan()
    structure = plan.structure = RepoIndex()
    # The node trees parsed for the structure, and the texts read, are kept for the lint
    # pass, unless the run is large enough for worker processes: they read and parse their
    # files themselves, and each would count what this process holds in its resident memory.
    keep_trees = _planned_workers(config.jobs, len(sources)) <= 1
    kept = 0
    scan = linter.crd_check is not None
    patches = {path for path, role in roles.items() if role == PATCH} if scan else set()
    if scan:
        from flux_lint.check.schema.crds import looks_like_crd
    for src in sources:
        role = roles.get(src.display)
        ahead = read_ahead.pop(src.display, None)
        if ahead is None and facts is not None:
            known = facts.known(src.display, src.path_text)
            if known is not None and known_file(
                structure, src.display, role, known, cache, scan, detection is not None
            ):
                # The file itself (its Path made only if it is read after all: most of a
                # warm run's files are answered from the cache).
                plan.items.append(("file", src.display, src, role, None, known[0]))
                continue
        text, raw = ahead or read_file_and_bytes(src.path, src.display, config.max_bytes)
        if scan and raw is not None and src.display not in patches and looks_like_crd(raw):
            linter.crd_catalog.add_text(raw.decode("utf-8-sig", errors="replace"), src.display)
        if isinstance(text, SourceError):
            if detection is not None:
                detection.add(src, text)
            plan.items.append(("error", src.display, text))
            continue
        if role != DATA:
            structure.files.add(src.display)
            add_structure(structure, src.display, text, role, parsed, cache, keep_trees)
        if detection is not None:  # the --from the files pin, before any file is linted
            detection.add(src, text, parsed.get(src.display))
        keep = None
        if (keep_trees and kept + len(text.text) <= KEEP_TEXT_BUDGET) or not _is_regular(src.path):
            keep = text.text
            kept += len(keep)
        plan.items.append(("file", src.display, src.path, role, keep, text.sha256))
        if facts is not None:
            from flux_lint.run.facts import flags_of

            facts.learn(src.display, text.sha256, flags_of(src.display, text.text, raw))
    if scan and config.stdin_text is not None and looks_like_crd(config.stdin_text):
        linter.crd_catalog.add_text(config.stdin_text, config.stdin_path)
    plan.has_flux = has_flux_kustomization(structure)
    return plan


def _applied_set(config: RunConfig, found: Any, plan: _Plan, cache: Any) -> tuple[Any, Any]:
    """The model stage's applied set for this run (model/applied.py) and the effective
    objects of its graph (model/effective.py), remembered per structure (run/applied_memo.py)."""
    from flux_lint.model.applied_set import AppliedSet
    from flux_lint.run.applied_memo import remembered_applied_set

    if found is None or not plan.structure.files:
        return AppliedSet(), None
    sourceignores: dict[str, str] = {}
    for src in found.sourceignores:
        try:
            with open(src.path, "rb") as handle:
                data = handle.read(1 << 20)
        except OSError:
            continue
        sourceignores[src.display] = data.decode("utf-8", "replace")
    plan.sourceignores = repr(sorted(sourceignores.items()))

    def checked(applied: Any, path: str) -> bool:
        return config.check_unapplied or applied.applies(path)

    linted = [item[1] for item in plan.items if item[0] == "file"]
    return remembered_applied_set(plan.structure, sourceignores, cache, checked, linted)


def _not_applied_message(applied: Any, display: str) -> str:
    why = (
        " (left out of the artifact by the source's ignore rules)"
        if display in (applied.excluded)
        else ""
    )
    return (
        f"not applied by any Flux Kustomization of this repository{why}: its objects are "
        "not checked (`--check-unapplied` checks them)"
    )


def _notes(applied: Any, plan: _Plan, unapplied: int, config: RunConfig) -> list[str]:
    """Lines for the run's summary about what was and was not checked."""
    notes: list[str] = []
    if applied.known:
        if applied.note:
            notes.append(applied.note)
        if unapplied:
            notes.append(
                f"{unapplied} {'file is' if unapplied == 1 else 'files are'} not applied by any "
                "Flux Kustomization: not checked (`--check-unapplied` checks them)"
            )
    elif plan.has_flux and applied.note and not config.check_unapplied:
        notes.append(f"{applied.note}: every file is checked")
    return notes


def _lint_plan(
    linter: Linter,
    config: RunConfig,
    plan: _Plan,
    checked: Callable[[str], bool],
    cache: Any,
    out: _Collector,
    parsed: dict[str, LoadResult],
) -> tuple[int, int]:
    """The per-file pass: take what the cache has, lint the rest here or in worker processes,
    and apply the results in file order either way. Returns (files linted, workers used)."""
    from flux_lint.run.cache import decode_record, encode_record
    from flux_lint.run.repository import share

    if cache is not None:
        cache.valid_for(_crd_key(linter))  # other CRDs than the cached run's: records dropped
    order: list[tuple[Any, ...]] = []
    todo: list[Task] = []
    for item in plan.items:
        if item[0] == "error":
            order.append(item)
            continue
        _, display, path, role, text, sha256 = item
        check = checked(display)
        record = None
        if cache is not None:
            record = cache.get(_entry_key(linter, cache, display, role, sha256, check))
        if record is not None:
            keep = None
            if record[2] or record[3] is not None:  # findings or directives: text shown
                keep = (
                    text
                    if text is not None
                    else _text_if_same(_path(path), display, sha256, config)
                )
            order.append(("record", display, role, record, keep, sha256, check))
            continue
        todo.append((display, _path(path), role, text, sha256, check))
        order.append(("todo",))

    used = _planned_workers(config.jobs, len(todo))
    if used > 1:
        from flux_lint.run.workers import lint_in_workers

        # Workers parse their files themselves: the node trees of the reading pass would
        # only be copied into every worker (each counts them in its resident memory).
        parsed.clear()
        results: Iterator[tuple[Any, ...]] = lint_in_workers(linter, todo, used)
    else:
        results = (
            _lint_here(linter, task, parsed.pop(task[0], None) if task[3] is not None else None)
            for task in todo
        )

    total = len(order) + int("-" in config.paths and config.stdin_text is not None)
    linted = 0
    position = 0
    for item in order:
        if config.progress is not None:
            config.progress(out.files, total)
        out.files += 1
        if item[0] == "error":
            _, display, error = item
            out.error(SOURCE_CODES[error.code], display, error.message)
            out.inputs.append((display, None, "!" + error.code, True))
            continue
        if item[0] == "record":
            _, display, role, record, text, sha256, check = item
            report, entries, kustomize = decode_record(display, record)
            out.add(report, entries, kustomize, role, text, check)
            out.inputs.append((display, role, share(record), check))
            continue
        display, _, role, _, _, check = todo[position]
        position += 1
        result = next(results)
        if result[0] == "error":
            out.error(SOURCE_CODES[result[1]], display, result[2])
            out.inputs.append((display, role, "!" + result[1], check))
            continue
        linted += 1
        if result[0] == "report":  # linted in this process
            _, report, entries, kustomize, text, sha256 = result
            record = encode_record(report, entries, kustomize) if cache is not None else None
        else:  # from a worker: an encoded record
            import marshal

            _, payload, text, sha256 = result
            record = marshal.loads(payload)
            report, entries, kustomize = decode_record(display, record)
        out.add(report, entries, kustomize, role, text, check)
        # Only a cache keys the repository findings with the inputs' digest.
        shared = share(record) if record is not None and cache is not None else sha256
        out.inputs.append((display, role, shared, check))
        if cache is not None and _cacheable(report):
            cache.put(_entry_key(linter, cache, display, role, sha256, check), record)
    return linted, used


def _text_if_same(path: Path, display: str, sha256: str, config: RunConfig) -> str | None:
    """The text of a file known by its metadata (run/facts.py), if it still has the content
    its cached findings were made from."""
    from flux_lint.load.source import SourceError

    source = read_file(path, display, config.max_bytes)
    if isinstance(source, SourceError) or source.sha256 != sha256:
        return None
    return source.text


def _path(path: Any) -> Path:
    """The ``Path`` of a planned file: a file answered by its metadata was planned with its
    :class:`~flux_lint.load.discover.SourcePath`, whose ``Path`` is made on first use only."""
    return path.path if isinstance(path, SourcePath) else path


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _lint_here(linter: Linter, task: Task, loaded: LoadResult | None = None) -> tuple[Any, ...]:
    """Lint one planned file in this process: ("report", report, entries, kustomize, text,
    sha256) or ("error", code, message). ``loaded``: the task's text, parsed already."""
    from flux_lint.load.source import SourceError

    display, path, role, text, sha256, check = task
    if text is None:
        source = read_file(path, display, linter.config.max_bytes)
        if isinstance(source, SourceError):
            return ("error", source.code, source.message)
        text, sha256 = source.text, source.sha256
        loaded = None
    report, entries, kustomize = linter.lint_file(display, text, role, loaded, check=check)
    keep = text if report.findings or report.directives is not None else None
    return ("report", report, entries, kustomize, keep, sha256)


def exit_code(findings: Iterable[Finding], fail_on: Severity | None) -> int:
    """0 when nothing reaches ``fail_on`` (None: never fail), 1 otherwise; internal errors: 2."""
    counted = [f for f in findings if f.suppression is None]
    if any(f.rule_id == INTERNAL_RULE for f in counted):
        return 2
    if fail_on is None:
        return 0
    return 1 if any(f.severity >= fail_on for f in counted) else 0
