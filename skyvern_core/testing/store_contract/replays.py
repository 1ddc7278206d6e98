"""The store contract for replay entries: round trips, replacing a flow, one entry at a
time, listing and clearing, and organizations kept apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from skyvern_core import ids
from skyvern_core.errors import NotFoundError
from skyvern_core.models import (
    LocatorBundle,
    Organization,
    PageFingerprint,
    RecordedAction,
    ReplayEntry,
    ReplayExtraction,
)
from skyvern_core.storage import Store
from skyvern_core.testing.store_contract.support import T0, _assert_utc, _org

__all__ = ["ReplayContract"]


def _entry(org: Organization, flow_key: str = "flow-a", position: int = 0, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "entry_id": ids.new_id("replay"),
        "organization_id": org.organization_id,
        "flow_key": flow_key,
        "position": position,
        "start_url": "https://permits.example.com/apply",
        "goal": "Apply for a permit for {{payload:name}}",
        "planner": "llm:gpt-4o-mini",
        "fingerprint": PageFingerprint(
            url_pattern="https://permits.example.com/apply",
            elements=['button "continue"', 'textbox "full name"'],
            digest=f"d{position}",
        ),
        "actions": [
            RecordedAction(
                type="input_text",
                target=LocatorBundle(
                    role="textbox",
                    name="Full name",
                    field_name="name",
                    css="#name",
                    shadow=["my-form"],
                    ordinal=0,
                    index=2,
                ),
                value="{{payload:name}}",
                verified={"value": "{{payload:name}}"},
            ),
            RecordedAction(
                type="check", target=LocatorBundle(role="checkbox"), params={"checked": True}
            ),
            RecordedAction(type="scroll", params={"direction": "down"}),
        ],
        "reasoning": "Fill the name, then go on.",
        "next_url_pattern": "https://permits.example.com/vehicle",
        "created_at": T0,
        "modified_at": T0 + timedelta(seconds=1),
    }
    return ReplayEntry(**(values | fields))


class ReplayContract:
    """Replay entries: round trips, replacing a flow, listing, clearing, isolation.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

    async def test_replay_flow_round_trip(self, store: Store) -> None:
        org = await _org(store)
        first = _entry(org, position=0)
        last = _entry(
            org,
            position=1,
            extraction=ReplayExtraction(content_digest="c1", data={"ref": "A-1", "n": [1, 2.5]}),
            replays=4,
            heals=2,
            heal_streak=1,
            demoted=True,
            source_task_id="tsk_x",
        )
        saved = await store.save_replay_flow(org.organization_id, "flow-a", [last, first])
        assert saved == [first, last]
        listed = await store.list_replay_entries(org.organization_id, "flow-a")
        assert listed == [first, last]
        assert listed[0].actions[0].target is not None
        assert listed[0].actions[0].target.shadow == ["my-form"]
        assert listed[1].extraction == ReplayExtraction(
            content_digest="c1", data={"ref": "A-1", "n": [1, 2.5]}
        )
        for entry in listed:
            _assert_utc(entry)

    async def test_saving_a_flow_replaces_the_one_before(self, store: Store) -> None:
        org = await _org(store)
        old = [_entry(org, position=n) for n in range(3)]
        await store.save_replay_flow(org.organization_id, "flow-a", old)
        other = await store.save_replay_flow(org.organization_id, "flow-b", [_entry(org, "flow-b")])
        new = [_entry(org, position=0, reasoning="shorter now"), _entry(org, position=1)]
        await store.save_replay_flow(org.organization_id, "flow-a", new)
        assert await store.list_replay_entries(org.organization_id, "flow-a") == new
        assert await store.list_replay_entries(org.organization_id, "flow-b") == other
        everything = await store.list_replay_entries(org.organization_id)
        assert [(e.flow_key, e.position) for e in everything] == [
            ("flow-a", 0),
            ("flow-a", 1),
            ("flow-b", 0),
        ]

    async def test_a_bad_flow_is_refused_and_nothing_changes(self, store: Store) -> None:
        org, other = await _org(store), await _org(store)
        kept = [_entry(org)]
        await store.save_replay_flow(org.organization_id, "flow-a", kept)
        with pytest.raises(ValueError, match="given twice"):
            await store.save_replay_flow(org.organization_id, "flow-a", [_entry(org), _entry(org)])
        with pytest.raises(ValueError, match="belongs to organization"):
            await store.save_replay_flow(org.organization_id, "flow-a", [_entry(other)])
        with pytest.raises(ValueError, match="flow"):
            await store.save_replay_flow(org.organization_id, "flow-a", [_entry(org, "flow-z")])
        assert await store.list_replay_entries(org.organization_id) == kept
        with pytest.raises(NotFoundError):
            await store.save_replay_flow("o_missing", "flow-a", [])
        with pytest.raises(NotFoundError):
            await store.put_replay_entry(_entry(org).model_copy(update={"organization_id": "o_x"}))

    async def test_put_replaces_the_entry_at_its_position(self, store: Store) -> None:
        org = await _org(store)
        await store.save_replay_flow(
            org.organization_id, "flow-a", [_entry(org, position=n) for n in range(2)]
        )
        healed = _entry(org, position=1, reasoning="healed", heals=1, heal_streak=1)
        assert await store.put_replay_entry(healed) == healed
        listed = await store.list_replay_entries(org.organization_id, "flow-a")
        assert [e.position for e in listed] == [0, 1]
        assert listed[1] == healed
        added = await store.put_replay_entry(_entry(org, position=2))
        assert (await store.list_replay_entries(org.organization_id, "flow-a"))[-1] == added

    async def test_clearing_entries_counts_them(self, store: Store) -> None:
        org = await _org(store)
        await store.save_replay_flow(
            org.organization_id, "flow-a", [_entry(org, position=n) for n in range(3)]
        )
        await store.save_replay_flow(org.organization_id, "flow-b", [_entry(org, "flow-b")])
        assert await store.delete_replay_entries(org.organization_id, "flow-a") == 3
        assert await store.delete_replay_entries(org.organization_id, "flow-a") == 0
        assert [e.flow_key for e in await store.list_replay_entries(org.organization_id)] == [
            "flow-b"
        ]
        assert await store.delete_replay_entries(org.organization_id) == 1
        assert await store.list_replay_entries(org.organization_id) == []

    async def test_organizations_never_see_each_others_entries(self, store: Store) -> None:
        acme, globex = await _org(store), await _org(store)
        mine = await store.save_replay_flow(
            acme.organization_id, "same-key", [_entry(acme, "same-key")]
        )
        theirs = await store.save_replay_flow(
            globex.organization_id, "same-key", [_entry(globex, "same-key", reasoning="theirs")]
        )
        assert await store.list_replay_entries(acme.organization_id) == mine
        assert await store.list_replay_entries(globex.organization_id, "same-key") == theirs
        # Replacing or clearing one organization's flow leaves the other's alone.
        await store.save_replay_flow(acme.organization_id, "same-key", [])
        assert await store.delete_replay_entries(acme.organization_id) == 0
        assert await store.list_replay_entries(globex.organization_id) == theirs
        assert await store.list_replay_entries("o_nobody") == []
