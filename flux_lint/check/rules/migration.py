"""Upgrade rules: what breaks between the Flux a cluster runs and the Flux it moves to.

* FL304 ``field-unknown-to-running-flux`` (needs ``--from``): a field, or an enum value, that
  the target Flux accepts and the running one does not. The running API server drops the field
  (or rejects the value) until the upgrade, so a repository prepared for the new release
  silently misbehaves on the old one.
* FL305 ``floating-flux-version``: a FluxInstance whose ``spec.distribution.version`` floats
  (``2.x``, ``*``, an open range, or no version) in a repository that still uses API versions the
  newest Flux no longer serves: the next operator release upgrades Flux and the objects fail.
* FL306 ``removed-field-after-upgrade``: an object on a removed or deprecated API version,
  judged as it will be after its ``apiVersion`` is bumped to the replacement. ``flux migrate``
  and hand edits only change the ``apiVersion`` line; fields the replacement does not have are
  then pruned by the API server without a word.

FL304 and FL306 derive their facts from the schema bundles (validate the object against two
schemas and keep the difference), so they follow new Flux releases without code changes;
``rules/data/field-migrations.yaml`` only adds advice, plus the fields a replacement still
accepts but documents as deprecated (descriptions are not in the bundles).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.lifecycle import table_for
from flux_lint.check.registry import check, repo_check
from flux_lint.check.rules import lifecycle as lifecycle_checks
from flux_lint.check.schema.store import (
    MINORS,
    Bundle,
    VersionEntry,
    format_minor,
    load_bundle,
    nearest_minor,
)
from flux_lint.check.schema.validate import ENUM, UNKNOWN_FIELD, SchemaError, format_path
from flux_lint.core.findings import KEY, VALUE, Problem, Severity, pointer_join, pointer_tokens
from flux_lint.model.flux_version import NEWEST_KNOWN, DetectedVersion, detect_all
from flux_lint.model.index import IndexEntry, RepoIndex
from flux_lint.model.objects import K8sObject, split_api_version

UNKNOWN_TO_RUNNING = "FL304"
FLOATING_VERSION = "FL305"
REMOVED_FIELD = "FL306"

Minor = tuple[int, int]


def _resolve(data: Any, pointer: str) -> Any:
    for token in pointer_tokens(pointer):
        if isinstance(data, dict):
            data = data.get(token)
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    return data


def _path(pointer: str) -> str:
    tokens: list[str | int] = [int(t) if t.isdigit() else t for t in pointer_tokens(pointer)]
    return format_path(tokens)


def _validate(
    bundle: Bundle, entry: VersionEntry, obj_data: dict[str, Any], partial: bool
) -> list[SchemaError]:
    return bundle.validator(entry).validate(obj_data, partial=partial)


# -- FL304 --------------------------------------------------------------------------------------


def _introduced_in(
    obj: K8sObject, error: SchemaError, running: Minor, target: Minor
) -> Minor | None:
    """The first Flux minor after ``running`` (up to ``target``) that accepts what ``error``
    rejects, found by validating with each bundle in between."""
    for minor in MINORS:
        if not running < minor <= target:
            continue
        bundle = load_bundle(minor)
        entry = bundle.lookup(obj.group, obj.version, obj.kind)
        if entry is None:
            continue
        errors = _validate(bundle, entry, obj.data, obj.partial)
        if not any(e.code == error.code and e.pointer == error.pointer for e in errors):
            return minor
    return None


@check(UNKNOWN_TO_RUNNING)
def field_unknown_to_running_flux(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Fields and enum values the target Flux accepts and the running (``--from``) one does
    not."""
    if ctx.from_version is None or not obj.is_flux:
        return
    running_bundle = ctx.bundle_for(ctx.from_version)
    target_bundle = ctx.bundle
    if running_bundle is target_bundle:
        return
    old = running_bundle.lookup(obj.group, obj.version, obj.kind)
    new = target_bundle.lookup(obj.group, obj.version, obj.kind)
    if old is None or new is None:
        return  # not served by one of them: the API lifecycle rules say so
    candidates = [
        e
        for e in _validate(running_bundle, old, obj.data, obj.partial)
        if e.code in (UNKNOWN_FIELD, ENUM)
    ]
    if not candidates:
        return
    rejected_by_target = {
        (e.code, e.pointer) for e in _validate(target_bundle, new, obj.data, obj.partial)
    }
    running = format_minor(ctx.from_version)
    for error in candidates:
        if (error.code, error.pointer) in rejected_by_target:
            continue  # wrong on both sides: a schema rule reports it
        since = _introduced_in(
            obj, error, nearest_minor(ctx.from_version), nearest_minor(ctx.flux_version)
        )
        added = f" (added in Flux {format_minor(since)})" if since else ""
        field = _path(error.pointer)
        if error.code == UNKNOWN_FIELD:
            message = (
                f"Flux {running} does not know `{field}`{added}: its API server drops the field"
            )
            yield Problem(message, pointer=error.pointer, target=KEY)
        else:
            value = _resolve(obj.data, error.pointer)
            shown = value if isinstance(value, str) else repr(value)
            message = (
                f"Flux {running} does not accept `{shown}` for `{field}`{added}: its API "
                "server rejects the object"
            )
            yield Problem(message, pointer=error.pointer, target=VALUE)


