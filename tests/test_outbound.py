"""The guarded outbound client against real HTTP servers on 127.0.0.1.

Where a test needs an address the policy allows that still reaches a local server (a
"public" site while loopback is refused), the client's network backend routes that one
address to 127.0.0.1: the resolution, the check and the choice of address to connect to
are the client's own, only the last hop of the route is the test's.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpcore
import pytest
import trustme

from skyvern_core.config import Settings
from skyvern_core.netpolicy import BlockedURLError, UnresolvedHostError
from skyvern_core.outbound import (
    OutboundClient,
    OutboundError,
    OutboundTimeoutError,
    ResponseTooLargeError,
)

PUBLIC = "93.184.216.34"  # stands for a site on the internet; routed to a local server
BIG = 50 * 1024 * 1024


@dataclass
class Seen:
    """A request a test server received."""

    path: str
    host: str | None


@dataclass
class Site:
    """A scripted HTTP server on 127.0.0.1 (optionally TLS) that records what it got."""

    routes: dict[str, Callable[[BaseHTTPRequestHandler], None]]
    tls: ssl.SSLContext | None = None
    seen: list[Seen] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    finished: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self) -> None:
                site.seen.append(Seen(self.path, self.headers.get("host")))
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                site.routes.get(self.path, _not_found)(self)

            do_GET = do_POST = handle_any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)  # type: ignore[assignment,misc]
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _not_found(handler: BaseHTTPRequestHandler) -> None:
    _answer(handler, 404, b"no such page")


def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    for name, value in {"content-type": "text/plain", **headers}.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("content-length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def ok(body: bytes = b"hello") -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: _answer(h, 200, body)


def redirect(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: _answer(h, 302, b"", location=location)


def endless(
    site: Site, name: str, *, announce: bool, status: int = 200
) -> Callable[[BaseHTTPRequestHandler], None]:
    """A body of BIG bytes, written as long as the client reads; ``announce`` sends its
    Content-Length, else it is chunked."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("content-type", "application/octet-stream")
        if announce:
            h.send_header("content-length", str(BIG))
        else:
            h.send_header("transfer-encoding", "chunked")
        h.end_headers()
        chunk = b"x" * 65536
        site.sent[name], site.finished[name] = 0, False
        try:
            while site.sent[name] < BIG:
                if announce:
                    h.wfile.write(chunk)
                else:
                    h.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                site.sent[name] += len(chunk)
            if not announce:
                h.wfile.write(b"0\r\n\r\n")
            site.finished[name] = True
        except OSError:
            pass

    return handler


