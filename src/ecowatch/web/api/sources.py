"""``/api/v1/sources``: the pollution-source registry (enterprises, outlets, permit limits), thin over
:mod:`ecowatch.sources.service`.

Reads follow the user's scope (staff: their regions and below; an enterprise user: its own).  Writes
are for admins and for staff within their regions; every write is one audit entry under the user's
name.  Refusals: 404 unknown code, 403 outside the scope, 409 code taken, 422 a field (named).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecowatch.sources.errors import OutOfScope, SourceConflict, SourceError, SourceImportError, UnknownSource
from ecowatch.sources.importer import import_sources, read_table
from ecowatch.sources.models import KeyList, Medium
from ecowatch.sources.schemas import (
    EnterpriseCreate,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseUpdate,
    ImportSummary,
    OutletCreate,
    OutletPage,
    OutletRead,
    OutletUpdate,
)
from ecowatch.sources.service import (
    add_enterprise,
    add_outlet,
    edit_enterprise,
    edit_outlet,
    enterprises_query,
    get_enterprise,
    get_outlet,
    outlets_query,
    read_enterprises,
    read_outlets,
)
from ecowatch.store.sites import region_subtree
from ecowatch.web.api.common import SCOPE_ERRORS, Limit, Offset, RegionCode
from ecowatch.web.api.sites import EnterpriseCode, region_in_scope
from ecowatch.web.deps import CurrentUser, ScopeDep, SessionDep, WriteSessionDep
from ecowatch.web.schemas import Problem
from ecowatch.web.tables import CSV_TYPE, TABLE_RESPONSES, XLSX_TYPE, FormatQuery, TableFormat, table_response

router = APIRouter(prefix="/sources", tags=["sources"])

READ_ERRORS = {**SCOPE_ERRORS, 404: {"model": Problem}}
WRITE_ERRORS = {**READ_ERRORS, 409: {"model": Problem}}
EnterpriseCodePath = Annotated[str, Path(max_length=64, description="Unified social credit code")]
OutletCodePath = Annotated[str, Path(max_length=64, description="Outlet code")]


@contextmanager
def answers(session: Session) -> Iterator[None]:
    """The registry's errors as HTTP answers (the transaction rolled back): 404, 403, 409, 422."""
    try:
        yield
    except SourceError as error:
        session.rollback()
        code = (
            status.HTTP_404_NOT_FOUND
            if isinstance(error, UnknownSource)
            else status.HTTP_403_FORBIDDEN
            if isinstance(error, OutOfScope)
            else status.HTTP_409_CONFLICT
            if isinstance(error, SourceConflict)
            else status.HTTP_422_UNPROCESSABLE_CONTENT
        )
        raise HTTPException(code, detail=str(error)) from None


def _page(session: Session, query, limit: int, offset: int):
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return total, session.scalars(query.limit(limit).offset(offset)).all()


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row for a CSV/XLSX download: lists joined with "; " (an empty list is an empty cell)."""
    return {
        key: ("; ".join(map(str, value)) or None) if isinstance(value, list) else value
        for key, value in row.items()
    }


# -- enterprises ----------------------------------------------------------------------------------


@router.get("/enterprises", response_model=EnterprisePage, responses={**READ_ERRORS, **TABLE_RESPONSES})
def list_enterprises(
    session: SessionDep,
    scope: ScopeDep,
    region: RegionCode = None,
    key_list: Annotated[
        KeyList | None, Query(alias="list", description="Only those on this key-unit list")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: FormatQuery = TableFormat.json,
) -> EnterprisePage | Response:
    """The enterprises in scope (in a region and below, on a list), by code; paged (downloads are whole)."""
    region_ids = None
    if region is not None:
        region_ids = [
            r.id for r in region_subtree(session=session, region=region_in_scope(session, scope, region))
        ]
    query = enterprises_query(scope=scope, region_ids=region_ids, key_list=key_list)
    if fmt is not TableFormat.json:
        rows = read_enterprises(session=session, enterprises=session.scalars(query).all())
        return table_response(
            [_flat(row.model_dump(mode="json")) for row in rows],
            fmt,
            "enterprises",
            columns=list(EnterpriseRead.model_fields),
        )
    total, enterprises = _page(session, query, limit, offset)
    return EnterprisePage(
        total=total,
        limit=limit,
        offset=offset,
        items=read_enterprises(session=session, enterprises=enterprises),
    )


@router.post(
    "/enterprises", response_model=EnterpriseRead, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS
)
def create_enterprise(
    body: EnterpriseCreate, session: WriteSessionDep, scope: ScopeDep, user: CurrentUser
) -> EnterpriseRead:
    """Register an enterprise (admins; staff in their regions)."""
    with answers(session):
        enterprise = add_enterprise(
            session=session,
            code=body.code,
            name=body.name,
            region=body.region,
            industry=body.industry,
            key_lists=body.key_lists,
            actor=user.username,
            scope=scope,
        )
    session.commit()
    return read_enterprises(session=session, enterprises=[enterprise])[0]


@router.get("/enterprises/{code}", response_model=EnterpriseRead, responses=READ_ERRORS)
def read_enterprise(code: EnterpriseCodePath, session: SessionDep, scope: ScopeDep) -> EnterpriseRead:
    """One enterprise with its lists and outlets."""
    with answers(session):
        enterprise = get_enterprise(session=session, code=code, scope=scope)
    return read_enterprises(session=session, enterprises=[enterprise])[0]


@router.patch("/enterprises/{code}", response_model=EnterpriseRead, responses=WRITE_ERRORS)
def change_enterprise(
    code: EnterpriseCodePath,
    body: EnterpriseUpdate,
    session: WriteSessionDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> EnterpriseRead:
    """Change an enterprise's name, region (its outlets move with it), industry or lists."""
    with answers(session):
        edit_enterprise(
            session=session,
            code=code,
            changes=body.model_dump(exclude_unset=True),
            actor=user.username,
            scope=scope,
        )
        enterprise = get_enterprise(session=session, code=code, scope=scope)
    session.commit()
    return read_enterprises(session=session, enterprises=[enterprise])[0]


