"""The one HTTP client for everything the server itself fetches or posts.

Webhooks, ``totp_verification_url`` requests and the downloads of files to upload go to
URLs that API callers choose. :class:`OutboundClient` sends them so that the
:mod:`URL policy <skyvern_core.netpolicy>` holds for the connection actually made:

- the host name is resolved once per connection and every address is checked; the
  connection goes to a checked address, never to a second lookup's answer (so a name that
  answers a public address and then a private one — DNS rebinding — gains nothing), while
  the ``Host`` header, TLS SNI and the certificate check stay on the real name;
- a name that does not resolve is refused (:class:`~skyvern_core.netpolicy.UnresolvedHostError`);
  failures are never remembered;
- redirects are not followed unless asked, and then each hop is checked again;
- a response body is read as a stream up to a cap: beyond it, the exchange fails naming
  the cap (or, with ``truncate``, stops reading and keeps the start), never reading it whole;
- one deadline bounds each attempt as a whole — connecting, sending, the headers and the
  body — so a receiver that trickles a byte at a time cannot hold it longer;
- proxy environment variables are ignored: a proxy would resolve the name past the check.

``OutboundClient(settings, resolver=...)`` takes the name resolver as a function, so tests
can answer what they like without a DNS server.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote, urljoin, urlsplit

import anyio
import anyio.to_thread
import httpcore
import httpx

from skyvern_core.config import Settings
from skyvern_core.errors import SkyvernError
from skyvern_core.netpolicy import (
    BlockedURLError,
    Resolver,
    check_addresses,
    check_host,
    resolve_host,
)

__all__ = [
    "Download",
    "OutboundClient",
    "OutboundError",
    "OutboundTimeoutError",
    "ResponseTooLargeError",
    "shown_url",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSPORT_ERRORS = (
    httpcore.NetworkError,
    httpcore.TimeoutException,
    httpcore.ProtocolError,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
)
_FIELD: contextvars.ContextVar[str] = contextvars.ContextVar("outbound_field", default="url")
_PHASES = ("connect", "read", "write", "pool")


class OutboundError(SkyvernError):
    """An outbound request failed: no answer, a broken connection, too many redirects."""


class OutboundTimeoutError(OutboundError):
    """An attempt took longer than its bound (connecting, sending and reading together)."""


class ResponseTooLargeError(OutboundError):
    """A response body went beyond the cap of the request (it was not read further)."""


@dataclass(frozen=True, slots=True)
class Download:
    """A file fetched by :meth:`OutboundClient.download`: where it was written, the name
    the server gave it (``Content-Disposition``, else the URL's last part), its size, its
    content type and the URL it finally came from (after redirects)."""

    path: Path
    name: str
    size: int
    content_type: str | None
    url: str


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the URL policy allows.

    httpcore hands over the URL's host name; it is resolved here, once, each address is
    checked, and the connection is made to one of those addresses. httpcore then starts
    TLS with the real name as SNI and checks the certificate against it.
    """

    def __init__(
        self,
        settings: Settings,
        resolver: Resolver | None,
        inner: httpcore.AsyncNetworkBackend | None,
    ) -> None:
        self.settings = settings
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve ``host``, refuse it unless every address is allowed, then connect to
        the first address that answers."""
        field = _FIELD.get()
        addresses = check_host(host, self.settings, field=field)
        if addresses is None:
            addresses = await resolve_host(host, self.resolver)
            check_addresses(host, addresses, self.settings, field=field)
        failures = []
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failures.append(f"{address}: {exc or type(exc).__name__}")
        raise httpcore.ConnectError(
            f"could not connect to {host} port {port} ({'; '.join(failures)})"
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: outbound requests go over TCP only."""
        raise httpcore.ConnectError("outbound requests do not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's pool asks for it between retries)."""
        await anyio.sleep(seconds)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _size_text(count: int) -> str:
    if count >= 1 << 20 and count % (1 << 20) == 0:
        return f"{count >> 20} MiB"
    if count >= 1 << 10 and count % (1 << 10) == 0:
        return f"{count >> 10} KiB"
    return f"{count} bytes"


def shown_url(url: str) -> str:
    """``url`` as errors and logs show it: without its query, fragment and credentials (a
    callback URL may carry a token in them)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


class OutboundClient:
    """Sends the server's own HTTP requests under the URL policy of ``settings``.

    ``resolver`` resolves host names (default: the system's ``getaddrinfo``);
    ``ssl_context`` verifies servers (default: the certifi bundle, as httpx does);
    ``network_backend`` opens the TCP connections to the checked addresses (default:
    anyio's; tests route an address with it). Keep one client for many requests
    (connections are reused) and close it with :meth:`aclose`, or use ``async with``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        user_agent: str = "skyvern-core",
    ) -> None:
        self.settings = settings
        self.user_agent = user_agent
        if ssl_context is None:
            import certifi

            ssl_context = ssl.create_default_context(cafile=certifi.where())
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            network_backend=_CheckedBackend(settings, resolver, network_backend),
            max_connections=32,
            max_keepalive_connections=8,
            keepalive_expiry=5.0,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._pool.aclose()

    # ------------------------------------------------------------------ requests

    async def request(
        self,
        method: str,
        url: str,
        *,
        time_limit: float,
        max_bytes: int,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        truncate: bool = False,
        max_redirects: int = 0,
        field: str = "url",
    ) -> httpx.Response:
        """Send one request and read its answer, all within ``time_limit`` seconds.

        The body is read up to ``max_bytes``: beyond it a :class:`ResponseTooLargeError`
        naming the cap is raised, or with ``truncate`` reading stops and the response keeps
        the first ``max_bytes`` (``response.extensions["truncated"]`` says so). Redirects
        are returned as they are unless ``max_redirects`` > 0 (GET and HEAD only), each hop
        checked again. ``field`` names the URL in errors (``webhook_callback_url``).

        Raises :class:`~skyvern_core.netpolicy.BlockedURLError` when the policy refuses an
        address of a hop (:class:`~skyvern_core.netpolicy.UnresolvedHostError` when a name
        does not resolve), :class:`OutboundTimeoutError` past the time limit and
        :class:`OutboundError` for anything else that went wrong on the way.
        """
        body = _Body(max_bytes, truncate, url)
        async with self._exchange(
            method, url, time_limit, content, headers, max_redirects, field
        ) as (final, response):
            body.check_length(response)
            await self._read(response, body.keep, final)
        reason = response.extensions.get("reason_phrase", b"")
        return httpx.Response(
            response.status,
            headers=response.headers,
            content=b"".join(body.chunks),
            request=httpx.Request(method, final),
            extensions={
                "reason_phrase": reason if isinstance(reason, bytes) else b"",
                "truncated": body.cut,
            },
        )

    async def download(
        self,
        url: str,
        folder: Path,
        *,
        time_limit: float,
        max_bytes: int,
        max_redirects: int = 5,
        field: str = "url",
    ) -> Download:
        """GET ``url`` into a new file in ``folder``, named as the server names it, within
        ``time_limit`` seconds, following at most ``max_redirects`` redirects.

        Fails like :meth:`request` (and with :class:`OutboundError` for an answer other
        than 2xx); a body beyond ``max_bytes`` is a :class:`ResponseTooLargeError` and its
        partial file is removed.
        """
        async with self._exchange("GET", url, time_limit, None, None, max_redirects, field) as (
            final,
            response,
        ):
            if not 200 <= response.status < 300:
                raise OutboundError(f"{shown_url(final)} answered HTTP {response.status}")
            headers = httpx.Headers(response.headers)
            _Body(max_bytes, False, final).check_length(response)
            name = _file_name(headers.get("content-disposition", ""), final)
            target = await anyio.to_thread.run_sync(_unused, folder, name)
            size = 0
            async with await anyio.open_file(target, "xb") as out:

                async def write(chunk: bytes) -> bool:
                    nonlocal size
                    size += len(chunk)
                    if size > max_bytes:
                        raise _too_large(final, max_bytes)
                    await out.write(chunk)
                    return True

                try:
                    await self._read(response, write, final)
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        await out.aclose()
                        await anyio.Path(target).unlink(missing_ok=True)
                    raise
        return Download(target, target.name, size, headers.get("content-type"), final)

    # ------------------------------------------------------------------ internals

    @contextlib.asynccontextmanager
    async def _exchange(
        self,
        method: str,
        url: str,
        time_limit: float,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        max_redirects: int,
        field: str,
    ) -> AsyncIterator[tuple[str, httpcore.Response]]:
        """One attempt under one deadline: the request (and the redirects followed), then
        whatever the caller reads of the final response inside the ``async with``."""
        token = _FIELD.set(field)
        try:
            with anyio.fail_after(time_limit):
                async with contextlib.AsyncExitStack() as stack:
                    yield await self._open(
                        stack,
                        method.upper(),
                        url,
                        time_limit,
                        content,
                        dict(headers or {}),
                        max_redirects,
                        field,
                    )
        except TimeoutError as exc:
            raise OutboundTimeoutError(
                f"{shown_url(url)} did not answer in full within {time_limit:g} s (the bound of "
                "one attempt: connecting, sending and reading together)"
            ) from exc
        finally:
            _FIELD.reset(token)

    async def _open(
        self,
        stack: contextlib.AsyncExitStack,
        method: str,
        url: str,
        time_limit: float,
        content: bytes | None,
        headers: dict[str, str],
        max_redirects: int,
        field: str,
    ) -> tuple[str, httpcore.Response]:
        for _hop in range(max_redirects + 1):
            sent = {"user-agent": self.user_agent, **headers}
            if content is not None:
                sent["content-length"] = str(len(content))
            hop = contextlib.AsyncExitStack()
            try:
                response = await hop.enter_async_context(
                    self._pool.stream(
                        method,
                        _target(url, field),
                        headers=list(sent.items()),
                        content=content,
                        extensions={"timeout": dict.fromkeys(_PHASES, time_limit)},
                    )
                )
            except _TRANSPORT_ERRORS as exc:
                raise OutboundError(f"{shown_url(url)}: {_describe(exc)}") from exc
            location = _header(response.headers, b"location")
            if (
                max_redirects <= 0
                or response.status not in _REDIRECTS
                or location is None
                or method not in ("GET", "HEAD")
            ):
                stack.push_async_exit(hop)
                return url, response
            await hop.aclose()
            next_url = urljoin(url, location)
            if urlsplit(next_url).netloc != urlsplit(url).netloc:
                # Credentials meant for one server are not handed to the next.
                headers = {
                    k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")
                }
            url = next_url
        raise OutboundError(f"{shown_url(url)}: more than {max_redirects} redirects")

    async def _read(
        self,
        response: httpcore.Response,
        sink: Callable[[bytes], Awaitable[bool]],
        url: str,
    ) -> None:
        try:
            async for chunk in response.aiter_stream():
                if not await sink(chunk):
                    return
        except _TRANSPORT_ERRORS as exc:
            raise OutboundError(
                f"reading the answer of {shown_url(url)}: {_describe(exc)}"
            ) from exc


class _Body:
    """Collects a response body up to a cap."""

    def __init__(self, max_bytes: int, truncate: bool, url: str) -> None:
        self.max_bytes = max_bytes
        self.truncate = truncate
        self.url = url
        self.chunks: list[bytes] = []
        self.size = 0
        self.cut = False

    def check_length(self, response: httpcore.Response) -> None:
        """Refuse at once a body whose announced length is beyond the cap."""
        length = _header(response.headers, b"content-length")
        if not self.truncate and length and length.strip().isdigit():
            if int(length) > self.max_bytes:
                raise _too_large(self.url, self.max_bytes)

    async def keep(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once the cap is reached (with ``truncate``)."""
        room = self.max_bytes - self.size
        if len(chunk) <= room:
            self.chunks.append(chunk)
            self.size += len(chunk)
            return True
        if not self.truncate:
            raise _too_large(self.url, self.max_bytes)
        self.chunks.append(chunk[:room])
        self.size, self.cut = self.max_bytes, True
        return False


def _too_large(url: str, max_bytes: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the answer of {shown_url(url)} is larger than the {_size_text(max_bytes)} accepted "
        "(it was not read further)"
    )


def _target(url: str, field: str) -> httpcore.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BlockedURLError(f"{field} is not a valid URL: {exc}", field=field) from exc
    if parsed.scheme not in ("http", "https"):
        raise BlockedURLError(
            f"{field} must be an http or https URL, got {shown_url(url)}", field=field
        )
    if not parsed.host:
        raise BlockedURLError(f"{field} has no host", field=field)
    return httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _file_name(disposition: str, url: str) -> str:
    """A safe file name for a download: ``Content-Disposition``'s, else the URL's."""
    name = ""
    star = re.search(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)", disposition)
    plain = re.search(r'filename\s*=\s*"?([^";]+)"?', disposition)
    if star:
        name = unquote(star.group(1).strip())
    elif plain:
        name = plain.group(1).strip()
    if not name:
        name = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    name = _UNSAFE_NAME.sub("_", name.replace("\\", "/").rpartition("/")[2]).strip(" .")
    return name[:200] or "upload"


def _unused(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        return path
    for n in range(2, 1000):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise OutboundError(f"too many files named {path.name} in one task")
