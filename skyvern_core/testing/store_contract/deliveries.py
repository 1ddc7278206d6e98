"""The store contract for webhook deliveries and their attempts."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from skyvern_core import ids
from skyvern_core.errors import InvalidTransitionError, NotFoundError
from skyvern_core.models import (
    DeliveryStatus,
    WebhookDelivery,
)
from skyvern_core.storage import Store
from skyvern_core.testing.store_contract.support import (
    T0,
    _assert_utc,
    _delivery,
    _org,
    _task,
)

__all__ = ["DeliveryContract"]


class DeliveryContract:
    """Webhook deliveries and their attempts.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

    async def test_delivery_round_trip(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = _delivery(
            task,
            payload='{"task_id": "x", "extracted_information": {"price": "$1", "n": [1, 2.5]}}',
            next_attempt_at=T0,
            created_at=T0,
            modified_at=T0,
        )
        assert await store.create_delivery(delivery) == delivery
        (got,) = await store.list_deliveries(task.task_id)
        assert got == delivery
        assert got.status == DeliveryStatus.pending and got.attempts == 0
        assert got.payload == delivery.payload  # the exact text, byte for byte
        _assert_utc(got)
        assert await store.list_attempts(delivery.delivery_id) == []

    async def test_one_delivery_per_task_and_url(self, store: Store) -> None:
        org = await _org(store)
        task, other = await store.create_task(_task(org)), await store.create_task(_task(org))
        first = await store.create_delivery(_delivery(task, created_at=T0))
        again = await store.create_delivery(_delivery(task, payload='{"changed": true}'))
        assert again == first  # the existing one, payload untouched
        elsewhere = await store.create_delivery(
            _delivery(task, url="https://other.example.com/", created_at=T0 + timedelta(1))
        )
        assert elsewhere.delivery_id != first.delivery_id
        assert await store.list_deliveries(task.task_id) == [first, elsewhere]
        same_url_other_task = await store.create_delivery(_delivery(other))
        assert same_url_other_task.delivery_id != first.delivery_id
        assert await store.list_deliveries(other.task_id) == [same_url_other_task]

    async def test_concurrent_create_delivery_makes_one(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        made: list[WebhookDelivery] = []

        async def create() -> None:
            made.append(await store.create_delivery(_delivery(task)))

        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(create)
        assert len({d.delivery_id for d in made}) == 1
        assert len(await store.list_deliveries(task.task_id)) == 1

    async def test_create_delivery_needs_a_task_of_its_organization(self, store: Store) -> None:
        mine, other = await _org(store), await _org(store)
        task = await store.create_task(_task(mine))
        with pytest.raises(NotFoundError):
            await store.create_delivery(_delivery(_task(mine)))
        with pytest.raises(NotFoundError):
            await store.create_delivery(_delivery(task, organization_id=other.organization_id))
        assert await store.list_deliveries(task.task_id) == []

    async def test_record_attempts_until_delivered(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = await store.create_delivery(_delivery(task, next_attempt_at=T0))
        retry_at = T0 + timedelta(seconds=4)
        after_first = await store.record_attempt(
            delivery.delivery_id,
            at=T0,
            http_status=503,
            error="HTTP 503 Service Unavailable",
            duration_ms=12.5,
            status=DeliveryStatus.pending,
            next_attempt_at=retry_at,
        )
        assert after_first.status == DeliveryStatus.pending
        assert after_first.attempts == 1
        assert after_first.last_error == "HTTP 503 Service Unavailable"
        assert after_first.next_attempt_at == retry_at
        assert after_first.modified_at > delivery.modified_at
        after_second = await store.record_attempt(
            delivery.delivery_id,
            at=retry_at,
            http_status=None,
            error="ConnectError: connection refused",
            duration_ms=1.0,
            status=DeliveryStatus.pending,
            next_attempt_at=retry_at + timedelta(seconds=8),
        )
        assert after_second.attempts == 2
        done = await store.record_attempt(
            delivery.delivery_id,
            at=retry_at + timedelta(seconds=8),
            http_status=200,
            error=None,
            duration_ms=3.0,
            status=DeliveryStatus.delivered,
        )
        assert (done.status, done.attempts, done.last_error) == (DeliveryStatus.delivered, 3, None)
        assert done.next_attempt_at is None
        assert await store.list_deliveries(task.task_id) == [done]
        attempts = await store.list_attempts(delivery.delivery_id)
        assert [(a.attempt, a.http_status, a.error) for a in attempts] == [
            (1, 503, "HTTP 503 Service Unavailable"),
            (2, None, "ConnectError: connection refused"),
            (3, 200, None),
        ]
        assert [a.at for a in attempts] == [T0, retry_at, retry_at + timedelta(seconds=8)]
        assert attempts[0].duration_ms == 12.5
        _assert_utc(attempts[0])

    async def test_final_deliveries_take_no_more_attempts(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = await store.create_delivery(_delivery(task))
        failed = await store.record_attempt(
            delivery.delivery_id,
            at=T0,
            http_status=400,
            error="HTTP 400 Bad Request",
            duration_ms=2.0,
            status=DeliveryStatus.failed,
            next_attempt_at=T0,  # ignored: a final delivery has no next attempt
        )
        assert (failed.status, failed.next_attempt_at) == (DeliveryStatus.failed, None)
        with pytest.raises(InvalidTransitionError):
            await store.record_attempt(
                delivery.delivery_id,
                at=T0,
                http_status=200,
                error=None,
                duration_ms=1.0,
                status=DeliveryStatus.delivered,
            )
        assert len(await store.list_attempts(delivery.delivery_id)) == 1
        assert (await store.list_deliveries(task.task_id)) == [failed]
        with pytest.raises(NotFoundError):
            await store.record_attempt(
                ids.new_id("delivery"),
                at=T0,
                http_status=200,
                error=None,
                duration_ms=1.0,
                status=DeliveryStatus.delivered,
            )
        with pytest.raises(ValueError, match="next_attempt_at"):
            await store.record_attempt(
                (
                    await store.create_delivery(_delivery(task, url="https://b.example/"))
                ).delivery_id,
                at=T0,
                http_status=500,
                error="HTTP 500",
                duration_ms=1.0,
                status=DeliveryStatus.pending,
            )

    async def test_due_deliveries(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org))
        late = await store.create_delivery(
            _delivery(task, url="https://a.example/", next_attempt_at=T0)
        )
        later = await store.create_delivery(
            _delivery(task, url="https://b.example/", next_attempt_at=T0 + timedelta(minutes=5))
        )
        future = await store.create_delivery(
            _delivery(task, url="https://c.example/", next_attempt_at=T0 + timedelta(hours=1))
        )
        done = await store.create_delivery(
            _delivery(task, url="https://d.example/", next_attempt_at=T0)
        )
        await store.record_attempt(
            done.delivery_id,
            at=T0,
            http_status=200,
            error=None,
            duration_ms=1.0,
            status=DeliveryStatus.delivered,
        )
        now = T0 + timedelta(minutes=10)
        due = await store.due_deliveries(now)
        assert [d.delivery_id for d in due] == [late.delivery_id, later.delivery_id]
        assert [d.delivery_id for d in await store.due_deliveries(now, limit=1)] == [
            late.delivery_id
        ]
        assert await store.due_deliveries(T0 - timedelta(seconds=1)) == []
        at_the_hour = await store.due_deliveries(T0 + timedelta(hours=1))
        assert future.delivery_id in {d.delivery_id for d in at_the_hour}

    async def test_claim_delivery_leases_it_to_one_sender(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = await store.create_delivery(_delivery(task, next_attempt_at=T0))
        lease_end = T0 + timedelta(seconds=30)
        results: list[WebhookDelivery | None] = []

        async def claim() -> None:
            results.append(
                await store.claim_delivery(delivery.delivery_id, now=T0, until=lease_end)
            )

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(claim)
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert winners[0].next_attempt_at == lease_end
        assert await store.due_deliveries(T0 + timedelta(seconds=29)) == []
        # A sender that died mid-attempt: the delivery is due again once the lease ran out.
        assert await store.claim_delivery(
            delivery.delivery_id, now=lease_end, until=lease_end + timedelta(seconds=30)
        )
        await store.record_attempt(
            delivery.delivery_id,
            at=lease_end,
            http_status=204,
            error=None,
            duration_ms=1.0,
            status=DeliveryStatus.delivered,
        )
        far = T0 + timedelta(days=1)
        assert await store.claim_delivery(delivery.delivery_id, now=far, until=far) is None
        assert await store.claim_delivery(ids.new_id("delivery"), now=far, until=far) is None
