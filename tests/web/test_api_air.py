"""The air endpoints give the command line's figures on the same store."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from xml.etree import ElementTree

import polars as pl
from typer.testing import CliRunner

import ecowatch.web.api.air as air
from ecowatch.cli import app as cli_app
from ecowatch.store.budget import QueryBudgetExceeded
from xlsx_cells import read_first_sheet

RUNNER = CliRunner()
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The cells of the first worksheet as text (no xlsx reader is installed: the XML is simple)."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared = [
            item.findtext(f"{SHEET}t") or ""
            for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{SHEET}si")
        ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{SHEET}row"):
        cells = []
        for cell in row.iter(f"{SHEET}c"):
            value = cell.findtext(f"{SHEET}v") or ""
            cells.append(shared[int(value)] if cell.get("t") == "s" else value)
        rows.append(cells)
    return rows


def cli(*args: str) -> str:
    result = RUNNER.invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_assessment_equals_the_cli_json(client, auth, store_url):
    answer = client.get("/api/v1/air/assessment?from=2016-01-01&to=2016-01-03", headers=auth("admin"))
    assert answer.status_code == 200, answer.text
    expected = json.loads(
        cli("air", "assess", "--db", store_url, "--from", "2016-01-01", "--to", "2016-01-03", "--json")
    )
    assert answer.json() == expected
    assert set(answer.json()["cities"]) == {"北京", "石家庄"}


def test_assessment_with_stations_equals_the_cli_json(client, auth, store_url):
    answer = client.get(
        "/api/v1/air/assessment?from=2016-01-02&to=2016-01-03&stations=BJ-CY-A1,BJ-HD-A1&standard=2026",
        headers=auth("admin"),
    )
    expected = json.loads(
        cli(
            "air",
            "assess",
            "--db",
            store_url,
            "--from",
            "2016-01-02",
            "--to",
            "2016-01-03",
            "--stations",
            "BJ-CY-A1,BJ-HD-A1",
            "--standard",
            "2026",
            "--json",
        )
    )
    assert answer.json() == expected
    assert answer.json()["stations"] == ["BJ-CY-A1", "BJ-HD-A1"]


def test_assessment_of_a_scoped_user_covers_only_its_stations(client, auth):
    body = client.get("/api/v1/air/assessment?from=2016-01-01&to=2016-01-03", headers=auth("chaoyang")).json()
    assert list(body["by_station"]) == ["BJ-CY-A1"]
    assert body["stations"] == ["BJ-CY-A1"]


def test_assessment_is_memoised_until_the_data_change(client, auth, app):
    memo = app.state.ecowatch.memo
    url = "/api/v1/air/assessment?from=2016-01-01&to=2016-01-02"
    first = client.get(url, headers=auth("bj")).json()
    hits = memo.hits
    assert client.get(url, headers=auth("bj")).json() == first
    assert memo.hits == hits + 1


def test_daily_of_a_station_equals_the_cli_rows(client, auth, store_url):
    answer = client.get(
        "/api/v1/air/daily?from=2016-01-01&to=2016-01-03&site=BJ-HD-A1", headers=auth("bjcity")
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    printed = list(
        csv.DictReader(
            io.StringIO(cli("air", "daily", "--db", store_url, "--from", "2016-01-01", "--to", "2016-01-03"))
        )
    )
    expected = [row for row in printed if row["site"] == "BJ-HD-A1"]
    assert [row["date"] for row in rows] == ["2016-01-01", "2016-01-02", "2016-01-03"]
    assert [str(row["AQI"]) for row in rows] == [row["AQI"] for row in expected]
    assert [row["primary_pollutants"] for row in rows] == [row["primary_pollutants"] for row in expected]
    assert [str(row["PM2.5"]) for row in rows] == [row["PM2.5"] for row in expected]


def test_daily_of_a_city(client, auth, store_url):
    body = client.get(
        "/api/v1/air/daily?from=2016-01-02&to=2016-01-02&city=110100", headers=auth("bj")
    ).json()
    # The city's row carries its region code in site and its name in site_name (issue 13).
    assert [(row["site"], row["site_name"], row["kind"]) for row in body["rows"]] == [
        ("110100", "北京", "city")
    ]
    printed = list(
        csv.DictReader(
            io.StringIO(cli("air", "daily", "--db", store_url, "--from", "2016-01-02", "--to", "2016-01-02"))
        )
    )
    city = next(row for row in printed if row["site"] == "北京")
    assert str(body["rows"][0]["AQI"]) == city["AQI"]


def test_daily_as_csv_and_xlsx(client, auth):
    url = "/api/v1/air/daily?from=2016-01-01&to=2016-01-03&site=BJ-CY-A1"
    as_json = client.get(url, headers=auth("chaoyang")).json()["rows"]
    answer = client.get(url + "&format=csv", headers=auth("chaoyang"))
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        answer.headers["content-disposition"]
        == 'attachment; filename="daily-BJ-CY-A1-2016-01-01-2016-01-03.csv"'
    )
    frame = pl.read_csv(io.BytesIO(answer.content))
    assert frame["AQI"].to_list() == [row["AQI"] for row in as_json]
    answer = client.get(url + "&format=xlsx", headers=auth("chaoyang"))
    assert (
        answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = xlsx_rows(answer.content)
    aqi = sheet[0].index("AQI")
    assert [row[aqi] for row in sheet[1:]] == [str(row["AQI"]) for row in as_json]


def test_aqi_now_lists_the_air_stations_in_scope(client, auth):
    body = client.get("/api/v1/air/aqi/now", headers=auth("bj")).json()
    assert body["as_of"] == "2016-01-03T23:00:00+08:00"
    assert [s["code"] for s in body["stations"]] == ["BJ-A0", "BJ-CY-A1", "BJ-HD-A1"]
    chaoyang = body["stations"][1]
    assert chaoyang["aqi"] == 91 and chaoyang["edition"] == "2012"
    # HJ 633-2012 real-time report: PM on its 24-h moving mean (67.5 -> 91), PM10 108.5 -> 80.
    assert chaoyang["iaqi"]["PM2.5"] == 91 and chaoyang["iaqi"]["PM10"] == 80
    hebei = client.get("/api/v1/air/aqi/now", headers=auth("hebei")).json()
    assert [(s["code"], s["time"]) for s in hebei["stations"]] == [("SJZ-A1", "2016-01-03T20:00:00+08:00")]
    assert client.get("/api/v1/air/aqi/now", headers=auth("ent_cy")).json() == {"as_of": None, "stations": []}


def test_aqi_now_as_csv(client, auth):
    answer = client.get("/api/v1/air/aqi/now?format=csv", headers=auth("chaoyang"))
    assert answer.headers["content-disposition"] == 'attachment; filename="aqi-now.csv"'
    frame = pl.read_csv(io.BytesIO(answer.content))
    assert frame.select("code", "aqi", "iaqi.PM2.5").rows() == [("BJ-CY-A1", 91, 91)]


def test_daily_of_every_station_of_a_city_for_a_day(client, auth, store_url):
    body = client.get(
        "/api/v1/air/daily?from=2016-01-02&to=2016-01-02&city=110100&each_station=true",
        headers=auth("bjcity"),
    ).json()
    assert [(row["site"], row["kind"]) for row in body["rows"]] == [
        ("110100", "city"),
        ("BJ-A0", "station"),
        ("BJ-CY-A1", "station"),
        ("BJ-HD-A1", "station"),
    ]
    # SO2 is 8, 9 and 10 µg/m³ every hour at the three stations (conftest.air_value): the city's mean is 9.
    assert [row["SO2"] for row in body["rows"]] == [9, 8, 9, 10]
    printed = list(
        csv.DictReader(
            io.StringIO(cli("air", "daily", "--db", store_url, "--from", "2016-01-02", "--to", "2016-01-02"))
        )
    )
    aqi = {row["site"]: row["AQI"] for row in printed}
    assert [str(row["AQI"]) for row in body["rows"][1:]] == [aqi["BJ-A0"], aqi["BJ-CY-A1"], aqi["BJ-HD-A1"]]


def test_assessment_as_csv_is_a_row_per_city_and_station(client, auth):
    url = "/api/v1/air/assessment?from=2016-01-01&to=2016-01-03"
    as_json = client.get(url, headers=auth("bjcity")).json()
    answer = client.get(url + "&format=csv", headers=auth("bjcity"))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="assessment-2016-01-01-2016-01-03.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(row["site"], row["site_name"], row["kind"]) for row in rows] == [
        ("110100", "北京", "city"),
        ("BJ-A0", "北京城区", "station"),
        ("BJ-CY-A1", "朝阳农展馆", "station"),
        ("BJ-HD-A1", "海淀万柳", "station"),
    ]
    city = rows[0]
    assert (city["SO2"], city["SO2_statistic"], city["CO"], city["CO_statistic"]) == (
        "9",
        "mean",
        "0.9",
        "p95_daily",
    )
    for row in rows[1:]:
        figures = as_json["by_station"][row["site"]]
        assert row["PM2.5"] == str(figures["PM2.5"]["value"])
        assert row["comprehensive_index"] == str(figures["comprehensive_index"])


def test_assessment_as_xlsx_has_units_in_the_headings(client, auth):
    answer = client.get(
        "/api/v1/air/assessment?from=2016-01-01&to=2016-01-03&format=xlsx", headers=auth("bjcity")
    )
    assert answer.status_code == 200
    sheet = read_first_sheet(answer.content)
    assert sheet.name == "assessment 2016-01-01"
    assert {"PM2.5 (µg/m³)", "CO (mg/m³)", "O3 (µg/m³)"} <= set(sheet.header)
    co = sheet.column("CO (mg/m³)")[0]
    assert (co.value, co.number_format) == (0.9, "0.0")


def test_an_assessment_past_its_read_budget_is_a_clear_answer(client, auth, monkeypatch):
    """The database stopping the read (tests/store/test_store_budget.py, both backends) becomes a 422."""

    def exhausted(session, seconds):
        raise QueryBudgetExceeded(seconds)

    monkeypatch.setattr(air, "query_budget", exhausted)
    answer = client.get("/api/v1/air/assessment?from=2015-01-01&to=2015-01-02", headers=auth("admin"))
    assert (answer.status_code, answer.json()["detail"]) == (
        422,
        "from/to: the query ran past its budget of 30 s and was stopped; ask for a shorter period or "
        "fewer stations",
    )
