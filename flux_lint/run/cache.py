"""The on-disk cache: per-file lint results, so that a run over an unchanged repository only
reads, hashes and re-checks what crosses files.

What is cached, and why that is enough to be exact. Everything :meth:`Linter.lint_text` makes
for one file depends only on that file's bytes, its display path, its kustomize role (plain,
patch or generator data) and the run's settings; the repository checks, which look across
files, read only the index that the per-file pass fills. So one entry holds, per file, what
the per-file pass produced (findings with their fixes, document and object counts, inline
suppressions) *and* the file's share of the index (its objects and kustomize build files). A
warm run rebuilds the whole index from the entries and runs the repository checks as usual,
so a change in one file still reaches every cross-file finding it affects.

An entry's key is a hash of: the file's content hash, its display path and role, and the run
key. The run key covers everything else a per-file result can depend on: flux-lint's version
and a fingerprint of its installed code and data (so an edited checkout invalidates too), the
Python and libyaml versions, every rule of the registry with its severity, the enabled rules,
the target and ``--from`` Flux versions, rule options, the size limit, and the content of every
CustomResourceDefinition the run validates against (``--crds`` and those found in the
repository). A key that misses anything would make a cached run differ from a fresh one; the
tests change each of these and check that the result follows.

Storage. One *pack* per (run root, linted paths, run key) holds the entries of one run, written
once at the end of a run that computed something new, through a temporary file with a unique
name and an atomic rename, so two runs sharing the cache never see half a file (the last
writer wins; both wrote correct entries). A pack keeps only the entries its run used, so stale
entries disappear instead of piling up. Packs live in a folder named after the flux-lint
version and the code fingerprint, so a new version never even opens an old one.

Format. Entries are plain tuples of str/int/float/bool/None/list/dict encoded with
:mod:`marshal`: the fastest encoder in the standard library, and unlike pickle it cannot run
code when it decodes. Every file starts with a header and a keyed BLAKE2b MAC over its content
(the key is made once per cache folder, readable by its owner only); a file that is truncated,
corrupt, from another format or not written by flux-lint fails the check and is ignored (the
run computes afresh and replaces it). Any error reading or writing the cache only turns the
cache off for that part: a cache must never fail a lint run.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from flux_lint import __version__
from flux_lint.core.sealed import (  # noqa: F401  (part of this module's interface)
    FORMAT,
    Sealer,
    blake2b,
    default_cache_dir,
    read_sealed,
    write_atomic,
    write_sealed,
)

if TYPE_CHECKING:
    from pathlib import Path

#: Packs not used for this long are deleted when a run writes a pack next to them; packs of
#: other versions (or of an edited checkout) sooner, since only an older install reads them.
MAX_AGE_SECONDS = 30 * 24 * 3600
OTHER_VERSION_MAX_AGE_SECONDS = 7 * 24 * 3600
#: A pack bigger than this is not written (a cache must not fill a disk).
MAX_PACK_BYTES = 1 << 30


# --------------------------------------------------------------------------------------------
# Keys


def digest(*parts: Any) -> str:
    """A stable hex digest of plain values (their ``repr`` is deterministic for the types the
    callers pass: str, int, bool, None, tuples and lists of them)."""
    return blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def data_roots() -> list[str]:
    """flux-lint's code folder and the shipped data folders outside it."""
    from flux_lint.core.resources import data_folder

    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # flux_lint/
    roots = [package]
    for name in ("rules", "schemas"):
        try:
            folder = data_folder(name)
        except FileNotFoundError:
            continue
        if not folder.startswith(package + os.sep):
            roots.append(folder)
    return roots


_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """flux-lint's version plus the name, size and modification time of every file of its code
    and shipped data, and the versions of what parses input (Python, libyaml).

    Stat only (no reading): ~100 files cost about a millisecond. A release changes the
    version; an edited source checkout changes a size or a time, so results computed by other
    code are never reused.
    """
    global _FINGERPRINT
    if _FINGERPRINT is not None:
        return _FINGERPRINT
    items: list[tuple[str, int, int]] = []
    for root in data_roots():
        cut = len(str(root)) + 1
        for path, size, mtime in _walk(root):
            items.append((path[cut:], size, mtime))
    # libyaml is built into ruamel's C extension, whose file stamp is among the dependencies'
    # (importing it to ask its version would cost more than the rest of this).
    _FINGERPRINT = digest(__version__, sys.version, sorted(items), _dependencies())
    return _FINGERPRINT


