"""A real PostgreSQL server for the database tests: started once per test session, removed at its end.

The server binaries come from the `pgserver` wheel (dev extra): initdb and postgres in a temporary
directory, listening on a Unix socket only, so nothing else on the machine is touched and no port
can clash. As root (CI) pgserver runs the server as its own `pgserver` system user. Set
RELSYNTH_TEST_POSTGRES_URL to use a server of your own instead (each test makes and drops its own
database there). Without either the tests skip, saying why; with RELSYNTH_REQUIRE_POSTGRES=1 (set by
.ci/run) they fail instead, so CI never passes without having run them.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

log = logging.getLogger(__name__)


def _unavailable(reason: str) -> None:
    if os.environ.get("RELSYNTH_REQUIRE_POSTGRES"):
        pytest.fail(f"RELSYNTH_REQUIRE_POSTGRES is set, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[sa.URL]:
    """The URL of a PostgreSQL server's `postgres` database (psycopg driver).

    Its directory is a fresh one in the system's temporary folder, not under pytest's basetemp:
    a concurrent pytest run of the same user prunes old basetemps, which would delete a running
    server's data (PostgreSQL then shuts down)."""
    given = os.environ.get("RELSYNTH_TEST_POSTGRES_URL")
    if given:
        yield sa.make_url(given)
        return
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, on import: XDG_RUNTIME_DIR unset, a fallback is used
        try:
            import pgserver
        except ImportError as exc:
            _unavailable(
                f"no PostgreSQL server binaries: pgserver is not installed ({exc}); `pip install -e '.[dev]'` brings "
                "them (Python <= 3.12), or set RELSYNTH_TEST_POSTGRES_URL to a server of your own"
            )
        server = pgserver.get_server(Path(tempfile.mkdtemp(prefix="relsynth-pg-")), cleanup_mode="delete")
    log.info("PostgreSQL (pgserver) started in %.1f s", time.perf_counter() - start)
    url = sa.make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    try:
        yield url
    finally:
        server.cleanup()  # stops the server and deletes its directory


@pytest.fixture
def postgres_url(postgres_server: sa.URL) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped after the test."""
    name = f"relsynth_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = postgres_server.set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
