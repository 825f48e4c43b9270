"""Daily figures of every site: the HJ 663 daily statistics and the HJ 633 daily AQI."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ecowatch.assessment.cube import POLLUTANT_INDEX, HourlyCube
from ecowatch.standards import (
    AQI_ITEMS,
    MISSING,
    AqiItem,
    Averaging,
    DailyStatistic,
    Edition,
    LimitPhase,
    Pollutant,
    Report,
    breakpoint_column,
    city_daily_mean,
    city_o3_daily_max_8h,
    combine_iaqi,
    daily_mean,
    edition_for,
    iaqi_array,
    limit,
    o3_8h_moving_means,
    o3_daily_max_1h,
    o3_daily_max_8h,
)

ITEM_ORDER: tuple[AqiItem, ...] = (
    AqiItem.PM2_5,
    AqiItem.PM10,
    AqiItem.SO2,
    AqiItem.NO2,
    AqiItem.CO,
    AqiItem.O3_8H,
    AqiItem.O3_1H,
)


@dataclass(frozen=True)
class DailyFigures:
    """Per site and day: the indicators, their validity, IAQIs and the daily AQI.

    Arrays are (site, day). ``values`` hold the full-precision statistics whatever their validity;
    ``valid`` says whether the standard's minimum-data rule was met (and no exclusion removed it).
    """

    days: tuple[dt.date, ...]
    editions: tuple[Edition, ...]
    values: Mapping[AqiItem, np.ndarray]
    counts: Mapping[AqiItem, np.ndarray]
    valid: Mapping[AqiItem, np.ndarray]
    excluded: Mapping[AqiItem, np.ndarray]
    iaqi: Mapping[AqiItem, np.ndarray]
    aqi: np.ndarray
    aqi_partial: np.ndarray
    level: np.ndarray
    complete: np.ndarray
    primary: Mapping[AqiItem, np.ndarray]
    exceeding: Mapping[AqiItem, np.ndarray]
    in_report: Mapping[AqiItem, np.ndarray]
    """Per item and day (broadcast over sites): the item is an indicator of that day's edition."""

    def usable(self, item: AqiItem) -> np.ndarray:
        """Valid and not excluded: the values that enter period statistics."""
        return self.valid[item] & ~self.excluded[item]

    @property
    def counted(self) -> np.ndarray:
        """Days that count toward days-per-level and the good-day ratio (:func:`counted_days`)."""
        return counted_days(self.aqi, self.aqi_partial, self.complete, self.editions)


def counted_days(
    aqi: np.ndarray, aqi_partial: np.ndarray, complete: np.ndarray, editions: Sequence[Edition]
) -> np.ndarray:
    """Days whose AQI counts toward days per level and the good-day ratio (有效监测天数).

    Parameters
    ----------
    aqi, aqi_partial, complete : arrays (site, day)
        The published AQI, the maximum over the indicators present, and whether every indicator of
        the day's report was there.
    editions : sequence of Edition, one per day
        The edition each day is judged by (its date's, or the one forced by ``--standard``).

    Notes
    -----
    A day counts when its AQI is formed from every indicator of its edition's daily report. Under
    2026 an incomplete day also counts when the indicators present already put it above 100:
    [HJ633-2026]_ §5.3.1 publishes such a day's AQI ("AQI 大于 100 时发布") — more data could not
    make it a good day. HJ 633-2012 has no such clause, so a 2012 day missing an indicator does not
    count (Beijing 2014-03-01, 15 hours of O3, is not a counted day under 2012). Each edition's rule
    applies to its own days (docs/decisions.md row 6).
    """
    incomplete_counts = np.array([edition is Edition.E2026 for edition in editions], dtype=bool)
    return (aqi != MISSING) & (complete | ((aqi_partial > 100) & incomplete_counts))


SITES_PER_CHUNK = 64
"""Sites evaluated together: a chunk's hourly arrays (64 × 366 × 24 values) stay in the CPU caches,
where evaluating a national network at once would stream several times its size through memory."""


