"""The ``memory`` store: everything in dictionaries, gone when the process ends (for tests)."""

from __future__ import annotations

from skyvern_core.hookspecs import Register, hookimpl

__all__ = ["register_stores"]


@hookimpl
def register_stores(register: Register) -> None:
    """Register the ``memory`` store."""
    from skyvern_core.testing.memory_store import MemoryStore

    register("memory", lambda ctx: MemoryStore())
