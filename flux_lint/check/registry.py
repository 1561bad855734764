"""Rule descriptors: the data half of every rule.

Each rule is one YAML file, ``rules/<category>/<ID>-<name>.yaml``. The descriptor holds the id,
name, default severity, summary and docs; ``engine: python`` binds it by id to one function
registered with :func:`check`, while ``engine: cel`` rules carry ``validations`` shaped exactly
like the CRDs' ``x-kubernetes-validations``. The id in the file name, the descriptor, fixtures
and docs is the same, so it can be searched for everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flux_lint.core.findings import Severity
from flux_lint.core.regex import lazy
from flux_lint.core.resources import rules_dir

RULE_ID = lazy(r"^FL\d{3}$")
RULE_NAME = lazy(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

CATEGORIES = {
    "0": "input",
    "1": "schema",
    "2": "cel",
    "3": "api-lifecycle",
    "4": "behaviour-change",
    "5": "references",
    "6": "practice",
}

#: Keys a descriptor may have; anything else is a typo in the rule file.
DESCRIPTOR_KEYS = {
    "id",
    "name",
    "severity",
    "summary",
    "engine",
    "check",
    "repositoryCheck",
    "fix",
    "match",
    "fluxVersions",
    "validations",
    "docs",
}
#: ``check:`` / ``repositoryCheck:`` value: ``module.function`` in :mod:`flux_lint.check.rules`.
CHECK_TARGET = lazy(r"^[a-z][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
DOCS_KEYS = {"what", "why", "example", "useInstead", "references", "options"}


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    category: str
    engine: str = "python"
    fix: str | None = None  # "safe", "unsafe" or None
    match: dict[str, Any] = field(default_factory=dict)
    flux_versions: str | None = None
    validations: tuple[dict[str, Any], ...] = ()
    docs: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # file the descriptor was read from
    #: The Python function that implements the rule, ``module.function`` in
    #: :mod:`flux_lint.check.rules` (``check:`` or ``repositoryCheck:`` in the descriptor); None
    #: for the rules the engine itself reports (FL0xx) and for user rules.
    check: str | None = None
    #: Whether ``check`` is a repository check (``repositoryCheck:``) rather than a per-object one.
    repository: bool = False

    @property
    def anchor(self) -> str:
        """The heading anchor of this rule in ``docs/rules.md``."""
        return f"{self.id.lower()}-{self.name}"


class RuleError(ValueError):
    """A rule descriptor is malformed; the message names the file."""


#: The keys of one ``match`` selector.
SELECTOR_KEYS = ("group", "version", "kind")
Selector = dict[str, frozenset[str]]


def selectors_of(match: Any, source: str = "") -> list[Selector]:
    """The object selectors of a built-in descriptor's ``match``: a mapping or a list of
    mappings of ``group``, ``version`` and ``kind`` to a name or a list of names (the shape
    user rules use). An object is selected when one selector has all its keys matching."""
    items = match if isinstance(match, list) else [match]
    found = []
    for item in items:
        if not isinstance(item, dict) or not item or set(item) - set(SELECTOR_KEYS):
            raise RuleError(f"{source}: `match` selectors have {', '.join(SELECTOR_KEYS)}")
        selector = {}
        for key, value in item.items():
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise RuleError(f"{source}: `match.{key}` must be a name or a list of names")
            selector[key] = frozenset(names)
        found.append(selector)
    return found


def selects(selectors: list[Selector], obj: Any) -> bool:
    """Whether one of ``selectors`` matches the object's group, version and kind."""
    for selector in selectors:
        if (
            ("group" not in selector or obj.group in selector["group"])
            and ("version" not in selector or obj.version in selector["version"])
            and ("kind" not in selector or obj.kind in selector["kind"])
        ):
            return True
    return False


