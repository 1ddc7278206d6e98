"""Checks an installed skyvern-core wheel the way a user meets it, from its own virtualenv.

Run by the ``wheel`` nox session with the virtualenv's Python, outside the source tree:

    python scripts/check_wheel.py EXTRA        # EXTRA: none, playwright, selenium, ...

It imports the package, runs ``skyvern-core --help`` and ``skyvern-core plugins``, and, for
each backend, checks that it is built without complaint when its extra is installed and
that it says which extra to install when it is not. It prints one line per check and exits
non-zero on the first failure.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

EXTRAS = ("playwright", "selenium", "llm", "postgres", "server", "mcp")
IMPLIES = {"mcp": {"server"}}
"""Extras that bring others along (the MCP server takes the Tasks API's shapes)."""
BUILT_IN_PLUGINS = {
    "litellm",
    "llm_planner",
    "local_artifacts",
    "memory",
    "notify",
    "offline_planner",
    "playwright",
    "postgres",
    "selenium",
    "sqlite",
}


def ok(what: str) -> None:
    """Report one passed check."""
    print(f"  ok  {what}", flush=True)


def fail(what: str) -> None:
    """Report a failed check and stop."""
    print(f"  FAIL {what}", flush=True)
    sys.exit(1)


def command(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``skyvern-core`` command."""
    exe = Path(sys.executable).with_name("skyvern-core")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120)


def check_commands() -> None:
    """``--help`` and ``plugins`` work, and every built-in plugin loads."""
    helped = command("--help")
    if helped.returncode != 0 or "usage: skyvern-core" not in helped.stdout:
        fail(f"skyvern-core --help: {helped.returncode} {helped.stderr[-500:]}")
    ok("skyvern-core --help")
    listed = command("plugins")
    out = listed.stdout
    if listed.returncode != 0 or "Backends by kind" not in out:
        fail(f"skyvern-core plugins: {listed.returncode} {listed.stderr[-500:]}")
    loaded = {line.split()[0] for line in out.split("\n\n")[0].splitlines()[1:] if line.strip()}
    if "failed to load" in out or not BUILT_IN_PLUGINS <= loaded:
        fail(f"skyvern-core plugins: missing {BUILT_IN_PLUGINS - loaded}:\n{out}")
    ok("skyvern-core plugins (every built-in plugin loads)")


Check = Callable[[], Awaitable[Any]]


def backend_checks(data_dir: str) -> dict[str, tuple[Check, Check]]:
    """For each extra: what a user does that needs it (it must raise MissingExtraError
    naming the extra when the extra is missing), and what shows it is there (the same
    backend built and its library imported, without starting a browser or a server)."""
    from skyvern_core import Agent
    from skyvern_core.protocols import LLMMessage, LLMRequest

    def agent(**settings: Any) -> Agent:
        return Agent(data_dir=data_dir, **settings)

    async def start_driver(name: str) -> None:
        await agent(driver=name)._backend("driver").start()

    async def playwright_present() -> None:
        from skyvern_plugins.playwright.driver import PlaywrightDriver, _import_playwright

        assert isinstance(agent(driver="playwright")._backend("driver"), PlaywrightDriver)
        _import_playwright()

    async def selenium_present() -> None:
        from skyvern_plugins.selenium.driver import SeleniumDriver, _import_selenium

        assert isinstance(agent(driver="selenium")._backend("driver"), SeleniumDriver)
        _import_selenium()

    def llm_planner() -> Any:
        return agent(planner="llm", llm_model="openai/gpt-4o-mini")._backend("planner")

    async def llm_missing() -> None:
        request = LLMRequest(messages=[LLMMessage(role="user", content="hello")])
        await llm_planner().llm.complete(request)

    async def llm_present() -> None:
        from skyvern_plugins.litellm_provider import _litellm

        llm_planner()
        _litellm()

    def postgres_store() -> Any:
        built = agent(store="postgres", database_url="postgresql://u:p@127.0.0.1:9/db")
        return built._backend("store")

    async def postgres_missing() -> None:
        await postgres_store().open()

    async def postgres_present() -> None:
        postgres_store()
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401

    async def server() -> None:
        from skyvern_core.asgi import create_app

        create_app(agent(), base_url="http://127.0.0.1:8000")

    async def mcp_missing() -> None:
        import skyvern_core.mcp  # noqa: F401

    async def mcp_present() -> None:
        from skyvern_core.mcp import build_server, own_organization

        built = agent()
        server = build_server(built, own_organization(built))
        names = {tool.name for tool in await server.list_tools()}
        assert {"run_task", "view_page", "get_screenshot"} <= names, names

    return {
        "playwright": (lambda: start_driver("playwright"), playwright_present),
        "selenium": (lambda: start_driver("selenium"), selenium_present),
        "llm": (llm_missing, llm_present),
        "postgres": (postgres_missing, postgres_present),
        "server": (server, server),
        "mcp": (mcp_missing, mcp_present),
    }


def check_backends(installed: str) -> None:
    """Each backend works with its extra, and names its extra without it."""
    import anyio

    from skyvern_core.errors import MissingExtraError

    with tempfile.TemporaryDirectory() as data_dir:
        there = {installed, *IMPLIES.get(installed, ())}
        for extra, (missing, present) in backend_checks(data_dir).items():
            if extra in there:
                try:
                    anyio.run(present)
                except Exception as exc:
                    fail(f"{extra}: installed, yet {type(exc).__name__}: {exc}")
                ok(f"{extra} backend with its extra")
                continue
            try:
                anyio.run(missing)
            except MissingExtraError as exc:
                if f"skyvern-core[{extra}]" not in str(exc):
                    fail(f"{extra}: the error does not name the extra: {exc}")
                ok(f"{extra} backend without its extra: {exc}")
                continue
            except Exception as exc:
                fail(f"{extra}: not installed, and {type(exc).__name__}: {exc}")
            fail(f"{extra}: not installed, yet no MissingExtraError")
    if "server" not in {installed, *IMPLIES.get(installed, ())}:
        served = command("serve", "--port", "8999")
        if served.returncode != 2 or "skyvern-core[server]" not in served.stderr:
            fail(f"serve without the server extra: {served.returncode} {served.stderr[-300:]}")
        ok("skyvern-core serve without the server extra names it")


def main() -> None:
    """Run every check for the extra named on the command line."""
    installed = sys.argv[1] if len(sys.argv) > 1 else "none"
    import skyvern_core

    where = Path(skyvern_core.__file__).resolve()
    if "site-packages" not in where.parts:
        fail(f"skyvern_core imported from {where}, not from the installed wheel")
    ok(f"import skyvern_core {skyvern_core.__version__} (extra: {installed})")
    check_commands()
    check_backends(installed)


if __name__ == "__main__":
    main()
