"""FL209: HelmRelease values checked against the ``values.schema.json`` of a chart in the repo.

A HelmRelease whose chart is a directory of a GitRepository (``spec.chart.spec.chart:
./charts/app``, ``sourceRef.kind: GitRepository``) very often points at the repository the
HelmRelease itself lives in. When that directory is part of the run (its ``Chart.yaml`` was
discovered) and holds a ``values.schema.json``, Helm will validate the release's values against
it at install time and refuse the release if they do not match; this check does the same before
the commit reaches the cluster, and reports each error at the value it is about.

How Helm does it, and so how this check does it:

* **The values Helm validates** are the chart's defaults (``values.yaml``, unless
  ``spec.chart.spec.valuesFiles`` replace it) coalesced with the user's values (Flux merges
  ``valuesFrom`` and ``spec.values``): user values win, maps are merged key by key, a user
  ``null`` deletes a default. Errors are reported only where they are the HelmRelease's doing:
  at a value written in ``spec.values``, or a required value that neither the defaults nor
  ``spec.values`` supply.
* **What is not known is not judged.** ``valuesFrom`` (ConfigMaps and Secrets), subcharts (their
  defaults land in the parent's values), ``valuesFiles`` and defaults that cannot be read can all
  supply values: then "missing" errors (``required`` and friends) and verdicts on whole mappings
  that other sources could complete are dropped, and only errors about values written in
  ``spec.values`` itself remain. Values holding ``${VAR}`` placeholders or SOPS ciphertext are
  never judged.
* **Draft.** The Helm versions helm-controller builds on compile the schema with
  santhosh-tekuri/jsonschema, which honours ``$schema`` and otherwise uses Draft 2020-12; so does
  this check. ``format`` is not asserted (Helm does not assert it for 2019-09 and later, and
  Python's format checkers differ from Go's), and ``pattern`` uses RE2, like Go's ``regexp``; a
  schema with a regex Go cannot compile is not checked (Helm refuses it whatever the values).
* **No remote or file references.** A ``$ref`` to anything outside the schema document is never
  fetched; a schema that needs one is not checked at all (its verdicts would be guesses).

Which repository directory the chart path is relative to: the GitRepository's root is some
ancestor of the HelmRelease's file, so the chart is looked up under the run's root first and
then under each directory on the way down to the HelmRelease, and the first directory that has
a discovered ``Chart.yaml`` is taken. Nothing from the repository is ever executed.

Reading files: the schema, ``values.yaml`` and ``Chart.yaml`` are read from disk below the run's
root (never through a link that leaves it, never more than 5 MiB). The engine does not hand the
root to checks yet, so it is taken from ``ctx.root`` when the context has one, else from the
working directory or its git work tree, and accepted only if the HelmRelease's own file is found
under it.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import repo_check
from flux_lint.check.schema.validate import format_path
from flux_lint.core.findings import KEY, VALUE, Problem, pointer_join
from flux_lint.core.messages import json_type as _type_name
from flux_lint.core.messages import show
from flux_lint.core.placeholders import has_placeholder, is_unresolved
from flux_lint.core.regex import compile_pattern
from flux_lint.load.discover import find_root
from flux_lint.load.source import SourceText, read_source
from flux_lint.load.yaml import load_text
from flux_lint.model.index import IndexEntry, RepoIndex

if TYPE_CHECKING:  # jsonschema is imported only when a chart schema is actually compiled
    import referencing
    from jsonschema.exceptions import ValidationError

__all__ = ["ChartSchema", "coalesce", "find_chart_dir", "schema_problems"]

HELM_GROUP = "helm.toolkit.fluxcd.io"
MAX_BYTES = 5 * 1024 * 1024

#: Keywords whose errors say "something is missing": other value sources could supply it.
MISSING_KEYWORDS = frozenset({"required", "dependentRequired", "dependencies", "minProperties"})
#: Keywords whose verdict on a mapping depends on all of its keys, wherever they came from.
WHOLE_KEYWORDS = frozenset(
    {
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "maxProperties",
        "propertyNames",
        "unevaluatedProperties",
        "dependentSchemas",
        "enum",
        "const",
    }
)


# --------------------------------------------------------------------------------------------
# Reading files below the root


class _Unreadable(Exception):
    """A file exists but cannot be used (too large, not text, outside the root)."""


def _read(root: Path, display: str) -> str | None:
    """The text of ``root/display``, None when there is no such regular file; raises
    :class:`_Unreadable` for a file that is there but must not or cannot be read."""
    path = root / display
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        raise _Unreadable(f"`{display}` leads outside the repository")
    try:
        info = os.stat(real)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    source = read_source(Path(real), display, max_bytes=MAX_BYTES)
    if not isinstance(source, SourceText):
        raise _Unreadable(f"`{display}`: {source.message}")
    return source.text


def _roots(ctx: CheckContext) -> list[Path]:
    """Where display paths may be relative to (see the module docs)."""
    root = getattr(ctx, "root", None)
    if root is not None:
        return [Path(root)]
    cwd = Path.cwd()
    candidates = [cwd, find_root(cwd)]
    return list(dict.fromkeys(candidates))


# --------------------------------------------------------------------------------------------
# Finding the chart


def _chart_path(spec: Mapping[str, Any]) -> str | None:
    """The repository-relative chart directory a HelmRelease names through a GitRepository."""
    chart = spec.get("chart")
    template = chart.get("spec") if isinstance(chart, dict) else None
    if not isinstance(template, dict):
        return None
    source = template.get("sourceRef")
    if not isinstance(source, dict) or source.get("kind") != "GitRepository":
        return None
    path = template.get("chart")
    if not isinstance(path, str) or not path.strip() or has_placeholder(path):
        return None
    normal = posixpath.normpath(path.strip().lstrip("/"))
    if normal == ".." or normal.startswith("../"):
        return None
    return "" if normal == "." else normal


def _ancestors(display: str) -> list[str]:
    """``a/b/c.yaml`` → ``["", "a", "a/b"]``: the directories a repository root could be."""
    parts = posixpath.dirname(display).split("/") if posixpath.dirname(display) else []
    if any(part in ("", ".", "..") for part in parts):
        return [""]
    return ["/".join(parts[:depth]) for depth in range(len(parts) + 1)]


def find_chart_dir(files: set[str], release_path: str, chart: str) -> tuple[str, str] | None:
    """(repository root, chart directory) for ``chart`` as seen from the HelmRelease in
    ``release_path``: the shallowest ancestor that has ``<chart>/Chart.yaml`` among ``files``."""
    for base in _ancestors(release_path):
        directory = posixpath.join(base, chart) if chart else base
        if posixpath.join(directory, "Chart.yaml") in files:
            return base, directory
    return None


# --------------------------------------------------------------------------------------------
# Values


def coalesce(user: Any, defaults: Any) -> Any:
    """Helm's ``CoalesceTables``: ``user`` wins, mappings merge key by key, and a user ``null``
    removes the default it overrides."""
    if not isinstance(user, dict) or not isinstance(defaults, dict):
        return user
    merged = dict(user)
    for key, default in defaults.items():
        if key not in user:
            merged[key] = default
        elif user[key] is None:
            del merged[key]
        else:
            merged[key] = coalesce(user[key], default)
    return merged


def _values_document(text: str) -> dict[str, Any] | None:
    """The mapping of a values file, or None when it is not one clean YAML mapping."""
    loaded = load_text(text)
    if loaded.problems or len(loaded.documents) > 1:
        return None
    if not loaded.documents or loaded.documents[0].data is None:
        return {}
    data = loaded.documents[0].data
    return data if isinstance(data, dict) else None


def _lookup(value: Any, path: Sequence[str | int]) -> tuple[bool, Any]:
    for token in path:
        in_map = isinstance(value, dict) and isinstance(token, str) and token in value
        in_list = isinstance(value, list) and isinstance(token, int) and 0 <= token < len(value)
        if not (in_map or in_list):
            return False, None
        value = value[token]
    return True, value


def _holds_unresolved(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_unresolved(v) or is_unresolved(k) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_unresolved(v) for v in value)
    return is_unresolved(value)


# --------------------------------------------------------------------------------------------
# The schema


def _refuse(uri: str) -> referencing.Resource[Any]:
    """Retrieval hook for ``$ref``s outside the schema: nothing is fetched, ever."""
    import referencing.exceptions

    raise referencing.exceptions.NoSuchResource(ref=uri)


def _re2_pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """``pattern`` with Go's semantics (RE2, unanchored search), as Helm evaluates it."""
    if not validator.is_type(instance, "string"):
        return
    try:
        found = compile_pattern(pattern).search(instance)
    except ValueError:
        return  # Helm fails to compile such a schema; that is the chart's problem
    if not found:
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _re2_patterns(node: Any) -> bool:
    """Whether every ``pattern`` and ``patternProperties`` regex compiles with RE2, as it must
    for Helm (Go's ``regexp``); Python's ``re`` accepts more (lookarounds, backreferences)."""
    if isinstance(node, list):
        return all(_re2_patterns(item) for item in node)
    if not isinstance(node, dict):
        return True
    patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    if isinstance(node.get("patternProperties"), dict):
        patterns.extend(node["patternProperties"])
    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except ValueError:
            return False
    return all(_re2_patterns(value) for value in node.values())


