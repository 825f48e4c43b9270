"""``/api/v1/regions``: the administrative regions in the user's scope, as a tree."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecowatch.store.models import Region, RegionLevel
from ecowatch.store.users import Scope
from ecowatch.web.api.common import SCOPE_ERRORS
from ecowatch.web.api.sites import region_in_scope
from ecowatch.web.deps import ScopeDep, SessionDep
from ecowatch.web.schemas import Problem, RegionNode, RegionTree
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, table_response

router = APIRouter(prefix="/regions", tags=["regions"])
_LEVEL_ORDER: Mapping[str, int] = {RegionLevel.province: 0, RegionLevel.city: 1, RegionLevel.county: 2}


def _visible(session: Session, scope: Scope) -> list[Region]:
    regions = session.scalars(select(Region)).all()
    return sorted((r for r in regions if scope.has_region(r)), key=lambda r: (_LEVEL_ORDER[r.level], r.code))


def _tree(regions: list[Region]) -> list[RegionNode]:
    """Nodes of ``regions`` (parents before children); a region whose parent is not listed is a root."""
    nodes = {r.id: RegionNode(code=r.code, name=r.name, level=RegionLevel(r.level)) for r in regions}
    roots: list[RegionNode] = []
    for region in regions:
        parent = nodes.get(region.parent_id) if region.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[region.id])
    return roots


def _rows(regions: list[Region]) -> list[dict]:
    """One row per region; ``parent`` only where the parent is listed too (as in :func:`_tree`): the
    region above a user's own top region is outside their scope, and not shown."""
    listed = {r.id for r in regions}
    return [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "parent": r.parent.code if r.parent_id in listed and r.parent is not None else None,
        }
        for r in regions
    ]


@router.get("", response_model=RegionTree, responses={**SCOPE_ERRORS, **TABLE_RESPONSES})
def list_regions(
    session: SessionDep, scope: ScopeDep, fmt: FormatQuery = TableFormat.json
) -> RegionTree | Response:
    """The regions in scope as a tree: all for an admin, the user's region and below for staff, none
    for an enterprise user (who sees outlets, not regions). Downloads list one region per row."""
    regions = _visible(session, scope)
    if fmt is not TableFormat.json:
        return table_response(_rows(regions), fmt, "regions", columns=["code", "name", "level", "parent"])
    return RegionTree(regions=_tree(regions))


@router.get("/{code}", response_model=RegionNode, responses={**SCOPE_ERRORS, 404: {"model": Problem}})
def get_region(code: str, session: SessionDep, scope: ScopeDep) -> RegionNode:
    """One region with the regions below it."""
    region = region_in_scope(session, scope, code)
    below = [r for r in _visible(session, Scope(everything=True)) if r.id == region.id or _under(r, region)]
    return _tree(below)[0]


def _under(region: Region, ancestor: Region) -> bool:
    parent = region.parent
    while parent is not None:
        if parent.id == ancestor.id:
            return True
        parent = parent.parent
    return False
