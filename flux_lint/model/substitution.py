"""Flux post-build substitution: the ``${VAR}`` dialect, and which variables each Kustomization has.

kustomize-controller substitutes variables into every object a Flux Kustomization applies, after
the kustomize build, with ``github.com/fluxcd/pkg/envsubst`` (a fork of ``drone/envsubst``). The
rules about it (undefined variables, syntax the controller cannot parse, values that break a
typed field) are only as good as the model of that library, so this module ports its scanner and
parser *literally* instead of approximating them with a regular expression. What the port
reproduces, with the upstream files it comes from:

* ``envsubst/parse/scan.go`` and ``parse.go``: only ``${`` opens a placeholder (``$VAR`` is
  plain text); ``$$`` is an escape for ``$`` in text, so ``$${VAR}`` is the literal ``${VAR}``;
  a name is letters, digits and ``_`` (no ``-``: the fork removed it); after the name come
  ``:=``, ``:-``, ``:?``, ``:+``, ``=``, ``:offset[:length]``, ``^``, ``^^``, ``,``, ``,,``,
  ``/``, ``//``, ``/#``, ``/%``, ``#``, ``##``, ``%``, ``%%``, or ``${#var}``. Arguments may nest
  placeholders. **Anything else is a parse error** that fails the whole Kustomization ("variable
  substitution failed: missing closing brace"), with or without strict mode: ``${var-default}``,
  ``${var+alt}``, ``${var?msg}``, ``${!var}``, ``${arr[0]}``, ``${#arr[@]}``, ``${foo.bar}``,
  ``${}``, a ``${`` without its ``}``.
* ``envsubst/template.go``: every argument is evaluated first (so ``${A:=${B}}`` needs ``B`` even
  when ``A`` is set); then, in strict mode, a variable that is not set is an error unless the
  operator supplies a fallback (``-``, ``=``, ``?``, ``+`` with or without ``:``). ``${#var}``,
  ``${var^^}``, ``${var/a/b}`` or ``${var:1:2}`` of an unset variable fail like ``${var}``
  (fluxcd/flux2#5836).
* ``envsubst/funcs.go``: ``:?`` and ``:+`` are parsed but evaluated as a default (``${v:+x}``
  gives ``v``, or ``x`` when ``v`` is empty), which is not what the shell does; ``=`` and ``:=``
  both apply when the value is empty.
* ``kustomize/kustomize_varsub.go``: variables come from the ``data`` of ``substituteFrom``
  ConfigMaps and Secrets, then ``substitute`` (which wins); newlines are removed from values;
  every name must match ``^[_[:alpha:]][_[:alpha:][:digit:]]*$`` or the substitution fails;
  objects labelled or annotated ``kustomize.toolkit.fluxcd.io/substitute: disabled`` are left
  alone; and nothing is substituted when there are no variables at all, unless
  ``postBuild.substituteStrategy`` is ``Always`` (Flux 2.9; the CRD documents ``WithVariables``
  as "require at least one variable to be defined"). Without ``spec.postBuild`` the controller
  never calls the substitution, so placeholders stay as written.

``parse`` builds the tree; ``references`` lists the variables a text reads; ``substitute_text``
evaluates it with known values. :class:`VariableSet` says which variables a Kustomization supplies
and whether that list is complete (a ``substituteFrom`` object outside the repository makes it
open-ended: rules then do not report undefined variables for that Kustomization, because the
missing object itself is FL508's to report).
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flux_lint.model.sites import Site, dollar_sites, string_sites

__all__ = [
    "DEFAULT_OPS",
    "VAR_NAME",
    "Func",
    "Reference",
    "Site",
    "SubstitutionSyntaxError",
    "Template",
    "Text",
    "VariableSet",
    "dollar_sites",
    "is_substitution_disabled",
    "parse",
    "references",
    "string_sites",
    "substitute_text",
]

#: What kustomize-controller accepts as a variable name (Go ``[:alpha:]`` is ASCII).
VAR_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
#: Operators that tolerate an unset variable (``isDefaultOp`` in template.go).
DEFAULT_OPS = frozenset({"-", "+", "=", "?", ":-", ":+", ":=", ":?"})
#: Operators that are parsed but do not mean what they mean in a shell.
SHELL_MISMATCH_OPS = {
    ":+": "substitutes the variable, or the text after `:+` when it is empty (the shell's "
    "alternate value does the opposite)",
    ":?": "substitutes the variable, or the text after `:?` when it is empty (the shell "
    "stops with that message instead)",
}
#: Operators a shell script uses and Flux also understands: an unset variable fails like `${v}`.
TRANSFORM_OPS = frozenset({"#", "##", "%", "%%", "/", "//", "/#", "/%", ":", "^", "^^", ",", ",,"})


# -- the scanner (envsubst/parse/scan.go) ------------------------------------------------------

_EOF = ""
_T_ILLEGAL, _T_EOF, _T_IDENT, _T_LBRACK, _T_RBRACK = range(5)
_SCAN_IDENT, _SCAN_LBRACK, _SCAN_RBRACK, _SCAN_ESCAPE = 1, 2, 4, 8
_ESC_DOLLAR, _ESC_BACKSLASH = 1, 2
_ESC_ALL = _ESC_DOLLAR | _ESC_BACKSLASH

_Accept = Callable[[str, int], bool]


def _is_letter(r: str) -> bool:
    return r.isalpha()


def _is_digit(r: str) -> bool:
    return unicodedata.category(r) == "Nd"


def _accept_rune(r: str, i: int) -> bool:
    return True


def _accept_ident(r: str, i: int) -> bool:
    return _is_letter(r) or _is_digit(r) or r == "_"


def _accept_colon(r: str, i: int) -> bool:
    return r == ":"


def _accept_one_hash(r: str, i: int) -> bool:
    return r == "#" and i == 1


def _accept_not_closing(r: str, i: int) -> bool:
    return r != "}"


def _accept_hash_func(r: str, i: int) -> bool:
    return r == "#" and i < 3


def _accept_percent_func(r: str, i: int) -> bool:
    return r == "%" and i < 3


def _accept_default_func(r: str, i: int) -> bool:
    return (i == 1 and r == ":") or (i == 2 and r in "=-?+")


def _accept_replace_func(r: str, i: int) -> bool:
    return (i == 1 and r == "/") or (i == 2 and r in "/#%")


def _accept_one_equal(r: str, i: int) -> bool:
    return i == 1 and r == "="


def _accept_one_colon(r: str, i: int) -> bool:
    return i == 1 and r == ":"


def _reject_colon_close(r: str, i: int) -> bool:
    return r not in (":", "}")


def _accept_slash(r: str, i: int) -> bool:
    return r == "/"


def _accept_not_slash(r: str, i: int) -> bool:
    return r != "/"


def _accept_casing_func(r: str, i: int) -> bool:
    return r in (",", "^") and i < 3


class _Scanner:
    """scan.go, rune for rune. ``skip`` deletes an escape character from the buffer, as the Go
    scanner does; ``origin`` keeps the offset each remaining character had in the input, so
    that positions can be reported against the text as written."""

    def __init__(self, text: str) -> None:
        self.buf = list(text)
        self.origin = list(range(len(text)))
        self.length = len(text)
        self.pos = 0
        self.start = 0
        self.width = 0
        self.mode = 0
        self.escape = 0
        self.accept: _Accept = _accept_rune

    def offset(self, index: int) -> int:
        """The input offset of buffer position ``index`` (the end of the input past the end)."""
        return self.origin[index] if index < len(self.origin) else self.length

    def read(self) -> str:
        if self.pos >= len(self.buf):
            self.width = 0
            return _EOF
        self.width = 1
        r = self.buf[self.pos]
        self.pos += 1
        return r

    def unread(self) -> None:
        self.pos -= self.width

    def skip(self) -> None:
        del self.buf[self.pos - 1]
        del self.origin[self.pos - 1]

    def peek(self) -> str:
        r = self.read()
        self.unread()
        return r

    def string(self) -> str:
        return "".join(self.buf[self.start : self.pos])

    def scan(self) -> int:
        self.start = self.pos
        r = self.read()
        if r == _EOF:
            return _T_EOF
        if self._lbrack(r):
            return _T_LBRACK
        if self._rbrack(r):
            return _T_RBRACK
        if self._ident(r):
            return _T_IDENT
        return _T_ILLEGAL

    def _ident(self, r: str) -> bool:
        if not self.mode & _SCAN_IDENT:
            return False
        if self._escaped(r):
            self.skip()
        elif not self.accept(r, self.pos - self.start):
            return False
        while True:
            r = self.read()
            if r == _EOF:
                self.unread()
                break
            if self._lbrack(r):
                self.unread()
                self.unread()
                break
            if self._escaped(r):
                self.skip()
                continue
            if not self.accept(r, self.pos - self.start):
                self.unread()
                break
        return True

    def _lbrack(self, r: str) -> bool:
        if not self.mode & _SCAN_LBRACK:
            return False
        if r == "$":
            if self.read() == "{":
                return True
            self.unread()
        return False

    def _rbrack(self, r: str) -> bool:
        return bool(self.mode & _SCAN_RBRACK) and r == "}"

    def _escaped(self, r: str) -> bool:
        if not self.mode & _SCAN_ESCAPE:
            return False
        if r == "$" and self.escape & _ESC_DOLLAR and self.peek() == "$":
            return True
        if r == "\\" and self.escape & _ESC_BACKSLASH:
            return self.peek() in ("/", "\\")
        return False


# -- the parser (envsubst/parse/parse.go) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text (escapes already applied)."""

    value: str


