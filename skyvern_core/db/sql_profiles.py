"""Browser profiles on SQL: the :class:`~skyvern_core.storage.ProfileStore` of the SQL store.

A hold is taken and given back by compare-and-set ``UPDATE`` statements whose ``WHERE``
says who may: on PostgreSQL an ``UPDATE`` blocked by a concurrent one re-checks its
``WHERE`` on the committed row, so of two tasks claiming one free profile, one wins.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from skyvern_core.db.sqlbase import SQLBase, _model, _profiles
from skyvern_core.errors import LostProfileError, NotFoundError, ProfileInUseError
from skyvern_core.models import BrowserProfile, utcnow

__all__ = ["SQLProfileStore"]

_LISTED = [c for c in _profiles.c if c.name != "sealed_state"]


def _key(organization_id: str, name: str) -> sa.ColumnElement[bool]:
    return sa.and_(_profiles.c.organization_id == organization_id, _profiles.c.name == name)


def _free_for(holder: str, now: datetime) -> sa.ColumnElement[bool]:
    """Nobody else holds the profile at ``now``."""
    return sa.or_(
        _profiles.c.holder_task_id.is_(None),
        _profiles.c.holder_task_id == holder,
        _profiles.c.lease_until.is_(None),
        _profiles.c.lease_until <= now,
    )


class SQLProfileStore(SQLBase):
    """Browser profiles (see :class:`~skyvern_core.storage.ProfileStore`)."""

    async def _current(
        self, conn: AsyncConnection, organization_id: str, name: str
    ) -> BrowserProfile | None:
        row = (await conn.execute(sa.select(_profiles).where(_key(organization_id, name)))).first()
        return None if row is None else _model(BrowserProfile, row)

    async def claim_profile(
        self, organization_id: str, name: str, holder: str, *, now: datetime, until: datetime
    ) -> BrowserProfile:
        """Take the hold of a profile for ``holder`` (creating an empty one), atomically."""
        async with self._tx("claim the browser profile", write=True) as conn:
            await self._require_org(conn, organization_id)
            if await self._current(conn, organization_id, name) is None:
                stamp = utcnow()
                try:
                    # A savepoint: another process creating it first leaves this
                    # transaction usable for the claim below.
                    async with conn.begin_nested():
                        await conn.execute(
                            _profiles.insert().values(
                                organization_id=organization_id,
                                name=name,
                                version=0,
                                size=0,
                                created_at=stamp,
                                modified_at=stamp,
                            )
                        )
                except IntegrityError:
                    pass
            taken = await conn.execute(
                _profiles.update()
                .where(_key(organization_id, name), _free_for(holder, now))
                .values(holder_task_id=holder, lease_until=until)
                .returning(*_profiles.c)
            )
            row = taken.first()
            if row is None:
                current = await self._current(conn, organization_id, name)
                raise ProfileInUseError(name, (current and current.holder_task_id) or "")
            return _model(BrowserProfile, row)

    async def save_profile(
        self, organization_id: str, name: str, holder: str, sealed_state: str, *, now: datetime
    ) -> BrowserProfile:
        """Write the sealed state and end ``holder``'s hold, atomically."""
        async with self._tx("save the browser profile", write=True) as conn:
            saved = await conn.execute(
                _profiles.update()
                .where(
                    _key(organization_id, name),
                    _profiles.c.holder_task_id == holder,
                    _profiles.c.lease_until > now,
                )
                .values(
                    sealed_state=sealed_state,
                    size=len(sealed_state),
                    version=_profiles.c.version + 1,
                    saved_by_task_id=holder,
                    holder_task_id=None,
                    lease_until=None,
                    modified_at=utcnow(),
                )
                .returning(*_profiles.c)
            )
            row = saved.first()
            if row is not None:
                return _model(BrowserProfile, row)
            current = await self._current(conn, organization_id, name)
            if current is not None and current.held_by_other(holder, now):
                raise ProfileInUseError(name, current.holder_task_id or "")
            raise LostProfileError(name, holder)

    async def release_profile(self, organization_id: str, name: str, holder: str) -> bool:
        """End ``holder``'s hold without saving."""
        async with self._tx("release the browser profile", write=True) as conn:
            result = await conn.execute(
                _profiles.update()
                .where(_key(organization_id, name), _profiles.c.holder_task_id == holder)
                .values(holder_task_id=None, lease_until=None)
            )
            return bool(result.rowcount)

    async def get_profile(self, organization_id: str, name: str) -> BrowserProfile:
        """Return a profile with its sealed state."""
        async with self._tx("read the browser profile") as conn:
            found = await self._current(conn, organization_id, name)
        if found is None:
            raise NotFoundError(f"browser profile {name!r} not found")
        return found

    async def list_profiles(self, organization_id: str) -> list[BrowserProfile]:
        """Return an organization's profiles by name, without their state."""
        query = (
            sa.select(*_LISTED)
            .where(_profiles.c.organization_id == organization_id)
            .order_by(_profiles.c.name)
        )
        return await self._rows("list browser profiles", BrowserProfile, query)

    async def delete_profile(
        self, organization_id: str, name: str, *, now: datetime | None = None
    ) -> None:
        """Delete a profile no task holds."""
        at = now or utcnow()
        async with self._tx("delete the browser profile", write=True) as conn:
            result = await conn.execute(
                _profiles.delete().where(_key(organization_id, name), _free_for("", at))
            )
            if result.rowcount:
                return
            current = await self._current(conn, organization_id, name)
            if current is None:
                raise NotFoundError(f"browser profile {name!r} not found")
            raise ProfileInUseError(name, current.holder_task_id or "")
