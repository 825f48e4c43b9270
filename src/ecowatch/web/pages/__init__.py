"""The pages ecowatch serves itself (the map), with every asset they need vendored under web/static."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
