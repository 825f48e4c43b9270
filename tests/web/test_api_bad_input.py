"""Bad input gets a 4xx naming the field, never a 500 and never a partial write."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ecowatch.store import make_engine, session_factory
from ecowatch.store.models import AuditEntry, Site, User
from ecowatch.web.app import MAX_BODY_BYTES


def _counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return tuple(
                session.scalar(select(func.count()).select_from(table)) for table in (User, AuditEntry, Site)
            )
    finally:
        engine.dispose()


def test_malformed_json_names_the_body(client):
    answer = client.post(
        "/api/v1/auth/token",
        content=b'{"username": "admin", "password": ',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["message"].startswith("body.")
    assert "JSON decode error" in answer.json()["message"]


def test_wrong_types_name_each_field(client):
    answer = client.post("/api/v1/auth/token", json={"username": 5, "password": ["x"]})
    assert answer.status_code == 422
    assert answer.json()["message"] == (
        "body.username: Input should be a valid string; body.password: Input should be a valid string"
    )
    assert [problem["loc"] for problem in answer.json()["detail"]] == [
        ["body", "username"],
        ["body", "password"],
    ]


def test_a_missing_field_is_named(client):
    answer = client.post("/api/v1/auth/token", json={"username": "admin"})
    assert answer.json()["message"] == "body.password: Field required"


def test_unknown_fields_are_refused(fresh_client, fresh_auth, fresh_store_url):
    before = _counts(fresh_store_url)
    answer = fresh_client.post(
        "/api/v1/users",
        headers=fresh_auth("admin"),
        json={
            "username": "sneaky",
            "password": "long-enough",
            "role": "county",
            "region": "110105",
            "is_admin": True,
        },
    )
    assert answer.status_code == 422
    assert answer.json()["message"] == "body.is_admin: Extra inputs are not permitted"
    answer = fresh_client.patch("/api/v1/users/bj", headers=fresh_auth("admin"), json={"rol": "admin"})
    assert answer.json()["message"] == "body.rol: Extra inputs are not permitted"
    assert _counts(fresh_store_url) == before


def test_a_body_that_is_not_json(client):
    answer = client.post(
        "/api/v1/auth/token", content=b"username=admin&password=x", headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 422
    assert answer.json()["message"] == (
        "body: Input should be JSON or the OAuth2 form (application/x-www-form-urlencoded), not text/plain"
    )


def test_an_oauth2_form_needs_the_password_grant(client):
    """RFC 6749 §4.3.2: grant_type must be "password"; the form is otherwise checked as the JSON is."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    missing = client.post("/api/v1/auth/token", content=b"username=admin&password=x", headers=form)
    assert (missing.status_code, missing.json()["message"]) == (422, "body.grant_type: Field required")
    other = client.post(
        "/api/v1/auth/token", content=b"grant_type=client_credentials&username=a&password=x", headers=form
    )
    assert other.json()["message"] == (
        "body.grant_type: 'client_credentials' is not supported: the password "
        "grant is (grant_type=password, RFC 6749 §4.3.2)"
    )
    short = client.post("/api/v1/auth/token", content=b"grant_type=password&username=admin", headers=form)
    assert short.json()["message"] == "body.password: Field required"


def test_an_oversized_body_gets_413_before_any_write(fresh_client, fresh_auth, fresh_store_url):
    before = _counts(fresh_store_url)
    body = json.dumps({"username": "big", "password": "x" * MAX_BODY_BYTES, "role": "admin"})
    answer = fresh_client.post(
        "/api/v1/users", headers=fresh_auth("admin") | {"Content-Type": "application/json"}, content=body
    )
    assert answer.status_code == 413
    assert answer.json() == {"detail": f"request body: larger than {MAX_BODY_BYTES} bytes"}

    def chunks():  # no Content-Length: the limit is found while reading
        yield b'{"username": "big2", "password": "'
        for _ in range(8):
            yield b"y" * (MAX_BODY_BYTES // 4)
        yield b'", "role": "admin"}'

    answer = fresh_client.post(
        "/api/v1/users", headers=fresh_auth("admin") | {"Content-Type": "application/json"}, content=chunks()
    )
    assert answer.status_code == 413
    assert _counts(fresh_store_url) == before


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/api/v1/sites/'; DROP TABLE site; --", 404, 'no site "\'; DROP TABLE site; --"'),
        (
            "/api/v1/sites?region=110000' OR '1'='1",
            422,
            "query.region: String should match pattern '^\\d{6}$'",
        ),
        (
            "/api/v1/measurements?pollutant=PM2.5' OR 1=1 --",
            422,
            "query.pollutant: String should match pattern '^[A-Za-z0-9._-]{1,16}$'",
        ),
        ("/api/v1/measurements?site=x' UNION SELECT 1 --", 404, 'no site "x\' UNION SELECT 1 --"'),
        ("/api/v1/air/assessment?from=2016-01-01&to=2016-01-02&stations=1' OR '1'='1", 404, None),
    ],
)
def test_sql_looking_strings_are_only_strings(client, auth, path, status, message, store_url):
    before = _counts(store_url)
    answer = client.get(path, headers=auth("admin"))
    assert answer.status_code == status, answer.text
    body = answer.json()
    if message is not None:
        assert body.get("message", body["detail"]) == message
    assert _counts(store_url) == before


