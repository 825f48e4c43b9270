"""read_long: the plain long CSV layout, bad-input handling, and a round-trip property."""

from __future__ import annotations

import csv
import gzip
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.errors import InputError
from ecowatch.importers import MEASUREMENT_SCHEMA, read, read_long
from ecowatch.importers.common import PLAUSIBLE_MAXIMUM
from ecowatch.shapes.measurements import POLLUTANTS
from ecowatch.shapes.stations import StationRegistry


def rows(result) -> list[tuple]:
    return result.measurements.select("station", "time", "pollutant", "value").rows()


def test_basic(fixtures):
    result = read_long(fixtures / "long_basic.csv")
    assert result.measurements.schema == MEASUREMENT_SCHEMA
    t0, t1 = datetime(2015, 1, 1, 0), datetime(2015, 1, 1, 1)
    assert rows(result) == [
        ("1002A", t0, "O3", 61.4),  # Dingling
        ("1003A", t0, "PM2.5", 3.0),  # Dongsi, PM25
        ("1003A", t0, "SO2", 15.7),  # 东四, so2
        ("1003A", t1, "PM2.5", 5.2),  # T separator with seconds; the empty value on line 5 has no row
        ("My Own Site", t0, "NO2", 12.5),  # an ad-hoc station
        ("My Own Site", datetime(2015, 1, 1, 23), "PM10", 40.0),
    ]
    assert [s.code for s in result.stations] == ["1003A", "1002A", "My Own Site"]
    assert result.stations[-1].category == "unregistered"
    assert result.issues == []


def test_units(fixtures):
    t0, t1 = datetime(2015, 1, 1, 0), datetime(2015, 1, 1, 1)
    assert rows(read_long(fixtures / "long_units.csv")) == [
        ("1003A", t0, "CO", 1.2),  # 1200 ug/m3 -> mg/m3
        ("1003A", t0, "NO2", 29.0),  # μg/m3 (Greek mu)
        ("1003A", t0, "O3", 33.0),  # empty unit: default
        ("1003A", t0, "PM10", 150.0),  # 0.15 mg/m3 -> µg/m³
        ("1003A", t0, "SO2", 15.0),  # µg/m³ (micro sign, superscript 3)
        ("1003A", t1, "CO", 0.6),  # mg/m³
        ("1003A", t1, "PM2.5", 7.0),  # UG/M3
    ]


def test_bad_unit(fixtures):
    with pytest.raises(InputError) as exc:
        read_long(fixtures / "long_bad_unit.csv")
    assert str(exc.value) == "long_bad_unit.csv, line 3, field unit: unknown unit 'ppb'"
    result = read_long(fixtures / "long_bad_unit.csv", lenient=True)
    assert result.measurements["invalid_reason"].to_list() == [None, "unknown unit 'ppb'"]
    assert len(result.issues) == 1


def test_offsets(fixtures):
    """+08:00 is Beijing time; Z and other offsets are converted to it."""
    times = read_long(fixtures / "long_offsets.csv").measurements.select("time", "value").rows()
    assert times == [
        (datetime(2015, 1, 1, 8), 1.0),  # 08:00+08:00
        (datetime(2015, 1, 1, 9), 2.0),  # 01:00Z
        (datetime(2015, 1, 1, 10), 3.0),  # 2014-12-31 21:00-05:00
        (datetime(2015, 1, 1, 11), 4.0),  # 11:00+0800
    ]


def test_date_filter_applies_to_beijing_date(fixtures):
    result = read_long(fixtures / "long_offsets.csv", date_from=date(2015, 1, 1), date_to=date(2015, 1, 1))
    assert result.measurements.height == 4  # the -05:00 row is on 2015-01-01 in Beijing
    assert read_long(fixtures / "long_offsets.csv", date_to=date(2014, 12, 31)).measurements.is_empty()
    with pytest.raises(ValueError, match="after"):
        read_long(fixtures / "long_offsets.csv", date_from=date(2015, 1, 2), date_to=date(2015, 1, 1))


