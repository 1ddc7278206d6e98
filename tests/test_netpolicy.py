"""The URL policy's table: which addresses are refused, always or as private, the IPv4
addresses IPv6 forms carry, and names that do not resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyvern_core.config import Settings
from skyvern_core.netpolicy import (
    BlockedURLError,
    Resolver,
    UnresolvedHostError,
    blocked_reason,
    check_url,
    refuse_private,
)

# Refused whatever the deployment allows: (address, what the reason says).
ALWAYS = [
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fd00:ec2::254", "cloud metadata"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.10", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.99", "documentation"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("100::1", "discard-only"),
    # The metadata address inside IPv6 forms.
    ("::ffff:169.254.169.254", "link-local"),  # IPv4-mapped
    ("::169.254.169.254", "link-local"),  # IPv4-compatible
    ("::ffff:0:169.254.169.254", "link-local"),  # IPv4-translated
    ("64:ff9b::169.254.169.254", "link-local"),  # NAT64, well-known prefix
    ("64:ff9b:1::a9fe:a9fe", "link-local"),  # NAT64, local-use prefix as a /96
    ("64:ff9b:1:a9fe:a9:fe00::", "link-local"),  # NAT64, local-use prefix as a /48
    ("2002:a9fe:a9fe::1", "link-local"),  # 6to4
    ("2001:0:4136:e378:8000:63bf:5601:5601", "link-local"),  # Teredo, client 169.254.169.254
    ("2001:0:a9fe:a9fe::1", "link-local"),  # Teredo, server 169.254.169.254
    ("::ffff:224.0.0.1", "multicast"),
]

# Refused where private networks are: (address, what the reason says).
PRIVATE = [
    ("10.1.2.3", "private network"),
    ("172.16.0.1", "private network"),
    ("172.31.255.254", "private network"),
    ("192.168.1.1", "private network"),
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("100.64.0.1", "shared"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.1", "benchmarking"),
    ("192.0.0.8", "IETF protocol"),
    ("0.0.0.0", "this network"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fd12:3456::1", "unique-local"),
    ("fc00::1", "unique-local"),
    ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::127.0.0.1", "loopback"),
    ("64:ff9b::10.0.0.1", "private network"),
    ("64:ff9b::7f00:1", "loopback"),
    ("2002:7f00:1::", "loopback"),
    ("2002:c0a8:101::1", "private network"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
]

PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "198.20.0.1",
    "223.255.255.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:93.184.216.34",
    "64:ff9b::93.184.216.34",
    "2002:5db8:d822::1",
    "2001:0:4136:e378:8000:63bf:a247:27dd",  # Teredo, client 93.184.216.34
]


@pytest.mark.parametrize(("address", "why"), ALWAYS)
@pytest.mark.parametrize("private", [False, True])
def test_always_refused(address: str, why: str, private: bool) -> None:
    reason = blocked_reason(address, refuse_private=private)
    assert reason is not None and why in reason, (address, reason)


@pytest.mark.parametrize(("address", "why"), PRIVATE)
def test_refused_as_private(address: str, why: str) -> None:
    reason = blocked_reason(address, refuse_private=True)
    assert reason is not None and why in reason, (address, reason)
    assert blocked_reason(address, refuse_private=False) is None


@pytest.mark.parametrize("address", PUBLIC)
@pytest.mark.parametrize("private", [False, True])
def test_public_addresses_pass(address: str, private: bool) -> None:
    assert blocked_reason(address, refuse_private=private) is None


def resolver(*addresses: str, fail: bool = False) -> Resolver:
    async def resolve(host: str) -> list[str]:
        if fail:
            raise OSError(f"{host}: Name or service not known")
        return list(addresses)

    return resolve


async def test_check_url_judges_every_address_a_name_resolves_to(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, refuse_private_networks=True)
    await check_url("https://shop.acme.com/", settings, resolver=resolver("93.184.216.34"))
    with pytest.raises(BlockedURLError, match=r"10\.0\.0\.5, an address this deployment"):
        await check_url(
            "https://shop.acme.com/", settings, resolver=resolver("93.184.216.34", "10.0.0.5")
        )
    with pytest.raises(BlockedURLError, match="refuse_private_networks"):
        await check_url("https://shop.acme.com/", settings, resolver=resolver("::1"))


@pytest.mark.parametrize("host", ["shop.acme.com", "rebind.attacker.net", "a.b.c.io"])
async def test_a_name_that_does_not_resolve_is_refused(host: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(UnresolvedHostError, match=f"{host} does not resolve") as caught:
        await check_url(f"https://{host}/x", settings, field="url", resolver=resolver(fail=True))
    assert caught.value.field == "url"
    with pytest.raises(UnresolvedHostError):
        await check_url(f"https://{host}/x", settings, resolver=resolver())  # no address


@pytest.mark.parametrize(
    "host", ["shop.example.test", "a.example", "x.invalid", "example.com", "hooks.example.org"]
)
async def test_reserved_names_that_do_not_resolve_pass(host: str, tmp_path: Path) -> None:
    """Names kept for documentation and tests (RFC 2606, 6761) cannot be pointed anywhere
    by anyone outside, so not resolving says nothing against them."""
    await check_url(f"https://{host}/", Settings(data_dir=tmp_path), resolver=resolver(fail=True))


async def test_names_refused_without_a_lookup(tmp_path: Path) -> None:
    hosted = Settings(data_dir=tmp_path, refuse_private_networks=True)
    embedded = Settings(data_dir=tmp_path)
    failing = resolver(fail=True)
    for url in ("http://metadata.google.internal/", "http://169.254.169.254/"):
        for settings in (hosted, embedded):
            with pytest.raises(BlockedURLError):
                await check_url(url, settings, resolver=failing)
    with pytest.raises(BlockedURLError, match="localhost"):
        await check_url("http://localhost:8000/", hosted, resolver=failing)
    await check_url("http://127.0.0.1:8000/", embedded, resolver=failing)


def test_unset_means_allowed_for_the_embedded_api_and_refused_when_hosted(
    tmp_path: Path,
) -> None:
    from skyvern_core.server import hosted_settings

    embedded = Settings(data_dir=tmp_path)
    assert embedded.refuse_private_networks is None and not refuse_private(embedded)
    assert embedded.upload_dirs is None
    hosted = hosted_settings(embedded)
    assert refuse_private(hosted) and hosted.upload_dirs == []
    # An explicit value wins under serve and worker too.
    allowed = hosted_settings(
        Settings(data_dir=tmp_path, refuse_private_networks=False, upload_dirs=[tmp_path])
    )
    assert allowed.refuse_private_networks is False and allowed.upload_dirs == [tmp_path]
    assert allowed.data_dir == tmp_path
