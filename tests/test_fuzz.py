"""Property tests: the loader and the per-file engine path on generated and damaged YAML.

Three sources of input, because each finds different bugs:

* real snippets (line ranges of the shared corpus) with random edits that insert the characters
  YAML cares about: close to what a user has in the editor while typing;
* YAML built from a tree of nodes with random styles (block or flow collections, plain, quoted or
  block scalars, anchors, aliases, tags, merge keys, several documents): reaches the corners of
  the composer and of the YAML 1.1 scalar rules;
* Flux-shaped objects with random field values: reaches the rules (schema, CEL, lifecycle,
  behaviour), which must turn any shape of data into findings, never into FL009.

Properties: no exception, the same input gives the same result twice, and every position lies
inside the text. Example counts are set so the whole module stays within a few seconds per test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flux_lint.check.engine import INTERNAL_RULE, Linter, RunConfig
from flux_lint.core.findings import Finding
from flux_lint.load.yaml import LoadResult, load_text
from flux_lint.model.kustomize import DATA, PATCH

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_LINTER: Linter | None = None


def linter() -> Linter:
    """One linter for the module: building it compiles the rules (~0.1 s), far too slow to do
    per example, and its per-file results do not depend on what it linted before."""
    global _LINTER
    if _LINTER is None:
        _LINTER = Linter(RunConfig())
    return _LINTER


@pytest.fixture(scope="module", autouse=True)
def _warm_linter() -> None:
    """Build the linter and its CEL environment before any example runs: celpy raises the
    interpreter's recursion limit when its environment is created, and hypothesis warns when
    that happens in the middle of a test."""
    linter().lint_text("warm.yaml", FALLBACK[0])


def _snippets() -> list[str]:
    """Chunks of up to 40 lines from every corpus file (whole small files stay whole)."""
    if not CORPUS.is_dir():
        return []
    chunks: list[str] = []
    for path in sorted(CORPUS.rglob("*.y*ml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for start in range(0, max(len(lines), 1), 40):
            chunks.append("".join(lines[start : start + 40]))
    return chunks


SNIPPETS = _snippets()
FALLBACK = [
    "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: a\n"
    "spec:\n  interval: 5m\n  url: https://example.com/a\n",
    "a: &x {b: 1}\nc:\n  <<: *x\n  d: [1, 2, {e: f}]\n",
]

# --------------------------------------------------------------------------------------------
# Checks shared by the properties.


def line_count(text: str) -> int:
    """``str.splitlines`` breaks on a superset of libyaml's line breaks: the widest bound."""
    return len(text.splitlines())


def check_load(text: str, result: LoadResult) -> None:
    lines = line_count(text)
    for p in result.problems:
        assert p.code in ("syntax", "duplicate-key", "limit"), p
        assert 0 <= p.line <= lines and p.column >= 0, (p, lines)
        if p.end_line is not None:
            assert p.line <= p.end_line <= lines, (p, lines)
    indices = [d.index for d in result.documents]
    assert indices == sorted(set(indices)), indices
    for d in result.documents:
        assert 0 <= d.line <= lines, (d.line, lines)


def snapshot(result: LoadResult) -> str:
    """A comparable rendering (``repr`` keeps NaN equal to itself, unlike ``==``)."""
    return repr(
        (
            [(d.index, d.line, d.data) for d in result.documents],
            [(p.code, p.message, p.line, p.column, p.end_line, p.end_column)
             for p in result.problems],
        )
    )  # fmt: skip