# -- outlets --------------------------------------------------------------------------------------


@router.get("/outlets", response_model=OutletPage, responses={**READ_ERRORS, **TABLE_RESPONSES})
def list_outlets(
    session: SessionDep,
    scope: ScopeDep,
    enterprise: EnterpriseCode = None,
    region: RegionCode = None,
    medium: Medium | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: FormatQuery = TableFormat.json,
) -> OutletPage | Response:
    """The outlets in scope (of an enterprise, in a region and below, of a medium) with their limits and
    devices, by code; paged (downloads are whole, one row per outlet)."""
    owner = None
    if enterprise is not None:
        with answers(session):
            owner = get_enterprise(session=session, code=enterprise, scope=scope).id
    region_ids = None
    if region is not None:
        region_ids = [
            r.id for r in region_subtree(session=session, region=region_in_scope(session, scope, region))
        ]
    query = outlets_query(scope=scope, enterprise_id=owner, region_ids=region_ids, medium=medium)
    if fmt is not TableFormat.json:
        rows = []
        for outlet in read_outlets(session=session, sites=session.scalars(query).all()):
            row = outlet.model_dump(mode="json")
            row["limits"] = [
                f"{lim['pollutant']} {lim['upper_limit']:g} {lim['unit']}" for lim in row["limits"]
            ]
            rows.append(_flat(row))
        return table_response(rows, fmt, "outlets", columns=list(OutletRead.model_fields))
    total, sites = _page(session, query, limit, offset)
    return OutletPage(
        total=total, limit=limit, offset=offset, items=read_outlets(session=session, sites=sites)
    )


def _limits(items) -> list[dict[str, Any]] | None:
    return None if items is None else [item.model_dump() for item in items]


@router.post(
    "/outlets", response_model=OutletRead, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS
)
def create_outlet(
    body: OutletCreate, session: WriteSessionDep, scope: ScopeDep, user: CurrentUser
) -> OutletRead:
    """Register an outlet of an enterprise with its permit limits (admins; staff in its region)."""
    with answers(session):
        site = add_outlet(
            session=session,
            code=body.code,
            name=body.name,
            enterprise=body.enterprise,
            medium=body.medium,
            kind=body.kind,
            lon=body.lon,
            lat=body.lat,
            limits=_limits(body.limits) or [],
            actor=user.username,
            scope=scope,
        )
    session.commit()
    return read_outlets(session=session, sites=[site])[0]


@router.get("/outlets/{code}", response_model=OutletRead, responses=READ_ERRORS)
def read_outlet(code: OutletCodePath, session: SessionDep, scope: ScopeDep) -> OutletRead:
    """One outlet with its permit limits and devices."""
    with answers(session):
        site = get_outlet(session=session, code=code, scope=scope)
    return read_outlets(session=session, sites=[site])[0]


@router.patch("/outlets/{code}", response_model=OutletRead, responses=WRITE_ERRORS)
def change_outlet(
    code: OutletCodePath, body: OutletUpdate, session: WriteSessionDep, scope: ScopeDep, user: CurrentUser
) -> OutletRead:
    """Change an outlet's name, kind or coordinates; ``limits`` replaces its whole set of limits."""
    changes = body.model_dump(exclude_unset=True)
    if "limits" in changes:
        changes["limits"] = _limits(body.limits)
    with answers(session):
        edit_outlet(session=session, code=code, changes=changes, actor=user.username, scope=scope)
        site = get_outlet(session=session, code=code, scope=scope)
    session.commit()
    return read_outlets(session=session, sites=[site])[0]


# -- import ---------------------------------------------------------------------------------------

#: What the import takes: the file itself as the request body (up to the app's body limit, 64 KiB:
#: some hundreds of rows; larger files go through ``ecowatch sources import``).
IMPORT_TYPES = {"text/csv": "upload.csv", XLSX_TYPE: "upload.xlsx"}


@router.post(
    "/import",
    response_model=ImportSummary,
    responses={**WRITE_ERRORS, 415: {"model": Problem}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_file(
    request: Request, session: WriteSessionDep, scope: ScopeDep, user: CurrentUser
) -> ImportSummary | Response:
    """Register or update the enterprises, outlets and limits of a CSV (UTF-8) or XLSX body, with the
    columns of ``ecowatch sources import``: all of it, or nothing when any row has a problem (422 lists
    every one with its row and column in ``problems``)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in IMPORT_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"content-type: send the file as {CSV_TYPE.split(';')[0]} or {XLSX_TYPE}",
        )
    data = await request.body()

    def run() -> ImportSummary | Response:
        try:
            summary = import_sources(
                session=session,
                table=read_table(data, source=IMPORT_TYPES[media_type]),
                actor=user.username,
                scope=scope,
            )
        except SourceImportError as error:
            session.rollback()
            problems = [{"row": p.row, "column": p.column, "reason": p.reason} for p in error.problems]
            return JSONResponse(
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                content={"detail": str(error), "problems": problems},
            )
        session.commit()
        return summary

    return await run_in_threadpool(run)
