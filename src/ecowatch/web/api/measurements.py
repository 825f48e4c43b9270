"""``/api/v1/measurements``: stored values of the sites in scope, filtered and paged.

What one request may cost is bounded (issue 14: ``offset=10000000`` took 7.6 s, eight of them in
parallel stalled every other user):

- paging goes on with ``cursor`` (keyset: the next page starts after the last row's primary key, an
  index seek whatever the depth); ``offset`` is refused past :data:`MAX_OFFSET`;
- ``total`` of a JSON page is counted up to :data:`PAGE_COUNT_CAP` rows (as deep as ``offset`` goes),
  a download's up to :data:`COUNT_CAP`, never over the whole table;
- an unknown ``pollutant`` is refused before the database is asked (it made the database walk the
  whole index for rows that never come);
- every read runs under :data:`READ_BUDGET_S` (:func:`ecowatch.store.budget.query_budget`): past it
  the database stops the query and the answer says to narrow the request;
- downloads hold at most :data:`MAX_DOWNLOAD_ROWS` rows, XLSX at most :data:`MAX_XLSX_ROWS` (a
  workbook costs ~50 µs a cell): larger workbooks are background jobs (``POST /api/v1/exports``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_
from sqlalchemy.orm import Session

from ecowatch.hj212.codes import CODE_2005_TO_2017, FACTORS_2017
from ecowatch.shapes.labels import pollutant_label
from ecowatch.standards import Pollutant
from ecowatch.store.budget import QueryBudgetExceeded, query_budget
from ecowatch.store.frames import frame_values_query
from ecowatch.store.hj212_values import FRAME_INTERVALS, frame_measurements
from ecowatch.store.measurements import BEIJING_OFFSET
from ecowatch.store.models import Hj212Frame, Measurement, Site
from ecowatch.store.users import Scope
from ecowatch.web.api.common import SCOPE_ERRORS, IsoDateOrTime
from ecowatch.web.deps import ScopeDep, SessionDep, site_in_scope
from ecowatch.web.fairness import COSTLY_ERRORS, costly
from ecowatch.web.schemas import MeasurementPage, MeasurementRead, Problem
from ecowatch.web.status import as_utc, beijing_iso
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, table_response

__all__ = [
    "COUNT_CAP",
    "MAX_DOWNLOAD_ROWS",
    "MAX_OFFSET",
    "MAX_XLSX_ROWS",
    "READ_BUDGET_S",
    "Filters",
    "check_download",
    "check_pollutant",
    "count_rows",
    "measurement_rows",
    "read_filters",
    "router",
]

router = APIRouter(prefix="/measurements", tags=["measurements"])

#: A download holds at most this many rows (a month of one station is 4,464): page for more.
MAX_DOWNLOAD_ROWS = 200_000
#: A workbook answered at once holds at most this many rows (a few seconds of writing); larger ones
#: are made by a background job with progress (``POST /api/v1/exports``).
MAX_XLSX_ROWS = 20_000
#: Rows per JSON page.
MAX_JSON_LIMIT = 1000
#: Deepest ``offset``: past it the database would skip that many rows for every page; use ``cursor``.
MAX_OFFSET = 10_000
#: A download's rows are counted up to this many (its limit), a JSON page's ``total`` up to
#: ``PAGE_COUNT_CAP`` (null above: page on with ``next_cursor``); counting 200,000 index entries took
#: 0.15 s of a first page on the Beijing store (bench/api_costs.py).
COUNT_CAP = MAX_DOWNLOAD_ROWS
PAGE_COUNT_CAP = MAX_OFFSET
#: What one request's reads may take [s] before the database stops them.
READ_BUDGET_S = 5.0
#: Real-time and minute values are read from their frames: one request reads at most this many (a
#: month of an outlet's minute data is 44,640).
MAX_FRAMES_READ = 50_000

TIME_HELP = (
    "ISO 8601: a date (YYYY-MM-DD) means the whole Beijing day, so from=2016-03-06&to=2016-03-06 "
    "is the 24 hour labels 00:00-23:00 of that day; a date-time without an offset is Beijing time. "
    "Both bounds are inclusive."
)
TimeQuery = Annotated[IsoDateOrTime | None, Query(description=TIME_HELP)]


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=message)


def _utc(time: dt.datetime) -> dt.datetime:
    if time.tzinfo is None:
        return (time - BEIJING_OFFSET).replace(tzinfo=dt.UTC)
    return time.astimezone(dt.UTC)


def _day_start(day: dt.date) -> dt.datetime:
    return _utc(dt.datetime.combine(day, dt.time()))


def _bounds(
    time_from: dt.date | None, time_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start, end) in UTC: a date ``to`` ends with its whole Beijing day, a date-time ``to`` includes
    itself."""
    start = end = None
    if time_from is not None:
        start = _utc(time_from) if isinstance(time_from, dt.datetime) else _day_start(time_from)
    if time_to is not None:
        end = (
            _utc(time_to) + dt.timedelta(microseconds=1)
            if isinstance(time_to, dt.datetime)
            else _day_start(time_to + dt.timedelta(days=1))
        )
    if (
        time_from is not None
        and time_to is not None
        and start is not None
        and end is not None
        and end <= start
    ):
        raise _unprocessable(f"to: {time_to.isoformat()} is before from: {time_from.isoformat()}")
    return start, end