@dataclass
class ChartSchema:
    """A chart's compiled ``values.schema.json`` (or why there is none to use)."""

    display: str
    validator: Any = None
    error: str | None = None  # the schema file is there but not valid JSON


def load_schema(display: str, text: str) -> ChartSchema:
    """Compile ``text``; a schema that is not valid JSON keeps the reason, one that is not a
    valid schema yields no validator (the metaschema checks of Python and Go differ too much to
    report that with confidence)."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        return ChartSchema(display, error=f"{exc.msg} (line {exc.lineno}, column {exc.colno})")
    if not isinstance(schema, (dict, bool)):
        return ChartSchema(display, error="the document is not a JSON object")
    import jsonschema
    import referencing
    from jsonschema.validators import validator_for

    try:
        base = validator_for(schema, default=jsonschema.Draft202012Validator)
        base.check_schema(schema)
    except Exception:  # an untrusted document: any failure means "cannot judge", not a crash
        return ChartSchema(display)
    if not _re2_patterns(schema):
        return ChartSchema(display)  # Go's regexp rejects it: Helm cannot compile the schema
    cls = jsonschema.validators.extend(base, {"pattern": _re2_pattern})
    registry: referencing.Registry[Any] = referencing.Registry(retrieve=_refuse)
    return ChartSchema(display, validator=cls(schema, registry=registry))


# --------------------------------------------------------------------------------------------
# Messages


def _show(value: Any, limit: int = 60) -> str:
    return show(value, limit)


def _got(value: Any) -> str:
    kind = _type_name(value)
    if isinstance(value, (dict, list)):
        return f"got {kind}"
    return f"got {kind} `{_show(json.dumps(value) if isinstance(value, str) else value)}`"


def _describe(error: ValidationError) -> str:
    """What is wrong with the value, in the project's style, for the keywords users meet most
    (``must be of type `integer`, got string `"two"```); other keywords keep the library's
    wording."""
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(f"`{t}`" for t in types)
        return f"must be of type {wanted}, {_got(value)}"
    if keyword == "enum" and isinstance(expected, list):
        choices = ", ".join(f"`{_show(v)}`" for v in expected[:10])
        return f"must be one of {choices}, got `{_show(value)}`"
    if keyword == "const":
        return f"must be `{_show(expected)}`, got `{_show(value)}`"
    if keyword == "pattern":
        return f"must match `{expected}`, got `{_show(value)}`"
    bounds = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "greater than",
        "exclusiveMaximum": "less than",
        "multipleOf": "a multiple of",
    }
    if keyword in bounds:
        return f"must be {bounds[keyword]} `{_show(expected)}`, got `{_show(value)}`"
    sizes = {
        "minLength": "must be at least {} character(s) long",
        "maxLength": "must be at most {} character(s) long",
        "minItems": "must have at least {} item(s)",
        "maxItems": "must have at most {} item(s)",
    }
    if keyword in sizes and isinstance(value, (str, list)):
        return f"{sizes[keyword].format(expected)}, got {len(value)}"
    if keyword == "uniqueItems":
        return "must not repeat items"
    composite = {
        "anyOf": "must match at least one of the schemas in `anyOf`",
        "oneOf": "must match exactly one of the schemas in `oneOf`",
        "not": "must not match the schema in `not`",
    }
    if keyword in composite:
        return composite[keyword]
    return f"does not match the schema (`{keyword}`): {_show(error.message, 120)}"


# --------------------------------------------------------------------------------------------
# The check


@dataclass
class _Release:
    """What is known about one HelmRelease's values."""

    pointer: str  # where spec.values is (or where to report when it is absent)
    user: dict[str, Any]
    defaults: dict[str, Any]
    certain: bool  # no other source could add values


