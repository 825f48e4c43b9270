"""Fixtures shared by the store, gateway and web tests (see backends.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from backends import BACKENDS, NO_PG, PG_URL, schema_url
from ecowatch.store import make_engine


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An engine on the test database itself (to create and drop the per-test schemas)."""
    if not PG_URL:
        pytest.skip(NO_PG)
    engine = make_engine(PG_URL)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from schema_url(request.getfixturevalue("pg_admin"))
