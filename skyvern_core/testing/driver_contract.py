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

import re
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import anyio
import pytest

from skyvern_core.models import (
    Action,
    ActionResult,
    CheckAction,
    ClickAction,
    Element,
    GoBackAction,
    GotoUrlAction,
    HoverAction,
    InputTextAction,
    KeypressAction,
    PageState,
    ScrollAction,
    SelectOptionAction,
    UploadFileAction,
    WaitAction,
)
from skyvern_core.protocols import BrowserDriver, BrowserSession, SessionArtifacts, SessionOptions

__all__ = [
    "DriverContract",
    "ElementNotFound",
    "FixtureSitesLike",
    "SubmissionLike",
    "UploadedFileLike",
    "execute",
    "expect_ok",
    "find",
    "find_all",
    "maybe_find",
    "normalize_label",
    "snapshot_until",
    "wait_for_submission",
]

T = TypeVar("T")

CALL_TIMEOUT = 60.0
"""No single driver call may take longer: a hung driver fails a test instead of the run."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- the sites


@runtime_checkable
class UploadedFileLike(Protocol):
    """A file a fixture site received in a multipart form."""

    @property
    def filename(self) -> str:
        """The file name the browser sent."""

    @property
    def size(self) -> int:
        """The number of bytes received."""


@runtime_checkable
class SubmissionLike(Protocol):
    """One POST a fixture site received."""

    @property
    def path(self) -> str:
        """The URL path posted to, e.g. ``/jobs/apply``."""

    @property
    def fields(self) -> Mapping[str, str]:
        """The form fields (first value of each)."""

    @property
    def files(self) -> Mapping[str, UploadedFileLike]:
        """The uploaded files, by field name."""

    @property
    def reference(self) -> str | None:
        """The number the site issued for it (confirmation, order, token), if any."""


@runtime_checkable
class FixtureSitesLike(Protocol):
    """The fixture websites, served on a main origin and a second, cross-site origin."""

    def url(self, path: str = "") -> str:
        """The main-origin URL of ``path`` (``"jobs/"``)."""

    def other_origin_url(self, path: str = "") -> str:
        """The URL of ``path`` on the second origin."""

    @property
    def submissions(self) -> Sequence[SubmissionLike]:
        """Every POST received so far, oldest first."""


# --------------------------------------------------------------------------- helpers


class ElementNotFound(AssertionError):
    """No element of a page state matches; the message lists what the page has."""


_ROLE_GROUPS: dict[str, frozenset[str]] = {
    # What a person calls "a text field" is reported under several names by drivers.
    "textbox": frozenset({"textbox", "searchbox", "input", "textarea", "text", "spinbutton"}),
    "button": frozenset({"button", "submit", "reset"}),
    "link": frozenset({"link", "a"}),
    "checkbox": frozenset({"checkbox", "menuitemcheckbox"}),
    "radio": frozenset({"radio", "menuitemradio"}),
    "switch": frozenset({"switch"}),
    "combobox": frozenset({"combobox", "select", "listbox"}),
    "select": frozenset({"select", "combobox", "listbox"}),
}

_LABEL_NOISE = re.compile(r"[\s*:]+")


def normalize_label(text: str | None) -> str:
    """Casefold, drop required-markers and colons, and collapse whitespace."""
    return _LABEL_NOISE.sub(" ", (text or "").replace("\u00a0", " ")).strip().casefold()


def _role_matches(element: Element, role: str | None) -> bool:
    if role is None:
        return True
    wanted = _ROLE_GROUPS.get(role, frozenset({role}))
    return element.role.casefold() in wanted or (element.type or "").casefold() in wanted


def find_all(
    page: PageState,
    *,
    label: str | None = None,
    role: str | None = None,
    type: str | None = None,
    exact: bool = False,
    visible_only: bool = False,
) -> list[Element]:
    """Every element matching, best first: exact labels, then prefixes, then substrings.

    ``label`` is compared after :func:`normalize_label`; ``role`` accepts a family name
    (``"textbox"`` also matches ``searchbox``/``input``...; ``"select"`` also ``combobox``).
    ``type`` is the input type (``"file"``, ``"date"``...).
    """
    wanted = normalize_label(label) if label is not None else None
    ranked: list[tuple[int, int, int, Element]] = []
    for index, el in enumerate(page.elements):
        if not _role_matches(el, role):
            continue
        if type is not None and (el.type or "").casefold() != type.casefold():
            continue
        if visible_only and el.visibility != "visible":
            continue
        rank = 0
        if wanted is not None:
            have = normalize_label(el.label)
            if have == wanted:
                rank = 0
            elif exact:
                continue
            elif have.startswith(wanted):
                rank = 1
            elif wanted in have:
                rank = 2
            else:
                continue
        hidden = 0 if el.visibility in ("visible", "offscreen") else 1
        ranked.append((rank, hidden, index, el))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]


def maybe_find(
    page: PageState,
    *,
    label: str | None = None,
    role: str | None = None,
    type: str | None = None,
    exact: bool = False,
    visible_only: bool = False,
) -> Element | None:
    """The best match (see :func:`find_all`), or ``None``."""
    found = find_all(
        page, label=label, role=role, type=type, exact=exact, visible_only=visible_only
    )
    return found[0] if found else None


def find(
    page: PageState,
    *,
    label: str | None = None,
    role: str | None = None,
    type: str | None = None,
    exact: bool = False,
    visible_only: bool = False,
) -> Element:
    """The best match (see :func:`find_all`); raises :class:`ElementNotFound` listing the page."""
    found = maybe_find(
        page, label=label, role=role, type=type, exact=exact, visible_only=visible_only
    )
    if found is None:
        wanted = ", ".join(
            f"{k}={v!r}" for k, v in (("label", label), ("role", role), ("type", type)) if v
        )
        raise ElementNotFound(f"no element with {wanted} on {page.url}\n{describe(page)}")
    return found


def describe(page: PageState, limit: int = 80) -> str:
    """A short listing of a page state's elements, for assertion messages."""
    lines = [
        f"  {e.id} {e.role}{'/' + e.type if e.type else ''} {e.label!r} [{e.visibility}]"
        + (f" frame={e.frame}" if e.frame else "")
        for e in page.elements[:limit]
    ]
    more = len(page.elements) - limit
    if more > 0:
        lines.append(f"  ... and {more} more")
    return "\n".join(lines) or "  (no elements)"


