"""The driver contract on the job application: typing, uploads, comboboxes, checkboxes."""

from __future__ import annotations

import re
from pathlib import Path

from skyvern_core.models import (
    CheckAction,
    ClickAction,
    InputTextAction,
    SelectOptionAction,
    UploadFileAction,
)
from skyvern_core.protocols import BrowserSession
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.sites import (
    FixtureSitesLike,
    SubmissionLike,
)
from skyvern_core.testing.driver_contract.support import (
    _unique,
    describe,
    execute,
    expect_ok,
    find,
    maybe_find,
    snapshot,
    wait_for_submission,
)

__all__ = ["JobApplicationContract"]


class JobApplicationContract(DriverContractBase):
    """The job application: fields, the hidden file input, the ARIA combobox, selects, consent.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

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
