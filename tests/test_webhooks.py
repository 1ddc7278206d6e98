"""Webhooks: Slack-style signatures, the receiver's check, and delivery to a real receiver."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from skyvern_core import ids
from skyvern_core.config import Settings
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.errors import WebhookVerificationError
from skyvern_core.models import (
    DeliveryStatus,
    Organization,
    Task,
    TaskRequest,
    TaskStatus,
    WebhookDelivery,
    utcnow,
)
from skyvern_core.plugins import BackendContext, PluginRegistry
from skyvern_core.protocols import Store
from skyvern_core.testing.memory_store import MemoryStore
from skyvern_core.webhooks import (
    NO_SECRET_ERROR,
    WebhookNotifier,
    backoff_delay,
    build_payload,
    sign,
    verify,
)
from tests.servers import Receiver, Reply

SECRET = "whsec-test-0123456789"

# Slack's own worked example (api.slack.com, "Verifying requests from Slack").
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = 1531420618
SLACK_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


# --------------------------------------------------------------------------- a real receiver


@pytest.fixture
def closed_port_url() -> Iterator[str]:
    """A URL on which nothing listens: a receiver down for good."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}/hooks"


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "webhook_secret": SECRET,
        "webhook_retry_base_delay": 0.01,
        "webhook_max_attempts": 3,
        "webhook_timeout": 5.0,
        "poll_interval": 0.05,
    }
    return Settings(**(values | overrides))


async def _finished_task(
    store: Store, url: str, *, org_secret: str | None = None, status: TaskStatus | None = None
) -> Task:
    org_id = ids.new_id("organization")
    await store.create_organization(
        Organization(
            organization_id=org_id, name=f"org {org_id}", webhook_signing_secret=org_secret
        )
    )
    task = Task(
        task_id=ids.new_id("task"),
        organization_id=org_id,
        status=status or TaskStatus.completed,
        request=TaskRequest(
            url="https://shop.example.com/",
            navigation_goal="Find the price",
            webhook_callback_url=url,
        ),
        max_steps=5,
        extracted_information={"price": "$100.0"},
    )
    await store.create_task(task)
    return await _with_links(task)


async def _with_links(task: Task) -> Task:
    """What the agent's describer does: fill the artifact URLs (fixed ones here)."""
    return task.model_copy(
        update={
            "screenshot_url": "https://artifacts.example.com/tsk/screenshot_final.png",
            "recording_url": "https://artifacts.example.com/tsk/recording.webm",
            "action_screenshot_urls": ["https://artifacts.example.com/tsk/action_0.png"],
        }
    )


async def _until_final(store: Store, task_id: str) -> WebhookDelivery:
    with anyio.fail_after(10):
        while True:
            (delivery,) = await store.list_deliveries(task_id)
            if delivery.status.is_final:
                return delivery
            await anyio.sleep(0.02)


@pytest.fixture
async def store() -> AsyncIterator[MemoryStore]:
    store = MemoryStore()
    await store.open()
    yield store
    await store.close()


# --------------------------------------------------------------------------- signing


def test_slack_example_signature() -> None:
    assert sign(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY.encode()) == SLACK_SIGNATURE
    assert sign(SLACK_SECRET, str(SLACK_TIMESTAMP), SLACK_BODY) == SLACK_SIGNATURE


def test_verify_accepts_the_slack_example_in_every_form() -> None:
    now = SLACK_TIMESTAMP + 30
    headers = {"X-Skyvern-Timestamp": str(SLACK_TIMESTAMP), "X-Skyvern-Signature": SLACK_SIGNATURE}
    verify(SLACK_SECRET, headers, SLACK_BODY.encode(), now=now)
    verify(SLACK_SECRET, httpx.Headers(headers), SLACK_BODY, now=now)
    verify(SLACK_SECRET, (SLACK_TIMESTAMP, SLACK_SIGNATURE), SLACK_BODY.encode(), now=now)