async def _bounded(awaitable: Awaitable[T], what: str, within: float = CALL_TIMEOUT) -> T:
    with anyio.move_on_after(within):
        return await awaitable
    pytest.fail(f"{what} did not finish within {within:.0f} s")


async def execute(session: BrowserSession, action: Action, page: PageState) -> ActionResult:
    """Run one action, bounded in time; a driver must report failures, not raise them."""
    result = await _bounded(session.execute(action, page), f"execute({action.type})")
    assert isinstance(result, ActionResult), f"execute returned {result!r}"
    return result


def expect_ok(result: ActionResult, what: str) -> ActionResult:
    """Assert an action succeeded, showing the driver's reason when it did not."""
    assert result.success, f"{what} failed: {result.error}"
    return result


async def snapshot(session: BrowserSession) -> PageState:
    """Take a snapshot, bounded in time."""
    page = await _bounded(session.snapshot(), "snapshot")
    assert isinstance(page, PageState)
    return page


async def snapshot_until(
    session: BrowserSession,
    predicate: Callable[[PageState], bool],
    *,
    within: float = 10.0,
    what: str = "the expected page",
) -> PageState:
    """Snapshot until ``predicate`` holds (for work a page finishes asynchronously)."""
    deadline = time.monotonic() + within
    page = await snapshot(session)
    while not predicate(page):
        if time.monotonic() > deadline:
            pytest.fail(
                f"{what} did not show within {within:.0f} s; at {page.url}:\n"
                f"{page.content[:500]}\n{describe(page, 40)}"
            )
        await anyio.sleep(0.25)
        page = await snapshot(session)
    return page


async def wait_for_submission(
    sites: FixtureSitesLike,
    path: str,
    *,
    where: Mapping[str, str] | None = None,
    within: float = 10.0,
) -> SubmissionLike:
    """The newest submission to ``path`` whose fields include ``where``; waits for it."""
    deadline = time.monotonic() + within
    while True:
        for sub in reversed(list(sites.submissions)):
            if sub.path == path and all(sub.fields.get(k) == v for k, v in (where or {}).items()):
                return sub
        if time.monotonic() > deadline:
            seen = [(s.path, dict(s.fields)) for s in sites.submissions if s.path == path]
            pytest.fail(f"the site received no POST to {path} with {where}; got {seen}")
        await anyio.sleep(0.1)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: {data[:16]!r}"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _unique(prefix: str) -> str:
    """A value no other test types, so a test finds its own submission."""
    return f"{prefix}{time.monotonic_ns() % 10**9}"


def _path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("#")[0]


# --------------------------------------------------------------------------- the suite


