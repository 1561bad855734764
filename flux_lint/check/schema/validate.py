"""Validate a manifest against a CRD structural schema the way the Kubernetes API server does.

The schema is compiled once into a tree of :class:`_Node` objects and every manifest is walked
against that tree. ``jsonschema`` checks the bundle schemas when they are built
(:mod:`flux_lint.check.schema.build`) but is not used here, for two reasons measured on a typical
HelmRelease:

* Speed: ``jsonschema``'s Draft 7 validator takes about 300 µs for the standard keywords alone,
  because every descent builds a new validator and error generator; the compiled tree takes
  about 35 µs for the whole job (compiling one kind's schema about 1 ms), which matters when a
  repository has thousands of objects.
* Semantics: almost every keyword needs the API server's meaning instead of JSON Schema's, so
  an extended validator would replace nearly all of them anyway. The differences reproduced:

  - unknown fields are pruned silently by the API server; here each one is reported at its key
    with a "did you mean" among the allowed names; ``x-kubernetes-preserve-unknown-fields``
    accepts anything below it; strategic-merge directives (``$patch``...) are not fields;
  - ``null`` for a non-nullable field is pruned before validation (so it is not a type error,
    but a required field that is null is missing); a required field with a ``default`` is never
    missing because defaulting runs before validation;
  - a float with a zero fraction is a valid integer (Go decodes JSON ``1.0`` as a number and
    kube-openapi accepts it for ``integer`` when it is a whole number within ±2^53); booleans are
    never numbers;
  - ``pattern`` is an RE2 search (:mod:`flux_lint.core.regex`); lengths count code points;
  - of the formats only ``int64`` (range) and ``date-time`` (kube-openapi's ``IsDateTime``) are
    checked, as the API server ignores the rest; for built-in kinds (``builtin=True``) also
    ``byte`` (base64) and ``quantity`` (``resource.Quantity``), which decoding into the Go
    types checks;
  - ``x-kubernetes-list-type: set|map`` items must be unique (by value, or by the list-map keys);
  - values that are unresolved placeholders (``${VAR}``, SOPS ``ENC[...]``) skip every value
    check: they are only known after substitution or decryption;
  - ``metadata`` is only ``type: object`` in a CRD; ObjectMeta is checked here in Python
    (names, namespace, labels, annotations, timestamps, known fields), like the API server's
    generic checks.

``x-kubernetes-validations`` (CEL) are left to the CEL engine, and
``x-kubernetes-embedded-resource`` gets no extra checks: no Flux CRD uses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flux_lint.core.findings import KEY, VALUE, pointer_join
from flux_lint.core.messages import json_type as _type_name
from flux_lint.core.messages import show as _show
from flux_lint.core.placeholders import is_unresolved
from flux_lint.core.regex import Pattern, compile_pattern, lazy

__all__ = ["SchemaError", "StructuralValidator", "format_path"]

# Codes: the vocabulary ``checks/schema.py`` maps to rule ids.
UNKNOWN_FIELD = "unknown-field"
TYPE = "type"
ENUM = "enum"
PATTERN = "pattern"
REQUIRED = "required"
RANGE = "range"
FORMAT = "format"
METADATA = "metadata"
DUPLICATE_ITEM = "duplicate-item"


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One violation: a code from the list above, a JSON pointer into the object, whether the
    finding belongs on the key or the value at that pointer, and a message fragment."""

    code: str
    pointer: str
    target: str
    message: str


_Path = list[str | int]
_Errors = list[SchemaError]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_JSON_INT_LIMIT = 2**53  # kube-openapi's bound for "a float that is a JSON integer"

# ---------------------------------------------------------------------------------------------
# Rendering paths and values for messages


_SIMPLE_KEY = lazy(r"[A-Za-z_$][A-Za-z0-9_$-]*")


