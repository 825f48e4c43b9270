"""The FastAPI application: the REST API under ``/api/v1`` and the pages at ``/``.

``create_app(url)`` opens no connection by itself: the engine connects on the first request and
is disposed when the application shuts down.  Interactive docs (Swagger UI, ReDoc) are off: they
load their scripts from a CDN, and ecowatch serves nothing from outside (DESIGN.md); the OpenAPI
document is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

import ecowatch
from ecowatch.store.db import SQLITE_IMMEDIATE, database_url, make_engine, session_factory
from ecowatch.web import pages
from ecowatch.web.api import api_router
from ecowatch.web.api.cases import LARGER_BODIES
from ecowatch.web.deps import WebState
from ecowatch.web.errors import BodySizeLimit, RefuseNulInUrl, install_error_handlers
from ecowatch.web.tokens import check_secret_key, load_secret_key

__all__ = ["MAX_BODY_BYTES", "create_app"]

#: Largest request body accepted [bytes]: the API takes small JSON documents; the uploads (a case
#: move's evidence files, a batch's Excel list) have their own (``ecowatch.web.api.cases.LARGER_BODIES``).
MAX_BODY_BYTES = 64 * 1024
#: Worker threads that run the (sync) routes, instead of AnyIO's default 40: past a few, more
#: threads only contend for the GIL, and under overload throughput falls (measured with bench/api.py
#: on PostgreSQL: with 40 threads it served 112 of an offered 200 requests/s, with 8 all 200).
WORKER_THREADS = 8
#: Pooled connections kept open, and how many more may open under load: more than the worker
#: threads, so a route never waits for one (sessions given back on the event loop included).
POOL_SIZE, POOL_OVERFLOW = 5, 2 * WORKER_THREADS


def create_app(url: str | None = None, *, secret_key: bytes | None = None) -> FastAPI:
    """The ecowatch web application on the database at ``url`` (default: :func:`database_url`).

    ``secret_key`` signs the bearer tokens (default: :func:`~ecowatch.web.tokens.load_secret_key`; at
    least 32 bytes, :func:`~ecowatch.web.tokens.check_secret_key`).
    """
    # No ping before each checkout (a round trip per request): a connection the server dropped fails
    # one request, and SQLAlchemy then replaces every pooled connection older than the failure.
    # hide_parameters: an error's text (and so a logged traceback) never shows the values of a
    # statement, a new password hash among them.
    engine = make_engine(
        database_url(url),
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_pre_ping=False,
        hide_parameters=True,
    )
    reads = (
        engine.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql"
        else engine
    )
    # SQLite: a write session takes the write lock when it begins, so concurrent writers wait for it
    # rather than fail ("database is locked") after reading.
    writes = engine.execution_options(**{SQLITE_IMMEDIATE: True})
    state = WebState(
        engine=engine,
        sessions=session_factory(writes),
        read_sessions=session_factory(reads),
        secret_key=load_secret_key()
        if secret_key is None
        else check_secret_key(secret_key, "create_app(secret_key=...)"),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        # The collector's settings are the process's, made by its entry point (ecowatch serve:
        # ecowatch.server.run_platform), not by the application: it may share the process.
        yield
        state.hashing.close()
        engine.dispose()

    app = FastAPI(
        title="ecowatch",
        summary="Ecological-environment supervision: sites, measurements, AQI, assessments.",
        version=getattr(ecowatch, "__version__", "0"),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ecowatch = state
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES, larger=LARGER_BODIES)
    app.add_middleware(RefuseNulInUrl)
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(pages.router)
    return app
