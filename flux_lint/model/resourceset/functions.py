"""The functions a ResourceSet template can call, with Go's argument rules.

flux-operator's function map (``internal/builder/resourceset.go``, ``newTemplate``) is
``sprig.HermeticTxtFuncMap()`` from ``github.com/go-task/slim-sprig/v3`` v3.0.0
(``functions.go``: ``genericMap`` minus ``nonhermeticFunctions``), then ``slugify``
(``gosimple/slug.Make``, ``MaxLength`` 63, ``EnableSmartTruncate``), ``inputs`` and
``toYaml``/``mustToYaml`` (``sigs.k8s.io/yaml.Marshal``); Go's built-ins come last
(``text/template/funcs.go``), so slim-sprig's ``slice`` replaces the built-in one.

Values are Go values seen from Python: ``None`` (nil), ``bool``, ``int`` (Go ``int``/``int64``),
``float`` (``float64``: every number decoded from JSON inputs is one), ``str``, ``list``
(``[]interface{}``) and ``dict`` (``map[string]interface{}``). A function declares Go parameter
types so that a call Go would reject (``upper`` on a number, ``add1`` with two arguments) fails
here too, with Go's message. A name in :data:`OPERATOR_FUNCTIONS` without an implementation
(dates, ``randInt``, URLs) makes the object "not evaluated" instead of guessed. Durations are in
:mod:`.durations`, the escaping built-ins in :mod:`.escapes`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import math
import posixpath
import re
import unicodedata
import zlib
from collections.abc import Callable
from typing import Any

from flux_lint.model.resourceset.executor import UncertainMap
from flux_lint.model.resourceset.gotypes import (
    ANY,
    BOOL,
    INT,
    MAP,
    STR,
    F,
    GoValues,
    _go_quote,
    _list,
    _strval,
    _to_float64,
    _to_int64,
    empty,
    go_func,
    kind_name,
    print_value,
    type_name,
)
from flux_lint.model.resourceset.template import NotEvaluated, TemplateExecError
from flux_lint.model.resourceset.yamlemit import to_json_value, to_yaml


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Every name the operator's template can call (slim-sprig v3.0.0 hermetic map, the operator's
# four, Go's built-ins). A name outside this set is a parse error in the operator.
SPRIG_HERMETIC = _names(
    """
    hello ago duration durationRound must_date_modify mustDateModify mustToDate toDate
    unixEpoch trunc trim upper lower title substr repeat trimall trimAll trimSuffix
    trimPrefix contains hasPrefix hasSuffix quote squote cat indent nindent replace plural
    sha1sum sha256sum adler32sum toString atoi int64 int float64 seq toDecimal split
    splitList splitn toStrings until untilStep add1 add sub div mod mul randInt biggest max
    min maxf minf ceil floor round join sortAlpha default empty coalesce all any compact
    mustCompact fromJson toJson toPrettyJson toRawJson mustFromJson mustToJson
    mustToPrettyJson mustToRawJson ternary typeOf typeIs typeIsLike kindOf kindIs deepEqual
    base dir clean ext isAbs osBase osClean osDir osExt osIsAbs b64enc b64dec b32enc b32dec
    tuple list dict get set unset hasKey pluck keys pick omit values append push mustAppend
    mustPush prepend mustPrepend first mustFirst rest mustRest last mustLast initial
    mustInitial reverse mustReverse uniq mustUniq without mustWithout has mustHas slice
    mustSlice concat dig chunk mustChunk fail regexMatch mustRegexMatch regexFindAll
    mustRegexFindAll regexFind mustRegexFind regexReplaceAll mustRegexReplaceAll
    regexReplaceAllLiteral mustRegexReplaceAllLiteral regexSplit mustRegexSplit
    regexQuoteMeta urlParse urlJoin
    """
)
OPERATOR_OWN = frozenset({"slugify", "inputs", "toYaml", "mustToYaml"})
GO_BUILTINS = _names(
    """
    and call html index slice js len not or print printf println urlquery eq ge gt le lt ne
    """
)
OPERATOR_FUNCTIONS = SPRIG_HERMETIC | OPERATOR_OWN | GO_BUILTINS

#: Functions people bring from Helm or full sprig, with what to use instead in a ResourceSet.
NOT_PROVIDED_HINTS = {
    "include": "the operator has no named templates",
    "tpl": "the operator does not evaluate strings as templates",
    "required": "a missing input key already fails the build (missingkey=error)",
    "fromYaml": "use fromJson",
    "toToml": "use toYaml",
    "lookup": "the operator renders without reading the cluster",
    "semver": "slim-sprig has no semver functions",
    "semverCompare": "slim-sprig has no semver functions",
    "now": "non-repeatable functions are removed from the operator's map",
    "date": "non-repeatable functions are removed from the operator's map",
    "env": "non-repeatable functions are removed from the operator's map",
    "expandenv": "non-repeatable functions are removed from the operator's map",
    "uuidv4": "non-repeatable functions are removed from the operator's map",
    "randAlphaNum": "non-repeatable functions are removed from the operator's map",
    "toYAML": "the function is spelled toYaml",
    "toJSON": "the function is spelled toJson",
}


# --- slim-sprig ---------------------------------------------------------------------------------


#: Implemented functions that Go declares; filled by :func:`go_func` and :func:`register`.
def register(fn: Callable[..., Any], *names: str) -> None:
    for name in names:
        F[name] = fn


@go_func(variadic=ANY)
def quote(*args: Any) -> str:
    return " ".join(_go_quote(_strval(a)) for a in args if a is not None)


@go_func(variadic=ANY)
def squote(*args: Any) -> str:
    return " ".join(f"'{print_value(a)}'" for a in args if a is not None)


@go_func(variadic=ANY)
def cat(*args: Any) -> str:
    return " ".join(print_value(a) for a in args if a is not None)


@go_func(INT, STR)
def indent(spaces: int, text: str) -> str:
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


@go_func(INT, STR)
def nindent(spaces: int, text: str) -> str:
    pad = " " * spaces
    return "\n" + pad + text.replace("\n", "\n" + pad)


@go_func(STR, STR, STR)
def replace(old: str, new: str, src: str) -> str:
    if old == "":
        # Go inserts ``new`` around every rune
        return new + new.join(src) + new if src else new
    return src.replace(old, new)


@go_func(STR, STR, INT)
def plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


@go_func(INT, STR)
def trunc(c: int, s: str) -> str:
    data = s.encode()
    if c < 0 and len(data) + c > 0:
        return data[len(data) + c :].decode(errors="replace")
    if c >= 0 and len(data) > c:
        return data[:c].decode(errors="replace")
    return s


@go_func(INT, INT, STR)
def substr(start: int, end: int, s: str) -> str:
    data = s.encode()
    try:
        if start < 0:
            if end > len(data) or end < 0:
                raise IndexError
            return data[:end].decode(errors="replace")
        if end < 0 or end > len(data):
            if start > len(data):
                raise IndexError
            return data[start:].decode(errors="replace")
        if start > end:
            raise IndexError
        return data[start:end].decode(errors="replace")
    except IndexError:
        raise TemplateExecError("error calling substr: slice bounds out of range", -1) from None


@go_func(INT, STR)
def repeat(count: int, s: str) -> str:
    if count < 0:
        raise TemplateExecError("error calling repeat: strings: negative Repeat count", -1)
    if count * len(s) > 1_000_000:
        raise NotEvaluated("cannot evaluate repeat with such a long result", -1)
    return s * count


def _str1(fn: Callable[[str], Any], name: str) -> None:
    def call(s: str) -> Any:
        return fn(s)

    call.__name__ = name
    F[name] = go_func(STR)(call)


def _title(s: str) -> str:
    out, prev = [], " "
    for ch in s:
        out.append(ch.upper() if not (prev.isalnum() or prev == "_" or prev == "'") else ch)
        prev = ch
    return "".join(out)


_str1(lambda s: s.strip(" \t\n\r\v\f\u0085\u00a0"), "trim")
_str1(str.upper, "upper")
_str1(str.lower, "lower")
_str1(_title, "title")
_str1(lambda s: base64.b64encode(s.encode()).decode(), "b64enc")
_str1(lambda s: base64.b32encode(s.encode()).decode(), "b32enc")
_str1(lambda s: hashlib.sha1(s.encode()).hexdigest(), "sha1sum")
_str1(lambda s: hashlib.sha256(s.encode()).hexdigest(), "sha256sum")
_str1(lambda s: str(zlib.adler32(s.encode())), "adler32sum")
_str1(lambda s: posixpath.basename(s.rstrip("/")) or ("/" if s.startswith("/") else "."), "base")
_str1(lambda s: s[s.rfind(".") :] if "." in s.rsplit("/", 1)[-1] else "", "ext")
_str1(lambda s: s.startswith("/"), "isAbs")


def _b64dec(s: str) -> str:
    try:
        return base64.b64decode(s.encode(), validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as exc:
        raise NotEvaluated(f"cannot evaluate b64dec of invalid data ({exc})", -1) from None


def _clean(p: str) -> str:
    if p == "":
        return "."
    rooted = p.startswith("/")
    parts: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    out = "/".join(parts)
    return ("/" + out) if rooted else (out or ".")


def _dir(p: str) -> str:
    return _clean(p[: p.rfind("/") + 1]) if "/" in p else "."


_str1(_clean, "clean")
_str1(_dir, "dir")
for _alias, _name in (
    ("osBase", "base"),
    ("osClean", "clean"),
    ("osDir", "dir"),
    ("osExt", "ext"),
    ("osIsAbs", "isAbs"),
):
    F[_alias] = F[_name]


def _strings2(name: str, fn: Callable[[str, str], Any]) -> None:
    def call(a: str, b: str) -> Any:
        return fn(a, b)

    call.__name__ = name
    F[name] = go_func(STR, STR)(call)


_strings2("trimAll", lambda a, b: b.strip(a) if a else b)
F["trimall"] = F["trimAll"]
_strings2("trimSuffix", lambda a, b: b[: -len(a)] if a and b.endswith(a) else b)
_strings2("trimPrefix", lambda a, b: b[len(a) :] if a and b.startswith(a) else b)
_strings2("contains", lambda a, b: a in b)
_strings2("hasPrefix", lambda a, b: b.startswith(a))
_strings2("hasSuffix", lambda a, b: b.endswith(a))
_strings2("splitList", lambda sep, s: _go_split(s, sep))
_strings2("split", lambda sep, s: {f"_{i}": v for i, v in enumerate(_go_split(s, sep))})


def _go_split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


@go_func(STR, INT, STR)
def splitn(sep: str, n: int, s: str) -> dict[str, str]:
    if n == 0:
        return {}
    parts = s.split(sep, n - 1) if n > 0 and sep else _go_split(s, sep)
    return {f"_{i}": v for i, v in enumerate(parts)}


F["b64dec"] = go_func(STR)(_b64dec)


def _b32dec(s: str) -> str:
    try:
        return base64.b32decode(s.encode()).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as exc:
        raise NotEvaluated(f"cannot evaluate b32dec of invalid data ({exc})", -1) from None


F["b32dec"] = go_func(STR)(_b32dec)


@go_func(ANY)
def toString(v: Any) -> str:
    return _strval(v)


@go_func(STR)
def atoi(s: str) -> int:
    return int(s) if re.fullmatch(r"[+-]?[0-9]+", s) else 0


register(go_func(ANY)(_to_int64), "int", "int64")
register(go_func(ANY)(_to_float64), "float64")


@go_func(ANY)
def add1(v: Any) -> int:
    return _to_int64(v) + 1


@go_func(variadic=ANY)
def add(*args: Any) -> int:
    return sum(_to_int64(a) for a in args)


@go_func(ANY, ANY)
def sub(a: Any, b: Any) -> int:
    return _to_int64(a) - _to_int64(b)


def _go_div(a: int, b: int, name: str) -> int:
    if b == 0:
        raise TemplateExecError(f"error calling {name}: runtime error: integer divide by zero", -1)
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


@go_func(ANY, ANY)
def div(a: Any, b: Any) -> int:
    return _go_div(_to_int64(a), _to_int64(b), "div")


@go_func(ANY, ANY)
def mod(a: Any, b: Any) -> int:
    x, y = _to_int64(a), _to_int64(b)
    return x - _go_div(x, y, "mod") * y


@go_func(ANY, variadic=ANY)
def mul(a: Any, *rest: Any) -> int:
    value = _to_int64(a)
    for b in rest:
        value *= _to_int64(b)
    return value


@go_func(ANY, variadic=ANY)
def max_(a: Any, *rest: Any) -> int:
    return max([_to_int64(a), *(_to_int64(b) for b in rest)])


@go_func(ANY, variadic=ANY)
def min_(a: Any, *rest: Any) -> int:
    return min([_to_int64(a), *(_to_int64(b) for b in rest)])


@go_func(ANY, variadic=ANY)
def maxf(a: Any, *rest: Any) -> float:
    return max([_to_float64(a), *(_to_float64(b) for b in rest)])


@go_func(ANY, variadic=ANY)
def minf(a: Any, *rest: Any) -> float:
    return min([_to_float64(a), *(_to_float64(b) for b in rest)])


register(max_, "max", "biggest")
register(min_, "min")
register(go_func(ANY)(lambda v: float(math.ceil(_to_float64(v)))), "ceil")
register(go_func(ANY)(lambda v: float(math.floor(_to_float64(v)))), "floor")


@go_func(INT)
def until(count: int) -> list[int]:
    if abs(count) > 100_000:
        raise NotEvaluated("cannot evaluate until with such a long result", -1)
    return list(range(count)) if count >= 0 else list(range(0, count, -1))


@go_func(INT, INT, INT)
def untilStep(start: int, stop: int, step: int) -> list[int]:
    if step == 0 or (step > 0 and start >= stop) or (step < 0 and start <= stop):
        return []
    if abs((stop - start) // step) > 100_000:
        raise NotEvaluated("cannot evaluate untilStep with such a long result", -1)
    return list(range(start, stop, step))


@go_func(variadic=INT)
def seq(*params: int) -> str:
    """slim-sprig ``seq``: bash's ``seq`` over ``untilStep``, printed space-separated."""
    if len(params) == 1:
        start, end, step = 1, params[0], 1 if params[0] >= 1 else -1
        values = untilStep(start, end + step, step)
    elif len(params) == 2:
        start, end = params
        step = 1 if end >= start else -1
        values = untilStep(start, end + step, step)
    elif len(params) == 3:
        start, step, end = params
        increment = 1
        if end < start:
            increment = -1
            if step > 0:
                return ""
        values = untilStep(start, end + increment, step)
    else:
        return ""
    return " ".join(str(v) for v in values)


