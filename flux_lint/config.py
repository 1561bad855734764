"""Configuration files: ``.flux-lint.yaml`` (or ``.yml``) and ``[tool.flux-lint]`` in
``pyproject.toml``.

Where. The first file found walking up from the first linted path to the repository root (the
folder holding ``.git``, the same root :func:`~flux_lint.load.discover.find_root` gives the run), so
a repository carries its settings and a run from any subfolder uses them. In one folder
``.flux-lint.yaml`` wins over ``.flux-lint.yml``, which wins over ``pyproject.toml`` (and that
only counts when it has a ``[tool.flux-lint]`` table). ``--config FILE`` names the file,
``--no-config`` ignores them all. Nothing outside the repository is read unless named, so a run
gives the same result on every machine.

Why a strict reader. A misspelt key that is silently ignored is worse than no configuration:
the user believes a rule is off, or a folder excluded, while it is not. So every unknown key
and every bad value stops the run with exit code 2 and one line naming the file, line and
column (``.flux-lint.yaml:4:3: unknown key `selct` (did you mean `select`?)``). YAML is read
with the project's own loader, which keeps positions and reports duplicate keys; scalars are
taken as written, so ``flux-version: 2.10`` stays ``2.10`` (not the float 2.1) and ``off``
stays ``off`` (not YAML 1.1's false). TOML has no positions in ``tomllib``; keys are found
again in the text, which is exact for ordinary layouts and falls back to the table's header.

Rule names in the file (``select``, ``ignore``, ``severity``, ``per-file-ignores``) are checked
against the registry only when the run resolves them (:func:`resolve_rules`), because user rules
(``rules:``) join the registry after the file is read; the positions are kept for that error.

Merging (``extends``): presets ``recommended`` (the defaults) and ``strict`` (warnings fail the
run, rules that report notes report warnings), or a path to another file, read first; the
extending file's ``select``, ``ignore``, ``flux-version``, ``from`` and ``fail-on`` replace the
base's, ``severity``, ``references``, ``catalog`` and ``per-file-ignores`` merge key by key
(the extending file wins), and ``exclude``, ``crds``, ``rules`` and ``apiVersions`` add up.

Paths and globs are relative to the folder of the file that sets them, like a ``.gitignore``
there; globs use gitignore syntax, as ``--exclude`` does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flux_lint.core.findings import Finding, Severity, Suppression
from flux_lint.core.regex import lazy

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry
    from flux_lint.load.lookup import Lookup

CONFIG_FILES = (".flux-lint.yaml", ".flux-lint.yml")
PYPROJECT = "pyproject.toml"
PRESETS = ("recommended", "strict")
LEVELS = ("error", "warning", "note", "off")
FAIL_ON = ("error", "warning", "note", "never")
REFERENCE_KEYS = ("external", "externalNamespaces", "repositorySources")

KEYS = (
    "select",
    "ignore",
    "severity",
    "exclude",
    "per-file-ignores",
    "flux-version",
    "from",
    "kubernetes-version",
    "schema-dir",
    "crds",
    "rules",
    "fail-on",
    "extends",
    "references",
    "apiVersions",
    "check-unapplied",
    "catalog",
)


class ConfigError(ValueError):
    """A configuration problem; the message starts with ``file:line:column:`` when known."""


class ConfigUnreadable(ConfigError):
    """A configuration file that cannot be read (``path``, ``reason``)."""

    def __init__(self, message: str, path: Path, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Selector:
    """A rule selector as written in a config file, with where it was written."""

    text: str
    where: str


@dataclass
class Config:
    """Settings from configuration files (after ``extends``); None/empty means "not set"."""

    files: list[Path] = field(default_factory=list)  # every file read, the main one first
    select: list[Selector] | None = None
    ignore: list[Selector] | None = None
    severity: list[tuple[Selector, str]] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)  # rebased onto the repository root
    per_file_ignores: list[tuple[str, list[Selector]]] = field(default_factory=list)
    flux_version: str | None = None
    from_version: str | None = None  # a Flux version or "none"
    crds: list[Path] = field(default_factory=list)
    rules: list[Path] = field(default_factory=list)
    kubernetes_version: str | None = None
    schema_dirs: list[Path] = field(default_factory=list)  # kubeconform-style folders
    fail_on: str | None = None
    check_unapplied: bool | None = None  # check files no Flux Kustomization applies
    references: dict[str, list[str]] = field(default_factory=dict)
    api_versions: list[dict[str, Any]] = field(default_factory=list)
    #: ``catalog:``: project → ``off`` or the release the cluster runs.
    catalog: dict[str, str] = field(default_factory=dict)
    notes_as_warnings: bool = False
    notes: list[str] = field(default_factory=list)  # things to tell the user (stderr)
    #: Set by :func:`load_for_run`: the repository root of the run, and the paths its lookups
    #: could not read (``lookup.Unreadable``; each becomes an FL003 finding).
    root: Path | None = field(default=None, compare=False)
    unreadable: list[Any] = field(default_factory=list)

    @property
    def path(self) -> Path | None:
        return self.files[0] if self.files else None

    def options(self) -> dict[str, Any]:
        """What rules read from ``ctx.options``."""
        options: dict[str, Any] = {}
        if self.references:
            options["references"] = {k: list(v) for k, v in self.references.items()}
        if self.api_versions:
            options["apiVersions"] = [dict(row) for row in self.api_versions]
        if self.catalog:
            options["catalog"] = dict(self.catalog)
        return options


def preset(name: str) -> Config:
    """``recommended`` is the defaults; ``strict`` fails on warnings and turns notes into
    warnings, for repositories that want every finding looked at."""
    if name == "strict":
        return Config(fail_on="warning", notes_as_warnings=True)
    return Config()


# --------------------------------------------------------------------------------------------
# Finding the file


def find_config(start: Path, stop: Path, lookup: Lookup | None = None) -> Path | None:
    """The configuration file for a run from ``start`` (a folder), looking in it and its
    parents up to ``stop`` (the repository root) included. A folder it cannot search, or a
    ``pyproject.toml`` it cannot read, is noted in ``lookup`` and passed over."""
    from flux_lint.load.lookup import Lookup

    lookup = lookup if lookup is not None else Lookup()
    start, stop = Path(os.path.realpath(start)), Path(os.path.realpath(stop))
    chain = (start, *start.parents)
    if stop not in chain:  # never wander up to the file system's root
        chain = (start,)
    for folder in chain:
        for name in CONFIG_FILES:
            candidate = folder / name
            if lookup.kind(candidate, "a configuration file") == "file":
                return candidate
        pyproject = folder / PYPROJECT
        if lookup.kind(pyproject, "a configuration file") == "file":
            text = lookup.read_text(pyproject)
            if text is not None and _TOOL_HEADER.search(text) is not None:
                return pyproject
        if folder == stop:
            break
    return None


_TOOL_HEADER = lazy(r'^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*("flux-lint"|flux-lint)[ \t]*[\].]', re.M)


def load_for_run(
    paths: Sequence[str],
    *,
    config_file: str | None,
    no_config: bool,
    stdin_filename: str | None = None,
) -> Config:
    """The configuration of a run over ``paths``: ``--config`` when given, else the nearest
    file to the first path (``--stdin-filename`` when only standard input is linted), else the
    defaults. Raises :class:`ConfigError`; paths the lookups could not read are in
    ``Config.unreadable``."""
    from flux_lint.load.lookup import Lookup, find_root

    lookup = Lookup()
    first = next((p for p in paths if p != "-"), stdin_filename or ".")
    root = find_root(first, lookup)
    if config_file is not None:
        path = Path(config_file)
        if not _is_file(path, config_file):
            raise ConfigError(f"{config_file}: no such configuration file")
        config = load(path, root)
    elif no_config:
        config = Config()
    else:
        start = Path(os.path.abspath(first))
        if lookup.kind(start, "a configuration file") != "dir":
            start = start.parent
        found = find_config(start, root, lookup)
        config = Config()
        if found is not None:
            try:
                config = load(found, root)
            except ConfigUnreadable as exc:
                if exc.path != found:  # a file it extends: that is the file's own mistake
                    raise
                lookup.note(found, f"cannot read configuration file: {exc.reason}")
    config.root = root
    config.unreadable = list(lookup.problems)
    return config


# --------------------------------------------------------------------------------------------
# Reading one file


@dataclass(slots=True)
class _Item:
    """A value with its 1-based position: a scalar (str, None, or a TOML number or bool), a
    list of items, or a dict of key → (key item, value item)."""

    value: Any
    line: int
    column: int


def load(path: Path, root: Path, _seen: tuple[Path, ...] = ()) -> Config:
    """Read ``path`` (and what it extends). ``root`` is the repository root that globs are
    rebased onto."""
    resolved = path.resolve()
    if resolved in _seen:
        chain = " → ".join(_display(p) for p in (*_seen, resolved))
        raise ConfigError(f"{_display(path)}: `extends` loops: {chain}")
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        from flux_lint.load.lookup import os_message

        reason = os_message(exc)
        raise ConfigUnreadable(f"{shown}: cannot read: {reason}", path, reason) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not UTF-8 text") from None
    notes: list[str] = []
    item = _read_toml(text, shown, notes) if path.name == PYPROJECT else _read_yaml(text, shown)
    reader = _Reader(shown, path.parent.resolve(), root.resolve())
    own = reader.config(item)
    own.notes = notes + own.notes
    base = Config()
    for target in reader.extends:
        base = merge(base, _extended(target, path, root, (*_seen, resolved)))
    result = merge(base, own)
    result.files = [path, *base.files]
    return result


def _extended(target: tuple[str, str], path: Path, root: Path, seen: tuple[Path, ...]) -> Config:
    name, where = target
    if name in PRESETS:
        return preset(name)
    other = (path.parent / name).resolve()
    if not _is_file(other, where):
        raise ConfigError(f"{where}: `extends`: no such file `{name}` (or use {_choices(PRESETS)})")
    return load(other, root, seen)


def _is_file(path: Path, shown: str) -> bool:
    """Whether ``path`` is a file; a path that cannot even be looked at is a configuration
    error naming it (a file named with ``--config`` or ``extends`` must be readable)."""
    from flux_lint.load.lookup import os_message

    try:
        return path.is_file()
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {os_message(exc)}") from None


def _display(path: Path) -> str:
    """``path`` relative to the current folder when it is below it, as users typed it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _read_yaml(text: str, shown: str) -> _Item:
    from flux_lint.load.yaml import load_text, node_key

    loaded = load_text(text)
    if loaded.problems:
        problem = min(loaded.problems, key=lambda p: (p.line, p.column))
        raise ConfigError(f"{shown}:{problem.line + 1}:{problem.column + 1}: {problem.message}")
    documents = [d for d in loaded.documents if d.node is not None]
    if len(documents) > 1:
        node = documents[1].node
        assert node is not None
        raise ConfigError(
            f"{shown}:{node.line + 1}:{node.col + 1}: a configuration file holds one YAML document"
        )
    if not documents:
        return _Item({}, 1, 1)

    def convert(node: Any) -> _Item:
        if node.kind == "map":
            value: Any = {}
            for key, child in node.value:
                value[node_key(key)] = (convert(key), convert(child))
            return _Item(value, node.line + 1, node.col + 1)
        if node.kind == "seq":
            return _Item([convert(child) for child in node.value], node.line + 1, node.col + 1)
        raw = node.value
        plain_null = (
            node.tag is None and node.style is None and raw in ("", "~", "null", "Null", "NULL")
        )
        return _Item(None if plain_null else raw, node.line + 1, node.col + 1)

    root_node = documents[0].node
    assert root_node is not None
    return convert(root_node)


