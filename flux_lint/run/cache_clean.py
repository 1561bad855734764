"""``flux-lint cache clean``: remove what flux-lint keeps in its cache folder, and only that.

The folder (``--cache-dir``, else ``$XDG_CACHE_HOME/flux-lint`` or ``~/.cache/flux-lint``)
holds these kinds of files, all written by flux-lint (core/sealed.py):

* ``key``: the secret that seals every other file (a file not sealed with it is never read);
* ``cel-parser-<hash>.bin``: cel-python's parser tables, built once per cel-python and Lark
  version so that a run does not spend 0.3 s building them;
* ``<version>-<code fingerprint>/<hash>.pack``: the per-file results of one set of linted
  paths and settings, one folder per flux-lint installation;
* ``<version>-<code fingerprint>/memo-<hash>.pack``: a whole result (a run, a command's
  answer, the ``--from`` detection) with the stamps of the files it read (run/memo.py);
* ``<version>-<CEL fingerprint>/<hash>.pack``: what compiling one CEL expression found
  (check/cel/program_cache.py), in a folder of the same shape.

A user may point ``--cache-dir`` at a folder that holds other things too (a shared CI cache),
so only names of these shapes are removed, and the folder itself only once it is empty. A
removal that fails is reported, never raised: cleaning a cache must not need a traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

_FILES = re.compile(r"key|key\..*\.tmp|cel-parser-[0-9a-f]+\.bin(\..*\.tmp)?")
_VERSION_FOLDER = re.compile(r"[0-9][0-9A-Za-z.+!_]*-[0-9a-f]{16}")
_PACK_FILES = re.compile(r"(memo-)?[0-9a-f]+\.pack(\..*\.tmp)?")


@dataclass
class Cleaned:
    """What :func:`clean` removed (files and bytes) and what it could not remove."""

    files: int = 0
    size: int = 0
    errors: list[str] = field(default_factory=list)


def clean(root: Path) -> Cleaned:
    """Remove flux-lint's files from the cache folder ``root`` (see the module docs)."""
    done = Cleaned()
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return done
    except OSError as exc:
        done.errors.append(f"{root}: {(exc.strerror or str(exc)).lower()}")
        return done
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and _VERSION_FOLDER.fullmatch(entry.name):
            try:
                inner = list(os.scandir(entry.path))
            except OSError as exc:
                done.errors.append(f"{entry.path}: {(exc.strerror or str(exc)).lower()}")
                continue
            for item in inner:
                if item.is_file(follow_symlinks=False) and _PACK_FILES.fullmatch(item.name):
                    _remove(item, done)
            _rmdir(entry.path)
        elif entry.is_file(follow_symlinks=False) and _FILES.fullmatch(entry.name):
            _remove(entry, done)
    _rmdir(str(root))
    return done


def _remove(entry: os.DirEntry[str], done: Cleaned) -> None:
    try:
        size = entry.stat(follow_symlinks=False).st_size
        os.unlink(entry.path)
    except FileNotFoundError:
        return  # another process cleaned it first
    except OSError as exc:
        done.errors.append(f"{entry.path}: {(exc.strerror or str(exc)).lower()}")
        return
    done.files += 1
    done.size += size


def _rmdir(path: str) -> None:
    """Remove ``path`` when it is empty; leave it otherwise (it holds something else)."""
    with contextlib.suppress(OSError):
        os.rmdir(path)
