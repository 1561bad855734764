"""A progress bar on stderr for long runs: ``[=========>          ] 412/1000 files``.

Shown only where a person watches: stderr must be a terminal, ``TERM`` must not be ``dumb``,
and no CI system may be detected, because a CI log records every redraw as a line of its own.
It appears only once a run has taken longer than :data:`DELAY` seconds (a quick run should not
flash a bar) and redraws at most every :data:`INTERVAL` seconds, so it costs nothing
measurable. The line is erased when the run ends, before the report is printed.

The engine reports progress through ``RunConfig.progress`` (files done, files in the run) and
knows nothing about terminals; this module is the only place that writes the bar.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

DELAY = 0.5
INTERVAL = 0.1
#: Environment variables set by CI systems (any non-empty value other than ``false``/``0``).
CI_VARIABLES = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "TF_BUILD",
    "JENKINS_URL",
    "TEAMCITY_VERSION",
    "BITBUCKET_BUILD_NUMBER",
)
_ERASE = "\r\x1b[K"


def in_ci(env: Mapping[str, str]) -> bool:
    return any(env.get(name, "").strip().lower() not in ("", "0", "false") for name in CI_VARIABLES)


def wanted(stream: Any, env: Mapping[str, str] | None = None) -> bool:
    """Whether a bar belongs on ``stream``: a terminal, not dumb, not in CI."""
    env = os.environ if env is None else env
    try:
        tty = bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
    return tty and env.get("TERM", "") != "dumb" and not in_ci(env)


class ProgressBar:
    """Draws files done / total on one line of ``stream``; call :meth:`close` at the end."""

    def __init__(
        self,
        stream: TextIO,
        *,
        delay: float = DELAY,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        width: int | None = None,
    ) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.width = width
        self.started = clock()
        self.last_draw: float | None = None
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < self.delay:
            return
        if self.last_draw is not None and now - self.last_draw < self.interval and done < total:
            return
        self.last_draw = now
        self._write(_ERASE + self.line(done, total))
        self.drawn = True

    def line(self, done: int, total: int) -> str:
        """The bar's text for ``done`` of ``total`` files, fitted to the terminal width."""
        label = f" {done}/{total} files"
        columns = self.width or _terminal_columns()
        size = max(10, min(40, columns - len(label) - 3))
        filled = size if total <= 0 else min(size, size * done // total)
        if filled < size:
            bar = "=" * max(filled - 1, 0) + (">" if filled else "") + " " * (size - filled)
        else:
            bar = "=" * size
        return f"[{bar}]{label}"[: max(columns - 1, 1)]

    def close(self) -> None:
        """Erase the bar, so the report starts on a clean line."""
        if self.drawn:
            self._write(_ERASE)
            self.drawn = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: stop drawing
            self.drawn = False
            self.delay = float("inf")


def _terminal_columns() -> int:
    import shutil  # here: most runs draw no progress line

    return shutil.get_terminal_size((80, 24)).columns