_KNOWN = frozenset(p.value for p in Pollutant) | frozenset(FACTORS_2017)


def check_pollutant(code: str) -> None:
    """Refuse (422) a code that is neither a GB 3095 pollutant nor an HJ 212-2017 Annex B factor, possibly
    with a suffix (``a21026-Cou``), before any read: no stored row can carry it."""
    base = code.split("-", 1)[0]
    if base in _KNOWN:
        return
    hint = ""
    if base in CODE_2005_TO_2017:
        hint = f"; HJ 212-2005 code {base} is stored as {CODE_2005_TO_2017[base]}"
    raise _unprocessable(
        f"pollutant: {code!r} is neither a GB 3095 pollutant ({', '.join(p.value for p in Pollutant)})"
        f" nor an HJ 212-2017 Annex B code (a21026, w01018, ...){hint}"
    )


# -- cursor -------------------------------------------------------------------------------------------


def encode_cursor(interval: str, site_id: int, time: dt.datetime, pollutant: str) -> str:
    """An opaque token for "after this row": its primary key (the interval, site, UTC time, pollutant)."""
    key = [interval, site_id, as_utc(time).isoformat(), pollutant]
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, interval: str) -> tuple[int, dt.datetime, str]:
    """The (site id, UTC time, pollutant) a cursor points after; 422 for one this API did not give."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        given_interval, site_id, time, pollutant = key
        time = dt.datetime.fromisoformat(time)
        if not (isinstance(site_id, int) and isinstance(pollutant, str) and time.tzinfo is not None):
            raise ValueError(key)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _unprocessable(
            "cursor: not a cursor this API gave (use next_cursor of the previous page)"
        ) from None
    if given_interval != interval:
        raise _unprocessable(f"cursor: it pages interval={given_interval}, not interval={interval}")
    return site_id, time, pollutant


# -- the read ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """A measurements request's filters, as :func:`read_filters` checked them."""

    scope: ColumnElement[bool]
    site_id: int | None
    pollutant: str | None
    interval: str
    start: dt.datetime | None  # UTC, inclusive
    end: dt.datetime | None  # UTC, exclusive
    after: tuple[int, dt.datetime, str] | None  # the cursor's row


def read_filters(
    session: Session,
    scope: Scope,
    *,
    site: str | None,
    pollutant: str | None,
    time_from: dt.date | None,
    time_to: dt.date | None,
    interval: str,
    cursor: str | None = None,
) -> Filters:
    """Check a request's filters (422 or 404 naming the field) and resolve its site."""
    if pollutant is not None:
        check_pollutant(pollutant)
    start, end = _bounds(time_from, time_to)
    after = decode_cursor(cursor, interval) if cursor is not None else None
    site_id = None
    if site is not None:
        site_id = site_in_scope(
            session.scalars(select(Site).where(Site.code == site)).one_or_none(), scope, site
        ).id
    return Filters(scope.site_filter(), site_id, pollutant, interval, start, end, after)


