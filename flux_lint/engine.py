"""The pipeline: discover → read → load → classify → check → locate → sort.

Each file is processed on its own (``lint_file``) so that a run can be spread over processes and
a file's node tree is dropped as soon as its findings are located. Only kustomization files are
read ahead: they decide which other files are patches (partial objects) or generator data.

What one file gives is its report (findings, counts, inline suppressions) and its share of the
repository index. It comes from this process, from worker processes (parallel.py, from
:data:`PARALLEL_MIN_FILES` files to lint on) or from the on-disk cache (cache.py), as a
plain *record* in the last two cases, and is applied in file order whatever its origin, so the
three give the same result byte for byte. The repository checks always run here, on the whole
index.
"""

from __future__ import annotations

import os
import stat
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .context import CheckContext
from .index import IndexEntry, RepoIndex
from .kustomize import DATA, PATCH, file_roles, is_kustomization_file, is_kustomize_config
from .load import Document, LoadProblem, load_text
from .model import Finding, Fix, ObjectRef, Problem, Severity, Span
from .objects import K8sObject
from .positions import locate
from .registry import CHECKS, REPO_CHECKS, Registry, Rule, builtin_registry

LOAD_CODES = {"syntax": "FL001", "duplicate-key": "FL002", "limit": "FL006"}
SOURCE_CODES = {"unreadable": "FL003", "not-text": "FL004", "too-large": "FL005"}
DISCOVERY_RULE = "FL007"
INTERNAL_RULE = "FL009"
#: Findings about ``# flux-lint:`` comments (unused-suppression, unknown-rule-in-suppression),
#: made by directives.py once every other finding exists.
DIRECTIVE_RULES = ("FL008", "FL010")


@dataclass
class RunConfig:
    paths: list[str] = field(default_factory=lambda: ["."])
    exclude: list[str] = field(default_factory=list)
    flux_version: tuple[int, int] = (2, 9)
    from_version: tuple[int, int] | None = None
    enabled: set[str] | None = None  # rule ids; None = every rule
    max_bytes: int = 5 * 1024 * 1024
    respect_gitignore: bool = True
    stdin_text: str | None = None  # the text read from `-`, when a path is `-`
    rule_dirs: list[Path] = field(default_factory=list)  # user rule files and folders (--rules)
    extra_crds: list[Path] = field(default_factory=list)  # CRD files and folders (--crds)
    options: dict[str, Any] = field(default_factory=dict)  # per-rule options → ctx.options
    #: Called with (files done, files in the run) as the run goes, for a progress display.
    progress: Callable[[int, int], None] | None = None
    #: Folder of the on-disk result cache (cache.py); None: no cache.
    cache_dir: Path | None = None
    #: Worker processes: 1 runs everything here, 0 uses every core once a run has at least
    #: :data:`PARALLEL_MIN_FILES` files to lint, N > 1 uses N processes from that size on.
    jobs: int = 1


@dataclass
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0
    objects: int = 0
    #: Inline suppressions of the file (directives.FileDirectives); None when it has none.
    directives: Any = None


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


def _load_checks() -> None:
    """Import every check module once so their ``@check`` functions register."""
    from . import checks  # noqa: F401


