"""Fixtures of the cases store tests: a migrated store (SQLite, and PostgreSQL when
``ECOWATCH_TEST_POSTGRES_URL`` is set) with the GB/T 2260 divisions (migration 0010) and one user per
actor of ``issue16_table.ACTORS``::

    110000 北京市 ── 110100 北京市 ─┬─ 110105 朝阳区   bj-province, bj-city, chaoyang
                                    └─ 110108 海淀区   haidian
    120000 天津市 ── 120100 天津市 ── 120101 和平区   tj-province, tj-city
    root (admin), thermal (enterprise 91110105MA01ABCD2X)

Import the fixtures into a test module: ``from cases_store import store_url, sessions  # noqa: F401``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from issue16_table import ACTORS
from sqlalchemy.orm import Session, sessionmaker

from ecowatch.cases.service import CaseInput, NodeInput, add_cases, move_case
from ecowatch.clock import BEIJING
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.models import Enterprise, Region
from ecowatch.store.users import create_user, hash_password

ENTERPRISE = "91110105MA01ABCD2X"
PASSWORD = "password-of-tests"
_HASH = hash_password(PASSWORD)  # once: Argon2 takes ~0.4 s


def bj(*args: int) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(*args, tzinfo=BEIJING)


def fill_users(session: Session) -> None:
    chaoyang = session.query(Region).filter_by(code="110105").one()
    session.add(Enterprise(code=ENTERPRISE, name="朝阳热电有限公司", region=chaoyang))
    session.flush()
    for actor in ACTORS.values():
        create_user(
            session=session,
            username=actor.username,
            password_hash=_HASH,
            role=actor.role,
            region_code=actor.region,
            enterprise_code=ENTERPRISE if actor.role == "enterprise" else None,
            actor="test",
        )


@pytest.fixture
def store_url(db_url) -> str:
    """A migrated store with the users of the module docstring."""
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        with session_factory(engine).begin() as session:
            fill_users(session)
    finally:
        engine.dispose()
    return db_url


@pytest.fixture
def sessions(store_url) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(store_url)
    yield session_factory(engine)
    engine.dispose()


def case(code: str, region: str = "110105", deadline: dt.date = dt.date(2026, 6, 30), **more) -> CaseInput:
    """A case to add, with a title and a lead unit."""
    return CaseInput(
        code=code,
        title=f"问题 {code}",
        region=region,
        lead_unit="朝阳区生态环境局",
        deadline=deadline,
        **more,
    )


def add(
    sessions: sessionmaker[Session],
    *cases: CaseInput,
    batch: str = "B1",
    kind: str = "rectification",
    now: dt.datetime | None = None,
) -> None:
    with sessions.begin() as session:
        add_cases(
            session=session,
            batch=batch,
            kind=kind,
            cases=list(cases),
            actor="test",
            now=now or bj(2026, 3, 1, 9),
        )


#: The moves that take a case in 朝阳区 (110105) from registered to closed: (action, user).
TO_CLOSED = [
    ("assign", "bj-city"),
    ("start", "chaoyang"),
    ("submit", "chaoyang"),
    ("preexamine", "bj-city"),
    ("close", "bj-province"),
]


def moves(
    sessions: sessionmaker[Session],
    code: str,
    steps: list[tuple[str, str]],
    now: dt.datetime | None = None,
) -> None:
    """Make ``steps`` (action, user) on case ``code``, each in its transaction, with one evidence file."""
    for action, user in steps:
        with sessions.begin() as session:
            move_case(
                session=session,
                code=code,
                action=action,
                username=user,
                now=now or bj(2026, 3, 5, 9),
                evidence=[("a.jpg", b"a")],
            )


__all__ = [
    "ENTERPRISE",
    "TO_CLOSED",
    "NodeInput",
    "add",
    "bj",
    "case",
    "fill_users",
    "moves",
    "sessions",
    "store_url",
]
