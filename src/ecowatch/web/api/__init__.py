"""The REST API under ``/api/v1``: one router per domain."""

from __future__ import annotations

from fastapi import APIRouter

from ecowatch.web.api import auth, sites

api_router = APIRouter(prefix="/api/v1")
for module in (auth, sites):
    api_router.include_router(module.router)

__all__ = ["api_router"]
