"""``skyvern-core scrape URL``: open a page and print what the agent sees of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import SkyvernError
from skyvern_core.perception.serializer import count_tokens, serialize, to_json
from skyvern_core.plugins import BackendContext, PluginRegistry
from skyvern_core.protocols import SessionOptions

__all__ = ["scrape"]


async def scrape(
    url: str,
    *,
    as_json: bool = False,
    screenshot: Path | None = None,
    settings: Settings | None = None,
) -> str:
    """Open ``url`` with the configured driver and return the prompt text and its token
    count (or, with ``as_json``, the JSON of :func:`~skyvern_core.perception.to_json`).

    ``screenshot`` receives a PNG of the viewport. Nothing is recorded.
    """
    import tempfile

    settings = settings or Settings()
    registry = PluginRegistry(only=settings.plugins)
    factory = registry.driver_factory(settings.driver)
    driver = factory(BackendContext(settings, registry))
    await driver.start()
    try:
        with tempfile.TemporaryDirectory(prefix="skyvern-scrape-") as tmp:
            session = await driver.new_session(
                SessionOptions(
                    task_id="scrape",
                    artifact_dir=Path(tmp),
                    record_video=False,
                    viewport=(settings.viewport_width, settings.viewport_height),
                    user_agent=settings.user_agent,
                )
            )
            try:
                await session.goto(url)
                page = await session.snapshot()
                if screenshot is not None:
                    # The snapshot's own copy is for the model, possibly a JPEG.
                    await anyio.Path(screenshot).write_bytes(await session.screenshot())
            finally:
                await session.close()
    finally:
        await driver.close()
    if as_json:
        data: dict[str, Any] = to_json(page)
        return json.dumps(data, indent=2, ensure_ascii=False)
    prompt = serialize(page)
    return f"{prompt}\n\nTokens: {count_tokens(prompt)}"


def run(url: str, *, as_json: bool, screenshot: str | None) -> int:
    """The command's body: print the result; print a readable error and return 1 on failure."""
    import sys

    try:
        out = anyio.run(
            lambda: scrape(
                url, as_json=as_json, screenshot=Path(screenshot) if screenshot else None
            )
        )
    except SkyvernError as exc:
        print(f"skyvern-core scrape: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0