class Linter:
    """Runs the enabled rules over files; holds what is compiled once per run."""

    def __init__(self, config: RunConfig, registry: Registry | None = None):
        _load_checks()
        self.config = config
        if config.cache_dir is not None:  # the CEL parser's tables are kept there too
            from . import cel

            cel.PARSER_CACHE_DIR = config.cache_dir
        self.registry = registry or builtin_registry()
        if config.rule_dirs:  # user rules next to the built-in ones (see user_rules.py)
            from .user_rules import registry_with_user_rules

            self.registry = registry_with_user_rules(self.registry, config.rule_dirs)
        self.enabled = set(self.registry.rules) if config.enabled is None else set(config.enabled)
        self.ctx = CheckContext(flux_version=config.flux_version, from_version=config.from_version)
        self.ctx.options = dict(config.options)
        functions: dict[int, Any] = {}
        for rid, fn in CHECKS.items():
            if rid in self.enabled and rid in self.registry.rules:
                functions[id(fn)] = fn
        self.checks = sorted(functions.values(), key=lambda fn: fn.rule_ids)
        self._add_descriptor_and_crd_checks(config)
        repo_functions: dict[int, Any] = {}
        for rid, fn in REPO_CHECKS.items():
            if rid in self.enabled and rid in self.registry.rules:
                repo_functions[id(fn)] = fn
        self.repo_checks = sorted(repo_functions.values(), key=lambda fn: fn.rule_ids)
        # The index is kept when a repository check will read it, or when FL105 findings may
        # have to be withdrawn because a parent Kustomization's patches supply the field.
        keep_index = bool(self.repo_checks) or "FL105" in self.enabled
        self.index: RepoIndex | None = RepoIndex() if keep_index else None
        self.ctx.index = self.index

    def _add_descriptor_and_crd_checks(self, config: RunConfig) -> None:
        """Checks that are objects rather than ``@check`` functions: the ``engine: cel``
        descriptors without a Python function (user rules, checks/user_cel.py), and the schema
        and CEL rules for custom resources of CRDs from ``--crds`` or the repository
        (checks/extra_crds.py; the repository's CRDs are added by the pre-pass in ``run``)."""
        from .checks.extra_crds import ExtraCrdCheck
        from .checks.user_cel import CelRuleCheck
        from .extra_crds import CrdCatalog

        known = self.enabled & set(self.registry.rules)
        self.crd_catalog = CrdCatalog()
        if config.extra_crds:
            self.crd_catalog.load_paths(config.extra_crds)
        self.crd_check = ExtraCrdCheck.for_run(self.crd_catalog, known)
        cel_check = CelRuleCheck.for_run(self.registry, known, CHECKS)
        self.checks.extend(check for check in (cel_check, self.crd_check) if check is not None)

    # -- findings -------------------------------------------------------------------------

    def _finding(
        self,
        rule_id: str,
        message: str,
        path: str,
        span: Span,
        *,
        obj: ObjectRef | None = None,
        pointer: str = "",
        document: int = 0,
        problem: Problem | None = None,
    ) -> Finding | None:
        if rule_id not in self.enabled:
            return None
        rule: Rule = self.registry.rules[rule_id]
        severity = problem.severity if problem and problem.severity else rule.severity
        return Finding(
            rule_id=rule_id,
            rule_name=rule.name,
            severity=severity,
            message=message,
            path=path,
            span=span,
            obj=obj or ObjectRef(),
            pointer=pointer,
            document=document,
            fix=problem.fix if problem and isinstance(problem.fix, Fix) else None,
        )

    def file_error(self, rule_id: str, path: str, message: str) -> Finding | None:
        return self._finding(rule_id, message, path, Span(1, 1, 1, 1))

    def directive_finding(
        self, rule_id: str, message: str, path: str, span: Span, document: int, fix: Fix | None
    ) -> Finding | None:
        """A finding about an inline suppression comment (FL008, FL010); see directives.py."""
        problem = Problem(message, fix=fix)
        return self._finding(rule_id, message, path, span, document=document, problem=problem)

    # -- one file -------------------------------------------------------------------------

    def lint_text(self, path: str, text: str, role: str | None = None) -> FileReport:
        report, entries, kustomize = self.lint_file(path, text, role)
        if self.index is not None:
            if role != DATA:
                self.index.files.add(path)
            for entry in entries:
                self.index.add(entry)
            for data in kustomize:
                self.index.add_kustomize_file(path, data)
        return report

    def lint_file(
        self, path: str, text: str, role: str | None = None
    ) -> tuple[FileReport, list[IndexEntry], list[dict[str, Any]]]:
        """One file's findings, with its share of the repository index (its objects and
        kustomize build files) returned instead of added, so that the caller decides where
        it goes: the run's index, a worker's reply, the cache."""
        report = FileReport(path)
        entries: list[IndexEntry] = []
        kustomize: list[dict[str, Any]] = []
        if "flux-lint:" in text:  # the cheap test: only such files are scanned for directives
            from .directives import parse as parse_directives

            report.directives = parse_directives(text) or None
        loaded = load_text(text)
        report.documents = len(loaded.documents)
        for problem in loaded.problems:
            report.findings.extend(self._load_finding(path, problem))
        if role == DATA:
            return report, entries, kustomize
        keep = self.index is not None
        for doc in loaded.documents:
            obj = self.classify(path, doc, partial=role == PATCH)
            if obj is None:
                if keep and is_kustomize_config(doc.data, path):
                    kustomize.append(doc.data)
                continue
            report.objects += 1
            if keep:
                entries.append(IndexEntry.of(obj))
            report.findings.extend(self.check_object(obj, doc, text))
        return report, entries, kustomize

    def check_repository(self, text_of: Callable[[str], str | None]) -> list[Finding]:
        """Run the repository checks over the index; locate their problems by re-reading only
        the files they point into (``text_of`` returns a file's text)."""
        if self.index is None:
            return []
        problems: dict[str, list[tuple[str, IndexEntry, Problem]]] = {}
        findings: list[Finding] = []
        for fn in self.repo_checks:
            try:
                for entry, problem in fn(self.index, self.ctx):
                    rid = problem.rule_id or fn.rule_ids[0]
                    problems.setdefault(entry.path, []).append((rid, entry, problem))
            except Exception as exc:  # a rule must never take the run down
                message = (
                    f"rule {','.join(fn.rule_ids)} failed on the repository: "
                    f"{type(exc).__name__}: {exc}"
                )
                finding = self.file_error(INTERNAL_RULE, ".", message)
                if finding:
                    findings.append(finding)
        for path, items in problems.items():
            text = text_of(path)
            documents = {d.index: d for d in load_text(text).documents} if text else {}
            for rid, entry, problem in items:
                if callable(problem.fix):
                    doc = documents.get(entry.document)
                    problem.fix = build_fix(problem.fix, doc, text) if doc and text else None
                doc = documents.get(entry.document)
                span = (
                    self._span(doc, problem.pointer, problem.target, problem.offset, text)
                    if doc
                    else Span(1, 1, 1, 1)
                )
                finding = self._finding(
                    rid,
                    problem.message,
                    path,
                    span,
                    obj=entry.ref,
                    pointer=problem.pointer,
                    document=entry.document,
                    problem=problem,
                )
                if finding:
                    findings.append(finding)
        return findings

    def _load_finding(self, path: str, p: LoadProblem) -> Iterable[Finding]:
        end_line = p.end_line if p.end_line is not None else p.line
        end_col = p.end_column if p.end_column is not None else p.column + 1
        span = Span(p.line + 1, p.column + 1, end_line + 1, end_col + 1)
        finding = self._finding(LOAD_CODES[p.code], p.message, path, span, document=p.document)
        return [finding] if finding else []

    @staticmethod
    def classify(path: str, doc: Document, *, partial: bool = False) -> K8sObject | None:
        """A Kubernetes object, or None for anything else (values files, CI configs, ...)."""
        data = doc.data
        if not isinstance(data, dict):
            return None
        api_version, kind = data.get("apiVersion"), data.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None
        if not api_version or not kind or is_kustomize_config(data, path):
            return None
        return K8sObject(
            path=path,
            document=doc.index,
            data=data,
            api_version=api_version,
            kind=kind,
            partial=partial,
            sops=isinstance(data.get("sops"), dict),
        )

    def check_object(self, obj: K8sObject, doc: Document, text: str = "") -> list[Finding]:
        findings: list[Finding] = []
        for fn in self.checks:
            try:
                problems = list(fn(obj, self.ctx))
            except Exception as exc:  # a rule must never take the run down
                rid = ",".join(fn.rule_ids)
                where = traceback.extract_tb(exc.__traceback__)[-1]
                message = (
                    f"rule {rid} failed on this object: {type(exc).__name__}: {exc} "
                    f"({Path(where.filename).name}:{where.lineno})"
                )
                finding = self._finding(
                    INTERNAL_RULE,
                    message,
                    obj.path,
                    self._span(doc, ""),
                    obj=obj.ref,
                    document=obj.document,
                )
                if finding:
                    findings.append(finding)
                continue
            for problem in problems:
                rid = problem.rule_id or fn.rule_ids[0]
                if callable(problem.fix):
                    problem.fix = build_fix(problem.fix, doc, text)
                finding = self._finding(
                    rid,
                    problem.message,
                    obj.path,
                    self._span(doc, problem.pointer, problem.target, problem.offset, text),
                    obj=obj.ref,
                    pointer=problem.pointer,
                    document=obj.document,
                    problem=problem,
                )
                if finding:
                    findings.append(finding)
        return findings

    @staticmethod
    def _span(
        doc: Document,
        pointer: str,
        target: str = "value",
        offset: tuple[int, int] | None = None,
        text: str | None = None,
    ) -> Span:
        if doc.node is None:
            return Span(doc.line + 1, 1, doc.line + 1, 1)
        return locate(doc.node, pointer, target, offset=offset, text=text)