@pytest.mark.parametrize(
    ("now", "message"),
    [
        (SLACK_TIMESTAMP + 301, "stale request: signed 301 s ago"),
        (SLACK_TIMESTAMP + 86_400, "stale request"),
        (SLACK_TIMESTAMP - 301, "in the future"),
    ],
)
def test_verify_rejects_timestamps_out_of_tolerance(now: int, message: str) -> None:
    with pytest.raises(WebhookVerificationError, match=message):
        verify(SLACK_SECRET, (SLACK_TIMESTAMP, SLACK_SIGNATURE), SLACK_BODY, now=now)
    # Right at the edge it is still accepted.
    verify(SLACK_SECRET, (SLACK_TIMESTAMP, SLACK_SIGNATURE), SLACK_BODY, now=SLACK_TIMESTAMP + 300)


def test_verify_rejects_a_stale_request_by_the_real_clock() -> None:
    body = b'{"task_id": "tsk_1"}'
    old = int(time.time()) - 6 * 60
    with pytest.raises(WebhookVerificationError, match="stale"):
        verify(SECRET, (old, sign(SECRET, old, body)), body)
    fresh = int(time.time())
    verify(SECRET, (fresh, sign(SECRET, fresh, body)), body)


@pytest.mark.parametrize(
    ("secret", "headers", "body", "message"),
    [
        (SLACK_SECRET, None, SLACK_BODY.replace("foobar", "foobaz"), "does not match"),
        (SLACK_SECRET, None, SLACK_BODY + " ", "does not match"),
        ("another secret", None, SLACK_BODY, "does not match"),
        (
            SLACK_SECRET,
            {
                "x-skyvern-timestamp": str(SLACK_TIMESTAMP + 1),
                "x-skyvern-signature": SLACK_SIGNATURE,
            },
            SLACK_BODY,
            "does not match",
        ),
        (
            SLACK_SECRET,
            {"x-skyvern-timestamp": str(SLACK_TIMESTAMP)},
            SLACK_BODY,
            "missing x-skyvern-signature",
        ),
        (
            SLACK_SECRET,
            {"x-skyvern-signature": SLACK_SIGNATURE},
            SLACK_BODY,
            "missing x-skyvern-timestamp",
        ),
        (
            SLACK_SECRET,
            {"x-skyvern-timestamp": "yesterday", "x-skyvern-signature": SLACK_SIGNATURE},
            SLACK_BODY,
            "not a Unix time",
        ),
        (
            SLACK_SECRET,
            {"x-skyvern-timestamp": str(SLACK_TIMESTAMP), "x-skyvern-signature": "v0=00"},
            SLACK_BODY,
            "does not match",
        ),
    ],
)
def test_verify_rejects_forged_or_tampered_requests(
    secret: str, headers: dict[str, str] | None, body: str, message: str
) -> None:
    given = headers or {
        "x-skyvern-timestamp": str(SLACK_TIMESTAMP),
        "x-skyvern-signature": SLACK_SIGNATURE,
    }
    with pytest.raises(WebhookVerificationError, match=message):
        verify(secret, given, body.encode(), now=SLACK_TIMESTAMP)