def test_non_numeric_strict_and_lenient(fixtures):
    with pytest.raises(InputError) as exc:
        read_long(fixtures / "long_bad_value.csv")
    err = exc.value
    assert str(err) == "long_bad_value.csv, line 12, field value: non-numeric value 'abc'"
    assert (err.file, err.line, err.field, err.reason) == (
        "long_bad_value.csv",
        12,
        "value",
        "non-numeric value 'abc'",
    )

    result = read_long(fixtures / "long_bad_value.csv", lenient=True)
    assert result.measurements.height == 12  # the bad row is kept
    bad = result.measurements.filter(pl.col("invalid_reason").is_not_null())
    assert bad.rows() == [("1003A", datetime(2015, 1, 1, 10), "PM2.5", None, "non-numeric value 'abc'")]
    assert [str(e) for e in result.issues] == [
        "long_bad_value.csv, line 12, field value: non-numeric value 'abc'"
    ]


def test_negative(fixtures):
    with pytest.raises(InputError) as exc:
        read_long(fixtures / "long_negative.csv")
    assert str(exc.value) == "long_negative.csv, line 3, field value: negative value '-2.5'"
    result = read_long(fixtures / "long_negative.csv", lenient=True)
    assert result.measurements["value"].to_list() == [3.0, None, 4.0]
    assert result.measurements["invalid_reason"].to_list() == [None, "negative value '-2.5'", None]


def test_unknown_pollutant(fixtures):
    with pytest.raises(InputError) as exc:
        read_long(fixtures / "long_unknown_pollutant.csv")
    assert str(exc.value) == "long_unknown_pollutant.csv, line 3, field pollutant: unknown pollutant 'NOx'"
    result = read_long(fixtures / "long_unknown_pollutant.csv", lenient=True)
    assert result.measurements["pollutant"].to_list() == ["PM2.5", "PM2.5"]  # the line is dropped ...
    assert len(result.issues) == 1  # ... but not silently


def test_bad_timestamps(fixtures):
    name = "long_bad_time.csv"
    with pytest.raises(InputError) as exc:
        read_long(fixtures / name)
    assert str(exc.value) == f"{name}, line 3, field time: bad timestamp '2015-02-30 01:00': impossible date"
    result = read_long(fixtures / name, lenient=True)
    assert result.measurements.select("time", "value").rows() == [
        (datetime(2015, 2, 28, 23), 3.0),
        (datetime(2015, 3, 1, 2), 8.0),
    ]
    assert [str(e) for e in result.issues] == [  # one issue per dropped line
        f"{name}, line 3, field time: bad timestamp '2015-02-30 01:00': impossible date",
        f"{name}, line 4, field time: bad timestamp '2015-03-01 24:00': hour outside 0..23",
        f"{name}, line 5, field time: bad timestamp 'garbage': expected 'YYYY-MM-DD HH:MM[:SS][+08:00]'",
        f"{name}, line 6, field time: bad timestamp '2015-03-01 01:30': "
        "minutes and seconds must be 00 (hour label)",
    ]


def test_duplicate_hour(fixtures):
    """Line 4 (Dongsi, +08:00, pm25) is the same station/hour/pollutant as line 2 (1003A, PM2.5)."""
    with pytest.raises(InputError) as exc:
        read_long(fixtures / "long_duplicate.csv")
    assert str(exc.value) == (
        "long_duplicate.csv, line 4, field value: "
        "duplicate 1003A 2015-01-01 00:00 PM2.5, first given on line 2"
    )
    assert exc.value.line == 4
    result = read_long(fixtures / "long_duplicate.csv", lenient=True)
    assert result.measurements["value"].to_list() == [3.0, 4.0, 5.0]  # the first is kept
    assert len(result.issues) == 1


def test_missing_column(fixtures):
    with pytest.raises(InputError) as exc:
        read_long(fixtures / "long_missing_column.csv")
    assert str(exc.value) == "long_missing_column.csv, line 1, field value: missing required column"