@go_func(ANY, INT, variadic=ANY)
def round_(value: Any, places: int, *round_on: Any) -> float:
    """slim-sprig ``round``: ``math.Modf`` of ``value * 10**places`` against ``roundOn``
    (0.5 by default). Only whole powers of ten that float64 holds exactly are evaluated."""
    if not 0 <= places <= 22:
        raise NotEvaluated("cannot evaluate round with these decimal places", -1)
    on = 0.5
    if round_on:
        if not isinstance(round_on[0], (int, float)) or isinstance(round_on[0], bool):
            raise NotEvaluated("cannot evaluate round with this rounding threshold", -1)
        on = float(round_on[0])
    power = float(10**places)
    digit = power * _to_float64(value)
    if math.isinf(digit) or math.isnan(digit):
        raise NotEvaluated("cannot evaluate round of a non-finite number", -1)
    fraction, _ = math.modf(digit)
    rounded = math.ceil(digit) if fraction >= on else math.floor(digit)
    return float(rounded) / power


@go_func(ANY)
def toDecimal(value: Any) -> int:
    """slim-sprig ``toDecimal``: ``strconv.ParseInt(fmt.Sprint(v), 8, 64)``, 0 on error."""
    text = print_value(value)
    if not re.fullmatch(r"[+-]?[0-7]+", text):
        return 0
    n = int(text, 8)
    return n if -(2**63) <= n < 2**63 else 0