def test_build_payload_has_what_the_spec_promises() -> None:
    task = Task(
        task_id="tsk_1",
        organization_id="o_1",
        status=TaskStatus.failed,
        request=TaskRequest(url="https://example.com/", navigation_goal="Go"),
        max_steps=3,
        extracted_information=None,
        failure_reason="Max steps per task (3) exceeded",
        screenshot_url="https://a.example/s.png",
        recording_url="https://a.example/r.webm",
        action_screenshot_urls=["https://a.example/1.png"],
    )
    payload = build_payload(task)
    assert payload == json.loads(json.dumps(payload))  # plain JSON
    assert {k: payload[k] for k in ("task_id", "status", "failure_reason")} == {
        "task_id": "tsk_1",
        "status": "failed",
        "failure_reason": "Max steps per task (3) exceeded",
    }
    assert payload["extracted_information"] is None
    assert payload["screenshot_url"] == "https://a.example/s.png"
    assert payload["recording_url"] == "https://a.example/r.webm"
    assert payload["action_screenshot_urls"] == ["https://a.example/1.png"]
    assert payload["created_at"].startswith(str(task.created_at.year))


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    delays = [backoff_delay(n, 2.0) for n in (1, 2, 3, 4)]
    for n, delay in enumerate(delays, start=1):
        full = 2.0 * 2 ** (n - 1)
        assert full / 2 <= delay <= full
    assert backoff_delay(30, 2.0) <= 3600
    assert backoff_delay(1, 0.01, retry_after=5) == 5


# --------------------------------------------------------------------------- delivering


async def test_retries_until_the_receiver_accepts(store: MemoryStore, tmp_path: Path) -> None:
    replies = (
        Reply(500, "boom"),
        Reply(429, "slow down", headers={"retry-after": "1"}),
        Reply(200),
    )
    with Receiver(*replies) as receiver:
        task = await _finished_task(store, receiver.url)
        async with WebhookNotifier(store, _settings(tmp_path), describe=_with_links) as notifier:
            await notifier.notify(task)
            # The runner waits for the first attempt only; retries are the loop's.
            assert len(receiver.requests) == 1
            delivery = await _until_final(store, task.task_id)

    assert delivery.status == DeliveryStatus.delivered
    assert delivery.attempts == 3 and delivery.last_error is None
    attempts = await store.list_attempts(delivery.delivery_id)
    assert [(a.attempt, a.http_status) for a in attempts] == [(1, 500), (2, 429), (3, 200)]
    assert attempts[0].error == "HTTP 500 Internal Server Error: boom"
    assert attempts[1].error == "HTTP 429 Too Many Requests: slow down"
    assert attempts[2].error is None
    assert all(a.duration_ms > 0 for a in attempts)

    got = receiver.requests
    assert len(got) == 3
    assert {r.body for r in got} == {delivery.payload.encode()}  # the same body every time
    for request in got:
        assert request.headers["content-type"] == "application/json"
        verify(SECRET, request.headers, request.body, now=request.at)
        stamp = int(request.headers["x-skyvern-timestamp"])
        assert request.at - 2 < stamp <= request.at  # signed for this attempt, not at creation
    # The 429's Retry-After was honoured, and the later attempt was signed afresh.
    assert got[2].at - got[1].at >= 1
    assert int(got[2].headers["x-skyvern-timestamp"]) > int(got[1].headers["x-skyvern-timestamp"])

    body = json.loads(got[0].body)
    assert body["task_id"] == task.task_id
    assert body["status"] == "completed"
    assert body["extracted_information"] == {"price": "$100.0"}
    assert body["screenshot_url"] == task.screenshot_url
    assert body["recording_url"] == task.recording_url
    assert body["failure_reason"] is None


async def test_a_dropped_connection_is_retried(store: MemoryStore, tmp_path: Path) -> None:
    with Receiver(Reply(drop=True), Reply(204, "")) as receiver:
        task = await _finished_task(store, receiver.url)
        async with WebhookNotifier(store, _settings(tmp_path), describe=_with_links) as notifier:
            await notifier.notify(task)
            delivery = await _until_final(store, task.task_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.delivered, 2)
    first, second = await store.list_attempts(delivery.delivery_id)
    assert first.http_status is None and first.error and "RemoteProtocolError" in first.error
    assert second.http_status == 204
    assert len(receiver.requests) == 2