def test_wrong_number_of_fields(fixtures):
    with pytest.raises(InputError) as exc:
        read_long(fixtures / "long_ragged.csv")
    assert str(exc.value) == "long_ragged.csv, line 3: line has 5 fields, the header has 4"
    result = read_long(fixtures / "long_ragged.csv", lenient=True)
    assert result.measurements.select("station", "value").rows() == [
        ("1003A", 3.0),
        ("Site, with comma", 6.0),
    ]
    assert [e.line for e in result.issues] == [3, 4]


def test_header_case_extra_columns_and_gzip(tmp_path):
    text = "Station,TIME,Pollutant,Value,comment\n1003A,2015-01-01 05:00,no2,20,ok\n"
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "b.csv").write_text(text.replace("05:00", "06:00"), encoding="utf-8")
    result = read(tmp_path, "long", progress=True)  # the rich bar (stderr) must not get in the way
    assert rows(result) == [
        ("1003A", datetime(2015, 1, 1, 5), "NO2", 20.0),
        ("1003A", datetime(2015, 1, 1, 6), "NO2", 20.0),
    ]
    assert len(result.sources) == 2


def test_custom_registry(tmp_path):
    reg = tmp_path / "stations.csv"
    reg.write_text("code,name,category,aliases\nX1,Alpha,urban,A-site;alpha station\n", encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("station,time,pollutant,value\nalpha station,2020-05-01 00:00,O3,50\n", encoding="utf-8")
    result = read_long(data, StationRegistry.from_csv(reg))
    assert rows(result) == [("X1", datetime(2020, 5, 1), "O3", 50.0)]
    assert result.stations[0].name == "Alpha"


# -- round trip ---------------------------------------------------------------------------------

REGISTRY = StationRegistry.default()
SPELLINGS = {
    "SO2": ["SO2", "so2"],
    "NO2": ["NO2", "no2"],
    "CO": ["CO", "co"],
    "O3": ["O3", "o3"],
    "PM10": ["PM10", "pm10"],
    "PM2.5": ["PM2.5", "pm2.5", "PM25", "PM2_5"],
}
station_names = st.one_of(
    st.sampled_from(["1003A", "Dongsi", "东四", "dingling", "京西北区域点(八达岭)", "BJ-云岗"]),
    st.text(
        alphabet=st.characters(categories=["L", "N"], include_characters=" ,-'\"()"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool),
)
hours = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda t: t.replace(minute=0, second=0, microsecond=0)
)
values = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
row = st.tuples(
    station_names, hours, st.sampled_from(POLLUTANTS), values, st.integers(0, 3), st.integers(0, 3)
)


def expected_code(name: str) -> str:
    station = REGISTRY.resolve(name)
    return station.code if station else name


def spell_time(t: datetime, style: int) -> str:
    if style == 0:
        return t.strftime("%Y-%m-%d %H:%M")
    if style == 1:
        return t.strftime("%Y-%m-%dT%H:%M:%S")
    if style == 2:
        return t.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return (t - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=60, deadline=None)
@given(st.lists(row, min_size=1, max_size=25))
def test_round_trip(generated):
    expected: dict[tuple[str, datetime, str], float] = {}
    lines = []
    for name, t, pollutant, v, time_style, spelling in generated:
        key = (expected_code(name), t, pollutant)
        if key in expected:  # duplicates are tested elsewhere
            continue
        # Above the plausible maximum a value is kept but marked invalid (test_plausible_maximum.py).
        expected[key] = v if v <= PLAUSIBLE_MAXIMUM[pollutant] else None
        names = SPELLINGS[pollutant]
        lines.append([name, spell_time(t, time_style), names[spelling % len(names)], repr(v)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "round_trip.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["station", "time", "pollutant", "value"])
            writer.writerows(lines)
        result = read_long(path, REGISTRY)
    got = {(s, t, p): v for s, t, p, v in rows(result)}
    assert got == expected
    assert result.issues == []
    assert rows(result) == sorted(rows(result), key=lambda r: (r[0], r[1], r[2]))
