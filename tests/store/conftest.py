"""Fixtures of the store tests: every test runs on SQLite and on a real PostgreSQL server.

PostgreSQL is used when ``ECOWATCH_TEST_POSTGRES_URL`` is set (CI sets it, see ``.ci/run``); each
test gets its own schema there (``search_path`` in the URL), dropped afterwards.  SQLite tests
use a file in the test's temporary folder.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ecowatch.importers import MEASUREMENT_SCHEMA
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.db import normalise_url

PG_URL = os.environ.get("ECOWATCH_TEST_POSTGRES_URL", "")
NO_PG = "ECOWATCH_TEST_POSTGRES_URL is not set: the PostgreSQL run of this test is skipped"
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not PG_URL, reason=NO_PG)),
]


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An engine on the test database itself (to create and drop the per-test schemas)."""
    if not PG_URL:
        pytest.skip(NO_PG)
    engine = make_engine(PG_URL)
    yield engine
    engine.dispose()


def _schema_url(admin: Engine) -> Iterator[str]:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = normalise_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _schema_url(request.getfixturevalue("pg_admin"))


@pytest.fixture
def pg_url(pg_admin) -> Iterator[str]:
    """Like :func:`db_url`, PostgreSQL only (for what only PostgreSQL has: partitions)."""
    yield from _schema_url(pg_admin)


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def empty_engine(db_url) -> Iterator[Engine]:
    """An engine on the empty database of :func:`db_url` (not migrated)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    """An engine on a database migrated to the latest schema."""
    yield from _migrated(db_url)


@pytest.fixture
def pg_engine(pg_url) -> Iterator[Engine]:
    yield from _migrated(pg_url)


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def pg_session(pg_engine) -> Iterator[Session]:
    with session_factory(pg_engine)() as session:
        yield session


@pytest.fixture(scope="session")
def prsa_folder() -> Path:
    """``../shared/data/beijing-prsa`` beside the repository (skip the test if it is not there)."""
    path = SHARED_DATA / "beijing-prsa"
    if not path.is_dir():
        pytest.skip(f"PRSA data not found at {path}")
    return path


def _frame(rows: list[tuple]) -> pl.DataFrame:
    data = [(s, dt.datetime.fromisoformat(t), p, v, r) for s, t, p, v, r in rows]
    return pl.DataFrame(data, schema=MEASUREMENT_SCHEMA, orient="row").sort(["station", "time", "pollutant"])


@pytest.fixture(scope="session")
def make_frame():
    """An importer frame from ``(station, 'YYYY-MM-DD HH:MM', pollutant, value, invalid_reason)`` rows
    (time in Beijing time, as the importers give it)."""
    return _frame
