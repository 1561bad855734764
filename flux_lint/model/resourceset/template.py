"""A Go ``text/template`` subset, parsed the way flux-operator runs ResourceSet
templates, with the template position of every node and of every piece of output.

flux-operator builds each template with ``template.New("resourceset").Delims("<<", ">>")``,
the hermetic slim-sprig functions plus ``slugify``, ``inputs``, ``toYaml`` and ``mustToYaml``,
and ``Option("missingkey=error")``, then executes it with a nil dot
(flux-operator ``internal/builder/resourceset.go``, ``newTemplate`` and ``BuildResource``).
This module follows Go's ``text/template/parse`` lexer and parser and ``text/template``'s
``exec.go`` for what those templates use: text and actions, ``<<-``/``->>`` trim markers,
comments, pipelines, variables (``$x :=``, ``$x =``, ``$i, $v :=`` in ``range``), ``if``/
``else if``/``else``, ``range`` (with ``break``/``continue`` and ``else``), ``with``/``else
with``, field chains on maps, parenthesised pipelines, the literals, and named templates:
``define`` (top level only, as ``parse.go`` ``parse`` recognises it), ``template`` and
``block`` (``templateControl``, ``blockControl``), each body parsed as its own tree (no
variables but ``$``, no enclosing ``range``), a second non-empty definition of a name being
the parser's "multiple definition" error (``Tree.add``).

Three outcomes are kept apart, because only the first two are the repository's fault:

- :class:`TemplateSyntaxError`: Go's parser would reject the template (the operator's build
  fails for every input set);
- :class:`TemplateExecError`: Go's executor would stop (a missing key under
  ``missingkey=error``, a wrong argument type, ``fail``);
- :class:`NotEvaluated`: a construct this module does not implement (some functions, a
  template named after the main one); the object is then not checked rather than guessed.

Positions are offsets into the template text; :mod:`.executor` runs the parsed template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LEFT = "<<"
RIGHT = ">>"
_SPACE = " \t\r\n"
_KEYWORDS = {
    "block",
    "break",
    "continue",
    "define",
    "else",
    "end",
    "if",
    "range",
    "template",
    "with",
}


class TemplateError(Exception):
    """Base of the template outcomes; ``pos`` is an offset into the template text."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class TemplateSyntaxError(TemplateError):
    """The operator's ``Parse`` fails. ``function`` is set for an undefined function."""

    def __init__(self, message: str, pos: int, function: str | None = None) -> None:
        super().__init__(message, pos)
        self.function = function


class TemplateExecError(TemplateError):
    """The operator's ``Execute`` fails. ``missing_key`` is set for a map without the key."""

    def __init__(self, message: str, pos: int, missing_key: str | None = None) -> None:
        super().__init__(message, pos)
        self.missing_key = missing_key


class NotEvaluated(TemplateError):
    """A construct flux-lint does not evaluate: the result would be a guess."""


# ---------------------------------------------------------------------------------------------
# Lexer


@dataclass(slots=True)
class Token:
    kind: str  # text, left, right, space, ident, field, var, string, raw, char, number, bool,
    # nil, dot, pipe, lparen, rparen, decl, assign, comma, keyword, comment, eof
    value: str
    pos: int


