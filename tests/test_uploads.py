"""Where a task's upload may come from, tried the way an API caller would.

Tasks are created through the HTTP API (uvicorn on 127.0.0.1), run in a real Chromium on
the bundled jobs site, whose server records every file it receives. The planner is
scripted — it types into ``upload_file`` whatever the task's payload shows for
``resume``, as a model would — because what is under test is the engine's check: a
refused file fails the task naming the rule, and the site receives nothing.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from skyvern_core import Agent
from skyvern_core.asgi import create_app
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.models import (
    CheckAction,
    ClickAction,
    CompleteAction,
    Decision,
    Extraction,
    InputTextAction,
    SelectOptionAction,
    UploadFileAction,
)
from skyvern_core.protocols import ExtractContext, PlanContext
from skyvern_core.testing.driver_contract import find, maybe_find
from skyvern_core.testing.sites import FixtureSites
from skyvern_core.uploads import split_files
from tests.servers import UvicornThread

pytestmark = pytest.mark.browser

CV = b"%PDF-1.4\n% Ada Lovelace, analyst\n%%EOF\n"


class ApplyPlanner:
    """Applies on the jobs site in three steps: upload the résumé the payload shows, fill
    and submit the form, complete on the confirmation page."""

    async def decide(self, context: PlanContext) -> Decision:
        """The step's actions, from the page and the payload as the model sees it."""
        page = context.page
        if "/jobs/confirmation" in page.url:
            return Decision(actions=[CompleteAction()])
        facts = split_files(context.task.request.navigation_payload)[0]
        if not context.history:
            target = maybe_find(page, label="Resume/CV", type="file") or find(
                page, label="Attach", role="button"
            )
            return Decision(actions=[UploadFileAction(element_id=target.id, file=facts["resume"])])
        actions: list[Any] = [
            InputTextAction(element_id=find(page, label=label, role="textbox").id, text=text)
            for label, text in [
                ("First Name", "Ada"),
                ("Last Name", "Lovelace"),
                ("Email", facts["email"]),
            ]
        ]
        actions += [
            SelectOptionAction(
                element_id=find(page, label="Location (City)").id, option="Berlin, Germany"
            ),
            SelectOptionAction(element_id=find(page, label="legally authorized").id, option="Yes"),
            CheckAction(element_id=find(page, label="I consent", role="checkbox").id),
            ClickAction(element_id=find(page, label="Submit application", role="button").id),
        ]
        return Decision(actions=actions)

    async def extract(self, context: ExtractContext) -> Extraction:
        """Nothing to extract in these tasks."""
        return Extraction(data=None)


class Api:
    """The HTTP API on a real browser, with an upload folder and a data folder inside it."""

    def __init__(self, root: Path, chromium: str) -> None:
        self.root = root
        self.files = root / "files"
        self.files.mkdir(parents=True)
        self.data = root / "data"
        self.data.mkdir()
        self.database = self.data / "skyvern.db"
        db = f"sqlite:///{self.database}"

        async def org() -> NewOrganization:
            store = SQLStore(db)
            await store.open()
            made = await create_organization(store, "Acme Careers")
            await store.close()
            return made

        made = anyio.run(org)
        self.agent = Agent(
            driver="playwright",
            planner=ApplyPlanner(),
            store="sqlite",
            notifier="none",
            data_dir=self.data,
            database_url=db,
            browser_path=chromium,
            record_video=False,
            poll_interval=0.05,
            max_retries=0,
            refuse_private_networks=False,  # the jobs site is on 127.0.0.1
            upload_dirs=[root],  # the data folder is inside: it must stay refused
            upload_max_bytes=64 * 1024,
        )
        self.server = UvicornThread(create_app(self.agent)).start()
        self.client = httpx.Client(
            base_url=self.server.url + "/api/v1", headers={"x-api-key": made.api_key}, timeout=10
        )

    def run(self, sites: FixtureSites, resume: Any, email: str) -> dict[str, Any]:
        """Create a task over HTTP that uploads ``resume``; wait for its end."""
        response = self.client.post(
            "/tasks",
            json={
                "url": sites.url("jobs/"),
                "navigation_goal": "Apply for the Senior Backend Engineer job",
                "navigation_payload": {"email": email, "resume": resume},
                "proxy_location": "NONE",
            },
        )
        assert response.status_code == 200, response.text
        task_id = response.json()["task_id"]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            task = self.client.get(f"/tasks/{task_id}").json()
            if task["status"] in ("completed", "failed", "terminated", "canceled"):
                task["steps"] = self.client.get(f"/tasks/{task_id}/steps").json()
                return task
            time.sleep(0.1)
        raise AssertionError(f"task {task_id} did not end")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, chromium_executable: str) -> Iterator[Api]:
    served = Api(tmp_path_factory.mktemp("uploads"), chromium_executable)
    yield served
    served.server.stop()


