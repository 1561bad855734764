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
(``_repository_findings``): at 10,000 documents they cost about as much as the rest of a warm
run together.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux_lint.check.engine import (
    DISCOVERY_RULE,
    INTERNAL_RULE,
    SOURCE_CODES,
    FileReport,
    Linter,
    RunConfig,
)
from flux_lint.check.registry import Registry
from flux_lint.core.findings import Finding, Severity
from flux_lint.load.yaml import LoadResult, load_text
from flux_lint.model.index import IndexEntry
from flux_lint.model.kustomize import (
    DATA,
    PATCH,
    file_roles,
    is_kustomization_file,
    is_kustomize_config,
)


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

    def internal_errors(self) -> list[Finding]:
        return [f for f in self.findings if f.rule_id == INTERNAL_RULE]


#: Files to lint per worker process, at least: each worker costs ~0.15 s of CPU (start, then
#: compile the schemas and CEL programs its objects need all over again, and the main process
#: decodes what it sends), which ~500 files (~0.6 ms each) repay with room to spare on a busy
#: machine. So a run starts workers from ``2 * FILES_PER_WORKER`` files on, and no more than
#: one per ``FILES_PER_WORKER`` files however many cores there are.
FILES_PER_WORKER = 500
#: Texts of files still to lint are kept from the reading pass up to this many characters in
#: all (larger runs read them again rather than hold a whole repository in memory).
KEEP_TEXT_BUDGET = 16 * 1024 * 1024
#: Repository checks that read files the run does not lint (FL209 reads a chart's
#: ``values.schema.json``, ``values.yaml`` and ``Chart.yaml``): their findings cannot be keyed
#: by the run's files, so they run in every run, cache or not.
READS_OTHER_FILES = frozenset({"FL209"})


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
        #: (display path, role, content hash or source error code) of every file, in order:
        #: what the repository index was built from (the key of the repository findings).
        self.inputs: list[tuple[str, str | None, str]] = []

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
    ) -> None:
        self.findings.extend(report.findings)
        self.documents += report.documents
        self.objects += report.objects
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


def _open_cache(config: RunConfig, linter: Linter, root: Path) -> Any:
    """The run's cache, keyed by everything but the CRDs (added by :func:`_crd_key` once the
    repository's own CRDs are known)."""
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
        config.max_bytes,
        canonical(config.options),
        linter.index is not None,
    )
    pack = digest(
        base,
        str(root),
        sorted(p for p in config.paths if p != "-"),
        sorted(config.exclude),
        config.respect_gitignore,
    )
    cache = ResultCache(Path(config.cache_dir), pack)
    cache.run_key = base
    return cache


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


def _entry_key(cache: Any, display: str, role: str | None, sha256: str) -> str:
    from flux_lint.run.cache import digest

    return digest(cache.run_key, display, role, sha256)


def _cacheable(report: FileReport) -> bool:
    """A rule that crashed (FL009) may have met a passing condition (memory, recursion):
    such a file is linted again next time rather than its crash remembered."""
    return not any(f.rule_id == INTERNAL_RULE for f in report.findings)


