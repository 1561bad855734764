"""Make ``flux lint`` run flux-lint, as a Flux CLI plugin (Flux 2.9 and later).

How the Flux CLI finds plugins, which everything here follows: it scans one folder,
``$FLUXCD_PLUGINS`` when that variable is set and not empty, else ``~/.fluxcd/plugins`` (the
value is used as it is: no ``~`` expansion). An entry named ``flux-<name>`` (on Windows with
``.exe``, ``.cmd`` or ``.bat`` stripped) becomes the command ``flux <name>`` when it is, after
following symbolic links, a regular file with an executable bit; broken links, folders, built-in
command names and the reserved names ``plugin`` and ``help`` are skipped. ``flux <name> ARGS``
then replaces itself with the plugin (a child process on Windows), passing ``ARGS`` unchanged.

So installing is linking the ``flux-lint`` console script into that folder under its own name.
A symbolic link, not a copy: a pip console script is tied to its environment, and a link keeps
following upgrades of that environment. Where links cannot be made (Windows without the
privilege, some file systems) a small launcher script that ``exec``s flux-lint takes its place.

Both kinds are recognisable as ours, which is what makes :func:`uninstall` safe: it removes a
link whose target is a ``flux-lint`` executable, or a launcher carrying :data:`LAUNCHER_MARK`,
and never anything else that happens to be called ``flux-lint`` (another tool's binary placed
there by ``flux plugin install`` or by hand).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import sysconfig
from collections.abc import Iterator, Mapping
from pathlib import Path

#: The command the plugin answers to: ``flux lint``.
PLUGIN_NAME = "lint"
#: The file name prefix the Flux CLI looks for.
PREFIX = "flux-"
#: The executable that pip installs for flux-lint (without a Windows suffix).
EXECUTABLE = "flux-lint"
#: Overrides the plugin folder, exactly as for the Flux CLI itself.
ENV_VAR = "FLUXCD_PLUGINS"
#: Written into launcher scripts so that :func:`uninstall` can tell them from other files.
LAUNCHER_MARK = "flux-lint plugin launcher"

_WINDOWS = os.name == "nt"
#: Suffixes the Flux CLI strips from plugin file names on Windows.
_WINDOWS_SUFFIXES = (".exe", ".cmd", ".bat")


class PluginError(Exception):
    """Installing or removing the plugin is not possible; the message says why and where."""


def plugin_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder the Flux CLI reads plugins from: ``$FLUXCD_PLUGINS`` or ``~/.fluxcd/plugins``.

    An empty ``FLUXCD_PLUGINS`` counts as unset, as it does for the Flux CLI (Go's
    ``os.Getenv`` cannot tell the two apart).
    """
    env = os.environ if environ is None else environ
    value = env.get(ENV_VAR, "")
    if value:
        return Path(value)
    return Path.home() / ".fluxcd" / "plugins"


