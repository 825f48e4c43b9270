"""read_cnemc / read_cnemc_published on the Beijing 35-station feed and on a small fixture."""

from __future__ import annotations

import gzip
import shutil
from datetime import date, datetime

import polars as pl
import pytest

from ecowatch.errors import InputError
from ecowatch.importers import (
    MEASUREMENT_SCHEMA,
    read,
    read_cnemc,
    read_cnemc_published,
    read_prsa,
)
from ecowatch.shapes.measurements import POLLUTANTS

NEW_YEAR = date(2015, 1, 1)


def at(frame: pl.DataFrame, station: str, time: datetime, pollutant: str, column: str = "pollutant") -> float:
    rows = frame.filter(
        (pl.col("station") == station) & (pl.col("time") == time) & (pl.col(column) == pollutant)
    )
    assert rows.height == 1, rows
    return rows["value"].item()


@pytest.fixture(scope="module")
def new_year(cnemc_dir):
    return read_cnemc(cnemc_dir, date_from=NEW_YEAR, date_to=NEW_YEAR, progress=False)


def test_new_year_values(new_year):
    m = new_year.measurements
    assert m.schema == MEASUREMENT_SCHEMA
    midnight = datetime(2015, 1, 1, 0)
    assert at(m, "1003A", midnight, "PM2.5") == 3.0  # 东四
    assert at(m, "1003A", midnight, "SO2") == 15.7
    assert at(m, "1003A", midnight, "CO") == 0.6  # already mg/m³ in this feed
    assert at(m, "1003A", midnight, "PM10") == 14.3
    assert at(m, "BJ-琉璃河", midnight, "PM2.5") == 139.2  # a station without a national code


def test_new_year_only_hourly_pollutants(new_year):
    m = new_year.measurements
    assert set(m["pollutant"].unique()) == set(POLLUTANTS)  # no X_24h, no AQI
    assert m["time"].dt.date().unique().to_list() == [NEW_YEAR]
    assert m.equals(m.sort(["station", "time", "pollutant"]))
    assert new_year.issues == []
    # only the 2015 files are opened (stations.csv and the other years are passed over)
    assert sorted(p.rsplit("/", 1)[-1] for p in new_year.sources) == [
        "beijing_all_2015.csv.gz",
        "beijing_extra_2015.csv.gz",
    ]
    assert len(new_year.stations) == 35
    assert sum(s.is_assessment for s in new_year.stations) == 23


def test_published_values(cnemc_dir):
    pub = read_cnemc_published(cnemc_dir, date_from=NEW_YEAR, date_to=NEW_YEAR, progress=False)
    assert pub.columns == ["station", "time", "type", "value"]
    assert set(pub["type"].unique()) == {"AQI", "PM2.5_24h", "PM10_24h"}
    midnight = datetime(2015, 1, 1, 0)
    assert at(pub, "1003A", midnight, "AQI", "type") == 46.0
    assert at(pub, "1003A", midnight, "PM2.5_24h", "type") == 3.4
    assert at(pub, "1003A", midnight, "PM10_24h", "type") == 45.7
    only = read_cnemc_published(
        cnemc_dir, date_from=NEW_YEAR, date_to=NEW_YEAR, types=("SO2_24h",), progress=False
    )
    assert at(only, "1003A", midnight, "SO2_24h", "type") == 9.5
    with pytest.raises(ValueError, match="unknown published type"):
        read_cnemc_published(cnemc_dir, types=("PM1",))


def test_agrees_with_prsa(cnemc_dir, prsa_dir):
    """SOURCE.md: for 2016 the two feeds carry the same hourly values (to rounding)."""
    day = date(2016, 6, 1)
    a = read_prsa(prsa_dir, date_from=day, date_to=day, progress=False).measurements
    b = read_cnemc(cnemc_dir, date_from=day, date_to=day, progress=False).measurements
    both = a.join(b, on=["station", "time", "pollutant"], how="inner")
    assert both.height > 1600
    assert set(both["station"].unique()) == {f"10{i:02d}A" for i in range(1, 13)}
    assert (both["value"] - both["value_right"]).abs().max() < 1e-9


# -- fixture ------------------------------------------------------------------------------------


def test_fixture_strict(fixtures):
    with pytest.raises(InputError) as exc:
        read_cnemc(fixtures / "cnemc_small.csv")
    assert str(exc.value) == "cnemc_small.csv, line 6, field 东四: non-numeric value 'x'"


def test_fixture_lenient(fixtures):
    result = read_cnemc(fixtures / "cnemc_small.csv", lenient=True)
    assert [str(e) for e in result.issues] == [
        "cnemc_small.csv, line 6, field 东四: non-numeric value 'x'",
        "cnemc_small.csv, line 7, field type: unknown pollutant/type 'NOx'",
        "cnemc_small.csv, line 8, field hour: bad timestamp: hour 24 outside 0..23",
        "cnemc_small.csv, line 9, field date: bad timestamp: impossible date '20150230'",
        "cnemc_small.csv, line 10, field 东四: negative value '-1'",
        "cnemc_small.csv, line 11, field 东四: duplicate 1003A 2015-01-01 00:00 PM2.5, first given on line 2",
    ]
    m = result.measurements
    assert set(m["pollutant"].unique()) == {"PM2.5", "CO"}
    assert at(m, "1003A", datetime(2015, 1, 1, 0), "PM2.5") == 3.0  # the first of the duplicates
    assert at(m, "测试站", datetime(2015, 1, 1, 1), "PM2.5") == 12.0
    assert m.filter(pl.col("invalid_reason").is_not_null()).height == 2
    # registry order, the ad-hoc station last
    assert [s.code for s in result.stations] == ["1003A", "1002A", "测试站"]
    adhoc = result.stations[-1]
    assert (adhoc.category, adhoc.city, adhoc.lon, adhoc.is_assessment) == ("unregistered", "", None, True)


def test_fixture_published(fixtures):
    pub = read_cnemc_published(fixtures / "cnemc_small.csv", lenient=True)
    assert pub.filter(pl.col("station") == "1003A").select("type", "value").sort("type").rows() == [
        ("AQI", 46.0),
        ("PM2.5_24h", 3.4),
    ]


def test_unknown_type_strict(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("date,hour,type,东四\n20150101,0,PM2.5,3\n20150101,0,PM1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_cnemc(path)
    assert str(exc.value) == "feed.csv, line 3, field type: unknown pollutant/type 'PM1'"


def test_gb18030_and_gzip(tmp_path, fixtures):
    text = (fixtures / "cnemc_small.csv").read_text(encoding="utf-8")
    good = "\n".join(text.splitlines()[:5]) + "\n"
    (tmp_path / "beijing_all_20150101.csv.gz").write_bytes(gzip.compress(good.encode("gb18030")))
    result = read(tmp_path, "cnemc", progress=False)
    assert at(result.measurements, "1003A", datetime(2015, 1, 1, 0), "PM2.5") == 3.0
    # a day outside the range: the file is skipped by its name
    assert read_cnemc(tmp_path, date_from=date(2015, 1, 2)).sources == []


def test_missing_key_column(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("date,type,东四\n20150101,PM2.5,3\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_cnemc(path)
    assert str(exc.value) == "feed.csv, line 1, field hour: missing required column"


def test_directory_without_feed_files(tmp_path, fixtures):
    shutil.copy(fixtures / "long_basic.csv", tmp_path / "other.csv")
    with pytest.raises(InputError, match="no file with a 'date,hour,type"):
        read_cnemc(tmp_path)
