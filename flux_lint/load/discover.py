"""Find the YAML files a run covers, the way a user who knows git expects.

The result is a sorted list of files, each with an absolute path (to read) and a POSIX path
relative to the repository root (to show, to match ``--exclude`` against and to put in SARIF as a
``%SRCROOT%``-relative URI), plus a list of problems met on the way. Nothing here raises for a bad
path: a missing argument, an unreadable directory or a broken link is a :class:`DiscoveryError`
and the walk goes on, because one odd corner of a repository must not hide the rest of it.

Choices worth knowing:

* **Root.** The nearest enclosing git work tree (a ``.git`` directory, or a ``.git`` file as in a
  worktree or submodule) of the first path; else the current directory if the path is inside it;
  else the path itself (its directory for a file). Paths outside the root are still taken, shown
  relative to the root (``../other/x.yaml``).
* **Explicit paths win over ignore files.** A file named on the command line is taken whatever
  its extension and even if a ``.gitignore`` lists it (as ruff does); a named directory is walked
  even if it is ignored itself. ``--exclude`` is different: it is the user's own filter, so it
  applies to named files and directories too (a file is excluded if it or any parent directory
  matches).
* **gitignore semantics are git's own**, implemented here from git's ``dir.c`` and
  ``wildmatch.c`` rather than taken from a library, because the obvious candidate (pathspec)
  disagrees with git on dir-only ``**`` patterns and on POSIX classes such as ``[[:alpha:]]``, and
  crashes on the latter with the RE2 backend this project installs. The tests compare the walk
  with ``git ls-files --others --exclude-standard`` on random trees. Sources, by precedence: the
  deepest ``.gitignore`` first, up to the root's, then ``.git/info/exclude``; within one file the
  last matching line wins; an ignored directory is never entered, so nothing under it can be
  re-included. A directory holding its own ``.git`` starts a fresh set of rules, as a nested
  repository does in git. The user's global excludes file is deliberately not read, so a run
  gives the same files on every machine and in CI. Matching compares bytes, as git does, so
  ``?`` and brackets see the bytes of a non-ASCII name, not its characters.
* **Bounded time.** Backtracking matchers, git's wildmatch included, take exponential time on
  patterns such as ``*a*a*a*a*b`` against a long name, and a linter run on a pull request must
  not hang on one. Patterns with two ``*`` in one path component, or two ``**`` before the
  end, are matched with RE2, whose time is linear in the path; the rest, nearly every real
  pattern, with the faster ``re``, on which they cannot backtrack more than polynomially.
* **Symlinks.** Git does not follow links; a linter must, because kustomize layouts link shared
  bases into place. A link is followed when its target lies inside the root (inside the walked
  directory, for a directory named outside the root); otherwise it is reported, never read, so a
  hostile repository cannot make the linter read ``/etc``. A file reached twice is listed once,
  under the path that sorts first. Directory identities ``(st_dev, st_ino)`` are tracked so a link
  to an ancestor is reported as a loop and a directory reached twice is walked once.
* **Speed.** One ``os.scandir`` per directory, file types from the directory entry (no ``stat``
  per file; one per directory, for its identity), each ``.gitignore`` compiled once into a few
  alternations (names or paths, for files or directories, per engine), and a name's extension
  checked before any pattern.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from flux_lint.load.source_path import SourcePath

if TYPE_CHECKING:
    import re2

YAML_SUFFIXES = (".yaml", ".yml")
SOURCEIGNORE = ".sourceignore"
VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", "CVS"})


@dataclass(frozen=True, slots=True)
class DiscoveryError:
    """A path that could not be taken, with a message that says why (no trailing period)."""

    display: str
    message: str


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    """Files sorted by display path, errors sorted likewise, and the root both are relative to."""

    files: list[SourcePath]
    errors: list[DiscoveryError]
    root: Path
    #: ``.sourceignore`` files met on the walk (source-controller's ignore files, which decide
    #: what a GitRepository artifact holds: see model/applied.py), sorted by display path.
    sourceignores: list[SourcePath] = field(default_factory=list)
    #: Display paths of the files named on the command line (not found by walking a folder).
    explicit: frozenset[str] = frozenset()


# --------------------------------------------------------------------------------------------
# gitignore patterns
#
# Patterns and paths are matched as bytes, as git's wildmatch does. Both are handled as "byte
# strings": ``str`` with one character per byte of their UTF-8 form (``latin-1`` decoding), so
# ``?`` is one byte and ``[é]`` a set of two bytes, exactly as in git. An ASCII path is its own
# byte string, which spares the common case any conversion. RE2 reads them in its Latin-1 mode.

_SLASH = 0x2F

# Git's own ctype table (``sane_ctype``), not the C library's: its ``isspace`` leaves out
# ``\v`` and ``\f``. Wildmatch tests only ASCII bytes against the classes.
_POSIX_CLASSES: dict[str, frozenset[int]] = {
    name: frozenset(members.encode("latin-1"))
    for name, members in {
        "alnum": string.ascii_letters + string.digits,
        "alpha": string.ascii_letters,
        "blank": " \t",
        "cntrl": "".join(map(chr, range(0x20))) + "\x7f",
        "digit": string.digits,
        "graph": "".join(map(chr, range(0x21, 0x7F))),
        "lower": string.ascii_lowercase,
        "print": "".join(map(chr, range(0x20, 0x7F))),
        "punct": string.punctuation,
        "space": " \t\n\r",
        "upper": string.ascii_uppercase,
        "xdigit": string.hexdigits,
    }.items()
}


def _literal(char: str) -> str:
    """One byte (a character below 256) as a literal that ``re`` and RE2 read alike."""
    return char if char == "/" or (char.isascii() and char.isalnum()) else f"\\x{ord(char):02x}"


def _byte_class(members: set[int]) -> str | None:
    """A character class for ``members`` minus ``/``, written as plain ranges (RE2 has no
    lookahead to subtract ``/`` with); ``None`` when nothing is left, i.e. it never matches."""
    ordered = sorted(members - {_SLASH})
    if not ordered:
        return None
    ranges: list[str] = []
    low = high = ordered[0]
    for byte in (*ordered[1:], -1):
        if byte == high + 1:
            high = byte
            continue
        ranges.append(f"\\x{low:02x}" if low == high else f"\\x{low:02x}-\\x{high:02x}")
        low = high = byte
    return f"[{''.join(ranges)}]"


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """Translate the bracket expression at ``pattern[start] == "["``.

    Returns the regex and the index after the closing ``]``, or ``None`` when the whole
    pattern can never match: git's wildmatch would abort (unterminated bracket, unknown
    ``[:class:]``), or the bracket matches no byte at all (``[z-a]``, ``[/]``). Mirrors
    wildmatch: ``!`` or ``^`` negates, a ``]`` right after the opening (or the negation) is
    literal, ``-`` is literal first or last, a range resets the "previous character", and a
    bracket never matches ``/``.
    """
    n = len(pattern)
    p = start + 1
    negated = p < n and pattern[p] in "!^"
    if negated:
        p += 1
    members: set[int] = set()
    prev = ""
    first = True
    while True:
        if p >= n:
            return None
        c = pattern[p]
        if c == "]" and not first:
            break
        first = False
        if c == "\\":
            p += 1
            if p >= n:
                return None
            prev = pattern[p]
            members.add(ord(prev))
        elif c == "-" and prev and p + 1 < n and pattern[p + 1] != "]":
            p += 1
            high = pattern[p]
            if high == "\\":
                p += 1
                if p >= n:
                    return None
                high = pattern[p]
            members.update(range(ord(prev), ord(high) + 1))
            prev = ""
        elif c == "[" and p + 1 < n and pattern[p + 1] == ":":
            close = pattern.find("]", p + 2)
            if close == -1:
                return None
            if close - (p + 2) - 1 < 0 or pattern[close - 1] != ":":
                # Not a class after all: the "[" is an ordinary member, scanning resumes at ":".
                members.add(ord("["))
                prev = "["
            else:
                cls = _POSIX_CLASSES.get(pattern[p + 2 : close - 1])
                if cls is None:
                    return None
                members |= cls
                prev = ""
                p = close
        else:
            members.add(ord(c))
            prev = c
        p += 1
    if negated:
        members = set(range(256)) - members
    regex = _byte_class(members)
    return None if regex is None else (regex, p + 1)


# The pattern classes below are plain classes, not dataclasses: nothing compares or prints
# them, and every run imports this module (a dataclass costs a good part of a millisecond to
# create at import).


class _Glob:
    """A translated pattern: its line, whether it negates, the regex, and whether only a
    linear-time engine can match it in bounded time (see :class:`_Alternation`)."""

    __slots__ = ("line", "needs_re2", "negated", "regex")

    def __init__(self, line: int, negated: bool, regex: str, needs_re2: bool) -> None:
        self.line = line
        self.negated = negated
        self.regex = regex
        self.needs_re2 = needs_re2


def _translate(pattern: str, *, name_only: bool = False) -> tuple[str, bool] | None:
    """Translate a wildmatch pattern (git's ``WM_PATHNAME`` mode) into a regex body, and say
    whether a backtracking matcher could take more than polynomial time on it.

    ``pattern`` holds one character per byte (see the section notes). ``*``, ``?`` and brackets
    never match ``/``. Two or more stars form ``**`` only between slashes or pattern ends:
    ``**/`` matches zero or more leading directories, ``/**`` at the end everything below,
    ``/**/`` zero or more directories; elsewhere they act as one ``*``. ``None`` means the
    pattern can never match (git aborts on it).

    Backtracking blows up when repetitions compete for the same stretch of text. A ``*``
    cannot leave its path component, and with no other ``*`` in that component it has only
    one length that lets the match go on past the next ``/``; a ``**`` that ends the pattern
    takes the rest at once; one more ``**`` has no other to compete with. So two ``*`` in one
    component, or two ``**`` before the end, need RE2. ``name_only`` says the pattern is only
    ever matched against a name (no ``/`` in the text): then a final ``*`` takes the rest of
    the name at once and competes with nothing, so ``*.tar.*`` needs no RE2.
    """
    out: list[str] = []
    in_component = 0  # ``*`` since the last ``/``
    crowded = False  # a component before the last one held two ``*``
    inner_double = 0  # ``**`` not at the end
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            at_start = i == 0 or pattern[i - 1] == "/"
            if j - i >= 2 and at_start and (j == n or pattern[j] == "/"):
                if j == n:
                    out.append(".*")
                else:
                    out.append("(?:.*/)?")
                    j += 1
                    inner_double += 1
                in_component = 0
            elif j - i >= 2 and at_start and pattern.startswith("\\/", j):
                out.append("(?:.*/)?")
                j += 2
                inner_double += 1
                in_component = 0
            else:
                out.append("[^/]*")
                in_component += 1
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            translated = _bracket(pattern, i)
            if translated is None:
                return None
            regex, i = translated
            out.append(regex)
        elif c == "\\":
            if i + 1 >= n:
                return None
            out.append(_literal(pattern[i + 1]))
            if pattern[i + 1] == "/":
                crowded, in_component = crowded or in_component > 1, 0
            i += 2
        else:
            out.append(_literal(c))
            if c == "/":
                crowded, in_component = crowded or in_component > 1, 0
            i += 1
    if name_only and out and out[-1] == "[^/]*":
        in_component -= 1
    return "".join(out), crowded or in_component > 1 or inner_double > 1


def _byte_string(text: str) -> str:
    """A path or pattern as the bytes git sees, one character per byte (see the section notes).

    Names that were not valid UTF-8 come back from ``os`` with their bytes escaped as
    surrogates (PEP 383); ``surrogateescape`` restores those bytes.
    """
    if text.isascii():
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate from elsewhere: keep it, in some form
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("latin-1")


def _trim_trailing_spaces(line: str) -> str:
    """Drop trailing spaces unless backslash-escaped (git's ``trim_trailing_spaces``)."""
    last_space = -1
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == " ":
            if last_space < 0:
                last_space = i
        elif c == "\\":
            i += 1
            if i >= n:
                return line
            last_space = -1
        else:
            last_space = -1
        i += 1
    return line[:last_space] if last_space >= 0 else line


class _Pattern(Protocol):
    """What :class:`_Alternation` needs of a compiled pattern (a ``re`` one, or RE2's through
    :class:`_Latin1RE2`): a full match of a byte string."""

    def fullmatch(self, text: str, /) -> _Match | None: ...


class _Match(Protocol):
    @property
    def lastindex(self) -> int | None: ...


@cache
def _re2_options() -> re2.Options:
    """Latin-1 so that RE2 sees bytes as git does; ``.`` across newlines as in ``re.DOTALL``;
    errors kept off stderr (a pattern too large is handled by the caller); and room for the
    large alternations a long ``.gitignore`` makes (the default budget is 8 MiB). RE2 is
    imported here, for the first ignore line that needs it: few repositories have one."""
    import re2

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.dot_nl = True
    options.log_errors = False
    options.max_mem = 64 << 20
    return options


class _Latin1RE2:
    """An RE2 pattern in Latin-1 mode, fed byte strings (which it takes as ``bytes``)."""

    __slots__ = ("_regexp",)

    def __init__(self, pattern: str) -> None:
        import re2

        self._regexp = re2.compile(pattern.encode("latin-1"), _re2_options())

    def fullmatch(self, text: str, /) -> _Match | None:
        found: _Match | None = self._regexp.fullmatch(text.encode("latin-1"))
        return found


class _Alternation:
    """Several patterns as one regex, last line first, so the first alternative that matches
    is the line git would pick (the last matching one); ``lines[lastindex - 1]`` names it.
    RE2 keeps Perl's leftmost-first choice among alternatives, so this holds for both engines.
    """

    __slots__ = ("lines", "regex")

    def __init__(self, regex: _Pattern, lines: tuple[tuple[int, bool], ...]) -> None:
        self.regex = regex
        self.lines = lines  # (line number, negated) per alternative

    def last(self, text: str) -> tuple[int, bool] | None:
        found = self.regex.fullmatch(text)
        return None if found is None else self.lines[(found.lastindex or 1) - 1]


class _Either:
    """Two matchers over different lines: the later of the lines they match decides."""

    __slots__ = ("first", "second")

    def __init__(self, first: _Matcher, second: _Matcher) -> None:
        self.first = first
        self.second = second

    def last(self, text: str) -> tuple[int, bool] | None:
        one = self.first.last(text)
        other = self.second.last(text)
        if one is None or (other is not None and other[0] > one[0]):
            return other
        return one


_Matcher = _Alternation | _Either


def _matcher(globs: list[_Glob]) -> _Matcher | None:
    """One matcher for ``globs``, or ``None`` when there are none.

    Python's ``re`` is several times faster per call than RE2 through its binding, and nearly
    every real ``.gitignore`` line is safe for it (see :func:`_translate`), so those lines go
    to ``re`` and only the others to RE2, whose time is linear in the text.
    """
    ordered = globs[::-1]
    found: list[_Alternation] = []
    simple = [glob for glob in ordered if not glob.needs_re2]
    if simple:
        found.append(_Alternation(re.compile(_alternatives(simple), re.DOTALL), _lines(simple)))
    found.extend(_re2_alternations([glob for glob in ordered if glob.needs_re2]))
    matcher: _Matcher | None = None
    for alternation in found:
        matcher = alternation if matcher is None else _Either(matcher, alternation)
    return matcher


def _re2_alternations(globs: list[_Glob]) -> list[_Alternation]:
    """RE2 alternations for ``globs``: one, or one per pattern when RE2 cannot compile them
    together within its memory budget. A pattern too large for RE2 even alone (hundreds of
    thousands of wildcards on one line) is left out, as if it matched nothing: ``re`` could
    take exponential time on it."""
    if not globs:
        return []
    import re2

    try:
        return [_Alternation(_Latin1RE2(_alternatives(globs)), _lines(globs))]
    except re2.error:
        pass
    found: list[_Alternation] = []
    for glob in globs:
        try:
            found.append(_Alternation(_Latin1RE2(_alternatives([glob])), _lines([glob])))
        except re2.error:
            continue
    return found


def _alternatives(globs: list[_Glob]) -> str:
    return "|".join(f"({glob.regex})" for glob in globs)


def _lines(globs: list[_Glob]) -> tuple[tuple[int, bool], ...]:
    return tuple((glob.line, glob.negated) for glob in globs)


@dataclass(frozen=True, slots=True)
class IgnoreList:
    """The patterns of one ignore source, anchored at ``base`` (a display prefix like ``a/b/``).

    Patterns are compiled once into a few alternations: patterns without a slash are matched
    against the entry's name alone (a short string, no backtracking over parent directories),
    patterns with one against the path below ``base``; dir-only patterns (``foo/``) are left out
    of the expressions used for files. A few ``fullmatch`` calls then decide an entry.
    """

    base: str
    _names: tuple[_Matcher | None, _Matcher | None] = field(repr=False)
    _paths: tuple[_Matcher | None, _Matcher | None] = field(repr=False)

    @classmethod
    def from_lines(cls, lines: Sequence[str], base: str = "") -> IgnoreList:
        """Parse gitignore lines: ``#`` comments, ``!`` negation, ``\\`` escapes, trailing
        spaces, ``/`` anchoring (a slash anywhere but the end anchors the pattern to ``base``;
        without one it matches a name at any depth) and trailing ``/`` for directories only."""
        # Index 0 holds what may match files, index 1 what may match directories.
        names: tuple[list[_Glob], list[_Glob]] = ([], [])
        paths: tuple[list[_Glob], list[_Glob]] = ([], [])
        for number, raw in enumerate(lines):
            line = raw.removesuffix("\r")
            if not line or line.startswith("#"):
                continue
            line = _trim_trailing_spaces(line)
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            dir_only = line.endswith("/")
            if dir_only:
                line = line[:-1]
            if not line:
                continue
            anchored = "/" in line
            body = line[1:] if line.startswith("/") else line
            translated = _translate(_byte_string(body), name_only=not anchored)
            if translated is None:
                continue
            glob = _Glob(number, negated, *translated)
            target = paths if anchored else names
            target[1].append(glob)
            if not dir_only:
                target[0].append(glob)
        return cls(
            base,
            (_matcher(names[0]), _matcher(names[1])),
            (_matcher(paths[0]), _matcher(paths[1])),
        )

    def match(self, path: str, is_dir: bool) -> bool | None:
        """``True`` ignored, ``False`` re-included by a negation, ``None`` no line matched.

        ``path`` is relative to ``base``, POSIX, without a trailing slash.
        """
        by_name = self._names[is_dir]
        by_path = self._paths[is_dir]
        if by_name is None and by_path is None:
            return None
        text = path if path.isascii() else _byte_string(path)
        name_hit = by_name.last(text.rpartition("/")[2]) if by_name is not None else None
        path_hit = by_path.last(text) if by_path is not None else None
        if name_hit is None and path_hit is None:
            return None
        if path_hit is None or (name_hit is not None and name_hit[0] > path_hit[0]):
            assert name_hit is not None
            return not name_hit[1]
        return not path_hit[1]


_Stack = tuple[IgnoreList, ...]


def _is_ignored(stack: _Stack, display: str, is_dir: bool) -> bool:
    """Deepest ignore source first; the first one with a matching line decides."""
    for ignore in reversed(stack):
        verdict = ignore.match(display[len(ignore.base) :], is_dir)
        if verdict is not None:
            return verdict
    return False


# --------------------------------------------------------------------------------------------
# paths


def find_root(first: str | os.PathLike[str]) -> Path:
    """The directory display paths are relative to (see the module docs for the order);
    :func:`flux_lint.load.lookup.find_root`, which never raises for a path it cannot read."""
    from flux_lint.load.lookup import find_root as lookup_root

    return lookup_root(first)


def _inside(path: str, base: str) -> bool:
    """Is ``path`` equal to or below ``base`` (both absolute and normalised)?"""
    if path == base:
        return True
    return path.startswith(base if base.endswith(os.sep) else base + os.sep)


def display_path(path: str, root: str) -> str:
    """POSIX path of ``path`` relative to ``root`` (both absolute); ``""`` for the root."""
    return _display(path, root)


def _display(path: str, root: str) -> str:
    """POSIX path of ``path`` relative to ``root``; ``""`` for the root itself."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows: nothing relative exists
        return Path(path).as_posix()
    return "" if rel == os.curdir else Path(rel).as_posix()


def _git_dir(worktree: str) -> str | None:
    """The repository directory holding ``info/exclude`` for a work tree, if there is one.

    A ``.git`` file (worktrees, submodules) names the git directory; a worktree's git directory
    shares ``info/exclude`` with the main repository through its ``commondir`` file.
    """
    dotgit = os.path.join(worktree, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    try:
        with open(dotgit, encoding="utf-8", errors="surrogateescape") as handle:
            first = handle.readline().strip()
    except OSError:
        return None
    if not first.startswith("gitdir:"):
        return None
    gitdir = os.path.join(worktree, first[len("gitdir:") :].strip())
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as handle:
            return os.path.join(gitdir, handle.read().strip())
    except OSError:
        return gitdir


def _is_yaml(name: str) -> bool:
    return name.lower().endswith(YAML_SUFFIXES)


def _dangling(link: str) -> str:
    try:
        return f"dangling symlink: {os.readlink(link)} does not exist"
    except OSError:
        return "dangling symlink"


def _os_message(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return (exc.strerror or str(exc)).lower()


# --------------------------------------------------------------------------------------------
# the walk


_Entry = tuple[str, str, bool, str, os.stat_result | None]
"""A taken directory entry: path, display path, is a directory, resolved path, directory stat."""


class _Dir:
    """A listed directory on the walk's stack: its taken entries still to visit, and what governs
    them (ignore sources, link boundary, and the identities of itself and its ancestors)."""

    __slots__ = ("ancestors", "boundary", "entries", "path", "stack")

    def __init__(
        self,
        path: str,
        boundary: str,
        stack: _Stack,
        ancestors: frozenset[tuple[int, int]],
        entries: Iterator[_Entry],
    ) -> None:
        self.path = path
        self.boundary = boundary
        self.stack = stack
        self.ancestors = ancestors
        self.entries = entries


class _Walker:
    """State shared by every walk of one :func:`discover` call (visited directories, output)."""

    def __init__(self, root: str, root_real: str, excludes: IgnoreList | None, gitignore: bool):
        self.root = root
        self.root_real = root_real
        self.excludes = excludes
        self.gitignore = gitignore
        self.files: list[tuple[str, str, str]] = []  # display, path, real path (identity)
        self.sourceignores: list[SourcePath] = []
        self.errors: list[DiscoveryError] = []
        self.visited: set[tuple[int, int]] = set()

    def error(self, display: str, message: str) -> None:
        self.errors.append(DiscoveryError(display or ".", message))

    def excluded(self, display: str, is_dir: bool) -> bool:
        return self.excludes is not None and self.excludes.match(display, is_dir) is True

    def excluded_with_parents(self, display: str, is_dir: bool) -> bool:
        """``--exclude`` for a named path: the path itself or any parent directory matching."""
        if self.excludes is None or not display:
            return False
        parts = display.split("/")
        for i in range(1, len(parts)):
            if self.excludes.match("/".join(parts[:i]), True) is True:
                return True
        return self.excludes.match(display, is_dir) is True

    # -- ignore sources --------------------------------------------------------------------

    def enter(
        self, stack: _Stack, path: str, prefix: str, has_git: bool, has_ignore: bool
    ) -> _Stack:
        """The ignore stack for a directory's entries, compiled once when it is entered."""
        if not self.gitignore:
            return stack
        if has_git:
            stack = ()
            gitdir = _git_dir(path)
            if gitdir is not None:
                exclude = self.load(os.path.join(gitdir, "info", "exclude"), prefix, None)
                if exclude is not None:
                    stack = (exclude,)
        if has_ignore:
            shown = f"{prefix}.gitignore"
            ignore = self.load(os.path.join(path, ".gitignore"), prefix, shown)
            if ignore is not None:
                stack = (*stack, ignore)
        return stack

    def load(self, path: str, base: str, shown: str | None) -> IgnoreList | None:
        """Read an ignore file; a missing one is silent, an unreadable ``.gitignore`` reported."""
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            if shown is not None and not isinstance(exc, FileNotFoundError):
                self.error(shown, f"cannot read: {_os_message(exc)}")
            return None
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")
        return IgnoreList.from_lines(text.split("\n"), base)

    def stack_above(self, top: str) -> tuple[_Stack, frozenset[tuple[int, int]]]:
        """Ignore sources and directory identities from the root down to ``top``'s parent.

        A directory named on the command line is governed by every ``.gitignore`` between the
        root and it, and a link inside it back up to the root is a loop, not a second walk.
        """
        stack: _Stack = ()
        ancestors: set[tuple[int, int]] = set()
        rel = os.path.relpath(top, self.root)
        parts = [] if rel == os.curdir else rel.split(os.sep)
        current, prefix = self.root, ""
        for part in parts:
            try:
                info = os.stat(current)
                ancestors.add((info.st_dev, info.st_ino))
            except OSError:
                pass
            has_git = os.path.lexists(os.path.join(current, ".git"))
            has_ignore = os.path.lexists(os.path.join(current, ".gitignore"))
            stack = self.enter(stack, current, prefix, has_git, has_ignore)
            current, prefix = os.path.join(current, part), f"{prefix}{part}/"
        return stack, frozenset(ancestors)

    # -- walking ---------------------------------------------------------------------------

    def walk(
        self,
        path: str,
        prefix: str,
        boundary: str,
        stack: _Stack,
        ancestors: frozenset[tuple[int, int]],
        identity: tuple[int, int],
    ) -> None:
        """Depth-first, each directory's entries in an order (``name/`` for directories) that
        makes the visiting order the sorted order of display paths, so "first reached" and
        "sorts first" agree for files and directories met twice through links."""
        self.visited.add(identity)
        top = self.open_dir(
            path, prefix, os.path.realpath(path), boundary, stack, ancestors | {identity}
        )
        frames = [top] if top is not None else []
        while frames:
            frame = frames[-1]
            item = next(frame.entries, None)
            if item is None:
                frames.pop()
                continue
            entry_path, display, is_dir, real, info = item
            if not is_dir:
                self.files.append((display, entry_path, real))
                continue
            assert info is not None
            key = (info.st_dev, info.st_ino)
            if key in frame.ancestors:
                self.error(display, f"symlink loop: points to its ancestor {self.show(real)}")
                continue
            if key in self.visited:
                continue
            self.visited.add(key)
            child = self.open_dir(
                entry_path,
                f"{display}/",
                real,
                frame.boundary,
                frame.stack,
                frame.ancestors | {key},
            )
            if child is not None:
                frames.append(child)

    def show(self, real: str) -> str:
        """A resolved path as the user knows it: root-relative when inside the root."""
        if _inside(real, self.root_real):
            return _display(real, self.root_real) or "."
        return real

    def open_dir(
        self,
        path: str,
        prefix: str,
        real: str,
        boundary: str,
        stack: _Stack,
        ancestors: frozenset[tuple[int, int]],
    ) -> _Dir | None:
        """List a directory, apply its ignore files, and sort what is to be taken from it."""
        try:
            with os.scandir(path) as listing:
                entries = list(listing)
        except OSError as exc:
            self.error(prefix.rstrip("/"), f"cannot read directory: {_os_message(exc)}")
            return None
        names = {entry.name for entry in entries}
        if SOURCEIGNORE in names:
            self.sourceignores.append(
                SourcePath(Path(path, SOURCEIGNORE), f"{prefix}{SOURCEIGNORE}")
            )
        stack = self.enter(stack, path, prefix, ".git" in names, ".gitignore" in names)
        real_dir = real if real.endswith(os.sep) else f"{real}{os.sep}"
        taken: list[tuple[str, _Entry]] = []
        for entry in entries:
            item = self.classify(entry, prefix, real_dir, boundary, stack)
            if item is not None:
                sort_key = f"{item[1]}/" if item[2] else item[1]
                taken.append((sort_key, item))
        taken.sort(key=lambda pair: pair[0])
        return _Dir(path, boundary, stack, ancestors, (i for _, i in taken))

    def classify(
        self, entry: os.DirEntry[str], prefix: str, real_dir: str, boundary: str, stack: _Stack
    ) -> _Entry | None:
        """Decide about one directory entry: an :data:`_Entry` to take it, ``None`` to pass over
        it (errors are recorded here). Regular files cost no system call at all."""
        name = entry.name
        display = f"{prefix}{name}"
        if not entry.is_symlink():
            if entry.is_dir(follow_symlinks=False):
                if name in VCS_DIRS or self.skip(stack, display, True):
                    return None
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    self.error(display, f"cannot read directory: {_os_message(exc)}")
                    return None
                return entry.path, display, True, f"{real_dir}{name}", info
            if entry.is_file(follow_symlinks=False) and _is_yaml(name):
                if self.skip(stack, display, False):
                    return None
                return entry.path, display, False, f"{real_dir}{name}", None
            return None
        return self.classify_link(entry, display, boundary, stack)

    def classify_link(
        self, entry: os.DirEntry[str], display: str, boundary: str, stack: _Stack
    ) -> _Entry | None:
        """Resolve a symlink, then apply the same filters as to what it points at.

        Ignore rules are applied before any problem with the link is reported, so an ignored
        broken link stays silent.
        """
        name = entry.name
        problem: str | None = None
        target = ""
        info: os.stat_result | None = None
        try:
            target = os.path.realpath(entry.path, strict=True)
            info = os.stat(target)
        except FileNotFoundError:
            problem = _dangling(entry.path)
        except OSError as exc:
            problem = "symlink loop" if exc.errno == errno.ELOOP else _os_message(exc)
        is_dir = info is not None and stat.S_ISDIR(info.st_mode)
        if is_dir and name in VCS_DIRS:
            return None
        if self.skip(stack, display, is_dir):
            return None
        if problem is not None:
            self.error(display, problem)
            return None
        if not is_dir and not (_is_yaml(name) and info is not None and stat.S_ISREG(info.st_mode)):
            return None
        if not _inside(target, boundary):
            self.error(display, f"symlink points outside the repository: {target}")
            return None
        return entry.path, display, is_dir, target, info

    def skip(self, stack: _Stack, display: str, is_dir: bool) -> bool:
        return self.excluded(display, is_dir) or (
            bool(stack) and _is_ignored(stack, display, is_dir)
        )


def discover(
    paths: Sequence[str | os.PathLike[str]],
    *,
    root: str | os.PathLike[str] | None = None,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> DiscoveryResult:
    """Expand files and directories into the sorted YAML files to lint.

    ``-`` (stdin) is the caller's business and must not be passed here. ``exclude`` holds
    gitignore-style patterns matched against display paths. With no paths, nothing is found:
    choosing a default is the command line's decision.
    """
    if not paths:
        return DiscoveryResult([], [], Path(os.path.abspath(root or os.curdir)))
    root_path = Path(os.path.abspath(root)) if root is not None else find_root(paths[0])
    root_str = str(root_path)
    root_real = os.path.realpath(root_str)
    excludes = IgnoreList.from_lines(list(exclude)) if exclude else None
    walker = _Walker(root_str, root_real, excludes, respect_gitignore)

    # Named paths are handled in display order (directories as "name/") for the same reason
    # entries are: whatever is reached twice is then kept under the path that sorts first.
    named: list[tuple[str, str, str]] = []
    for raw in paths:
        path = os.path.abspath(raw)
        display = _display(path, root_str)
        named.append((f"{display}/" if os.path.isdir(path) else display, path, display))
    named.sort(key=lambda item: item[0])

    explicit: set[str] = set()
    for _, path, display in named:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                walker.error(display, _dangling(path))
            else:
                walker.error(display, "no such file or directory")
            continue
        except OSError as exc:
            walker.error(display, _os_message(exc))
            continue
        is_dir = stat.S_ISDIR(info.st_mode)
        if walker.excluded_with_parents(display, is_dir):
            continue
        real = os.path.realpath(path)
        in_root = _inside(path, root_str)
        if in_root and not _inside(real, root_real):
            walker.error(display, f"symlink points outside the repository: {real}")
            continue
        if not is_dir:
            walker.files.append((display, path, real))
            explicit.add(display)
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in walker.visited:
            continue
        if in_root:
            stack, ancestors = walker.stack_above(path)
            boundary = root_real
        else:
            stack, ancestors, boundary = (), frozenset(), real
        prefix = f"{display}/" if display else ""
        walker.walk(path, prefix, boundary, stack, ancestors, identity)

    files: list[SourcePath] = []
    seen: set[str] = set()
    for display, path, real in sorted(walker.files, key=lambda item: item[0]):
        if real in seen:
            continue
        seen.add(real)
        files.append(SourcePath(path, display))
    errors = sorted(set(walker.errors), key=lambda e: (e.display, e.message))
    sourceignores = sorted(walker.sourceignores, key=lambda s: s.display)
    return DiscoveryResult(files, errors, root_path, sourceignores, frozenset(explicit))
