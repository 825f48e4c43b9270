"""Fixtures of the gateway tests: a real gateway on 127.0.0.1 in a thread, real sockets, SQLite and
PostgreSQL.

``db_url`` follows tests/store/conftest.py: a SQLite file, or (with ``ECOWATCH_TEST_POSTGRES_URL``) a
fresh PostgreSQL schema per test.
"""

from __future__ import annotations

import pytest
from gateway_helpers import GatewayThread

from backends import schema_url


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch) -> None:
    """Master key file and default journal in the test's own folder."""
    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ECOWATCH_MASTER_KEY", raising=False)


@pytest.fixture
def db_url_pg(pg_admin):
    """A fresh PostgreSQL schema (not migrated), for the tests that run on PostgreSQL only."""
    yield from schema_url(pg_admin)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def start_gateway(tmp_path):
    started: list[GatewayThread] = []

    def start(url: str, **limits) -> GatewayThread:
        thread = GatewayThread(url, tmp_path / "journal", **limits)
        started.append(thread)
        return thread

    yield start
    for thread in started:
        if thread.loop.is_running():
            thread.stop()
