"""Air-quality assessment of stations and cities over a period, from imported measurements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ecowatch.assessment.cube import HourlyCube, cube_from_measurements, with_cities
from ecowatch.assessment.daily import DailyFigures, daily_figures, edition_iaqis, item_statistics
from ecowatch.assessment.period import PeriodFigures, period_figures
from ecowatch.assessment.stations import Station
from ecowatch.errors import InputError
from ecowatch.importers.common import ImportResult
from ecowatch.standards import Edition, LimitPhase, Pollutant, edition_for, limit_phase
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

    def _mask(self, first_day: dt.date | None, last_day: dt.date | None) -> np.ndarray:
        days = np.array(self.daily.days)
        return (days >= (first_day or self.first_day)) & (days <= (last_day or self.last_day))

    def period(self, site: str, first_day: dt.date | None = None, last_day: dt.date | None = None,
               *, excluding: bool = False) -> PeriodFigures:
        """One site's figures from ``first_day`` to ``last_day`` (default: the whole assessed span)."""
        daily = self.daily_excluding if excluding else self.daily
        return period_figures(daily, self._mask(first_day, last_day), self.phase, [self.cube.site_index(site)])[0]

    def periods(self, first_day: dt.date | None = None, last_day: dt.date | None = None,
                *, excluding: bool = False) -> dict[str, PeriodFigures]:
        """Every site's figures (stations, then cities), computed together."""
        daily = self.daily_excluding if excluding else self.daily
        figures = period_figures(daily, self._mask(first_day, last_day), self.phase)
        return {site.code: f for site, f in zip(self.cube.sites, figures, strict=True)}


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
                raise InputError(f"station {name!r} is not in the data (stations: {known})", field="--stations")
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
) -> AirAssessment:
    """Assess every station of ``imported`` and its city (or cities) from ``first_day`` to ``last_day``."""
    if not imported.stations:
        raise InputError("no measurements in the input for the period", field="--from/--to")
    by_code = {s.code: s for s in imported.stations}

    def resolve(name: str) -> Station | None:
        if name in by_code:
            return by_code[name]
        key = name.casefold()
        return next((s for s in imported.stations if key in {n.casefold() for n in s.names()}), None)

    city_members = select_city_members(imported.stations, stations, resolve)
    cube = cube_from_measurements(imported.measurements, imported.stations, first_day, last_day)
    city_codes = {s.city: s.city_code for s in imported.stations if s.city_code}
    return assess_cube(cube, city_members, edition=edition, exclusions=exclusions, city_codes=city_codes,
                       stations=imported.stations, imported=imported)


def assess_cube(
    cube: HourlyCube,
    city_members: dict[str, tuple[str, ...]],
    *,
    edition: Edition | None = None,
    exclusions: Sequence[Exclusion] = (),
    city_codes: dict[str, str] | None = None,
    stations: Sequence[Station] = (),
    imported: ImportResult | None = None,
) -> AirAssessment:
    """Assess the stations of ``cube`` and the cities formed from ``city_members``."""
    cube = with_cities(cube, city_members)
    days = cube.days
    excluded: dict[Pollutant, np.ndarray] = {p: np.zeros((len(cube.sites), len(days)), dtype=bool) for p in Pollutant}
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
    return AirAssessment(
        cube=cube,
        daily=daily_figures(cube, edition=edition, statistics=statistics, iaqis=iaqis),
        daily_excluding=daily_figures(cube, edition=edition, excluded_pollutants=excluded, statistics=statistics,
                                      iaqis=iaqis),
        first_day=days[0],
        last_day=last_day,
        edition=edition or edition_for(last_day),
        forced_edition=edition,
        stations=tuple(stations),
        city_members=city_members,
        exclusions=tuple(exclusions),
        imported=imported,
    )
