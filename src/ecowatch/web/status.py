"""The current state of sites: latest hour, real-time AQI (HJ 633 实时报) and recent series.

The hour labels are Beijing time (UTC+8, the standards' clock) and go out as ISO 8601 with
``+08:00``.  The real-time AQI of an air station at an hour is
:func:`ecowatch.assessment.hourly.realtime_aqi` under the edition in force on that hour's date
(:func:`ecowatch.standards.edition_for`): it needs the 24 hours before (PM 24-h moving means,
[HJ633-2012]_ §5.2), so the values read start a day before the first hour shown.

Results are memoised per site and ``data_version`` (:class:`~ecowatch.web.cache.FigureMemo`), so a
request that finds no new data reads one row per site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from ecowatch.assessment.cube import cube_from_measurements
from ecowatch.assessment.hourly import realtime_aqi
from ecowatch.hj212 import FACTORS_2017
from ecowatch.standards import MISSING, Pollutant, aqi_level, edition_for
from ecowatch.store.measurements import BEIJING_OFFSET, INVALID_FLAG, VALID_FLAGS, read_measurements
from ecowatch.store.models import Measurement, Site, SiteKind
from ecowatch.store.sites import station_of
from ecowatch.web.cache import FigureMemo

__all__ = ["NO_DATA_COLOUR", "REPORTING_COLOUR", "beijing_iso", "latest_hours", "site_series", "site_statuses",
           "site_versions"]

BEIJING = dt.timezone(BEIJING_OFFSET, "Asia/Shanghai")
#: Map colour of a site without recent data (Material grey 500).
NO_DATA_COLOUR = "#9E9E9E"
#: Map colour of a water section or outlet that reports (Material green 800): no AQI applies to them.
REPORTING_COLOUR = "#2E7D32"
#: A water section or outlet is "reporting" when its latest hour is at most this long before ``as_of``.
RECENT = dt.timedelta(hours=24)
#: Hours before the first one shown that its real-time AQI needs (the PM 24-h moving mean).
AQI_LOOKBACK_HOURS = 24
HOURLY = "1h"


def beijing_iso(time_utc: dt.datetime | None) -> str | None:
    """An aware or naive-UTC time as ISO 8601 in Beijing time, e.g. ``2017-02-28T23:00:00+08:00``."""
    if time_utc is None:
        return None
    if time_utc.tzinfo is None:
        time_utc = time_utc.replace(tzinfo=dt.UTC)
    return time_utc.astimezone(BEIJING).isoformat()


def as_utc(time: dt.datetime) -> dt.datetime:
    """A naive-UTC (as SQLite gives it) or aware time as an aware UTC time."""
    return time.replace(tzinfo=dt.UTC) if time.tzinfo is None else time.astimezone(dt.UTC)


def latest_hours(session: Session, site_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """Each site's latest hourly time (UTC); sites without hourly values are left out.

    One ``max(time)`` per site on the primary key's leading columns (site_id, interval, time): an
    index lookup on SQLite and on each PostgreSQL partition, where a GROUP BY would scan the table.
    """
    if not site_ids:
        return {}
    latest = (
        select(func.max(Measurement.time))
        .where(Measurement.site_id == Site.id, Measurement.interval == HOURLY)
        .scalar_subquery()
    )
    rows = session.execute(select(Site.id, latest).where(Site.id.in_(list(site_ids))))
    return {site_id: as_utc(time) for site_id, time in rows if time is not None}


def _level_fields(aqi: int | None) -> dict[str, Any]:
    if aqi is None:
        return {"aqi": None, "level": None, "category_zh": None, "category_en": None, "colour": NO_DATA_COLOUR}
    level = aqi_level(aqi)
    return {"aqi": aqi, "level": level.number, "category_zh": level.category_zh, "category_en": level.category_en,
            "colour": level.colour_hex}


def _realtime(session: Session, site: Site, first_utc: dt.datetime, last_utc: dt.datetime) -> list[dict[str, Any]]:
    """Real-time AQI records of ``site`` for every hour from ``first_utc`` to ``last_utc``."""
    first_local = (first_utc + BEIJING_OFFSET).replace(tzinfo=None)
    last_local = (last_utc + BEIJING_OFFSET).replace(tzinfo=None)
    read_from = (first_local - dt.timedelta(hours=AQI_LOOKBACK_HOURS)).date()
    frame = read_measurements(session=session, site_codes=[site.code], first_day=read_from,
                              last_day=last_local.date())
    cube = cube_from_measurements(frame, [station_of(site)], read_from, last_local.date())
    start = dt.datetime.combine(read_from, dt.time())
    first_index = int((first_local - start) / dt.timedelta(hours=1))
    last_index = int((last_local - start) / dt.timedelta(hours=1))
    hours = range(first_index, last_index + 1)
    editions = {edition_for((start + dt.timedelta(hours=h)).date()) for h in hours}
    results = {edition: realtime_aqi(cube, edition) for edition in editions}
    records = []
    for h in hours:
        local = start + dt.timedelta(hours=h)
        result = results[edition_for(local.date())]
        aqi = int(result.combined.aqi[0, h])
        published = None if aqi == MISSING else aqi
        iaqi = {item.value: (None if (v := int(values[0, h])) < 0 else v) for item, values in result.iaqi.items()}
        primary = [item.value for item, mask in result.combined.primary.items() if mask[0, h]]
        records.append({"time": local.replace(tzinfo=BEIJING), "aqi": published, "iaqi": iaqi,
                        "primary_pollutants": primary if published is not None else [],
                        "edition": edition_for(local.date()).value})
    return records


def _site_fields(site: Site) -> dict[str, Any]:
    return {
        "code": site.code, "name": site.name, "name_en": site.name_en, "kind": site.kind,
        "category": site.category, "lon": site.lon, "lat": site.lat,
        "region": site.region.code if site.region is not None else None,
    }


def _status(session: Session, site: Site, latest: dt.datetime | None) -> dict[str, Any]:
    """A site's status at its own latest hour (before the "recent" rule, which needs ``as_of``)."""
    fields = _site_fields(site) | {"time": beijing_iso(latest), "primary_pollutants": [], "iaqi": {},
                                   "edition": None}
    fields |= _level_fields(None)
    if latest is not None and site.kind == SiteKind.air_station:
        record = _realtime(session, site, latest, latest)[0]
        fields |= _level_fields(record["aqi"])
        fields.update(iaqi=record["iaqi"], primary_pollutants=record["primary_pollutants"],
                      edition=record["edition"])
    return fields