def build_fix(
    builder: Callable[[Document, str], Fix | None], doc: Document, text: str
) -> Fix | None:
    """Turn a rule's fix builder into edits; a builder that fails yields no fix, never a crash
    (the finding itself is still reported)."""
    try:
        return builder(doc, text)
    except Exception:
        return None


#: Below this many files to lint, worker processes cost more than they save: each worker
#: starts, then compiles the schemas and CEL programs its objects need all over again.
PARALLEL_MIN_FILES = 400
#: Texts of files still to lint are kept from the look-up pass up to this many characters in
#: all (larger runs read them again rather than hold a whole repository in memory).
KEEP_TEXT_BUDGET = 32 * 1024 * 1024


def read_file(path: Path, display: str, max_bytes: int) -> Any:
    """:func:`source.read_source` for the common case at a fraction of its cost.

    A regular file within the size limit is read with one ``read`` sized by the file and
    decoded by the same :func:`source.decode_source`; anything else (a FIFO, a directory, an
    error, a file that grew while it was read) goes through ``read_source`` itself, so the
    result, error messages included, is the same. ``read_source`` reads ``max_bytes + 1``
    bytes into a buffer of that size for every file, which made reading alone a tenth of a
    run over many small files.
    """
    from .source import decode_source, read_source

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return read_source(path, display, max_bytes=max_bytes)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            data = None
        else:
            chunks = []
            wanted = info.st_size + 1
            while wanted > 0:
                chunk = os.read(fd, wanted)
                if not chunk:
                    break
                chunks.append(chunk)
                wanted -= len(chunk)
            data = b"".join(chunks)
            if len(data) > info.st_size:
                data = None
    except OSError:
        data = None
    finally:
        os.close(fd)
    if data is None:
        return read_source(path, display, max_bytes=max_bytes)
    return decode_source(data, display, path=path)


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
    from .parallel import available_cpus, can_fork

    if not can_fork():
        return 1
    return available_cpus() if jobs <= 0 else jobs


