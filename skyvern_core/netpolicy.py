"""Where tasks, webhooks, TOTP endpoints and upload URLs may point.

An API user must not turn the agent against the host's own network. Always refused:
link-local addresses (``169.254.0.0/16``, ``fe80::/10``), where cloud metadata services
live, and the known metadata host names; multicast, broadcast and reserved addresses
(``224.0.0.0/4``, ``240.0.0.0/4``, ``ff00::/8``) and the documentation ranges, which no
real server has. With ``refuse_private_networks``, private (``10/8``, ``172.16/12``,
``192.168/16``), loopback, shared (``100.64/10``), benchmarking (``198.18/15``), IETF
protocol (``192.0.0/24``), "this network" (``0/8``), unique-local (``fc00::/7``),
site-local (``fec0::/10``) and unspecified addresses are refused too.

An IPv6 address that carries an IPv4 address — IPv4-mapped (``::ffff:a.b.c.d``),
IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::/96``, ``64:ff9b:1::/48``), 6to4
(``2002::/16``) or Teredo (``2001::/32``) — is judged by the IPv4 address it carries as
well as by itself: ``64:ff9b::a9fe:a9fe`` is the metadata address.

A host name is judged by every address it resolves to; a name that does not resolve is
refused (the check cannot vouch for it), except the names reserved for documentation and
tests (RFC 2606 and 6761: ``*.test``, ``*.example``, ``*.invalid``, ``example.com``,
``example.net``, ``example.org``), which nobody outside can point anywhere.
:func:`check_url` only validates a URL; what the server fetches itself goes through
:class:`skyvern_core.outbound.OutboundClient`, which connects to the very address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import UsageError

__all__ = [
    "BlockedURLError",
    "Resolver",
    "UnresolvedHostError",
    "blocked_reason",
    "browser_url_patterns",
    "check_host",
    "check_url",
    "embedded_ipv4",
    "is_blocked_address",
    "refuse_private",
    "refused_without_lookup",
    "resolve_host",
]

Resolver = Callable[[str], Awaitable[list[str]]]
"""Resolves a host name to its addresses (text); raises :class:`OSError` when it cannot."""

METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"}
)

_Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def _nets(*pairs: tuple[str, str]) -> list[tuple[_Net, str]]:
    return [(ipaddress.ip_network(net), why) for net, why in pairs]


_ALWAYS = _nets(
    ("169.254.0.0/16", "a link-local address (cloud metadata lives there)"),
    ("fe80::/10", "a link-local address"),
    ("fd00:ec2::254/128", "a cloud metadata address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),  # 255.255.255.255, the broadcast, is in it
    ("192.0.2.0/24", "a documentation address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("192.88.99.0/24", "a retired 6to4 relay address"),
    ("ff00::/8", "a multicast address"),
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("100::/64", "a discard-only address"),
)
_PRIVATE = _nets(
    ("10.0.0.0/8", "a private network address"),
    ("172.16.0.0/12", "a private network address"),
    ("192.168.0.0/16", "a private network address"),
    ("127.0.0.0/8", "a loopback address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("198.18.0.0/15", "a benchmarking network address"),
    ("192.0.0.0/24", "an IETF protocol address"),
    ("0.0.0.0/8", 'a "this network" address'),
    ("::1/128", "a loopback address"),
    ("::/128", "the unspecified address"),
    ("fc00::/7", "a unique-local address"),
    ("fec0::/10", "a site-local address"),
)

_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")

# Names nobody outside can make resolve anywhere (RFC 2606, RFC 6761).
_RESERVED_SUFFIXES = (".test", ".example", ".invalid")
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")


class BlockedURLError(UsageError):
    """A URL points at an address the deployment refuses; ``field`` names the field."""

    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message)
        self.field = field


class UnresolvedHostError(BlockedURLError):
    """A URL's host name did not resolve, so nothing vouches for where it leads.

    Refused like any blocked URL; a caller that retries later (a webhook) may treat it as
    passing."""


def refuse_private(settings: Settings) -> bool:
    """Whether private networks and loopback are refused under ``settings``.

    ``refuse_private_networks=None`` means allowed here: ``skyvern-core serve`` and
    ``skyvern-core worker`` turn an unset value into ``True`` before they build anything.
    """
    return bool(settings.refuse_private_networks)


def _bits(ip: ipaddress.IPv6Address, start: int, count: int) -> int:
    return (int(ip) >> (128 - start - count)) & ((1 << count) - 1)


def _nat64_local(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    # RFC 6052 places the IPv4 address by prefix length, skipping bits 64-71; the local-use
    # prefix may be any of /48, /56, /64 or /96 inside 64:ff9b:1::/48, so try each.
    found = []
    for start in (48, 56):
        before = 64 - start
        after = 32 - before
        value = (_bits(ip, start, before) << after) | _bits(ip, 72, after)
        found.append(ipaddress.IPv4Address(value))
    found.append(ipaddress.IPv4Address(_bits(ip, 72, 32)))
    found.append(ipaddress.IPv4Address(_bits(ip, 96, 32)))
    return found


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4,
    Teredo server and client), or none."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _TRANSLATED:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _COMPATIBLE and int(ip) > 1:  # not :: or ::1, which are themselves
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in _NAT64_LOCAL:
        found += _nat64_local(ip)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found += list(ip.teredo)
    return found


def _judge(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, private: bool) -> str | None:
    for net, why in _ALWAYS:
        if ip.version == net.version and ip in net:
            return why
    if private:
        for net, why in _PRIVATE:
            if ip.version == net.version and ip in net:
                return why
    return None


def blocked_reason(address: str, *, refuse_private: bool) -> str | None:
    """Why the policy refuses an IP address (``"a loopback address"``...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone (fe80::1%eth0) aside
    why = _judge(ip, refuse_private)
    if why is not None or not isinstance(ip, ipaddress.IPv6Address):
        return why
    inners = embedded_ipv4(ip)
    # What is always refused first, so that the reason names the worst of the readings.
    for private in dict.fromkeys((False, refuse_private)):
        for inner in inners:
            why = _judge(inner, private)
            if why is not None:
                return f"{why} ({inner}) inside an IPv6 address"
    return None


def is_blocked_address(address: str, *, refuse_private: bool) -> bool:
    """Whether an IP address is refused by the policy."""
    return blocked_reason(address, refuse_private=refuse_private) is not None


async def _getaddrinfo(host: str) -> list[str]:
    infos = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


_RESOLVED: dict[str, tuple[float, list[str]]] = {}
RESOLVE_TTL = 30.0


async def resolve_host(host: str, resolver: Resolver | None = None) -> list[str]:
    """The addresses of ``host``, in the resolver's order without repeats; an empty list
    when it does not resolve. Nothing is remembered: the caller checks what it connects to.
    """
    try:
        addresses = await (resolver or _getaddrinfo)(host)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(addresses))


