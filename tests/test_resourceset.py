"""ResourceSet rendering: the template language, the operator's functions, the input
strategies, rendering rules, the source map and what the run does with rendered objects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flux_lint.check.engine import RunConfig
from flux_lint.cli import cli
from flux_lint.load.yaml import load_text
from flux_lint.model.resourceset import rendered_objects
from flux_lint.model.resourceset.executor import execute
from flux_lint.model.resourceset.functions import OPERATOR_FUNCTIONS, GoValues, function_map
from flux_lint.model.resourceset.inputs import combine, input_id, normalize_key
from flux_lint.model.resourceset.render import render
from flux_lint.model.resourceset.template import (
    NotEvaluated,
    TemplateExecError,
    TemplateSyntaxError,
    parse,
)
from flux_lint.model.resourceset.yamlemit import emit, go_format_float
from flux_lint.run.pipeline import run

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def rendered(text: str, inputs: object = None) -> str:
    template = parse(text, set(OPERATOR_FUNCTIONS))
    return execute(template, function_map(inputs if inputs is not None else {}), GoValues).text


# --- template language --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "inputs", "expected"),
    [
        ("name: << inputs.tenant >>", {"tenant": "a"}, "name: a"),
        ("<< inputs.n >> << inputs.n | int >> << inputs.f >>", {"n": 2.0, "f": 1e6}, "2 2 1e+06"),
        ("a <<- 1 ->> b", {}, "a1b"),
        ("<</* comment */>>x", {}, "x"),
        (
            '<< if eq inputs.e "p" >>P<< else if eq inputs.e "d" >>D<< else >>O<< end >>',
            {"e": "d"},
            "D",
        ),
        (
            "<< range $i, $v := inputs.l >>[<< $i >>=<< $v.n >>]<< end >>",
            {"l": [{"n": "x"}, {"n": "y"}]},
            "[0=x][1=y]",
        ),
        (
            "<< range $k, $v := inputs.m >><< $k >><< $v >>,<< end >>",
            {"m": {"b": 2.0, "a": 1.0}},
            "a1,b2,",
        ),
        (
            "<< range inputs.l >><< if eq . 2.0 >><< break >><< end >><< . >><< end >>",
            {"l": [1.0, 2.0, 3.0]},
            "1",
        ),
        ("<< range inputs.l >>x<< else >>empty<< end >>", {"l": []}, "empty"),
        ("<< with $t := inputs.t >><< $t | upper >><< end >>", {"t": "ab"}, "AB"),
        ("<< $x := 1 >><< $x = 2 >><< $x >>", {}, "2"),
        ('<< get inputs "missing" | default inputs.ns >>', {"ns": "flux-system"}, "flux-system"),
        ('<< hasKey inputs "a" >> << index inputs "a" >>', {"a": "b"}, "true b"),
        (
            "<< inputs.m | toYaml | nindent 2 >>",
            {"m": {"b": [1.0, "x"], "a": {"c": True}}},
            "\n  a:\n    c: true\n  b:\n  - 1\n  - x\n  ",
        ),
        ('<< "Hello World & Co" | slugify >>', {}, "hello-world-and-co"),
        ('<< printf "%s-%d" "a" 3 >> << print 1 2 "x" 3 >>', {}, "a-3 1 2x3"),
        ('<< quote "a\\"b" >> << squote 1 >>', {}, '"a\\"b" \'1\''),
        ('<< and 1 0 >> << or 0 "" >> << not 0 >>', {}, "0  true"),
        (
            "<< inputs.m >> << inputs.l >>",
            {"m": {"b": 1.0, "a": "x"}, "l": ["a", 1.5]},
            "map[a:x b:1] [a 1.5]",
        ),
        # Named templates: define at the top, template with a dot of its own, block in place.
        (
            '<<- define "x" >>[<< . >>|<< $ >>]<< end ->>a<< template "x" inputs.t >>b',
            {"t": "T"},
            "a[T|T]b",
        ),
        ('<< template "x" >><< define "x" >>no dot: << . >><< end >>', {}, "no dot: <nil>"),
        ('<< block "b" inputs.t >>(<< . >>)<< end >>', {"t": "T"}, "(T)"),
        ('<< define "b" >>kept<< end >><< block "b" 1 >>  << end >>', {}, "kept"),
        # Durations (slim-sprig date.go over Go's time.Duration).
        (
            '<< duration "90" >> << duration "3600" >> << duration "-61" >> << duration "x" >>',
            {},
            "1m30s 1h0m0s -1m1s 0s",
        ),
        ("<< duration inputs.n >>", {"n": 90.0}, "0s"),  # a float64 is not a duration
        (
            '<< durationRound "2h10m" >> << durationRound "1h" >> << durationRound "800h" >> '
            '<< durationRound "1.5us" >> << durationRound "bad" >>',
            {},
            "2h 60m 1mo 0s 0s",
        ),
        # Numbers and the escaping built-ins.
        (
            "<< seq 3 >>|<< seq 3 1 >>|<< seq 1 2 6 >>|<< seq 0 >>|<< seq 1 0 3 >>",
            {},
            "1 2 3|3 2 1|1 3 5|1 0|",
        ),
        ("<< round 3.14159 2 >> << round 2.5 0 >> << round -2.5 0 >>", {}, "3.14 3 -3"),
        ('<< toDecimal "0777" >> << toDecimal "9" >>', {}, "511 0"),
        ('<< typeIsLike "string" "x" >> << typeIsLike "int" "x" >>', {}, "true false"),
        (
            """<< html "<a href='x'>&" >> << js "a'b<=" >> << urlquery "a b&c/é" >>""",
            {},
            "&lt;a href=&#39;x&#39;&gt;&amp; a\\'b\\u003C\\u003D a+b%26c%2F%C3%A9",
        ),
        # printf verbs as Go's fmt prints them.
        (
            '<< printf "%05d|%-4d|%+d|%x|%#X|%o|%b|%c" -42 7 5 255 255 8 5 65 >>',
            {},
            "-0042|7   |+5|ff|0XFF|10|101|A",
        ),
        ('<< printf "%.2f|%08.3f|%e" 2.0 -3.14159 1234.5678 >>', {}, "2.00|-003.142|1.234568e+03"),
        ('<< printf "%5s|%-5s|%.1s|%x" "ab" "ab" "ab" "hi" >>', {}, "   ab|ab   |a|6869"),
        (
            '<< printf "%s %d %f" 5 inputs.n 3 >>',
            {"n": 2.0},
            "%!s(int=5) %!d(float64=2) %!f(int=3)",
        ),
    ],
)
def test_template_renders_like_go(text: str, inputs: dict, expected: str) -> None:
    assert rendered(text, inputs) == expected


@pytest.mark.parametrize(
    ("text", "error", "message", "pos"),
    [
        ("x << inputs.a", TemplateSyntaxError, "unclosed action", 2),
        ("<< if true >>x", TemplateSyntaxError, "{{if}} has no {{end}}", 3),
        ("<< end >>", TemplateSyntaxError, "unexpected {{end}}", 3),
        ('<< include "x" . >>', TemplateSyntaxError, 'function "include" not defined', 3),
        ("<< $y >>", TemplateSyntaxError, 'undefined variable "$y"', 3),
        ("ab << inputs.x >>", TemplateExecError, 'map has no entry for key "x"', 6),
        ("<< eq inputs.n 2 >>", TemplateExecError, "incompatible types for comparison", 3),
        ("<< upper inputs.n >>", TemplateExecError, "expected string; got float64", 3),
        ("<< add1 1 2 >>", TemplateExecError, "wrong number of args for add1: want 1 got 2", 3),
        ("<< inputs.s.x >>", TemplateExecError, "can't evaluate field x in type string", 3),
        (
            '<< if 1 >><< define "a" >>x<< end >><< end >>',
            TemplateSyntaxError,
            "unexpected <define> in command",
            13,
        ),
        (
            '<< define "a" >>x<< end >><< define "a" >>y<< end >>',
            TemplateSyntaxError,
            'multiple definition of template "a"',
            29,
        ),
        ("<< template .x >>", TemplateSyntaxError, "unexpected <.x> in template clause", 12),
        (
            '<< range 1 >><< define "a" >><< break >><< end >><< end >>',
            TemplateSyntaxError,
            "unexpected <define> in command",
            16,
        ),
        ('<< template "a" >>', TemplateExecError, 'template "a" not defined', 3),
        ('<< toDate "2006" "2026" >>', NotEvaluated, "cannot evaluate the function 'toDate'", 3),
        ("<< duration 90 >>", NotEvaluated, "cannot evaluate duration of an integer", 3),
        ('<< printf "%g" 1.5 >>', NotEvaluated, "cannot evaluate printf with %g", 3),
        ('<< printf "%*d" 3 1 >>', NotEvaluated, "* widths or argument indexes", 3),
    ],
)
def test_template_errors_have_positions(text: str, error: type, message: str, pos: int) -> None:
    with pytest.raises(error) as caught:
        rendered(text, {"n": 2.0, "s": "str"})
    assert message in caught.value.message
    assert caught.value.pos == pos


def test_output_source_map_points_back_to_the_template() -> None:
    text = "name: << inputs.t >>-x\n"
    output = execute(parse(text, set(OPERATOR_FUNCTIONS)), function_map({"t": "ab"}), GoValues)
    assert output.text == "name: ab-x\n"
    assert output.source_of(0) == (0, True, False)  # literal "n"
    assert output.source_of(6) == (6, False, False)  # "ab" was printed by the action at 6
    assert output.source_of(8) == (20, True, False)  # "-" after the action


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.0, "2"),
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (0.5, "0.5"),
        (1e-5, "1e-05"),
        (-3.25, "-3.25"),
    ],
)
def test_floats_print_like_go(value: float, expected: str) -> None:
    assert go_format_float(value) == expected


def test_resources_items_become_yaml_text_like_json_to_yaml() -> None:
    text, scalars = emit(
        {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "data": {"b": "3", "a": "true", "c": "<< inputs.x >>", "d": "a: b"},
            "list": [{"y": 1, "x": "z"}, "plain"],
        },
        record=True,
    )
    assert text == (
        "apiVersion: v1\n"
        "data:\n"
        '  a: "true"\n'
        '  b: "3"\n'
        "  c: << inputs.x >>\n"
        "  d: 'a: b'\n"
        "kind: ConfigMap\n"
        "list:\n"
        "- x: z\n"
        '  "y": 1\n'  # go-yaml quotes a key that YAML 1.1 reads as a boolean
        "- plain\n"
    )
    plain = [s for s in scalars if s.plain and not s.key]
    assert [(s.pointer, text[s.start : s.end]) for s in plain][:2] == [
        ("/apiVersion", "v1"),
        ("/data/c", "<< inputs.x >>"),
    ]


# --- inputs ----------------------------------------------------------------------------------


def test_provider_names_are_normalized_for_permute() -> None:
    assert normalize_key("My Cluster-Defaults!") == "my_cluster_defaults"
    assert normalize_key("ÄÖ") == ""


def test_permute_nests_sets_and_sets_the_operator_id() -> None:
    from flux_lint.model.resourceset.inputs import Provider

    spec = {"inputStrategy": {"name": "Permute"}, "inputs": [{"r": "eu"}, {"r": "us"}]}
    clusters = Provider("ResourceSetInputProvider", "Clusters", "ns", [{"size": 1.0}])
    combined = combine("apps", "ns", spec, [clusters])
    assert [s["id"] for s in combined.sets] == [
        input_id("apps=0/clusters=0"),
        input_id("apps=1/clusters=0"),
    ]
    assert combined.sets[1]["apps"]["r"] == "us"
    assert combined.sets[1]["clusters"]["provider"]["name"] == "Clusters"


def test_flatten_puts_the_resourceset_first_then_providers_by_name() -> None:
    from flux_lint.model.resourceset.inputs import Provider

    spec = {"inputs": [{"n": 1}]}
    providers = [
        Provider("ResourceSetInputProvider", "b", "ns", [{"n": "b"}]),
        Provider("ResourceSetInputProvider", "a", "ns", [{"n": "a"}]),
    ]
    sets = combine("rs", "ns", spec, providers).sets
    assert [s["n"] for s in sets] == [1.0, "a", "b"]  # inline numbers are float64
    assert sets[0]["provider"]["kind"] == "ResourceSet"


# --- rendering -------------------------------------------------------------------------------

RESOURCESET = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: apps
  namespace: flux-system
spec:
  commonMetadata:
    labels:
      team: platform
  inputsFrom:
    - name: defaults
  inputs:
    - tenant: team-a
    - tenant: team-b
      disabled: true
  resources:
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: shared
        namespace: flux-system
      data:
        from: resources
  resourcesTemplate: |
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: << inputs.tenant >>
      namespace: flux-system
      <<- if get inputs "disabled" >>
      annotations:
        fluxcd.controlplane.io/reconcile: disabled
      <<- end >>
    data:
      env: << inputs.env | quote >>
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: shared
      namespace: flux-system
    data:
      from: template
"""
PROVIDER = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: defaults
  namespace: flux-system
