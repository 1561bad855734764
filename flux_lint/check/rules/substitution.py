"""Post-build substitution (FL406–FL408): what kustomize-controller does to ``${VAR}``.

Every rule here looks at the objects a Flux Kustomization applies (the repository graph) with
the variables that Kustomization supplies (:func:`variables_of`), because the same manifest can
be fine under one Kustomization and broken under another. The dialect itself is modelled in
:mod:`flux_lint.model.substitution`, a port of the controller's parser.

* **FL406** a placeholder without default whose variable nothing supplies. Since Flux 2.9
  (kustomize-controller 1.9, ``StrictPostBuildSubstitutions`` on by default) that fails the whole
  reconcile, so it is an error when the target is 2.9 or newer and a warning before (the
  variable silently becomes an empty string). It is the rule that finds shell snippets and
  dashboards in ConfigMaps and Helm values (``${HOME}``, ``${DS_PROMETHEUS}``).
* **FL407** syntax the controller cannot parse (the whole Kustomization fails: ``${var-x}``,
  ``${arr[0]}``, ``${foo.bar}``), operators that parse but do not do what a shell does
  (``${v:+x}``, ``${v:?x}``), and variable names the controller rejects (``my-var`` as a key of a
  ``substituteFrom`` ConfigMap fails every substitution).
* **FL408** values that break a typed field once substituted: the Flux schema is validated
  again with the known values (``replicas: ${N}`` with ``N: abc``).

When nothing is reported, on purpose:

* The Kustomization has no ``spec.postBuild`` (the controller never substitutes), or it has
  one with the default ``substituteStrategy`` (``WithVariables``) and no variable at all.
* The object opts out (``kustomize.toolkit.fluxcd.io/substitute: disabled``, as label or
  annotation, also when a parent patch adds it), or the text is escaped (``$${VAR}``).
* **The variable set is not fully known**: a non-optional ``substituteFrom`` ConfigMap or Secret
  that the repository does not define (created by hand, by bootstrap, in another repository), a
  Secret made by an ExternalSecret with ``dataFrom``, a generator reading an env file. Then an
  undefined-looking variable may be defined, and a linter that guesses is switched off; the
  missing object itself is reported by FL508. Syntax errors (FL407) are still reported: they
  fail whatever the variables are. An ``optional: true`` reference to an object that is not in
  the repository supplies nothing (that is what the controller does when it does not exist),
  and the message says so.

The Kustomization is read *as deployed* (parent ``spec.patches`` applied, see
:mod:`flux_lint.model.parent_patches`): parents often add ``postBuild.substituteFrom`` to every
child.
Files that kustomize uses as patches in the build are scanned too: their text ends up in the
objects that get substituted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.rules.references import Resolver, resolver
from flux_lint.core.findings import KEY, VALUE, Problem, Severity, pointer_join
from flux_lint.model.graph import EntryKey, Instance, RepoGraph, entry_key
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.objects import is_flux_group
from flux_lint.model.parent_patches import (
    PatchedObjects,
    kustomization_instance,
    patched_objects,
)
from flux_lint.model.substitution import (
    SHELL_MISMATCH_OPS,
    TRANSFORM_OPS,
    VAR_NAME,
    Site,
    SubstitutionSyntaxError,
    Template,
    VariableSet,
    clean_value,
    dollar_sites,
    is_substitution_disabled,
    manifest_values,
    offset_in,
    parse,
    references,
    retype,
    substitute_text,
)
from flux_lint.model.transformers import set_value

RULE_UNDEFINED = "FL406"
RULE_SYNTAX = "FL407"
RULE_TYPED = "FL408"
FLUX_2_9 = (2, 9)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _label(namespace: str | None, name: str | None) -> str:
    return f"{namespace}/{name}" if namespace else name or "?"


def _show(text: str, limit: int = 60) -> str:
    text = text.replace("\n", "\\n").replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- variables --------------------------------------------------------------------------------


@dataclass(slots=True)
class InvalidName:
    """A variable name kustomize-controller rejects, where it is written."""

    entry: IndexEntry
    pointer: str
    name: str


@dataclass
class KsVariables:
    """A Kustomization's :class:`VariableSet` plus what the messages need."""

    ks: IndexEntry
    label: str
    variables: VariableSet
    missing_optional: list[str] = field(default_factory=list)
    invalid: list[InvalidName] = field(default_factory=list)


