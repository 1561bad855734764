"""Which Flux version a repository installs, read from the repository itself.

An upgrade report (``--from``) is only as good as the version it starts from, and users rarely
remember the exact minor their clusters run. The repository usually says it, in one of three
places:

* a ``FluxInstance`` (flux-operator, ``fluxcd.controlplane.io/v1``) with
  ``spec.distribution.version``, a semver constraint such as ``2.9.x``, ``2.x``, ``*`` or
  ``>=2.8.0``;
* a ``HelmRelease`` of the ``flux-instance`` chart, which renders that FluxInstance from
  ``spec.values.instance.distribution.version`` (the chart's default is ``2.x``);
* ``gotk-components.yaml`` written by ``flux install --export`` / ``flux bootstrap``, whose
  header comment names the exact release (``# Flux Version: v2.6.4``) and whose objects carry
  the label ``app.kubernetes.io/version: v2.6.4``;
* Flux installing itself from its release manifests: a ``GitRepository`` of
  ``github.com/fluxcd/flux2`` or an ``OCIRepository`` of ``ghcr.io/fluxcd/flux-manifests``
  (``spec.ref.tag`` pins a release, ``spec.ref.semver`` is a constraint), or a kustomize
  ``resources`` entry such as ``github.com/fluxcd/flux2/manifests/install?ref=v2.6.4``.

A constraint is evaluated the way flux-operator evaluates it (Masterminds semver: a missing
part is a wildcard, ``~`` pins the minor, ``^`` pins the major, ``,`` or a space is *and*,
``||`` is *or*, ``A - B`` is a range) over every Flux 2 minor, so the answer is the set of
minors the operator may install (Flux 0.x, the pre-GA releases of Flux 2, included, so that an
old repository is recognised as one). One minor is a pinned version; more than one *floats*:
Flux moves to a newer minor without any change in the repository.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flux_lint.core.placeholders import has_placeholder
from flux_lint.core.regex import lazy
from flux_lint.core.releases import MINORS
from flux_lint.model.index import IndexEntry, RepoIndex

Minor = tuple[int, int]

OPERATOR_GROUP = "fluxcd.controlplane.io"
FLUX_INSTANCE_CHART = "flux-instance"
#: The version flux-instance's chart writes when the values do not set one (chart values.yaml).
CHART_DEFAULT_VERSION = "2.x"
#: The newest Flux minor whose API versions flux-lint knows: "the newest Flux" for a
#: constraint without an upper bound.
NEWEST_KNOWN: Minor = MINORS[-1]
#: Versions a constraint is evaluated over: Flux 0.x (flux2 before GA) and 2.x, including 2.x
#: minors past the newest known one so that ``2.x`` is seen to float even on the newest release.
_CANDIDATE_MAJORS = (0, 2)
_CANDIDATE_MINORS = range(0, 100)

GOTK_FILES = ("gotk-components.yaml", "gotk-components.yml")
#: The header ``flux install --export`` writes (the same one Renovate's flux manager reads).
GOTK_HEADER = lazy(r"^#\s*Flux Version:\s*(?P<version>\S+)\s*$", re.MULTILINE)
VERSION_LABEL = "app.kubernetes.io/version"


# -- semver constraints ---------------------------------------------------------------------------

_PART = r"(?:0|[1-9]\d*|[xX*])"
_VERSION = lazy(
    rf"^v?(?P<major>{_PART})(?:\.(?P<minor>{_PART}))?(?:\.(?P<patch>{_PART}))?"
    r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
_COMPARATOR = lazy(r"^(?P<op>!=|>=|<=|=>|=<|~>|[=<>~^])?\s*(?P<version>\S+)$")


class ConstraintError(ValueError):
    """A version constraint flux-lint cannot read."""


@dataclass(frozen=True, slots=True)
class _Partial:
    """A version with wildcard parts (None), as Masterminds parses ``2``, ``2.9`` or ``2.x``."""

    major: int | None
    minor: int | None
    patch: int | None

    @classmethod
    def parse(cls, text: str) -> _Partial:
        m = _VERSION.match(text)
        if not m:
            raise ConstraintError(f"not a version: {text!r}")
        parts: list[int | None] = []
        wild = False
        for name in ("major", "minor", "patch"):
            value = m.group(name)
            if value is None or value in "xX*" or wild:
                wild = True
                parts.append(None)
            else:
                parts.append(int(value))
        return cls(parts[0], parts[1], parts[2])

    def floor(self) -> tuple[int, int, int]:
        return (self.major or 0, self.minor or 0, self.patch or 0)

    def ceiling(self) -> tuple[int, int, int] | None:
        """The first version above every version this one stands for (None: unbounded)."""
        if self.major is None:
            return None
        if self.minor is None:
            return (self.major + 1, 0, 0)
        if self.patch is None:
            return (self.major, self.minor + 1, 0)
        return (self.major, self.minor, self.patch + 1)


_Version = tuple[int, int, int]
_Test = Callable[[_Version], bool]


def _comparator(op: str, text: str) -> _Test:
    p = _Partial.parse(text)
    low, high = p.floor(), p.ceiling()
    if op in ("", "="):  # a wildcard part matches anything
        return lambda v: v >= low and (high is None or v < high)
    if op == "!=":
        return lambda v: not (v >= low and (high is None or v < high))
    if op == ">":
        return lambda v: high is not None and v >= high
    if op in (">=", "=>"):
        return lambda v: v >= low
    if op == "<":
        return lambda v: v < low
    if op in ("<=", "=<"):
        return lambda v: high is None or v < high
    if op in ("~", "~>"):  # ~2.9.1 → <2.10.0; ~2 → <3.0.0
        if p.major is None:
            return lambda v: True
        top = (p.major + 1, 0, 0) if p.minor is None else (p.major, p.minor + 1, 0)
        return lambda v: low <= v < top
    if op == "^":  # ^2.9 → <3.0.0
        if p.major is None:
            return lambda v: True
        top = (p.major + 1, 0, 0)
        return lambda v: low <= v < top
    raise ConstraintError(f"unknown operator {op!r}")


def _conjunction(text: str) -> list[_Test]:
    """One ``||`` branch: comparators joined by ``,`` or spaces, or a hyphen range."""
    text = text.strip()
    hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", text)
    if hyphen:
        return [_comparator(">=", hyphen.group(1)), _comparator("<=", hyphen.group(2))]
    # "> 2.8" and ">=2.8.0, <2.10.0": glue operators to their version, then split.
    glued = re.sub(r"(!=|>=|<=|=>|=<|~>|[=<>~^])\s+", r"\1", text)
    tests = []
    for item in re.split(r"[\s,]+", glued):
        if not item:
            continue
        m = _COMPARATOR.match(item)
        if not m:
            raise ConstraintError(f"not a constraint: {item!r}")
        tests.append(_comparator(m.group("op") or "", m.group("version")))
    if not tests:
        raise ConstraintError("empty constraint")
    return tests


def allowed_minors(constraint: str) -> tuple[Minor, ...]:
    """The Flux minors (0.x and 2.x) a semver constraint allows, oldest first.

    Raises :class:`ConstraintError` for text that is not a constraint.
    """
    branches = [_conjunction(part) for part in constraint.split("||")]
    # Every comparator changes its answer only at a number written in the constraint, so those
    # numbers (and the next ones) are the only patches worth trying within a minor.
    numbers = {int(n) for n in re.findall(r"\d+", constraint)}
    patches = sorted({0, 10**6} | numbers | {n + 1 for n in numbers})
    found: list[Minor] = []
    for major in _CANDIDATE_MAJORS:
        for minor in _CANDIDATE_MINORS:
            for patch in patches:
                version = (major, minor, patch)
                if any(all(test(version) for test in branch) for branch in branches):
                    found.append((major, minor))
                    break
    return tuple(found)


# -- what the repository says ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DetectedVersion:
    """A Flux version written in the repository, and where.

    ``minors`` are the Flux minors the text allows (oldest first; empty when the text cannot be
    read, e.g. a ``${VAR}`` placeholder). ``pointer`` is the JSON pointer of the value inside the
    object at ``path``/``document`` (``""`` for a header comment, then ``line`` is set).
    """

    text: str
    source: str  # what states it, e.g. "FluxInstance" or "gotk-components.yaml"
    path: str
    document: int = 0
    pointer: str = ""
    minors: tuple[Minor, ...] = ()
    line: int | None = None  # 1-based line of a header comment
    entry: IndexEntry | None = None  # the object the version is written in, when it is one

    @property
    def minor(self) -> Minor | None:
        """The minor the repository runs when the text pins exactly one."""
        return self.minors[0] if len(self.minors) == 1 else None

    @property
    def floating(self) -> bool:
        """True when the operator may move to another minor without a repository change."""
        return len(self.minors) > 1

    @property
    def newest(self) -> Minor | None:
        """The newest known Flux minor the text allows (what an operator installs today)."""
        known = [m for m in self.minors if m <= NEWEST_KNOWN]
        if known:
            return known[-1]
        return NEWEST_KNOWN if self.minors else None

    def describe(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"Flux `{self.text}` ({self.source} in {where})"


def _minors(text: str) -> tuple[Minor, ...]:
    if not text or has_placeholder(text):
        return ()
    try:
        return allowed_minors(text)
    except ConstraintError:
        return ()


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _from_flux_instance(entry: IndexEntry) -> DetectedVersion:
    version = _get(entry.data, "spec", "distribution", "version")
    text = version if isinstance(version, str) else ""
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        text = str(version)  # `version: 2.9` unquoted is a float in YAML
    return DetectedVersion(
        text=text or "*",
        source="FluxInstance",
        path=entry.path,
        document=entry.document,
        pointer="/spec/distribution/version" if text else "",
        minors=_minors(text or "*"),
        entry=entry,
    )


def is_flux_instance_release(entry: IndexEntry, index: RepoIndex) -> bool:
    """A HelmRelease of flux-operator's ``flux-instance`` chart (by chart name or by the URL of
    the OCIRepository it references)."""
    if entry.kind != "HelmRelease" or not entry.group.startswith("helm.toolkit."):
        return False
    chart = _get(entry.data, "spec", "chart", "spec", "chart")
    if isinstance(chart, str) and chart.rstrip("/").rpartition("/")[2] == FLUX_INSTANCE_CHART:
        return True
    ref = _get(entry.data, "spec", "chartRef")
    if not isinstance(ref, dict) or ref.get("kind") != "OCIRepository":
        return False
    name = ref.get("name")
    if not isinstance(name, str):
        return False
    namespace = ref.get("namespace") if isinstance(ref.get("namespace"), str) else entry.namespace
    for repo in index.find("OCIRepository", name, namespace):
        url = _get(repo.data, "spec", "url")
        if isinstance(url, str) and url.rstrip("/").rpartition("/")[2] == FLUX_INSTANCE_CHART:
            return True
    return False


def _from_flux_instance_release(entry: IndexEntry) -> DetectedVersion | None:
    """The version a flux-instance HelmRelease asks for; None when ``valuesFrom`` may set it."""
    values = _get(entry.data, "spec", "values")
    version = _get(values, "instance", "distribution", "version")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if isinstance(version, str) and version:
        return DetectedVersion(
            text=version,
            source="HelmRelease flux-instance",
            path=entry.path,
            document=entry.document,
            pointer="/spec/values/instance/distribution/version",
            minors=_minors(version),
            entry=entry,
        )
    if _get(entry.data, "spec", "valuesFrom"):
        return None  # the version may come from a ConfigMap or Secret
    return DetectedVersion(
        text=CHART_DEFAULT_VERSION,
        source="HelmRelease flux-instance",
        path=entry.path,
        document=entry.document,
        pointer="",
        minors=_minors(CHART_DEFAULT_VERSION),
        entry=entry,
    )


#: Flux's release manifests, which a repository can make Flux apply to itself.
FLUX_GIT_URL = lazy(r"^(?:https?://|ssh://git@|git@)github\.com[/:]fluxcd/flux2(?:\.git)?/?$")
FLUX_OCI_URL = lazy(r"^oci://ghcr\.io/fluxcd/flux-manifests/?$")
FLUX_REMOTE_RESOURCE = lazy(
    r"github\.com/fluxcd/flux2/+manifests/install/?\?(?:.*&)?ref=(?P<ref>[^&\s]+)"
    r"|github\.com/fluxcd/flux2/releases/download/(?P<release>[^/\s]+)/install\.yaml"
)


def _from_release_source(entry: IndexEntry) -> DetectedVersion | None:
    """The version a GitRepository of fluxcd/flux2 or an OCIRepository of flux-manifests
    fetches: ``ref.semver`` (a constraint) or ``ref.tag``; None for a branch, a commit or a
    digest, which name no release."""
    if not entry.group.startswith("source.toolkit."):
        return None
    url = _get(entry.data, "spec", "url")
    if not isinstance(url, str):
        return None
    if entry.kind == "GitRepository" and FLUX_GIT_URL.match(url.strip()):
        pinned_elsewhere = ("commit", "name")
    elif entry.kind == "OCIRepository" and FLUX_OCI_URL.match(url.strip()):
        pinned_elsewhere = ("digest",)
    else:
        return None
    ref = _get(entry.data, "spec", "ref")
    if not isinstance(ref, dict) or any(ref.get(k) for k in pinned_elsewhere):
        return None
    for key in ("semver", "tag"):  # semver wins over tag in both kinds
        value = ref.get(key)
        if isinstance(value, str) and value:
            return DetectedVersion(
                text=value,
                source=f"{entry.kind} {url.strip()}",
                path=entry.path,
                document=entry.document,
                pointer=f"/spec/ref/{key}",
                minors=_minors(value),
                entry=entry,
            )
    return None


def _from_remote_resources(index: RepoIndex) -> Iterable[DetectedVersion]:
    """kustomize ``resources`` that pull Flux's install manifests at a release."""
    for kfile in sorted(index.kustomize_files.values(), key=lambda k: k.path):
        resources = kfile.data.get("resources")
        if not isinstance(resources, list):
            continue
        for number, resource in enumerate(resources):
            m = FLUX_REMOTE_RESOURCE.search(resource) if isinstance(resource, str) else None
            if m:
                version = m.group("ref") or m.group("release")
                yield DetectedVersion(
                    text=version,
                    source="kustomization.yaml resource",
                    path=kfile.path,
                    pointer=f"/resources/{number}",
                    minors=_minors(version),
                )