spec:
  type: Static
  defaultValues:
    tenant: team-c
    env: staging
"""


def _render(text: str, providers: list[dict] | None = None):
    doc = load_text(text).documents[0]
    return render(doc.data, path="rs.yaml", document=doc, file_text=text, candidates=providers)


def test_static_provider_exclusion_dedup_and_common_metadata() -> None:
    provider = load_text(PROVIDER).documents[0].data
    result = _render(
        RESOURCESET.replace("      disabled", "      env: prod\n      disabled").replace(
            "    - tenant: team-a\n", "    - tenant: team-a\n      env: dev\n"
        ),
        [provider],
    )
    names = [(o.data["metadata"]["name"], o.data.get("data")) for o in result.objects]
    # team-b is disabled, `shared` is kept from spec.resources, team-c comes from the provider
    assert names == [
        ("shared", {"from": "resources"}),
        ("team-a", {"env": "dev"}),
        ("team-c", {"env": "staging"}),
    ]
    assert result.input_sets == 3
    labels = result.objects[1].data["metadata"]["labels"]
    assert labels == {
        "resourceset.fluxcd.controlplane.io/name": "apps",
        "resourceset.fluxcd.controlplane.io/namespace": "flux-system",
        "team": "platform",
    }
    assert result.objects[2].origin.inputs == "{tenant: team-c, env: staging}"
    assert result.problems == []


def test_missing_key_is_reported_per_input_set() -> None:
    result = _render(RESOURCESET)  # no provider in the repository: placeholders for it
    problems = [(p.rule_id, p.span.line, p.label) for p in result.problems]
    assert problems == [
        ("FL211", 36, "{tenant: team-a}"),
        ("FL211", 36, "{tenant: team-b, disabled: true}"),
    ]
    assert result.uncertain is True


def test_inputs_from_without_inputs_renders_nothing() -> None:
    text = RESOURCESET.replace(
        "  inputs:\n    - tenant: team-a\n    - tenant: team-b\n      disabled: true\n", ""
    )
    text = text.replace("    - name: defaults\n", "    - selector:\n        matchLabels: {x: y}\n")
    result = _render(text)
    assert result.objects == [] and result.problems == [] and result.input_sets == 0


def test_rendered_objects_gives_data_and_origin() -> None:
    text = (FIXTURES / "FL501" / "pass-resourceset-reference.yaml").read_text()
    doc = load_text(text).documents[0]
    found = rendered_objects(doc.data, path="t.yaml", document=doc, file_text=text)
    assert [(d["kind"], d["metadata"].get("namespace"), o.inputs) for d, o in found] == [
        ("Namespace", None, "{tenant: team-a}"),
        ("Namespace", None, "{tenant: team-b}"),
        ("OCIRepository", "team-a", "{tenant: team-a}"),
        ("OCIRepository", "team-b", "{tenant: team-b}"),
        ("Kustomization", "team-a", "{tenant: team-a}"),
        ("Kustomization", "team-b", "{tenant: team-b}"),
    ]
    assert found[4][1].pointer == "/spec/resources/2"
    assert found[4][1].resourceset == "flux-system/tenants"


# --- the run ---------------------------------------------------------------------------------

PLACEHOLDER_REPO = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: previews
  namespace: flux-system
spec:
  inputsFrom:
    - name: pull-requests
  resources:
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata:
        name: preview-<< inputs.id >>
        namespace: flux-system
      spec:
        interval: << inputs.branch >>
        path: ./apps
        prune: true
        sourceRef:
          kind: GitRepository
          name: flux-system
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: pull-requests
  namespace: flux-system
spec:
  type: GitHubPullRequest
  url: https://github.com/example/app
"""