def findings_snapshot(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return [
        (f.rule_id, f.severity, f.message, f.span, f.pointer, f.document, f.obj, f.fix)
        for f in findings
    ]


def check_findings(text: str, findings: list[Finding]) -> None:
    lines = line_count(text)
    internal = [f.message for f in findings if f.rule_id == INTERNAL_RULE]
    assert not internal, internal
    for f in findings:
        where = (f.rule_id, f.span, f.message[:100])
        assert 1 <= f.line <= lines + 1 and f.column >= 1, where
        assert f.line <= f.span.end_line <= lines + 1, where


def lint_twice(text: str, role: str | None = None) -> list[Finding]:
    first = linter().lint_text("fuzz.yaml", text, role).findings
    second = linter().lint_text("fuzz.yaml", text, role).findings
    assert findings_snapshot(first) == findings_snapshot(second)
    check_findings(text, first)
    return first


# --------------------------------------------------------------------------------------------
# Strategy 1: corpus snippets with edits.

SIGNIFICANT = [
    "\n", " ", "  ", "\t", "- ", "-", ":", ": ", "? ", "#", " #", "&a ", "*a", "*a ", "&b ",
    "!!str ", "!!int ", "!tag ", "|", "|-\n", ">\n", "'", '"', "[", "]", "{", "}", ",", "---\n",
    "...\n", "%YAML 1.1\n---\n", "<<: *a\n", "<<: ", "\r", "\r\n", "\ufeff", "\u2028", "\x85",
    "\\", "%", "@", "`", "~", "yes", "010", "${VAR}", "=", "\x1b", "\U0001f600", "é",
]  # fmt: skip

# Everything but lone surrogates (a str that can never come from decoding a file; see
# test_robustness.py for the loader's behaviour on them).
CHARS = st.characters(blacklist_categories=("Cs",))


@st.composite
def edited_snippet(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SNIPPETS or FALLBACK))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "insert", "delete", "duplicate"]))
        if op == "insert":
            piece = draw(st.sampled_from(SIGNIFICANT) | st.text(CHARS, max_size=4))
            text = text[:at] + piece + text[at:]
        else:
            end = min(len(text), at + draw(st.integers(1, 40)))
            text = text[:at] + (text[at:end] * 2 if op == "duplicate" else "") + text[end:]
    return text


# --------------------------------------------------------------------------------------------
# Strategy 2: YAML from a node tree with random styles.

TRICKY_SCALARS = [
    "yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "", "010", "08", "0x1F", "0o17",
    "0b101", "1_000", "1e3", "-1.5e+300", ".inf", "-.Inf", ".NaN", "2024-01-01",
    "2001-12-14t21:59:43.10-05:00", "12:30:00", "9223372036854775808", "-0", "+1", "0.",
    "${VAR}", "${VAR:=default}", "ENC[AES256_GCM,data:abc=,type:str]", "5m", "1h30m", "v1",
    "-", "?", ":", "#", "&a", "*a", "!", "!!str", "|", ">", "@", "`", "%", "'", '"', "\\",
    "<<", "=", "a: b", "a #b", " lead", "trail ", "multi\nline", "tab\there", "é", "\U0001f600",
]  # fmt: skip

KEYS = [
    "apiVersion", "kind", "metadata", "name", "namespace", "spec", "interval", "url", "ref",
    "sourceRef", "chart", "values", "postBuild", "substitute", "patches", "dependsOn", "data",
    "<<", "on", "yes", "010", "a", "b", "",
]  # fmt: skip

Node = tuple[Any, ...]


def _scalar_node() -> st.SearchStrategy[Node]:
    text = st.sampled_from(TRICKY_SCALARS) | st.text(CHARS, max_size=12)
    style = st.sampled_from(["plain", "plain", "single", "double", "literal", "folded"])
    return st.tuples(st.just("scalar"), text, style)


def _leaf() -> st.SearchStrategy[Node]:
    return (
        _scalar_node()
        | st.tuples(st.just("alias"), st.sampled_from(["a", "b", "c"]))
        | st.tuples(st.just("tagged"), st.sampled_from(["!!str", "!!int", "!!map", "!x"]),
                    _scalar_node())
    )  # fmt: skip


