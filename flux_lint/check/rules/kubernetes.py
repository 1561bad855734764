"""Built-in Kubernetes objects (Deployments, Services, RBAC...) against the schemas of the
target Kubernetes release (``--kubernetes-version``), through the same structural validator and
the same FL101–FL109 rules as Flux objects, plus FL110 for kinds and versions the release does
not serve.

What differs from a Flux object, and why:

* An unknown field is not an apply error: kustomize-controller converts every built-in object
  to its Go type before the server-side apply (``ssa/normalize``), and that conversion drops
  fields the type does not have. The setting silently never takes effect, which is worse than a
  failed apply, so FL101 says so. Role and ClusterRole are not converted (they go to the API
  server as written), nor are CustomResourceDefinitions: there the apply fails instead.
* Names follow the kind's own rule: RBAC names are path segments (``system:auth-delegator``),
  a Namespace is an RFC 1123 label, a Service an RFC 1035 label; everything else an RFC 1123
  subdomain (checked by the shared metadata check).
* ``apiVersion``s that the table of removed Kubernetes APIs knows are reported by FL310/FL311
  (:mod:`flux_lint.check.rules.kubernetes_apis`) and not validated here.
"""

from __future__ import annotations

from collections.abc import Iterator

from flux_lint.check.context import CheckContext
from flux_lint.check.schema.kubernetes import (
    format_version,
    is_builtin_group,
    is_list_kind,
    served_from,
)
from flux_lint.check.schema.validate import FORMAT, METADATA, TYPE, UNKNOWN_FIELD, SchemaError
from flux_lint.core.findings import VALUE, Problem, Severity, pointer_tokens
from flux_lint.core.messages import show
from flux_lint.core.placeholders import is_unresolved
from flux_lint.core.regex import lazy
from flux_lint.model.objects import K8sObject

UNSERVED = "FL110"

#: Kinds kustomize-controller sends to the API server without converting them to Go types.
NOT_NORMALIZED = frozenset(
    {
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
    }
)
RBAC_GROUP = "rbac.authorization.k8s.io"

