"""The Flux API lifecycle table: which (group, version, kind) each Flux release serves.

The facts live in ``rules/data/api-versions.yaml`` (one row per API version, each with a source
URL) so that a new Flux release is a data change. This module loads that file once, lazily,
merges rows a user adds from config, validates every row with an error that names it, and
answers the questions the API-lifecycle rules ask: what is the status of this apiVersion in the
target Flux, what replaces it there, and, for something Flux never served, what the author most
likely meant.

Flux minors are ``(major, minor)`` tuples throughout, like ``CheckContext.flux_version``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from flux_lint.check.schema.store import DEFAULT_MINOR
from flux_lint.core.regex import lazy
from flux_lint.model.objects import is_flux_group, split_api_version

Minor = tuple[int, int]
Status = Literal["served", "deprecated", "removed", "unknown"]

#: Row keys in the data file and in user config; anything else is a typo worth an error.
ROW_KEYS = frozenset(
    {
        "group",
        "kind",
        "version",
        "introduced",
        "deprecatedIn",
        "removedIn",
        "replacement",
        "source",
        "note",
    }
)

_MINOR_RE = lazy(r"^(\d+)\.(\d+)$")
_VERSION_RE = lazy(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_GROUP_RE = lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
_KIND_RE = lazy(r"^[A-Z][A-Za-z0-9]*$")
_URL_RE = lazy(r"^https?://\S+$")


class LifecycleDataError(ValueError):
    """A lifecycle row is malformed; the message names the file or config key and the row."""


@dataclass(frozen=True, slots=True)
class ApiRow:
    """One API version of one kind and its life in Flux releases."""

    group: str
    kind: str
    version: str
    introduced: Minor | None = None
    deprecated_in: Minor | None = None
    removed_in: Minor | None = None
    replacement: str | None = None  # full apiVersion
    source: str = ""
    note: str = ""
    origin: str = ""  # where the row came from, for error messages

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def gvk(self) -> tuple[str, str, str]:
        return (self.group, self.version, self.kind)

    def status(self, target: Minor) -> Status:
        """The row's standing in Flux ``target``.

        A version that the target is too old to know (``introduced`` later than the target) is
        ``unknown`` to that target, exactly like a version no release ever served: applying it
        fails the same way.
        """
        if self.removed_in is not None and target >= self.removed_in:
            return "removed"
        if self.introduced is not None and target < self.introduced:
            return "unknown"
        if self.deprecated_in is not None and target >= self.deprecated_in:
            return "deprecated"
        return "served"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What an unknown (group, version, kind) most likely meant."""

    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key that orders versions the way Kubernetes prefers them, best first.

    GA before beta before alpha, then the higher major, then the higher pre-release number;
    versions that do not follow the ``v1beta2`` convention sort last, alphabetically. Used to
    pick "the" current version of a kind without hard-coding one.
    """
    m = _VERSION_RE.match(version)
    if not m:
        return (3, 0, 0, version)
    major, level, number = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[level]
    return (rank, -major, -number, version)


def parse_minor_field(value: Any, field: str, where: str) -> Minor | None:
    """A ``"2.7"`` string (or null) → ``(2, 7)``.

    YAML reads an unquoted ``2.10`` as the float 2.1, so floats are rejected instead of guessed.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str):
        raise LifecycleDataError(
            f'{where}: `{field}` must be a quoted Flux minor such as "2.7", got {value!r}'
        )
    m = _MINOR_RE.match(value.strip())
    if not m:
        raise LifecycleDataError(
            f'{where}: `{field}` must be a Flux minor such as "2.7", got {value!r}'
        )
    return int(m.group(1)), int(m.group(2))


def _row_label(index: int, data: Mapping[str, Any], origin: str) -> str:
    ident = " ".join(
        str(data.get(k)) for k in ("group", "version", "kind") if isinstance(data.get(k), str)
    )
    return f"{origin} row {index + 1}" + (f" ({ident})" if ident else "")


