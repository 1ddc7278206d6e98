"""Inline files of a payload and the upload rules, without a browser: what the model sees,
what the planners type, and the resolver's answers."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from skyvern_core.config import Settings
from skyvern_core.models import (
    Element,
    PageState,
    Step,
    Task,
    TaskRequest,
    UploadFileAction,
)
from skyvern_core.planner.llm import LLMPlanner
from skyvern_core.planner.offline import OfflinePlanner
from skyvern_core.protocols import PlanContext
from skyvern_core.testing import ScriptedLLM
from skyvern_core.uploads import (
    UploadError,
    UploadRefusedError,
    UploadResolver,
    split_files,
)

CONTENT = base64.b64encode(b"%PDF-1.4 Ada Lovelace").decode()
PAYLOAD = {
    "name": "Ada",
    "resume": {"$file": {"name": "cv.pdf", "content_base64": CONTENT}},
    "extra": [{"$file": {"name": "letter.txt", "content_base64": "RGVhciB0ZWFt"}}],
    "passport_scan": {"$file": {"name": "passport.png", "content_base64": "iVBORw=="}},
}


def context(payload: object) -> PlanContext:
    page = PageState(
        url="http://jobs.test/apply",
        title="Apply",
        elements=[
            Element(id="e1", role="textbox", label="Name"),
            Element(id="e2", role="file", label="Resume/CV"),
            Element(id="e3", role="button", label="Submit"),
        ],
    )
    task = Task(
        task_id="tsk_1",
        organization_id="org_1",
        request=TaskRequest(url=page.url, navigation_goal="Apply", navigation_payload=payload),
        max_steps=10,
    )
    return PlanContext(
        task=task,
        page=page,
        history=[],
        step=Step(step_id="stp_1", task_id="tsk_1", organization_id="org_1", order=0),
    )


def test_inline_files_become_placeholders() -> None:
    shown, files = split_files(PAYLOAD)
    assert shown == {
        "name": "Ada",
        "resume": "{{file:resume}}",
        "extra": ["{{file:extra[0]}}"],
        "passport_scan": "{{file:passport_scan}}",
    }
    assert files["resume"].name == "cv.pdf" and files["extra[0]"].name == "letter.txt"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"$file": {"name": "cv.pdf"}}, "needs 'content_base64'"),
        ({"$file": {"content_base64": CONTENT}}, "needs a non-empty 'name'"),
        ({"$file": {"name": "a/b.pdf", "content_base64": CONTENT}}, "not a plain file name"),
        ({"$file": {"name": "..", "content_base64": CONTENT}}, "not a plain file name"),
        ({"$file": "cv.pdf"}, "must be an object with 'name' and 'content_base64'"),
        ({"$file": {"name": "a", "content_base64": "", "path": "/etc"}}, "'content_base64' only"),
        ({"$file": {"name": "a", "content_base64": ""}, "note": "x"}, "has no other keys"),
    ],
)
def test_a_malformed_inline_file_is_a_clear_error(value: object, problem: str) -> None:
    with pytest.raises(ValueError, match=r"navigation_payload\.resume") as caught:
        TaskRequest(
            url="https://jobs.example.test/",
            navigation_goal="Apply",
            navigation_payload={"resume": value},
        )
    assert problem in str(caught.value)


def test_the_llm_prompt_shows_the_placeholder_and_never_the_content() -> None:
    user = LLMPlanner(ScriptedLLM()).decide_messages(context(PAYLOAD))[1].content
    assert "{{file:resume}}" in user and "{{file:extra[0]}}" in user
    assert CONTENT not in user and "cv.pdf" not in user and "RGVhciB0ZWFt" not in user


async def test_the_offline_planner_uploads_the_placeholder() -> None:
    decision = await OfflinePlanner().decide(context(PAYLOAD))
    uploads = [a for a in decision.actions if isinstance(a, UploadFileAction)]
    assert [(a.element_id, a.file) for a in uploads] == [("e2", "{{file:resume}}")]
    assert all("{{file:" not in getattr(a, "text", "") for a in decision.actions)


# --------------------------------------------------------------------------- the resolver


def resolver(tmp_path: Path, payload: object = PAYLOAD, **settings: Any) -> UploadResolver:
    return UploadResolver(Settings(data_dir=tmp_path / "data", **settings), payload)


async def test_inline_files_are_written_to_a_folder_of_the_task(tmp_path: Path) -> None:
    uploads = resolver(tmp_path, upload_dirs=[])
    first = await uploads.resolve("{{file:resume}}")
    second = await uploads.resolve(" {{ file:extra[0] }} ")
    again = await uploads.resolve("{{file:resume}}")
    assert (first.name, first.read_bytes()) == ("cv.pdf", b"%PDF-1.4 Ada Lovelace")
    assert (second.name, second.read_bytes()) == ("letter.txt", b"Dear team")
    assert again != first and again.parent.parent == first.parent.parent
    uploads.cleanup()
    assert not first.exists() and not first.parent.parent.exists()


async def test_an_unknown_placeholder_lists_the_inline_files(tmp_path: Path) -> None:
    with pytest.raises(UploadRefusedError, match=r"names no inline file.*\{\{file:resume\}\}"):
        await resolver(tmp_path).resolve("{{file:cover_letter}}")


async def test_bad_base64_is_named(tmp_path: Path) -> None:
    payload = {"cv": {"$file": {"name": "cv.pdf", "content_base64": "not base64!"}}}
    with pytest.raises(UploadError, match=r"navigation_payload\.cv is not valid base64"):
        await resolver(tmp_path, payload).resolve("{{file:cv}}")


async def test_a_hosted_deployment_uploads_no_local_file(tmp_path: Path) -> None:
    from skyvern_core.server import hosted_settings

    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF")
    settings = hosted_settings(Settings(data_dir=tmp_path / "data"))
    with pytest.raises(UploadRefusedError, match=r"allows no upload folder \(upload_dirs\)"):
        await UploadResolver(settings, None).resolve(str(cv))


async def test_the_embedded_default_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "project"
    (work / "docs").mkdir(parents=True)
    (work / "docs" / "cv.pdf").write_bytes(b"%PDF cv")
    (work / ".git").mkdir()
    (work / ".git" / "config").write_text("[remote]")
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(b"%PDF")
    monkeypatch.chdir(work)
    uploads = resolver(tmp_path)
    copy = await uploads.resolve("docs/cv.pdf")  # relative to the working directory
    assert copy.read_bytes() == b"%PDF cv" and copy.parent != work / "docs"
    with pytest.raises(UploadRefusedError, match="hidden files are never uploaded"):
        await uploads.resolve(".git/config")
    with pytest.raises(UploadRefusedError, match="outside the allowed upload folders"):
        await uploads.resolve(str(outside))
    with pytest.raises(UploadRefusedError, match="outside the allowed upload folders"):
        await uploads.resolve("~/.ssh/id_rsa")
    uploads.cleanup()


async def test_files_that_are_not_regular_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "up"
    (folder / "dir").mkdir(parents=True)
    os.mkfifo(folder / "pipe")
    uploads = resolver(tmp_path, upload_dirs=[folder])
    for name in ("dir", "pipe"):
        with pytest.raises(UploadRefusedError, match="is not a regular file"):
            await uploads.resolve(str(folder / name))
    with pytest.raises(UploadError, match="no such file to upload"):
        await uploads.resolve(str(folder / "missing.pdf"))


@pytest.mark.parametrize("file", ["file:///etc/passwd", "ftp://files.example.com/cv.pdf"])
async def test_other_schemes_are_refused(tmp_path: Path, file: str) -> None:
    with pytest.raises(UploadRefusedError, match="neither a local file"):
        await resolver(tmp_path).resolve(file)


async def test_a_database_outside_the_data_folder_is_refused_too(tmp_path: Path) -> None:
    db = tmp_path / "up" / "store.db"
    db.parent.mkdir()
    db.write_bytes(b"SQLite format 3\x00")
    (tmp_path / "up" / "store.db-wal").write_bytes(b"wal")
    uploads = resolver(tmp_path, upload_dirs=[db.parent], database_url=f"sqlite:///{db}")
    for path in (db, tmp_path / "up" / "store.db-wal"):
        with pytest.raises(UploadRefusedError, match=r"in the data folder \(data_dir"):
            await uploads.resolve(str(path))
