"""What the registry's API and ``--json`` outputs give and take (Pydantic).

Request bodies forbid unknown fields, so a misspelt field is a 422 naming it.  The values are
checked by :mod:`ecowatch.sources.service` (the same checks for the API, the CLI and imports).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ecowatch.sources.models import KeyList, Medium, OutletKind

__all__ = [
    "EnterpriseCreate",
    "EnterprisePage",
    "EnterpriseRead",
    "EnterpriseUpdate",
    "ImportSummary",
    "OutletCreate",
    "OutletPage",
    "OutletRead",
    "OutletUpdate",
    "PermitLimitIn",
    "PermitLimitRead",
]


def _credit_code():
    return Field(
        min_length=18,
        max_length=18,
        description="Unified social credit code (GB 32100-2015)",
        examples=["914403001922038216"],
    )


def _region(**default):
    return Field(pattern=r"^\d{6}$", description="GB/T 2260 code of a region in the store", **default)


def _industry():
    return Field(default=None, pattern=r"^\d{2,4}$", description="GB/T 4754-2017 industry code (e.g. 4411)")


def _name(**default):
    return Field(min_length=1, max_length=128, **default)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PermitLimitIn(_Body):
    """A permitted limit: ``pollutant`` is an HJ 212-2017 Annex B code (an HJ/T 212-2005 code is
    translated); ``unit`` defaults to that factor's unit and must be it."""

    pollutant: str = Field(min_length=1, max_length=16, examples=["a21026"])
    upper_limit: float = Field(ge=0)
    lower_limit: float | None = None
    unit: str | None = Field(default=None, max_length=32, examples=["mg/m3"])
    reference_oxygen_pct: float | None = Field(default=None, ge=0, lt=21, description="Gas outlets only [%]")
    standard: str | None = Field(default=None, max_length=128, examples=["GB 13223-2011 表1"])


class PermitLimitRead(BaseModel):
    pollutant: str
    name: str = Field(description="The factor's name in HJ 212-2017 Annex B")
    upper_limit: float
    lower_limit: float | None
    unit: str
    reference_oxygen_pct: float | None
    standard: str | None


class EnterpriseCreate(_Body):
    code: str = _credit_code()
    name: str = _name()
    region: str = _region()
    industry: str | None = _industry()
    key_lists: list[KeyList] = Field(default_factory=list, max_length=len(KeyList))


class EnterpriseUpdate(_Body):
    """Fields to change; those left out stay.  ``industry: null`` clears it;
    ``key_lists`` replaces the lists."""

    name: str | None = _name(default=None)
    region: str | None = _region(default=None)
    industry: str | None = _industry()
    key_lists: list[KeyList] | None = Field(default=None, max_length=len(KeyList))


class EnterpriseRead(BaseModel):
    code: str
    name: str
    region: str
    region_name: str
    industry: str | None
    key_lists: list[KeyList]
    outlets: list[str] = Field(description="Codes of its outlets")


class EnterprisePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[EnterpriseRead]


class OutletCreate(_Body):
    code: str = Field(
        min_length=1, max_length=32, description="Site code of the outlet, unique on the platform"
    )
    name: str = _name()
    enterprise: str = _credit_code()
    medium: Medium
    kind: OutletKind | None = None
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    limits: list[PermitLimitIn] = Field(default_factory=list, max_length=200)


class OutletUpdate(_Body):
    """Fields to change; those left out stay.  ``limits`` replaces the outlet's whole set of limits."""

    name: str | None = _name(default=None)
    kind: OutletKind | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    limits: list[PermitLimitIn] | None = Field(default=None, max_length=200)


class OutletRead(BaseModel):
    code: str
    name: str
    enterprise: str
    region: str | None
    medium: Medium
    kind: OutletKind | None = Field(description="null: not stated (outlets registered before the registry)")
    lon: float | None
    lat: float | None
    limits: list[PermitLimitRead]
    devices: list[str] = Field(description="MNs of the HJ 212 devices reporting for it")


class OutletPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[OutletRead]


class ImportSummary(BaseModel):
    """What an import did (nothing at all when the file had a problem)."""

    rows: int
    enterprises_added: list[str]
    enterprises_updated: list[str]
    outlets_added: list[str]
    outlets_updated: list[str]
    limits: int = Field(description="Permit limits set")
