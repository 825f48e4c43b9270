"""``/api/v1/measurements``: stored values of the sites in scope, filtered and paged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response
from sqlalchemy import func, select

from ecowatch.store.measurements import BEIJING_OFFSET
from ecowatch.store.models import Measurement, Site
from ecowatch.web.api.common import SCOPE_ERRORS, IsoDateTime, Limit, Offset
from ecowatch.web.deps import ScopeDep, SessionDep, site_in_scope
from ecowatch.web.schemas import MeasurementPage, MeasurementRead, Problem
from ecowatch.web.status import beijing_iso
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, table_response

router = APIRouter(prefix="/measurements", tags=["measurements"])

#: A download holds at most this many rows (a month of one station is 4,464): page for more.
MAX_DOWNLOAD_ROWS = 200_000
TimeQuery = Annotated[IsoDateTime | None, Query(description="ISO 8601; without an offset it is Beijing time")]


def _utc(time: dt.datetime) -> dt.datetime:
    if time.tzinfo is None:
        return (time - BEIJING_OFFSET).replace(tzinfo=dt.UTC)
    return time.astimezone(dt.UTC)


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
    query = (select(Site.code, Measurement)
             .join(Site, Site.id == Measurement.site_id)
             .where(scope.site_filter(), Measurement.interval == interval)
             .order_by(Measurement.site_id, Measurement.interval, Measurement.time, Measurement.pollutant))
    if time_from is not None and time_to is not None and _utc(time_to) < _utc(time_from):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail=f"to: {time_to.isoformat()} is before from: {time_from.isoformat()}")
    if site is not None:
        chosen = site_in_scope(session.scalars(select(Site).where(Site.code == site)).one_or_none(), scope, site)
        query = query.where(Measurement.site_id == chosen.id)
    if pollutant is not None:
        query = query.where(Measurement.pollutant == pollutant)
    if time_from is not None:
        query = query.where(Measurement.time >= _utc(time_from))
    if time_to is not None:
        query = query.where(Measurement.time <= _utc(time_to))

    def read(code: str, row: Measurement) -> MeasurementRead:
        return MeasurementRead(site=code, interval=row.interval, time=beijing_iso(row.time), pollutant=row.pollutant,
                               value=row.value, flag=row.flag, note=row.note, source=row.source)

    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if fmt is not TableFormat.json:
        if total > MAX_DOWNLOAD_ROWS:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                detail=f"format: {total} rows are more than a download holds ({MAX_DOWNLOAD_ROWS}); "
                                       "narrow site/pollutant/from/to")
        rows = [read(code, row).model_dump() for code, row in session.execute(query)]
        return table_response(rows, fmt, "measurements", columns=list(MeasurementRead.model_fields))
    items = [read(code, row) for code, row in session.execute(query.limit(limit).offset(offset))]
    return MeasurementPage(total=total, limit=limit, offset=offset, items=items)