# -- FL305 --------------------------------------------------------------------------------------


def _fallback_pointer(detected: DetectedVersion) -> str:
    """Where to report a version that is not written: the closest field that is."""
    data = detected.entry.data if detected.entry else {}
    candidates = (
        ("/spec/values/instance/distribution", "/spec/values/instance", "/spec/values")
        if detected.source.startswith("HelmRelease")
        else ("/spec/distribution", "/spec")
    )
    for pointer in candidates:
        if isinstance(_resolve(data, pointer), dict):
            return pointer
    if detected.source.startswith("HelmRelease"):
        for pointer in ("/spec/chartRef", "/spec/chart"):
            if _resolve(data, pointer) is not None:
                return pointer
    return ""


def removed_api_usage(
    index: RepoIndex, ctx: CheckContext, minor: Minor
) -> dict[str, set[tuple[str, int]]]:
    """apiVersion → the objects (path, document) that use it although Flux ``minor`` no longer
    serves it, as an object's own apiVersion or in a reference such as ``sourceRef``."""
    judged = CheckContext(flux_version=minor, options=ctx.options)
    table = table_for(judged)
    usage: dict[str, set[tuple[str, int]]] = {}
    for entry in index.entries:
        if entry.partial or not table.covers(entry.group):
            continue
        obj = K8sObject(entry.path, entry.document, entry.data, entry.api_version, entry.kind)
        for issue in lifecycle_checks.issues(obj, judged):
            if issue.rule_id == lifecycle_checks.REMOVED:
                usage.setdefault(issue.api_version, set()).add((entry.path, entry.document))
    return usage


@repo_check(FLOATING_VERSION)
def floating_flux_version(
    index: RepoIndex, ctx: CheckContext
) -> Iterator[tuple[IndexEntry, Problem]]:
    """A floating FluxInstance version in a repository that the newest Flux would break."""
    cache: dict[Minor, dict[str, set[tuple[str, int]]]] = {}
    for detected in detect_all(index):
        if detected.entry is None or not detected.floating:
            continue
        newest = detected.newest or NEWEST_KNOWN
        if newest not in cache:
            cache[newest] = removed_api_usage(index, ctx, newest)
        usage = cache[newest]
        if not usage:
            continue
        listed = sorted(usage.items(), key=lambda item: (-len(item[1]), item[0]))
        parts = [
            f"`{api}` ({len(objs)} object{'s' if len(objs) != 1 else ''})"
            for api, objs in listed[:3]
        ]
        if len(listed) > 3:
            parts.append(f"{len(listed) - 3} more")
        shown = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        if detected.pointer:
            written = f"Flux version `{detected.text}`"
        elif detected.source.startswith("HelmRelease"):
            written = f"no Flux version (the chart's default is `{detected.text}`)"
        else:
            written = "no Flux version (any release)"
        message = (
            f"{written} floats to Flux {format_minor(newest)}, which no longer serves "
            f"{shown} used in this repository"
        )
        pointer = detected.pointer or _fallback_pointer(detected)
        yield (
            detected.entry,
            Problem(message, pointer=pointer, target=VALUE if detected.pointer else KEY),
        )


# -- FL306 --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldMigration:
    """One row of ``rules/data/field-migrations.yaml``."""

    group: str
    kind: str
    versions: tuple[str, ...]
    field: str  # dotted, `[]` for list items
    change: str  # removed | replaced | deprecated
    advice: str
    source: str


CHANGES = ("removed", "replaced", "deprecated")
_ROW_KEYS = {"group", "kind", "versions", "field", "change", "advice", "source"}


class FieldMigrationError(ValueError):
    """A row of the field-migration table is malformed; the message names it."""