#: The libraries whose behaviour is part of a result (parsing, CEL, schemas, regular
#: expressions). Their installed files are looked at, not their metadata:
#: ``importlib.metadata`` costs more to import than a whole small run may take.
_DEPENDENCIES = ("_ruamel_yaml", "ruamel.yaml", "celpy", "lark", "jsonschema", "re2", "_re2")


def _dependencies() -> list[tuple[str, int, int]]:
    """Size and modification time of each dependency's module file (an upgrade rewrites
    it), found without importing the dependency."""
    from flux_lint.core.source_tree import module_origin

    found = []
    for name in _DEPENDENCIES:
        origin = module_origin(name)
        try:
            info = os.stat(origin) if origin else None
        except (ValueError, OSError):
            info = None
        found.append((name, info.st_size if info else -1, info.st_mtime_ns if info else -1))
    return found


def _walk(root: Path) -> Iterator[tuple[str, int, int]]:
    from flux_lint.core.source_tree import source_files

    return source_files(root, (".py", ".yaml", ".yml", ".json", ".lark"))


def registry_digest(registry: Any) -> str:
    """Every rule a run knows, as far as it can change a finding: id, name, severity, engine,
    fix kind, match, Flux versions and validations (user rules included)."""
    rows = []
    for rule in sorted(registry.rules.values(), key=lambda r: r.id):
        rows.append(
            (
                rule.id,
                rule.name,
                int(rule.severity),
                rule.engine,
                rule.fix,
                _canonical(rule.match),
                _canonical(rule.flux_versions),
                _canonical(list(rule.validations)),
            )
        )
    return digest(rows)


def _canonical(value: Any) -> Any:
    """``value`` with mappings turned into sorted item tuples: a key that depends on content
    only, not on the order a file happened to list it in."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, set | frozenset):
        return tuple(sorted(repr(_canonical(v)) for v in value))
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def canonical(value: Any) -> Any:
    """Public form of :func:`_canonical`, for the engine's run key."""
    return _canonical(value)


# --------------------------------------------------------------------------------------------
# Packs of per-file entries

_PACK = b"pack"