class _Lexer:
    """Go's ``parse/lex.go`` state machine, reduced to one pass over the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []

    def error(self, message: str, pos: int) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, pos)

    def run(self) -> list[Token]:
        text, pos, n = self.text, 0, len(self.text)
        trim_next = False
        while pos < n:
            start = text.find(LEFT, pos)
            end = n if start < 0 else start
            chunk_start = pos
            if trim_next:
                while chunk_start < end and text[chunk_start] in _SPACE:
                    chunk_start += 1
                trim_next = False
            trim_left = (
                start >= 0
                and text.startswith("-", start + 2)
                and start + 3 < n
                and text[start + 3] in _SPACE
            )
            chunk_end = end
            if trim_left:
                while chunk_end > chunk_start and text[chunk_end - 1] in _SPACE:
                    chunk_end -= 1
            if chunk_end > chunk_start:
                self.tokens.append(Token("text", text[chunk_start:chunk_end], chunk_start))
            if start < 0:
                return self._eof(n)
            pos, trim_next = self._action(start, trim_left)
        return self._eof(n)

    def _eof(self, n: int) -> list[Token]:
        self.tokens.append(Token("eof", "", n))
        return self.tokens

    def _right_at(self, pos: int) -> tuple[bool, bool]:
        """(a right delimiter starts at pos, it carries a trim marker)."""
        text = self.text
        if text[pos] in _SPACE and text.startswith("-" + RIGHT, pos + 1):
            return True, True
        return text.startswith(RIGHT, pos), False

    def _action(self, start: int, trim_left: bool) -> tuple[int, bool]:
        text, n = self.text, len(self.text)
        self.tokens.append(Token("left", LEFT, start))
        pos = start + len(LEFT) + (2 if trim_left else 0)
        # Comments: <</* ... */>>, only directly after the delimiter (and its trim marker).
        if text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close < 0:
                raise self.error("unclosed comment", pos)
            after = close + 2
            is_right, trim = (False, False) if after >= n else self._right_at(after)
            if not is_right:
                raise self.error("comment ends before closing delimiter", after)
            self.tokens.pop()  # a comment produces no action
            return after + (2 if trim else 0) + len(RIGHT), trim
        depth = 0
        while True:
            if pos >= n:
                raise self.error("unclosed action", start)
            is_right, trim = self._right_at(pos)
            if is_right and depth == 0:
                end = pos + (2 if trim else 0) + len(RIGHT)
                self.tokens.append(Token("right", RIGHT, pos))
                return end, trim
            ch = text[pos]
            if ch in _SPACE:
                end = pos
                while end < n and text[end] in _SPACE and not self._right_at(end)[1]:
                    end += 1
                if end == pos:  # a space that starts " ->>"
                    end = pos + 1
                self.tokens.append(Token("space", " ", pos))
                pos = end
            elif ch == "|":
                self.tokens.append(Token("pipe", ch, pos))
                pos += 1
            elif ch == "(":
                depth += 1
                self.tokens.append(Token("lparen", ch, pos))
                pos += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    raise self.error(f"unexpected right paren {ch!r}", pos)
                self.tokens.append(Token("rparen", ch, pos))
                pos += 1
            elif ch == ",":
                self.tokens.append(Token("comma", ch, pos))
                pos += 1
            elif ch == ":":
                if not text.startswith(":=", pos):
                    raise self.error("expected :=", pos)
                self.tokens.append(Token("decl", ":=", pos))
                pos += 2
            elif ch == "=":
                self.tokens.append(Token("assign", "=", pos))
                pos += 1
            elif ch == '"':
                pos = self._quoted(pos)
            elif ch == "`":
                close = text.find("`", pos + 1)
                if close < 0:
                    raise self.error("unterminated raw quoted string", pos)
                self.tokens.append(Token("raw", text[pos : close + 1], pos))
                pos = close + 1
            elif ch == "'":
                pos = self._char(pos)
            elif ch == "$":
                end = pos + 1
                while end < n and (text[end].isalnum() or text[end] == "_"):
                    end += 1
                self.tokens.append(Token("var", text[pos:end], pos))
                pos = end
            elif ch == "." and not (pos + 1 < n and text[pos + 1].isdigit()):
                end = pos + 1
                while end < n and (text[end].isalnum() or text[end] == "_"):
                    end += 1
                if end == pos + 1:
                    self.tokens.append(Token("dot", ".", pos))
                else:
                    self.tokens.append(Token("field", text[pos:end], pos))
                pos = end
            elif ch in "+-." or ch.isdigit():
                pos = self._number(pos)
            elif ch.isalpha() or ch == "_":
                end = pos
                while end < n and (text[end].isalnum() or text[end] == "_"):
                    end += 1
                word = text[pos:end]
                kind = "ident"
                if word in _KEYWORDS:
                    kind = "keyword"
                elif word in ("true", "false"):
                    kind = "bool"
                elif word == "nil":
                    kind = "nil"
                self.tokens.append(Token(kind, word, pos))
                pos = end
            else:
                raise self.error(f"unrecognized character in action: {ch!r}", pos)

    def _quoted(self, pos: int) -> int:
        text, n = self.text, len(self.text)
        end = pos + 1
        while True:
            if end >= n or text[end] == "\n":
                raise self.error("unterminated quoted string", pos)
            if text[end] == "\\":
                end += 2
                continue
            if text[end] == '"':
                break
            end += 1
        self.tokens.append(Token("string", text[pos : end + 1], pos))
        return end + 1

    def _char(self, pos: int) -> int:
        text, n = self.text, len(self.text)
        end = pos + 1
        while True:
            if end >= n or text[end] == "\n":
                raise self.error("unterminated character constant", pos)
            if text[end] == "\\":
                end += 2
                continue
            if text[end] == "'":
                break
            end += 1
        self.tokens.append(Token("char", text[pos : end + 1], pos))
        return end + 1

    def _number(self, pos: int) -> int:
        text, n = self.text, len(self.text)
        end = pos
        if end < n and text[end] in "+-":
            end += 1
        while end < n and (text[end].isalnum() or text[end] in "._+-"):
            if text[end] in "+-" and text[end - 1] not in "eEpP":
                break
            end += 1
        word = text[pos:end]
        if _parse_number(word) is None:
            raise self.error(f"bad number syntax: {word!r}", pos)
        self.tokens.append(Token("number", word, pos))
        return end


def _parse_number(word: str) -> int | float | None:
    body = word.replace("_", "")
    try:
        return int(body, 0)
    except ValueError:
        pass
    try:
        return float(body)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Nodes


@dataclass(slots=True)
class Text:
    text: str
    pos: int


@dataclass(slots=True)
class Operand:
    """One word of a command: ``kind`` is func, dot, field, var, chain, literal or pipe."""

    kind: str
    pos: int
    name: str = ""  # function or variable name
    fields: tuple[str, ...] = ()  # field chain after the term
    value: Any = None  # literal value (numbers keep their Go text in ``name``)
    pipe: Pipe | None = None  # parenthesised pipeline
    inner: Operand | None = None  # term of a chain (func, literal or pipe) before .fields


@dataclass(slots=True)
class Command:
    args: list[Operand]
    pos: int


@dataclass(slots=True)
class Pipe:
    pos: int
    decl: list[str] = field(default_factory=list)
    is_assign: bool = False
    commands: list[Command] = field(default_factory=list)


@dataclass(slots=True)
class Action:
    pipe: Pipe
    pos: int
    end: int  # offset just past the closing delimiter


@dataclass(slots=True)
class Branch:
    """``if``, ``range`` or ``with``: ``else_list`` holds an ``else if``/``else with`` chain."""

    kind: str
    pipe: Pipe
    body: list[Any]
    else_body: list[Any] | None
    pos: int


@dataclass(slots=True)
class Loop:
    kind: str  # break or continue
    pos: int


@dataclass(slots=True)
class Unsupported:
    what: str
    pos: int


@dataclass(slots=True)
class TemplateCall:
    """``template "name" pipeline`` (and the call a ``block`` makes where it stands)."""

    name: str
    pipe: Pipe | None
    pos: int


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    """Go's ``parse/parse.go`` over the token list (the lexer already split the actions)."""

    def __init__(self, text: str, tokens: list[Token], functions: set[str]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.functions = functions
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        #: Named templates (``define``, ``block``): name → body.
        self.defined: dict[str, list[Any]] = {}

    # token helpers -----------------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def peek_non_space(self) -> Token:
        j = self.i
        while self.tokens[j].kind == "space":
            j += 1
        return self.tokens[j]

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.kind == "space":
            tok = self.next()
        return tok

    def error(self, message: str, pos: int) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, pos)

    # structure ---------------------------------------------------------------------------

    def parse(self) -> list[Any]:
        nodes, _end = self.item_list(top=True)
        return nodes

    def item_list(self, top: bool = False) -> tuple[list[Any], str]:
        """Nodes up to ``end``/``else`` (returned as the second item) or the end of text."""
        nodes: list[Any] = []
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                if top:
                    return nodes, "eof"
                raise self.error("unexpected EOF", tok.pos)
            if tok.kind == "text":
                self.next()
                nodes.append(Text(tok.value, tok.pos))
                continue
            left = self.next()  # left delimiter
            word = self.peek_non_space()
            if top and word.kind == "keyword" and word.value == "define":
                self.next_non_space()
                self.definition(word.pos)
                continue
            if word.kind == "keyword" and word.value in ("end", "else"):
                self.next_non_space()
                if top:
                    raise self.error(f"unexpected {{{{{word.value}}}}}", word.pos)
                return nodes, word.value
            nodes.append(self.action(left))

    def action(self, left: Token) -> Any:
        word = self.peek_non_space()
        if word.kind == "keyword":
            self.next_non_space()
            if word.value in ("if", "with"):
                return self.branch(word.value, word.pos)
            if word.value == "range":
                return self.branch("range", word.pos)
            if word.value in ("break", "continue"):
                if self.range_depth == 0:
                    raise self.error(f"{{{{{word.value}}}}} outside {{{{range}}}}", word.pos)
                self.expect_right(word.value)
                return Loop(word.value, word.pos)
            if word.value == "template":
                return self.template_call(word.pos)
            if word.value == "block":
                return self.block(word.pos)
            # ``define`` below the top level: Go parses it as a command and fails there.
            raise self.error("unexpected <define> in command", word.pos)
        pipe = self.pipeline("command", allow_decl=True)
        close = self.tokens[self.i - 1]
        end = close.pos + len(RIGHT)
        if self.text.startswith(" -" + RIGHT, close.pos):
            end = close.pos + 2 + len(RIGHT)
        return Action(pipe, left.pos, end)

    # named templates ----------------------------------------------------------------------

    def template_name(self, context: str) -> str:
        """``parseTemplateName``: a quoted or raw string."""
        tok = self.next_non_space()
        if tok.kind not in ("string", "raw"):
            raise self.error(f"unexpected {_describe(tok)} in {context}", tok.pos)
        return _unquote(tok)

    def body(self, context: str, pos: int) -> list[Any]:
        """The body of a ``define`` or ``block`` up to its ``end``: a tree of its own, which
        sees only ``$`` and no enclosing ``range``."""
        saved_vars, saved_depth = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        try:
            nodes, ended = self.item_list()
        except TemplateSyntaxError as exc:
            if exc.message == "unexpected EOF" and exc.pos >= len(self.text):
                raise self.error(
                    f"unexpected EOF: {{{{{context}}}}} has no {{{{end}}}}", pos
                ) from None
            raise
        finally:
            self.vars, self.range_depth = saved_vars, saved_depth
        if ended != "end":
            raise self.error(f"unexpected {{{{{ended}}}}} in {context} clause", pos)
        self.expect_right("end")
        return nodes

    def add_definition(self, name: str, nodes: list[Any], pos: int) -> None:
        """``Tree.add``: an empty definition never replaces one; two non-empty ones of the same
        name fail the parse."""
        if name == TEMPLATE_NAME:
            raise NotEvaluated(f"cannot evaluate a template named {name!r}", pos)
        if name not in self.defined or _empty(self.defined[name]):
            self.defined[name] = nodes
        elif not _empty(nodes):
            raise self.error(f'template: multiple definition of template "{name}"', pos)

    def definition(self, pos: int) -> None:
        name = self.template_name("define clause")
        self.expect_right("define clause")
        self.add_definition(name, self.body("define", pos), pos)

    def template_call(self, pos: int) -> TemplateCall:
        name = self.template_name("template clause")
        if self.peek_non_space().kind == "right":
            self.next_non_space()
            return TemplateCall(name, None, pos)
        return TemplateCall(name, self.pipeline("template clause", allow_decl=False), pos)

    def block(self, pos: int) -> TemplateCall:
        name = self.template_name("block clause")
        pipe = self.pipeline("block clause", allow_decl=False)
        self.add_definition(name, self.body("block", pos), pos)
        return TemplateCall(name, pipe, pos)

    def expect_right(self, context: str) -> None:
        tok = self.next_non_space()
        if tok.kind != "right":
            raise self.error(f"unexpected {_describe(tok)} in {context}", tok.pos)

    def branch(self, kind: str, pos: int) -> Branch:
        saved = len(self.vars)
        pipe = self.pipeline(kind, allow_decl=True, range_decl=kind == "range")
        if kind == "range":
            self.range_depth += 1
        try:
            body, ended = self.item_list()
        except TemplateSyntaxError as exc:
            if exc.message == "unexpected EOF" and exc.pos >= len(self.text):
                raise self.error(
                    f"unexpected EOF: {{{{{kind}}}}} has no {{{{end}}}}", pos
                ) from None
            raise
        if kind == "range":
            self.range_depth -= 1
        else_body: list[Any] | None = None
        if ended == "else":
            nxt = self.peek_non_space()
            if kind in ("if", "with") and nxt.kind == "keyword" and nxt.value == kind:
                # "else if" / "else with": an else branch holding one nested branch, which
                # consumes the shared {{end}}.
                self.next_non_space()
                else_body = [self.branch(kind, nxt.pos)]
            else:
                self.expect_right("else")
                else_body, ended = self.item_list()
                if ended != "end":
                    raise self.error("expected end; found else", self.tokens[self.i - 1].pos)
                self.expect_right("end")
        elif ended == "end":
            self.expect_right("end")
        del self.vars[saved:]
        return Branch(kind, pipe, body, else_body, pos)

    def pipeline(self, context: str, allow_decl: bool, range_decl: bool = False) -> Pipe:
        pipe = Pipe(self.peek_non_space().pos)
        # declarations: $x := / $x = / $i, $v :=
        j = self.i
        toks = []
        while len(toks) < 4:
            while self.tokens[j].kind == "space":
                j += 1
            toks.append(self.tokens[j])
            if self.tokens[j].kind in ("right", "eof"):
                toks.extend([self.tokens[j]] * (4 - len(toks)))
                break
            j += 1
        if allow_decl and toks[0].kind == "var":
            if toks[1].kind in ("decl", "assign"):
                self.next_non_space()
                self.next_non_space()
                pipe.decl = [toks[0].value]
                pipe.is_assign = toks[1].kind == "assign"
                if pipe.is_assign and toks[0].value not in self.vars:
                    raise self.error(f'undefined variable "{toks[0].value}"', toks[0].pos)
            elif (
                range_decl
                and toks[1].kind == "comma"
                and toks[2].kind == "var"
                and toks[3].kind in ("decl", "assign")
            ):
                for _ in range(4):
                    self.next_non_space()
                pipe.decl = [toks[0].value, toks[2].value]
                pipe.is_assign = toks[3].kind == "assign"
        if not pipe.is_assign:
            self.vars.extend(pipe.decl)
        while True:
            tok = self.peek_non_space()
            if tok.kind in ("right", "rparen"):
                if context != "paren" or tok.kind == "rparen":
                    self.next_non_space()
                    break
                raise self.error(f"unexpected {_describe(tok)} in operand", tok.pos)
            if tok.kind == "eof":
                raise self.error("unclosed action", tok.pos)
            pipe.commands.append(self.command())
        if not pipe.commands:
            raise self.error(f"missing value for {context}", pipe.pos)
        for k, cmd in enumerate(pipe.commands[1:], 1):
            first = cmd.args[0]
            if first.kind in ("literal",) or (first.kind == "dot"):
                raise self.error(f"non executable command in pipeline stage {k + 1}", cmd.pos)
        return pipe

    def command(self) -> Command:
        cmd = Command([], self.peek_non_space().pos)
        while True:
            tok = self.peek()
            if tok.kind == "space":
                self.next()
                continue
            if tok.kind in ("right", "rparen"):
                break
            if tok.kind == "pipe":
                self.next()
                if not cmd.args:
                    raise self.error("missing command", tok.pos)
                break
            operand = self.operand()
            cmd.args.append(operand)
            after = self.peek()
            if after.kind not in ("space", "right", "rparen", "pipe"):
                raise self.error(f"missing space? unexpected {_describe(after)}", after.pos)
        if not cmd.args:
            raise self.error("empty command", cmd.pos)
        return cmd

    def operand(self) -> Operand:
        term = self.term()
        if self.peek().kind == "field":
            fields = []
            while self.peek().kind == "field":
                fields.append(self.next().value[1:])
            if term.kind in ("var", "field"):
                term.fields = term.fields + tuple(fields)
                return term
            if term.kind == "dot":
                raise self.error("unexpected . after term", term.pos)
            if term.kind == "literal" and term.value is None:
                raise self.error("nil is not a command", term.pos)
            return Operand("chain", term.pos, fields=tuple(fields), inner=term)
        return term

    def term(self) -> Operand:
        tok = self.next()
        if tok.kind == "ident":
            if tok.value not in self.functions:
                raise TemplateSyntaxError(
                    f'function "{tok.value}" not defined', tok.pos, function=tok.value
                )
            return Operand("func", tok.pos, name=tok.value)
        if tok.kind == "dot":
            return Operand("dot", tok.pos)
        if tok.kind == "field":
            return Operand("field", tok.pos, fields=(tok.value[1:],))
        if tok.kind == "var":
            if tok.value not in self.vars:
                raise self.error(f'undefined variable "{tok.value}"', tok.pos)
            return Operand("var", tok.pos, name=tok.value)
        if tok.kind == "bool":
            return Operand("literal", tok.pos, value=tok.value == "true")
        if tok.kind == "nil":
            return Operand("literal", tok.pos, value=None, name="nil")
        if tok.kind == "number":
            return Operand("literal", tok.pos, value=_parse_number(tok.value), name=tok.value)
        if tok.kind in ("string", "raw"):
            return Operand("literal", tok.pos, value=_unquote(tok))
        if tok.kind == "char":
            return Operand("literal", tok.pos, value=ord(_unquote(tok)), name=tok.value)
        if tok.kind == "lparen":
            pipe = self.pipeline("paren", allow_decl=False)
            return Operand("pipe", tok.pos, pipe=pipe)
        raise self.error(f"unexpected {_describe(tok)} in operand", tok.pos)