def received(sites: FixtureSites, email: str) -> list[Any]:
    return [s for s in sites.submissions_to("/jobs/apply") if s.fields.get("email") == email]


def assert_refused(task: dict[str, Any], asked: str, rule: str) -> None:
    assert task["status"] == "failed", task
    reason = task["failure_reason"] or ""
    assert re.search(r"upload_file e\d+ failed: upload refused: ", reason), reason
    assert rule in reason, reason
    upload = task["steps"][0]["actions"][0]
    # The step keeps what was asked for, and no copy was made.
    assert (upload["type"], upload["file"]) == ("upload_file", asked)
    assert task["steps"][0]["action_results"][0]["success"] is False


# --------------------------------------------------------------------------- refused


def test_a_system_file_is_refused(api: Api, sites: FixtureSites) -> None:
    email = "etc-passwd@example.test"
    task = api.run(sites, "/etc/passwd", email)
    assert_refused(
        task,
        "/etc/passwd",
        "/etc/passwd is outside the allowed upload folders (upload_dirs)",
    )
    assert "root:" not in task["failure_reason"]
    assert received(sites, email) == []


def test_the_servers_own_database_is_refused_though_inside_an_upload_folder(
    api: Api, sites: FixtureSites
) -> None:
    email = "database@example.test"
    assert api.database.is_file() and api.root in api.database.parents
    task = api.run(sites, str(api.database), email)
    assert_refused(task, str(api.database), "is in the data folder (data_dir")
    assert received(sites, email) == []


@pytest.mark.parametrize(
    ("name", "target", "rule"),
    [
        ("passwd-link.txt", "/etc/passwd", "outside the allowed upload folders (upload_dirs) once"),
        ("db-link.pdf", "DATABASE", "is in the data folder (data_dir"),
    ],
)
def test_a_link_in_the_upload_folder_is_judged_by_where_it_leads(
    api: Api, sites: FixtureSites, name: str, target: str, rule: str
) -> None:
    link = api.files / name
    link.symlink_to(api.database if target == "DATABASE" else Path(target))
    email = f"link-{name}@example.test"
    task = api.run(sites, str(link), email)
    assert_refused(task, str(link), rule)
    assert received(sites, email) == []


def test_dot_dot_cannot_climb_out_of_the_upload_folder(api: Api, sites: FixtureSites) -> None:
    climb = str(api.files) + "/../" * (len(api.files.parts) + 2) + "etc/passwd"
    email = "dot-dot@example.test"
    task = api.run(sites, climb, email)
    assert_refused(task, climb, "outside the allowed upload folders (upload_dirs)")
    into_data = f"{api.files}/../data/skyvern.db"
    task = api.run(sites, into_data, email)
    assert_refused(task, into_data, "is in the data folder (data_dir")
    assert received(sites, email) == []