def _kustomization_roles(
    config: RunConfig, sources: list[Any], cache: Any
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
    """Lint what ``config.paths`` name and return every finding, sorted."""
    from flux_lint.load.discover import discover
    from flux_lint.load.source import SourceError

    started = time.perf_counter()
    linter = Linter(config, registry)
    out = _Collector(linter)

    paths = [p for p in config.paths if p != "-"]
    root = config.root or Path.cwd()
    sources: list[Any] = []
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
    cache = _open_cache(config, linter, root) if config.cache_dir is not None else None

    # Kustomization files first: they decide the role of the files they name.
    roles, read_ahead, parsed = _kustomization_roles(config, sources, cache)
    workers = _worker_count(config.jobs)
    total = len(sources) + int("-" in config.paths and config.stdin_text is not None)
    linted = 0
    used_workers = 1

    def progress() -> None:
        if config.progress is not None:
            config.progress(out.files, total)

    if cache is None:
        # CustomResourceDefinitions in the repository next: custom resources of those kinds
        # are validated too, wherever they come in the file order (see extra_crds.py).
        if linter.crd_check is not None:
            patches = {path for path, role in roles.items() if role == PATCH}
            linter.crd_catalog.scan_repository(
                sources, patches, config.max_bytes, config.stdin_text
            )
        if _workers_for(workers, len(sources)) < 2:
            # One pass, one read per file: nothing to look up, nothing to farm out.
            for src in sources:
                progress()
                out.files += 1
                ahead = read_ahead.pop(src.display, None)
                text = ahead[0] if ahead else read_file(src.path, src.display, config.max_bytes)
                if isinstance(text, SourceError):
                    out.error(SOURCE_CODES[text.code], src.display, text.message)
                    continue
                role = roles.get(src.display)
                loaded = parsed.pop(src.display, None)
                report, entries, kustomize = linter.lint_file(src.display, text.text, role, loaded)
                out.add(report, entries, kustomize, role, text.text)
                linted += 1
        else:
            linted, used_workers = _lint_planned(
                linter, config, sources, roles, read_ahead, parsed, None, workers, out, progress
            )
    else:
        linted, used_workers = _lint_planned(
            linter, config, sources, roles, read_ahead, parsed, cache, workers, out, progress
        )

    if "-" in config.paths and config.stdin_text is not None:
        out.files += 1
        stdin_role = roles.get(config.stdin_path)
        report, entries, kustomize = linter.lint_file(
            config.stdin_path, config.stdin_text, stdin_role
        )
        out.add(report, entries, kustomize, stdin_role, config.stdin_text)
        linted += 1
    progress()

    findings, texts = out.findings, out.texts
    if linter.repo_checks:
        by_display = {src.display: src for src in sources}

        def text_of(path: str) -> str | None:
            if path in texts:
                return texts[path]
            if path == config.stdin_path:
                return config.stdin_text
            src = by_display.get(path)
            text = read_file(src.path, path, config.max_bytes) if src else None
            return None if text is None or isinstance(text, SourceError) else text.text

        if cache is None:
            repo_findings = linter.check_repository(text_of)
        else:
            repo_findings = _repository_findings(linter, cache, out, config, text_of)
        findings.extend(repo_findings)
        for finding in repo_findings:
            if finding.path not in texts:
                text = text_of(finding.path)
                if text is not None:
                    texts[finding.path] = text

    if linter.index is not None and "FL105" in linter.enabled:
        findings = _retract_parent_supplied(linter, findings, cache, out, config)
    if cache is not None:
        cache.save()
    if out.directives:  # inline suppressions, once every finding (file and repository) exists
        from flux_lint.report.suppressions import apply as apply_directives

        findings.extend(
            apply_directives(
                findings, out.directives, linter.registry, linter.enabled, linter.directive_finding
            )
        )
    findings.sort(key=Finding.sort_key)
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
    )


def _repository_key(cache: Any, linter: Linter, out: _Collector, config: RunConfig) -> str:
    """Everything the repository index of this run was made from: the settings (the run key),
    the root and every file's path, role and content hash, in order, and standard input."""
    import hashlib

    from flux_lint.run.cache import digest

    stdin = config.stdin_text if "-" in config.paths else None
    return digest(
        cache.run_key,
        cache.crd,
        str(linter.ctx.root),
        out.inputs,
        None
        if stdin is None
        else hashlib.sha256(stdin.encode("utf-8", "surrogatepass")).hexdigest(),
        config.stdin_path,
    )