def trickle(*, in_headers: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    """One byte every 0.5 s, for 20 s: of the headers, or of a 40-byte body."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        try:
            if in_headers:
                for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok":
                    h.wfile.write(bytes([byte]))
                    h.wfile.flush()
                    time.sleep(0.5)
                return
            h.send_response(200)
            h.send_header("content-length", "40")
            h.end_headers()
            h.wfile.flush()
            for _ in range(40):
                h.wfile.write(b".")
                h.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass

    return handler


@pytest.fixture
def sites() -> Iterator[Callable[..., Site]]:
    made: list[Site] = []

    def make(routes: dict[str, Any], **kwargs: Any) -> Site:
        site = Site(routes, **kwargs)
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop()


class Routed(httpcore.AsyncNetworkBackend):
    """The network as a test sees it: ``PUBLIC`` leads to one local server; every address
    connected to is recorded."""

    def __init__(self, public_port: int | None = None) -> None:
        self.public_port = public_port
        self.inner = httpcore.AnyIOBackend()
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        if host == PUBLIC and self.public_port is not None:
            host, port = "127.0.0.1", self.public_port
        return await self.inner.connect_tcp(host, port, **kwargs)

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


def answers(*replies: list[str] | Exception) -> tuple[Callable[[str], Any], list[str]]:
    """A resolver answering each lookup with the next reply (the last one repeats), and
    the list of names it was asked."""
    asked: list[str] = []

    async def resolve(host: str) -> list[str]:
        asked.append(host)
        reply = replies[min(len(asked), len(replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return reply

    return resolve, asked


def settings(tmp_path: Path, *, private: bool) -> Settings:
    return Settings(data_dir=tmp_path, refuse_private_networks=private)


# --------------------------------------------------------------------------- the policy


async def test_a_redirect_to_loopback_is_refused_when_loopback_is_refused(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    inside = sites({"/admin": ok(b"internal secrets")})
    outside = sites({"/file.pdf": redirect(inside.url("/admin"))})
    routed = Routed(outside.port)
    resolve, _ = answers([PUBLIC])
    async with OutboundClient(
        settings(tmp_path, private=True), resolver=resolve, network_backend=routed
    ) as client:
        with pytest.raises(BlockedURLError, match=r"points at 127\.0\.0\.1, an address this"):
            await client.request(
                "GET",
                f"http://files.example.org:{outside.port}/file.pdf",
                time_limit=5,
                max_bytes=1000,
                max_redirects=3,
            )
        # Without following, the redirect itself is the answer (webhooks and TOTP).
        answer = await client.request(
            "GET",
            f"http://files.example.org:{outside.port}/file.pdf",
            time_limit=5,
            max_bytes=1000,
        )
    assert answer.status_code == 302 and answer.is_redirect
    assert [s.path for s in outside.seen] == ["/file.pdf", "/file.pdf"]
    assert inside.seen == [], "the refused hop must never be connected to"
    assert all(host == PUBLIC for host, _ in routed.connected)


async def test_redirects_that_stay_allowed_are_followed_a_few_hops(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    site = sites({})
    site.routes.update(
        {
            "/a": redirect("/b"),
            "/b": redirect(site.url("/c", host="files.test")),
            "/c": ok(b"the file"),
            "/loop": redirect("/loop"),
        }
    )
    resolve, asked = answers(["127.0.0.1"])
    async with OutboundClient(settings(tmp_path, private=False), resolver=resolve) as client:
        got = await client.request(
            "GET", site.url("/a"), time_limit=5, max_bytes=100, max_redirects=3
        )
        assert (got.status_code, got.content) == (200, b"the file")
        assert str(got.request.url) == site.url("/c", host="files.test")
        with pytest.raises(OutboundError, match="more than 3 redirects"):
            await client.request(
                "GET", site.url("/loop"), time_limit=5, max_bytes=100, max_redirects=3
            )
    assert asked == ["files.test"]
    assert [s.path for s in site.seen][:3] == ["/a", "/b", "/c"]


async def test_a_name_that_does_not_resolve_fails_closed_and_is_not_remembered(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    site = sites({"/hook": ok()})
    resolve, asked = answers(OSError("Name or service not known"), ["127.0.0.1"])
    routed = Routed()
    async with OutboundClient(
        settings(tmp_path, private=False), resolver=resolve, network_backend=routed
    ) as client:
        url = f"http://hooks.customer.test:{site.port}/hook"
        with pytest.raises(UnresolvedHostError, match=r"hooks\.customer\.test does not resolve"):
            await client.request("POST", url, time_limit=5, max_bytes=100, content=b"{}")
        assert routed.connected == [] and site.seen == []
        # The failure was not cached: the next attempt asks again, and gets through.
        got = await client.request("POST", url, time_limit=5, max_bytes=100, content=b"{}")
    assert got.status_code == 200
    assert asked == ["hooks.customer.test", "hooks.customer.test"]


async def test_the_system_resolver_failing_fails_closed(tmp_path: Path) -> None:
    async with OutboundClient(settings(tmp_path, private=False)) as client:
        with pytest.raises(UnresolvedHostError, match="does not resolve"):
            await client.request("GET", "http://no-such-host.invalid/", time_limit=5, max_bytes=100)


async def test_dns_rebinding_cannot_move_the_connection_off_the_checked_address(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    """The name answers a public address, then loopback: the request goes to the address
    that was checked, and the loopback answer is refused before any connection."""
    public = sites({"/hook": ok(b"public")})
    private = sites({"/hook": ok(b"private")})
    routed = Routed(public.port)
    resolve, asked = answers([PUBLIC], ["127.0.0.1"])
    async with OutboundClient(
        settings(tmp_path, private=True), resolver=resolve, network_backend=routed
    ) as client:
        url = f"http://rebind.attacker.test:{private.port}/hook"
        got = await client.request("POST", url, time_limit=5, max_bytes=100, content=b"{}")
        assert got.content == b"public"
        # A new connection (the pooled one is dropped) resolves again: loopback, refused.
        await client.aclose()
    async with OutboundClient(
        settings(tmp_path, private=True), resolver=resolve, network_backend=routed
    ) as client:
        with pytest.raises(BlockedURLError, match=r"127\.0\.0\.1, an address this deployment"):
            await client.request("POST", url, time_limit=5, max_bytes=100, content=b"{}")
    assert asked == ["rebind.attacker.test", "rebind.attacker.test"]
    assert routed.connected == [(PUBLIC, private.port)]
    assert private.seen == []
    assert [s.host for s in public.seen] == [f"rebind.attacker.test:{private.port}"]


async def test_every_address_of_a_name_is_checked(tmp_path: Path) -> None:
    resolve, _ = answers([PUBLIC, "169.254.169.254"])
    routed = Routed()
    async with OutboundClient(
        settings(tmp_path, private=False), resolver=resolve, network_backend=routed
    ) as client:
        with pytest.raises(BlockedURLError, match=r"169\.254\.169\.254.*link-local"):
            await client.request("GET", "http://mixed.test/", time_limit=5, max_bytes=100)
    assert routed.connected == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/",
    ],
)
async def test_refused_places_are_never_connected_to(url: str, tmp_path: Path) -> None:
    routed = Routed()
    async with OutboundClient(settings(tmp_path, private=False), network_backend=routed) as client:
        with pytest.raises(BlockedURLError):
            await client.request("GET", url, time_limit=5, max_bytes=100)
    assert routed.connected == []


# --------------------------------------------------------------------------- bodies and time


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "chunked"])
async def test_a_body_beyond_the_cap_is_refused_without_reading_it_whole(
    sites: Callable[..., Site], tmp_path: Path, announce: bool
) -> None:
    site = sites({})
    site.routes["/big"] = endless(site, "big", announce=announce)
    async with OutboundClient(settings(tmp_path, private=False)) as client:
        with pytest.raises(ResponseTooLargeError, match="larger than the 64 KiB accepted"):
            await client.request("GET", site.url("/big"), time_limit=10, max_bytes=65536)
        # With truncate, the start is kept and reading stops there.
        got = await client.request(
            "GET", site.url("/big"), time_limit=10, max_bytes=1000, truncate=True
        )
    assert len(got.content) == 1000 and got.extensions["truncated"] is True
    deadline = time.monotonic() + 5
    while "big" not in site.finished and time.monotonic() < deadline:
        await anyio.sleep(0.05)
    await anyio.sleep(0.5)
    assert site.finished["big"] is False, "the server could send the whole body"
    assert site.sent["big"] < BIG // 2


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
async def test_a_trickling_receiver_is_cut_off_at_the_attempts_bound(
    sites: Callable[..., Site], tmp_path: Path, in_headers: bool
) -> None:
    site = sites({"/slow": trickle(in_headers=in_headers)})
    async with OutboundClient(settings(tmp_path, private=False)) as client:
        started = time.monotonic()
        with pytest.raises(OutboundTimeoutError, match=r"within 1 s \(the bound of one attempt"):
            await client.request(
                "POST", site.url("/slow"), time_limit=1.0, max_bytes=1000, content=b"{}"
            )
        elapsed = time.monotonic() - started
    # Each byte comes well within any per-read timeout; only a bound on the whole stops it.
    assert 0.9 < elapsed < 2.0, elapsed


# --------------------------------------------------------------------------- the real name


async def test_the_host_header_keeps_the_real_name(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    site = sites({"/hooks/skyvern?token=abc": ok()})
    resolve, _ = answers(["127.0.0.1"])
    async with OutboundClient(settings(tmp_path, private=False), resolver=resolve) as client:
        got = await client.request(
            "POST",
            f"http://hooks.acme.test:{site.port}/hooks/skyvern?token=abc",
            time_limit=5,
            max_bytes=100,
            content=b"{}",
        )
    assert got.status_code == 200
    assert site.seen[0].host == f"hooks.acme.test:{site.port}"
    assert site.seen[0].path == "/hooks/skyvern?token=abc"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server(ca: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def tls_client(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_tls_uses_the_real_name_for_sni_and_the_certificate(
    sites: Callable[..., Site], tmp_path: Path, ca: trustme.CA
) -> None:
    site = sites(
        {"/code": ok(b'{"verification_code": "123456"}')}, tls=tls_server(ca, "otp.acme.test")
    )
    resolve, _ = answers(["127.0.0.1"])
    async with OutboundClient(
        settings(tmp_path, private=False), resolver=resolve, ssl_context=tls_client(ca)
    ) as client:
        got = await client.request(
            "POST",
            site.url("/code", host="otp.acme.test"),
            time_limit=5,
            max_bytes=100,
            content=b"{}",
        )
    assert got.json() == {"verification_code": "123456"}
    assert site.sni == ["otp.acme.test"]
    assert site.seen[0].host == f"otp.acme.test:{site.port}"


async def test_a_certificate_for_another_name_is_refused(
    sites: Callable[..., Site], tmp_path: Path, ca: trustme.CA
) -> None:
    site = sites({"/code": ok()}, tls=tls_server(ca, "elsewhere.test"))
    resolve, _ = answers(["127.0.0.1"])
    async with OutboundClient(
        settings(tmp_path, private=False), resolver=resolve, ssl_context=tls_client(ca)
    ) as client:
        with pytest.raises(OutboundError, match=r"(?i)certificate"):
            await client.request(
                "GET", site.url("/code", host="otp.acme.test"), time_limit=5, max_bytes=100
            )
    assert site.seen == []


# --------------------------------------------------------------------------- downloads


async def test_a_download_is_named_by_the_server_and_capped(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    site = sites({})
    site.routes.update(
        {
            "/get?id=7": lambda h: _answer(
                h, 200, b"%PDF-1.4 cv", content_disposition='attachment; filename="Ada CV.pdf"'
            ),
            "/docs/letter.txt": ok(b"Dear team"),
            "/short": redirect("/docs/letter.txt"),
        }
    )
    site.routes["/big"] = endless(site, "big", announce=False)
    async with OutboundClient(settings(tmp_path, private=False)) as client:
        first = await client.download(
            site.url("/get?id=7"), tmp_path / "d", time_limit=5, max_bytes=1000
        )
        second = await client.download(
            site.url("/short"), tmp_path / "d", time_limit=5, max_bytes=1000
        )
        with pytest.raises(ResponseTooLargeError):
            await client.download(
                site.url("/big"), tmp_path / "d", time_limit=10, max_bytes=100_000
            )
        with pytest.raises(OutboundError, match="answered HTTP 404"):
            await client.download(site.url("/gone"), tmp_path / "d", time_limit=5, max_bytes=100)
    assert (first.name, first.path.read_bytes(), first.size) == ("Ada CV.pdf", b"%PDF-1.4 cv", 11)
    assert (second.name, second.url) == ("letter.txt", site.url("/docs/letter.txt"))
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["Ada CV.pdf", "letter.txt"]


# --------------------------------------------------------------------------- its users


async def _finished_task(store: Any, url: str) -> Any:
    from skyvern_core import ids
    from skyvern_core.models import Organization, Task, TaskRequest, TaskStatus

    org_id = ids.new_id("organization")
    await store.create_organization(Organization(organization_id=org_id, name=org_id))
    task = Task(
        task_id=ids.new_id("task"),
        organization_id=org_id,
        status=TaskStatus.completed,
        request=TaskRequest(
            url="https://shop.example.com/", navigation_goal="Buy", webhook_callback_url=url
        ),
        max_steps=5,
    )
    await store.create_task(task)
    return task


async def test_a_webhook_receiver_that_trickles_is_cut_off_at_webhook_timeout(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    from skyvern_core.models import DeliveryStatus
    from skyvern_core.testing.memory_store import MemoryStore
    from skyvern_core.webhooks import WebhookNotifier

    site = sites({"/hook": trickle(in_headers=False)})
    store = MemoryStore()
    await store.open()
    task = await _finished_task(store, site.url("/hook"))
    config = Settings(
        data_dir=tmp_path, webhook_secret="s3cret", webhook_timeout=1.0, webhook_max_attempts=1
    )
    notifier = WebhookNotifier(store, config)
    started = time.monotonic()
    await notifier.notify(task)
    elapsed = time.monotonic() - started
    await notifier.aclose()
    (delivery,) = await store.list_deliveries(task.task_id)
    assert delivery.status == DeliveryStatus.failed
    assert "did not answer in full within 1 s" in (delivery.last_error or "")
    assert elapsed < 2.0, elapsed


async def test_a_webhook_error_body_is_read_only_in_part(
    sites: Callable[..., Site], tmp_path: Path
) -> None:
    from skyvern_core.testing.memory_store import MemoryStore
    from skyvern_core.webhooks import WebhookNotifier

    site = sites({})
    site.routes["/hook"] = endless(site, "error", announce=True, status=500)
    store = MemoryStore()
    await store.open()
    task = await _finished_task(store, site.url("/hook"))
    config = Settings(data_dir=tmp_path, webhook_secret="s3cret", webhook_max_attempts=1)
    async with WebhookNotifier(store, config) as notifier:
        await notifier.notify(task)
    (delivery,) = await store.list_deliveries(task.task_id)
    assert (delivery.last_error or "").startswith("HTTP 500 Internal Server Error: xxxx")
    await anyio.sleep(0.5)
    assert site.finished["error"] is False and site.sent["error"] < BIG // 2


async def test_a_totp_url_that_resolves_to_metadata_is_not_asked(tmp_path: Path) -> None:
    from skyvern_core.errors import TOTPError
    from skyvern_core.testing.memory_store import MemoryStore
    from skyvern_core.totp import TotpResolver

    store = MemoryStore()
    await store.open()
    task = await _finished_task(store, "https://hooks.example.com/")
    task = task.model_copy(
        update={
            "request": task.request.model_copy(
                update={"totp_verification_url": "http://[::ffff:169.254.169.254]/code"}
            )
        }
    )
    config = Settings(data_dir=tmp_path, webhook_secret="s3cret", totp_timeout=5)
    started = time.monotonic()
    with pytest.raises(TOTPError, match="totp_verification_url points at"):
        await TotpResolver(store, config).code_for(task)
    assert time.monotonic() - started < 4  # refused at once, not polled until the timeout
