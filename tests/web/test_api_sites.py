"""Sign-in, the site list, the map status and a site's series, against the fixture store."""

from __future__ import annotations

import datetime as dt

import pytest

from ecowatch.standards import AQI_LEVELS


def test_sign_in_returns_a_token_that_works(client, web_fixture_data):
    answer = client.post("/api/v1/auth/token", json={"username": "chaoyang", "password": "pw-chaoyang-2016"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["user"] == {"username": "chaoyang", "role": "county", "region": "110105", "enterprise": None}
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(hours=7, minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=8)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "chaoyang"


@pytest.mark.parametrize("username, password", [("chaoyang", "wrong-password"), ("nobody", "pw-nobody-2016")])
def test_bad_credentials_get_401(client, username, password):
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "wrong user name or password"}


def test_site_list_is_paged_with_a_total(client, auth):
    first = client.get("/api/v1/sites?limit=3&offset=0", headers=auth("admin")).json()
    second = client.get("/api/v1/sites?limit=3&offset=3", headers=auth("admin")).json()
    assert first["total"] == second["total"] == 7
    assert [s["code"] for s in first["items"]] == ["BJ-A0", "BJ-CY-A1", "BJ-HD-A1"]
    assert [s["code"] for s in second["items"]] == ["SJZ-A1", "BJ-CY-W1", "BJ-CY-O1"]


def test_site_list_filters(client, auth):
    def codes(query: str, user: str = "admin") -> list[str]:
        answer = client.get(f"/api/v1/sites?{query}", headers=auth(user))
        assert answer.status_code == 200, answer.text
        return [s["code"] for s in answer.json()["items"]]

    assert codes("kind=outlet") == ["BJ-CY-O1", "BJ-HD-O1"]
    assert codes("region=110105") == ["BJ-CY-A1", "BJ-CY-W1", "BJ-CY-O1"]
    assert codes("region=110100&kind=air_station") == ["BJ-A0", "BJ-CY-A1", "BJ-HD-A1"]
    assert codes("enterprise=91110108MA00000002") == ["BJ-HD-O1"]
    assert codes("kind=air_station", "bj") == ["BJ-A0", "BJ-CY-A1", "BJ-HD-A1"]


def test_site_status_of_an_air_station(client, auth):
    answer = client.get("/api/v1/sites/status?at=2016-01-03T23:00:00%2B08:00", headers=auth("chaoyang"))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["as_of"], body["at"]) == ("2016-01-03T23:00:00+08:00", "2016-01-03T23:00:00+08:00")
    by_code = {site["code"]: site for site in body["sites"]}
    assert set(by_code) == {"BJ-CY-A1", "BJ-CY-W1", "BJ-CY-O1"}
    air = by_code["BJ-CY-A1"]
    assert air["time"] == "2016-01-03T23:00:00+08:00"
    # At 23:00 on the 3rd: the PM2.5 24-h moving mean of 30 + 5*(h % 12) + 10 over 24 consecutive
    # hours is 67.5 -> IAQI ceil(50 + 50/40*(67.5-35)) = 91 (HJ 633-2012 表1, 24-h PM2.5 column);
    # PM10 24-h mean 60 + 7*5.5 + 10 = 108.5 -> 80; NO2 1-h 30 + 23 = 53 -> 27; O3 1-h 89 -> 28.
    assert air["aqi"] == 91
    assert air["level"] == 2
    assert air["colour"] == AQI_LEVELS[1].colour_hex == "#FFFF00"
    assert (air["category_zh"], air["category_en"]) == ("良", "Good")
    assert air["primary_pollutants"] == ["PM2.5"]
    # The outlet reported an hour before as_of: reporting; the water section is two days stale: grey.
    assert by_code["BJ-CY-O1"]["colour"] == "#2E7D32" and by_code["BJ-CY-O1"]["aqi"] is None
    assert by_code["BJ-CY-W1"]["colour"] == "#9E9E9E"
    assert by_code["BJ-CY-W1"]["time"] == "2016-01-01T12:00:00+08:00"
    assert [by_code[code]["stale"] for code in ("BJ-CY-A1", "BJ-CY-O1", "BJ-CY-W1")] == [False, False, True]


