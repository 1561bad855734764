"""Worker processes for the per-file pass of large runs.

Why processes: the per-file pass (parse, build the JSON view, schema, CEL and lifecycle rules)
is pure Python and holds the GIL throughout, so threads would not run it any faster.

Why ``fork``: a forked worker starts with everything the main process has prepared (imported
rule modules, the registry, the compiled user rules, the CRD catalog with the repository's own
CRDs), so nothing needs to be pickled or rebuilt, and the worker's per-file results are the
ones the main process would compute. Where ``fork`` does not exist (Windows) the run stays in
one process; results never depend on it.

What a worker does and does not do: it reads and lints the files it is given and answers, per
file, with the encoded record (cache.encode_record: findings, counts, suppressions and the
file's share of the index) and the text when the file has findings (output and fixes need
it). The repository checks, the suppression pass and sorting stay in the main process, which
applies the records in file order, so a run with any number of workers gives byte-identical
output. If the pool breaks (a worker killed by the system, say), the files it had not
answered for are linted in the main process instead.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flux_lint.check.engine import Linter

#: A file to lint: (display path, path to read, role, text when already read, its sha256,
#: whether its objects are checked).
Task = tuple[str, Path, "str | None", "str | None", "str | None", bool]

#: The linter a forked worker inherits; set only while a pool is being started.
_LINTER: Linter | None = None


def can_fork() -> bool:
    """Whether worker processes can be forked here."""
    import multiprocessing

    return sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods()


def available_cpus() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def chunk_size(files: int, workers: int) -> int:
    """Files per message: big enough that messaging costs little, small enough that the
    workers finish close together (about eight chunks per worker)."""
    return max(1, min(64, -(-files // (workers * 8))))


def lint_in_workers(
    linter: Linter, tasks: Sequence[Task], workers: int
) -> Iterator[tuple[Any, ...]]:
    """One result per task, in task order: ("record", marshal bytes, text or None, sha256)
    or ("error", source error code, message). ``workers``: processes linting, this one
    included (at least 2)."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _LINTER
    size = chunk_size(len(tasks), workers)
    chunks = [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]
    # This process lints one chunk in ``workers`` itself, between taking the answers of the
    # others: one process fewer to start, and one copy fewer of everything the run holds (a
    # forked worker's resident memory counts every page it shares with this process).
    own = {i for i in range(len(chunks)) if i % workers == workers - 1}
    others = [chunk for i, chunk in enumerate(chunks) if i not in own]
    done = 0
    _LINTER = linter  # kept while the pool lives: a replacement worker forks from here too
    try:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
            answered = pool.map(_work, others)
            for i, chunk in enumerate(chunks):
                answers = [_lint(linter, task) for task in chunk] if i in own else next(answered)
                for answer in answers:
                    done += 1
                    yield answer
    except (BrokenProcessPool, OSError):
        pass  # a worker died or none could start: what is left is linted here
    finally:
        _LINTER = None
    for task in tasks[done:]:
        yield _lint(linter, task)


def _work(chunk: list[Task]) -> list[tuple[Any, ...]]:
    """Worker side: lint a chunk with the linter inherited from the main process."""
    assert _LINTER is not None, "worker processes must be forked"
    return [_lint(_LINTER, task) for task in chunk]


def _lint(linter: Linter, task: Task) -> tuple[Any, ...]:
    from flux_lint.load.source import SourceError, read_source
    from flux_lint.run.cache import encode_record

    display, path, role, text, sha256, check = task
    if text is None:
        source = read_source(path, display, max_bytes=linter.config.max_bytes)
        if isinstance(source, SourceError):
            return ("error", source.code, source.message)
        text, sha256 = source.text, source.sha256
    report, entries, kustomize = linter.lint_file(display, text, role, check=check)
    payload = marshal.dumps(encode_record(report, entries, kustomize))
    keep = text if report.findings or report.directives is not None else None
    return ("record", payload, keep, sha256)
