"""Air quality index: HJ 633-2012 and HJ 633—2026.

Two paths over one set of tables: :func:`iaqi` works on one value with exact rational arithmetic
(``fractions.Fraction``), :func:`iaqi_array` on NumPy arrays of values snapped to 10⁻⁶ (see
:mod:`ecowatch.standards.rounding`), interpolating in float64 with a guard that makes the rounding
up exact. Both give the same integers; the tests run one table through both. How IAQIs combine into an
AQI, a level and the primary pollutants is written once, over arrays (:func:`combine_iaqi`);
:func:`aqi_record` is its one-row form.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

import numpy as np

from .arrays import ArrayLike, BoolArray, FloatArray, IntArray
from .editions import Edition
from .pollutants import Pollutant
from .rounding import SNAP_DECIMALS, exact, round_gbt8170, round_snapped


class StandardsError(ValueError):
    """A value the standards cannot take (negative concentration, unknown item)."""


class Report(StrEnum):
    """The two AQI releases of HJ 633: the daily report (日报) and the real-time report (实时报)."""

    DAILY = "day"
    HOURLY = "hour"


class AqiItem(StrEnum):
    """An indicator that enters the AQI, named as in input files and JSON.

    In a daily report SO2, NO2, CO, PM10 and PM2.5 are 24-h means, ``O3_1h`` is the daily maximum
    1-h mean and ``O3_8h`` the daily maximum 8-h moving mean. In a real-time report SO2, NO2, CO and
    ``O3_1h`` are 1-h means; PM10 and PM2.5 are whatever the edition prescribes (see
    :data:`REALTIME_PM_INPUT`), always on the PM 24-h breakpoints.
    """

    SO2 = "SO2"
    NO2 = "NO2"
    PM10 = "PM10"
    PM2_5 = "PM2.5"
    CO = "CO"
    O3_1H = "O3_1h"
    O3_8H = "O3_8h"

    @property
    def pollutant(self) -> Pollutant:
        return Pollutant.O3 if self in (AqiItem.O3_1H, AqiItem.O3_8H) else Pollutant(self.value)


class Column(StrEnum):
    """A concentration column of the IAQI breakpoint table (表1 of 2012, 表3 of 2026)."""

    SO2_24H = "SO2_24h"
    SO2_1H = "SO2_1h"
    NO2_24H = "NO2_24h"
    NO2_1H = "NO2_1h"
    CO_24H = "CO_24h"
    CO_1H = "CO_1h"
    O3_8H = "O3_8h"
    O3_1H = "O3_1h"
    PM10_24H = "PM10_24h"
    PM2_5_24H = "PM2.5_24h"

    @property
    def pollutant(self) -> Pollutant:
        return Pollutant(self.value.split("_")[0])


IAQI_AXIS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)
"""The IAQI values of the breakpoint rows (HJ 633-2012 表1 and HJ 633—2026 表3, first column)."""

_SHARED_COLUMNS: Mapping[Column, tuple[int, ...]] = {
    Column.SO2_24H: (0, 50, 150, 475, 800, 1600, 2100, 2620),
    Column.SO2_1H: (0, 150, 500, 650, 800),
    Column.NO2_24H: (0, 40, 80, 180, 280, 565, 750, 940),
    Column.NO2_1H: (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    Column.CO_24H: (0, 2, 4, 14, 24, 36, 48, 60),
    Column.CO_1H: (0, 5, 10, 35, 60, 90, 120, 150),
    Column.O3_8H: (0, 100, 160, 215, 265, 800),
    Column.O3_1H: (0, 160, 200, 300, 400, 800, 1000, 1200),
}

HJ633_2012_IAQI_BREAKPOINTS: Mapping[Column, tuple[int, ...]] = MappingProxyType(
    {
        **_SHARED_COLUMNS,
        Column.PM10_24H: (0, 50, 150, 250, 350, 420, 500, 600),
        Column.PM2_5_24H: (0, 35, 75, 115, 150, 250, 350, 500),
    }
)
"""HJ 633-2012 表1: concentration at each IAQI of :data:`IAQI_AXIS` [µg/m³; CO mg/m³].

