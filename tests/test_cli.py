"""The ``ecowatch`` command line, end to end, against figures worked out by hand.

Most tests run ``ecowatch.cli.app`` in-process with typer's ``CliRunner``; one runs the installed
console script in a subprocess. The assessment tests use a tiny synthetic network written as a
long CSV (:data:`NETWORK`); every expected figure below is derived from that table by hand, in the
comments next to it, from HJ 633 (IAQI), HJ 663 (statistics) and GB 3095 (limits, validity).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ecowatch.cli import app

DATA = Path(__file__).resolve().parent / "data" / "assessment"
CASES = DATA / "aqi_cli_cases.csv"
EXPECTED = DATA / "aqi_cli_expected.csv"

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    """The text with all whitespace removed (rich wraps long messages at the console width)."""
    return "".join(text.split())


def ok_json(*args: object):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def failed(*args: object) -> str:
    """Run a command that must fail cleanly; return its stderr, flattened."""
    result = invoke(*args)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception  # a message, not a crash
    return flat(result.stderr)


# ----------------------------------------------------------------------------------------------
# ecowatch air aqi
# ----------------------------------------------------------------------------------------------

AQI_KEYS = {"id", "aqi", "level", "category_en", "category_zh", "primary_pollutants", "iaqi"}
CATEGORY_ZH = {1: "优", 2: "良", 3: "轻度污染", 4: "中度污染", 5: "重度污染", 6: "严重污染"}


def expected_cases(standard: str) -> dict[str, dict]:
    with EXPECTED.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["standard"] == standard]
    out = {}
    for row in rows:
        out[row["id"]] = {
            "aqi": None if row["aqi"] == "NA" else int(row["aqi"]),
            "level": None if row["level"] == "NA" else int(row["level"]),
            "category_en": row["category_en"] or None,
            "primary_pollutants": sorted(filter(None, row["primary_pollutants"].split(";"))),
            "iaqi": {k: int(v) for k, v in (pair.split("=") for pair in row["iaqi"].split(";"))},
        }
    return out


@pytest.mark.parametrize("standard", ["2012", "2026"])
def test_aqi_json_matches_hand_worked_cases(standard):
    results = {
        row["id"]: row for row in ok_json("air", "aqi", "--input", CASES, "--standard", standard, "--json")
    }
    expected = expected_cases(standard)
    assert len(expected) >= 8
    for case_id, want in expected.items():
        got = results[case_id]
        assert set(got) >= AQI_KEYS, case_id
        assert got["aqi"] == want["aqi"], case_id
        assert got["level"] == want["level"], case_id
        assert got["category_en"] == want["category_en"], case_id
        assert got["category_zh"] == (CATEGORY_ZH[want["level"]] if want["level"] else None), case_id
        assert sorted(got["primary_pollutants"]) == want["primary_pollutants"], case_id
        assert got["iaqi"] == want["iaqi"], case_id


def test_aqi_json_is_one_object_per_case_in_file_order():
    results = ok_json("air", "aqi", "--input", CASES, "--json")
    with CASES.open(encoding="utf-8") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    assert [row["id"] for row in results] == ids


@pytest.mark.parametrize(
    ("now", "edition_in_force"),
    [
        # GB 3095—2026 / HJ 633—2026 are in force from 2026-03-01, a Beijing date.
        ("2026-02-28T15:59:00+00:00", "2012"),  # 23:59 in Beijing
        ("2026-02-28T16:00:00+00:00", "2026"),  # 00:00 on 1 March in Beijing
        ("2027-01-05T10:00:00+08:00", "2026"),
    ],
)
def test_aqi_default_standard_is_the_edition_in_force_on_the_beijing_date(monkeypatch, now, edition_in_force):
    monkeypatch.setenv("ECOWATCH_NOW", now)
    default = ok_json("air", "aqi", "--input", CASES, "--json")
    assert default == ok_json("air", "aqi", "--input", CASES, "--standard", edition_in_force, "--json")
    # The editions really differ on these cases (PM2.5 75: 114 under 2026, 100 under 2012).
    pm25_75 = {"2012": 100, "2026": 114}[edition_in_force]
    assert [row["aqi"] for row in default if row["id"] == "p26_1_pm25_75"] == [pm25_75]


def test_aqi_table_output_shows_the_index(tmp_path):
    cases = tmp_path / "one.csv"
    cases.write_text("id,averaging,SO2,NO2,PM10,PM2.5,CO,O3_1h,O3_8h\nx,day,,,,75,,,\n", encoding="utf-8")
    result = invoke("air", "aqi", "--input", cases, "--standard", "2026")
    assert result.exit_code == 0, result.output
    assert "114" in result.stdout
    assert "轻度污染" in result.stdout


HEADER = "id,averaging,SO2,NO2,PM10,PM2.5,CO,O3_1h,O3_8h\n"


@pytest.mark.parametrize(
    ("rows", "line", "field", "words"),
    [
        ("a,day,,,,35,,,\nb,week,,,,35,,,\n", 3, "averaging", "'week'"),
        ("a,day,,,,35,,,\nb,day,,abc,,35,,,\n", 3, "NO2", "non-numeric"),
        ("a,day,,,,-1,,,\n", 2, "PM2.5", "'-1'"),
        ("a,day,,,,35,,,\nb,day,,,,35,1.0,,-0.5\n", 3, "O3_8h", "'-0.5'"),
    ],
    ids=["bad-averaging", "non-numeric", "negative", "negative-last-column"],
)
def test_aqi_bad_input_names_file_line_and_field(tmp_path, rows, line, field, words):
    path = tmp_path / "cases_bad.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    message = failed("air", "aqi", "--input", path, "--json")
    assert "cases_bad.csv" in message
    assert f"line{line},field{field}" in message
    assert flat(words) in message


def test_aqi_missing_column_is_reported(tmp_path):
    path = tmp_path / "cases_cols.csv"
    path.write_text("id,averaging,SO2,NO2,PM10,PM2.5,CO,O3_1h\na,day,,,,35,,\n", encoding="utf-8")
    message = failed("air", "aqi", "--input", path, "--json")
    assert "line1,fieldO3_8h" in message


def test_console_script_runs_in_a_subprocess():
    script = Path(sys.executable).with_name("ecowatch")
    if not script.exists():
        pytest.skip(f"console script not installed beside {sys.executable}")
    done = subprocess.run(
        [str(script), "air", "aqi", "--input", str(CASES), "--standard", "2026", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    by_id = {row["id"]: row for row in json.loads(done.stdout)}
    assert by_id["p26_1_pm25_75"]["aqi"] == 114
    assert by_id["p26_22_pm25_40"]["aqi"] is None
    assert by_id["p26_22_pm25_40"]["iaqi"] == {"PM2.5": 60}


def test_console_script_error_goes_to_stderr_with_exit_code(tmp_path):
    script = Path(sys.executable).with_name("ecowatch")
    if not script.exists():
        pytest.skip(f"console script not installed beside {sys.executable}")
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "a,day,,,,x1,,,\n", encoding="utf-8")
    done = subprocess.run(
        [str(script), "air", "aqi", "--input", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert "line 2, field PM2.5: non-numeric value 'x1'" in done.stderr


# ----------------------------------------------------------------------------------------------
# The synthetic network for air assess / daily / explain
# ----------------------------------------------------------------------------------------------

DAYS = (dt.date(2026, 4, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 3))
FROM, TO = "2026-04-01", "2026-04-03"
GASES = ("SO2", "NO2", "CO", "PM10", "PM2.5")
O3_PEAK_HOURS = range(12, 20)  # hour labels 12..19: exactly the 8-h window "12-19"

# Per station and day: SO2, NO2, CO (mg/m³), PM10, PM2.5 (constant for all 24 hours), then O3 as
# (value outside the peak, value in hours 12-19). Ad-hoc station names -> category "unregistered",
# city "" -> both form the city named "city".
NETWORK: Mapping[str, tuple[tuple[float, ...], ...]] = {
    "S1": ((8, 20, 0.4, 40, 30, 40, 80), (8, 20, 0.4, 70, 60, 40, 80), (8, 20, 0.4, 40, 20, 40, 110)),
    "S2": ((12, 30, 0.6, 60, 40, 60, 100), (12, 30, 0.6, 90, 80, 60, 100), (12, 30, 0.6, 60, 30, 60, 130)),
}
# City hourly = mean of S1 and S2 hour by hour, so (all hours present):
#   day 1: SO2 10, NO2 25, CO 0.5, PM10 50, PM2.5 35, O3 50 / peak 90 -> max 8-h 90, max 1-h 90
#   day 2: SO2 10, NO2 25, CO 0.5, PM10 80, PM2.5 70, O3 max 8-h 90
#   day 3: SO2 10, NO2 25, CO 0.5, PM10 50, PM2.5 25, O3 50 / peak 120 -> max 8-h 120, max 1-h 120
# IAQI, HJ 633—2026 表3 (PM2.5 35/60/115 at 50/100/150; PM10 50/120 at 50/100), ceil:
#   day 1: PM2.5 50, PM10 50, SO2 10, NO2 31.25->32, CO 12.5->13, O3_8h 45          -> AQI 50, level 1
#   day 2: PM2.5 100+10*50/55=109.1->110, PM10 50+30*50/70=71.4->72                -> AQI 110, level 3, PM2.5
#   day 3: PM2.5 25*50/35=35.7->36, PM10 50, O3_8h 50+20*50/60=66.7->67            -> AQI 67, level 2, O3_8h
# IAQI, HJ 633-2012 表1 (PM2.5 35/75, PM10 50/150; O3_1h enters the daily AQI):
#   day 1: AQI 50 (O3_1h 90 -> 28.1 -> 29), level 1
#   day 2: PM2.5 50+35*50/40=93.75->94, PM10 65                                     -> AQI 94, level 2
#   day 3: O3_8h 67, O3_1h 120 -> 37.5 -> 38                                          -> AQI 67, level 2


def network_rows(network=NETWORK, days=DAYS, drop=frozenset(), override=None) -> list[str]:
    """Long-format lines. ``drop``: {(station, day index, pollutant, hour)} to leave out;
    ``override``: {(station, day index, pollutant, hour): cell text}."""
    override = override or {}
    lines = ["station,time,pollutant,value"]
    for station, per_day in network.items():
        for d, (day, spec) in enumerate(zip(days, per_day, strict=True)):
            for hour in range(24):
                stamp = f"{day.isoformat()} {hour:02d}:00"
                values = dict(zip(GASES, spec[:5], strict=True))
                values["O3"] = spec[6] if hour in O3_PEAK_HOURS else spec[5]
                for pollutant, value in values.items():
                    key = (station, d, pollutant, hour)
                    if key in drop:
                        continue
                    lines.append(f"{station},{stamp},{pollutant},{override.get(key, value)}")
    return lines


def write_network(path: Path, **kw) -> Path:
    path.write_text("\n".join(network_rows(**kw)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def network(tmp_path) -> Path:
    return write_network(tmp_path / "network.csv")


def assess(path: Path, *extra: object, fmt: str = "long", first: str = FROM, last: str = TO) -> dict:
    return ok_json("air", "assess", path, "--format", fmt, "--from", first, "--to", last, *extra, "--json")


SITE_KEYS = {
    "PM2.5",
    "PM10",
    "SO2",
    "NO2",
    "CO",
    "O3",
    "valid_days",
    "good_days",
    "good_ratio_pct",
    "days_by_level",
    "exceedance_days",
    "comprehensive_index",
    "excluding_dust",
}


def headline(site: dict) -> dict:
    return {p: site[p]["value"] for p in ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")}


def levels(*counts: int) -> dict[str, int]:
    return {str(i + 1): (counts[i] if i < len(counts) else 0) for i in range(6)}


# ----------------------------------------------------------------------------------------------
# ecowatch air assess
# ----------------------------------------------------------------------------------------------


def test_assess_json_shape(network):
    result = assess(network)
    assert {"period", "stations", "city", "by_station"} <= set(result)
    assert result["period"]["from"] == FROM
    assert result["period"]["to"] == TO
    assert sorted(result["stations"]) == ["S1", "S2"]
    assert set(result["by_station"]) == {"S1", "S2"}
    for site in (result["city"], *result["by_station"].values()):
        assert set(site) >= SITE_KEYS
        assert SITE_KEYS - {"excluding_dust"} <= set(site["excluding_dust"])
        assert {p: site[p]["statistic"] for p in ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")} == {
            "PM2.5": "mean",
            "PM10": "mean",
            "SO2": "mean",
            "NO2": "mean",
            "CO": "p95_daily",
            "O3": "p90_daily_max8h",
        }
        assert set(site["days_by_level"]) == {"1", "2", "3", "4", "5", "6"}
        assert set(site["exceedance_days"]) == {"PM2.5", "PM10", "SO2", "NO2", "CO", "O3"}


def test_assess_city_figures_2026(network):
    city = assess(network)["city"]
    # Period means of the city's daily values: PM2.5 (35+70+25)/3 = 43.3 -> 43; PM10 (50+80+50)/3 = 60;
    # SO2 10; NO2 25; CO p95 of (0.5, 0.5, 0.5) = 0.5; O3 p90 of max 8-h (90, 90, 120):
    # k = 1 + 2*0.9 = 2.8 -> 90 + (120-90)*0.8 = 114 (HJ 663 附录A).
    assert headline(city) == {"PM2.5": 43, "PM10": 60, "SO2": 10, "NO2": 25, "CO": 0.5, "O3": 114}
    # PM2.5 p95 of (25, 35, 70): k = 2.9 -> 35 + 35*0.9 = 66.5 -> 66 (GB/T 8170: half to even).
    assert city["PM2.5"]["p95_daily"] == 66
    assert city["valid_days"] == 3
    assert city["days_by_level"] == levels(1, 1, 1)
    assert city["good_days"] == 2
    assert city["good_ratio_pct"] == 66.7  # 2/3 = 66.67 -> one decimal
    assert city["exceedance_days"] == {"PM2.5": 1, "PM10": 0, "SO2": 0, "NO2": 0, "CO": 0, "O3": 0}
    # GB 3095—2026 transitional grade II: SO2 60, NO2 40, PM10 60, PM2.5 30 (annual), CO 4, O3 160:
    # 10/60 + 25/40 + 60/60 + 43/30 + 0.5/4 + 114/160 = 4.0625 -> 4.06
    assert city["comprehensive_index"] == 4.06


def test_assess_station_figures(network):
    by_station = assess(network)["by_station"]
    s1, s2 = by_station["S1"], by_station["S2"]
    # S1 PM2.5 (30+60+20)/3 = 36.7 -> 37. Daily AQI (2026): day 1 PM2.5 30 -> 42.9 -> 43; day 2
    # PM2.5 60 -> 100 (not above 100: good); day 3 O3_8h 110 -> 58.3 -> 59.
    assert headline(s1) == {"PM2.5": 37, "PM10": 50, "SO2": 8, "NO2": 20, "CO": 0.4, "O3": 104}
    assert s1["days_by_level"] == levels(1, 2)
    assert s1["good_ratio_pct"] == 100.0
    # 8/60 + 20/40 + 50/60 + 37/30 + 0.4/4 + 104/160 = 3.45
    assert s1["comprehensive_index"] == 3.45
    # S2: day 1 PM2.5 40 -> 60 (level 2); day 2 PM2.5 80 -> 118.2 -> 119 (level 3); day 3 O3 130 -> 75.
    assert headline(s2) == {"PM2.5": 50, "PM10": 70, "SO2": 12, "NO2": 30, "CO": 0.6, "O3": 124}
    assert s2["days_by_level"] == levels(0, 2, 1)
    assert s2["good_ratio_pct"] == 66.7
    assert s2["exceedance_days"]["PM2.5"] == 1


def test_assess_standard_2012_vs_2026_on_pm25_between_60_and_75(network):
    new = assess(network, "--standard", "2026")
    old = assess(network, "--standard", "2012")
    assert new["period"]["standard"] == "2026"
    assert old["period"]["standard"] == "2012"
    # Day 2's city PM2.5 is 70: IAQI 110 under 2026 (polluted), 94 under 2012 (good).
    assert new["city"]["days_by_level"] == levels(1, 1, 1)
    assert old["city"]["days_by_level"] == levels(1, 2)
    assert (new["city"]["good_days"], old["city"]["good_days"]) == (2, 3)
    assert (new["city"]["good_ratio_pct"], old["city"]["good_ratio_pct"]) == (66.7, 100.0)
    assert new["city"]["exceedance_days"]["PM2.5"] == 1
    assert old["city"]["exceedance_days"]["PM2.5"] == 0
    # Concentrations do not depend on the edition; the index does through the limits (2012: PM10 70,
    # PM2.5 35): 10/60 + 25/40 + 60/70 + 43/35 + 0.5/4 + 114/160 = 3.7149 -> 3.71
    assert headline(new["city"]) == headline(old["city"])
    assert old["city"]["comprehensive_index"] == 3.71


def comparable(result: dict) -> dict:
    """An assess result without what legitimately differs between equivalent runs."""
    period = {k: v for k, v in result["period"].items() if k != "daily_aqi_edition"}
    return {**result, "period": period, "stations": sorted(result["stations"])}


def test_assess_default_standard_follows_the_date_of_the_data(tmp_path, network):
    default = assess(network)
    assert default["period"]["standard"] == "2026"
    assert comparable(default) == comparable(assess(network, "--standard", "2026"))
    days_2015 = tuple(day.replace(year=2015) for day in DAYS)
    old = write_network(tmp_path / "network_2015.csv", days=days_2015)
    result = assess(old, first="2015-04-01", last="2015-04-03")
    assert result["period"]["standard"] == "2012"
    assert result["city"]["days_by_level"] == levels(1, 2)
    assert result["city"]["comprehensive_index"] == 3.71


def test_assess_stations_override(network):
    result = assess(network, "--stations", "s1")  # names are matched case-insensitively
    assert result["stations"] == ["S1"]
    city = result["city"]
    assert headline(city) == {"PM2.5": 37, "PM10": 50, "SO2": 8, "NO2": 20, "CO": 0.4, "O3": 104}
    assert city["days_by_level"] == levels(1, 2)
    assert city["comprehensive_index"] == 3.45
    assert set(result["by_station"]) == {"S1", "S2"}  # every station is still reported


def test_assess_ad_hoc_stations_keep_their_order_of_appearance(tmp_path):
    names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    path = tmp_path / "six.csv"
    path.write_text(
        "station,time,pollutant,value\n" + "".join(f"{n},{FROM} 00:00,PM2.5,1\n" for n in names),
        encoding="utf-8",
    )
    # Five runs in a row; a random order (720 permutations) passes all five by chance with p ~ 5e-15.
    for _ in range(5):
        result = assess(path, last=FROM)
        assert result["stations"] == names
        assert list(result["by_station"]) == names


def test_assess_unknown_station_in_override(network):
    message = failed(
        "air",
        "assess",
        network,
        "--format",
        "long",
        "--from",
        FROM,
        "--to",
        TO,
        "--stations",
        "S1,Nowhere",
        "--json",
    )
    assert "Nowhere" in message
    assert "--stations" in message


def test_assess_station_named_twice_counts_once(network):
    twice = assess(network, "--stations", "S1,S2,S1")
    once = assess(network, "--stations", "S1,S2")
    # (S1, S2, S1) gives PM2.5 (2*36.7 + 50)/3 = 41 instead of the city's 43.
    assert twice["city"] == once["city"]


DUST_HEADER = "city,date,kind,approved_by\n"


def test_assess_dust_day_changes_excluding_dust_of_the_city(tmp_path, network):
    # Ad-hoc stations have city "", so the city they form is named "city" (select_city_members).
    dust = tmp_path / "dust.csv"
    dust.write_text(DUST_HEADER + "city,2026-04-02,sand_dust,CNEMC\n", encoding="utf-8")
    result = assess(network, "--dust-days", dust)
    city = result["city"]
    without = city["excluding_dust"]
    # With every day: unchanged (see test_assess_city_figures_2026).
    assert city["PM2.5"]["value"] == 43
    assert city["days_by_level"] == levels(1, 1, 1)
    # Without day 2's PM10 and PM2.5 (the 2016 rule removes particulates only):
    # PM2.5 (35+25)/2 = 30 from 2 days, PM10 (50+50)/2 = 50; gases keep 3 days.
    assert headline(without) == {"PM2.5": 30, "PM10": 50, "SO2": 10, "NO2": 25, "CO": 0.5, "O3": 114}
    assert without["PM2.5"]["days"] == 2
    assert without["SO2"]["days"] == 3
    # Day 2's AQI from the gases: max(SO2 10, NO2 32, CO 13, O3_8h 45) = 45 -> level 1; still counted.
    assert without["valid_days"] == 3
    assert without["days_by_level"] == levels(2, 1)
    assert without["good_ratio_pct"] == 100.0
    assert without["exceedance_days"]["PM2.5"] == 0
    # 10/60 + 25/40 + 50/60 + 30/30 + 0.5/4 + 114/160 = 3.4625 exactly -> 3.46 (half to even)
    assert without["comprehensive_index"] == 3.46
    assert result["exclusions"] == [
        {
            "city": "city",
            "date": "2026-04-02",
            "kind": "sand_dust",
            "pollutants": ["PM10", "PM2.5"],
            "approved_by": "CNEMC",
        }
    ]


def test_assess_dust_day_reaches_the_member_stations(tmp_path, network):
    dust = tmp_path / "dust.csv"
    dust.write_text(DUST_HEADER + "city,2026-04-02,sand_dust,CNEMC\n", encoding="utf-8")
    s1 = assess(network, "--dust-days", dust)["by_station"]["S1"]["excluding_dust"]
    # S1 without day 2's PM: PM2.5 (30+20)/2 = 25 from 2 days.
    assert (s1["PM2.5"]["value"], s1["PM2.5"]["days"]) == (25, 2)


def test_assess_dust_day_of_another_city_changes_nothing(tmp_path, network):
    dust = tmp_path / "dust.csv"
    dust.write_text(DUST_HEADER + "北京,2026-04-02,sand_dust,CNEMC\n", encoding="utf-8")
    city = assess(network, "--dust-days", dust)["city"]
    assert city["excluding_dust"] == {k: v for k, v in city.items() if k != "excluding_dust"}


def test_assess_bad_dust_file_names_line_and_field(tmp_path, network):
    dust = tmp_path / "dust_bad.csv"
    dust.write_text(
        DUST_HEADER + "city,2026-04-02,sand_dust,CNEMC\ncity,2026-04-03,volcano,CNEMC\n", encoding="utf-8"
    )
    message = failed(
        "air",
        "assess",
        network,
        "--format",
        "long",
        "--from",
        FROM,
        "--to",
        TO,
        "--dust-days",
        dust,
        "--json",
    )
    assert "dust_bad.csv" in message
    assert "line3,fieldkind" in message


def test_assess_dust_row_without_city_is_an_error(tmp_path, network):
    dust = tmp_path / "dust_nocity.csv"
    dust.write_text(DUST_HEADER + ",2026-04-02,sand_dust,CNEMC\n", encoding="utf-8")
    message = failed(
        "air",
        "assess",
        network,
        "--format",
        "long",
        "--from",
        FROM,
        "--to",
        TO,
        "--dust-days",
        dust,
        "--json",
    )
    assert "line2,fieldcity" in message


def test_assess_cnemc_layout_gives_the_same_figures(tmp_path, network):
    # The same network in the wide real-time layout date,hour,type,<stations>.
    lines = ["date,hour,type,S1,S2"]
    for d, day in enumerate(DAYS):
        for hour in range(24):
            for i, pollutant in enumerate((*GASES, "O3")):
                cells = []
                for station in ("S1", "S2"):
                    spec = NETWORK[station][d]
                    value = spec[i] if i < 5 else (spec[6] if hour in O3_PEAK_HOURS else spec[5])
                    cells.append(str(value))
                lines.append(f"{day:%Y%m%d},{hour},{pollutant},{','.join(cells)}")
    wide = tmp_path / "wide.csv"
    wide.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert comparable(assess(wide, fmt="cnemc")) == comparable(assess(network))


def test_assess_to_before_from_is_an_error(network):
    message = failed("air", "assess", network, "--format", "long", "--from", TO, "--to", FROM, "--json")
    assert "before" in message


def test_assess_bad_date_option(network):
    message = failed("air", "assess", network, "--format", "long", "--from", "2026-4-1", "--to", TO, "--json")
    assert "--from" in message


def test_assess_table_output(network):
    result = invoke("air", "assess", network, "--format", "long", "--from", FROM, "--to", TO)
    assert result.exit_code == 0, result.output
    assert "4.06" in result.stdout
    assert "66.7" in result.stdout


@pytest.fixture
def control_only(tmp_path) -> Path:
    """One day of Dingling (1002A), the control point: no assessment station, so no city."""
    rows = ["station,time,pollutant,value"] + [f"Dingling,{FROM} {h:02d}:00,PM2.5,5" for h in range(24)]
    path = tmp_path / "control_only.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_assess_json_without_assessment_stations_has_no_city(control_only):
    result = assess(control_only, last=FROM)
    assert result["stations"] == []
    assert result["city"] is None
    assert set(result["by_station"]) == {"1002A"}


def test_assess_table_without_assessment_stations_does_not_crash(control_only):
    result = invoke("air", "assess", control_only, "--format", "long", "--from", FROM, "--to", FROM)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def test_explain_without_assessment_stations_does_not_crash(control_only):
    result = invoke("air", "explain", control_only, "--format", "long", "--date", FROM)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# -- bad input in the data file -----------------------------------------------------------------


def _with_line(path: Path, line_text: str) -> int:
    """Append a line to ``path``; return its 1-based line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(line_text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


@pytest.mark.parametrize(
    ("bad_line", "field", "words"),
    [
        ("S1,2026-04-01 00:00,PM1,5", "pollutant", "unknown pollutant 'PM1'"),
        ("S1,2026-04-01 00:00,CO2,5", "pollutant", "unknown pollutant 'CO2'"),
        ("S3,2026-04-01 00:00,PM2.5,abc", "value", "non-numeric value 'abc'"),
        ("S3,2026-04-01 00:00,PM2.5,-5", "value", "negative value '-5'"),
        ("S1,2026-04-01 00:00,PM2.5,31", "value", "duplicate S1 2026-04-01 00:00 PM2.5, first given on line"),
        ("S3,2026-04-01 24:00,PM2.5,5", "time", "bad timestamp '2026-04-01 24:00'"),
        ("S3,2026-02-30 01:00,PM2.5,5", "time", "impossible date"),
        ("S3,01/04/2026 01:00,PM2.5,5", "time", "bad timestamp"),
    ],
    ids=[
        "unknown-pollutant",
        "co2",
        "non-numeric",
        "negative",
        "duplicate-hour",
        "hour-24",
        "feb-30",
        "not-iso",
    ],
)
def test_assess_bad_input_names_file_line_and_field(network, bad_line, field, words):
    line = _with_line(network, bad_line)
    message = failed(
        "air", "assess", network, "--format", "long", "--from", "2026-01-01", "--to", TO, "--json"
    )
    assert "network.csv" in message
    assert f"line{line},field{field}" in message
    assert flat(words) in message


def test_assess_lenient_marks_bad_values_invalid_and_counts_them(network):
    # S1 day 1: hour 5's PM2.5 is -5 (invalid), and hour 6 is given twice (the second, 999, is a
    # duplicate); one more line has a non-numeric NO2.
    rows = network.read_text(encoding="utf-8").replace(
        "S1,2026-04-01 05:00,PM2.5,30", "S1,2026-04-01 05:00,PM2.5,-5"
    )
    network.write_text(rows, encoding="utf-8")
    _with_line(network, "S1,2026-04-01 06:00,PM2.5,999")
    _with_line(network, "S2,2026-04-01 00:00,NO3,1")
    strict = failed("air", "assess", network, "--format", "long", "--from", FROM, "--to", TO, "--json")
    assert "negativevalue'-5'" in strict
    result = assess(network, "--lenient")
    assert result["input_issues"]["count"] == 3
    reasons = " | ".join(result["input_issues"]["first"])
    assert "negative value '-5'" in reasons
    assert "duplicate S1 2026-04-01 06:00 PM2.5" in reasons
    assert "unknown pollutant 'NO3'" in reasons
    # The validity report counts the value kept as invalid (the duplicate and the unknown pollutant's
    # line are not values of the table; they are counted as issues above).
    assert result["validity"]["hourly_values_invalid"] == 1
    assert result["validity"]["invalid_by_reason"] == {"negative value '-5'": 1}
    # S1 day 1 PM2.5 from the 23 other hours = 30, so the period mean is still (30+60+20)/3 -> 37;
    # had -5 been taken, day 1 would be (23*30-5)/24 = 28.5 and the mean 36.2 -> 36; had 999 been
    # taken instead of the first value, day 1 would be 70.4 and the mean 50.
    s1 = result["by_station"]["S1"]
    assert (s1["PM2.5"]["value"], s1["PM2.5"]["days"]) == (37, 3)
    assert result["city"]["PM2.5"]["value"] == 43


# ----------------------------------------------------------------------------------------------
# ecowatch air daily
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def short_day(tmp_path) -> Path:
    """The network with S1's PM2.5 missing at hours 0-4 of day 2 (19 valid hours)."""
    drop = {("S1", 1, "PM2.5", hour) for hour in range(5)}
    return write_network(tmp_path / "short_day.csv", drop=drop)


def daily_rows(frame: pl.DataFrame) -> dict[tuple[str, str], dict]:
    return {(str(row["site"]), str(row["date"])): row for row in frame.iter_rows(named=True)}


def check_daily(rows: dict[tuple[str, str], dict]) -> None:
    assert len(rows) == 9  # city + 2 stations, 3 days
    s1 = rows[("S1", "2026-04-02")]
    assert s1["PM2.5"] is None
    assert s1["IAQI_PM2.5"] is None
    # 2026, PM2.5 invalid: AQI from the others = max(PM10 70 -> 65, SO2 8, NO2 25, CO 10, O3 40) = 65,
    # not above 100 -> NA (HJ 633—2026 §5.3.1), and the day is not counted.
    assert s1["AQI"] is None
    assert s1["level"] is None
    assert s1["counted"] in (False, "false")
    assert s1["invalid"] == "PM2.5: 19 valid hours < 20 required (GB 3095 表4)"
    # The city's day is the mean of its stations' valid days (docs/decisions.md row 12): S1's (19 h) is
    # invalid, so PM2.5 = S2's 80, IAQI 100 + 20*50/55 = 118.2 -> 119. (Hour by hour it was 72.08.)
    city = rows[("city", "2026-04-02")]
    assert city["kind"] == "city"
    assert city["PM2.5"] == 80
    assert city["IAQI_PM2.5"] == 119
    assert city["AQI"] == 119
    assert city["level"] == 3
    assert city["category_en"] == "Lightly polluted"
    assert city["primary_pollutants"] == "PM2.5"
    assert not city["invalid"]
    day1 = rows[("city", "2026-04-01")]
    assert (day1["AQI"], day1["level"], day1["primary_pollutants"] or "") == (50, 1, "")
    day3 = rows[("city", "2026-04-03")]
    assert (day3["AQI"], day3["level"], day3["primary_pollutants"], day3["O3_8h"]) == (67, 2, "O3_8h", 120)
    # O3_1h is not an indicator of the 2026 daily AQI: no IAQI column value.
    assert day3["IAQI_O3_1h"] is None


def test_daily_csv_out(tmp_path, short_day):
    out = tmp_path / "daily.csv"
    result = invoke("air", "daily", short_day, "--format", "long", "--from", FROM, "--to", TO, "--out", out)
    assert result.exit_code == 0, result.output
    check_daily(daily_rows(pl.read_csv(out, infer_schema_length=None)))


def test_daily_stdout_is_the_same_csv(tmp_path, short_day):
    out = tmp_path / "daily.csv"
    invoke("air", "daily", short_day, "--format", "long", "--from", FROM, "--to", TO, "--out", out)
    result = invoke("air", "daily", short_day, "--format", "long", "--from", FROM, "--to", TO)
    assert result.exit_code == 0, result.output
    # Same header, same rows (site order aside).
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the file has the BOM Excel needs, the pipe not
    printed, written = result.stdout.splitlines(), out.read_text(encoding="utf-8-sig").splitlines()
    assert printed[0] == written[0]
    assert sorted(printed[1:]) == sorted(written[1:])
    assert len(printed) == 10


def test_daily_xlsx_out(tmp_path, short_day):
    out = tmp_path / "daily.xlsx"
    result = invoke("air", "daily", short_day, "--format", "long", "--from", FROM, "--to", TO, "--out", out)
    assert result.exit_code == 0, result.output
    try:
        frame = pl.read_excel(out)
    except (ImportError, ModuleNotFoundError):  # no reader engine (fastexcel/openpyxl) installed
        with zipfile.ZipFile(out) as book:
            names = book.namelist()
            workbook = book.read("xl/workbook.xml").decode("utf-8")
            text = "".join(book.read(name).decode("utf-8") for name in names if name.startswith("xl/"))
        assert any(re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name) for name in names)
        assert f'name="daily {FROM} {TO}"' in workbook
        # The reason for S1's short day is in the sheet (XML-escaped).
        assert "PM2.5: 19 valid hours &lt; 20 required (GB 3095 表4)" in text
        return
    check_daily(daily_rows(frame))


