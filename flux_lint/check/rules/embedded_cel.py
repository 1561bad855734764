"""FL202, FL203: the CEL programs that Flux controllers run, compiled before they reach a cluster.

Several Flux fields hold CEL source that no API server ever looks at: the controllers compile it
when they reconcile the object, and a typo only shows up as a stalled object (an invalid
``readyExpr`` is a terminal error, an invalid Receiver filter marks the Receiver failed, a broken
health check expression waits for the timeout). These checks compile every such string with
:mod:`flux_lint.check.cel` and report

* **FL202** when it does not compile: a syntax error, an unknown function, a misused macro;
* **FL203** when it reads a variable the controller does not declare for that field.

Which variables each field gets comes from the controllers' own code (``fluxcd/pkg``
``runtime/cel`` and ``runtime/dependency``, notification-controller's Receiver and OIDC code)
and the CRD field descriptions:

=====================================================  =========================================
field                                                  variables
=====================================================  =========================================
Kustomization, HelmRelease ``healthCheckExprs[]``      none declared: the expression is only
``.current``, ``.failed``, ``.inProgress``             parsed, and the object's own top-level
                                                       fields (``status``, ``metadata`` ...) are
                                                       the variables
Kustomization, HelmRelease ``dependsOn[].readyExpr``   ``self``, ``dep``
Provider ``commitStatusExpr``                          ``event``, ``provider``, ``alert``
Receiver ``resourceFilter``, ``resources[].filter``    ``res``, ``req`` (and ``claims`` when
                                                       ``type`` is ``generic-oidc``)
Receiver ``oidcProviders[].validations[].expression``  ``claims``, ``vars``
and ``oidcProviders[].variables[].expression``
=====================================================  =========================================

Health check expressions have no declared variables, so any name could be a field of some
custom resource; the one name that cannot is ``self``, which people carry over from CRD
validation rules. It is reported as FL203 because the controller fails on it at evaluation.

Positions: a finding points at the expression's value and says where inside it the problem is
(``column 14 of the expression``), because a finding's span can only be a whole YAML node today.

The optional-value syntax of cel-go (``status.?conditions``, ``m[?'k']``, ``[?x]``,
``{?'k': v}``), which Flux enables, is read by the compiler (check/cel/compiler.py) without
moving any character, so the positions it reports are those of the original text.
Expressions holding a ``${...}`` placeholder are skipped: their text is only final after
post-build substitution.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flux_lint.check.cel.errors import CelCompileError
from flux_lint.check.context import CheckContext
from flux_lint.check.registry import check
from flux_lint.check.schema.validate import format_path
from flux_lint.core.findings import VALUE, Problem, pointer_join, pointer_tokens
from flux_lint.model.objects import K8sObject

__all__ = ["Site", "expression_sites"]

KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
NOTIFICATION_GROUP = "notification.toolkit.fluxcd.io"

#: The kinds whose controllers run ``readyExpr`` and ``healthCheckExprs``.
_APPLIERS = frozenset({(KUSTOMIZE_GROUP, "Kustomization"), (HELM_GROUP, "HelmRelease")})
HEALTH_CHECK_FIELDS = ("current", "failed", "inProgress")
READY_EXPR_VARIABLES = frozenset({"self", "dep"})
COMMIT_STATUS_VARIABLES = frozenset({"event", "provider", "alert"})
FILTER_VARIABLES = frozenset({"res", "req"})
OIDC_FILTER_VARIABLES = FILTER_VARIABLES | {"claims"}
OIDC_VARIABLES = frozenset({"claims", "vars"})
#: Names a health check expression cannot mean as a field of the checked object.
HEALTH_CHECK_FORBIDDEN = frozenset({"self"})

_UNDECLARED = re.compile(r"^undeclared reference to `(?P<name>[^`]+)`$")


@dataclass(frozen=True)
class Site:
    """One CEL string of a Flux object and the environment its controller compiles it in.

    ``variables`` is None when the controller declares none (the expression is only parsed);
    ``forbidden`` lists names that are reported even then.
    """

    pointer: str
    source: str
    variables: frozenset[str] | None
    forbidden: frozenset[str] = frozenset()

    @property
    def field(self) -> str:
        """The field as a reader writes it: ``spec.dependsOn[0].readyExpr``."""
        tokens: list[str | int] = [
            int(t) if t.isdigit() else t for t in pointer_tokens(self.pointer)
        ]
        return format_path(tokens)


def _items(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _site(
    pointer: str,
    value: Any,
    variables: frozenset[str] | None,
    forbidden: frozenset[str] = frozenset(),
) -> Iterator[Site]:
    """A site for a non-empty string; other values are the schema rules' business (an empty
    string means "not set" to every controller that reads these fields)."""
    if isinstance(value, str) and value.strip():
        yield Site(pointer, value, variables, forbidden)


def expression_sites(obj: K8sObject) -> Iterator[Site]:
    """Every CEL string in ``obj`` that a Flux controller compiles, in document order."""
    spec = obj.spec
    if (obj.group, obj.kind) in _APPLIERS:
        for index, dep in _items(spec.get("dependsOn")):
            yield from _site(
                pointer_join("/spec/dependsOn", index, "readyExpr"),
                dep.get("readyExpr"),
                READY_EXPR_VARIABLES,
            )
        for index, expr in _items(spec.get("healthCheckExprs")):
            for name in HEALTH_CHECK_FIELDS:
                yield from _site(
                    pointer_join("/spec/healthCheckExprs", index, name),
                    expr.get(name),
                    None,
                    HEALTH_CHECK_FORBIDDEN,
                )
    elif obj.group != NOTIFICATION_GROUP:
        return
    elif obj.kind == "Provider":
        yield from _site(
            "/spec/commitStatusExpr", spec.get("commitStatusExpr"), COMMIT_STATUS_VARIABLES
        )
    elif obj.kind == "Receiver":
        filters = OIDC_FILTER_VARIABLES if spec.get("type") == "generic-oidc" else FILTER_VARIABLES
        yield from _site("/spec/resourceFilter", spec.get("resourceFilter"), filters)
        for index, resource in _items(spec.get("resources")):
            yield from _site(
                pointer_join("/spec/resources", index, "filter"), resource.get("filter"), filters
            )
        for index, provider in _items(spec.get("oidcProviders")):
            for group in ("validations", "variables"):
                for item, entry in _items(provider.get(group)):
                    yield from _site(
                        pointer_join("/spec/oidcProviders", index, group, item, "expression"),
                        entry.get("expression"),
                        OIDC_VARIABLES,
                    )


# --------------------------------------------------------------------------------------------
# The check


def _where(source: str, line: int, column: int) -> str:
    """``column 14 of the expression``, or ``line 2, column 5 of the expression`` for an
    expression written on several lines."""
    if len(source.rstrip("\n").splitlines()) > 1:
        return f"line {line}, column {column} of the expression"
    return f"column {column} of the expression"


def _names(variables: frozenset[str]) -> str:
    ordered = sorted(variables)
    shown = [f"`{name}`" for name in ordered]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def check_site(site: Site) -> Problem | None:
    """The first problem of one expression: a compile error (FL202), else an undeclared
    variable (FL203), else None."""
    if "${" in site.source:
        return None
    # Loaded here, not with the module: cel-python takes a noticeable part of a second to
    # import, and most runs (one small file from a hook) hold no CEL expression at all.
    from flux_lint.check.cel import compile_expression

    text = site.source
    try:
        program = compile_expression(text)
    except CelCompileError as exc:
        return Problem(
            f"`{site.field}` is not valid CEL: {exc.reason} "
            f"({_where(site.source, exc.line, exc.column)})",
            pointer=site.pointer,
            target=VALUE,
            rule_id="FL202",
            offset=(exc.line, exc.column),
        )
    if site.variables is not None:
        allowed = site.variables
    elif program.variables & site.forbidden:
        allowed = program.variables - site.forbidden
    else:
        return None
    try:
        compile_expression(text, allowed)
    except CelCompileError as exc:
        match = _UNDECLARED.match(exc.reason)
        where = _where(site.source, exc.line, exc.column)
        if match is None:  # not expected: the expression compiled without the declarations
            return Problem(
                f"`{site.field}` is not valid CEL: {exc.reason} ({where})",
                pointer=site.pointer,
                target=VALUE,
                rule_id="FL202",
                offset=(exc.line, exc.column),
            )
        name = match.group("name")
        if site.variables is None:
            message = (
                f"`{name}` is not defined in `{site.field}`: a health check expression reads "
                f"the object's fields directly (`status`, not `{name}.status`) ({where})"
            )
        else:
            message = (
                f"`{name}` is not defined in `{site.field}`, which can use "
                f"{_names(site.variables)} ({where})"
            )
        return Problem(
            message,
            pointer=site.pointer,
            target=VALUE,
            rule_id="FL203",
            offset=(exc.line, exc.column),
        )
    return None


@check("FL202", "FL203")
def embedded_cel(obj: K8sObject, ctx: CheckContext) -> Iterator[Problem]:
    """Compile the CEL strings of Flux objects the way their controllers will."""
    for site in expression_sites(obj):
        problem = check_site(site)
        if problem is not None:
            yield problem
