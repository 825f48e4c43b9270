"""``ecowatch db upgrade`` and ``ecowatch db load``, in-process with typer's CliRunner."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.audit import entries
from ecowatch.store.models import Measurement, Site

runner = CliRunner()

LONG = """station,time,pollutant,value
Dongsi,2016-01-01 00:00,PM2.5,35
Dongsi,2016-01-01 01:00,PM2.5,36
1004A,2016-01-01 00:00,SO2,7
my own station,2016-01-01 00:00,NO2,41
"""


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def count(url: str, query) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(query)
    finally:
        engine.dispose()


@pytest.fixture
def long_csv(tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(LONG, encoding="utf-8")
    return path


def test_upgrade_then_load_then_load_again(db_url, long_csv):
    result = invoke("db", "upgrade", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert f"schema at revision {migrate.head()}" in flat(result.stdout)

    result = invoke("db", "load", long_csv, "--format", "long", "--db", db_url)
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "4 values (0 invalid) of 3 stations from 1 files: 4 rows inserted or changed" in out
    assert re.search(r"read \d+\.\d s, stored \d+\.\d s", out)
    assert count(db_url, select(func.count()).select_from(Measurement)) == 4
    assert count(db_url, select(func.count()).select_from(Site).where(Site.category == "unregistered")) == 1

    result = invoke("db", "load", long_csv, "--format", "long", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "0 rows inserted or changed" in flat(result.stdout)
    assert count(db_url, select(func.count()).select_from(Measurement)) == 4

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        audit = entries(session=session, entity="measurement")
        assert [e.actor.startswith("cli:") for e in audit] == [True, True]
    engine.dispose()


def test_load_into_a_fresh_embedded_store_migrates_it(tmp_path, long_csv):
    """Every command treats a fresh embedded store alike: migrated, as ``serve`` does (issue 13; a fresh
    PostgreSQL database is refused, naming `ecowatch db upgrade`:
    tests/gateway/test_gateway_store_journal.py)."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = invoke("db", "load", long_csv, "--format", "long", "--db", url)
    assert result.exit_code == 0, result.output
    assert migrate.current(url) == migrate.head()
    assert count(url, select(func.count()).select_from(Measurement)) == 4


def test_load_reports_a_bad_file_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert invoke("db", "upgrade", "--db", url).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("station,time,pollutant,value\nDongsi,2016-01-01 00:00,PM2.5,abc\n", encoding="utf-8")
    result = invoke("db", "load", bad, "--format", "long", "--db", url)
    assert result.exit_code == 2
    assert "bad.csv, line 2, field value: non-numeric value 'abc'" in flat(result.stderr)
    result = invoke("db", "load", bad, "--format", "long", "--db", url, "--lenient")
    assert result.exit_code == 0, result.output
    assert "1 values (1 invalid)" in flat(result.stdout)


def test_load_one_month_of_a_prsa_file(tmp_path, prsa_folder):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert invoke("db", "upgrade", "--db", url).exit_code == 0
    dongsi = next(prsa_folder.glob("PRSA_Data_Dongsi_*"))
    result = invoke(
        "db", "load", dongsi, "--format", "prsa", "--from", "2016-01-01", "--to", "2016-01-31", "--db", url
    )
    assert result.exit_code == 0, result.output
    stored = count(url, select(func.count()).select_from(Measurement))
    assert 4000 < stored <= 31 * 24 * 6
    assert f"{stored:,} values (0 invalid) of 1 stations from 1 files" in flat(result.stdout)


def test_upgrade_of_a_database_that_cannot_be_opened(tmp_path):
    result = invoke("db", "upgrade", "--db", f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}")
    assert result.exit_code == 2
    assert "cannot open database" in flat(result.stderr)