def _run_key(linter: Linter, config: RunConfig) -> str:
    """Everything besides a file's own bytes, path and role that its per-file result depends
    on (see cache.py)."""
    from dataclasses import fields

    from .cache import canonical, code_fingerprint, digest, registry_digest

    catalog = linter.crd_catalog
    crds = [
        (key, canonical([getattr(entry, f.name) for f in fields(entry)]))
        for key, entry in sorted(catalog.entries.items())
    ]
    return digest(
        code_fingerprint(),
        registry_digest(linter.registry),
        sorted(linter.enabled),
        config.flux_version,
        config.from_version,
        config.max_bytes,
        canonical(config.options),
        crds,
        sorted(catalog.origins.items()),
        sorted(catalog.ignored),
        linter.index is not None,
    )


def _open_cache(config: RunConfig, linter: Linter, root: Path) -> Any:
    from .cache import ResultCache, digest

    assert config.cache_dir is not None
    run_key = _run_key(linter, config)
    pack = digest(
        run_key,
        str(root),
        sorted(p for p in config.paths if p != "-"),
        sorted(config.exclude),
        config.respect_gitignore,
    )
    cache = ResultCache(Path(config.cache_dir), pack)
    cache.run_key = run_key
    return cache


def _entry_key(cache: Any, display: str, role: str | None, sha256: str) -> str:
    from .cache import digest

    return digest(cache.run_key, display, role, sha256)


def _cacheable(report: FileReport) -> bool:
    """A rule that crashed (FL009) may have met a passing condition (memory, recursion):
    such a file is linted again next time rather than its crash remembered."""
    return not any(f.rule_id == INTERNAL_RULE for f in report.findings)