def test_daily_rejects_other_out_suffix(tmp_path, network):
    message = failed(
        "air",
        "daily",
        network,
        "--format",
        "long",
        "--from",
        FROM,
        "--to",
        TO,
        "--out",
        tmp_path / "daily.json",
    )
    assert ".csv" in message
    assert "daily.json" in message


# ----------------------------------------------------------------------------------------------
# ecowatch air explain
# ----------------------------------------------------------------------------------------------


def test_explain_city_day_json(network):
    account = ok_json("air", "explain", network, "--format", "long", "--date", "2026-04-02", "--json")
    assert account["site"] == "city"
    assert sorted(account["members"]) == ["S1", "S2"]
    assert account["edition"] == "2026"
    assert account["pollutants"]["PM2.5"]["hours_present"] == 24
    assert account["pollutants"]["PM2.5"]["hours_missing"] == []
    windows = {w["hours"]: w for w in account["o3_8h_windows"]}
    # The day's 17 windows, labelled by the hours they cover: 00-07, 01-08, ..., 16-23.
    assert list(windows) == [f"{w:02d}-{w + 7:02d}" for w in range(17)]
    # City O3 is 50, and 90 in hours 12-19: window 12-19 = 90; window 05-12 = (7*50 + 90)/8 = 55.
    assert windows["12-19"]["mean"] == 90.0
    assert windows["05-12"]["mean"] == 55.0
    assert account["items"]["PM2.5"]["value"] == 70
    assert account["items"]["PM2.5"]["iaqi"] == 110
    assert account["items"]["O3_8h"]["formed_from"] == 17
    assert account["items"]["O3_1h"]["in_daily_aqi"] is False
    assert (account["aqi"], account["level"], account["primary_pollutants"]) == (110, 3, ["PM2.5"])


