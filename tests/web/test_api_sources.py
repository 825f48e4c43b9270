"""``/api/v1/sources``: the pollution-source registry through the API, scoped as the rest of the API
(staff: their regions; an enterprise user: its own, read-only), every write in the audit log.

The fixture store (tests/web/conftest.py) has the enterprises ENT_CY (朝阳区) and ENT_HD (海淀区) with one
outlet each, inserted as the demo does (no registry rows): they must read and edit as well.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ecowatch.store import make_engine, session_factory
from ecowatch.store.audit import entries
from ecowatch.store.models import AuditEntry

ENT_CY, ENT_HD = "91110105MA00000001", "91110108MA00000002"  # the fixture's (conftest.py)
NEW_CY = "91110105MA01TEXT4U"  # fictional; check characters worked out by hand (GB 32100-2015 Annex B)
NEW_HD = "91110108MA01TEXT21"
NEW_SJZ = "91130102MA01TEXT3M"
GAS = {
    "code": "CY4-DA001",
    "name": "2号锅炉烟囱",
    "enterprise": NEW_CY,
    "medium": "gas",
    "kind": "main",
    "lon": 116.47,
    "lat": 39.93,
    "limits": [
        {"pollutant": "a21026", "upper_limit": 35, "unit": "mg/m3", "reference_oxygen_pct": 6},
        {"pollutant": "a34013", "upper_limit": 5, "reference_oxygen_pct": 6},
    ],
}


def _audit(url: str, entity: str) -> list[tuple[str, str, str]]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return [(e.actor, e.action, e.entity_id) for e in entries(session=session, entity=entity)]
    finally:
        engine.dispose()


def _writes(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry))
    finally:
        engine.dispose()


def enterprise(code: str, region: str, **extra) -> dict:
    return {"code": code, "name": f"企业 {code[-4:]}", "region": region, **extra}


def test_admin_registers_an_enterprise_and_its_outlet(fresh_client, fresh_auth, fresh_store_url):
    admin = fresh_auth("admin")
    answer = fresh_client.post(
        "/api/v1/sources/enterprises",
        headers=admin,
        json=enterprise(NEW_CY, "110105", industry="4411", key_lists=["carbon", "air"]),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {
        "code": NEW_CY,
        "name": f"企业 {NEW_CY[-4:]}",
        "region": "110105",
        "region_name": "朝阳区",
        "industry": "4411",
        "key_lists": ["air", "carbon"],
        "outlets": [],
    }
    outlet = fresh_client.post("/api/v1/sources/outlets", headers=admin, json=GAS)
    assert outlet.status_code == 201, outlet.text
    assert outlet.json() == {
        "code": "CY4-DA001",
        "name": "2号锅炉烟囱",
        "enterprise": NEW_CY,
        "region": "110105",
        "medium": "gas",
        "kind": "main",
        "lon": 116.47,
        "lat": 39.93,
        "devices": [],
        "limits": [
            {
                "pollutant": "a21026",
                "name": "二氧化硫",
                "upper_limit": 35.0,
                "lower_limit": None,
                "unit": "毫克/立方米",
                "reference_oxygen_pct": 6.0,
                "standard": None,
            },
            {
                "pollutant": "a34013",
                "name": "烟尘",
                "upper_limit": 5.0,
                "lower_limit": None,
                "unit": "毫克/立方米",
                "reference_oxygen_pct": 6.0,
                "standard": None,
            },
        ],
    }
    # The outlet is a site like any other: on the map's list, for the district's user too.
    sites = fresh_client.get(
        "/api/v1/sites", params={"kind": "outlet"}, headers=fresh_auth("chaoyang")
    ).json()
    assert [s["code"] for s in sites["items"]] == ["BJ-CY-O1", "CY4-DA001"]
    assert _audit(fresh_store_url, "enterprise") == [("admin", "create", NEW_CY)]
    assert _audit(fresh_store_url, "outlet") == [("admin", "create", "CY4-DA001")]


def test_editing_replaces_limits_and_is_audited(fresh_client, fresh_auth, fresh_store_url):
    admin = fresh_auth("admin")
    fresh_client.post("/api/v1/sources/enterprises", headers=admin, json=enterprise(NEW_CY, "110105"))
    fresh_client.post("/api/v1/sources/outlets", headers=admin, json=GAS)
    answer = fresh_client.patch(
        "/api/v1/sources/outlets/CY4-DA001",
        headers=admin,
        json={
            "kind": "general",
            "limits": [{"pollutant": "a21002", "upper_limit": 50, "reference_oxygen_pct": 6}],
        },
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["kind"], [lim["pollutant"] for lim in answer.json()["limits"]]) == (
        "general",
        ["a21002"],
    )
    moved = fresh_client.patch(
        f"/api/v1/sources/enterprises/{NEW_CY}", headers=admin, json={"region": "110108", "industry": None}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["region"], moved.json()["outlets"]) == ("110108", ["CY4-DA001"])
    assert fresh_client.get("/api/v1/sources/outlets/CY4-DA001", headers=admin).json()["region"] == "110108"
    assert _audit(fresh_store_url, "outlet") == [
        ("admin", "create", "CY4-DA001"),
        ("admin", "update", "CY4-DA001"),
    ]
    assert _audit(fresh_store_url, "enterprise") == [("admin", "create", NEW_CY), ("admin", "update", NEW_CY)]


def test_outlets_registered_before_the_registry_read_and_edit(fresh_client, fresh_auth):
    admin = fresh_auth("admin")
    listed = fresh_client.get("/api/v1/sources/outlets", params={"enterprise": ENT_CY}, headers=admin).json()
    assert [(o["code"], o["kind"], o["medium"], o["limits"], o["devices"]) for o in listed["items"]] == [
        ("BJ-CY-O1", None, "gas", [], ["BJCYO1000000000000000001"])
    ]
    answer = fresh_client.patch(
        "/api/v1/sources/outlets/BJ-CY-O1",
        headers=admin,
        json={
            "kind": "main",
            "limits": [{"pollutant": "a21026", "upper_limit": 35, "reference_oxygen_pct": 6}],
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kind"] == "main"


def test_staff_write_within_their_regions_only(fresh_client, fresh_auth, fresh_store_url):
    chaoyang = fresh_auth("chaoyang")
    assert (
        fresh_client.post(
            "/api/v1/sources/enterprises", headers=chaoyang, json=enterprise(NEW_CY, "110105")
        ).status_code
        == 201
    )
    before = _writes(fresh_store_url)
    refused = fresh_client.post(
        "/api/v1/sources/enterprises", headers=chaoyang, json=enterprise(NEW_HD, "110108")
    )
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "field region: region 110108 is outside your scope"},
    )
    moved = fresh_client.patch(
        f"/api/v1/sources/enterprises/{NEW_CY}", headers=chaoyang, json={"region": "110108"}
    )
    assert moved.status_code == 403
    # A code outside the scope answers as an unknown one (docs/decisions.md P-signin5).
    other = fresh_client.patch(f"/api/v1/sources/enterprises/{ENT_HD}", headers=chaoyang, json={"name": "x"})
    assert (other.status_code, other.json()) == (
        404,
        {"detail": f"field enterprise: no enterprise '{ENT_HD}'"},
    )
    outlet = fresh_client.post(
        "/api/v1/sources/outlets", headers=chaoyang, json={**GAS, "enterprise": ENT_HD}
    )
    assert (outlet.status_code, outlet.json()) == (
        404,
        {"detail": f"field enterprise: no enterprise '{ENT_HD}'"},
    )
    assert _writes(fresh_store_url) == before
    assert _audit(fresh_store_url, "enterprise") == [("chaoyang", "create", NEW_CY)]


def test_reads_follow_the_scope(client, auth):
    def codes(username: str, path: str = "/api/v1/sources/enterprises") -> list[str]:
        answer = client.get(path, headers=auth(username))
        assert answer.status_code == 200, answer.text
        return [item["code"] for item in answer.json()["items"]]

    assert codes("admin") == [ENT_CY, ENT_HD]
    assert codes("bjcity") == [ENT_CY, ENT_HD]
    assert codes("chaoyang") == [ENT_CY]
    assert codes("hebei") == []
    assert codes("ent_cy") == [ENT_CY]
    assert codes("ent_cy", "/api/v1/sources/outlets") == ["BJ-CY-O1"]
    assert codes("hebei", "/api/v1/sources/outlets") == []
    # Codes outside the scope answer as unknown ones (docs/decisions.md P-signin5).
    hidden = client.get(f"/api/v1/sources/enterprises/{ENT_HD}", headers=auth("chaoyang"))
    assert (hidden.status_code, hidden.json()) == (
        404,
        {"detail": f"field enterprise: no enterprise '{ENT_HD}'"},
    )
    hidden = client.get("/api/v1/sources/outlets/BJ-HD-O1", headers=auth("ent_cy"))
    assert (hidden.status_code, hidden.json()) == (404, {"detail": "field outlet: no outlet 'BJ-HD-O1'"})
    region = client.get("/api/v1/sources/enterprises", params={"region": "110108"}, headers=auth("chaoyang"))
    assert region.status_code == 404


def test_an_enterprise_user_changes_nothing(fresh_client, fresh_auth, fresh_store_url):
    before = _writes(fresh_store_url)
    answer = fresh_client.patch(
        f"/api/v1/sources/enterprises/{ENT_CY}", headers=fresh_auth("ent_cy"), json={"name": "x"}
    )
    assert (answer.status_code, answer.json()) == (
        403,
        {"detail": "field enterprise: an enterprise user may not change the registry"},
    )
    assert _writes(fresh_store_url) == before


def test_refusals_name_the_field(fresh_client, fresh_auth, fresh_store_url):
    admin = fresh_auth("admin")
    before = _writes(fresh_store_url)
    bad_check = fresh_client.post(
        "/api/v1/sources/enterprises", headers=admin, json=enterprise(NEW_SJZ[:-1] + "N", "130102")
    )
    assert (bad_check.status_code, bad_check.json()) == (
        422,
        {
            "detail": (
                f"field code: '{NEW_SJZ[:-1]}N' is not a unified social credit code: check character is N, "
                "GB 32100-2015 Annex B gives M for the first 17 characters"
            )
        },
    )
    taken = fresh_client.post(
        "/api/v1/sources/outlets", headers=admin, json={**GAS, "enterprise": ENT_CY, "code": "BJ-HD-O1"}
    )
    assert taken.status_code == 409
    assert taken.json()["detail"].startswith(
        f"field code: 'BJ-HD-O1' is already the code of a site, an outlet of {ENT_HD}"
    )
    unknown = fresh_client.get("/api/v1/sources/outlets/BJ-CY-A1", headers=admin)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"detail": "field outlet: no outlet 'BJ-CY-A1' (site BJ-CY-A1 is an air_station)"},
    )
    wrong_medium = fresh_client.post(
        "/api/v1/sources/outlets",
        headers=admin,
        json={**GAS, "enterprise": ENT_CY, "limits": [{"pollutant": "w01018", "upper_limit": 50}]},
    )
    assert (wrong_medium.status_code, wrong_medium.json()["detail"]) == (
        422,
        "field limits[0].pollutant: w01018 (化学需氧量) is a water factor; this is a gas outlet",
    )
    misspelt = fresh_client.post(
        "/api/v1/sources/enterprises", headers=admin, json={**enterprise(NEW_SJZ, "130102"), "lists": ["air"]}
    )
    assert misspelt.status_code == 422
    assert _writes(fresh_store_url) == before


def test_outlets_download_as_csv(client, auth):
    answer = client.get("/api/v1/sources/outlets", params={"format": "csv"}, headers=auth("admin"))
    assert answer.status_code == 200, answer.text
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "code,name,enterprise,region,medium,kind,lon,lat,limits,devices"
    assert lines[1] == f"BJ-CY-O1,热电厂1号排口,{ENT_CY},110105,gas,,116.48,39.92,,BJCYO1000000000000000001"


IMPORT = (
    "credit_code,enterprise_name,region,key_lists,outlet_code,outlet_name,medium,lon,lat,pollutant,upper_limit,unit\n"
    f"{NEW_CY},朝阳热电,110105,air,CY4-DA001,烟囱,gas,116.47,39.93,a21026,35,mg/m3\n"
    f"{NEW_HD},海淀水务,110108,water,HD2-DW001,总排口,water,116.30,39.98,w01018,50,mg/L\n"
)


def test_import_a_csv_body(fresh_client, fresh_auth, fresh_store_url):
    answer = fresh_client.post(
        "/api/v1/sources/import",
        headers={**fresh_auth("bjcity"), "Content-Type": "text/csv"},
        content=IMPORT.encode("utf-8-sig"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "rows": 2,
        "enterprises_added": [NEW_CY, NEW_HD],
        "enterprises_updated": [],
        "outlets_added": ["CY4-DA001", "HD2-DW001"],
        "outlets_updated": [],
        "limits": 2,
    }
    assert _audit(fresh_store_url, "outlet") == [
        ("bjcity", "create", "CY4-DA001"),
        ("bjcity", "create", "HD2-DW001"),
    ]


def test_import_refusals_list_every_problem_and_write_nothing(fresh_client, fresh_auth, fresh_store_url):
    before = _writes(fresh_store_url)
    chaoyang = {**fresh_auth("chaoyang"), "Content-Type": "text/csv"}
    outside = fresh_client.post("/api/v1/sources/import", headers=chaoyang, content=IMPORT.encode())
    assert outside.status_code == 422
    assert outside.json()["problems"] == [
        {"row": 3, "column": "region", "reason": "region 110108 is outside your scope"}
    ]
    bad = IMPORT.replace("116.30,39.98", "39.98,116.30").replace(",35,", ",x,")
    refused = fresh_client.post("/api/v1/sources/import", headers=chaoyang, content=bad.encode())
    assert refused.json()["problems"] == [
        {"row": 2, "column": "upper_limit", "reason": "'x' is not a number"},
        {
            "row": 3,
            "column": "lon",
            "reason": "longitude 39.98 is outside China (73-136 E) (longitude and latitude swapped?)",
        },
    ]
    assert refused.json()["detail"].startswith("upload.csv: 2 problems, nothing imported:\n")
    wrong_type = fresh_client.post(
        "/api/v1/sources/import", headers={**chaoyang, "Content-Type": "application/json"}, content=b"{}"
    )
    assert wrong_type.status_code == 415
    assert _writes(fresh_store_url) == before
