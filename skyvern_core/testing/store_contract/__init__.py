"""The behaviour every :class:`~skyvern_core.storage.Store` must have, as a pytest suite.

Subclass :class:`StoreContract` in a test module and provide a ``store`` fixture that yields
an opened, empty store::

    from skyvern_core.testing.store_contract import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        async def store(self, tmp_path):
            store = MyStore(tmp_path / "db")
            await store.open()
            yield store
            await store.close()

The tests are ``async``: run them with pytest-asyncio (``asyncio_mode = "auto"``, or decorate
the fixture with ``pytest_asyncio.fixture`` in strict mode).
"""

from __future__ import annotations

import pytest

from skyvern_core.testing.store_contract.deliveries import DeliveryContract
from skyvern_core.testing.store_contract.profiles import ProfileContract
from skyvern_core.testing.store_contract.queue import QueueContract
from skyvern_core.testing.store_contract.records import (
    ArtifactContract,
    OrganizationContract,
    TotpContract,
)
from skyvern_core.testing.store_contract.replays import ReplayContract
from skyvern_core.testing.store_contract.steps import StepContract
from skyvern_core.testing.store_contract.tasks import TaskContract

__all__ = [
    "ArtifactContract",
    "DeliveryContract",
    "OrganizationContract",
    "ProfileContract",
    "QueueContract",
    "ReplayContract",
    "StepContract",
    "StoreContract",
    "TaskContract",
    "TotpContract",
]


class StoreContract(
    TaskContract,
    StepContract,
    QueueContract,
    OrganizationContract,
    ArtifactContract,
    DeliveryContract,
    TotpContract,
    ReplayContract,
    ProfileContract,
):
    """Tests every store must pass; subclasses provide the ``store`` fixture.

    Each concern's tests are a class of their own (``TaskContract``, ...): this is
    all of them.
    """

    pytestmark = pytest.mark.asyncio
