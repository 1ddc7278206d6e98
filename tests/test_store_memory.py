"""The in-memory store passes the store contract."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from skyvern_core.testing.memory_store import MemoryStore
from skyvern_core.testing.store_contract import StoreContract


class TestMemoryStore(StoreContract):
    """The whole contract, on :class:`MemoryStore`."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[MemoryStore]:
        store = MemoryStore()
        await store.open()
        yield store
        await store.close()
