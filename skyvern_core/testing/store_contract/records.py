"""The store contract for organizations and API keys, artifact records and one-time codes."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from skyvern_core import ids
from skyvern_core.errors import NotFoundError, StoreError
from skyvern_core.models import (
    ArtifactKind,
    Organization,
    utcnow,
)
from skyvern_core.storage import Store
from skyvern_core.testing.store_contract.support import (
    T0,
    _artifact,
    _assert_utc,
    _org,
    _task,
)

__all__ = ["ArtifactContract", "OrganizationContract", "TotpContract"]


class OrganizationContract:
    """Organizations and API keys.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

    async def test_organization_round_trip(self, store: Store) -> None:
        org = Organization(
            organization_id=ids.new_id("organization"),
            name="Acme",
            webhook_signing_secret="s3cret",
            max_steps=25,
            created_at=T0,
        )
        assert await store.create_organization(org) == org
        got = await store.get_organization(org.organization_id)
        assert got == org
        assert got.webhook_signing_secret == "s3cret"
        _assert_utc(got)
        with pytest.raises(NotFoundError):
            await store.get_organization(ids.new_id("organization"))

    async def test_organization_names_are_unique(self, store: Store) -> None:
        await _org(store, "Acme")
        with pytest.raises(StoreError):
            await _org(store, "Acme")

    async def test_get_or_create_organization_is_idempotent(self, store: Store) -> None:
        first = await store.get_or_create_organization("Acme")
        assert await store.get_or_create_organization("Acme") == first
        assert await store.get_organization(first.organization_id) == first
        other = await store.get_or_create_organization("Globex")
        assert other.organization_id != first.organization_id

    async def test_concurrent_get_or_create_makes_one_organization(self, store: Store) -> None:
        found: list[Organization] = []

        async def get_or_create() -> None:
            found.append(await store.get_or_create_organization("Initech"))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(get_or_create)
        assert len({o.organization_id for o in found}) == 1

    async def test_api_keys(self, store: Store) -> None:
        acme, globex = await _org(store), await _org(store)
        key_id = await store.add_api_key(acme.organization_id, "hash-acme")
        assert isinstance(key_id, str) and key_id
        await store.add_api_key(globex.organization_id, "hash-globex")
        assert await store.find_api_key("hash-acme") == acme.organization_id
        assert await store.find_api_key("hash-globex") == globex.organization_id
        assert await store.find_api_key("hash-unknown") is None
        with pytest.raises(NotFoundError):
            await store.add_api_key(ids.new_id("organization"), "hash-ghost")


class ArtifactContract:
    """Artifact records.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

    async def test_artifacts(self, store: Store) -> None:
        org = await _org(store)
        task, other = await store.create_task(_task(org)), await store.create_task(_task(org))
        artifacts = [
            _artifact(task, T0 + timedelta(seconds=2), kind=ArtifactKind.recording, size=10),
            _artifact(task, T0, content_type="image/png", size=2048),
            _artifact(task, T0 + timedelta(seconds=1), step_id="stp_x"),
        ]
        for artifact in artifacts:
            assert await store.add_artifact(artifact) == artifact
        assert await store.get_artifact(artifacts[1].artifact_id) == artifacts[1]
        listed = await store.list_artifacts(task.task_id)
        assert listed == [artifacts[1], artifacts[2], artifacts[0]]
        _assert_utc(listed[0])
        assert await store.list_artifacts(other.task_id) == []
        with pytest.raises(NotFoundError):
            await store.get_artifact(ids.new_id("artifact"))
        with pytest.raises(NotFoundError):
            await store.add_artifact(_artifact(_task(org), T0))


class TotpContract:
    """Pushed one-time codes.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

    async def test_totp_codes_are_given_newest_first_and_once(self, store: Store) -> None:
        org = await _org(store)
        now = utcnow()
        ttl = now + timedelta(minutes=10)
        older = await store.add_totp_code(org.organization_id, "ada@example.com", "111111", ttl)
        await anyio.sleep(0.002)
        newer = await store.add_totp_code(
            org.organization_id, "ada@example.com", "222222", ttl, source_text_hash="ab" * 32
        )
        assert newer.totp_id != older.totp_id and newer.totp_id.startswith("otp_")
        assert (newer.code, newer.source_text_hash, newer.used_at) == ("222222", "ab" * 32, None)
        assert newer.expires_at == ttl
        assert "222222" not in repr(newer)
        _assert_utc(newer)
        take = store.take_totp_code
        assert await take(org.organization_id, "ada@example.com", now) == "222222"
        assert await take(org.organization_id, "ada@example.com", now) == "111111"
        assert await take(org.organization_id, "ada@example.com", now) is None

    async def test_totp_codes_are_kept_apart(self, store: Store) -> None:
        org, other = await _org(store), await _org(store)
        now = utcnow()
        await store.add_totp_code(
            org.organization_id, "ada@example.com", "123456", now + timedelta(minutes=10)
        )
        assert await store.take_totp_code(other.organization_id, "ada@example.com", now) is None
        assert await store.take_totp_code(org.organization_id, "bob@example.com", now) is None
        assert await store.take_totp_code(org.organization_id, "ada@example.com", now) == "123456"
        with pytest.raises(NotFoundError):
            await store.add_totp_code(ids.new_id("organization"), "x", "1234", now)

    async def test_expired_and_too_old_totp_codes_are_not_given(self, store: Store) -> None:
        org = await _org(store)
        pushed = utcnow()
        expires = pushed + timedelta(minutes=10)
        await store.add_totp_code(org.organization_id, "4155558888", "654321", expires)
        take = store.take_totp_code
        assert await take(org.organization_id, "4155558888", expires) is None
        assert await take(org.organization_id, "4155558888", expires + timedelta(1)) is None
        later = pushed + timedelta(minutes=1)
        assert await take(org.organization_id, "4155558888", later, not_before=later) is None
        before = pushed - timedelta(seconds=1)
        assert await take(org.organization_id, "4155558888", later, not_before=before) == "654321"

    async def test_a_code_pushed_for_a_task_goes_to_that_task_only(self, store: Store) -> None:
        org = await _org(store)
        now = utcnow()
        later = now + timedelta(minutes=10)
        mine = await store.add_totp_code(
            org.organization_id, "ada", "111111", later, task_id="tsk_mine"
        )
        assert mine.task_id == "tsk_mine"
        take = store.take_totp_code
        assert await take(org.organization_id, "ada", now, task_id="tsk_other") is None
        assert await take(org.organization_id, "ada", now) is None
        assert await take(org.organization_id, "ada", now, task_id="tsk_mine") == "111111"
        await store.add_totp_code(org.organization_id, "ada", "222222", later)
        assert await take(org.organization_id, "ada", now, task_id="tsk_other") == "222222"

    async def test_concurrent_takers_get_a_code_once(self, store: Store) -> None:
        org = await _org(store)
        now = utcnow()
        await store.add_totp_code(
            org.organization_id, "ada@example.com", "777777", now + timedelta(minutes=10)
        )
        got: list[str | None] = []

        async def take() -> None:
            got.append(await store.take_totp_code(org.organization_id, "ada@example.com", now))

        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(take)
        assert sorted(got, key=str) == ["777777"] + [None] * 7
