"""CSV and XLSX downloads of the table endpoints: content types, file names, the same rows as JSON."""

from __future__ import annotations

import io

import polars as pl
import pytest

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
    frame = pl.read_csv(io.BytesIO(answer.content), infer_schema_length=0)
    assert frame["code" if "code" in frame.columns else "site" if "site" in frame.columns else "mn"].to_list() == [
        row.get("code", row.get("site", row.get("mn"))) for row in rows]


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
    assert answer.text.splitlines() == ["mn,site,protocol_version,created_at"]


def test_regions_download_one_row_per_region(client, auth):
    answer = client.get("/api/v1/regions?format=csv", headers=auth("bjcity"))
    assert answer.text.splitlines() == ["code,name,level,parent", "110100,北京,city,110000",
                                        "110105,朝阳区,county,110100", "110108,海淀区,county,110100"]