def format_path(path: list[str | int] | tuple[str | int, ...]) -> str:
    """``["spec", "dependsOn", 0, "name"]`` → ``spec.dependsOn[0].name``; keys that are not
    plain identifiers are quoted (``metadata.labels["app.kubernetes.io/name"]``)."""
    out: list[str] = []
    for token in path:
        if isinstance(token, int):
            out.append(f"[{token}]")
        elif _SIMPLE_KEY.fullmatch(token):
            out.append(f".{token}" if out else token)
        else:
            out.append(f"[{json.dumps(token)}]")
    return "".join(out)


def _got(value: Any) -> str:
    """``got string `"yes"` `` / ``got object``: strings keep their quotes in type messages so
    that ``"true"`` the string is told apart from ``true`` the boolean."""
    kind = _type_name(value)
    if isinstance(value, (dict, list)):
        return f"got {kind}"
    shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else _show(value)
    return f"got {kind} `{_show(shown)}`"


def _suggest(key: str, allowed: list[str]) -> str:
    """``; did you mean `interval`?`` when one allowed key is close to ``key``."""
    import difflib  # for a suggestion only: most runs never need it

    if not allowed:
        return ""
    lowered = {a.lower(): a for a in allowed}
    match = lowered.get(key.lower())
    if match is None:
        close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.7)
        match = lowered[close[0]] if close else None
    return f"; did you mean `{match}`?" if match else ""


def _is_directive(key: str) -> bool:
    """Strategic-merge patch directives are instructions to kustomize, not fields."""
    return key.startswith("$") and (
        key in ("$patch", "$retainKeys")
        or key.startswith("$setElementOrder/")
        or key.startswith("$deleteFromPrimitiveList/")
    )


