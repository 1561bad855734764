"""Go values seen from Python, Go's argument rules and text/template's built-in functions.

Values are Go values: ``None`` (nil), ``bool``, ``int`` (Go ``int``/``int64``), ``float``
(``float64``: every number decoded from JSON inputs is one), ``str``, ``list``
(``[]interface{}``) and ``dict`` (``map[string]interface{}``). :func:`go_func` declares a
function's Go parameter types, so that a call Go would reject (``upper`` on a number, ``add1``
with two arguments) fails here too with Go's message. The built-ins follow Go's
``text/template/funcs.go`` (``eq`` and friends compare basic kinds only and refuse an int
against a float, ``index`` returns nil for a missing map key, ``print`` spaces non-strings).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from flux_lint.model.resourceset.executor import UncertainMap
from flux_lint.model.resourceset.template import NotEvaluated, TemplateExecError
from flux_lint.model.resourceset.yamlemit import go_format_float

# --- Go value helpers --------------------------------------------------------------------------


def type_name(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    return type(value).__name__


def kind_name(value: Any) -> str:
    name = type_name(value)
    return {"<nil>": "invalid", "map[string]interface {}": "map", "[]interface {}": "slice"}.get(
        name, name
    )


def print_value(value: Any, pos: int = -1) -> str:
    """``fmt.Sprint`` of one value (what an action prints)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_format_float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        items = " ".join(f"{k}:{print_value(value[k])}" for k in sorted(value))
        return f"map[{items}]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(print_value(v) for v in value) + "]"
    raise NotEvaluated(f"cannot print a {type(value).__name__}", pos)


def truth(value: Any) -> bool:
    """text/template ``isTrue``."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (str, dict, list, tuple)):
        return len(value) > 0
    return True


def sort_key(key: Any) -> Any:
    return key


class GoValues:
    """What the executor needs from this module (kept as one object to avoid an import cycle)."""

    print_value = staticmethod(print_value)
    truth = staticmethod(truth)
    type_name = staticmethod(type_name)
    sort_key = staticmethod(sort_key)


#: The implemented functions by name (filled as the module defines them).
F: dict[str, Callable[..., Any]] = {}

# --- argument checking -------------------------------------------------------------------------

ANY, STR, INT, BOOL, MAP, FLOAT = "any", "string", "int", "bool", "map", "float64"


def _check(name: str, value: Any, want: str) -> Any:
    if want == ANY:
        return value
    if value is None:
        raise TemplateExecError(f"invalid value; expected {_go_type(want)}", -1)
    ok = {
        STR: isinstance(value, str),
        INT: isinstance(value, int) and not isinstance(value, bool),
        BOOL: isinstance(value, bool),
        MAP: isinstance(value, dict),
        FLOAT: isinstance(value, float),
    }[want]
    if not ok:
        raise TemplateExecError(
            f"wrong type for value; expected {_go_type(want)}; got {type_name(value)}", -1
        )
    return value


def _go_type(want: str) -> str:
    return "map[string]interface {}" if want == MAP else want


def go_func(*params: str, variadic: str | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Declare a function's Go parameter types; the wrapper checks count and types."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = fn.__name__.rstrip("_")

        def call(*args: Any) -> Any:
            if variadic is None and len(args) != len(params):
                raise TemplateExecError(
                    f"wrong number of args for {name}: want {len(params)} got {len(args)}", -1
                )
            if variadic is not None and len(args) < len(params):
                raise TemplateExecError(
                    f"wrong number of args for {name}: want at least {len(params)} got {len(args)}",
                    -1,
                )
            checked = [_check(name, a, p) for a, p in zip(args, params, strict=False)]
            checked += [_check(name, a, variadic or ANY) for a in args[len(params) :]]
            return fn(*checked)

        call.__name__ = name
        if not name.startswith(("_", "<")):
            F.setdefault(name, call)
        return call

    return wrap


def _strval(v: Any) -> str:
    return v if isinstance(v, str) else print_value(v)


def _to_int64(v: Any) -> int:
    """slim-sprig ``toInt64``."""
    if isinstance(v, str):
        if re.fullmatch(r"[+-]?[0-9]+", v):
            n = int(v)
            return n if -(2**63) <= n < 2**63 else 0
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise NotEvaluated("cannot evaluate int of a non-finite number", -1)
        return int(v)
    return 0


def _to_float64(v: Any) -> float:
    if isinstance(v, str):
        if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", v):
            return 0.0
        return float(v)
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return 0.0


def empty(v: Any) -> bool:
    """slim-sprig ``empty``."""
    return not truth(v)


def _go_quote(s: str) -> str:
    """``fmt.Sprintf("%q", s)`` (strconv.Quote)."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\v":
            out.append("\\v")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable() and code > 0x7F:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _list(v: Any, name: str) -> list[Any]:
    if isinstance(v, (list, tuple)):
        return list(v)
    raise TemplateExecError(f"Cannot {name} on type {kind_name(v)}", -1)


