"""User rules: policy descriptors a repository brings along (``--rules DIR`` or config).

A user rule is a rule descriptor in the format of the built-in ones (``rules/``), with
``engine: cel`` and ``validations`` shaped exactly like a CRD's ``x-kubernetes-validations``,
so what a team already knows from writing CRD rules carries over, and the rules go through the
same evaluator (:mod:`flux_lint.check.cel`) as the CRDs' own rules. The differences from CRD rules
are
deliberate and documented in ``docs/user-rules.md``:

* ``self`` is the whole object as written in the file (all of ``metadata``, unknown fields,
  numbers as written, no schema defaults), because a policy is about the manifest a team
  reviews, and a rule must also work for kinds flux-lint has no schema for;
* ``match`` picks the objects by group, version and kind, so a rule costs nothing on the
  objects it does not match;
* ids are capital letters then digits and must not start with ``FL``, so a user rule can never
  shadow, or be shadowed by, a rule flux-lint adds later.

Loading is strict and explains itself: every problem names the file, line and column (a CEL
compile error points at the character inside the expression), and all problems of all files
are collected so that one run shows them all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flux_lint.check.registry import (
    DESCRIPTOR_KEYS,
    DOCS_KEYS,
    RULE_NAME,
    Registry,
    Rule,
    RuleError,
)
from flux_lint.core.findings import KEY, VALUE, Severity, pointer_join
from flux_lint.load.positions import locate
from flux_lint.load.yaml import Document, load_text

__all__ = [
    "USER_CATEGORY",
    "UserRuleError",
    "VersionConstraint",
    "field_path_tokens",
    "load_user_rules",
    "match_specs",
    "parse_flux_versions",
    "registry_with_user_rules",
]

#: ``ACME001``, ``ORG12``: capital letters, then digits.
USER_RULE_ID = re.compile(r"^[A-Z]+[0-9]+$")
#: Ids flux-lint keeps for its own rules, present and future.
RESERVED_PREFIX = "FL"
#: The category user rules are listed under (``flux-lint rules``, SARIF tags).
USER_CATEGORY = "user"
#: The only variable a user rule's expressions can read.
USER_VARIABLES = frozenset({"self"})

VALIDATION_KEYS = ("rule", "message", "messageExpression", "fieldPath", "reason")
#: ``reason`` values the API server accepts for ``x-kubernetes-validations``.
REASONS = ("FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate")
MATCH_KEYS = ("group", "version", "kind")
RULE_FILE_SUFFIXES = (".yaml", ".yml")


class UserRuleError(RuleError):
    """User rule files that cannot be loaded. ``problems`` holds every problem found, each
    ``file:line:column: message``; the exception's message is the first one (plus a count), as
    a command line reports a usage error on one line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"{self.problems[0]}{suffix}")


# --------------------------------------------------------------------------------------------
# Public helpers the check module shares


@dataclass(frozen=True)
class VersionConstraint:
    """One comparison of ``fluxVersions`` (``>=2.7``) on the Flux minor a run targets."""

    operator: str
    minor: tuple[int, int]

    def allows(self, version: tuple[int, int]) -> bool:
        return {
            ">=": version >= self.minor,
            ">": version > self.minor,
            "<=": version <= self.minor,
            "<": version < self.minor,
            "==": version == self.minor,
            "!=": version != self.minor,
        }[self.operator]


_CONSTRAINT = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*v?(\d+)\.(\d+)(?:\.[0-9x*]+)?\s*$")


def parse_flux_versions(text: str) -> tuple[VersionConstraint, ...]:
    """``">=2.7, <2.9"`` → constraints that all must hold; raises ``ValueError``."""
    constraints = []
    for part in text.split(","):
        found = _CONSTRAINT.match(part)
        if found is None:
            raise ValueError(f"`{part.strip()}` is not a version constraint like `>=2.8`")
        operator = found.group(1) or "=="
        constraints.append(
            VersionConstraint(
                "==" if operator == "=" else operator, (int(found.group(2)), int(found.group(3)))
            )
        )
    return tuple(constraints)


def match_specs(match: Any) -> list[dict[str, frozenset[str]]]:
    """The object selectors of a descriptor's ``match``: a mapping, a list of mappings, or the
    normalised ``{"resources": [...]}`` form this module stores. An empty list means every
    object; a selector without a key matches any value of it."""
    if isinstance(match, Mapping) and set(match) == {"resources"}:
        match = match["resources"]
    items = match if isinstance(match, list) else [match] if match else []
    specs = []
    for item in items:
        spec = {}
        for key in MATCH_KEYS:
            value = item.get(key)
            if value is not None:
                spec[key] = frozenset([value] if isinstance(value, str) else value)
        specs.append(spec)
    return specs