def _query(filters: Filters, *, sites_after: int | None = None) -> Select:
    """The request's rows in primary-key order; ``sites_after``: only the sites with a greater id.

    The sites are given as ``site_id IN (the sites in scope)``: SQLite then walks the primary key
    site by site in order and stops at the page's end (0.1 ms), where a join filter on the sites
    made it sort each site's rows first (140 ms a page on the Beijing store)."""
    key = (Measurement.site_id, Measurement.interval, Measurement.time, Measurement.pollutant)
    sites = select(Site.id).where(filters.scope)
    if filters.site_id is not None:
        sites = sites.where(Site.id == filters.site_id)
    if sites_after is not None:
        sites = sites.where(Site.id > sites_after)
    query = (
        select(Site.code, Measurement)
        .join(Site, Site.id == Measurement.site_id)
        .where(Measurement.site_id.in_(sites), Measurement.interval == filters.interval)
        .order_by(*key)
    )
    if filters.pollutant is not None:
        query = query.where(Measurement.pollutant == filters.pollutant)
    if filters.start is not None:
        query = query.where(Measurement.time >= filters.start)
    if filters.end is not None:
        query = query.where(Measurement.time < filters.end)
    return query


def _pages(filters: Filters) -> list[Select]:
    """The queries whose rows, one after the other, are the request's rows after its cursor: the rest
    of the cursor's site (a range of the primary key), then the sites after it.  One row-value
    comparison over all sites would make SQLite test it row by row (250 ms a page)."""
    if filters.after is None:
        return [_query(filters)]
    site_id, time, pollutant = filters.after
    rest_of_site = _query(filters).where(
        Measurement.site_id == site_id,
        tuple_(Measurement.time, Measurement.pollutant) > tuple_(literal(time), literal(pollutant)),
    )
    return [rest_of_site, _query(filters, sites_after=site_id)]


def _beijing(time: dt.datetime) -> str:
    """``time`` (UTC) as ISO 8601 in Beijing time; :func:`beijing_iso` gives None only for None."""
    text = beijing_iso(time)
    assert text is not None
    return text


def _read(code: str, row: Measurement) -> MeasurementRead:
    return MeasurementRead(
        site=code,
        interval=row.interval,
        time=_beijing(row.time),
        pollutant=row.pollutant,
        value=row.value,
        unit=pollutant_label(row.pollutant).unit,
        flag=row.flag,
        note=row.note,
        source=row.source,
    )


def _count(session: Session, query: Select, cap: int | None = None) -> int | None:
    """Rows of ``query`` up to ``cap`` (default :data:`COUNT_CAP`); None above."""
    cap = COUNT_CAP if cap is None else cap
    capped = query.order_by(None).limit(cap + 1).subquery()
    count = session.scalar(select(func.count()).select_from(capped)) or 0
    return None if count > cap else count


def count_rows(session: Session, filters: Filters) -> int | None:
    """Rows a request's filters (and cursor) select, up to :data:`COUNT_CAP`; None above."""
    counts = [_count(session, query) for query in _pages(filters)]
    known = [count for count in counts if count is not None]
    return None if len(known) < len(counts) or sum(known) > COUNT_CAP else sum(known)


