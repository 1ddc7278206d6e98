"""Property-based fuzzing of the HTTP API from its own OpenAPI schema: no input gives a 500.

Schemathesis generates requests for every operation of the schema the app publishes and
sends them to a real uvicorn server, with a valid key (so the handlers run) and with the
keys it makes up itself (so authentication runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from skyvern_core import Agent
from skyvern_core.asgi import create_app
from skyvern_core.auth import create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedPlanner
from tests.servers import UvicornThread


class Target:
    """The served app and a valid key."""

    def __init__(self, data_dir: Path) -> None:
        db = f"sqlite:///{data_dir / 'fuzz.db'}"

        async def org() -> str:
            store = SQLStore(db)
            await store.open()
            made = await create_organization(store, "Fuzz")
            await store.close()
            return made.api_key

        self.key = anyio.run(org)
        agent = Agent(
            driver=InMemoryDriver([FakePage(url="https://example.test/", title="Example")]),
            planner=ScriptedPlanner(),
            store="sqlite",
            notifier="none",
            data_dir=data_dir,
            database_url=db,
        )
        # No workers: fuzzed tasks stay queued, so this is about the API alone.
        self.server = UvicornThread(create_app(agent, workers=False)).start()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    target = Target(tmp_path_factory.mktemp("fuzz"))
    yield target
    target.server.stop()


def operations(target: Target) -> list[Any]:
    """Every operation of the schema the running app publishes."""
    schema = schemathesis.openapi.from_url(target.server.url + "/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 7
    return found


FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def fuzz(operation: Any, base_url: str, headers: dict[str, str] | None) -> None:
    """Send generated requests for one operation; none may get a 5xx."""
    where = f"{operation.method.upper()} {operation.path}"

    @FUZZ
    @given(case=operation.as_strategy())
    def call(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        assert response.status_code < 500, (where, response.status_code, response.text[:500])

    call()


@pytest.mark.parametrize("valid_key", [True, False], ids=["valid-key", "made-up-key"])
def test_no_input_gives_a_server_error(target: Target, valid_key: bool) -> None:
    headers = {"x-api-key": target.key} if valid_key else None
    for operation in operations(target):
        fuzz(operation, target.server.url, headers)
