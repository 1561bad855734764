"""Inline suppressions: ``# flux-lint: disable=FL102,unknown-field -- reason`` in YAML comments.

Four directives, all taking rule ids, names, id prefixes (``FL1``) or ``all``; written bare
(``# flux-lint: disable``, no ``=``) they suppress every rule, as ``# noqa``, ``# yamllint
disable-line`` and ``// eslint-disable-line`` do:

* ``disable=...`` on a line with YAML content suppresses the findings that start on that line;
* ``disable-next-line=...`` suppresses the findings that start on the next line holding YAML
  content (blank and comment-only lines in between are skipped, so directives can be stacked);
* ``disable-document=...`` suppresses the findings of the YAML document the comment is in (a
  comment above the first ``---`` belongs to the first document);
* ``disable-file=...`` suppresses every finding of the file.

``-- text`` after the rules is the justification; it ends up in JSON and SARIF output.

Finding the comments. A ``#`` starts a comment only outside scalars and only after whitespace
or at the start of a line; inside a quoted scalar or a block scalar it is text, and a block
scalar cannot hold a comment at all except on its header line (``key: | # comment``). A
regular expression over lines cannot tell these apart, so the text is run through libyaml's
scanner (the same C scanner the loader uses, so both agree on what is a scalar) and a ``#``
counts only where no token covers it. This costs one extra scan, paid only by files whose text
contains ``flux-lint:`` at all. Where the scanner stops on a syntax error, it resumes at the
next ``---`` like the loader does; lines it could not scan are judged conservatively: only a
comment that is alone on its line is read there.

Applying them to a run's findings, and the findings about the directives themselves, is the
report stage's job (:mod:`flux_lint.report.suppressions`).
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass, field

#: Files whose text does not contain this are never scanned for directives.
MARK = "flux-lint:"
ACTIONS = ("disable", "disable-next-line", "disable-document", "disable-file")
UNUSED_RULE = "FL008"
UNKNOWN_RULE = "FL010"
#: Codes that cover FL008 findings: a blanket ``all`` or a prefix cannot, or a directive
#: suppressing nothing would hide the report that says so.
_UNUSED_NAMES = frozenset({UNUSED_RULE.lower(), "unused-suppression"})

# libyaml's line breaks, so that line numbers agree with the loader's (and so with findings).
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_DOC_START = re.compile(r"^---(?=[ \t]|$)")
_DIRECTIVE = re.compile(r"#[ \t]*flux-lint:")
_ACTION = re.compile(r"[ \t]*(?P<action>[A-Za-z][\w-]*)")
_CODES = re.compile(r"[ \t]*=[ \t]*(?P<codes>[\w-]+(?:[ \t]*,[ \t]*[\w-]+)*)")
_CODE = re.compile(r"[\w-]+")
_EQUALS = re.compile(r"[ \t]*=")
_BOM = "\ufeff"
_LAST_LINE = 1 << 62


@dataclass(frozen=True, slots=True)
class Code:
    """One rule as written in a directive, with its 1-based line and columns."""

    text: str
    line: int
    column: int
    end_column: int


@dataclass(slots=True)
class Directive:
    """A parsed directive. Lines are 1-based and ``first``/``last`` inclusive; ``first`` is 0
    when the directive covers no line (``disable-next-line`` at the end of the file)."""

    action: str
    codes: tuple[Code, ...]
    reason: str
    line: int
    column: int  # of the ``#``
    end_column: int  # end of the directive's text (exclusive)
    first: int
    last: int
    document: int  # 0-based index of the YAML document the comment is in
    own_line: bool  # nothing but the comment on its line
    #: Character offsets into the text, for the fix that removes the directive or some of its
    #: rules: the directive (from its ``#``, with the blanks before it, to its end), what to
    #: delete to remove it (the whole line with its break when nothing else is on the line,
    #: else the directive), and the rule list.
    cut: tuple[int, int] = (0, 0)
    whole_line: tuple[int, int] = (0, 0)
    codes_at: tuple[int, int] = (0, 0)

    @property
    def blanket(self) -> bool:
        """Written without rules (``# flux-lint: disable``): it suppresses every rule."""
        return not self.codes

    def covers(self, line: int) -> bool:
        return self.first <= line <= self.last


@dataclass(frozen=True, slots=True)
class DirectiveError:
    """A comment that starts like a directive but cannot be read."""

    message: str
    line: int
    column: int
    end_column: int
    document: int


@dataclass(slots=True)
class FileDirectives:
    """The directives of one file, and the comments that looked like directives but were not
    readable (each becomes an FL010 finding)."""

    directives: list[Directive] = field(default_factory=list)
    errors: list[DirectiveError] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.directives or self.errors)