SO2 1-h stops at IAQI 200 and O3 8-h at IAQI 300: above 800 µg/m³ the table's notes apply
(:func:`iaqi`)."""

HJ633_2026_IAQI_BREAKPOINTS: Mapping[Column, tuple[int, ...]] = MappingProxyType(
    {
        **_SHARED_COLUMNS,
        Column.PM10_24H: (0, 50, 120, 250, 350, 420, 500, 600),
        Column.PM2_5_24H: (0, 35, 60, 115, 150, 250, 350, 500),
    }
)
"""HJ 633—2026 表3. The only change from 2012: the IAQI-100 breakpoint of PM10 150 → 120 and of
PM2.5 75 → 60 µg/m³ (the transitional grade-II 24-h limits of GB 3095—2026)."""

IAQI_BREAKPOINTS: Mapping[Edition, Mapping[Column, tuple[int, ...]]] = MappingProxyType(
    {Edition.E2012: HJ633_2012_IAQI_BREAKPOINTS, Edition.E2026: HJ633_2026_IAQI_BREAKPOINTS}
)

AQI_ITEMS: Mapping[tuple[Edition, Report], tuple[AqiItem, ...]] = MappingProxyType(
    {
        # HJ 633-2012 §5.1: "日报指标包括 SO2、NO2、PM10、PM2.5、CO 的 24 小时平均，
        # 以及 O3 的日最大 1 小时平均、O3 的日最大 8 小时滑动平均，共计 7 个指标" — seven indicators.
        (Edition.E2012, Report.DAILY): tuple(AqiItem),
        # HJ 633-2012 §5.2: the real-time report takes the 1-h means of the six pollutants plus the O3
        # 8-h moving mean and the PM 24-h moving means ("共计 9 个指标"); PM enter as PM10/PM2.5 items.
        (Edition.E2012, Report.HOURLY): tuple(AqiItem),
        # HJ 633—2026 §4.2.2: SO2、NO2、CO、PM10、PM2.5 日平均 and O3 日最大 8 小时平均 — the O3 1-h
        # maximum no longer enters the daily AQI.
        (Edition.E2026, Report.DAILY): (
            AqiItem.SO2,
            AqiItem.NO2,
            AqiItem.PM10,
            AqiItem.PM2_5,
            AqiItem.CO,
            AqiItem.O3_8H,
        ),
        # HJ 633—2026 §4.2.3: the 1-h means of the six pollutants, nothing else.
        (Edition.E2026, Report.HOURLY): (
            AqiItem.SO2,
            AqiItem.NO2,
            AqiItem.PM10,
            AqiItem.PM2_5,
            AqiItem.CO,
            AqiItem.O3_1H,
        ),
    }
)
"""Indicators of each edition's daily and real-time AQI."""

REALTIME_PM_INPUT: Mapping[Edition, str] = MappingProxyType(
    {Edition.E2012: "moving_24h", Edition.E2026: "hourly"}
)
"""What PM10/PM2.5 value the real-time AQI takes: HJ 633-2012 §5.2 the 24-h moving mean; HJ 633—2026
§4.2.3 the 1-h mean ("当 C_P 为 PM10 或 PM2.5 1 小时平均时，取表 3 中日平均的高位值/低位值"). Beijing's
2014–2016 releases confirm the 2012 reading (tests/data/beijing-35-stations/PROVENANCE.md)."""


def breakpoint_column(item: AqiItem, report: Report) -> Column:
    """The breakpoint column an item is read against.

    >>> breakpoint_column(AqiItem.SO2, Report.HOURLY), breakpoint_column(AqiItem.PM2_5, Report.HOURLY)
    (<Column.SO2_1H: 'SO2_1h'>, <Column.PM2_5_24H: 'PM2.5_24h'>)
    """
    if item is AqiItem.O3_1H:
        return Column.O3_1H
    if item is AqiItem.O3_8H:
        return Column.O3_8H
    if report is Report.HOURLY and item in (AqiItem.SO2, AqiItem.NO2, AqiItem.CO):
        return Column(f"{item.value}_1h")
    return Column(f"{item.value}_24h")


