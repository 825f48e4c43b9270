"""Writing users under concurrency (issue 14): parallel creations all succeed, SQLite writers wait for
each other instead of failing, and no error text carries a password or its hash."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import traceback

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from typer.testing import CliRunner

from ecowatch.cli import app as cli_app
from ecowatch.store import make_engine, session_factory
from ecowatch.store.db import SQLITE_IMMEDIATE
from ecowatch.store.models import User

FAKE_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$not-a-real-hash-but-shaped-like-one"


def test_four_parallel_user_creations_all_succeed_and_log_no_secret(fresh_app, fresh_auth, caplog):
    """Issue 14: on SQLite 3 of 4 gave 500 "database is locked", and the traceback showed the hash."""
    admin = fresh_auth("admin")
    passwords = {f"parallel{n}": f"parallel-secret-{n}-pw" for n in range(4)}

    async def create_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=fresh_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ecowatch") as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/users",
                        headers=admin,
                        json={"username": name, "password": password, "role": "city", "region": "110100"},
                    )
                    for name, password in passwords.items()
                )
            )

    with caplog.at_level(logging.DEBUG):
        answers = asyncio.run(create_all())
    assert [answer.status_code for answer in answers] == [201] * 4, [answer.text for answer in answers]
    with fresh_app.state.ecowatch.sessions() as session:
        stored = dict(
            session.execute(
                select(User.username, User.password_hash).where(User.username.in_(passwords))
            ).all()
        )
    assert sorted(stored) == sorted(passwords)
    for name, password in passwords.items():
        assert password not in caplog.text
        assert stored[name] not in caplog.text
    assert "$argon2" not in caplog.text
    with fresh_app.state.ecowatch.sessions() as session:  # the write sessions begin IMMEDIATE on SQLite
        assert session.connection().get_execution_options()[SQLITE_IMMEDIATE] is True


def test_database_errors_of_the_web_engine_show_no_statement_values(fresh_app):
    """A logged traceback shows the error's text: the web engine keeps the values out of it."""
    web = fresh_app.state.ecowatch
    row = {"username": "admin", "password_hash": FAKE_HASH, "role": "admin", "active": True}
    with pytest.raises(IntegrityError) as hidden, web.engine.begin() as connection:
        connection.execute(insert(User).values(**row))  # the name is taken
    assert FAKE_HASH not in "".join(traceback.format_exception(hidden.value))
    assert "hidden due to hide_parameters" in str(hidden.value)
    # The same statement on an engine made without the option would have shown the hash.
    plain = make_engine(web.engine.url)
    try:
        with pytest.raises(IntegrityError) as shown, plain.begin() as connection:
            connection.execute(insert(User).values(**row))
    finally:
        plain.dispose()
    assert FAKE_HASH in str(shown.value)


def test_the_cli_reports_a_refused_write_without_the_hash(fresh_store_url, monkeypatch):
    """``users add`` prints one line for a database error, never the statement's values."""
    import ecowatch.store.users as users

    def insert_a_taken_name(*, session, password_hash, **_other):
        session.execute(
            insert(User).values(username="admin", password_hash=password_hash, role="admin", active=True)
        )

    monkeypatch.setattr(users, "create_user", insert_a_taken_name)
    result = CliRunner().invoke(
        cli_app,
        [
            "users",
            "add",
            "--username",
            "newcomer",
            "--role",
            "admin",
            "--password",
            "cli-secret-password",
            "--db",
            fresh_store_url,
        ],
    )
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert output.startswith("error: the database refused the write: ")
    assert ("UNIQUE constraint failed" in output) or (
        "duplicate key value violates unique constraint" in output
    )
    assert "$argon2" not in result.output and "cli-secret-password" not in result.output


def _sqlite_only(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's locking: PostgreSQL's row locks let concurrent inserts of users proceed")


def _add_user(connection, name: str) -> None:
    connection.execute(insert(User).values(username=name, password_hash=FAKE_HASH, role="admin", active=True))


def test_a_deferred_sqlite_transaction_that_read_cannot_wait_to_write(fresh_store_url):
    """The failure behind the 500s: the transaction read, another writer committed, the write fails
    at once (SQLITE_BUSY_SNAPSHOT: waiting could not help, its snapshot is stale)."""
    _sqlite_only(fresh_store_url)
    engine = make_engine(fresh_store_url)
    try:
        with engine.connect() as reader, engine.connect() as other:
            reader.begin()
            reader.execute(select(func.count()).select_from(User)).scalar_one()
            with other.begin():
                _add_user(other, "committed-between")
            with pytest.raises(OperationalError) as locked:
                _add_user(reader, "after-reading")
            assert isinstance(locked.value.orig, sqlite3.OperationalError)
            assert "database is locked" in str(locked.value.orig)
            reader.rollback()
    finally:
        engine.dispose()


def test_an_immediate_sqlite_transaction_holds_the_write_lock_from_its_begin(fresh_store_url):
    """What the web's write sessions do: the lock is taken at BEGIN, so another writer waits for it
    (here it gives up after its 0.05 s busy timeout) and the first transaction's write cannot fail."""
    _sqlite_only(fresh_store_url)
    immediate = make_engine(fresh_store_url).execution_options(**{SQLITE_IMMEDIATE: True})
    impatient = make_engine(fresh_store_url, connect_args={"timeout": 0.05})
    try:
        with immediate.connect() as writer, impatient.connect() as other:
            writer.begin()
            writer.execute(select(func.count()).select_from(User)).scalar_one()
            with pytest.raises(OperationalError) as waited, other.begin():
                _add_user(other, "would-overtake")
            assert "database is locked" in str(waited.value.orig)
            _add_user(writer, "after-reading")
            writer.commit()
        with session_factory(immediate)() as session:
            names = set(session.scalars(select(User.username)))
        assert "after-reading" in names and "would-overtake" not in names
    finally:
        immediate.engine.dispose()
        impatient.dispose()
