"""Surface-water records read from the CNEMC release files and from a plain long CSV.

Expected values are the cells of ``../shared/data/cn-surface-water`` as published (read here with the
csv module, or copied from the file by eye), never what the importer returned.
"""

from __future__ import annotations

import csv
import gzip
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

from ecowatch.errors import InputError
from ecowatch.standards import BelowDetection, WaterIndicator
from ecowatch.water.importer import read_water_file, record_values
from ecowatch.water.registry import SectionRegistry

W = WaterIndicator
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cn-surface-water"
FOUR_HOURLY = DATA / "auto_stations_4h_2021-04-01_05.csv.gz"
DAILY = DATA / "daily_snapshots_98_sections_2020-05-10_2021-04-05.csv.gz"
NATIONAL = DATA / "national_snapshots_2020-05-08_09.csv.gz"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")


def _rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _row(read, section: str, time: str) -> dict:
    rows = read.samples.filter(
        (read.samples["name"] == section) & (read.samples["time"] == datetime.fromisoformat(time))
    ).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture(scope="module")
def four_hourly():
    return read_water_file(FOUR_HOURLY)


@needs_data
def test_four_hourly_record_as_published(four_hourly) -> None:
    # 上海市,长江流域,七效港西桥,04-01 12:00,2021-04-01T12:00,Ⅲ,
    #   17.3,7.99,8.64,861.9,67.3,5.81,0.097,0.065,1.67,*,*,正常
    row = _row(four_hourly, "七效港西桥", "2021-04-01T12:00")
    assert (row["province"], row["province_code"], row["basin"]) == ("上海市", "310000", "长江流域")
    assert row["section"].startswith("W31")
    assert (row["published_class"], row["status"], row["usable"]) == (3, "normal", True)
    assert (row["water_temp"], row["pH"], row["DO"], row["conductivity"], row["turbidity"]) == (
        17.3,
        7.99,
        8.64,
        861.9,
        67.3,
    )
    assert (row["CODMn"], row["NH3-N"], row["TP"], row["TN"]) == (5.81, 0.097, 0.065, 1.67)
    assert row["chla"] is None and row["chla_below"] is None  # "*": not monitored at a river site
    values = record_values(row, four_hourly.parameters)
    assert values[W.TP] == Fraction(65, 1000) and values[W.NH3_N] == Fraction(97, 1000)
    assert W.TN in values and set(values) == {W.PH, W.DO, W.CODMN, W.NH3_N, W.TP, W.TN}


@needs_data
def test_four_hourly_counts(four_hourly) -> None:
    rows = _rows(FOUR_HOURLY)
    without_time = sum(r["datetime"].strip() == "" for r in rows)
    keys = [(r["province"], r["section"], r["datetime"]) for r in rows if r["datetime"].strip()]
    assert (four_hourly.lines, four_hourly.without_time) == (len(rows), without_time) == (41_911, 790)
    assert four_hourly.records == len(set(keys))
    assert four_hourly.repeated == len(keys) - len(set(keys))
    assert four_hourly.samples["section"].n_unique() == len(
        {(r["province"], r["section"]) for r in rows if r["datetime"]}
    )
    maintenance = {
        (r["province"], r["section"], r["datetime"]) for r in rows if r["datetime"] and r["status"] == "维护"
    }
    assert four_hourly.samples.filter(four_hourly.samples["status"] == "maintenance").height <= len(
        maintenance
    )
    assert not four_hourly.samples.filter(four_hourly.samples["status"] != "normal")["usable"].any()
    assert four_hourly.issues == []


@needs_data
def test_the_releases_half_limit_is_below_detection(four_hourly) -> None:
    # 北京市,海河流域,鼓楼外大街,04-05 20:00,…: NH3-N printed 0.025 (half of 0.05, W-detection), TP 0.020.
    row = _row(four_hourly, "鼓楼外大街", "2021-04-05T20:00")
    assert (row["NH3-N"], row["NH3-N_below"], row["TP"], row["TP_below"]) == (0.05, True, 0.02, False)
    values = record_values(row, four_hourly.parameters)
    assert values[W.NH3_N] == BelowDetection(Fraction(5, 100))
    # No record keeps a plain 0.025 NH3-N or 0.005 TP.
    samples = four_hourly.samples
    assert samples.filter((pl.col("NH3-N") == 0.025) | (pl.col("TP") == 0.005)).height == 0
    # A record is below detection exactly where its line's cell reads 0.025 (the file's own text).
    raw = _rows(FOUR_HOURLY)
    flags = samples.select("line", "NH3-N_below").drop_nulls().iter_rows()
    assert all((raw[line - 2]["NH3N_mg_L"] == "0.025") == below for line, below in flags)
    assert samples["NH3-N_below"].sum() > 10_000


