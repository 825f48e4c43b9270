"""Fixtures of the store tests: every test runs on SQLite and on a real PostgreSQL server.

PostgreSQL is used when ``ECOWATCH_TEST_POSTGRES_URL`` is set (CI sets it, see ``.ci/run``); each
test gets its own schema there (``search_path`` in the URL), dropped afterwards.  SQLite tests
use a file in the test's temporary folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backends import schema_url
from ecowatch.importers import MEASUREMENT_SCHEMA
from ecowatch.store import make_engine, migrate, session_factory

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def pg_url(pg_admin) -> Iterator[str]:
    """Like :func:`db_url`, PostgreSQL only (for what only PostgreSQL has: partitions)."""
    yield from schema_url(pg_admin)


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
