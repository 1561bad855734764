"""The checks that judge an object as Flux deploys it, run on each build's copy of it.

Schema (FL101–FL110), CEL (FL201) and API lifecycle rules judge the *effective* object when a
build changes it (model/effective.py: the kustomization chain's patches and transformers, the
Flux Kustomization's patches and images, post-build substitution). The per-file pass leaves
those objects to this pass, which sees every file it needs (patch files, ConfigMaps):

* each problem is judged on every build's copy; one problem found in several builds is one
  finding; a problem of the manifest that no build deploys (a patch or a substitution fixes
  it everywhere) is not reported;
* a finding points at the line that produced the offending value: the object's own line, the
  line inside the patch that set it (``set by the patch in <file>:<line>``), or the variable's
  definition (``substituted from <file>:<line>``);
* a finding that only some builds have names the Flux Kustomizations of those builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from flux_lint.core.findings import VALUE, Finding, Problem, Span
from flux_lint.core.messages import failure
from flux_lint.load.positions import locate
from flux_lint.load.yaml import Document, load_text
from flux_lint.model.objects import K8sObject

if TYPE_CHECKING:
    from flux_lint.model.effective import Build, Origin

#: The check engine's ``Linter`` (not imported: the engine imports this module).
Linter = Any

#: Rules whose checks judge the effective object.
JUDGED_RULES = frozenset(
    {f"FL10{i}" for i in range(1, 10)} | {"FL110", "FL201", "FL301", "FL302", "FL303", "FL552"}
)


def is_judged(check: Any) -> bool:
    """Whether a check's rules all judge the effective object."""
    rule_ids = getattr(check, "rule_ids", ())
    return bool(rule_ids) and set(rule_ids) <= JUDGED_RULES


class _Texts:
    """Files' documents, loaded once, and the documents of inline patch texts."""

    def __init__(self, text_of: Callable[[str], str | None]) -> None:
        self.text_of = text_of
        self._docs: dict[str, tuple[str, dict[int, Document]] | None] = {}
        self._patch_problems: dict[tuple[str, int, int], set[tuple[str, str]]] = {}
        #: The files whose text was asked for since last emptied: what a file's findings were
        #: placed with, kept with them by a memo.
        self.used: set[str] = set()

    def reported_in_patch_file(self, linter: Linter, fn: Any, origin: Origin, rule: str) -> bool:
        """Whether the per-file pass reports ``rule`` at the origin's place already: a patch
        file's documents are checked as fragments, so a bad value they set is found there."""
        if origin.what != "patch" or origin.pointer or origin.path is None:
            return False
        self.used.add(origin.path)
        key = (origin.path, origin.document, id(fn))
        found = self._patch_problems.get(key)
        if found is None:
            found = set()
            located = self.document(origin.path, origin.document)
            data = located[1].data if located is not None else None
            if isinstance(data, dict) and isinstance(data.get("apiVersion"), str):
                kind = data.get("kind")
                fragment = K8sObject(
                    origin.path,
                    origin.document,
                    data,
                    data["apiVersion"],
                    kind if isinstance(kind, str) else "",
                    partial=True,
                )
                try:
                    found = {
                        (p.rule_id or fn.rule_ids[0], p.pointer) for p in fn(fragment, linter.ctx)
                    }
                except Exception:  # the per-file pass reports a failing rule
                    found = set()
            self._patch_problems[key] = found
        return (rule, origin.inner) in found

    def document(self, path: str, index: int) -> tuple[str, Document] | None:
        self.used.add(path)
        if path not in self._docs:
            text = self.text_of(path)
            self._docs[path] = (
                (text, {d.index: d for d in load_text(text).documents}) if text else None
            )
        found = self._docs[path]
        if found is None or index not in found[1]:
            return None
        return found[0], found[1][index]


