"""Pydantic models of the API's requests and responses.

Request bodies forbid unknown fields (``extra="forbid"``), so a misspelt field is a 422 naming it
rather than a silently ignored value.  Responses are plain models; their JSON Schema is the
OpenAPI document at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ecowatch.store.errors import StoreError
from ecowatch.store.models import RegionLevel, Role, SiteKind
from ecowatch.store.users import MIN_PASSWORD_LENGTH, USERNAME_PATTERN, normalised_email

Colour = Field(pattern=r"^#[0-9A-F]{6}$", description="#RRGGBB")


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000: refuse it here (422) rather than fail in the database (500).
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character (U+0000)")
        return value


# -- auth and users -------------------------------------------------------------------------------


class TokenRequest(RequestBody):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserRead(BaseModel):
    username: str
    role: Role
    region: str | None = Field(description="Region code (staff roles)")
    enterprise: str | None = Field(description="Enterprise unified social credit code (enterprise users)")


class UserDetail(UserRead):
    email: str | None = Field(description="Where case notifications are e-mailed (None: not e-mailed)")
    active: bool


def _checked_email(value: str | None) -> str | None:
    """The address normalised (domain in lower case), or a 422 naming the ``email`` field and why."""
    if value is None:
        return None
    try:
        return normalised_email(value)
    except StoreError as error:
        raise ValueError(str(error).removeprefix("email: ")) from None


#: An e-mail address in a request: checked and normalised as the store does (a 422 naming ``email``).
EmailAddress = Annotated[str | None, Field(max_length=1024), AfterValidator(_checked_email)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: str = Field(description="ISO 8601, UTC")
    user: UserRead


class UserCreate(RequestBody):
    username: str = Field(pattern=USERNAME_PATTERN, max_length=64)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    role: Role
    region: str | None = Field(default=None, pattern=r"^\d{6}$")
    enterprise: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")
    email: EmailAddress = Field(default=None, description="name@domain: where case notifications go")


class UserUpdate(RequestBody):
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    role: Role | None = None
    region: str | None = Field(default=None, pattern=r"^\d{6}$")
    enterprise: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")
    active: bool | None = None
    email: EmailAddress = Field(default=None, description="name@domain; null removes the address")


class UserPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[UserDetail]


# -- regions, sites, devices, measurements --------------------------------------------------------


class RegionNode(BaseModel):
    code: str
    name: str
    level: RegionLevel
    children: list[RegionNode] = []


class RegionTree(BaseModel):
    regions: list[RegionNode]


class SitePlace(BaseModel):
    """What every answer about a site says of it: which site, what kind, where."""

    code: str
    name: str
    name_en: str
    kind: SiteKind
    category: str
    lon: float | None
    lat: float | None
    region: str | None


class SiteRead(SitePlace):
    enterprise: str | None


class SitePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[SiteRead]


class SiteStatus(SitePlace):
    time: str | None = Field(description="The site's latest hour, ISO 8601 with +08:00")
    aqi: int | None
    level: int | None = Field(ge=1, le=6)
    category_zh: str | None
    category_en: str | None
    colour: str = Colour
    primary_pollutants: list[str]


class PollutantSeries(BaseModel):
    unit: str
    points: list[tuple[str, float | None]]


class DeviceRead(BaseModel):
    mn: str
    site: str
    protocol_version: str
    created_at: str | None


class DevicePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DeviceRead]


class MeasurementRead(BaseModel):
    site: str
    interval: str
    time: str = Field(description="Hour label, ISO 8601 with +08:00")
    pollutant: str
    value: float | None
    unit: str = Field(
        description="Of the value: GB 3095 表1 for the six pollutants (CO mg/m³, the others "
        "µg/m³), HJ 212-2017 Annex B for factor codes; empty when unknown"
    )
    flag: str | None
    note: str | None
    source: str


class MeasurementPage(BaseModel):
    total: int | None = Field(
        description="Rows matching the filters; null when more than 10,000 (page on with next_cursor)"
    )
    limit: int
    offset: int
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page")
    items: list[MeasurementRead]


# -- air ------------------------------------------------------------------------------------------


class StationAqi(BaseModel):
    code: str
    name: str
    region: str | None
    time: str | None
    aqi: int | None
    level: int | None
    category_zh: str | None
    category_en: str | None
    colour: str = Colour
    primary_pollutants: list[str]
    iaqi: dict[str, int | None]
    edition: str | None = Field(description="HJ 633 edition of the real-time AQI")


class AqiNow(BaseModel):
    as_of: str | None
    stations: list[StationAqi]


class DailyRows(BaseModel):
    site: str
    from_: str = Field(alias="from")
    to: str
    rows: list[dict[str, Any]]


class Problem(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Unprocessable(BaseModel):
    """422: a request that does not validate (``detail`` lists the problems, ``message`` says them
    in one line) or that the domain refuses (``detail`` is the reason, naming the field)."""

    detail: str | list[ValidationIssue]
    message: str | None = None