async def test_a_receiver_down_for_good_fails_after_max_attempts(
    store: MemoryStore, tmp_path: Path, closed_port_url: str
) -> None:
    task = await _finished_task(store, closed_port_url)
    async with WebhookNotifier(
        store, _settings(tmp_path, webhook_max_attempts=4), describe=_with_links
    ) as notifier:
        await notifier.notify(task)
        delivery = await _until_final(store, task.task_id)
    assert delivery.status == DeliveryStatus.failed
    assert delivery.attempts == 4
    assert delivery.last_error is not None
    assert "ConnectError" in delivery.last_error
    assert delivery.last_error.endswith("(gave up after 4 attempts)")
    attempts = await store.list_attempts(delivery.delivery_id)
    assert [a.attempt for a in attempts] == [1, 2, 3, 4]
    assert all(a.http_status is None and "ConnectError" in (a.error or "") for a in attempts)
    assert await store.due_deliveries(utcnow() + timedelta(days=1)) == []  # no more tries


async def test_a_client_error_fails_at_once(store: MemoryStore, tmp_path: Path) -> None:
    with Receiver(Reply(400, "unknown task"), Reply(200)) as receiver:
        task = await _finished_task(store, receiver.url)
        notifier = WebhookNotifier(store, _settings(tmp_path), describe=_with_links)
        await notifier.notify(task)
        assert await notifier.run_pending() == 0
        await notifier.aclose()
    (delivery,) = await store.list_deliveries(task.task_id)
    assert delivery.status == DeliveryStatus.failed
    assert delivery.attempts == 1
    assert delivery.last_error == "HTTP 400 Bad Request: unknown task"
    (attempt,) = await store.list_attempts(delivery.delivery_id)
    assert (attempt.http_status, attempt.error) == (400, "HTTP 400 Bad Request: unknown task")
    assert len(receiver.requests) == 1


async def test_without_a_secret_nothing_is_sent(store: MemoryStore, tmp_path: Path) -> None:
    with Receiver(Reply(200)) as receiver:
        task = await _finished_task(store, receiver.url)
        notifier = WebhookNotifier(
            store, _settings(tmp_path, webhook_secret=None), describe=_with_links
        )
        await notifier.notify(task)
        await notifier.aclose()
    (delivery,) = await store.list_deliveries(task.task_id)
    assert delivery.status == DeliveryStatus.failed
    assert delivery.last_error == NO_SECRET_ERROR == "no webhook signing secret configured"
    assert receiver.requests == []


async def test_the_organizations_secret_signs_before_the_embedded_one(
    store: MemoryStore, tmp_path: Path
) -> None:
    with Receiver(Reply(200)) as receiver:
        task = await _finished_task(store, receiver.url, org_secret="org-own-secret")
        notifier = WebhookNotifier(store, _settings(tmp_path), describe=_with_links)
        await notifier.notify(task)
        await notifier.aclose()
    (request,) = receiver.requests
    verify("org-own-secret", request.headers, request.body)
    with pytest.raises(WebhookVerificationError):
        verify(SECRET, request.headers, request.body)


async def test_a_secret_lookup_can_be_given(store: MemoryStore, tmp_path: Path) -> None:
    async def lookup(organization_id: str) -> str | None:
        return f"vault-secret-of-{organization_id}"

    with Receiver(Reply(200)) as receiver:
        task = await _finished_task(store, receiver.url, org_secret="ignored")
        notifier = WebhookNotifier(store, _settings(tmp_path), lookup, describe=_with_links)
        await notifier.notify(task)
        await notifier.aclose()
    (request,) = receiver.requests
    verify(f"vault-secret-of-{task.organization_id}", request.headers, request.body)


async def test_notifying_twice_sends_once(store: MemoryStore, tmp_path: Path) -> None:
    with Receiver(Reply(200)) as receiver:
        task = await _finished_task(store, receiver.url)
        other = await _finished_task(store, receiver.url)
        one = WebhookNotifier(store, _settings(tmp_path), describe=_with_links)
        two = WebhookNotifier(store, _settings(tmp_path), describe=_with_links)
        await one.notify(task)
        await one.notify(task)
        # Two notifiers at once (two workers that both saw the task end).
        async with anyio.create_task_group() as group:
            for notifier in (one, two, one, two):
                group.start_soon(notifier.notify, other)
        await one.aclose()
        await two.aclose()
    assert len(receiver.requests) == 2
    for finished in (task, other):
        (delivery,) = await store.list_deliveries(finished.task_id)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.delivered, 1)