def _hashable(value: Any) -> Any:
    """A key under which JSON-equal values compare equal (``1`` and ``1.0`` alike, ``true`` and
    ``1`` not), for duplicate detection."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    return ("j", json.dumps(value, sort_keys=True))


def _contains_unresolved(value: Any) -> bool:
    if isinstance(value, str):
        return is_unresolved(value)
    if isinstance(value, dict):
        return any(_contains_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unresolved(v) for v in value)
    return False


# ---------------------------------------------------------------------------------------------
# Formats (the API server checks only these two)
#
# The fixed patterns of this module use Python's ``re`` with ``fullmatch`` (so ``$`` cannot match
# before a final newline) and ``[0-9]`` rather than ``\d`` (which would accept any Unicode digit);
# only patterns that come from schemas go through RE2.


_DATE = lazy(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = lazy(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_date(text: str) -> bool:
    m = _DATE.fullmatch(text)
    if not m:
        return False
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _DAYS[month - 1]


def is_date_time(text: str) -> bool:
    """kube-openapi's ``strfmt.IsDateTime``: RFC 3339 date, ``T`` (any case), time with
    seconds, optional fraction and a ``Z`` or ``±hh:mm`` offset."""
    if len(text) < 4:
        return False
    parts = text.lower().split("t")
    if len(parts) < 2 or not _is_date(parts[0]):
        return False
    m = _TIME.fullmatch(parts[1])
    return bool(m) and m[1] <= "23" and m[2] <= "59" and m[3] <= "59"


_RFC3339 = lazy(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,][0-9]+)?"
    r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"
)


def is_rfc3339(text: str) -> bool:
    """Go's ``time.Parse(time.RFC3339, text)``, which decodes ObjectMeta timestamps: stricter
    than the schema format (upper-case ``T`` and ``Z`` only)."""
    m = _RFC3339.fullmatch(text)
    if not m or not _is_date(m[1]):
        return False
    if int(m[2]) > 23 or int(m[3]) > 59 or int(m[4]) > 59:
        return False
    return m[5] is None or (int(m[5]) <= 23 and int(m[6]) <= 59)


# ---------------------------------------------------------------------------------------------
# The compiled schema


#: Formats the API server checks in a custom resource.
CRD_FORMATS = frozenset({"int64", "date-time"})
#: Formats that decoding a built-in object into its Go type checks as well: ``byte`` fields
#: (Secret ``data``, ``caBundle``) are base64 and ``quantity`` is ``resource.Quantity``
#: (``500m``, ``1Gi``, or a plain number). Only the built-in schemas use ``quantity``.
BUILTIN_FORMATS = CRD_FORMATS | {"byte", "quantity"}

_QUANTITY = lazy(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?")
_BASE64 = lazy(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def is_quantity(text: str) -> bool:
    """``resource.ParseQuantity``: a decimal number with an optional binary (``Ki``...``Ei``)
    or decimal (``n u m k M G T P E``) suffix or a decimal exponent."""
    return _QUANTITY.fullmatch(text) is not None


def is_base64(text: str) -> bool:
    """Standard base64 with padding, as Go decodes a ``[]byte`` field (line breaks ignored)."""
    return _BASE64.fullmatch(text.replace("\r", "").replace("\n", "")) is not None


class _Node:
    """One schema node with everything precomputed that the walk needs."""

    __slots__ = (
        "additional",
        "default",
        "enum",
        "enum_text",
        "exclusive_maximum",
        "exclusive_minimum",
        "fmt",
        "int_or_string",
        "items",
        "list_type",
        "map_keys",
        "max_items",
        "max_length",
        "max_properties",
        "maximum",
        "min_items",
        "min_length",
        "min_properties",
        "minimum",
        "nullable",
        "pattern",
        "preserve",
        "properties",
        "property_names",
        "required",
        "special",
        "type",
    )

    def __init__(self, schema: dict[str, Any], formats: frozenset[str] = CRD_FORMATS) -> None:
        self.type: str | None = schema.get("type")
        self.int_or_string = bool(schema.get("x-kubernetes-int-or-string"))
        self.preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        self.nullable = bool(schema.get("nullable"))
        self.default: Any = schema.get("default")

        props = schema.get("properties")
        self.properties: dict[str, _Node] | None = (
            {k: _Node(v, formats) for k, v in props.items()} if isinstance(props, dict) else None
        )
        self.property_names = sorted(self.properties) if self.properties else []
        additional = schema.get("additionalProperties")
        # True: anything; a node: every extra value; None: extra keys are unknown fields.
        self.additional: _Node | bool | None = (
            _Node(additional, formats) if isinstance(additional, dict) else additional
        )
        if self.additional is False:
            self.additional = None
        items = schema.get("items")
        self.items: _Node | None = _Node(items, formats) if isinstance(items, dict) else None

        # A required field whose schema has a default is filled in before validation.
        required = schema.get("required") or []
        self.required: tuple[str, ...] = tuple(
            r
            for r in required
            if not (self.properties and r in self.properties and _has_default(props[r]))
        )

        enum = schema.get("enum")
        self.enum: frozenset[Any] | None = (
            frozenset(_hashable(v) for v in enum) if isinstance(enum, list) else None
        )
        self.enum_text = ", ".join(f"`{_show(v)}`" for v in enum) if enum else ""
        pattern = schema.get("pattern")
        self.pattern: Pattern | None = compile_pattern(pattern) if pattern else None
        fmt = schema.get("format")
        self.fmt: str | None = fmt if fmt in formats else None

        self.minimum = _number(schema.get("minimum"))
        self.maximum = _number(schema.get("maximum"))
        # OpenAPI v3.0 (what CRDs use) has boolean exclusive bounds.
        self.exclusive_minimum = schema.get("exclusiveMinimum") is True
        self.exclusive_maximum = schema.get("exclusiveMaximum") is True
        self.min_length: int | None = schema.get("minLength")
        self.max_length: int | None = schema.get("maxLength")
        self.min_items: int | None = schema.get("minItems")
        self.max_items: int | None = schema.get("maxItems")
        self.min_properties: int | None = schema.get("minProperties")
        self.max_properties: int | None = schema.get("maxProperties")

        list_type = schema.get("x-kubernetes-list-type")
        self.list_type: str | None = list_type if list_type in ("set", "map") else None
        self.map_keys: tuple[str, ...] = tuple(schema.get("x-kubernetes-list-map-keys") or ())
        # Root-only handlers for keys that are not plain schema properties (see below).
        self.special: dict[str, _Special] | None = None


def _has_default(schema: Any) -> bool:
    return isinstance(schema, dict) and "default" in schema


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


_Special = Callable[[Any, _Path, _Errors, bool], None]


class StructuralValidator:
    """A CRD version's structural schema, compiled once and applied to many manifests."""

    __slots__ = ("root",)

    def __init__(self, schema: dict[str, Any], *, builtin: bool = False) -> None:
        # An empty schema (a CRD version without one) accepts anything, as the API server does.
        self.root = _Node(
            schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            BUILTIN_FORMATS if builtin else CRD_FORMATS,
        )
        special: dict[str, _Special] = {
            "metadata": _check_metadata,
            "status": _ignore,  # the API server ignores status on create
            "sops": _ignore_sops,
        }
        for key in ("apiVersion", "kind"):
            if not (self.root.properties and key in self.root.properties):
                special[key] = _ignore  # every object has them, whatever its schema lists
        self.root.special = special

    def validate(self, data: dict[str, Any], *, partial: bool = False) -> list[SchemaError]:
        """Every violation in ``data`` (the plain JSON view of one manifest), in document order.

        ``partial`` is for patch files, which are fragments: missing required fields (including
        ``metadata.name``) are not reported there.
        """
        errors: _Errors = []
        if not isinstance(data, dict):
            errors.append(
                SchemaError(TYPE, "", VALUE, f"the object must be a mapping, {_got(data)}")
            )
            return errors
        _check(self.root, data, [], errors, partial)
        if "metadata" not in data and not partial:
            # Reported on the object itself, as there is no `metadata` key to point at.
            _meta_error(errors, [], KEY, "missing required field `metadata.name`")
        return errors


