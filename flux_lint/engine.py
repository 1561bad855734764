"""The pipeline: discover → read → load → classify → check → locate → sort.

Each file is processed on its own (``lint_file``) so that a run can be spread over processes and
a file's node tree is dropped as soon as its findings are located. Only kustomization files are
read ahead: they decide which other files are patches (partial objects) or generator data.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
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
        report = FileReport(path)
        if "flux-lint:" in text:  # the cheap test: only such files are scanned for directives
            from .directives import parse as parse_directives

            report.directives = parse_directives(text) or None
        loaded = load_text(text)
        report.documents = len(loaded.documents)
        for problem in loaded.problems:
            report.findings.extend(self._load_finding(path, problem))
        if role == DATA:
            return report
        if self.index is not None:
            self.index.files.add(path)
        for doc in loaded.documents:
            obj = self.classify(path, doc, partial=role == PATCH)
            if obj is None:
                if self.index is not None and is_kustomize_config(doc.data, path):
                    self.index.add_kustomize_file(path, doc.data)
                continue
            report.objects += 1
            if self.index is not None:
                self.index.add(IndexEntry.of(obj))
            report.findings.extend(self.check_object(obj, doc, text))
        return report

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


def run(config: RunConfig, registry: Registry | None = None) -> RunResult:
    """Lint what ``config.paths`` name and return every finding, sorted."""
    from .discover import discover
    from .source import SourceError, read_source

    started = time.perf_counter()
    linter = Linter(config, registry)
    findings: list[Finding] = []
    texts: dict[str, str] = {}
    files = documents = objects = 0

    def collect(report: FileReport, text: str) -> None:
        nonlocal documents, objects
        findings.extend(report.findings)
        documents += report.documents
        objects += report.objects
        if report.findings:
            texts[report.path] = text
        if report.directives is not None:
            # Kept for the suppression pass, and the text for FL008's fix and --show-source.
            directives[report.path] = report.directives
            texts[report.path] = text

    directives: dict[str, Any] = {}
    paths = [p for p in config.paths if p != "-"]
    root = Path.cwd()
    sources: list[Any] = []
    if paths:
        found = discover(paths, exclude=config.exclude, respect_gitignore=config.respect_gitignore)
        root = found.root
        for error in found.errors:
            finding = linter.file_error(DISCOVERY_RULE, error.display, error.message)
            if finding:
                findings.append(finding)
        sources = found.files
    linter.ctx.root = root

    texts_by_path: dict[str, Any] = {}
    roles: dict[str, str] = {}
    # Kustomization files first: they decide the role of the files they name.
    for src in sources:
        if is_kustomization_file(src.display):
            text = read_source(src.path, src.display, max_bytes=config.max_bytes)
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

    total = len(sources) + int("-" in config.paths and config.stdin_text is not None)
    for src in sources:
        if config.progress is not None:
            config.progress(files, total)
        files += 1
        text = texts_by_path.pop(src.display, None) or read_source(
            src.path, src.display, max_bytes=config.max_bytes
        )
        if isinstance(text, SourceError):
            finding = linter.file_error(SOURCE_CODES[text.code], src.display, text.message)
            if finding:
                findings.append(finding)
            continue
        collect(linter.lint_text(src.display, text.text, roles.get(src.display)), text.text)

    if "-" in config.paths and config.stdin_text is not None:
        files += 1
        collect(linter.lint_text("-", config.stdin_text), config.stdin_text)
    if config.progress is not None:
        config.progress(files, total)

    if linter.repo_checks:
        by_display = {src.display: src for src in sources}

        def text_of(path: str) -> str | None:
            if path in texts:
                return texts[path]
            if path == "-":
                return config.stdin_text
            src = by_display.get(path)
            text = read_source(src.path, path, max_bytes=config.max_bytes) if src else None
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
    if directives:  # inline suppressions, once every finding (file and repository) exists
        from .directives import apply as apply_directives

        findings.extend(
            apply_directives(
                findings, directives, linter.registry, linter.enabled, linter.directive_finding
            )
        )
    findings.sort(key=Finding.sort_key)
    return RunResult(
        root=root,
        findings=findings,
        files=files,
        documents=documents,
        objects=objects,
        duration=time.perf_counter() - started,
        texts=texts,
    )


def exit_code(findings: Iterable[Finding], fail_on: Severity | None) -> int:
    """0 when nothing reaches ``fail_on`` (None: never fail), 1 otherwise; internal errors: 2."""
    counted = [f for f in findings if f.suppression is None]
    if any(f.rule_id == INTERNAL_RULE for f in counted):
        return 2
    if fail_on is None:
        return 0
    return 1 if any(f.severity >= fail_on for f in counted) else 0
