"""``/api/v1/sites``: the sites in the user's scope, their status on the map, their recent series."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from ecowatch.store.models import Enterprise, Region, Site, SiteKind
from ecowatch.store.sites import region_subtree
from ecowatch.store.users import Scope
from ecowatch.web.api.common import SCOPE_ERRORS, Limit, Offset, RegionCode
from ecowatch.web.deps import ScopeDep, SessionDep, released, site_in_scope, state_of
from ecowatch.web.schemas import (
    PollutantSeries,
    Problem,
    SitePage,
    SiteRead,
    SiteStatus,
)
from ecowatch.web.status import BEIJING, beijing_iso, frames_marker, site_series, site_statuses, site_versions
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, json_response, table_response

router = APIRouter(prefix="/sites", tags=["sites"])

EnterpriseCode = Annotated[str | None, Query(pattern=r"^[0-9A-Z]{18}$", description="Enterprise code")]
AtQuery = Annotated[
    dt.datetime | None,
    Query(
        description="Show the sites as they were at this moment (ISO 8601; without an offset, Beijing time): "
        "each site's last value at or before it.  Default: now, the latest values."
    ),
]


class MapSiteStatus(SiteStatus):
    stale: bool = Field(
        description="The value is older than the moment shown allows (air 3 h, others 24 h): "
        "grey on the map, with its own time"
    )


class MapSitesStatus(BaseModel):
    as_of: str | None
    sites: list[MapSiteStatus]
    at: str | None = Field(description="The moment shown (the query's at, else now), ISO 8601 with +08:00")


class NamedPollutantSeries(PollutantSeries):
    name_zh: str = Field(
        description="Name from GB 3095 or HJ 212-2017 Annex B (the code itself when unknown)"
    )
    name_en: str


class MapSiteSeries(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    site: SiteStatus
    from_: str | None = Field(alias="from")
    to: str | None
    pollutants: dict[str, NamedPollutantSeries]
    aqi: list[tuple[str, int | None]]
    interval: str = Field(
        description="1h (hourly values), or rtd/min: an outlet's last real-time/minute frames"
    )


def _utc(at: dt.datetime | None) -> dt.datetime | None:
    if at is None:
        return None
    return (at if at.tzinfo is not None else at.replace(tzinfo=BEIJING)).astimezone(dt.UTC)


def sites_in_scope(session: Session, scope: Scope):
    """A select of the sites in scope, in id order, with region and enterprise loaded."""
    return (
        select(Site)
        .where(scope.site_filter())
        .order_by(Site.id)
        .options(selectinload(Site.region), selectinload(Site.enterprise))
    )


def region_in_scope(session: Session, scope: Scope, code: str) -> Region:
    """The region ``code``; 404 when unknown or outside the user's scope (one answer for both, as
    :func:`~ecowatch.web.deps.site_in_scope` gives).  An enterprise user sees its outlets, no region."""
    region = session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None or not scope.has_region(region):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"region: no region {code!r}")
    return region


def region_filter(session: Session, scope: Scope, code: str):
    """A WHERE clause for the sites of region ``code`` and below; 404 unknown or out of scope."""
    region = region_in_scope(session, scope, code)
    return Site.region_id.in_([r.id for r in region_subtree(session=session, region=region)])


def site_read(site: Site) -> SiteRead:
    return SiteRead(
        code=site.code,
        name=site.name,
        name_en=site.name_en,
        kind=SiteKind(site.kind),
        category=site.category,
        lon=site.lon,
        lat=site.lat,
        region=site.region.code if site.region is not None else None,
        enterprise=site.enterprise.code if site.enterprise is not None else None,
    )


@router.get(
    "", response_model=SitePage, responses={**SCOPE_ERRORS, 404: {"model": Problem}, **TABLE_RESPONSES}
)
def list_sites(
    session: SessionDep,
    scope: ScopeDep,
    kind: SiteKind | None = None,
    region: RegionCode = None,
    enterprise: EnterpriseCode = None,
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: FormatQuery = TableFormat.json,
) -> SitePage | Response:
    """The sites in scope, filtered by kind, region (and below) and enterprise;
    paged (downloads are whole)."""
    query = (
        select(
            Site.code,
            Site.name,
            Site.name_en,
            Site.kind,
            Site.category,
            Site.lon,
            Site.lat,
            Region.code.label("region"),
            Enterprise.code.label("enterprise"),
        )
        .outerjoin(Region, Region.id == Site.region_id)
        .outerjoin(Enterprise, Enterprise.id == Site.enterprise_id)
        .where(scope.site_filter())
        .order_by(Site.id)
    )
    if kind is not None:
        query = query.where(Site.kind == kind.value)
    if region is not None:
        query = query.where(region_filter(session, scope, region))
    if enterprise is not None:
        owner = session.scalars(select(Enterprise).where(Enterprise.code == enterprise)).one_or_none()
        if owner is None or not scope.has_enterprise(owner):  # out of scope answers as unknown
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"enterprise: no enterprise {enterprise!r}")
        query = query.where(Site.enterprise_id == owner.id)
    if fmt is not TableFormat.json:
        rows = [dict(row._mapping) for row in session.execute(query)]
        return table_response(rows, fmt, "sites", columns=list(SiteRead.model_fields))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = [dict(row._mapping) for row in session.execute(query.limit(limit).offset(offset))]
    # Serialised here, once: FastAPI would validate the page a second time.
    page = SitePage.model_validate({"total": total or 0, "limit": limit, "offset": offset, "items": items})
    return json_response(page.model_dump_json())


@router.get("/status", response_model=MapSitesStatus, responses={**SCOPE_ERRORS, **TABLE_RESPONSES})
async def sites_status(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    at: AtQuery = None,
    fmt: FormatQuery = TableFormat.json,
) -> Response:
    """Every site in scope with the time of its last value and its colour (the HJ 633 real-time AQI for
    air stations) at the moment ``at`` (default now); values too old for that moment are ``stale``."""
    moment = _utc(at)
    # The wall clock, to the hour: the memoised answer changes once an hour without new data.
    now = state_of(request).now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return await status_response(
        request,
        session,
        scope.site_filter(),
        fmt,
        name="sites-status",
        item=MapSiteStatus,
        page=MapSitesStatus,
        items_key="sites",
        at=moment,
        reference=moment or now,
        frames=True,
    )


async def status_response(
    request: Request,
    session: Session,
    site_filter,
    fmt: TableFormat,
    *,
    name: str,
    item: type[BaseModel],
    page: type[BaseModel],
    items_key: str,
    at: dt.datetime | None = None,
    reference: dt.datetime | None = None,
    frames: bool = False,
) -> Response:
    """The status of the sites ``site_filter`` selects at ``at`` (default: their latest values), stale
    as seen from ``reference`` (default ``at``, else their latest value), as ``page`` (``as_of``,
    ``at`` where the page has it, and ``items_key``) or a table of ``item``'s fields; the JSON text is
    memoised on the sites' data versions and the two moments.  With ``frames``, an outlet's latest
    value may be a real-time or minute frame (newer than its last hour), and the newest frame is part of
    the memo key (frames do not bump the sites' data versions)."""
    memo = state_of(request).memo
    with released(session):  # on the loop: light queries, then the memo answers
        versions = site_versions(session, site_filter)
        marker = frames_marker(session) if frames else None

    def rows() -> tuple[str | None, list[dict]]:
        with released(session):
            as_of, statuses = site_statuses(
                session, versions, memo, at=at, reference=reference, frames=marker
            )
        return as_of, [{key: status[key] for key in item.model_fields} for status in statuses]

    def text() -> str:
        body = dict(zip(("as_of", items_key), rows(), strict=True))
        if "at" in page.model_fields:
            body["at"] = beijing_iso(reference)
        return page.model_validate(body).model_dump_json()

    if fmt is not TableFormat.json:
        return await run_in_threadpool(
            lambda: table_response(rows()[1], fmt, name, columns=list(item.model_fields))
        )
    return json_response(await memo.get_or_compute_in_thread((name, versions, at, reference, marker), text))


@router.get("/{code}", response_model=SiteRead, responses={**SCOPE_ERRORS, 404: {"model": Problem}})
def get_site(code: str, session: SessionDep, scope: ScopeDep) -> SiteRead:
    """One site."""
    site = session.scalars(select(Site).where(Site.code == code)).one_or_none()
    return site_read(site_in_scope(site, scope, code))


@router.get(
    "/{code}/series",
    response_model=MapSiteSeries,
    response_model_by_alias=True,
    responses={**SCOPE_ERRORS, 404: {"model": Problem}},
)
def get_series(
    code: str,
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    hours: Annotated[int, Query(ge=1, le=744, description="Hours ending at the site's latest hour")] = 48,
    at: AtQuery = None,
) -> MapSiteSeries:
    """The site's last ``hours`` hourly values per pollutant (named and united from the code tables)
    and (air stations) its real-time AQI, ending at its last value at or before ``at``; an outlet's
    monitor's last real-time or minute frames when it sends them (``interval``)."""
    site = session.scalars(select(Site).where(Site.code == code)).one_or_none()
    site = site_in_scope(site, scope, code)
    series = site_series(session, site, hours, state_of(request).memo, at=_utc(at))
    keys = SiteStatus.model_fields
    return MapSiteSeries.model_validate({**series, "site": {key: series["site"][key] for key in keys}})
