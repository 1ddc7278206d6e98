"""A store wrapper that stops at chosen calls, so a test can put another actor's move at the
racy point: deterministic interleavings instead of sleeps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import anyio


class Gate:
    """Holds the next call(s) of one store method until :meth:`open` (before the call runs,
    or, with ``after``, once it has run and before the caller gets its result)."""

    def __init__(self, times: int) -> None:
        self.left = times
        self.reached = anyio.Event()
        self.opened = anyio.Event()
        self.results: list[Any] = []

    def open(self) -> None:
        """Let the held call(s) go on."""
        self.opened.set()

    async def wait_reached(self, seconds: float = 10) -> None:
        """Wait (up to ``seconds``) until a call is held."""
        with anyio.fail_after(seconds):
            await self.reached.wait()


class InterleavingStore:
    """Wraps a store; every call goes through, counted in :attr:`calls`, except those held by
    a :meth:`hold` gate."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()
        self._gates: dict[str, tuple[Gate, bool]] = {}

    def hold(self, name: str, *, after: bool = False, times: int = 1) -> Gate:
        """Hold the next ``times`` calls of method ``name``."""
        gate = Gate(times)
        self._gates[name] = (gate, after)
        return gate

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            held = self._gates.get(name)
            gate, after = held if held is not None else (None, False)
            if gate is not None and gate.left > 0:
                gate.left -= 1
                if not after:
                    gate.reached.set()
                    await gate.opened.wait()
                result = await attr(*args, **kwargs)
                gate.results.append(result)
                if after:
                    gate.reached.set()
                    await gate.opened.wait()
                return result
            return await attr(*args, **kwargs)

        return call


async def until(check: Callable[[], Awaitable[Any] | Any], seconds: float = 10) -> Any:
    """Poll ``check`` (sync or async) until it is truthy; fail after ``seconds``."""
    with anyio.fail_after(seconds):
        while True:
            value = check()
            if hasattr(value, "__await__"):
                value = await value
            if value:
                return value
            await anyio.sleep(0.01)