# --------------------------------------------------------------------------------------------
# Reading the comments


class _Scan:
    """What libyaml's scanner says about the lines of a text: which character ranges tokens
    cover on the lines of interest, which lines hold YAML content, where documents start, and
    which lines could not be scanned at all (after a syntax error, up to the next ``---``)."""

    def __init__(self, text: str, lines: list[str], wanted: set[int]) -> None:
        self.lines = lines
        self.wanted = sorted(wanted)
        self.covered: dict[int, list[tuple[int, int]]] = {line: [] for line in wanted}
        self.content: list[tuple[int, int]] = []  # (first, last) line ranges with tokens
        self.doc_starts: list[int] = []
        self.unscanned: list[tuple[int, int]] = []  # (first, last) line ranges
        self._run(text)
        self.content.sort()
        self._firsts = [first for first, _ in self.content]
        self._reach: list[int] = []  # running maximum of the ranges' last lines
        for _, last in self.content:
            self._reach.append(max(last, self._reach[-1]) if self._reach else last)
        self.doc_starts.sort()

    def _run(self, text: str) -> None:
        lines = self.lines
        start_line = 0
        chunk = text
        while True:
            failed_at = self._tokens(chunk)
            if failed_at is None:
                return
            resume = next(
                (
                    n
                    for n in range(max(failed_at, start_line + 1), len(lines))
                    if _DOC_START.match(lines[n])
                ),
                None,
            )
            self.unscanned.append((failed_at, (resume if resume is not None else len(lines)) - 1))
            if resume is None:
                return
            start_line = resume
            # Blank lines in front keep the scanner's line numbers those of the whole text.
            chunk = "\n" * resume + text[_line_offsets(text)[resume] :]

    def _tokens(self, chunk: str) -> int | None:
        """Record the tokens of ``chunk``; the 0-based line where scanning failed, or None."""
        from _ruamel_yaml import CParser

        last_line = 0
        try:
            parser = CParser(chunk)
            while True:
                token = parser.get_token()
                name = type(token).__name__
                if name == "StreamEndToken":
                    return None
                start, end = token.start_mark, token.end_mark
                if name == "DocumentStartToken":
                    self.doc_starts.append(start.line)
                if (start.line, start.column) == (end.line, end.column):
                    continue  # zero-width: block starts and ends, implicit keys
                first, last = start.line, end.line
                if end.column == 0 and last > first:
                    last -= 1  # ends at the start of a line: the break belongs to the token
                last_line = max(last_line, last)
                if name != "DirectiveToken":  # `%YAML 1.2` is not document content
                    self.content.append((first, last))
                from_col = start.column
                if getattr(token, "style", None) in ("|", ">"):
                    # A block scalar's header line may carry a comment after the indicator;
                    # its content lines cannot.
                    first, from_col = first + 1, 0
                self._cover(first, last, from_col, end)
        except Exception as exc:  # libyaml's scanner or reader error
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line if mark is not None else last_line
            return min(line, last_line + 1)

    def _cover(self, first: int, last: int, from_col: int, end: object) -> None:
        """Record the columns a token covers on the wanted lines between first and last."""
        wanted = self.wanted
        index = bisect.bisect_left(wanted, first)
        end_line, end_col = getattr(end, "line", last), getattr(end, "column", 0)
        while index < len(wanted) and wanted[index] <= last:
            line = wanted[index]
            self.covered[line].append(
                (from_col if line == first else 0, end_col if line == end_line else _LAST_LINE)
            )
            index += 1

    def scanned(self, line: int) -> bool:
        return not any(first <= line <= last for first, last in self.unscanned)

    def is_covered(self, line: int, column: int) -> bool:
        return any(start <= column < end for start, end in self.covered.get(line, ()))

    def has_content_before(self, line: int) -> bool:
        return bool(self._firsts) and self._firsts[0] < line

    def next_content_line(self, after: int) -> int | None:
        """The first line after ``after`` (0-based) that holds YAML content."""
        index = bisect.bisect_right(self._firsts, after)
        best: int | None = None
        if index > 0 and self._reach[index - 1] > after:
            best = after + 1  # a token that started earlier runs onto the next line
        elif index < len(self._firsts):
            best = self._firsts[index]
        for first, last in self.unscanned:
            for line in range(max(first, after + 1), last + 1):
                if best is not None and line >= best:
                    break
                stripped = self.lines[line].strip()
                if stripped and not stripped.startswith("#"):
                    best = line
                    break
        return best

    def regions(self) -> list[int]:
        """0-based first line of each document. Lines above the first ``---`` that hold no
        YAML content (a header of comments) belong to the document after it."""
        starts = self.doc_starts
        if not starts:
            return [0]
        if self.has_content_before(starts[0]):
            return [0, *starts]
        return [0, *starts[1:]]


