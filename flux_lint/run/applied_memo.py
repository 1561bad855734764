"""The applied set remembered with the structure it was computed from.

Working out what Flux applies (model/applied.py) builds the repository graph: every Flux
Kustomization's kustomize build. That is most of what linting one changed file in a warm
repository costs, yet it depends only on the structural index (the Flux objects and kustomize
files of every file, and which files exist) and the ignore files. So the cache keeps, under a
digest of those, what the run needs of the applied set without its graph:

* the entry points, the applied files, the files the ignore rules leave out and the note;
* per file, the part of its cache key its effective objects depend on
  (:meth:`EffectiveObjects.context_key`), and the kinds of object in it that some build may
  change (:meth:`EffectiveObjects.changeable_kinds`: those the patches on the way target).

The graph, and the effective objects made from it, are built on first use only: by the
per-file pass when it lints a file some build may change, and by the repository checks when
they run.

The per-file pass asks of each object whether a build changes it
(:meth:`EffectiveObjects.changes`), and for an object of a kind the patches on the way target
that takes the graph. The answer depends only on the structure and the object itself (its
file, its place there and its data), so it is kept too, per structure
(:class:`RememberedChanges`): an edit that leaves the objects as they were (a comment, a
reformatted file) or a file linted again for another reason is answered without the graph.
"""

from __future__ import annotations

import functools
import json
import marshal
from typing import Any

from flux_lint.core.sealed import blake2b
from flux_lint.model.applied_set import AppliedSet, EntryPoint

__all__ = ["LazyEffective", "RememberedChanges", "remembered_applied_set"]

_KEY = "applied:"
_CHANGES = "changes:"


def structure_digest(structure: Any, sourceignores: dict[str, str]) -> str:
    """A digest of everything :func:`model.applied.compute` reads."""
    from flux_lint.run.structure import entry_row

    parts = (
        sorted(structure.files),
        [entry_row(e) for e in structure.entries],
        sorted((path, k.data) for path, k in structure.kustomize_files.items()),
        sorted(sourceignores.items()),
    )
    try:
        # marshal writes the half megabyte of a 1,000-file repository's structure several
        # times faster than repr; version 2 has no back-references, so equal parts give equal
        # bytes whichever objects they are made of (parsed now, or read from the cache).
        encoded = marshal.dumps(parts, 2)
    except ValueError:  # a value marshal cannot write
        encoded = repr(parts).encode("utf-8", "surrogatepass")
    return blake2b(encoded, digest_size=16).hexdigest()


class LazyEffective:
    """The effective objects (model/effective.py) of a remembered applied set: answers what a
    file's cache key needs, and whether an object no patch on the way can select is changed,
    from what was remembered; builds the real thing for anything else."""

    def __init__(self, keys: dict[str, tuple[str, frozenset[str] | None]], build: Any) -> None:
        self._keys = keys
        self._build = build
        self._real: Any = None
        self._index: Any = None

    def real(self) -> Any:
        if self._real is None:
            self._real = self._build()
            if self._index is not None:
                self._real.use_index(self._index)
        return self._real

    def use_index(self, index: Any) -> None:
        self._index = index
        if self._real is not None:
            self._real.use_index(index)

    def builds_of(self, entry: Any) -> Any:
        if self._unchangeable(entry):
            return None  # no patch on the way selects it: no build changes it
        return self.real().builds_of(entry)

    def substituted(self, entry: Any) -> Any:
        # Substitution changes only placeholders (EffectiveObjects._may_substitute).
        if self._unchangeable(entry) and "${" not in json.dumps(entry.data, default=str):
            return None
        return self.real().substituted(entry)

    def context_key(self, path: str) -> str:
        known = self._keys.get(path)
        return known[0] if known is not None else self.real().context_key(path)

    def _unchangeable(self, obj: Any) -> bool:
        known = self._keys.get(obj.path)
        return known is not None and known[1] is not None and obj.kind not in known[1]

    def changes(self, obj: Any) -> bool:
        if self._unchangeable(obj):
            return False
        return bool(self.real().changes(obj))

    def variants(self, obj: Any) -> Any:
        if self._unchangeable(obj):
            return None  # deployed as written
        return self.real().variants(obj)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