def _ignore(value: Any, path: _Path, errors: _Errors, partial: bool) -> None:
    return None


def _ignore_sops(value: Any, path: _Path, errors: _Errors, partial: bool) -> None:
    """A SOPS-encrypted manifest carries its key metadata in a top-level ``sops`` mapping that
    the sops tool removes on decryption."""
    if not isinstance(value, dict):
        _unknown(path, [], errors)


def _error(errors: _Errors, code: str, path: _Path, target: str, message: str) -> None:
    errors.append(SchemaError(code, pointer_join("", *path), target, message))


def _unknown(path: _Path, allowed: list[str], errors: _Errors) -> None:
    key = path[-1]
    hint = _suggest(key, allowed) if isinstance(key, str) else ""
    _error(errors, UNKNOWN_FIELD, path, KEY, f"unknown field `{format_path(path)}`{hint}")


# ---------------------------------------------------------------------------------------------
# The walk


def _check(node: _Node, value: Any, path: _Path, errors: _Errors, partial: bool) -> None:
    if value is None:
        if not node.nullable:
            _error(errors, TYPE, path, VALUE, f"`{format_path(path)}` must not be null")
        return
    # Cheap pre-test: most strings have neither `${` nor the SOPS prefix.
    if isinstance(value, str) and ("${" in value or value[:4] == "ENC[") and is_unresolved(value):
        return

    kind = node.type
    if (kind == "integer" or node.int_or_string or node.fmt == "int64") and _beyond_int64(value):
        # Every Kubernetes integer is an int64: the API server cannot decode a larger one as an
        # integer whatever `format` the schema names (YAML turns it into a float first).
        _error(
            errors,
            FORMAT,
            path,
            VALUE,
            f"`{format_path(path)}` is outside the int64 range, got `{_show(int(value))}`",
        )
        return

    if kind is not None:
        if not _type_ok(kind, value):
            _error(
                errors,
                TYPE,
                path,
                _container_target(value, path),
                f"`{format_path(path)}` must be of type `{kind}`, {_got(value)}",
            )
            return
    elif node.fmt == "quantity":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            _error(
                errors,
                TYPE,
                path,
                _container_target(value, path),
                f"`{format_path(path)}` must be a quantity (a number or a string such as "
                f"`500m` or `1Gi`), {_got(value)}",
            )
            return
    elif node.int_or_string and (
        isinstance(value, bool) or (not isinstance(value, (int, str)) and not _is_whole(value))
    ):
        _error(
            errors,
            TYPE,
            path,
            VALUE,
            f"`{format_path(path)}` must be an integer or a string, {_got(value)}",
        )
        return

    if isinstance(value, dict):
        _check_object(node, value, path, errors, partial)
    elif isinstance(value, list):
        _check_array(node, value, path, errors, partial)
    else:
        _check_scalar(node, value, path, errors)


