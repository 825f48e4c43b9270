"""The assessment pipeline: stations -> city, hourly -> daily -> period, called directly.

The standards' arithmetic (IAQI, percentiles, rounding) is tested in ``tests/standards``; here each
test checks how the pipeline wires it: which stations form the city, how their hours are averaged,
which days count, which edition governs which day, what an exclusion removes. Every expected figure
is worked out by hand in the comment beside it (HJ 633 IAQI with ceil; GB 3095 表4 validity).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowatch.assessment.air import AirAssessment, assess_air, assess_cube
from ecowatch.assessment.cube import POLLUTANT_INDEX, HourlyCube, Site, with_cities
from ecowatch.assessment.publish import period_json
from ecowatch.errors import InputError
from ecowatch.shapes.measurements import MEASUREMENT_SCHEMA, ImportResult
from ecowatch.shapes.stations import StationRegistry
from ecowatch.standards import MISSING, AqiItem, Edition, LimitPhase, Pollutant, Report, aqi_record
from ecowatch.standards.dust import Exclusion, ExclusionKind

REGISTRY = StationRegistry.default()

# A clean day: SO2 5, NO2 10, CO 0.2, O3 20, PM10 20, PM2.5 10 at every hour. Daily IAQIs (both
# editions): SO2 5, NO2 12.5 -> 13, CO 5, O3_8h 10, PM10 20, PM2.5 14.3 -> 15 (2012 also O3_1h
# 6.25 -> 7): AQI 20, level 1, complete.
CLEAN = {"SO2": 5.0, "NO2": 10.0, "CO": 0.2, "O3": 20.0, "PM10": 20.0, "PM2.5": 10.0}

Hourly = float | Sequence[float | None]


def day_rows(code: str, day: dt.date, **changes: Hourly) -> list[tuple]:
    """24 hours of ``code`` on ``day``: CLEAN, with pollutants replaced by a constant or a list of
    24 values (None = no value). Keyword ``PM2_5`` stands for PM2.5."""
    values: dict[str, Hourly] = dict(CLEAN)
    values.update({k.replace("PM2_5", "PM2.5"): v for k, v in changes.items()})
    rows = []
    for pollutant, spec in values.items():
        hourly = [spec] * 24 if isinstance(spec, int | float) else list(spec)
        assert len(hourly) == 24
        for hour, value in enumerate(hourly):
            if value is not None:
                rows.append((code, dt.datetime.combine(day, dt.time(hour)), pollutant, float(value), None))
    return rows


def imported(rows: Iterable[tuple]) -> ImportResult:
    frame = pl.DataFrame(list(rows), schema=MEASUREMENT_SCHEMA, orient="row").sort(
        "station", "time", "pollutant"
    )
    codes = set(frame["station"].to_list())
    return ImportResult(measurements=frame, stations=[s for s in REGISTRY if s.code in codes])


def hours(value: float, present: Iterable[int]) -> list[float | None]:
    """``value`` at the given hour labels, nothing at the others."""
    chosen = set(present)
    return [value if h in chosen else None for h in range(24)]


def at(assessment: AirAssessment, site: str) -> int:
    return assessment.cube.site_index(site)


# ----------------------------------------------------------------------------------------------
# Stations -> city
# ----------------------------------------------------------------------------------------------


def hand_cube() -> HourlyCube:
    """Three stations, one day, PM2.5 only (every other pollutant missing).

    A: 10 at hours 0-21, none at 22-23. B: 20 at hours 0-11 only. C: 40 at hour 5 and 60 at hour 23.
    """
    values = np.full((3, len(POLLUTANT_INDEX), 1, 24), np.nan)
    pm = POLLUTANT_INDEX[Pollutant.PM2_5]
    values[0, pm, 0, :22] = 10.0
    values[1, pm, 0, :12] = 20.0
    values[2, pm, 0, 5] = 40.0
    values[2, pm, 0, 23] = 60.0
    sites = tuple(Site(code=c, name=c, kind="station", city="X") for c in "ABC")
    return HourlyCube(sites=sites, first_day=dt.date(2026, 4, 1), values=values)


def test_city_hourly_is_the_nan_aware_mean_of_its_stations():
    cube = with_cities(hand_cube(), {"X": ("A", "B", "C")})
    assert [s.code for s in cube.sites] == ["A", "B", "C", "X"]
    city = cube.sites[-1]
    assert (city.kind, city.members) == ("city", ("A", "B", "C"))
    pm = cube.site_values(3)[POLLUTANT_INDEX[Pollutant.PM2_5], 0]
    expected = [15.0] * 12 + [10.0] * 10 + [np.nan, 60.0]  # mean of those present; none -> missing
    expected[5] = (10 + 20 + 40) / 3
    np.testing.assert_array_equal(pm, np.array(expected))
    assert np.isnan(cube.site_values(3)[POLLUTANT_INDEX[Pollutant.SO2], 0]).all()
    np.testing.assert_array_equal(cube.all_values[:3], hand_cube().values)  # stations untouched


def test_city_daily_value_is_the_mean_of_its_station_days():
    """Issue 13 "City days from hourly city means" (docs/decisions.md row 12)."""
    assessment = assess_cube(hand_cube(), {"X": ("A", "B", "C")})
    daily = assessment.daily
    x, b = at(assessment, "X"), at(assessment, "B")
    # Only A has a valid day (22 h of 10); B (12 h) and C (2 h) have none, so the city's day is A's: 10,
    # formed from 1 station. The hour-by-hour city mean gave 14.49 from 23 "city hours".
    assert daily.counts[AqiItem.PM2_5][x, 0] == 1
    assert daily.values[AqiItem.PM2_5][x, 0] == 10.0
    assert bool(daily.valid[AqiItem.PM2_5][x, 0])
    assert not daily.valid[AqiItem.PM2_5][b, 0]
    assert not daily.valid[AqiItem.PM2_5][at(assessment, "C"), 0]


def test_hours_missing_at_one_station_do_not_reweight_the_city_day():
    """Two stations; D is down 00-03 h while E reads 400 then (a dust spike), 100 after.

    Station days: D = 100 (20 h), E = (4 x 400 + 20 x 100) / 24 = 150; city = 125. The hourly city
    mean would give the spike hours E's value alone: (4 x 400 + 20 x 100) / 24 = 150.
    """
    values = np.full((2, len(POLLUTANT_INDEX), 1, 24), np.nan)
    pm10 = POLLUTANT_INDEX[Pollutant.PM10]
    values[0, pm10, 0, 4:] = 100.0
    values[1, pm10, 0, :4] = 400.0
    values[1, pm10, 0, 4:] = 100.0
    sites = tuple(Site(code=c, name=c, kind="station", city="Y") for c in "DE")
    cube = HourlyCube(sites=sites, first_day=dt.date(2016, 5, 6), values=values)
    assessment = assess_cube(cube, {"Y": ("D", "E")})
    y = at(assessment, "Y")
    assert assessment.daily.values[AqiItem.PM10][y, 0] == 125.0
    assert assessment.daily.counts[AqiItem.PM10][y, 0] == 2
    assert int(assessment.daily.iaqi[AqiItem.PM10][y, 0]) == 88  # 2012: 50 + 75 x 50/100 = 87.5 -> 88


def test_default_city_leaves_out_control_regional_and_traffic_stations():
    day = dt.date(2026, 4, 1)
    dongsi, dingling = REGISTRY.resolve("Dongsi"), REGISTRY.resolve("Dingling")
    traffic, regional = REGISTRY.resolve("前门"), REGISTRY.resolve("八达岭")
    assert (dongsi.code, dingling.code) == ("1003A", "1002A")
    assert (dingling.category, traffic.category, regional.category) == (
        "control_background",
        "traffic",
        "regional_transport",
    )
    data = imported(
        day_rows("1003A", day, PM2_5=40)
        + day_rows("1002A", day, PM2_5=10)
        + day_rows(traffic.code, day, PM2_5=100)
        + day_rows(regional.code, day, PM2_5=70)
    )
    assessment = assess_air(data, day, day)
    assert assessment.city_members == {"北京": ("1003A",)}
    assert assessment.daily.values[AqiItem.PM2_5][at(assessment, "北京"), 0] == 40.0
    figures = assessment.periods()
    assert set(figures) == {"1003A", "1002A", traffic.code, regional.code, "北京"}
    assert figures["北京"].statistics[Pollutant.PM2_5]["mean"].value == 40.0
    assert figures["1002A"].statistics[Pollutant.PM2_5]["mean"].value == 10.0  # still reported alone

    # An explicit list may take any station, by code or by name.
    chosen = assess_air(data, day, day, stations=["Dingling", "东四"])
    assert chosen.city_members == {"北京": ("1002A", "1003A")}
    assert chosen.daily.values[AqiItem.PM2_5][at(chosen, "北京"), 0] == 25.0


def test_unknown_station_in_the_list_is_an_input_error():
    day = dt.date(2026, 4, 1)
    with pytest.raises(InputError) as error:
        assess_air(imported(day_rows("1003A", day)), day, day, stations=["1003A", "Atlantis"])
    assert error.value.field == "--stations"
    assert "Atlantis" in str(error.value)


def test_no_data_is_an_input_error():
    day = dt.date(2026, 4, 1)
    with pytest.raises(InputError):
        assess_air(imported([]), day, day)


# ----------------------------------------------------------------------------------------------
# Validity and the days that count
# ----------------------------------------------------------------------------------------------

APRIL = [dt.date(2026, 4, d) for d in range(1, 5)]


def short_days() -> ImportResult:
    """1003A over four days of April 2026 (HJ 633—2026).

    day 1: PM2.5 50 at 20 hours (4-23)  -> valid; IAQI 50 + 15*50/25 = 80 -> AQI 80, level 2
    day 2: PM2.5 50 at 19 hours (5-23)  -> invalid; others give 20 <= 100 -> AQI NA (§5.3.1), not counted
    day 3: as day 2, PM10 200           -> IAQI 100 + 80*50/130 = 130.8 -> 131 > 100: AQI 131, counted
    day 4: clean                        -> AQI 20, level 1
    """
    return imported(
        day_rows("1003A", APRIL[0], PM2_5=hours(50, range(4, 24)))
        + day_rows("1003A", APRIL[1], PM2_5=hours(50, range(5, 24)))
        + day_rows("1003A", APRIL[2], PM2_5=hours(50, range(5, 24)), PM10=200)
        + day_rows("1003A", APRIL[3])
    )


def test_20_hour_rule_and_counted_days_2026():
    assessment = assess_air(short_days(), APRIL[0], APRIL[-1])
    daily, site = assessment.daily, at(assessment, "1003A")
    assert daily.editions == (Edition.E2026,) * 4
    assert daily.counts[AqiItem.PM2_5][site].tolist() == [20, 19, 19, 24]
    assert daily.valid[AqiItem.PM2_5][site].tolist() == [True, False, False, True]
    assert daily.aqi[site].tolist() == [80, MISSING, 131, 20]
    assert daily.aqi_partial[site].tolist() == [80, 20, 131, 20]
    assert daily.complete[site].tolist() == [True, False, False, True]
    assert daily.counted[site].tolist() == [True, False, True, True]
    assert daily.level[site].tolist() == [2, 0, 3, 1]

    figures = assessment.period("1003A")
    assert figures.valid_days == 3
    assert dict(figures.days_by_level) == {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0}
    assert sum(figures.days_by_level.values()) == figures.valid_days
    assert figures.good_days == 2
    assert figures.exceedance_days[Pollutant.PM10] == 1
    assert figures.exceedance_days[Pollutant.PM2_5] == 0
    # The PM2.5 mean takes valid days only: (50 + 10) / 2 = 30.
    pm = figures.statistics[Pollutant.PM2_5]["mean"]
    assert (pm.value, pm.days) == (30.0, 2)
    published = period_json(figures)
    assert published["good_ratio_pct"] == 66.7  # 2/3 -> 66.67 -> one decimal
    assert published["days_by_level"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}


def test_incomplete_day_under_2012_has_an_aqi_but_is_not_counted():
    # HJ 633-2012 has no NA rule: day 2's AQI is the maximum over the indicators present (20, as
    # case D of the reference), and no 2012 clause counts an incomplete day, even above 100: days 2
    # and 3 (PM2.5 missing; day 3's PM10 200 -> 125) are left out (docs/decisions.md row 6).
    # Day 1 under 2012: PM2.5 50 -> 50 + 15*50/40 = 68.75 -> 69.
    assessment = assess_air(short_days(), APRIL[0], APRIL[-1], edition=Edition.E2012)
    daily, site = assessment.daily, at(assessment, "1003A")
    assert daily.aqi[site].tolist() == [69, 20, 125, 20]
    assert daily.counted[site].tolist() == [True, False, False, True]
    assert assessment.period("1003A").valid_days == 2
    assert assessment.phase is LimitPhase.GB3095_2012


def test_good_ratio_is_rounded_half_to_even():
    # 16 days: one clean day (AQI 20), 15 with PM2.5 100 (2026: 100 + 40*50/55 = 136.4 -> 137, level 3).
    # Good-day ratio 1/16 = 6.25 % -> 6.2 by GB/T 8170 (6.3 would be half-up).
    days = [dt.date(2026, 5, d) for d in range(1, 17)]
    rows = day_rows("1003A", days[0])
    for day in days[1:]:
        rows += day_rows("1003A", day, PM2_5=100)
    assessment = assess_air(imported(rows), days[0], days[-1])
    figures = assessment.period("1003A")
    assert (figures.good_days, figures.valid_days) == (1, 16)
    assert dict(figures.days_by_level) == {1: 1, 2: 0, 3: 15, 4: 0, 5: 0, 6: 0}
    assert period_json(figures)["good_ratio_pct"] == 6.2


# ----------------------------------------------------------------------------------------------
# Editions
# ----------------------------------------------------------------------------------------------

SWITCH = (dt.date(2026, 2, 28), dt.date(2026, 3, 1))


def test_each_day_follows_the_edition_in_force_on_its_date():
    # PM2.5 70 both days. HJ 633-2012: 50 + 35*50/40 = 93.75 -> 94 (level 2, good);
    # HJ 633—2026: 100 + 10*50/55 = 109.1 -> 110 (level 3, lightly polluted).
    data = imported(day_rows("1003A", SWITCH[0], PM2_5=70) + day_rows("1003A", SWITCH[1], PM2_5=70))
    assessment = assess_air(data, *SWITCH)
    daily, site = assessment.daily, at(assessment, "1003A")
    assert daily.editions == (Edition.E2012, Edition.E2026)
    assert daily.iaqi[AqiItem.PM2_5][site].tolist() == [94, 110]
    assert daily.aqi[site].tolist() == [94, 110]
    assert daily.level[site].tolist() == [2, 3]
    assert daily.primary[AqiItem.PM2_5][site].tolist() == [True, True]
    figures = assessment.period("1003A")
    assert dict(figures.days_by_level) == {1: 0, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0}
    assert figures.exceedance_days[Pollutant.PM2_5] == 1
    # The period's limits are those of its last day's edition.
    assert assessment.edition is Edition.E2026
    assert assessment.phase is LimitPhase.GB3095_2026_TRANSITIONAL

    # Forcing an edition applies it to every day.
    assert assess_air(data, *SWITCH, edition=Edition.E2012).daily.aqi[site].tolist() == [94, 94]
    assert assess_air(data, *SWITCH, edition=Edition.E2026).daily.aqi[site].tolist() == [110, 110]


def test_o3_daily_max_1h_enters_the_2012_daily_aqi_only():
    # O3 60, and 300 at hour 12. Max 8-h = (300 + 7*60)/8 = 90 -> IAQI 45 in both editions. Max 1-h
    # 300 -> IAQI 150 (O3 1-h column: 300 at 150), a daily indicator under HJ 633-2012 §5.1 only.
    o3 = [60.0] * 24
    o3[12] = 300.0
    data = imported(day_rows("1003A", SWITCH[0], O3=o3) + day_rows("1003A", SWITCH[1], O3=o3))
    assessment = assess_air(data, *SWITCH)
    daily, site = assessment.daily, at(assessment, "1003A")
    assert daily.values[AqiItem.O3_8H][site].tolist() == [90.0, 90.0]
    assert daily.iaqi[AqiItem.O3_8H][site].tolist() == [45, 45]
    assert daily.aqi[site].tolist() == [150, 45]
    assert daily.level[site].tolist() == [3, 1]
    assert daily.primary[AqiItem.O3_1H][site].tolist() == [True, False]
    assert daily.in_report[AqiItem.O3_1H].tolist() == [True, False]
    figures = assessment.period("1003A")
    assert figures.exceedance_days[Pollutant.O3] == 1  # only the 2012 day exceeds (O3_1h IAQI > 100)
    assert figures.good_days == 1


def test_o3_8h_windows_stay_inside_the_day():
    # Day 1: O3 40, 200 at hours 20-23 -> best window 16-23 = (4*40 + 4*200)/8 = 120.
    # Day 2: O3 40 all day -> 40; the windows ending in day 2's first hours would reach back into
    # day 1's 200s, but a day's windows are its 17 windows 00-07 ... 16-23.
    first = [40.0] * 20 + [200.0] * 4
    days = (dt.date(2026, 6, 1), dt.date(2026, 6, 2))
    assessment = assess_air(
        imported(day_rows("1003A", days[0], O3=first) + day_rows("1003A", days[1], O3=40)), *days
    )
    site = at(assessment, "1003A")
    assert assessment.daily.values[AqiItem.O3_8H][site].tolist() == [120.0, 40.0]
    assert assessment.daily.counts[AqiItem.O3_8H][site].tolist() == [17, 17]


# ----------------------------------------------------------------------------------------------
# Exclusions (sand dust)
# ----------------------------------------------------------------------------------------------

DUST_DAYS = [dt.date(2026, 4, d) for d in (1, 2, 3)]


@pytest.mark.parametrize("city", ["北京", "110000"])
def test_dust_day_removes_particulates_of_the_city_and_its_stations(city):
    # 1003A and 1004A: PM2.5 30, 200, 30 and PM10 20 (clean) on three days.
    rows = []
    for code in ("1003A", "1004A"):
        for day, pm in zip(DUST_DAYS, (30, 200, 30), strict=True):
            rows += day_rows(code, day, PM2_5=pm)
    exclusion = Exclusion(city, DUST_DAYS[1], ExclusionKind.SAND_DUST, approved_by="CNEMC")
    assessment = assess_air(imported(rows), DUST_DAYS[0], DUST_DAYS[-1], exclusions=[exclusion])
    excluded = assessment.daily_excluding.excluded
    for site in ("1003A", "1004A", "北京"):
        i = at(assessment, site)
        assert excluded[AqiItem.PM2_5][i].tolist() == [False, True, False], site
        assert excluded[AqiItem.PM10][i].tolist() == [False, True, False], site
        assert excluded[AqiItem.SO2][i].tolist() == [False, False, False], site
        assert not assessment.daily.excluded[AqiItem.PM2_5][i].any(), site
    with_all, without = assessment.periods(), assessment.periods(excluding=True)
    for site in ("1003A", "北京"):
        # All days: PM2.5 (30 + 200 + 30)/3 = 86.7; day 2: 2026 IAQI 200 + 50*100/100 = 250, level 5.
        assert with_all[site].statistics[Pollutant.PM2_5]["mean"].value == pytest.approx(260 / 3)
        assert dict(with_all[site].days_by_level) == {1: 2, 2: 0, 3: 0, 4: 0, 5: 1, 6: 0}
        # Without day 2's PM: PM2.5 30 from 2 days; day 2's AQI from the gases (20), still counted.
        pm = without[site].statistics[Pollutant.PM2_5]["mean"]
        assert (pm.value, pm.days) == (30.0, 2)
        assert without[site].statistics[Pollutant.SO2]["mean"].days == 3
        assert dict(without[site].days_by_level) == {1: 3, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0}
        assert without[site].exceedance_days[Pollutant.PM2_5] == 0


def test_dust_day_of_another_city_or_outside_the_period_removes_nothing():
    rows = day_rows("1003A", DUST_DAYS[0], PM2_5=200) + day_rows("1003A", DUST_DAYS[1], PM2_5=200)
    exclusions = [
        Exclusion("天津", DUST_DAYS[0], ExclusionKind.SAND_DUST, approved_by="CNEMC"),
        Exclusion("北京", dt.date(2026, 3, 31), ExclusionKind.SAND_DUST, approved_by="CNEMC"),
    ]
    assessment = assess_air(imported(rows), DUST_DAYS[0], DUST_DAYS[1], exclusions=exclusions)
    assert not any(mask.any() for mask in assessment.daily_excluding.excluded.values())
    without = assessment.periods(excluding=True)
    assert {k: period_json(v) for k, v in without.items()} == {
        k: period_json(v) for k, v in assessment.periods().items()
    }


def test_exceptional_event_removes_the_pollutants_it_names():
    # An approved exceptional event naming O3 only, on a clean day but for O3 300 all day.
    # O3 8-h 300 (2026 表3: 265 -> 200, 800 -> 300): 200 + 35*100/535 = 206.5 -> 207 = the AQI.
    rows = day_rows("1003A", DUST_DAYS[0], O3=300)
    exclusion = Exclusion(
        "北京",
        DUST_DAYS[0],
        ExclusionKind.EXCEPTIONAL_EVENT,
        approved_by="MEE",
        pollutants=frozenset({Pollutant.O3}),
    )
    assessment = assess_air(imported(rows), DUST_DAYS[0], DUST_DAYS[0], exclusions=[exclusion])
    site = at(assessment, "1003A")
    excluded = assessment.daily_excluding.excluded
    assert bool(excluded[AqiItem.O3_8H][site, 0]) and bool(excluded[AqiItem.O3_1H][site, 0])
    assert not excluded[AqiItem.PM2_5][site, 0]
    assert assessment.daily.aqi[site, 0] == 207
    # Without O3 the AQI comes from the rest of the clean day (20); the day stays complete and counted.
    assert assessment.daily_excluding.aqi[site, 0] == 20
    assert bool(assessment.daily_excluding.counted[site, 0])


# ----------------------------------------------------------------------------------------------
# Invariants on random networks
# ----------------------------------------------------------------------------------------------


def random_cube(seed: int, n_stations: int = 3, n_days: int = 6) -> HourlyCube:
    rng = np.random.default_rng(seed)
    scale = np.array([30.0, 60.0, 1.5, 120.0, 150.0, 120.0])[None, :, None, None]  # POLLUTANTS order
    values = rng.gamma(2.0, 1.0, size=(n_stations, 6, n_days, 24)) * scale / 2
    values = np.round(values, 1)
    values[rng.random(values.shape) < rng.uniform(0, 0.4)] = np.nan
    sites = tuple(Site(code=f"S{i}", name=f"S{i}", kind="station", city="X") for i in range(n_stations))
    return HourlyCube(sites=sites, first_day=dt.date(2026, 2, 26), values=values)  # spans both editions


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_period_figures_are_consistent(seed):
    cube = random_cube(seed)
    assessment = assess_cube(cube, {"X": ("S0", "S1", "S2")})
    daily = assessment.daily
    # The city's hour lies between its stations' values at that hour (NaN-aware mean).
    block = cube.values
    city = assessment.cube.all_values[-1]
    present = ~np.isnan(block)
    low = np.where(present, block, np.inf).min(axis=0)
    high = np.where(present, block, -np.inf).max(axis=0)
    has = present.any(axis=0)
    assert np.array_equal(np.isnan(city), ~has)
    assert np.all((city[has] >= low[has] - 1e-9) & (city[has] <= high[has] + 1e-9))
    for code, figures in assessment.periods().items():
        site = at(assessment, code)
        assert sum(figures.days_by_level.values()) == figures.valid_days, code
        assert figures.good_days == figures.days_by_level[1] + figures.days_by_level[2]
        assert figures.valid_days == int(daily.counted[site].sum())
        assert all(0 <= n <= figures.valid_days for n in figures.exceedance_days.values())
        # Counted days are those with a published AQI, complete or above 100.
        counted = daily.counted[site]
        assert np.all(daily.aqi[site][counted] != MISSING)
        assert np.all(daily.complete[site][counted] | (daily.aqi_partial[site][counted] > 100))
    # With no exclusion the "excluding" figures are the same figures (compared as published: NaN-free).
    without = assessment.periods(excluding=True)
    assert {k: period_json(v) for k, v in without.items()} == {
        k: period_json(v) for k, v in assessment.periods().items()
    }


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_daily_aqi_agrees_with_the_one_record_path(seed):
    """The vectorised daily AQI of every site-day equals aqi_record on that day's valid indicators."""
    assessment = assess_cube(random_cube(seed, n_days=4), {"X": ("S0", "S1", "S2")})
    daily = assessment.daily
    for site in range(len(assessment.cube.sites)):
        for d, edition in enumerate(daily.editions):
            concentrations: Mapping[AqiItem, float] = {
                item: float(daily.values[item][site, d]) for item in AqiItem if daily.valid[item][site, d]
            }
            record = aqi_record(concentrations, edition, Report.DAILY)
            expected = MISSING if record.aqi is None else record.aqi
            assert daily.aqi[site, d] == expected, (site, d)
            assert daily.level[site, d] == (record.level.number if record.level else 0)
