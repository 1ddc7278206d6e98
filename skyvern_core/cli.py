"""The ``skyvern-core`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from skyvern_core.errors import UsageError
from skyvern_core.plugins import BACKEND_KINDS, PluginRegistry

__all__ = ["main"]


def _plugins(args: argparse.Namespace) -> int:
    registry = PluginRegistry()
    regs = registry.registrations()
    if args.json:
        data = {
            "plugins": [
                {
                    "name": name,
                    "distribution": dist,
                    "version": version,
                    "backends": [
                        {"kind": r.kind, "name": r.name} for r in regs if r.plugin == name
                    ],
                }
                for name, dist, version in registry.plugins()
            ],
            "errors": [
                {"plugin": e.plugin, "distribution": e.distribution, "error": e.error}
                for e in registry.errors
            ],
        }
        print(json.dumps(data, indent=2))
        return 0
    print("Installed plugins:")
    for name, dist, version in registry.plugins():
        source = f"{dist} {version}" if dist else "registered in code"
        provided = ", ".join(
            f"{r.kind.replace('_', ' ')} {r.name!r}" for r in regs if r.plugin == name
        )
        print(f"  {name:<18} from {source:<28} {provided or '(no backends)'}")
    print("\nBackends by kind:")
    for kind in BACKEND_KINDS:
        names = ", ".join(registry.names(kind)) or "none installed"
        print(f"  {kind.replace('_', ' '):<15} {names}")
    if registry.errors:
        print("\nPlugins that failed to load:")
        for error in registry.errors:
            source = f" ({error.distribution})" if error.distribution else ""
            print(f"  {error.plugin}{source}: {error.error}")
    return 0


def _scrape(args: argparse.Namespace) -> int:
    from skyvern_core.perception.scrape import run

    return run(args.url, as_json=args.json, screenshot=args.screenshot)


def _org_create(args: argparse.Namespace) -> int:
    from skyvern_core.server import create_org

    made = create_org(
        args.name,
        max_steps=args.max_steps,
        max_cost_usd=args.max_cost_usd,
        max_tokens=args.max_tokens,
    )
    print(f"organization_id:         {made.organization_id}")
    print(f"name:                    {made.name}")
    print(f"api_key:                 {made.api_key}")
    print(f"webhook_signing_secret:  {made.webhook_signing_secret}")
    print("\nKeep the key and the secret now: they are not shown again (only a hash of the")
    print("key is stored).")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from skyvern_core.server import serve

    serve(host=args.host, port=args.port, workers=not args.no_workers)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from skyvern_core.server import run_worker

    run_worker(concurrency=args.concurrency)
    return 0


def _mcp(args: argparse.Namespace) -> int:
    from skyvern_core.mcp import run_stdio

    run_stdio(organization=args.organization)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from skyvern_core.demo import run_demo

    return run_demo()


def _replays(args: argparse.Namespace) -> int:
    from skyvern_core.replay.admin import main_clear, main_list

    if args.replays_command == "clear":
        return main_clear(args.org, args.key)
    return main_list(args.org, args.key, as_json=args.json)


def _profiles(args: argparse.Namespace) -> int:
    from skyvern_core.profiles import main_delete, main_list, new_profile_key

    if args.profiles_command == "key":
        print(new_profile_key())
        return 0
    if args.profiles_command == "delete":
        return main_delete(args.org, args.name)
    return main_list(args.org, as_json=args.json)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skyvern-core`` command."""
    parser = argparse.ArgumentParser(
        prog="skyvern-core", description="An embeddable LLM-driven browser agent."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    plugins = sub.add_parser("plugins", help="list installed plugins and their backends")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.set_defaults(func=_plugins)
    scrape = sub.add_parser("scrape", help="print what the agent sees of a page")
    scrape.add_argument("url", help="the page to open")
    scrape.add_argument("--json", action="store_true", help="print JSON, with locators")
    scrape.add_argument("--screenshot", metavar="FILE", help="save a PNG of the viewport")
    scrape.set_defaults(func=_scrape)
    org = sub.add_parser("org", help="manage organizations (tenants of the HTTP API)")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    create = org_sub.add_parser("create", help="create an organization; print its key once")
    create.add_argument("name", help="the organization's name (unique)")
    create.add_argument("--max-steps", type=int, default=None, help="its step limit per task")
    create.add_argument(
        "--max-cost-usd", type=float, default=None, help="its model spend limit per task (USD)"
    )
    create.add_argument(
        "--max-tokens", type=int, default=None, help="its model token limit per task"
    )
    create.set_defaults(func=_org_create)
    serve = sub.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--no-workers",
        action="store_true",
        help="serve the API only; tasks run in 'skyvern-core worker' processes",
    )
    serve.set_defaults(func=_serve)
    worker = sub.add_parser("worker", help="run queued tasks from the configured store")
    worker.add_argument(
        "--concurrency", type=int, default=None, help="tasks at once (SKYVERN_CONCURRENCY)"
    )
    worker.set_defaults(func=_worker)
    replays = sub.add_parser("replays", help="list or clear recorded replay entries")
    replays_sub = replays.add_subparsers(dest="replays_command", required=True)
    for name, text in (("list", "list recorded steps"), ("clear", "delete recorded steps")):
        command = replays_sub.add_parser(name, help=text)
        command.add_argument("--org", help="organization id (default: the embedded one)")
        command.add_argument("--key", help="only this flow key")
        if name == "list":
            command.add_argument("--json", action="store_true", help="print JSON")
        command.set_defaults(func=_replays)
    profiles = sub.add_parser("profiles", help="list or delete browser profiles")
    profiles_sub = profiles.add_subparsers(dest="profiles_command", required=True)
    listing = profiles_sub.add_parser("list", help="list the browser profiles")
    listing.add_argument("--json", action="store_true", help="print JSON")
    delete = profiles_sub.add_parser("delete", help="delete a browser profile")
    delete.add_argument("name", help="the profile's name")
    for command in (listing, delete):
        command.add_argument("--org", help="organization id (default: the embedded one)")
        command.set_defaults(func=_profiles)
    key = profiles_sub.add_parser("key", help="print a new key for SKYVERN_PROFILE_KEY")
    key.set_defaults(func=_profiles)
    mcp = sub.add_parser("mcp", help="serve the MCP server over stdio (for MCP clients)")
    mcp.add_argument(
        "--organization",
        default="default",
        help="the organization whose tasks the server runs and sees (made if new)",
    )
    mcp.set_defaults(func=_mcp)
    demo = sub.add_parser("demo", help="run a real task on a bundled job-application site")
    demo.set_defaults(func=_demo)
    _add_viewer_commands(sub)
    return parser


def _add_viewer_commands(sub: Any) -> None:
    # run, tasks and ui live in modules of their own.
    from skyvern_core.cli_run import add_run_parser
    from skyvern_core.cli_tasks import add_tasks_parser
    from skyvern_core.cli_ui import add_ui_parser

    add_run_parser(sub)
    add_tasks_parser(sub)
    add_ui_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for a configuration that cannot
    work, such as a backend whose extra is not installed)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"skyvern-core: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