def _strip_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in _WINDOWS_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_executable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _in_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` is an entry of ``folder`` (or below it). The entry itself is not
    resolved: it is typically our own link, which resolves to somewhere else."""
    try:
        Path(os.path.realpath(path.parent)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def _candidates() -> Iterator[Path]:
    """Where the ``flux-lint`` script of the running installation can be, best first.

    Beside the interpreter comes first: in a virtual environment or a pipx install that is the
    script of this very flux_lint. ``sys.executable`` is not resolved, because a venv's
    ``python`` is a link to the base interpreter, far from the venv's scripts. Then the
    interpreter's scripts folders (a ``pip install --user`` puts scripts in the user one), and
    last whatever ``PATH`` finds.
    """
    names = [f"{EXECUTABLE}.exe", EXECUTABLE] if _WINDOWS else [EXECUTABLE]
    folders: list[Path] = []
    if sys.executable:
        folders.append(Path(sys.executable).parent)
    for scheme in (sysconfig.get_default_scheme(), sysconfig.get_preferred_scheme("user")):
        try:
            folders.append(Path(sysconfig.get_path("scripts", scheme)))
        except KeyError:  # a scheme this platform does not have
            continue
    for folder in folders:
        for name in names:
            yield folder / name
    found = shutil.which(EXECUTABLE)
    if found:
        yield Path(found)


def find_executable(exclude: Path | None = None) -> Path:
    """The absolute path of the ``flux-lint`` executable to link to.

    ``exclude`` is the plugin folder: a ``flux-lint`` found there (through ``PATH``) is the
    link itself, and linking it to itself would make a loop.
    """
    for candidate in _candidates():
        if exclude is not None and _in_folder(candidate, exclude):
            continue
        if _is_executable_file(candidate):
            return Path(os.path.abspath(candidate))
    raise PluginError(
        f"cannot find the `{EXECUTABLE}` executable (looked beside {sys.executable} and on "
        "PATH); is flux-lint installed with pip or pipx?"
    )


def _names() -> tuple[str, ...]:
    """File names in the plugin folder that would make ``flux lint``."""
    if _WINDOWS:
        return tuple(PREFIX + PLUGIN_NAME + suffix for suffix in _WINDOWS_SUFFIXES)
    return (PREFIX + PLUGIN_NAME,)


def is_flux_lint_link(path: Path) -> bool:
    """Whether ``path`` is a plugin entry this module made (and may therefore remove).

    A symbolic link counts when its target is named ``flux-lint`` (a venv's script, a pipx
    link, a Windows ``flux-lint.exe``), even when the target no longer exists: a link left
    behind by a deleted environment is still ours to clean up. A regular file counts only when
    it is a launcher written by :func:`install`.
    """
    if path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            return False
        return _strip_suffix(Path(target).name) == EXECUTABLE
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError:
        return False
    return LAUNCHER_MARK.encode() in head


def _launcher(target: Path) -> tuple[str, str]:
    """File name and text of a launcher script for systems without symbolic links."""
    if _WINDOWS:
        text = (
            "@echo off\r\n"
            f"rem {LAUNCHER_MARK}: `flux {PLUGIN_NAME}` runs flux-lint.\r\n"
            f'"{target}" %*\r\n'
            "exit /b %ERRORLEVEL%\r\n"
        )
        return PREFIX + PLUGIN_NAME + ".cmd", text
    text = (
        "#!/bin/sh\n"
        f"# {LAUNCHER_MARK}: `flux {PLUGIN_NAME}` runs flux-lint.\n"
        f'exec {shlex.quote(str(target))} "$@"\n'
    )
    return PREFIX + PLUGIN_NAME, text


def _existing(directory: Path) -> list[Path]:
    return [directory / name for name in _names() if os.path.lexists(directory / name)]


def install(directory: Path | None = None, *, executable: Path | None = None) -> Path:
    """Link ``flux-lint`` into the Flux plugin folder and return the path of the link.

    ``directory`` defaults to :func:`plugin_dir` and is created when missing; ``executable``
    defaults to :func:`find_executable`. Installing again replaces our own link (so it follows
    the installation it is run from), atomically: ``flux lint`` never finds the name missing.
    An entry of the same name that is not ours is left alone and reported as an error.
    """
    folder = plugin_dir() if directory is None else Path(directory)
    target = find_executable(exclude=folder) if executable is None else executable
    target = Path(os.path.abspath(target))
    if not _is_executable_file(target):
        raise PluginError(f"{target} is not an executable file")
    if _in_folder(target, folder):
        raise PluginError(f"{target} is in the plugin folder {folder}; it cannot link to itself")
    for entry in _existing(folder):
        if not is_flux_lint_link(entry):
            raise PluginError(
                f"{entry} exists and is not a flux-lint link; remove it to install the plugin"
            )
    link_name = PREFIX + PLUGIN_NAME + (".exe" if _WINDOWS else "")
    link = folder / link_name
    # A name the Flux CLI ignores (no `flux-` prefix) while the entry is being made.
    temp = folder / f".{link_name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(temp):
            temp.unlink()
        try:
            os.symlink(target, temp)
        except (OSError, NotImplementedError):
            name, text = _launcher(target)
            link = folder / name
            temp.write_text(text, encoding="utf-8", newline="")
            temp.chmod(0o755)
        os.replace(temp, link)
        # A launcher and a link differ in name on Windows; keep only the one just made.
        for entry in _existing(folder):
            if entry != link and is_flux_lint_link(entry):
                entry.unlink()
    except OSError as exc:
        if os.path.lexists(temp):
            temp.unlink()
        where = exc.filename or folder
        raise PluginError(f"cannot install the plugin in {where}: {exc.strerror or exc}") from None
    return link


def uninstall(directory: Path | None = None) -> Path | None:
    """Remove the plugin entry made by :func:`install`; return its path, or ``None`` when
    there was none. A ``flux-lint`` entry that is not ours raises :class:`PluginError` rather
    than disappearing: it belongs to someone else."""
    folder = plugin_dir() if directory is None else Path(directory)
    entries = _existing(folder)
    for entry in entries:
        if not is_flux_lint_link(entry):
            raise PluginError(f"{entry} is not a flux-lint link; left in place")
    for entry in entries:
        try:
            entry.unlink()
        except OSError as exc:
            raise PluginError(f"cannot remove {entry}: {exc.strerror or exc}") from None
    return entries[0] if entries else None
