"""Hourly data as a dense cube: site × pollutant × day × hour.

Every evaluation rule of HJ 663 works on the 24 hours of a day, so the long measurement table is
laid out once as ``values[site, pollutant, day, hour]`` (NaN = missing or invalid) and every daily
statistic becomes one vectorised call over the whole network.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecowatch.shapes.stations import Station
from ecowatch.standards import POLLUTANTS

POLLUTANT_INDEX = {pollutant: i for i, pollutant in enumerate(POLLUTANTS)}


@dataclass(frozen=True)
class Site:
    """A station, or a city formed from its assessment stations."""

    code: str
    name: str
    kind: str
    """``station`` or ``city``."""
    city: str
    members: tuple[str, ...] = ()
    """For a city: the codes of the stations averaged into it."""
    category: str = ""


@dataclass(frozen=True)
class HourlyCube:
    """Hourly concentrations of a set of sites over consecutive days [µg/m³; CO mg/m³].

    The stations' values and the cities formed from them are kept as two blocks, so that adding the
    cities never copies the stations' (at national scale, gigabyte-sized) array.
    """

    sites: tuple[Site, ...]
    first_day: dt.date
    values: np.ndarray
    """float64 array (site, pollutant in :data:`POLLUTANTS` order, day, hour 0–23) of the first
    ``len(values)`` sites; NaN = no valid value."""
    city_values: np.ndarray | None = None
    """The same for the sites after them (cities, :func:`with_cities`)."""

    @property
    def n_days(self) -> int:
        return self.values.shape[2]

    @functools.cached_property
    def days(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=i) for i in range(self.n_days)]

    def blocks(self) -> list[np.ndarray]:
        """The value arrays in site order."""
        return [self.values] if self.city_values is None else [self.values, self.city_values]

    @functools.cached_property
    def all_values(self) -> np.ndarray:
        """Every site's values in one array (a copy when there are cities)."""
        return self.values if self.city_values is None else np.concatenate(self.blocks())

    def site_values(self, index: int) -> np.ndarray:
        """(pollutant, day, hour) values of one site."""
        first = self.values.shape[0]
        if index < first:
            return self.values[index]
        assert self.city_values is not None, f"site {index}: past the {first} stations, and no cities"
        return self.city_values[index - first]

    def site_index(self, code: str) -> int:
        try:
            return self._index[code]
        except KeyError:
            raise KeyError(f"no site {code!r}") from None

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        return {site.code: i for i, site in enumerate(self.sites)}


def station_site(station: Station) -> Site:
    return Site(
        code=station.code, name=station.name, kind="station", city=station.city, category=station.category
    )


def cube_from_measurements(
    measurements: pl.DataFrame,
    stations: Sequence[Station],
    first_day: dt.date,
    last_day: dt.date,
) -> HourlyCube:
    """Lay the long measurement table (station, time, pollutant, value) out as a cube.

    Values marked invalid (null) and hours absent from the table are both NaN here; the reasons
    stay in the long table for :mod:`ecowatch.assessment.explain`.
    """
    if last_day < first_day:
        raise ValueError(f"period ends ({last_day}) before it starts ({first_day})")
    n_days = (last_day - first_day).days + 1
    shape = (len(stations), len(POLLUTANTS), n_days, 24)
    station_index = {station.code: i for i, station in enumerate(stations)}
    start = dt.datetime.combine(first_day, dt.time())
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
    frame = measurements.filter(
        pl.col("time").is_between(start, end, closed="left")
        & pl.col("station").is_in(list(station_index))
        & pl.col("value").is_not_null()
    ).select(
        # Enum casts give each row its index in the given order (twice as fast as replace_strict on
        # strings; an unknown pollutant name fails the cast, as it failed replace_strict).
        pl.col("station").cast(pl.Enum(list(station_index))).to_physical().alias("s"),
        pl.col("pollutant").cast(pl.Enum([p.value for p in POLLUTANT_INDEX])).to_physical().alias("p"),
        ((pl.col("time") - pl.lit(start)).dt.total_hours()).alias("h"),
        pl.col("value"),
    )
    # One flat index into the C-ordered (site, pollutant, day, hour) array: day × 24 + hour is the hour
    # count, so a single scatter replaces a four-index one.
    site_pollutant = frame["s"].to_numpy().astype(np.int64) * len(POLLUTANTS) + frame["p"].to_numpy()
    flat = np.full(math.prod(shape), np.nan)
    flat[site_pollutant * (n_days * 24) + frame["h"].to_numpy()] = frame["value"].to_numpy()
    values = flat.reshape(shape)
    return HourlyCube(sites=tuple(station_site(s) for s in stations), first_day=first_day, values=values)


def with_cities(cube: HourlyCube, city_members: Mapping[str, Sequence[str]]) -> HourlyCube:
    """Append one city site per entry, its hourly values the mean of its member stations'.

    Notes
    -----
    The city's hourly series serves the real-time (hourly) AQI, as the national real-time platform
    forms a city's hourly figures, and the O3 daily maximum 1-h of the 2012 daily report. The city's
    daily values are not taken from it: they are formed from the stations' days
    (:func:`ecowatch.assessment.daily.city_statistics`, docs/decisions.md row 12). An hour with no
    valid station value is missing for the city.
    """
    if cube.city_values is not None:
        raise ValueError("the cube has its cities already")
    sites = list(cube.sites)
    values = np.empty((len(city_members), *cube.values.shape[1:]))
    for row, (city, members) in enumerate(city_members.items()):
        # Accumulate station by station into the city's own row: one pass over each station's
        # values, with no temporary the size of the city's whole block.
        total = values[row]
        total[...] = 0.0
        count = np.zeros(total.shape, dtype=np.int16)
        for code in members:
            station = cube.values[cube.site_index(code)]
            present = ~np.isnan(station)
            np.add(total, station, out=total, where=present)
            count += present
        np.divide(total, count, out=total, where=count > 0)
        total[count == 0] = np.nan
        sites.append(Site(code=city, name=city, kind="city", city=city, members=tuple(members)))
    return HourlyCube(sites=tuple(sites), first_day=cube.first_day, values=cube.values, city_values=values)
