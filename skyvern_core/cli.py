"""The ``skyvern-core`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