def parse_descriptor(data: Any, source: str) -> Rule:
    if not isinstance(data, dict):
        raise RuleError(f"{source}: a rule descriptor must be a mapping")
    unknown = set(data) - DESCRIPTOR_KEYS
    if unknown:
        raise RuleError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("id", "name", "severity", "summary"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise RuleError(f"{source}: `{key}` is required and must be a string")
    rid, name = data["id"], data["name"]
    if not RULE_ID.match(rid):
        raise RuleError(f"{source}: id `{rid}` must look like FL123")
    if not RULE_NAME.match(name):
        raise RuleError(f"{source}: name `{name}` must be kebab-case")
    try:
        severity = Severity.parse(data["severity"])
    except ValueError as exc:
        raise RuleError(f"{source}: {exc}") from None
    engine = data.get("engine", "python")
    if engine not in ("python", "cel"):
        raise RuleError(f"{source}: engine must be `python` or `cel`")
    fix = data.get("fix")
    if fix not in (None, "safe", "unsafe"):
        raise RuleError(f"{source}: fix must be `safe` or `unsafe`")
    docs = data.get("docs") or {}
    if not isinstance(docs, dict) or set(docs) - DOCS_KEYS:
        raise RuleError(f"{source}: docs may only have {', '.join(sorted(DOCS_KEYS))}")
    validations = data.get("validations") or []
    if engine == "cel" and not validations:
        raise RuleError(f"{source}: a cel rule needs `validations`")
    if "check" in data and "repositoryCheck" in data:
        raise RuleError(f"{source}: a rule has either `check` or `repositoryCheck`, not both")
    if "match" in data:
        selectors_of(data["match"], source)
    target = data.get("check", data.get("repositoryCheck"))
    if target is not None and (not isinstance(target, str) or not CHECK_TARGET.match(target)):
        raise RuleError(f"{source}: `check`/`repositoryCheck` must be `module.function`")
    return Rule(
        id=rid,
        name=name,
        severity=severity,
        summary=data["summary"].strip(),
        category=CATEGORIES.get(rid[2], "other"),
        engine=engine,
        fix=fix,
        match=data.get("match") or {},
        flux_versions=data.get("fluxVersions"),
        validations=tuple(validations),
        docs=docs,
        source=source,
        check=target,
        repository="repositoryCheck" in data,
    )


def read_descriptors(directory: Path) -> list[tuple[str, Any]]:
    """(source, parsed YAML) of every ``FL*.yaml`` descriptor below ``directory``."""
    from flux_lint.core.yamlio import safe_load_text

    out = []
    for path in sorted(directory.rglob("FL*.yaml")):
        source = path.as_posix()
        out.append((source, safe_load_text(path.read_text(encoding="utf-8"), source)))
    return out


def load_rules(
    directory: Path, read: Callable[[Path], list[tuple[str, Any]]] = read_descriptors
) -> list[Rule]:
    """Read every ``FL*.yaml`` descriptor below ``directory`` (through ``read``, which may
    remember them) and check that the file name matches the id and name inside it."""
    rules = []
    for source, data in read(directory):
        path = Path(source)
        rule = parse_descriptor(data, source)
        if path.stem != f"{rule.id}-{rule.name}":
            raise RuleError(f"{source}: file name must be `{rule.id}-{rule.name}.yaml`")
        rules.append(rule)
    return rules


class Registry:
    """All known rules, looked up by id or name."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules: dict[str, Rule] = {}
        self.by_name: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in self.rules:
                raise RuleError(f"{rule.source}: duplicate rule id {rule.id}")
            if rule.name in self.by_name:
                raise RuleError(f"{rule.source}: duplicate rule name {rule.name}")
            self.rules[rule.id] = rule
            self.by_name[rule.name] = rule

    def __iter__(self):
        return iter(sorted(self.rules.values(), key=lambda r: r.id))

    def extended(self, rules: Iterable[Rule]) -> Registry:
        """A new registry with this one's rules and ``rules`` (a run's user rules next to the
        built-in ones); this one, possibly the cached built-in registry, is left unchanged."""
        return Registry([*self.rules.values(), *rules])

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, key: str) -> Rule | None:
        """Find a rule by id (case-insensitive) or name."""
        return self.rules.get(key.upper()) or self.by_name.get(key.lower())

    def __getitem__(self, key: str) -> Rule:
        rule = self.get(key)
        if rule is None:
            raise KeyError(key)
        return rule

    def expand(self, selector: str) -> set[str]:
        """Rule ids a selector names: an id, a name, an id prefix (``FL1``, ``FL``, or a user
        rule prefix such as ``ACME``) or ``ALL``. Raises ``KeyError`` when it names nothing."""
        sel = selector.strip()
        if sel.upper() == "ALL":
            return set(self.rules)
        rule = self.get(sel)
        if rule:
            return {rule.id}
        if re.fullmatch(r"(?i)[A-Z]+\d*", sel):
            ids = {rid for rid in self.rules if rid.startswith(sel.upper())}
            if ids:
                return ids
        raise KeyError(sel)


_BUILTIN: Registry | None = None


def builtin_registry(read: Callable[[Path], list[tuple[str, Any]]] | None = None) -> Registry:
    """The shipped rules, read once per process (``read``: how the descriptors are read the
    first time, e.g. from a cache of their parsed form)."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = Registry(load_rules(rules_dir(), read or read_descriptors))
    return _BUILTIN


