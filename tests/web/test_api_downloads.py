"""CSV and XLSX downloads of the table endpoints: content types, file names, the same rows as JSON."""

from __future__ import annotations

import io

import polars as pl
import pytest

from xlsx_cells import read_first_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = [  # path, file name, the JSON answer's rows
    ("/api/v1/sites?kind=air_station", "sites", lambda body: body["items"]),
    ("/api/v1/sites/status", "sites-status", lambda body: body["sites"]),
    ("/api/v1/devices", "devices", lambda body: body["items"]),
    ("/api/v1/measurements?site=BJ-CY-O1&limit=1000", "measurements", lambda body: body["items"]),
    ("/api/v1/air/aqi/now", "aqi-now", lambda body: body["stations"]),
]


@pytest.mark.parametrize("path, name, rows_of", TABLES, ids=[name for _, name, _ in TABLES])
def test_csv_download_has_the_json_rows(client, auth, path, name, rows_of):
    rows = rows_of(client.get(path, headers=auth("bj")).json())
    separator = "&" if "?" in path else "?"
    answer = client.get(f"{path}{separator}format=csv", headers=auth("bj"))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM: Excel on Chinese Windows reads 北京
    frame = pl.read_csv(io.BytesIO(answer.content), infer_schema_length=0)
    assert frame[
        "code" if "code" in frame.columns else "site" if "site" in frame.columns else "mn"
    ].to_list() == [row.get("code", row.get("site", row.get("mn"))) for row in rows]


@pytest.mark.parametrize("path, name, rows_of", TABLES, ids=[name for _, name, _ in TABLES])
def test_xlsx_download(client, auth, path, name, rows_of):
    separator = "&" if "?" in path else "?"
    answer = client.get(f"{path}{separator}format=xlsx", headers=auth("bj"))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"] == f'attachment; filename="{name}.xlsx"'
    assert answer.content[:2] == b"PK"  # a zip container, as every xlsx is


def test_an_empty_table_still_has_its_header(client, auth):
    answer = client.get("/api/v1/devices?format=csv", headers=auth("hebei"))
    assert answer.content.decode("utf-8-sig").splitlines() == ["mn,site,protocol_version,created_at"]


def test_regions_download_one_row_per_region(client, auth):
    answer = client.get("/api/v1/regions?format=csv", headers=auth("bjcity"))
    # The city and its 16 districts of the national division list (migration 0010).
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[:4] == [
        "code,name,level,parent",
        "110100,北京,city,",
        "110101,东城区,county,110100",
        "110102,西城区,county,110100",
    ]
    assert (len(lines), lines[-1]) == (18, "110119,延庆区,county,110100")


def test_the_csv_bom_lets_excel_read_chinese_names(client, auth):
    answer = client.get("/api/v1/sites?kind=air_station&format=csv", headers=auth("bj"))
    text = answer.content.decode("utf-8-sig")  # what Excel does when the file starts with EF BB BF
    assert "BJ-CY-A1,朝阳农展馆,Chaoyang" in text


def test_daily_xlsx_has_dates_units_and_the_standards_precision(client, auth):
    """The API's XLSX is the CLI's: Excel dates, "CO (mg/m³)" holding 0.9 shown as 0.0, whole sheet name."""
    answer = client.get(
        "/api/v1/air/daily?from=2016-01-01&to=2016-01-03&site=BJ-CY-A1&format=xlsx", headers=auth("chaoyang")
    )
    assert answer.status_code == 200
    sheet = read_first_sheet(answer.content)
    assert sheet.name == "daily BJ-CY-A1 2016-01-01"  # "… 2016-01-03" does not fit in 31 characters whole
    assert {
        "PM2.5 (µg/m³)",
        "PM10 (µg/m³)",
        "SO2 (µg/m³)",
        "NO2 (µg/m³)",
        "CO (mg/m³)",
        "O3_8h (µg/m³)",
        "O3_1h (µg/m³)",
    } <= set(sheet.header)
    # 2016-01-01..03 are Excel days 42370..42372; the fixture's CO at BJ-CY-A1 is 0.9 mg/m³ every hour.
    assert [(c.value, c.number_format) for c in sheet.column("date")] == [
        (42370.0, "yyyy-mm-dd"),
        (42371.0, "yyyy-mm-dd"),
        (42372.0, "yyyy-mm-dd"),
    ]
    co = sheet.column("CO (mg/m³)")
    assert [(c.value, c.kind, c.number_format) for c in co] == [(0.9, "number", "0.0")] * 3
    # SO2 is 9 µg/m³ every hour at BJ-CY-A1: a number shown as an integer.
    assert [(c.value, c.number_format) for c in sheet.column("SO2 (µg/m³)")] == [(9.0, "0")] * 3


def test_measurements_xlsx_times_are_excel_date_times(client, auth):
    answer = client.get(
        "/api/v1/measurements?site=BJ-CY-A1&pollutant=CO&from=2016-01-01T00:00&"
        "to=2016-01-01T01:00&format=xlsx",
        headers=auth("chaoyang"),
    )
    sheet = read_first_sheet(answer.content)
    times = sheet.column("time (UTC+08:00)")  # Beijing time, named in the heading
    assert [c.value for c in times] == pytest.approx([42370.0, 42370 + 1 / 24])
    assert {c.number_format for c in times} == {"yyyy-mm-dd hh:mm:ss"}
    assert [c.value for c in sheet.column("value")] == pytest.approx([0.9, 0.9])


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/users", "/api/v1/sites/BJ-CY-A1"])
def test_a_file_asked_of_a_json_only_route_is_refused_not_answered_as_json(client, auth, path):
    answer = client.get(f"{path}?format=csv", headers=auth("admin"))
    assert answer.status_code == 400
    assert answer.json()["detail"] == f"format: {path} answers JSON only (no table shape), not csv"
    assert client.get(f"{path}?format=json", headers=auth("admin")).status_code == 200
