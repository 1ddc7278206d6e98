"""Where tasks, webhooks and TOTP endpoints may point.

An API user must not turn the agent against the host's own network. Link-local addresses
(``169.254.0.0/16``, ``fe80::/10``) — where cloud metadata services live — and the known
metadata host names are always refused. With ``refuse_private_networks``, private
(``10/8``, ``172.16/12``, ``192.168/16``), loopback, unique-local (``fc00::/7``),
shared (``100.64/10``) and unspecified addresses are refused too.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urlsplit

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import UsageError

__all__ = [
    "BlockedURLError",
    "browser_url_patterns",
    "check_url",
    "is_blocked_address",
    "refused_without_lookup",
]

METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"}
)
_ALWAYS = [ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")]
_PRIVATE = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "::1/128",
        "::/128",
        "fc00::/7",
    )
]


_RESOLVED: dict[str, tuple[float, list[str]]] = {}
RESOLVE_TTL = 30.0


async def _resolve(host: str) -> list[str]:
    """The addresses of ``host``, remembered briefly (many tasks point at the same sites)."""
    now = time.monotonic()
    hit = _RESOLVED.get(host)
    if hit is not None and now - hit[0] < RESOLVE_TTL:
        return hit[1]
    try:
        infos = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        addresses: list[str] = []
    else:
        addresses = sorted({str(info[4][0]) for info in infos})
    if len(_RESOLVED) > 4096:
        _RESOLVED.clear()
    _RESOLVED[host] = (now, addresses)
    return addresses


class BlockedURLError(UsageError):
    """A URL points at an address the deployment refuses; ``field`` names the field."""

    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message)
        self.field = field


def is_blocked_address(address: str, *, refuse_private: bool) -> bool:
    """Whether an IP address is refused by the policy."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _ALWAYS):
        return True
    return refuse_private and any(ip in net for net in _PRIVATE)


async def check_url(url: str, settings: Settings, *, field: str = "url") -> None:
    """Raise :class:`BlockedURLError` (naming ``field``) if ``url`` points somewhere refused.

    The host name is resolved, and every address it resolves to is checked; a name that
    does not resolve is let through (the request then fails on its own).
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        raise BlockedURLError(f"{field} has no host", field=field)
    if host in METADATA_HOSTS:
        raise BlockedURLError(f"{field} points at a cloud metadata service ({host})", field=field)
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = await _resolve(host)
    for address in addresses:
        if is_blocked_address(address, refuse_private=settings.refuse_private_networks):
            raise BlockedURLError(
                f"{field} points at {address}, an address this deployment refuses",
                field=field,
            )


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
    refuse_private = settings.refuse_private_networks
    if refuse_private and (host == "localhost" or host.endswith(".localhost")):
        return f"{host} is this host, which this deployment refuses"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if is_blocked_address(str(address), refuse_private=refuse_private):
        return f"{address} is an address this deployment refuses"
    return None


def browser_url_patterns(settings: Settings) -> list[str]:
    """URL patterns (CDP ``Fetch`` wildcards) that take in every URL
    :func:`refused_without_lookup` refuses, and a few more that it then lets through.

    The browser pauses only the requests that match, so the rest of a page loads as it
    would without the check.
    """
    patterns = ["*://169.254.*", "*://[*"]  # link-local IPv4; every IPv6 literal
    for host in sorted(METADATA_HOSTS):
        patterns += [f"*://{host}/*", f"*://{host}:*", f"*://{host}.*"]
    if settings.refuse_private_networks:
        for prefix in ("10.", "127.", "192.168.", "172.", "100.", "0.", "localhost"):
            patterns.append(f"*://{prefix}*")
        patterns.append("*.localhost*")
    return patterns