def _is_reserved_name(host: str) -> bool:
    return host.endswith(_RESERVED_SUFFIXES) or any(
        host == d or host.endswith("." + d) for d in _RESERVED_DOMAINS
    )


def check_host(host: str, settings: Settings, *, field: str = "url") -> list[str] | None:
    """Judge ``host`` without a lookup: raise :class:`BlockedURLError` for a metadata name,
    ``localhost`` (when private networks are refused) or a refused address; return the
    address when ``host`` is one, None when it is a name to resolve."""
    host = host.rstrip(".").lower()
    if not host:
        raise BlockedURLError(f"{field} has no host", field=field)
    if host in METADATA_HOSTS:
        raise BlockedURLError(f"{field} points at a cloud metadata service ({host})", field=field)
    private = refuse_private(settings)
    if private and (host == "localhost" or host.endswith(".localhost")):
        raise BlockedURLError(
            f"{field} points at {host}, an address this deployment refuses (this host; "
            "refuse_private_networks)",
            field=field,
        )
    try:
        address = str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None
    _refuse_address(address, private, field)
    return [address]


def _refuse_address(address: str, private: bool, field: str) -> None:
    why = blocked_reason(address, refuse_private=private)
    if why is None:
        return
    if blocked_reason(address, refuse_private=False) is None:  # refused as private only
        why += "; refuse_private_networks"
    raise BlockedURLError(
        f"{field} points at {address}, an address this deployment refuses ({why})", field=field
    )