def parse_row(data: Any, index: int, origin: str, *, require_source: bool) -> ApiRow:
    """Validate one row and build it; every error names the row so it can be found."""
    if not isinstance(data, Mapping):
        raise LifecycleDataError(f"{origin} row {index + 1}: a row must be a mapping")
    where = _row_label(index, data, origin)
    unknown = set(data) - ROW_KEYS
    if unknown:
        raise LifecycleDataError(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))} "
            f"(allowed: {', '.join(sorted(ROW_KEYS))})"
        )
    checks = (
        ("group", _GROUP_RE, "an API group such as helm.toolkit.fluxcd.io"),
        ("kind", _KIND_RE, "a kind such as HelmRelease"),
        ("version", _VERSION_RE, "a version such as v2beta1"),
    )
    for field, pattern, what in checks:
        value = data.get(field)
        if not isinstance(value, str) or not pattern.match(value):
            raise LifecycleDataError(f"{where}: `{field}` must be {what}, got {value!r}")
    introduced = parse_minor_field(data.get("introduced"), "introduced", where)
    deprecated_in = parse_minor_field(data.get("deprecatedIn"), "deprecatedIn", where)
    removed_in = parse_minor_field(data.get("removedIn"), "removedIn", where)
    if introduced and removed_in and removed_in <= introduced:
        raise LifecycleDataError(f"{where}: `removedIn` must come after `introduced`")
    if deprecated_in and removed_in and removed_in < deprecated_in:
        raise LifecycleDataError(f"{where}: `deprecatedIn` must not come after `removedIn`")
    if introduced and deprecated_in and deprecated_in < introduced:
        raise LifecycleDataError(f"{where}: `deprecatedIn` must not come before `introduced`")
    replacement = data.get("replacement")
    if replacement is not None:
        group, version = (
            split_api_version(replacement) if isinstance(replacement, str) else ("", "")
        )
        if not group or not _GROUP_RE.match(group) or not _VERSION_RE.match(version):
            raise LifecycleDataError(
                f"{where}: `replacement` must be a full apiVersion such as "
                f"helm.toolkit.fluxcd.io/v2, got {replacement!r}"
            )
        if replacement == f"{data['group']}/{data['version']}":
            raise LifecycleDataError(f"{where}: `replacement` names the row itself")
    source = data.get("source")
    if source is None and not require_source:
        source = ""
    elif not isinstance(source, str) or not _URL_RE.match(source):
        raise LifecycleDataError(f"{where}: `source` must be an http(s) URL, got {source!r}")
    note = data.get("note") or ""
    if not isinstance(note, str):
        raise LifecycleDataError(f"{where}: `note` must be a string")
    return ApiRow(
        group=data["group"],
        kind=data["kind"],
        version=data["version"],
        introduced=introduced,
        deprecated_in=deprecated_in,
        removed_in=removed_in,
        replacement=replacement,
        source=source,
        note=note.strip(),
        origin=where,
    )


