"""Users' e-mail addresses (issue 16: where case notifications go), on SQLite and PostgreSQL:
checked, the domain in lower case, and every change in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from ecowatch.store.audit import entries
from ecowatch.store.errors import StoreError
from ecowatch.store.models import User
from ecowatch.store.users import create_user, normalised_email, update_user

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$stand-in"


def _audit(session, username: str) -> list[tuple[str, dict]]:
    return [(e.action, e.detail) for e in entries(session=session, entity="user", entity_id=username)]


def test_an_address_is_stored_with_its_domain_in_lower_case(session):
    create_user(
        session=session,
        username="admin2",
        password_hash=HASH,
        role="admin",
        email="  Wang.Fang+ducha@SEE.Beijing.GOV.CN ",
        actor="test",
    )
    session.commit()
    stored = session.execute(text("SELECT email FROM user_account WHERE username = 'admin2'")).scalar_one()
    assert stored == "Wang.Fang+ducha@see.beijing.gov.cn"
    assert _audit(session, "admin2") == [
        (
            "create",
            {
                "role": "admin",
                "region": None,
                "enterprise": None,
                "email": "Wang.Fang+ducha@see.beijing.gov.cn",
            },
        )
    ]


def test_a_user_without_an_address_has_none_and_no_audit_key(session):
    user = create_user(session=session, username="plain", password_hash=HASH, role="admin", actor="test")
    session.commit()
    assert user.email is None
    assert _audit(session, "plain") == [("create", {"role": "admin", "region": None, "enterprise": None})]


def test_update_sets_changes_and_removes_the_address_each_audited_once(session):
    user = create_user(session=session, username="li", password_hash=HASH, role="admin", actor="test")
    update_user(session=session, user=user, actor="boss", email="li@Example.COM")
    update_user(session=session, user=user, actor="boss", email="li@example.com")  # the same: no entry
    update_user(session=session, user=user, actor="boss", email="li.na@example.org")
    update_user(session=session, user=user, actor="boss", active=False)  # email not given: kept
    assert user.email == "li.na@example.org"
    update_user(session=session, user=user, actor="boss", email=None)
    session.commit()
    assert session.scalars(select(User.email).where(User.username == "li")).one() is None
    assert _audit(session, "li")[1:] == [
        ("update", {"email": "li@example.com"}),
        ("update", {"email": "li.na@example.org"}),
        ("update", {"active": False}),
        ("update", {"email": None}),
    ]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("li.example.com", "is not an address of the form name@domain"),
        ("@example.com", "is not an address of the form name@domain"),
        ("li@", "is not an address of the form name@domain"),
        ("li na@example.com", "the part before @ may hold only"),
        ("li..na@example.com", "the part before @ may hold only"),
        (".li@example.com", "the part before @ may hold only"),
        ("l" * 65 + "@example.com", "(at most 64 characters)"),
        ("li@localhost", "the domain must be two or more names"),
        ("li@example..com", "the domain must be two or more names"),
        ("li@-example.com", "the domain must be two or more names"),
        ("li@example.com.", "the domain must be two or more names"),
        ("li@生态环境部.中国", "the domain must be two or more names"),
        ("li@\u212aexample.com", "the domain must be two or more names"),  # Kelvin sign, not "K"
        ("li@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".cn", "longer than 254"),
    ],
)
def test_a_malformed_address_is_refused_naming_the_field(session, address, reason):
    with pytest.raises(StoreError) as refused:
        create_user(
            session=session, username="bad", password_hash=HASH, role="admin", email=address, actor="t"
        )
    assert str(refused.value).startswith(f"email: {address!r}")
    assert reason in str(refused.value)
    session.rollback()
    assert session.scalars(select(User).where(User.username == "bad")).first() is None


def test_the_longest_addresses_are_accepted():
    local = "x" * 64
    domain = ".".join(["a" * 63, "b" * 63, "c" * 59])  # 64 + 1 + 187 = 252 characters
    assert normalised_email(f"{local}@{domain}") == f"{local}@{domain}"
    assert normalised_email("o'brien@xn--fiqs8s.cn") == "o'brien@xn--fiqs8s.cn"
