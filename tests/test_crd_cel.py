"""FL201: the CRDs' CEL rules on fixture manifests, defaulting, and the cluster's edge cases."""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from flux_lint.check import cel
from flux_lint.check.context import CheckContext
from flux_lint.check.rules import crd_cel
from flux_lint.check.rules.crd_cel import crd_validation_rules, rule_sites, validate
from flux_lint.check.schema.defaults import apply_defaults, prune_nulls
from flux_lint.check.schema.store import Bundle
from flux_lint.core.findings import KEY
from flux_lint.model.objects import K8sObject

FIXTURES = Path(__file__).parent / "fixtures" / "rules" / "FL201"
CRDS = Path(__file__).resolve().parents[2] / "shared" / "flux-crds" / "v2.9.4"
EXPECT = re.compile(r'#\s*expect:\s*FL201(?:\s+"(?P<fragment>[^"]*)")?\s*$')

KUBECONFIG = (
    "exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified"
)

#: Every finding each fail fixture must give: (document, pointer, exact message).
EXPECTED: dict[str, list[tuple[int, str, str]]] = {
    "fail-helmrelease-chart-or-chartref.yaml": [
        (0, "/spec", "either chart or chartRef must be set"),
        (1, "/spec", "either chart or chartRef must be set"),
    ],
    "fail-helmrelease-install-retry-interval.yaml": [
        (
            0,
            "/spec/install/strategy",
            ".retryInterval cannot be set when .name is 'RemediateOnFailure'",
        )
    ],
    "fail-helmrelease-upgrade-retry-interval.yaml": [
        (
            0,
            "/spec/upgrade/strategy",
            ".retryInterval can only be set when .name is 'RetryOnFailure'",
        )
    ],
    "fail-helmrelease-kubeconfig-missing-ref.yaml": [(0, "/spec/kubeConfig", KUBECONFIG)],
    "fail-helmrelease-kubeconfig-both-refs.yaml": [(0, "/spec/kubeConfig", KUBECONFIG)],
    "fail-kustomization-kubeconfig-missing-ref.yaml": [(0, "/spec/kubeConfig", KUBECONFIG)],
    "fail-kustomization-kubeconfig-both-refs.yaml": [(0, "/spec/kubeConfig", KUBECONFIG)],
    "fail-imagepolicy-interval-requires-always.yaml": [
        (
            0,
            "/spec",
            "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
        ),
        (
            1,
            "/spec",
            "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
        ),
    ],
    "fail-imagepolicy-always-requires-interval.yaml": [
        (
            0,
            "/spec",
            "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'",
        )
    ],
    "fail-provider-commit-status-expr.yaml": [
        (
            0,
            "/spec",
            "spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', "
            "'bitbucketserver', 'bitbucket', 'azuredevops' provider types",
        )
    ],
    "fail-receiver-oidc-requires-providers.yaml": [
        (0, "/spec", "generic-oidc receivers must define at least one oidcProvider"),
        (1, "/spec", "generic-oidc receivers must define at least one oidcProvider"),
    ],
    "fail-receiver-providers-require-oidc.yaml": [
        (0, "/spec", "oidcProviders can only be set when type is generic-oidc")
    ],
    "fail-receiver-oidc-forbids-secretref.yaml": [
        (0, "/spec", "secretRef cannot be set when type is generic-oidc")
    ],
    "fail-receiver-secretref-required.yaml": [
        (0, "/spec", "secretRef is required when type is not generic-oidc")
    ],
    "fail-artifactgenerator-artifact-names.yaml": [
        (
            0,
            "/spec",
            "artifact names must be valid Kubernetes object names when pathPattern is not set",
        ),
        (
            1,
            "/spec",
            "artifact names must be valid Kubernetes object names when pathPattern is not set",
        ),
    ],
    "fail-bucket-sts-provider.yaml": [
        (
            0,
            "/spec",
            "STS configuration is only supported for the 'aws' and 'generic' Bucket providers",
        )
    ],
    "fail-bucket-sts-aws.yaml": [
        (0, "/spec", "'aws' is the only supported STS provider for the 'aws' Bucket provider")
    ],
    "fail-bucket-sts-generic.yaml": [
        (0, "/spec", "'ldap' is the only supported STS provider for the 'generic' Bucket provider")
    ],
    "fail-bucket-sts-aws-secretref.yaml": [
        (0, "/spec", "spec.sts.secretRef is not required for the 'aws' STS provider")
    ],
    "fail-bucket-sts-aws-certsecretref.yaml": [
        (0, "/spec", "spec.sts.certSecretRef is not required for the 'aws' STS provider")
    ],
    "fail-bucket-generic-service-account.yaml": [
        (0, "/spec", "ServiceAccountName is not supported for the 'generic' Bucket provider")
    ],
    "fail-bucket-secretref-or-service-account.yaml": [
        (0, "/spec", "cannot set both .spec.secretRef and .spec.serviceAccountName")
    ],
    "fail-gitrepository-service-account-provider.yaml": [
        (0, "/spec", "serviceAccountName can only be set when provider is 'azure' or 'aws'"),
        (1, "/spec", "serviceAccountName can only be set when provider is 'azure' or 'aws'"),
    ],
    "fail-helmchart-verify-source-kind.yaml": [
        (0, "/spec", "spec.verify is only supported when spec.sourceRef.kind is 'HelmRepository'")
    ],
}