def _collections(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    key = st.sampled_from(KEYS).map(lambda k: ("scalar", k, "plain")) | _scalar_node()
    flow = st.booleans()
    mapping = st.tuples(st.just("map"), st.lists(st.tuples(key, children), max_size=5), flow)
    sequence = st.tuples(st.just("seq"), st.lists(children, max_size=5), flow)
    anchored = st.tuples(st.just("anchor"), st.sampled_from(["a", "b"]), children)
    return mapping | sequence | anchored


NODES = st.recursive(_leaf(), _collections, max_leaves=25)


def _quote(text: str, style: str, indent: int) -> str:
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(text)
    if style in ("literal", "folded"):
        pad = " " * (indent + 2)
        body = "".join(f"{pad}{line}\n" for line in text.split("\n"))
        return ("|" if style == "literal" else ">") + "\n" + body.rstrip("\n")
    return text  # plain, whatever it contains: broken YAML is welcome


def render(node: Node, indent: int = 0, flow: bool = False) -> str:
    """YAML text of ``node``; block collections start on their own line (indent given)."""
    kind = node[0]
    pad = " " * indent
    if kind == "scalar":
        style = node[2] if not (flow and node[2] in ("literal", "folded")) else "double"
        return _quote(node[1], style, indent)
    if kind == "alias":
        return f"*{node[1]}"
    if kind == "tagged":
        return f"{node[1]} {render(node[2], indent, flow)}"
    if kind == "anchor":
        inner = render(node[2], indent, flow)
        return f"&{node[1]} {inner}" if not inner.startswith("\n") else f"&{node[1]}{inner}"
    items, as_flow = node[1], node[2] or flow or not node[1]
    if kind == "map":
        if as_flow:
            return "{" + ", ".join(
                f"{render(k, 0, True)}: {render(v, 0, True)}" for k, v in items
            ) + "}"  # fmt: skip
        return "".join(
            f"\n{pad}{render(k, indent, True)}:{_after(render(v, indent + 2))}" for k, v in items
        )
    if as_flow:
        return "[" + ", ".join(render(v, 0, True) for v in items) + "]"
    return "".join(f"\n{pad}-{_after(render(v, indent + 2))}" for v in items)


def _after(value: str) -> str:
    return value if value.startswith("\n") else f" {value}"


@st.composite
def structured_yaml(draw: st.DrawFn) -> str:
    docs = draw(st.lists(NODES, min_size=1, max_size=3))
    parts = []
    for i, doc in enumerate(docs):
        body = render(doc).lstrip("\n")
        marker = draw(st.sampled_from(["---\n", "--- ", "", "%YAML 1.1\n---\n"])) if i else ""
        parts.append(f"{marker}{body}\n")
        if draw(st.booleans()) and i + 1 < len(docs):
            parts.append(draw(st.sampled_from(["---\n", "...\n---\n"])))
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Strategy 3: Flux-shaped objects with random values.

API_KINDS = [
    ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
    ("source.toolkit.fluxcd.io/v1", "Bucket"),
    ("source.toolkit.fluxcd.io/v1", "HelmChart"),
    ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("kustomize.toolkit.fluxcd.io/v1beta2", "Kustomization"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease"),
    ("notification.toolkit.fluxcd.io/v1beta3", "Alert"),
    ("notification.toolkit.fluxcd.io/v1beta3", "Provider"),
    ("notification.toolkit.fluxcd.io/v1", "Receiver"),
    ("image.toolkit.fluxcd.io/v1", "ImagePolicy"),
    ("image.toolkit.fluxcd.io/v1", "ImageRepository"),
    ("image.toolkit.fluxcd.io/v1", "ImageUpdateAutomation"),
    ("source.toolkit.fluxcd.io/v9", "GitRepository"),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
    ("v1", "ConfigMap"),
]

SPEC_FIELDS = [
    "interval", "timeout", "url", "ref", "secretRef", "sourceRef", "chart", "chartRef", "values",
    "valuesFrom", "postBuild", "patches", "dependsOn", "path", "prune", "suspend", "provider",
    "type", "layerSelector", "install", "upgrade", "rollback", "postRenderers",
    "postRenderStrategy", "healthChecks", "healthCheckExprs", "ignore", "verify", "insecure",
    "targetNamespace", "serviceAccountName", "decryption", "force", "wait", "retryInterval",
    "eventSources", "providerRef", "channel", "address", "imageRepositoryRef", "policy",
    "filterTags", "git", "update", "sourceRef", "kubeConfig", "commonMetadata", "components",
    "intervall", "driftDetection", "releaseName", "storageNamespace", "persistentClient",
]  # fmt: skip

SUB_FIELDS = [
    "name", "namespace", "kind", "apiVersion", "branch", "tag", "semver", "commit", "spec",
    "chart", "version", "retries", "strategy", "remediation", "substitute", "substituteFrom",
    "target", "patch", "mode", "literal", "targetPath", "current", "inProgress", "failed",
    "mediaType", "operation", "key", "optional", "crds", "cleanupOnFail", "enabled",
]  # fmt: skip

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([*TRICKY_SCALARS, "1m", "5m0s", "main", "https://x.io", "oci://r/c"])
    | st.text(CHARS, max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(SUB_FIELDS) | st.text(CHARS, max_size=6), children,
                      max_size=5),
    max_leaves=20,
)  # fmt: skip


def dump_block(value: Any, indent: int = 0) -> str:
    """Valid block YAML for JSON-like data, strings always double-quoted (JSON escapes are
    YAML escapes), so what the rules see is exactly ``value``."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        return "".join(f"\n{pad}{json.dumps(str(k))}:{_after(dump_block(v, indent + 2))}"
                       for k, v in value.items())  # fmt: skip
    if isinstance(value, list) and value:
        return "".join(f"\n{pad}-{_after(dump_block(v, indent + 2))}" for v in value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
    return json.dumps(value)


@st.composite
def flux_object(draw: st.DrawFn) -> str:
    api_version, kind = draw(st.sampled_from(API_KINDS))
    metadata = draw(
        st.fixed_dictionaries(
            {"name": st.sampled_from(["app", "x" * 300, "Bad_Name", ""]) | VALUES},
            optional={
                "namespace": st.sampled_from(["flux-system", "${NS}"]) | VALUES,
                "labels": VALUES,
                "annotations": VALUES,
            },
        )
    )
    spec = draw(st.dictionaries(st.sampled_from(SPEC_FIELDS), VALUES, max_size=8))
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    if draw(st.booleans()) or spec:
        obj["spec"] = spec
    if draw(st.integers(0, 9)) == 0:
        obj["sops"] = {"mac": "ENC[AES256_GCM,data:x,type:str]", "version": "3.9.0"}
    return dump_block(obj).lstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------
# Properties.


@settings(FUZZ, max_examples=250)
@given(edited_snippet())
def test_loader_on_edited_corpus_snippets(text: str) -> None:
    first = load_text(text)
    check_load(text, first)
    assert snapshot(load_text(text)) == snapshot(first)


@settings(FUZZ, max_examples=300)
@given(structured_yaml())
def test_loader_on_structured_yaml(text: str) -> None:
    first = load_text(text)
    check_load(text, first)
    assert snapshot(load_text(text)) == snapshot(first)


@settings(FUZZ, max_examples=300)
@given(st.text(CHARS, max_size=200))
def test_loader_on_arbitrary_text(text: str) -> None:
    first = load_text(text)
    check_load(text, first)
    assert snapshot(load_text(text)) == snapshot(first)


@settings(FUZZ, max_examples=150)
@given(edited_snippet(), st.sampled_from([None, None, PATCH, DATA]))
def test_engine_on_edited_corpus_snippets(text: str, role: str | None) -> None:
    lint_twice(text, role)


@settings(FUZZ, max_examples=150)
@given(structured_yaml())
def test_engine_on_structured_yaml(text: str) -> None:
    lint_twice(text)


@settings(FUZZ, max_examples=200)
@given(st.lists(flux_object(), min_size=1, max_size=3), st.sampled_from([None, PATCH]))
def test_engine_on_flux_objects(objects: list[str], role: str | None) -> None:
    text = "---\n".join(objects)
    findings = lint_twice(text, role)
    assert all(f.document < len(objects) for f in findings)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n",
        "- &a [*a]\n",
        "? [a, b]\n: 1\n",
        "%YAML 1.1\n---\na: !!binary aGVsbG8=\n",
        "a: 1\r\nb: [\r\n",
        re.sub(r"\n", "\u2028", "a: 1\nb: [\n"),
    ],
)
def test_fixed_examples(text: str) -> None:
    """Seeds that once mattered, kept as plain tests so they run even with hypothesis' database
    cleared."""
    check_load(text, load_text(text))
    lint_twice(text)
