"""Post-build substitution: the envsubst port, variable sets, and FL406–FL408.

The parser and evaluator cases follow ``fluxcd/pkg/envsubst`` (``parse/parse_test.go``,
``eval_test.go``): the port must accept what the controller accepts, reject what it rejects and
compute the same values. The rule fixtures pin where findings start; these tests pin messages,
severities per Flux version and the cases where nothing must be reported.
"""

from __future__ import annotations

import base64

import pytest

from flux_lint.check.engine import Linter, RunConfig
from flux_lint.core.findings import Finding
from flux_lint.model.substitution import (
    Site,
    SubstitutionSyntaxError,
    is_substitution_disabled,
    manifest_values,
    offset_in,
    parse,
    references,
    retype,
    string_sites,
    substitute_text,
)

# -- the parser -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", []),
        ("$VAR and $$VAR", []),  # only ${ opens a placeholder
        ("$${VAR}", []),
        ("$$$${VAR}", []),
        ("${VAR}", [("VAR", "", 0, 6)]),
        ("a ${VAR:=x} b", [("VAR", ":=", 2, 11)]),
        ("${VAR:-x}${VAR=y}", [("VAR", ":-", 0, 9), ("VAR", "=", 9, 17)]),
        ("${A:-${B}}", [("B", "", 5, 9), ("A", ":-", 0, 10)]),
        ("${#VAR}", [("VAR", "#", 0, 7)]),
        ("${VAR^}${VAR^^}${VAR,}${VAR,,}", [("VAR", op, i * 7 + (i > 1) * 0, 0) for i, op in []]),
        ("${VAR:1}", [("VAR", ":", 0, 8)]),
        ("${VAR:1:2}", [("VAR", ":", 0, 10)]),
        ("${VAR#*.}${VAR##*.}", [("VAR", "#", 0, 9), ("VAR", "##", 9, 19)]),
        ("${VAR%.*}", [("VAR", "%", 0, 9)]),
        ("${VAR/a/b}", [("VAR", "/", 0, 10)]),
        ("${VAR//a/b}", [("VAR", "//", 0, 11)]),
        ("${VAR/#/pre-}", [("VAR", "/#", 0, 13)]),
        ("${VAR:+x}", [("VAR", ":+", 0, 9)]),
        ("${VAR:?x}", [("VAR", ":?", 0, 9)]),
        ("${__rate_interval}", [("__rate_interval", "", 0, 18)]),
        ("${1}", [("1", "", 0, 4)]),
        ("${VAR#$%:*{}", [("VAR", "#", 0, 12)]),
    ],
)
def test_parse_references(text, expected):
    found = [(r.name, r.op, r.start, r.end) for r in references(parse(text))]
    if text.startswith("${VAR^}"):
        assert [r.op for r in references(parse(text))] == ["^", "^^", ",", ",,"]
        return
    assert found == expected


@pytest.mark.parametrize(
    ("text", "reason", "start"),
    [
        ("${VAR-default}", "missing closing brace", 0),
        ("${VAR+alt}", "missing closing brace", 0),
        ("${VAR?msg}", "missing closing brace", 0),
        ("x ${foo.bar}", "missing closing brace", 2),
        ("${arr[0]}", "missing closing brace", 0),
        ("${#arr[@]}", "bad substitution", 0),
        ("${!ref}", "unable to parse variable name", 0),
        ("${}", "unable to parse variable name", 0),
        ("ok ${A} ${B", "missing closing brace", 8),
        ("${A:-unterminated", "unable to parse substitution within function", 0),
        ("${A:-${b.c}}", "missing closing brace", 5),
        ("${A^^^}", "bad substitution", 0),
        ("${A:1:2:3", "bad substitution", 0),
    ],
)
def test_parse_errors(text, reason, start):
    with pytest.raises(SubstitutionSyntaxError) as info:
        parse(text)
    assert (info.value.reason, info.value.start) == (reason, start)