def run(config: RunConfig, registry: Registry | None = None) -> RunResult:
    """Lint what ``config.paths`` name and return every finding, sorted."""
    from .discover import discover
    from .source import SourceError

    started = time.perf_counter()
    linter = Linter(config, registry)
    out = _Collector(linter)

    paths = [p for p in config.paths if p != "-"]
    root = Path.cwd()
    sources: list[Any] = []
    if paths:
        found = discover(paths, exclude=config.exclude, respect_gitignore=config.respect_gitignore)
        root = found.root
        for error in found.errors:
            out.error(DISCOVERY_RULE, error.display, error.message)
        sources = found.files
    linter.ctx.root = root

    texts_by_path: dict[str, Any] = {}
    roles: dict[str, str] = {}
    # Kustomization files first: they decide the role of the files they name.
    for src in sources:
        if is_kustomization_file(src.display):
            text = read_file(src.path, src.display, config.max_bytes)
            texts_by_path[src.display] = text
            if isinstance(text, SourceError):
                continue
            for doc in load_text(text.text).documents:
                if isinstance(doc.data, dict) and is_kustomize_config(doc.data, src.display):
                    for path, role in file_roles(src.display, doc.data).items():
                        roles.setdefault(path, role)

    # CustomResourceDefinitions in the repository next: custom resources of those kinds are
    # validated too, wherever they come in the file order (see extra_crds.py).
    if linter.crd_check is not None:
        patches = {path for path, role in roles.items() if role == PATCH}
        linter.crd_catalog.scan_repository(sources, patches, config.max_bytes, config.stdin_text)

    cache = _open_cache(config, linter, root) if config.cache_dir is not None else None
    workers = _worker_count(config.jobs)
    total = len(sources) + int("-" in config.paths and config.stdin_text is not None)
    linted = 0
    used_workers = 1

    def progress() -> None:
        if config.progress is not None:
            config.progress(out.files, total)

    if cache is None and (workers == 1 or len(sources) < PARALLEL_MIN_FILES):
        # One pass, one read per file: nothing to look up, nothing to farm out.
        for src in sources:
            progress()
            out.files += 1
            text = texts_by_path.pop(src.display, None) or read_file(
                src.path, src.display, config.max_bytes
            )
            if isinstance(text, SourceError):
                out.error(SOURCE_CODES[text.code], src.display, text.message)
                continue
            role = roles.get(src.display)
            report, entries, kustomize = linter.lint_file(src.display, text.text, role)
            out.add(report, entries, kustomize, role, text.text)
            linted += 1
    else:
        linted, used_workers = _lint_planned(
            linter, config, sources, roles, texts_by_path, cache, workers, out, progress
        )

    if "-" in config.paths and config.stdin_text is not None:
        out.files += 1
        report, entries, kustomize = linter.lint_file("-", config.stdin_text)
        out.add(report, entries, kustomize, None, config.stdin_text)
        linted += 1
    progress()
    if cache is not None:
        cache.save()

    findings, texts = out.findings, out.texts
    if linter.repo_checks:
        by_display = {src.display: src for src in sources}

        def text_of(path: str) -> str | None:
            if path in texts:
                return texts[path]
            if path == "-":
                return config.stdin_text
            src = by_display.get(path)
            text = read_file(src.path, path, config.max_bytes) if src else None
            return None if text is None or isinstance(text, SourceError) else text.text

        repo_findings = linter.check_repository(text_of)
        findings.extend(repo_findings)
        for finding in repo_findings:
            if finding.path not in texts:
                text = text_of(finding.path)
                if text is not None:
                    texts[finding.path] = text

    if linter.index is not None and "FL105" in linter.enabled:
        from .parent_patches import retract_parent_supplied

        findings = retract_parent_supplied(findings, linter.index, linter.ctx)
    if out.directives:  # inline suppressions, once every finding (file and repository) exists
        from .directives import apply as apply_directives

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


