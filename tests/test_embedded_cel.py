"""FL202/FL203: which strings are compiled, with which variables, and what the findings say."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flux_lint.check.cel.compiler import mask_optional_syntax
from flux_lint.check.engine import Linter, RunConfig
from flux_lint.check.rules.embedded_cel import Site, check_site, expression_sites
from flux_lint.model.objects import K8sObject


def _obj(api_version: str, kind: str, spec: dict[str, Any]) -> K8sObject:
    data = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": spec}
    return K8sObject("x.yaml", 0, data, api_version, kind)


# --------------------------------------------------------------------------------------------
# Optional syntax


@pytest.mark.parametrize(
    ("source", "masked"),
    [
        ("a.?b", "a. b"),
        ("a . ?b", "a .  b"),
        ("m[?'k']", "m[ 'k']"),
        ("[?x, ?y]", "[ x,  y]"),
        ("{?'k': v}", "{ 'k': v}"),
        ("a.?b.or(c.?d)", "a. b.or(c. d)"),
        ("a.order(b) || a.or", "a.order(b) || a.or"),
        ("x ? y : z", "x ? y : z"),
        ("'a.?b' + \"[?\"", "'a.?b' + \"[?\""),
        ("r'\\' == x.?y", "r'\\' == x. y"),
        ("'''.?\n[?''' + a.?b", "'''.?\n[?''' + a. b"),
        ("'it\\'s .?' + a.?b", "'it\\'s .?' + a. b"),
        ("a // .?b\n.?c", "a // .?b\n. c"),
        ("'unterminated .?", "'unterminated .?"),
    ],
)
def test_mask_optional_syntax(source: str, masked: str):
    assert mask_optional_syntax(source)[0] == masked


@given(st.text(alphabet="ab.?[{,' \"/\\\nor()r", max_size=40))
def test_masking_keeps_every_position(source: str):
    masked, _ = mask_optional_syntax(source)
    assert len(masked) == len(source)
    for before, after in zip(source, masked, strict=True):
        assert before == after or (before, after) == ("?", " ")


# --------------------------------------------------------------------------------------------
# Sites


def test_sites_of_kustomization_and_helmrelease():
    spec = {
        "dependsOn": [{"name": "a", "readyExpr": "dep.x"}, {"name": "b"}, "odd"],
        "healthCheckExprs": [{"apiVersion": "v1", "current": "c", "failed": "", "inProgress": 1}],
    }
    for api_version, kind in (
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ):
        sites = list(expression_sites(_obj(api_version, kind, spec)))
        assert sites == [
            Site("/spec/dependsOn/0/readyExpr", "dep.x", frozenset({"self", "dep"})),
            Site("/spec/healthCheckExprs/0/current", "c", None, frozenset({"self"})),
        ]
        assert [s.field for s in sites] == [
            "spec.dependsOn[0].readyExpr",
            "spec.healthCheckExprs[0].current",
        ]


def test_sites_of_notification_kinds():
    provider = _obj(
        "notification.toolkit.fluxcd.io/v1beta3", "Provider", {"commitStatusExpr": "event.x"}
    )
    assert list(expression_sites(provider)) == [
        Site("/spec/commitStatusExpr", "event.x", frozenset({"event", "provider", "alert"}))
    ]
    receiver_spec = {
        "type": "generic-oidc",
        "resourceFilter": "f0",
        "resources": [{"filter": "f1"}, {}],
        "oidcProviders": [
            {"validations": [{"expression": "v0"}], "variables": [{"name": "n", "expression": "x"}]}
        ],
    }
    receiver = _obj("notification.toolkit.fluxcd.io/v1", "Receiver", receiver_spec)
    oidc = frozenset({"res", "req", "claims"})
    claims = frozenset({"claims", "vars"})
    assert list(expression_sites(receiver)) == [
        Site("/spec/resourceFilter", "f0", oidc),
        Site("/spec/resources/0/filter", "f1", oidc),
        Site("/spec/oidcProviders/0/validations/0/expression", "v0", claims),
        Site("/spec/oidcProviders/0/variables/0/expression", "x", claims),
    ]
    receiver_spec["type"] = "github"
    assert {s.variables for s in expression_sites(receiver)} == {
        frozenset({"res", "req"}),
        claims,
    }


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        ("helm.toolkit.fluxcd.io/v2", "Kustomization"),
        ("example.com/v1", "Provider"),
        ("notification.toolkit.fluxcd.io/v1beta3", "Alert"),
    ],
)
def test_other_kinds_have_no_sites(api_version: str, kind: str):
    spec = {"dependsOn": [{"readyExpr": "("}], "commitStatusExpr": "(", "resourceFilter": "("}
    assert list(expression_sites(_obj(api_version, kind, spec))) == []


# --------------------------------------------------------------------------------------------
# Messages


def _site(source: str, variables: frozenset[str] | None = frozenset({"self", "dep"})) -> Site:
    return Site("/spec/dependsOn/0/readyExpr", source, variables)


def test_syntax_error_message_and_rule():
    problem = check_site(_site("dep.status.ready =="))
    assert problem is not None
    assert problem.rule_id == "FL202"
    assert problem.pointer == "/spec/dependsOn/0/readyExpr"
    assert problem.message == (
        "`spec.dependsOn[0].readyExpr` is not valid CEL: unexpected end of expression "
        "(column 20 of the expression)"
    )


def test_multi_line_expression_gives_line_and_column():
    problem = check_site(_site("dep.a == 1 &&\n  self.b == 2 &&\n  dpe.c\n"))
    assert problem is not None
    assert problem.rule_id == "FL203"
    assert problem.message == (
        "`dpe` is not defined in `spec.dependsOn[0].readyExpr`, which can use `dep` and `self` "
        "(line 3, column 3 of the expression)"
    )


def test_undeclared_variable_after_a_valid_compile():
    site = Site("/spec/commitStatusExpr", "event.a + evnt.b", frozenset({"event", "alert"}))
    problem = check_site(site)
    assert problem is not None
    assert problem.rule_id == "FL203"
    assert problem.message == (
        "`evnt` is not defined in `spec.commitStatusExpr`, which can use `alert` and `event` "
        "(column 11 of the expression)"
    )


def test_syntax_is_reported_before_variables():
    problem = check_site(_site("slef.a ==", frozenset({"self"})))
    assert problem is not None and problem.rule_id == "FL202"


def test_health_checks_accept_any_field_but_self():
    fields = Site("/spec/healthCheckExprs/0/current", "phase == 'x' && spec.a", None, {"self"})
    assert check_site(fields) is None
    self_site = Site("/spec/healthCheckExprs/0/current", "x.y && self.z", None, {"self"})
    problem = check_site(self_site)
    assert problem is not None and problem.rule_id == "FL203"
    assert problem.message.endswith("(column 8 of the expression)")


@pytest.mark.parametrize(
    "source",
    [
        "dep.status.?conditions.orValue([]).exists(c, c.type == 'Ready')",
        "dep.metadata[?'labels'].hasValue() && optional.of(self).hasValue()",
        "dep.a.?b.or(self.a.?b).value() == 1",
        "has(dep.status) ? dep.status.x == 'a?b' : false",
        "dep.x == '${VAR'",
        "// comment\ndep.x",
    ],
)
def test_valid_expressions(source: str):
    assert check_site(_site(source)) is None


# --------------------------------------------------------------------------------------------
# Through the engine: where the finding is


def test_finding_position_is_the_character_inside_the_expression():
    text = (
        "apiVersion: notification.toolkit.fluxcd.io/v1\n"
        "kind: Receiver\n"
        "metadata:\n"
        "  name: r\n"
        "spec:\n"
        "  type: generic\n"
        "  secretRef:\n"
        "    name: token\n"
        "  resources:\n"
        "    - kind: GitRepository\n"
        "      name: app\n"
        '      filter: "res.metadata.name == obj.name"\n'
    )
    linter = Linter(RunConfig(enabled={"FL202", "FL203"}))
    findings = linter.lint_text("r.yaml", text).findings
    assert [(f.rule_id, f.line, f.column, f.pointer) for f in findings] == [
        ("FL203", 12, 37, "/spec/resources/0/filter")
    ]
    assert (findings[0].span.end_line, findings[0].span.end_column) == (12, 38)
    assert findings[0].message == (
        "`obj` is not defined in `spec.resources[0].filter`, which can use `req` and `res` "
        "(column 22 of the expression)"
    )