@needs_data
def test_daily_raw_values_and_city() -> None:
    read = read_water_file(DAILY)
    # 2020-05-10,天津市,海河流域,三岔口,河北区,海河,05-10 08:00,…,Ⅲ,…,TP 0.154 shown, 0.1538 raw
    row = _row(read, "三岔口", "2020-05-10T08:00")
    assert (row["city_code"], row["city"]) == ("120100", "天津市")  # 河北区 is a district of 天津市
    assert (row["TP"], row["TP_below"], row["DO"], row["published_class"]) == (0.1538, False, 6.872, 3)
    # 古北口 05-10 08:05 is in maintenance (维护) with TP "--": no TP, not usable, no class published
    row = _row(read, "古北口", "2020-05-10T08:05")
    assert (row["status"], row["usable"], row["TP"], row["TP_below"]) == ("maintenance", False, None, None)
    assert row["published_class"] is None and row["DO"] == 9.71731


@needs_data
def test_date_filter_and_national_repeats() -> None:
    read = read_water_file(NATIONAL, date_from=date(2020, 5, 8), date_to=date(2020, 5, 8))
    assert read.samples["time"].dt.date().unique().to_list() == [date(2020, 5, 8)]
    rows = _rows(NATIONAL)
    assert read_water_file(NATIONAL).repeated == len(rows) - len(
        {(r["province"], r["section"], r["datetime"]) for r in rows}
    )


