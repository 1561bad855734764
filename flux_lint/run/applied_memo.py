"""The applied set remembered with the structure it was computed from.

Working out what Flux applies (model/applied.py) builds the repository graph: every Flux
Kustomization's kustomize build. That is most of what linting one changed file in a warm
repository costs, yet it depends only on the structural index (the Flux objects and kustomize
files of every file, and which files exist) and the ignore files. So the cache keeps, under a
digest of those, what the run needs of the applied set without its graph:

* the entry points, the applied files, the files the ignore rules leave out and the note;
* per file, the part of its cache key its effective objects depend on
  (:meth:`EffectiveObjects.context_key`), and the kinds of object in it that some build may
  change (:meth:`EffectiveObjects.changeable_kinds`: those the patches on the way target);
* apart, under the same digest, whether a build changes each object of those kinds
  (:meth:`EffectiveObjects.changes`), with a digest of the object's data: the answer depends on
  the object and on what is on its way, which the structure fixes. An edit that leaves an
  object's data as it was (a comment, a reordered blank line) is answered from it, so the per-
  file pass lints the file without building the graph.

The graph, and the effective objects made from it, are built on first use only: by the
per-file pass when it lints a file some build may change, and by the repository checks when
they run.
"""

from __future__ import annotations

import functools
import json
import marshal
from typing import Any

from flux_lint.core.sealed import blake2b
from flux_lint.model.applied_set import AppliedSet, EntryPoint

__all__ = ["LazyEffective", "remembered_applied_set"]

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
    file's cache key needs, whether an object no patch on the way can select is changed, and
    whether an object is changed that is as it was when that was last asked, from what was
    remembered; builds the real thing for anything else."""

    def __init__(
        self,
        keys: dict[str, tuple[str, frozenset[str] | None]],
        build: Any,
        cache: Any = None,
        key: str = "",
    ) -> None:
        self._keys = keys
        self._build = build
        self._real: Any = None
        self._index: Any = None
        self._cache = cache
        self._answers_key = _CHANGES + key
        # Asked for now, so that the pack keeps it even when this run asks nothing of it.
        self._answers: dict[str, list[Any]] = (
            dict(cache.get_memo(self._answers_key) or {}) if cache is not None else {}
        )

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
        builds = self.real().builds_of(entry)
        if not entry.partial and entry.rendered is None:
            from flux_lint.model.effective import UNKNOWN_BUILDS

            # What the per-file pass asks of this object next time (``changes``) is known now.
            self._remember(entry, builds is not None and builds is not UNKNOWN_BUILDS)
        return builds

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
        if obj.partial:
            return False
        slot = f"{obj.path}\0{obj.document}"
        known = self._answers.get(slot)
        if known is not None and known[0] == _data_digest(obj.data):
            return bool(known[1])
        answer = bool(self.real().changes(obj))
        self._remember(obj, answer)
        return answer

    def _remember(self, obj: Any, answer: bool) -> None:
        """Keep whether a build changes ``obj``, with its data's digest (one answer per
        object: the last one asked)."""
        if self._cache is None or obj.path not in self._keys:
            return
        slot = f"{obj.path}\0{obj.document}"
        row = [_data_digest(obj.data), answer]
        if self._answers.get(slot) != row:
            self._answers[slot] = row
            self._cache.put_memo(self._answers_key, self._answers)

    def variants(self, obj: Any) -> Any:
        if self._unchangeable(obj):
            return None  # deployed as written
        return self.real().variants(obj)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def _data_digest(data: Any) -> str:
    """A digest of an object's data (json keeps the order of keys, as the builds see it)."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


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
        lazy = LazyEffective(known, lambda: build()[1], cache, key)
        return applied, lazy
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
    made = effective
    lazy = LazyEffective(
        {p: (k, None if kinds is None else frozenset(kinds)) for p, (k, kinds) in keys.items()},
        lambda: made,
        cache,
        key,
    )
    return applied, lazy