_FIELD_PATH_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


def field_path_tokens(text: str) -> tuple[str, ...] | None:
    """``.spec.foo['a.b'][0]`` → ``("spec", "foo", "a.b", "0")``; ``None`` if malformed."""
    tokens: list[str] = []
    position = 0
    while position < len(text):
        step = _FIELD_PATH_STEP.match(text, position)
        if step is None:
            return None
        name, quoted, index = step.groups()
        if quoted is not None:
            quoted = re.sub(r"\\(.)", r"\1", quoted)
        tokens.append(name if name is not None else index if index is not None else quoted)
        position = step.end()
    return tuple(tokens) if tokens else None


# --------------------------------------------------------------------------------------------
# Loading


def registry_with_user_rules(base: Registry, paths: Sequence[Path | str]) -> Registry:
    """``base`` with the user rules found under ``paths`` added.

    Returns ``base`` itself when there are no paths, or when it holds these rules already (the
    command line builds the registry before the run, to resolve ``--select ACME001``, and the
    engine calls this again with the registry it was given). Raises :class:`UserRuleError`.
    """
    if not paths:
        return base
    rules = load_user_rules(paths, base)
    if all(base.rules.get(rule.id) == rule for rule in rules):
        return base
    return base.extended(rule for rule in rules if rule.id not in base.rules)


def load_user_rules(paths: Sequence[Path | str], base: Registry | None = None) -> list[Rule]:
    """Every rule in the files under ``paths`` (files, or folders searched recursively for
    ``*.yaml``/``*.yml``; a file may hold several descriptors as YAML documents).

    ``base`` is the registry the rules join (ids and names must not collide with its rules;
    rules it already holds, from an earlier load of the same files, are not collisions).
    Raises :class:`UserRuleError` listing every problem.
    """
    loader = _Loader(base)
    for path in paths:
        for file in loader.files(Path(path)):
            loader.load_file(file)
    if loader.problems:
        raise UserRuleError([problem for _, problem in sorted(loader.problems)])
    return loader.rules


class _Loader:
    def __init__(self, base: Registry | None) -> None:
        self.base = base
        self.rules: list[Rule] = []
        self.seen_ids: dict[str, str] = {}
        self.seen_names: dict[str, str] = {}
        self.problems: list[tuple[tuple[str, int, int], str]] = []
        self.loaded: set[Path] = set()  # a file named twice (folder and file) is read once

    def problem(self, source: str, line: int, column: int, message: str) -> None:
        self.problems.append(((source, line, column), f"{source}:{line}:{column}: {message}"))

    def files(self, path: Path) -> list[Path]:
        if path.is_file():
            return [path]
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in RULE_FILE_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                self.problem(str(path), 1, 1, "no rule files (*.yaml, *.yml) in this folder")
            return found
        self.problem(str(path), 1, 1, "no such file or folder")
        return []

    def load_file(self, path: Path) -> None:
        if path.resolve() in self.loaded:
            return
        self.loaded.add(path.resolve())
        source = path.as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.problem(source, 1, 1, f"cannot read the rule file: {reason}")
            return
        loaded = load_text(text)
        for problem in loaded.problems:
            self.problem(source, problem.line + 1, problem.column + 1, problem.message)
        if loaded.problems:
            return
        documents = [d for d in loaded.documents if d.node is not None and d.data is not None]
        if not documents:
            self.problem(source, 1, 1, "the file holds no rule descriptor")
        for doc in documents:
            rule = _Descriptor(self, source, text, doc).parse()
            if rule is not None:
                self.rules.append(rule)