def item_statistics(cube: HourlyCube) -> dict[AqiItem, DailyStatistic]:
    """The daily value of every AQI item for every site and day (HJ 663 daily statistics).

    Stations: from their hours. Cities: from their member stations' days (:func:`city_statistics`).
    Chunks of stations are independent, and NumPy releases the GIL inside its loops, so the chunks
    are spread over the machine's cores with threads.
    """
    values = cube.values
    chunks_of_sites = [
        values[start : start + SITES_PER_CHUNK] for start in range(0, values.shape[0], SITES_PER_CHUNK)
    ]
    workers = min(os.cpu_count() or 1, len(chunks_of_sites)) or 1
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            per_chunk = list(pool.map(_chunk_statistics, chunks_of_sites))
    else:
        per_chunk = [_chunk_statistics(chunk) for chunk in chunks_of_sites]
    if cube.city_values is not None and len(cube.city_values):
        per_chunk.append(city_statistics(cube, per_chunk))
    return _joined(per_chunk, np.concatenate)


def _joined(parts: Sequence[Mapping[AqiItem, DailyStatistic]], join) -> dict[AqiItem, DailyStatistic]:
    """Each item's statistics of ``parts`` joined into one (``np.concatenate`` or ``np.stack``)."""
    return {
        item: DailyStatistic(
            value=join([part[item].value for part in parts]),
            count=join([part[item].count for part in parts]),
            valid=join([part[item].valid for part in parts]),
        )
        for item in ITEM_ORDER
    }


def city_statistics(
    cube: HourlyCube, station_chunks: Sequence[Mapping[AqiItem, DailyStatistic]]
) -> dict[AqiItem, DailyStatistic]:
    """The daily items of the cube's cities, formed from their member stations' days.

    24-h means: the mean of the members' valid daily means (:func:`city_daily_mean`). O3 daily max
    8-h: from the city's 8-h values, each the mean of the members' valid 8-h means
    (:func:`city_o3_daily_max_8h`). O3 daily max 1-h (2012 daily report): the maximum of the city's
    1-h values, each the mean of the members' valid 1-h values (``cube.city_values``), the same time
    scale. docs/decisions.md row 12.
    """
    station = {
        item: (
            np.concatenate([chunk[item].value for chunk in station_chunks]),
            np.concatenate([chunk[item].valid for chunk in station_chunks]),
        )
        for item in ITEM_ORDER
        if item not in (AqiItem.O3_8H, AqiItem.O3_1H)
    }
    cities = cube.sites[cube.values.shape[0] :]
    members = [np.array([cube.site_index(code) for code in city.members], dtype=np.intp) for city in cities]
    o3 = POLLUTANT_INDEX[Pollutant.O3]
    o3_8h_limit = limit(Pollutant.O3, Averaging.MAX_8H, LimitPhase.GB3095_2012)
    o3_1h_limit = limit(Pollutant.O3, Averaging.HOUR, LimitPhase.GB3095_2012)
    city_hours = cube.city_values
    assert city_hours is not None, "city_statistics: the cube has no cities (see with_cities)"
    per_city: list[dict[AqiItem, DailyStatistic]] = []
    for row, rows in enumerate(members):
        result = {
            item: city_daily_mean(values[rows], valid[rows]) for item, (values, valid) in station.items()
        }
        result[AqiItem.O3_8H] = city_o3_daily_max_8h(o3_8h_moving_means(cube.values[rows, o3]), o3_8h_limit)
        result[AqiItem.O3_1H] = o3_daily_max_1h(city_hours[row, o3], o3_1h_limit)
        per_city.append(result)
    return _joined(per_city, np.stack)


def _chunk_statistics(block: np.ndarray) -> dict[AqiItem, DailyStatistic]:
    # The O3 limits that keep a short day valid are the grade-II ones, equal in every phase of GB 3095.
    o3 = block[:, POLLUTANT_INDEX[Pollutant.O3]]
    statistics = {
        AqiItem.O3_8H: o3_daily_max_8h(o3, limit(Pollutant.O3, Averaging.MAX_8H, LimitPhase.GB3095_2012)),
        AqiItem.O3_1H: o3_daily_max_1h(o3, limit(Pollutant.O3, Averaging.HOUR, LimitPhase.GB3095_2012)),
    }
    for item in ITEM_ORDER:
        if item not in statistics:
            statistics[item] = daily_mean(block[:, POLLUTANT_INDEX[item.pollutant]])
    return statistics


