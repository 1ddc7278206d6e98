"""The replay entries of :class:`~skyvern_core.testing.memory_store.MemoryStore`."""

from __future__ import annotations

from typing import Any

import anyio

from skyvern_core.errors import NotFoundError
from skyvern_core.models import Organization, ReplayEntry
from skyvern_core.storage import check_replay_flow

__all__ = ["MemoryReplays"]


def _copy(entry: ReplayEntry) -> ReplayEntry:
    # Through JSON, as a database round trip would: nothing is shared with the caller.
    return ReplayEntry.model_validate_json(entry.model_dump_json())


class MemoryReplays:
    """Replay entries in a dictionary, keyed by (organization, flow key, position)."""

    _lock: anyio.Lock
    _orgs: dict[str, Organization]
    _replays: dict[tuple[str, str, int], ReplayEntry]

    def _require_org(self, organization_id: str) -> None:
        if organization_id not in self._orgs:
            raise NotFoundError(f"organization {organization_id!r} not found")

    async def save_replay_flow(
        self, organization_id: str, flow_key: str, entries: list[ReplayEntry]
    ) -> list[ReplayEntry]:
        """Replace the recorded flow ``flow_key`` of an organization at once."""
        ordered = check_replay_flow(organization_id, flow_key, entries)
        async with self._lock:
            self._require_org(organization_id)
            for key in [k for k in self._replays if k[:2] == (organization_id, flow_key)]:
                del self._replays[key]
            for entry in ordered:
                self._replays[(organization_id, flow_key, entry.position)] = _copy(entry)
            return [_copy(e) for e in ordered]

    async def put_replay_entry(self, entry: ReplayEntry) -> ReplayEntry:
        """Store one entry, replacing the one at its flow key and position."""
        if not isinstance(entry, ReplayEntry):
            raise TypeError(f"put_replay_entry takes a ReplayEntry, got {type(entry).__name__}")
        async with self._lock:
            self._require_org(entry.organization_id)
            for key, old in list(self._replays.items()):
                if key[:2] == (entry.organization_id, entry.flow_key) and (
                    old.entry_id == entry.entry_id
                ):
                    del self._replays[key]
            self._replays[(entry.organization_id, entry.flow_key, entry.position)] = _copy(entry)
            return _copy(entry)

    async def list_replay_entries(
        self, organization_id: str, flow_key: str | None = None
    ) -> list[ReplayEntry]:
        """Return an organization's entries (of one flow), by flow key then position."""
        found: list[tuple[Any, ReplayEntry]] = [
            (key, entry)
            for key, entry in self._replays.items()
            if key[0] == organization_id and (flow_key is None or key[1] == flow_key)
        ]
        found.sort(key=lambda item: (item[0][1], item[0][2]))
        return [_copy(entry) for _, entry in found]

    async def delete_replay_entries(self, organization_id: str, flow_key: str | None = None) -> int:
        """Delete an organization's entries (of one flow); return how many."""
        async with self._lock:
            keys = [
                k
                for k in self._replays
                if k[0] == organization_id and (flow_key is None or k[1] == flow_key)
            ]
            for key in keys:
                del self._replays[key]
            return len(keys)
