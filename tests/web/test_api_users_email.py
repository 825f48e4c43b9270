"""Users' e-mail addresses through the API and the CLI (issue 16): set, shown, removed, audited;
a malformed address is a clear error naming the field and leaves nothing behind."""

from __future__ import annotations

import json

from test_api_users import _audit, _counts
from typer.testing import CliRunner

from ecowatch.cli import app as cli_app

RUNNER = CliRunner()


def test_admin_adds_a_user_with_an_address(fresh_client, fresh_auth, fresh_store_url):
    answer = fresh_client.post(
        "/api/v1/users",
        headers=fresh_auth("admin"),
        json={
            "username": "haidian",
            "password": "haidian-pass-1",
            "role": "county",
            "region": "110108",
            "email": "Zhao.Lei@HD.Beijing.GOV.cn",
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {
        "username": "haidian",
        "role": "county",
        "region": "110108",
        "enterprise": None,
        "email": "Zhao.Lei@hd.beijing.gov.cn",
        "active": True,
    }
    listed = fresh_client.get("/api/v1/users", headers=fresh_auth("admin")).json()["items"]
    assert {u["username"]: u["email"] for u in listed}["haidian"] == "Zhao.Lei@hd.beijing.gov.cn"
    assert _audit(fresh_store_url, "haidian") == [
        (
            "admin",
            "create",
            {"role": "county", "region": "110108", "enterprise": None, "email": "Zhao.Lei@hd.beijing.gov.cn"},
        )
    ]


def test_admin_changes_and_removes_an_address(fresh_client, fresh_auth, fresh_store_url):
    admin = fresh_auth("admin")
    changed = fresh_client.patch("/api/v1/users/chaoyang", headers=admin, json={"email": "cy@Example.ORG"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "cy@example.org"
    kept = fresh_client.patch("/api/v1/users/chaoyang", headers=admin, json={"active": True})
    assert kept.json()["email"] == "cy@example.org"
    removed = fresh_client.patch("/api/v1/users/chaoyang", headers=admin, json={"email": None})
    assert removed.status_code == 200 and removed.json()["email"] is None
    assert _audit(fresh_store_url, "chaoyang")[-2:] == [
        ("admin", "update", {"email": "cy@example.org"}),
        ("admin", "update", {"email": None}),
    ]


def test_a_malformed_address_is_a_422_naming_the_field(fresh_client, fresh_auth, fresh_store_url):
    before = _counts(fresh_store_url)
    admin = fresh_auth("admin")
    added = fresh_client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "x1", "password": "long-enough", "role": "admin", "email": "x1@localhost"},
    )
    changed = fresh_client.patch("/api/v1/users/bj", headers=admin, json={"email": "bj at example.com"})
    domain = (
        "'x1@localhost': the domain must be two or more names of letters, digits and inner hyphens "
        "joined by dots (an internationalised domain in its xn-- form)"
    )
    local = "'bj at example.com' is not an address of the form name@domain"
    for answer, message in ((added, domain), (changed, local)):
        assert answer.status_code == 422
        (issue,) = answer.json()["detail"]
        assert (issue["loc"], issue["msg"]) == (["body", "email"], message)
    assert _counts(fresh_store_url) == before


def test_cli_adds_an_address_lists_it_and_changes_it(fresh_store_url):
    added = RUNNER.invoke(
        cli_app,
        [
            "users", "add", "--username", "ent2", "--role", "enterprise", "--enterprise",
            "91110108MA00000002", "--password", "ent2-password", "--email", "HSE@Plant.CN",
            "--db", fresh_store_url,
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added user ent2 (enterprise, sees 91110108MA00000002, e-mailed at HSE@plant.cn)" in added.stdout
    changed = RUNNER.invoke(
        cli_app, ["users", "email", "--username", "ent2", "--email", "ehs@plant.cn", "--db", fresh_store_url]
    )
    assert changed.exit_code == 0, changed.output
    assert "user ent2 is e-mailed at ehs@plant.cn" in changed.stdout
    listed = json.loads(RUNNER.invoke(cli_app, ["users", "list", "--json", "--db", fresh_store_url]).stdout)
    assert {u["username"]: u["email"] for u in listed}["ent2"] == "ehs@plant.cn"
    table = RUNNER.invoke(cli_app, ["users", "list", "--db", fresh_store_url], env={"COLUMNS": "200"})
    assert "ehs@plant.cn" in table.stdout and "email" in table.stdout
    removed = RUNNER.invoke(
        cli_app, ["users", "email", "--username", "ent2", "--remove", "--db", fresh_store_url]
    )
    assert removed.exit_code == 0, removed.output
    assert "user ent2 is no longer e-mailed" in removed.stdout
    audit = [(action, detail) for _actor, action, detail in _audit(fresh_store_url, "ent2")]
    assert audit == [
        (
            "create",
            {
                "role": "enterprise",
                "region": None,
                "enterprise": "91110108MA00000002",
                "email": "HSE@plant.cn",
            },
        ),
        ("update", {"email": "ehs@plant.cn"}),
        ("update", {"email": None}),
    ]


def test_cli_refuses_a_malformed_address_and_an_unknown_user(fresh_store_url):
    before = _counts(fresh_store_url)
    bad = RUNNER.invoke(
        cli_app,
        [
            "users", "add", "--username", "xx", "--role", "admin", "--password", "long-enough-pw",
            "--email", "xx@nowhere", "--db", fresh_store_url,
        ],
    )  # fmt: skip
    assert bad.exit_code != 0
    assert "email: 'xx@nowhere': the domain must be two or more names" in bad.output
    unknown = RUNNER.invoke(
        cli_app, ["users", "email", "--username", "nobody", "--email", "n@b.cn", "--db", fresh_store_url]
    )
    assert unknown.exit_code != 0 and "username: no user 'nobody'" in unknown.output
    neither = RUNNER.invoke(cli_app, ["users", "email", "--username", "bj", "--db", fresh_store_url])
    assert neither.exit_code != 0 and "give --email ADDRESS or --remove" in neither.output
    assert _counts(fresh_store_url) == before