# -- evaluation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "text", "output"),
    [
        ({"var01": "abcdEFGH28ij"}, "${#var01}", "12"),
        ({"var01": "abcdEFGH28ij"}, "${var01^}", "AbcdEFGH28ij"),
        ({"var01": "abcdEFGH28ij"}, "${var01^^}", "ABCDEFGH28IJ"),
        ({"var01": "ABCDEFGH28IJ"}, "${var01,}", "aBCDEFGH28IJ"),
        ({"var01": "ABCDEFGH28IJ"}, "${var01,,}", "abcdefgh28ij"),
        ({"p": "/home/bozo/ideas/thoughts.for.today"}, "${p:11}", "ideas/thoughts.for.today"),
        ({"p": "/home/bozo/ideas/thoughts.for.today"}, "${p:11:5}", "ideas"),
        ({"p": "abcdef"}, "${p:-2}", "abcdef"),  # `:-` is the default operator, not an offset
        ({"p": "abcdef"}, "${p:1:-1}", "bcde"),
        ({"var": "abc"}, "${var=xyz}", "abc"),
        ({}, "${var=xyz}", "xyz"),
        ({"var": ""}, "${var:=xyz}", "xyz"),
        ({"default_var": "foo"}, "something ${var=${default_var}}", "something foo"),
        ({"d": "foo1"}, "foo: ${var=prefix${d}-suffix}", "foo: prefixfoo1-suffix"),
        ({"s": "abcABC123ABCabc"}, "${s/%abc/XYZ}", "abcABC123ABCXYZ"),
        ({"s": "abcABC123ABCabc"}, "${s/#abc/XYZ}", "XYZABC123ABCabc"),
        ({"s": "somevalue"}, "${s/#/prefix-}", "prefix-somevalue"),
        ({"s": "somevalue"}, "${s/%/-suffix}", "somevalue-suffix"),
        ({"s": "abcABC123ABCabc"}, "${s//abc/xyz}", "xyzABC123ABCxyz"),
        ({"s": "abcABC123ABCabc"}, "${s/abc/xyz}", "xyzABC123ABCabc"),
        ({"f": "bash.string.txt"}, "${f#*.}", "string.txt"),
        ({"f": "bash.string.txt"}, "${f##*.}", "txt"),
        ({"f": "path/to/file"}, "${f##*/}", "file"),
        ({"f": "bash.string.txt"}, "${f%.*}", "bash.string"),
        ({"f": "bash.string.txt"}, "${f%%.*}", "bash"),
        ({"v": "abcdEFGH28ij"}, "${var=${v^^}}", "ABCDEFGH28IJ"),
        ({"v": "x"}, "some text ${v}$${var$${v}$v${v}", "some text x${var${v}$vx"),
        ({"s": "foo/bar/baz"}, "${s//\\//-}", "foo-bar-baz"),
        ({"s": "foo.bar"}, "${s/./}", "foobar"),
        ({"v": "set"}, "${v:+alt}", "set"),  # not the shell's alternate value
        ({"v": ""}, "${v:+alt}", "alt"),
    ],
)
def test_substitute_text_matches_the_controller(values, text, output):
    assert substitute_text(text, values) == output


def test_substitute_text_unknowns():
    assert substitute_text("${A}", {"A": None}) is None  # defined, value unknown (SOPS)
    assert substitute_text("${MISSING}", {}) is None  # strict: an error, left to FL406
    assert substitute_text("${MISSING}", {}, strict=False) == ""
    assert substitute_text("${A:=${MISSING}}", {"A": "set"}) is None  # arguments come first
    assert substitute_text("${A-x}", {"A": "1"}) is None  # does not parse


def test_offsets_and_sites():
    text = "first line\n  tar ${HOME}/x"
    assert offset_in(text, text.index("${")) == (2, 7)
    data = {
        "metadata": {"name": "a", "labels": {"${KEY}": "v", "a/b": "${V}"}},
        "list": ["$$", 1, "none"],
    }
    assert list(string_sites(data)) == [
        Site("/metadata/labels/${KEY}", "${KEY}", key=True),
        Site("/metadata/labels/a~1b", "${V}"),
        Site("/list/0", "$$"),
    ]