class _Sources:
    """ConfigMaps and Secrets in the repository with the variables they hold, by name."""

    def __init__(self, graph: RepoGraph) -> None:
        self.graph = graph
        self.by_name: dict[tuple[str, str], list[Instance]] = {}
        for inst in graph.all_instances():
            entry = inst.entry
            if entry.kind not in ("ConfigMap", "Secret") or entry.partial:
                continue
            if entry.group != "" and not inst.generated:
                continue
            names = {inst.resolved_name, inst.resolve(entry.name) if inst.generated else None}
            for name in names - {None}:
                self.by_name.setdefault((entry.kind, str(name)), []).append(inst)

    def values(self, kind: str, name: str, namespace: str | None) -> list[tuple[Instance, Any]]:
        """(instance, values) of the manifests that may be ``kind`` ``namespace/name``;
        values is None when the keys cannot be read."""
        out = []
        for inst in self.by_name.get((kind, name), ()):
            ns = inst.resolved_namespace
            if namespace is not None and ns is not None and ns != namespace:
                continue
            out.append((inst, self._values_of(inst)))
        return out

    def _values_of(self, inst: Instance) -> dict[str, str | None] | None:
        if not inst.generated:
            return manifest_values(inst.entry.kind, inst.entry.data)
        kfile = self.graph.index.kustomize_files.get(inst.entry.path)
        if kfile is None:
            return None
        field_name = "configMapGenerator" if inst.entry.kind == "ConfigMap" else "secretGenerator"
        found: dict[str, str | None] = {}
        for gen in _list(kfile.data.get(field_name)):
            gen = _dict(gen)
            if gen.get("name") != inst.entry.name:
                continue
            if gen.get("envs") or gen.get("env") or gen.get("behavior") == "merge":
                return None
            for item in _list(gen.get("literals")):
                if isinstance(item, str) and "=" in item:
                    key, _, value = item.partition("=")
                    found[key] = clean_value(value.strip("\"'") if value[:1] in "\"'" else value)
            for item in _list(gen.get("files")):
                if isinstance(item, str):
                    key = item.split("=", 1)[0] if "=" in item else item.rsplit("/", 1)[-1]
                    found[key] = None
        return found


def variables_of(
    graph: RepoGraph, res: Resolver, patched: PatchedObjects, sources: _Sources, ks: IndexEntry
) -> KsVariables:
    """The variables a Flux Kustomization supplies (as deployed: parent patches applied)."""
    inst = kustomization_instance(graph, ks)
    namespace = inst.resolved_namespace
    data = patched.kustomization(ks)
    post = _dict(data.get("spec")).get("postBuild")
    result = KsVariables(ks, _label(namespace, inst.resolved_name), VariableSet())
    found = result.variables
    if not isinstance(post, dict):
        found.runs = False
        return result
    for ref in _list(post.get("substituteFrom")):
        ref = _dict(ref)
        kind, name = _str(ref.get("kind")), inst.resolve(_str(ref.get("name")))
        if kind not in ("ConfigMap", "Secret") or name is None:
            found.complete = False
            continue
        optional = ref.get("optional") is True
        targets = (
            res.find(kind, name, namespace)
            if not res.config.is_external(kind, namespace, name)
            else []
        )
        manifests = sources.values(kind, name, namespace)
        if not targets and not manifests:
            if optional:
                result.missing_optional.append(f"{kind} `{_label(namespace, name)}`")
            else:
                found.complete = False
                found.unknown_sources.append(f"{kind} `{_label(namespace, name)}`")
            continue
        supplied: dict[str, str | None] = {}
        for target in targets:
            if target.keys is None:
                found.complete = False
            else:
                for key in target.keys:
                    supplied.setdefault(key, None)
        for source, values in manifests:
            if values is None:
                found.complete = False
                continue
            for key, value in values.items():
                if key in supplied and supplied[key] is not None and supplied[key] != value:
                    supplied[key] = None  # several clusters disagree: value not known
                elif supplied.get(key) is None:
                    supplied[key] = value
                if not VAR_NAME.fullmatch(key) and not source.generated:
                    pointer = pointer_join(
                        "/data" if key in _dict(source.entry.data.get("data")) else "/stringData",
                        key,
                    )
                    result.invalid.append(InvalidName(source.entry, pointer, key))
        found.values.update(supplied)
    for key, value in _dict(post.get("substitute")).items():
        key = str(key)
        text = value if isinstance(value, str) else json.dumps(value)
        if "${" in text:
            # A parent substitutes into this manifest first; its value is known only when the
            # parent's variables resolve it.
            resolved = inst.resolve(text)
            found.values[key] = clean_value(resolved) if resolved is not None else None
        else:
            found.values[key] = clean_value(text)
        if not VAR_NAME.fullmatch(key):
            ks_pointer = pointer_join("/spec/postBuild/substitute", key)
            if key in _dict(_dict(_dict(ks.data.get("spec")).get("postBuild")).get("substitute")):
                result.invalid.append(InvalidName(ks, ks_pointer, key))
    strategy = post.get("substituteStrategy")
    if strategy == "Always" or found.values:
        found.runs = True
    else:
        found.runs = False if found.complete else None
    return result