def _read_toml(text: str, shown: str, notes: list[str]) -> _Item:
    """``[tool.flux-lint]`` of a pyproject.toml as items. Without a TOML reader (Python 3.10
    without ``tomli``) the table is skipped with a note rather than misread."""
    try:
        import tomllib as toml_reader  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python 3.10
        try:
            import tomli as toml_reader  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            notes.append(
                f"{shown}: [tool.flux-lint] skipped: reading TOML needs Python 3.11 or the "
                "`tomli` package"
            )
            return _Item({}, 1, 1)
    try:
        data = toml_reader.loads(text)
    except toml_reader.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            where = f"{shown}:{match.group(1)}:{match.group(2)}"
        else:  # "(at end of document)"
            lines = text.split("\n")
            where = f"{shown}:{len(lines)}:{len(lines[-1]) + 1}"
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise ConfigError(f"{where}: {message}") from None
    table = data.get("tool", {}).get("flux-lint", {})
    lines = text.splitlines()
    header = _TOOL_HEADER.search(text)
    header_line = text.count("\n", 0, header.start()) if header else 0
    return _toml_item(table, lines, header_line, 1)


def _toml_item(value: Any, lines: list[str], line: int, column: int) -> _Item:
    """Items for TOML data; a key's position is where it is written after ``line`` (0-based),
    else the enclosing position."""
    if isinstance(value, dict):
        out: dict[str, tuple[_Item, _Item]] = {}
        for key, child in value.items():
            key_line, key_col = _find_toml_key(lines, str(key), line)
            key_item = _Item(str(key), key_line + 1, key_col + 1)
            out[str(key)] = (key_item, _toml_item(child, lines, key_line, key_col + 1))
        return _Item(out, line + 1, column)
    if isinstance(value, list):
        return _Item([_toml_item(v, lines, line, column) for v in value], line + 1, column)
    return _Item(value, line + 1, column)


