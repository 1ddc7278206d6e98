"""The ``postgres`` store: :class:`~skyvern_core.db.sqlstore.SQLStore` on a PostgreSQL server.

For a fleet of workers sharing one queue: ``SKYVERN_STORE=postgres`` and
``SKYVERN_DATABASE_URL=postgresql://user:password@host:5432/dbname``. Needs the ``postgres``
extra (psycopg 3). ``SKYVERN_DATABASE_POOL_SIZE`` sets the connections kept per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skyvern_core.errors import ConfigurationError
from skyvern_core.hookspecs import Register, hookimpl

if TYPE_CHECKING:
    from skyvern_core.db.sqlstore import SQLStore
    from skyvern_core.plugins import BackendContext

__all__ = ["make_store", "register_stores"]

SCHEMES = frozenset({"postgresql", "postgres"})


def make_store(ctx: BackendContext) -> SQLStore:
    """Build the PostgreSQL store from the settings; refuse a missing or other database URL."""
    from skyvern_core.db.sqlstore import SQLStore

    # Not resolved_database_url: its default is a SQLite file, never a server to use.
    url = ctx.settings.database_url
    if not url:
        raise ConfigurationError(
            "the 'postgres' store needs SKYVERN_DATABASE_URL set to "
            "postgresql://user:password@host:port/dbname"
        )
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme.split("+", 1)[0] not in SCHEMES:
        # Only the scheme is shown: the rest of a URL may hold a password.
        raise ConfigurationError(
            f"the 'postgres' store needs SKYVERN_DATABASE_URL to be postgresql://..., "
            f"got a {scheme or 'malformed'!r} URL; choose the store for that database instead"
        )
    return SQLStore(url, pool_size=ctx.settings.database_pool_size)


@hookimpl
def register_stores(register: Register) -> None:
    """Register the ``postgres`` store."""
    register("postgres", make_store)
