"""Webhook deliveries on SQL: the :class:`~skyvern_core.storage.DeliveryStore` part."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from skyvern_core.db.sqlbase import (
    CAS_ATTEMPTS,
    SQLBase,
    _attempts,
    _deliveries,
    _model,
    _row_values,
)
from skyvern_core.errors import InvalidTransitionError, NotFoundError, StoreError
from skyvern_core.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from skyvern_core.storage import next_modified

__all__ = ["SQLDeliveryStore"]


class SQLDeliveryStore(SQLBase):
    """Webhook deliveries and their attempts (see :class:`~skyvern_core.storage.DeliveryStore`)."""

    # ------------------------------------------------------------------ webhook deliveries

    async def create_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Store a new delivery, or return the task's existing one for the same URL."""
        async with self._tx("create the webhook delivery", write=True) as conn:
            await self._select_task(conn, delivery.task_id, delivery.organization_id)
            return await self._insert_delivery(conn, delivery)

    async def claim_delivery(
        self, delivery_id: str, *, now: datetime, until: datetime
    ) -> WebhookDelivery | None:
        """Take a due pending delivery by moving its next attempt to ``until``; None if not
        due (or taken by another sender)."""
        query = (
            _deliveries.update()
            .where(
                _deliveries.c.delivery_id == delivery_id,
                _deliveries.c.status == DeliveryStatus.pending.value,
                _deliveries.c.next_attempt_at <= now,
            )
            .values(next_attempt_at=until)
            .returning(*_deliveries.c)
        )
        async with self._tx("claim the webhook delivery", write=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _model(WebhookDelivery, row)

    async def record_attempt(
        self,
        delivery_id: str,
        *,
        at: datetime,
        http_status: int | None,
        error: str | None,
        duration_ms: float,
        status: DeliveryStatus,
        next_attempt_at: datetime | None = None,
        payload: str | None = None,
    ) -> WebhookDelivery:
        """Log the next attempt of a pending delivery and set its outcome, atomically."""
        status = DeliveryStatus(status)
        status.check_next_attempt(next_attempt_at)
        by_id = sa.select(_deliveries).where(_deliveries.c.delivery_id == delivery_id)
        for _ in range(CAS_ATTEMPTS):
            async with self._tx("record the webhook attempt", write=True) as conn:
                found = (await conn.execute(by_id)).first()
                if found is None:
                    raise NotFoundError(f"webhook delivery {delivery_id!r} not found")
                current = _model(WebhookDelivery, found)
                if current.status.is_final:
                    raise InvalidTransitionError(
                        "webhook delivery", current.status.value, status.value
                    )
                number = current.attempts + 1
                attempt = WebhookAttempt(
                    delivery_id=delivery_id,
                    attempt=number,
                    at=at,
                    http_status=http_status,
                    error=error,
                    duration_ms=duration_ms,
                )
                changes = {
                    "status": status.value,
                    "attempts": number,
                    "last_error": error,
                    "next_attempt_at": next_attempt_at if not status.is_final else None,
                    "modified_at": next_modified(current.modified_at),
                }
                if payload is not None:
                    changes["payload"] = payload
                # Compare-and-set on the attempt count: a concurrent recorder makes us retry
                # with the next number instead of overwriting its outcome.
                row = (
                    await conn.execute(
                        _deliveries.update()
                        .where(
                            _deliveries.c.delivery_id == delivery_id,
                            _deliveries.c.attempts == current.attempts,
                            _deliveries.c.status == DeliveryStatus.pending.value,
                        )
                        .values(changes)
                        .returning(*_deliveries.c)
                    )
                ).first()
                if row is None:
                    continue
                await conn.execute(_attempts.insert().values(_row_values(attempt, _attempts)))
                return _model(WebhookDelivery, row)
        raise StoreError(
            f"webhook delivery {delivery_id!r} kept changing; gave up after {CAS_ATTEMPTS} attempts"
        )

    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[WebhookDelivery]:
        """Return pending deliveries due at ``now``, the most overdue first."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        query = (
            sa.select(_deliveries)
            .where(
                _deliveries.c.status == DeliveryStatus.pending.value,
                _deliveries.c.next_attempt_at <= now,
            )
            .order_by(_deliveries.c.next_attempt_at, _deliveries.c.delivery_id)
            .limit(limit)
        )
        return await self._rows("find due webhook deliveries", WebhookDelivery, query)

    async def list_deliveries(self, task_id: str) -> list[WebhookDelivery]:
        """Return a task's deliveries in creation order."""
        query = (
            sa.select(_deliveries)
            .where(_deliveries.c.task_id == task_id)
            .order_by(_deliveries.c.created_at, _deliveries.c.delivery_id)
        )
        return await self._rows("list webhook deliveries", WebhookDelivery, query)

    async def list_attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        """Return a delivery's attempts, first attempt first."""
        query = (
            sa.select(_attempts)
            .where(_attempts.c.delivery_id == delivery_id)
            .order_by(_attempts.c.attempt)
        )
        return await self._rows("list webhook attempts", WebhookAttempt, query)
