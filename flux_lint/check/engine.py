"""The check engine: every enabled rule over one file's objects, and over the repository.

:class:`Linter` holds what is compiled once per run (the enabled rules, the check context, the
CRDs found) and turns the problems rules return into located findings: ``lint_file`` for one
file's documents (the per-file pass; its result is plain data, so that the run can take it from
a worker process or the cache), ``check_repository`` for the rules that read the whole
repository index. Driving these over a repository is the run's job (:mod:`flux_lint.run`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import Registry, Rule, bound_checks, builtin_registry
from flux_lint.core.findings import Finding, Fix, ObjectRef, Problem, Severity, Span
from flux_lint.core.messages import failure
from flux_lint.load.positions import locate
from flux_lint.load.yaml import Document, LoadProblem, LoadResult, load_text
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.kustomize import (
    DATA,
    NAMESPACED,
    PATCH,
    is_kustomize_config,
)
from flux_lint.model.objects import K8sObject, classify
from flux_lint.model.sites import dollar_sites

LOAD_CODES = {"syntax": "FL001", "duplicate-key": "FL002", "limit": "FL006"}
SOURCE_CODES = {"unreadable": "FL003", "not-text": "FL004", "too-large": "FL005"}
DISCOVERY_RULE = "FL007"
#: A file named on the command line that no Flux Kustomization applies (model/applied.py).
NOT_APPLIED_RULE = "FL011"
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
    #: The path findings in standard input carry (``--stdin-filename``, relative to the root);
    #: a file discovered at that path is left out, standard input stands in for it.
    stdin_path: str = "-"
    #: The folder display paths are relative to; None: found from the first path (the
    #: current folder when only standard input is linted).
    root: Path | None = None
    rule_dirs: list[Path] = field(default_factory=list)  # user rule files and folders (--rules)
    extra_crds: list[Path] = field(default_factory=list)  # CRD files and folders (--crds)
    #: The Kubernetes release built-in objects are checked against (--kubernetes-version).
    kubernetes_version: tuple[int, int] = (1, 34)
    #: kubeconform-style schema folders for kinds flux-lint has no schema of (--schema-dir).
    schema_dirs: list[Path] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # per-rule options → ctx.options
    #: Called with (files done, files in the run) as the run goes, for a progress display.
    progress: Callable[[int, int], None] | None = None
    #: Folder of the on-disk result cache (cache.py); None: no cache.
    cache_dir: Path | None = None
    #: Check the objects of files that no Flux Kustomization applies too (model/applied.py).
    check_unapplied: bool = False
    #: Worker processes: 1 runs everything here, 0 one per core, N > 1 at most N; a run uses
    #: one worker per :data:`FILES_PER_WORKER` files it has to lint, and none below two.
    jobs: int = 1
    #: Set ``from_version`` from the Flux version the linted files pin, found while the run
    #: reads them (model/flux_version.py ``VersionScan``), before any file is linted; the run
    #: then turns this off, so that a run again (``--fix``) keeps that version.
    detect_from: bool = False
    #: Called with the line that says which version was found and whether it is used.
    from_note: Callable[[str], None] | None = None


@dataclass
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0
    objects: int = 0
    #: Inline suppressions of the file (directives.FileDirectives); None when it has none.
    directives: Any = None
    #: Objects per schema source that validates them (``Flux``, ``catalog cert-manager`` ...),
    #: and objects without any schema, per kind: the run summary says what was not checked.
    schemas: dict[str, int] = field(default_factory=dict)
    unchecked: dict[str, int] = field(default_factory=dict)


def _always(path: str) -> bool:
    return True


class Linter:
    """Runs the enabled rules over files; holds what is compiled once per run."""

    def __init__(self, config: RunConfig, registry: Registry | None = None):
        self.config = config
        self.registry = registry or builtin_registry()
        if config.rule_dirs:  # user rules next to the built-in ones (see user_rules.py)
            from flux_lint.check.user_rules import registry_with_user_rules

            self.registry = registry_with_user_rules(self.registry, config.rule_dirs)
        self.enabled = set(self.registry.rules) if config.enabled is None else set(config.enabled)
        self.ctx = CheckContext(flux_version=config.flux_version, from_version=config.from_version)
        self.ctx.options = dict(config.options)
        self.ctx.kubernetes_version = config.kubernetes_version
        self.ctx.schema_dirs = tuple(config.schema_dirs)
        # The functions the enabled rules' descriptors name; their modules are imported when
        # they first run (registry.BoundCheck), so a run that takes its repository findings
        # from the cache never imports the repository checks.
        self.checks: list[Any] = list(bound_checks(self.registry, self.enabled, repository=False))
        self._add_descriptor_and_crd_checks(config)
        self.repo_checks: list[Any] = list(
            bound_checks(self.registry, self.enabled, repository=True)
        )
        # The index is kept when a repository check will read it; ResourceSets are rendered
        # from the index too, for every per-object check.
        keep_index = bool(self.repo_checks) or bool(self.checks)
        self.index: RepoIndex | None = RepoIndex() if keep_index else None
        self.ctx.index = self.index
        #: Whether a file's objects are checked: the run sets it from the applied set.
        self.is_checked: Callable[[str], bool] = _always

    def _add_descriptor_and_crd_checks(self, config: RunConfig) -> None:
        """Checks that are objects rather than ``@check`` functions: the ``engine: cel``
        descriptors without a Python function (user rules, checks/user_cel.py), and the schema
        and CEL rules for custom resources of CRDs from ``--crds`` or the repository, or of the
        shipped catalog (rules/extra_crds.py; the repository's CRDs are added by the pre-pass
        in ``run``)."""
        from flux_lint.check.rules.extra_crds import ExtraCrdCheck
        from flux_lint.check.schema.crds import CrdCatalog
        from flux_lint.check.schema.sources import SchemaSources, catalog_settings

        known = self.enabled & set(self.registry.rules)
        self.crd_catalog = CrdCatalog()
        if config.extra_crds:
            self.crd_catalog.load_paths(config.extra_crds)
        folders = []
        if config.schema_dirs:  # kubeconform-style folders (--schema-dir)
            from flux_lint.check.schema.schema_dirs import SchemaDirs

            folders = [SchemaDirs(tuple(config.schema_dirs))]
        self.ctx.schema_sources = SchemaSources(
            self.crd_catalog, folders, settings=catalog_settings(self.ctx.options)
        )
        self.crd_check = ExtraCrdCheck.for_run(self.ctx.schema_sources, known)
        cel_check = None
        cel_rules = {rid for rid, rule in self.registry.rules.items() if rule.engine == "cel"}
        if cel_rules & known:  # user rules (user_cel.py compiles their CEL)
            from flux_lint.check.rules.user_cel import CelRuleCheck

            with_function = {rid for rid, rule in self.registry.rules.items() if rule.check}
            cel_check = CelRuleCheck.for_run(self.registry, known, with_function)
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
        self,
        path: str,
        text: str,
        role: str | None = None,
        loaded: LoadResult | None = None,
        *,
        check: bool = True,
    ) -> tuple[FileReport, list[IndexEntry], list[dict[str, Any]]]:
        """One file's findings, with its share of the repository index (its objects and
        kustomize build files) returned instead of added, so that the caller decides where
        it goes: the run's index, a worker's reply, the cache. ``loaded`` is ``text``
        already parsed (kustomization files are, to learn the roles of other files).
        ``check`` False: the file is not applied by Flux (model/applied.py), so its objects
        are indexed but not checked; its YAML problems are still reported, since a broken
        file is broken wherever it lives."""
        report = FileReport(path)
        entries: list[IndexEntry] = []
        kustomize: list[dict[str, Any]] = []
        if "flux-lint:" in text:  # the cheap test: only such files are scanned for directives
            from flux_lint.load.directives import parse as parse_directives

            report.directives = parse_directives(text) or None
        if loaded is None:
            loaded = load_text(text)
        report.documents = len(loaded.documents)
        for problem in loaded.problems:
            report.findings.extend(self._load_finding(path, problem))
        if role == DATA:
            return report, entries, kustomize
        keep = self.index is not None
        for doc in loaded.documents:
            obj = classify(path, doc, partial=role == PATCH)
            if obj is not None and role == NAMESPACED:
                obj.extra["kustomize_namespace"] = True
            if obj is None:
                if keep and is_kustomize_config(doc.data, path):
                    kustomize.append(doc.data)
                continue
            if keep:
                entry = IndexEntry.of(obj)
                entry.sites = dollar_sites(obj.data)
                entries.append(entry)
            if check:
                report.objects += 1
                self._count_schema(obj, report)
                report.findings.extend(self.check_object(obj, doc, text))
        return report, entries, kustomize

    def _count_schema(self, obj: K8sObject, report: FileReport) -> None:
        """Record which schema source validates ``obj`` (a lookup: nothing is compiled)."""
        from flux_lint.check.rules.kubernetes import is_builtin
        from flux_lint.check.schema.kubernetes import format_version

        source: str | None = None
        if obj.is_flux:
            if self.ctx.bundle.lookup(obj.group, obj.version, obj.kind) is None:
                return  # an API version the target Flux does not serve: the lifecycle rules say so
            source = "Flux"
        elif is_builtin(obj):
            if self.ctx.kubernetes.file_for(obj.api_version, obj.kind) is None:
                return  # not served by the target Kubernetes: FL110/FL310/FL311 say so
            source = "Kubernetes " + format_version(self.ctx.kubernetes_version)
        elif self.ctx.schema_sources is not None:
            found = self.ctx.schema_sources.resolve(obj.group, obj.version, obj.kind)
            source = found.label if found is not None else None
        if source is not None:
            report.schemas[source] = report.schemas.get(source, 0) + 1
        else:
            report.unchecked[obj.kind] = report.unchecked.get(obj.kind, 0) + 1

    def check_repository(
        self,
        text_of: Callable[[str], str | None],
        checks: list[Any] | None = None,
        *,
        render: bool = True,
        effective_memo: Any = None,
    ) -> list[Finding]:
        """Run the repository checks (``checks``, default all of the run's) over the index;
        locate their problems by re-reading only the files they point into (``text_of``
        returns a file's text). With ``render``, the ResourceSets are rendered first and the
        rendered objects checked and indexed (check/rendered.py), and the objects as their
        builds deploy them are judged (check/effective.py, per file from ``effective_memo``
        when it remembers them)."""
        if self.index is None:
            return []
        from flux_lint.check.rendered import Grouped, render_repository

        problems: dict[str, list[tuple[str, IndexEntry, Problem]]] = {}
        findings: list[Finding] = render_repository(self, text_of) if render else []
        if render:  # objects as their builds deploy them, where a build changes them
            from flux_lint.check.effective import effective_findings

            findings.extend(effective_findings(self, text_of, effective_memo))
        on_rendered = Grouped()
        for fn in self.repo_checks if checks is None else checks:
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
            rendered = [item for item in items if item[1].rendered is not None]
            for rid, entry, problem in rendered:
                finding = self._rendered_finding(rid, entry, problem)
                if finding is not None:
                    on_rendered.add(finding, entry.rendered)
            items = [item for item in items if item[1].rendered is None]
            if not items:
                continue
            text = text_of(path)
            documents = {d.index: d for d in load_text(text).documents} if text else {}
            if not self.is_checked(path):
                continue  # a repository rule's problem in a file Flux does not apply
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
        return findings + on_rendered.findings()

    def _rendered_finding(self, rid: str, entry: IndexEntry, problem: Problem) -> Finding | None:
        """A repository check's problem on a rendered object, moved to its template."""
        from flux_lint.check.rendered import move_to_template

        obj = entry.rendered
        if callable(problem.fix):
            problem.fix = build_fix(problem.fix, obj.document, obj.text)
        span = self._span(obj.document, problem.pointer, problem.target, problem.offset, obj.text)
        finding = self._finding(
            rid,
            problem.message,
            entry.path,
            span,
            obj=entry.ref,
            pointer=problem.pointer,
            document=entry.document,
            problem=problem,
        )
        return move_to_template(finding, obj) if finding is not None else None

    def _load_finding(self, path: str, p: LoadProblem) -> Iterable[Finding]:
        end_line = p.end_line if p.end_line is not None else p.line
        end_col = p.end_column if p.end_column is not None else p.column + 1
        span = Span(p.line + 1, p.column + 1, end_line + 1, end_col + 1)
        override = Problem("", severity=Severity.parse(p.severity)) if p.severity else None
        finding = self._finding(
            LOAD_CODES[p.code], p.message, path, span, document=p.document, problem=override
        )
        return [finding] if finding else []

    def check_object(self, obj: K8sObject, doc: Document, text: str = "") -> list[Finding]:
        """Every check's findings on one object. When a build changes the object (a patch, a
        substitution: model/effective.py), the checks that judge the deployed object leave it
        to the repository pass, which judges each build's copy (check/effective.py)."""
        findings: list[Finding] = []
        checks = self.checks
        if self.ctx.effective is not None and _changes(self.ctx.effective, obj):
            from flux_lint.check.effective import is_judged

            checks = [fn for fn in checks if not is_judged(fn)]
        for fn in checks:
            try:
                problems = list(fn(obj, self.ctx))
            except Exception as exc:  # a rule must never take the run down
                rid = ",".join(fn.rule_ids)
                message = failure(f"rule {rid} failed on this object", exc)
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


def _changes(effective: Any, obj: K8sObject) -> bool:
    """Whether a build changes ``obj`` (model/effective.py); an object whose builds cannot be
    made is judged as written (the repository pass reports why, as FL009)."""
    try:
        return bool(effective.changes(obj))
    except Exception:
        return False


def build_fix(
    builder: Callable[[Document, str], Fix | None], doc: Document, text: str
) -> Fix | None:
    """Turn a rule's fix builder into edits; a builder that fails yields no fix, never a crash
    (the finding itself is still reported)."""
    try:
        return builder(doc, text)
    except Exception:
        return None
