"""Migration 0008 on both backends: user names become unique regardless of case (existing names
that differ only by case are renamed and disabled, with an audit entry), and ``token_version``."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ecowatch.store import migrate, session_factory
from ecowatch.store.models import User
from ecowatch.store.users import get_user, password_fingerprint, update_user

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$stand-in"


def _add(connection, name: str) -> None:
    connection.execute(
        text(
            "INSERT INTO user_account (username, password_hash, role, active) "
            "VALUES (:name, :hash, 'admin', :active)"
        ),
        {"name": name, "hash": HASH, "active": True},
    )


def test_0008_renames_and_disables_names_that_differ_only_by_case(empty_engine):
    migrate.upgrade(empty_engine, "0007")
    long_name = "L" * 64
    with empty_engine.begin() as connection:
        for name in ("li", "LI", "wang", "Li", "l" * 64, long_name):
            _add(connection, name)
    migrate.upgrade(empty_engine, "0008")
    with empty_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, username, active, token_version FROM user_account ORDER BY id")
        ).all()
        audit = connection.execute(text("SELECT actor, action, entity_id FROM audit_entry ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        (1, "li", True, 0),
        (2, "LI.2", False, 1),
        (3, "wang", True, 0),
        (4, "Li.4", False, 1),
        (5, "l" * 64, True, 0),
        (6, "L" * 62 + ".6", False, 1),
    ]
    assert [tuple(row) for row in audit] == [
        ("migration:0008", "rename", "LI.2"),
        ("migration:0008", "rename", "Li.4"),
        ("migration:0008", "rename", "L" * 62 + ".6"),
    ]
    with pytest.raises(IntegrityError), empty_engine.begin() as connection:
        _add(connection, "WANG")
    migrate.downgrade(empty_engine, "0007")
    with empty_engine.begin() as connection:
        _add(connection, "WANG")  # the index has gone with the downgrade


def test_names_are_found_whatever_the_case_and_disabling_raises_the_token_version(engine):
    with session_factory(engine).begin() as session:
        session.add(User(username="Admin", password_hash=HASH, role="admin", active=True))
        session.add(User(username="kelvin", password_hash=HASH, role="admin", active=True))
    with session_factory(engine).begin() as session:
        user = get_user(session=session, username="ADMIN")
        assert user is not None and user.username == "Admin" and user.token_version == 0
        before = password_fingerprint(user)
        update_user(session=session, user=user, actor="test", active=False)
        update_user(session=session, user=user, actor="test", active=True)
        assert user.token_version == 1 and password_fingerprint(user) != before
        assert get_user(session=session, username="KELVIN").username == "kelvin"
        assert get_user(session=session, username="\u212aelvin") is None  # a Kelvin sign is not a K