def test_hidden_and_oversized_files_are_refused(api: Api, sites: FixtureSites) -> None:
    (api.files / ".env").write_text("OPENAI_API_KEY=sk-secret\n")
    big = api.files / "huge.pdf"
    big.write_bytes(b"%PDF" + b"0" * (64 * 1024))
    email = "hidden@example.test"
    task = api.run(sites, str(api.files / ".env"), email)
    assert_refused(task, str(api.files / ".env"), "hidden files are never uploaded")
    task = api.run(sites, str(big), email)
    assert_refused(task, str(big), "is larger than upload_max_bytes (64 KiB)")
    task = api.run(
        sites,
        {
            "$file": {
                "name": "huge.pdf",
                "content_base64": base64.b64encode(big.read_bytes()).decode(),
            }
        },
        email,
    )
    assert_refused(task, "{{file:resume}}", "is larger than upload_max_bytes (64 KiB)")
    assert received(sites, email) == []


def test_a_url_to_a_refused_place_is_not_fetched(api: Api, sites: FixtureSites) -> None:
    email = "metadata@example.test"
    url = "http://169.254.169.254/latest/meta-data/iam/security-credentials/role"
    task = api.run(sites, url, email)
    assert_refused(task, url, "169.254.169.254, an address this deployment refuses (a link-local")
    assert received(sites, email) == []


# --------------------------------------------------------------------------- allowed


def test_a_file_of_the_upload_folder_arrives(api: Api, sites: FixtureSites) -> None:
    cv = api.files / "Ada_Lovelace_CV.pdf"
    cv.write_bytes(CV)
    email = "folder@example.test"
    task = api.run(sites, str(cv), email)
    assert task["status"] == "completed", task["failure_reason"]
    (sub,) = received(sites, email)
    assert (sub.files["resume"].filename, sub.files["resume"].size) == (cv.name, len(CV))
    upload = task["steps"][0]
    assert upload["actions"][0]["file"] == str(cv)
    assert upload["action_results"][0]["data"]["file"] == cv.name


def test_an_inline_file_arrives_and_the_model_sees_only_its_placeholder(
    api: Api, sites: FixtureSites
) -> None:
    email = "inline@example.test"
    content = base64.b64encode(CV).decode()
    task = api.run(sites, {"$file": {"name": "inline-cv.pdf", "content_base64": content}}, email)
    assert task["status"] == "completed", task["failure_reason"]
    (sub,) = received(sites, email)
    assert (sub.files["resume"].filename, sub.files["resume"].size) == ("inline-cv.pdf", len(CV))
    # The step records the placeholder the model typed, not the content nor a temporary path.
    assert task["steps"][0]["actions"][0]["file"] == "{{file:resume}}"
    assert content not in str(task["steps"])


def test_a_url_upload_arrives(api: Api, sites: FixtureSites) -> None:
    email = "url@example.test"
    url = sites.url("news/downloads/todays-edition.pdf")
    task = api.run(sites, url, email)
    assert task["status"] == "completed", task["failure_reason"]
    (sub,) = received(sites, email)
    assert sub.files["resume"].filename == "todays-edition.pdf"
    assert sub.files["resume"].size == len(httpx.get(url).content)
    assert task["steps"][0]["actions"][0]["file"] == url


def test_a_malformed_inline_file_is_refused_when_the_task_is_created(api: Api) -> None:
    response = api.client.post(
        "/tasks",
        json={
            "url": "https://jobs.example.test/",
            "navigation_goal": "Apply",
            "navigation_payload": {
                "resume": {"$file": {"name": "../../etc/cron.d/x", "content_base64": "AAAA"}}
            },
            "proxy_location": "NONE",
        },
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][:2] == ["body", "navigation_payload"]
    assert (
        "navigation_payload.resume.$file has a name that is not a plain file name" in error["msg"]
    )


def test_copies_are_removed_when_the_task_ends(
    api: Api, sites: FixtureSites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner's temporary copies do not outlive the task."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    content = base64.b64encode(CV).decode()
    task = api.run(
        sites, {"$file": {"name": "short-lived.pdf", "content_base64": content}}, "tmp@example.test"
    )
    assert task["status"] == "completed", task["failure_reason"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("skyvern-upload-")] == []
