"""Fixes for removed and deprecated built-in Kubernetes APIs.

The plain fix writes the replacement apiVersion; it is safe when the object, as it is, validates
on the new version of the target Kubernetes, and unsafe otherwise (the title says which field
the new version rejects). Where the Kubernetes deprecation guide names a shape change, a second,
unsafe fix rewrites exactly those fields together with the apiVersion:

* Ingress ``extensions/v1beta1`` and ``networking.k8s.io/v1beta1`` → ``networking.k8s.io/v1``:
  ``backend.serviceName`` → ``backend.service.name``, a numeric ``servicePort`` →
  ``service.port.number`` and a named one → ``service.port.name``, ``spec.backend`` →
  ``spec.defaultBackend``, and ``pathType: ImplementationSpecific`` (what v1beta1 did when it
  was not set) on every path that has none;
* HorizontalPodAutoscaler ``autoscaling/v2beta1`` → ``autoscaling/v2``: a ``Resource`` metric's
  ``targetAverageUtilization``/``targetAverageValue`` → ``target`` with its ``type``.

They are unsafe because they change what the file says beyond its apiVersion; each edit
replaces the text of the entries it rewrites and keeps everything else byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flux_lint.check.context import CheckContext
from flux_lint.check.edits import replace_scalar
from flux_lint.core.findings import Edit, Fix
from flux_lint.model.objects import K8sObject

FixBuilder = Callable[[Any, str], Fix | None]


def _bump_problem(obj: K8sObject, ctx: CheckContext, replacement: str, data: dict) -> str | None:
    """Why ``data`` (the object moved to ``replacement``) is not valid there, or None."""
    validator = ctx.kubernetes.validator(replacement, obj.kind)
    if validator is None:
        return f"Kubernetes does not serve {obj.kind} `{replacement}`"
    errors = validator.validate(data, partial=obj.partial)
    if not errors:
        return None
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"`{replacement}` would reject it: {errors[0].message}{more}"


def bump_fix(obj: K8sObject, ctx: CheckContext, row: Any) -> FixBuilder | None:
    replacement = row.replacement
    title = f"Change apiVersion to `{replacement}`"
    bumped = {**obj.data, "apiVersion": replacement}
    try:
        reason = _bump_problem(obj, ctx, replacement, bumped)
    except Exception as exc:  # the finding must survive a failure of the safety check
        reason = f"the object could not be checked against the new version ({exc})"
    if reason is None:
        return replace_scalar("/apiVersion", replacement, expected=obj.api_version, title=title)
    shape = SHAPE_FIXES.get(row.changes or "")
    if shape is not None:
        builder = shape(obj, ctx, replacement)
        if builder is not None:
            return builder
    return replace_scalar(
        "/apiVersion",
        replacement,
        expected=obj.api_version,
        title=f"{title} (unsafe: {reason})",
        safe=False,
    )


SHAPE_FIXES: dict[str, Callable[[K8sObject, CheckContext, str], FixBuilder | None]] = {}


# -- rewriting entries of a block mapping --------------------------------------------------------


def _entries(node: Any) -> dict[str, tuple[Any, Any]] | None:
    """A block mapping's entries by key, or None for anything else."""
    from flux_lint.load.yaml import node_key

    if node is None or node.kind != "map" or node.style == "flow":
        return None
    return {node_key(k): (k, v) for k, v in node.value}


def _raw(text: str, lines: Any, node: Any) -> str | None:
    """The one-line text of a plain or quoted scalar, reused as written."""
    if (
        node.kind != "scalar"
        or node.line != node.end_line
        or node.anchor
        or node.style in ("|", ">")
    ):
        return None
    return text[lines.offset(node.line, node.col) : lines.offset(node.end_line, node.end_col)]


def _replace_entries(
    text: str, lines: Any, first: Any, last: Any, rows: list[tuple[int, str]]
) -> Edit | None:
    """An edit replacing the entries from key node ``first`` to value node ``last`` (which
    must be one line each, at the same column) by ``rows``: (extra indent, text) lines."""
    if first.line > last.line or last.line != last.end_line:
        return None
    indent = first.col
    newline = lines.newline_for(first.line + 1)
    body = newline.join(" " * (indent + extra) + row for extra, row in rows)
    start = lines.offset(first.line, first.col)
    end = lines.offset(last.end_line, last.end_col)
    return Edit(start, end, body[indent:])


def _checked(document: Any, text: str, edits: list[Edit], expected: Any, title: str) -> Fix | None:
    """The fix, if applying ``edits`` gives a file whose document is exactly ``expected``."""
    from flux_lint.check.edits import apply_edits
    from flux_lint.load.yaml import load_text

    try:
        fixed = load_text(apply_edits(text, edits))
    except ValueError:
        return None
    docs = [d for d in fixed.documents if d.index == document.index]
    if fixed.problems or not docs or docs[0].data != expected:
        return None
    return Fix(title, tuple(edits), False)


# -- Ingress -------------------------------------------------------------------------------------


def _ingress_backend(backend: dict) -> dict:
    out = {k: v for k, v in backend.items() if k not in ("serviceName", "servicePort")}
    port = backend.get("servicePort")
    out["service"] = {
        "name": backend.get("serviceName"),
        "port": {"number" if isinstance(port, int) else "name": port},
    }
    return out


def _ingress_expected(data: dict, replacement: str) -> dict | None:
    import copy

    new = copy.deepcopy(data)
    new["apiVersion"] = replacement
    spec = new.get("spec")
    if not isinstance(spec, dict):
        return None
    if isinstance(spec.get("backend"), dict):
        spec["defaultBackend"] = _ingress_backend(spec.pop("backend"))
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if not isinstance(path, dict):
                return None
            if isinstance(path.get("backend"), dict) and "serviceName" in path["backend"]:
                path["backend"] = _ingress_backend(path["backend"])
            path.setdefault("pathType", "ImplementationSpecific")
    return new