async def test_no_webhook_without_a_url_or_before_the_end(
    store: MemoryStore, tmp_path: Path
) -> None:
    with Receiver(Reply(200)) as receiver:
        running = await _finished_task(store, receiver.url, status=TaskStatus.running)
        notifier = WebhookNotifier(store, _settings(tmp_path), describe=_with_links)
        await notifier.notify(running)
        silent = await _finished_task(store, receiver.url)
        silent.request.webhook_callback_url = None
        await notifier.notify(silent)
        await notifier.aclose()
    assert receiver.requests == []
    assert await store.list_deliveries(running.task_id) == []
    assert await store.list_deliveries(silent.task_id) == []


async def test_pending_deliveries_resume_after_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'skyvern.db'}"
    settings = _settings(tmp_path, webhook_retry_base_delay=0.2)
    with Receiver(Reply(503, "down for maintenance"), Reply(200)) as receiver:
        # The first process: one webhook recorded but never sent (it stopped right after),
        # one that failed once and waits for its retry.
        async with SQLStore(url) as store:
            unsent = await _finished_task(store, receiver.url)
            retried = await _finished_task(store, receiver.url)
            first = WebhookNotifier(store, settings, describe=_with_links)
            await first.enqueue(unsent)
            await first.notify(retried)
            await first.aclose()
            assert [r.body for r in receiver.requests] == [
                (await store.list_deliveries(retried.task_id))[0].payload.encode()
            ]
        # The next process, on the same database file.
        async with SQLStore(url) as store, WebhookNotifier(store, settings, describe=_with_links):
            resumed = await _until_final(store, unsent.task_id)
            retried_delivery = await _until_final(store, retried.task_id)

    assert (resumed.status, resumed.attempts) == (DeliveryStatus.delivered, 1)
    assert (retried_delivery.status, retried_delivery.attempts) == (DeliveryStatus.delivered, 2)
    assert len(receiver.requests) == 3
    bodies = [json.loads(r.body)["task_id"] for r in receiver.requests]
    assert sorted(bodies) == sorted([retried.task_id, retried.task_id, unsent.task_id])
    for request in receiver.requests:
        verify(SECRET, request.headers, request.body)


def test_the_webhook_notifier_plugin(tmp_path: Path) -> None:
    import skyvern_plugins.memory
    import skyvern_plugins.notify

    registry = PluginRegistry(entry_points=False)
    registry.register(skyvern_plugins.notify, name="notify")
    registry.register(skyvern_plugins.memory, name="memory")
    assert set(registry.names("notifier")) >= {"none", "webhook"}
    ctx = BackendContext(Settings(data_dir=tmp_path, store="memory"), registry)
    notifier = registry.get("notifier", "webhook").factory(ctx)
    assert isinstance(notifier, WebhookNotifier)
    assert isinstance(notifier.store, MemoryStore)


async def test_a_webhook_url_the_deployment_refuses_is_not_called(
    store: MemoryStore, tmp_path: Path
) -> None:
    with Receiver(Reply(200)) as receiver:
        task = await _finished_task(store, receiver.url)
        notifier = WebhookNotifier(
            store, _settings(tmp_path, refuse_private_networks=True), describe=_with_links
        )
        await notifier.notify(task)
        await notifier.aclose()
    (delivery,) = await store.list_deliveries(task.task_id)
    assert delivery.status == DeliveryStatus.failed
    assert "webhook_callback_url points at 127.0.0.1" in (delivery.last_error or "")
    assert receiver.requests == []
