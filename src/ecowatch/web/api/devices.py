"""``/api/v1/devices``: the HJ 212 data acquisition devices of the sites in scope (never their passwords)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ecowatch.store.models import Device, Site
from ecowatch.web.api.common import SCOPE_ERRORS, Limit, Offset
from ecowatch.web.deps import ScopeDep, SessionDep, site_in_scope
from ecowatch.web.schemas import DevicePage, DeviceRead, Problem
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, table_response

router = APIRouter(prefix="/devices", tags=["devices"])


def _read(device: Device) -> DeviceRead:
    created = device.created_at.isoformat() if device.created_at is not None else None
    return DeviceRead(
        mn=device.mn, site=device.site.code, protocol_version=device.protocol_version, created_at=created
    )


@router.get(
    "", response_model=DevicePage, responses={**SCOPE_ERRORS, 404: {"model": Problem}, **TABLE_RESPONSES}
)
def list_devices(
    session: SessionDep,
    scope: ScopeDep,
    site: Annotated[str | None, Query(max_length=32, description="Site code")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: FormatQuery = TableFormat.json,
) -> DevicePage | Response:
    """Devices of the sites in scope (of one site with ``site``), by MN; paged (downloads are whole)."""
    query = (
        select(Device)
        .join(Site, Site.id == Device.site_id)
        .where(scope.site_filter())
        .order_by(Device.mn)
        .options(selectinload(Device.site))
    )
    if site is not None:
        chosen = site_in_scope(
            session.scalars(select(Site).where(Site.code == site)).one_or_none(), scope, site
        )
        query = query.where(Device.site_id == chosen.id)
    if fmt is not TableFormat.json:
        rows = [_read(device).model_dump() for device in session.scalars(query)]
        return table_response(rows, fmt, "devices", columns=list(DeviceRead.model_fields))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = [_read(device) for device in session.scalars(query.limit(limit).offset(offset))]
    return DevicePage(total=total or 0, limit=limit, offset=offset, items=items)
