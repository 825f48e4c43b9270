"""Schema migrations (Alembic), configured in code: no ``alembic.ini`` is needed.

The scripts live in the package (``ecowatch/store/migrations``), so an installed ecowatch can
migrate its database::

    upgrade("sqlite:///ecowatch.db")            # to the latest schema
    downgrade("sqlite:///ecowatch.db", "base")  # to an empty database

Each call runs in one transaction (PostgreSQL and SQLite both have transactional DDL).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from ecowatch.store.db import display_url, make_engine, open_connection
from ecowatch.store.errors import StoreError

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "check_at_head",
    "current",
    "downgrade",
    "head",
    "open_engine",
    "prepare",
    "upgrade",
]

#: The folder of the migration scripts inside the package.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged scripts (no database bound yet)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _engine(target: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True


def _run(target: str | URL | Engine, action, revision: str) -> None:
    engine, owned = _engine(target)
    try:
        with open_connection(engine) as connection, connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            action(config, revision)
    finally:
        if owned:
            engine.dispose()


def upgrade(url: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database at ``url`` (or an engine) up to ``revision``."""
    _run(url, command.upgrade, revision)


def downgrade(url: str | URL | Engine, revision: str = "base") -> None:
    """Migrate the database at ``url`` (or an engine) down to ``revision`` (``base`` = empty)."""
    _run(url, command.downgrade, revision)


def head() -> str:
    """The revision of the newest migration script."""
    script = ScriptDirectory.from_config(alembic_config())
    return script.get_current_head() or ""


def current(url: str | URL | Engine) -> str | None:
    """The revision the database is at (None for a database never migrated)."""
    engine, owned = _engine(url)
    try:
        with open_connection(engine) as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def check_at_head(engine: Engine) -> None:
    """Raise :class:`StoreError` unless the database has the latest schema."""
    at, newest = current(engine), head()
    if at != newest:
        where = display_url(engine.url)
        raise StoreError(
            f"database {where} is at schema revision {at or 'none (empty)'}, not {newest}: "
            "run `ecowatch db upgrade` first"
        )


def prepare(engine: Engine) -> None:
    """Make the store at ``engine`` ready for a command, the same way for every command (issue 13): the
    embedded store (SQLite, the default: a file of the user's own) is migrated to the latest schema, as
    ``serve`` and ``gateway`` do; a server database (PostgreSQL) must already be at the latest revision
    (``ecowatch db upgrade``, an operator's step), else :class:`StoreError` says so."""
    if engine.dialect.name == "sqlite" and current(engine) != head():
        upgrade(engine)
    check_at_head(engine)


def open_engine(url: str) -> Engine:
    """An engine for ``url`` whose schema is at the latest revision (:func:`prepare`), or
    :class:`StoreError`."""
    engine = make_engine(url)
    try:
        prepare(engine)
    except StoreError:
        engine.dispose()
        raise
    return engine
