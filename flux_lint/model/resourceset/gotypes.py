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

_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


@go_func(STR, variadic=ANY)
def printf(fmt: str, *args: Any) -> str:
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
        if flags or prec is not None or verb not in "svdqt":
            raise NotEvaluated(f"cannot evaluate printf with %{flags}{prec or ''}{verb}", -1)
        if arg >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = args[arg]
        arg += 1
        if verb in "sv":
            text = print_value(value)
        elif verb == "d":
            if not isinstance(value, int) or isinstance(value, bool):
                text = f"%!d({type_name(value)}={print_value(value)})"
            else:
                text = str(value)
        elif verb == "q":
            if not isinstance(value, str):
                raise NotEvaluated("cannot evaluate printf %q of a non-string", -1)
            text = _go_quote(value)
        else:
            text = (
                print_value(value)
                if isinstance(value, bool)
                else (f"%!t({type_name(value)}={print_value(value)})")
            )
        if width:
            text = text.rjust(int(width))
        out.append(text)
    out.append(fmt[pos:])
    if arg < len(args):
        extra = ", ".join(f"{type_name(a)}={print_value(a)}" for a in args[arg:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


F["printf"] = printf
