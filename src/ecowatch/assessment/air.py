"""Air-quality assessment of stations and cities over a period, from imported measurements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ecowatch.assessment.cube import HourlyCube, cube_from_measurements, with_cities
from ecowatch.assessment.daily import DailyFigures, daily_figures, edition_iaqis, item_statistics
from ecowatch.assessment.period import PeriodFigures, period_figures
from ecowatch.errors import InputError
from ecowatch.shapes.measurements import ImportResult
from ecowatch.shapes.stations import Station
from ecowatch.standards import (
    PERIOD_STATISTICS,
    Edition,
    LimitPhase,
    Pollutant,
    edition_for,
    limit_phase,
    three_year_moving_mean,
)
from ecowatch.standards.dust import Exclusion, exclusion_masks


@dataclass(frozen=True)
class AirAssessment:
    """Everything an assessment run computed, at full precision."""

    cube: HourlyCube
    daily: DailyFigures
    daily_excluding: DailyFigures
    first_day: dt.date
    last_day: dt.date
    edition: Edition
    """The edition of the period's statistics (forced, or in force on its last day)."""
    forced_edition: Edition | None
    stations: tuple[Station, ...]
    city_members: dict[str, tuple[str, ...]]
    exclusions: tuple[Exclusion, ...] = ()
    imported: ImportResult | None = field(default=None, repr=False)

    @property
    def phase(self) -> LimitPhase:
        return limit_phase(self.edition, self.last_day)

    @property
    def three_year_years(self) -> tuple[int, int, int] | None:
        """The years of the HJ 663—2026 three-year moving mean this period has, if it has one."""
        start = three_year_start(self.first_day, self.last_day, self.edition)
        return None if start is None else (start.year, start.year + 1, start.year + 2)

    def three_year_means(
        self, *, excluding: bool = False
    ) -> dict[str, dict[Pollutant, dict[str, float | None]]]:
        """Per site, pollutant and statistic: the three-year moving mean ending with the period's year.

        [HJ663-2026]_'s three-year moving mean (三年滑动平均) of each annual statistic
        (:func:`~ecowatch.standards.three_year_moving_mean`), from the full-precision annual figures of
        the year and the two before it; None where one of the three years has no value or, for SO2,
        NO2, PM10 and PM2.5, too few daily values for an annual figure (GB 3095 表4); the data must
        reach back to 1 January two years before. Empty when the period is not a calendar year
        under the 2026 edition (:func:`three_year_start`).
        """
        years = self.three_year_years
        if years is None:
            return {}
        annual = [
            self.periods(dt.date(year, 1, 1), dt.date(year, 12, 31), excluding=excluding)
            if dt.date(year, 1, 1) >= self.cube.first_day
            else {}
            for year in years
        ]
        result: dict[str, dict[Pollutant, dict[str, float | None]]] = {}
        for site in self.cube.sites:
            by_pollutant: dict[Pollutant, dict[str, float | None]] = {}
            for pollutant, names in PERIOD_STATISTICS.items():
                by_pollutant[pollutant] = {}
                for name in names:
                    # A year counts when it has the statistic and, for the pollutants GB 3095 表4 sets
                    # an annual minimum for, enough daily values (324 a year, 27 a month).
                    values = {
                        year: figures[site.code].statistics[pollutant][name].value
                        for year, figures in zip(years, annual, strict=True)
                        if figures and (figures[site.code].annual_sufficient or {}).get(pollutant, True)
                    }
                    # v == v: not NaN
                    moving = three_year_moving_mean({y: v for y, v in values.items() if v == v})
                    by_pollutant[pollutant][name] = moving.get(years[-1])
            result[site.code] = by_pollutant
        return result

    def day_mask(self, first_day: dt.date | None = None, last_day: dt.date | None = None) -> np.ndarray:
        """The days of ``first_day`` .. ``last_day`` (default: the period) among the evaluated days."""
        return self._mask(first_day, last_day)

    def _mask(self, first_day: dt.date | None, last_day: dt.date | None) -> np.ndarray:
        days = np.array(self.daily.days)
        return (days >= (first_day or self.first_day)) & (days <= (last_day or self.last_day))

    def period(
        self,
        site: str,
        first_day: dt.date | None = None,
        last_day: dt.date | None = None,
        *,
        excluding: bool = False,
    ) -> PeriodFigures:
        """One site's figures from ``first_day`` to ``last_day`` (default: the whole assessed span)."""
        daily = self.daily_excluding if excluding else self.daily
        return period_figures(
            daily, self._mask(first_day, last_day), self.phase, [self.cube.site_index(site)]
        )[0]

    def periods(
        self, first_day: dt.date | None = None, last_day: dt.date | None = None, *, excluding: bool = False
    ) -> dict[str, PeriodFigures]:
        """Every site's figures (stations, then cities), computed together."""
        daily = self.daily_excluding if excluding else self.daily
        figures = period_figures(daily, self._mask(first_day, last_day), self.phase)
        return {site.code: f for site, f in zip(self.cube.sites, figures, strict=True)}


