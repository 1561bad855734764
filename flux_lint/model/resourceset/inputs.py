"""The input sets of a ResourceSet, combined the way flux-operator combines them.

Sources followed (flux-operator v0.58.1):

- ``api/v1/resourceset_types.go`` ``GetInputs``: inline ``spec.inputs`` are decoded from JSON, so
  every number is a ``float64`` (``eq inputs.replicas 2`` compares a float with an int and
  fails in Go; the executor reproduces that);
- ``internal/inputs/provider.go`` ``getFromProvider``: every input set gets
  ``provider: {apiVersion, kind, name, namespace}``;
- ``internal/inputs/combine.go``: the ResourceSet first, then its providers sorted by GVK,
  namespace and name; ``flattener.go`` concatenates; ``permuter.go`` nests each provider's set
  under its normalized name (``keys.go``), takes the Cartesian product (at most 10000) and sets
  ``id`` to the Adler-32 of ``"<name>=<index>/..."`` (``id.go``);
- ``internal/controller/resourcesetinputprovider_controller.go``: a ``Static`` provider exports
  one input set, its ``defaultValues`` plus ``id`` (Adler-32 of the object's UID; offline, as
  ``flux-operator build resourceset`` does, of its name);
- ``internal/controller/resourceset_controller.go`` ``getInputs``: providers by name or label
  selector, in the ResourceSet's namespace.

Providers of the other types are fed by services flux-lint cannot reach: they get one input set
whose exported keys are placeholders (:class:`~.template.UncertainMap`), and what the templates
print from them is never reported.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass, field
from typing import Any

from flux_lint.core.placeholders import is_unresolved
from flux_lint.model.resourceset.executor import Uncertain, UncertainMap

GROUP_VERSION = "fluxcd.controlplane.io/v1"
RSIP_KIND = "ResourceSetInputProvider"
MAX_PERMUTATIONS = 10_000

#: Keys each non-Static provider type exports (docs/api/v1/resourcesetinputprovider.md "Type").
EXPORTED_KEYS = {
    "GitHubPullRequest": ("id", "sha", "branch", "author", "title"),
    "GitLabMergeRequest": ("id", "sha", "branch", "author", "title"),
    "AzureDevOpsPullRequest": ("id", "sha", "branch", "author", "title"),
    "AWSCodeCommitPullRequest": ("id", "sha", "branch", "author", "title"),
    "GiteaPullRequest": ("id", "sha", "branch", "author", "title"),
    "GitLabEnvironment": ("id", "sha", "branch", "author", "title", "slug"),
    "OCIArtifactTag": ("id", "tag", "digest"),
    "ACRArtifactTag": ("id", "tag", "digest"),
    "ECRArtifactTag": ("id", "tag", "digest"),
    "GARArtifactTag": ("id", "tag", "digest"),
    "ExternalArtifact": ("id", "name", "namespace", "revision"),
}
_BRANCH_TYPES = (
    "GitHubBranch",
    "GitLabBranch",
    "AzureDevOpsBranch",
    "AWSCodeCommitBranch",
    "GiteaBranch",
)
_TAG_TYPES = ("GitHubTag", "GitLabTag", "AzureDevOpsTag", "AWSCodeCommitTag", "GiteaTag")
for _t in _BRANCH_TYPES:
    EXPORTED_KEYS[_t] = ("id", "branch", "sha")
for _t in _TAG_TYPES:
    EXPORTED_KEYS[_t] = ("id", "tag", "sha")


def input_id(text: str) -> str:
    """``inputs.ID``: the decimal Adler-32 checksum."""
    return str(zlib.adler32(text.encode()))


def json_value(value: Any) -> Any:
    """A YAML value as Go sees it after ``json.Unmarshal`` into ``any``: numbers are float64.
    A string holding a Flux post-build placeholder (``${VAR}``) is only final once the Flux
    Kustomization that applies the ResourceSet substitutes it: it is :class:`Uncertain`."""
    if isinstance(value, str):
        return Uncertain(value) if is_unresolved(value) else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value


def normalize_key(name: str) -> str:
    """``inputs.NormalizeKeyForTemplate``: lower case, spaces and punctuation to ``_``, other
    characters outside ``[a-z0-9]`` dropped, runs of ``_`` collapsed."""
    out: list[str] = []
    for ch in name:
        ch = ch.lower()
        category = unicodedata.category(ch)
        if ch.isspace() or category.startswith("P"):
            out.append("_")
        elif ("a" <= ch <= "z") or ("0" <= ch <= "9"):
            out.append(ch)
    return "_".join(word for word in "".join(out).split("_") if word)


@dataclass
class Provider:
    """One source of input sets: the ResourceSet itself or a ResourceSetInputProvider."""

    kind: str
    name: str
    namespace: str | None
    sets: list[dict[str, Any]]
    uncertain: bool = False  # its input sets come from a service flux-lint cannot reach
    type: str = ""  # spec.type of a provider

    def stamped(self) -> list[dict[str, Any]]:
        """The sets with ``provider`` set, as ``getFromProvider`` does."""
        out = []
        for input_set in self.sets:
            stamped = (
                UncertainMap(input_set) if isinstance(input_set, UncertainMap) else dict(input_set)
            )
            stamped["provider"] = {
                "apiVersion": GROUP_VERSION,
                "kind": self.kind,
                "name": self.name,
                "namespace": self.namespace or "",
            }
            out.append(stamped)
        return out


def provider_from_object(data: dict[str, Any], namespace: str | None) -> Provider:
    """The input sets a ResourceSetInputProvider exports, as far as they are known offline."""
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    name = str(meta.get("name") or "")
    ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else namespace
    kind_type = spec.get("type") if isinstance(spec.get("type"), str) else ""
    defaults_raw = spec.get("defaultValues")
    defaults = json_value(defaults_raw) if isinstance(defaults_raw, dict) else {}
    if kind_type == "Static":
        # The controller uses the object's UID; offline, the CLI uses the name.
        exported = dict(defaults)
        exported["id"] = Uncertain(input_id(name))
        return Provider(RSIP_KIND, name, ns, [exported], type=kind_type)
    exported = UncertainMap()
    open_keys = kind_type in ("ExternalService", "ExternalArtifact")
    for key, value in defaults.items():
        exported[key] = Uncertain(value) if open_keys and isinstance(value, str) else value
    for key in EXPORTED_KEYS.get(kind_type, ("id",)):
        exported[key] = Uncertain("0" if key == "id" else "placeholder")
    return Provider(RSIP_KIND, name, ns, [exported], uncertain=True, type=kind_type)


def one_provider(found: list[dict[str, Any]], name: str, namespace: str | None) -> Provider:
    """The provider named ``name`` among the repository's objects of that name: none is a
    provider created elsewhere, several that differ (one per cluster folder) cannot be told
    apart without knowing the cluster; both give placeholder inputs."""
    distinct = {repr(obj.get("spec")) for obj in found}
    if len(distinct) == 1:
        return provider_from_object(found[0], namespace)
    return missing_provider(name, namespace)


def missing_provider(name: str, namespace: str | None) -> Provider:
    """A provider named by the ResourceSet but not in the repository (created elsewhere)."""
    return Provider(RSIP_KIND, name, namespace, [UncertainMap()], uncertain=True)


def selector_matches(selector: Any, labels: Any) -> bool:
    """``metav1.LabelSelectorAsSelector(...).Matches``; an empty selector matches everything."""
    if not isinstance(selector, dict):
        return False
    labels = labels if isinstance(labels, dict) else {}
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return False
    for key, value in match_labels.items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            return False
        key, op, vals = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in vals:
            return False
        if op == "NotIn" and key in labels and labels.get(key) in vals:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


@dataclass
class Combined:
    """The combined input sets; ``error`` is the operator's error when it cannot combine."""

    sets: list[dict[str, Any]] = field(default_factory=list)
    uncertain: bool = False
    error: str | None = None