class RememberedChanges:
    """Effective objects whose answers to :meth:`changes` are kept in the cache, per
    structure: for each object (file and document index), the digest of what it was
    (``partial`` and its data) with the answer. Everything else goes to the effective objects
    as they are."""

    def __init__(self, effective: Any, known: dict[str, Any], cache: Any, key: str) -> None:
        self._effective = effective
        #: Per file: (context key, the kinds some build may change, None: any).
        self._known = known
        self._cache = cache
        self._key = _CHANGES + key
        stored = cache.get_memo(self._key)
        self._answers: dict[str, list[Any]] = stored if isinstance(stored, dict) else {}
        #: The answers found since the last :meth:`take_learned` (a worker process hands
        #: them to the main process, which keeps the cache).
        self._learned: dict[str, list[Any]] = {}

    def changes(self, obj: Any) -> bool:
        known = self._known.get(obj.path)
        if known is None or (known[1] is not None and obj.kind not in known[1]):
            # No build may change it, or a file the applied set does not check: answered
            # from what is known already, or not asked again.
            return bool(self._effective.changes(obj))
        slot = f"{obj.path}\0{obj.document}"
        digest = _object_digest(obj)
        kept = self._answers.get(slot)
        if kept is not None and kept[0] == digest:
            return bool(kept[1])
        answer = bool(self._effective.changes(obj))
        self._answers[slot] = self._learned[slot] = [digest, answer]
        self._cache.put_memo(self._key, self._answers)
        return answer

    def take_learned(self) -> dict[str, list[Any]]:
        """The answers found since the last call (and forgets them)."""
        learned, self._learned = self._learned, {}
        return learned

    def learn(self, answers: dict[str, list[Any]]) -> None:
        """Keep answers found elsewhere (by a worker process, for the same structure)."""
        self._answers.update(answers)
        self._cache.put_memo(self._key, self._answers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._effective, name)


def _object_digest(obj: Any) -> str:
    """A digest of what :meth:`EffectiveObjects.changes` reads of an object besides its place:
    whether it is a fragment, and its data."""
    try:
        encoded = marshal.dumps((obj.partial, obj.data), 2)
    except ValueError:  # a value marshal cannot write
        encoded = repr((obj.partial, obj.data)).encode("utf-8", "surrogatepass")
    return blake2b(encoded, digest_size=16).hexdigest()


def remembered_applied_set(
    structure: Any,
    sourceignores: dict[str, str],
    cache: Any,
    checked_files: Any,
    also: Any = (),
) -> tuple[AppliedSet, Any]:
    """(applied set, effective objects) of ``structure``, from the cache when it holds them
    for this structure; the effective objects are None when there is no graph. ``also``: the
    paths of files not in the structure (generator data) whose cache context is asked for."""

    @functools.cache
    def build() -> tuple[AppliedSet, Any]:
        # Imported here: a set answered from the cache needs neither the graph nor the
        # effective objects (their modules are a good part of a pre-commit run's start-up).
        from flux_lint.model.applied import compute
        from flux_lint.model.effective import EffectiveObjects

        applied = compute(structure, sourceignores)
        return applied, EffectiveObjects(applied.graph) if applied.graph is not None else None

    if cache is None:  # nothing to remember it in: no digest either
        return build()
    key = _KEY + structure_digest(structure, sourceignores)
    stored = cache.get_memo(key)
    if stored is not None:
        points, files, excluded, note, has_graph, keys = stored
        applied = AppliedSet(
            entry_points=[EntryPoint(*p) for p in points],
            files={path: tuple(names) for path, names in files.items()},
            excluded=frozenset(excluded),
            note=note,
            key=key,
        )
        if not has_graph:
            return applied, None
        known = {
            p: (k, None if kinds is None else frozenset(kinds)) for p, (k, kinds) in keys.items()
        }
        lazy = LazyEffective(known, lambda: build()[1])
        return applied, RememberedChanges(lazy, known, cache, key)
    applied, effective = build()
    applied.key = key
    keys = {}
    if effective is not None:
        for path in sorted(structure.files | set(also)):
            if checked_files(applied, path):
                kinds = effective.changeable_kinds(path)
                keys[path] = (
                    effective.context_key(path),
                    None if kinds is None else sorted(kinds),
                )
    cache.put_memo(
        key,
        (
            [(p.kind, p.name, p.path, p.folder) for p in applied.entry_points],
            {path: list(names) for path, names in applied.files.items()},
            sorted(applied.excluded),
            applied.note,
            effective is not None,
            keys,
        ),
    )
    if effective is None:
        return applied, None
    known = {p: (k, None if kinds is None else frozenset(kinds)) for p, (k, kinds) in keys.items()}
    return applied, RememberedChanges(effective, known, cache, key)
