"""SARIF 2.1.0 output for GitHub code scanning and other SARIF viewers.

The log is built from ``sarif_om`` objects. It is serialized by :func:`to_plain` below rather
than ``jschema_to_python.to_json`` because ``to_json`` drops every property whose value equals
its ``attrs`` default, including ones set on purpose: ``result.level == "warning"`` disappears.
A SARIF consumer fills a missing ``result.level`` from the rule's ``defaultConfiguration``, so a
warning raised by a rule whose default is ``error`` (a severity override) would be read as an
error. ``to_plain`` does what ``to_json`` does (``schema_property_name`` for key names, unset
and sentinel defaults left out) but always keeps the levels, sorts keys, and ends with a newline.

Choices, all for output that is reproducible and accepted by GitHub:

* ``tool.driver.rules`` lists the rules that have results in this run, by id. The registry
  given to the formatter is the whole catalog, not what was enabled, so listing every rule
  would claim checks that did not run; it also keeps golden files stable when rules are added.
* No timestamps and no ``invocations``: the same findings give the same bytes.
* Regions are 1-based with an exclusive end column and ``columnKind`` is
  ``unicodeCodePoints``, exactly like :class:`~flux_lint.core.findings.Span`. ``newlineSequences``
  says that a lone ``"\\r"`` also ends a line, as it does for the YAML parser.
* Fixes: an :class:`~flux_lint.core.findings.Edit` holds character offsets, which is what a region's
  ``charOffset``/``charLength`` are (SARIF measures them in ``columnKind`` units), so they are
  always given. When the file text is available through ``options.source`` the same region
  also gets start/end line and column, for viewers that only apply line-based replacements.
  GitHub code scanning checks the whole file, ``fixes`` included, against the schema on
  upload and rejects it on any error, so a fix without edits is left out rather than emitted
  with empty ``replacements``.
* Suppressions: ``inline`` comments are ``inSource``; config ignores and the baseline are
  ``external``; the justification is written when there is one. The results stay in the log
  so that a consumer can tell a suppressed problem from a fixed one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attr
import sarif_om as om

from flux_lint import __version__
from flux_lint.core.findings import Severity
from flux_lint.report.docs import rule_help_markdown, rule_help_text
from flux_lint.report.output import LineIndex, OutputOptions, RunSummary

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry, Rule
    from flux_lint.core.findings import Finding, Fix

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/flux-lint/flux-lint"
SRCROOT = "%SRCROOT%"
_URI_WITH_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
FINGERPRINT_KEY = "fluxLint/v1"

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
SUPPRESSION_KIND = {"inline": "inSource", "config": "external", "baseline": "external"}

#: Properties written even when they equal the ``attrs`` default (see the module docs).
_ALWAYS = {(om.Result, "level"), (om.ReportingConfiguration, "level")}


def _is_default(field: Any, value: Any) -> bool:
    default = field.default
    factory = getattr(default, "factory", None)  # an ``attr.Factory`` default
    if callable(factory):
        default = factory()
    return bool(value == default)


def to_plain(value: Any) -> Any:
    """``sarif_om`` objects (and the lists and dicts around them) as plain JSON data."""
    if attr.has(type(value)):
        fields = {f.name: f for f in attr.fields(type(value))}
        out: dict[str, Any] = {}
        for name, item in vars(value).items():
            field = fields.get(name)
            if field is None:  # an extra key set on a property bag
                out[name] = to_plain(item)
                continue
            if item is None:
                continue
            if _is_default(field, item) and (type(value), name) not in _ALWAYS:
                continue
            out[field.metadata.get("schema_property_name", name)] = to_plain(item)
        return out
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    return value


def _bag(tags: list[str] | None = None, **extra: Any) -> om.PropertyBag:
    bag = om.PropertyBag(tags=tags)
    for key, value in extra.items():
        setattr(bag, key, value)
    return bag


def _uri(path: str) -> str:
    """A repository-relative path as a relative URI reference: percent-encoded, so spaces,
    ``%``, ``#`` and non-ASCII survive and a ``:`` is never read as a scheme."""
    return quote(path, safe="/")


def _artifact(path: str) -> om.ArtifactLocation:
    return om.ArtifactLocation(uri=_uri(path), uri_base_id=SRCROOT)


def _srcroot_uri(srcroot: str | Path) -> str:
    """``%SRCROOT%`` as an absolute URI ending in ``/`` (required for a base URI); a URI is
    taken as given, a path is made absolute."""
    text = str(srcroot)
    uri = text if _URI_WITH_SCHEME.match(text) else Path(text).absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _descriptor(rule: Rule, options: OutputOptions) -> om.ReportingDescriptor:
    what = str(rule.docs.get("what") or "").strip()
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=what or rule.summary),
        help=om.MultiformatMessageString(
            text=rule_help_text(rule), markdown=rule_help_markdown(rule)
        ),
        help_uri=f"{options.help_uri_base}#{rule.anchor}",
        default_configuration=om.ReportingConfiguration(level=LEVEL[rule.severity]),
        properties=_bag(tags=[rule.category]),
    )


def _unknown_descriptor(finding: Finding) -> om.ReportingDescriptor:
    """A rule the registry does not know (e.g. from a rules folder not passed in): described
    from the finding so that ``ruleIndex`` stays valid."""
    return om.ReportingDescriptor(
        id=finding.rule_id,
        name=finding.rule_name,
        short_description=om.MultiformatMessageString(text=finding.rule_name),
        default_configuration=om.ReportingConfiguration(level=LEVEL[finding.severity]),
    )