# --- Go built-ins (text/template/funcs.go) -------------------------------------------------


def _basic_kind(v: Any) -> str | None:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return None


BAD_COMPARISON = "incompatible types for comparison"
BAD_COMPARISON_TYPE = "invalid type for comparison"


def eq(arg1: Any, *rest: Any) -> bool:
    if not rest:
        raise TemplateExecError("error calling eq: missing argument for comparison", -1)
    k1 = _basic_kind(arg1)
    for arg in rest:
        k2 = _basic_kind(arg)
        if k1 != k2:
            if arg1 is not None and arg is not None:
                raise TemplateExecError(f"error calling eq: {BAD_COMPARISON}", -1)
            truth_value = False
        elif k1 is None:
            if isinstance(arg1, (dict, list)) or isinstance(arg, (dict, list)):
                if arg1 is None or arg is None:
                    truth_value = arg1 is None and arg is None
                else:
                    raise TemplateExecError(
                        f"error calling eq: non-comparable type {print_value(arg1)}: "
                        f"{type_name(arg1)}",
                        -1,
                    )
            else:
                truth_value = arg1 is None and arg is None
        else:
            truth_value = arg1 == arg
        if truth_value:
            return True
    return False


def ne(a: Any, b: Any) -> bool:
    try:
        return not eq(a, b)
    except TemplateExecError as exc:
        exc.message = exc.message.replace("calling eq", "calling ne")
        raise


def lt(a: Any, b: Any) -> bool:
    ka, kb = _basic_kind(a), _basic_kind(b)
    if ka is None or kb is None or ka == "bool" or kb == "bool":
        raise TemplateExecError(f"error calling lt: {BAD_COMPARISON_TYPE}", -1)
    if ka != kb:
        raise TemplateExecError(f"error calling lt: {BAD_COMPARISON}", -1)
    return a < b


def _compare(name: str, fn: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def call(a: Any, b: Any) -> bool:
        try:
            return fn(a, b)
        except TemplateExecError as exc:
            exc.message = exc.message.replace("calling lt", f"calling {name}")
            raise

    call.__name__ = name
    return go_func(ANY, ANY)(call)


F["eq"] = go_func(ANY, variadic=ANY)(eq)
F["ne"] = go_func(ANY, ANY)(ne)
F["lt"] = _compare("lt", lt)
F["le"] = _compare("le", lambda a, b: lt(a, b) or eq(a, b))
F["gt"] = _compare("gt", lambda a, b: not lt(a, b) and not eq(a, b))
F["ge"] = _compare("ge", lambda a, b: not lt(a, b))
F["not"] = go_func(ANY)(lambda v: not truth(v))


@go_func(ANY)
def len_(v: Any) -> int:
    if isinstance(v, (str,)):
        return len(v.encode())
    if isinstance(v, (list, tuple, dict)):
        return len(v)
    if v is None:
        raise TemplateExecError("error calling len: len of nil pointer", -1)
    raise TemplateExecError(f"error calling len: len of type {type_name(v)}", -1)


F["len"] = len_


@go_func(ANY, variadic=ANY)
def index(item: Any, *indexes: Any) -> Any:
    for idx in indexes:
        if item is None:
            raise TemplateExecError("error calling index: index of untyped nil", -1)
        if isinstance(item, dict):
            if not isinstance(idx, str):
                raise TemplateExecError(
                    f"error calling index: value has type {type_name(idx)}; should be string", -1
                )
            item = item[idx] if (idx in item or isinstance(item, UncertainMap)) else None
        elif isinstance(item, (list, tuple, str)):
            if not isinstance(idx, int) or isinstance(idx, bool):
                raise TemplateExecError(
                    f"error calling index: cannot index slice/array with type {type_name(idx)}",
                    -1,
                )
            size = len(item.encode()) if isinstance(item, str) else len(item)
            if not 0 <= idx < size:
                raise TemplateExecError(f"error calling index: index out of range: {idx}", -1)
            item = item.encode()[idx] if isinstance(item, str) else item[idx]
        else:
            raise TemplateExecError(
                f"error calling index: can't index item of type {type_name(item)}", -1
            )
    return item


F["index"] = index


def _sprint(args: tuple[Any, ...]) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    out: list[str] = []
    for i, a in enumerate(args):
        if i > 0 and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(print_value(a))
    return "".join(out)


F["print"] = go_func(variadic=ANY)(lambda *a: _sprint(a))
F["println"] = go_func(variadic=ANY)(lambda *a: " ".join(print_value(x) for x in a) + "\n")

_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])")
#: What ``fmt`` does and flux-lint does not evaluate: ``*`` widths, ``[n]`` argument indexes.
_UNSUPPORTED_VERB = re.compile(r"%[-+# 0]*(?:\d+)?(?:\.\d*)?[*\[]")


