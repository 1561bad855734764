"""The Kubernetes IP and CIDR libraries: ``ip()``, ``isIP()``, ``ip.isCanonical()`` and the
``net.IP`` methods ``family``, ``isUnspecified``, ``isLoopback``, ``isLinkLocalMulticast``,
``isLinkLocalUnicast``, ``isGlobalUnicast``; ``cidr()``, ``isCIDR()`` and the ``net.CIDR``
methods ``containsIP``, ``containsCIDR``, ``ip``, ``masked``, ``prefixLength``.
``string()`` of either gives its canonical text.

The API server parses with Go's ``net/netip`` and refuses zones (``fe80::1%eth0``) and
IPv4-mapped IPv6 addresses (``::ffff:1.2.3.4``); ``netip`` itself refuses leading zeros in
IPv4 octets. Python's :mod:`ipaddress` agrees with ``netip`` on what an address is once zones
are refused here, and writes IPv6 addresses in the same RFC 5952 form, so it does the parsing.
The address classes (loopback, link-local ...) are Go's definitions, written out below, not
:mod:`ipaddress`'s, which differ (``ipaddress`` calls ``ff12::1`` not link-local).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from celpy import celtypes
from celpy.evaluation import CELEvalError

from flux_lint.check.cel.registry import EXTENSIONS, error, extension, is_string, no_overload

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class _ParseError(Exception):
    """``netip`` (or the API server's checks after it) refused the text."""


@dataclass(frozen=True)
class CelIP:
    """An IP address value (``net.IP``)."""

    CEL_TYPE: ClassVar[str] = "net.IP"
    address: Address

    def __str__(self) -> str:
        return self.address.compressed


@dataclass(frozen=True)
class CelCIDR:
    """A CIDR value (``net.CIDR``): an address, not necessarily masked, and a prefix length."""

    CEL_TYPE: ClassVar[str] = "net.CIDR"
    address: Address
    bits: int

    def __str__(self) -> str:
        return f"{self.address.compressed}/{self.bits}"

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(f"{self.address.compressed}/{self.bits}", strict=False)


def _parse_address(raw: str) -> Address:
    """``netip.ParseAddr`` followed by the API server's checks."""
    if "%" in raw:
        try:
            ipaddress.IPv6Address(raw)
        except ValueError:
            raise _ParseError(
                f'IP Address "{raw}" parse error during conversion from string: '
                f'ParseAddr("{raw}"): unable to parse IP'
            ) from None
        raise _ParseError(f'IP address "{raw}" with zone value is not allowed')
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise _ParseError(
            f'IP Address "{raw}" parse error during conversion from string: '
            f'ParseAddr("{raw}"): unable to parse IP'
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise _ParseError(f'IPv4-mapped IPv6 address "{raw}" is not allowed')
    return address


_BITS = re.compile(r"0|[1-9][0-9]{0,3}")


def _parse_cidr(raw: str) -> CelCIDR:
    """``netip.ParsePrefix`` followed by the API server's checks."""
    prefix = "network address parse error during conversion from string: "
    slash = raw.rfind("/")
    if slash < 0:
        raise _ParseError(f"{prefix}netip.ParsePrefix(\"{raw}\"): no '/'")
    text, bits_text = raw[:slash], raw[slash + 1 :]
    if "%" in text:
        raise _ParseError(
            f'{prefix}netip.ParsePrefix("{raw}"): IPv6 zones cannot be present in a prefix'
        )
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise _ParseError(f'{prefix}netip.ParsePrefix("{raw}"): ParseAddr("{text}")') from None
    if not _BITS.fullmatch(bits_text):
        raise _ParseError(f'{prefix}netip.ParsePrefix("{raw}"): bad bits after slash')
    bits = int(bits_text)
    if bits > address.max_prefixlen:
        raise _ParseError(f'{prefix}netip.ParsePrefix("{raw}"): prefix length out of range')
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise _ParseError(f'IPv4-mapped IPv6 address "{raw}" is not allowed')
    return CelCIDR(address, bits)


@extension("isIP")
def is_ip(text: Any) -> Any:
    if not is_string(text):
        return no_overload("isIP", text)
    try:
        _parse_address(str(text))
    except _ParseError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


@extension("ip.isCanonical")
def is_canonical(text: Any) -> Any:
    """Whether the text is the one way ``netip`` writes the address (``2001:db8::abcd``, not
    ``2001:DB8::ABCD``); an error when it is not an address at all."""
    if not is_string(text):
        return no_overload("ip.isCanonical", text)
    try:
        address = _parse_address(str(text))
    except _ParseError as exc:
        return error(str(exc))
    return celtypes.BoolType(address.compressed == str(text))


@extension("isCIDR")
def is_cidr(text: Any) -> Any:
    if not is_string(text):
        return no_overload("isCIDR", text)
    try:
        _parse_cidr(str(text))
    except _ParseError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


@extension("cidr")
def cidr(text: Any) -> Any:
    if not is_string(text):
        return no_overload("cidr", text)
    try:
        return _parse_cidr(str(text))
    except _ParseError as exc:
        return error(str(exc))


@extension("ip")
def ip(value: Any) -> Any:
    """``ip('10.0.0.1')`` parses an address; ``cidr('10.0.0.0/8').ip()`` is the CIDR's."""
    if isinstance(value, CelCIDR):
        return CelIP(value.address)
    if not is_string(value):
        return no_overload("ip", value)
    try:
        return CelIP(_parse_address(str(value)))
    except _ParseError as exc:
        return error(str(exc))


def _v4(address: Address, first: int, mask_bits: int) -> bool:
    mask = ((1 << mask_bits) - 1) << (32 - mask_bits)
    return int(address) & mask == first


def _v6(address: Address, first: int, mask_bits: int) -> bool:
    mask = ((1 << mask_bits) - 1) << (128 - mask_bits)
    return int(address) & mask == first


def _is_loopback(a: Address) -> bool:
    return _v4(a, 127 << 24, 8) if a.version == 4 else int(a) == 1


def _is_multicast(a: Address) -> bool:
    return _v4(a, 224 << 24, 4) if a.version == 4 else _v6(a, 0xFF << 120, 8)


def _is_link_local_unicast(a: Address) -> bool:
    return _v4(a, (169 << 24) | (254 << 16), 16) if a.version == 4 else _v6(a, 0xFE80 << 112, 10)


def _is_link_local_multicast(a: Address) -> bool:
    if a.version == 4:
        return _v4(a, 224 << 24, 24)
    return (int(a) >> 112) & 0xFF0F == 0xFF02  # Go: ff02::/16, and every scope-2 multicast


def _is_unspecified(a: Address) -> bool:
    return int(a) == 0


def _is_global_unicast(a: Address) -> bool:
    if a.version == 4 and int(a) in (0, 0xFFFFFFFF):
        return False
    return not (
        _is_unspecified(a) or _is_loopback(a) or _is_multicast(a) or _is_link_local_unicast(a)
    )


def _ip_method(name: str, test: Any) -> Any:
    def method(value: Any) -> Any:
        if not isinstance(value, CelIP):
            return no_overload(name, value)
        return celtypes.BoolType(test(value.address))

    return method


for _name, _test in (
    ("isUnspecified", _is_unspecified),
    ("isLoopback", _is_loopback),
    ("isLinkLocalMulticast", _is_link_local_multicast),
    ("isLinkLocalUnicast", _is_link_local_unicast),
    ("isGlobalUnicast", _is_global_unicast),
):
    EXTENSIONS[_name] = _ip_method(_name, _test)


@extension("family")
def family(value: Any) -> Any:
    if not isinstance(value, CelIP):
        return no_overload("family", value)
    return celtypes.IntType(value.address.version)


@extension("containsIP")
def contains_ip(value: Any, other: Any) -> Any:
    """Whether the CIDR holds the address (an ``ip()`` or its text)."""
    if isinstance(value, CelCIDR) and is_string(other):
        other = ip(other)
        if isinstance(other, CELEvalError):
            return other
    if not isinstance(value, CelCIDR) or not isinstance(other, CelIP):
        return no_overload("containsIP", value, other)
    return celtypes.BoolType(
        other.address.version == value.address.version and other.address in value.network
    )


@extension("containsCIDR")
def contains_cidr(value: Any, other: Any) -> Any:
    """Whether the CIDR holds the whole other CIDR (a ``cidr()`` or its text)."""
    if isinstance(value, CelCIDR) and is_string(other):
        other = cidr(other)
        if isinstance(other, CELEvalError):
            return other
    if not isinstance(value, CelCIDR) or not isinstance(other, CelCIDR):
        return no_overload("containsCIDR", value, other)
    if other.address.version != value.address.version or value.bits > other.bits:
        return celtypes.BoolType(False)
    return celtypes.BoolType(other.network.network_address in value.network)


@extension("masked")
def masked(value: Any) -> Any:
    """The CIDR with the bits after the prefix cleared: ``192.168.0.1/24`` → ``192.168.0.0/24``."""
    if not isinstance(value, CelCIDR):
        return no_overload("masked", value)
    return CelCIDR(value.network.network_address, value.bits)


@extension("prefixLength")
def prefix_length(value: Any) -> Any:
    if not isinstance(value, CelCIDR):
        return no_overload("prefixLength", value)
    return celtypes.IntType(value.bits)