def _value_path(path: Sequence[str | int]) -> str:
    """``image.tag``, ``env[1]``: the path inside the values, as Helm users write it."""
    return format_path(list(path)) if path else "."


def schema_problems(
    schema: ChartSchema, user: dict[str, Any], defaults: dict[str, Any], certain: bool
) -> Iterator[Problem]:
    """Problems of ``user`` values (``spec.values``) against ``schema`` once coalesced with the
    chart ``defaults``; pointers are relative to ``spec.values`` (``""`` is its root)."""
    merged = coalesce(user, defaults)
    suffix = f" (`{schema.display}`)"
    try:
        errors = sorted(
            schema.validator.iter_errors(merged), key=lambda e: [str(t) for t in e.absolute_path]
        )
    except Exception:
        # A `$ref` that is never fetched (referencing's Unresolvable), a schema that refers to
        # itself forever (RecursionError), a `patternProperties` regex Python cannot compile:
        # the schema cannot be judged here, which is not the release's fault.
        return
    for error in errors:
        path = list(error.absolute_path)
        keyword = error.validator
        present, value = _lookup(user, path)
        if keyword in MISSING_KEYWORDS:
            # Reported only when no other source could supply the value, and only for mappings
            # the user wrote (or the root): a default mapping missing a key is the chart's own.
            if certain and (present or not path):
                yield from _missing(error, path, suffix)
            continue
        if not present or _holds_unresolved(value):
            continue
        if keyword in WHOLE_KEYWORDS and isinstance(value, dict) and not certain:
            continue
        if keyword == "additionalProperties":
            yield from _extra_keys(error, path, value, suffix)
            continue
        yield Problem(
            f"chart value `{_value_path(path)}` {_describe(error)}{suffix}", pointer_join("", *path)
        )


