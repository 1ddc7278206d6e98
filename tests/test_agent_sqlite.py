"""The Agent on the embedded SQLite store: what a program sees, and what stays on disk."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.auth import create_organization, hash_api_key, keys_match, resolve_key
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.models import ClickAction, CompleteAction, InputTextAction
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedPlanner, element

FORM = FakePage(
    url="https://shop.example.test/signup",
    title="Sign up",
    elements=[element("e1", "textbox", "Email", required=True), element("e2", "button", "Join")],
    submit={"e2": "https://shop.example.test/welcome"},
)
WELCOME = FakePage(url="https://shop.example.test/welcome", title="Welcome", text="Welcome!")

READ_BACK = """
import json, sys
from skyvern_core import Agent
agent = Agent(data_dir=sys.argv[1], store="sqlite", driver="none", planner="none")
async def main():
    task = await agent.get_task(sys.argv[2], steps=True)
    await agent.aclose()
    print(task.model_dump_json())
import anyio
anyio.run(main)
"""


def test_a_task_and_its_steps_are_read_back_by_a_new_process(tmp_path: Path):
    planner = ScriptedPlanner(
        [
            [ClickAction(element_id="e2")],  # fails: the email is required
            [InputTextAction(element_id="e1", text="a@b.test"), ClickAction(element_id="e2")],
            [CompleteAction()],
        ]
    )
    agent = Agent(
        driver=InMemoryDriver([FORM, WELCOME]), planner=planner, store="sqlite", data_dir=tmp_path
    )
    task = agent.run_sync(TaskRequest(url=FORM.url, navigation_goal="Sign up with a@b.test"))
    assert task.status == TaskStatus.completed

    out = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(tmp_path), task.task_id],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    again = json.loads(out)
    assert again["status"] == "completed"
    assert again["request"]["navigation_goal"] == "Sign up with a@b.test"
    assert [(s["order"], s["retry_index"], s["status"]) for s in again["steps"]] == [
        (0, 0, "failed"),
        (0, 1, "completed"),
        (1, 0, "completed"),
    ]
    assert again["steps"][1]["actions"][0] == {
        "type": "input_text",
        "element_id": "e1",
        "text": "a@b.test",
        "reasoning": None,
    }
    assert again["screenshot_url"].startswith("file://")
    assert Path(again["screenshot_url"].removeprefix("file://")).read_bytes()[:4] == b"\x89PNG"
    # One file, in WAL mode, in the data folder.
    with sqlite3.connect(tmp_path / "skyvern.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_organizations_keep_only_the_hash_of_their_key(tmp_path: Path):
    store = SQLStore(f"sqlite:///{tmp_path / 'keys.db'}")
    await store.open()
    made = await create_organization(store, "Acme", max_steps=4)
    assert made.api_key.startswith("sk_") and len(made.api_key) > 40
    assert await resolve_key(store, made.api_key) == made.organization.organization_id
    assert await resolve_key(store, made.api_key + "x") is None
    assert await resolve_key(store, None) is None
    assert keys_match(made.api_key, hash_api_key(made.api_key))
    await store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*"))
    assert made.api_key.encode() not in raw
    assert hash_api_key(made.api_key).encode() in raw


async def test_organization_step_limit_applies_to_its_tasks(tmp_path: Path):
    store = SQLStore(f"sqlite:///{tmp_path / 'org.db'}")
    agent = Agent(
        driver=InMemoryDriver([FORM]),
        planner=ScriptedPlanner([[InputTextAction(element_id="e1", text="x")]] * 5),
        store=store,
        data_dir=tmp_path,
    )
    await agent.start(workers=False)
    made = await create_organization(agent.store, "Small", max_steps=2)
    task = await agent.create_task(
        url=FORM.url, navigation_goal="x", organization_id=made.organization.organization_id
    )
    assert task.max_steps == 2
    await agent.aclose()