def test_placeholder_inputs_are_never_reported_and_the_summary_says_so(tmp_path: Path) -> None:
    (tmp_path / "rs.yaml").write_text(PLACEHOLDER_REPO)
    result = run(RunConfig(paths=[str(tmp_path)]))
    # `interval: placeholder` would be a pattern error: it was printed from a placeholder
    assert result.findings == []
    assert result.notes == [
        "some ResourceSets take inputs from providers only the cluster can answer "
        "(GitHubPullRequest); they were rendered with placeholder inputs, and nothing printed "
        "from those inputs is reported."
    ]
    cli_run = CliRunner().invoke(cli, [str(tmp_path), "--no-cache", "--no-progress"])
    assert cli_run.exit_code == 0
    assert "\nNote: some ResourceSets take inputs from providers only the cluster can answer " in (
        cli_run.stderr
    )
    assert "nothing printed from those inputs is reported.\n" in cli_run.stderr


def test_fix_changes_a_literal_of_the_template_only(tmp_path: Path) -> None:
    target = tmp_path / "rs.yaml"
    shutil.copy(FIXTURES / "FL301" / "fail-resourceset-rendered" / "resourceset.yaml", target)
    before = target.read_text()
    fixed = CliRunner().invoke(cli, [str(target), "--fix", "--no-cache", "--no-progress"])
    after = target.read_text()
    assert fixed.exit_code == 1  # the printed apiVersion is still removed
    assert after == before.replace(
        "apiVersion: helm.toolkit.fluxcd.io/v2beta1 #", "apiVersion: helm.toolkit.fluxcd.io/v2 #"
    )
    assert '<< printf "helm.toolkit.fluxcd.io/%s" "v2beta2" >>' in after
    again = CliRunner().invoke(cli, [str(target), "--fix", "--no-cache", "--no-progress"])
    assert target.read_text() == after
    assert "FL301" in again.stdout and again.stdout.count("FL301") == 1