class _Descriptor:
    """One YAML document of a rule file, checked key by key."""

    def __init__(self, loader: _Loader, source: str, text: str, doc: Document) -> None:
        self.loader = loader
        self.source = source
        self.text = text
        self.doc = doc
        self.data = doc.data
        self.failed = False

    # -- reporting --------------------------------------------------------------------------

    def fail(
        self,
        pointer: str,
        message: str,
        target: str = KEY,
        offset: tuple[int, int] | None = None,
    ) -> None:
        self.failed = True
        assert self.doc.node is not None
        span = locate(self.doc.node, pointer, target, offset=offset, text=self.text)
        self.loader.problem(self.source, span.line, span.column, message)

    # -- the descriptor ---------------------------------------------------------------------

    def parse(self) -> Rule | None:
        data = self.data
        if not isinstance(data, dict):
            self.fail("", "a rule descriptor must be a mapping")
            return None
        for key in data:
            if key not in DESCRIPTOR_KEYS:
                self.fail(_pointer(key), f"unknown key `{key}`{_suggest(key, DESCRIPTOR_KEYS)}")
        rid = self.identifier()
        name = self.name()
        severity = self.severity()
        summary = self.string("summary", required=True)
        if data.get("engine", "cel") != "cel":
            self.fail("/engine", "a user rule must use `engine: cel`", VALUE)
        if "fix" in data:
            self.fail("/fix", "user rules cannot have a `fix`")
        for key in ("check", "repositoryCheck"):
            if key in data:
                self.fail(_pointer(key), f"user rules cannot have a `{key}`: they are CEL rules")
        flux_versions = self.flux_versions()
        match = self.match()
        validations = self.validations()
        docs = self.docs()
        if self.failed or rid is None or name is None or severity is None or summary is None:
            return None
        return Rule(
            id=rid,
            name=name,
            severity=severity,
            summary=summary.strip(),
            category=USER_CATEGORY,
            engine="cel",
            match=match,
            flux_versions=flux_versions,
            validations=validations,
            docs=docs,
            source=f"{self.source}:{self.doc.line + 1}",
        )

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail("", f"`{key}` is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"/{key}", f"`{key}` must be a non-empty string", VALUE)
            return None
        return value

    def identifier(self) -> str | None:
        rid = self.string("id", required=True)
        if rid is None:
            return None
        if not USER_RULE_ID.match(rid) or rid.startswith(RESERVED_PREFIX):
            self.fail(
                "/id",
                f"id `{rid}`: a user rule id is capital letters then digits (`ACME001`) and "
                f"must not start with `{RESERVED_PREFIX}`, which flux-lint's own rules use",
                VALUE,
            )
            return None
        self.unique("id", rid, self.loader.seen_ids, self.loader.base and self.loader.base.rules)
        return rid

    def name(self) -> str | None:
        name = self.string("name", required=True)
        if name is None:
            return None
        if not RULE_NAME.match(name):
            self.fail("/name", f"name `{name}` must be kebab-case (`require-interval`)", VALUE)
            return None
        self.unique(
            "name", name, self.loader.seen_names, self.loader.base and self.loader.base.by_name
        )
        return name

    def unique(
        self, key: str, value: str, seen: dict[str, str], existing: Mapping[str, Rule] | None
    ) -> None:
        where = f"{self.source}:{self.doc.line + 1}"
        rule = existing.get(value) if existing else None
        if rule is not None and rule.category != USER_CATEGORY:
            self.fail(
                f"/{key}", f"{key} `{value}` is already used by flux-lint's rule {rule.id}", VALUE
            )
        elif rule is not None and not rule.source.startswith(f"{self.source}:"):
            self.fail(f"/{key}", f"{key} `{value}` is already used by {rule.source}", VALUE)
        elif value in seen:
            self.fail(f"/{key}", f"{key} `{value}` is already used by {seen[value]}", VALUE)
        else:
            seen[value] = where

    def severity(self) -> Severity | None:
        text = self.string("severity", required=True)
        if text is None:
            return None
        try:
            return Severity.parse(text)
        except ValueError as exc:
            self.fail("/severity", str(exc).replace("'", "`"), VALUE)
            return None

    def flux_versions(self) -> str | None:
        text = self.string("fluxVersions")
        if text is not None:
            try:
                parse_flux_versions(text)
            except ValueError as exc:
                self.fail("/fluxVersions", str(exc), VALUE)
        return text

    def match(self) -> dict[str, Any]:
        raw = self.data.get("match")
        if raw is None:
            return {}
        items = raw if isinstance(raw, list) else [raw]
        if not items or not all(isinstance(item, dict) for item in items):
            self.fail(
                "/match",
                "`match` must be a mapping of `group`, `version` and `kind`, or a list of them",
                VALUE,
            )
            return {}
        resources = []
        for index, item in enumerate(items):
            base = "/match" + (f"/{index}" if isinstance(raw, list) else "")
            if not item:
                self.fail(base, "an empty selector matches every object; leave `match` out")
            spec: dict[str, Any] = {}
            for key, value in item.items():
                if key not in MATCH_KEYS:
                    self.fail(
                        base + _pointer(key), f"unknown key `{key}`{_suggest(key, MATCH_KEYS)}"
                    )
                    continue
                values = value if isinstance(value, list) else [value]
                if not values or not all(isinstance(v, str) for v in values):
                    self.fail(f"{base}/{key}", f"`{key}` must be a string or a list of strings")
                    continue
                spec[key] = value
            resources.append(spec)
        return {"resources": resources}

    def validations(self) -> tuple[dict[str, Any], ...]:
        raw = self.data.get("validations")
        if not isinstance(raw, list) or not raw:
            if raw is None:
                self.fail("", "`validations` is required: a list of `rule`s")
            else:
                self.fail("/validations", "`validations` must be a non-empty list", VALUE)
            return ()
        checked = []
        for index, item in enumerate(raw):
            pointer = f"/validations/{index}"
            if not isinstance(item, dict):
                self.fail(pointer, "a validation must be a mapping with a `rule`", VALUE)
                continue
            checked.append(self.validation(pointer, item))
        return tuple(checked)

    def validation(self, pointer: str, item: dict[str, Any]) -> dict[str, Any]:
        for key in item:
            if key == "optionalOldSelf":
                self.fail(
                    pointer + _pointer(key), "user rules have no `oldSelf`: they see one version"
                )
            elif key not in VALIDATION_KEYS:
                self.fail(
                    pointer + _pointer(key), f"unknown key `{key}`{_suggest(key, VALIDATION_KEYS)}"
                )
        rule = item.get("rule")
        if not isinstance(rule, str) or not rule.strip():
            self.fail(pointer if "rule" not in item else f"{pointer}/rule",
                      "`rule` is required: a CEL expression", VALUE)  # fmt: skip
        else:
            self.expression(f"{pointer}/rule", rule, "rule")
        message = item.get("message")
        if message is not None and (not isinstance(message, str) or not message.strip()):
            self.fail(f"{pointer}/message", "`message` must be a non-empty string", VALUE)
        elif isinstance(message, str) and ("\n" in message.strip() or "\r" in message):
            self.fail(f"{pointer}/message", "`message` must be one line", VALUE)
        expression = item.get("messageExpression")
        if expression is not None:
            if not isinstance(expression, str) or not expression.strip():
                self.fail(
                    f"{pointer}/messageExpression",
                    "`messageExpression` must be a CEL expression",
                    VALUE,
                )
            else:
                self.expression(f"{pointer}/messageExpression", expression, "messageExpression")
        field_path = item.get("fieldPath")
        if field_path is not None and (
            not isinstance(field_path, str) or field_path_tokens(field_path) is None
        ):
            self.fail(
                f"{pointer}/fieldPath",
                f"`fieldPath` `{field_path}` must be a path like `.spec.interval` or "
                "`.metadata.labels['app']`",
                VALUE,
            )
        reason = item.get("reason")
        if reason is not None and reason not in REASONS:
            self.fail(f"{pointer}/reason", f"`reason` must be one of {', '.join(REASONS)}", VALUE)
        return {key: item[key] for key in VALIDATION_KEYS if key in item}

    def expression(self, pointer: str, source: str, key: str) -> None:
        from flux_lint.check import cel

        try:
            program = cel.compile_expression(source, USER_VARIABLES)
        except cel.CelCompileError as exc:
            self.fail(
                pointer,
                f"`{key}` does not compile: {exc.reason}",
                VALUE,
                offset=(exc.line, exc.column),
            )
            return
        for name in sorted(program.unsupported):
            self.fail(
                pointer,
                f"`{key}` uses `{name}`, which flux-lint does not implement "
                "(see docs/user-rules.md for the functions available)",
                VALUE,
                offset=_offset_of(source, name),
            )

    def docs(self) -> dict[str, Any]:
        docs = self.data.get("docs")
        if docs is None:
            return {}
        if not isinstance(docs, dict):
            self.fail("/docs", f"`docs` must be a mapping of {', '.join(sorted(DOCS_KEYS))}")
            return {}
        for key in docs:
            if key not in DOCS_KEYS:
                self.fail("/docs" + _pointer(key), f"unknown key `{key}`{_suggest(key, DOCS_KEYS)}")
        return docs


def _pointer(key: Any) -> str:
    return pointer_join("", str(key))


def _suggest(key: Any, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _offset_of(source: str, name: str) -> tuple[int, int] | None:
    """1-based (line, column) of the first call of ``name`` in an expression."""
    found = re.search(rf"\b{re.escape(name)}\b", source)
    if found is None:
        return None
    before = source[: found.start()]
    return before.count("\n") + 1, found.start() - (before.rfind("\n") + 1) + 1