# --------------------------------------------------------------------------------------------
# Helpers


def _crd_bundle() -> Bundle:
    """A bundle built straight from the upstream CRD files (used when no bundle is shipped)."""
    loader = YAML(typ="safe")
    resources = []
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in loader.load_all(path.read_text(encoding="utf-8")):
            versions = []
            for version in crd["spec"]["versions"]:
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                schema.get("properties", {}).pop("status", None)
                versions.append({**version, "schema": schema})
            resources.append(
                {
                    "group": crd["spec"]["group"],
                    "kind": crd["spec"]["names"]["kind"],
                    "versions": versions,
                }
            )
    return Bundle({"flux": "2.9.4", "resources": resources}, source="crds")


class _Context(CheckContext):
    """A context whose bundle is given, so tests can prove the check reads ``ctx.bundle``."""

    def __init__(self, bundle: Bundle) -> None:
        super().__init__()
        self.__dict__["bundle"] = bundle


@pytest.fixture(scope="module")
def ctx() -> CheckContext:
    context = CheckContext()
    try:
        context.bundle  # noqa: B018 - load it now
    except FileNotFoundError:
        if not CRDS.is_dir():
            pytest.skip("neither a schema bundle nor the upstream CRDs are available")
        return _Context(_crd_bundle())
    return context


def _documents(path: Path) -> list[dict[str, Any]]:
    return list(YAML(typ="safe").load_all(path.read_text(encoding="utf-8")))


def _object(data: dict[str, Any], index: int = 0, partial: bool = False) -> K8sObject:
    return K8sObject("x.yaml", index, data, data["apiVersion"], data["kind"], partial=partial)


def _problems(ctx: CheckContext, data: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    return [(p.pointer, p.message) for p in crd_validation_rules(_object(data, **kwargs), ctx)]


def _fixture_findings(ctx: CheckContext, path: Path) -> list[tuple[int, str, str]]:
    found = []
    for index, data in enumerate(_documents(path)):
        for problem in crd_validation_rules(_object(data, index), ctx):
            assert problem.target == KEY
            found.append((index, problem.pointer, problem.message))
    return found


def _key_line(path: Path, index: int, pointer: str) -> int:
    """1-based line of the mapping key the pointer ends with."""
    documents = list(YAML(typ="rt").load_all(path.read_text(encoding="utf-8")))
    node, tokens = documents[index], pointer.split("/")[1:]
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node.lc.key(tokens[-1])[0] + 1


def _bucket(**spec: Any) -> dict[str, Any]:
    base = {"interval": "5m", "bucketName": "b", "endpoint": "minio.example.com"}
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "Bucket",
        "metadata": {"name": "b", "namespace": "flux-system"},
        "spec": {**base, **spec},
    }


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.yaml")))
def test_fixture(ctx: CheckContext, name: str):
    assert name.startswith(("pass-", "fail-"))
    expected = EXPECTED.get(name, []) if name.startswith("fail-") else []
    assert name.startswith("pass-") or expected, f"{name} has no entry in EXPECTED"
    assert _fixture_findings(ctx, FIXTURES / name) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expect_comments_sit_on_the_reported_key(name: str):
    path = FIXTURES / name
    lines = path.read_text(encoding="utf-8").splitlines()
    annotated = {}
    for number, line in enumerate(lines, start=1):
        match = EXPECT.search(line)
        if match:
            annotated[number] = match.group("fragment")
    reported = {
        _key_line(path, index, pointer): message for index, pointer, message in EXPECTED[name]
    }
    assert sorted(annotated) == sorted(reported)
    for number, fragment in annotated.items():
        assert fragment is None or fragment in reported[number]