def edition_iaqis(
    statistics: Mapping[AqiItem, DailyStatistic], editions: Sequence[Edition]
) -> dict[Edition, dict[AqiItem, np.ndarray]]:
    """The daily IAQI of every item under each edition that occurs (invalid values: MISSING)."""
    return {
        edition: {
            item: iaqi_array(
                np.where(statistics[item].valid, statistics[item].value, np.nan),
                breakpoint_column(item, Report.DAILY),
                edition,
            )
            for item in ITEM_ORDER
        }
        for edition in sorted(set(editions))
    }


def daily_figures(
    cube: HourlyCube,
    *,
    edition: Edition | None = None,
    excluded_pollutants: Mapping[Pollutant, np.ndarray] | None = None,
    statistics: Mapping[AqiItem, DailyStatistic] | None = None,
    iaqis: Mapping[Edition, Mapping[AqiItem, np.ndarray]] | None = None,
) -> DailyFigures:
    """Daily statistics, IAQIs and AQI of every site and day of ``cube``.

    Parameters
    ----------
    edition : Edition, optional
        Force one edition; by default each day follows the edition in force on its date.
    excluded_pollutants : mapping of Pollutant to bool array (site, day), optional
        Pollutant-days removed by approved exclusions (sand dust, exceptional events).
    statistics, iaqis : mapping, optional
        :func:`item_statistics` of ``cube`` and their :func:`edition_iaqis`, when already computed.
    """
    days = tuple(cube.days)
    editions = tuple(edition or edition_for(day) for day in days)
    statistics = statistics or item_statistics(cube)
    shape = len(cube.sites), cube.n_days
    no_exclusion = np.zeros(shape, dtype=bool)
    values, counts, valid, excluded = {}, {}, {}, {}
    for item in ITEM_ORDER:
        statistic = statistics[item]
        values[item], counts[item], valid[item] = statistic.value, statistic.count, statistic.valid
        excluded[item] = (excluded_pollutants or {}).get(item.pollutant, no_exclusion)
    edition_array = np.array([e.value for e in editions])
    iaqis = iaqis or edition_iaqis(statistics, editions)
    combined_by_edition = {}
    for this_edition in sorted(set(editions)):
        edition_iaqi = iaqis[this_edition]
        combined_by_edition[this_edition] = (
            edition_iaqi,
            combine_iaqi(edition_iaqi, this_edition, Report.DAILY, excluded),
        )
    first_iaqi, first = combined_by_edition[editions[0]]
    day_iaqi = dict(first_iaqi)
    aqi, partial, level, complete = first.aqi, first.aqi_partial, first.level, first.complete
    primary = {item: first.primary.get(item, no_exclusion) for item in ITEM_ORDER}
    exceeding = {item: first.exceeding.get(item, no_exclusion) for item in ITEM_ORDER}
    in_report = {
        item: np.array([item in AQI_ITEMS[(e, Report.DAILY)] for e in editions]) for item in ITEM_ORDER
    }
    for this_edition, (edition_iaqi, combined) in combined_by_edition.items():
        if this_edition is editions[0]:
            continue
        on = edition_array == this_edition.value
        aqi, partial = np.where(on, combined.aqi, aqi), np.where(on, combined.aqi_partial, partial)
        level, complete = np.where(on, combined.level, level), np.where(on, combined.complete, complete)
        for item in ITEM_ORDER:
            day_iaqi[item] = np.where(on, edition_iaqi[item], day_iaqi[item])
            primary[item] = np.where(on, combined.primary.get(item, no_exclusion), primary[item])
            exceeding[item] = np.where(on, combined.exceeding.get(item, no_exclusion), exceeding[item])
    return DailyFigures(
        days=days,
        editions=editions,
        values=values,
        counts=counts,
        valid=valid,
        excluded=excluded,
        iaqi=day_iaqi,
        aqi=aqi,
        aqi_partial=partial,
        level=level,
        complete=complete,
        primary=primary,
        exceeding=exceeding,
        in_report=in_report,
    )


def primary_names(figures: DailyFigures, site: int, day: int) -> list[str]:
    """The primary pollutants of one site-day, as item names."""
    return [item.value for item in ITEM_ORDER if figures.primary[item][site, day]]


def pollutant_items(pollutant: Pollutant) -> Sequence[AqiItem]:
    """The AQI items that measure a pollutant (O3 has two)."""
    return [item for item in ITEM_ORDER if item.pollutant is pollutant]
