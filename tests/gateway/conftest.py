"""Fixtures of the gateway tests: a real gateway on 127.0.0.1 in a thread, real sockets, SQLite and PostgreSQL.

``db_url`` follows tests/store/conftest.py: a SQLite file, or (with ``ECOWATCH_TEST_POSTGRES_URL``) a
fresh PostgreSQL schema per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from gateway_helpers import GatewayThread

from ecowatch.store import make_engine
from ecowatch.store.db import normalise_url

PG_URL = os.environ.get("ECOWATCH_TEST_POSTGRES_URL", "")
NO_PG = "ECOWATCH_TEST_POSTGRES_URL is not set: the PostgreSQL run of this test is skipped"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not PG_URL, reason=NO_PG)),
]

@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch) -> None:
    """Master key file and default journal in the test's own folder."""
    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ECOWATCH_MASTER_KEY", raising=False)


@pytest.fixture(scope="session")
def pg_admin():
    if not PG_URL:
        pytest.skip(NO_PG)
    engine = make_engine(PG_URL)
    yield engine
    engine.dispose()


def _schema_url(admin) -> Iterator[str]:
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
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _schema_url(request.getfixturevalue("pg_admin"))


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
