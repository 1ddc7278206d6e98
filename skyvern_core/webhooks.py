"""Webhooks: Slack-style signing, the receiver's check, and reliable delivery.

A finished task with a ``webhook_callback_url`` is POSTed there as JSON (see
:func:`build_payload`), signed exactly the way Slack signs its requests:

* ``x-skyvern-timestamp``: Unix seconds when this attempt was signed;
* ``x-skyvern-signature``: ``v0=`` + hex HMAC-SHA256(secret, ``v0:{timestamp}:{raw body}``).

A receiver checks a request with :func:`verify` (it also rejects a timestamp more than five
minutes away, so a captured request cannot be replayed later)::

    from skyvern_core.webhooks import verify, WebhookVerificationError

    try:
        verify(secret, request.headers, await request.body())
    except WebhookVerificationError:
        return Response(status_code=401)

Sending is done by :class:`WebhookNotifier` (the ``webhook`` notifier plugin). Each
notification is a delivery record in the store — an outbox: the store writes it in the same
transaction that gives the task its final status, so a crash between the two cannot lose a
webhook. Every attempt builds the body from the task as the store holds it then (so it always
carries the stored status) and is signed afresh and recorded. Network errors, 429 and 5xx
answers are retried with exponential backoff and jitter, other answers end the delivery.
Retries are made by a background loop that reads due deliveries from the store, so a
delivery still pending when the process stops is sent by the next process that runs the
loop; the same loop also sweeps for finished tasks that have no delivery at all (ended by
code that bypassed the outbox) and delivers them.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import heapq
import hmac
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, Self

import anyio
import anyio.abc

from skyvern_core.config import Settings
from skyvern_core.errors import NotFoundError, WebhookVerificationError
from skyvern_core.models import DeliveryStatus, Task, WebhookDelivery, utcnow
from skyvern_core.netpolicy import BlockedURLError, UnresolvedHostError
from skyvern_core.outbound import OutboundClient, OutboundError, shown_url
from skyvern_core.storage import DeliveryStore, OrganizationStore, TaskStore

__all__ = [
    "DEFAULT_TOLERANCE",
    "NO_SECRET_ERROR",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SecretLookup",
    "WebhookNotifier",
    "WebhookStore",
    "WebhookVerificationError",
    "backoff_delay",
    "build_payload",
    "sign",
    "signed_headers",
    "signing_secret",
    "verify",
]

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "x-skyvern-timestamp"
SIGNATURE_HEADER = "x-skyvern-signature"
DEFAULT_TOLERANCE = 300
"""Seconds a signed request stays acceptable (either way), as Slack recommends."""

NO_SECRET_ERROR = "no webhook signing secret configured"
"""The ``last_error`` of a delivery refused because nothing could sign it."""

MAX_RETRY_DELAY = 3600.0  # a Retry-After or a long backoff never parks a delivery for longer
LEASE_GRACE = 30.0  # beyond the request timeout, before another sender may take a delivery
MAX_PARALLEL_SENDS = 8
SWEEP_INTERVAL = 30.0  # seconds between looks for finished tasks without a delivery
_ERROR_BODY_CHARS = 200
_ERROR_BODY_BYTES = 4096  # of an answer, read at most: only its start is kept, for errors

SecretLookup = Callable[[str], Awaitable[str | None]]
"""``await lookup(organization_id)`` → that organization's signing secret, or None."""


# --------------------------------------------------------------------------- signing


