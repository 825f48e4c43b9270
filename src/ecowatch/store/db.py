"""Where the database is and how to connect to it.

- :func:`database_url` — the URL to use: given, else ``$ECOWATCH_DB``, else a SQLite file
  ``ecowatch.db`` in the data folder (``$ECOWATCH_DATA_DIR`` or ``~/.local/share/ecowatch/``).
- :func:`make_engine` — an engine for SQLite (foreign keys on, real transactions) or PostgreSQL
  (psycopg 3; a plain ``postgresql://`` URL is accepted).
- :func:`session_factory` — ORM sessions bound to an engine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ecowatch.store.errors import StoreError

__all__ = [
    "SQLITE_IMMEDIATE",
    "data_dir",
    "database_url",
    "display_url",
    "make_engine",
    "normalise_url",
    "open_connection",
    "session_factory",
]

DEFAULT_FILE = "ecowatch.db"
#: Execution option: SQLite transactions of such an engine or connection begin IMMEDIATE (take the
#: write lock at once, waiting for it up to the busy timeout); no effect on PostgreSQL.
SQLITE_IMMEDIATE = "sqlite_immediate"


def data_dir() -> Path:
    """The data folder (``$ECOWATCH_DATA_DIR`` or ``~/.local/share/ecowatch/``), created if missing; only
    its owner may enter it (0700): it holds the store, the journal and the master key (issue 14)."""
    folder = Path(os.environ.get("ECOWATCH_DATA_DIR") or Path.home() / ".local" / "share" / "ecowatch")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def database_url(explicit: str | None = None) -> str:
    """The database URL: ``explicit``, else ``$ECOWATCH_DB``, else ``sqlite:///<data folder>/ecowatch.db``.

    >>> database_url("sqlite:///:memory:")
    'sqlite:///:memory:'
    """
    if explicit:
        return explicit
    if os.environ.get("ECOWATCH_DB"):
        return os.environ["ECOWATCH_DB"]
    return f"sqlite:///{data_dir() / DEFAULT_FILE}"


def normalise_url(url: str | URL) -> URL:
    """The URL with the driver made explicit: ``postgresql://`` (or ``postgres://``) -> psycopg 3.

    >>> normalise_url("postgresql://u:p@db/x").render_as_string(hide_password=False)
    'postgresql+psycopg://u:p@db/x'
    >>> normalise_url("sqlite:///x.db").drivername
    'sqlite'
    """
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL for messages: driver explicit, password hidden.

    >>> display_url("postgresql://u:secret@db/x")
    'postgresql+psycopg://u:***@db/x'
    """
    return normalise_url(url).render_as_string(hide_password=True)


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url``; ``options`` go to :func:`sqlalchemy.create_engine`.

    SQLite: ``PRAGMA foreign_keys=ON`` on every connection (SQLite leaves foreign keys off by
    default), write-ahead logging, and SQLAlchemy issues ``BEGIN`` itself so that DDL and DML take
    part in one real transaction (the sqlite3 module would otherwise commit before DDL and begin
    lazily).
    """
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed, **options)
        _sqlite_events(engine)
        return engine
    if backend == "postgresql":
        options.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **options)
    raise ValueError(f"unsupported database {parsed.drivername!r}: use sqlite:/// or postgresql://")


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        # Transactions are begun by the "begin" hook below, not by the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL: readers (web requests, figure jobs) never hold up writers (gateway, block builder)
        # nor the other way round.  Kept in the file; a no-op when already set.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # The store file readable by its owner only; SQLite gives its -wal and -shm files the same mode.
        path = engine.url.database
        if (
            path
            and path != ":memory:"
            and not path.startswith("file:")
            and os.path.exists(path)
            and os.stat(path).st_mode & 0o077
        ):
            os.chmod(path, 0o600)

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # A connection with the execution option ``sqlite_immediate`` takes the write lock at BEGIN:
        # a deferred transaction that read first cannot wait for it (SQLite answers "database is
        # locked" at once when another writer committed since its read), an immediate one waits.
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def open_connection(engine: Engine) -> Connection:
    """``engine.connect()``, with a one-line :class:`StoreError` when the database cannot be opened."""
    try:
        return engine.connect()
    except OperationalError as error:
        reason = str(error.orig if error.orig is not None else error).strip().splitlines()
        raise StoreError(
            f"cannot open database {display_url(engine.url)}: {reason[0] if reason else 'unknown error'}"
        ) from None