def is_gotk_components(path: str) -> bool:
    return posixpath.basename(path) in GOTK_FILES


def header_version(text: str, path: str) -> DetectedVersion | None:
    """The ``# Flux Version: v2.6.4`` header of a ``gotk-components.yaml`` text."""
    m = GOTK_HEADER.search(text[:4096])
    if not m:
        return None
    line = text.count("\n", 0, m.start()) + 1
    version = m.group("version")
    return DetectedVersion(
        text=version,
        source="gotk-components.yaml",
        path=path,
        minors=_minors(version),
        line=line,
    )


def _label_version(entries: Iterable[IndexEntry]) -> DetectedVersion | None:
    """The ``app.kubernetes.io/version`` label that ``flux install`` puts on its objects."""
    for entry in entries:
        labels = _get(entry.data, "metadata", "labels")
        version = labels.get(VERSION_LABEL) if isinstance(labels, dict) else None
        if isinstance(version, str) and labels.get("app.kubernetes.io/part-of") == "flux":
            return DetectedVersion(
                text=version,
                source="gotk-components.yaml",
                path=entry.path,
                document=entry.document,
                pointer="/metadata/labels/" + VERSION_LABEL.replace("/", "~1"),
                minors=_minors(version),
                entry=entry,
            )
    return None


def detect_all(
    index: RepoIndex, read_text: Callable[[str], str | None] | None = None
) -> list[DetectedVersion]:
    """Every Flux version the repository states, in path order.

    ``read_text(path)`` returns a file's text; it is only used for ``gotk-components.yaml``
    header comments (without it, the version labels of the objects in that file are used).
    """
    found: list[DetectedVersion] = []
    for entry in index.of_kind("FluxInstance", OPERATOR_GROUP):
        if not entry.partial:
            found.append(_from_flux_instance(entry))
    for entry in index.of_kind("HelmRelease"):
        if not entry.partial and is_flux_instance_release(entry, index):
            detected = _from_flux_instance_release(entry)
            if detected is not None:
                found.append(detected)
    for kind in ("GitRepository", "OCIRepository"):
        for entry in index.of_kind(kind):
            detected = _from_release_source(entry) if not entry.partial else None
            if detected is not None:
                found.append(detected)
    found.extend(_from_remote_resources(index))
    gotk: dict[str, list[IndexEntry]] = {}
    for entry in index.entries:
        if is_gotk_components(entry.path):
            gotk.setdefault(entry.path, []).append(entry)
    paths = sorted(set(gotk) | {p for p in index.files if is_gotk_components(p)})
    for path in paths:
        text = read_text(path) if read_text else None
        detected = header_version(text, path) if text else None
        if detected is None:
            detected = _label_version(gotk.get(path, ()))
        if detected is not None:
            found.append(detected)
    found.sort(key=lambda d: (d.path, d.document, d.line or 0))
    return found