@go_func(STR, ANY)
def join(sep: str, v: Any) -> str:
    return sep.join(_strslice(v))


def _strslice(v: Any) -> list[str]:
    if isinstance(v, (list, tuple)):
        return [_strval(x) for x in v if x is not None]
    if v is None:
        return []
    return [_strval(v)]


@go_func(ANY)
def toStrings(v: Any) -> list[str]:
    return _strslice(v)


@go_func(ANY)
def sortAlpha(v: Any) -> list[str]:
    if isinstance(v, (list, tuple)):
        return sorted(_strslice(v))
    return [_strval(v)]


@go_func(ANY, variadic=ANY)
def default(d: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return d
    return given[0]


register(go_func(ANY)(empty), "empty")


@go_func(variadic=ANY)
def coalesce(*args: Any) -> Any:
    for v in args:
        if not empty(v):
            return v
    return None


register(go_func(variadic=ANY)(lambda *a: all(not empty(v) for v in a)), "all")
register(go_func(variadic=ANY)(lambda *a: any(not empty(v) for v in a)), "any")
register(
    go_func(ANY)(lambda v: [x for x in _list(v, "compact") if not empty(x)]),
    "compact",
    "mustCompact",
)


@go_func(ANY, ANY, BOOL)
def ternary(vt: Any, vf: Any, v: bool) -> Any:
    return vt if v else vf


def _json_dumps(v: Any, indent: int | None = None, escape_html: bool = True) -> str:
    text = json.dumps(
        _json_numbers(to_json_value(v)),
        ensure_ascii=False,
        indent=indent,
        sort_keys=True,
        separators=(",", ": ") if indent else (",", ":"),
    )
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


def _json_numbers(v: Any) -> Any:
    """Go's ``json.Marshal`` writes an integral float64 without a fraction."""
    if isinstance(v, float) and v == int(v) and abs(v) < 1e21:
        return int(v)
    if isinstance(v, dict):
        return {k: _json_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_numbers(x) for x in v]
    return v


def _to_json(v: Any) -> str:
    try:
        return _json_dumps(v)
    except (ValueError, TypeError):
        return ""


def _must_to_json(v: Any) -> str:
    try:
        return _json_dumps(v)
    except (ValueError, TypeError) as exc:
        raise TemplateExecError(str(exc), -1) from None


register(go_func(ANY)(_to_json), "toJson")
register(go_func(ANY)(_must_to_json), "mustToJson")
register(go_func(ANY)(lambda v: _json_dumps(v, indent=2)), "toPrettyJson", "mustToPrettyJson")
register(go_func(ANY)(lambda v: _json_dumps(v, escape_html=False)), "toRawJson", "mustToRawJson")


def _from_json(s: str) -> Any:
    try:
        return json.loads(s, parse_int=float)
    except ValueError:
        return None


def _must_from_json(s: str) -> Any:
    try:
        return json.loads(s, parse_int=float)
    except ValueError as exc:
        raise TemplateExecError(str(exc), -1) from None


register(go_func(STR)(_from_json), "fromJson")
register(go_func(STR)(_must_from_json), "mustFromJson")
register(go_func(ANY)(type_name), "typeOf")
register(go_func(ANY)(kind_name), "kindOf")
register(go_func(STR, ANY)(lambda t, v: kind_name(v) == t), "kindIs")
register(go_func(STR, ANY)(lambda t, v: type_name(v) == t), "typeIs")
register(go_func(STR, ANY)(lambda t, v: type_name(v) in (t, "*" + t)), "typeIsLike")
register(go_func(ANY, ANY)(lambda a, b: a == b and type(a) is type(b)), "deepEqual")


# dicts and lists


@go_func(variadic=ANY)
def list_(*args: Any) -> list[Any]:
    return list(args)


register(list_, "list", "tuple")


@go_func(variadic=ANY)
def dict_(*args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        key = _strval(args[i])
        out[key] = args[i + 1] if i + 1 < len(args) else ""
    return out


register(dict_, "dict")


@go_func(MAP, STR)
def get(d: dict[str, Any], key: str) -> Any:
    if isinstance(d, UncertainMap):
        return d[key]
    return d.get(key, "")


@go_func(MAP, STR, ANY)
def set_(d: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    d[key] = value
    return d


@go_func(MAP, STR)
def unset(d: dict[str, Any], key: str) -> dict[str, Any]:
    d.pop(key, None)
    return d


@go_func(MAP, STR)
def hasKey(d: dict[str, Any], key: str) -> bool:
    if isinstance(d, UncertainMap):
        raise NotEvaluated("cannot evaluate hasKey on inputs the cluster provides", -1)
    return key in d


register(set_, "set")


@go_func(STR, variadic=MAP)
def pluck(key: str, *dicts: dict[str, Any]) -> list[Any]:
    return [d[key] for d in dicts if key in d]


@go_func(variadic=MAP)
def keys(*dicts: dict[str, Any]) -> list[str]:
    """Go returns map keys in random order; any order is one the operator may produce."""
    out: list[str] = []
    for d in dicts:
        out.extend(d)
    return out


@go_func(MAP, variadic=STR)
def pick(d: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: d[k] for k in names if k in d}


@go_func(MAP, variadic=STR)
def omit(d: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in names}


@go_func(MAP)
def values(d: dict[str, Any]) -> list[Any]:
    return list(d.values())


register(
    go_func(ANY, ANY)(lambda seq, v: [*_list(seq, "push"), v]),
    "append",
    "push",
    "mustAppend",
    "mustPush",
)
register(go_func(ANY, ANY)(lambda seq, v: [v, *_list(seq, "prepend")]), "prepend", "mustPrepend")


def _first(v: Any) -> Any:
    seq = _list(v, "find first")
    return seq[0] if seq else None


def _last(v: Any) -> Any:
    seq = _list(v, "find last")
    return seq[-1] if seq else None


def _rest(v: Any) -> Any:
    seq = _list(v, "find rest")
    return seq[1:] if seq else None


def _initial(v: Any) -> Any:
    seq = _list(v, "find initial")
    return seq[:-1] if seq else None


def _uniq(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in _list(v, "uniq"):
        if not any(x == y and type(x) is type(y) for y in out):
            out.append(x)
    return out


register(go_func(ANY)(_first), "first", "mustFirst")
register(go_func(ANY)(_last), "last", "mustLast")
register(go_func(ANY)(_rest), "rest", "mustRest")
register(go_func(ANY)(_initial), "initial", "mustInitial")
register(go_func(ANY)(lambda v: list(reversed(_list(v, "reverse")))), "reverse", "mustReverse")
register(go_func(ANY)(_uniq), "uniq", "mustUniq")
register(
    go_func(ANY, variadic=ANY)(
        lambda v, *omit_: [x for x in _list(v, "without") if x not in omit_]
    ),
    "without",
    "mustWithout",
)
register(
    go_func(ANY, ANY)(lambda needle, v: needle in _list(v, "has") if v is not None else False),
    "has",
    "mustHas",
)


@go_func(ANY, variadic=ANY)
def slice_(v: Any, *idx: Any) -> Any:
    seq = _list(v, "slice")
    start = _to_int64(idx[0]) if idx else 0
    end = _to_int64(idx[1]) if len(idx) > 1 else len(seq)
    if not 0 <= start <= end <= len(seq):
        raise TemplateExecError("error calling slice: slice bounds out of range", -1)
    return seq[start:end]


register(slice_, "slice", "mustSlice")


@go_func(variadic=ANY)
def concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for seq in lists:
        out.extend(_list(seq, "concat"))
    return out


@go_func(variadic=ANY)
def dig(*args: Any) -> Any:
    if len(args) < 3:
        raise TemplateExecError("error calling dig: dig needs at least three arguments", -1)
    current = args[-1]
    default_value = args[-2]
    for key in args[:-2]:
        if not isinstance(current, dict) or not isinstance(key, str):
            raise TemplateExecError("error calling dig: interface conversion", -1)
        if key not in current:
            return default_value
        current = current[key]
    return current


@go_func(INT, ANY)
def chunk(size: int, v: Any) -> list[list[Any]]:
    seq = _list(v, "chunk")
    if size <= 0:
        raise TemplateExecError("error calling chunk: runtime error: integer divide by zero", -1)
    return [seq[i : i + size] for i in range(0, len(seq), size)]


register(chunk, "chunk", "mustChunk")


@go_func(STR)
def fail(message: str) -> str:
    raise TemplateExecError(f"error calling fail: {message}", -1)


register(go_func()(lambda: "Hello!"), "hello")


# regular expressions (Go's regexp is RE2)


def _re(pattern: str, must: bool) -> Any:
    import re2

    try:
        return re2.compile(pattern)
    except Exception as exc:  # re2.error
        if must:
            raise TemplateExecError(f"error parsing regexp: {exc}", -1) from None
        return None


def _regex(name: str, params: tuple[str, ...], fn: Callable[..., Any], fallback: Any) -> None:
    must = name.startswith("must")

    def call(pattern: str, *rest: Any) -> Any:
        compiled = _re(pattern, must)
        if compiled is None:
            if name in ("regexMatch",):
                return False
            return fallback
        return fn(compiled, *rest)

    call.__name__ = name
    F[name] = go_func(*params)(call)


def _find_all(rx: Any, s: str, n: int) -> list[str]:
    found = [m.group(0) for m in rx.finditer(s)]
    return found if n < 0 else found[:n]


def _named(must: str, name: str) -> str:
    return (must + name[0].upper() + name[1:]) if must else name


for _must in ("", "must"):
    _p = functools.partial(_named, _must)
    _regex(_p("regexMatch"), (STR, STR), lambda rx, s: rx.search(s) is not None, False)
    _regex(_p("regexFindAll"), (STR, STR, INT), _find_all, [])
    _regex(
        _p("regexFind"),
        (STR, STR),
        lambda rx, s: m.group(0) if (m := rx.search(s)) else "",
        "",
    )
    _regex(
        _p("regexReplaceAllLiteral"),
        (STR, STR, STR),
        lambda rx, s, repl: rx.sub(lambda _m: repl, s),
        "",
    )


def _go_expand(template_text: str) -> str:
    if "$" in template_text:
        raise NotEvaluated("cannot evaluate regexReplaceAll with $ references", -1)
    return template_text


F["regexReplaceAll"] = go_func(STR, STR, STR)(
    lambda p, s, r: rx.sub(lambda _m: _go_expand(r), s) if (rx := _re(p, False)) else ""
)
F["mustRegexReplaceAll"] = go_func(STR, STR, STR)(
    lambda p, s, r: _re(p, True).sub(lambda _m: _go_expand(r), s)
)
F["regexQuoteMeta"] = go_func(STR)(lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s))


def _regex_split(pattern: str, s: str, n: int, must: bool) -> list[str]:
    rx = _re(pattern, must)
    if rx is None or n == 0:
        return []
    raise NotEvaluated("cannot evaluate regexSplit", -1)


F["regexSplit"] = go_func(STR, STR, INT)(lambda p, s, n: _regex_split(p, s, n, False))
F["mustRegexSplit"] = go_func(STR, STR, INT)(lambda p, s, n: _regex_split(p, s, n, True))


# --- the operator's own functions ------------------------------------------------------------

SLUG_MAX_LENGTH = 63


def slugify(text: str) -> str:
    """gosimple/slug ``Make`` with the operator's settings (MaxLength 63, smart truncate)."""
    s = text.strip()
    s = s.replace("&", "and").replace("@", "at")
    decomposed = unicodedata.normalize("NFKD", s)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if not ascii_text.isascii():
        raise NotEvaluated("cannot evaluate slugify on non-ASCII text", -1)
    s = ascii_text.lower()
    s = re.sub(r"[^a-zA-Z0-9\-_]", "-", s)
    s = re.sub(r"-+", "-", s)
    s = s.strip("-_")
    if len(s) > SLUG_MAX_LENGTH:
        cut = s.rfind("-", 0, SLUG_MAX_LENGTH + 1)
        s = s[:cut] if cut >= 0 else s[:SLUG_MAX_LENGTH]
    return s


def _to_yaml(v: Any) -> str:
    try:
        return to_yaml(v)
    except (ValueError, TypeError):
        return ""


def _must_to_yaml(v: Any) -> str:
    try:
        return to_yaml(v)
    except (ValueError, TypeError) as exc:
        raise TemplateExecError(str(exc), -1) from None


F["slugify"] = go_func(STR)(slugify)
F["toYaml"] = go_func(ANY)(_to_yaml)
F["mustToYaml"] = go_func(ANY)(_must_to_yaml)


import flux_lint.model.resourceset.durations  # noqa: E402  (registers its functions)
import flux_lint.model.resourceset.escapes  # noqa: E402, F401  (registers its functions)


def function_map(input_set: Any) -> dict[str, Callable[..., Any]]:
    """The callable functions for one execution; ``inputs`` returns ``input_set``."""
    functions = dict(F)
    functions["inputs"] = go_func()(lambda: input_set)
    return functions


def implemented() -> set[str]:
    return set(F) | {"inputs", "and", "or"}


__all__ = [
    "NOT_PROVIDED_HINTS",
    "OPERATOR_FUNCTIONS",
    "GoValues",
    "function_map",
    "implemented",
    "slugify",
]
