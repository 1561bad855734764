"""Which repository files end up in a GitRepository artifact (source-controller's exclusions).

kustomize-controller builds from the artifact that source-controller archived, not from the
repository: files that a ``.sourceignore`` file or the GitRepository's ``spec.ignore`` leave out
are not there, and neither are the default exclusions (CI folders, ``.sops.yaml``, images ...)
when the repository sets no pattern of its own. A folder without a kustomization file is built
from every YAML file of the artifact below it, so what is excluded decides what breaks a build.

How source-controller decides (fluxcd/source-controller v1.9 ``gitrepository_controller.go``,
fluxcd/pkg ``sourceignore`` v0.18 and ``artifact/storage/archive.go`` ``SourceIgnoreFilter``):

* the patterns of every ``.sourceignore`` file, each scoped to its own folder, in walk order
  (a folder's file before its subfolders'), then the GitRepository's ``spec.ignore`` lines,
  scoped to the root;
* in front of them the VCS patterns (``.git/``, ``.gitignore`` ...), always; the other default
  exclusions (``ExcludeExt``, ``ExcludeCI``, ``ExcludeExtra``) only when there is no user
  pattern at all;
* gitignore syntax; the last pattern that matches a path decides (``!`` re-includes), and the
  archive walk skips a whole folder once the folder itself is excluded.

Usage::

    excluded = ArtifactFilter.for_repository(read_ignore, folders, spec_ignore)
    excluded("apps/.github/workflows/ci.yaml")   # True

``read_ignore(folder)`` returns the lines of ``folder/.sourceignore`` or None; the filter never
touches the file system itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from flux_lint.load.discover import IgnoreList

IGNORE_FILE = ".sourceignore"
#: fluxcd/pkg sourceignore v0.18 ``ExcludeVCS``.
EXCLUDE_VCS = (".git/", ".gitignore", ".gitmodules", ".gitattributes")
#: ``ExcludeExt``, ``ExcludeCI`` and ``ExcludeExtra``: dropped as soon as any user pattern exists.
EXCLUDE_DEFAULT = (
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
)


@dataclass(frozen=True)
class ArtifactFilter:
    """Decides whether a path (relative to the artifact root) is left out of the artifact."""

    sources: tuple[IgnoreList, ...]  # lowest priority first

    @classmethod
    def from_patterns(
        cls, user: Sequence[tuple[str, Sequence[str]]], *, defaults: bool | None = None
    ) -> ArtifactFilter:
        """``user``: (folder, lines) pairs in source-controller's order; the defaults apply
        when no user line is a pattern (or as ``defaults`` says)."""
        parsed = [
            IgnoreList.from_lines(list(lines), f"{folder}/" if folder else "")
            for folder, lines in user
        ]
        if defaults is None:
            defaults = not any(_is_pattern(line) for _, lines in user for line in lines)
        fixed = list(EXCLUDE_VCS) + (list(EXCLUDE_DEFAULT) if defaults else [])
        return cls((IgnoreList.from_lines(fixed, ""), *parsed))

    @classmethod
    def for_repository(
        cls,
        read_ignore: Callable[[str], Sequence[str] | None],
        folders: Iterable[str],
        spec_ignore: str | None,
    ) -> ArtifactFilter:
        """The filter of a GitRepository whose artifact root is the folder ``""``.

        ``folders`` are the folders to look for ``.sourceignore`` in (relative to the root);
        they are visited in source-controller's walk order (parents first, names sorted)."""
        user: list[tuple[str, Sequence[str]]] = []
        for folder in sorted(set(folders), key=_walk_order):
            lines = read_ignore(folder)
            if lines:
                user.append((folder, lines))
        if spec_ignore:
            user.append(("", spec_ignore.splitlines()))
        return cls.from_patterns(user)

    def _verdict(self, path: str, is_dir: bool) -> bool:
        for source in reversed(self.sources):
            if source.base and not path.startswith(source.base):
                continue
            verdict = source.match(path[len(source.base) :], is_dir)
            if verdict is not None:
                return verdict
        return False

    def __call__(self, path: str) -> bool:
        """True when the file ``path`` (or a folder above it) is excluded from the artifact."""
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if self._verdict("/".join(parts[:depth]), True):
                return True
        return self._verdict(path, False)


def _is_pattern(line: str) -> bool:
    return bool(line.strip()) and not line.startswith("#")


def _walk_order(folder: str) -> tuple[str, ...]:
    return tuple(folder.split("/")) if folder else ()


def relative_to(path: str, root: str) -> str | None:
    """``path`` relative to the artifact root ``root`` (display paths), None when outside."""
    if not root:
        return path
    if path == root:
        return ""
    if path.startswith(root + "/"):
        return path[len(root) + 1 :]
    return None


__all__ = ["EXCLUDE_DEFAULT", "EXCLUDE_VCS", "IGNORE_FILE", "ArtifactFilter", "relative_to"]
