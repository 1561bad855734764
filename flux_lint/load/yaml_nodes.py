"""The YAML node tree flux-lint composes, its scalars as Kubernetes reads them, and its plain view.

Positions are 0-based (line, column in characters). Scalars resolve as go-yaml resolves them for
sigs.k8s.io/yaml: YAML 1.1 (``yes`` is a boolean, ``010`` is octal), dates stay strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from sys import intern
from typing import Any

from flux_lint.core.regex import lazy

# Limits that keep one hostile document from stalling a run (billion laughs, absurd nesting).
MAX_DEPTH = 200
ALIAS_BUDGET = 10_000  # expanded alias nodes allowed beyond 10x the document's own nodes


class Node:
    """A composed YAML node: ``kind`` is ``scalar``, ``map`` or ``seq``; positions are 0-based.

    For ``map`` the value is a list of (key node, value node); for ``seq`` a list of nodes.
    """

    __slots__ = ("anchor", "col", "end_col", "end_line", "kind", "line", "style", "tag", "value")

    def __init__(
        self,
        kind: str,
        tag: str | None,
        value: Any,
        style: str | None,
        line: int,
        col: int,
        end_line: int,
        end_col: int,
        anchor: str | None,
    ) -> None:
        self.kind = kind
        self.tag = tag
        self.value = value
        self.style = style
        self.line = line
        self.col = col
        self.end_line = end_line
        self.end_col = end_col
        self.anchor = anchor


@dataclass(slots=True)
class LoadProblem:
    """``code``: ``syntax``, ``duplicate-key`` or ``limit``. Positions are 0-based.

    ``severity`` overrides the rule's (``"warning"`` for what only the YAML spec forbids).
    """

    code: str
    message: str
    line: int
    column: int
    document: int
    end_line: int | None = None
    end_column: int | None = None
    severity: str | None = None


@dataclass(slots=True)
class Document:
    index: int
    node: Node | None  # None for an empty document
    data: Any
    line: int  # 0-based line where the document's content starts


@dataclass(slots=True)
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Scalars as go-yaml (YAML 1.1, used by sigs.k8s.io/yaml) resolves them.

_BOOL = {
    **dict.fromkeys(
        ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True
    ),
    **dict.fromkeys(
        ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False
    ),
}
_NULL = {"", "~", "null", "Null", "NULL"}
_SPECIAL_FLOAT = {
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "+.Inf": math.inf,
    "+.INF": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    "-.INF": -math.inf,
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
}
_INT = lazy(r"[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|[0-9][0-9_]*)")
_FLOAT = lazy(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT64 = 2**63


def _parse_int(text: str) -> int | None:
    body = text.replace("_", "")
    sign = -1 if body.startswith("-") else 1
    digits = body.lstrip("+-")
    try:
        if digits.startswith(("0b", "0x", "0o")):
            return sign * int(digits, 0)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits, 8)  # YAML 1.1 / Go: a leading zero means octal
        return sign * int(digits, 10)
    except ValueError:
        return None


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar as Kubernetes decodes it.

    Dates and timestamps stay strings: Kubernetes only ever sees them as strings in the fields
    flux-lint checks, and keeping the text avoids timezone surprises.
    """
    if not text:
        return None
    c = text[0]
    if c in "yYnNtTfFoO":
        b = _BOOL.get(text)
        if b is not None:
            return b
    elif c in "~nN" and text in _NULL:
        return None
    if c in "0123456789+-.":
        if _INT.fullmatch(text):
            value = _parse_int(text)
            if value is not None and -_INT64 <= value < _INT64:
                return value
            if value is not None:
                return float(value)
        if _FLOAT.fullmatch(text):
            try:
                return float(text.replace("_", ""))
            except ValueError:
                return text
        if text in _SPECIAL_FLOAT:
            return _SPECIAL_FLOAT[text]
    if text in _NULL:
        return None
    return text


def _scalar_value(node: Node) -> Any:
    tag = node.tag
    if tag is None:  # plain and untagged
        return resolve_plain(node.value)
    if tag in ("!", "tag:yaml.org,2002:str"):
        return node.value
    if tag in (
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    ):
        value = resolve_plain(node.value)
        return value
    # Unknown or application tags (`!env_var`, `!!binary`, ...): keep the text.
    return node.value