class DriverContract:
    """The driver test suite: subclass it and provide ``driver`` and ``sites`` fixtures.

    ``driver`` is a started :class:`~skyvern_core.protocols.BrowserDriver` (any scope);
    ``sites`` a :class:`FixtureSitesLike`. They are not defined here so that a fixture of
    that name from a conftest or plugin is not shadowed by a class-level placeholder.

    Override :meth:`session_options` to change how sessions are opened (the defaults
    record no video, so the suite runs fast; one test checks recording on its own).
    """

    # ------------------------------------------------------------------ fixtures

    def session_options(self, artifact_dir: Path, **overrides: Any) -> SessionOptions:
        """The options each test's session is opened with."""
        options: dict[str, Any] = {
            "task_id": _unique("tsk_contract_"),
            "artifact_dir": artifact_dir,
            "record_video": False,
        }
        options.update(overrides)
        return SessionOptions(**options)

    async def open_session(
        self, driver: BrowserDriver, artifact_dir: Path, **overrides: Any
    ) -> BrowserSession:
        """Open a session through the protocol."""
        await anyio.Path(artifact_dir).mkdir(parents=True, exist_ok=True)
        session = await _bounded(
            driver.new_session(self.session_options(artifact_dir, **overrides)), "new_session"
        )
        assert isinstance(session, BrowserSession)
        return session

    @pytest.fixture
    async def session(self, driver: BrowserDriver, tmp_path: Path) -> AsyncIterator[BrowserSession]:
        """A fresh session for one test, closed afterwards."""
        session = await self.open_session(driver, tmp_path / "artifacts")
        try:
            yield session
        finally:
            await _bounded(session.close(), "close")

    async def open(self, session: BrowserSession, url: str) -> PageState:
        """``goto`` a URL and return the first snapshot."""
        await _bounded(session.goto(url), f"goto({url})")
        return await snapshot(session)

    # ------------------------------------------------------------------ basics

    async def test_snapshot_describes_the_page(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """URL, title, text and elements with unique ids, labels and roles."""
        page = await self.open(session, sites.url("jobs/"))
        assert page.url == sites.url("jobs/")
        assert page.title == "Senior Backend Engineer - Northwind Robotics"
        assert "Apply for this Job" in page.content
        ids = [e.id for e in page.elements]
        assert len(ids) == len(set(ids)), "element ids must be unique within a snapshot"
        assert find(page, label="Email", role="textbox").type == "email"
        assert find(page, label="First Name", role="textbox").required
        assert not find(page, label="Phone", role="textbox").required
        assert find(page, label="Submit application", role="button")
        assert find(page, label="Dropbox", role="button").disabled
        # Inside a [hidden] block until a file is chosen: not something a person can see.
        remove = maybe_find(page, label="Remove file", role="button")
        assert remove is None or remove.visibility == "hidden", (
            f"the 'Remove file' button is display:none, yet reported {remove.visibility!r}"
        )

    async def test_ids_are_stable_across_snapshots(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """The same element keeps its id from one snapshot to the next, also after typing."""
        first = await self.open(session, sites.url("jobs/"))
        second = await snapshot(session)
        assert [(e.id, e.role, e.label) for e in first.elements] == [
            (e.id, e.role, e.label) for e in second.elements
        ]
        email = find(first, label="Email", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=email.id, text="x@y.io"), first),
            "typing the email",
        )
        third = await snapshot(session)
        after = find(third, label="Email", role="textbox")
        assert after.id == email.id
        assert after.value == "x@y.io"
        assert find(third, label="Last Name").id == find(first, label="Last Name").id

    async def test_unknown_element_is_a_readable_failure(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """An element id the page does not have fails the action; it does not raise."""
        page = await self.open(session, sites.url("jobs/"))
        result = await execute(session, ClickAction(element_id="no-such-element"), page)
        assert not result.success
        assert result.error and "no-such-element" in result.error

    async def test_disabled_button_click_fails(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Clicking a disabled control is reported, not silently ignored."""
        page = await self.open(session, sites.url("jobs/"))
        dropbox = find(page, label="Dropbox", role="button")
        result = await execute(session, ClickAction(element_id=dropbox.id), page)
        assert not result.success
        assert result.error

    # ------------------------------------------------------------------ the job application

    async def test_job_application_end_to_end(
        self, session: BrowserSession, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """Text fields, the hidden résumé input, the ARIA combobox, selects and consent.

        The site must receive every value, the file with its name and size, and show the
        confirmation number it issued.
        """
        resume = tmp_path / "Ada_Lovelace_CV.pdf"
        resume.write_bytes(b"%PDF-1.4\n" + b"7" * 3324)
        email = f"{_unique('ada')}@example.com"
        page = await self.open(session, sites.url("jobs/"))

        for label, text in [
            ("First Name", "Ada"),
            ("Last Name", "Lovelace"),
            ("Email", email),
            ("Phone", "+49 30 1234567"),
        ]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )

        # The real <input type=file> is visually hidden; a person uses "Attach". The
        # driver may expose the input itself (labelled "Resume/CV") or take the button.
        target = maybe_find(page, label="Resume/CV", type="file") or find(
            page, label="Attach", role="button"
        )
        expect_ok(
            await execute(session, UploadFileAction(element_id=target.id, file=str(resume)), page),
            "uploading the résumé",
        )
        page = await snapshot(session)
        remove = maybe_find(page, label="Remove file", role="button")
        assert remove is not None and remove.visibility != "hidden", (
            "after the upload the page shows the chosen file with a remove button\n"
            + describe(page)
        )

        location = find(page, label="Location (City)", role="combobox")
        expect_ok(
            await execute(
                session, SelectOptionAction(element_id=location.id, option="Berlin, Germany"), page
            ),
            "choosing the location in the combobox",
        )
        page = await snapshot(session)
        source = find(page, label="How did you hear about this job?", role="select")
        expect_ok(
            await execute(
                session, SelectOptionAction(element_id=source.id, option="Employee referral"), page
            ),
            "choosing the source",
        )
        auth = find(page, label="legally authorized to work", role="select")
        expect_ok(
            await execute(session, SelectOptionAction(element_id=auth.id, option="Yes"), page),
            "answering the work authorization question",
        )
        consent = find(page, label="I consent to Northwind Robotics", role="checkbox")
        expect_ok(
            await execute(session, CheckAction(element_id=consent.id, checked=True), page),
            "ticking the consent box",
        )
        page = await snapshot(session)
        assert find(page, label="I consent to Northwind Robotics", role="checkbox").checked
        assert find(page, label="legally authorized to work", role="select").value == "Yes"

        submit = find(page, label="Submit application", role="button")
        expect_ok(await execute(session, ClickAction(element_id=submit.id), page), "submitting")
        sub = await wait_for_submission(sites, "/jobs/apply", where={"email": email})
        assert sub.fields["first_name"] == "Ada"
        assert sub.fields["last_name"] == "Lovelace"
        assert sub.fields["phone"] == "+49 30 1234567"
        assert sub.fields["location"] == "Berlin, Germany"
        assert sub.fields["source"] == "referral"
        assert sub.fields["work_auth"] == "Yes"
        assert sub.fields["consent"] == "yes"
        assert "resume" in sub.files, f"no file received; files: {dict(sub.files)}"
        assert sub.files["resume"].filename == "Ada_Lovelace_CV.pdf"
        assert sub.files["resume"].size == resume.stat().st_size

        page = await snapshot(session)
        assert "/jobs/confirmation.html" in page.url
        numbers = re.findall(r"JA-\d{6}", page.content)
        assert numbers == [sub.reference], (
            f"the confirmation number {sub.reference} should be in the page text: {page.content!r}"
        )

    async def _apply_with_upload(
        self, session: BrowserSession, sites: FixtureSitesLike, file: str, *, via_button: bool
    ) -> SubmissionLike:
        """Fill the job application's required fields, upload ``file`` and submit it."""
        email = f"{_unique('upload')}@example.com"
        page = await self.open(session, sites.url("jobs/"))
        if via_button:
            target = find(page, label="Attach", role="button")
        else:
            target = maybe_find(page, label="Resume/CV", type="file") or find(
                page, label="Attach", role="button"
            )
        expect_ok(
            await execute(session, UploadFileAction(element_id=target.id, file=file), page),
            f"uploading {file} through {target.label!r}",
        )
        page = await snapshot(session)
        for label, text in [("First Name", "Ada"), ("Last Name", "Byron"), ("Email", email)]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        for label, option in [
            ("Location (City)", "Lisbon, Portugal"),
            ("legally authorized", "No"),
        ]:
            field = find(page, label=label)
            expect_ok(
                await execute(
                    session, SelectOptionAction(element_id=field.id, option=option), page
                ),
                f"choosing {label}",
            )
        consent = find(page, label="I consent to Northwind Robotics", role="checkbox")
        expect_ok(await execute(session, CheckAction(element_id=consent.id), page), "consent")
        submit = find(page, label="Submit application", role="button")
        expect_ok(await execute(session, ClickAction(element_id=submit.id), page), "submitting")
        return await wait_for_submission(sites, "/jobs/apply", where={"email": email})

    async def test_upload_through_the_attach_button(
        self, session: BrowserSession, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """upload_file aimed at the button that opens the file chooser (what a person sees)."""
        resume = tmp_path / "cover-letter.txt"
        resume.write_text("Dear hiring team,\n" * 40)
        sub = await self._apply_with_upload(session, sites, str(resume), via_button=True)
        assert "resume" in sub.files, f"no file received; files: {dict(sub.files)}"
        assert sub.files["resume"].filename == "cover-letter.txt"
        assert sub.files["resume"].size == resume.stat().st_size
        assert sub.fields["location"] == "Lisbon, Portugal"

    async def test_upload_takes_local_files_only(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """upload_file with a URL fails without fetching it and the input stays empty: the
        runner fetches URLs under the URL policy and hands the driver a local copy."""
        url = sites.url("news/downloads/todays-edition.pdf")
        page = await self.open(session, sites.url("jobs/"))
        target = maybe_find(page, label="Resume/CV", type="file") or find(
            page, label="Attach", role="button"
        )
        result = await execute(session, UploadFileAction(element_id=target.id, file=url), page)
        assert not result.success, "a driver must not fetch a URL to upload"
        assert result.error and "local file" in result.error, result.error
        page = await snapshot(session)
        remove = maybe_find(page, label="Remove file", role="button")
        assert remove is None or remove.visibility == "hidden", (
            "after a refused upload the page shows no chosen file\n" + describe(page)
        )

    async def test_select_option_missing_lists_the_options(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Choosing an option a native select lacks fails and names the ones it has."""
        page = await self.open(session, sites.url("jobs/"))
        source = find(page, label="How did you hear about this job?", role="select")
        result = await execute(
            session, SelectOptionAction(element_id=source.id, option="Carrier pigeon"), page
        )
        assert not result.success
        assert result.error
        for option in ("LinkedIn", "Company website", "Employee referral"):
            assert option in result.error, f"{option!r} not listed in: {result.error}"

    async def test_combobox_missing_option_fails(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A custom combobox without the option fails readably and chooses nothing."""
        page = await self.open(session, sites.url("jobs/"))
        location = find(page, label="Location (City)", role="combobox")
        result = await execute(
            session, SelectOptionAction(element_id=location.id, option="Atlantis"), page
        )
        assert not result.success
        assert result.error

    async def test_check_visually_hidden_checkbox(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A checkbox hidden behind its styled label can be ticked and unticked."""
        page = await self.open(session, sites.url("jobs/"))
        consent = find(page, label="I consent to Northwind Robotics", role="checkbox")
        assert consent.checked is False
        expect_ok(await execute(session, CheckAction(element_id=consent.id), page), "ticking")
        page = await snapshot(session)
        assert find(page, label="I consent to Northwind Robotics", role="checkbox").checked
        expect_ok(
            await execute(session, CheckAction(element_id=consent.id, checked=False), page),
            "unticking",
        )
        page = await snapshot(session)
        assert not find(page, label="I consent to Northwind Robotics", role="checkbox").checked

    # ------------------------------------------------------------------ form widgets

    async def _widgets_submit(
        self, session: BrowserSession, sites: FixtureSitesLike, page: PageState, who: str
    ) -> SubmissionLike:
        """Type ``who`` as the first name, submit the booking form and return what it got."""
        first = find(page, label="First name", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=first.id, text=who), page), "name"
        )
        button = find(page, label="Continue to payment", role="button")
        expect_ok(await execute(session, ClickAction(element_id=button.id), page), "submitting")
        return await wait_for_submission(sites, "/widgets/book", where={"first_name": who})

    async def test_native_selects_match_case_punctuation_and_words(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A native select takes "mr" for "MR.", "united states" for "United States of
        America" (not the Minor Outlying Islands), "1 bag" for "1 bag (23 kg)"; the result
        names the option chosen."""
        page = await self.open(session, sites.url("widgets/"))
        asked = {
            "Title": ("mr", "MR."),
            "Gender": ("female", "Female"),
            "Checked bags": ("1 bag", "1 bag (23 kg)"),
            "Meal": ("vegetarian", "Vegetarian / Lacto-ovo (VLML)"),
            "Frequent flyer programme": ("mileageplus", "MileagePlus (United)"),
            "Phone country code": ("+44", "+44 United Kingdom"),
            "Country": ("united states", "United States of America"),
            "State / Province": ("new york", "New York"),
        }
        for label, (option, chosen) in asked.items():
            field = find(page, label=label, role="select")
            result = expect_ok(
                await execute(
                    session, SelectOptionAction(element_id=field.id, option=option), page
                ),
                f"choosing {option!r} in {label}",
            )
            assert result.data["chosen"] == chosen, (label, result.data)
        sub = await self._widgets_submit(session, sites, page, _unique("Ada-"))
        assert {k: sub.fields[k] for k in ("title", "gender", "bags", "meal", "ff_program")} == {
            "title": "MR",
            "gender": "F",
            "bags": "1",
            "meal": "VLML",
            "ff_program": "UA",
        }
        assert (sub.fields["phone_code"], sub.fields["country"]) == ("+44", "US")
        assert sub.fields["state"] == "New York"

    async def test_select_option_ambiguity_and_absence_name_the_options(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Several equally good options fail naming them; none at all lists the options;
        neither changes the field."""
        page = await self.open(session, sites.url("widgets/"))
        country = find(page, label="Country", role="select")
        result = await execute(
            session, SelectOptionAction(element_id=country.id, option="United"), page
        )
        assert not result.success and result.error
        for candidate in ("United Kingdom of Great Britain", "United States of America"):
            assert candidate in result.error, result.error
        assert "give the option's full text" in result.error
        title = find(page, label="Title", role="select")
        result = await execute(session, SelectOptionAction(element_id=title.id, option="Sir"), page)
        assert not result.success and result.error
        assert "has no option 'Sir'; the options are: Select..., MR., MRS., MS., MX., DR." in (
            result.error
        )
        page = await snapshot(session)
        assert find(page, label="Country", role="select").value in ("", None)

    async def test_react_select_async_suggestions_in_a_portal(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A react-select whose suggestions are fetched after typing, in a menu at the end
        of <body>: select_option types and picks; input_text types and picks the suggestion
        that matches; the form library's hidden inputs get the codes."""
        page = await self.open(session, sites.url("widgets/"))
        origin = find(page, label="From", role="combobox")
        assert not origin.options, "the suggestions must not be listed before typing"
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=origin.id, option="Paris CDG"), page
            ),
            "choosing the departure airport",
        )
        assert result.data["chosen"] == "Paris Charles de Gaulle (CDG)"
        destination = find(page, label="To", role="combobox")
        result = expect_ok(
            await execute(
                session, InputTextAction(element_id=destination.id, text="new york jfk"), page
            ),
            "typing the arrival airport",
        )
        assert result.data["autocomplete"] == "picked"
        assert result.data["chosen"] == "New York John F. Kennedy (JFK)"
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert (sub.fields["from"], sub.fields["to"]) == ("CDG", "JFK")

    async def test_react_select_ambiguous_suggestions_fail_naming_them(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """ "Paris" fits three airports: the select fails naming them and leaves the field
        empty."""
        page = await self.open(session, sites.url("widgets/"))
        origin = find(page, label="From", role="combobox")
        result = await execute(
            session, SelectOptionAction(element_id=origin.id, option="Paris"), page
        )
        assert not result.success and result.error
        for airport in ("Paris Charles de Gaulle (CDG)", "Paris Orly (ORY)", "Paris Beauvais"):
            assert airport in result.error, result.error
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert sub.fields["from"] == ""

    async def test_material_ui_autocomplete_and_select(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A Material UI Autocomplete (options in a popper) takes "cote d'ivoire" for
        "Côte d'Ivoire"; a Material UI Select (a div with a hidden input) takes "Economy"
        for "Economy / Coach", checked by what the trigger shows."""
        page = await self.open(session, sites.url("widgets/"))
        nationality = find(page, label="Nationality", role="combobox")
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=nationality.id, option="cote d'ivoire"), page
            ),
            "choosing the nationality",
        )
        assert result.data["chosen"] == "Côte d'Ivoire"
        cabin = find(page, label="Cabin class", role="combobox")
        result = expect_ok(
            await execute(session, SelectOptionAction(element_id=cabin.id, option="Economy"), page),
            "choosing the cabin",
        )
        assert result.data["chosen"] == "Economy / Coach"
        assert result.data.get("shown_by") == "shown"
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert (sub.fields["nationality"], sub.fields["cabin"]) == ("Côte d'Ivoire", "economy")

    async def test_chip_multi_select_is_checked_by_its_chip(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A react-select multi shows a choice only as a chip (its input stays empty): the
        choice counts as made, and the site gets the value."""
        page = await self.open(session, sites.url("widgets/"))
        assistance = find(page, label="Special assistance", role="combobox")
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=assistance.id, option="wheelchair"), page
            ),
            "choosing the assistance",
        )
        assert result.data["chosen"] == "Wheelchair (WCHR)"
        page = await snapshot(session)
        assert maybe_find(page, label="Remove Wheelchair (WCHR)") is not None
        sub = await self._widgets_submit(session, sites, page, _unique("A-"))
        assert sub.fields["assistance"] == "WCHR"

    async def test_plain_autocomplete_keeps_typed_text_without_a_matching_suggestion(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """An address autocomplete whose suggestions do not fit keeps the typed text (and
        says so), under input_text and select_option alike; one that fits is picked."""
        page = await self.open(session, sites.url("widgets/"))
        address = find(page, label="Street address", role="combobox")
        result = expect_ok(
            await execute(
                session, InputTextAction(element_id=address.id, text="350 Fifth Avenue"), page
            ),
            "typing an address a suggestion fits",
        )
        assert result.data["chosen"] == "350 Fifth Avenue, New York, NY 10118"
        result = expect_ok(
            await execute(
                session, InputTextAction(element_id=address.id, text="1 Amphitheatre Pkwy"), page
            ),
            "typing an address no suggestion fits",
        )
        assert result.data["autocomplete"] == "typed"
        assert result.data["suggestions"] == ["1 Infinite Loop, Cupertino, CA 95014"]
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=address.id, option="9 Elm Street"), page
            ),
            "choosing an address no suggestion fits",
        )
        assert result.data["autocomplete"] == "typed"
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert sub.fields["address"] == "9 Elm Street"

    # ------------------------------------------------------------------ shadow DOM

    async def test_shadow_dom_form(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """Fields inside nested open shadow roots are found, filled and submitted."""
        workspace = _unique("team-")
        page = await self.open(session, sites.url("shadow/"))
        for label, text in [
            ("First name", "Grace"),
            ("Last name", "Hopper"),
            ("Work email", "grace@example.com"),
            ("Workspace URL", workspace),
        ]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        size = find(page, label="Company size", role="select")
        expect_ok(
            await execute(session, SelectOptionAction(element_id=size.id, option="11-50"), page),
            "choosing the company size",
        )
        terms = find(page, label="I agree to the Terms of Service", role="checkbox")
        expect_ok(await execute(session, CheckAction(element_id=terms.id), page), "terms")
        button = find(page, label="Create account", role="button")
        expect_ok(await execute(session, ClickAction(element_id=button.id), page), "submitting")

        sub = await wait_for_submission(sites, "/shadow/register", where={"workspace": workspace})
        assert dict(sub.fields) == {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "workspace": workspace,
            "company_size": "11-50",
            "terms": "accepted",
        }
        page = await snapshot(session)
        assert "Welcome aboard, Grace!" in page.content

    # ------------------------------------------------------------------ cross-origin iframe

    async def test_card_fields_in_cross_origin_iframe(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Card fields in a frame from another site are filled; the payment goes through."""
        name = _unique("Jane Buyer ")
        page = await self.open(session, sites.url("checkout/"))
        number = find(page, label="card number", role="textbox")
        assert number.frame, "card fields live in a child frame: Element.frame must say so"
        assert find(page, label="Email", role="textbox").frame is None
        for label, text in [
            ("Email", "buyer@example.com"),
            ("card number", "4242 4242 4242 4242"),
            ("expiration date", "12 / 34"),
            ("CVC", "123"),
            ("Cardholder name", name),
            ("ZIP", "94107"),
        ]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        pay = find(page, label="Pay $49.00", role="button")
        expect_ok(await execute(session, ClickAction(element_id=pay.id), page), "paying")

        order = await wait_for_submission(sites, "/checkout/pay", where={"cardholder": name})
        token = next(
            s
            for s in sites.submissions
            if s.path == "/checkout/tokens" and s.reference == order.fields["card_token"]
        )
        assert token.fields["number"] == "4242 4242 4242 4242"
        assert token.fields["exp"] == "12 / 34"
        assert token.fields["cvc"] == "123"
        page = await snapshot_until(
            session, lambda p: "Thanks for your order" in p.content, what="the order confirmation"
        )
        assert order.reference and order.reference in page.content, (
            f"the order number {order.reference} shown on the page is not in the page "
            f"state's text, so it cannot be extracted: {page.content!r}"
        )

    # ------------------------------------------------------------------ overlays

    async def test_cookie_modal_covers_the_form(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Under a consent overlay the button is reported covered; after Accept it works."""
        email = f"{_unique('cook')}@example.com"
        page = await self.open(session, sites.url("cookies/"))
        subscribe = find(page, label="Subscribe", role="button", exact=True)
        assert subscribe.visibility == "covered", describe(page)
        accept = find(page, label="Accept all", role="button")
        assert accept.visibility == "visible"

        result = await execute(session, ClickAction(element_id=subscribe.id), page)
        if result.success:
            # Acceptable only if the driver really got the overlay out of the way first.
            after = await snapshot(session)
            still = maybe_find(after, label="Accept all", role="button", visible_only=True)
            assert still is None, "the click 'succeeded' through the overlay"
        else:
            assert result.error and len(result.error) > 10
            assert "Traceback" not in result.error
            page = await snapshot(session)
            accept = find(page, label="Accept all", role="button")
            expect_ok(await execute(session, ClickAction(element_id=accept.id), page), "Accept")

        page = await snapshot(session)
        assert maybe_find(page, label="Accept all", role="button", visible_only=True) is None
        subscribe = find(page, label="Subscribe", role="button", exact=True)
        assert subscribe.visibility == "visible", describe(page)
        field = find(page, label="Email address", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=field.id, text=email), page),
            "typing the email",
        )
        expect_ok(await execute(session, ClickAction(element_id=subscribe.id), page), "subscribing")
        sub = await wait_for_submission(sites, "/cookies/subscribe", where={"email": email})
        page = await snapshot(session)
        assert "You're on the list!" in page.content
        assert sub.reference

    async def test_sessions_do_not_share_cookies(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """Consent given in one session is not seen by another open at the same time."""
        first = await self.open_session(driver, tmp_path / "a")
        second = await self.open_session(driver, tmp_path / "b")
        try:
            page = await self.open(first, sites.url("cookies/"))
            accept = find(page, label="Accept all", role="button")
            expect_ok(await execute(first, ClickAction(element_id=accept.id), page), "Accept")
            page = await self.open(first, sites.url("cookies/"))
            assert maybe_find(page, label="Accept all", role="button", visible_only=True) is None, (
                "the consent cookie should persist within a session"
            )
            other = await self.open(second, sites.url("cookies/"))
            assert find(other, label="Accept all", role="button").visibility == "visible"
        finally:
            await _bounded(first.close(), "close")
            await _bounded(second.close(), "close")

    # ------------------------------------------------------------------ multi-step form

    async def test_multi_step_insurance_quote(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Three steps: a date input, dependent selects, card radios, ARIA switch/checkbox."""
        email = f"{_unique('sam')}@example.com"
        page = await self.open(session, sites.url("insurance/"))
        for label, text in [
            ("First name", "Sam"),
            ("Last name", "Rivera"),
            ("Date of birth", "1985-04-12"),
            ("ZIP code", "30301"),
            ("Email", email),
        ]:
            field = find(page, label=label)
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        assert maybe_find(page, label="Make", role="select", visible_only=True) is None
        expect_ok(
            await execute(
                session,
                ClickAction(
                    element_id=find(page, label="Continue", role="button", visible_only=True).id
                ),
                page,
            ),
            "continuing to step 2",
        )

        page = await snapshot(session)
        assert "Step 2 of 3" in page.content, page.content
        for label, option in [("Year", "2019"), ("Make", "Honda")]:
            select = find(page, label=label, role="select", visible_only=True)
            expect_ok(
                await execute(
                    session, SelectOptionAction(element_id=select.id, option=option), page
                ),
                f"choosing the {label}",
            )
        # The model list is filled only once the make is chosen: look again.
        page = await snapshot(session)
        model = find(page, label="Model", role="select", visible_only=True)
        assert not model.disabled
        expect_ok(
            await execute(session, SelectOptionAction(element_id=model.id, option="Civic"), page),
            "choosing the model",
        )
        commute = find(page, label="Commuting", role="radio")
        expect_ok(await execute(session, CheckAction(element_id=commute.id), page), "usage")
        expect_ok(
            await execute(
                session,
                ClickAction(
                    element_id=find(page, label="Continue", role="button", visible_only=True).id
                ),
                page,
            ),
            "continuing to step 3",
        )

        page = await snapshot(session)
        assert "Step 3 of 3" in page.content, page.content
        roadside = find(page, label="Roadside assistance", role="switch")
        assert roadside.checked is False
        expect_ok(await execute(session, CheckAction(element_id=roadside.id), page), "roadside")
        confirm = find(page, label="I confirm the information", role="checkbox")
        expect_ok(await execute(session, CheckAction(element_id=confirm.id), page), "confirm")
        page = await snapshot(session)
        assert find(page, label="Roadside assistance", role="switch").checked is True
        assert find(page, label="I confirm the information", role="checkbox").checked is True
        quote = find(page, label="Get my quote", role="button")
        expect_ok(await execute(session, ClickAction(element_id=quote.id), page), "quoting")

        sub = await wait_for_submission(sites, "/insurance/quote", where={"email": email})
        assert sub.fields["dob"] == "1985-04-12"
        assert (sub.fields["vehicle_year"], sub.fields["vehicle_make"]) == ("2019", "Honda")
        assert sub.fields["vehicle_model"] == "Civic"
        assert sub.fields["usage"] == "commute"
        assert (sub.fields["roadside"], sub.fields["rental"]) == ("yes", "no")
        assert sub.fields["confirm"] == "yes"
        page = await snapshot(session)
        assert "Your quote is ready" in page.content
        assert re.search(r"\$\d{1,3}(,\d{3})*\.\d{2}", page.content), (
            f"the quoted price shown on the page is not in the page state's text: {page.content!r}"
        )

    # ------------------------------------------------------------------ big pages

    async def test_large_page_snapshot(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A page with 2,000+ controls is snapshotted whole, in reasonable time."""
        await _bounded(session.goto(sites.url("news/")), "goto")
        started = time.monotonic()
        page = await snapshot(session)
        elapsed = time.monotonic() - started
        assert len(page.elements) >= 2000, len(page.elements)
        assert elapsed < 15, f"snapshot of the news page took {elapsed:.1f} s"
        assert len({e.id for e in page.elements}) == len(page.elements)
        visible = [e for e in page.elements if e.visibility == "visible"]
        offscreen = [e for e in page.elements if e.visibility == "offscreen"]
        assert visible and offscreen, "the viewport shows some; most are further down"

    # ------------------------------------------------------------------ labels

    async def test_legacy_form_labels_from_nearby_text(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Controls without <label>s carry the text a person reads beside them."""
        surname = _unique("Murphy")
        page = await self.open(session, sites.url("legacy/"))
        expected = [
            ("Surname", "textbox"),
            ("Forename(s)", "textbox"),
            ("Date of birth", "textbox"),  # title attribute only
            ("Telephone No.", "textbox"),  # aria-labelledby only
            ("Postcode", "textbox"),
            ("County", "select"),
            ("Membership Type", "select"),
            ("Mr", "radio"),
            ("Mrs", "radio"),
            ("Dr", "radio"),
            ("Tick here if you do not wish to receive club mailings", "checkbox"),
            ("Send Application", "button"),
        ]
        missing = [
            f"{label} ({role})"
            for label, role in expected
            if maybe_find(page, label=label, role=role) is None
        ]
        assert not missing, f"no element labelled {missing}\n{describe(page)}"
        mr = find(page, label="Mr", role="radio")
        mrs = find(page, label="Mrs", role="radio")
        assert mr.id != mrs.id
        assert normalize_label(mr.label) == "mr", f"the 'Mr' radio is labelled {mr.label!r}"

        for label, text in [("Surname", surname), ("Forename(s)", "Siobhan")]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        expect_ok(await execute(session, CheckAction(element_id=mrs.id), page), "Mrs")
        county = find(page, label="County", role="select")
        expect_ok(
            await execute(
                session, SelectOptionAction(element_id=county.id, option="Wexford"), page
            ),
            "choosing the county",
        )
        send = find(page, label="Send Application", role="button")
        expect_ok(await execute(session, ClickAction(element_id=send.id), page), "sending")
        sub = await wait_for_submission(sites, "/legacy/submit", where={"txtSurname": surname})
        assert sub.fields["rdoTitle"] == "2"
        assert sub.fields["selCounty"] == "WX"
        page = await snapshot(session)
        assert sub.reference and sub.reference in page.content, (
            f"the reference {sub.reference} shown on the page is not in the page state's "
            f"text: {page.content!r}"
        )

    # ------------------------------------------------------------------ verification

    async def test_input_rewritten_by_the_page_is_a_failure(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A field that rewrites what was typed (uppercases it) is reported as failed."""
        page = await self.open(session, sites.url("legacy/"))
        postcode = find(page, label="Postcode", role="textbox")
        result = await execute(
            session, InputTextAction(element_id=postcode.id, text="y35 ab12"), page
        )
        assert not result.success, "the field holds 'Y35 AB12', not the text typed"
        assert result.error

    async def test_input_refused_by_the_page_is_a_failure(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A field that refuses the characters typed (digits only) is reported as failed."""
        page = await self.open(session, sites.url("legacy/"))
        number = find(page, label="Previous Membership No.", role="textbox")
        result = await execute(session, InputTextAction(element_id=number.id, text="AB-12"), page)
        assert not result.success, "the field keeps only '12'"
        assert result.error

    # ------------------------------------------------------------------ navigation

    async def test_goto_url_action(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """goto_url opens a URL in the current tab."""
        page = await self.open(session, sites.url("jobs/"))
        expect_ok(await execute(session, GotoUrlAction(url=sites.url("legacy/")), page), "goto_url")
        page = await snapshot(session)
        assert page.url == sites.url("legacy/")
        assert page.title.startswith("Membership Application Form")

    async def test_go_back(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """go_back returns to the previous page after following a link."""
        page = await self.open(session, sites.url("news/"))
        story = find(page, label="Ports brace for a record autumn", role="link")
        expect_ok(await execute(session, ClickAction(element_id=story.id), page), "the story")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/article.html"
        expect_ok(await execute(session, GoBackAction(), page), "go_back")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/"

    async def test_keypress_enter_submits_search(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Enter in a search box submits it, as for a person."""
        page = await self.open(session, sites.url("news/"))
        box = find(page, label="Search news", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=box.id, text="election"), page),
            "typing the query",
        )
        expect_ok(
            await execute(session, KeypressAction(key="Enter", element_id=box.id), page), "Enter"
        )
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/search.html?q=election"
        assert "results for \u201celection\u201d" in page.content

    async def test_hover_reveals_a_menu(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A hover-only menu shows after hovering; its link can then be clicked."""
        page = await self.open(session, sites.url("news/"))
        hidden = maybe_find(page, label="Technology", role="link", exact=True)
        assert hidden is None or hidden.visibility == "hidden"
        sections = find(page, label="Sections", role="button")
        expect_ok(await execute(session, HoverAction(element_id=sections.id), page), "hover")
        page = await snapshot(session)
        tech = find(page, label="Technology", role="link", exact=True)
        assert tech.visibility == "visible", describe(page, 30)
        expect_ok(await execute(session, ClickAction(element_id=tech.id), page), "the link")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/search.html?q=technology"

    async def test_scroll_reaches_a_lazy_element(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Scrolling down loads comments that exist only once scrolled near."""
        page = await self.open(session, sites.url("news/article.html"))
        assert maybe_find(page, label="Post comment", role="button") is None
        for _ in range(15):
            expect_ok(await execute(session, ScrollAction(direction="down"), page), "scroll")
            page = await snapshot(session)
            if maybe_find(page, label="Post comment", role="button"):
                break
        else:
            page = await snapshot_until(
                session,
                lambda p: maybe_find(p, label="Post comment", role="button") is not None,
                within=3,
                what="the lazily loaded comment form",
            )
        assert find(page, label="Post comment", role="button")

    async def test_scroll_to_an_element(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """scroll with an element id brings a control far down the page into view."""
        page = await self.open(session, sites.url("news/"))
        far = find(page, label="Sitemap", role="link", exact=True)
        assert far.visibility == "offscreen", far.visibility
        expect_ok(
            await execute(session, ScrollAction(direction="down", element_id=far.id), page),
            "scrolling to the footer link",
        )
        page = await snapshot(session)
        now = page.element(far.id)
        assert now is not None, "the element kept its id"
        assert now.visibility == "visible", now.visibility

    async def test_new_tab_is_followed(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A link opening a new tab leaves the session on that tab."""
        page = await self.open(session, sites.url("news/article.html"))
        link = find(page, label="Print this article", role="link")
        expect_ok(await execute(session, ClickAction(element_id=link.id), page), "the link")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/print.html"
        assert "Print version" in page.content or "Ports brace" in page.content

    async def test_wait_action(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """wait succeeds and takes about as long as asked."""
        page = await self.open(session, sites.url("legacy/"))
        started = time.monotonic()
        expect_ok(await execute(session, WaitAction(seconds=0.5), page), "wait")
        assert 0.4 <= time.monotonic() - started < 10

    # ------------------------------------------------------------------ artifacts

    async def test_screenshot_is_png(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """screenshot returns PNG bytes of the viewport, or of the whole page."""
        await _bounded(session.goto(sites.url("news/article.html")), "goto")
        shot = await _bounded(session.screenshot(), "screenshot")
        width, height = _png_size(shot)
        assert (width, height) == (1280, 800)
        full = await _bounded(session.screenshot(full_page=True), "screenshot")
        assert _png_size(full)[1] > height

    async def test_download_is_returned_on_close(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """A file the site sends as an attachment is in SessionArtifacts.downloads."""
        session = await self.open_session(driver, tmp_path / "artifacts")
        try:
            page = await self.open(session, sites.url("news/article.html"))
            link = find(page, label="Download today's PDF edition", role="link")
            expect_ok(await execute(session, ClickAction(element_id=link.id), page), "download")
        finally:
            artifacts = await _bounded(session.close(), "close")
        assert isinstance(artifacts, SessionArtifacts)
        names = [p.name for p in artifacts.downloads]
        assert any(name.endswith(".pdf") for name in names), names
        pdf = next(p for p in artifacts.downloads if p.name.endswith(".pdf"))
        assert pdf.is_file()
        assert pdf.read_bytes().startswith(b"%PDF")

    async def test_close_returns_artifacts(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """close returns SessionArtifacts: a recording when asked, or a warning why not."""
        session = await self.open_session(driver, tmp_path / "artifacts", record_video=True)
        await self.open(session, sites.url("cookies/"))
        artifacts = await _bounded(session.close(), "close")
        assert isinstance(artifacts, SessionArtifacts)
        if artifacts.recording is None:
            assert artifacts.warnings, "no recording and no warning saying why"
        else:
            assert artifacts.recording.is_file()
            assert artifacts.recording.stat().st_size > 0
