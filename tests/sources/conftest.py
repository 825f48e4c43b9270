"""Fixtures of the pollution-source registry tests: a migrated store (SQLite, and PostgreSQL when
``ECOWATCH_TEST_POSTGRES_URL`` is set) holding Beijing's and Hebei's regions and an air station.

::

    110000 北京市 ── 110100 北京 ─┬─ 110105 朝阳区   site BJ-CY-A1 (air station)
                                  └─ 110108 海淀区
    130000 河北省 ── 130100 石家庄 ── 130102 长安区
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sources_helpers import fill_regions
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ecowatch.store import make_engine, migrate, session_factory


@pytest.fixture
def store_url(db_url) -> str:
    """A migrated store with the regions and the air station of the module docstring."""
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        with session_factory(engine).begin() as session:
            fill_regions(session)
    finally:
        engine.dispose()
    return db_url


@pytest.fixture
def engine(store_url) -> Iterator[Engine]:
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session