class EffectiveMemo(Protocol):
    """Remembered findings of this pass, per file (kept by the run, run/repository.py): a
    file's findings depend on its objects, on what is on their way (its cache context) and
    on the repository's structure and substitution sources, which the memo's keys cover;
    with them are kept the files their places were read from."""

    def recall(self, path: str, text_of: Callable[[str], str | None]) -> list[Finding] | None: ...

    def keep(
        self,
        path: str,
        findings: list[Finding],
        texts: set[str],
        text_of: Callable[[str], str | None],
    ) -> None: ...


def effective_findings(
    linter: Linter, text_of: Callable[[str], str | None], memo: EffectiveMemo | None = None
) -> list[Finding]:
    """The judged checks' findings on every checked object that some build changes; with
    ``memo``, a file's findings are taken from it when it has them."""
    ctx = linter.ctx
    effective = ctx.effective
    if effective is None or linter.index is None:
        return []
    checks = [fn for fn in linter.checks if is_judged(fn)]
    if not checks:
        return []
    effective.use_index(linter.index)
    texts = _Texts(text_of)
    findings: list[Finding] = []
    by_file: dict[str, list[Any]] = {}
    for entry in list(linter.index.entries):
        if entry.rendered is not None or entry.partial or not linter.is_checked(entry.path):
            continue
        by_file.setdefault(entry.path, []).append(entry)
    for path, entries in by_file.items():
        known = memo.recall(path, text_of) if memo is not None else None
        if known is not None:
            findings.extend(known)
            continue
        texts.used.clear()
        found = _file_findings(linter, entries, checks, texts)
        if memo is not None:
            memo.keep(path, found, set(texts.used), text_of)
        findings.extend(found)
    return findings


def _file_findings(
    linter: Linter, entries: list[Any], checks: list[Any], texts: _Texts
) -> list[Finding]:
    from flux_lint.model.effective import UNKNOWN_BUILDS

    effective = linter.ctx.effective
    findings: list[Finding] = []
    for entry in entries:
        try:
            builds = effective.builds_of(entry)
            substituted = None if builds else effective.substituted(entry)
        except Exception as exc:  # a model failure must never take the run down
            message = failure("the object as Flux deploys it could not be built", exc)
            finding = linter.file_error("FL009", entry.path, message)
            if finding is not None:
                findings.append(finding)
            continue
        if builds is UNKNOWN_BUILDS:
            continue
        if builds:
            findings.extend(_judge(linter, entry, builds, checks, texts))
        elif substituted:
            # No patch changes it: the per-file pass judged the manifest, where placeholders
            # are not judged; the values substitution gives them are judged here.
            findings.extend(_judge(linter, entry, substituted, checks, texts, substitution=True))
    return findings


def _judge(
    linter: Linter,
    entry: Any,
    builds: list[Build],
    checks: list[Any],
    texts: _Texts,
    *,
    substitution: bool = False,
) -> list[Finding]:
    """Findings on the builds of one object. With ``substitution``, the builds are those
    where substitution changes a value (the manifest is judged elsewhere), and only the
    problems of substituted values count."""
    deployed = [b for b in builds if b.data is not None]
    labels = list(dict.fromkeys(b.label for b in deployed))
    if substitution:
        labels = linter.ctx.effective.labels(entry)
    groups: dict[tuple[Any, ...], tuple[Problem, Origin | None, list[str]]] = {}
    out: list[Finding] = []
    for build in deployed:
        assert build.data is not None
        api_version = build.data.get("apiVersion")
        kind = build.data.get("kind")
        obj = K8sObject(
            entry.path,
            entry.document,
            build.data,
            api_version if isinstance(api_version, str) else entry.api_version,
            kind if isinstance(kind, str) else entry.kind,
            sops=isinstance(build.data.get("sops"), dict),
        )
        obj.extra["effective"] = True
        for fn in checks:
            try:
                problems = list(fn(obj, linter.ctx))
            except Exception as exc:  # a rule must never take the run down
                message = failure(f"rule {','.join(fn.rule_ids)} failed on this object", exc)
                finding = linter.file_error("FL009", entry.path, message)
                if finding is not None:
                    out.append(finding)
                continue
            for problem in problems:
                problem.rule_id = problem.rule_id or fn.rule_ids[0]
                origin = build.origin(problem.pointer)
                substituted = origin is not None and origin.what in ("substitution", "default")
                if substitution and not substituted:
                    continue
                if substituted and obj.is_flux:
                    continue  # FL408 reports substituted values of Flux objects
                if origin is not None and texts.reported_in_patch_file(
                    linter, fn, origin, problem.rule_id
                ):
                    continue  # the patch file's own check reports it there already
                key = (problem.rule_id, problem.pointer, problem.message, origin)
                if key not in groups:
                    groups[key] = (problem, origin, [])
                groups[key][2].append(build.label)
    for problem, origin, found_in in groups.values():
        finding = _finding(linter, entry, problem, origin, texts)
        if finding is None:
            continue
        builds_with = list(dict.fromkeys(found_in))
        if len(builds_with) < len(labels):
            names = ", ".join(f"`{label}`" for label in builds_with)
            finding.message += f" (only in the build of Kustomization {names})"
        out.append(finding)
    return out


