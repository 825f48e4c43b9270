"""Query parameters and answers the routers share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from ecowatch.web.schemas import Problem

__all__ = ["SCOPE_ERRORS", "Limit", "Offset", "RegionCode"]

#: OpenAPI answers of every route that needs a signed-in user with a scope.
SCOPE_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 403: {"model": Problem}}
Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")]
RegionCode = Annotated[str | None, Query(pattern=r"^\d{6}$", description="Region code (GB/T 2260): it and below")]