def _backend_edit(text: str, lines: Any, node: Any) -> Edit | None:
    entries = _entries(node)
    if entries is None or "serviceName" not in entries or "servicePort" not in entries:
        return None
    keys = [node_key_of(k) for k, _ in node.value]
    i, j = keys.index("serviceName"), keys.index("servicePort")
    if abs(i - j) != 1:
        return None
    name = _raw(text, lines, entries["serviceName"][1])
    port_node = entries["servicePort"][1]
    port = _raw(text, lines, port_node)
    if name is None or port is None:
        return None
    from flux_lint.load.yaml import resolve_plain

    value = resolve_plain(port_node.value) if port_node.style is None else port_node.value
    field = "number" if isinstance(value, int) and not isinstance(value, bool) else "name"
    first, last = node.value[min(i, j)][0], node.value[max(i, j)][1]
    rows = [(0, "service:"), (2, f"name: {name}"), (2, "port:"), (4, f"{field}: {port}")]
    return _replace_entries(text, lines, first, last, rows)


def node_key_of(node: Any) -> str:
    from flux_lint.load.yaml import node_key

    return node_key(node)


def _ingress_fix(obj: K8sObject, ctx: CheckContext, replacement: str) -> FixBuilder | None:
    expected = _ingress_expected(obj.data, replacement)
    if expected is None or _bump_problem(obj, ctx, replacement, expected) is not None:
        return None
    title = (
        f"Change apiVersion to `{replacement}` and rewrite the backends "
        "(`service.name`/`service.port`, `pathType: ImplementationSpecific`)"
    )

    def build(document: Any, text: str) -> Fix | None:
        from flux_lint.check.edits import _line_index, _resolve, insert_key

        lines = _line_index(text)
        bump = replace_scalar("/apiVersion", replacement, expected=obj.api_version)
        fix = bump(document, text)
        if fix is None:
            return None
        edits = list(fix.edits)
        spec = obj.spec
        if isinstance(spec.get("backend"), dict):
            entries = _entries(_resolve(document.node, "/spec"))
            if entries is None:
                return None
            key = entries["backend"][0]
            edits.append(
                Edit(
                    lines.offset(key.line, key.col),
                    lines.offset(key.end_line, key.end_col),
                    "defaultBackend",
                )
            )
            if "serviceName" in spec["backend"]:
                edit = _backend_edit(text, lines, entries["backend"][1])
                if edit is None:
                    return None
                edits.append(edit)
        for r, rule in enumerate(spec.get("rules") or []):
            for p, path in enumerate(((rule or {}).get("http") or {}).get("paths") or []):
                pointer = f"/spec/rules/{r}/http/paths/{p}"
                if "serviceName" in (path.get("backend") or {}):
                    edit = _backend_edit(text, lines, _resolve(document.node, pointer + "/backend"))
                    if edit is None:
                        return None
                    edits.append(edit)
                if "pathType" not in path:
                    add = insert_key(pointer, "pathType", "ImplementationSpecific", after="path")
                    added = add(document, text)
                    if added is None:
                        return None
                    edits.extend(added.edits)
        return _checked(document, text, edits, expected, title)

    return build


# -- HorizontalPodAutoscaler autoscaling/v2beta1 ----------------------------------------------

_HPA_TARGETS = {
    "targetAverageUtilization": ("Utilization", "averageUtilization"),
    "targetAverageValue": ("AverageValue", "averageValue"),
}


def _hpa_expected(data: dict, replacement: str) -> dict | None:
    import copy

    new = copy.deepcopy(data)
    new["apiVersion"] = replacement
    for metric in (new.get("spec") or {}).get("metrics") or []:
        if not isinstance(metric, dict) or metric.get("type") != "Resource":
            return None  # only Resource metrics are rewritten; others keep the plain fix
        resource = metric.get("resource")
        if not isinstance(resource, dict):
            return None
        found = [k for k in _HPA_TARGETS if k in resource]
        if len(found) != 1:
            return None
        kind, field = _HPA_TARGETS[found[0]]
        resource["target"] = {"type": kind, field: resource.pop(found[0])}
    return new


def _hpa_fix(obj: K8sObject, ctx: CheckContext, replacement: str) -> FixBuilder | None:
    expected = _hpa_expected(obj.data, replacement)
    if expected is None or _bump_problem(obj, ctx, replacement, expected) is not None:
        return None
    title = f"Change apiVersion to `{replacement}` and move resource metric targets to `target`"

    def build(document: Any, text: str) -> Fix | None:
        from flux_lint.check.edits import _line_index, _resolve

        lines = _line_index(text)
        fix = replace_scalar("/apiVersion", replacement, expected=obj.api_version)(document, text)
        if fix is None:
            return None
        edits = list(fix.edits)
        for m, metric in enumerate(obj.spec.get("metrics") or []):
            entries = _entries(_resolve(document.node, f"/spec/metrics/{m}/resource"))
            if entries is None:
                return None
            found = next(k for k in _HPA_TARGETS if k in metric["resource"])
            key, value = entries[found]
            raw = _raw(text, lines, value)
            if raw is None:
                return None
            kind, field = _HPA_TARGETS[found]
            rows = [(0, "target:"), (2, f"type: {kind}"), (2, f"{field}: {raw}")]
            edit = _replace_entries(text, lines, key, value, rows)
            if edit is None:
                return None
            edits.append(edit)
        return _checked(document, text, edits, expected, title)

    return build


SHAPE_FIXES.update({"ingress-backend": _ingress_fix, "hpa-metrics": _hpa_fix})