def _repository_findings(
    linter: Linter,
    cache: Any,
    out: _Collector,
    config: RunConfig,
    text_of: Callable[[str], str | None],
) -> list[Finding]:
    """The repository checks' findings, taken from the cache when the run's inputs are
    exactly those of a cached run.

    The repository checks read nothing but the index (made from every file's content, path
    and role) and the settings in the run key, and the key covers all of it. Any change to
    any file, or to the set of files, misses, and the checks run on the whole index as
    always; the checks in :data:`READS_OTHER_FILES` run in every run.
    """
    from flux_lint.run.cache import decode_findings, encode_findings

    key = "repository:" + _repository_key(cache, linter, out, config)
    keyed = [fn for fn in linter.repo_checks if not set(fn.rule_ids) & READS_OTHER_FILES]
    other = [fn for fn in linter.repo_checks if set(fn.rule_ids) & READS_OTHER_FILES]
    stored = cache.get_memo(key)
    if stored is not None:
        found = decode_findings(stored)
    else:
        found = linter.check_repository(text_of, keyed)
        if not any(f.rule_id == INTERNAL_RULE for f in found):
            cache.put_memo(key, encode_findings(found))
    if other:
        found.extend(linter.check_repository(text_of, other))
    return found


def _retract_parent_supplied(
    linter: Linter, findings: list[Finding], cache: Any, out: _Collector, config: RunConfig
) -> list[Finding]:
    """parent_patches.retract_parent_supplied, remembered like the repository findings: which
    FL105 findings it withdraws depends on the same inputs (the index and the FL105 findings,
    themselves a function of the files)."""
    from flux_lint.check.rules.parent_patches import retract_parent_supplied

    if cache is None:
        return retract_parent_supplied(findings, linter.index, linter.ctx)

    def identity(f: Finding) -> list[Any]:
        return [f.path, f.document, f.pointer, f.message, f.span.line, f.span.column]

    key = "retract:" + _repository_key(cache, linter, out, config)
    stored = cache.get_memo(key)
    if stored is None:
        kept = retract_parent_supplied(findings, linter.index, linter.ctx)
        kept_ids = {id(f) for f in kept}
        stored = [identity(f) for f in findings if id(f) not in kept_ids]
        cache.put_memo(key, stored)
        return kept
    withdrawn = {tuple(item) for item in stored}
    return [f for f in findings if f.rule_id != "FL105" or tuple(identity(f)) not in withdrawn]


