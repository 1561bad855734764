"""Fixes: minimal text edits on the file as written, never a re-dump of the YAML tree.

A rule attaches a *builder* to its problem (``Problem.fix``); the engine calls it with the
composed document and the decoded file text, and the builder answers with a :class:`Fix` whose
:class:`Edit` s replace a few characters. Everything the user did not ask to change (comments,
quoting, key order, indentation, line endings, the byte order mark) stays byte-identical,
which is what makes the result reviewable as a one-line diff and what ``flux migrate -f``
(a textual rewrite of ``apiVersion:`` lines) cannot promise.

Why builders check their own work. An edit is computed from libyaml's marks, so it is only as
good as the mapping from marks to text offsets. A builder whose edit is not provably local
therefore applies it to a copy of the text, parses the result, and gives up (no fix, the
finding is still reported) unless the file still has the same documents and load problems and
exactly the intended value changed. Anchors and aliases, merge keys, multi-line scalars and odd
layouts are handled by this one check instead of a special case each: a fix that would also
change an alias elsewhere, or that lands inside a block scalar, is simply not offered. The one
case that skips the parse is the common one, a one-line scalar with no anchor on its path
swapped for another one-line scalar: nothing else can change there, and skipping it keeps a
lint run with hundreds of old apiVersions as fast as one without.

Offsets. libyaml reports 0-based lines and columns in characters. It counts ``\\r\\n`` as one
line break and ``\\r``, ``\\n``, NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR
(U+2029) as one each, so :class:`LineIndex` splits lines on exactly those; Python's
``str.splitlines`` would also split on form feeds and vertical tabs and disagree with libyaml.

Applying the fixes to files is the report stage's job (:mod:`flux_lint.report.fix`).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flux_lint.core.findings import Edit, Fix, pointer_tokens
from flux_lint.core.regex import lazy
from flux_lint.load.yaml import Document, LoadResult, Node, load_text, node_key, resolve_plain

if TYPE_CHECKING:
    pass

#: What a rule puts in ``Problem.fix`` when only the engine knows where things are written.
FixBuilder = Callable[[Document, str], "Fix | None"]

STDIN = "-"

# --------------------------------------------------------------------------------------------
# Offsets

_BREAK = lazy("\r\n|[\r\n\x85\u2028\u2029]")


class LineIndex:
    """Line-start offsets of a text, counted the way libyaml counts lines.

    Built once per text; turns a node's ``(line, col)`` into a character offset. libyaml puts
    the end of the stream on a line after the last one when the text does not end with a line
    break, so positions past the table clamp to the end of the text.
    """

    __slots__ = ("starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in _BREAK.finditer(text))]

    def offset(self, line: int, col: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        return min(self.starts[line] + col, len(self.text))

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def line_text(self, line: int) -> str:
        """The content of ``line`` without its line break."""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return _BREAK.sub("", self.text[start:end])

    def break_of(self, line: int) -> str | None:
        """The line break that ends ``line`` (None for the last line when it has none)."""
        if line + 1 >= len(self.starts):
            return None
        match = _BREAK.search(self.text, self.starts[line], self.starts[line + 1])
        return match.group() if match else None

    def newline_for(self, line: int) -> str:
        """The line break to end a line inserted at ``line`` with: the one of the line above,
        else the line's own, else ``\\n``. Taken from the neighbourhood rather than the whole
        file so that a CRLF file, or the CRLF part of a mixed file, stays consistent."""
        for row in (line - 1, line):
            found = self.break_of(row) if row >= 0 else None
            if found:
                return found
        return "\n"

    def next_line_start(self, offset: int) -> int:
        """``offset`` itself if a line starts there, else where the next line starts (or the
        end of the text when there is no next line)."""
        line = self.line_of(offset)
        if self.starts[line] == offset:
            return offset
        return self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)


# --------------------------------------------------------------------------------------------
# Rendering scalars

#: Conservative plain scalars: safe in block and flow context alike (no indicators, no `: `,
#: no ` #`, no flow punctuation), which covers apiVersions, kinds and enum values.
_PLAIN = lazy(r"[A-Za-z0-9_./][A-Za-z0-9_./+-]*")
_NOT_PRINTABLE = lazy("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _plain_ok(value: str) -> bool:
    """Whether ``value`` written without quotes reads back as the same string (YAML 1.1, as
    Kubernetes reads it: ``yes``, ``1.0`` or ``null`` would not)."""
    return bool(_PLAIN.fullmatch(value)) and resolve_plain(value) == value


def _double_quoted(value: str) -> str:
    """A double-quoted scalar that YAML and JSON both read as ``value``."""
    body = json.dumps(value, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", body)


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_scalar(value: str, style: str | None) -> str:
    """``value`` written in quoting ``style`` (``'``, ``"`` or plain), falling back to quotes
    when plain text would read back as something else."""
    if style == '"':
        return _double_quoted(value)
    if style == "'" or not _plain_ok(value):
        if _NOT_PRINTABLE.search(value) or _BREAK.search(value):
            return _double_quoted(value)
        return _single_quoted(value)
    return value


# --------------------------------------------------------------------------------------------
# Finding nodes


def _resolve_path(root: Node | None, pointer: str) -> list[Node] | None:
    """The nodes from ``root`` down to the one a JSON pointer names, following only keys
    written in the mapping itself.

    Merge keys are deliberately not followed: the value would live in another mapping (often
    an anchor shared by several objects), and editing it there is not a fix of this object.
    Among duplicate keys the last wins, as in the plain view.
    """
    if root is None:
        return None
    chain = [root]
    for token in pointer_tokens(pointer):
        node = chain[-1]
        found: Node | None = None
        if node.kind == "map":
            for key_node, value_node in node.value:
                if node_key(key_node) == token:
                    found = value_node
        elif node.kind == "seq" and token.isdigit() and int(token) < len(node.value):
            found = node.value[int(token)]
        if found is None:
            return None
        chain.append(found)
    return chain


def _resolve(root: Node | None, pointer: str) -> Node | None:
    chain = _resolve_path(root, pointer)
    return chain[-1] if chain else None


def _skip_properties(text: str, start: int, end: int) -> int:
    """Past a node's tag and anchor (libyaml's start mark is on them, not on the value)."""
    while start < end and text[start] in "!&":
        while start < end and text[start] not in " \t\r\n":
            start += 1
        while start < end and text[start] in " \t\r\n":
            start += 1
    return start


# --------------------------------------------------------------------------------------------
# Checking an edit by parsing its result


@lru_cache(maxsize=8)
def _line_index(text: str) -> LineIndex:
    """One line table per text however many builders need it."""
    return LineIndex(text)


@lru_cache(maxsize=16)
def _loaded(text: str) -> LoadResult:
    """One parse per text (a file, or one document's lines) however many builders look at it
    (results are read-only)."""
    return load_text(text)


def _same(a: Any, b: Any) -> bool:
    """Equality of plain views where NaN equals NaN and ``1`` differs from ``True``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _with_value(data: Any, tokens: list[str], value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``tokens``, copying only the containers on the path
    (views share aliased subtrees, so nothing is modified in place)."""
    if not tokens:
        return value
    head, rest = tokens[0], tokens[1:]
    if isinstance(data, dict):
        out = dict(data)
        out[head] = _with_value(data.get(head), rest, value)
        return out
    if isinstance(data, list) and head.isdigit() and int(head) < len(data):
        items = list(data)
        items[int(head)] = _with_value(data[int(head)], rest, value)
        return items
    raise KeyError(head)


def _problem_codes(result: LoadResult) -> list[tuple[str, int]]:
    return sorted((p.code, p.document) for p in result.problems)


def _verified(
    document: Document, text: str, edits: Sequence[Edit], pointer: str, value: Any
) -> bool:
    """Whether ``edits`` turn ``text`` into the same documents except ``value`` at ``pointer``
    of ``document``, with the same load problems.

    The edited document alone is parsed first (:func:`_verified_in_document`): every fix
    builder edits inside one document, and parsing the whole file for each fix made a file
    with hundreds of fixable documents take time quadratic in its size (300 documents with
    fixes took about 30 s). Only when that check cannot vouch for the edit is the whole file
    parsed, so a fix is offered exactly when it was before.
    """
    if _verified_in_document(document, text, edits, pointer, value):
        return True
    before = _loaded(text)
    after = load_text(apply_edits(text, edits))
    if len(after.documents) != len(before.documents):
        return False
    if _problem_codes(after) != _problem_codes(before):
        return False
    try:
        expected = _with_value(document.data, pointer_tokens(pointer), value)
    except KeyError:
        return False
    for old, new in zip(before.documents, after.documents, strict=True):
        want = expected if old.index == document.index else old.data
        if not _same(new.data, want):
            return False
    return True


def _document_region(document: Document, text: str) -> tuple[int, int] | None:
    """Character offsets of the lines that hold ``document``: from the line its ``---`` (or,
    for the first document, the text) starts on to the line where the next document starts.

    libyaml starts every document afresh at a ``---`` line (anchors, tags and the parser's
    state never cross it; a ``---`` at column 0 always ends a document), so parsing these
    lines alone gives the document exactly as parsing the whole text does, and an edit inside
    them cannot change any other document as long as they still parse as one clean document.
    """
    documents = _loaded(text).documents
    position = next((i for i, d in enumerate(documents) if d.index == document.index), None)
    if position is None:
        return None
    lines = _line_index(text)
    start = 0 if position == 0 else lines.offset(documents[position].line, 0)
    if position + 1 < len(documents):
        end = lines.offset(documents[position + 1].line, 0)
    else:
        end = len(text)
    return (start, end) if start < end else None


def _verified_in_document(
    document: Document, text: str, edits: Sequence[Edit], pointer: str, value: Any
) -> bool:
    """:func:`_verified` for edits inside one document, parsing only that document's lines.
    True only when it is certain; False means "not shown here" (the caller then parses the
    whole file)."""
    region = _document_region(document, text)
    if region is None:
        return False
    start, end = region
    if not all(start <= e.start <= e.end <= end for e in edits):
        return False
    chunk = text[start:end]
    alone = _loaded(chunk)
    if alone.problems or len(alone.documents) != 1:
        return False
    if not _same(alone.documents[0].data, document.data):
        return False  # the lines do not read alone as they do in the file (a %TAG above)
    moved = [Edit(e.start - start, e.end - start, e.replacement) for e in edits]
    after = load_text(apply_edits(chunk, moved))
    if after.problems or len(after.documents) != 1:
        return False
    try:
        expected = _with_value(document.data, pointer_tokens(pointer), value)
    except KeyError:
        return False
    return _same(after.documents[0].data, expected)


# --------------------------------------------------------------------------------------------
# Builders


def replace_scalar(
    pointer: str,
    new_text: str,
    *,
    expected: str | None = None,
    title: str | None = None,
    safe: bool = True,
) -> FixBuilder:
    """A builder that sets the string scalar at ``pointer`` to ``new_text``, keeping how it is
    quoted (plain, ``'single'`` or ``"double"``, in block or flow style; JSON is YAML whose
    strings are double-quoted, so JSON stays JSON).

    ``expected`` guards against fixing a value that is not the one the rule judged: the current
    value (ignoring surrounding blanks) must equal it. Block scalars (``|``, ``>``) are left
    alone. The default title is ``Change <key> to `<new_text>```.
    """
    tokens = pointer_tokens(pointer)
    label = tokens[-1] if tokens else "value"
    fix_title = title or f"Change {label} to `{new_text}`"

    def build(document: Document, text: str) -> Fix | None:
        chain = _resolve_path(document.node, pointer)
        if chain is None:
            return None
        node = chain[-1]
        if node.kind != "scalar" or node.style in ("|", ">"):
            return None
        if expected is not None and node.value.strip() != expected.strip():
            return None
        lines = _line_index(text)
        end = lines.offset(node.end_line, node.end_col)
        start = _skip_properties(text, lines.offset(node.line, node.col), end)
        raw = text[start:end]
        style = node.style or ""
        if style in ("'", '"'):
            if len(raw) < 2 or raw[0] != style or raw[-1] != style:
                return None
        elif " ".join(raw.split()) != " ".join(node.value.split()) or not raw:
            return None
        replacement = render_scalar(new_text, style)
        if replacement == raw:
            return None
        edit = Edit(start, end, replacement)
        plain_swap = all(n.anchor is None for n in chain) and _is_one_token(node, raw)
        if not plain_swap and not _verified(document, text, (edit,), pointer, new_text):
            return None
        return Fix(fix_title, (edit,), safe)

    return build


def _is_one_token(node: Node, raw: str) -> bool:
    """Whether ``raw`` is exactly ``node``'s value written on one line.

    Then replacing ``raw`` by another well-formed one-line scalar cannot change anything but
    this value, so the edit needs no re-parse (the common case, and the one that keeps
    ``flux-lint`` fast on repositories with hundreds of old apiVersions). With no anchor on
    the path, no alias can share the value either.
    """
    if node.line != node.end_line or _BREAK.search(raw):
        return False
    if node.style == "'":
        return raw[1:-1].replace("''", "'") == node.value
    if node.style == '"':
        return "\\" not in raw and raw[1:-1] == node.value
    return raw == node.value


def insert_key(
    mapping_pointer: str,
    key: str,
    value: str,
    *,
    after: str | None = None,
    before: str | None = None,
    title: str | None = None,
    safe: bool = True,
) -> FixBuilder:
    """A builder that adds ``key: value`` (``value`` is a string) to the mapping at
    ``mapping_pointer`` unless the key is already there.

    Block mappings get a new line at the indentation of their existing keys, ending with the
    line break of the line above. The line goes directly before the entry ``before`` (above
    the comment lines written at that entry's indentation, which describe it), else after the
    entry ``after``, else after the last entry; "after an entry" means below its last line of
    content and below comment lines indented deeper than the key (commented-out items of its
    value), so a nested value or block scalar is never split. Flow mappings get ``, key:
    value`` (or ``key: value, `` before ``before``); a mapping whose keys are all
    double-quoted (JSON) gets a double-quoted key and value.
    """
    fix_title = title or f"Add `{key}: {value}`"
    pointer = mapping_pointer + "/" + key.replace("~", "~0").replace("/", "~1")

    def build(document: Document, text: str) -> Fix | None:
        mapping = _resolve(document.node, mapping_pointer)
        if mapping is None or mapping.kind != "map":
            return None
        if any(node_key(k) == key for k, _ in mapping.value):
            return None
        lines = _line_index(text)
        if mapping.style == "flow":
            edit = _insert_flow(mapping, key, value, after, before, lines)
        else:
            edit = _insert_block(mapping, key, value, after, before, lines)
        if edit is None or not _verified(document, text, (edit,), pointer, value):
            return None
        return Fix(fix_title, (edit,), safe)

    return build


def _entry_index(mapping: Node, key: str | None) -> int | None:
    if key is None:
        return None
    found = None
    for index, (key_node, _) in enumerate(mapping.value):
        if node_key(key_node) == key:
            found = index
    return found


def _insert_flow(
    mapping: Node, key: str, value: str, after: str | None, before: str | None, lines: LineIndex
) -> Edit | None:
    entries = mapping.value
    if entries and all(k.kind == "scalar" and k.style == '"' for k, _ in entries):
        pair = f"{_double_quoted(key)}: {_double_quoted(value)}"
    else:
        pair = f"{render_scalar(key, None)}: {render_scalar(value, None)}"
    text = lines.text
    index = _entry_index(mapping, before)
    if index is not None:
        key_node = entries[index][0]
        at = lines.offset(key_node.line, key_node.col)
        return Edit(at, at, pair + ", ")
    if not entries:
        at = lines.offset(mapping.line, mapping.col)
        if text[at : at + 1] != "{":
            return None
        return Edit(at + 1, at + 1, pair)
    index = _entry_index(mapping, after)
    key_node, value_node = entries[len(entries) - 1 if index is None else index]
    at = max(
        lines.offset(key_node.end_line, key_node.end_col),
        lines.offset(value_node.end_line, value_node.end_col),
    )
    return Edit(at, at, ", " + pair)


def _content_end(node: Node, lines: LineIndex) -> int:
    """Offset just past the last character ``node`` is written with.

    A block collection's own end mark is where the *next* token starts (after trailing
    comments and blank lines), so its children are walked instead; scalars and flow
    collections end exactly at their end mark. A block scalar's end mark already includes
    its trailing blank lines, which keeps a ``|+`` scalar whole.
    """
    end = 0
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.kind == "scalar" or current.style == "flow":
            end = max(end, lines.offset(current.end_line, current.end_col))
        elif current.kind == "map":
            end = max(end, lines.offset(current.line, current.col))
            for key_node, value_node in current.value:
                stack.extend((key_node, value_node))
        else:
            end = max(end, lines.offset(current.line, current.col))
            stack.extend(current.value)
    return end


def _comment_indent(line: str) -> int | None:
    """The column of ``#`` when ``line`` is only a comment, else None."""
    stripped = line.lstrip(" \t")
    return len(line) - len(stripped) if stripped.startswith("#") else None


def _insert_block(
    mapping: Node, key: str, value: str, after: str | None, before: str | None, lines: LineIndex
) -> Edit | None:
    entries = mapping.value
    if not entries or any(k.kind != "scalar" for k, _ in entries):
        return None
    indent = entries[0][0].col
    if any(k.col != indent for k, _ in entries):
        return None
    text = lines.text
    line = f"{' ' * indent}{render_scalar(key, None)}: {render_scalar(value, None)}"
    index = _entry_index(mapping, before)
    if index is not None:
        row = entries[index][0].line
        if lines.line_text(row)[:indent].strip(" ") == "":
            while row > 0 and _comment_indent(lines.line_text(row - 1)) == indent:
                row -= 1
            at = lines.starts[row]
            return Edit(at, at, line + lines.newline_for(row))
        if index == 0:
            return None
        index -= 1  # the key shares its line (`- key:`): go after the entry above instead
    else:
        index = _entry_index(mapping, after)
    key_node, value_node = entries[len(entries) - 1 if index is None else index]
    end = max(lines.offset(key_node.end_line, key_node.end_col), _content_end(value_node, lines))
    at = lines.next_line_start(end)
    while at < len(text):
        row = lines.line_of(at)
        depth = _comment_indent(lines.line_text(row))
        if depth is None or depth <= indent:
            break
        at = lines.starts[row + 1] if row + 1 < len(lines.starts) else len(text)
    row = lines.line_of(at)
    if at == len(text) and lines.starts[row] != at:
        return Edit(at, at, lines.newline_for(row) + line)  # the last line has no line break
    return Edit(at, at, line + lines.newline_for(row))


# --------------------------------------------------------------------------------------------
# Applying edits to a text


def _overlaps(a: Edit, b: Edit) -> bool:
    """Whether two edits cannot both apply: overlapping ranges, a range and an insertion
    strictly inside it, or two different insertions at the same point (their order would be
    a guess). Touching ranges are fine."""
    a_insert, b_insert = a.start == a.end, b.start == b.end
    if a_insert and b_insert:
        return a.start == b.start
    if a_insert:
        return b.start < a.start < b.end
    if b_insert:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def select_edits(edits: Iterable[Edit]) -> tuple[list[Edit], list[Edit]]:
    """(kept, dropped): edits in the given order, each kept unless it conflicts with one kept
    before it; an edit identical to a kept one is merged into it, not dropped."""
    kept: list[Edit] = []
    dropped: list[Edit] = []
    for edit in edits:
        if edit in kept:
            continue
        if any(_overlaps(edit, other) for other in kept):
            dropped.append(edit)
        else:
            kept.append(edit)
    return kept, dropped


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with ``edits`` applied; conflicting edits are dropped as :func:`select_edits`
    decides (call it first to learn which)."""
    kept, _ = select_edits(edits)
    for edit in kept:
        if not 0 <= edit.start <= edit.end <= len(text):
            raise ValueError(f"edit {edit.start}:{edit.end} is outside the text ({len(text)})")
    pieces: list[str] = []
    position = 0
    for edit in sorted(kept, key=lambda e: (e.start, e.end)):
        pieces.append(text[position : edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)
