"""``ecowatch air daily --out`` writes with the API's writer (issue 13: "one export path for both")."""

from __future__ import annotations

from typer.testing import CliRunner

from ecowatch.cli import app
from xlsx_cells import read_first_sheet

# One station, one day, every hour the same: the daily means are these values.
VALUES = {"SO2": 8, "NO2": 20, "CO": 0.4, "PM10": 40, "PM2.5": 30, "O3": 40}


def one_day(path):
    lines = ["station,time,pollutant,value"]
    for hour in range(24):
        lines += [f"S1,2026-04-01 {hour:02d}:00,{pollutant},{value}" for pollutant, value in VALUES.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def daily(tmp_path, out):
    result = CliRunner().invoke(
        app,
        [
            "air",
            "daily",
            str(one_day(tmp_path / "day.csv")),
            "--format",
            "long",
            "--from",
            "2026-04-01",
            "--to",
            "2026-04-01",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output


def test_the_cli_workbook_has_dates_units_and_precision(tmp_path):
    out = tmp_path / "daily.xlsx"
    daily(tmp_path, out)
    sheet = read_first_sheet(out.read_bytes())
    assert sheet.name == "daily 2026-04-01 2026-04-01"
    assert {"CO (mg/m³)", "PM2.5 (µg/m³)", "O3_8h (µg/m³)"} <= set(sheet.header)
    station = sheet.header.index("site")
    row = next(row for row in sheet.rows[1:] if row[station].value == "S1")
    date = row[sheet.header.index("date")]
    # Excel's day number of 2026-04-01: 46,113 days after 1899-12-30.
    assert (date.value, date.number_format) == (46113.0, "yyyy-mm-dd")
    co = row[sheet.header.index("CO (mg/m³)")]
    assert (co.value, co.kind, co.number_format) == (0.4, "number", "0.0")


def test_the_cli_csv_file_has_the_bom(tmp_path):
    out = tmp_path / "daily.csv"
    daily(tmp_path, out)
    content = out.read_bytes()
    assert content.startswith(b"\xef\xbb\xbfdate,site,")
