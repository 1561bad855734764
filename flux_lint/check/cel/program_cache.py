"""What compiling a CEL expression finds, kept between runs when the run says where.

Loading cel-python and Lark takes about a fifth of a second, and compiling the rules of one
CRD a tenth more: a run that lints one edited HelmRelease would pay both, though the fast path
(:mod:`.fast`) decides its rules without the interpreter. Everything the compiler finds that a
program needs before the interpreter runs is therefore kept, as a *form* made of tuples and
strings only (check/cel/forms.py). The forms of the shipped schemas' rules also come with the
package (check/cel/seed.py): an expression not kept here yet takes its form from there before
it is compiled, and the form is kept here either way.

A later process makes the same :class:`.compiler.Program` from the form, and compiles with
cel-python only when the interpreter has to run.

Each expression (source text and declared variables) has a file of its own, so that a run
reads only what it uses and parallel workers never rewrite each other's files. The files are
written with marshal, sealed like every file flux-lint keeps (:mod:`flux_lint.core.sealed`),
so nothing is unpickled and a damaged or foreign file is compiled again and rewritten. They
live in the folder :func:`.parser_cache.set_parser_cache_dir` names (the run's cache folder;
none under ``--no-cache`` and by default: nothing is written), in a sub-folder named after
flux-lint's version and the code whose verdicts they hold: the files of this package and of
cel-python (names, sizes, times) and Lark's. The sub-folder and its files have the shapes of
the result cache's (``<version>-<digest>/<hash>.pack``), so ``flux-lint cache clean`` removes
them, and the result cache's pruning removes the files of such a folder a week after they
were written, and then the folder: those of other code go, and a current one is simply
compiled again and rewritten.
"""

from __future__ import annotations

import marshal
import os
from typing import Any

from flux_lint.check.cel import parser_cache
from flux_lint.check.cel.forms import COMPILED, FAILED, FORMAT, Form, valid
from flux_lint.core.sealed import Sealer, blake2b, read_sealed, write_sealed
from flux_lint.core.source_tree import module_origin

__all__ = [
    "COMPILED",
    "FAILED",
    "FORMAT",
    "Form",
    "folder_name",
    "load",
    "store",
    "valid",
]

_KIND = b"cel-program"

_STATE: dict[str, Any] = {}  # per cache folder: its sealer, and this code's sub-folder


def load(source: str, variables: frozenset[str] | None) -> Form | None:
    """The form kept for ``source`` compiled with ``variables``, or None (no cache folder,
    nothing kept, or a file that is damaged or not what it should be)."""
    place = _place(source, variables)
    if place is None:
        return None
    sealer, path, names = place
    payload = read_sealed(sealer, _KIND, path)
    if payload is None:
        return None
    try:
        stored = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if not (
        type(stored) is tuple
        and len(stored) == 4
        and stored[:3] == (FORMAT, source, names)
        and valid(stored[3])
    ):
        return None
    return stored[3]


def store(source: str, variables: frozenset[str] | None, form: Form) -> bool:
    """Keep ``form`` for ``source`` compiled with ``variables``; False when it is not kept
    (no cache folder, or it cannot be written)."""
    place = _place(source, variables)
    if place is None:
        return False
    sealer, path, names = place
    try:
        payload = marshal.dumps((FORMAT, source, names, form))
    except ValueError:  # nested deeper than marshal writes: compiled again next time
        return False
    return write_sealed(sealer, _KIND, path, payload)


def _place(
    source: str, variables: frozenset[str] | None
) -> tuple[Any, str, tuple[str, ...] | None] | None:
    """The sealer, the file and the stored variables of an expression; None without a
    cache folder."""
    root = parser_cache.parser_cache_dir()
    if root is None:
        return None
    state = _STATE.get(str(root))
    if state is None:
        folder = os.path.join(root, folder_name())
        state = _STATE[str(root)] = (Sealer(root), folder)
    sealer, folder = state
    names = None if variables is None else tuple(sorted(variables))
    name = blake2b(repr((source, names)).encode("utf-8", "surrogatepass"), digest_size=20)
    return sealer, os.path.join(folder, name.hexdigest() + ".pack"), names


def folder_name() -> str:
    """The sub-folder of the cache folder that holds the forms this code makes."""
    from flux_lint import __version__

    return f"{__version__}-{_code_key()}"


_CODE_KEY: list[str] = []


def _code_key() -> str:
    """A digest of the code that makes the forms: this package's files and cel-python's
    (name, size, time: an edit or an upgrade changes one), Lark's own module file, and the
    form's format. Found without importing cel-python or Lark."""
    if not _CODE_KEY:
        stamps: list[Any] = [FORMAT]
        stamps.extend(_stamps(os.path.dirname(os.path.abspath(__file__))))
        for name in ("celpy", "lark"):
            origin = module_origin(name)
            if origin is None:
                stamps.append((name, None))
            elif name == "celpy":
                stamps.extend(_stamps(os.path.dirname(origin)))
            else:
                stamps.append(_stamp(origin))
        digest = blake2b(repr(stamps).encode("utf-8", "surrogatepass"), digest_size=8)
        _CODE_KEY.append(digest.hexdigest())
    return _CODE_KEY[0]


def _stamps(folder: str) -> list[tuple[str, int, int]]:
    """(path below ``folder``, size, time) of its source and grammar files, sorted."""
    from flux_lint.core.source_tree import source_files

    cut = len(folder) + 1
    return sorted(
        (path[cut:], size, mtime) for path, size, mtime in source_files(folder, (".py", ".lark"))
    )


def _stamp(path: str, folder: str | None = None) -> tuple[str, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (path, -1, -1)
    name = path[len(folder) + 1 :] if folder else path
    return (name, info.st_size, info.st_mtime_ns)
