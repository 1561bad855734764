"""A lint command run again with nothing changed answers from one cache record, before the
command line is even parsed.

A pre-commit hook, an editor or a CI job runs the same command over and over, mostly on a
repository in which nothing changed since the last time. When the last run of the *same*
command (same arguments, same current folder, same environment, same terminals, same
flux-lint) was recorded (run/memo.py: every file it read, every folder it listed, every path
it looked up, with their metadata), and none of them changed, what that run wrote and its exit
code are its answer again. The check costs a stat per file of the repository, against a
start-up of flux-lint and a run.

What is recorded: only ``check`` runs that change nothing (no ``--fix``, ``--diff``,
``--output``, ``--write-baseline``), read no standard input, show no progress bar and end with
exit code 0 or 1 and no internal error. The one thing that differs between two runs over the
same files, the run time in the text summary, is written afresh.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from typing import Any

_KIND = "answer"


class _Session:
    """What the command being recorded wrote, and whether it may be replayed."""

    def __init__(self, argv: list[str], cache_dir: str) -> None:
        self.argv = argv
        self.cache_dir = cache_dir
        self.eligible = False
        self.blocked = False
        self.writes: list[tuple[bool, str]] = []  # (to stderr, text)
        #: (index of the write, text) of the run time in the text summary.
        self.timing: tuple[int, str] | None = None


_SESSION: _Session | None = None


def cache_dir_of(argv: list[str]) -> str | None:
    """The cache folder a command line uses (None: ``--no-cache``), read the way the option
    parser reads it; a command line this misreads only misses its record."""
    from flux_lint.core.sealed import default_cache_folder

    found: str | None = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--no-cache":
            return None
        if arg == "--cache-dir" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--cache-dir="):
            found = arg.split("=", 1)[1]
    return os.path.abspath(found or default_cache_folder())


def _key(argv: list[str]) -> str:
    from flux_lint.run.cache import code_fingerprint, digest

    return digest(_KIND, code_fingerprint(), _context(argv))


def _context(argv: list[str]) -> list[Any]:
    """What a command's answer depends on besides flux-lint and the files it reads."""
    ttys = []
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        try:
            ttys.append(stream is not None and stream.isatty())
        except (ValueError, OSError):
            ttys.append(None)
    try:
        columns = os.get_terminal_size(sys.stdout.fileno()).columns if ttys[1] else None
    except (ValueError, OSError, AttributeError):
        columns = None
    return [sys.executable, list(argv), os.getcwd(), sorted(os.environ.items()), ttys, columns]


def replayed(argv: list[str]) -> int | None:
    """Write the recorded answer of ``argv`` and return its exit code, or None when there is
    none or something it read changed (then the command runs)."""
    started = time.perf_counter()
    try:
        cache_dir = cache_dir_of(argv)
        if cache_dir is None or "-" in argv:
            return None
        from flux_lint.run.memo import recall

        found, stored = recall(cache_dir, _key(argv))
    except (OSError, ValueError):
        return None
    if not found:
        return None
    try:
        writes, timing, code = stored
        code = int(code)
        if timing is not None:
            at, text = timing
            shown = f"({time.perf_counter() - started:.2f}s)"
            err, message = writes[at]
            cut = message.rindex(text)
            writes[at] = (err, message[:cut] + shown + message[cut + len(text) :])
    except (TypeError, ValueError, IndexError):
        return None  # not a record this code wrote: the command runs
    try:
        for err, message in writes:
            (sys.stderr if err else sys.stdout).write(message)
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        # The reader went away (`flux-lint ... | head`): as the command line does, stop
        # writing to it, so that the interpreter's last flush does not fail again.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


def recorded(argv: list[str], command: Callable[[], Any]) -> Any:
    """Run ``command`` (the parsed command line); when it declared itself replayable
    (:func:`replayable`), remember its answer with what it read."""
    global _SESSION
    cache_dir = cache_dir_of(argv)
    if cache_dir is None or "-" in argv:
        return command()
    from flux_lint.run import memo

    context = _context(argv)  # before the command runs: it may set variables of its own
    session = _SESSION = _Session(list(argv), cache_dir)
    wall = time.time()
    try:
        code, recorder = memo.record(command, memo.ignored_paths(cache_dir))
    finally:
        _SESSION = None
    if session.eligible and isinstance(code, int) and code in (0, 1):
        from flux_lint.run.cache import code_fingerprint, digest

        key = digest(_KIND, code_fingerprint(), context)
        memo.remember(cache_dir, key, (session.writes, session.timing, code), recorder, wall)
    return code


def replayable(cache_dir: Any) -> None:
    """Called by a command whose answer may be replayed, with the cache folder it used: the
    command line's own (else the answer would be stored where its replay does not look)."""
    session = _SESSION
    if session is None or cache_dir is None:
        return
    if os.path.abspath(cache_dir) == session.cache_dir:
        session.eligible = not session.blocked


def not_replayable() -> None:
    """The command wrote or read something a replay could not reproduce."""
    if _SESSION is not None:
        _SESSION.eligible = False
        _SESSION.blocked = True
        _SESSION.writes.clear()


def wrote(text: str, err: bool, timing: str | None = None, raw: bool = True) -> None:
    """What the command wrote (``timing``: the run time shown in ``text``, if any; ``raw``:
    written as is, else escape codes may have been stripped on the way)."""
    session = _SESSION
    if session is None:
        return
    if not raw and "\x1b" in text:
        not_replayable()  # what the terminal got is not what is noted here
        return
    if timing is not None and timing in text:
        session.timing = (len(session.writes), timing)
    session.writes.append((err, text))
