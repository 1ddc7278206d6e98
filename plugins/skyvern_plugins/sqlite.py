"""The ``sqlite`` store: :class:`~skyvern_core.db.sqlstore.SQLStore` on a local SQLite file.

The file is ``SKYVERN_DATABASE_URL`` (``sqlite:///path/to.db``), by default ``skyvern.db``
in the data folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skyvern_core.errors import ConfigurationError
from skyvern_core.hookspecs import Register, hookimpl

if TYPE_CHECKING:
    from skyvern_core.db.sqlstore import SQLStore
    from skyvern_core.plugins import BackendContext

__all__ = ["make_store", "register_stores"]


def make_store(ctx: BackendContext) -> SQLStore:
    """Build the SQLite store from the settings; refuse a URL of another database."""
    from skyvern_core.db.sqlstore import SQLStore

    url = ctx.settings.resolved_database_url
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme.split("+", 1)[0] != "sqlite":
        # Only the scheme is shown: the rest of a server URL may hold a password.
        raise ConfigurationError(
            f"the 'sqlite' store needs SKYVERN_DATABASE_URL to be sqlite:///path/to.db, "
            f"got a {scheme or 'malformed'!r} URL; choose the store for that database instead"
        )
    return SQLStore(url)


@hookimpl
def register_stores(register: Register) -> None:
    """Register the ``sqlite`` store."""
    register("sqlite", make_store)