def test_old_data_looks_old_at_the_wall_clock(client, auth):
    """Issue 13: values of January 2016 seen today are grey and keep their own time and AQI."""
    body = client.get("/api/v1/sites/status", headers=auth("chaoyang")).json()
    assert body["as_of"] == "2016-01-03T23:00:00+08:00"  # the latest value, not "now"
    assert body["at"] > "2026"  # the moment shown: this hour by the server's clock
    by_code = {site["code"]: site for site in body["sites"]}
    assert all(site["stale"] and site["colour"] == "#9E9E9E" for site in by_code.values())
    air = by_code["BJ-CY-A1"]
    assert (air["time"], air["aqi"], air["level"]) == ("2016-01-03T23:00:00+08:00", 91, 2)


def test_status_at_an_earlier_hour_uses_the_values_then(client, auth):
    body = client.get("/api/v1/sites/status?at=2016-01-02T13:00", headers=auth("chaoyang")).json()
    assert body["at"] == "2016-01-02T13:00:00+08:00"  # without an offset: Beijing time
    by_code = {site["code"]: site for site in body["sites"]}
    air = by_code["BJ-CY-A1"]
    # The PM2.5 24-h mean over 01-01 14:00 .. 01-02 13:00 covers each (h % 12) twice: 67.5 -> IAQI 91.
    assert (air["time"], air["aqi"], air["stale"], air["colour"]) == (
        "2016-01-02T13:00:00+08:00",
        91,
        False,
        "#FFFF00",
    )
    # The water section's one value (01-01 12:00) is 25 hours old at 13:00 on the 2nd: stale.
    assert (by_code["BJ-CY-W1"]["time"], by_code["BJ-CY-W1"]["stale"]) == ("2016-01-01T12:00:00+08:00", True)
    # The outlet's values start at 11:00 on the 3rd: none yet.
    assert (by_code["BJ-CY-O1"]["time"], by_code["BJ-CY-O1"]["colour"]) == (None, "#9E9E9E")
    series = client.get("/api/v1/sites/BJ-CY-A1/series?hours=2&at=2016-01-02T13:00", headers=auth("chaoyang"))
    assert series.json()["to"] == "2016-01-02T13:00:00+08:00"


def test_series_of_an_air_station(client, auth, web_fixture_data):
    answer = client.get("/api/v1/sites/BJ-HD-A1/series?hours=48", headers=auth("bj"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["from"] == "2016-01-02T00:00:00+08:00" and body["to"] == "2016-01-03T23:00:00+08:00"
    assert body["site"]["code"] == "BJ-HD-A1"
    assert list(body["pollutants"]) == ["SO2", "NO2", "CO", "O3", "PM10", "PM2.5"]
    assert body["pollutants"]["CO"]["unit"] == "mg/m³"
    points = body["pollutants"]["PM2.5"]["points"]
    assert len(points) == 48 and len(body["aqi"]) == 48
    value_of = web_fixture_data["air_value"]
    assert points[0] == ["2016-01-02T00:00:00+08:00", value_of(2, "PM2.5", dt.datetime(2016, 1, 2, 0))]
    assert body["aqi"][-1] == ["2016-01-03T23:00:00+08:00", body["site"]["aqi"]]


def test_series_keeps_invalid_hours_empty(client, auth):
    body = client.get("/api/v1/sites/BJ-CY-A1/series?hours=48", headers=auth("admin")).json()
    no2 = dict(map(tuple, body["pollutants"]["NO2"]["points"]))
    assert no2["2016-01-02T05:00:00+08:00"] is None
    assert no2["2016-01-02T06:00:00+08:00"] == 30.0 + 6


def test_series_of_an_outlet_has_its_own_codes_and_no_aqi(client, auth):
    body = client.get("/api/v1/sites/BJ-CY-O1/series?hours=3", headers=auth("ent_cy")).json()
    assert body["interval"] == "1h"
    assert body["pollutants"] == {
        "a21026": {
            "unit": "mg/m³",
            "name_zh": "二氧化硫",
            "name_en": "SO2",
            "points": [
                ["2016-01-03T20:00:00+08:00", 37.0],
                ["2016-01-03T21:00:00+08:00", 36.0],
                ["2016-01-03T22:00:00+08:00", 35.0],
            ],
        }
    }
    assert body["aqi"] == []


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/v1/sites/NOPE/series", 404),
        ("/api/v1/sites/SJZ-A1/series", 404),  # outside the scope: as unknown
        ("/api/v1/sites/BJ-CY-A1/series?hours=0", 422),
        ("/api/v1/sites/BJ-CY-A1/series?hours=745", 422),
    ],
)
def test_series_refusals(client, auth, path, status):
    answer = client.get(path, headers=auth("chaoyang"))
    assert answer.status_code == status
    if "SJZ-A1" in path:
        assert answer.json() == {"detail": "no site 'SJZ-A1'"}


