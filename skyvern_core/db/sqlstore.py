"""A :class:`~skyvern_core.protocols.Store` on SQL, through SQLAlchemy's asyncio engine.

One class serves SQLite (``sqlite+aiosqlite``) and PostgreSQL (``postgresql+psycopg``); only
the dialect details differ:

* SQLite: WAL journal, a busy timeout and foreign keys on every connection; write
  transactions start with ``BEGIN IMMEDIATE`` (so a read-then-write never fails on a stale
  snapshot) and are serialized per store by an :class:`anyio.Lock`, so many concurrent tasks
  of one process never see "database is locked".
* PostgreSQL (psycopg 3): a pool of connections per store, transactions at READ COMMITTED,
  JSON in ``JSONB`` and timestamps in ``timestamptz`` columns. Claiming from the queue locks
  the chosen row with ``FOR UPDATE SKIP LOCKED``, so claimers in many processes each take a
  different task without waiting on one another; the migrations of processes starting
  together run one at a time under an advisory lock (see :mod:`skyvern_core.db.migrate`).

Status changes are compare-and-set: the lifecycle is checked against the stored status and
the ``UPDATE`` only applies while the status is still the one that was checked. On
PostgreSQL an ``UPDATE`` blocked by a concurrent writer re-checks its ``WHERE`` against the
row that writer committed, so the loser matches nothing and checks the lifecycle again.
"""

from __future__ import annotations

from skyvern_core.db.sql_deliveries import SQLDeliveryStore
from skyvern_core.db.sql_profiles import SQLProfileStore
from skyvern_core.db.sql_records import SQLRecordStore
from skyvern_core.db.sql_replays import SQLReplayStore
from skyvern_core.db.sql_tasks import SQLTaskStore
from skyvern_core.db.sqlbase import SQLBase, driver_urls

__all__ = ["SQLStore", "driver_urls"]


class SQLStore(
    SQLTaskStore, SQLRecordStore, SQLDeliveryStore, SQLReplayStore, SQLProfileStore, SQLBase
):
    """The SQL store: SQLite for one machine, PostgreSQL (same class) for a fleet of workers.

    ``database_url`` is in the user form (``sqlite:///path/to.db``, ``postgresql://...``).
    Call :meth:`open` before use (or use ``async with``); it creates the SQLite file's folder
    and runs the migrations. ``pool_size`` is the number of PostgreSQL connections kept open
    (as many again may be opened for bursts); SQLite ignores it. It is a
    :class:`~skyvern_core.storage.Store`: every concern of the store, in one database.
    """
