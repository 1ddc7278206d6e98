"""The store contract for browser profiles: one holder at a time, saves only by the holder,
holds that lapse, listing without the state, deleting, and organizations kept apart."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from skyvern_core.errors import LostProfileError, NotFoundError, ProfileInUseError
from skyvern_core.storage import Store
from skyvern_core.testing.store_contract.support import T0, _assert_utc, _org

__all__ = ["ProfileContract"]

HOUR = timedelta(hours=1)


class ProfileContract:
    """Browser profiles: holds, saves, listing, deleting, isolation.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

    async def test_a_profile_is_made_empty_then_saved_by_its_holder(self, store: Store) -> None:
        org = await _org(store)
        oid = org.organization_id
        taken = await store.claim_profile(oid, "bank", "tsk_a", now=T0, until=T0 + HOUR)
        assert (taken.name, taken.version, taken.sealed_state) == ("bank", 0, None)
        assert taken.holder_task_id == "tsk_a" and taken.lease_until == T0 + HOUR
        _assert_utc(taken)
        saved = await store.save_profile(oid, "bank", "tsk_a", "sealed-1", now=T0)
        assert (saved.version, saved.size, saved.saved_by_task_id) == (1, 8, "tsk_a")
        assert saved.holder_task_id is None and saved.lease_until is None
        again = await store.claim_profile(oid, "bank", "tsk_b", now=T0, until=T0 + HOUR)
        assert again.sealed_state == "sealed-1" and again.version == 1
        await store.save_profile(oid, "bank", "tsk_b", "sealed-2", now=T0)
        got = await store.get_profile(oid, "bank")
        assert (got.sealed_state, got.version, got.saved_by_task_id) == ("sealed-2", 2, "tsk_b")

    async def test_one_task_holds_a_profile_at_a_time(self, store: Store) -> None:
        org = await _org(store)
        oid = org.organization_id
        await store.claim_profile(oid, "bank", "tsk_a", now=T0, until=T0 + HOUR)
        with pytest.raises(ProfileInUseError) as held:
            await store.claim_profile(oid, "bank", "tsk_b", now=T0, until=T0 + HOUR)
        assert held.value.holder_task_id == "tsk_a" and "tsk_a" in str(held.value)
        # The holder renews; nobody else saves, releases or deletes it meanwhile.
        renewed = await store.claim_profile(oid, "bank", "tsk_a", now=T0, until=T0 + 2 * HOUR)
        assert renewed.lease_until == T0 + 2 * HOUR
        with pytest.raises(ProfileInUseError):
            await store.save_profile(oid, "bank", "tsk_b", "theirs", now=T0)
        assert await store.release_profile(oid, "bank", "tsk_b") is False
        with pytest.raises(ProfileInUseError):
            await store.delete_profile(oid, "bank", now=T0)
        assert (await store.get_profile(oid, "bank")).sealed_state is None
        # Given back unchanged, it is free again.
        assert await store.release_profile(oid, "bank", "tsk_a") is True
        taken = await store.claim_profile(oid, "bank", "tsk_b", now=T0, until=T0 + HOUR)
        assert taken.holder_task_id == "tsk_b" and taken.version == 0

    async def test_a_hold_lapses_and_the_late_holder_saves_nothing(self, store: Store) -> None:
        org = await _org(store)
        oid = org.organization_id
        await store.claim_profile(oid, "bank", "tsk_dead", now=T0, until=T0 + HOUR)
        later = T0 + 2 * HOUR
        taken = await store.claim_profile(oid, "bank", "tsk_b", now=later, until=later + HOUR)
        assert taken.holder_task_id == "tsk_b"
        with pytest.raises(ProfileInUseError):
            await store.save_profile(oid, "bank", "tsk_dead", "stale", now=later)
        await store.save_profile(oid, "bank", "tsk_b", "fresh", now=later)
        with pytest.raises(LostProfileError):
            await store.save_profile(oid, "bank", "tsk_b", "again", now=later)
        await store.claim_profile(oid, "bank", "tsk_c", now=later, until=later + HOUR)
        with pytest.raises(LostProfileError):
            await store.save_profile(oid, "bank", "tsk_c", "late", now=later + 2 * HOUR)
        assert (await store.get_profile(oid, "bank")).sealed_state == "fresh"

    async def test_two_tasks_claiming_a_free_profile_at_once_one_wins(self, store: Store) -> None:
        org = await _org(store)
        oid = org.organization_id
        won: list[str] = []
        lost: list[str] = []

        async def claim(holder: str) -> None:
            try:
                await store.claim_profile(oid, "new", holder, now=T0, until=T0 + HOUR)
                won.append(holder)
            except ProfileInUseError:
                lost.append(holder)

        async with anyio.create_task_group() as group:
            for n in range(4):
                group.start_soon(claim, f"tsk_{n}")
        assert len(won) == 1 and len(lost) == 3
        assert (await store.get_profile(oid, "new")).holder_task_id == won[0]

    async def test_profiles_are_listed_without_their_state_and_deleted(self, store: Store) -> None:
        org = await _org(store)
        oid = org.organization_id
        for name in ("work", "bank"):
            await store.claim_profile(oid, name, "tsk_a", now=T0, until=T0 + HOUR)
            await store.save_profile(oid, name, "tsk_a", f"sealed {name}", now=T0)
        listed = await store.list_profiles(oid)
        assert [p.name for p in listed] == ["bank", "work"]
        assert all(p.sealed_state is None and p.version == 1 for p in listed)
        assert listed[0].size == len("sealed bank")
        await store.delete_profile(oid, "bank")
        assert [p.name for p in await store.list_profiles(oid)] == ["work"]
        with pytest.raises(NotFoundError):
            await store.delete_profile(oid, "bank")
        with pytest.raises(NotFoundError):
            await store.get_profile(oid, "bank")

    async def test_organizations_never_see_each_others_profiles(self, store: Store) -> None:
        org, other = await _org(store), await _org(store)
        await store.claim_profile(org.organization_id, "bank", "tsk_a", now=T0, until=T0 + HOUR)
        await store.save_profile(org.organization_id, "bank", "tsk_a", "ours", now=T0)
        assert await store.list_profiles(other.organization_id) == []
        with pytest.raises(NotFoundError):
            await store.get_profile(other.organization_id, "bank")
        with pytest.raises(NotFoundError):
            await store.delete_profile(other.organization_id, "bank")
        # The same name in another organization is another profile.
        theirs = await store.claim_profile(
            other.organization_id, "bank", "tsk_b", now=T0, until=T0 + HOUR
        )
        assert theirs.sealed_state is None and theirs.version == 0
        assert (await store.get_profile(org.organization_id, "bank")).sealed_state == "ours"
        with pytest.raises(NotFoundError):
            await store.claim_profile("o_missing", "bank", "tsk_c", now=T0, until=T0 + HOUR)