def _bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Return the signature of ``body`` sent at ``timestamp``: Slack's ``v0`` scheme.

    ``"v0=" + hex(HMAC-SHA256(secret, f"v0:{timestamp}:" + body))``; ``body`` is the raw
    request body (a ``str`` is taken as UTF-8).
    """
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + _bytes(body)
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: bytes | str, *, timestamp: int | None = None
) -> dict[str, str]:
    """Return the headers of a signed JSON request: content type, timestamp and signature.

    ``timestamp`` defaults to now (Unix seconds).
    """
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "content-type": "application/json",
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(secret, stamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        # A plain dict keeps the sender's spelling; HTTP header names ignore case.
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def verify(
    secret: str,
    headers: Mapping[str, str] | tuple[str | int, str],
    body: bytes | str,
    *,
    now: float | datetime | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> None:
    """Check that a webhook request was signed with ``secret`` recently; raise if not.

    ``headers`` is the request's headers (any mapping; names are matched ignoring case) or
    a ``(timestamp, signature)`` pair; ``body`` is the raw body exactly as received.
    Raises :class:`~skyvern_core.errors.WebhookVerificationError` when a header is missing,
    the signature does not match, or the timestamp is more than ``tolerance`` seconds
    (default five minutes) before or after ``now`` (default: the current time). The
    signature is compared in constant time. Returns None when the request is authentic.
    """
    if not secret:
        raise ValueError("verify() needs the webhook signing secret")
    if isinstance(headers, tuple):
        raw_stamp: str | int | None = headers[0]
        signature: str | None = headers[1]
    else:
        raw_stamp = _header(headers, TIMESTAMP_HEADER)
        signature = _header(headers, SIGNATURE_HEADER)
    if raw_stamp is None or str(raw_stamp).strip() == "":
        raise WebhookVerificationError(f"missing {TIMESTAMP_HEADER} header")
    if not signature or not signature.strip():
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")
    stamp_text = str(raw_stamp).strip()
    try:
        stamp = int(stamp_text)
    except ValueError:
        raise WebhookVerificationError(
            f"{TIMESTAMP_HEADER} is not a Unix time in seconds: {stamp_text[:40]!r}"
        ) from None
    if now is None:
        current = time.time()
    elif isinstance(now, datetime):
        current = now.timestamp()
    else:
        current = float(now)
    age = current - stamp
    if age > tolerance:
        raise WebhookVerificationError(
            f"stale request: signed {age:.0f} s ago, more than {tolerance:g} s "
            "(a replay, or a clock far off)"
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            f"{TIMESTAMP_HEADER} is {-age:.0f} s in the future, more than {tolerance:g} s "
            "(check the clocks)"
        )
    expected = sign(secret, stamp_text, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise WebhookVerificationError(
            f"{SIGNATURE_HEADER} does not match the body (wrong secret, or the body changed)"
        )


# --------------------------------------------------------------------------- payload

_PAYLOAD_FIELDS = (
    "task_id",
    "status",
    "extracted_information",
    "failure_reason",
    "screenshot_url",
    "recording_url",
    "action_screenshot_urls",
    "created_at",
    "modified_at",
)


def build_payload(task: Task) -> dict[str, Any]:
    """Return the webhook body of a finished task, as JSON-ready data.

    Keys: ``task_id``, ``status``, ``extracted_information``, ``failure_reason``,
    ``screenshot_url``, ``recording_url``, ``action_screenshot_urls``, ``created_at`` and
    ``modified_at`` (ISO 8601). The artifact URLs are taken from ``task`` as given: pass a
    task read through the agent, which fills them.
    """
    data = task.model_dump(mode="json", include=set(_PAYLOAD_FIELDS))
    return {name: data.get(name) for name in _PAYLOAD_FIELDS}


# --------------------------------------------------------------------------- delivery


class WebhookStore(TaskStore, DeliveryStore, OrganizationStore, Protocol):
    """The parts of a store the webhook notifier uses: deliveries, the tasks they carry,
    and the organizations whose secrets sign them."""


async def signing_secret(
    store: OrganizationStore,
    settings: Settings,
    organization_id: str,
    secret_for_org: SecretLookup | None = None,
) -> str | None:
    """Return the secret that signs an organization's webhooks (and TOTP requests).

    The organization's own secret (from ``secret_for_org`` if given, else its
    ``webhook_signing_secret`` in the store) comes first; ``Settings.webhook_secret`` (the
    embedded user's) is the fallback. None when neither is set.
    """
    secret: str | None = None
    if secret_for_org is not None:
        secret = await secret_for_org(organization_id)
    else:
        with contextlib.suppress(NotFoundError):
            secret = (await store.get_organization(organization_id)).webhook_signing_secret
    return secret or settings.webhook_secret or None


def backoff_delay(attempt: int, base: float, *, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first).

    ``base * 2**(attempt - 1)``, capped at an hour, with "equal jitter" (between half and
    all of it) so receivers coming back up are not hit by every sender at once. A
    ``Retry-After`` from the receiver is honoured when it asks for longer.
    """
    delay = min(MAX_RETRY_DELAY, base * 2 ** (attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_DELAY))
    return delay


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def _transport_error(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class WebhookNotifier:
    """Sends signed webhooks for finished tasks, retrying until delivered (the ``webhook``
    notifier).

    ``secret_for_org`` looks up an organization's signing secret (default: its
    ``webhook_signing_secret`` in the store); ``Settings.webhook_secret`` is the fallback.
    With no secret at all a delivery is not sent: it is recorded as failed with
    :data:`NO_SECRET_ERROR`. ``http`` is the :class:`~skyvern_core.outbound.OutboundClient`
    to send with (by default one is made, and closed by :meth:`aclose`); it applies the URL
    policy to each connection, follows no redirect and bounds each attempt as a whole by
    ``webhook_timeout``.

    :meth:`notify` records the delivery and makes the first attempt at once; later attempts
    are made by :meth:`serve` (or :meth:`run_pending`), which must run somewhere for
    retries to happen: run ``serve()`` in a long-lived task group, or call :meth:`start`
    and :meth:`aclose` (``async with notifier:``). ``describe`` fills a task's artifact URLs
    before its body is built (the :class:`~skyvern_core.Agent` sets it to its own).
    """

    def __init__(
        self,
        store: WebhookStore,
        settings: Settings,
        secret_for_org: SecretLookup | None = None,
        *,
        http: OutboundClient | None = None,
        describe: Callable[[Task], Awaitable[Task]] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.secret_for_org = secret_for_org
        self.describe = describe
        self._http = http
        self._owns_http = http is None
        self._wake = anyio.Event()
        self._retries: list[datetime] = []  # when this process's own retries fall due (heap)
        self._stack: contextlib.AsyncExitStack | None = None
        self._group: anyio.abc.TaskGroup | None = None
        self._limiter = anyio.CapacityLimiter(MAX_PARALLEL_SENDS)

    # ------------------------------------------------------------------ notifier protocol

    async def notify(self, task: Task) -> None:
        """Record the webhook of a finished task and try to send it now.

        Does nothing without a ``webhook_callback_url``. A second notification of the same
        task sends nothing more. A failed first attempt is left to the retry loop, so this
        returns after one attempt at most (bounded by ``webhook_timeout``).
        """
        delivery = await self.enqueue(task)
        if delivery is not None and delivery.status is DeliveryStatus.pending:
            await self.send(delivery.delivery_id)

    async def enqueue(self, task: Task) -> WebhookDelivery | None:
        """Record the webhook of a finished task without sending it (the loop will).

        Returns the task's delivery (the existing one if it was recorded before), or None
        when the task has no ``webhook_callback_url`` or is not finished.
        """
        url = task.request.webhook_callback_url
        if not url:
            return None
        if not task.status.is_final:
            log.warning(
                "not sending the webhook of task %s: it is %s, not finished",
                task.task_id,
                task.status.value,
            )
            return None
        now = utcnow()
        return await self.store.create_delivery(WebhookDelivery.first_for(task, url, now))

    async def _body(self, delivery: WebhookDelivery) -> bytes:
        """The body of an attempt: the task as the store holds it now, with its links."""
        try:
            task = await self.store.get_task(delivery.task_id, delivery.organization_id)
        except NotFoundError:
            if not delivery.payload:
                raise
            return delivery.payload.encode("utf-8")
        if self.describe is not None:
            try:
                task = await self.describe(task)
            except Exception:
                log.warning("no artifact URLs for the webhook of %s", task.task_id, exc_info=True)
        return json.dumps(build_payload(task), separators=(",", ":")).encode("utf-8")

    # ------------------------------------------------------------------ sending

    async def send(self, delivery_id: str) -> WebhookDelivery | None:
        """Make one attempt of a due pending delivery; return it as recorded afterwards.

        Returns None when the delivery is not due or another sender has it (it is claimed
        first, so two senders never send the same attempt).
        """
        now = utcnow()
        lease = timedelta(seconds=self.settings.webhook_timeout + LEASE_GRACE)
        delivery = await self.store.claim_delivery(delivery_id, now=now, until=now + lease)
        if delivery is None:
            return None
        return await self._attempt(delivery)

    def _client(self) -> OutboundClient:
        if self._http is None:
            self._http = OutboundClient(self.settings)
        return self._http

    async def _attempt(self, delivery: WebhookDelivery) -> WebhookDelivery:
        number = delivery.attempts + 1
        at = utcnow()
        secret = await signing_secret(
            self.store, self.settings, delivery.organization_id, self.secret_for_org
        )
        if secret is None:
            log.warning(
                "webhook %s of task %s not sent: %s",
                delivery.delivery_id,
                delivery.task_id,
                NO_SECRET_ERROR,
            )
            return await self.store.record_attempt(
                delivery.delivery_id,
                at=at,
                http_status=None,
                error=NO_SECRET_ERROR,
                duration_ms=0.0,
                status=DeliveryStatus.failed,
            )
        body = await self._body(delivery)
        headers = signed_headers(secret, body)
        http_status: int | None = None
        retry_after: float | None = None
        error: str | None
        started = time.perf_counter()
        try:
            # The URL policy is applied to the connection itself, at each attempt.
            response = await self._client().request(
                "POST",
                delivery.url,
                content=body,
                headers=headers,
                time_limit=self.settings.webhook_timeout,
                max_bytes=_ERROR_BODY_BYTES,
                truncate=True,
                field="webhook_callback_url",
            )
        except UnresolvedHostError as exc:
            error, retryable = str(exc), True
        except BlockedURLError as exc:
            error, retryable = str(exc), False
        except OutboundError as exc:
            error, retryable = str(exc), True
        else:
            http_status = response.status_code
            if response.is_success:
                error, retryable = None, False
            else:
                error = f"HTTP {http_status} {response.reason_phrase}".strip()
                if response.is_redirect:
                    error += " (redirects are not followed)"
                excerpt = response.text.strip()[:_ERROR_BODY_CHARS]
                if excerpt:
                    error += f": {excerpt}"
                retryable = http_status == 429 or http_status >= 500
                retry_after = _retry_after(response.headers.get("retry-after"))
        duration_ms = (time.perf_counter() - started) * 1000
        next_at: datetime | None = None
        if error is None:
            status = DeliveryStatus.delivered
        elif retryable and number < self.settings.webhook_max_attempts:
            status = DeliveryStatus.pending
            delay = backoff_delay(
                number, self.settings.webhook_retry_base_delay, retry_after=retry_after
            )
            next_at = utcnow() + timedelta(seconds=delay)
        else:
            status = DeliveryStatus.failed
            if retryable:
                error += f" (gave up after {number} attempts)"
        recorded = await self.store.record_attempt(
            delivery.delivery_id,
            at=at,
            http_status=http_status,
            error=error,
            duration_ms=duration_ms,
            status=status,
            next_attempt_at=next_at,
            payload=body.decode("utf-8"),
        )
        where = shown_url(delivery.url)
        if status is DeliveryStatus.delivered:
            log.info("webhook of task %s delivered to %s", delivery.task_id, where)
        elif status is DeliveryStatus.pending:
            log.info(
                "webhook of task %s to %s: attempt %d failed (%s); retrying at %s",
                delivery.task_id,
                where,
                number,
                error,
                next_at,
            )
            self._schedule(next_at)
        else:
            log.warning("webhook of task %s to %s failed: %s", delivery.task_id, where, error)
        return recorded

    # ------------------------------------------------------------------ the retry loop

    def _schedule(self, when: datetime | None) -> None:
        if when is None:
            return
        if not self._retries or when < self._retries[0]:
            self._wake.set()
        heapq.heappush(self._retries, when)

    async def run_pending(self, now: datetime | None = None, *, limit: int = 100) -> int:
        """Make one attempt of every delivery due at ``now`` (default: now); return how many
        were attempted. Safe to run in several processes at once (deliveries are claimed)."""
        due = await self.store.due_deliveries(now or utcnow(), limit)
        attempted = 0

        async def one(delivery_id: str) -> None:
            nonlocal attempted
            async with self._limiter:
                try:
                    if await self.send(delivery_id) is not None:
                        attempted += 1
                except Exception:
                    # Its claim runs out and it is tried again; the other deliveries go on.
                    log.exception("webhook delivery %s could not be attempted", delivery_id)

        async with anyio.create_task_group() as group:
            for delivery in due:
                group.start_soon(one, delivery.delivery_id)
        return attempted

    async def sweep(self, now: datetime | None = None, *, limit: int = 100) -> int:
        """Record a delivery for each recently finished task with a webhook URL that has
        none (ended by code that bypassed the store's outbox); return how many. They are
        sent with the next due deliveries."""
        missing = await self.store.tasks_missing_delivery(now or utcnow(), limit)
        for task in missing:
            log.warning("task %s ended without a webhook delivery; delivering it", task.task_id)
            await self.enqueue(task)
        return len(missing)

    async def serve(self, *, poll_interval: float | None = None) -> None:
        """Run the retry loop until cancelled: send due deliveries as they fall due.

        It looks in the store every ``poll_interval`` seconds (default
        ``Settings.poll_interval``), so deliveries left pending by a stopped process (or
        recorded by another one, or in the outbox by a finishing task) are picked up, and
        sooner when a retry of its own is due; every half minute it also runs
        :meth:`sweep`.
        """
        poll = self.settings.poll_interval if poll_interval is None else poll_interval
        next_sweep = 0.0
        while True:
            if self._wake.is_set():
                self._wake = anyio.Event()
            now = utcnow()
            while self._retries and self._retries[0] <= now:
                heapq.heappop(self._retries)
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_INTERVAL
                    await self.sweep(now)
                await self.run_pending(now)
            except Exception:
                log.warning("the webhook retry loop could not read the store", exc_info=True)
            wait = poll
            if self._retries:
                wait = min(wait, max(0.0, (self._retries[0] - utcnow()).total_seconds()))
            with anyio.move_on_after(wait):
                await self._wake.wait()

    async def start(self) -> None:
        """Run :meth:`serve` in a task group of this notifier's own, until :meth:`aclose`.

        Call :meth:`aclose` from the same task. Inside an application that has a task group
        already, prefer ``group.start_soon(notifier.serve)``.
        """
        if self._group is not None:
            return
        stack = contextlib.AsyncExitStack()
        self._group = await stack.enter_async_context(anyio.create_task_group())
        self._stack = stack
        self._group.start_soon(self.serve)

    async def aclose(self) -> None:
        """Stop the retry loop (pending deliveries stay in the store) and close the HTTP
        client made here."""
        if self._group is not None and self._stack is not None:
            self._group.cancel_scope.cancel()
            stack, self._stack, self._group = self._stack, None, None
            await stack.aclose()
        if self._owns_http and self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    async def close(self) -> None:
        """The same as :meth:`aclose` (the name the agent uses for its backends)."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
