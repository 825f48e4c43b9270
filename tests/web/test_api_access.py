"""Every role against every region-scoped endpoint: in scope 200, outside 404 exactly as an unknown code
(no data, nothing telling that the code exists), lists filtered to the scope, anonymous and expired
tokens 401."""

from __future__ import annotations

import csv
import datetime as dt
import io
from importlib import resources

import pytest

USERS = ("admin", "bj", "bjcity", "chaoyang", "hebei", "ent_cy")
ALL_SITES = ("BJ-A0", "BJ-CY-A1", "BJ-HD-A1", "SJZ-A1", "BJ-CY-W1", "BJ-CY-O1", "BJ-HD-O1")
AIR_SITES = ("BJ-A0", "BJ-CY-A1", "BJ-HD-A1", "SJZ-A1")
ALL_REGIONS = ("110000", "110100", "110105", "110108", "130000", "130100", "130102")
CITIES = ("110100", "130100")
BEIJING = frozenset(code for code in ALL_SITES if code.startswith("BJ"))
VISIBLE_SITES = {
    "admin": frozenset(ALL_SITES),
    "bj": BEIJING,
    "bjcity": BEIJING,
    "chaoyang": frozenset({"BJ-CY-A1", "BJ-CY-W1", "BJ-CY-O1"}),
    "hebei": frozenset({"SJZ-A1"}),
    "ent_cy": frozenset({"BJ-CY-O1"}),
}
VISIBLE_REGIONS = {
    "admin": frozenset(ALL_REGIONS),
    "bj": frozenset({"110000", "110100", "110105", "110108"}),
    "bjcity": frozenset({"110100", "110105", "110108"}),
    "chaoyang": frozenset({"110105"}),
    "hebei": frozenset({"130000", "130100", "130102"}),
    "ent_cy": frozenset(),
}
DAYS = "from=2016-01-02&to=2016-01-03"


def _national_codes() -> frozenset[str]:
    """Every code of the packaged division list, read from the file (migration 0010 stores them all)."""
    text = resources.files("ecowatch.shapes").joinpath("data/divisions.csv").read_text(encoding="utf-8")
    return frozenset(row["code"] for row in csv.DictReader(io.StringIO(text)))


NATIONAL = _national_codes()
#: The regions each user's /regions list shows: the scoped ones of VISIBLE_REGIONS and every national
#: division below them (110000 has 110100 and its 16 districts; 130000 its 11 cities and 167 counties).
LISTED_REGIONS = {
    "admin": NATIONAL,
    "bj": frozenset(c for c in NATIONAL if c.startswith("11")),
    "bjcity": frozenset(c for c in NATIONAL if c.startswith("1101")),
    "chaoyang": frozenset({"110105"}),
    "hebei": frozenset(c for c in NATIONAL if c.startswith("13")),
    "ent_cy": frozenset(),
}
BEIJING_DISTRICTS = (
    "110101,东城区",
    "110102,西城区",
    "110105,朝阳区",
    "110106,丰台区",
    "110107,石景山区",
    "110108,海淀区",
    "110109,门头沟区",
    "110111,房山区",
    "110112,通州区",
    "110113,顺义区",
    "110114,昌平区",
    "110115,大兴区",
    "110116,怀柔区",
    "110117,平谷区",
    "110118,密云区",
    "110119,延庆区",
)

#: (path, the site or region it is about, "site" or "region")
SCOPED = (
    [(f"/api/v1/sites/{code}", code, "site") for code in ALL_SITES]
    + [(f"/api/v1/sites/{code}/series?hours=3", code, "site") for code in ALL_SITES]
    + [(f"/api/v1/devices?site={code}", code, "site") for code in ALL_SITES]
    + [(f"/api/v1/measurements?site={code}&limit=5", code, "site") for code in ALL_SITES]
    + [(f"/api/v1/air/daily?{DAYS}&site={code}", code, "site") for code in AIR_SITES]
    + [(f"/api/v1/air/assessment?{DAYS}&stations={code}", code, "site") for code in AIR_SITES]
    + [(f"/api/v1/sites?region={code}", code, "region") for code in ALL_REGIONS]
    + [(f"/api/v1/regions/{code}", code, "region") for code in ALL_REGIONS]
    + [(f"/api/v1/air/daily?{DAYS}&city={code}", code, "region") for code in CITIES]
)
LISTS = (
    "/api/v1/sites?limit=1000",
    "/api/v1/sites/status",
    "/api/v1/air/aqi/now",
    "/api/v1/regions",
    "/api/v1/devices",
    "/api/v1/measurements?limit=1000",
    "/api/v1/air/assessment?" + DAYS,
)
EVERY_GET = [path for path, _, _ in SCOPED] + list(LISTS) + ["/api/v1/users", "/api/v1/auth/me"]


#: Codes that exist nowhere, of each kind (a site code is free text; a region code six digits).
UNKNOWN = {"site": "NO-SUCH-SITE", "region": "999999"}