def check_addresses(host: str, addresses: list[str], settings: Settings, *, field: str) -> None:
    """Raise :class:`BlockedURLError` unless ``host`` resolved and every address is allowed."""
    if not addresses:
        raise UnresolvedHostError(
            f"{field} host {host} does not resolve, so it cannot be checked", field=field
        )
    private = refuse_private(settings)
    for address in addresses:
        _refuse_address(address, private, field)


async def check_url(
    url: str, settings: Settings, *, field: str = "url", resolver: Resolver | None = None
) -> None:
    """Raise :class:`BlockedURLError` (naming ``field``) if ``url`` points somewhere refused.

    The host name is resolved (``resolver``, default the system's), and every address it
    resolves to is checked. A name that does not resolve is refused
    (:class:`UnresolvedHostError`), except the reserved names of documentation and tests.
    Answers that resolved are remembered for 30 s (many tasks point at the same sites);
    failures never are. This only validates: it cannot stop the name resolving elsewhere
    later, so what the server fetches goes through
    :class:`~skyvern_core.outbound.OutboundClient` instead.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if check_host(host, settings, field=field) is not None:
        return
    now = time.monotonic()
    hit = _RESOLVED.get(host) if resolver is None else None
    if hit is not None and now - hit[0] < RESOLVE_TTL:
        addresses = hit[1]
    else:
        addresses = await resolve_host(host, resolver)
        if addresses and resolver is None:
            if len(_RESOLVED) > 4096:
                _RESOLVED.clear()
            _RESOLVED[host] = (now, addresses)
    if not addresses and _is_reserved_name(host):
        return
    check_addresses(host, addresses, settings, field=field)


def refused_without_lookup(url: str, settings: Settings) -> str | None:
    """Why ``url`` is refused, judged from the URL alone (no DNS lookup), or None.

    For the browser's own requests (subresources, frames, redirects), which cannot wait
    for a lookup: an address written in the URL, a metadata host name, and ``localhost``
    when private networks are refused.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return None
    if host in METADATA_HOSTS:
        return f"{host} is a cloud metadata service"
    private = refuse_private(settings)
    if private and (host == "localhost" or host.endswith(".localhost")):
        return f"{host} is this host, which this deployment refuses"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    why = blocked_reason(str(address), refuse_private=private)
    if why is not None:
        return f"{address} is {why}, which this deployment refuses"
    return None


def browser_url_patterns(settings: Settings) -> list[str]:
    """URL patterns (CDP ``Fetch`` wildcards) that take in every URL
    :func:`refused_without_lookup` refuses, and a few more that it then lets through.

    The browser pauses only the requests that match, so the rest of a page loads as it
    would without the check.
    """
    patterns = ["*://169.254.*", "*://[*"]  # link-local IPv4; every IPv6 literal
    # Multicast, reserved and broadcast: every first octet from 224 up.
    patterns += [f"*://{octet}.*" for octet in range(224, 256)]
    patterns += ["*://192.0.2.*", "*://198.51.100.*", "*://203.0.113.*", "*://192.88.99.*"]
    for host in sorted(METADATA_HOSTS):
        patterns += [f"*://{host}/*", f"*://{host}:*", f"*://{host}.*"]
    if refuse_private(settings):
        for prefix in ("10.", "127.", "192.168.", "172.", "100.", "0.", "198.1", "192.0.0."):
            patterns.append(f"*://{prefix}*")
        patterns += ["*://localhost*", "*.localhost*"]
    return patterns
