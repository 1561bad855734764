"""YAML text as flux-operator's Go libraries write it (``sigs.k8s.io/yaml``, i.e. go-yaml v2).

Two places need the exact text: ``toYaml`` (its output is pasted into the template output, so
its layout decides what the rendered YAML means), and ``spec.resources``, whose items the operator
turns into YAML text with ``yaml.JSONToYAML`` before it executes them as templates
(flux-operator ``internal/builder/resourceset.go``, ``BuildResource``). go-yaml v2 sorts map keys
in its "natural" order, does not indent a sequence under its key, quotes a string only when it
would read back as something else, and writes multi-line strings as literal blocks.

:func:`emit` can also record where each string scalar landed (``Scalar``), which is how
rendered text is mapped back to the ResourceSet file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from flux_lint.load.yaml import resolve_plain


@dataclass(slots=True)
class Scalar:
    """A string written at ``start:end`` of the emitted text, from ``pointer`` (a key when
    ``key`` is set); ``plain`` when the text is the value itself, character for character."""

    start: int
    end: int
    pointer: str
    key: bool
    plain: bool
    literal: bool = False  # a literal block: value line k is emitted line k + 1 of the block
    indent: int = 0  # a literal block's indentation


def _natural_less(a: str, b: str) -> bool:
    """go-yaml v2 ``keyList.Less`` for two string keys."""
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and ar[j].isdigit():
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and ar[ai].isdigit():
            an = an * 10 + int(ar[ai])
            ai += 1
        bi = i
        while bi < len(br) and br[bi].isdigit():
            bn = bn * 10 + int(br[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


class _Key:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _Key) -> bool:
        return _natural_less(self.text, other.text)


def sorted_keys(mapping: dict[str, Any]) -> list[str]:
    return sorted(mapping, key=_Key)


_INDICATORS = set("#,[]{}&*!|>'\"%@`")
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0085\u2028\u2029\ufeff]")


def _plain_allowed(s: str) -> bool:
    """go-yaml's ``yaml_emitter_analyze_scalar`` for block context, single line."""
    if not s or s.startswith(("---", "...")):
        return False
    if s[0] in _INDICATORS or s[0] in " \t":
        return False
    if s[0] in "-?:" and (len(s) == 1 or s[1] in " \t"):
        return False
    if s[-1] in " \t":
        return False
    if ": " in s or " #" in s or "\t#" in s or s.endswith(":") or ":\t" in s:
        return False
    return not (_SPECIAL.search(s) or "\n" in s or "\r" in s)


def _double_quoted(s: str) -> str:
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
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02X}")
        elif ch in "\u0085\u2028\u2029\ufeff":
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _literal_allowed(s: str) -> bool:
    if _SPECIAL.search(s.replace("\t", "")):
        return False
    lines = s.split("\n")
    return not any(line.endswith((" ", "\t")) for line in lines) and not s.startswith((" \n",))


def scalar_text(s: str) -> tuple[str, str]:
    """(style, text) of a string value: ``plain``, ``single``, ``double`` or ``literal``."""
    if not isinstance(s, str):
        raise TypeError(s)
    resolved = resolve_plain(s)
    if resolved != s or not isinstance(resolved, str) or _is_base60_float(s):
        return "double", _double_quoted(s)
    if "\n" in s:
        return ("literal", s) if _literal_allowed(s) else ("double", _double_quoted(s))
    if _plain_allowed(s):
        return "plain", s
    if _SPECIAL.search(s):
        return "double", _double_quoted(s)
    return "single", "'" + s.replace("'", "''") + "'"


_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def _is_base60_float(s: str) -> bool:
    return bool(s) and s[0] in "+-0123456789" and ":" in s and _BASE60.match(s) is not None


def number_text(value: int | float) -> str:
    """A JSON number as go-yaml writes it after ``json.Marshal`` then ``yaml.Unmarshal``:
    integral floats below 1e21 come back as integers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError("json: unsupported value")
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return go_format_float(value, yaml=True)


def go_format_float(value: float, yaml: bool = False) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 64)``, which is also what ``fmt`` prints for ``%v``."""
    if math.isnan(value):
        return "NaN" if not yaml else ".nan"
    if math.isinf(value):
        if yaml:
            return ".inf" if value > 0 else "-.inf"
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    text = repr(value)
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    mantissa, _, exp_text = text.partition("e")
    exp = int(exp_text) if exp_text else 0
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + exp  # decimal point position relative to the digits of whole+frac
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    dp = point - lead_zeros
    digits = digits.rstrip("0") or "0"
    exponent = dp - 1
    if exponent < -4 or exponent >= 6:  # shortest 'g' decides with precision 6
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        sign_e = "-" if exponent < 0 else "+"
        return f"{sign}{body}e{sign_e}{abs(exponent):02d}"
    if dp <= 0:
        return f"{sign}0." + "0" * (-dp) + digits
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