def concentration_decimals(pollutant: Pollutant, edition: Edition) -> int:
    """Decimal places a concentration is rounded to (GB/T 8170) before the IAQI formula.

    2026: HJ 633—2026 §4.2.2/4.2.3 fix the concentrations that enter the index: "按照 GB/T 8170 要求修约到
    整数，CO … 修约到 1 位小数" — so 60.5 µg/m³ of PM2.5 enters as 60 (:attr:`Pollutant.decimals`).

    2012: HJ 633-2012 has no such clause. Beijing's 2014–2016 releases (the 2012-era practice) show
    the index taken from the concentration at one decimal place beyond the published integer: with
    one-decimal 1-h values in the feed (2014-04-29 .. 2015-07-30), 64,295 of 64,839 full-window
    station-hours agree when the 24-h means are rounded to 0.1 µg/m³ first, 61,899 unrounded and
    46,003 rounded to integers (docs/decisions.md row 2, ``bench/rounding_first.py``). From
    2015-07-31 the feed shows integers, which cannot tell 0.1 from finer (57,072 hours: 52,899 agree
    at 0.1, 53,882 unrounded) but again refute integers (37,966). So 2012
    concentrations enter at 0.1 µg/m³ (CO 0.01 mg/m³), and a daily row printed at that precision
    gives its own IAQI (PM2.5 75.2 → 100.25 → 101). This is the one place the choice is made.

    >>> [concentration_decimals(p, Edition.E2026) for p in (Pollutant.PM2_5, Pollutant.CO)]
    [0, 1]
    >>> [concentration_decimals(p, Edition.E2012) for p in (Pollutant.PM2_5, Pollutant.CO)]
    [1, 2]
    """
    return pollutant.decimals if edition is Edition.E2026 else pollutant.decimals + 1


def _above_table(column: Column, edition: Edition) -> int | None:
    """IAQI of a concentration above the table's top breakpoint (None: no IAQI from this value).

    HJ 633-2012 表1 注 (2): "二氧化硫（SO2）1 小时平均浓度值高于 800 μg/m³ 的，不再进行其空气质量分指数计算，
    二氧化硫（SO2）空气质量分指数按 24 小时平均浓度计算的分指数报告。" (SO2 1-h above 800: no IAQI from the
    1-h value; report the 24-h one.) 注 (3): "臭氧（O3）8 小时平均浓度值高于 800 μg/m³ 的，不再进行其空气质量
    分指数计算，臭氧（O3）空气质量分指数按 1 小时平均浓度计算的分指数报告。" (O3 8-h above 800: report the 1-h
    IAQI.)
    HJ 633—2026 表3 注 b: "SO2 1 小时平均浓度值高于 800 μg/m³ 的，IAQI 按照 200 计。" 注 c: "O3 8 小时平均
    浓度值高于 800 μg/m³ 的，IAQI 按照 300 计。"
    Any other column above its IAQI-500 breakpoint: 500, the top of the index (HJ 633—2026 §4.1.1
    "空气质量指数的范围为 1～500"; the national releases publish 500 there, as Beijing's 2014–2018 data show).
    """
    if column is Column.SO2_1H:
        return None if edition is Edition.E2012 else 200
    if column is Column.O3_8H:
        return None if edition is Edition.E2012 else 300
    return IAQI_AXIS[-1]