def choose(found: Sequence[DetectedVersion]) -> DetectedVersion | None:
    """The version an upgrade report should start from.

    A pinned version beats a floating one; among pinned versions (a repository with several
    clusters) the oldest wins, because the upgrade has to work for the cluster that is furthest
    behind.
    """
    pinned = [d for d in found if d.minor is not None]
    if pinned:
        return min(pinned, key=lambda d: (d.minor, d.path, d.document))
    return found[0] if found else None


def detect(
    index: RepoIndex, read_text: Callable[[str], str | None] | None = None
) -> DetectedVersion | None:
    """The Flux version the repository installs (see :func:`choose`), or None."""
    return choose(detect_all(index, read_text))


#: Substrings of every file that can state a Flux version (other than gotk-components.yaml).
_MARKERS = ("FluxInstance", FLUX_INSTANCE_CHART, "fluxcd/flux2", "fluxcd/flux-manifests")


def may_state_version(display: str, text: str) -> bool:
    """Whether a file can state a Flux version (the only files :class:`VersionScan` parses)."""
    return is_gotk_components(display) or any(marker in text for marker in _MARKERS)


class VersionScan:
    """:func:`detect` fed one file at a time, by whoever reads the files: the pass before a
    run (:func:`detect_paths`) or the run's own reading pass (run/pipeline.py), which then
    needs no second walk of the tree.

    Only files that can state a version are parsed: ``gotk-components.yaml`` and files whose
    text mentions one of :data:`_MARKERS`; everything else is skipped after a substring test.
    """

    def __init__(self) -> None:
        self.index = RepoIndex()
        self.gotk_texts: dict[str, str] = {}

    def add(self, display: str, text: str, loaded: Any = None) -> None:
        """One file's text (``loaded``: its parsed documents, when the caller has them)."""
        from flux_lint.load.yaml import load_text
        from flux_lint.model.kustomize import is_kustomize_config
        from flux_lint.model.objects import classify

        gotk = is_gotk_components(display)
        if not gotk and not may_state_version(display, text):
            return
        self.index.files.add(display)
        if gotk:
            self.gotk_texts[display] = text
            if header_version(text, display) is not None:
                return  # the header is enough; do not parse thousands of CRD lines
        for doc in (loaded if loaded is not None else load_text(text)).documents:
            obj = classify(display, doc)
            if obj is not None:
                self.index.add(IndexEntry.of(obj))
            elif isinstance(doc.data, dict) and is_kustomize_config(doc.data, display):
                self.index.add_kustomize_file(display, doc.data)

    def result(self) -> DetectedVersion | None:
        return detect(self.index, self.gotk_texts.get)