# -- what each Kustomization substitutes ------------------------------------------------------


@dataclass(slots=True)
class Occurrence:
    """One text that a Kustomization substitutes."""

    entry: IndexEntry
    site: Site
    template: Template | None
    error: SubstitutionSyntaxError | None


@dataclass
class KsScan:
    """A Kustomization that substitutes, with its variables and the texts it substitutes."""

    ks: KsVariables
    objects: list[tuple[IndexEntry, Instance]] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)


class Analysis:
    """Substitution as each Flux Kustomization of the repository performs it; built once per
    graph and shared by FL406–FL408."""

    def __init__(self, graph: RepoGraph, res: Resolver) -> None:
        self.graph = graph
        self.patched = patched_objects(graph)
        self.sources = _Sources(graph)
        self.scans: list[KsScan] = []
        self._parsed: dict[str, Template | SubstitutionSyntaxError] = {}
        self._by_path: dict[str, list[IndexEntry]] = {}
        self._sites: dict[EntryKey, list[Site]] = {}
        for entry in graph.index.entries:
            self._by_path.setdefault(entry.path, []).append(entry)
        for ks in graph.flux_kustomizations:
            instances = graph.applied_instances(ks)
            if not instances:
                continue
            variables = variables_of(graph, res, self.patched, self.sources, ks)
            scan = KsScan(variables)
            self.scans.append(scan)
            if variables.variables.runs is False:
                continue
            self._scan(scan, instances)

    def parsed(self, text: str) -> Template | SubstitutionSyntaxError:
        found = self._parsed.get(text)
        if found is None:
            try:
                found = parse(text)
            except SubstitutionSyntaxError as exc:
                found = exc
            except RecursionError:
                found = Template(())
            self._parsed[text] = found
        return found

    def _scan(self, scan: KsScan, instances: list[Instance]) -> None:
        seen: set[EntryKey] = set()
        chains: set[str] = set()
        for inst in instances:
            chains.update(inst.chain)
            if inst.generated:
                continue
            key = entry_key(inst.entry)
            if key in seen:
                continue
            seen.add(key)
            deployed = self.patched.deployed(inst)
            if deployed is None or is_substitution_disabled(deployed):
                continue
            scan.objects.append((inst.entry, inst))
            self._add_sites(scan, inst.entry)
        for kfile in sorted(chains):
            for include in self.graph.includes(kfile):
                if include.role != "patch":
                    continue
                for entry in self._by_path.get(include.path, ()):
                    key = entry_key(entry)
                    if key not in seen:
                        seen.add(key)
                        if not is_substitution_disabled(entry.data):
                            self._add_sites(scan, entry)

    def _add_sites(self, scan: KsScan, entry: IndexEntry) -> None:
        key = entry_key(entry)
        sites = self._sites.get(key)
        if sites is None:
            rows = entry.sites if entry.sites is not None else dollar_sites(entry.data)
            sites = self._sites[key] = [Site(*row) for row in rows]
        for site in sites:
            if site.pointer == "/sops" or site.pointer.startswith("/sops/"):
                continue
            parsed = self.parsed(site.text)
            if isinstance(parsed, SubstitutionSyntaxError):
                scan.occurrences.append(Occurrence(entry, site, None, parsed))
            elif parsed.has_placeholders:
                scan.occurrences.append(Occurrence(entry, site, parsed, None))


