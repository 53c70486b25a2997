"""A real PostgreSQL server for the store tests: a throwaway cluster, or the one a variable names.

Not a pytest conftest by itself: ``tests/conftest.py`` imports its fixtures. The session starts
one cluster (``initdb`` in a temporary folder, listening on 127.0.0.1 on a free port, its socket in
that folder) and every test gets a fresh database in it, dropped afterwards. Set
``BORDERWATCH_TEST_POSTGRES=postgresql://user@host:port/db`` to use an existing server instead
(the user needs CREATEDB). Without either, the tests are skipped locally and fail under CI
(``scripts/system-deps.sh`` installs Debian's ``postgresql``).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

ENV_SERVER = "BORDERWATCH_TEST_POSTGRES"


def _bindir() -> Path | None:
    """Where initdb and pg_ctl are: ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    candidates += sorted((Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A server the tests may create and drop databases on."""

    def __init__(self, admin_url: str):
        import sqlalchemy as sa

        self.admin_url = sa.make_url(admin_url)
        self._numbers = itertools.count()

    def _admin(self):
        import psycopg

        url = self.admin_url
        return psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                               dbname=url.database or "postgres", autocommit=True)

    def create_database(self) -> str:
        """A new empty database; returns its ``postgresql://`` URL."""
        name = f"bw_test_{os.getpid()}_{next(self._numbers)}"
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database`, ending whatever still uses it."""
        import sqlalchemy as sa

        name = sa.make_url(url).database
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_cluster(folder: Path) -> tuple[str, callable]:
    """initdb + pg_ctl start in ``folder``; returns the admin URL and a function that stops it."""
    bindir = _bindir()
    if bindir is None:
        return None, None
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as Debian's `postgres` user
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            return None, None
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, log, port = folder / "data", folder / "server.log", _free_port()
    run = lambda *args: subprocess.run([*as_postgres, *args], capture_output=True, text=True, timeout=120)  # noqa: E731
    made = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
               "--no-locale", "--no-sync")
    if made.returncode:
        raise RuntimeError(f"initdb failed: {made.stderr or made.stdout}")
    # Durability settings off: a test server is thrown away, and the tests kill clients, not it.
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    started = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
    if started.returncode:
        raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{log.read_text() if log.exists() else ''}")

    def stop() -> None:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


@pytest.fixture(scope="session")
def postgres_server():
    """The session's PostgreSQL server (see the module docstring)."""
    from conftest import require

    try:
        import psycopg  # noqa: F401
    except ImportError:
        require(False, "psycopg is not installed: pip install -e '.[test]'")
    if os.environ.get(ENV_SERVER):
        yield PostgresServer(os.environ[ENV_SERVER])
        return
    folder = Path(tempfile.mkdtemp(prefix="borderwatch-pg-"))  # not under pytest's root-only tmp
    try:
        admin_url, stop = _start_cluster(folder)
        require(admin_url is not None, "no PostgreSQL server: install Debian's postgresql "
                                       f"(scripts/system-deps.sh) or set {ENV_SERVER}")
        try:
            yield PostgresServer(admin_url)
        finally:
            stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the session's server, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