def _line_offsets(text: str) -> list[int]:
    return [0, *(m.end() for m in _BREAK.finditer(text))]


def _comment_start(line_no: int, line: str, scan: _Scan) -> int | None:
    """Index (in ``line``) of the ``#`` that starts the line's comment, if it has one."""
    scanned = scan.scanned(line_no)
    bom = 1 if line_no == 0 and line.startswith(_BOM) else 0
    for match in re.finditer("#", line):
        col = match.start()
        if col > bom and line[col - 1] not in " \t":
            continue  # `a#b` is text, not a comment
        if not scanned:
            return col if not line[bom:col].strip() else None
        if not scan.is_covered(line_no, col - bom):
            return col
    return None


def parse(text: str) -> FileDirectives:
    """The directives written in ``text`` (none when it does not contain ``flux-lint:``)."""
    found = FileDirectives()
    if MARK not in text:
        return found
    lines = _BREAK.split(text)
    offsets = _line_offsets(text)
    wanted = {n for n, line in enumerate(lines) if MARK in line}
    scan = _Scan(text, lines, wanted)
    regions = scan.regions()
    for n in sorted(wanted):
        line = lines[n]
        start = _comment_start(n, line, scan)
        if start is None:
            continue
        document = bisect.bisect_right(regions, n) - 1
        bom = 1 if n == 0 and line.startswith(_BOM) else 0
        comment = line[start:]
        own_line = not line[bom:start].strip()
        # Every `# flux-lint:` inside the comment (one may follow other text, such as a note)
        # starts a directive that runs to the next one or to the end of the line.
        hits = [
            m.start()
            for m in _DIRECTIVE.finditer(comment)
            if m.start() == 0 or comment[m.start() - 1] in " \t"
        ]
        for i, at in enumerate(hits):
            end = start + (hits[i + 1] if i + 1 < len(hits) else len(comment))
            body_at = start + at + comment[at:].index(MARK) + len(MARK)
            while end > body_at and line[end - 1] in " \t":
                end -= 1
            result = _parse_directive(line, n, start + at, body_at, end, bom)
            if isinstance(result, DirectiveError):
                found.errors.append(
                    DirectiveError(
                        result.message, result.line, result.column, result.end_column, document
                    )
                )
                continue
            result.document = document
            result.own_line = own_line
            result.first, result.last = _scope(result.action, n, document, scan, regions)
            base = offsets[n]
            cut_from = start + at
            while cut_from > bom and line[cut_from - 1] in " \t":
                cut_from -= 1
            result.cut = (base + cut_from, base + end)
            if own_line and len(hits) == 1:
                next_line = offsets[n + 1] if n + 1 < len(offsets) else len(text)
                result.whole_line = (base, next_line)
            else:
                result.whole_line = result.cut
            result.codes_at = (base + result.codes_at[0], base + result.codes_at[1])
            found.directives.append(result)
    return found


