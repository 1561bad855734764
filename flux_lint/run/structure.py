"""The structural index of a run: the Flux objects and kustomize files the applied set is
computed from (model/applied.py), taken from each file as the reading pass meets it, from the
cache by the file's content hash, or, for a file the run knows by its metadata
(run/facts.py), without reading it. Files named one by one (pre-commit) are judged in their
repository: the structure of the rest of the tree is added from a remembered walk.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flux_lint.load.yaml import LoadResult, load_text
from flux_lint.model.kustomize import DATA, PATCH, is_kustomization_file, is_kustomize_config

__all__ = ["add_context", "add_structure", "entry_row", "has_flux_kustomization", "known_file"]


def entry_row(entry: Any) -> list[Any]:
    """A structural entry as the cache keeps it (``IndexEntry(*row)`` makes it again)."""
    return [
        entry.path,
        entry.document,
        entry.api_version,
        entry.kind,
        entry.namespace,
        entry.name,
        entry.data,
        entry.partial,
    ]


def known_file(
    structure: Any,
    display: str,
    role: str | None,
    known: tuple[str, int],
    cache: Any,
    crds: bool,
    versions: bool,
) -> bool:
    """Take what the reading pass needs of a file unchanged since the last run (run/facts.py)
    from the cache; False when its text is needed after all (a CRD for the run's catalog, a
    Flux version to detect, structure no longer cached): then it is read."""
    from flux_lint.run.facts import CRD, STRUCTURE, VERSION

    sha256, flags = known
    if (crds and flags & CRD) or (versions and flags & VERSION):
        return False
    if role == DATA:
        return True
    if is_kustomization_file(display) or role == PATCH or flags & STRUCTURE:
        stored = cache.get_memo(_structure_key(cache, display, role, sha256))
        if stored is None:
            return False
        _restore_structure(structure, display, stored)
    structure.files.add(display)
    return True


def _structure_key(cache: Any, display: str, role: str | None, sha256: str) -> str:
    from flux_lint.run.cache import digest

    return "structure:" + digest(cache.run_key, display, role, sha256)


def _restore_structure(structure: Any, display: str, stored: Any) -> None:
    """Add a file's structural objects and kustomize files, as the cache keeps them."""
    from flux_lint.model.index import IndexEntry

    entries, kustomize = stored
    for item in entries:
        structure.add(IndexEntry(*item))
    for data in kustomize:
        structure.add_kustomize_file(display, data)


def has_flux_kustomization(structure: Any) -> bool:
    """A repository of Flux Kustomizations has entry points to find; a bare folder of
    manifests has none, and is checked whole without a note."""
    from flux_lint.model.objects import is_flux_kustomization

    return any(is_flux_kustomization(e) for e in structure.of_kind("Kustomization"))


def add_structure(
    structure: Any,
    display: str,
    text: Any,
    role: str | None,
    parsed: dict[str, LoadResult] | None,
    cache: Any,
    keep: bool = True,
) -> bool:
    """Add one file's structural objects (model/applied.py) and kustomize files; False when
    the file cannot hold any (nothing was parsed or kept). ``parsed``: the node trees of the
    files parsed already, to which the one parsed here is added when ``keep``."""
    from flux_lint.model.applied_set import is_structural, structural_part
    from flux_lint.model.index import IndexEntry
    from flux_lint.model.objects import classify
    from flux_lint.model.structure_text import may_hold_structure

    kfile = is_kustomization_file(display)
    patch = role == PATCH  # a kustomize patch file: overlays read it (model/effective.py)
    if not kfile and not patch and not may_hold_structure(text.text):
        return False
    key = ""
    if cache is not None:
        key = _structure_key(cache, display, role, text.sha256)
        stored = cache.get_memo(key)
        if stored is not None:
            _restore_structure(structure, display, stored)
            return True
    loaded = parsed.get(display) if parsed is not None else None
    if loaded is None:
        loaded = load_text(text.text)
        if parsed is not None and keep:  # kept for the lint pass
            parsed[display] = loaded
    entries_out: list[list[Any]] = []
    kustomize_out: list[Any] = []
    for doc in loaded.documents:
        obj = classify(display, doc, partial=role == PATCH)
        if obj is not None:
            entry = IndexEntry.of(obj)
            if patch or (is_structural(entry) and not entry.partial):
                entry = structural_part(entry)
                structure.add(entry)
                entries_out.append(entry_row(entry))
        elif isinstance(doc.data, dict) and is_kustomize_config(doc.data, display):
            structure.add_kustomize_file(display, doc.data)
            kustomize_out.append(doc.data)
    if cache is not None:
        cache.put_memo(key, [entries_out, kustomize_out])
    return True