def test_series_of_an_outlet_draws_its_monitors_real_time_frames_named_from_the_code_tables(
    fresh_client, fresh_app, fresh_auth
):
    """Issue 13: an outlet's chart had one point per series and raw codes (S02, a00000-Cou).  Thirty
    real-time frames of a 2005 monitor, 10 s apart: thirty points per factor, 2005 codes stored under
    their 2017 codes (S02 -> a01011 flue-gas velocity, 02 -> a21026 SO2) with Annex B names and units."""
    from sqlalchemy import select

    from ecowatch.store.models import Hj212Frame, Site

    start = dt.datetime(2016, 1, 3, 14, 0, tzinfo=dt.UTC)  # 22:00 Beijing time

    def add_frames(numbers: range) -> None:
        with fresh_app.state.ecowatch.sessions.begin() as session:
            site_id = session.scalar(select(Site.id).where(Site.code == "BJ-CY-O1"))
            for n in numbers:
                time = start + dt.timedelta(seconds=10 * n)
                local = (time + dt.timedelta(hours=8)).strftime("%Y%m%d%H%M%S")
                segment = (
                    f"ST=31;CN=2011;PW=123456;MN=BJCYO1000000000000000001;CP=&&DataTime={local};"
                    f"02-Rtd={18 + n % 3}.5,02-Flag=N;S02-Rtd=11.{n % 10},S02-Flag=N;"
                    f"B02-Cou=33.{n},B02-Flag=N&&"
                )
                session.add(
                    Hj212Frame(
                        digest=f"test-{n}",
                        mn="BJCYO1000000000000000001",
                        qn=None,
                        st="31",
                        cn="2011",
                        flag=None,
                        version="2005",
                        data_time=local,
                        data_time_utc=time,
                        received_at=time,
                        site_id=site_id,
                        cp=None,
                        raw=f"##{len(segment):04d}{segment}0000",
                        peer="test",
                    )
                )

    add_frames(range(30))
    body = fresh_client.get("/api/v1/sites/BJ-CY-O1/series?hours=48", headers=fresh_auth("ent_cy")).json()
    assert (body["interval"], body["from"], body["to"]) == (
        "rtd",
        "2016-01-03T22:00:00+08:00",
        "2016-01-03T22:04:50+08:00",
    )
    assert {
        code: (s["name_zh"], s["name_en"], s["unit"], len(s["points"]))
        for code, s in body["pollutants"].items()
    } == {
        "a21026": ("二氧化硫", "SO2", "mg/m³", 30),
        "a01011": ("烟气流速", "flue-gas velocity", "m/s", 30),
        "a00000-Cou": ("废气 累计", "flue-gas flow total", "m³", 30),
    }
    assert body["pollutants"]["a01011"]["points"][:2] == [
        ["2016-01-03T22:00:00+08:00", 11.0],
        ["2016-01-03T22:00:10+08:00", 11.1],
    ]
    assert body["site"]["time"] == "2016-01-03T22:04:50+08:00"  # the last frame, later than its last hour
    status = fresh_client.get("/api/v1/sites/status", headers=fresh_auth("ent_cy")).json()["sites"]
    assert [site["time"] for site in status] == ["2016-01-03T22:04:50+08:00"]

    # Real-time frames do not bump the site's data version: the next frames must still show.
    add_frames(range(30, 36))
    again = fresh_client.get("/api/v1/sites/BJ-CY-O1/series?hours=48", headers=fresh_auth("ent_cy")).json()
    assert (again["to"], len(again["pollutants"]["a01011"]["points"])) == ("2016-01-03T22:05:50+08:00", 36)
    status = fresh_client.get("/api/v1/sites/status", headers=fresh_auth("ent_cy")).json()["sites"]
    assert [site["time"] for site in status] == ["2016-01-03T22:05:50+08:00"]