def _finding(
    linter: Linter, entry: Any, problem: Problem, origin: Origin | None, texts: _Texts
) -> Finding | None:
    message = problem.message
    path, document = entry.path, entry.document
    span: Span | None = None
    fix: Any = None
    if origin is not None and origin.path is not None:
        located = _origin_span(origin, texts)
        if located is not None:
            path, document, span = origin.path, origin.document, located
            if origin.what == "patch":
                message += f" (set by the patch in {origin.path}:{span.line})"
            else:
                message += (
                    f" (substituted from {origin.path}:{span.line}: "
                    f"`{origin.variable}` = `{_show(origin.value)}`)"
                )
        elif origin.what == "patch":  # its text is not at hand (a file not named in this run)
            message += f" (set by the patch in {origin.path})"
        else:
            message += (
                f" (substituted from {origin.path}: `{origin.variable}` = `{_show(origin.value)}`)"
            )
    elif origin is not None and origin.what == "default":
        message += f" (the placeholder's default: no variable `{origin.variable}` is defined)"
    elif origin is not None and origin.what == "substitution":
        message += f" (after substitution of `{origin.variable}` = `{_show(origin.value)}`)"
    elif origin is not None:
        message += " (set by a patch its Kustomization receives from its parent)"
    if span is None:
        found = texts.document(entry.path, entry.document)
        if found is None:
            span = Span(1, 1, 1, 1)
        else:
            text, doc = found
            span = linter._span(doc, problem.pointer, problem.target, problem.offset, text)
            if callable(problem.fix) and origin is None:
                try:
                    fix = problem.fix(doc, text)
                except Exception:  # a fix that fails is left out, the finding stays
                    fix = None
    problem.fix = fix
    return linter._finding(
        problem.rule_id or "",
        message,
        path,
        span,
        obj=entry.ref,
        pointer=problem.pointer,
        document=document,
        problem=problem,
    )


def _origin_span(origin: Origin, texts: _Texts) -> Span | None:
    """Where ``origin`` is written: a value of a patch file, a place inside an inline patch
    text (a string in a kustomization file or a Flux Kustomization), a variable's value."""
    assert origin.path is not None
    found = texts.document(origin.path, origin.document)
    if found is None or found[1].node is None:
        return None
    text, doc = found
    if origin.what == "substitution" or not origin.pointer:
        pointer = origin.pointer or origin.inner
        return locate(doc.node, pointer, VALUE)  # type: ignore[arg-type]
    value: Any = doc.data
    from flux_lint.core.findings import pointer_tokens

    for token in pointer_tokens(origin.pointer):
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            value = None
    offset = None
    if isinstance(value, str):
        inner = [d for d in load_text(value).documents]
        if origin.part < len(inner) and inner[origin.part].node is not None:
            at = locate(inner[origin.part].node, origin.inner, VALUE)  # type: ignore[arg-type]
            offset = (at.line, at.column)
    return locate(doc.node, origin.pointer, VALUE, offset=offset, text=text)  # type: ignore[arg-type]


def _show(text: str, limit: int = 40) -> str:
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
