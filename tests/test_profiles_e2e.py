"""End to end: a browser profile keeps a bank sign-in from one task to the next.

A real Chromium on each driver, litellm against the local model server, the login fixture
site with two-step verification (its sign-in page sends a browser that holds the bank's
session cookie straight to the accounts). The first task signs in with a TOTP code; the
second names the same profile, has no way to get a code, and must start signed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from skyvern_core import TaskStatus
from skyvern_core.auth import create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.models import StorageState
from skyvern_core.profiles import ProfileVault
from skyvern_core.testing.sites import FixtureSites
from tests.llm_server import LLMServer
from tests.test_totp_e2e import (
    ADA,
    agent_for,
    model,
    model_server,
    new_submissions,
    request_body,
    signed_in,
)

pytestmark = pytest.mark.browser

__all__ = ["model_server"]  # the module's model server fixture, shared with the 2FA tests


@pytest.fixture(autouse=True)
def _own_codes_again(sites: FixtureSites) -> Iterator[None]:
    """Each test sets how the bank checks Ada's codes; afterwards her own secret again."""
    yield
    sites.expect_code(ADA.username)


@pytest.mark.parametrize("driver", ["playwright", "selenium"])
async def test_a_second_task_with_the_profile_starts_signed_in_and_needs_no_code(
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    driver: str,
) -> None:
    secret = pyotp.random_base32()
    sites.expect_code(ADA.username, secret=secret)
    model_server.reset(*([model] * 12))
    agent = agent_for(model_server, tmp_path / "data", chromium_executable, driver)
    try:
        before = len(sites.submissions)
        first = await agent.run(
            request_body(sites, ADA, payload={"totp_secret": secret}, browser_profile="bank")
        )
        assert first.status == TaskStatus.completed, (first.failure_reason, first.steps)
        verified = signed_in(sites, before, ADA)

        # No secret this time: a task that met the code page could not pass it.
        before = len(sites.submissions)
        second = await agent.run(request_body(sites, ADA, browser_profile="bank"))
        assert second.status == TaskStatus.completed, (second.failure_reason, second.steps)
        assert new_submissions(sites, before) == {}  # no password, no code
        assert second.extracted_information == {"account_number": verified.extra["account_number"]}
        assert "/login/account.html" in (second.steps[0].page_url or "")

        # Without the profile, a task starts signed out, on the sign-in page.
        model_server.reset(*([model] * 4))
        third = await agent.run(request_body(sites, ADA), max_steps=1)
        assert third.status == TaskStatus.failed
        assert (third.steps[0].page_url or "").endswith("/login/")

        store = agent.store
        assert isinstance(store, SQLStore)
        (profile,) = await store.list_profiles(second.organization_id)
        assert (profile.name, profile.version, profile.saved_by_task_id) == (
            "bank",
            2,
            second.task_id,
        )
        assert profile.holder_task_id is None
        # Sealed at rest: the bank's session cookie is nowhere in the database file.
        stored = await store.get_profile(second.organization_id, "bank")
        assert stored.sealed_state is not None
        state: StorageState = ProfileVault.from_settings(agent.settings).open(
            stored.sealed_state, second.organization_id, "bank"
        )
        (cookie,) = [c for c in state.cookies if c.name == "acme_auth"]
        database = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("*.db*"))
        assert cookie.value.encode() not in database and b"acme_auth" not in database
    finally:
        await agent.aclose()


async def test_another_organizations_profile_of_that_name_is_its_own(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    secret = pyotp.random_base32()
    sites.expect_code(ADA.username, secret=secret)
    model_server.reset(*([model] * 12))
    agent = agent_for(model_server, tmp_path / "data", chromium_executable)
    try:
        first = await agent.run(
            request_body(sites, ADA, payload={"totp_secret": secret}, browser_profile="bank")
        )
        assert first.status == TaskStatus.completed, first.failure_reason
        other = await create_organization(agent.store, "Other Co")
        body: dict[str, Any] = request_body(sites, ADA, browser_profile="bank")
        org_id = other.organization.organization_id
        theirs = await agent.run(body, organization_id=org_id, max_steps=1)
        assert theirs.status == TaskStatus.failed
        assert (theirs.steps[0].page_url or "").endswith("/login/")  # signed out
        assert [p.version for p in await agent.store.list_profiles(first.organization_id)] == [1]
        (mine,) = await agent.store.list_profiles(org_id)
        assert mine.saved_by_task_id == theirs.task_id
    finally:
        await agent.aclose()