def detect_paths(
    paths: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    texts: Mapping[str, str] | None = None,
) -> DetectedVersion | None:
    """:func:`detect` for the files a run would lint, before the run, and ``texts`` (display
    path → text: standard input, which is not on disk).

    Only files that can state a version are parsed (:class:`VersionScan`), so this costs a
    fraction of the lint run it precedes.
    """
    from flux_lint.load.discover import discover
    from flux_lint.load.source import SourceText, read_source

    names = [p for p in paths if p != "-"]
    given = dict(texts or {})
    if not names and not given:
        return None

    def files() -> Iterable[tuple[str, str]]:
        """(display path, text) one at a time: a repository is never held in memory."""
        if names:
            found = discover(names, exclude=exclude, respect_gitignore=respect_gitignore)
            for src in found.files:
                if src.display in given:
                    continue  # standard input stands in for this file
                source = read_source(src.path, src.display)
                if isinstance(source, SourceText):
                    yield src.display, source.text
        yield from given.items()

    scan = VersionScan()
    for display, text in files():
        scan.add(display, text)
    return scan.result()


def from_default(
    paths: Sequence[str],
    target: Minor,
    *,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    texts: Mapping[str, str] | None = None,
) -> tuple[Minor | None, str | None]:
    """The ``--from`` a run should use when none was given, and a one-line note saying why.

    Only a version pinned to one Flux 2 minor older than ``target`` is used: a floating
    version (``2.x``) names no running release, an equal one makes no upgrade, and Flux 0.x
    predates every schema bundle. The note (None when the repository states no version) tells
    the user what was found and whether it was used, so a surprising upgrade report can be
    traced to the file that caused it.
    """
    detected = detect_paths(
        paths, exclude=exclude, respect_gitignore=respect_gitignore, texts=texts
    )
    return decide(detected, target)


def decide(detected: DetectedVersion | None, target: Minor) -> tuple[Minor | None, str | None]:
    """:func:`from_default` for a version already detected."""
    if detected is None:
        return None, None
    minor = detected.minor
    shown = f"{target[0]}.{target[1]}"
    if minor is None:
        why = "it floats" if detected.floating else "it is not a version"
    elif minor[0] != 2:
        why = "Flux 2 is required"
    elif minor >= target:
        why = f"it is not older than {shown}"
    else:
        return minor, (
            f"{detected.describe()}: upgrade report from {minor[0]}.{minor[1]} to {shown} "
            "(--from none turns it off)"
        )
    return None, f"{detected.describe()}: not used as --from ({why})"