def _scoped_cases():
    for path, target, kind in SCOPED:
        for user in USERS:
            if user == "ent_cy" and path.startswith("/api/v1/air/assessment"):
                continue  # no air station is in an enterprise's scope: the route is refused (lists test)
            yield pytest.param(user, path, target, kind, id=f"{path}-{user}")


@pytest.mark.parametrize("user, path, target, kind", list(_scoped_cases()))
def test_scoped_endpoint(client, auth, user, path, target, kind):
    visible = (VISIBLE_SITES if kind == "site" else VISIBLE_REGIONS)[user]
    answer = client.get(path, headers=auth(user))
    if target in visible:
        assert answer.status_code == 200, answer.text
        return
    unknown = client.get(path.replace(target, UNKNOWN[kind]), headers=auth(user))
    assert unknown.status_code == 404, unknown.text
    assert (answer.status_code, answer.headers["content-type"]) == (404, unknown.headers["content-type"])
    assert answer.json() == {"detail": unknown.json()["detail"].replace(UNKNOWN[kind], target)}


def _codes(path: str, body: dict) -> set[str]:
    """The site codes a list answer shows."""
    if path.startswith("/api/v1/sites/status"):
        return {site["code"] for site in body["sites"]}
    if path.startswith("/api/v1/air/aqi/now"):
        return {station["code"] for station in body["stations"]}
    if path.startswith("/api/v1/air/assessment"):
        return set(body["by_station"])
    return {row["site"] if "site" in row else row["code"] for row in body["items"]}


def _regions(nodes: list[dict]) -> set[str]:
    return {node["code"] for node in nodes} | {code for node in nodes for code in _regions(node["children"])}


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("path", LISTS)
def test_lists_show_only_the_scope(client, auth, user, path):
    answer = client.get(path, headers=auth(user))
    if path.startswith("/api/v1/air/assessment") and user == "ent_cy":
        assert answer.status_code == 403  # no air station in an enterprise's scope
        return
    assert answer.status_code == 200, answer.text
    body = answer.json()
    if path == "/api/v1/regions":
        assert _regions(body["regions"]) == LISTED_REGIONS[user]
        return
    shown = _codes(path, body)
    while "total" in body and body["offset"] + body["limit"] < body["total"]:  # every page
        body = client.get(f"{path}&offset={body['offset'] + body['limit']}", headers=auth(user)).json()
        shown |= _codes(path, body)
    expected = set(VISIBLE_SITES[user])
    if path.startswith(("/api/v1/air", "/api/v1/sites/status")) and "air" in path:
        expected &= set(AIR_SITES)
    if path.startswith("/api/v1/devices"):
        expected &= {"BJ-CY-O1", "BJ-HD-O1"}
    assert shown == expected


@pytest.mark.parametrize("user", [u for u in USERS if u != "admin"])
@pytest.mark.parametrize(
    "method, path", [("GET", "/api/v1/users"), ("POST", "/api/v1/users"), ("PATCH", "/api/v1/users/bj")]
)
def test_only_admins_manage_users(client, auth, user, method, path):
    body = {"username": "newbie", "password": "long-enough-1", "role": "admin"} if method == "POST" else {}
    answer = client.request(method, path, headers=auth(user), json=body if method != "GET" else None)
    assert answer.status_code == 403
    assert answer.json() == {"detail": "only an admin may do this"}


@pytest.mark.parametrize("path", EVERY_GET)
def test_anonymous_requests_get_401(client, path):
    answer = client.get(path)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", EVERY_GET)
def test_expired_tokens_get_401(client, auth, path):
    nine_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    answer = client.get(path, headers=auth("admin", now=nine_hours_ago))
    assert answer.status_code == 401
    assert answer.json() == {"detail": "the token is invalid or has expired: sign in again"}


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer a.b", "Basic YWRtaW46YWRtaW4=", "Bearer "])
def test_forged_or_malformed_tokens_get_401(client, header):
    assert client.get("/api/v1/sites", headers={"Authorization": header}).status_code == 401


def test_a_token_signed_with_another_key_gets_401(client, auth):
    token = auth("admin")["Authorization"].removeprefix("Bearer ")
    payload, signature = token.split(".")
    forged = f"{payload}.{signature[::-1]}"
    assert client.get("/api/v1/sites", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


@pytest.mark.parametrize(
    "user, rows",
    [
        ("bjcity", ["110100,北京,city,", *(f"{d},county,110100" for d in BEIJING_DISTRICTS)]),
        ("chaoyang", ["110105,朝阳区,county,"]),
        (
            "bj",
            [
                "110000,北京市,province,",
                "110100,北京,city,110000",
                *(f"{d},county,110100" for d in BEIJING_DISTRICTS),
            ],
        ),
    ],
)
def test_the_regions_table_shows_no_parent_above_the_scope(client, auth, user, rows):
    """Issue 14: the CSV of /regions named the parent of the user's own top region (110000 for a city)."""
    answer = client.get("/api/v1/regions?format=csv", headers=auth(user))
    assert answer.content.decode("utf-8-sig").splitlines() == ["code,name,level,parent", *rows]