def analysis(index: RepoIndex, ctx: CheckContext) -> Analysis:
    """The shared :class:`Analysis` for this run (cached on the graph)."""
    res = resolver(index, ctx)
    cached = vars(res.graph).get("_substitution_analysis")
    if isinstance(cached, tuple) and cached[0] is res:
        return cached[1]
    made = Analysis(res.graph, res)
    vars(res.graph)["_substitution_analysis"] = (res, made)
    return made


def _problem(
    message: str,
    site: Site,
    start: int | None,
    *,
    rule_id: str,
    severity: Severity | None = None,
) -> Problem:
    offset = offset_in(site.text, start) if start is not None and not site.key else None
    return Problem(
        message,
        site.pointer,
        KEY if site.key else VALUE,
        rule_id=rule_id,
        severity=severity,
        offset=offset,
    )


# -- FL406 ------------------------------------------------------------------------------------


@repo_check(RULE_UNDEFINED)
def undefined_variable(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """A ``${VAR}`` without default that the applying Kustomization does not supply."""
    strict = ctx.flux_version >= FLUX_2_9
    reported: set[tuple[EntryKey, str, int]] = set()
    for scan in analysis(index, ctx).scans:
        found = scan.ks.variables
        if found.runs is not True or not found.complete:
            continue
        for occ in scan.occurrences:
            if occ.template is None:
                continue
            for ref in references(occ.template):
                if ref.has_default or ref.name in found.values:
                    continue
                key = (entry_key(occ.entry), occ.site.pointer, ref.start)
                if key in reported:
                    continue
                reported.add(key)
                written = occ.site.text[ref.start : ref.end]
                message = (
                    f"`{_show(written)}` has no default and Kustomization `{scan.ks.label}` "
                    f"does not supply `{ref.name}`"
                )
                message += (
                    ": strict substitution fails the reconcile (Flux 2.9)"
                    if strict
                    else ": it becomes an empty string (and fails the reconcile from Flux 2.9)"
                )
                hint = found.closest(ref.name)
                if hint:
                    message += f"; did you mean `{hint}`?"
                elif ref.op in TRANSFORM_OPS or "\n" in occ.site.text or ref.name.islower():
                    message += f"; write `$${written[1:]}` if a shell or template should expand it"
                if scan.ks.missing_optional:
                    message += (
                        f" (optional {', '.join(scan.ks.missing_optional)} is not in this "
                        "repository)"
                    )
                severity = None if strict else Severity.WARNING
                yield (
                    occ.entry,
                    _problem(
                        message, occ.site, ref.start, rule_id=RULE_UNDEFINED, severity=severity
                    ),
                )


# -- FL407 ------------------------------------------------------------------------------------


@repo_check(RULE_SYNTAX)
def unsupported_syntax(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """Placeholders kustomize-controller cannot parse or evaluates unlike a shell, and
    variable names it rejects."""
    reported: set[tuple[EntryKey, str, int]] = set()
    for scan in analysis(index, ctx).scans:
        for invalid in scan.ks.invalid:
            key = (entry_key(invalid.entry), invalid.pointer, -1)
            if key in reported or scan.ks.variables.runs is False:
                continue
            reported.add(key)
            message = (
                f"variable name `{invalid.name}` is invalid (Flux accepts "
                f"`[_a-zA-Z][_a-zA-Z0-9]*`): substitution fails for Kustomization "
                f"`{scan.ks.label}`"
            )
            yield invalid.entry, Problem(message, invalid.pointer, KEY, rule_id=RULE_SYNTAX)
        for occ in scan.occurrences:
            if occ.error is not None:
                error = occ.error
                key = (entry_key(occ.entry), occ.site.pointer, error.start)
                if key in reported:
                    continue
                reported.add(key)
                text = occ.site.text
                close = text.find("}", error.start)
                end = close + 1 if close >= 0 else max(error.position, error.start + 2)
                written = text[error.start : end]
                message = (
                    f"`{_show(written)}` cannot be parsed by Flux ({error.reason}): "
                    f"Kustomization `{scan.ks.label}` fails to build; "
                    f"{_syntax_hint(written)}"
                )
                yield occ.entry, _problem(message, occ.site, error.start, rule_id=RULE_SYNTAX)
                continue
            assert occ.template is not None
            for ref in references(occ.template):
                meaning = SHELL_MISMATCH_OPS.get(ref.op)
                key = (entry_key(occ.entry), occ.site.pointer, ref.start)
                if meaning is None or key in reported:
                    continue
                reported.add(key)
                written = occ.site.text[ref.start : ref.end]
                message = f"`{_show(written)}`: Flux {meaning}"
                yield (
                    occ.entry,
                    _problem(
                        message, occ.site, ref.start, rule_id=RULE_SYNTAX, severity=Severity.WARNING
                    ),
                )


def _syntax_hint(written: str) -> str:
    body = written[2:]
    name_end = 0
    while name_end < len(body) and (body[name_end].isalnum() or body[name_end] == "_"):
        name_end += 1
    after = body[name_end : name_end + 1]
    if name_end and after in ("-", "+", "?"):
        return f"write `${{{body[:name_end]}:{after}...}}` or escape it as `$${written[1:]}`"
    return f"escape it as `$${written[1:]}` if a shell or template should expand it"


# -- FL408 ------------------------------------------------------------------------------------


@repo_check(RULE_TYPED)
def invalid_substituted_value(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """Flux objects whose substituted values break their schema."""
    bundle = ctx.bundle
    reported: set[tuple[EntryKey, str]] = set()
    # The clusters of a fleet apply the same objects, often with the same values: an object
    # substituted alike by several Kustomizations is validated once.
    validated: dict[tuple[EntryKey, str], list[Any]] = {}
    for scan in analysis(index, ctx).scans:
        found = scan.ks.variables
        if found.runs is not True or not found.values:
            continue
        by_entry: dict[EntryKey, list[Occurrence]] = {}
        for occ in scan.occurrences:
            if occ.template is not None and not occ.site.key:
                by_entry.setdefault(entry_key(occ.entry), []).append(occ)
        for entry, _ in scan.objects:
            occurrences = by_entry.get(entry_key(entry))
            group, _, version = entry.api_version.rpartition("/")
            if not occurrences or not is_flux_group(group):
                continue
            schema = bundle.lookup(group, version, entry.kind)
            if schema is None:
                continue
            data: Any = entry.data
            changed: dict[str, tuple[Occurrence, str]] = {}
            for occ in occurrences:
                assert occ.template is not None
                result = substitute_text(occ.template, found.values)
                if result is None:
                    continue
                updated = set_value(data, occ.site.pointer, retype(occ.site.text, result))
                if updated is not data:
                    data = updated
                    changed[occ.site.pointer] = (occ, result)
            if not changed:
                continue
            alike = (entry_key(entry), repr([(p, text) for p, (_, text) in changed.items()]))
            errors = validated.get(alike)
            if errors is None:
                errors = validated[alike] = list(
                    bundle.validator(schema).validate(data, partial=entry.partial)
                )
            for error in errors:
                if error.code == "required":
                    continue
                hit = _owner(error.pointer, changed)
                if hit is None:
                    continue
                occ, result = hit
                key = (entry_key(entry), occ.site.pointer)
                if key in reported:
                    continue
                reported.add(key)
                assert occ.template is not None
                refs = [r for r in references(occ.template) if r.name in found.values]
                assigned = ", ".join(
                    f"`{r.name}` = `{_show(found.values[r.name] or '', 40)}`"
                    for r in dict((r.name, r) for r in refs).values()
                )
                message = (
                    f"{error.message} after substitution by Kustomization `{scan.ks.label}` "
                    f"({assigned})"
                )
                first = refs[0].start if refs else None
                yield entry, _problem(message, occ.site, first, rule_id=RULE_TYPED)


def _owner(
    pointer: str, changed: dict[str, tuple[Occurrence, str]]
) -> tuple[Occurrence, str] | None:
    """The substituted value a schema error is about: at its pointer or above it."""
    probe = pointer
    while True:
        if probe in changed:
            return changed[probe]
        if not probe:
            return None
        probe = probe.rsplit("/", 1)[0]
