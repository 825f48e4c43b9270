"""Bad requests become clear 4xx answers: validation messages naming the field, a body size limit.

- 422 for a request that does not validate: ``detail`` is the list of problems (``loc``, ``msg``,
  ``type``, as FastAPI documents it) and ``message`` one readable line, e.g.
  ``query.limit: Input should be less than or equal to 1000``.  The offending input is not echoed.
- 422 for an :class:`~ecowatch.errors.EcowatchError` a route did not handle (the message names the
  field), 409 for a write the database refused (a unique or foreign-key constraint).
- 400 for a body that cannot be decoded at all (not UTF-8).
- 413 for a body larger than the limit, before the route reads any of it.
- 404 outside ``/api``: an HTML page linking to the map and the API documentation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecowatch.errors import EcowatchError

__all__ = ["BodySizeLimit", "install_error_handlers", "validation_message"]

#: What FastAPI says (400) when it cannot read a request body at all.
FASTAPI_BODY_ERROR = "There was an error parsing the body"


def _place(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _message(error: dict[str, Any]) -> str:
    # Pydantic prefixes the messages of our own validators with "Value error, ".
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One line for a list of pydantic errors: ``body.role: Input should be 'admin', ...; ...``."""
    return "; ".join(f"{_place(error.get('loc', ()))}: {_message(error)}" for error in errors)


def _problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": _message(error),
            "type": str(error.get("type", "value_error")),
        }
        for error in errors
    ]


async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    errors = list(error.errors())
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": _problems(errors), "message": validation_message(errors)},
    )


async def _domain_error(_request: Request, error: EcowatchError) -> JSONResponse:
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": str(error)})


async def _integrity_error(_request: Request, error: IntegrityError) -> JSONResponse:
    reason = str(error.orig if error.orig is not None else error).strip().splitlines()[0]
    return JSONResponse(
        status_code=status.HTTP_409_CONFLICT, content={"detail": f"the database refused the write: {reason}"}
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == status.HTTP_404_NOT_FOUND and not request.url.path.startswith("/api/"):
        # A person's browser on a wrong address gets a page, not a JSON object; the API stays JSON.
        from ecowatch.web.pages import not_found_page

        return not_found_page()
    if error.status_code == status.HTTP_400_BAD_REQUEST and error.detail == FASTAPI_BODY_ERROR:
        # FastAPI's words for a body it cannot decode (bytes that are not UTF-8, say) name no place.
        error = StarletteHTTPException(status.HTTP_400_BAD_REQUEST, detail="body: not a UTF-8 JSON document")
    return await http_exception_handler(request, error)


def install_error_handlers(app: FastAPI) -> None:
    # FastAPI's decorator, applied by hand, is add_exception_handler with a signature that accepts a
    # handler of one exception class (Starlette's own types every handler as taking any Exception).
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(EcowatchError)(_domain_error)
    app.exception_handler(IntegrityError)(_integrity_error)


class RefuseNulInUrl:
    """ASGI middleware: 400 for a path or query string carrying NUL (``%00``), which no code, name or date
    holds and PostgreSQL text cannot store, naming where it was."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = (
                "path"
                if "\x00" in scope.get("path", "")
                else "query string"
                if b"%00" in scope.get("query_string", b"")
                else None
            )
            if where is not None:
                response = JSONResponse(
                    status_code=status.HTTP_400_BAD_REQUEST,
                    content={"detail": f"{where}: contains a NUL character (%00)"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodySizeLimit:
    """ASGI middleware: 413 for a request body over ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before reading; a chunked body is read
    up to the limit and refused as soon as it passes it, so no route ever sees part of a body.
    ``larger`` gives the paths (a ``POST`` whose path matches the pattern whole) that take a larger
    body, and their limit: the evidence files of a case's move.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Sequence[tuple[re.Pattern[str], int]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST":
            path = scope.get("path", "")
            for pattern, max_bytes in self.larger:
                if pattern.fullmatch(path):
                    return max_bytes
        return self.max_bytes

    async def _refuse(self, send: Send, max_bytes: int) -> None:
        response = JSONResponse(
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
            content={"detail": f"request body: larger than {max_bytes} bytes"},
        )
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers}
        )
        await send({"type": "http.response.body", "body": response.body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > max_bytes
            except ValueError:
                too_large = False
            if too_large:
                await self._refuse(send, max_bytes)
                return
        body = bytearray()
        more = True
        messages: list[Message] = []
        while more:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > max_bytes:
                await self._refuse(send, max_bytes)
                return
        messages.insert(0, {"type": "http.request", "body": bytes(body), "more_body": False})

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)
