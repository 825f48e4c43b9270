"""What the surface-water commands and API give and take about sections (Pydantic).

Request bodies forbid unknown fields, so a misspelt field is a 422 naming it; the values are checked by
:mod:`ecowatch.water.service` (the same checks for the API, the command line and imports).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ecowatch.water.registry import Section

__all__ = ["SectionCorrection", "SectionRead"]


class SectionRead(BaseModel):
    """A section of the registry, as the store holds it (with the users' corrections)."""

    code: str = Field(
        description="Registry code: W + the province's 2-digit prefix + a sequence", examples=["W310001"]
    )
    name: str = Field(description="断面名称, as the national release names it")
    basin: str = Field(description="流域", examples=["长江流域"])
    province_code: str = Field(description="GB/T 2260 code of the province")
    province: str
    city_code: str | None = Field(description="GB/T 2260 code of the city (null: the release names none)")
    city: str | None
    river: str | None = Field(description="River or lake as the release names it")
    waterbody: Literal["river", "lake"] = Field(
        description="lake: lakes and reservoirs (GB 3838-2002 lake TP)"
    )
    waterbody_basis: Literal["classes", "name", "default", "user"] = Field(
        description="How the waterbody was decided (decision W-derive); user: a correction"
    )
    lon: float | None = Field(description="Longitude [degrees, WGS 84]; null: not known")
    lat: float | None
    target_class: str | None = Field(description="Class the section is to meet: I..V, worse than V")

    @classmethod
    def of(cls, section: Section) -> SectionRead:
        return cls(
            code=section.code,
            name=section.name,
            basin=section.basin,
            province_code=section.province_code,
            province=section.province,
            city_code=section.city_code,
            city=section.city,
            river=section.river,
            waterbody=section.waterbody.value,
            waterbody_basis=section.waterbody_basis,  # type: ignore[arg-type]
            lon=section.lon,
            lat=section.lat,
            target_class=None if section.target_class is None else section.target_class.label,
        )


class SectionCorrection(BaseModel):
    """A correction of a section (:func:`ecowatch.water.service.set_section`): only the fields given."""

    model_config = ConfigDict(extra="forbid")

    waterbody: Literal["river", "lake"] | None = None
    city_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    river: str | None = Field(default=None, min_length=1, max_length=64)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    target_class: str | None = Field(default=None, examples=["III"])

    def changes(self) -> dict[str, object]:
        """The fields given, as keyword arguments of ``set_section``."""
        return self.model_dump(exclude_unset=True)