@pytest.fixture
def gappy(tmp_path) -> Path:
    """S1 on day 2: PM2.5 missing at hours 0-4, O3 missing at hours 0-2."""
    drop = {("S1", 1, "PM2.5", hour) for hour in range(5)} | {("S1", 1, "O3", hour) for hour in range(3)}
    return write_network(tmp_path / "gappy.csv", drop=drop)


def test_explain_station_shows_missing_hours_windows_and_rules(gappy):
    account = ok_json(
        "air", "explain", gappy, "--format", "long", "--date", "2026-04-02", "--station", "S1", "--json"
    )
    assert account["site"] == "S1"
    pm = account["pollutants"]["PM2.5"]
    assert (pm["hours_present"], pm["hours_missing"]) == (19, [0, 1, 2, 3, 4])
    assert account["pollutants"]["O3"]["hours_missing"] == [0, 1, 2]
    windows = account["o3_8h_windows"]
    # Window 00-07 has hours 3-7 only (5 < 6: invalid), 01-08 has 6, 02-09 has 7; S1's O3 base is 40.
    assert windows[0] == {"hours": "00-07", "valid_hours": 5, "mean": 40.0, "valid": False}
    assert (windows[1]["valid_hours"], windows[1]["valid"]) == (6, True)
    assert (windows[2]["valid_hours"], windows[2]["valid"]) == (7, True)
    item = account["items"]["PM2.5"]
    assert (item["formed_from"], item["valid"], item["iaqi"]) == (19, False, None)
    assert "19 valid hours < 20" in item["why_invalid"]
    o3 = account["items"]["O3_8h"]
    assert (o3["formed_from"], o3["valid"], o3["value"]) == (16, True, 80)  # 16 of 17 windows >= 14
    assert account["aqi"] is None  # 2026: incomplete and max IAQI 65 <= 100 -> NA
    assert account["aqi_from_items_present"] == 65
    assert (account["complete"], account["counted"]) == (False, False)
    assert set(account["rules"]) >= {"daily_mean", "o3_8h_window", "o3_max8h"}
    assert "20" in account["rules"]["daily_mean"]


