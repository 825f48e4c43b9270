"""The current state of sites: latest hour, real-time AQI (HJ 633 实时报) and recent series.

The hour labels are Beijing time (UTC+8, the standards' clock) and go out as ISO 8601 with
``+08:00``.  The real-time AQI of an air station at an hour is
:func:`ecowatch.assessment.hourly.realtime_aqi` under the edition in force on that hour's date
(:func:`ecowatch.standards.edition_for`): it needs the 24 hours before (PM 24-h moving means,
[HJ633-2012]_ §5.2), so the values read start a day before the first hour shown.

Results are memoised per site and ``data_version`` (:class:`~ecowatch.web.cache.FigureMemo`), so a
request that finds no new data reads one row per site.

Old data must look old (issue 13): every status carries the time of its value, and
:func:`mark_stale` greys a site whose value is older than :data:`AIR_STALE_AFTER` (air) or
:data:`RECENT` (water, outlets) before the moment shown: the wall clock, or the hour ``at`` a person
picked to see history (the Beijing demo's data end in 2017) as it was at its own time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from ecowatch.assessment.cube import cube_from_measurements
from ecowatch.assessment.hourly import realtime_aqi
from ecowatch.clock import BEIJING, BEIJING_OFFSET, as_utc
from ecowatch.shapes.labels import pollutant_label
from ecowatch.shapes.measurements import POLLUTANTS
from ecowatch.standards import MISSING, Pollutant, aqi_level, edition_for
from ecowatch.store.frames import frame_values_query
from ecowatch.store.hj212_values import FRAME_INTERVALS, frame_measurements
from ecowatch.store.measurements import INVALID_FLAG, VALID_FLAGS, read_measurements
from ecowatch.store.models import Hj212Frame, Measurement, Site, SiteKind
from ecowatch.store.sites import station_of
from ecowatch.web.cache import FigureMemo

__all__ = [
    "AIR_STALE_AFTER",
    "NO_DATA_COLOUR",
    "RECENT",
    "REPORTING_COLOUR",
    "beijing_iso",
    "frames_marker",
    "latest_hours",
    "mark_stale",
    "series_label",
    "site_series",
    "site_statuses",
    "site_versions",
]

#: Map colour of a site without recent data (Material grey 500).
NO_DATA_COLOUR = "#9E9E9E"
#: Map colour of a water section or outlet that reports (Material green 800): no AQI applies to them.
REPORTING_COLOUR = "#2E7D32"
#: A water section or outlet is "reporting" when its latest hour is at most this long before ``as_of``.
RECENT = dt.timedelta(hours=24)
#: An air station's value older than this before the moment shown is stale (grey, with its time): the
#: real-time report (HJ 633 实时报) is hourly, so a value three hours old no longer tells the air now.
AIR_STALE_AFTER = dt.timedelta(hours=3)
#: Real-time and minute frames drawn for an outlet or water section: the last 720 (two hours of a
#: monitor reporting every 10 s), so a chart never parses days of frames.
FRAME_POINTS = 720
#: Hours before the first one shown that its real-time AQI needs (the PM 24-h moving mean).
AQI_LOOKBACK_HOURS = 24
#: What :meth:`FigureMemo.get` answers for a key it does not hold.
_ABSENT = object()
HOURLY = "1h"


def beijing_iso(time_utc: dt.datetime | None) -> str | None:
    """An aware or naive-UTC time as ISO 8601 in Beijing time, e.g. ``2017-02-28T23:00:00+08:00``."""
    if time_utc is None:
        return None
    if time_utc.tzinfo is None:
        time_utc = time_utc.replace(tzinfo=dt.UTC)
    return time_utc.astimezone(BEIJING).isoformat()


def latest_hours(
    session: Session, site_ids: Sequence[int], until: dt.datetime | None = None
) -> dict[int, dt.datetime]:
    """Each site's latest hourly time (UTC), at or before ``until`` if given; sites without hourly
    values (then) are left out.

    One ``max(time)`` per site on the primary key's leading columns (site_id, interval, time): an
    index lookup on SQLite and on each PostgreSQL partition, where a GROUP BY would scan the table.
    """
    if not site_ids:
        return {}
    conditions = [Measurement.site_id == Site.id, Measurement.interval == HOURLY]
    if until is not None:
        conditions.append(Measurement.time <= until)
    latest = select(func.max(Measurement.time)).where(*conditions).scalar_subquery()
    rows = session.execute(select(Site.id, latest).where(Site.id.in_(list(site_ids))))
    return {site_id: as_utc(time) for site_id, time in rows if time is not None}


_FRAME_CNS = tuple(f"{cn:04d}" for cn in FRAME_INTERVALS.values())


def latest_frames(
    session: Session, site_ids: Sequence[int], until: dt.datetime | None = None
) -> dict[int, dt.datetime]:
    """Each site's latest real-time or minute frame time (UTC), at or before ``until`` if given.

    One ``max`` per site and CN, each on the leading columns of ``ix_hj212_frame_site_cn_time`` (an
    index lookup; a ``cn IN (...)`` would walk all of a site's frames).
    """
    if not site_ids:
        return {}
    columns = []
    for cn in _FRAME_CNS:
        conditions = [Hj212Frame.site_id == Site.id, Hj212Frame.cn == cn]
        if until is not None:
            conditions.append(Hj212Frame.data_time_utc <= until)
        columns.append(select(func.max(Hj212Frame.data_time_utc)).where(*conditions).scalar_subquery())
    rows = session.execute(
        select(Site.id, *columns).where(Site.id.in_(list(site_ids)), Site.kind != SiteKind.air_station.value)
    )
    out = {}
    for site_id, *times in rows:
        present = [as_utc(time) for time in times if time is not None]
        if present:
            out[site_id] = max(present)
    return out


def _latest(session: Session, site_ids: Sequence[int], until: dt.datetime | None) -> dict[int, dt.datetime]:
    """A site's latest value: its latest hour, or its latest frame when that is later (outlets)."""
    latest = latest_hours(session, site_ids, until)
    for site_id, time in latest_frames(session, site_ids, until).items():
        if site_id not in latest or time > latest[site_id]:
            latest[site_id] = time
    return latest


def _level_fields(aqi: int | None) -> dict[str, Any]:
    if aqi is None:
        return {
            "aqi": None,
            "level": None,
            "category_zh": None,
            "category_en": None,
            "colour": NO_DATA_COLOUR,
        }
    level = aqi_level(aqi)
    return {
        "aqi": aqi,
        "level": level.number,
        "category_zh": level.category_zh,
        "category_en": level.category_en,
        "colour": level.colour_hex,
    }


def _realtime(
    session: Session, site: Site, first_utc: dt.datetime, last_utc: dt.datetime
) -> list[dict[str, Any]]:
    """Real-time AQI records of ``site`` for every hour from ``first_utc`` to ``last_utc``."""
    return _realtime_of(session, [site], first_utc, last_utc)[site.id]


def _realtime_of(
    session: Session, sites: Sequence[Site], first_utc: dt.datetime, last_utc: dt.datetime
) -> dict[int, list[dict[str, Any]]]:
    """Real-time AQI records of each of ``sites`` (by id) for every hour from ``first_utc`` to
    ``last_utc``: one read and one cube for all of them (a site at a time, hundreds of stations whose
    hour data just arrived cost seconds: bench/attack.py)."""
    first_local = (first_utc + BEIJING_OFFSET).replace(tzinfo=None)
    last_local = (last_utc + BEIJING_OFFSET).replace(tzinfo=None)
    read_from = (first_local - dt.timedelta(hours=AQI_LOOKBACK_HOURS)).date()
    # The AQI's six pollutants only: an air station may also carry an HJ 212 device's other codes.
    frame = read_measurements(
        session=session,
        site_codes=[site.code for site in sites],
        first_day=read_from,
        last_day=last_local.date(),
        pollutants=POLLUTANTS,
    )
    cube = cube_from_measurements(frame, [station_of(site) for site in sites], read_from, last_local.date())
    start = dt.datetime.combine(read_from, dt.time())
    first_index = int((first_local - start) / dt.timedelta(hours=1))
    last_index = int((last_local - start) / dt.timedelta(hours=1))
    hours = range(first_index, last_index + 1)
    editions = {edition_for((start + dt.timedelta(hours=h)).date()) for h in hours}
    results = {edition: realtime_aqi(cube, edition) for edition in editions}
    records: dict[int, list[dict[str, Any]]] = {}
    for i, site in enumerate(sites):
        records[site.id] = []
        for h in hours:
            local = start + dt.timedelta(hours=h)
            result = results[edition_for(local.date())]
            aqi = int(result.combined.aqi[i, h])
            published = None if aqi == MISSING else aqi
            iaqi = {
                item.value: (None if (v := int(values[i, h])) < 0 else v)
                for item, values in result.iaqi.items()
            }
            primary = [item.value for item, mask in result.combined.primary.items() if mask[i, h]]
            records[site.id].append(
                {
                    "time": local.replace(tzinfo=BEIJING),
                    "aqi": published,
                    "iaqi": iaqi,
                    "primary_pollutants": primary if published is not None else [],
                    "edition": edition_for(local.date()).value,
                }
            )
    return records


def _site_fields(site: Site) -> dict[str, Any]:
    return {
        "code": site.code,
        "name": site.name,
        "name_en": site.name_en,
        "kind": site.kind,
        "category": site.category,
        "lon": site.lon,
        "lat": site.lat,
        "region": site.region.code if site.region is not None else None,
    }


def _status(
    session: Session, site: Site, latest: dt.datetime | None, record: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A site's status at its own latest hour (before the staleness rule, which needs the moment shown);
    ``record``: an air station's real-time AQI record of that hour, when already computed."""
    fields = _site_fields(site) | {
        "time": beijing_iso(latest),
        "primary_pollutants": [],
        "iaqi": {},
        "edition": None,
        "stale": False,
    }
    fields |= _level_fields(None)
    if latest is not None and site.kind == SiteKind.air_station:
        latest = latest.replace(minute=0, second=0, microsecond=0)
        if record is None:
            record = _realtime(session, site, latest, latest)[0]
        fields |= _level_fields(record["aqi"])
        fields.update(
            iaqi=record["iaqi"], primary_pollutants=record["primary_pollutants"], edition=record["edition"]
        )
    return fields


def site_versions(session: Session, where: ColumnElement[bool]) -> tuple[tuple[int, int], ...]:
    """``(id, data_version)`` of the sites ``where`` selects, in id order: the key of their figures."""
    return tuple(session.execute(select(Site.id, Site.data_version).where(where).order_by(Site.id)).tuples())


def frames_marker(session: Session) -> int:
    """The newest kept frame's id: part of the memo keys of outlets' figures, since real-time and minute
    frames do not bump ``site.data_version`` (only hour and day values do).  One primary-key lookup."""
    return session.scalar(select(func.max(Hj212Frame.id))) or 0


def site_statuses(
    session: Session,
    versions: tuple[tuple[int, int], ...],
    memo: FigureMemo,
    *,
    at: dt.datetime | None = None,
    reference: dt.datetime | None = None,
    frames: int | None = None,
) -> tuple[str | None, list[dict]]:
    """``(as_of, statuses)`` of the sites of ``versions`` (:func:`site_versions`); as_of is their latest
    value's time.  With ``at`` (aware), each site's status is that of its last value at or before ``at``.

    An air station carries the HJ 633 colour of its real-time AQI at its own latest hour, a water
    section or an outlet :data:`REPORTING_COLOUR`; then :func:`mark_stale` greys what is old at
    ``reference`` (default: ``at``, else ``as_of``).

    The statuses are memoised on the sites' ``(id, data_version)`` pairs (read first with one light
    query), ``at`` and ``frames`` (:func:`frames_marker`; None: frames are not looked at, the latest
    value is the latest hour): with no new data a request loads no site and computes nothing.
    """
    as_of, statuses = memo.get_or_compute(
        ("statuses", versions, at, frames), lambda: _statuses(session, versions, memo, at, frames)
    )
    reference = reference or at or as_of
    return beijing_iso(as_of), [mark_stale(status, time, reference) for time, status in statuses]


def mark_stale(
    status: dict[str, Any], time: dt.datetime | None, reference: dt.datetime | None
) -> dict[str, Any]:
    """A copy of ``status`` with ``stale`` set and the map colour for the moment ``reference``.

    Stale (grey, :data:`NO_DATA_COLOUR`, the value's own time kept): an air station whose value is more
    than :data:`AIR_STALE_AFTER` before ``reference``, any other site more than :data:`RECENT`.  A
    fresh water section or outlet is :data:`REPORTING_COLOUR` (no AQI applies to it).
    """
    status = dict(status)
    if time is None or reference is None:
        return status
    limit = AIR_STALE_AFTER if status["kind"] == SiteKind.air_station else RECENT
    status["stale"] = reference - time > limit
    if status["stale"]:
        status["colour"] = NO_DATA_COLOUR
    elif status["kind"] != SiteKind.air_station:
        status["colour"] = REPORTING_COLOUR
    return status


def _statuses(
    session: Session,
    versions: tuple[tuple[int, int], ...],
    memo: FigureMemo,
    at: dt.datetime | None,
    frames: int | None,
) -> tuple[dt.datetime | None, list]:
    ids = [site_id for site_id, _ in versions]
    sites = session.scalars(
        select(Site).where(Site.id.in_(ids)).order_by(Site.id).options(selectinload(Site.region))
    ).all()
    latest: dict[int, dt.datetime] | None = None

    def latest_of(site_id: int) -> dt.datetime | None:
        nonlocal latest
        if latest is None:
            latest = _latest(session, ids, at) if frames is not None else latest_hours(session, ids, at)
        return latest.get(site_id)

    def key_of(site: Site) -> tuple[Any, ...]:
        marker = frames if site.kind != SiteKind.air_station else None
        return ("status", site.id, site.data_version, at, marker)

    # The air stations whose status is not memoised get their real-time AQI together, one read and one
    # cube per latest hour, rather than one site after another.
    prepared: dict[int, dict[str, Any]] = {}
    by_hour: dict[dt.datetime, list[Site]] = {}
    for site in sites:
        if (
            site.kind == SiteKind.air_station
            and memo.get(key_of(site), _ABSENT) is _ABSENT
            and (time := latest_of(site.id)) is not None
        ):
            by_hour.setdefault(time.replace(minute=0, second=0, microsecond=0), []).append(site)
    for hour, group in by_hour.items():
        prepared |= {
            site_id: records[0] for site_id, records in _realtime_of(session, group, hour, hour).items()
        }
    statuses = []
    for site in sites:

        def compute(site: Site = site) -> tuple[dt.datetime | None, dict[str, Any]]:
            time = latest_of(site.id)
            return time, _status(session, site, time, prepared.get(site.id))

        statuses.append(memo.get_or_compute(key_of(site), compute))
    times = [time for time, _ in statuses if time is not None]
    return (max(times) if times else None), statuses


def _values(
    session: Session, site: Site, first_utc: dt.datetime, last_utc: dt.datetime
) -> list[tuple[dt.datetime, str, float | None, str | None]]:
    query = (
        select(Measurement.time, Measurement.pollutant, Measurement.value, Measurement.flag)
        .where(
            Measurement.site_id == site.id,
            Measurement.interval == HOURLY,
            Measurement.time >= first_utc,
            Measurement.time <= last_utc,
        )
        .order_by(Measurement.pollutant, Measurement.time)
    )
    return list(session.execute(query).tuples())


def series_label(pollutant: str) -> dict[str, str]:
    """``unit``, ``name_zh``, ``name_en`` of a stored pollutant
    (:func:`ecowatch.shapes.labels.pollutant_label`)."""
    label = pollutant_label(pollutant)
    return {"unit": label.unit, "name_zh": label.name_zh, "name_en": label.name_en}


def site_series(
    session: Session, site: Site, hours: int, memo: FigureMemo, *, at: dt.datetime | None = None
) -> dict[str, Any]:
    """The last ``hours`` hours of ``site`` ending at its latest hour (at or before ``at``): values per
    pollutant and AQI.  An outlet or water section whose monitor reports real-time or minute frames
    gets its last :data:`FRAME_POINTS` frame values instead of the few hourly ones (``interval``)."""
    marker = frames_marker(session) if site.kind != SiteKind.air_station else None
    return memo.get_or_compute(
        ("series", site.id, site.data_version, hours, at, marker), lambda: _series(session, site, hours, at)
    )


def _frame_series(session: Session, site: Site, hours: int, at: dt.datetime | None) -> dict[str, Any] | None:
    """The last frames' values of ``site`` (minute data if it has any in the window, else real-time)."""
    end = latest_frames(session, [site.id], at).get(site.id)
    if end is None:
        return None
    start = end - dt.timedelta(hours=hours)
    for interval in ("min", "rtd"):
        query = (
            frame_values_query(interval)
            .where(
                Hj212Frame.site_id == site.id,
                Hj212Frame.data_time_utc >= start,
                Hj212Frame.data_time_utc <= end,
            )
            .order_by(None)
            .order_by(Hj212Frame.data_time_utc.desc(), Hj212Frame.id.desc())
            .limit(FRAME_POINTS)
        )
        rows = frame_measurements(tuple(row) for row in session.execute(query))
        if rows:
            break
    else:
        return None
    pollutants: dict[str, dict[str, Any]] = {}
    for _site, _interval, time, pollutant, value, flag, _note, _source in rows:
        entry = pollutants.setdefault(pollutant, {**series_label(pollutant), "points": []})
        usable = value is not None and (flag is None or flag in VALID_FLAGS)
        entry["points"].append([beijing_iso(time), value if usable else None])
    times = sorted({row[2] for row in rows})
    return {
        "site": _status(session, site, end),
        "from": beijing_iso(times[0]),
        "to": beijing_iso(times[-1]),
        "interval": interval,
        "pollutants": pollutants,
        "aqi": [],
    }


def _series(session: Session, site: Site, hours: int, at: dt.datetime | None) -> dict[str, Any]:
    if site.kind != SiteKind.air_station:
        frames = _frame_series(session, site, hours, at)
        if frames is not None:
            return frames
    latest = latest_hours(session, [site.id], at).get(site.id)
    status = _status(session, site, latest)
    if latest is None:
        return {"site": status, "from": None, "to": None, "interval": HOURLY, "pollutants": {}, "aqi": []}
    first = latest - dt.timedelta(hours=hours - 1)
    times = [first + dt.timedelta(hours=h) for h in range(hours)]
    labels = [beijing_iso(t) for t in times]
    index = {t: i for i, t in enumerate(times)}
    pollutants: dict[str, dict[str, Any]] = {}
    if site.kind == SiteKind.air_station:  # the six of GB 3095 always, in the standard's order
        for standard_pollutant in Pollutant:
            pollutants[standard_pollutant.value] = {
                **series_label(standard_pollutant.value),
                "points": [[t, None] for t in labels],
            }
    for time, pollutant, value, flag in _values(session, site, first, latest):
        entry = pollutants.setdefault(
            pollutant, {**series_label(pollutant), "points": [[t, None] for t in labels]}
        )
        usable = value is not None and flag != INVALID_FLAG and (flag is None or flag in VALID_FLAGS)
        if usable:
            entry["points"][index[as_utc(time)]][1] = value
    aqi: list[list] = []
    if site.kind == SiteKind.air_station:
        aqi = [[beijing_iso(r["time"]), r["aqi"]] for r in _realtime(session, site, first, latest)]
    return {
        "site": status,
        "from": labels[0],
        "to": labels[-1],
        "interval": HOURLY,
        "pollutants": pollutants,
        "aqi": aqi,
    }
