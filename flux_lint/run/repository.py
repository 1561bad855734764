"""The repository checks' findings, remembered with what they were made from.

What the repository checks read: the repository index (every file's objects and kustomize
files, by path, role and whether Flux applies the file), the settings, the texts of the files
their problems point into (to place them: ``text_of``), and for the checks of
:data:`READS_OTHER_FILES`, files on disk that the run does not lint. So their findings are
kept under a key made of the settings and every file's *share of the index*, not its bytes: an
edit that leaves every object as it was (a comment, say) keeps the key. With the findings
are kept the digest of every text ``text_of`` gave them, and the stamps of every file they
read from disk (run/memo.py); the findings are used again only when all of those are the same.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

#: Repository checks that read files the run does not lint (FL209 reads a chart's
#: ``values.schema.json``, ``values.yaml`` and ``Chart.yaml``; the build-failure rules look up
#: a generator's ``.env`` file, ``.sourceignore``, a ``Kustomization`` file without
#: extension): their results are kept with the stamps of what they read.
READS_OTHER_FILES = frozenset({"FL209", "FL513", "FL515", "FL516", "FL517"})


def share(record: Any) -> str:
    """A digest of a file's share of the index: its objects and kustomize files, kept in its
    per-file record (cache.encode_record)."""
    return str(record[-1])


def _text_digest(text: str | None) -> str:
    if text is None:
        return ""
    from flux_lint.core.sealed import blake2b

    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def repository_key(
    cache: Any, linter: Any, inputs: list[Any], config: Any, sourceignores: str
) -> str:
    """Everything the repository index and the applied set of this run were made from: the
    settings (the run key), the root, every file's path, role, share of the index and
    whether it is checked, in order, the ignore files and standard input."""
    from flux_lint.run.cache import digest

    stdin = config.stdin_text if "-" in config.paths else None
    return digest(
        cache.run_key,
        cache.crd,
        str(linter.ctx.root),
        inputs,
        sourceignores,
        _text_digest(stdin),
        config.stdin_path,
    )


def repository_findings(
    linter: Any,
    cache: Any,
    key: str,
    text_of: Callable[[str], str | None],
    inputs: Sequence[Any] = (),
    structure: str = "",
) -> list[Any]:
    """The findings of every repository check, from the cache when what they read is
    unchanged (see the module docstring). ``inputs`` (every file's path, role, share of the
    index and whether it is checked) and ``structure`` (the digest of what the applied set
    was made from) key the judgement of effective objects per file (:class:`FileMemo`)."""
    from flux_lint.run import memo

    keyed = [fn for fn in linter.repo_checks if not set(fn.rule_ids) & READS_OTHER_FILES]
    other = [fn for fn in linter.repo_checks if set(fn.rule_ids) & READS_OTHER_FILES]
    per_file = FileMemo(cache, linter, inputs, structure) if structure else None
    found = _remembered(cache, "repository:" + key, text_of, None, linter, keyed, True, per_file)
    if per_file is not None:
        per_file.save()
    if other:
        found.extend(_remembered(cache, "disk:" + key, text_of, memo, linter, other, False))
    return found


class FileMemo:
    """The effective objects' findings per file (check/effective.py), kept across runs: an
    edit re-judges the objects of the files it touches, not the repository's.

    A file's findings are made from its objects, what is on their way to the cluster (its
    cache context: the patches of its kustomization chains and the specs of the Flux
    Kustomizations that apply it), the post-build variables of those, and the settings. So
    they are kept under a key for the whole run (the settings, the digest of the structure the
    applied set was made from, and every ConfigMap and Secret of the repository, where
    variables come from), and per file the file's share of the index and its cache context;
    with them, the digest of every text they were placed with.
    """

    def __init__(
        self,
        cache: Any,
        linter: Any,
        inputs: Sequence[Any],
        structure: str,
    ) -> None:
        self._cache = cache
        self._linter = linter
        self._inputs = inputs
        self._structure = structure
        self._old: dict[str, Any] = {}
        self._new: dict[str, Any] = {}
        self._loaded = False

    @functools.cached_property
    def key(self) -> str:
        from flux_lint.run.cache import digest

        sources = sorted(
            (e.path, e.document, repr(e.data))
            for e in self._linter.index.entries
            if e.group == "" and e.kind in ("ConfigMap", "Secret") and e.rendered is None
        )
        root = str(self._linter.ctx.root)
        cache = self._cache
        return "effective:" + digest(cache.run_key, cache.crd, root, self._structure, sources)

    @functools.cached_property
    def _rows(self) -> dict[str, Any]:
        return {row[0]: row for row in self._inputs}

    def _file_key(self, path: str) -> str:
        effective = self._linter.ctx.effective
        context = effective.context_key(path) if effective is not None else ""
        return _text_digest(repr((self._rows.get(path), context)))

    def recall(self, path: str, text_of: Callable[[str], str | None]) -> list[Any] | None:
        from flux_lint.run.cache import decode_findings

        if not self._loaded:
            self._old = self._cache.get_memo(self.key) or {}
            self._loaded = True
        stored = self._old.get(path)
        if stored is None:
            return None
        file_key, findings, texts = stored
        if file_key != self._file_key(path):
            return None
        if any(_text_digest(text_of(p)) != seen for p, seen in texts):
            return None
        self._new[path] = stored
        return decode_findings(findings)

    def keep(
        self,
        path: str,
        findings: list[Any],
        texts: set[str],
        text_of: Callable[[str], str | None],
    ) -> None:
        from flux_lint.check.engine import INTERNAL_RULE
        from flux_lint.run.cache import encode_findings

        if any(f.rule_id == INTERNAL_RULE for f in findings):
            return
        self._new[path] = (
            self._file_key(path),
            encode_findings(findings),
            sorted((p, _text_digest(text_of(p))) for p in texts),
        )

    def save(self) -> None:
        """Keep what this run judged or used again, with what it did not look at (a run
        that checks some files only; files since deleted are dropped when the key changes);
        when the repository's findings were remembered whole, keep what was there (the next
        edit may need it)."""
        if self._new:
            self._cache.put_memo(self.key, {**self._old, **self._new})
        else:
            self._cache.get_memo(self.key)


def _remembered(
    cache: Any,
    key: str,
    text_of: Callable[[str], str | None],
    memo: Any,
    linter: Any,
    checks: list[Any],
    render: bool,
    per_file: FileMemo | None = None,
) -> list[Any]:
    """One group of checks: from the cache when the texts they were given (and, with
    ``memo``, the files they read from disk) are unchanged, else run and kept."""
    from flux_lint.check.engine import INTERNAL_RULE
    from flux_lint.run.cache import decode_findings, encode_findings

    stored = cache.get_memo(key)
    if stored is not None:
        findings, texts, stamps = stored
        if all(_text_digest(text_of(path)) == seen for path, seen in texts) and (
            memo is None or memo.unchanged(stamps)
        ):
            if memo is not None:
                memo.note_inputs(stamps)
            return decode_findings(findings)
    given: dict[str, str] = {}

    def recorded_text_of(path: str) -> str | None:
        text = text_of(path)
        given.setdefault(path, _text_digest(text))
        return text

    def run() -> list[Any]:
        return linter.check_repository(
            recorded_text_of, checks, render=render, effective_memo=per_file
        )

    stamps: list[Any] = []
    if memo is None:
        found = run()
        trusted = True
    else:
        wall = time.time()
        found, recorder = memo.record(run, memo.ignored_paths(cache.root))
        stamps = recorder.stamps()
        trusted = memo.trustworthy(stamps, wall)
    if trusted and not any(f.rule_id == INTERNAL_RULE for f in found):
        cache.put_memo(key, (encode_findings(found), sorted(given.items()), stamps))
    return found