def test_explain_text_mentions_missing_hours_and_the_window_table(gappy):
    # A wide console, so that no table cell is wrapped.
    result = runner.invoke(
        app,
        ["air", "explain", str(gappy), "--format", "long", "--date", "2026-04-02", "--station", "S1"],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "0,1,2,3,4" in text
    assert "O38-hwindows" in text
    assert "00-07" in text
    assert "19validhours<20required" in text


def test_explain_unknown_station(network):
    message = failed("air", "explain", network, "--format", "long", "--date", "2026-04-02", "--station", "S9")
    assert "S9" in message


def test_explain_lenient_lists_rejected_values(network):
    rows = network.read_text(encoding="utf-8").replace(
        "S1,2026-04-01 05:00,PM2.5,30", "S1,2026-04-01 05:00,PM2.5,-5"
    )
    network.write_text(rows, encoding="utf-8")
    account = ok_json(
        "air",
        "explain",
        network,
        "--format",
        "long",
        "--date",
        "2026-04-01",
        "--station",
        "S1",
        "--lenient",
        "--json",
    )
    assert account["pollutants"]["PM2.5"]["hours_missing"] == [5]
    rejected = account["pollutants"]["PM2.5"]["rejected_at_import"]
    assert len(rejected) == 1
    assert "05h" in rejected[0]
    assert "negative value '-5'" in rejected[0]
    assert account["items"]["PM2.5"]["value"] == 30