def _beyond_int64(value: Any) -> bool:
    """A whole number (int, or float without fraction) that no int64 can hold."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not _INT64_MIN <= value <= _INT64_MAX
    if isinstance(value, float) and value.is_integer():
        return not _INT64_MIN <= value <= _INT64_MAX
    return False


def _container_target(value: Any, path: _Path) -> str:
    """A mapping or list of the wrong type is reported on its key: underlining a whole block
    is noisy, and the key line is where the reader looks for the field."""
    if isinstance(value, (dict, list)) and path and isinstance(path[-1], str):
        return KEY
    return VALUE


def _is_integer(value: Any) -> bool:
    return not isinstance(value, bool) and (isinstance(value, int) or _is_whole(value))


def _is_whole(value: Any) -> bool:
    return (
        isinstance(value, float)
        and value.is_integer()
        and -_JSON_INT_LIMIT <= value <= _JSON_INT_LIMIT
    )


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or _is_whole(value)
    if kind == "number":
        return isinstance(value, (int, float))
    return True  # an unknown type name in a schema is not the manifest's fault


def _check_object(
    node: _Node, value: dict[str, Any], path: _Path, errors: _Errors, partial: bool
) -> None:
    props = node.properties
    additional = node.additional
    special = node.special
    open_object = node.preserve or additional is True
    present = 0
    for key, sub in value.items():
        if sub is not None:
            present += 1
        if special is not None and key in special:
            path.append(key)
            special[key](sub, path, errors, partial)
            path.pop()
            continue
        child = props.get(key) if props is not None else None
        if child is None:
            if isinstance(additional, _Node):
                child = additional
            elif open_object:
                continue
            else:
                if not isinstance(key, str):
                    key = str(key)
                elif _is_directive(key) or is_unresolved(key):
                    continue
                path.append(key)
                _unknown(path, node.property_names, errors)
                path.pop()
                continue
        if sub is None and not child.nullable:
            continue  # pruned by the API server
        path.append(key)
        _check(child, sub, path, errors, partial)
        path.pop()

    if node.required and not partial:
        for name in node.required:
            if value.get(name) is None and not (
                name in value and props and name in props and props[name].nullable
            ):
                field = format_path([*path, name])
                _error(errors, REQUIRED, path, KEY, f"missing required field `{field}`")

    if node.min_properties is not None and present < node.min_properties:
        _error(
            errors,
            RANGE,
            path,
            VALUE,
            f"`{format_path(path)}` must have at least {node.min_properties} "
            f"field(s), got {present}",
        )
    if node.max_properties is not None and present > node.max_properties:
        _error(
            errors,
            RANGE,
            path,
            VALUE,
            f"`{format_path(path)}` must have at most {node.max_properties} "
            f"field(s), got {present}",
        )


def _check_array(
    node: _Node, value: list[Any], path: _Path, errors: _Errors, partial: bool
) -> None:
    items = node.items
    if items is not None:
        for index, item in enumerate(value):
            path.append(index)
            _check(items, item, path, errors, partial)
            path.pop()
    count = len(value)
    if node.min_items is not None and count < node.min_items:
        _error(
            errors,
            RANGE,
            path,
            VALUE,
            f"`{format_path(path)}` must have at least {node.min_items} item(s), got {count}",
        )
    if node.max_items is not None and count > node.max_items:
        _error(
            errors,
            RANGE,
            path,
            VALUE,
            f"`{format_path(path)}` must have at most {node.max_items} item(s), got {count}",
        )
    if node.list_type is not None and count > 1:
        _check_unique(node, value, path, errors)


def _check_unique(node: _Node, value: list[Any], path: _Path, errors: _Errors) -> None:
    """``x-kubernetes-list-type: set`` items must differ; ``map`` items must differ in their
    key fields (a missing key field takes its schema default, as the API server defaults it)."""
    seen: dict[Any, int] = {}
    keys = node.map_keys
    item_props = node.items.properties if node.items is not None else None
    for index, item in enumerate(value):
        if item is None or _contains_unresolved(item):
            continue
        if node.list_type == "map":
            if not isinstance(item, dict) or not keys:
                continue
            parts = []
            for k in keys:
                v = item.get(k)
                if v is None and item_props and k in item_props:
                    v = item_props[k].default
                parts.append(_hashable(v))
            ident: Any = tuple(parts)
        else:
            ident = _hashable(item)
        first = seen.setdefault(ident, index)
        if first == index:
            continue
        here = format_path([*path, index])
        there = format_path([*path, first])
        if node.list_type == "map":
            shown = ", ".join(f"{k}: {_show(item.get(k))}" for k in keys)
            message = f"`{here}` has the same key (`{shown}`) as `{there}`"
        else:
            message = f"`{here}` duplicates `{there}` (`{_show(item)}`)"
        path.append(index)
        _error(errors, DUPLICATE_ITEM, path, VALUE, message)
        path.pop()


def _check_scalar(node: _Node, value: Any, path: _Path, errors: _Errors) -> None:
    if node.enum is not None and _hashable(value) not in node.enum:
        _error(
            errors,
            ENUM,
            path,
            VALUE,
            f"`{format_path(path)}` must be one of {node.enum_text}, got `{_show(value)}`",
        )
        return
    if isinstance(value, str):
        if node.pattern is not None and not node.pattern.search(value):
            _error(
                errors,
                PATTERN,
                path,
                VALUE,
                f"`{format_path(path)}` must match `{node.pattern.pattern}`, got `{_show(value)}`",
            )
        length = len(value)
        if node.min_length is not None and length < node.min_length:
            _error(
                errors,
                RANGE,
                path,
                VALUE,
                f"`{format_path(path)}` must be at least {node.min_length} character(s) "
                f"long, got {length}",
            )
        if node.max_length is not None and length > node.max_length:
            _error(
                errors,
                RANGE,
                path,
                VALUE,
                f"`{format_path(path)}` must be at most {node.max_length} character(s) "
                f"long, got {length}",
            )
        if node.fmt == "quantity" and not is_quantity(value):
            _error(
                errors,
                FORMAT,
                path,
                VALUE,
                f"`{format_path(path)}` must be a quantity such as `500m`, `128Mi` or `1.5`, "
                f"got `{_show(value)}`",
            )
        elif node.fmt == "byte" and not is_base64(value):
            _error(
                errors,
                FORMAT,
                path,
                VALUE,
                f"`{format_path(path)}` must be base64-encoded, got `{_show(value)}`",
            )
        if node.fmt == "date-time" and not is_date_time(value):
            _error(
                errors,
                FORMAT,
                path,
                VALUE,
                f"`{format_path(path)}` must be an RFC 3339 date-time, got `{_show(value)}`",
            )
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if node.minimum is not None:
        low = node.minimum
        if value < low or (node.exclusive_minimum and value == low):
            word = "greater than" if node.exclusive_minimum else "at least"
            _error(
                errors,
                RANGE,
                path,
                VALUE,
                f"`{format_path(path)}` must be {word} `{_show(low)}`, got `{_show(value)}`",
            )
    if node.maximum is not None:
        high = node.maximum
        if value > high or (node.exclusive_maximum and value == high):
            word = "less than" if node.exclusive_maximum else "at most"
            _error(
                errors,
                RANGE,
                path,
                VALUE,
                f"`{format_path(path)}` must be {word} `{_show(high)}`, got `{_show(value)}`",
            )


# ---------------------------------------------------------------------------------------------
# ObjectMeta


#: Fields of ObjectMeta a manifest may carry; anything else is dropped by the API server.
OBJECT_META_FIELDS = (
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
)
_META_FIELD_SET = frozenset(OBJECT_META_FIELDS)

_DNS1123_LABEL = lazy(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = lazy(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = lazy(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = lazy(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_ANNOTATIONS_MAX_BYTES = 256 * 1024


def _subdomain_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 subdomain (names, label-key prefixes), or None."""
    if len(value) > 253:
        return f"must be at most 253 characters, got {len(value)}"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return (
            "must be a lowercase RFC 1123 subdomain (`a-z`, `0-9`, `-` and `.`, starting and "
            f"ending with a letter or digit), got `{_show(value)}`"
        )
    return None


