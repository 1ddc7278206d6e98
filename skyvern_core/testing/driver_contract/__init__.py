"""The behaviour every :class:`~skyvern_core.protocols.BrowserDriver` must have, as a pytest suite.

The tests use a driver the way the agent does — ``new_session`` → ``goto`` → ``snapshot`` →
``execute(action, page)`` — and then check what a person would check: what the *website*
received (its recorded form submissions) and what the next snapshot shows. They run against
the fixture websites of skyvern-core's test suite (a job application with a hidden file
input and an ARIA combobox, a web-component form in shadow roots, a checkout whose card
fields live in a cross-site iframe, a cookie wall, a three-step insurance quote, a news page
with 2,000+ controls and a label-less legacy form).

Subclass :class:`DriverContract` and provide two fixtures: ``driver`` (a *started*
driver; one per test session is plenty) and ``sites`` (a :class:`FixtureSitesLike` serving
the fixture websites)::

    import pytest
    from skyvern_core.testing.driver_contract import DriverContract

    @pytest.mark.browser
    class TestMyDriver(DriverContract):
        @pytest.fixture(scope="session")
        async def driver(self):
            driver = MyDriver()
            await driver.start()
            yield driver
            await driver.close()

The tests are ``async``: run them with pytest-asyncio, with fixtures and tests on one
session-wide event loop (``asyncio_mode = "auto"``,
``asyncio_default_fixture_loop_scope = "session"``,
``asyncio_default_test_loop_scope = "session"``). Each test opens its own session(s).
"""

from __future__ import annotations

from skyvern_core.testing.driver_contract.artifacts import SessionArtifactsContract
from skyvern_core.testing.driver_contract.embedded import EmbeddedContract
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.forms import FormContract
from skyvern_core.testing.driver_contract.job_application import JobApplicationContract
from skyvern_core.testing.driver_contract.navigation import NavigationContract
from skyvern_core.testing.driver_contract.sites import (
    FixtureSitesLike,
    SubmissionLike,
    UploadedFileLike,
)
from skyvern_core.testing.driver_contract.snapshots import SnapshotContract
from skyvern_core.testing.driver_contract.storage import StorageStateContract
from skyvern_core.testing.driver_contract.support import (
    ElementNotFound,
    execute,
    expect_ok,
    find,
    find_all,
    maybe_find,
    normalize_label,
    snapshot_until,
    wait_for_submission,
)
from skyvern_core.testing.driver_contract.widgets import WidgetContract

__all__ = [
    "DriverContract",
    "DriverContractBase",
    "ElementNotFound",
    "EmbeddedContract",
    "FixtureSitesLike",
    "FormContract",
    "JobApplicationContract",
    "NavigationContract",
    "SessionArtifactsContract",
    "SnapshotContract",
    "StorageStateContract",
    "SubmissionLike",
    "UploadedFileLike",
    "WidgetContract",
    "execute",
    "expect_ok",
    "find",
    "find_all",
    "maybe_find",
    "normalize_label",
    "snapshot_until",
    "wait_for_submission",
]


class DriverContract(
    SessionArtifactsContract,
    StorageStateContract,
    NavigationContract,
    FormContract,
    EmbeddedContract,
    WidgetContract,
    JobApplicationContract,
    SnapshotContract,
):
    """The driver test suite: subclass it and provide ``driver`` and ``sites`` fixtures.

    ``driver`` is a started :class:`~skyvern_core.protocols.BrowserDriver` (any scope);
    ``sites`` a :class:`FixtureSitesLike`. They are not defined here so that a fixture of
    that name from a conftest or plugin is not shadowed by a class-level placeholder.

    Override :meth:`session_options` to change how sessions are opened (the defaults
    record no video, so the suite runs fast; one test checks recording on its own).

    Each concern's tests are a class of their own (``SnapshotContract``, ...): this is
    all of them.
    """
