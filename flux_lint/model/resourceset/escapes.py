"""text/template's escaping built-ins ``html``, ``js`` and ``urlquery``, as Go writes them.

Go ``text/template/funcs.go``: each joins its arguments with ``evalArgs`` (one string as is,
anything else through ``fmt.Sprint``), then ``HTMLEscapeString`` (``&#34; &#39; &amp; &lt;
&gt;`` and U+FFFD for NUL), ``JSEscapeString`` (``\\\\ \\' \\"``, ``\\u003C \\u003E \\u0026
\\u003D``, ``\\u00XX`` for control characters, ``\\uXXXX`` for non-printable runes) or
``url.QueryEscape`` (``net/url``: letters, digits and ``-_.~`` stay, a space becomes ``+``,
every other byte of the UTF-8 text ``%XX``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from flux_lint.model.resourceset.gotypes import ANY, F, _sprint, go_func

_HTML = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\0": "\ufffd"}
_JS = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return _sprint(args)


def html_escape(text: str) -> str:
    return "".join(_HTML.get(ch, ch) for ch in text)


def js_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in _JS:
            out.append(_JS[ch])
        elif ch < " ":
            out.append(f"\\u00{ord(ch):02X}")
        elif ch >= "\x80" and not ch.isprintable():
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


F["html"] = go_func(variadic=ANY)(lambda *a: html_escape(_eval_args(a)))
F["js"] = go_func(variadic=ANY)(lambda *a: js_escape(_eval_args(a)))
F["urlquery"] = go_func(variadic=ANY)(lambda *a: quote_plus(_eval_args(a), safe=""))