def test_a_crash_while_rendering_is_an_internal_error_finding(tmp_path: Path, monkeypatch) -> None:
    import sys

    render_module = sys.modules["flux_lint.model.resourceset.render"]

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(render_module, "render", boom)
    (tmp_path / "rs.yaml").write_text(PLACEHOLDER_REPO)
    findings = run(RunConfig(paths=[str(tmp_path)])).findings
    assert [(f.rule_id, f.line, f.message) for f in findings] == [
        ("FL009", 1, "rendering this ResourceSet failed: RuntimeError: boom")
    ]


def test_post_build_placeholders_in_inputs_are_never_reported(tmp_path: Path) -> None:
    (tmp_path / "rs.yaml").write_text(
        """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: apps
  namespace: flux-system
spec:
  inputs:
    - replicas: "${REPLICAS}"
      interval: "${INTERVAL}"
  resources:
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata:
        name: apps
        namespace: flux-system
      spec:
        interval: << inputs.interval >>
        retryInterval: << inputs.interval | lower >>
        timeout: << $t := inputs.interval >><< $t >>
        path: ./apps
        prune: << inputs.replicas | int >>
        sourceRef:
          kind: GitRepository
          name: flux-system
"""
    )
    # `prune: 0` (int of "${REPLICAS}") would be a type error, were it not printed from a
    # value that Flux substitutes before the operator renders it
    assert run(RunConfig(paths=[str(tmp_path)])).findings == []


