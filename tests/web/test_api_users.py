"""User management through the API and the CLI: argon2 hashes, audit entries, revoked tokens."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from ecowatch.cli import app as cli_app
from ecowatch.store import make_engine, session_factory
from ecowatch.store.audit import entries
from ecowatch.store.models import AuditEntry, User
from ecowatch.store.users import get_user

RUNNER = CliRunner()


def _audit(url: str, entity_id: str) -> list[tuple[str, str, dict]]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return [
                (e.actor, e.action, e.detail)
                for e in entries(session=session, entity="user", entity_id=entity_id)
            ]
    finally:
        engine.dispose()


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return (
                session.scalar(select(func.count()).select_from(User)),
                session.scalar(select(func.count()).select_from(AuditEntry)),
            )
    finally:
        engine.dispose()


def _sign_in(client, username: str, password: str):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_admin_adds_a_user_who_can_sign_in(fresh_client, fresh_auth, fresh_store_url):
    answer = fresh_client.post(
        "/api/v1/users",
        headers=fresh_auth("admin"),
        json={"username": "haidian", "password": "haidian-pass-1", "role": "county", "region": "110108"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {
        "username": "haidian",
        "role": "county",
        "region": "110108",
        "enterprise": None,
        "email": None,
        "active": True,
    }
    signed_in = _sign_in(fresh_client, "haidian", "haidian-pass-1")
    assert signed_in.status_code == 200
    token = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    sites = fresh_client.get("/api/v1/sites", headers=token).json()
    assert [s["code"] for s in sites["items"]] == ["BJ-HD-A1", "BJ-HD-O1"]
    assert _audit(fresh_store_url, "haidian") == [
        ("admin", "create", {"role": "county", "region": "110108", "enterprise": None})
    ]


def test_passwords_are_stored_as_argon2id_hashes(fresh_client, fresh_store_url):
    engine = make_engine(fresh_store_url)
    try:
        with session_factory(engine)() as session:
            stored = get_user(session=session, username="chaoyang").password_hash
    finally:
        engine.dispose()
    assert stored.startswith("$argon2id$") and "pw-chaoyang-2016" not in stored


def test_a_new_password_revokes_the_old_tokens(fresh_client, fresh_auth, fresh_store_url):
    old = fresh_auth("chaoyang")
    assert fresh_client.get("/api/v1/sites", headers=old).status_code == 200
    answer = fresh_client.patch(
        "/api/v1/users/chaoyang", headers=fresh_auth("admin"), json={"password": "a-new-password"}
    )
    assert answer.status_code == 200, answer.text
    assert fresh_client.get("/api/v1/sites", headers=old).status_code == 401
    assert _sign_in(fresh_client, "chaoyang", "pw-chaoyang-2016").status_code == 401
    assert _sign_in(fresh_client, "chaoyang", "a-new-password").status_code == 200
    assert _audit(fresh_store_url, "chaoyang")[-1] == ("admin", "update", {"password": "changed"})


def test_a_deactivated_user_is_locked_out(fresh_client, fresh_auth):
    token = fresh_auth("hebei")
    answer = fresh_client.patch("/api/v1/users/hebei", headers=fresh_auth("admin"), json={"active": False})
    assert answer.json()["active"] is False
    assert fresh_client.get("/api/v1/sites", headers=token).status_code == 401
    assert _sign_in(fresh_client, "hebei", "pw-hebei-2016").status_code == 401


def test_moving_a_user_to_another_region(fresh_client, fresh_auth, fresh_store_url):
    answer = fresh_client.patch(
        "/api/v1/users/bjcity", headers=fresh_auth("admin"), json={"region": "130100"}
    )
    assert answer.json()["region"] == "130100"
    codes = [
        s["code"] for s in fresh_client.get("/api/v1/sites", headers=fresh_auth("bjcity")).json()["items"]
    ]
    assert codes == ["SJZ-A1"]
    assert _audit(fresh_store_url, "bjcity")[-1] == (
        "admin",
        "update",
        {"role": "city", "region": "130100", "enterprise": None},
    )


def test_refused_writes_leave_nothing_behind(fresh_client, fresh_auth, fresh_store_url):
    before = _counts(fresh_store_url)
    cases = [
        (
            "POST",
            "/api/v1/users",
            {"username": "x1", "password": "long-enough", "role": "city", "region": "110105"},
            422,
            "region: 110105 is a county, but role city needs a city",
        ),
        (
            "POST",
            "/api/v1/users",
            {"username": "x2", "password": "long-enough", "role": "county", "region": "999999"},
            422,
            "region: no region '999999' in the store",
        ),
        (
            "POST",
            "/api/v1/users",
            {"username": "bj", "password": "long-enough", "role": "admin"},
            409,
            "username: 'bj' is taken",
        ),
        (
            "PATCH",
            "/api/v1/users/bj",
            {"role": "enterprise"},
            422,
            "role enterprise: give the enterprise, not a region",
        ),
        (
            "PATCH",
            "/api/v1/users/admin",
            {"active": False},
            422,
            "active, role: an admin cannot lock themself out",
        ),
        ("PATCH", "/api/v1/users/nobody", {"active": False}, 404, "no user 'nobody'"),
    ]
    for method, path, body, status, message in cases:
        answer = fresh_client.request(method, path, headers=fresh_auth("admin"), json=body)
        assert (answer.status_code, answer.json()["detail"]) == (status, message)
    assert _counts(fresh_store_url) == before


def test_users_list_for_admins(client, auth):
    body = client.get("/api/v1/users?limit=2&offset=1", headers=auth("admin")).json()
    assert body["total"] == 6
    assert [u["username"] for u in body["items"]] == ["bj", "bjcity"]


def test_cli_adds_and_lists_users_with_an_audit_entry(fresh_store_url):
    result = RUNNER.invoke(
        cli_app,
        [
            "users",
            "add",
            "--username",
            "ent2",
            "--role",
            "enterprise",
            "--enterprise",
            "91110108MA00000002",
            "--password",
            "ent2-password",
            "--db",
            fresh_store_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "added user ent2 (enterprise, sees 91110108MA00000002)" in result.stdout
    actor, action, detail = _audit(fresh_store_url, "ent2")[0]
    assert actor.startswith("cli:") and action == "create"
    assert detail == {"role": "enterprise", "region": None, "enterprise": "91110108MA00000002"}
    listed = RUNNER.invoke(cli_app, ["users", "list", "--json", "--db", fresh_store_url])
    assert {
        "username": "ent2",
        "role": "enterprise",
        "region": None,
        "enterprise": "91110108MA00000002",
        "email": None,
        "active": True,
    } in json.loads(listed.stdout)


def test_cli_refuses_a_wrong_scope_clearly(fresh_store_url):
    before = _counts(fresh_store_url)
    result = RUNNER.invoke(
        cli_app,
        [
            "users",
            "add",
            "--username",
            "xx",
            "--role",
            "province",
            "--region",
            "110100",
            "--password",
            "long-enough",
            "--db",
            fresh_store_url,
        ],
    )
    assert result.exit_code == 2
    assert "region: 110100 is a city, but role province needs a province" in " ".join(result.output.split())
    result = RUNNER.invoke(
        cli_app,
        [
            "users",
            "add",
            "--username",
            "yy",
            "--role",
            "boss",
            "--password",
            "long-enough",
            "--db",
            fresh_store_url,
        ],
    )
    assert result.exit_code == 2
    assert "role: 'boss' is not one of admin, province, city, county, enterprise" in " ".join(
        result.output.split()
    )
    assert _counts(fresh_store_url) == before


def test_user_names_are_unique_and_signed_in_regardless_of_case(fresh_client, fresh_auth, fresh_store_url):
    before = _counts(fresh_store_url)
    answer = fresh_client.post(
        "/api/v1/users",
        headers=fresh_auth("admin"),
        json={"username": "ADMIN", "password": "long-enough-1", "role": "admin"},
    )
    assert (answer.status_code, answer.json()["detail"]) == (409, "username: 'ADMIN' is taken")
    assert _counts(fresh_store_url) == before
    signed_in = _sign_in(fresh_client, "ADMIN", "pw-admin-2016")
    assert signed_in.status_code == 200
    assert signed_in.json()["user"]["username"] == "admin"
    answer = fresh_client.patch("/api/v1/users/HeBei", headers=fresh_auth("admin"), json={"region": "130000"})
    assert (answer.status_code, answer.json()["username"]) == (200, "hebei")