def iaqi(
    concentration: float | int | str | Fraction | None,
    column: Column,
    edition: Edition,
) -> int | None:
    """Individual air quality index (IAQI) of one concentration.

    Parameters
    ----------
    concentration : number, str or None
        Concentration [µg/m³; CO mg/m³]. Strings and Fractions are exact; floats are snapped to
        10⁻⁶. None (missing or invalid) gives None.
    column : Column
        The breakpoint column (pollutant and averaging time).
    edition : Edition
        2012 (HJ 633-2012 表1) or 2026 (HJ 633—2026 表3).

    Returns
    -------
    int or None
        The IAQI, or None where the table's notes give no index (2012: SO2 1-h or O3 8-h above 800).

    Notes
    -----
    IAQI_P = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) × (C_P − BP_Lo) + IAQI_Lo, with BP_Lo < C_P ≤ BP_Hi,
    evaluated exactly and then rounded up: HJ 633 "空气质量分指数及空气质量指数的计算结果应全部进位取整数，
    不保留小数" (2026 §4.2.6: "应全部向上进位取整数"). A value that is exactly an integer stays that
    integer: O3 8-h 106 gives 55, not the 56 a float computation (5.000000000000001) would give.
    The concentration is first rounded by GB/T 8170 to :func:`concentration_decimals` places (2026: the
    published integer, CO 0.1; 2012: 0.1 µg/m³, CO 0.01 mg/m³).

    References
    ----------
    [HJ633-2012]_ §4.1 式(1), 表1 and its notes; [HJ633-2026]_ §4.2.4 式(1), §4.2.6, 表3 notes b, c.

    >>> iaqi(35.1, Column.PM2_5_24H, Edition.E2012), iaqi(75, Column.PM2_5_24H, Edition.E2026)
    (51, 114)
    >>> iaqi(106, Column.O3_8H, Edition.E2012), iaqi(801, Column.SO2_1H, Edition.E2026)
    (55, 200)
    """
    if concentration is None:
        return None
    value = exact(concentration)
    if value < 0:
        raise StandardsError(f"negative concentration {concentration} for {column.value}")
    value = Fraction(round_gbt8170(value, concentration_decimals(column.pollutant, edition)))
    breakpoints = IAQI_BREAKPOINTS[edition][column]
    if value > breakpoints[-1]:
        return _above_table(column, edition)
    if value == 0:
        return 0
    upper = next(i for i, bp in enumerate(breakpoints) if value <= bp)
    bp_lo, bp_hi = breakpoints[upper - 1], breakpoints[upper]
    iaqi_lo, iaqi_hi = IAQI_AXIS[upper - 1], IAQI_AXIS[upper]
    return math.ceil(Fraction(iaqi_hi - iaqi_lo, bp_hi - bp_lo) * (value - bp_lo) + iaqi_lo)


MISSING = -1
"""Marks 'no IAQI / no AQI' in integer arrays."""
REPLACED = -2
"""Marks an indicator that was measured but whose index the standard takes from another one
(2012: SO2 1-h and O3 8-h above 800 µg/m³). It is not missing, and it does not enter the AQI."""


def iaqi_array(concentrations: ArrayLike, column: Column, edition: Edition) -> IntArray:
    """Vectorised :func:`iaqi`: float concentrations (NaN = missing) to int64 IAQIs (:data:`MISSING`).

    Exact: values are snapped to whole multiples of 10⁻⁶, and an interpolated index within 10⁻¹⁰ of an
    integer is that integer (see the comment in the body), so results equal :func:`iaqi` on the
    same decimals.

    >>> iaqi_array(np.array([35.1, 75.0, np.nan, 600.0]), Column.PM2_5_24H, Edition.E2012).tolist()
    [51, 100, -1, 500]
    >>> iaqi_array(np.array([801.0]), Column.O3_8H, Edition.E2012).tolist()  # REPLACED: see HJ 633-2012 注 3
    [-2]
    """
    values = np.asarray(concentrations, dtype=np.float64)
    if np.any(values < 0):
        raise StandardsError(f"negative concentration for {column.value}")
    flat = values.reshape(-1)
    result = np.empty(flat.shape, dtype=np.int64)
    # Work through the values in cache-sized pieces: the dozen passes below then stay in cache.
    for start in range(0, flat.size, _IAQI_CHUNK):
        _iaqi_chunk(flat[start : start + _IAQI_CHUNK], column, edition, result[start : start + _IAQI_CHUNK])
    return result.reshape(values.shape)