def _write(tmp_path: Path, text: str, name: str = "samples.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_long_csv(tmp_path: Path) -> None:
    code = SectionRegistry.default().resolve("古北口").code
    path = _write(
        tmp_path,
        "section,time,indicator,value,unit,status,published_class\n"
        f"{code},2021-04-01 08:00,pH,7.5,,正常,Ⅱ\n"
        f"{code},2021-04-01 08:00,DO,8.1,mg/L,,\n"
        "古北口,2021-04-01 08:00,TP,<0.01,mg/L,,\n"
        f"{code},2021-04-01 08:00,NH3-N,ND,,,\n"
        f"{code},2021-04-01 12:00,CODMn,2500,µg/L,维护,\n",
    )
    read = read_water_file(path)
    assert read.layout == "long" and read.records == 2
    first = read.samples.row(0, named=True)
    assert (first["name"], first["published_class"], first["status"], first["usable"]) == (
        "古北口",
        2,
        "normal",
        True,
    )
    assert (first["pH"], first["DO"], first["TP"], first["TP_below"], first["NH3-N_below"]) == (
        7.5,
        8.1,
        0.01,
        True,
        True,
    )
    assert record_values(first, read.parameters) == {
        W.PH: Fraction(15, 2),
        W.DO: Fraction(81, 10),
        W.TP: BelowDetection(Fraction(1, 100)),
        W.NH3_N: BelowDetection(None),
    }
    second = read.samples.row(1, named=True)
    assert (second["CODMn"], second["status"], second["usable"]) == (2.5, "maintenance", False)


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ("W110003,2021-04-01 08:00,TP,abc,,,", "value", "not a number, '<detection limit' or 'ND': 'abc'"),
        ("W110003,2021-04-01 08:00,DO,<1,,,", "value", "'<1': DO is measured, never below detection"),
        ("W110003,2021-04-31 08:00,TP,0.1,,,", "time", "bad time '2021-04-31 08:00'"),
        ("W999999,2021-04-01 08:00,TP,0.1,,,", "section", "'W999999' is neither a section code"),
        ("W110003,2021-04-01 08:00,TPX,0.1,,,", "indicator", "unknown indicator 'TPX'"),
        ("W110003,2021-04-01 08:00,TP,0.1,mg/m3,,", "unit", "unit 'mg/m3' is not that of TP (mg/L)"),
        ("W110003,2021-04-01 08:00,TP,0.1,,休息,", "status", "unknown station status '休息'"),
        ("W110003,2021-04-01 08:00,TP,0.1,,,VI", "published_class", "unknown class 'VI'"),
    ],
)
def test_long_csv_errors_name_file_line_field(tmp_path: Path, line: str, field: str, reason: str) -> None:
    path = _write(tmp_path, f"section,time,indicator,value,unit,status,published_class\n{line}\n")
    with pytest.raises(InputError) as caught:
        read_water_file(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == ("samples.csv", 2, field)
    assert reason in caught.value.reason
    lenient = read_water_file(path, lenient=True)
    assert len(lenient.issues) == 1


def test_cnemc_errors_and_lenient(tmp_path: Path) -> None:
    header = (
        "province,basin,section,time_published,datetime,water_class,water_temp_C,pH,DO_mg_L,"
        "conductivity_uS_cm,turbidity_NTU,CODMn_mg_L,NH3N_mg_L,TP_mg_L,TN_mg_L,chla_mg_L,algae_cells_L,status\n"
    )
    start = "上海市,长江流域,七效港西桥,04-01 12:00,2021-04-01T12:00,Ⅲ,"
    good = start + "17.3,7.99,8.64,861.9,67.3,5.81,0.097,0.065,1.67,*,*,正常\n"
    later = "上海市,长江流域,{},04-01 16:00,2021-04-01T16:00,Ⅲ,17.4,7.97,8.38,895.4,104.5,5.63,"
    bad = later.format("七效港西桥") + "0.O90,0.057,1.54,*,*,正常\n"
    unknown = later.format("没有的断面") + "0.09,0.057,1.54,*,*,正常\n"
    path = _write(tmp_path, header + good + bad + unknown, "release.csv")
    with pytest.raises(InputError) as caught:
        read_water_file(path)
    assert (
        str(caught.value)
        == "release.csv, line 3, field NH3N_mg_L: not a number, '<detection limit' or 'ND': '0.O90'"
    )
    read = read_water_file(path, lenient=True)
    assert [str(e) for e in read.issues][1].startswith(
        "release.csv, line 4, field section: section '没有的断面' of 上海市"
    )
    assert read.records == 2 and read.unknown_sections == 1
    marked = read.samples.row(1, named=True)
    assert marked["NH3-N"] is None and marked["TP"] == 0.057
    assert marked["invalid_reason"] == "NH3-N: not a number, '<detection limit' or 'ND': '0.O90'"


def test_a_days_read_parses_only_that_days_values(tmp_path: Path) -> None:
    # The demo reads one day of a five-day file: a record of another day is dropped with its time, so
    # its bad value (0.O90 on 04-01) is no issue of a read of 04-02; reading 04-01 reports it.
    header = (
        "province,basin,section,time_published,datetime,water_class,water_temp_C,pH,DO_mg_L,"
        "conductivity_uS_cm,turbidity_NTU,CODMn_mg_L,NH3N_mg_L,TP_mg_L,TN_mg_L,chla_mg_L,algae_cells_L,status\n"
    )
    other_day = "上海市,长江流域,七效港西桥,04-01 16:00,2021-04-01T16:00,Ⅲ,17.4,7.97,8.38,895.4,104.5,5.63,"
    day = "上海市,长江流域,七效港西桥,04-02 08:00,2021-04-02T08:00,Ⅲ,17.3,7.99,8.64,861.9,67.3,5.81,"
    path = _write(
        tmp_path,
        header + other_day + "0.O90,0.057,1.54,*,*,正常\n" + day + "0.097,0.065,1.67,*,*,正常\n",
        "release.csv",
    )
    read = read_water_file(path, date_from=date(2021, 4, 2), date_to=date(2021, 4, 2))
    assert read.issues == [] and read.lines == 2
    assert [(row["time"].isoformat(), row["NH3-N"]) for row in read.samples.iter_rows(named=True)] == [
        ("2021-04-02T08:00:00", 0.097)
    ]
    with pytest.raises(InputError, match="line 2, field NH3N_mg_L"):
        read_water_file(path, date_from=date(2021, 4, 1), date_to=date(2021, 4, 1))


def test_unknown_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(InputError, match="neither the CNEMC release header"):
        read_water_file(path)


@needs_data
def test_a_folder_reads_its_record_files_and_passes_over_others(tmp_path: Path) -> None:
    import shutil

    shutil.copy(DATA / "sections.csv", tmp_path / "sections.csv")  # the release's section list: not records
    shutil.copy(NATIONAL, tmp_path / NATIONAL.name)
    _write(tmp_path, "section,time,indicator,value\nW110003,2021-04-01 08:00,TP,0.1\n", "extra.csv")
    read = read_water_file(tmp_path)
    assert read.layout == "cnemc+long"
    assert [Path(s).name for s in read.sources] == ["extra.csv", NATIONAL.name]
    assert read.lines == len(_rows(NATIONAL)) + 1
    empty = tmp_path / "none"
    empty.mkdir()
    shutil.copy(DATA / "sections.csv", empty / "sections.csv")
    with pytest.raises(InputError, match="no file with a CNEMC water release or long water CSV header"):
        read_water_file(empty)


def test_gb18030_and_gzip(tmp_path: Path) -> None:
    text = "section,time,indicator,value,unit,status\n古北口,2021-04-01 08:00,TP,0.05,mg/L,维护\n"
    plain = tmp_path / "gbk.csv"
    plain.write_bytes(text.encode("gb18030"))
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    for path in (plain, packed):
        row = read_water_file(path).samples.row(0, named=True)
        assert (row["name"], row["TP"], row["status"], row["usable"]) == (
            "古北口",
            0.05,
            "maintenance",
            False,
        )


def test_water_temperature_may_be_below_zero(tmp_path: Path) -> None:
    path = _write(tmp_path, "section,time,indicator,value\nW110003,2021-01-10 08:00,water_temp,-0.4\n")
    row = read_water_file(path).samples.row(0, named=True)
    assert (row["water_temp"], row["water_temp_below"]) == (-0.4, False)