@dataclass(frozen=True, slots=True)
class Func:
    """One ``${...}``: ``param`` is the variable, ``op`` the operator (``""`` for ``${var}``),
    ``args`` its arguments; ``start``/``end`` delimit it in the parsed text."""

    param: str
    op: str
    args: tuple[Node, ...]
    start: int
    end: int


Node = Text | Func


class SubstitutionSyntaxError(ValueError):
    """The text cannot be parsed; kustomize-controller fails the Kustomization with ``reason``.

    ``start`` is the offset of the ``${`` whose body is wrong and ``position`` where the parser
    stopped."""

    def __init__(self, reason: str, start: int, position: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.start = start
        self.position = position


_BAD = "bad substitution"
_NO_CLOSE = "missing closing brace"
_NO_NAME = "unable to parse variable name"
_BAD_ARG = "unable to parse substitution within function"
_BAD_DEFAULT = "unable to parse default function"
#: Nesting deeper than this is not written by hand; stop before Python's recursion limit does.
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed text: literal runs and placeholders, in order."""

    nodes: tuple[Node, ...]

    @property
    def has_placeholders(self) -> bool:
        return any(isinstance(n, Func) for n in self.nodes)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = _Scanner(text)
        self.starts: list[int] = []

    def fail(self, reason: str) -> SubstitutionSyntaxError:
        start = self.starts[-1] if self.starts else 0
        return SubstitutionSyntaxError(
            reason, start, self.s.offset(min(self.s.pos, len(self.s.buf)))
        )

    def parse_any(self) -> Template:
        s = self.s
        nodes: list[Node] = []
        while True:
            s.accept = _accept_rune
            s.mode = _SCAN_IDENT | _SCAN_LBRACK | _SCAN_ESCAPE
            s.escape = _ESC_DOLLAR
            token = s.scan()
            if token == _T_IDENT:
                nodes.append(Text(s.string()))
            elif token == _T_EOF:
                return Template(tuple(nodes))
            elif token == _T_LBRACK:
                nodes.append(self.parse_func(s.offset(s.start)))
            else:  # pragma: no cover - acceptRune takes everything
                raise self.fail(_BAD)

    def parse_func(self, start: int) -> Func:
        if len(self.starts) >= _MAX_DEPTH:
            raise self.fail("placeholders nested too deeply")
        self.starts.append(start)
        try:
            return self._parse_func(start)
        finally:
            self.starts.pop()

    def _parse_func(self, start: int) -> Func:
        s = self.s
        s.escape = _ESC_ALL
        if s.peek() == "#":
            return self.parse_len(start)
        s.accept = _accept_ident
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_NO_NAME)
        name = s.string()
        nxt = s.peek()
        if nxt == ":":
            return self.parse_default_or_substr(name, start)
        if nxt == "=":
            return self.parse_default(name, start)
        if nxt in (",", "^"):
            return self.parse_casing(name, start)
        if nxt == "/":
            return self.parse_replace(name, start)
        if nxt == "#":
            return self.parse_remove(name, _accept_hash_func, start)
        if nxt == "%":
            return self.parse_remove(name, _accept_percent_func, start)
        s.accept = _accept_ident
        s.mode = _SCAN_RBRACK
        if s.scan() == _T_RBRACK:
            return Func(name, "", (), start, self.end())
        raise self.fail(_NO_CLOSE)

    def end(self) -> int:
        return self.s.offset(self.s.pos - 1) + 1

    def parse_param(self, accept: _Accept, mode: int) -> Node:
        s = self.s
        s.accept = accept
        s.mode = mode | _SCAN_LBRACK
        token = s.scan()
        if token == _T_LBRACK:
            return self.parse_func(s.offset(s.start))
        if token in (_T_IDENT, _T_RBRACK):
            return Text(s.string())
        raise self.fail(_BAD_ARG)

    def parse_default_or_substr(self, name: str, start: int) -> Func:
        s = self.s
        s.read()
        r = s.peek()
        s.unread()
        if r in ("=", "-", "?", "+"):
            return self.parse_default(name, start)
        return self.parse_substr(name, start)

    def parse_substr(self, name: str, start: int) -> Func:
        s = self.s
        s.accept = _accept_one_colon
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD)
        op = s.string()
        args: list[Node] = [self.parse_param(_reject_colon_close, _SCAN_IDENT)]
        s.accept = _accept_colon
        s.mode = _SCAN_IDENT | _SCAN_RBRACK
        token = s.scan()
        if token == _T_RBRACK:
            return Func(name, op, tuple(args), start, self.end())
        if token != _T_IDENT:
            raise self.fail(_BAD)
        args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))
        self.consume_rbrack()
        return Func(name, op, tuple(args), start, self.end())

    def parse_remove(self, name: str, accept: _Accept, start: int) -> Func:
        s = self.s
        s.accept = accept
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD)
        op = s.string()
        arg = self.parse_param(_accept_not_closing, _SCAN_IDENT)
        self.consume_rbrack()
        return Func(name, op, (arg,), start, self.end())

    def parse_replace(self, name: str, start: int) -> Func:
        s = self.s
        s.accept = _accept_replace_func
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD)
        op = s.string()
        args: list[Node] = []
        if s.peek() == "/":
            args.append(Text(""))
        else:
            args.append(self.parse_param(_accept_not_slash, _SCAN_IDENT | _SCAN_ESCAPE))
        s.accept = _accept_slash
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD)
        if s.peek() == "}":
            self.consume_rbrack()
            return Func(name, op, tuple(args), start, self.end())
        args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT | _SCAN_ESCAPE))
        self.consume_rbrack()
        return Func(name, op, tuple(args), start, self.end())

    def parse_default(self, name: str, start: int) -> Func:
        s = self.s
        s.accept = _accept_one_equal if s.peek() == "=" else _accept_default_func
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD_DEFAULT)
        op = s.string()
        args: list[Node] = []
        while True:
            if s.peek() == "}":
                self.consume_rbrack()
                return Func(name, op, tuple(args), start, self.end())
            args.append(self.parse_param(_accept_not_closing, _SCAN_IDENT))

    def parse_casing(self, name: str, start: int) -> Func:
        s = self.s
        s.accept = _accept_casing_func
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD)
        op = s.string()
        self.consume_rbrack()
        return Func(name, op, (), start, self.end())

    def parse_len(self, start: int) -> Func:
        s = self.s
        s.accept = _accept_one_hash
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD)
        op = s.string()
        s.accept = _accept_ident
        s.mode = _SCAN_IDENT
        if s.scan() != _T_IDENT:
            raise self.fail(_BAD)
        param = s.string()
        self.consume_rbrack()
        return Func(param, op, (), start, self.end())

    def consume_rbrack(self) -> None:
        self.s.mode = _SCAN_RBRACK
        if self.s.scan() != _T_RBRACK:
            raise self.fail(_BAD)


_PLAIN = Template(())


def parse(text: str) -> Template:
    """Parse ``text`` as kustomize-controller does; raises :class:`SubstitutionSyntaxError`.

    Texts without ``$`` are returned without running the scanner: they are the vast majority
    of values and cannot contain a placeholder or an escape."""
    if "$" not in text:
        return Template((Text(text),)) if text else _PLAIN
    return _Parser(text).parse_any()


# -- what a text reads -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    """One variable read by a placeholder. ``start``/``end`` delimit the placeholder in the
    text; ``nested`` is true for a placeholder inside another one's arguments."""

    name: str
    op: str
    start: int
    end: int
    nested: bool = False

    @property
    def has_default(self) -> bool:
        """True when an unset variable is tolerated, even in strict mode."""
        return self.op in DEFAULT_OPS


def references(template: Template) -> list[Reference]:
    """Every variable the template reads, in evaluation order (arguments before their
    placeholder, because template.go evaluates arguments first)."""
    out: list[Reference] = []

    def visit(node: Node, nested: bool) -> None:
        if isinstance(node, Func):
            for arg in node.args:
                visit(arg, True)
            out.append(Reference(node.param, node.op, node.start, node.end, nested))

    for node in template.nodes:
        visit(node, False)
    return out


# -- evaluation (envsubst/template.go, funcs.go) -----------------------------------------------


class _Unknown(Exception):
    """A value the evaluation needs is not known statically."""


def _go_len(s: str) -> int:
    return len(s.encode("utf-8"))


def _byte_slice(s: str, start: int, end: int | None = None) -> str:
    raw = s.encode("utf-8")
    return raw[start:end].decode("utf-8", "replace")


def _to_substr(s: str, *args: str) -> str:
    if not args:
        return s
    try:
        pos = int(args[0])
    except ValueError:
        return s
    size = _go_len(s)
    if pos < 0:
        pos = max(size + pos, 0)
    if len(args) == 1:
        return _byte_slice(s, pos) if pos < size else ""
    try:
        length = int(args[1])
    except ValueError:
        return s
    if length < 0:
        end = size + length
        return "" if end < pos else _byte_slice(s, pos, end)
    if pos + length >= size:
        return _byte_slice(s, pos) if pos < size else ""
    return _byte_slice(s, pos, pos + length)


def _glob(pattern: str) -> re.Pattern[str] | None:
    """envsubst's ``path.Match`` as a regular expression (None: a malformed pattern). The
    fork's ``*`` and ``?`` also match ``/`` (``${f##*/}`` of ``path/to/file`` is ``file``, as in
    a shell), unlike Go's ``path.Match``."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\":
            i += 1
            if i >= len(pattern):
                return None
            out.append(re.escape(pattern[i]))
        elif c == "[":
            close = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("^", "]") else i + 1)
            if close < 0:
                return None
            body = pattern[i + 1 : close]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            if not body:
                return None
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = close
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


def _trim_prefix(s: str, pattern: str, longest: bool) -> str:
    glob = _glob(pattern)
    if glob is None:
        return s
    candidates = range(len(s), 0, -1) if longest else range(1, len(s) + 1)
    for n in candidates:
        if glob.fullmatch(s[:n]):
            return s[n:]
    return s


def _apply(op: str, value: str, args: list[str]) -> str:
    """funcs.go's function for ``op`` applied to ``value``."""
    if op == ",":
        return value[:1].lower() + value[1:]
    if op == ",,":
        return value.lower()
    if op == "^":
        return value[:1].upper() + value[1:]
    if op == "^^":
        return value.upper()
    if op == "#":
        return str(_go_len(value)) if not args else _trim_prefix(value, args[0], False)
    if op == "##":
        return _trim_prefix(value, args[0], True) if args else value
    if op in ("%", "%%"):
        if not args:
            return value
        # funcs.go reverses the value *and the pattern* and trims a prefix: ``%`` with a
        # pattern like ``.*`` behaves as ``*.`` on the reversed text, exactly as upstream.
        return _trim_prefix(value[::-1], args[0][::-1], op == "%%")[::-1]
    if op == ":":
        return _to_substr(value, *args)
    if op in ("/", "//"):
        if not args:
            return value
        new = args[1] if len(args) > 1 else ""
        return value.replace(args[0], new, -1 if op == "//" else 1)
    if op == "/#":
        if len(args) == 2 and value.startswith(args[0]):
            return value.replace(args[0], args[1], 1)
        return value
    if op == "/%":
        if len(args) == 2 and value.endswith(args[0]):
            return value[: len(value) - len(args[0])] + args[1]
        return value
    # "", "=", ":=", ":-", ":?", ":+", "-", "+": toDefault
    if not value and args:
        return "".join(args)
    return value


def substitute_text(
    text: str | Template, values: Mapping[str, str | None], *, strict: bool = True
) -> str | None:
    """``text`` after substitution with ``values`` (None for a name: defined, value unknown).

    Returns None when the result cannot be known: a value it needs is unknown, a variable
    without fallback is missing (in strict mode that is an error, outside it an empty string
    that rules report on their own), or the text does not parse."""
    try:
        template = parse(text) if isinstance(text, str) else text
    except SubstitutionSyntaxError:
        return None

    def evaluate(node: Node) -> str:
        if isinstance(node, Text):
            return node.value
        args = [evaluate(arg) for arg in node.args]
        if node.param in values:
            value = values[node.param]
            if value is None:
                raise _Unknown
        elif strict and node.op not in DEFAULT_OPS:
            raise _Unknown
        else:
            value = ""
        return _apply(node.op, value, args)

    try:
        return "".join(evaluate(node) for node in template.nodes)
    except (_Unknown, RecursionError):
        return None


# -- where a manifest holds text ---------------------------------------------------------------


def is_substitution_disabled(data: Any) -> bool:
    """The object opts out with ``kustomize.toolkit.fluxcd.io/substitute: disabled`` (label or
    annotation)."""
    meta = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(meta, dict):
        return False
    for field_name in ("annotations", "labels"):
        values = meta.get(field_name)
        if isinstance(values, dict) and values.get(DISABLE_KEY) == "disabled":
            return True
    return False


def offset_in(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of character ``index`` of a string value, for ``Problem.offset``."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


# -- variable values from manifests ------------------------------------------------------------


def _scalar_text(value: Any) -> str | None:
    """A data value as the API server stores it; None when it is not a plain string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def clean_value(value: str | None) -> str | None:
    """kustomize-controller removes newlines from every variable value."""
    if value is None:
        return None
    from flux_lint.core.placeholders import is_sops_value

    if is_sops_value(value):
        return None
    return value.replace("\n", "")


def manifest_values(kind: str, data: dict[str, Any]) -> dict[str, str | None] | None:
    """The variables a ConfigMap or Secret manifest supplies (``data``; Secret ``stringData``
    too, as the API server merges it into ``data``; base64 decoded; SOPS ciphertext is an
    unknown value with a known name). None when the keys are not readable."""
    found: dict[str, str | None] = {}
    fields = ("data",) if kind == "ConfigMap" else ("data", "stringData")
    for field_name in fields:
        block = data.get(field_name)
        if block is None:
            continue
        if not isinstance(block, dict):
            return None
        for key, raw in block.items():
            text = _scalar_text(raw)
            if kind == "Secret" and field_name == "data" and text is not None:
                from flux_lint.core.placeholders import is_sops_value

                if is_sops_value(text):
                    text = None
                else:
                    try:
                        text = base64.b64decode(text, validate=True).decode("utf-8")
                    except (binascii.Error, UnicodeDecodeError, ValueError):
                        text = None
            found[str(key)] = clean_value(text)
    return found


@dataclass
class VariableSet:
    """The variables a Flux Kustomization supplies, as far as the repository shows.

    ``values``: name → value (None: the name is defined, its value is not known statically,
    e.g. SOPS ciphertext or a key of a Secret made by an ExternalSecret). ``complete`` is false
    when some source cannot be read (an object outside the repository, an env file): then a
    name missing from ``values`` may still be defined. ``runs`` says whether kustomize-controller
    substitutes at all: False without ``postBuild`` or, with the default ``WithVariables``
    strategy, when no variable is defined; None when that cannot be known."""

    values: dict[str, str | None] = field(default_factory=dict)
    complete: bool = True
    runs: bool | None = True
    #: The sources that could not be read, for messages ("ConfigMap `ns/name`").
    unknown_sources: list[str] = field(default_factory=list)

    def closest(self, name: str) -> str | None:
        """A defined name that looks like ``name`` (a typo or a case slip), for messages."""
        import difflib

        lowered = {n.lower(): n for n in self.values}
        if name.lower() in lowered:
            return lowered[name.lower()]
        match = difflib.get_close_matches(name, list(self.values), n=1, cutoff=0.8)
        return match[0] if match else None


# -- what a substituted value becomes ----------------------------------------------------------

#: Strings the YAML encoder has to quote (or write as a block): after substitution they stay
#: strings. Anything else is written plain, so the substituted text is read again as a YAML
#: scalar (``replicas: ${N}`` with ``N=3`` becomes the integer 3, whatever quotes the source used).
_NOT_PLAIN = re.compile(r"""^[-?:,\[\]{}#&*!|>'"%@`\s]|: |\s#|\s$|\n|:$""")


def retype(original: str, substituted: str) -> Any:
    """The value a field gets when its text ``original`` is substituted to ``substituted``.

    kustomize-controller substitutes into the serialised object and parses the result again
    (``sigs.k8s.io/yaml``, YAML 1.1), so a value that the encoder writes plain changes type with
    its content (``-1``, ``10.5``, ``yes``, ``null``); a quoted or block value stays a string."""
    if _NOT_PLAIN.search(original):
        return substituted
    from flux_lint.load.yaml import resolve_plain

    value = resolve_plain(substituted)
    return substituted if isinstance(value, str) else value
