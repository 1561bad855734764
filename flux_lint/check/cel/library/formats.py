"""The Kubernetes named formats library (from Kubernetes 1.31): ``format.named(name)`` and
``format.<name>()`` give a ``kubernetes.NamedFormat``, whose ``validate(text)`` is
``optional.none()`` when the text is valid and otherwise an optional list of the messages the
API server's validation functions give.

Typical use: ``!format.dns1123Label().validate(self.name).hasValue()`` as a rule and
``format.dns1123Label().validate(self.name).value().join('; ')`` as its message expression.
The validations are those of ``k8s.io/apimachinery`` (names, labels, qualified names) and of
kube-openapi's ``strfmt`` (``uri``, ``uuid``, ``byte``, ``date``, ``datetime``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from celpy import celtypes

from flux_lint.check.cel.library.optional import NONE, of
from flux_lint.check.cel.library.urls import URLError, request_uri
from flux_lint.check.cel.registry import EXTENSIONS, extension, is_string, no_overload
from flux_lint.check.cel.values import parse_date, parse_date_time


@dataclass(frozen=True)
class CelFormat:
    """A named format (``kubernetes.NamedFormat``)."""

    CEL_TYPE: ClassVar[str] = "kubernetes.NamedFormat"
    name: str
    check: Callable[[str], list[str]]


def _max_length(limit: int) -> str:
    return f"must be no more than {limit} characters"


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    """apimachinery's ``RegexError``."""
    if not examples:
        return f"{message} (regex used for validation is '{pattern}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{pattern}')"


_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = _LABEL + "(\\." + _LABEL + ")*"
_LABEL_1035 = "[a-z]([-a-z0-9]*[a-z0-9])?"
_KEY_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _KEY_NAME + ")?"
_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character"
)
_LABEL_1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character"
)
_KEY_MESSAGE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def dns1123_label(text: str) -> list[str]:
    errors = [_max_length(63)] if len(text) > 63 else []
    if not _matches(_LABEL, text):
        if _matches(_SUBDOMAIN, text):
            errors.append("must not contain dots")
        else:
            errors.append(_regex_error(_LABEL_MESSAGE, _LABEL, "my-name", "123-abc"))
    return errors


def dns1123_subdomain(text: str) -> list[str]:
    errors = [_max_length(253)] if len(text) > 253 else []
    if not _matches(_SUBDOMAIN, text):
        errors.append(_regex_error(_SUBDOMAIN_MESSAGE, _SUBDOMAIN, "example.com"))
    return errors


def dns1035_label(text: str) -> list[str]:
    errors = [_max_length(63)] if len(text) > 63 else []
    if not _matches(_LABEL_1035, text):
        errors.append(_regex_error(_LABEL_1035_MESSAGE, _LABEL_1035, "my-name", "abc-123"))
    return errors


def qualified_name(text: str) -> list[str]:
    """``IsQualifiedName``: a label key, ``[prefix/]name``."""
    parts = text.split("/")
    if len(parts) > 2:
        return [
            "a valid label key "
            + _regex_error(_KEY_MESSAGE, _KEY_NAME, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    errors: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + e for e in dns1123_subdomain(prefix))
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part " + _max_length(63))
    if not _matches(_KEY_NAME, name):
        errors.append(
            "name part " + _regex_error(_KEY_MESSAGE, _KEY_NAME, "MyName", "my.name", "123-abc")
        )
    return errors


def label_value(text: str) -> list[str]:
    errors = [_max_length(63)] if len(text) > 63 else []
    if not _matches(_LABEL_VALUE, text):
        errors.append(_regex_error(_VALUE_MESSAGE, _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errors


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """For names a suffix will be added to (``generateName``): a trailing dash is allowed.
    apimachinery's ``maskTrailingDash`` replaces the last two characters with ``a``."""

    def masked(text: str) -> list[str]:
        if len(text) > 1 and text.endswith("-"):
            text = text[:-2] + "a"
        return check(text)

    return masked


def uri(text: str) -> list[str]:
    try:
        request_uri(text)
    except URLError as exc:
        return [f'parse "{text}": {exc}']
    return []


_UUID = re.compile(
    r"(?i)(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)|(^[0-9a-f]{32}$)"
)


def uuid(text: str) -> list[str]:
    return [] if _UUID.search(text) else ["does not match the UUID format"]


def byte(text: str) -> list[str]:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ["invalid base64"]
    return []


def date(text: str) -> list[str]:
    return [] if parse_date(text) is not None else ["invalid date"]


def datetime_(text: str) -> list[str]:
    return [] if parse_date_time(text) is not None else ["invalid datetime"]


#: The formats by the name CEL uses, with the name the API server gives them.
FORMATS: dict[str, CelFormat] = {
    key: CelFormat(name, check)
    for key, name, check in (
        ("dns1123Label", "DNS1123Label", dns1123_label),
        ("dns1123Subdomain", "DNS1123Subdomain", dns1123_subdomain),
        ("dns1035Label", "DNS1035Label", dns1035_label),
        ("qualifiedName", "QualifiedName", qualified_name),
        ("dns1123LabelPrefix", "DNS1123LabelPrefix", _prefix(dns1123_label)),
        ("dns1123SubdomainPrefix", "DNS1123SubdomainPrefix", _prefix(dns1123_subdomain)),
        ("dns1035LabelPrefix", "DNS1035LabelPrefix", _prefix(dns1035_label)),
        ("labelValue", "LabelValue", label_value),
        ("uri", "URI", uri),
        ("uuid", "uuid", uuid),
        ("byte", "byte", byte),
        ("date", "date", date),
        ("datetime", "datetime", datetime_),
    )
}


def _constant(value: CelFormat) -> Callable[[], CelFormat]:
    def get() -> CelFormat:
        return value

    return get


for _key, _format in FORMATS.items():
    EXTENSIONS[f"format.{_key}"] = _constant(_format)


@extension("format.named")
def named(name: Any) -> Any:
    """``format.named('dns1123Label')``: the format, as an optional (none for an unknown
    name)."""
    if not is_string(name):
        return no_overload("format.named", name)
    found = FORMATS.get(str(name))
    return NONE if found is None else of(found)


@extension("validate")
def validate(value: Any, text: Any) -> Any:
    """``format.dns1123Label().validate('x')``: none when valid, else the messages."""
    if not isinstance(value, CelFormat) or not is_string(text):
        return no_overload("validate", value, text)
    errors = value.check(str(text))
    if not errors:
        return NONE
    return of(celtypes.ListType(celtypes.StringType(e) for e in errors))
