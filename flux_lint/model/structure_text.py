"""Which files may hold an object the applied set is computed from, judged from their text.

The reading pass parses a file for its structure (model/applied.py: Flux Kustomizations,
sources, ArtifactGenerators, FluxInstances, ResourceSets, flux-instance HelmReleases) only
when :func:`may_hold_structure` says it may. A substring test for the kinds alone lets through
every file that merely *names* one of them: a HelmRelease whose ``chartRef`` or
``sourceRef`` is an ``OCIRepository`` or ``GitRepository``, a Kustomization's ``dependsOn``;
in a typical repository that is half of the text, parsed for nothing and parsed again by the
lint pass.

A file is left out only when it provably holds no such object. A document's kind is the
``kind`` of its root mapping; the text must then name the kind somewhere. The filter proves
that every place naming a structural kind is a *nested* ``kind: <Kind>`` entry:

* every document's root is a block mapping written from column 0 (its first line is a plain
  key at column 0; no directives, no content after ``---``), so that an indented line cannot
  hold a root key and its value together;
* every line naming a structural kind is exactly an indented ``kind: <Kind>`` (or a
  ``- kind: <Kind>`` list item), the kind plain or quoted, with nothing but a comment after
  it: neither an anchor nor a tag, nor the value of a root ``kind:`` written on the next line.

Anything else keeps the file: flow or JSON roots, escapes (``"\\x52"`` can spell any kind),
merge keys (``<<: *base`` can bring a ``kind`` into the root), the kustomize group (kustomize
configuration in a file of another name), and a HelmRelease that may carry a flux-instance
``values.instance.sync`` block (the name ``flux-instance``, or a ``sync`` key). A file let
through is simply parsed, as before.
"""

from __future__ import annotations

import re

from flux_lint.model.applied_set import FLUX_INSTANCE_CHART, STRUCTURE_MARKERS
from flux_lint.model.kustomize import KUSTOMIZE_GROUP

__all__ = ["may_hold_structure"]

#: The kinds whose objects are structural (model/applied_set.py ``is_structural``), and the kind
#: of kustomize's own configuration; ``ResourceSet`` covers ``ResourceSetInputProvider``.
_KINDS = r"GitRepository|OCIRepository|ArtifactGenerator|FluxInstance|ResourceSet\w*|Kustomization"
_KIND = re.compile(_KINDS)
#: A nested ``kind:`` entry naming one: indented, or an item of a sequence that is the value
#: of a key (the root is a mapping at column 0).
_REFERENCE = re.compile(
    rf"(?:[ ]+(?:-[ ]+)?|-[ ]+)kind:[ ]*(?:(?:{_KINDS})|'(?:{_KINDS})'|\"(?:{_KINDS})\")"
    r"[ ]*(?:#.*)?"
)
#: Document markers, and what may follow one on its line.
_MARKER = re.compile(r"^(?:---|\.\.\.)(.*)$", re.MULTILINE)
_NOTHING = re.compile(r"(?:[ \t]+(?:#.*)?)?")
#: A line that opens a block mapping at column 0: a plain key.
_ROOT_KEY = re.compile(r"[A-Za-z0-9_][^:#\[\]{},]*:(?:[ ]|$)")
#: A ``sync`` key (``values.instance.sync`` of a flux-instance HelmRelease).
_SYNC = re.compile(r"(?<![\w-])sync(?![\w-])")


def may_hold_structure(text: str) -> bool:
    """Whether the text may hold an object the applied set is computed from (a false True
    costs a parse; a false False would lose an entry point, so every doubt says True)."""
    if not any(marker in text for marker in STRUCTURE_MARKERS):
        return False
    if FLUX_INSTANCE_CHART in text or KUSTOMIZE_GROUP in text or "\\" in text or "<<" in text:
        return True
    if "HelmRelease" in text and "sync" in text and _SYNC.search(text):
        return True
    for kind in _KIND.finditer(text):  # the line of each place naming a kind
        start = text.rfind("\n", 0, kind.start()) + 1
        end = text.find("\n", kind.end())
        if not _REFERENCE.fullmatch(text, start, end if end >= 0 else len(text)):
            return True
    return not _roots_at_column_zero(text)


def _roots_at_column_zero(text: str) -> bool:
    """Whether every document of the text is empty or a block mapping whose keys start at
    column 0 (its first line a plain key), with no directives nor content on a marker line."""
    start = 0
    for marker in _MARKER.finditer(text):
        if not _NOTHING.fullmatch(marker.group(1)):
            return False
        if not _root_ok(text, start, marker.start()):
            return False
        start = marker.end() + 1
    return _root_ok(text, start, len(text))


def _root_ok(text: str, start: int, end: int) -> bool:
    """Whether the document in ``text[start:end]`` is empty or opens with a plain key."""
    while start < end:
        stop = text.find("\n", start, end)
        if stop < 0:
            stop = end
        line = text[start:stop]
        start = stop + 1
        content = line.lstrip(" \t")
        if not content or content.startswith("#"):
            continue
        return _ROOT_KEY.match(line) is not None
    return True
