"""Structural validation with the API server's semantics, the RE2 regex layer, and the FL1xx
check function."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flux_lint.check.context import CheckContext
from flux_lint.check.registry import builtin_registry
from flux_lint.check.rules.schema import RULE_BY_CODE, check_schema
from flux_lint.check.schema.store import load_bundle
from flux_lint.check.schema.validate import (
    SchemaError,
    StructuralValidator,
    format_path,
    is_date_time,
    is_rfc3339,
    qualified_name_problem,
)
from flux_lint.core.findings import KEY, VALUE
from flux_lint.core.regex import compile_pattern, search
from flux_lint.model.objects import K8sObject

ROOT = Path(__file__).resolve().parent.parent


def codes(errors: list[SchemaError]) -> list[tuple[str, str]]:
    return [(e.code, e.pointer) for e in errors]


def only(errors: list[SchemaError]) -> SchemaError:
    assert len(errors) == 1, errors
    return errors[0]


def obj(spec: Any = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiVersion": "example.fluxcd.io/v1",
        "kind": "Example",
        "metadata": {"name": "example", "namespace": "default"},
    }
    if spec is not None:
        data["spec"] = spec
    data.update(extra)
    return data


def validator(spec_schema: dict[str, Any]) -> StructuralValidator:
    return StructuralValidator(
        {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": spec_schema,
            },
        }
    )


def spec_with(**props: dict[str, Any]) -> StructuralValidator:
    return validator({"type": "object", "properties": props})


# -- regex.py -------------------------------------------------------------------------------------


class TestRegex:
    def test_search_is_unanchored(self):
        assert compile_pattern("b").search("abc")
        assert not compile_pattern("^b").search("abc")
        assert search("^https?://", "https://example.com")

    def test_dollar_does_not_match_before_a_final_newline(self):
        assert compile_pattern("^abc$").search("abc")
        assert not compile_pattern("^abc$").search("abc\n")
        assert compile_pattern("(?m)^b$").search("a\nb\nc")

    def test_go_syntax_classes_are_ascii(self):
        assert not compile_pattern(r"^\w+$").search("é")
        assert not compile_pattern(r"^\d$").search("٣")
        assert compile_pattern(r"^\pL+$").search("héllo")
        assert compile_pattern("é+").search("xéé")
        assert not compile_pattern("a.c").search("a\nc")

    def test_flux_duration_pattern(self):
        duration = compile_pattern(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
        for good in ("10m", "1h30m", "500ms", "2.5m"):
            assert duration.search(good), good
        for bad in ("1d", "10 m", "", "10m\n", "m"):
            assert not duration.search(bad), bad

    @pytest.mark.parametrize("pattern", ["(a", "(?=a)", r"\Z", r"(a)\1", "(?<!a)b", "a{1001}"])
    def test_invalid_patterns_raise_value_error(self, pattern: str):
        with pytest.raises(ValueError, match="invalid regular expression"):
            compile_pattern(pattern)

    def test_compiled_once(self):
        assert compile_pattern("^x+$") is compile_pattern("^x+$")

    def test_non_string_pattern(self):
        with pytest.raises(ValueError, match="must be a string"):
            compile_pattern(3)  # type: ignore[arg-type]

    def test_memo_gives_the_same_answers(self):
        pattern = compile_pattern("^[a-z]+$")
        for _ in range(3):
            assert pattern.search("abc") and not pattern.search("ABC")

    def test_lone_surrogate_does_not_crash(self):
        assert compile_pattern("a").search("\udc80a")


# -- paths and values in messages -----------------------------------------------------------------


def test_format_path():
    assert format_path(["spec", "chart", "spec", "sourceRef", "kind"]) == (
        "spec.chart.spec.sourceRef.kind"
    )
    assert format_path(["spec", "dependsOn", 0, "name"]) == "spec.dependsOn[0].name"
    assert format_path(["metadata", "labels", "app.kubernetes.io/name"]) == (
        'metadata.labels["app.kubernetes.io/name"]'
    )
    assert format_path([]) == ""


# -- unknown fields -------------------------------------------------------------------------------


class TestUnknownFields:
    v = spec_with(
        interval={"type": "string"},
        timeout={"type": "string"},
        values={"x-kubernetes-preserve-unknown-fields": True},
        labels={"type": "object", "additionalProperties": {"type": "string"}},
        nested={"type": "object", "properties": {"name": {"type": "string"}}},
        empty={"type": "object"},
    )

    def test_typo_with_suggestion(self):
        error = only(self.v.validate(obj({"intervall": "5m"})))
        assert error == SchemaError(
            "unknown-field",
            "/spec/intervall",
            KEY,
            "unknown field `spec.intervall`; did you mean `interval`?",
        )

    def test_case_only_difference_is_suggested(self):
        error = only(self.v.validate(obj({"Timeout": "5m"})))
        assert error.message.endswith("did you mean `timeout`?")

    def test_no_suggestion_when_nothing_is_close(self):
        error = only(self.v.validate(obj({"replicas": 3})))
        assert error.message == "unknown field `spec.replicas`"

    def test_nested_and_root(self):
        errors = self.v.validate(obj({"nested": {"nme": "x"}}, specs={}))
        assert codes(errors) == [
            ("unknown-field", "/spec/nested/nme"),
            ("unknown-field", "/specs"),
        ]
        assert errors[1].message == "unknown field `specs`; did you mean `spec`?"

    def test_preserve_unknown_fields_accepts_anything(self):
        values = {"a": {"b": [1, {"c": None}]}, "intervall": 1}
        assert self.v.validate(obj({"values": values})) == []

    def test_additional_properties_are_validated_not_unknown(self):
        errors = self.v.validate(obj({"labels": {"a": "x", "b": 3}}))
        assert codes(errors) == [("type", "/spec/labels/b")]

    def test_object_without_properties_prunes_everything(self):
        assert codes(self.v.validate(obj({"empty": {"x": 1}}))) == [
            ("unknown-field", "/spec/empty/x")
        ]

    def test_strategic_merge_directives_are_not_fields(self):
        spec = {
            "$patch": "replace",
            "$retainKeys": ["interval"],
            "$setElementOrder/containers": [],
            "$deleteFromPrimitiveList/args": ["x"],
            "nested": {"$patch": "delete"},
        }
        assert self.v.validate(obj(spec)) == []
        assert codes(self.v.validate(obj({"$other": 1}))) == [("unknown-field", "/spec/$other")]

    def test_placeholder_keys_are_not_judged(self):
        assert self.v.validate(obj({"${FIELD}": 1})) == []

    def test_status_and_sops_at_the_top(self):
        data = obj({}, status={"anything": [1]}, sops={"mac": "ENC[AES256_GCM,data:x,type:str]"})
        assert self.v.validate(data) == []
        assert codes(self.v.validate(obj({}, sops="oops"))) == [("unknown-field", "/sops")]

    def test_pointer_escapes(self):
        error = only(self.v.validate(obj({"a/b~c": 1})))
        assert error.pointer == "/spec/a~1b~0c"
        assert error.message.startswith('unknown field `spec["a/b~c"]`')


# -- nulls, required, defaults --------------------------------------------------------------------


class TestNullsAndRequired:
    v = validator(
        {
            "type": "object",
            "required": ["url", "interval", "kind", "maybe"],
            "properties": {
                "url": {"type": "string"},
                "interval": {"type": "string"},
                "kind": {"type": "string", "default": "GitRepository"},
                "maybe": {"type": "string", "nullable": True},
                "suspend": {"type": "boolean"},
                "list": {"type": "array", "items": {"type": "object"}},
            },
        }
    )
    full: ClassVar[dict[str, Any]] = {"url": "u", "interval": "1m", "maybe": None}

    def test_null_is_pruned_not_a_type_error(self):
        assert self.v.validate(obj({**self.full, "suspend": None})) == []

    def test_null_required_field_is_missing(self):
        error = only(self.v.validate(obj({**self.full, "url": None})))
        assert error == SchemaError("required", "/spec", KEY, "missing required field `spec.url`")

    def test_missing_fields_are_each_reported_at_the_mapping(self):
        errors = self.v.validate(obj({"maybe": "x"}))
        assert [(e.code, e.pointer, e.target) for e in errors] == [
            ("required", "/spec", KEY),
            ("required", "/spec", KEY),
        ]
        assert [e.message for e in errors] == [
            "missing required field `spec.url`",
            "missing required field `spec.interval`",
        ]

    def test_nullable_required_field_may_be_null_but_not_absent(self):
        assert self.v.validate(obj(self.full)) == []
        data = {k: v for k, v in self.full.items() if k != "maybe"}
        assert only(self.v.validate(obj(data))).message == "missing required field `spec.maybe`"

    def test_required_field_with_default_is_never_missing(self):
        assert self.v.validate(obj(self.full)) == []

    def test_partial_skips_required(self):
        assert self.v.validate(obj({"suspend": True}), partial=True) == []
        data = obj({})
        del data["metadata"]
        assert self.v.validate(data, partial=True) == []

    def test_null_list_item_is_a_type_error(self):
        error = only(self.v.validate(obj({**self.full, "list": [{}, None]})))
        assert (error.code, error.pointer, error.target) == ("type", "/spec/list/1", VALUE)
        assert error.message == "`spec.list[1]` must not be null"

    def test_root_required_uses_the_empty_pointer(self):
        v = StructuralValidator(
            {"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}}
        )
        error = only(v.validate({"metadata": {"name": "x"}}))
        assert error == SchemaError("required", "", KEY, "missing required field `spec`")


# -- types ----------------------------------------------------------------------------------------


class TestTypes:
    v = spec_with(
        count={"type": "integer"},
        ratio={"type": "number"},
        flag={"type": "boolean"},
        name={"type": "string"},
        items={"type": "array", "items": {"type": "string"}},
        port={"x-kubernetes-int-or-string": True},
    )

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("count", 3),
            ("count", 3.0),  # JSON 3.0 is a whole number: the API server accepts it
            ("count", -(2**53)),
            ("ratio", 1),
            ("ratio", 0.5),
            ("flag", False),
            ("name", ""),
            ("items", []),
            ("port", 8080),
            ("port", "http"),
            ("port", 80.0),
            ("count", "${REPLICAS}"),
            ("flag", "${SUSPEND:=false}"),
            ("items", "${LIST}"),
            ("count", "ENC[AES256_GCM,data:Mw==,iv:aXY=,tag:dGFn,type:int]"),
        ],
    )
    def test_accepted(self, field: str, value: Any):
        assert self.v.validate(obj({field: value})) == []

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("count", 3.5, "`spec.count` must be of type `integer`, got number `3.5`"),
            ("count", True, "`spec.count` must be of type `integer`, got boolean `true`"),
            ("count", "3", '`spec.count` must be of type `integer`, got string `"3"`'),
            ("ratio", False, "`spec.ratio` must be of type `number`, got boolean `false`"),
            ("flag", "true", '`spec.flag` must be of type `boolean`, got string `"true"`'),
            ("flag", 1, "`spec.flag` must be of type `boolean`, got integer `1`"),
            ("name", 42, "`spec.name` must be of type `string`, got integer `42`"),
            ("items", "a", '`spec.items` must be of type `array`, got string `"a"`'),
            ("port", True, "`spec.port` must be an integer or a string, got boolean `true`"),
            ("port", 1.5, "`spec.port` must be an integer or a string, got number `1.5`"),
        ],
    )
    def test_rejected(self, field: str, value: Any, message: str):
        error = only(self.v.validate(obj({field: value})))
        assert (error.code, error.pointer, error.target) == ("type", f"/spec/{field}", VALUE)
        assert error.message == message

    def test_container_of_the_wrong_type_is_reported_on_its_key(self):
        error = only(self.v.validate(obj({"items": {"a": 1}, "name": "x"})))
        assert (error.pointer, error.target) == ("/spec/items", KEY)
        assert error.message == "`spec.items` must be of type `array`, got object"
        error = only(self.v.validate(obj({"items": [["nested"]]})))
        assert (error.pointer, error.target) == ("/spec/items/0", VALUE)

    def test_a_type_error_stops_the_descent(self):
        v = spec_with(ref={"type": "object", "required": ["name"], "properties": {}})
        assert codes(v.validate(obj({"ref": "name"}))) == [("type", "/spec/ref")]

    def test_non_mapping_object(self):
        error = only(StructuralValidator({"type": "object"}).validate(["x"]))  # type: ignore[arg-type]
        assert error.code == "type" and error.pointer == ""


# -- enum, pattern, format, ranges ----------------------------------------------------------------


class TestValues:
    v = spec_with(
        kind={"type": "string", "enum": ["HelmRepository", "GitRepository", "Bucket"]},
        level={"type": "integer", "enum": [1, 2]},
        interval={"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"},
        url={"type": "string", "pattern": "^https?://"},
        when={"type": "string", "format": "date-time"},
        email={"type": "string", "format": "email"},
        big={"type": "integer", "format": "int64"},
        plain={"type": "integer"},
        name={"type": "string", "minLength": 1, "maxLength": 3},
        retries={"type": "integer", "minimum": 0, "maximum": 10},
        ratio={"type": "number", "minimum": 0, "exclusiveMinimum": True},
        tags={"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
        labels={"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
    )

    def test_enum(self):
        error = only(self.v.validate(obj({"kind": "OCIRepository"})))
        assert error == SchemaError(
            "enum",
            "/spec/kind",
            VALUE,
            "`spec.kind` must be one of `HelmRepository`, `GitRepository`, `Bucket`, "
            "got `OCIRepository`",
        )
        assert self.v.validate(obj({"kind": "Bucket", "level": 2.0})) == []
        assert codes(self.v.validate(obj({"level": 3}))) == [("enum", "/spec/level")]
        assert self.v.validate(obj({"kind": "${KIND}"})) == []

    def test_pattern_uses_re2_search(self):
        assert self.v.validate(obj({"interval": "1h30m", "url": "https://x"})) == []
        error = only(self.v.validate(obj({"interval": "1d"})))
        assert error == SchemaError(
            "pattern",
            "/spec/interval",
            VALUE,
            r"`spec.interval` must match `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`, got `1d`",
        )
        error = only(self.v.validate(obj({"interval": "10m\n"})))
        assert error.message.endswith("got `10m\\n`")
        assert codes(self.v.validate(obj({"url": " https://x"}))) == [("pattern", "/spec/url")]
        assert self.v.validate(obj({"interval": "${INTERVAL}"})) == []

    def test_date_time(self):
        assert self.v.validate(obj({"when": "2024-02-29T10:00:00.5+01:00"})) == []
        assert self.v.validate(obj({"when": "2024-01-01t10:00:00z"})) == []
        error = only(self.v.validate(obj({"when": "2023-02-29T10:00:00Z"})))
        assert error == SchemaError(
            "format",
            "/spec/when",
            VALUE,
            "`spec.when` must be an RFC 3339 date-time, got `2023-02-29T10:00:00Z`",
        )

    def test_other_formats_are_ignored(self):
        assert self.v.validate(obj({"email": "not an email"})) == []

    def test_int64_range(self):
        assert self.v.validate(obj({"big": 2**63 - 1, "plain": -(2**63)})) == []
        error = only(self.v.validate(obj({"big": 2**63})))
        assert error == SchemaError(
            "format",
            "/spec/big",
            VALUE,
            "`spec.big` is outside the int64 range, got `9223372036854775808`",
        )
        # YAML turns an integer literal that no int64 holds into a float.
        error = only(self.v.validate(obj({"plain": 1e20})))
        assert error.code == "format"
        assert error.message.endswith("got `100000000000000000000`")

    def test_lengths_count_characters(self):
        assert self.v.validate(obj({"name": "äöü"})) == []
        error = only(self.v.validate(obj({"name": "abcd"})))
        assert error == SchemaError(
            "range",
            "/spec/name",
            VALUE,
            "`spec.name` must be at most 3 character(s) long, got 4",
        )
        assert only(self.v.validate(obj({"name": ""}))).message == (
            "`spec.name` must be at least 1 character(s) long, got 0"
        )
        assert self.v.validate(obj({"name": "${A_LONG_PLACEHOLDER}"})) == []

    def test_numeric_bounds(self):
        assert self.v.validate(obj({"retries": 0, "ratio": 0.1})) == []
        assert only(self.v.validate(obj({"retries": -1}))).message == (
            "`spec.retries` must be at least `0`, got `-1`"
        )
        assert only(self.v.validate(obj({"retries": 11}))).message == (
            "`spec.retries` must be at most `10`, got `11`"
        )
        assert only(self.v.validate(obj({"ratio": 0}))).message == (
            "`spec.ratio` must be greater than `0`, got `0`"
        )

    def test_collection_bounds(self):
        assert only(self.v.validate(obj({"tags": []}))).message == (
            "`spec.tags` must have at least 1 item(s), got 0"
        )
        assert codes(self.v.validate(obj({"tags": ["a", "b", "c"]}))) == [("range", "/spec/tags")]
        assert only(self.v.validate(obj({"labels": {"a": "1", "b": "2"}}))).message == (
            "`spec.labels` must have at most 1 field(s), got 2"
        )
        assert self.v.validate(obj({"labels": {"a": "1", "b": None}})) == []


def test_date_time_helpers():
    assert is_date_time("2024-01-01T00:00:00Z")
    assert is_date_time("2024-01-01T23:59:59.999999-07:00")
    for bad in ("2024-01-01", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "x", ""):
        assert not is_date_time(bad), bad
    assert is_rfc3339("2024-01-01T00:00:00Z")
    assert not is_rfc3339("2024-01-01t00:00:00z")
    assert not is_rfc3339("2024-01-01 00:00:00Z")
    assert not is_rfc3339("2024-01-01T00:00:00Z\n")
    assert not is_rfc3339("٢٠٢٤-01-01T00:00:00Z")


# -- list types -----------------------------------------------------------------------------------


class TestListTypes:
    v = spec_with(
        events={"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        providers={
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["issuerURL", "port"],
            "items": {
                "type": "object",
                "properties": {
                    "issuerURL": {"type": "string"},
                    "port": {"type": "integer", "default": 443},
                    "audience": {"type": "string"},
                },
            },
        },
        atomic={"type": "array", "x-kubernetes-list-type": "atomic", "items": {"type": "string"}},
    )

    def test_set_duplicates(self):
        error = only(self.v.validate(obj({"events": ["push", "tag", "push"]})))
        assert error == SchemaError(
            "duplicate-item",
            "/spec/events/2",
            VALUE,
            "`spec.events[2]` duplicates `spec.events[0]` (`push`)",
        )

    def test_map_duplicates_by_key_with_defaults(self):
        providers = [
            {"issuerURL": "https://a", "audience": "x"},
            {"issuerURL": "https://b"},
            {"issuerURL": "https://a", "port": 443, "audience": "y"},
            {"issuerURL": "https://a", "port": 8443},
        ]
        error = only(self.v.validate(obj({"providers": providers})))
        assert (error.code, error.pointer) == ("duplicate-item", "/spec/providers/2")
        assert error.message == (
            "`spec.providers[2]` has the same key (`issuerURL: https://a, port: 443`) "
            "as `spec.providers[0]`"
        )

    def test_unresolved_and_atomic_lists_are_not_judged(self):
        spec = {
            "events": ["${EVENT}", "${EVENT}"],
            "providers": [{"issuerURL": "${ISSUER}"}, {"issuerURL": "${ISSUER}"}],
            "atomic": ["a", "a"],
        }
        assert self.v.validate(obj(spec)) == []


# -- metadata -------------------------------------------------------------------------------------


class TestMetadata:
    v = spec_with()

    def meta(self, partial: bool = False, **meta: Any) -> list[SchemaError]:
        data = obj()
        data["metadata"] = meta
        return self.v.validate(data, partial=partial)

    def test_valid(self):
        assert (
            self.meta(
                name="podinfo.apps-1",
                namespace="flux-system",
                labels={"app.kubernetes.io/name": "podinfo", "empty": ""},
                annotations={"fluxcd.io/reconcile": "true", "A_b.c": "x"},
                finalizers=["finalizers.fluxcd.io"],
                generation=2,
                creationTimestamp=None,
                uid="1",
            )
            == []
        )

    def test_name_required(self):
        error = only(self.meta(namespace="x"))
        assert error == SchemaError(
            "metadata", "/metadata", KEY, "missing required field `metadata.name`"
        )
        assert self.meta(generateName="podinfo-") == []
        assert self.meta(namespace="x", partial=True) == []
        data = obj()
        del data["metadata"]
        assert codes(self.v.validate(data)) == [("metadata", "")]
        data["metadata"] = None
        assert codes(self.v.validate(data)) == [("metadata", "/metadata")]

    @pytest.mark.parametrize(
        ("name", "fragment"),
        [
            ("Podinfo", "must be a lowercase RFC 1123 subdomain"),
            ("pod_info", "got `pod_info`"),
            ("-podinfo", "RFC 1123"),
            ("podinfo.", "RFC 1123"),
            ("a" * 254, "must be at most 253 characters, got 254"),
        ],
    )
    def test_invalid_names(self, name: str, fragment: str):
        error = only(self.meta(name=name))
        assert (error.code, error.pointer, error.target) == ("metadata", "/metadata/name", VALUE)
        assert error.message.startswith("`metadata.name` ")
        assert fragment in error.message

    def test_placeholder_and_patch_names(self):
        assert self.meta(name="${APP}-repo") == []
        assert self.meta(name="_", partial=True) == []
        assert codes(self.meta(name="_")) == [("metadata", "/metadata/name")]
        assert codes(self.meta(name=3)) == [("metadata", "/metadata/name")]

    def test_namespace_and_generate_name(self):
        assert codes(self.meta(name="a", namespace="flux.system")) == [
            ("metadata", "/metadata/namespace")
        ]
        assert (
            "at most 63 characters, got 64" in only(self.meta(name="a", namespace="n" * 64)).message
        )
        assert self.meta(name="a", namespace="${NS}") == []
        assert codes(self.meta(generateName="Pod-")) == [("metadata", "/metadata/generateName")]

    def test_labels(self):
        errors = self.meta(
            name="a",
            labels={
                "enabled": True,
                "tier": "web frontend",
                "-team": "x",
                "example.com/": "x",
                "Example.com/x": "x",
                "long": "v" * 64,
                "${KEY}": "${VALUE}",
            },
        )
        assert [(e.pointer, e.target) for e in errors] == [
            ("/metadata/labels/enabled", VALUE),
            ("/metadata/labels/tier", VALUE),
            ("/metadata/labels/-team", KEY),
            ("/metadata/labels/example.com~1", KEY),
            ("/metadata/labels/Example.com~1x", KEY),
            ("/metadata/labels/long", VALUE),
        ]
        assert {e.code for e in errors} == {"metadata"}
        assert errors[0].message == "label `enabled` value must be a string, got boolean `true`"
        assert errors[3].message == "label key `example.com/` has an empty name"
        assert "prefix must be a lowercase RFC 1123 subdomain" in errors[4].message

    def test_annotations(self):
        errors = self.meta(name="a", annotations={"replicas": 3, "a/b/c": "x", "ok": None})
        assert [e.message for e in errors] == [
            "annotation `replicas` value must be a string, got integer `3`",
            "annotation key `a/b/c` may contain at most one `/`",
        ]
        big = only(self.meta(name="a", annotations={"x": "v" * (256 * 1024)}))
        assert big.message.startswith("annotations must total at most 262144 bytes")
        assert self.meta(name="a", annotations={"x": "any value: with spaces / slashes"}) == []

    def test_qualified_names(self):
        assert qualified_name_problem("app.kubernetes.io/name") is None
        assert qualified_name_problem("a") is None
        assert qualified_name_problem("/a") == "has an empty prefix before `/`"
        assert "at most 63" in (qualified_name_problem("x" * 64) or "")

    def test_unknown_metadata_field(self):
        error = only(self.meta(name="a", namspace="x"))
        assert error == SchemaError(
            "unknown-field",
            "/metadata/namspace",
            KEY,
            "unknown field `metadata.namspace`; did you mean `namespace`?",
        )
        assert only(self.meta(name="a", label={})).message.endswith("did you mean `labels`?")

    def test_timestamps_and_other_types(self):
        error = only(self.meta(name="a", creationTimestamp="2025-06-31T09:00:00Z"))
        assert error == SchemaError(
            "format",
            "/metadata/creationTimestamp",
            VALUE,
            "`metadata.creationTimestamp` must be an RFC 3339 date-time, "
            "got `2025-06-31T09:00:00Z`",
        )
        assert self.meta(name="a", deletionTimestamp="2025-06-30T09:00:00+02:00") == []
        assert codes(self.meta(name="a", creationTimestamp=5)) == [
            ("metadata", "/metadata/creationTimestamp")
        ]
        assert codes(self.meta(name="a", generation="2", finalizers="x", uid=1)) == [
            ("metadata", "/metadata/generation"),
            ("metadata", "/metadata/finalizers"),
            ("metadata", "/metadata/uid"),
        ]
        assert codes(self.meta(name="a", finalizers=["ok", 1])) == [
            ("metadata", "/metadata/finalizers/1")
        ]

    def test_metadata_of_the_wrong_type(self):
        data = obj()
        data["metadata"] = ["name"]
        assert codes(self.v.validate(data)) == [("type", "/metadata")]
        data["metadata"] = "${METADATA}"
        assert self.v.validate(data) == []


# -- the real bundles -----------------------------------------------------------------------------


HELMRELEASE: dict[str, Any] = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2",
    "kind": "HelmRelease",
    "metadata": {
        "name": "podinfo",
        "namespace": "apps",
        "labels": {"app.kubernetes.io/name": "podinfo"},
    },
    "spec": {
        "interval": "10m",
        "timeout": "5m",
        "releaseName": "podinfo",
        "chart": {
            "spec": {
                "chart": "podinfo",
                "version": "6.5.*",
                "sourceRef": {"kind": "HelmRepository", "name": "podinfo"},
                "interval": "5m",
            }
        },
        "install": {"remediation": {"retries": 3}},
        "upgrade": {"remediation": {"retries": 3, "remediateLastFailure": True}},
        "values": {
            "replicaCount": 2,
            "resources": {"limits": {"memory": "256Mi"}},
            "ingress": {"enabled": True, "hosts": [{"host": "a.example", "paths": ["/"]}]},
        },
        "valuesFrom": [{"kind": "ConfigMap", "name": "podinfo-values"}],
        "dependsOn": [{"name": "redis", "namespace": "data"}],
    },
}


def _hr_validator(minor: tuple[int, int] = (2, 9)) -> StructuralValidator:
    bundle = load_bundle(minor)
    entry = bundle.lookup("helm.toolkit.fluxcd.io", "v2", "HelmRelease")
    assert entry is not None
    return bundle.validator(entry)


@pytest.mark.parametrize("minor", [(2, 6), (2, 7), (2, 8), (2, 9)])
def test_a_typical_helmrelease_is_valid_in_every_bundle(minor: tuple[int, int]):
    assert _hr_validator(minor).validate(HELMRELEASE) == []


def test_helmrelease_problems_in_the_29_bundle():
    data = copy.deepcopy(HELMRELEASE)
    spec = data["spec"]
    spec["intervall"] = spec.pop("interval")
    spec["chart"]["spec"]["sourceRef"]["kind"] = "OCIRepository"
    spec["timeout"] = "5 minutes"
    spec["upgrade"]["remediation"]["retries"] = "3"
    spec["releaseName"] = "r" * 54
    spec["suspend"] = None
    del spec["chart"]["spec"]["chart"]
    assert codes(_hr_validator().validate(data)) == [
        ("pattern", "/spec/timeout"),
        ("range", "/spec/releaseName"),
        ("enum", "/spec/chart/spec/sourceRef/kind"),
        ("required", "/spec/chart/spec"),
        ("type", "/spec/upgrade/remediation/retries"),
        ("unknown-field", "/spec/intervall"),
        ("required", "/spec"),
    ]


def test_the_bundle_caches_one_validator_per_version():
    bundle = load_bundle((2, 9))
    entry = bundle.lookup("helm.toolkit.fluxcd.io", "v2", "HelmRelease")
    assert entry is not None
    assert bundle.validator(entry) is bundle.validator(entry)


def test_every_flux_29_kind_compiles_and_accepts_a_minimal_object():
    bundle = load_bundle((2, 9))
    for entry in bundle.kinds():
        data = {
            "apiVersion": entry.api_version,
            "kind": entry.kind,
            "metadata": {"name": "x", "namespace": "flux-system"},
        }
        assert bundle.validator(entry).validate(data) == [], entry.kind


def test_validation_is_fast():
    """A typical HelmRelease validates in tens of microseconds; the bound is loose on purpose
    so that a slow CI machine does not fail it, while a change that makes validation an order
    of magnitude slower does."""
    v = _hr_validator()
    v.validate(HELMRELEASE)
    runs = 500
    started = time.perf_counter()
    for _ in range(runs):
        v.validate(HELMRELEASE)
    per_object = (time.perf_counter() - started) / runs
    assert per_object < 0.001, f"{per_object * 1e6:.0f} µs per HelmRelease"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["interval", "chart", "spec", "values", "name", "kind", "x", "$patch"])
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(spec=JSON, meta=JSON, partial=st.booleans())
def test_validator_never_crashes(spec: Any, meta: Any, partial: bool):
    data = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "spec": spec}
    data["metadata"] = meta
    for error in _hr_validator().validate(data, partial=partial):
        assert error.code in RULE_BY_CODE
        assert error.target in (KEY, VALUE)
        assert error.pointer == "" or error.pointer.startswith("/")
        assert error.message and not error.message.endswith(".")


# -- the check function ---------------------------------------------------------------------------


def _object(data: dict[str, Any], partial: bool = False) -> K8sObject:
    return K8sObject(
        path="apps/podinfo.yaml",
        document=0,
        data=data,
        api_version=data["apiVersion"],
        kind=data["kind"],
        partial=partial,
    )


def test_check_maps_codes_to_rule_ids():
    data = copy.deepcopy(HELMRELEASE)
    data["metadata"]["name"] = "Podinfo"
    data["spec"]["intervall"] = "1m"
    data["spec"]["suspend"] = "no"
    problems = list(check_schema(_object(data), CheckContext()))
    assert [(p.rule_id, p.pointer, p.target) for p in problems] == [
        ("FL108", "/metadata/name", VALUE),
        ("FL101", "/spec/intervall", KEY),
        ("FL102", "/spec/suspend", VALUE),
    ]
    assert problems[1].message == "unknown field `spec.intervall`; did you mean `interval`?"


def test_check_passes_partial_and_skips_what_it_cannot_judge():
    data = copy.deepcopy(HELMRELEASE)
    del data["spec"]["chart"]["spec"]["chart"]
    del data["metadata"]["name"]
    ctx = CheckContext()
    assert {p.rule_id for p in check_schema(_object(data), ctx)} == {"FL105", "FL108"}
    assert list(check_schema(_object(data, partial=True), ctx)) == []
    removed = dict(data, apiVersion="helm.toolkit.fluxcd.io/v2beta1")
    assert list(check_schema(_object(removed), ctx)) == []
    third_party = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "spec": {"x": 1}}
    assert list(check_schema(_object(third_party), ctx)) == []


def test_check_uses_the_target_flux_version():
    data = copy.deepcopy(HELMRELEASE)
    data["spec"]["postRenderStrategy"] = "nohooks"
    assert list(check_schema(_object(data), CheckContext(flux_version=(2, 9)))) == []
    problems = list(check_schema(_object(data), CheckContext(flux_version=(2, 8))))
    assert [(p.rule_id, p.pointer) for p in problems] == [("FL101", "/spec/postRenderStrategy")]


def test_alert_and_receiver_kinds_may_be_third_party():
    alert = {
        "apiVersion": "notification.toolkit.fluxcd.io/v1beta3",
        "kind": "Alert",
        "metadata": {"name": "a", "namespace": "flux-system"},
        "spec": {
            "providerRef": {"name": "slack"},
            "eventSeverity": "warning",
            "eventSources": [
                {"kind": "FluxInstance", "name": "*"},
                {"kind": "Terraform", "name": "*"},
                {"kind": "Kustomizaton", "name": "*"},
                {"kind": "gitrepository", "name": "*"},
                {"kind": "not a kind", "name": "*"},
            ],
        },
    }
    problems = list(check_schema(_object(alert), CheckContext()))
    assert [(p.rule_id, p.pointer) for p in problems] == [
        ("FL103", "/spec/eventSeverity"),
        ("FL103", "/spec/eventSources/2/kind"),
        ("FL103", "/spec/eventSources/3/kind"),
        ("FL103", "/spec/eventSources/4/kind"),
    ]
    receiver = {
        "apiVersion": "notification.toolkit.fluxcd.io/v1",
        "kind": "Receiver",
        "metadata": {"name": "r", "namespace": "flux-system"},
        "spec": {
            "type": "github",
            "secretRef": {"name": "token"},
            "resources": [{"kind": "ResourceSet", "name": "x"}, {"kind": "Buckett", "name": "y"}],
        },
    }
    problems = list(check_schema(_object(receiver), CheckContext()))
    assert [(p.rule_id, p.pointer) for p in problems] == [("FL103", "/spec/resources/1/kind")]


def test_every_code_has_a_rule_descriptor():
    registry = builtin_registry()
    expected = {
        "FL101": "unknown-field",
        "FL102": "invalid-type",
        "FL103": "invalid-enum-value",
        "FL104": "pattern-mismatch",
        "FL105": "missing-required-field",
        "FL106": "value-out-of-range",
        "FL107": "invalid-format",
        "FL108": "invalid-metadata",
        "FL109": "duplicate-list-item",
    }
    assert set(RULE_BY_CODE.values()) == set(expected)
    for rule_id, name in expected.items():
        rule = registry[rule_id]
        assert rule.name == name and rule.category == "schema" and rule.engine == "python"
        assert (ROOT / "rules" / "schema" / f"{rule_id}-{name}.yaml").is_file()
        for key in ("what", "why", "example", "useInstead", "references"):
            assert rule.docs.get(key), (rule_id, key)
        assert all(ref.startswith("https://") for ref in rule.docs["references"])
    # FL110 (built-in kinds a Kubernetes release does not serve) comes from the same pass.
    expected_ids = (*sorted(expected), "FL110")
    assert check_schema.rule_ids == expected_ids  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule_id", sorted(RULE_BY_CODE.values()))
def test_rule_docs_example_triggers_and_use_instead_does_not(rule_id: str):
    from flux_lint.load.yaml import load_text

    rule = builtin_registry()[rule_id]

    def fired(text: str) -> list[str]:
        ids = []
        for doc in load_text(text).documents:
            data = doc.data
            ids += [p.rule_id for p in check_schema(_object(data), CheckContext())]
        return ids

    assert rule_id in fired(rule.docs["example"])
    assert fired(rule.docs["useInstead"]) == []


def test_an_empty_schema_accepts_anything_but_still_checks_metadata():
    v = StructuralValidator({})
    assert v.validate({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"}, "y": 1}) == []
    assert codes(v.validate({"apiVersion": "x/v1", "kind": "X"})) == [("metadata", "")]
    v = StructuralValidator({"type": "object", "properties": {"spec": {"type": "object"}}})
    assert v.validate({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"}}) == []
