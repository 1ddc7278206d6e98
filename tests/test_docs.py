"""The documentation: every hook and every setting is documented, the examples run, and the
Sphinx build (nitpicky, warnings as errors) is clean."""

from __future__ import annotations

import html
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

# The docs extra is part of the test environment: a missing Sphinx fails here, loudly.
import furo  # noqa: F401
import myst_parser  # noqa: F401
import pluggy
import pytest
import sphinx  # noqa: F401

from skyvern_core import hookspecs
from skyvern_core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
Built = tuple[Path, subprocess.CompletedProcess[str]]

# One build for the whole module: keep its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("docs")


def _generators() -> ModuleType:
    spec = importlib.util.spec_from_file_location("skyvern_docs", DOCS / "_ext" / "skyvern_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hook_names() -> list[str]:
    """Every hook, as pluggy sees the specification module (independently of the docs)."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    names = [name for name in vars(manager.hook) if not name.startswith("_")]
    assert names, "no hooks found in skyvern_core.hookspecs"
    return names


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page_text(path: Path) -> str:
    """The visible text of a built HTML page, whitespace normalized."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", raw)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the docs from scratch into a temporary folder, as CI does (plus -E)."""
    out = tmp_path_factory.mktemp("docs-html")
    doctrees = tmp_path_factory.mktemp("docs-doctrees")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")}
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-n",
        "-E",
        "-q",
        "-b",
        "html",
        "-d",
        str(doctrees),
        str(DOCS),
        str(out),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT, check=False
    )
    return out, result


# --------------------------------------------------------------------------- the build


def test_build_has_no_warnings(build: Built) -> None:
    out, result = build
    problems = [line for line in result.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0 and not problems, (
        f"sphinx-build failed ({result.returncode}):\n{result.stderr}\n{result.stdout[-2000:]}"
    )
    for page in ("index", "getting-started", "python-api", "http-api", "configuration"):
        assert (out / f"{page}.html").is_file(), page
    for page in ("plugins", "operations", "security", "reference"):
        assert (out / f"{page}.html").is_file(), page


# --------------------------------------------------------------------------- hooks


def test_every_hook_is_on_the_plugins_page_with_its_signature(
    build: Built,
) -> None:
    out, result = build
    assert result.returncode == 0, result.stderr
    text = _page_text(out / "plugins.html")
    squashed = _squash(text)
    for name in _hook_names():
        func = getattr(hookspecs, name)
        params = ", ".join(
            f"{p.name}: {p.annotation}" if p.annotation is not inspect.Parameter.empty else p.name
            for p in inspect.signature(func).parameters.values()
        )
        signature = f"{name}({params})"
        assert _squash(signature) in squashed, f"{signature} is not on the plugins page"
        doc = " ".join((inspect.getdoc(func) or "").split()).replace("``", "")
        assert doc, f"hook {name} has no docstring"
        assert _squash(doc) in squashed, f"the docstring of {name} is not on the plugins page"


def test_the_plugins_page_generates_the_hooks() -> None:
    # Fast, and without a build: the page asks for the hooks, and the generator gives them.
    assert "<!-- generated: hooks -->" in (DOCS / "plugins.md").read_text(encoding="utf-8")
    generated = _generators().hooks_markdown()
    for name in _hook_names():
        assert f"autofunction:: skyvern_core.hookspecs.{name}\n" in generated, name


# --------------------------------------------------------------------------- settings


def test_every_setting_is_generated_with_its_environment_variable() -> None:
    docs = _generators()
    rows = {row["name"]: row for row in docs.settings_rows()}
    assert list(rows) == list(Settings.model_fields)
    table = docs.settings_markdown()
    for name in Settings.model_fields:
        env = f"SKYVERN_{name.upper()}"
        assert f"| `{name}` | `{env}` |" in table, f"{name} ({env}) is not in the table"
        assert rows[name]["description"].strip(), (
            f"setting {name} has no description: give its Field a description "
            "(or add one to SETTING_NOTES in docs/_ext/skyvern_docs.py)"
        )
    assert "<!-- generated: settings -->" in (DOCS / "configuration.md").read_text(encoding="utf-8")


def test_every_setting_is_on_the_configuration_page(
    build: Built,
) -> None:
    out, result = build
    assert result.returncode == 0, result.stderr
    text = _page_text(out / "configuration.html")
    for name in Settings.model_fields:
        assert f"SKYVERN_{name.upper()}" in text, name


def test_defaults_shown_are_the_real_defaults() -> None:
    rows = {row["name"]: row for row in _generators().settings_rows()}
    assert rows["max_steps"]["default"] == "10"
    assert rows["step_timeout"]["default"] == "180"
    assert rows["driver"]["default"] == "'playwright'"
    assert rows["data_dir"]["default"].endswith("skyvern-core")


# --------------------------------------------------------------------------- HTTP API


def test_every_route_is_on_the_http_api_page(
    build: Built,
) -> None:
    out, result = build
    assert result.returncode == 0, result.stderr
    schema = _generators().openapi_schema()
    text = _page_text(out / "http-api.html")
    for path, methods in schema["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}" in text, f"{method.upper()} {path}"
    for name in schema["components"]["schemas"]:
        assert name in text, name


# --------------------------------------------------------------------------- examples


def _python_block_after(page: str, heading: str) -> str:
    text = (DOCS / page).read_text(encoding="utf-8")
    start = text.index(heading)
    match = re.search(r"```python\n(.*?)```", text[start:], re.DOTALL)
    assert match, f"no Python example under {heading!r} in {page}"
    return match.group(1)


def test_the_getting_started_example_without_a_browser_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _python_block_after("getting-started.md", "## Without a browser or a model")
    exec(compile(code, "getting-started.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "completed {'member_number': '4711'}" in printed
    assert "[(0, 0, 'completed'), (1, 0, 'completed')]" in printed


def test_the_prompt_reading_fake_model_example_drives_a_task(tmp_path: Path) -> None:
    from skyvern_core import Agent, TaskRequest, TaskStatus
    from skyvern_core.planner import LLMPlanner
    from skyvern_core.plugins import PluginRegistry
    from skyvern_core.testing import (
        FakePage,
        InMemoryDriver,
        MemoryArtifactStore,
        MemoryStore,
        RecordingNotifier,
        element,
    )

    code = _python_block_after("python-api.md", "reads\nthat prompt's element lines")
    scope: dict[str, Any] = {}
    exec(compile(code, "python-api.md", "exec"), scope)
    driver = InMemoryDriver(
        [FakePage(url="https://news.test/", elements=[element("e1", "textbox", "Email")])]
    )
    agent = Agent(
        driver=driver,
        planner=LLMPlanner(scope["llm"]),
        store=MemoryStore(),
        artifact_store=MemoryArtifactStore(),
        notifier=RecordingNotifier(),
        registry=PluginRegistry(entry_points=False),
        data_dir=tmp_path,
    )
    task = agent.run_sync(
        TaskRequest(
            url="https://news.test/",
            navigation_goal="Subscribe",
            navigation_payload={"email": "ada@example.com"},
        )
    )
    assert task.status == TaskStatus.completed, task.failure_reason
    assert [a.text for a in driver.executed] == ["ada@example.com"]