def _region(line: int, column: int, end_line: int, end_column: int) -> om.Region:
    return om.Region(
        start_line=max(line, 1),
        start_column=max(column, 1),
        end_line=max(end_line, line, 1),
        end_column=max(end_column, 1),
    )


def _logical_location(finding: Finding) -> om.LogicalLocation | None:
    """The Kubernetes object, and the node inside it as a JSON pointer after ``#`` (the URI
    fragment form of RFC 6901), e.g. ``HelmRelease/apps/podinfo#/spec/chart``."""
    obj = finding.obj
    if not obj.label() and not finding.pointer:
        return None
    label = obj.label() or f"document {finding.document + 1}"
    qualified = f"{label}#{finding.pointer}" if finding.pointer else label
    details = {
        "apiVersion": obj.api_version,
        "kind": obj.kind,
        "namespace": obj.namespace,
        "name": obj.name,
        "pointer": finding.pointer,
    }
    return om.LogicalLocation(
        name=obj.name or obj.kind or label,
        kind="object",
        fully_qualified_name=qualified,
        properties=_bag(**{k: v for k, v in details.items() if v is not None}),
    )


class _Sources:
    """File text for fixes, looked up once per path."""

    def __init__(self, options: OutputOptions) -> None:
        self._lookup = options.source
        self._cache: dict[str, LineIndex | None] = {}

    def index(self, path: str) -> LineIndex | None:
        if path not in self._cache:
            text = self._lookup(path) if self._lookup else None
            self._cache[path] = LineIndex(text) if text is not None else None
        return self._cache[path]


def _fix(fix: Fix, path: str, sources: _Sources) -> om.Fix | None:
    if not fix.edits:
        return None  # SARIF requires at least one replacement
    lines = sources.index(path)
    replacements = []
    for edit in sorted(fix.edits, key=lambda e: (e.start, e.end)):
        region = om.Region(char_offset=edit.start, char_length=max(edit.end - edit.start, 0))
        if lines is not None:
            region.start_line, region.start_column = lines.position(edit.start)
            region.end_line, region.end_column = lines.position(max(edit.end, edit.start))
        replacements.append(
            om.Replacement(
                deleted_region=region,
                inserted_content=om.ArtifactContent(text=edit.replacement),
            )
        )
    return om.Fix(
        description=om.Message(text=fix.title),
        artifact_changes=[
            om.ArtifactChange(artifact_location=_artifact(path), replacements=replacements)
        ],
        properties=_bag(safe=fix.safe),
    )


def _result(finding: Finding, rule_index: int, sources: _Sources) -> om.Result:
    span = finding.span
    location = om.Location(
        physical_location=om.PhysicalLocation(
            artifact_location=_artifact(finding.path),
            region=_region(span.line, span.column, span.end_line, span.end_column),
        )
    )
    logical = _logical_location(finding)
    if logical is not None:
        location.logical_locations = [logical]
    result = om.Result(
        rule_id=finding.rule_id,
        rule_index=rule_index,
        level=LEVEL[finding.severity],
        message=om.Message(text=finding.message),
        locations=[location],
        partial_fingerprints={FINGERPRINT_KEY: finding.fingerprint},
    )
    if finding.fix is not None:
        fix = _fix(finding.fix, finding.path, sources)
        if fix is not None:
            result.fixes = [fix]
    sup = finding.suppression
    if sup is not None:
        result.suppressions = [
            om.Suppression(
                kind=SUPPRESSION_KIND.get(sup.kind, "external"),
                justification=sup.justification or None,
            )
        ]
    return result


def build_log(
    findings: list[Finding],
    *,
    rules: Registry,
    report: RunSummary,
    options: OutputOptions,
) -> om.SarifLog:
    """The SARIF log as ``sarif_om`` objects (one run)."""
    descriptors: dict[str, om.ReportingDescriptor] = {}
    for finding in findings:
        if finding.rule_id not in descriptors:
            rule = rules.get(finding.rule_id)
            if rule is not None and rule.id == finding.rule_id:
                descriptors[finding.rule_id] = _descriptor(rule, options)
            else:
                descriptors[finding.rule_id] = _unknown_descriptor(finding)
    ordered = sorted(descriptors)
    index = {rid: i for i, rid in enumerate(ordered)}
    sources = _Sources(options)

    srcroot = om.ArtifactLocation(
        description=om.Message(text="The root of the repository that was checked")
    )
    if options.srcroot is not None:
        srcroot.uri = _srcroot_uri(options.srcroot)

    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="flux-lint",
                version=__version__,
                semantic_version=__version__,
                information_uri=INFORMATION_URI,
                rules=[descriptors[rid] for rid in ordered],
            )
        ),
        results=[_result(f, index[f.rule_id], sources) for f in findings],
        original_uri_base_ids={SRCROOT: srcroot},
        column_kind="unicodeCodePoints",
        newline_sequences=["\r\n", "\n", "\r"],
    )
    if report.flux_version:
        run.properties = _bag(fluxVersion=report.flux_version)
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


def render(
    findings: list[Finding],
    *,
    rules: Registry,
    report: RunSummary,
    options: OutputOptions,
) -> str:
    log = build_log(findings, rules=rules, report=report, options=options)
    return json.dumps(to_plain(log), indent=2, sort_keys=True) + "\n"