def _lint_planned(
    linter: Linter,
    config: RunConfig,
    sources: list[Any],
    roles: dict[str, str],
    read_ahead: dict[str, tuple[Any, bytes | None]],
    parsed: dict[str, LoadResult],
    cache: Any,
    workers: int,
    out: _Collector,
    progress: Callable[[], None],
) -> tuple[int, int]:
    """The per-file pass in two steps: read every file (taking what the cache has and, with
    a cache, the repository's CRDs), then lint the rest here or in worker processes; results
    are applied in file order either way. Returns (files linted, worker processes used)."""
    from flux_lint.load.source import SourceError
    from flux_lint.run.cache import decode_record, encode_record

    plan: list[tuple[Any, ...]] = []  # in file order
    todo: list[tuple[str, Path, str | None, str | None, str | None]] = []
    kept = 0
    scan = cache is not None and linter.crd_check is not None
    patches = {path for path, role in roles.items() if role == PATCH} if scan else set()
    if scan:
        from flux_lint.check.schema.crds import looks_like_crd
    for src in sources:
        role = roles.get(src.display)
        ahead = read_ahead.pop(src.display, None)
        if cache is None:
            text = ahead[0] if ahead else None
            if text is not None and isinstance(text, SourceError):
                plan.append(("error", src.display, text))
                continue
            keep = text.text if text is not None else None
            todo.append((src.display, src.path, role, keep, text.sha256 if keep else None))
            plan.append(("todo",))
            continue
        text, raw = ahead or read_file_and_bytes(src.path, src.display, config.max_bytes)
        if scan and raw is not None and src.display not in patches and looks_like_crd(raw):
            # What CrdCatalog.scan_repository does, on the bytes already read.
            linter.crd_catalog.add_text(raw.decode("utf-8-sig", errors="replace"), src.display)
        if isinstance(text, SourceError):
            plan.append(("error", src.display, text))
            continue
        key = _entry_key(cache, src.display, role, text.sha256)
        record = cache.get(key)
        if record is not None:
            keep = text.text if record[2] or record[3] is not None else None
            plan.append(("record", src.display, role, record, keep, text.sha256, src.path))
            continue
        keep = None
        if kept + len(text.text) <= KEEP_TEXT_BUDGET or not _is_regular(src.path):
            keep = text.text
            kept += len(keep)
        todo.append((src.display, src.path, role, keep, text.sha256 if keep else None))
        plan.append(("todo",))
    if scan and config.stdin_text is not None and looks_like_crd(config.stdin_text):
        linter.crd_catalog.add_text(config.stdin_text, config.stdin_path)
    if cache is not None and not cache.valid_for(_crd_key(linter)):
        # The CRDs differ from the cached run's: no per-file result can be reused.
        plan, todo = _unplan(plan, todo)

    used = _workers_for(workers, len(todo))
    if used > 1:
        from flux_lint.run.workers import lint_in_workers

        results: Iterator[tuple[Any, ...]] = lint_in_workers(linter, todo, used)
    else:
        results = (
            _lint_here(linter, task, parsed.pop(task[0], None) if task[3] is not None else None)
            for task in todo
        )

    linted = 0
    position = 0
    for item in plan:
        progress()
        out.files += 1
        if item[0] == "error":
            _, display, error = item
            out.error(SOURCE_CODES[error.code], display, error.message)
            out.inputs.append((display, roles.get(display), "!" + error.code))
            continue
        if item[0] == "record":
            _, display, role, record, text, sha256, _ = item
            report, entries, kustomize = decode_record(display, record)
            out.add(report, entries, kustomize, role, text)
            out.inputs.append((display, role, sha256))
            continue
        display, _, role, _, _ = todo[position]
        position += 1
        result = next(results)
        if result[0] == "error":
            out.error(SOURCE_CODES[result[1]], display, result[2])
            out.inputs.append((display, role, "!" + result[1]))
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
        out.add(report, entries, kustomize, role, text)
        out.inputs.append((display, role, sha256))
        if cache is not None and _cacheable(report):
            cache.put(_entry_key(cache, display, role, sha256), record)
    return linted, used


def _unplan(
    plan: list[tuple[Any, ...]], todo: list[tuple[str, Path, str | None, str | None, str | None]]
) -> tuple[list[tuple[Any, ...]], list[tuple[str, Path, str | None, str | None, str | None]]]:
    """The plan with every cached record turned back into a file to lint."""
    pending = iter(todo)
    new_plan: list[tuple[Any, ...]] = []
    new_todo: list[tuple[str, Path, str | None, str | None, str | None]] = []
    for item in plan:
        if item[0] == "record":
            _, display, role, _, _, _, path = item
            new_todo.append((display, path, role, None, None))
            new_plan.append(("todo",))
        elif item[0] == "todo":
            new_todo.append(next(pending))
            new_plan.append(item)
        else:
            new_plan.append(item)
    return new_plan, new_todo


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _lint_here(
    linter: Linter,
    task: tuple[str, Path, str | None, str | None, str | None],
    loaded: LoadResult | None = None,
) -> tuple[Any, ...]:
    """Lint one planned file in this process: ("report", report, entries, kustomize, text,
    sha256) or ("error", code, message). ``loaded``: the task's text, parsed already."""
    from flux_lint.load.source import SourceError

    display, path, role, text, sha256 = task
    if text is None:
        source = read_file(path, display, linter.config.max_bytes)
        if isinstance(source, SourceError):
            return ("error", source.code, source.message)
        text, sha256 = source.text, source.sha256
        loaded = None
    report, entries, kustomize = linter.lint_file(display, text, role, loaded)
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