def test_an_air_station_with_a_devices_other_codes_keeps_its_aqi(fresh_client, fresh_auth, fresh_store_url):
    """An HJ 212 device at an air station also stores codes outside the AQI (temperature a01012, the
    flow a00000): the status reads the six pollutants only (bench/attack.py found these answered 500)."""
    from sqlalchemy import select

    from ecowatch.store import make_engine, session_factory
    from ecowatch.store.models import Measurement, Site

    engine = make_engine(fresh_store_url)
    try:
        with session_factory(engine).begin() as session:
            site_id = session.scalar(select(Site.id).where(Site.code == "BJ-CY-A1"))
            for code, value in (("a01012", 12.5), ("a00000", 3.1)):
                session.add(
                    Measurement(
                        site_id=site_id,
                        interval="1h",
                        time=dt.datetime(2016, 1, 3, 14, 0),
                        pollutant=code,
                        value=value,
                        source="hj212",
                    )
                )
    finally:
        engine.dispose()
    answer = fresh_client.get(
        "/api/v1/sites/status?at=2016-01-03T23:00:00%2B08:00", headers=fresh_auth("chaoyang")
    )
    assert answer.status_code == 200, answer.text
    air = next(site for site in answer.json()["sites"] if site["code"] == "BJ-CY-A1")
    assert (air["aqi"], air["primary_pollutants"]) == (
        91,
        ["PM2.5"],
    )  # as in test_site_status_of_an_air_station


def test_the_air_stations_of_a_status_are_read_together(
    fresh_client, fresh_auth, fresh_store_url, monkeypatch
):
    """The statuses of air stations whose latest hour is the same come from one read and one cube, not a
    read per station (300 simulated stations made a status take 16 s under bench/attack.py), and equal
    the statuses computed one station at a time."""
    from sqlalchemy import select

    from ecowatch.store import make_engine, session_factory
    from ecowatch.store.models import Site
    from ecowatch.web import status

    reads: list[list[str]] = []
    read = status.read_measurements

    def counting_read(**kwargs):
        reads.append(sorted(kwargs["site_codes"]))
        return read(**kwargs)

    monkeypatch.setattr(status, "read_measurements", counting_read)
    path = "/api/v1/sites/status?at=2016-01-03T23:00:00%2B08:00"
    together = {
        site["code"]: site for site in fresh_client.get(path, headers=fresh_auth("admin")).json()["sites"]
    }
    # SJZ-A1's values stop at 20:00, the Beijing stations' at 23:00: one read per latest hour.
    assert sorted(reads) == [["BJ-A0", "BJ-CY-A1", "BJ-HD-A1"], ["SJZ-A1"]]
    engine = make_engine(fresh_store_url)
    try:
        with session_factory(engine)() as session:
            for code in ("BJ-A0", "BJ-CY-A1", "BJ-HD-A1", "SJZ-A1"):
                site = session.scalar(select(Site).where(Site.code == code))
                hour = dt.datetime.fromisoformat(together[code]["time"]).astimezone(dt.UTC)
                alone = status._realtime(session, site, hour, hour)[0]
                assert (together[code]["aqi"], together[code]["primary_pollutants"]) == (
                    alone["aqi"],
                    alone["primary_pollutants"],
                ), code
    finally:
        engine.dispose()