def measurement_rows(
    session: Session,
    filters: Filters,
    *,
    limit: int | None,
    offset: int = 0,
    count: bool = True,
    progress=None,
) -> tuple[int | None, list[tuple[tuple, MeasurementRead]]]:
    """``total`` (capped) and the rows ``(key, row)`` of a request, ``limit`` None for all of them.

    ``key`` is the row's (site id, UTC time, pollutant), from which :func:`encode_cursor` makes the
    next page's cursor; ``progress(done)`` is called every 1,000 rows (background exports)."""
    if filters.interval in FRAME_INTERVALS:
        merged = _with_frame_values(session, filters)
        if filters.after is not None:
            site_id, time, pollutant = filters.after
            merged = [(key, row) for key, row in merged if key > (site_id, time, pollutant)]
        end = None if limit is None else offset + limit
        return len(merged), merged[offset:end]
    total = _count(session, _query(filters), PAGE_COUNT_CAP) if count else None
    out: list[tuple[tuple, MeasurementRead]] = []
    for query in _pages(filters):  # offset comes without a cursor, so with one query only
        if limit is not None and len(out) >= limit:
            break
        query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit - len(out))
        for code, row in session.execute(query):
            out.append(((row.site_id, as_utc(row.time), row.pollutant), _read(code, row)))
            if progress is not None and len(out) % 1000 == 0:
                progress(len(out))
    return total, out


@router.get(
    "",
    response_model=MeasurementPage,
    description=__doc__,
    dependencies=[Depends(costly)],
    responses={**SCOPE_ERRORS, 404: {"model": Problem}, **COSTLY_ERRORS, **TABLE_RESPONSES},
)
def list_measurements(
    session: SessionDep,
    scope: ScopeDep,
    site: Annotated[str | None, Query(max_length=32, description="Site code")] = None,
    pollutant: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9._-]{1,16}$",
            description="A GB 3095 pollutant (PM2.5) or an HJ 212-2017 Annex "
            "B code (a21026, a21026-Cou); others are refused",
        ),
    ] = None,
    time_from: Annotated[TimeQuery, Query(alias="from")] = None,
    time_to: Annotated[TimeQuery, Query(alias="to")] = None,
    interval: Annotated[
        str,
        Query(
            pattern=r"^(rtd|min|\d{1,4}(min|h|d))$",
            description="Averaging interval: 1h, 1d (hour and day means), min "
            "and rtd (HJ 212 minute and real-time data)",
        ),
    ] = "1h",
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_DOWNLOAD_ROWS,
            description=f"Rows per JSON page (default 100, at most {MAX_JSON_LIMIT}); "
            "of a download: its first rows (default all)",
        ),
    ] = None,
    offset: Annotated[
        int, Query(ge=0, description=f"Rows to skip, at most {MAX_OFFSET:,}: page on with cursor")
    ] = 0,
    cursor: Annotated[
        str | None, Query(max_length=256, description="next_cursor of the previous page: the page after it")
    ] = None,
    fmt: FormatQuery = TableFormat.json,
) -> MeasurementPage | Response:
    """Values in (site, time, pollutant) order; see the description for the bounds of a request."""
    if offset > MAX_OFFSET:
        raise _unprocessable(
            f"offset: {offset} is past the deepest offset ({MAX_OFFSET}); page on with "
            "cursor= (next_cursor of each page), which costs the same at any depth"
        )
    if offset and cursor is not None:
        raise _unprocessable("offset, cursor: give one of them (a cursor already says where the page starts)")
    if fmt is TableFormat.json and limit is not None and limit > MAX_JSON_LIMIT:
        raise _unprocessable(
            f"limit: at most {MAX_JSON_LIMIT} rows per JSON page (downloads take up to {MAX_DOWNLOAD_ROWS})"
        )
    filters = read_filters(
        session,
        scope,
        site=site,
        pollutant=pollutant,
        time_from=time_from,
        time_to=time_to,
        interval=interval,
        cursor=cursor,
    )
    try:
        with query_budget(session, READ_BUDGET_S):
            if fmt is not TableFormat.json:
                return _download(session, filters, fmt, limit, offset)
            page = limit or 100
            total, rows = measurement_rows(session, filters, limit=page + 1, offset=offset)
    except QueryBudgetExceeded as error:
        raise _unprocessable(f"from/to: {error}; narrow site/pollutant/from/to") from None
    next_cursor = encode_cursor(interval, *rows[page - 1][0]) if len(rows) > page else None
    return MeasurementPage(
        total=total, limit=page, offset=offset, next_cursor=next_cursor, items=[row for _, row in rows[:page]]
    )