def _missing(error: ValidationError, path: list[str | int], suffix: str) -> Iterator[Problem]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required" and isinstance(error.validator_value, list):
        for name in error.validator_value:
            if isinstance(name, str) and name not in instance:
                where = _value_path([*path, name])
                yield Problem(
                    f"missing required chart value `{where}`{suffix}",
                    pointer_join("", *path),
                    target=KEY,
                )
        return
    yield Problem(
        f"chart values at `{_value_path(path)}` {_describe(error)}{suffix}",
        pointer_join("", *path),
        target=KEY,
    )


def _extra_keys(
    error: ValidationError, path: list[str | int], value: Any, suffix: str
) -> Iterator[Problem]:
    """One problem per key of the user's mapping that the schema does not allow (keys that only
    the defaults bring are the chart's own business)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    patterns = schema.get("patternProperties")
    patterns = patterns if isinstance(patterns, dict) else {}
    for key in value if isinstance(value, dict) else {}:
        if key in properties or is_unresolved(key):
            continue
        if any(_matches(pattern, key) for pattern in patterns):
            continue
        yield Problem(
            f"chart value `{_value_path([*path, key])}` is not allowed by the schema{suffix}",
            pointer_join("", *path, key),
            target=KEY,
        )


def _matches(pattern: str, text: str) -> bool:
    try:
        return compile_pattern(pattern).search(text)
    except ValueError:
        return True  # do not report a key against a pattern Go would not compile either


def _release_values(
    root: Path, spec: Mapping[str, Any], chart_dir: str, files: set[str]
) -> _Release:
    """The user values and chart defaults of one HelmRelease, and whether they are complete."""
    values = spec.get("values")
    user = values if isinstance(values, dict) else {}
    pointer = "/spec/values" if "values" in spec else "/spec/chart"
    certain = not spec.get("valuesFrom")
    template = spec["chart"]["spec"]
    defaults: dict[str, Any] = {}
    if template.get("valuesFiles") or template.get("valuesFile"):
        # Files that replace `values.yaml`; where they are looked up differs between Flux
        # versions, so the defaults are taken as unknown rather than guessed.
        certain = False
    else:
        try:
            text = _read(root, posixpath.join(chart_dir, "values.yaml"))
            document = _values_document(text) if text is not None else {}
        except _Unreadable:
            document = None
        if document is None:
            certain = False
        else:
            defaults = document
    if _has_subcharts(root, chart_dir, files):
        certain = False
    return _Release(pointer, user, defaults, certain)


def _has_subcharts(root: Path, chart_dir: str, files: set[str]) -> bool:
    """Subcharts add their own defaults under their name: the parent's values are then not
    fully known here."""
    prefix = posixpath.join(chart_dir, "charts") + "/"
    if any(f.startswith(prefix) for f in files) or (root / prefix).is_dir():
        return True
    if posixpath.join(chart_dir, "requirements.yaml") in files:
        return True
    try:
        text = _read(root, posixpath.join(chart_dir, "Chart.yaml"))
    except _Unreadable:
        return True
    chart = _values_document(text) if text is not None else None
    return chart is None or bool(chart.get("dependencies"))


@repo_check("FL209")
def chart_values(index: RepoIndex, ctx: CheckContext) -> Iterator[tuple[IndexEntry, Problem]]:
    """Validate HelmRelease values against the schema of a chart kept in this repository."""
    roots = _roots(ctx)
    schemas: dict[str, ChartSchema | None] = {}
    for entry in index.of_kind("HelmRelease", HELM_GROUP):
        spec = entry.data.get("spec")
        if entry.partial or not isinstance(spec, dict):
            continue
        chart = _chart_path(spec)
        if chart is None:
            continue
        found = find_chart_dir(index.files, entry.path, chart)
        root = next((r for r in roots if (r / entry.path).is_file()), None)
        if found is None or root is None:
            continue
        _, chart_dir = found
        schema_path = posixpath.join(chart_dir, "values.schema.json")
        if schema_path not in schemas:
            try:
                text = _read(root, schema_path)
            except _Unreadable:
                text = None
            schemas[schema_path] = None if text is None else load_schema(schema_path, text)
        schema = schemas[schema_path]
        if schema is None:
            continue
        if schema.error is not None:
            yield (
                entry,
                Problem(
                    f"cannot check the values: `{schema.display}` is not valid JSON: "
                    f"{schema.error}",
                    "/spec/chart/spec/chart",
                    target=VALUE,
                ),
            )
            continue
        if schema.validator is None:
            continue
        release = _release_values(root, spec, chart_dir, index.files)
        for problem in schema_problems(schema, release.user, release.defaults, release.certain):
            problem.pointer = (
                release.pointer + problem.pointer if "values" in spec else release.pointer
            )
            if "values" not in spec:
                problem.target = KEY
            yield entry, problem