def _bad_verb(verb: str, value: Any) -> str:
    """``fmt``'s ``badVerb``: ``%!d(string=abc)``, ``%!s(<nil>)``."""
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(value)}={print_value(value)})"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _format_one(verb: str, flags: str, prec: str | None, value: Any) -> str | None:
    """One operand under ``verb`` as Go's ``fmt`` prints it, before the width is applied;
    None for a bad verb (the caller prints ``%!verb(type=value)``)."""
    plus = "+" if "+" in flags else (" " if " " in flags else "")
    if verb == "v":
        if prec is not None or flags.strip("-"):
            raise NotEvaluated(f"cannot evaluate printf %{flags}.{prec}v", -1)
        return print_value(value)
    if verb == "s":
        if isinstance(value, str):
            return value if prec is None else value[: int(prec or 0)]
        return None
    if verb == "q":
        if not isinstance(value, str) or prec is not None or "#" in flags or "+" in flags:
            raise NotEvaluated("cannot evaluate printf %q of this value", -1)
        return _go_quote(value)
    if verb == "t":
        return print_value(value) if isinstance(value, bool) else None
    if verb in "dboxXc":
        if prec is not None:
            raise NotEvaluated(f"cannot evaluate printf with a precision for %{verb}", -1)
        if verb in "xX" and isinstance(value, str):
            text = value.encode("utf-8").hex()
            if "#" in flags or " " in flags:
                raise NotEvaluated(f"cannot evaluate printf %{flags}{verb} of a string", -1)
            return text.upper() if verb == "X" else text
        if not _is_int(value):
            if isinstance(value, float) and verb in "bxX":
                raise NotEvaluated(f"cannot evaluate printf %{verb} of a float", -1)
            return None
        if verb == "c":
            valid = 0 <= value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF
            return chr(value) if valid else "\ufffd"
        if "#" in flags and verb in "bo":
            raise NotEvaluated(f"cannot evaluate printf %#{verb}", -1)
        prefix = ("0x" if verb == "x" else "0X") if "#" in flags and verb in "xX" else ""
        digits = format(abs(value), {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X"}[verb])
        sign = "-" if value < 0 else plus
        return sign + prefix + digits
    if verb in "fFeE":
        if not isinstance(value, float):
            return None
        if math.isinf(value) or math.isnan(value) or "#" in flags:
            raise NotEvaluated(f"cannot evaluate printf %{flags}{verb} of this number", -1)
        digits = 6 if prec is None else int(prec or 0)
        text = format(abs(value), f".{digits}{verb.lower() if verb == 'F' else verb}")
        sign = "-" if math.copysign(1.0, value) < 0 else plus
        return sign + text
    raise NotEvaluated(f"cannot evaluate printf with %{verb}", -1)


@go_func(STR, variadic=ANY)
def printf(fmt: str, *args: Any) -> str:
    """``fmt.Sprintf`` for the verbs templates use: ``%v %s %q %t``, the integer verbs
    ``%d %b %o %x %X %c``, ``%x``/``%X`` of strings, ``%f %F %e %E`` of float64, with the
    flags ``- + space 0 #``, widths and precisions as Go's ``fmt`` applies them (zero padding
    goes after the sign and prefix; ``-`` pads on the right and wins over ``0``). Arguments of
    the wrong type print Go's ``%!verb(type=value)``; missing and extra ones are reported as
    Go does. Anything else (``%g``, ``*`` widths, argument indexes) is not evaluated."""
    if _UNSUPPORTED_VERB.search(fmt):
        raise NotEvaluated("cannot evaluate printf with * widths or argument indexes", -1)
    out: list[str] = []
    pos = 0
    arg = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        if arg >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = args[arg]
        arg += 1
        if isinstance(value, (dict, list, tuple)) and (verb != "v" or width or flags):
            # fmt applies the verb, width and flags to each element of a map or slice.
            raise NotEvaluated(f"cannot evaluate printf %{verb} of a map or list", -1)
        text = _format_one(verb, flags, prec, value)
        if text is None:
            out.append(_bad_verb(verb, value))
            continue
        size = int(width) if width else 0
        if len(text) < size:
            numeric = verb in "dboxXfFeE" and not isinstance(value, str)
            if "-" in flags:
                text = text.ljust(size)
            elif "0" in flags and numeric:
                head = len(text) - len(text.lstrip("+- "))
                if text[head : head + 2] in ("0x", "0X"):
                    head += 2
                text = text[:head] + text[head:].rjust(size - head, "0")
            elif "0" in flags and not numeric:
                raise NotEvaluated(f"cannot evaluate printf %0{verb} of this value", -1)
            else:
                text = text.rjust(size)
        out.append(text)
    if "%" in fmt[pos:]:
        raise NotEvaluated("cannot evaluate printf with this verb", -1)
    out.append(fmt[pos:])
    if arg < len(args):
        extra = ", ".join(f"{type_name(a)}={print_value(a)}" for a in args[arg:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


F["printf"] = printf