def add_context(
    config: Any, found: Any, plan: Any, cache: Any, facts: Any = None, roles: Any = None
) -> Any:
    """Add the structure of the rest of the repository (see :func:`run`) to ``plan``; the
    discovery result returned also lists the repository's ``.sourceignore`` files.

    With a cache, what the walk found is remembered with the stamps of every file and folder
    it read (run/memo.py), each file's structure being in the cache already: a file named
    again in a repository whose other files did not change reads none of them. When the walk
    runs (other files named, a file changed), a file known by its metadata (``facts``,
    run/facts.py) is not opened either: its structure comes from the cache. ``roles``: what
    the repository's kustomization files make of each file (a patch, generator data)."""
    from dataclasses import replace

    from flux_lint.load.discover import SourcePath

    seen = set(plan.structure.files)

    def walk() -> Any:
        return _context_files(config, found.root, seen, plan.structure, cache, facts, roles or {})

    if cache is None:
        walked = walk()
    else:
        from flux_lint.run import memo
        from flux_lint.run.cache import digest

        key = digest(
            "context",
            cache.run_key,
            str(found.root),
            sorted(seen),
            sorted(config.exclude),
            config.respect_gitignore,
            config.max_bytes,
        )
        known, walked = memo.recall(config.cache_dir, key)
        if not known or not _restore_context(plan.structure, walked, cache):
            started = time.time()
            walked, recorder = memo.record(walk, memo.ignored_paths(config.cache_dir))
            memo.remember(config.cache_dir, key, walked, recorder, started)
    # The named files' structure came first: in file order, the structure (and the digest
    # that keys the applied set remembered with it) is the same whichever files are named.
    plan.structure = plan.structure.in_file_order()
    plan.has_flux = has_flux_kustomization(plan.structure)
    ignores = [SourcePath(Path(path), display) for display, path in walked[1]]
    return replace(found, sourceignores=ignores)


def _context_files(
    config: Any,
    root: Path,
    seen: set[str],
    structure: Any,
    cache: Any,
    facts: Any = None,
    roles: Any = None,
) -> tuple[list[tuple[str, str | None, str | None]], list[tuple[str, str]]]:
    """Walk the repository and add the structure of every file not in ``seen``; returns
    (display path, content hash when the file holds structure, role) of each, and the ignore
    files found (display, path)."""
    from flux_lint.load.discover import discover
    from flux_lint.load.source import SourceError, read_source
    from flux_lint.run.facts import STRUCTURE, flags_of

    tree = discover([root], exclude=config.exclude, respect_gitignore=config.respect_gitignore)
    files: list[tuple[str, str | None, str | None]] = []
    for src in tree.files:
        if src.display in seen:
            continue
        role = roles.get(src.display) if roles else None
        if role == DATA:  # generator data: no structure, as in the reading pass
            files.append((src.display, None, role))
            continue
        known = facts.known(src.display, src.path) if facts is not None else None
        if known is not None and known_file(
            structure, src.display, role, known, cache, False, False
        ):
            held = is_kustomization_file(src.display) or role == PATCH or bool(known[1] & STRUCTURE)
            files.append((src.display, known[0] if held else None, role))
            continue
        text = read_source(src.path, src.display, max_bytes=config.max_bytes)
        if isinstance(text, SourceError):
            continue
        structure.files.add(src.display)
        held = add_structure(structure, src.display, text, role, None, cache)
        if facts is not None:
            facts.learn(src.display, text.sha256, flags_of(src.display, text.text, None))
        files.append((src.display, text.sha256 if held else None, role))
    return files, [(s.display, str(s.path)) for s in tree.sourceignores]


def _restore_context(structure: Any, walked: Any, cache: Any) -> bool:
    """Add a remembered walk's files to ``structure`` from their cached structure; False
    (and nothing added) when one of them is no longer in the cache."""
    stored = []
    for display, sha256, role in walked[0]:
        item = None
        if sha256 is not None:
            item = cache.get_memo(_structure_key(cache, display, role, sha256))
            if item is None:
                return False
        stored.append((display, item, role))
    for display, item, role in stored:
        if role == DATA:
            continue
        structure.files.add(display)
        if item is not None:
            _restore_structure(structure, display, item)
    return True
