"""Recorded steps of flows on SQL: the :class:`~skyvern_core.storage.ReplayStore` of the
SQL store."""

from __future__ import annotations

import sqlalchemy as sa

from skyvern_core.db.sqlbase import SQLBase, _model, _replays, _row_values
from skyvern_core.models import ReplayEntry
from skyvern_core.storage import check_replay_flow

__all__ = ["SQLReplayStore"]


class SQLReplayStore(SQLBase):
    """Replay entries (see :class:`~skyvern_core.storage.ReplayStore`)."""

    async def save_replay_flow(
        self, organization_id: str, flow_key: str, entries: list[ReplayEntry]
    ) -> list[ReplayEntry]:
        """Replace the recorded flow ``flow_key`` of an organization, in one transaction."""
        ordered = check_replay_flow(organization_id, flow_key, entries)
        async with self._tx("save the replay flow", write=True) as conn:
            await self._require_org(conn, organization_id)
            await conn.execute(
                _replays.delete().where(
                    _replays.c.organization_id == organization_id,
                    _replays.c.flow_key == flow_key,
                )
            )
            saved = []
            for entry in ordered:
                row = await conn.execute(
                    _replays.insert().values(_row_values(entry, _replays)).returning(*_replays.c)
                )
                saved.append(_model(ReplayEntry, row.one()))
            return saved

    async def put_replay_entry(self, entry: ReplayEntry) -> ReplayEntry:
        """Store one entry, replacing the one at its flow key and position."""
        if not isinstance(entry, ReplayEntry):
            raise TypeError(f"put_replay_entry takes a ReplayEntry, got {type(entry).__name__}")
        async with self._tx("store the replay entry", write=True) as conn:
            await self._require_org(conn, entry.organization_id)
            await conn.execute(
                _replays.delete().where(
                    _replays.c.organization_id == entry.organization_id,
                    _replays.c.flow_key == entry.flow_key,
                    sa.or_(
                        _replays.c.position == entry.position,
                        _replays.c.entry_id == entry.entry_id,
                    ),
                )
            )
            row = await conn.execute(
                _replays.insert().values(_row_values(entry, _replays)).returning(*_replays.c)
            )
            return _model(ReplayEntry, row.one())

    async def list_replay_entries(
        self, organization_id: str, flow_key: str | None = None
    ) -> list[ReplayEntry]:
        """Return an organization's entries (of one flow), by flow key then position."""
        query = sa.select(_replays).where(_replays.c.organization_id == organization_id)
        if flow_key is not None:
            query = query.where(_replays.c.flow_key == flow_key)
        query = query.order_by(_replays.c.flow_key, _replays.c.position)
        return await self._rows("list replay entries", ReplayEntry, query)

    async def delete_replay_entries(self, organization_id: str, flow_key: str | None = None) -> int:
        """Delete an organization's entries (of one flow); return how many."""
        query = _replays.delete().where(_replays.c.organization_id == organization_id)
        if flow_key is not None:
            query = query.where(_replays.c.flow_key == flow_key)
        async with self._tx("delete replay entries", write=True) as conn:
            result = await conn.execute(query)
            return int(result.rowcount or 0)