def _find_toml_key(lines: list[str], key: str, start: int) -> tuple[int, int]:
    quoted = re.escape(key)
    names = f"""{quoted}|"{quoted}"|'{quoted}'"""
    # `key = value`, or a table header ending in the key (`[tool.flux-lint.severity]`).
    pattern = re.compile(rf"^[ \t]*(?:(?P<key>{names})[ \t]*=|\[[^\]]*?(?P<table>{names})[ \t]*\])")
    for index in range(start, len(lines)):
        match = pattern.match(lines[index])
        if match:
            group = "key" if match.group("key") else "table"
            return index, match.start(group)
    return start, 0


class _Reader:
    """Validates one file's items into a :class:`Config`; every error has a position."""

    def __init__(self, shown: str, folder: Path, root: Path) -> None:
        self.shown = shown
        self.folder = folder
        self.root = root
        self.prefix = _prefix(folder, root)
        self.extends: list[tuple[str, str]] = []

    def where(self, item: _Item) -> str:
        return f"{self.shown}:{item.line}:{item.column}"

    def fail(self, item: _Item, message: str) -> ConfigError:
        return ConfigError(f"{self.where(item)}: {message}")

    def config(self, item: _Item) -> Config:
        if not isinstance(item.value, dict):
            raise self.fail(item, "the configuration must be a mapping of settings")
        config = Config()
        for key, (key_item, value) in item.value.items():
            if key not in KEYS:
                raise self.fail(key_item, f"unknown key `{key}`{_hint(key, KEYS)}")
            getattr(self, "read_" + key.replace("-", "_").lower())(config, value)
        return config

    # -- value helpers -------------------------------------------------------------------------

    def string(self, item: _Item, what: str) -> str:
        if not isinstance(item.value, str) or not item.value.strip():
            raise self.fail(item, f"{what} must be a string, got {_shown_value(item)}")
        return item.value.strip()

    def strings(self, item: _Item, what: str, *, comma: bool = False) -> list[_Item]:
        """A list of strings (or, with ``comma``, one comma-separated string) as items."""
        if comma and isinstance(item.value, str):
            parts = [p.strip() for p in item.value.split(",")]
            return [_Item(p, item.line, item.column) for p in parts if p]
        if not isinstance(item.value, list):
            raise self.fail(item, f"{what} must be a list of strings, got {_shown_value(item)}")
        for child in item.value:
            self.string(child, f"each item of {what}")
        return item.value

    def selectors(self, item: _Item, what: str) -> list[Selector]:
        return [
            Selector(child.value.strip(), self.where(child))
            for child in self.strings(item, what, comma=True)
        ]

    def mapping(self, item: _Item, what: str) -> dict[str, tuple[_Item, _Item]]:
        if not isinstance(item.value, dict):
            raise self.fail(item, f"{what} must be a mapping, got {_shown_value(item)}")
        return item.value

    def string_list(self, item: _Item, what: str) -> list[str]:
        """One string or a list of them."""
        children = [item] if isinstance(item.value, str) else self.strings(item, what)
        return [self.string(child, what) for child in children]

    def paths(self, item: _Item, what: str) -> list[Path]:
        return [(self.folder / text).resolve() for text in self.string_list(item, what)]

    # -- keys ----------------------------------------------------------------------------------

    def read_select(self, config: Config, item: _Item) -> None:
        config.select = self.selectors(item, "`select`")

    def read_ignore(self, config: Config, item: _Item) -> None:
        config.ignore = self.selectors(item, "`ignore`")

    def read_severity(self, config: Config, item: _Item) -> None:
        for rule, (key_item, value) in self.mapping(item, "`severity`").items():
            level = value.value.strip().lower() if isinstance(value.value, str) else None
            if level not in LEVELS:
                raise self.fail(
                    value,
                    f"`severity` of `{rule}` must be one of {_choices(LEVELS)}, got "
                    f"{_shown_value(value)}",
                )
            config.severity.append((Selector(rule, self.where(key_item)), level))

    def read_exclude(self, config: Config, item: _Item) -> None:
        for pattern in self.string_list(item, "`exclude`"):
            config.exclude.append(rebase(pattern, self.prefix))

    def read_per_file_ignores(self, config: Config, item: _Item) -> None:
        for glob, (_, value) in self.mapping(item, "`per-file-ignores`").items():
            if not glob.strip():
                raise self.fail(value, "`per-file-ignores` globs must not be empty")
            rules = self.selectors(value, f"`per-file-ignores` of `{glob}`")
            config.per_file_ignores.append((rebase(glob.strip(), self.prefix), rules))

    def read_flux_version(self, config: Config, item: _Item) -> None:
        config.flux_version = self.version(item, "`flux-version`")

    def read_from(self, config: Config, item: _Item) -> None:
        if isinstance(item.value, str) and item.value.strip().lower() == "none":
            config.from_version = "none"
        else:
            config.from_version = self.version(item, "`from`")

    def version(self, item: _Item, what: str) -> str:
        from flux_lint.check.schema.store import parse_minor

        if isinstance(item.value, float | int) and not isinstance(item.value, bool):
            raise self.fail(item, f'{what} must be a quoted version such as "2.9"')
        text = self.string(item, what)
        try:
            major, _ = parse_minor(text)
        except ValueError as exc:
            raise self.fail(item, f"{what}: {exc}") from None
        if major != 2:
            raise self.fail(item, f"{what}: Flux {text} is not supported (only Flux 2.x)")
        return text

    def read_kubernetes_version(self, config: Config, item: _Item) -> None:
        from flux_lint.check.schema.kubernetes import parse_kubernetes_version

        what = "`kubernetes-version`"
        if isinstance(item.value, float | int) and not isinstance(item.value, bool):
            raise self.fail(item, f'{what} must be a quoted version such as "1.34"')
        text = self.string(item, what)
        try:
            parse_kubernetes_version(text)
        except ValueError as exc:
            raise self.fail(item, f"{what}: {exc}") from None
        config.kubernetes_version = text

    def read_schema_dir(self, config: Config, item: _Item) -> None:
        config.schema_dirs.extend(self.paths(item, "`schema-dir`"))

    def read_crds(self, config: Config, item: _Item) -> None:
        config.crds.extend(self.paths(item, "`crds`"))

    def read_rules(self, config: Config, item: _Item) -> None:
        config.rules.extend(self.paths(item, "`rules`"))

    def read_fail_on(self, config: Config, item: _Item) -> None:
        value = item.value.strip().lower() if isinstance(item.value, str) else None
        if value not in FAIL_ON:
            raise self.fail(
                item, f"`fail-on` must be one of {_choices(FAIL_ON)}, got {_shown_value(item)}"
            )
        config.fail_on = value

    def read_check_unapplied(self, config: Config, item: _Item) -> None:
        value = item.value
        if isinstance(value, str) and value in ("true", "false"):  # YAML keeps scalars as text
            value = value == "true"
        if not isinstance(value, bool):
            raise self.fail(
                item, f"`check-unapplied` must be true or false, got {_shown_value(item)}"
            )
        config.check_unapplied = value

    def read_extends(self, config: Config, item: _Item) -> None:
        children = [item] if isinstance(item.value, str) else self.strings(item, "`extends`")
        for child in children:
            self.extends.append((self.string(child, "`extends`"), self.where(child)))

    def read_references(self, config: Config, item: _Item) -> None:
        for key, (key_item, value) in self.mapping(item, "`references`").items():
            if key not in REFERENCE_KEYS:
                raise self.fail(
                    key_item, f"unknown key `references.{key}`{_hint(key, REFERENCE_KEYS)}"
                )
            what = f"`references.{key}`"
            config.references[key] = [c.value.strip() for c in self.strings(value, what)]

    def read_catalog(self, config: Config, item: _Item) -> None:
        """``catalog: {external-secrets: off, cert-manager: 1.15.3}``: a project of the schema
        catalog turned off, or the release the cluster runs."""
        from flux_lint.check.schema.catalog import load_catalog
        from flux_lint.check.schema.sources import parse_release

        projects = sorted(load_catalog().projects)
        for key, (key_item, value) in self.mapping(item, "`catalog`").items():
            if key not in projects:
                raise self.fail(key_item, f"unknown catalog project `{key}`{_hint(key, projects)}")
            text = value.value.strip() if isinstance(value.value, str) else None
            if text != "off" and parse_release(text) is None:
                raise self.fail(
                    value,
                    f"`catalog.{key}` must be `off` or a release such as 1.2.3, "
                    f"got {_shown_value(value)}",
                )
            config.catalog[key] = text  # type: ignore[assignment]

    def read_apiversions(self, config: Config, item: _Item) -> None:
        from flux_lint.check.lifecycle import LifecycleDataError, parse_row, parse_rows

        if not isinstance(item.value, list):
            raise self.fail(item, f"`apiVersions` must be a list of rows, got {_shown_value(item)}")
        rows = []
        for index, child in enumerate(item.value):
            row = _plain(child)
            try:
                parse_row(row, index, "`apiVersions`", require_source=False)
            except LifecycleDataError as exc:
                raise self.fail(child, str(exc)) from None
            rows.append(row)
        try:
            parse_rows(rows, "`apiVersions`", require_source=False)
        except LifecycleDataError as exc:
            raise self.fail(item, str(exc)) from None
        config.api_versions.extend(rows)