class ResultCache:
    """The entries of one run: loaded from its pack, looked up per file, written back once.

    ``root`` is the cache folder (``--cache-dir``); entries go to a sub-folder per flux-lint
    version and code fingerprint. ``pack_id`` names this run's pack (run root, linted paths
    and settings), so runs with other settings or over other paths keep their own.

    Entries are looked up while the files are read, before the repository's own CRDs are all
    known; the CRDs a pack was made with are stored in it, and :meth:`valid_for` drops every
    entry once the run's CRDs turn out to differ (only kustomization roles, which do not
    depend on CRDs, survive that).
    """

    def __init__(self, root: Path, pack_id: str) -> None:
        from pathlib import Path

        root = Path(root)
        self.root = root
        self.sealer = Sealer(root)
        self.folder = root / f"{__version__}-{code_fingerprint()[:16]}"
        self.path = self.folder / f"{pack_id}.pack"
        #: Set by the engine: the part of every entry key that is not the file's own.
        self.run_key = ""
        self.crd = ""
        self._old: dict[str, Any] | None = None
        self.used: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0
        self.changed = False

    def _load(self) -> dict[str, Any]:
        if self._old is None:
            self._old = {}
            payload = read_sealed(self.sealer, _PACK, self.path)
            if payload is not None:
                try:
                    loaded = marshal.loads(payload)
                except (ValueError, EOFError, TypeError):
                    loaded = None
                if isinstance(loaded, dict):
                    self._old = loaded
        return self._old

    def get(self, key: str) -> Any | None:
        """The entry stored under ``key``, or None (counted as a miss)."""
        entry = self._load().get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self.used[key] = entry
        return entry

    def put(self, key: str, entry: Any) -> None:
        self.used[key] = entry
        self.changed = True

    def get_memo(self, key: str) -> Any | None:
        """A run-wide value (kustomization roles, repository findings), not counted as a
        file's hit or miss."""
        value = self._load().get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put_memo(self, key: str, value: Any) -> None:
        self.put(key, value)

    def valid_for(self, crd: str) -> bool:
        """Record the run's CRD digest; False (and every CRD-dependent entry dropped) when
        the pack was made with other CRDs."""
        self.crd = crd
        old = self._load()
        if old.get(_CRD_KEY, crd) == crd:
            return True
        self._old = {k: v for k, v in old.items() if k.startswith(_CRD_FREE)}
        self.used = {k: v for k, v in self.used.items() if k.startswith(_CRD_FREE)}
        self.misses += self.hits
        self.hits = 0
        self.changed = True
        return False

    def save(self) -> bool:
        """Write the pack when this run computed something new or left entries unused;
        otherwise only touch it (its time decides when it is pruned)."""
        old = self._load()
        unchanged = (
            not self.changed
            and old.get(_CRD_KEY) == self.crd
            and len(self.used) == len(old) - (_CRD_KEY in old)
        )
        if unchanged:
            with contextlib.suppress(OSError):
                os.utime(self.path)
            return True
        try:
            payload = marshal.dumps({**self.used, _CRD_KEY: self.crd})
        except ValueError:  # a value marshal cannot write: keep the old pack
            return False
        if len(payload) > MAX_PACK_BYTES:
            return False
        written = write_sealed(self.sealer, _PACK, self.path, payload)
        if written:
            prune(self.root, keep=self.folder)
        return written


#: Pack keys: the CRD digest, and the prefix of entries that do not depend on CRDs.
_CRD_KEY = "crd"
_CRD_FREE = ("roles:", "structure:", "facts:")  # memos that do not depend on CRDs