def combine(
    rset_name: str, rset_namespace: str | None, spec: dict[str, Any], providers: list[Provider]
) -> Combined:
    """``inputs.Combine``: the ResourceSet's own sets first, then the providers in order."""
    inline_raw = spec.get("inputs")
    inline = (
        [json_value(s) for s in inline_raw if isinstance(s, dict)]
        if isinstance(inline_raw, list)
        else []
    )
    own = Provider("ResourceSet", rset_name, rset_namespace, inline)
    ordered = [own, *sorted(providers, key=lambda p: (p.namespace or "", p.name))]
    strategy = spec.get("inputStrategy") if isinstance(spec.get("inputStrategy"), dict) else {}
    name = strategy.get("name", "Flatten") if strategy else "Flatten"
    result = Combined(uncertain=any(p.uncertain for p in providers))
    if name == "Permute":
        include_empty = strategy.get("includeEmptyProviders") is True
        return _permute(ordered, include_empty, result)
    for provider in ordered:
        result.sets.extend(provider.stamped())
    return result


def _permute(providers: list[Provider], include_empty: bool, result: Combined) -> Combined:
    scoped: list[tuple[str, list[dict[str, Any]]]] = []
    expected = 0
    for provider in providers:
        sets = provider.stamped()
        if not include_empty and not sets:
            continue
        expected = len(sets) if not scoped else expected * len(sets)
        if expected > MAX_PERMUTATIONS:
            result.error = (
                f"adding provider '{provider.name}' with {len(sets)} inputs would exceed the "
                f"maximum allowed permutations. max: {MAX_PERMUTATIONS}, got: {expected}"
            )
            return result
        key = normalize_key(provider.name)
        if not key:
            result.error = f"normalized provider name is empty: '{provider.name}'"
            return result
        scoped.append((key, sets))
    if not scoped or any(not sets for _, sets in scoped):
        return result
    indexes = [0] * len(scoped)
    while True:
        permutation: dict[str, Any] = {}
        parts = []
        for (key, sets), k in zip(scoped, indexes, strict=True):
            permutation[key] = sets[k]
            parts.append(f"{key}={k}")
        permutation["id"] = input_id("/".join(parts))
        result.sets.append(permutation)
        position = len(indexes) - 1
        while position >= 0:
            indexes[position] += 1
            if indexes[position] < len(scoped[position][1]):
                break
            indexes[position] = 0
            position -= 1
        if position < 0:
            return result