def test_every_rule_has_a_pass_and_a_fail_fixture():
    fails = {p.name.removeprefix("fail-") for p in FIXTURES.glob("fail-*.yaml")}
    passes = {p.name.removeprefix("pass-") for p in FIXTURES.glob("pass-*.yaml")}
    assert fails <= passes, fails - passes


def _verdicts(ctx: CheckContext, data: dict[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(kind, rule, result) for every rule evaluated on the document, via the interpreter."""
    group, _, version = data["apiVersion"].rpartition("/")
    entry = ctx.bundle.lookup(group, version, data["kind"])
    defaulted = apply_defaults(entry.schema, data)
    for site in rule_sites(entry.schema):
        for _path, node in crd_cel._locations(defaulted, site.steps, ()):
            value = cel.to_cel(node, site.schema)
            for validation in site.validations:
                yield (
                    data["kind"],
                    validation.rule,
                    cel.evaluate_bool(validation.program, {"self": value}),
                )


def test_fixtures_cover_all_24_rules_of_flux_2_9(ctx: CheckContext):
    rules = {
        (entry.kind, validation.rule)
        for entry in ctx.bundle.kinds()
        for site in rule_sites(entry.schema)
        for validation in site.validations
    }
    assert len(rules) == 24
    failed, passed = set(), set()
    for path in FIXTURES.glob("*.yaml"):
        for data in _documents(path):
            for kind, rule, result in _verdicts(ctx, data):
                if path.name.startswith("fail-") and not result:
                    failed.add((kind, rule))
                if path.name.startswith("pass-") and result:
                    passed.add((kind, rule))
    assert rules - failed == set()
    assert rules - passed == set()


# --------------------------------------------------------------------------------------------
# Defaults


BUCKET_SCHEMA_PATH = ("properties", "spec")


def test_defaults_are_applied_before_the_rules(ctx: CheckContext):
    # Without `provider: generic` from the schema default, `self.provider` would not exist.
    assert _problems(ctx, _bucket(sts={"provider": "ldap", "endpoint": "https://x"})) == []
    assert _problems(ctx, _bucket(serviceAccountName="sa")) == [
        ("/spec", "ServiceAccountName is not supported for the 'generic' Bucket provider")
    ]


def test_apply_defaults_does_not_mutate_and_shares_untouched_nodes(ctx: CheckContext):
    entry = ctx.bundle.lookup("source.toolkit.fluxcd.io", "v1", "Bucket")
    data = _bucket(secretRef={"name": "s"})
    before = copy.deepcopy(data)
    result = apply_defaults(entry.schema, data)
    assert data == before
    assert result["spec"]["provider"] == "generic"
    assert result["spec"]["timeout"] == "60s"
    assert result["spec"]["secretRef"] is data["spec"]["secretRef"]
    assert result["metadata"] is data["metadata"]


def test_apply_defaults_returns_the_input_when_nothing_changes():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    data = {"a": "x", "b": None}
    assert apply_defaults(schema, data) is data


SCHEMA = {
    "type": "object",
    "properties": {
        "list": {
            "type": "array",
            "items": {
                "type": "object",
                "default": {"filled": True},
                "properties": {
                    "optional": {"type": "boolean", "default": False},
                    "inner": {
                        "type": "object",
                        "default": {},
                        "properties": {"mode": {"type": "string", "default": "auto"}},
                    },
                },
            },
        },
        "map": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"weight": {"type": "integer", "default": 1}},
            },
        },
        "plain": {"type": "string"},
        "nullable": {"type": "string", "nullable": True},
        "defaulted": {"type": "string", "default": "d"},
        "nullableDefaulted": {"type": "string", "nullable": True, "default": "d"},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}


def test_defaults_in_array_items_map_values_and_nested_defaults():
    data = {
        "list": [{}, {"optional": True, "inner": {"mode": "manual"}}],
        "map": {"a": {}, "b": {"weight": 5}},
    }
    assert apply_defaults(SCHEMA, data) == {
        "list": [
            {"optional": False, "inner": {"mode": "auto"}},  # the copied default is defaulted
            {"optional": True, "inner": {"mode": "manual"}},
        ],
        "map": {"a": {"weight": 1}, "b": {"weight": 5}},
        "defaulted": "d",
        "nullableDefaulted": "d",
    }


def test_nulls_are_pruned_or_defaulted_as_the_api_server_does():
    data = {
        "plain": None,
        "nullable": None,
        "defaulted": None,
        "nullableDefaulted": None,
        "list": [None],
        "free": {"kept": None},
    }
    assert prune_nulls(SCHEMA, data) == {
        "nullable": None,
        "defaulted": None,
        "nullableDefaulted": None,
        "list": [None],
        "free": {"kept": None},
    }
    assert apply_defaults(SCHEMA, data) == {
        "nullable": None,
        "defaulted": "d",  # a non-nullable null with a default is defaulted
        "nullableDefaulted": None,  # a nullable null stays null
        "list": [{"filled": True}],  # the null item becomes the item default, not defaulted further
        "free": {"kept": None},
    }


# --------------------------------------------------------------------------------------------
# When rules run


def test_partial_objects_are_skipped(ctx: CheckContext):
    assert _problems(ctx, _bucket(serviceAccountName="sa"), partial=True) == []


def test_kinds_without_a_bundle_entry_are_skipped(ctx: CheckContext):
    old = _bucket(serviceAccountName="sa")
    old["apiVersion"] = "source.toolkit.fluxcd.io/v1beta2"  # removed in 2.8
    assert _problems(ctx, old) == []
    other = _bucket(serviceAccountName="sa")
    other["apiVersion"] = "example.com/v1"
    assert _problems(ctx, other) == []


def test_the_check_reads_ctx_bundle():
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "x-kubernetes-validations": [{"rule": "self.a != 'bad'", "message": "a is bad"}],
            }
        },
    }
    bundle = Bundle(
        {
            "resources": [
                {
                    "group": "source.toolkit.fluxcd.io",
                    "kind": "Bucket",
                    "versions": [{"name": "v1", "served": True, "schema": schema}],
                }
            ]
        }
    )
    data = _bucket()
    data["spec"] = {"a": "bad"}
    assert _problems(_Context(bundle), data) == [("/spec", "a is bad")]


@pytest.mark.parametrize(
    "value",
    ["${BUCKET_PROVIDER}", "ENC[AES256_GCM,data:abc=,iv:x=,tag:y=,type:str]"],
)
def test_unresolved_values_skip_the_rules_of_their_node(ctx: CheckContext, value: str):
    assert (
        _problems(ctx, _bucket(provider=value, sts={"provider": "aws", "endpoint": "https://x"}))
        == []
    )


def test_unresolved_values_in_invisible_fields_do_not_skip(ctx: CheckContext):
    data = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "x"},
        "spec": {"interval": "5m", "values": {"image": "${IMAGE}"}},
    }
    assert _problems(ctx, data) == [("/spec", "either chart or chartRef must be set")]


def test_a_wrong_type_silences_a_false_verdict(ctx: CheckContext):
    # `provider: 5` is a schema error; the STS rule's verdict on it would mean nothing.
    assert (
        _problems(ctx, _bucket(provider=5, sts={"provider": "aws", "endpoint": "https://x"})) == []
    )


ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                        "x-kubernetes-validations": [
                            {"rule": "self.name != 'bad'", "message": "bad item"},
                            {
                                "rule": "!has(self.port) || self.port > 0",
                                "messageExpression": (
                                    "'port ' + string(self.port) + ' is not positive'"
                                ),
                            },
                        ],
                    },
                },
                "byName": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "url": {"type": "string"}},
                        "x-kubernetes-validations": [
                            {
                                "rule": "self.url.startsWith('https://')",
                                "message": "url must use https",
                                "fieldPath": ".url",
                            },
                            {
                                "rule": "!has(self.name) || self.name == self.name.lowerAscii()",
                                "fieldPath": "['name']",
                            },
                        ],
                    },
                },
                "guarded": {
                    "type": "object",
                    "required": ["mode"],
                    "properties": {"mode": {"type": "string"}, "size": {"type": "integer"}},
                    "x-kubernetes-validations": [
                        {"rule": "self.size > 1", "message": "too small"},
                        {"rule": "self.mode == oldSelf.mode", "message": "immutable"},
                        {"rule": "math.greatest(self.size, 1) > 1", "message": "too large"},
                    ],
                },
            },
        }
    },
}


def test_rules_run_on_every_array_item_and_map_value():
    data = {
        "spec": {
            "items": [{"name": "ok"}, {"name": "bad"}, {"name": "x", "port": -1}],
            "byName": {
                "a": {"url": "https://a", "name": "a"},
                "b": {"url": "http://b", "name": "B"},
            },
        }
    }
    found = [(p.pointer, p.message, p.target) for p in validate(ITEM_SCHEMA, data)]
    assert found == [
        ("/spec/items/1", "bad item", KEY),
        ("/spec/items/2", "port -1 is not positive", KEY),
        ("/spec/byName/b/url", "url must use https", KEY),
        (
            "/spec/byName/b/name",
            "failed rule: !has(self.name) || self.name == self.name.lowerAscii()",
            KEY,
        ),
    ]


def test_message_expression_falls_back_to_the_message():
    schema = copy.deepcopy(ITEM_SCHEMA)
    rule = schema["properties"]["spec"]["properties"]["items"]["items"]["x-kubernetes-validations"][
        1
    ]
    rule["message"] = "port must be positive"
    rule["messageExpression"] = "self.missing"
    found = [p.message for p in validate(schema, {"spec": {"items": [{"name": "a", "port": 0}]}})]
    assert found == ["port must be positive"]


def test_evaluation_errors_are_reported_only_when_the_api_server_would():
    # `size` is optional: `self.size` fails, and the object is otherwise valid.
    found = [
        (p.pointer, p.message) for p in validate(ITEM_SCHEMA, {"spec": {"guarded": {"mode": "m"}}})
    ]
    assert found == [
        ("/spec/guarded", "rule `self.size > 1` failed to evaluate: no such key: size")
    ]
    # A missing required field makes the API server skip every CEL rule, so the failed
    # evaluation is not reported (the schema rule reports the missing field).
    assert list(validate(ITEM_SCHEMA, {"spec": {"guarded": {}}})) == []


def test_transition_rules_and_unsupported_functions_are_skipped():
    sites = rule_sites(ITEM_SCHEMA)
    guarded = next(s for s in sites if s.steps[-1] == ("property", "guarded"))
    assert [v.skipped for v in guarded.validations] == [None, "transition rule", None]
    found = [
        p.message for p in validate(ITEM_SCHEMA, {"spec": {"guarded": {"mode": "m", "size": 2}}})
    ]
    assert found == []  # math is not the API server's: no verdict rather than a wrong one


def test_rule_sites_are_compiled_once_per_schema(ctx: CheckContext):
    entry = ctx.bundle.lookup("source.toolkit.fluxcd.io", "v1", "Bucket")
    assert rule_sites(entry.schema) is rule_sites(entry.schema)
    assert rule_sites(copy.deepcopy(entry.schema)) is not rule_sites(entry.schema)


def test_field_path_parsing():
    assert crd_cel._field_path(".spec.foo['a.b'][0]") == ("spec", "foo", "a.b", "0")
    assert crd_cel._field_path("not a path") == ()
    assert crd_cel._field_path(None) == ()


def test_every_rule_of_every_bundle_compiles(ctx: CheckContext):
    for minor in ((2, 6), (2, 7), (2, 8), (2, 9)):
        try:
            bundle = ctx.bundle_for(minor)
        except FileNotFoundError:
            continue
        for entry in bundle.kinds():
            for site in rule_sites(entry.schema):
                for validation in site.validations:
                    assert validation.skipped is None, (minor, entry.kind, validation.rule)
                    assert validation.program is not None
                    assert validation.program.fast is not None, validation.rule


# --------------------------------------------------------------------------------------------
# Robustness and the fast path on the real rules


def _from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by a schema, with an occasional wrong type or null."""
    kind = schema.get("type")
    if "enum" in schema:
        good: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif kind == "object" and schema.get("properties") and depth < 3:
        props = schema["properties"]
        good = st.fixed_dictionaries(
            {}, optional={k: _from_schema(v, depth + 1) for k, v in props.items()}
        )
    elif kind == "object":
        good = st.just({})
    elif kind == "array":
        items = schema.get("items") or {}
        good = st.lists(_from_schema(items, depth + 1), max_size=2) if depth < 3 else st.just([])
    elif kind == "boolean":
        good = st.booleans()
    elif kind in ("integer", "number"):
        good = st.integers(-2, 2)
    else:
        good = st.sampled_from(["", "x", "Bad_Name", "ok.name", "${VAR}", "https://x"])
    return st.one_of(good, good, good, st.none(), st.integers(0, 1))


KINDS = [
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
    ("image.toolkit.fluxcd.io", "v1", "ImagePolicy"),
    ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
    ("notification.toolkit.fluxcd.io", "v1beta3", "Provider"),
    ("notification.toolkit.fluxcd.io", "v1", "Receiver"),
    ("source.extensions.fluxcd.io", "v1beta1", "ArtifactGenerator"),
    ("source.toolkit.fluxcd.io", "v1", "Bucket"),
    ("source.toolkit.fluxcd.io", "v1", "GitRepository"),
    ("source.toolkit.fluxcd.io", "v1", "HelmChart"),
]


@pytest.mark.parametrize(("group", "version", "kind"), KINDS, ids=[k[2] for k in KINDS])
def test_random_specs_never_crash_and_fast_verdicts_match(ctx, group, version, kind):
    entry = ctx.bundle.lookup(group, version, kind)
    spec_schema = entry.schema["properties"]["spec"]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_from_schema(spec_schema))
    def check(spec):
        data = {
            "apiVersion": f"{group}/{version}",
            "kind": kind,
            "metadata": {"name": "x"},
            "spec": spec,
        }
        for problem in crd_validation_rules(_object(data), ctx):
            assert problem.message and problem.pointer.startswith("/spec")
        defaulted = apply_defaults(entry.schema, data)
        view = cel.CelView(defaulted, entry.schema)
        for site in rule_sites(entry.schema):
            for path, _node in crd_cel._locations(defaulted, site.steps, ()):
                for validation in site.validations:
                    verdict = cel.decide(
                        validation.program, {"self": view.plain(path, site.schema)}
                    )
                    if verdict is None:
                        continue
                    slow = cel.evaluate_bool(
                        validation.program, {"self": view.at(path, site.schema)}
                    )
                    assert verdict == slow, (validation.rule, spec)

    check()


# --------------------------------------------------------------------------------------------
# Values the schema refuses never break the CEL conversion (found by fuzzing)

GADGETS_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                num: {type: integer, format: int64}
                when: {type: string, format: date-time}
              x-kubernetes-validations:
                - rule: "!has(self.num) || self.num >= 0"
                  message: num must not be negative
                - rule: "!has(self.when) || self.when > timestamp('2000-01-01T00:00:00Z')"
                  message: too early
---
"""


def lint_gadget(spec: str) -> list[tuple[int, int, str, str]]:
    from flux_lint.check.engine import RunConfig
    from flux_lint.run.pipeline import run

    gadget = f"apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n{spec}"
    result = run(RunConfig(paths=["-"], stdin_text=GADGETS_CRD + gadget))
    offset = GADGETS_CRD.count("\n")
    return [(f.line - offset, f.column, f.rule_id, f.message) for f in result.findings]


def test_an_integer_beyond_int64_under_a_rule_keeps_its_format_finding():
    assert lint_gadget("  num: 99999999999999999999999\n") == [
        (6, 8, "FL107", "`spec.num` is outside the int64 range, got `99999999999999991611392`"),
    ]
    assert cel.to_python(cel.to_cel(2**70, {"type": "integer"})) == float(2**70)
    assert cel.to_python(cel.to_cel(float(2**70), {"type": "integer"})) == float(2**70)
    assert cel.to_python(cel.to_cel(10**400)) == float("inf")


@pytest.mark.parametrize("text", ["P1Y", "2008-03-01T13:00:00Z/2008-05-11T15:30:00Z"])
def test_a_duration_or_interval_in_a_date_time_field_keeps_its_format_finding(text: str):
    failed = (
        "rule `!has(self.when) || self.when > timestamp('2000-01-01T00:00:00Z')` failed to "
        "evaluate: no such overload: string > timestamp"
    )
    assert lint_gadget(f"  when: {text}\n") == [
        (5, 1, "FL201", failed),
        (6, 9, "FL107", f"`spec.when` must be an RFC 3339 date-time, got `{text}`"),
    ]
    # CEL sees the text the schema refused, never what a lenient date parser makes of it.
    schema = {"type": "string", "format": "date-time"}
    assert cel.to_python(cel.to_cel(text, schema)) == text
    assert cel.to_python(cel.to_cel("2024-02-29T10:00:00.5+02:00", schema)) == (
        datetime.datetime(2024, 2, 29, 8, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    )