def test_same_named_providers_that_differ_give_placeholders() -> None:
    other = PROVIDER.replace("env: staging", "region: eu")
    providers = [load_text(PROVIDER).documents[0].data, load_text(other).documents[0].data]
    result = _render(RESOURCESET, providers)
    # the third input set is a placeholder: `inputs.env` is not reported missing for it
    assert [(p.rule_id, p.label) for p in result.problems] == [
        ("FL211", "{tenant: team-a}"),
        ("FL211", "{tenant: team-b, disabled: true}"),
    ]
    assert result.uncertain_providers == ["defaults"]


def test_steps_are_rendered_one_by_one() -> None:
    text = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: steps
  namespace: flux-system
spec:
  inputs:
    - tenant: team-a
  steps:
    - name: namespaces
      resources:
        - apiVersion: v1
          kind: Namespace
          metadata:
            name: << inputs.tenant >>
    - name: config
      resourcesTemplate: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: << inputs.missing >>
          namespace: << inputs.tenant >>
"""
    result = _render(text)
    assert [(o.data["kind"], o.origin.pointer) for o in result.objects] == [
        ("Namespace", "/spec/steps/0/resources/0")
    ]
    assert [(p.rule_id, p.span.line, p.span.column) for p in result.problems] == [("FL211", 21, 20)]


def test_an_object_in_two_steps_fails_the_build() -> None:
    text = """\
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: steps
  namespace: apps
spec:
  steps:
    - name: pre-deploy
      resources:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: app-config
            namespace: apps
    - name: deploy
      resourcesTemplate: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-config
          namespace: apps
"""
    result = _render(text)
    assert len(result.objects) == 1
    assert [(p.rule_id, p.span.line, p.message) for p in result.problems] == [
        (
            "FL216",
            16,
            "duplicate resource ConfigMap/apps/app-config in step 'deploy', already defined in "
            "step 'pre-deploy'; the ResourceSet fails to build",
        )
    ]