_IAQI_CHUNK = 1 << 15


@functools.cache
def _segments(edition: Edition, column: Column) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Breakpoints [10⁻⁶ units], IAQI axis and the slope of each segment, as float arrays."""
    bps = np.asarray(IAQI_BREAKPOINTS[edition][column], dtype=np.float64) * 10**SNAP_DECIMALS
    axis = np.asarray(IAQI_AXIS[: len(bps)], dtype=np.float64)
    return bps, axis, np.diff(axis) / np.diff(bps)


def _iaqi_chunk(values: FloatArray, column: Column, edition: Edition, out: IntArray) -> None:
    breakpoints = IAQI_BREAKPOINTS[edition][column]
    top = breakpoints[-1] * 10**SNAP_DECIMALS
    # Concentrations as integer-valued floats counting 10⁻⁶ (exact below 2⁵³; anything above the
    # table is clipped first, it only needs to stay above the top). NaN passes through.
    work = np.multiply(values, 10**SNAP_DECIMALS)
    np.minimum(work, 2.0 * top, out=work)
    np.rint(work, out=work)
    work = round_snapped(work, concentration_decimals(column.pollutant, edition))
    bps, axis, slopes = _segments(edition, column)
    # The segment BP_Lo < C ≤ BP_Hi, by counting the inner breakpoints below C (a few compares beat
    # a binary search per value); a value on a breakpoint stays in the segment it ends.
    segment = np.zeros(work.shape, dtype=np.intp)
    for inner in bps[1:-1]:
        segment += work > inner
    index = np.subtract(work, bps.take(segment))
    index *= slopes.take(segment)
    index += axis.take(segment)
    # The exact IAQI is a rational k/den with den ≤ 1.14·10⁹ (the widest segment in 10⁻⁶ units), so a
    # non-integer one lies at least 8.8·10⁻¹⁰ from any integer, while interpolation in float64 errs by
    # under 10⁻¹². Values within 10⁻¹⁰ of an integer therefore are that integer; the rest round up.
    nearest = np.rint(index)
    distance = np.subtract(index, nearest)
    np.abs(distance, out=distance)
    np.ceil(index, out=index)
    np.copyto(index, nearest, where=distance < 1e-10)
    above = _above_table(column, edition)
    index[work > top] = REPLACED if above is None else above
    index[np.isnan(work)] = MISSING
    out[...] = index


@dataclass(frozen=True, slots=True)
class AqiLevel:
    """An AQI level of HJ 633 表2 (2012) / 表1 (2026) with its colour (附录A)."""

    number: int
    roman_zh: str
    category_zh: str
    category_en: str
    colour_zh: str
    colour_hex: str
    rgb: tuple[int, int, int]
    upper: int | None


AQI_LEVELS: tuple[AqiLevel, ...] = (
    AqiLevel(1, "一级", "优", "Excellent", "绿色", "#00E400", (0, 228, 0), 50),
    AqiLevel(2, "二级", "良", "Good", "黄色", "#FFFF00", (255, 255, 0), 100),
    AqiLevel(3, "三级", "轻度污染", "Lightly polluted", "橙色", "#FF7E00", (255, 126, 0), 150),
    AqiLevel(4, "四级", "中度污染", "Moderately polluted", "红色", "#FF0000", (255, 0, 0), 200),
    AqiLevel(5, "五级", "重度污染", "Heavily polluted", "紫色", "#99004C", (153, 0, 76), 300),
    AqiLevel(6, "六级", "严重污染", "Severely polluted", "褐红色", "#7E0023", (126, 0, 35), None),
)
"""Levels, categories and colours: HJ 633-2012 表2 and 附录A; HJ 633—2026 表1 and 附录A 表A.1 (the
same six levels and RGB values). The English names are MEE's customary renderings, not in the text."""