def _describe(tok: Token) -> str:
    if tok.kind == "right":
        return f'"{RIGHT}"'
    if tok.kind == "eof":
        return "EOF"
    return f"<{tok.value}>"


def _unquote(tok: Token) -> str:
    body = tok.value[1:-1]
    if tok.kind == "raw":
        return body.replace("\r", "")
    out: list[str] = []
    i = 0
    simple = {
        "n": "\n",
        "t": "\t",
        "r": "\r",
        "\\": "\\",
        '"': '"',
        "'": "'",
        "a": "\a",
        "b": "\b",
        "f": "\f",
        "v": "\v",
        "0": "\0",
    }
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1] if i + 1 < len(body) else ""
        if esc in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[esc]
            digits = body[i + 2 : i + 2 + width]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise TemplateSyntaxError(f"invalid syntax in {tok.value}", tok.pos) from None
            i += 2 + width
        elif esc.isdigit():
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        elif esc in simple:
            out.append(simple[esc])
            i += 2
        else:
            raise TemplateSyntaxError(f"invalid syntax in {tok.value}", tok.pos)
    return "".join(out)


def _empty(nodes: list[Any]) -> bool:
    """``parse.IsEmptyTree``: nothing but white space."""
    return all(isinstance(n, Text) and not n.text.strip(_SPACE) for n in nodes)


#: The name flux-operator gives its template (``template.New("resourceset")``).
TEMPLATE_NAME = "resourceset"


@dataclass
class Template:
    text: str
    nodes: list[Any]
    #: Named templates (``define``/``block``): name → body.
    defined: dict[str, list[Any]] = field(default_factory=dict)


def parse(text: str, functions: set[str]) -> Template:
    """Parse ``text`` like ``template.New(...).Delims("<<", ">>").Funcs(...).Parse``."""
    tokens = _Lexer(text).run()
    parser = _Parser(text, tokens, functions)
    nodes = parser.parse()
    return Template(text, nodes, parser.defined)