def describe(input_set: Any, all_sets: list[Any]) -> str:
    """A short label of an input set for messages: ``{tenant: team-a}``, showing the keys whose
    values tell the sets apart (``id`` and ``provider`` only when nothing else does)."""
    if not isinstance(input_set, dict) or not input_set:
        return "{}"
    flat = _leaves(input_set)
    others = [_leaves(s) for s in all_sets if isinstance(s, dict)]
    varying = [k for k in flat if any(o.get(k) != flat[k] for o in others)]
    plain = [k for k in varying if _telling(k)]
    keys = plain or [k for k in flat if _telling(k)] or list(flat)
    shown = keys[:3]
    items = ", ".join(f"{k}: {_short(flat[k])}" for k in shown)
    return "{" + items + (", ..." if len(keys) > 3 else "") + "}"


def _telling(key: str) -> bool:
    """A key that tells a reader which input set this is (not ``id`` nor ``provider``)."""
    parts = key.split(".")
    return parts[-1] != "id" and "provider" not in parts


def _leaves(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict) and not isinstance(item, UncertainMap):
            out.update(_leaves(item, path + "."))
        elif not isinstance(item, (dict, list)):
            out[path] = item
    return out


def _short(value: Any) -> str:
    from flux_lint.model.resourceset.gotypes import print_value

    text = print_value(value) if not isinstance(value, Uncertain) else "<from the cluster>"
    return text if len(text) <= 40 else text[:37] + "..."
