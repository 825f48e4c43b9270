"""The two databases every store-backed test runs on: SQLite, and PostgreSQL when
``ECOWATCH_TEST_POSTGRES_URL`` is set (CI sets it, see ``.ci/run``), each PostgreSQL test in a schema
of its own (``search_path`` in the URL), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ecowatch.store.db import normalise_url

PG_URL = os.environ.get("ECOWATCH_TEST_POSTGRES_URL", "")
NO_PG = "ECOWATCH_TEST_POSTGRES_URL is not set: the PostgreSQL run of this test is skipped"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not PG_URL, reason=NO_PG)),
]


def schema_url(admin: Engine) -> Iterator[str]:
    """Yield the URL of a fresh PostgreSQL schema (created with ``admin``), drop it afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = normalise_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
