"""Fakes for testing code that uses skyvern-core, without a browser or a model.

- :class:`ScriptedPlanner` answers each step with the next scripted decision.
- :class:`ScriptedLLM` is an LLM provider with scripted replies.
- :class:`InMemoryDriver` serves :class:`FakePage` objects instead of a browser.
- :class:`MemoryArtifactStore` and :class:`RecordingNotifier` keep what they get.
- :class:`MemoryStore` keeps tasks and steps in memory.
- :class:`FakeClock` moves forward when slept on, so waits and leases take no real time.
- :class:`FakeCaptchaSolver` answers the fixture site's CAPTCHA challenges like a solving
  service (:mod:`skyvern_core.testing.captcha`).
- :mod:`skyvern_core.testing.prompt` reads the step prompt's element lines and facts, for a
  fake model that decides from what it is sent.
- :class:`~skyvern_core.testing.store_contract.StoreContract` is the test suite every
  store must pass (it needs pytest).
"""

from __future__ import annotations

from skyvern_core.testing.artifacts import MemoryArtifactStore, RecordingNotifier
from skyvern_core.testing.captcha import FakeCaptchaSolver
from skyvern_core.testing.clock import FakeClock
from skyvern_core.testing.driver import FakePage, InMemoryDriver, InMemorySession, element
from skyvern_core.testing.memory_store import MemoryStore
from skyvern_core.testing.planner import ScriptedLLM, ScriptedPlanner

__all__ = [
    "FakeCaptchaSolver",
    "FakeClock",
    "FakePage",
    "InMemoryDriver",
    "InMemorySession",
    "MemoryArtifactStore",
    "MemoryStore",
    "RecordingNotifier",
    "ScriptedLLM",
    "ScriptedPlanner",
    "element",
]