def _lint_planned(
    linter: Linter,
    config: RunConfig,
    sources: list[Any],
    roles: dict[str, str],
    texts_by_path: dict[str, Any],
    cache: Any,
    workers: int,
    out: _Collector,
    progress: Callable[[], None],
) -> tuple[int, int]:
    """The per-file pass in two steps: read every file and take what the cache has, then lint
    the rest here or in worker processes; results are applied in file order either way.
    Returns (files linted, worker processes used)."""
    from .cache import decode_record, encode_record
    from .source import SourceError

    plan: list[tuple[Any, ...]] = []  # in file order
    todo: list[tuple[str, Path, str | None, str | None, str | None]] = []
    kept = 0
    for src in sources:
        role = roles.get(src.display)
        text = texts_by_path.pop(src.display, None)
        if cache is None:
            if text is not None and isinstance(text, SourceError):
                plan.append(("error", src.display, text))
                continue
            keep = text.text if text is not None else None
            todo.append((src.display, src.path, role, keep, text.sha256 if keep else None))
            plan.append(("todo",))
            continue
        text = text or read_file(src.path, src.display, config.max_bytes)
        if isinstance(text, SourceError):
            plan.append(("error", src.display, text))
            continue
        key = _entry_key(cache, src.display, role, text.sha256)
        record = cache.get(key)
        if record is not None:
            plan.append(("record", src.display, role, record, text.text))
            continue
        keep = None
        if kept + len(text.text) <= KEEP_TEXT_BUDGET or not _is_regular(src.path):
            keep = text.text
            kept += len(keep)
        todo.append((src.display, src.path, role, keep, text.sha256 if keep else None))
        plan.append(("todo",))

    used = 1
    if workers > 1 and len(todo) >= PARALLEL_MIN_FILES:
        from .parallel import lint_in_workers

        used = min(workers, len(todo))
        results: Iterator[tuple[Any, ...]] = lint_in_workers(linter, todo, used)
    else:
        results = (_lint_here(linter, task) for task in todo)

    linted = 0
    position = 0
    for item in plan:
        progress()
        out.files += 1
        if item[0] == "error":
            _, display, error = item
            out.error(SOURCE_CODES[error.code], display, error.message)
            continue
        if item[0] == "record":
            _, display, role, record, text = item
            report, entries, kustomize = decode_record(display, record)
            out.add(report, entries, kustomize, role, text)
            continue
        display, _, role, _, _ = todo[position]
        position += 1
        result = next(results)
        if result[0] == "error":
            out.error(SOURCE_CODES[result[1]], display, result[2])
            continue
        linted += 1
        if result[0] == "report":  # linted in this process
            _, report, entries, kustomize, text, sha256 = result
            out.add(report, entries, kustomize, role, text)
            if cache is not None and _cacheable(report):
                cache.put(
                    _entry_key(cache, display, role, sha256),
                    encode_record(report, entries, kustomize),
                )
            continue
        _, payload, text, sha256 = result  # from a worker: an encoded record
        import marshal

        record = marshal.loads(payload)
        report, entries, kustomize = decode_record(display, record)
        out.add(report, entries, kustomize, role, text)
        if cache is not None and _cacheable(report):
            cache.put(_entry_key(cache, display, role, sha256), record)
    return linted, used


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _lint_here(
    linter: Linter, task: tuple[str, Path, str | None, str | None, str | None]
) -> tuple[Any, ...]:
    """Lint one planned file in this process: ("report", report, entries, kustomize, text,
    sha256) or ("error", code, message)."""
    from .source import SourceError

    display, path, role, text, sha256 = task
    if text is None:
        source = read_file(path, display, linter.config.max_bytes)
        if isinstance(source, SourceError):
            return ("error", source.code, source.message)
        text, sha256 = source.text, source.sha256
    report, entries, kustomize = linter.lint_file(display, text, role)
    return ("report", report, entries, kustomize, text, sha256)


def exit_code(findings: Iterable[Finding], fail_on: Severity | None) -> int:
    """0 when nothing reaches ``fail_on`` (None: never fail), 1 otherwise; internal errors: 2."""
    counted = [f for f in findings if f.suppression is None]
    if any(f.rule_id == INTERNAL_RULE for f in counted):
        return 2
    if fail_on is None:
        return 0
    return 1 if any(f.severity >= fail_on for f in counted) else 0
