"""The SQL store of skyvern-core: SQLModel tables, Alembic migrations and :class:`SQLStore`."""

from __future__ import annotations

from skyvern_core.db.sqlstore import SQLStore

__all__ = ["SQLStore"]