def _label_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 label (namespaces), or None."""
    if len(value) > 63:
        return f"must be at most 63 characters, got {len(value)}"
    if not _DNS1123_LABEL.fullmatch(value):
        return (
            "must be a lowercase RFC 1123 label (`a-z`, `0-9` and `-`, starting and ending "
            f"with a letter or digit), got `{_show(value)}`"
        )
    return None


def qualified_name_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label or annotation key (``[prefix/]name``), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "has an empty prefix before `/`"
    if prefix:
        if "/" in prefix:
            return "may contain at most one `/`"
        problem = _subdomain_problem(prefix)
        if problem:
            return f"prefix {problem}"
    if not name:
        return "has an empty name"
    if len(name) > 63:
        return f"name part must be at most 63 characters, got {len(name)}"
    if not _QUALIFIED_NAME.fullmatch(name):
        return (
            "name part must consist of letters, digits, `-`, `_` or `.`, starting and ending "
            "with a letter or digit"
        )
    return None


def _meta_error(errors: _Errors, path: _Path, target: str, message: str) -> None:
    _error(errors, METADATA, path, target, message)


def _check_metadata(meta: Any, path: _Path, errors: _Errors, partial: bool) -> None:
    """ObjectMeta as the API server checks it for a custom resource."""
    if meta is None:
        meta = {}
    if isinstance(meta, str) and is_unresolved(meta):
        return
    if not isinstance(meta, dict):
        _error(errors, TYPE, path, VALUE, f"`metadata` must be of type `object`, {_got(meta)}")
        return
    for key, value in meta.items():
        if isinstance(key, str) and key not in _META_FIELD_SET and not _is_directive(key):
            if is_unresolved(key):
                continue
            path.append(key)
            _unknown(path, list(OBJECT_META_FIELDS), errors)
            path.pop()
            continue
        if value is None:
            continue
        path.append(key)
        if key in ("name", "generateName", "namespace"):
            _check_meta_name(key, value, path, errors, partial)
        elif key in ("labels", "annotations"):
            _check_meta_map(key, value, path, errors)
        elif key == "finalizers":
            _check_finalizers(value, path, errors)
        elif key in ("creationTimestamp", "deletionTimestamp"):
            _check_meta_time(key, value, path, errors)
        elif key in ("generation", "deletionGracePeriodSeconds"):
            if not _is_integer(value) and not is_unresolved(value):
                _meta_error(
                    errors, path, VALUE, f"`metadata.{key}` must be an integer, {_got(value)}"
                )
        elif key in ("uid", "resourceVersion", "selfLink"):
            if not isinstance(value, str):
                _meta_error(
                    errors, path, VALUE, f"`metadata.{key}` must be a string, {_got(value)}"
                )
        elif key in ("ownerReferences", "managedFields") and not isinstance(value, list):
            _meta_error(errors, path, VALUE, f"`metadata.{key}` must be a list, {_got(value)}")
        path.pop()

    name, generate = meta.get("name"), meta.get("generateName")
    if not partial and name in (None, "") and generate in (None, ""):
        _meta_error(errors, path, KEY, "missing required field `metadata.name`")


def _check_meta_name(key: str, value: Any, path: _Path, errors: _Errors, partial: bool) -> None:
    where = f"metadata.{key}"
    if not isinstance(value, str):
        _meta_error(errors, path, VALUE, f"`{where}` must be a string, {_got(value)}")
        return
    if is_unresolved(value) or (partial and key != "namespace"):
        # Patch files often carry placeholder names such as `_`: the patch target decides.
        return
    if value == "":
        return  # an empty name is the same as no name; reported as missing above
    if key == "namespace":
        problem = _label_problem(value)
    elif key == "generateName":
        problem = _subdomain_problem(value[:-1] if value.endswith("-") else value)
    else:
        problem = _subdomain_problem(value)
    if problem:
        _meta_error(errors, path, VALUE, f"`{where}` {problem}")


def _check_meta_map(key: str, value: Any, path: _Path, errors: _Errors) -> None:
    where = f"metadata.{key}"
    if not isinstance(value, dict):
        _meta_error(errors, path, VALUE, f"`{where}` must be a mapping, {_got(value)}")
        return
    singular = key[:-1]
    total = 0
    for k, v in value.items():
        path.append(k)
        if not isinstance(k, str):
            _meta_error(errors, path, KEY, f"{singular} key `{_show(k)}` must be a string")
        elif not is_unresolved(k):
            problem = qualified_name_problem(k)
            if problem:
                _meta_error(errors, path, KEY, f"{singular} key `{_show(k)}` {problem}")
        if v is not None and not isinstance(v, str):
            _meta_error(
                errors,
                path,
                VALUE,
                f"{singular} `{_show(k)}` value must be a string, {_got(v)}",
            )
        elif isinstance(v, str) and key == "labels" and not is_unresolved(v):
            if len(v) > 63:
                _meta_error(
                    errors,
                    path,
                    VALUE,
                    f"label `{_show(k)}` value must be at most 63 characters, got {len(v)}",
                )
            elif not _LABEL_VALUE.fullmatch(v):
                _meta_error(
                    errors,
                    path,
                    VALUE,
                    f"label `{_show(k)}` value `{_show(v)}` must be empty or consist of "
                    "letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
                )
        elif isinstance(v, str):
            total += len(str(k).encode("utf-8")) + len(v.encode("utf-8"))
        path.pop()
    if key == "annotations" and total > _ANNOTATIONS_MAX_BYTES:
        _meta_error(
            errors,
            path,
            VALUE,
            f"annotations must total at most {_ANNOTATIONS_MAX_BYTES} bytes, got {total}",
        )


def _check_meta_time(key: str, value: Any, path: _Path, errors: _Errors) -> None:
    """Timestamps are decoded into Go ``time.Time`` before anything else happens to the object,
    so a malformed one fails the request even though the server then overwrites the field."""
    if not isinstance(value, str):
        _meta_error(errors, path, VALUE, f"`metadata.{key}` must be a string, {_got(value)}")
    elif not is_unresolved(value) and not is_rfc3339(value):
        _error(
            errors,
            FORMAT,
            path,
            VALUE,
            f"`metadata.{key}` must be an RFC 3339 date-time, got `{_show(value)}`",
        )


def _check_finalizers(value: Any, path: _Path, errors: _Errors) -> None:
    if not isinstance(value, list):
        _meta_error(errors, path, VALUE, f"`metadata.finalizers` must be a list, {_got(value)}")
        return
    for index, item in enumerate(value):
        if not isinstance(item, str):
            path.append(index)
            _meta_error(
                errors,
                path,
                VALUE,
                f"`metadata.finalizers[{index}]` must be a string, {_got(item)}",
            )
            path.pop()
