"""Parser events → the node tree, one loop, within the limits that bound a file's memory.

libyaml reports events (scalar, mapping start, ...) with their marks; :func:`compose` builds
:class:`~.yaml_nodes.Node` trees from them without ruamel's composer (which rejects reused
anchors, as Go does not) and notes the rare constructs :mod:`.yaml_spec` looks at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .yaml_nodes import MAX_DEPTH, Document, LoadProblem, LoadResult, Node

MAX_DOCUMENTS = 10_000
# Composed nodes (scalars and collections). A node costs a few hundred bytes until the run ends;
# real manifests stay far below (a 5 MB CRD bundle has about 300,000).
MAX_NODES_PER_DOCUMENT = 500_000
MAX_NODES_PER_FILE = 1_000_000


class Spots:
    """Constructs noted while composing, for :mod:`.yaml_spec` to look at afterwards."""

    __slots__ = ("continued", "dashes", "directives")

    def __init__(self) -> None:
        self.continued: list[tuple[Node, int, int]] = []  # (node, parent column, document)
        self.dashes: list[tuple[Node, int]] = []  # plain `-` in a flow collection
        self.directives: list[tuple[int, int, str, int]] = []  # line, column, version, document

    def extend(self, other: Spots) -> None:
        self.continued.extend(other.continued)
        self.dashes.extend(other.dashes)
        self.directives.extend(other.directives)

    def drop_from(self, index: int) -> None:
        """Forget what was noted in documents ``index`` and later."""
        self.continued[:] = [s for s in self.continued if s[2] < index]
        self.dashes[:] = [s for s in self.dashes if s[1] < index]
        self.directives[:] = [s for s in self.directives if s[3] < index]


class Stop(Exception):
    """Composition stopped at a limit; ``scope`` says what is given up: the document or the file."""

    def __init__(self, message: str, line: int, column: int, scope: str):
        super().__init__(message)
        self.line = line
        self.column = column
        self.scope = scope


class Budget:
    """Nodes composed so far in this file, against the per-document and per-file limits; and the
    characters the slow second parser may still read in this file (see :mod:`.yaml_recover`)."""

    __slots__ = ("document", "file", "recover_chars", "used")

    def __init__(self, document: int, file: int, recover_chars: int = 256 * 1024) -> None:
        self.document = document
        self.file = file
        self.used = 0
        self.recover_chars = recover_chars


def event_source(text: str, *, pure: bool = False) -> Callable[[], Any]:
    """The ``get_event`` of a parser over ``text``.

    libyaml through PyYAML's binding (libyaml 0.2.5 or newer: plain scalars such as
    ``[os:etcd:backup]`` in flow collections, as Go reads them), else ruamel's copy of the older
    libyaml. ``pure`` gives ruamel's Python parser, the second opinion :mod:`.yaml_recover` asks
    where libyaml gives up. All three report the same events with the same marks.

    The binding is imported without compiling the pure Python parser's patterns
    (:mod:`.libyaml`).
    """
    if pure:
        from ruamel.yaml import YAML

        return YAML(typ="safe", pure=True).parse(text).__next__
    try:
        from .libyaml import cparser

        CParser = cparser()
    except ImportError:  # PyYAML built without libyaml
        from _ruamel_yaml import CParser
    return CParser(text).get_event


def compose(
    get_event: Callable[[], Any],
    first_index: int,
    result: LoadResult,
    budget: Budget,
    spots: Spots | None = None,
) -> tuple[int, Exception | None]:
    """Compose documents from the events of ``get_event`` into ``result``.

    Returns the next document index and the error that stopped it (None at the stream's end).
    ``budget`` counts the nodes against the limits; ``spots`` collects what :mod:`.yaml_spec`
    checks.
    """
    anchors: dict[str, Node] = {}
    stack: list[Node] = []
    keys: list[Node | None] = []  # pending key per open mapping
    index = first_index
    doc_line = 0
    doc_nodes = 0
    root: Node | None = None
    if spots is None:
        spots = Spots()
    limit = min(budget.document, budget.file - budget.used)  # nodes this document may have
    ended_explicitly = True  # whether the document before ended with `...` (or none came)
    try:
        while True:
            event = get_event()
            name = type(event).__name__
            node: Node | None = None
            if name == "ScalarEvent":
                sm, em = event.start_mark, event.end_mark
                tag = event.tag
                if tag is None and not event.implicit[0]:
                    tag = "!"  # quoted or block scalar: always a string
                elif tag is not None and tag.startswith("!!"):
                    tag = "tag:yaml.org,2002:" + tag[2:]
                node = Node(
                    "scalar",
                    tag,
                    event.value,
                    event.style or None,
                    sm.line,
                    sm.column,
                    em.line,
                    em.column,
                    event.anchor,
                )
                doc_nodes += 1
                if doc_nodes > limit:
                    _over_budget(budget, doc_nodes, sm)
                if em.line != sm.line or event.value == "-":  # rare: see yaml_spec
                    _note_scalar(spots, node, stack, index)
            elif name == "MappingStartEvent" or name == "SequenceStartEvent":
                sm = event.start_mark
                kind = "map" if name == "MappingStartEvent" else "seq"
                new = Node(
                    kind,
                    event.tag,
                    [],
                    "flow" if event.flow_style else None,
                    sm.line,
                    sm.column,
                    sm.line,
                    sm.column,
                    event.anchor,
                )
                doc_nodes += 1
                if doc_nodes > limit:
                    _over_budget(budget, doc_nodes, sm)
                if event.anchor is not None:
                    anchors[event.anchor] = new
                _attach(stack, keys, new)
                stack.append(new)
                if len(stack) > MAX_DEPTH:
                    # Stop pulling events: libyaml's cost per token grows with the open flow
                    # levels, so a hostile `[[[[...` would otherwise take quadratic time.
                    raise Stop(
                        f"nesting deeper than {MAX_DEPTH} levels; the document is not checked",
                        sm.line,
                        sm.column,
                        "document",
                    )
                keys.append(None)
                continue
            elif name == "MappingEndEvent" or name == "SequenceEndEvent":
                done = stack.pop()
                keys.pop()
                done.end_line, done.end_col = event.end_mark.line, event.end_mark.column
                if not stack:
                    root = done
                elif done.end_line != done.line and done.style and stack[-1].style is None:
                    spots.continued.append((done, stack[-1].col, index))
                continue
            elif name == "AliasEvent":
                target = anchors.get(event.anchor)
                if target is None:
                    sm = event.start_mark
                    result.problems.append(
                        LoadProblem(
                            "syntax",
                            f"found undefined alias `{event.anchor}`",
                            sm.line,
                            sm.column,
                            index,
                        )
                    )
                    target = Node(
                        "scalar", None, "", None, sm.line, sm.column, sm.line, sm.column, None
                    )
                node = target
                if not stack:
                    root = node
                    continue
                _attach(stack, keys, node)
                continue
            elif name == "DocumentStartEvent":
                doc_line = event.end_mark.line if event.explicit else event.start_mark.line
                if not ended_explicitly and (event.version or event.tags):
                    version = ".".join(map(str, event.version or ()))
                    sm = event.start_mark
                    spots.directives.append((sm.line, sm.column, version, index))
                root = None
                anchors = {}
                continue
            elif name == "DocumentEndEvent":
                if index - first_index >= MAX_DOCUMENTS:
                    raise Stop(
                        f"more than {MAX_DOCUMENTS} documents in one file; the rest are not "
                        "checked",
                        event.start_mark.line,
                        0,
                        "file",
                    )
                result.documents.append(Document(index, root, None, doc_line))
                index += 1
                budget.used += doc_nodes
                doc_nodes = 0
                limit = min(budget.document, budget.file - budget.used)
                ended_explicitly = bool(event.explicit)
                continue
            elif name == "StreamEndEvent":
                return index, None
            else:  # StreamStartEvent
                continue
            if event.anchor is not None:
                anchors[event.anchor] = node
            if stack:
                _attach(stack, keys, node)
            else:
                root = node
    except StopIteration:  # a Python parser's generator ends after its StreamEndEvent
        return index, None
    except Exception as exc:  # the parsers' scanner, parser and reader errors; limits
        if isinstance(exc, Stop):
            budget.used += doc_nodes
        return index, exc


def _note_scalar(spots: Spots, node: Node, stack: list[Node], index: int) -> None:
    """Note a multi-line quoted scalar in a block collection, or a plain `-` in a flow one."""
    if not stack:
        return
    parent = stack[-1]
    if node.style in ('"', "'") and parent.style is None and node.end_line != node.line:
        spots.continued.append((node, parent.col, index))
    elif node.value == "-" and node.style is None and node.tag is None and parent.style:
        spots.dashes.append((node, index))


def _over_budget(budget: Budget, doc_nodes: int, mark: Any) -> None:
    if budget.used + doc_nodes > budget.file:
        raise Stop(
            f"more than {budget.file:,} YAML nodes in one file; the rest of the file is not "
            "checked",
            mark.line,
            mark.column,
            "file",
        )
    if doc_nodes > budget.document:
        raise Stop(
            f"more than {budget.document:,} YAML nodes in one document; the document is not "
            "checked",
            mark.line,
            mark.column,
            "document",
        )


def _attach(stack: list[Node], keys: list[Node | None], node: Node) -> None:
    if not stack:
        return
    parent = stack[-1]
    if parent.kind == "seq":
        parent.value.append(node)
    elif keys[-1] is None:
        keys[-1] = node
    else:
        parent.value.append((keys[-1], node))
        keys[-1] = None


def line_offset(text: str, line: int) -> int | None:
    """The character offset where 0-based ``line`` starts, None past the end."""
    pos = 0
    for _ in range(line):
        nl = text.find("\n", pos)
        if nl < 0:
            return None
        pos = nl + 1
    return pos
