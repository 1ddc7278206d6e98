"""Run the store's Alembic migrations from code: no ``alembic.ini`` needed.

The Alembic configuration is built here, pointing at the scripts shipped inside the package,
so an installed wheel can upgrade its database on its own. The URLs taken here are
synchronous SQLAlchemy URLs (``sqlite:///path``, ``postgresql+psycopg://...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x5C1E_0001  # any constant, shared by every skyvern-core process


def alembic_config(sync_url: str | None = None) -> Config:
    """Return an Alembic configuration for the packaged migrations (and ``sync_url``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if sync_url is not None:
        # The config is a ConfigParser: a literal % (an escaped password) must be doubled.
        config.set_main_option("sqlalchemy.url", sync_url.replace("%", "%%"))
    return config


def _engine(sync_url: str) -> sa.Engine:
    sqlite = sa.make_url(sync_url).get_backend_name() == "sqlite"
    options: dict[str, Any] = {"poolclass": sa.pool.NullPool}
    if sqlite:
        # Another process may be migrating the same SQLite file: wait for it rather than fail.
        options["connect_args"] = {"timeout": 60}
    else:
        # Under REPEATABLE READ or SERIALIZABLE (a server default) the snapshot would date
        # from before the wait for the migration lock, hiding the schema that the process
        # holding it just committed; READ COMMITTED takes a new snapshot per statement.
        options["isolation_level"] = "READ COMMITTED"
    engine = sa.create_engine(sync_url, **options)
    if sqlite:
        # pysqlite opens transactions lazily and commits before DDL; taking over BEGIN makes
        # a migration all-or-nothing on SQLite too.
        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade(sync_url: str, revision: str = "head") -> None:
    """Bring the database at ``sync_url`` up to ``revision`` (default: the latest)."""
    engine = _engine(sync_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Workers starting together migrate one at a time; the others then find
                # the schema at head and do nothing.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            config = alembic_config(sync_url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(sync_url: str) -> str | None:
    """Return the revision the database at ``sync_url`` is at (None: not migrated yet)."""
    engine = _engine(sync_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """Return the latest revision shipped with this version of skyvern-core."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
