"""read_prsa on the real UCI Beijing multi-site files and on small fixtures."""

from __future__ import annotations

import gzip
import shutil
from datetime import date, datetime

import polars as pl
import pytest

from ecowatch.errors import InputError
from ecowatch.importers import MEASUREMENT_SCHEMA, read, read_prsa
from ecowatch.shapes.measurements import POLLUTANTS

AOTI = "PRSA_Data_Aotizhongxin_20130301-20170228.csv.gz"
ROWS = 35064  # rows per PRSA file (1461 days x 24 h)


def value(frame: pl.DataFrame, station: str, time: datetime, pollutant: str) -> float:
    rows = frame.filter(
        (pl.col("station") == station) & (pl.col("time") == time) & (pl.col("pollutant") == pollutant)
    )
    assert rows.height == 1, rows
    return rows["value"].item()


@pytest.fixture(scope="module")
def first_day(prsa_dir):
    return read_prsa(prsa_dir, date_from=date(2013, 3, 1), date_to=date(2013, 3, 1), progress=False)


def test_first_day_dongsi_values(first_day):
    m = first_day.measurements
    assert m.schema == MEASUREMENT_SCHEMA
    assert value(m, "1003A", datetime(2013, 3, 1, 0), "PM2.5") == 9.0
    assert value(m, "1003A", datetime(2013, 3, 1, 1), "PM2.5") == 4.0
    # CO is 300 µg/m³ in the file -> 0.3 mg/m³
    assert value(m, "1003A", datetime(2013, 3, 1, 0), "CO") == 0.3
    assert value(m, "1003A", datetime(2013, 3, 1, 1), "CO") == 0.3
    # row 3 of the Dongsi file: SO2 is NA -> no row
    assert m.filter(
        (pl.col("station") == "1003A")
        & (pl.col("time") == datetime(2013, 3, 1, 2))
        & (pl.col("pollutant") == "SO2")
    ).is_empty()


def test_first_day_shape(first_day):
    m = first_day.measurements
    assert m["time"].dt.date().unique().to_list() == [date(2013, 3, 1)]
    assert m["time"].dt.hour().min() == 0 and m["time"].dt.hour().max() == 23
    assert set(m["pollutant"].unique()) == set(POLLUTANTS)
    assert m["invalid_reason"].null_count() == m.height
    assert m.equals(m.sort(["station", "time", "pollutant"]))
    assert first_day.issues == []
    assert len(first_day.sources) == 12
    # the 12 national stations, in registry order (Dingling = 1002A, the control point, included)
    codes = [s.code for s in first_day.stations]
    assert sorted(codes) == [f"10{i:02d}A" for i in range(1, 13)]
    assert codes[0] == "1003A"
    assert {s.code for s in first_day.stations if not s.is_assessment} == {"1002A"}


def test_aotizhongxin_missing_value_fingerprint(prsa_dir):
    """NA counts from SOURCE.md: every NA is an absent row, everything else is present."""
    result = read_prsa(prsa_dir / AOTI)
    counts = dict(result.measurements.group_by("pollutant").len().iter_rows())
    missing = {"PM2.5": 925, "PM10": 718, "SO2": 935, "NO2": 1023, "CO": 1776, "O3": 1719}
    assert counts == {p: ROWS - n for p, n in missing.items()}
    assert [s.code for s in result.stations] == ["1011A"]
    co = result.measurements.filter(pl.col("pollutant") == "CO")["value"]
    assert co.min() == 0.1 and co.max() <= 10.0  # mg/m³ after the division


def test_whole_set(prsa_dir):
    result = read_prsa(prsa_dir, progress=False)
    m = result.measurements
    assert m.filter(pl.col("pollutant") == "PM2.5").height == 412_029  # SOURCE.md
    assert m.select(pl.struct("station", "time").n_unique()).item() <= 12 * ROWS
    assert m.equals(m.sort(["station", "time", "pollutant"]))
    assert result.issues == []


def test_file_name_outside_date_range_is_not_read(prsa_dir):
    result = read_prsa(prsa_dir, date_from=date(2018, 1, 1), progress=False)
    assert result.sources == []
    assert result.measurements.is_empty()
    assert result.measurements.schema == MEASUREMENT_SCHEMA


