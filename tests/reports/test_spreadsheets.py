"""The one CSV/XLSX writer of the API's downloads and the CLI's ``--out`` (issue 13, "API and exports").

Expected values are Excel's own: 2016-01-01 is serial day 42370 (days since 1899-12-30, the 1900 date
system), 08:00 is 1/3 of a day; the number formats are the codes Excel shows in "Format Cells".
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ecowatch.reports.spreadsheets import csv_bytes, export_frame, sheet_name, xlsx_bytes
from xlsx_cells import read_first_sheet

ROWS = [
    {
        "date": "2016-01-01",
        "time": "2016-01-01T08:00:00+08:00",
        "site": "110100",
        "site_name": "北京",
        "PM2.5": 75,
        "CO": 3.3,
        "O3_8h": 120,
        "IAQI_PM2.5": 101,
        "AQI": 101,
        "counted": True,
        "iaqi": {"CO": 33},
        "primary_pollutants": ["PM2.5", "PM10"],
        "value": 0.123456,
    },
    {
        "date": "2016-01-02",
        "time": "2016-01-02T08:00:00+08:00",
        "site": "110100",
        "site_name": "北京",
        "PM2.5": None,
        "CO": 1.0,
        "O3_8h": 80,
        "IAQI_PM2.5": None,
        "AQI": 40,
        "counted": False,
        "iaqi": {"CO": 10},
        "primary_pollutants": [],
        "value": 12.0,
    },
]


def test_csv_starts_with_a_utf8_bom_so_excel_reads_chinese():
    content = csv_bytes(export_frame(ROWS))
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "date,time,site,site_name,PM2.5,CO,O3_8h,IAQI_PM2.5,AQI,counted,iaqi.CO,primary_pollutants,value"
    )
    assert (
        lines[1]
        == "2016-01-01,2016-01-01T08:00:00+08:00,110100,北京,75,3.3,120,101,101,true,33,PM2.5;PM10,0.123456"
    )


def test_csv_for_a_pipe_has_no_bom():
    assert csv_bytes(export_frame(ROWS), bom=False).startswith(b"date,")


def test_xlsx_headings_carry_names_and_units():
    sheet = read_first_sheet(xlsx_bytes(export_frame(ROWS), sheet="daily"))
    assert sheet.header == [
        "date",
        "time (UTC+08:00)",
        "site",
        "site_name",
        "PM2.5 (µg/m³)",
        "CO (mg/m³)",
        "O3_8h (µg/m³)",
        "IAQI_PM2.5",
        "AQI",
        "counted",
        "iaqi.CO",
        "primary_pollutants",
        "value",
    ]


def test_xlsx_numbers_are_numbers_at_the_standards_precision():
    sheet = read_first_sheet(xlsx_bytes(export_frame(ROWS), sheet="daily"))
    co = sheet.column("CO (mg/m³)")
    assert [(c.value, c.kind, c.number_format) for c in co] == [
        (3.3, "number", "0.0"),
        (1.0, "number", "0.0"),
    ]
    pm = sheet.column("PM2.5 (µg/m³)")
    assert (pm[0].value, pm[0].kind, pm[0].number_format) == (75.0, "number", "0")
    assert pm[1] is None  # a missing value is an empty cell, not "null" nor 0
    assert [c.number_format for c in sheet.column("AQI")] == ["0", "0"]
    # A stored value without a published precision keeps its digits (not polars' 3 fixed decimals).
    assert [(c.value, c.number_format) for c in sheet.column("value")] == [
        (0.123456, "General"),
        (12.0, "General"),
    ]


def test_xlsx_dates_and_times_are_excel_dates():
    sheet = read_first_sheet(xlsx_bytes(export_frame(ROWS), sheet="daily"))
    dates = sheet.column("date")
    assert [(c.value, c.kind, c.number_format) for c in dates] == [
        (42370.0, "number", "yyyy-mm-dd"),
        (42371.0, "number", "yyyy-mm-dd"),
    ]
    times = sheet.column("time (UTC+08:00)")
    assert times[0].value == pytest.approx(42370 + 8 / 24, abs=1e-9)
    assert times[0].number_format == "yyyy-mm-dd hh:mm:ss"


def test_a_typed_frame_writes_the_same_as_its_json_rows():
    typed = pl.DataFrame({"date": [dt.date(2016, 1, 1)], "CO": [3.3]})
    sheet = read_first_sheet(xlsx_bytes(typed, sheet="daily"))
    assert sheet.header == ["date", "CO (mg/m³)"]
    assert [(c.value, c.number_format) for c in sheet.rows[1]] == [(42370.0, "yyyy-mm-dd"), (3.3, "0.0")]


def test_the_sheet_keeps_its_whole_name_within_31_characters():
    name = sheet_name("daily", "BJ-CY-A1", "2016-01-01", "2016-01-03")
    assert name == "daily BJ-CY-A1 2016-01-01"  # the last part does not fit whole: left out, not cut
    assert sheet_name("aqi-now") == "aqi-now"
    assert sheet_name("a/b", "c[1]") == "a-b c-1-"
    sheet = read_first_sheet(xlsx_bytes(export_frame(ROWS), sheet=name))
    assert sheet.name == "daily BJ-CY-A1 2016-01-01"


def test_a_sheet_name_excel_refuses_is_an_error_naming_it():
    with pytest.raises(ValueError, match="31 characters"):
        sheet_name("x" * 32)
    with pytest.raises(ValueError, match="'a:b'"):
        xlsx_bytes(export_frame(ROWS), sheet="a:b")


def test_an_empty_table_keeps_its_header():
    frame = export_frame([], columns=["mn", "site"])
    assert csv_bytes(frame).decode("utf-8-sig").splitlines() == ["mn,site"]
    assert read_first_sheet(xlsx_bytes(frame, sheet="devices")).header == ["mn", "site"]