_LEVEL_UPPERS = np.array([level.upper for level in AQI_LEVELS[:-1]], dtype=np.int64)


def aqi_level(aqi: int) -> AqiLevel:
    """The level an integer AQI falls in.

    >>> aqi_level(50).category_zh, aqi_level(51).category_en, aqi_level(301).number
    ('优', 'Good', 6)
    """
    return AQI_LEVELS[int(np.searchsorted(_LEVEL_UPPERS, aqi, side="left"))]


def aqi_level_array(aqi: ArrayLike) -> IntArray:
    """Level numbers (1–6) of an AQI array; 0 where the AQI is :data:`MISSING`."""
    aqi = np.asarray(aqi)
    return np.where(aqi == MISSING, 0, np.searchsorted(_LEVEL_UPPERS, aqi, side="left") + 1)


@dataclass(frozen=True, slots=True)
class CombinedIndex:
    """AQI arrays combined from per-item IAQI arrays (:func:`combine_iaqi`)."""

    aqi: IntArray
    """The AQI to publish (int64, :data:`MISSING` where none is published)."""
    aqi_partial: IntArray
    """Max IAQI over the items present, even where the AQI is not published."""
    level: IntArray
    """Level 1–6, 0 where no AQI is published."""
    complete: BoolArray
    """Every indicator of the report has an IAQI."""
    primary: Mapping[AqiItem, BoolArray]
    """Per item: it is (one of) the primary pollutants."""
    exceeding: Mapping[AqiItem, BoolArray]
    """Per item: its IAQI exceeds 100 (超标污染物; a 2012 notion, computed for both)."""


def combine_iaqi(
    iaqis: Mapping[AqiItem, IntArray],
    edition: Edition,
    report: Report,
    excluded: Mapping[AqiItem, BoolArray] | None = None,
) -> CombinedIndex:
    """AQI, level and primary pollutants from the items' IAQIs, per HJ 633's rules.

    Parameters
    ----------
    iaqis : mapping of AqiItem to int array
        IAQI per item (:data:`MISSING` where absent, :data:`REPLACED` where measured but indexed by
        another indicator). Items outside the edition's report are ignored.
    excluded : mapping of AqiItem to bool array, optional
        Items removed by an approved exclusion (sand dust, exceptional event): they neither enter
        the AQI nor count as missing.

    Notes
    -----
    AQI = max(IAQI_1, …, IAQI_n) ([HJ633-2012]_ §4.2 式(2); [HJ633-2026]_ §4.2.4 式(2)).
    Primary pollutant ([HJ633-2026]_ §4.3.1): "AQI 大于 50 时，IAQI 最大的污染物为首要污染物。若 IAQI 最大的
    污染物为两项或两项以上，并列为首要污染物。" Ties are judged on the published (integer) IAQIs.
    Exceeding pollutants ([HJ633-2012]_ §3.5, §4.3): IAQI > 100; deleted in 2026 (foreword item 4).
    A missing indicator ([HJ633-2026]_ §5.3.1): the AQI is computed from the others and published only
    if it exceeds 100; otherwise AQI, level and primary pollutant are "NA". HJ 633-2012 has no such
    clause: its AQI is the maximum over the indicators present, flagged incomplete.
    The 2026 range starts at 1 (§4.1.1 "空气质量指数的范围为 1～500"; 表1 "1～50"), so an all-zero
    day publishes AQI 1; 2012's range starts at 0.
    """
    items = AQI_ITEMS[(edition, report)]
    shape = np.broadcast_shapes(*(np.shape(iaqis[item]) for item in items if item in iaqis))
    stacked = np.stack(
        [np.broadcast_to(np.asarray(iaqis.get(item, MISSING), dtype=np.int64), shape) for item in items]
    )
    if excluded:
        removed = np.stack([np.broadcast_to(np.asarray(excluded.get(item, False)), shape) for item in items])
        stacked = np.where(removed, MISSING, stacked)
    else:
        removed = np.zeros(stacked.shape, dtype=bool)
    complete = ((stacked != MISSING) | removed).all(axis=0)
    stacked = np.where(stacked == REPLACED, MISSING, stacked)
    partial = stacked.max(axis=0)
    published = partial.copy()
    if edition is Edition.E2026:
        published = np.where(~complete & (partial <= 100), MISSING, published)
        published = np.where(published == 0, 1, published)
    has_primary = published > 50
    primary = {item: has_primary & (stacked[i] == partial) for i, item in enumerate(items)}
    exceeding = {item: stacked[i] > 100 for i, item in enumerate(items)}
    return CombinedIndex(
        aqi=published,
        aqi_partial=partial,
        level=aqi_level_array(published),
        complete=complete,
        primary=primary,
        exceeding=exceeding,
    )