def _plain(item: _Item) -> Any:
    """Items back to plain data (strings as written)."""
    if isinstance(item.value, dict):
        return {key: _plain(value) for key, (_, value) in item.value.items()}
    if isinstance(item.value, list):
        return [_plain(child) for child in item.value]
    return item.value


def _shown_value(item: _Item) -> str:
    value = item.value
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"`{value}`"


def _hint(word: str, choices: Iterable[str]) -> str:
    import difflib  # only for a mistyped setting: not worth importing for every run

    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{near[0]}`?)" if near else ""


def _choices(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


# --------------------------------------------------------------------------------------------
# Globs


def _prefix(folder: Path, root: Path) -> str:
    """The display-path prefix of ``folder`` below the repository ``root`` (``""`` at the root
    or outside it, where globs are taken as relative to the root)."""
    try:
        rel = folder.relative_to(root)
    except ValueError:
        return ""
    text = rel.as_posix()
    return "" if text == "." else text + "/"


def rebase(pattern: str, prefix: str) -> str:
    """A gitignore pattern written in a folder (``prefix``, e.g. ``apps/``) rewritten to match
    display paths, which are relative to the repository root. Like a ``.gitignore`` in that
    folder: a pattern with a slash (other than a trailing one) is anchored there, one without
    matches at any depth below it."""
    if not prefix:
        return pattern
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    anchored = "/" in body.rstrip("/")
    body = body.lstrip("/")
    rebased = prefix + body if anchored else prefix + "**/" + body
    return ("!" if negated else "") + rebased


class PathMatcher:
    """Whether a display path matches gitignore patterns, the path itself or a parent folder
    (``apps/`` matches every file below ``apps``), as ``--exclude`` does for named paths."""

    def __init__(self, patterns: Sequence[str]) -> None:
        from flux_lint.load.discover import IgnoreList

        self._ignore = IgnoreList.from_lines(list(patterns))

    def __call__(self, path: str) -> bool:
        if not path or path in ("-", "."):
            return False
        parts = path.split("/")
        for i in range(1, len(parts)):
            if self._ignore.match("/".join(parts[:i]), True) is True:
                return True
        return self._ignore.match(path, False) is True


# --------------------------------------------------------------------------------------------
# Merging


def merge(base: Config, own: Config) -> Config:
    """``own`` on top of ``base`` (see the module docs for which keys replace and which add)."""
    references = {**base.references, **own.references}
    rows: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for row in (*base.api_versions, *own.api_versions):
        rows[(row.get("group"), row.get("version"), row.get("kind"))] = row
    return Config(
        files=[*own.files, *base.files],
        select=own.select if own.select is not None else base.select,
        ignore=own.ignore if own.ignore is not None else base.ignore,
        severity=[*base.severity, *own.severity],
        exclude=[*base.exclude, *own.exclude],
        per_file_ignores=[*base.per_file_ignores, *own.per_file_ignores],
        flux_version=own.flux_version or base.flux_version,
        from_version=own.from_version or base.from_version,
        crds=[*base.crds, *own.crds],
        rules=[*base.rules, *own.rules],
        kubernetes_version=own.kubernetes_version or base.kubernetes_version,
        schema_dirs=[*base.schema_dirs, *own.schema_dirs],
        fail_on=own.fail_on or base.fail_on,
        check_unapplied=(
            own.check_unapplied if own.check_unapplied is not None else base.check_unapplied
        ),
        references=references,
        api_versions=list(rows.values()),
        catalog={**base.catalog, **own.catalog},
        notes_as_warnings=own.notes_as_warnings or base.notes_as_warnings,
        notes=[*base.notes, *own.notes],
    )


# --------------------------------------------------------------------------------------------
# Rules


@dataclass
class RuleSettings:
    """Which rules run and the severities that differ from the rules' defaults."""

    enabled: set[str]
    severities: dict[str, Severity]


def _expand(registry: Registry, selectors: Iterable[Selector]) -> set[str]:
    ids: set[str] = set()
    for selector in selectors:
        try:
            ids |= registry.expand(selector.text)
        except KeyError:
            raise ConfigError(
                f"{selector.where}: unknown rule `{selector.text}` (see `flux-lint rules`)"
            ) from None
    return ids


def resolve_rules(
    config: Config,
    registry: Registry,
    *,
    cli_select: set[str] | None = None,
    cli_ignore: set[str] | None = None,
) -> RuleSettings:
    """The enabled rules and severity overrides of a run.

    ``cli_select``/``cli_ignore`` are rule ids from the command line. As in ruff, ``--select``
    starts over (the file's ``select``, ``ignore`` and ``off`` severities no longer apply) and
    ``--ignore`` adds to the file's ignores, so a flag always wins over the file.

    Severities go from the broadest selector to the narrowest (``all``, then prefixes, then one
    rule), so ``FL3: off`` with ``FL301: error`` keeps FL301 on as an error.
    """
    levels: dict[str, str] = {}
    if config.notes_as_warnings:
        levels.update({rule.id: "warning" for rule in registry if rule.severity == Severity.NOTE})
    expanded = [(_expand(registry, [sel]), level) for sel, level in config.severity]
    for ids, level in sorted(expanded, key=lambda item: -len(item[0])):
        levels.update(dict.fromkeys(ids, level))
    if cli_select:
        enabled = set(cli_select)
    else:
        enabled = set(registry.rules) if config.select is None else _expand(registry, config.select)
        enabled -= _expand(registry, config.ignore or [])
        enabled -= {rid for rid, level in levels.items() if level == "off"}
    _expand(registry, [sel for _, rules in config.per_file_ignores for sel in rules])
    enabled -= cli_ignore or set()
    severities = {
        rid: Severity.parse(level)
        for rid, level in levels.items()
        if level != "off"
        and rid in registry.rules
        and Severity.parse(level) != registry.rules[rid].severity
    }
    return RuleSettings(enabled, severities)


def with_severities(registry: Registry, severities: dict[str, Severity]) -> Registry:
    """``registry`` with the rules' default severities replaced, so findings, the rule list and
    SARIF's rule descriptors all show the configured severity."""
    if not severities:
        return registry
    from flux_lint.check.registry import Registry as RegistryType

    return RegistryType(
        replace(rule, severity=severities[rule.id]) if rule.id in severities else rule
        for rule in registry
    )


def apply_severities(findings: Iterable[Finding], severities: dict[str, Severity]) -> None:
    """Configured severities win over what a rule reported for one problem too."""
    if severities:
        for finding in findings:
            level = severities.get(finding.rule_id)
            if level is not None:
                finding.severity = level


def apply_per_file_ignores(config: Config, registry: Registry, findings: Iterable[Finding]) -> None:
    """Mark findings that ``per-file-ignores`` covers as suppressed by the configuration."""
    if not config.per_file_ignores:
        return
    table = [
        (glob, PathMatcher([glob]), _expand(registry, rules))
        for glob, rules in config.per_file_ignores
    ]
    for finding in findings:
        if finding.suppression is not None:
            continue
        for glob, matches, ids in table:
            if finding.rule_id in ids and matches(finding.path):
                finding.suppression = Suppression("config", f"per-file-ignores `{glob}`")
                break
