"""The REST API under ``/api/v1``: one router per domain."""

from __future__ import annotations

from fastapi import APIRouter

from ecowatch.web.api import air, auth, devices, measurements, regions, sites, users

api_router = APIRouter(prefix="/api/v1")
for module in (auth, users, regions, sites, devices, measurements, air):
    api_router.include_router(module.router)

__all__ = ["api_router"]