@dataclass(frozen=True, slots=True)
class AqiResult:
    """One AQI record (a day or an hour of a station or city)."""

    edition: Edition
    report: Report
    iaqi: Mapping[AqiItem, int]
    aqi: int | None
    level: AqiLevel | None
    primary_pollutants: tuple[AqiItem, ...]
    exceeding_pollutants: tuple[AqiItem, ...] | None
    missing: tuple[AqiItem, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def aqi_record(
    concentrations: Mapping[AqiItem, float | int | str | Fraction | None],
    edition: Edition,
    report: Report,
    *,
    so2_24h: float | int | str | Fraction | None = None,
) -> AqiResult:
    """The AQI record of one day or hour from its concentrations.

    Parameters
    ----------
    concentrations : mapping of AqiItem to concentration
        The report's indicators [µg/m³; CO mg/m³]; absent or None = missing. Items that are not
        indicators of this edition's report are ignored.
    edition, report : Edition, Report
    so2_24h : number, optional
        SO2 24-h (moving) mean: under 2012, the SO2 index of a real-time record whose 1-h value is
        above 800 µg/m³ comes from it (HJ 633-2012 表1 注 2).

    References
    ----------
    [HJ633-2012]_ §4, §5; [HJ633-2026]_ §4.2, §4.3, §5.3.1.

    >>> r = aqi_record({AqiItem.PM2_5: 75, AqiItem.PM10: 150, AqiItem.SO2: 20, AqiItem.NO2: 60,
    ...                 AqiItem.CO: 1.0, AqiItem.O3_1H: 100, AqiItem.O3_8H: 80}, Edition.E2012, Report.DAILY)
    >>> r.aqi, r.level.category_zh, [p.value for p in r.primary_pollutants]
    (100, '良', ['PM10', 'PM2.5'])
    """
    items = AQI_ITEMS[(edition, report)]
    values: dict[AqiItem, int] = {}
    codes: dict[AqiItem, int] = {}
    for item in items:
        concentration = concentrations.get(item)
        value = iaqi(concentration, breakpoint_column(item, report), edition)
        if value is None and item is AqiItem.SO2 and report is Report.HOURLY and so2_24h is not None:
            value = iaqi(so2_24h, Column.SO2_24H, edition)
        if value is not None:
            values[item] = codes[item] = value
        elif concentration is not None:
            codes[item] = REPLACED
    combined = combine_iaqi(
        {item: np.array([code]) for item, code in codes.items()} or {items[0]: np.array([MISSING])},
        edition,
        report,
    )
    aqi = int(combined.aqi[0])
    return AqiResult(
        edition=edition,
        report=report,
        iaqi=MappingProxyType(values),
        aqi=None if aqi == MISSING else aqi,
        level=None if aqi == MISSING else aqi_level(aqi),
        primary_pollutants=tuple(item for item in items if combined.primary[item][0]),
        exceeding_pollutants=(
            tuple(item for item in items if combined.exceeding[item][0]) if edition is Edition.E2012 else None
        ),
        missing=tuple(item for item in items if item not in codes),
    )
