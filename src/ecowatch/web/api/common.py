"""Query parameters and answers the routers share."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator, ValidationError

from ecowatch.web.schemas import Problem, TokenRequest

__all__ = [
    "SCOPE_ERRORS",
    "TOKEN_REQUEST_OPENAPI",
    "IsoDate",
    "IsoDateOrTime",
    "IsoDateTime",
    "Limit",
    "Offset",
    "RegionCode",
    "token_request",
]

#: OpenAPI answers of every route that needs a signed-in user with a scope.
SCOPE_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 403: {"model": Problem}}
Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")]
RegionCode = Annotated[
    str | None, Query(pattern=r"^\d{6}$", description="Region code (GB/T 2260): it and below")
]


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
IsoDateOrTime = Annotated[
    dt.datetime | dt.date, _iso(_date_or_time, "2016-01-03 or 2016-01-03T08:00:00+08:00")
]


# -- the sign-in body: JSON, or the OAuth2 password form ---------------------------------------------

_FORM = "application/x-www-form-urlencoded"
#: Form fields RFC 6749 allows beside the credentials, which this API has no use for.
_OAUTH_IGNORED = frozenset({"scope", "client_id", "client_secret"})

#: The request body of ``POST /auth/token`` in the OpenAPI document: both encodings.
TOKEN_REQUEST_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": TokenRequest.model_json_schema()},
            _FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type", "username", "password"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["password"]},
                        "username": {"type": "string", "minLength": 1, "maxLength": 64},
                        "password": {"type": "string", "minLength": 1, "maxLength": 1024},
                        "scope": {"type": "string"},
                    },
                }
            },
        },
    }
}


def _invalid(errors: Sequence[Mapping[str, Any]]) -> RequestValidationError:
    return RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in errors])


async def token_request(request: Request) -> TokenRequest:
    """The sign-in body as JSON (``{"username": …, "password": …}``) or as the OAuth2 password form.

    RFC 6749 §4.3.2: the client posts ``grant_type=password&username=…&password=…`` as
    ``application/x-www-form-urlencoded`` (what OAuth2 clients and Swagger UI's "Authorize" send);
    ``scope``, ``client_id`` and ``client_secret`` may come too and are ignored.  Errors name the
    field as FastAPI's own body errors do (``body.password: Field required``).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == _FORM:
        form = await request.form()
        fields = {key: value for key, value in form.multi_items() if key not in _OAUTH_IGNORED}
        grant = fields.pop("grant_type", None)
        if grant != "password":
            raise _invalid(
                [
                    {
                        "type": "literal_error",
                        "loc": ("grant_type",),
                        "input": grant,
                        "msg": f"{grant!r} is not supported: the password grant is "
                        "(grant_type=password, RFC 6749 §4.3.2)"
                        if grant
                        else "Field required",
                    }
                ]
            )
        data: Any = fields
    elif content_type in ("", "application/json") or content_type.endswith("+json"):
        body = await request.body()
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            position = getattr(error, "pos", getattr(error, "start", 0))
            raise _invalid(
                [
                    {
                        "type": "json_invalid",
                        "loc": (position,),
                        "msg": "JSON decode error",
                        "input": {},
                        "ctx": {"error": getattr(error, "msg", str(error))},
                    }
                ]
            ) from None
    else:
        raise _invalid(
            [
                {
                    "type": "model_attributes_type",
                    "loc": (),
                    "input": content_type,
                    "msg": f"Input should be JSON or the OAuth2 form ({_FORM}), not {content_type}",
                }
            ]
        )
    try:
        return TokenRequest.model_validate(data)
    except ValidationError as error:
        raise _invalid(error.errors(include_url=False)) from None