# Python check functions, bound to rule ids. Filled as the modules of ``flux_lint.check.rules``
# are imported: a run imports a module when it first runs a function that a descriptor names
# (see :class:`BoundCheck`).
CheckFn = Callable[..., Iterable[Any]]
CHECKS: dict[str, CheckFn] = {}


def check(*rule_ids: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function for one or more rule ids.

    A function serving several ids sets ``Problem.rule_id`` on what it yields.
    """

    def wrap(fn: CheckFn) -> CheckFn:
        fn.rule_ids = rule_ids  # type: ignore[attr-defined]
        for rid in rule_ids:
            CHECKS[rid] = fn
        return fn

    return wrap


# Repository checks: fn(index: RepoIndex, ctx) -> Iterable[tuple[IndexEntry, Problem]], run once
# every file has been indexed.
REPO_CHECKS: dict[str, CheckFn] = {}


def repo_check(*rule_ids: str) -> Callable[[CheckFn], CheckFn]:
    """Register a repository-wide check for one or more rule ids."""

    def wrap(fn: CheckFn) -> CheckFn:
        fn.rule_ids = rule_ids  # type: ignore[attr-defined]
        for rid in rule_ids:
            REPO_CHECKS[rid] = fn
        return fn

    return wrap


#: The package that holds the modules a descriptor's ``check``/``repositoryCheck`` names.
RULES_PACKAGE = "flux_lint.check.rules"


class BoundCheck:
    """The function that descriptors name (``check: module.function``), imported the first
    time it runs: a run pays for the rule modules it uses, not for all of them.

    It is called like the function itself (``fn(obj, ctx)``, or ``fn(index, ctx)`` for a
    repository check) and has its ``rule_ids``: the ids of every descriptor that names it, in
    order, as the function's ``@check`` lists them (a test holds the two equal). The function
    is looked up by id in :data:`CHECKS` (:data:`REPO_CHECKS`) on every call, so that a
    function put there in its place is the one that runs.

    ``selectors``: when every rule of a per-object function has a ``match``, the objects the
    function looks at (its first lines return for any other); it is neither imported nor
    called for other objects.
    """

    __slots__ = ("repository", "rule_ids", "selectors", "target")

    def __init__(
        self,
        target: str,
        rule_ids: tuple[str, ...],
        repository: bool,
        selectors: list[Selector] | None = None,
    ) -> None:
        self.target = target
        self.rule_ids = rule_ids
        self.repository = repository
        self.selectors = selectors

    @property
    def module(self) -> str:
        return f"{RULES_PACKAGE}.{self.target.partition('.')[0]}"

    def resolve(self) -> CheckFn:
        """The registered function (importing its module the first time)."""
        table = REPO_CHECKS if self.repository else CHECKS
        fn = table.get(self.rule_ids[0])
        if fn is None:
            import importlib

            importlib.import_module(self.module)
            fn = table[self.rule_ids[0]]
        return fn

    def __call__(self, *args: Any) -> Iterable[Any]:
        if self.selectors is not None and not selects(self.selectors, args[0]):
            return ()
        return self.resolve()(*args)

    def __repr__(self) -> str:
        return f"BoundCheck({self.target!r}, {self.rule_ids!r})"


def bound_checks(registry: Registry, enabled: set[str], *, repository: bool) -> list[BoundCheck]:
    """The functions of the enabled rules of ``registry`` (per-object ones, or with
    ``repository`` the repository checks), one per function, in the order of their ids;
    nothing is imported."""
    rules: dict[str, list[Rule]] = {}
    for rule in registry.rules.values():
        if rule.check is not None and rule.repository == repository:
            rules.setdefault(rule.check, []).append(rule)
    wanted = []
    for target, named in rules.items():
        rids = tuple(sorted(rule.id for rule in named))
        if not enabled.intersection(rids):
            continue
        selectors = None
        if not repository and all(rule.match for rule in named):
            selectors = [s for rule in named for s in selectors_of(rule.match, rule.source)]
        wanted.append(BoundCheck(target, rids, repository, selectors))
    return sorted(wanted, key=lambda fn: fn.rule_ids)