def test_sql_looking_credentials_are_refused(client):
    answer = client.post("/api/v1/auth/token", json={"username": "admin' --", "password": "' OR '1'='1"})
    assert answer.status_code == 401


def test_a_nul_character_is_refused_wherever_it_comes(fresh_client, fresh_auth, fresh_store_url):
    # PostgreSQL text cannot hold U+0000: without these checks it would be a 500 from the database.
    client, auth = fresh_client, fresh_auth
    answer = client.post("/api/v1/auth/token", json={"username": "\u0000", "password": "x"})
    assert (answer.status_code, answer.json()["message"]) == (
        422,
        "body.username: contains a NUL character (U+0000)",
    )
    answer = client.get("/api/v1/measurements?site=a%00b", headers=auth("admin"))
    assert (answer.status_code, answer.json()["detail"]) == (
        400,
        "query string: contains a NUL character (%00)",
    )
    answer = client.get("/api/v1/sites/a%00b", headers=auth("admin"))
    assert (answer.status_code, answer.json()["detail"]) == (400, "path: contains a NUL character (%00)")
    before = _counts(fresh_store_url)
    answer = fresh_client.post(
        "/api/v1/users",
        headers=fresh_auth("admin"),
        json={"username": "nul", "password": "pass\u0000word", "role": "admin"},
    )
    assert answer.status_code == 422
    assert "NUL character" in answer.text
    assert _counts(fresh_store_url) == before


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=2016-13-01&to=2016-01-02", "query.from: '2016-13-01' is not ISO 8601, e.g. 2016-01-03"),
        (
            "from=1&to=2",
            "query.from: '1' is not ISO 8601, e.g. 2016-01-03; "
            "query.to: '2' is not ISO 8601, e.g. 2016-01-03",
        ),
        ("from=0001-01-01&to=2016-01-02", "query.from: 0001-01-01 is outside the years 1900-2999"),
        ("from=2016-01-03&to=2016-01-01", "to: 2016-01-01 is before from: 2016-01-03"),
        ("from=2010-01-01&to=2016-01-01", "to: the period is 2192 days; at most 1098 per request"),
        ("to=2016-01-01", "query.from: Field required"),
        ("from=2016-01-01&to=2016-01-02&standard=2019", "query.standard: Input should be '2012' or '2026'"),
    ],
)
def test_bad_dates_and_ranges(client, auth, query, message):
    answer = client.get(f"/api/v1/air/assessment?{query}", headers=auth("admin"))
    assert answer.status_code == 422
    body = answer.json()
    assert body.get("message", body["detail"]) == message


@pytest.mark.parametrize(
    "query, message",
    [
        ("limit=0", "query.limit: Input should be greater than or equal to 1"),
        ("limit=abc", "query.limit: Input should be a valid integer, unable to parse string as an integer"),
        ("offset=-1", "query.offset: Input should be greater than or equal to 0"),
        (
            "from=yesterday",
            "query.from: 'yesterday' is not ISO 8601, e.g. 2016-01-03 or 2016-01-03T08:00:00+08:00",
        ),
        ("to=0.5", "query.to: '0.5' is not ISO 8601, e.g. 2016-01-03 or 2016-01-03T08:00:00+08:00"),
        ("to=9999-12-31T23:00", "query.to: 9999-12-31T23:00:00 is outside the years 1900-2999"),
        (
            "from=2016-01-03T00:00&to=2016-01-02T00:00",
            "to: 2016-01-02T00:00:00 is before from: 2016-01-03T00:00:00",
        ),
        ("interval=1 hour", "query.interval: String should match pattern '^(rtd|min|\\d{1,4}(min|h|d))$'"),
        ("format=pdf", "query.format: Input should be 'json', 'csv' or 'xlsx'"),
    ],
)
def test_bad_list_filters(client, auth, query, message):
    answer = client.get(f"/api/v1/measurements?{query}", headers=auth("admin"))
    assert answer.status_code == 422
    body = answer.json()
    assert body.get("message", body["detail"]) == message


def test_daily_needs_one_site_or_city(client, auth):
    both = client.get(
        "/api/v1/air/daily?from=2016-01-01&to=2016-01-02&site=BJ-A0&city=110100", headers=auth("admin")
    )
    assert (both.status_code, both.json()["detail"]) == (422, "site, city: give exactly one of them")
    water = client.get("/api/v1/air/daily?from=2016-01-01&to=2016-01-02&site=BJ-CY-W1", headers=auth("admin"))
    assert water.json()["detail"] == "site: 'BJ-CY-W1' is a water_section, not an air station"
    province = client.get(
        "/api/v1/air/daily?from=2016-01-01&to=2016-01-02&city=110000", headers=auth("admin")
    )
    assert province.json()["detail"] == "city: 110000 is a province, not a city or a district"


def test_a_period_without_data_is_a_clear_422(client, auth):
    answer = client.get("/api/v1/air/assessment?from=2015-01-01&to=2015-01-31", headers=auth("admin"))
    assert answer.status_code == 422
    assert answer.json()["detail"] == "from/to: no measurements in the input for the period"