def key_string(value: Any) -> str:
    """Mapping keys become JSON object keys the way sigs.k8s.io/yaml converts them."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"  # as Go's strconv.FormatFloat writes it
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return repr(value) if value != int(value) else str(int(value))
    return str(value)


def node_key(node: Node) -> str:
    """The JSON key a key node stands for (collections as keys become their YAML text)."""
    if node.kind == "scalar":
        return key_string(_scalar_value(node))
    return f"<{node.kind}@{node.line + 1}:{node.col + 1}>"


# --------------------------------------------------------------------------------------------
# Node tree → plain JSON view.


class _LimitExceeded(Exception):
    def __init__(self, message: str, node: Node):
        super().__init__(message)
        self.node = node


#: Keys and string values up to this length are interned in the view (see :func:`build_view`).
INTERNED_LENGTH = 64
#: The values of the plain scalars and the keys met so far, by their text (both depend on the
#: text alone): most of a repository's keys and many of its values repeat, and resolving a
#: plain scalar is most of what building the view costs. Cleared when full.
_PLAIN_VALUES: dict[str, Any] = {}
_KEYS: dict[str, str] = {}
_REMEMBERED = 1 << 16
_UNKNOWN = object()


def _remember(table: dict[Any, Any], text: str, value: Any) -> None:
    if len(table) >= _REMEMBERED:
        table.clear()
    table[text] = value


def build_view(doc: Document, problems: list[LoadProblem]) -> Any:
    """The plain JSON view of ``doc``; duplicate keys and limits are appended to ``problems``.

    Aliased nodes are converted once and shared (the view is read-only by convention); their
    expanded size is still counted so that an alias bomb is refused instead of walked.

    Keys and short strings are interned: the repository index keeps the view of every object
    until the repository checks are done, and most of its strings (``apiVersion``, ``name``,
    ``true``, a namespace) repeat across thousands of objects. Interned strings also stay
    shared through the records worker processes send (``marshal`` keeps them interned), so
    the index takes about a third less memory.
    """
    memo: dict[int, tuple[Any, int]] = {}
    own = [0]
    plain, keys = _PLAIN_VALUES, _KEYS

    def convert(node: Node, depth: int) -> tuple[Any, int]:
        if node.anchor is not None:  # only anchored nodes are shared (and memoized)
            hit = memo.get(id(node))
            if hit is not None:
                return hit
        if depth > MAX_DEPTH:
            raise _LimitExceeded(f"nesting deeper than {MAX_DEPTH} levels", node)
        own[0] += 1
        if node.kind == "scalar":
            value = plain.get(node.value, _UNKNOWN) if node.tag is None else _UNKNOWN
            if value is _UNKNOWN:
                value = _scalar_value(node)
                if type(value) is str and len(value) <= INTERNED_LENGTH:
                    value = intern(value)
                    if node.tag is None:
                        _remember(plain, node.value, value)
                elif node.tag is None and len(node.value) <= INTERNED_LENGTH:
                    _remember(plain, node.value, value)
            out: tuple[Any, int] = (value, 1)
        elif node.kind == "seq":
            items = []
            size = 1
            for child in node.value:
                value, n = convert(child, depth + 1)
                items.append(value)
                size += n
            out = (items, size)
        else:
            out = convert_map(node, depth)
        if node.anchor is not None:
            memo[id(node)] = out
        if out[1] > ALIAS_BUDGET + 10 * own[0]:
            raise _LimitExceeded(
                f"alias expansion exceeds {ALIAS_BUDGET + 10 * own[0]} nodes (possible "
                "billion-laughs document); the document is not checked",
                node,
            )
        return out

    def convert_map(node: Node, depth: int) -> tuple[dict[str, Any], int]:
        mapping: dict[str, Any] = {}
        seen: dict[str, Node] = {}
        size = 1
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.kind == "scalar" and key_node.tag is None and key_node.value == "<<":
                merges.append(value_node)
                continue
            plain_key = key_node.kind == "scalar" and key_node.tag is None
            key = keys.get(key_node.value) if plain_key else None
            if key is None:
                key = intern(node_key(key_node))
                if plain_key:
                    _remember(keys, key_node.value, key)
            if key in seen:
                first = seen[key]
                problems.append(
                    LoadProblem(
                        "duplicate-key",
                        f"duplicate key `{key}` (first defined on line {first.line + 1}); the last "
                        "value wins",
                        key_node.line,
                        key_node.col,
                        doc.index,
                        key_node.end_line,
                        key_node.end_col,
                    )
                )
            seen[key] = key_node
            value, n = convert(value_node, depth + 1)
            mapping[key] = value
            size += n
        for merge in merges:  # explicit keys win over merged ones; earlier merges win
            sources = merge.value if merge.kind == "seq" else [merge]
            for src in sources:
                value, n = convert(src, depth + 1)
                size += n
                if isinstance(value, dict):
                    for k, v in value.items():
                        mapping.setdefault(k, v)
        return mapping, size

    try:
        return convert(doc.node, 0)[0]
    except _LimitExceeded as exc:
        problems.append(LoadProblem("limit", str(exc), exc.node.line, exc.node.col, doc.index))
        return None
    except RecursionError:
        problems.append(LoadProblem("limit", "document nested too deeply", doc.line, 0, doc.index))
        return None