def parse_rows(data: Any, origin: str, *, require_source: bool) -> list[ApiRow]:
    """A list of rows from one file or config key; duplicates inside it are an error."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise LifecycleDataError(f"{origin}: expected a list of rows, got {type(data).__name__}")
    rows: list[ApiRow] = []
    seen: dict[tuple[str, str, str], str] = {}
    for index, item in enumerate(data):
        row = parse_row(item, index, origin, require_source=require_source)
        if row.gvk in seen:
            raise LifecycleDataError(f"{row.origin}: duplicates {seen[row.gvk]}")
        seen[row.gvk] = row.origin
        rows.append(row)
    return rows


class LifecycleTable:
    """Every known Flux API version, indexed for the lifecycle rules.

    Built from the shipped rows plus any rows from user config; a config row with the same
    group, version and kind replaces the shipped one, so users can correct the table as well as
    extend it without waiting for a release.
    """

    def __init__(self, rows: Iterable[ApiRow], extra: Iterable[ApiRow] = ()):
        self._rows: dict[tuple[str, str, str], ApiRow] = {}
        for row in (*rows, *extra):
            self._rows[row.gvk] = row
        self._by_kind: dict[tuple[str, str], list[ApiRow]] = {}
        for row in self._rows.values():
            self._by_kind.setdefault((row.group, row.kind), []).append(row)
        for versions in self._by_kind.values():
            versions.sort(key=lambda r: version_priority(r.version))
        self._groups = frozenset(g for g, _ in self._by_kind)
        self._kinds = sorted({k for _, k in self._by_kind})

    # -- lookups ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[ApiRow]:
        return iter(self._rows.values())

    def row(self, group: str, version: str, kind: str) -> ApiRow | None:
        return self._rows.get((group, version, kind))

    def versions(self, group: str, kind: str) -> list[str]:
        """Every version of ``kind`` in ``group`` any release served, preferred first."""
        return [r.version for r in self._by_kind.get((group, kind), [])]

    def known_gvks(self) -> frozenset[tuple[str, str, str]]:
        """(group, version, kind) of every row."""
        return frozenset(self._rows)

    def groups(self) -> frozenset[str]:
        return self._groups

    def covers(self, group: str) -> bool:
        """Whether the lifecycle rules judge objects of ``group``: Flux's own groups, and any
        group a user added rows for."""
        return is_flux_group(group) or group in self._groups

    def status(self, group: str, version: str, kind: str, target: Minor) -> Status:
        row = self.row(group, version, kind)
        return row.status(target) if row else "unknown"

    def rows_at(self, group: str, kind: str, target: Minor, *statuses: Status) -> list[ApiRow]:
        """Versions of a kind whose status in ``target`` is one of ``statuses``, preferred first."""
        return [r for r in self._by_kind.get((group, kind), []) if r.status(target) in statuses]

    def replacement(self, row: ApiRow, target: Minor) -> str | None:
        """The apiVersion to move ``row`` to, as far as Flux ``target`` is concerned.

        The row's own ``replacement`` is the long-term answer, but it may be newer than the
        target (Flux 2.6 cannot serve ``image.toolkit.fluxcd.io/v1``), so fall back to the
        preferred non-deprecated version the target serves, then to a deprecated one.
        """
        if row.replacement:
            group, version = split_api_version(row.replacement)
            if self.status(group, version, row.kind, target) == "served":
                return row.replacement
        for statuses in (("served",), ("deprecated",)):
            for other in self.rows_at(row.group, row.kind, target, *statuses):
                if other.version != row.version:
                    return other.api_version
        return row.replacement

    # -- did you mean ---------------------------------------------------------------------------

    def closest(
        self, group: str, version: str, kind: str, target: Minor | None = None
    ) -> Suggestion | None:
        """The known API an unknown (group, version, kind) most likely meant, or None.

        Kind first (exact, then case-insensitive, then a close spelling; the author's group is
        preferred), then the group that has that kind (Flux kinds are unique across groups, so a
        kind written under the wrong group moves to its real one), then the version: the written
        one if the target serves it, else the preferred version the target serves. The result is
        never the input itself.
        """
        import difflib  # for a suggestion only: most runs never need it

        when = target or DEFAULT_MINOR
        real_kind = self._match_kind(group, kind)
        if real_kind is None:
            return None
        groups = sorted(g for g, k in self._by_kind if k == real_kind)
        if group in groups:
            real_group = group
        else:
            near = difflib.get_close_matches(group, groups, n=1, cutoff=0.0)
            real_group = near[0] if near else groups[0]
        real_version = self._match_version(real_group, real_kind, version, when)
        if real_version is None:
            return None
        suggestion = Suggestion(real_group, real_version, real_kind)
        if (suggestion.group, suggestion.version, suggestion.kind) == (group, version, kind):
            return None
        return suggestion

    def _match_kind(self, group: str, kind: str) -> str | None:
        import difflib  # for a suggestion only: most runs never need it

        in_group = [k for g, k in self._by_kind if g == group]
        for pool in (in_group, self._kinds):
            if kind in pool:
                return kind
        folded = kind.casefold()
        for pool in (in_group, self._kinds):
            same = [k for k in pool if k.casefold() == folded]
            if same:
                return same[0]
        for pool in (in_group, self._kinds):
            near = difflib.get_close_matches(kind, pool, n=1, cutoff=0.75)
            if near:
                return near[0]
        return None

    def _match_version(self, group: str, kind: str, version: str, target: Minor) -> str | None:
        import difflib  # for a suggestion only: most runs never need it

        rows = self._by_kind.get((group, kind), [])
        if not rows:
            return None
        for statuses in (("served",), ("served", "deprecated")):
            candidates = [r.version for r in rows if r.status(target) in statuses]
            if version in candidates:
                return version
            if candidates:
                # The preferred version unless the typo is clearly another served one.
                near = difflib.get_close_matches(version, candidates, n=1, cutoff=0.85)
                return near[0] if near else candidates[0]
        return rows[0].version  # nothing served in the target: the kind's best version


# -- loading --------------------------------------------------------------------------------------


def data_file() -> Path:
    from flux_lint.core.resources import rules_dir

    return rules_dir() / "data" / "api-versions.yaml"


def load_rows(path: Path) -> list[ApiRow]:
    """Rows of a data file in the shipped format (every row needs a source there)."""
    from flux_lint.core.yamlio import safe_load_text

    name = path.name if path.parent.name != "data" else f"rules/data/{path.name}"
    data = safe_load_text(path.read_text(encoding="utf-8"), name)
    return parse_rows(data, name, require_source=True)


@lru_cache(maxsize=1)
def builtin_table() -> LifecycleTable:
    """The shipped table (from the JSON copy of its data file, core/datafiles.py), read on
    first use and kept for the process."""
    from flux_lint.core import datafiles

    rows = datafiles.load("api-versions.yaml")
    return LifecycleTable(parse_rows(rows, "rules/data/api-versions.yaml", require_source=True))


def table(
    extra_rows: Sequence[Mapping[str, Any]] | None = None, origin: str = "config `apiVersions`"
) -> LifecycleTable:
    """The shipped table, extended by ``extra_rows`` from user config when given.

    Config rows may omit ``source``; their errors name ``origin`` and the row number.
    """
    if not extra_rows:
        return builtin_table()
    rows = list(extra_rows) if isinstance(extra_rows, tuple) else extra_rows
    extra = parse_rows(rows, origin, require_source=False)
    return LifecycleTable(builtin_table(), extra)


#: The config key whose rows extend the table (same shape as the data file).
CONFIG_KEY = "apiVersions"


@lru_cache(maxsize=8)
def _table_from_json(rows_json: str) -> LifecycleTable:
    return table(json.loads(rows_json))


def table_for(ctx: Any) -> LifecycleTable:
    """The table a run uses: ``ctx.lifecycle`` when the context carries one, else the shipped
    table extended by ``ctx.options["apiVersions"]``.

    Keyed by the rows' JSON so that contexts with equal config share one table instead of
    rebuilding it for every object.
    """
    existing = getattr(ctx, "lifecycle", None)
    if isinstance(existing, LifecycleTable):
        return existing
    options = getattr(ctx, "options", None)
    rows = options.get(CONFIG_KEY) if isinstance(options, Mapping) else None
    if not rows:
        return builtin_table()
    return _table_from_json(json.dumps(rows, sort_keys=True, default=str))
