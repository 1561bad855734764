"""The ``--from`` a run finds for itself: the Flux version the linted files pin, read from
the texts the run's reading pass holds anyway (run/pipeline.py), before any file is linted.

Finding it in a pass of its own would walk and read the whole tree a second time. What is
detected, and the note that says so, are those of ``model.flux_version.from_default`` over
the same files: the files discovered from the paths named (not the rest of the repository
that explicit files are judged in), standard input in place of the file it stands for, and
each file read with the default size limit whatever ``--max-file-size`` says.
"""

from __future__ import annotations

from typing import Any

from flux_lint.check.engine import RunConfig
from flux_lint.load.source import DEFAULT_MAX_BYTES, SourceError
from flux_lint.model.flux_version import VersionScan, decide


class FromDetection:
    """What the reading pass shows of each file, for the version it pins."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.scan = VersionScan()

    def add(self, src: Any, text: Any, loaded: Any = None) -> None:
        """One discovered file as the run read it (``loaded``: its documents, if parsed)."""
        if isinstance(text, SourceError):
            if text.code != "too-large" or self.config.max_bytes >= DEFAULT_MAX_BYTES:
                return
            from flux_lint.load.source import read_source

            text = read_source(src.path, src.display)  # within the default limit
            if isinstance(text, SourceError):
                return
            loaded = None
        elif text.size > DEFAULT_MAX_BYTES:
            return
        self.scan.add(src.display, text.text, loaded)

    def settle(self, linter: Any, cache: Any) -> tuple[Any, str | None]:
        """Decide the run's ``--from``, set it on the run (its per-file cache keys included)
        and say it; returns (version, note) for the run's record."""
        config = self.config
        if "-" in config.paths and config.stdin_text is not None:
            self.scan.add(config.stdin_path, config.stdin_text)
        current, note = decide(self.scan.result(), config.flux_version)
        apply(config, current, note)
        linter.ctx.from_version = current
        if cache is not None:
            from flux_lint.run.cache import digest

            cache.run_key = digest(cache.run_key, "from", current)
        return current, note


def apply(config: RunConfig, current: Any, note: str | None) -> None:
    """Set a detected ``--from`` on ``config`` (detection is then done for good: a run again
    keeps it) and pass the note on."""
    config.from_version = tuple(current) if current is not None else None  # type: ignore[assignment]
    config.detect_from = False
    if note and config.from_note is not None:
        config.from_note(note)


def before_error(config: RunConfig) -> None:
    """A run that fails before its files are read still says what ``--from`` it found, as
    the detection before the run did: the files are read for it here."""
    from flux_lint.model.flux_version import from_default

    texts = {config.stdin_path: config.stdin_text} if config.stdin_text is not None else {}
    if "-" not in config.paths:
        texts = {}
    named = [p for p in config.paths if p != "-"]
    current, note = from_default(named, config.flux_version, exclude=config.exclude, texts=texts)
    apply(config, current, note)
