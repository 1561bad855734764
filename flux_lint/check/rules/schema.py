"""FL101–FL109: a Flux object against the structural schema of its CRD version.

One validator pass yields every schema problem of the object; each problem's code selects the
rule it is reported under, so users can enable, suppress or re-grade the kinds of schema
problems one by one while the object is walked only once.

Objects whose API version is not served by the target Flux release are skipped here: the API
lifecycle rules report those, and validating against a schema the cluster does not have would
only add noise.

Two enums are extended in real clusters: the kinds an Alert listens to and a Receiver triggers.
Flux documents patching these CRDs so that third-party controllers (tf-controller's
`Terraform`) can take part, and flux-operator patches them itself to add its own kinds
(`FluxInstance`, `ResourceSet`). There, a kind that is not in the upstream enum is only reported
when it looks like a misspelling of one that is (`Kustomizaton`, `gitrepository`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.deployed import required_as_deployed
from flux_lint.check.registry import check
from flux_lint.check.rules.kubernetes import builtin_problems, is_builtin
from flux_lint.check.schema.validate import SchemaError
from flux_lint.core.findings import Problem, pointer_tokens
from flux_lint.core.regex import lazy
from flux_lint.model.objects import K8sObject

#: Validator code → rule id.
RULE_BY_CODE: dict[str, str] = {
    "unknown-field": "FL101",
    "type": "FL102",
    "enum": "FL103",
    "pattern": "FL104",
    "required": "FL105",
    "range": "FL106",
    "format": "FL107",
    "metadata": "FL108",
    "duplicate-item": "FL109",
}


#: (group, kind) → pointers of enums that clusters commonly extend with their own kinds.
EXTENSIBLE_KIND_ENUMS: dict[tuple[str, str], re.Pattern[str]] = {
    ("notification.toolkit.fluxcd.io", "Alert"): re.compile(r"/spec/eventSources/[0-9]+/kind"),
    ("notification.toolkit.fluxcd.io", "Receiver"): re.compile(r"/spec/resources/[0-9]+/kind"),
}
_KIND_NAME = lazy(r"[A-Z][A-Za-z0-9]*")


def _resolve(data: Any, pointer: str) -> Any:
    for token in pointer_tokens(pointer):
        if isinstance(data, dict):
            data = data.get(token)
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    return data


def _schema_at(schema: dict[str, Any], pointer: str) -> dict[str, Any]:
    for token in pointer_tokens(pointer):
        if token.isdigit() and "items" in schema:
            schema = schema["items"]
        else:
            schema = (schema.get("properties") or {}).get(token) or {}
    return schema


def _third_party_kind(obj: K8sObject, schema: dict[str, Any], error: SchemaError) -> bool:
    """True when an enum error is a well-formed kind in an enum that clusters extend, and not
    a near miss of one of the upstream kinds."""
    pattern = EXTENSIBLE_KIND_ENUMS.get((obj.group, obj.kind))
    if pattern is None or error.code != "enum" or not pattern.fullmatch(error.pointer):
        return False
    import difflib  # only for an enum error: most runs never need it

    value = _resolve(obj.data, error.pointer)
    if not isinstance(value, str) or not _KIND_NAME.fullmatch(value):
        return False
    allowed = [v for v in _schema_at(schema, error.pointer).get("enum") or [] if isinstance(v, str)]
    lowered = [a.lower() for a in allowed]
    near = value.lower() in lowered or difflib.get_close_matches(
        value.lower(), lowered, n=1, cutoff=0.8
    )
    return not near


def problems_from_errors(errors: list[SchemaError]) -> Iterator[Problem]:
    """Turn validator errors into problems carrying their rule id."""
    for error in errors:
        yield Problem(
            message=error.message,
            pointer=error.pointer,
            target=error.target,
            rule_id=RULE_BY_CODE[error.code],
        )


@check(*sorted(RULE_BY_CODE.values()), "FL110")
def check_schema(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Validate a Flux object against its CRD version in the target Flux release, and a
    built-in Kubernetes object against the target Kubernetes release (FL110 when that release
    does not serve its apiVersion and kind)."""
    if not obj.is_flux:
        if is_builtin(obj):
            yield from builtin_problems(obj, ctx, RULE_BY_CODE)
        return
    bundle = ctx.bundle
    entry = bundle.lookup(obj.group, obj.version, obj.kind)
    if entry is None:
        return
    validator = bundle.validator(entry)
    errors = validator.validate(obj.data, partial=obj.partial)
    errors = required_as_deployed(obj, ctx, validator, errors)
    if (obj.group, obj.kind) in EXTENSIBLE_KIND_ENUMS:
        errors = [e for e in errors if not _third_party_kind(obj, entry.schema, e)]
    yield from problems_from_errors(errors)