def check_download(total: int | None, limit: int | None, fmt: TableFormat) -> int:
    """The rows a download will hold (``limit`` applies first); 422 when more than it may."""
    rows = total if limit is None or (total is not None and total < limit) else limit
    if rows is None or rows > MAX_DOWNLOAD_ROWS:
        raise _unprocessable(
            f"format: {'over ' if rows is None else ''}{rows or COUNT_CAP} rows are more than a "
            f"download holds ({MAX_DOWNLOAD_ROWS}); give limit= or narrow site/pollutant/from/to"
        )
    if fmt is TableFormat.xlsx and rows > MAX_XLSX_ROWS:
        raise _unprocessable(
            f"format: {rows} rows are more than a workbook answered at once holds "
            f"({MAX_XLSX_ROWS}); POST /api/v1/exports makes it in the background"
        )
    return rows


def _download(
    session: Session, filters: Filters, fmt: TableFormat, limit: int | None, offset: int
) -> Response:
    if filters.interval in FRAME_INTERVALS:
        _, rows = measurement_rows(session, filters, limit=limit, offset=offset)
        check_download(len(rows), None, fmt)
    else:
        total = count_rows(session, filters)
        check_download(None if total is None else max(0, total - offset), limit, fmt)
        _, rows = measurement_rows(session, filters, limit=limit, offset=offset, count=False)
    return table_response(
        [row.model_dump() for _, row in rows], fmt, "measurements", columns=list(MeasurementRead.model_fields)
    )


def _with_frame_values(session: Session, filters: Filters) -> list[tuple[tuple, MeasurementRead]]:
    """Real-time and minute values: the gateway keeps them in their frames (``ecowatch.store.frames``),
    other writers may have put some in ``measurement``; both, in (site, time, pollutant) order."""
    interval = filters.interval
    frames = (
        frame_values_query(interval)
        .add_columns(Site.code)
        .join(Site, Site.id == Hj212Frame.site_id)
        .where(filters.scope)
    )
    if filters.site_id is not None:
        frames = frames.where(Hj212Frame.site_id == filters.site_id)
    if filters.after is not None:  # the cursor's site and those after it: the rest is filtered by key
        frames = frames.where(Hj212Frame.site_id >= filters.after[0])
    if filters.start is not None:
        frames = frames.where(Hj212Frame.data_time_utc >= filters.start)
    if filters.end is not None:
        frames = frames.where(Hj212Frame.data_time_utc < filters.end)
    count = session.scalar(select(func.count()).select_from(frames.order_by(None).subquery())) or 0
    if count > MAX_FRAMES_READ:
        raise _unprocessable(
            f"interval: {count} {interval} frames match, more than one request reads "
            f"({MAX_FRAMES_READ}); narrow site/from/to"
        )
    found = list(session.execute(frames))
    codes = {row.site_id: row.code for row in found}
    rows = frame_measurements(tuple(row)[:6] for row in found)
    if filters.pollutant is not None:
        rows = [row for row in rows if row[3] == filters.pollutant]
    merged: list[tuple[Any, ...]] = [
        (row.site_id, as_utc(row.time), row.pollutant, code, row.value, row.flag, row.note, row.source)
        for code, row in session.execute(_query(filters))
    ]
    merged += [
        (site, as_utc(time), pollutant, codes[site], value, flag, note, source)
        for site, _, time, pollutant, value, flag, note, source in rows
    ]
    merged.sort(key=lambda row: row[:3])
    return [
        (
            (site, time, pollutant),
            MeasurementRead(
                site=code,
                interval=interval,
                time=_beijing(time),
                pollutant=pollutant,
                value=value,
                unit=pollutant_label(pollutant).unit,
                flag=flag,
                note=note,
                source=source,
            ),
        )
        for site, time, pollutant, code, value, flag, note, source in merged
    ]