_DNS1123_LABEL = lazy(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = lazy(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_LABEL_TEXT = (
    "a lowercase RFC 1123 label (`a-z`, `0-9` and `-`, starting and ending with a letter or digit)"
)
_DNS1035_TEXT = (
    "a lowercase RFC 1035 label (`a-z`, `0-9` and `-`, starting with a letter and ending "
    "with a letter or digit)"
)


def is_builtin(obj: K8sObject) -> bool:
    """Whether ``obj`` belongs to a built-in API group. The core group has only ever served
    ``v1``: a group-less ``v1alpha1`` is some tool's own file format (Talos machine
    configuration), not a Kubernetes object; neither is a kubeconfig (``v1`` ``Config``)."""
    if obj.group == "" and (obj.version != "v1" or obj.kind == "Config"):
        return False  # `v1 Config` is a kubeconfig file, not an object
    return is_builtin_group(obj.group) and not is_list_kind(obj.kind)


def _is_template(value: object) -> bool:
    """A Go template expression (``"{{ .Values.replicas }}"``): a Helm chart's template or a
    file some other tool renders, whose final value is not known here."""
    return isinstance(value, str) and "{{" in value and "}}" in value


def _value_at(data: object, pointer: str) -> object:
    for token in pointer_tokens(pointer):
        if isinstance(data, dict):
            data = data.get(token)
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    return data


def _name_problem(obj: K8sObject, name: str) -> str | None:
    """The kind-specific naming rule, for kinds whose rule is not a DNS subdomain."""
    if obj.group == RBAC_GROUP:
        if name in (".", "..") or "/" in name or "%" in name:
            return (
                f"`metadata.name` must not be `.` or `..` nor contain `/` or `%`, "
                f"got `{show(name)}`"
            )
        return None
    if obj.group == "" and obj.kind == "Namespace":
        if obj.extra.get("kustomize_namespace"):
            return None  # the including kustomization's `namespace:` replaces it
        pattern, what = _DNS1123_LABEL, _LABEL_TEXT
    elif obj.group == "" and obj.kind == "Service":
        pattern, what = _DNS1035_LABEL, _DNS1035_TEXT
    else:
        return None
    if len(name) > 63:
        return f"`metadata.name` of a {obj.kind} must be at most 63 characters, got {len(name)}"
    if not pattern.fullmatch(name):
        return f"`metadata.name` of a {obj.kind} must be {what}, got `{show(name)}`"
    return None


def _own_name_rule(obj: K8sObject) -> bool:
    if obj.kind == "Namespace" and obj.extra.get("kustomize_namespace"):
        return True  # renamed by kustomize: `_own_name_check` skips it
    return obj.group == RBAC_GROUP or (obj.group == "" and obj.kind in ("Namespace", "Service"))


def builtin_problems(
    obj: K8sObject, ctx: CheckContext, rule_by_code: dict[str, str]
) -> Iterator[Problem]:
    """FL101–FL109 and FL110 for one built-in object."""
    schemas = ctx.kubernetes
    validator = schemas.validator(obj.api_version, obj.kind)
    if validator is None:
        yield from _unserved(obj, ctx)
        return
    from flux_lint.check.deployed import required_as_deployed

    errors: list[SchemaError] = validator.validate(obj.data, partial=obj.partial)
    errors = required_as_deployed(obj, ctx, validator, errors)
    own_name = _own_name_rule(obj)
    normalized = (obj.group, obj.kind) not in NOT_NORMALIZED
    for error in errors:
        message = error.message
        if own_name and error.code == METADATA and error.pointer == "/metadata/name":
            continue  # replaced by the kind's own rule below
        if error.code in (TYPE, FORMAT) and _is_template(_value_at(obj.data, error.pointer)):
            continue
        if error.code == UNKNOWN_FIELD and not error.pointer.startswith("/metadata/"):
            if normalized:
                message += " (Flux drops unknown fields of built-in kinds silently when applying)"
            else:
                message += " (the API server rejects unknown fields of this kind on apply)"
        yield Problem(message, error.pointer, error.target, rule_id=rule_by_code[error.code])
    name = obj.metadata.get("name")
    if own_name and isinstance(name, str) and name and not obj.partial and not is_unresolved(name):
        problem = _name_problem(obj, name)
        if problem:
            yield Problem(problem, "/metadata/name", VALUE, rule_id=rule_by_code[METADATA])


def _unserved(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """FL110: the release serves no such apiVersion/kind (and the removed-API table does not
    know it either, or FL310/FL311 would say more)."""
    from flux_lint.check.rules.kubernetes_apis import table_row

    if table_row(obj.group, obj.version, obj.kind) is not None:
        return
    schemas = ctx.kubernetes
    release = format_version(ctx.kubernetes_version)
    later = served_from(obj.api_version, obj.kind, ctx.kubernetes_version)
    if later is not None:
        # Not an error of the manifest but a choice of cluster: a warning that names the
        # option to raise the target.
        message = (
            f"{obj.kind} `{obj.api_version}` is served from Kubernetes {format_version(later)} "
            f"on, not by {release} (raise `--kubernetes-version` if every cluster runs "
            f"{format_version(later)} or newer)"
        )
        yield Problem(message, "/apiVersion", VALUE, rule_id=UNSERVED, severity=Severity.WARNING)
        return
    versions = schemas.api_versions_of(obj.kind)
    in_group = [v for v in versions if v.rpartition("/")[0] == obj.group]
    if versions:
        best = (in_group or versions)[0]
        message = (
            f"{obj.kind} `{obj.api_version}` is not served by Kubernetes {release}; "
            f"did you mean `{best}`?"
        )
        yield Problem(message, "/apiVersion", VALUE, rule_id=UNSERVED)
        return
    closest = schemas.closest_kind(obj.group, obj.kind)
    group = f"`{obj.group}`" if obj.group else "the core group (`v1`)"
    message = f"Kubernetes {release} has no kind `{obj.kind}` in {group}"
    if closest:
        served = schemas.api_versions_of(closest)
        where = f" in `{served[0]}`" if served and served[0] != obj.api_version else ""
        message += f"; did you mean `{closest}`{where}?"
    yield Problem(message, "/kind", VALUE, rule_id=UNSERVED)