def three_year_start(first_day: dt.date, last_day: dt.date, edition: Edition) -> dt.date | None:
    """Where the data of a three-year moving mean start, or None when the period has none.

    [HJ663-2026]_ introduces three-year moving means for annual assessment (UNVERIFIED in detail:
    its text was not available, docs/decisions.md row 18). ecowatch forms them for a calendar-year
    period judged by the 2026 edition (in force on its last day, or forced by ``--standard 2026``),
    from 1 January two years before.

    >>> three_year_start(dt.date(2027, 1, 1), dt.date(2027, 12, 31), Edition.E2026)
    datetime.date(2025, 1, 1)
    >>> three_year_start(dt.date(2027, 1, 1), dt.date(2027, 6, 30), Edition.E2026) is None
    True
    >>> three_year_start(dt.date(2016, 1, 1), dt.date(2016, 12, 31), Edition.E2012) is None
    True
    """
    calendar_year = first_day == dt.date(first_day.year, 1, 1) and last_day == dt.date(first_day.year, 12, 31)
    if edition is not Edition.E2026 or not calendar_year:
        return None
    return dt.date(first_day.year - 2, 1, 1)


UNNAMED_CITY = "city"
"""The name of the city formed by stations whose city is not known (ad-hoc stations of a long CSV);
an exclusion list reaches it, and its stations, under this name."""


def select_city_members(
    stations: Sequence[Station], override: Sequence[str] | None, resolve
) -> dict[str, tuple[str, ...]]:
    """Which stations form each city: its assessment stations, or the ``--stations`` override.

    [HJ663-2013]_: a city is evaluated on its assessment points (评价点); control/background,
    regional(-transport) and traffic points are reported on their own.
    """
    if override:
        chosen = []
        for name in dict.fromkeys(override):
            station = resolve(name)
            if station is None:
                known = ", ".join(s.code for s in stations)
                raise InputError(
                    f"station {name!r} is not in the data (stations: {known})", field="--stations"
                )
            chosen.append(station)
    else:
        chosen = [s for s in stations if s.is_assessment]
    members: dict[str, list[str]] = {}
    for station in dict.fromkeys(chosen):
        members.setdefault(station.city or UNNAMED_CITY, []).append(station.code)
    return {city: tuple(codes) for city, codes in members.items()}


def assess_air(
    imported: ImportResult,
    first_day: dt.date,
    last_day: dt.date,
    *,
    stations: Sequence[str] | None = None,
    edition: Edition | None = None,
    exclusions: Sequence[Exclusion] = (),
    history_from: dt.date | None = None,
) -> AirAssessment:
    """Assess every station of ``imported`` and its city (or cities) from ``first_day`` to ``last_day``.

    ``history_from`` (before ``first_day``) also lays out and evaluates the days from that date, for
    figures that need earlier years (:meth:`AirAssessment.three_year_means`); the period's own
    figures still cover ``first_day`` .. ``last_day``.
    """
    if not imported.stations:
        raise InputError("no measurements in the input for the period", field="--from/--to")
    by_code = {s.code: s for s in imported.stations}

    def resolve(name: str) -> Station | None:
        if name in by_code:
            return by_code[name]
        key = name.casefold()
        return next((s for s in imported.stations if key in {n.casefold() for n in s.names()}), None)

    city_members = select_city_members(imported.stations, stations, resolve)
    data_from = min(first_day, history_from or first_day)
    cube = cube_from_measurements(imported.measurements, imported.stations, data_from, last_day)
    city_codes = {s.city: s.city_code for s in imported.stations if s.city_code}
    return assess_cube(
        cube,
        city_members,
        edition=edition,
        exclusions=exclusions,
        city_codes=city_codes,
        stations=imported.stations,
        imported=imported,
        period_from=first_day,
    )


def assess_cube(
    cube: HourlyCube,
    city_members: dict[str, tuple[str, ...]],
    *,
    edition: Edition | None = None,
    exclusions: Sequence[Exclusion] = (),
    city_codes: dict[str, str] | None = None,
    stations: Sequence[Station] = (),
    imported: ImportResult | None = None,
    period_from: dt.date | None = None,
) -> AirAssessment:
    """Assess the stations of ``cube`` and the cities formed from ``city_members``.

    The period runs from ``period_from`` (default: the cube's first day) to the cube's last day.
    """
    cube = with_cities(cube, city_members)
    days = cube.days
    excluded: dict[Pollutant, np.ndarray] = {
        p: np.zeros((len(cube.sites), len(days)), dtype=bool) for p in Pollutant
    }
    if exclusions:
        member_of = {code: city for city, codes in city_members.items() for code in codes}
        for i, site in enumerate(cube.sites):
            names = [site.city, member_of.get(site.code, site.city)]
            if city_codes and site.city in city_codes:
                names.append(city_codes[site.city])
            for pollutant, mask in exclusion_masks(days, exclusions, names).items():
                excluded[pollutant][i] = mask
    statistics = item_statistics(cube)
    iaqis = edition_iaqis(statistics, [edition] if edition else [edition_for(day) for day in days])
    last_day = days[-1]
    daily = daily_figures(cube, edition=edition, statistics=statistics, iaqis=iaqis)
    # With no exclusion the figures without the excluded days are the same figures.
    daily_excluding = daily
    if exclusions:
        daily_excluding = daily_figures(
            cube, edition=edition, excluded_pollutants=excluded, statistics=statistics, iaqis=iaqis
        )
    return AirAssessment(
        cube=cube,
        daily=daily,
        daily_excluding=daily_excluding,
        first_day=period_from or days[0],
        last_day=last_day,
        edition=edition or edition_for(last_day),
        forced_edition=edition,
        stations=tuple(stations),
        city_members=city_members,
        exclusions=tuple(exclusions),
        imported=imported,
    )