def test_read_dispatch(prsa_dir):
    one = read(prsa_dir / AOTI, "prsa", date_from=date(2014, 1, 1), date_to=date(2014, 1, 1))
    assert one.measurements["station"].unique().to_list() == ["1011A"]
    with pytest.raises(ValueError, match="unknown format"):
        read(prsa_dir / AOTI, "xls")  # type: ignore[arg-type]


# -- fixtures -----------------------------------------------------------------------------------


def test_small_file_co_conversion(fixtures):
    m = read_prsa(fixtures / "prsa_ok.csv").measurements
    assert value(m, "1003A", datetime(2013, 3, 1, 1), "CO") == 1.1
    assert m.height == 12  # line 4 is all NA


def test_strict_error_names_file_line_field(fixtures):
    with pytest.raises(InputError) as exc:
        read_prsa(fixtures / "prsa")
    assert (
        str(exc.value)
        == "PRSA_Data_Dongsi_20130301-20170228.csv.gz, line 5, field PM2.5: non-numeric value 'abc'"
    )
    assert (exc.value.line, exc.value.field) == (5, "PM2.5")


def test_lenient_keeps_invalid_rows_and_lists_problems(fixtures):
    result = read_prsa(fixtures / "prsa", lenient=True)
    m = result.measurements
    bad = m.filter(pl.col("invalid_reason").is_not_null())
    assert bad.select("time", "pollutant", "value", "invalid_reason").rows() == [
        (datetime(2013, 3, 1, 3), "PM2.5", None, "non-numeric value 'abc'"),
        (datetime(2013, 3, 1, 4), "NO2", None, "negative value '-1'"),
    ]
    texts = [str(e) for e in result.issues]
    name = "PRSA_Data_Dongsi_20130301-20170228.csv.gz"
    assert texts[:4] == [
        f"{name}, line 5, field PM2.5: non-numeric value 'abc'",
        f"{name}, line 6, field NO2: negative value '-1'",
        f"{name}, line 7, field day: bad timestamp: impossible date 2013-2-30",
        f"{name}, line 8, field hour: bad timestamp: hour 24 outside 0..23",
    ]
    # line 9 repeats the hour of line 6: six duplicates, the first occurrence is kept
    dups = texts[4:]
    assert len(dups) == 6
    assert (
        dups[0]
        == f"{name}, line 9, field PM2.5: duplicate 1003A 2013-03-01 04:00 PM2.5, first given on line 6"
    )
    assert value(m, "1003A", datetime(2013, 3, 1, 4), "PM2.5") == 3.0
    # bad-timestamp lines are dropped: nothing at 05:00, nothing on a 24th hour
    assert m["time"].max() == datetime(2013, 3, 1, 4)


def test_missing_column(fixtures):
    with pytest.raises(InputError) as exc:
        read_prsa(fixtures / "prsa_no_co.csv")
    assert str(exc.value) == "prsa_no_co.csv, line 1, field CO: missing required column"


def test_plain_csv_and_gz_in_a_directory(fixtures, tmp_path):
    shutil.copy(fixtures / "prsa_ok.csv", tmp_path / "PRSA_Data_Dongsi_20130301-20130301.csv")
    gz = tmp_path / "PRSA_Data_Dongsi_20130302-20130302.csv.gz"
    gz.write_bytes(gzip.compress((fixtures / "prsa_ok.csv").read_bytes()))
    (tmp_path / "notes.txt").write_text("not read")
    with pytest.raises(InputError) as exc:
        read_prsa(tmp_path, progress=False)
    assert str(exc.value) == (
        "PRSA_Data_Dongsi_20130302-20130302.csv.gz, line 2, field PM2.5: "
        "duplicate 1003A 2013-03-01 00:00 PM2.5, "
        "first given on PRSA_Data_Dongsi_20130301-20130301.csv line 2"
    )
    # the date filter skips the second file by its name, so no duplicate
    result = read_prsa(tmp_path, date_to=date(2013, 3, 1), progress=False)
    assert len(result.sources) == 1
    assert result.measurements.height == 12


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_prsa(tmp_path / "nothing.csv")
    with pytest.raises(InputError, match=r"no \.csv or \.csv\.gz files"):
        read_prsa(tmp_path)
