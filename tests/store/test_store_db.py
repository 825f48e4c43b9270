"""Where the database is and how the store connects to it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ecowatch.store import StoreError, database_url, make_engine, migrate
from ecowatch.store.db import display_url, normalise_url


def test_database_url_prefers_explicit_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOWATCH_DB", "sqlite:///from-env.db")
    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(tmp_path))
    assert database_url("sqlite:///explicit.db") == "sqlite:///explicit.db"
    assert database_url(None) == "sqlite:///from-env.db"


def test_database_url_defaults_to_a_file_in_the_data_folder_created_on_first_use(monkeypatch, tmp_path):
    monkeypatch.delenv("ECOWATCH_DB", raising=False)
    folder = tmp_path / "not" / "yet"
    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(folder))
    assert database_url(None) == f"sqlite:///{folder / 'ecowatch.db'}"
    assert folder.is_dir()


def test_data_folder_defaults_to_local_share(monkeypatch, tmp_path):
    monkeypatch.delenv("ECOWATCH_DB", raising=False)
    monkeypatch.delenv("ECOWATCH_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert database_url(None) == f"sqlite:///{tmp_path / '.local' / 'share' / 'ecowatch' / 'ecowatch.db'}"
    assert (tmp_path / ".local" / "share" / "ecowatch").is_dir()


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:p@127.0.0.1/x", "postgres://u:p@127.0.0.1/x", "postgresql+psycopg://u:p@127.0.0.1/x"],
)
def test_plain_postgresql_urls_use_psycopg_3(url):
    engine = make_engine(url)  # no connection is made
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    assert str(normalise_url(url)).startswith("postgresql+psycopg://")


def test_display_url_hides_the_password():
    assert (
        display_url("postgresql://ecowatch:secret@db:5432/x") == "postgresql+psycopg://ecowatch:***@db:5432/x"
    )


def test_other_databases_are_refused():
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        make_engine("mysql://u:p@localhost/x")


def test_sqlite_connections_enforce_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_a_database_that_cannot_be_opened_is_one_clear_store_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}"
    with pytest.raises(
        StoreError, match=r"cannot open database sqlite:///.*missing-folder/x.db: unable to open"
    ):
        migrate.upgrade(url)