def site_versions(session: Session, where: ColumnElement[bool]) -> tuple[tuple[int, int], ...]:
    """``(id, data_version)`` of the sites ``where`` selects, in id order: the key of their figures."""
    return tuple(session.execute(select(Site.id, Site.data_version).where(where).order_by(Site.id)).tuples())


def site_statuses(session: Session, versions: tuple[tuple[int, int], ...],
                  memo: FigureMemo) -> tuple[str | None, list[dict]]:
    """``(as_of, statuses)`` of the sites of ``versions`` (:func:`site_versions`); as_of is their latest hour.

    A water section or an outlet is coloured :data:`REPORTING_COLOUR` when its latest hour is within
    :data:`RECENT` of ``as_of``, else :data:`NO_DATA_COLOUR`; an air station carries the HJ 633
    colour of its real-time AQI at its own latest hour (grey without one).

    The answer is memoised on the sites' ``(id, data_version)`` pairs, read first with one light
    query: with no new data a request loads no site and computes nothing.
    """
    return memo.get_or_compute(("statuses", versions), lambda: _statuses(session, versions, memo))


def _statuses(session: Session, versions: tuple[tuple[int, int], ...], memo: FigureMemo) -> tuple[str | None, list]:
    ids = [site_id for site_id, _ in versions]
    sites = session.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.id)
                            .options(selectinload(Site.region))).all()
    latest: dict[int, dt.datetime] | None = None
    statuses = []
    for site in sites:
        def compute(site: Site = site) -> tuple[dt.datetime | None, dict[str, Any]]:
            nonlocal latest
            if latest is None:
                latest = latest_hours(session, ids)
            return latest.get(site.id), _status(session, site, latest.get(site.id))

        statuses.append(memo.get_or_compute(("status", site.id, site.data_version), compute))
    times = [time for time, _ in statuses if time is not None]
    as_of = max(times) if times else None
    out = []
    for time, status in statuses:
        status = dict(status)
        if status["kind"] != SiteKind.air_station and time is not None and as_of - time <= RECENT:
            status["colour"] = REPORTING_COLOUR
        out.append(status)
    return beijing_iso(as_of), out


def _values(session: Session, site: Site, first_utc: dt.datetime, last_utc: dt.datetime) -> list[tuple]:
    query = (
        select(Measurement.time, Measurement.pollutant, Measurement.value, Measurement.flag)
        .where(Measurement.site_id == site.id, Measurement.interval == HOURLY,
               Measurement.time >= first_utc, Measurement.time <= last_utc)
        .order_by(Measurement.pollutant, Measurement.time)
    )
    return list(session.execute(query))


def _unit(pollutant: str) -> str:
    """The unit of a GB 3095 pollutant, else of an HJ 212-2017 Annex B factor code (``a21026``), else ""."""
    try:
        return Pollutant(pollutant).unit
    except ValueError:
        factor = FACTORS_2017.get(pollutant)
        return factor.unit if factor is not None else ""


def site_series(session: Session, site: Site, hours: int, memo: FigureMemo) -> dict[str, Any]:
    """The last ``hours`` hours of ``site`` ending at its latest hour: values per pollutant and AQI."""
    return memo.get_or_compute(("series", site.id, site.data_version, hours),
                               lambda: _series(session, site, hours))


def _series(session: Session, site: Site, hours: int) -> dict[str, Any]:
    latest = latest_hours(session, [site.id]).get(site.id)
    status = _status(session, site, latest)
    if latest is None:
        return {"site": status, "from": None, "to": None, "pollutants": {}, "aqi": []}
    first = latest - dt.timedelta(hours=hours - 1)
    times = [first + dt.timedelta(hours=h) for h in range(hours)]
    labels = [beijing_iso(t) for t in times]
    index = {t: i for i, t in enumerate(times)}
    pollutants: dict[str, dict[str, Any]] = {}
    if site.kind == SiteKind.air_station:  # the six of GB 3095 always, in the standard's order
        for pollutant in Pollutant:
            pollutants[pollutant.value] = {"unit": pollutant.unit, "points": [[t, None] for t in labels]}
    for time, pollutant, value, flag in _values(session, site, first, latest):
        entry = pollutants.setdefault(pollutant, {"unit": _unit(pollutant), "points": [[t, None] for t in labels]})
        usable = value is not None and flag != INVALID_FLAG and (flag is None or flag in VALID_FLAGS)
        if usable:
            entry["points"][index[as_utc(time)]][1] = value
    aqi: list[list] = []
    if site.kind == SiteKind.air_station:
        aqi = [[beijing_iso(r["time"]), r["aqi"]] for r in _realtime(session, site, first, latest)]
    return {"site": status, "from": labels[0], "to": labels[-1], "pollutants": pollutants, "aqi": aqi}

