"""``/api/v1/measurements``: stored values of the sites in scope, filtered and paged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response
from sqlalchemy import ColumnElement, func, select

from ecowatch.store.frames import FRAME_INTERVALS, frame_measurements, frame_values_query
from ecowatch.store.measurements import BEIJING_OFFSET
from ecowatch.store.models import Hj212Frame, Measurement, Site
from ecowatch.web.api.common import SCOPE_ERRORS, IsoDateTime, Limit, Offset
from ecowatch.web.deps import ScopeDep, SessionDep, site_in_scope
from ecowatch.web.schemas import MeasurementPage, MeasurementRead, Problem
from ecowatch.web.status import as_utc, beijing_iso
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, table_response

router = APIRouter(prefix="/measurements", tags=["measurements"])

#: A download holds at most this many rows (a month of one station is 4,464): page for more.
MAX_DOWNLOAD_ROWS = 200_000
#: Real-time and minute values are read from their frames: one request reads at most this many (a
#: month of an outlet's minute data is 44,640).
MAX_FRAMES_READ = 50_000
TimeQuery = Annotated[IsoDateTime | None, Query(description="ISO 8601; without an offset it is Beijing time")]


def _utc(time: dt.datetime) -> dt.datetime:
    if time.tzinfo is None:
        return (time - BEIJING_OFFSET).replace(tzinfo=dt.UTC)
    return time.astimezone(dt.UTC)


@dataclass(frozen=True)
class _Filters:
    scope: ColumnElement[bool]
    site_id: int | None
    pollutant: str | None
    start: dt.datetime | None  # UTC, inclusive
    end: dt.datetime | None


@router.get("", response_model=MeasurementPage,
            responses={**SCOPE_ERRORS, 404: {"model": Problem}, **TABLE_RESPONSES})
def list_measurements(
    session: SessionDep,
    scope: ScopeDep,
    site: Annotated[str | None, Query(max_length=32, description="Site code")] = None,
    pollutant: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,16}$", description="e.g. PM2.5, a21026")] = None,
    time_from: Annotated[TimeQuery, Query(alias="from")] = None,
    time_to: Annotated[TimeQuery, Query(alias="to")] = None,
    interval: Annotated[str, Query(pattern=r"^(rtd|min|\d{1,4}(min|h|d))$",
                                         description="Averaging interval: 1h, 1d (hour and day means), min "
                                                     "and rtd (HJ 212 minute and real-time data)")] = "1h",
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: FormatQuery = TableFormat.json,
) -> MeasurementPage | Response:
    """Values in (site, time, pollutant) order; ``from``/``to`` are inclusive hour labels."""
    if time_from is not None and time_to is not None and _utc(time_to) < _utc(time_from):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail=f"to: {time_to.isoformat()} is before from: {time_from.isoformat()}")
    filters = _Filters(
        scope.site_filter(),
        None if site is None else site_in_scope(session.scalars(select(Site).where(Site.code == site)).one_or_none(),
                                                scope, site).id,
        pollutant,
        None if time_from is None else _utc(time_from),
        None if time_to is None else _utc(time_to),
    )
    query = (select(Site.code, Measurement)
             .join(Site, Site.id == Measurement.site_id)
             .where(filters.scope, Measurement.interval == interval)
             .order_by(Measurement.site_id, Measurement.interval, Measurement.time, Measurement.pollutant))
    if filters.site_id is not None:
        query = query.where(Measurement.site_id == filters.site_id)
    if pollutant is not None:
        query = query.where(Measurement.pollutant == pollutant)
    if filters.start is not None:
        query = query.where(Measurement.time >= filters.start)
    if filters.end is not None:
        query = query.where(Measurement.time <= filters.end)

    def read(code: str, row: Measurement) -> MeasurementRead:
        return MeasurementRead(site=code, interval=row.interval, time=beijing_iso(row.time), pollutant=row.pollutant,
                               value=row.value, flag=row.flag, note=row.note, source=row.source)

    if interval in FRAME_INTERVALS:
        items = _with_frame_values(session, query, interval, filters)
        total = len(items)
        if fmt is not TableFormat.json:
            _check_download(total)
            return table_response([item.model_dump() for item in items], fmt, "measurements",
                                  columns=list(MeasurementRead.model_fields))
        return MeasurementPage(total=total, limit=limit, offset=offset, items=items[offset:offset + limit])

    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if fmt is not TableFormat.json:
        _check_download(total)
        rows = [read(code, row).model_dump() for code, row in session.execute(query)]
        return table_response(rows, fmt, "measurements", columns=list(MeasurementRead.model_fields))
    items = [read(code, row) for code, row in session.execute(query.limit(limit).offset(offset))]
    return MeasurementPage(total=total, limit=limit, offset=offset, items=items)


def _check_download(total: int) -> None:
    if total > MAX_DOWNLOAD_ROWS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail=f"format: {total} rows are more than a download holds ({MAX_DOWNLOAD_ROWS}); "
                                   "narrow site/pollutant/from/to")


def _with_frame_values(session, query, interval: str, filters: _Filters) -> list[MeasurementRead]:
    """Real-time and minute values: the gateway keeps them in their frames (``ecowatch.store.frames``),
    other writers may have put some in ``measurement``; both, in (site, time, pollutant) order."""
    frames = (frame_values_query(interval).add_columns(Site.code).join(Site, Site.id == Hj212Frame.site_id)
              .where(filters.scope))
    if filters.site_id is not None:
        frames = frames.where(Hj212Frame.site_id == filters.site_id)
    if filters.start is not None:
        frames = frames.where(Hj212Frame.data_time_utc >= filters.start)
    if filters.end is not None:
        frames = frames.where(Hj212Frame.data_time_utc <= filters.end)
    count = session.scalar(select(func.count()).select_from(frames.order_by(None).subquery())) or 0
    if count > MAX_FRAMES_READ:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail=f"interval: {count} {interval} frames match, more than one request reads "
                                   f"({MAX_FRAMES_READ}); narrow site/from/to")
    found = list(session.execute(frames))
    codes = {row.site_id: row.code for row in found}
    rows = frame_measurements(tuple(row)[:6] for row in found)
    if filters.pollutant is not None:
        rows = [row for row in rows if row[3] == filters.pollutant]
    merged = [(row.site_id, as_utc(row.time), row.pollutant, code, row.value, row.flag, row.note, row.source)
              for code, row in session.execute(query)]
    merged += [(site, as_utc(time), pollutant, codes[site], value, flag, note, source)
               for site, _, time, pollutant, value, flag, note, source in rows]
    merged.sort(key=lambda row: row[:3])
    return [MeasurementRead(site=code, interval=interval, time=beijing_iso(time), pollutant=pollutant, value=value,
                            flag=flag, note=note, source=source)
            for _, time, pollutant, code, value, flag, note, source in merged]
