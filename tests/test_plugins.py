"""Plugin discovery: built-ins through entry points, a third-party distribution, broken ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus, hookimpl
from skyvern_core.errors import UnknownBackendError
from skyvern_core.models import CompleteAction
from skyvern_core.plugins import PluginRegistry, get_registry, reset_registry
from skyvern_core.testing import FakePage, InMemoryDriver, MemoryArtifactStore, ScriptedPlanner
from tests.install import pip_install

PLUGIN_DIST = Path(__file__).parent / "plugin_dist"


@pytest.fixture(scope="session")
def hello_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny third-party distribution, really installed (pip) into a site folder."""
    return pip_install(PLUGIN_DIST, tmp_path_factory.mktemp("site"))


def test_builtin_backends_are_registered_through_entry_points():
    registry = PluginRegistry()
    sqlite = registry.get("store", "sqlite")
    assert sqlite.distribution == "skyvern-core"
    assert sqlite.plugin == "sqlite"
    assert "local" in registry.names("artifact_store")
    assert "memory" in registry.names("store")


def test_unknown_backend_names_what_is_available():
    registry = PluginRegistry()
    with pytest.raises(UnknownBackendError, match=r"no store named 'mongo'.*sqlite"):
        registry.get("store", "mongo")


def test_a_hook_that_raises_is_reported_not_fatal():
    registry = PluginRegistry(entry_points=False)

    broken = SimpleNamespace(
        register_stores=hookimpl(lambda register: (_ for _ in ()).throw(RuntimeError("bug")))
    )

    class Good:
        @hookimpl
        def register_notifiers(self, register):  # type: ignore[no-untyped-def]
            register("good", lambda ctx: None)

    registry.register(broken, name="broken")
    registry.register(Good(), name="good")
    assert registry.names("notifier") == ["good"]
    assert [(e.plugin, e.error) for e in registry.errors] == [("broken", "RuntimeError: bug")]


def test_a_name_clash_keeps_the_first_plugin():
    registry = PluginRegistry(entry_points=False)

    def plugin(tag: str) -> object:
        class P:
            @hookimpl
            def register_notifiers(self, register):  # type: ignore[no-untyped-def]
                register("same", lambda ctx: tag)

        return P()

    registry.register(plugin("first"), name="first")
    registry.register(plugin("second"), name="second")
    assert registry.get("notifier", "same").plugin == "first"


def test_only_loads_the_named_plugins():
    registry = PluginRegistry(only=["local_artifacts"])
    assert registry.names("artifact_store") == ["local"]
    assert registry.names("store") == []


def test_a_hook_wrapper_sees_every_registration():
    registry = PluginRegistry(entry_points=False)
    seen: list[tuple[str, str, list[str]]] = []
    old_style: list[str] = []

    class Watcher:
        @hookimpl(wrapper=True)
        def register_notifiers(self, register):  # type: ignore[no-untyped-def]
            result = yield
            seen.append(("notifier", register.plugin, list(register.registered)))
            return result

        @hookimpl(hookwrapper=True)
        def register_stores(self, register):  # type: ignore[no-untyped-def]
            yield
            old_style.extend(f"{register.plugin}:{name}" for name in register.registered)

    class Mail:
        @hookimpl
        def register_notifiers(self, register):  # type: ignore[no-untyped-def]
            register("mail", lambda ctx: "mail")
            register("sms", lambda ctx: "sms")

        @hookimpl
        def register_stores(self, register):  # type: ignore[no-untyped-def]
            register("mailbox", lambda ctx: "mailbox")

    class Chat:
        @hookimpl
        def register_notifiers(self, register):  # type: ignore[no-untyped-def]
            register("chat", lambda ctx: "chat")
            register("mail", lambda ctx: "shadowed")  # taken by the first plugin

    registry.register(Watcher(), name="watcher")
    registry.register(Mail(), name="mail")
    registry.register(Chat(), name="chat")
    assert registry.names("notifier") == ["chat", "mail", "sms"]
    assert sorted(seen) == [
        ("notifier", "chat", ["chat"]),
        ("notifier", "mail", ["mail", "sms"]),
    ]
    assert old_style == ["mail:mailbox"]
    # The wrapper plugin registers nothing itself, and the first plugin kept its name.
    assert registry.get("notifier", "mail").factory(None) == "mail"
    assert "watcher" not in {r.plugin for r in registry.registrations()}


def test_hook_calls_are_traced_by_pluggy():
    registry = PluginRegistry(entry_points=False)
    calls: list[tuple[str, list[str]]] = []

    class Good:
        @hookimpl
        def register_notifiers(self, register):  # type: ignore[no-untyped-def]
            register("good", lambda ctx: None)

    registry.register(Good(), name="good")
    undo = registry.manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append((name, [i.plugin_name for i in impls])),
        lambda outcome, name, impls, kwargs: None,
    )
    try:
        assert registry.names("notifier") == ["good"]
    finally:
        undo()
    assert calls == [("register_notifiers", ["good"])]


def test_get_registry_honours_only_on_every_call():
    reset_registry()
    try:
        narrow = get_registry(only=["local_artifacts"])
        full = get_registry()
        assert narrow.names("store") == []
        assert "sqlite" in full.names("store")
        # Asked again, each choice of plugins gets its own registry back.
        assert get_registry(only=("local_artifacts",)) is narrow
        assert get_registry() is full
        assert get_registry(only=["sqlite"]).names("store") == ["sqlite"]
    finally:
        reset_registry()


def test_third_party_distribution_found_through_its_entry_point(
    hello_site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.syspath_prepend(str(hello_site))
    registry = PluginRegistry()
    hello = registry.get("notifier", "hello-file")
    assert (hello.distribution, hello.version, hello.plugin) == (
        "skyvern-hello-plugin",
        "0.3.1",
        "hello",
    )
    # The broken entry point of the same distribution is reported; the rest still loads.
    assert [(e.plugin, e.distribution) for e in registry.errors] == [
        ("hello_broken", "skyvern-hello-plugin")
    ]
    assert "ModuleNotFoundError" in registry.errors[0].error

    # The agent uses it by name, like a built-in.
    page = FakePage(url="https://example.test/", title="Home")
    agent = Agent(
        driver=InMemoryDriver([page]),
        store="memory",
        planner=ScriptedPlanner([[CompleteAction()]]),
        artifact_store=MemoryArtifactStore(),
        notifier="hello-file",
        registry=registry,
        data_dir=tmp_path,
    )
    task = agent.run_sync(TaskRequest(url=page.url, navigation_goal="look"))
    assert task.status == TaskStatus.completed
    lines = (tmp_path / "finished.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"task_id": task.task_id, "status": "completed"}
    ]


def test_plugins_command_lists_plugins_and_their_distribution(hello_site: Path):
    env = {**os.environ, "PYTHONPATH": str(hello_site)}
    out = subprocess.run(
        [sys.executable, "-m", "skyvern_core", "plugins"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert "hello" in out and "skyvern-hello-plugin 0.3.1" in out
    assert "notifier 'hello-file'" in out
    assert "store 'sqlite'" in out and "skyvern-core" in out
    assert "Plugins that failed to load:" in out
    assert "hello_broken (skyvern-hello-plugin): ModuleNotFoundError" in out

    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "skyvern_core", "plugins", "--json"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    )
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["hello"]["distribution"] == "skyvern-hello-plugin"
    assert {"kind": "notifier", "name": "hello-file"} in by_name["hello"]["backends"]
