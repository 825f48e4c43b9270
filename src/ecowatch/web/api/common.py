"""Query parameters and answers the routers share."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

from ecowatch.web.schemas import Problem

__all__ = ["SCOPE_ERRORS", "IsoDate", "IsoDateOrTime", "IsoDateTime", "Limit", "Offset", "RegionCode"]

#: OpenAPI answers of every route that needs a signed-in user with a scope.
SCOPE_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 403: {"model": Problem}}
Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")]
RegionCode = Annotated[str | None, Query(pattern=r"^\d{6}$", description="Region code (GB/T 2260): it and below")]


#: Dates the API accepts: wide enough for any monitoring record, narrow enough that converting
#: Beijing days to UTC (a few hours either side) never leaves the calendar's range.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _iso(parse, example: str):
    """A validator that takes ISO 8601 text only: pydantic would also read ``0.5`` as a Unix time."""
    def validate(value: Any) -> Any:
        if not isinstance(value, dt.date):
            try:
                value = parse(value)
            except (TypeError, ValueError):
                raise ValueError(f"{value!r} is not ISO 8601, e.g. {example}") from None
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"{value.isoformat()} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
        return value
    return BeforeValidator(validate)


IsoDateTime = Annotated[dt.datetime, _iso(dt.datetime.fromisoformat, "2016-01-03T08:00:00+08:00")]
IsoDate = Annotated[dt.date, _iso(dt.date.fromisoformat, "2016-01-03")]


def _date_or_time(text: str) -> dt.date | dt.datetime:
    """``YYYY-MM-DD`` as a date (a whole day), anything else ISO 8601 as a date-time."""
    if isinstance(text, str) and len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text)


#: A day (``2016-03-06``: the whole day) or an instant (``2016-03-06T08:00``).
IsoDateOrTime = Annotated[dt.datetime | dt.date, _iso(_date_or_time, "2016-01-03 or 2016-01-03T08:00:00+08:00")]