def _parse_directive(
    line: str, n: int, hash_at: int, body_at: int, body_end: int, bom: int
) -> Directive | DirectiveError:
    """Read one directive; ``line[body_at:body_end]`` is what follows ``flux-lint:``."""
    body = line[body_at:body_end]

    def col(index: int) -> int:  # 1-based column of line[index]; a BOM takes none
        return index - bom + 1

    def error(message: str, start: int = hash_at, end: int = body_end) -> DirectiveError:
        return DirectiveError(message, n + 1, col(start), col(max(end, start + 1)), 0)

    action_match = _ACTION.match(body)
    if action_match is None:
        return error(f"a `flux-lint:` comment must name a directive ({_choices()})")
    action = action_match.group("action")
    action_at = body_at + action_match.start("action")
    if action not in ACTIONS:
        near = difflib.get_close_matches(action.lower(), ACTIONS, n=1, cutoff=0.6)
        hint = f"; did you mean `{near[0]}`?" if near else f" (use {_choices()})"
        return error(f"unknown directive `{action}`{hint}", action_at, action_at + len(action))
    after_action = action_match.end()
    codes_match = _CODES.match(body, after_action)
    if codes_match is not None:
        codes_at = body_at + codes_match.start("codes")
        codes = tuple(
            Code(m.group(), n + 1, col(codes_at + m.start()), col(codes_at + m.end()))
            for m in _CODE.finditer(codes_match.group("codes"))
        )
        codes_span = (codes_at, codes_at + len(codes_match.group("codes")))
        rules_end = codes_match.end()
    elif _EQUALS.match(body, after_action):
        return error(
            f"`{action}=` needs the rules it suppresses, e.g. `{action}=FL101`; without `=` "
            "it suppresses every rule",
            action_at,
            action_at + len(action),
        )
    else:  # bare: every rule, as a blanket noqa comment does in Python
        codes, codes_span, rules_end = (), (0, 0), after_action
    tail = body[rules_end:]
    rest = tail.strip()
    reason = ""
    if rest.startswith("--"):
        reason = rest[2:].strip()
    elif rest and not rest.startswith("#"):
        extra_at = body_at + rules_end + len(tail) - len(tail.lstrip())
        word = rest.split()[0]
        if codes:
            hint = "after the rules (separate rules with `,` and start a justification with `--`)"
        else:
            hint = (
                f"after `{action}` (name rules with `{action}=FL101`, start a justification "
                "with `--`)"
            )
        return error(f"unexpected `{word}` {hint}", extra_at, extra_at + len(word))
    return Directive(
        action=action,
        codes=codes,
        reason=reason,
        line=n + 1,
        column=col(hash_at),
        end_column=col(body_end),
        first=0,
        last=-1,
        document=0,
        own_line=False,
        codes_at=codes_span,
    )


def _choices() -> str:
    return ", ".join(f"`{a}`" for a in ACTIONS)


def _scope(action: str, n: int, document: int, scan: _Scan, regions: list[int]) -> tuple[int, int]:
    """1-based (first, last) lines a directive at 0-based line ``n`` covers."""
    if action == "disable":
        return n + 1, n + 1
    if action == "disable-next-line":
        target = scan.next_content_line(n)
        return (target + 1, target + 1) if target is not None else (0, -1)
    if action == "disable-file":
        return 1, _LAST_LINE
    first = regions[document]
    last = regions[document + 1] - 1 if document + 1 < len(regions) else _LAST_LINE - 1
    return first + 1, last + 1
