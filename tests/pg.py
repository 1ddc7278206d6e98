"""A throwaway PostgreSQL server for tests, as a pytest plugin (``-p tests.pg``).

The server is made from nothing with the ``initdb`` and ``pg_ctl`` of the Debian
``postgresql`` package: a temporary data folder, trust authentication, listening only on
127.0.0.1 on a free port, no Unix socket, and ``fsync``/``synchronous_commit`` off (a test
database need not survive a crash). It is stopped and deleted when the session ends.

Fixtures:

* ``postgres_server`` (session): the running :class:`PostgresServer`.
* ``postgres_url`` (session): ``postgresql://`` URL of a database made for this session.
* ``postgres_database_url`` (per test): URL of a fresh, empty database, dropped afterwards,
  so tests never see each other's rows.

With pytest-xdist every worker process starts its own server (its own folder and port):
nothing is shared between workers, so nothing needs coordinating.

Running as root, the server runs as the ``postgres`` user (PostgreSQL refuses root) through
``runuser``; otherwise it runs as the current user. Without PostgreSQL's programs the
fixtures fail (they never skip): install the ``postgresql`` Debian package.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "find_bin_dir", "reap_orphans"]

SUPERUSER = "postgres"
START_ATTEMPTS = 3
PREFIX = "skyvern-pg-"
OWNER_FILE = "owner.pid"
SHM_MIN_FREE = 1 << 30
# Settings of the test server: speed over durability, and room for the worker-pool tests
# (several processes, each with a connection pool).
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "log_min_messages": "warning",
}


def find_bin_dir() -> Path:
    """Return the folder of ``initdb`` and ``pg_ctl`` (the newest installed PostgreSQL).

    Fails the test session with how to install PostgreSQL if there is none.
    """
    candidates = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: _version_key(d.parent.name),
    )
    if candidates:
        return candidates[-1]
    # Distributions other than Debian put them on PATH.
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl", path=str(Path(initdb).parent)):
        return Path(initdb).parent
    pytest.fail(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found under "
        "/usr/lib/postgresql/*/bin or on PATH: install the 'postgresql' Debian package "
        "(apt-get install postgresql) to run the PostgreSQL store tests.",
        pytrace=False,
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _scratch_dir() -> str | None:
    """Memory-backed /dev/shm if it has room, else the usual temporary folder.

    CREATE DATABASE copies a template's files: on a disk it takes up to a second, in
    memory a few milliseconds, and a test makes one database each.
    """
    shm = "/dev/shm"
    try:
        usage = shutil.disk_usage(shm)
    except OSError:
        return None
    # A container's default /dev/shm (64 MB) is too small for a cluster and its databases.
    if usage.free >= SHM_MIN_FREE and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def _require_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        pytest.fail(
            f"running as root, but there is no {name!r} user to run PostgreSQL as: "
            "install the 'postgresql' Debian package, which creates it",
            pytrace=False,
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def reap_orphans(bin_dir: Path) -> None:
    """Stop and delete the servers of test processes that were killed before cleaning up.

    A killed pytest leaves its server running (and, in /dev/shm, holding memory). Only
    folders whose owner process is gone are touched, so concurrent test runs are safe.
    """
    for folder in {_scratch_dir(), tempfile.gettempdir()}:
        for base in Path(folder or tempfile.gettempdir()).glob(f"{PREFIX}*"):
            try:
                owner = int((base / OWNER_FILE).read_text())
            except (OSError, ValueError):
                continue  # not one of ours, or still being set up
            if not _alive(owner):
                PostgresServer(bin_dir, base=base).stop()


def _free_port() -> int:
    # The port may be taken again before the server binds it: start() retries on failure.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server in a temporary folder, reachable on 127.0.0.1:``port``."""

    def __init__(self, bin_dir: Path, base: Path | None = None) -> None:
        self.bin_dir = bin_dir
        self.port = 0
        self._as_root = os.geteuid() == 0
        self._counter = itertools.count(1)
        if base is None:
            if self._as_root:
                _require_user(SUPERUSER)
            # Not under pytest's tmp_path: its parents are private to root, and the server
            # may run as the postgres user.
            base = Path(tempfile.mkdtemp(prefix=PREFIX, dir=_scratch_dir()))
            (base / OWNER_FILE).write_text(str(os.getpid()))
            if self._as_root:
                shutil.chown(base, user=SUPERUSER)
        self.base = base
        self.data_dir = base / "data"
        self.log_file = base / "server.log"

    # ------------------------------------------------------------------ processes

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        # cwd: the server user may not be allowed into the caller's folder.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        result = subprocess.run(
            command, cwd=self.base, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                f"\n{self._log_tail()}"
            )
        return result

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "server log:\n" + self.log_file.read_text(errors="replace")[-4000:]
        return ""

    def start(self) -> None:
        """Initialise the data folder and start the server (waits until it accepts)."""
        # The bootstrap superuser is named explicitly, whoever runs initdb.
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in SERVER_SETTINGS.items())
        last: Exception | None = None
        for _ in range(START_ATTEMPTS):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port}",
                )
                return
            except RuntimeError as exc:  # most likely the port was taken meanwhile
                last = exc
        raise RuntimeError(f"could not start PostgreSQL in {self.data_dir}") from last

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        with contextlib.suppress(RuntimeError):
            # immediate: the data is thrown away anyway, no need for a clean checkpoint.
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w")
        shutil.rmtree(self.base, ignore_errors=True)

    # ------------------------------------------------------------------ databases

    def url(self, database: str = "postgres") -> str:
        """The ``postgresql://`` URL of ``database`` on this server."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement on the ``postgres`` database, outside a transaction."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, prefix: str = "test") -> str:
        """Create a new empty database and return its URL."""
        name = f"{prefix}_{next(self._counter)}"
        # template0 holds nothing a test put into template1; copying it is cheap.
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database`, ending its sessions."""
        name = url.rsplit("/", 1)[1]
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test process, stopped at the end of the session."""
    bin_dir = find_bin_dir()
    reap_orphans(bin_dir)
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a database made for this test session (shared by its tests)."""
    return postgres_server.create_database("session")


@pytest.fixture
def postgres_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database for one test; dropped after it."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