def parse_field_migrations(data: Any, origin: str) -> list[FieldMigration]:
    if not isinstance(data, list):
        raise FieldMigrationError(f"{origin}: expected a list of rows")
    rows = []
    for number, item in enumerate(data, start=1):
        where = f"{origin} row {number}"
        if not isinstance(item, dict) or set(item) != _ROW_KEYS:
            raise FieldMigrationError(f"{where}: a row has exactly {', '.join(sorted(_ROW_KEYS))}")
        versions = item["versions"]
        if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
            raise FieldMigrationError(f"{where}: `versions` must be a list of versions")
        if item["change"] not in CHANGES:
            raise FieldMigrationError(f"{where}: `change` must be one of {', '.join(CHANGES)}")
        for key in ("group", "kind", "field", "advice", "source"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise FieldMigrationError(f"{where}: `{key}` must be a non-empty string")
        if not re.match(r"^https://\S+$", item["source"]):
            raise FieldMigrationError(f"{where}: `source` must be an https URL")
        rows.append(
            FieldMigration(
                item["group"],
                item["kind"],
                tuple(versions),
                item["field"],
                item["change"],
                " ".join(item["advice"].split()),
                item["source"],
            )
        )
    return rows


@lru_cache(maxsize=1)
def field_migrations() -> tuple[FieldMigration, ...]:
    """The shipped table (the JSON copy of its data file, core/datafiles.py), read once."""
    from flux_lint.core import datafiles

    origin = "rules/data/field-migrations.yaml"
    return tuple(parse_field_migrations(datafiles.load("field-migrations.yaml"), origin))


def field_shape(pointer: str) -> str:
    """``/spec/postRenderers/0/kustomize/x`` → ``spec.postRenderers[].kustomize.x``, the form
    the table uses."""
    out = ""
    for token in pointer_tokens(pointer):
        out += "[]" if token.isdigit() else (f".{token}" if out else token)
    return out


def _advice(obj: K8sObject, shape: str) -> FieldMigration | None:
    for row in field_migrations():
        if (row.group, row.kind, row.field) == (obj.group, obj.kind, shape) and (
            obj.version in row.versions
        ):
            return row
    return None


def _pointers(data: Any, shape: str) -> Iterator[str]:
    """Pointers of every value at a table field path in ``data``."""
    parts = re.findall(r"[^.\[\]]+|\[\]", shape)

    def walk(node: Any, rest: list[str], pointer: str) -> Iterator[str]:
        if not rest:
            yield pointer
            return
        head, tail = rest[0], rest[1:]
        if head == "[]":
            if isinstance(node, list):
                for index, item in enumerate(node):
                    yield from walk(item, tail, pointer_join(pointer, index))
        elif isinstance(node, dict) and head in node:
            yield from walk(node[head], tail, pointer_join(pointer, head))

    yield from walk(data, parts, "")


def old_schema(group: str, version: str, kind: str) -> tuple[Minor, VersionEntry] | None:
    """The schema of an old API version from the newest bundle that still serves it."""
    for minor in reversed(MINORS):
        entry = load_bundle(minor).lookup(group, version, kind)
        if entry is not None:
            return minor, entry
    return None


@check(REMOVED_FIELD)
def removed_field_after_upgrade(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Fields an object loses when its removed or deprecated apiVersion is bumped."""
    if not obj.is_flux:
        return
    table = table_for(ctx)
    row = table.row(obj.group, obj.version, obj.kind)
    if row is None:
        return
    status = row.status(ctx.flux_version)
    if status not in ("removed", "deprecated"):
        return
    replacement = table.replacement(row, ctx.flux_version)
    if not replacement or replacement == obj.api_version:
        return
    new_group, new_version = split_api_version(replacement)
    if new_group != obj.group:
        return  # a move to another group is not a field-by-field bump
    target = ctx.bundle
    new = target.lookup(new_group, new_version, obj.kind)
    old = old_schema(obj.group, obj.version, obj.kind)
    if new is None or old is None:
        return
    old_minor, old_entry = old
    unknown_before = {
        e.pointer
        for e in _validate(load_bundle(old_minor), old_entry, obj.data, obj.partial)
        if e.code == UNKNOWN_FIELD
    }
    severity = None if status == "removed" else Severity.WARNING
    for error in _validate(target, new, obj.data, obj.partial):
        if error.code != UNKNOWN_FIELD or error.pointer in unknown_before:
            continue  # a typo in the old version already; the schema rules report it later
        advice = _advice(obj, field_shape(error.pointer))
        message = (
            f"`{_path(error.pointer)}` does not exist in `{replacement}`: the API server drops "
            "it once `apiVersion` is changed"
        )
        if advice is not None:
            message += f"; {advice.advice}"
        yield Problem(message, pointer=error.pointer, target=KEY, severity=severity)
    for migration in field_migrations():
        if migration.change != "deprecated" or (migration.group, migration.kind) != (
            obj.group,
            obj.kind,
        ):
            continue
        if obj.version not in migration.versions:
            continue
        for pointer in _pointers(obj.data, migration.field):
            yield Problem(
                f"`{_path(pointer)}` is deprecated in `{replacement}`; {migration.advice}",
                pointer=pointer,
                target=KEY,
                severity=Severity.WARNING,
            )