class Emitter:
    """go-yaml v2 block-style output of a JSON value, with the position of every string."""

    def __init__(self, record: bool = False) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.record = record
        self.scalars: list[Scalar] = []

    def put(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def string(self, value: str, indent: int, pointer: str, key: bool) -> None:
        style, text = scalar_text(value)
        if style == "literal":
            chomp = "-" if not value.endswith("\n") else ("" if not value.endswith("\n\n") else "+")
            body = value[:-1] if value.endswith("\n") else value
            lines = body.split("\n")
            header = "|" + ("2" if value.startswith(" ") else "") + chomp
            self.put(header)
            start = self.length
            pad = " " * (indent if indent > 0 else 2)
            # go-yaml indents block scalars one level under their key
            for line in lines:
                self.put("\n" + (pad + line if line else ""))
            if self.record:
                self.scalars.append(Scalar(start, self.length, pointer, key, False, True, len(pad)))
            return
        start = self.length
        self.put(text)
        if self.record:
            self.scalars.append(Scalar(start, self.length, pointer, key, style == "plain"))

    def value(self, value: Any, indent: int, pointer: str, in_seq: bool = False) -> None:
        """Write ``value`` after a key or a dash; ``indent`` is the column of its children."""
        if isinstance(value, dict):
            if not value:
                self.put(" {}\n")
                return
            if not in_seq:
                self.put("\n")
            self.mapping(value, indent, pointer, first_inline=in_seq)
        elif isinstance(value, list):
            if not value:
                self.put(" []\n")
                return
            if not in_seq:
                self.put("\n")
            self.sequence(value, indent, pointer, first_inline=in_seq)
        else:
            self.put(" ")
            self.scalar(value, indent, pointer)
            self.put("\n")

    def scalar(self, value: Any, indent: int, pointer: str) -> None:
        if value is None:
            self.put("null")
        elif isinstance(value, bool):
            self.put("true" if value else "false")
        elif isinstance(value, (int, float)):
            self.put(number_text(value))
        elif isinstance(value, str):
            self.string(value, indent, pointer, False)
        else:
            raise TypeError(f"cannot write {type(value).__name__} as YAML")

    def mapping(
        self, value: dict[str, Any], indent: int, pointer: str, first_inline: bool = False
    ) -> None:
        for n, key in enumerate(sorted_keys(value)):
            if not (first_inline and n == 0):
                self.put(" " * indent)
            child = pointer + "/" + key.replace("~", "~0").replace("/", "~1")
            self.string(str(key), indent, child, True)
            self.put(":")
            item = value[key]
            if isinstance(item, list) and item:
                self.value(item, indent, child)  # sequences are not indented under a key
            else:
                self.value(item, indent + 2, child)

    def sequence(
        self, value: list[Any], indent: int, pointer: str, first_inline: bool = False
    ) -> None:
        for n, item in enumerate(value):
            if not (first_inline and n == 0):
                self.put(" " * indent)
            self.put("-")
            child = f"{pointer}/{n}"
            if isinstance(item, (dict, list)) and item:
                self.put(" ")
                if isinstance(item, dict):
                    self.mapping(item, indent + 2, child, first_inline=True)
                else:
                    self.sequence(item, indent + 2, child, first_inline=True)
            else:
                self.value(item, indent + 2, child)

    def document(self, value: Any, pointer: str = "") -> str:
        if isinstance(value, dict) and value:
            self.mapping(value, 0, pointer)
        elif isinstance(value, list) and value:
            self.sequence(value, 0, pointer)
        elif isinstance(value, dict):
            self.put("{}\n")
        elif isinstance(value, list):
            self.put("[]\n")
        else:
            self.scalar(value, 2, pointer)
            self.put("\n")
        return "".join(self.parts)


def emit(value: Any, record: bool = False, pointer: str = "") -> tuple[str, list[Scalar]]:
    emitter = Emitter(record)
    text = emitter.document(value, pointer)
    return text, emitter.scalars


def to_yaml(value: Any) -> str:
    """``sigs.k8s.io/yaml.Marshal``: JSON first (so only JSON values), then go-yaml v2."""
    return emit(to_json_value(value))[0]


def to_json_value(value: Any) -> Any:
    """The value after ``json.Marshal`` + ``json.Unmarshal``: map keys become strings."""
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise ValueError(f"json: unsupported value: {go_format_float(value)}")
    return value
