"""The REST API under ``/api/v1``: one router per domain."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ecowatch.web.api import (
    air,
    auth,
    cases,
    devices,
    exports,
    measurements,
    regions,
    sites,
    sources,
    users,
    water,
)
from ecowatch.web.schemas import Problem, Unprocessable
from ecowatch.web.tables import format_is_answered

# Answers any route may give, from the middleware and error handlers (ecowatch.web.errors).
api_router = APIRouter(
    prefix="/api/v1",
    responses={400: {"model": Problem}, 413: {"model": Problem}, 422: {"model": Unprocessable}},
    dependencies=[Depends(format_is_answered)],
)  # no file asked for is answered as JSON
for module in (auth, users, regions, sites, devices, measurements, exports, air, sources, cases, water):
    api_router.include_router(module.router)

__all__ = ["api_router"]
