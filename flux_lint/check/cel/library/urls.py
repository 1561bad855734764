"""The Kubernetes URL library: ``url()``, ``isURL()`` and the ``kubernetes.URL`` accessors
``getScheme``, ``getHost``, ``getHostname``, ``getPort``, ``getEscapedPath`` and ``getQuery``.

The library parses with Go's ``net/url``: ``isURL`` is ``url.ParseRequestURI`` (an absolute
URL or an absolute path, no fragment handling), and ``url()`` checks with ``ParseRequestURI``
and then keeps what ``url.Parse`` makes of the text. The subset of ``net/url`` those two need
is ported here, byte for byte where it decides validity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from celpy import celtypes

from flux_lint.check.cel.registry import EXTENSIONS, CelFunction, error, extension, is_string

#
# The library parses with Go's ``net/url``: ``isURL`` is ``url.ParseRequestURI`` (an absolute
# URL or an absolute path, no fragment handling), and ``url()`` checks with ``ParseRequestURI``
# and then keeps what ``url.Parse`` makes of the text. The subset of ``net/url`` those two need
# is ported below, byte for byte where it decides validity.


class URLError(Exception):
    """``net/url`` refused the text."""


@dataclass(frozen=True)
class CelURL:
    """A URL value (``kubernetes.URL``): the parts ``net/url`` stores."""

    CEL_TYPE: ClassVar[str] = "kubernetes.URL"

    scheme: str = ""
    opaque: str = ""
    host: str = ""
    path: str = ""
    raw_path: str = ""  # the path as written, before unescaping
    raw_query: str = ""
    fragment: str = ""


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_PATH, _HOST, _ZONE, _QUERY, _FRAGMENT = "path", "host", "zone", "query", "fragment"


def _should_escape(c: str, mode: str) -> bool:
    """``net/url.shouldEscape`` for one ASCII character."""
    if c in _ALNUM:
        return False
    if mode in (_HOST, _ZONE) and c in "!$&'()*+,;=:[]<>\"":
        return False
    if c in "-_.~":
        return False
    if c in "$&+,/:;=?@":
        if mode == _PATH:
            return c == "?"
        if mode == _QUERY:
            return True
        if mode == _FRAGMENT:
            return False
    return not (mode == _FRAGMENT and c in "!()*")


def _unescape(text: str, mode: str) -> str:
    """``net/url.unescape``: decode ``%XX`` (and ``+`` in query components), rejecting what
    Go rejects."""
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            if i + 2 >= len(text) or text[i + 1] not in _HEX or text[i + 2] not in _HEX:
                raise URLError(f'invalid URL escape "{text[i : i + 3]}"')
            escape = text[i : i + 3]
            if mode == _HOST and int(text[i + 1], 16) < 8 and escape != "%25":
                raise URLError(f'invalid URL escape "{escape}"')
            if mode == _ZONE:
                byte = int(text[i + 1 : i + 3], 16)
                if escape != "%25" and byte != 0x20 and _should_escape(chr(byte), _HOST):
                    raise URLError(f'invalid URL escape "{escape}"')
            i += 3
            continue
        if mode in (_HOST, _ZONE) and ord(c) < 0x80 and _should_escape(c, mode):
            raise URLError(f'invalid character "{c}" in host name')
        i += 1
    raw = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            raw.append(int(text[i + 1 : i + 3], 16))
            i += 3
        elif c == "+" and mode == _QUERY:
            raw.append(0x20)
            i += 1
        else:
            raw.extend(c.encode("utf-8"))
            i += 1
    return raw.decode("utf-8", errors="replace")


def _escape(text: str, mode: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        c = chr(byte)
        out.append(f"%{byte:02X}" if byte >= 0x80 or _should_escape(c, mode) else c)
    return "".join(out)


def _valid_encoded(text: str) -> bool:
    """``net/url.validEncoded`` for paths: whether the text as written can be kept."""
    for c in text:
        if c in "!$&'()*+,;=:@[]%":
            continue
        if ord(c) >= 0x80 or _should_escape(c, _PATH):
            return False
    return True


def _valid_optional_port(port: str) -> bool:
    if port == "":
        return True
    return port[0] == ":" and all("0" <= c <= "9" for c in port[1:])


def _url_scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if "a" <= c <= "z" or "A" <= c <= "Z":
            continue
        if "0" <= c <= "9" or c in "+-.":
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise URLError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def _url_host(host: str) -> str:
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise URLError("missing ']' in host")
        colon_port = host[end + 1 :]
        if not _valid_optional_port(colon_port):
            raise URLError(f'invalid port "{colon_port}" after host')
        zone = host.find("%25", 0, end)
        if zone >= 0:
            return (
                _unescape(host[:zone], _HOST)
                + _unescape(host[zone:end], _ZONE)
                + _unescape(host[end:], _HOST)
            )
    else:
        colon = host.rfind(":")
        if colon != -1 and not _valid_optional_port(host[colon:]):
            raise URLError(f'invalid port "{host[colon:]}" after host')
    return _unescape(host, _HOST)


def _url_authority(authority: str) -> str:
    at = authority.rfind("@")
    host = _url_host(authority[at + 1 :])
    if at >= 0 and not all(c in _ALNUM or c in "-._:~!$&'()*+,;=%@" for c in authority[:at]):
        raise URLError("net/url: invalid userinfo")
    return host


def _parse_url(raw: str, via_request: bool) -> CelURL:
    """``net/url.parse``: the URL without its fragment."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise URLError("net/url: invalid control character in URL")
    if raw == "" and via_request:
        raise URLError("empty url")
    if raw == "*":
        return CelURL(path="*", raw_path="*")
    scheme, rest = _url_scheme(raw)
    scheme = scheme.lower()
    if rest.endswith("?") and rest.count("?") == 1:
        rest, query = rest[:-1], ""
    else:
        rest, _, query = rest.partition("?")
    if not rest.startswith("/"):
        if scheme:
            return CelURL(scheme=scheme, opaque=rest, raw_query=query)
        if via_request:
            raise URLError("invalid URI for request")
        if ":" in rest.partition("/")[0]:
            raise URLError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or (not via_request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        host, rest = _url_authority(authority), slash + tail
    return CelURL(
        scheme=scheme, host=host, path=_unescape(rest, _PATH), raw_path=rest, raw_query=query
    )


def request_uri(text: str) -> CelURL:
    """``url.ParseRequestURI``, then ``url.Parse`` (as the Kubernetes library does)."""
    _parse_url(text, via_request=True)
    before, hash_mark, fragment = text.partition("#")
    parsed = _parse_url(before, via_request=False)
    if hash_mark:
        parsed = CelURL(**{**parsed.__dict__, "fragment": _unescape(fragment, _FRAGMENT)})
    return parsed


@extension("url")
def _url(text: Any) -> Any:
    if not is_string(text):
        return error("no such overload: url")
    try:
        return request_uri(str(text))
    except URLError as exc:
        return error(f"URL parse error during conversion from string: {exc}")


@extension("isURL")
def _is_url(text: Any) -> Any:
    if not is_string(text):
        return error("no such overload: isURL")
    try:
        request_uri(str(text))
    except URLError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


def _split_host_port(host: str) -> tuple[str, str]:
    port = ""
    colon = host.rfind(":")
    if colon != -1 and _valid_optional_port(host[colon:]):
        host, port = host[:colon], host[colon + 1 :]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port


def _url_method(name: str, get: Callable[[CelURL], Any]) -> CelFunction:
    def method(value: Any) -> Any:
        if not isinstance(value, CelURL):
            return error(f"no such overload: {name}")
        return get(value)

    return method


def _escaped_path(value: CelURL) -> str:
    if value.path == "*":
        return "*"
    return value.raw_path if _valid_encoded(value.raw_path) else _escape(value.path, _PATH)


def _query(value: CelURL) -> Any:
    """``url.Query()``: pairs that do not decode, and pairs with ``;``, are left out."""
    result: dict[str, list[str]] = {}
    for pair in value.raw_query.split("&"):
        if not pair or ";" in pair:
            continue
        key, _, item = pair.partition("=")
        try:
            key, item = _unescape(key, _QUERY), _unescape(item, _QUERY)
        except URLError:
            continue
        result.setdefault(key, []).append(item)
    return celtypes.MapType(
        {
            celtypes.StringType(k): celtypes.ListType([celtypes.StringType(v) for v in vs])
            for k, vs in result.items()
        }
    )


for _url_name, _url_get in (
    ("getScheme", lambda u: celtypes.StringType(u.scheme)),
    ("getHost", lambda u: celtypes.StringType(u.host)),
    ("getHostname", lambda u: celtypes.StringType(_split_host_port(u.host)[0])),
    ("getPort", lambda u: celtypes.StringType(_split_host_port(u.host)[1])),
    ("getEscapedPath", lambda u: celtypes.StringType(_escaped_path(u))),
    ("getQuery", _query),
):
    EXTENSIONS[_url_name] = _url_method(_url_name, _url_get)