def prune(root: Path, *, keep: Path, now: float | None = None) -> None:
    """Delete packs not used for ``MAX_AGE_SECONDS`` (``OTHER_VERSION_MAX_AGE_SECONDS`` in
    folders other than ``keep``), and folders left empty."""
    now = time.time() if now is None else now
    try:
        folders = [e for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for folder in folders:
        own = os.path.normpath(folder.path) == os.path.normpath(os.fspath(keep))
        limit = now - (MAX_AGE_SECONDS if own else OTHER_VERSION_MAX_AGE_SECONDS)
        for name, path in _files(folder.path):
            try:
                if name.endswith((".pack", ".tmp")) and os.stat(path).st_mtime < limit:
                    os.unlink(path)
            except OSError:
                continue
        if not own:
            with contextlib.suppress(OSError):
                os.rmdir(folder.path)  # only succeeds once it is empty


def _files(folder: str) -> Iterable[tuple[str, str]]:
    try:
        return [(e.name, e.path) for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
    except OSError:
        return []


# --------------------------------------------------------------------------------------------
# Per-file records: what the per-file pass made for one file, as plain tuples
#
# The same encoding carries results from worker processes (parallel.py) and into the cache, and
# the engine applies a decoded record the same way whichever of the two it came from, so a run
# gives the same findings, in the same order, with or without either. marshal keeps every type
# of a plain JSON view exactly (bool stays bool, list stays list, NaN stays NaN, key order is
# kept), which is what makes a decoded record equal to the one it was made from.


def encode_record(report: Any, entries: list[Any], kustomize: list[Any]) -> tuple[Any, ...]:
    """``report`` (engine.FileReport), the file's index entries and kustomize build files,
    and the digest of its share of the index (the entries and kustomize files: what the
    repository checks read of it, run/repository.py), made here once rather than on each run
    that reads the record."""
    rows = [
        (e.document, e.api_version, e.kind, e.namespace, e.name, e.data, e.partial) for e in entries
    ]
    built = list(kustomize)
    shared = blake2b(
        repr((rows, built)).encode("utf-8", "surrogatepass"), digest_size=16
    ).hexdigest()
    return (
        report.documents,
        report.objects,
        [_encode_finding(f) for f in report.findings],
        None if report.directives is None else _encode_directives(report.directives),
        rows,
        built,
        dict(report.schemas),
        dict(report.unchecked),
        # Apart from the entries: a file's share of the index is its data.
        [e.sites for e in entries],
        shared,
    )


def decode_record(path: str, record: tuple[Any, ...]) -> tuple[Any, list[Any], list[Any]]:
    """(FileReport, index entries, kustomize build file data) of ``path`` from a record."""
    FileReport, IndexEntry = _record_types()
    documents, objects, findings, directives, entries, kustomize, schemas, unchecked, sites, _ = (
        record
    )
    report = FileReport(path, [_decode_finding(path, f) for f in findings], documents, objects)
    report.schemas, report.unchecked = dict(schemas), dict(unchecked)
    if directives is not None:
        report.directives = _decode_directives(directives)
    made = [
        IndexEntry(path, doc, api, kind, namespace, name, data, partial, None, found)
        for (doc, api, kind, namespace, name, data, partial), found in zip(
            entries, sites, strict=True
        )
    ]
    return report, made, list(kustomize)


@functools.cache
def _record_types() -> tuple[Any, Any]:
    """The classes a record is decoded into, imported once (a warm run decodes a record per
    file of the repository: importing them on each call cost more than the decoding)."""
    from flux_lint.check.engine import FileReport
    from flux_lint.model.index import IndexEntry

    return FileReport, IndexEntry


def encode_findings(findings: Iterable[Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """Findings of any files, each with its path."""
    return [(f.path, _encode_finding(f)) for f in findings]


def decode_findings(encoded: Iterable[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    return [_decode_finding(path, t) for path, t in encoded]


def _encode_finding(f: Any) -> tuple[Any, ...]:
    s, o, fix = f.span, f.obj, f.fix
    return (
        f.rule_id,
        f.rule_name,
        int(f.severity),
        f.message,
        (s.line, s.column, s.end_line, s.end_column),
        (o.api_version, o.kind, o.namespace, o.name),
        f.pointer,
        f.document,
        None
        if fix is None
        else (fix.title, [(e.start, e.end, e.replacement) for e in fix.edits], fix.safe),
        None if f.suppression is None else (f.suppression.kind, f.suppression.justification),
    )


def _decode_finding(path: str, t: tuple[Any, ...]) -> Any:
    from flux_lint.core.findings import Edit, Finding, Fix, ObjectRef, Severity, Span, Suppression

    rule_id, name, severity, message, span, obj, pointer, document, fix, suppression = t
    return Finding(
        rule_id=rule_id,
        rule_name=name,
        severity=Severity(severity),
        message=message,
        path=path,
        span=Span(*span),
        obj=ObjectRef(*obj),
        pointer=pointer,
        document=document,
        fix=None if fix is None else Fix(fix[0], tuple(Edit(*e) for e in fix[1]), fix[2]),
        suppression=None if suppression is None else Suppression(*suppression),
    )


def _fields(obj: Any) -> list[Any]:
    from dataclasses import fields

    return [getattr(obj, f.name) for f in fields(obj)]


def _codes_field() -> int:
    from dataclasses import fields

    from flux_lint.load.directives import Directive

    return [f.name for f in fields(Directive)].index("codes")


def _encode_directives(found: Any) -> tuple[Any, ...]:
    """``directives.FileDirectives``: field by field, in declaration order (a change to those
    classes changes the code fingerprint, so old records are never decoded with new fields)."""
    directives = []
    for directive in found.directives:
        values = _fields(directive)
        values[_codes_field()] = [tuple(_fields(code)) for code in directive.codes]
        directives.append(values)
    return (directives, [_fields(err) for err in found.errors])


def _decode_directives(t: tuple[Any, ...]) -> Any:
    from flux_lint.load.directives import Code, Directive, DirectiveError, FileDirectives

    directives = []
    at = _codes_field()
    for values in t[0]:
        values = list(values)
        values[at] = tuple(Code(*code) for code in values[at])
        directives.append(Directive(*values))
    return FileDirectives(directives, [DirectiveError(*values) for values in t[1]])