def test_opt_out_label_or_annotation():
    for where in ("labels", "annotations"):
        meta = {where: {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}
        assert is_substitution_disabled({"metadata": meta})
    assert not is_substitution_disabled({"metadata": {"labels": {"x": "disabled"}}})


def test_manifest_values():
    sops = "ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]"
    encoded = base64.b64encode(b"line1\nline2").decode()
    secret = {"data": {"A": encoded, "B": sops, "C": "%%%"}, "stringData": {"D": "d"}}
    assert manifest_values("Secret", secret) == {"A": "line1line2", "B": None, "C": None, "D": "d"}
    config = {"data": {"N": 3, "T": "x\ny"}, "binaryData": {"Z": "AA=="}, "stringData": {"S": "s"}}
    assert manifest_values("ConfigMap", config) == {"N": "3", "T": "xy"}
    assert manifest_values("ConfigMap", {"data": ["not", "a", "map"]}) is None


@pytest.mark.parametrize(
    ("original", "substituted", "value"),
    [
        ("${N}", "3", 3),
        ("${N}", "-1", -1),
        ("${N}", "10.5", 10.5),
        ("${B}", "yes", True),
        ("${B}", "", None),
        ("${N}x", "3x", "3x"),
        ("'${N}'", "'3'", "'3'"),
        ("${A}: ${B}", "a: b", "a: b"),  # the encoder quotes it: stays a string
        ("- ${N}", "- 3", "- 3"),
    ],
)
def test_retype(original, substituted, value):
    assert retype(original, substituted) == value


# -- the rules --------------------------------------------------------------------------------

KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
{post}
---
"""

CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: apps
data:
  url: https://${DOMAIN}/${APP_PATH}
"""


def lint(
    files: dict[str, str], rules: set[str], version: tuple[int, int] = (2, 9)
) -> list[tuple[str, int, int, str, str]]:
    linter = Linter(RunConfig(enabled=rules, flux_version=version))
    for path, text in sorted(files.items()):
        linter.lint_text(path, text)
    findings = linter.check_repository(files.get)
    return [
        (f.rule_id, f.line, f.column, str(f.severity), f.message)
        for f in sorted(findings, key=Finding.sort_key)
        if f.rule_id in rules
    ]


def post(body: str) -> str:
    return "  postBuild:\n" + body


INLINE = post("    substitute:\n      DOMAIN: example.com\n")


def test_fl406_is_an_error_on_2_9_and_a_warning_before():
    files = {"apps.yaml": KS.format(post=INLINE) + CONFIG}
    assert lint(files, {"FL406"}) == [
        (
            "FL406",
            24,
            26,
            "error",
            "`${APP_PATH}` has no default and Kustomization `flux-system/apps` does not supply "
            "`APP_PATH`: strict substitution fails the reconcile (Flux 2.9)",
        )
    ]
    assert lint(files, {"FL406"}, (2, 8)) == [
        (
            "FL406",
            24,
            26,
            "warning",
            "`${APP_PATH}` has no default and Kustomization `flux-system/apps` does not supply "
            "`APP_PATH`: it becomes an empty string (and fails the reconcile from Flux 2.9)",
        )
    ]


@pytest.mark.parametrize(
    "body",
    [
        # No postBuild: no substitution at all.
        "",
        # Only an optional source that is not there: no variable, nothing substituted.
        post(
            "    substituteFrom:\n      - kind: ConfigMap\n        name: opt\n"
            "        optional: true\n"
        ),
        # A source outside the repository: the variable set is unknown.
        post(
            "    substitute:\n      DOMAIN: example.com\n"
            "    substituteFrom:\n      - kind: Secret\n        name: cluster-secrets\n"
        ),
        # An ExternalSecret with dataFrom: its keys are unknown.
        post("    substituteFrom:\n      - kind: Secret\n        name: from-vault\n"),
    ],
)
def test_fl406_stays_silent_when_it_cannot_know(body):
    external = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: from-vault
  namespace: flux-system
spec:
  dataFrom:
    - extract:
        key: cluster
---
"""
    files = {"apps.yaml": KS.format(post=body) + external + CONFIG}
    assert lint(files, {"FL406"}) == []


def test_fl406_substitute_strategy_always_substitutes_without_variables():
    body = post("    substituteStrategy: Always\n")
    found = lint({"apps.yaml": KS.format(post=body) + CONFIG}, {"FL406"})
    assert [m[4].split(" has ")[0] for m in found] == ["`${DOMAIN}`", "`${APP_PATH}`"]


def test_fl406_names_the_missing_optional_source_and_close_names():
    body = post(
        "    substitute:\n      DOMAIN: example.com\n      APP_PATHS: /\n"
        "    substituteFrom:\n      - kind: ConfigMap\n        name: overrides\n"
        "        optional: true\n"
    )
    (finding,) = lint({"apps.yaml": KS.format(post=body) + CONFIG}, {"FL406"})
    assert finding[4].endswith(
        "; did you mean `APP_PATHS`? (optional ConfigMap `flux-system/overrides` is not in this "
        "repository)"
    )


def test_fl406_reads_generators_external_secrets_and_sealed_secrets():
    body = post(
        "    substituteFrom:\n"
        "      - kind: ConfigMap\n        name: generated\n"
        "      - kind: Secret\n        name: external\n"
        "      - kind: Secret\n        name: sealed\n"
    )
    sources = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: external
  namespace: flux-system
spec:
  data:
    - secretKey: DOMAIN
      remoteRef:
        key: domain
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: sealed
  namespace: flux-system
spec:
  encryptedData:
    TOKEN: AgBy3i4OJSWK
---
"""
    config = CONFIG.replace("${APP_PATH}", "${APP_PATH}/${TOKEN}/${MISSING}")
    kustomization = (
        "configMapGenerator:\n  - name: generated\n    namespace: flux-system\n"
        "    literals:\n      - APP_PATH=/app\n"
    )
    files = {
        "apps.yaml": KS.format(post=body) + sources + config,
        "kustomization.yaml": kustomization + "resources:\n  - apps.yaml\n",
    }
    found = lint(files, {"FL406"})
    assert [f[4].split(" has ")[0] for f in found] == ["`${MISSING}`"]


def test_fl407_messages_and_severities():
    config = CONFIG.replace("${APP_PATH}", "${APP_PATH-x}/${A:+b}")
    found = lint({"apps.yaml": KS.format(post=INLINE) + config}, {"FL407"})
    assert found == [
        (
            "FL407",
            24,
            26,
            "error",
            "`${APP_PATH-x}` cannot be parsed by Flux (missing closing brace): Kustomization "
            "`flux-system/apps` fails to build; write `${APP_PATH:-...}` or escape it as "
            "`$${APP_PATH-x}`",
        )
    ]
    config = CONFIG.replace("${APP_PATH}", "${A:+b}")
    assert lint({"apps.yaml": KS.format(post=INLINE) + config}, {"FL407"}) == [
        (
            "FL407",
            24,
            26,
            "warning",
            "`${A:+b}`: Flux substitutes the variable, or the text after `:+` when it is empty "
            "(the shell's alternate value does the opposite)",
        )
    ]


def test_fl407_invalid_names_in_a_source_are_reported_once():
    body = post("    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n")
    settings = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\n"
        "data:\n  DOMAIN: example.com\n  APP-PATH: /\n---\n"
    )
    other = KS.format(post=body).replace("name: apps", "name: other")
    files = {"apps.yaml": KS.format(post=body) + settings + CONFIG, "other.yaml": other}
    found = lint(files, {"FL407"})
    assert [(f[0], f[1], f[2]) for f in found] == [("FL407", 26, 3)]
    assert found[0][4].startswith("variable name `APP-PATH` is invalid")


def test_fl408_uses_values_from_generators_and_parents():
    parent = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      SYNC: 10 minutes
"""
    child = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/web
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      INTERVAL: ${SYNC}
"""
    repo = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: web
  namespace: web
spec:
  interval: ${INTERVAL}
  url: oci://ghcr.io/example/web
"""
    files = {
        "clusters/cluster.yaml": parent,
        "apps/kustomization.yaml": "resources:\n  - web.yaml\n",
        "apps/web.yaml": child,
        "apps/web/repository.yaml": repo,
    }
    found = lint(files, {"FL408", "FL406"})
    assert found == [
        (
            "FL408",
            7,
            13,
            "error",
            "`spec.interval` must match `^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$`, got `10 minutes` "
            "after substitution by Kustomization `flux-system/web` (`INTERVAL` = `10 minutes`)",
        )
    ]
