"""``/api/v1/exports``: large downloads made in the background, with progress.

A workbook of four weeks of a city's stations took 10 s of a request thread (issue 14), and a user can
ask for it again and again.  Here a download is a job: ``POST /exports`` checks the request and queues
it (202), ``GET /exports/{id}`` tells its status and progress, ``GET /exports/{id}/file`` gives the file
once made.  What that costs the others is bounded:

- the jobs run in :data:`EXPORT_WORKERS` thread of their own, never in the request threads;
- a user has at most :data:`JOBS_PER_USER` job queued or running (429 with ``Retry-After``), and at most
  :data:`MAX_QUEUED` jobs wait in all (503 with ``Retry-After``);
- a job reads under :data:`EXPORT_BUDGET_S` (:func:`ecowatch.store.budget.query_budget`) and at most
  :data:`~ecowatch.web.api.measurements.MAX_DOWNLOAD_ROWS` rows;
- finished files are kept :data:`KEEP_S` seconds, at most :data:`KEEP_FILES` of them.

A job is its owner's alone: anyone else is answered 404, as for an id that does not exist.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from ecowatch.reports.spreadsheets import csv_bytes, export_frame, sheet_name, xlsx_bytes
from ecowatch.store.budget import QueryBudgetExceeded, query_budget
from ecowatch.web.api import measurements
from ecowatch.web.api.common import SCOPE_ERRORS, IsoDateOrTime
from ecowatch.web.deps import CurrentUser, ScopeDep, SessionDep, state_of
from ecowatch.web.fairness import COSTLY_ERRORS, costly, on_app
from ecowatch.web.schemas import MeasurementRead, Problem, RequestBody
from ecowatch.web.tables import CSV_TYPE, XLSX_TYPE, TableFormat

__all__ = [
    "EXPORT_BUDGET_S",
    "EXPORT_WORKERS",
    "JOBS_PER_USER",
    "KEEP_FILES",
    "KEEP_S",
    "MAX_QUEUED",
    "ExportJobs",
    "router",
]

router = APIRouter(prefix="/exports", tags=["exports"])

#: Threads that make exports: one, so that exports never hold more than one core between them.
EXPORT_WORKERS = 1
#: Jobs one user may have queued or running at once.
JOBS_PER_USER = 1
#: Jobs waiting or running in all.
MAX_QUEUED = 8
#: What one job's reads may take [s].
EXPORT_BUDGET_S = 60.0
#: How long a finished file is kept [s], and how many are kept at most (the oldest go first).
KEEP_S = 3600.0
KEEP_FILES = 32
#: What a client is told to wait before asking again [s].
RETRY_AFTER_S = 5

Status = Literal["queued", "running", "writing", "done", "failed"]
_PENDING = ("queued", "running", "writing")


class ExportRequest(RequestBody):
    """The measurements to export: the filters of ``GET /measurements``."""

    table: Literal["measurements"] = "measurements"
    format: Literal["xlsx", "csv"] = "xlsx"
    site: str | None = Field(default=None, max_length=32)
    pollutant: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,16}$")
    from_: IsoDateOrTime | None = Field(default=None, alias="from", description=measurements.TIME_HELP)
    to: IsoDateOrTime | None = Field(default=None, description=measurements.TIME_HELP)
    interval: str = Field(default="1h", pattern=r"^(rtd|min|\d{1,4}(min|h|d))$")
    limit: int | None = Field(
        default=None, ge=1, le=measurements.MAX_DOWNLOAD_ROWS, description="The first rows only (default all)"
    )


class ExportStatus(BaseModel):
    id: str
    status: Status
    rows: int | None = Field(description="Rows the file will hold (known once the job started)")
    rows_read: int
    progress: float = Field(ge=0, le=1, description="Share of the job done")
    error: str | None
    created_at: str = Field(description="ISO 8601, UTC")
    file: str | None = Field(description="Where to download the file, once made")


@dataclass
class ExportJob:
    id: str
    owner: int
    fmt: TableFormat
    name: str
    created_at: dt.datetime
    finished: float | None = None  # monotonic
    status: Status = "queued"
    rows: int | None = None
    rows_read: int = 0
    error: str | None = None
    content: bytes | None = None
    future: Future | None = field(default=None, repr=False)

    @property
    def progress(self) -> float:
        if self.status == "done":
            return 1.0
        if self.status == "writing":
            return 0.9
        if not self.rows:
            return 0.0
        return round(0.9 * min(self.rows_read, self.rows) / self.rows, 3)


class ExportJobs:
    """The jobs of one application and the thread that makes them."""

    def __init__(self, *, workers: int = EXPORT_WORKERS, clock: Callable[[], float] = time.monotonic):
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ecowatch-export")
        self._jobs: dict[str, ExportJob] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def submit(self, job: ExportJob, work: Callable[[ExportJob], None]) -> ExportJob:
        """Queue ``work(job)``; 429 when the owner has a job pending, 503 when too many are."""
        with self._lock:
            self._forget_old()
            pending = [j for j in self._jobs.values() if j.status in _PENDING]
            mine = [j for j in pending if j.owner == job.owner]
            if len(mine) >= JOBS_PER_USER:
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    detail=f"exports: your export {mine[0].id} is still being made; wait for it "
                    f"(GET /api/v1/exports/{mine[0].id})",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            if len(pending) >= MAX_QUEUED:
                raise HTTPException(
                    status.HTTP_503_SERVICE_UNAVAILABLE,
                    detail=f"exports: {len(pending)} exports are being made; try again shortly",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            self._jobs[job.id] = job
            job.future = self._executor.submit(self._run, job, work)
        return job

    def _run(self, job: ExportJob, work: Callable[[ExportJob], None]) -> None:
        job.status = "running"
        try:
            work(job)
        except HTTPException as error:
            job.status, job.error = "failed", str(error.detail)
        except QueryBudgetExceeded as error:
            job.status, job.error = "failed", f"{error}; narrow site/pollutant/from/to"
        except Exception as error:  # a job's failure is its answer; the thread serves the next job
            job.status, job.error = "failed", f"{error.__class__.__name__}: {error}"
        else:
            job.status = "done"
        finally:
            job.finished = self._clock()

    def get(self, job_id: str, owner: int) -> ExportJob:
        """The owner's job (404 for anyone else, as for an unknown id)."""
        with self._lock:
            self._forget_old()
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no export {job_id!r}")
        return job

    def wait(self, job_id: str, timeout: float) -> ExportJob:
        """Block until the job has finished (``TimeoutError`` after ``timeout`` seconds); the job."""
        with self._lock:
            job = self._jobs[job_id]
        if job.future is not None:
            job.future.result(timeout=timeout)
        return job

    def _forget_old(self) -> None:
        now = self._clock()
        finished = sorted(
            ((j.finished, j) for j in self._jobs.values() if j.finished is not None), key=lambda pair: pair[0]
        )
        for index, (at, job) in enumerate(finished):
            if now - at > KEEP_S or index < len(finished) - KEEP_FILES:
                del self._jobs[job.id]

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def jobs_of(request: Request) -> ExportJobs:
    """The application's export jobs."""
    return on_app(request, "ecowatch_exports", ExportJobs)


def _status(job: ExportJob) -> ExportStatus:
    return ExportStatus(
        id=job.id,
        status=job.status,
        rows=job.rows,
        rows_read=job.rows_read,
        progress=job.progress,
        error=job.error,
        created_at=job.created_at.isoformat().replace("+00:00", "Z"),
        file=f"/api/v1/exports/{job.id}/file" if job.status == "done" else None,
    )


def _measurements_work(
    sessions: sessionmaker[Session], filters: measurements.Filters, limit: int | None
) -> Callable[[ExportJob], None]:
    def work(job: ExportJob) -> None:
        with sessions() as session, query_budget(session, EXPORT_BUDGET_S):
            job.rows = (
                measurements.count_rows(session, filters)
                if filters.interval not in measurements.FRAME_INTERVALS
                else None
            )
            if job.rows is not None and limit is not None:
                job.rows = min(job.rows, limit)
            _, rows = measurements.measurement_rows(
                session,
                filters,
                limit=limit,
                count=False,
                progress=lambda done: setattr(job, "rows_read", done),
            )
            job.rows = len(rows)
            job.rows_read = len(rows)
        job.status = "writing"
        frame = export_frame([row.model_dump() for _, row in rows], list(MeasurementRead.model_fields))
        if job.fmt is TableFormat.xlsx:
            job.content = xlsx_bytes(frame, sheet=sheet_name("measurements"))
        else:
            job.content = csv_bytes(frame)

    return work


JobId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExportStatus,
    dependencies=[Depends(costly)],
    responses={**SCOPE_ERRORS, 404: {"model": Problem}, **COSTLY_ERRORS},
)
def create_export(
    body: ExportRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> ExportStatus:
    """Queue an export of measurements (the filters of ``GET /measurements``); poll its status."""
    filters = measurements.read_filters(
        session,
        scope,
        site=body.site,
        pollutant=body.pollutant,
        time_from=body.from_,
        time_to=body.to,
        interval=body.interval,
    )
    fmt = TableFormat(body.format)
    try:
        with query_budget(session, measurements.READ_BUDGET_S):
            if filters.interval not in measurements.FRAME_INTERVALS:
                total = measurements.count_rows(session, filters)
                measurements.check_download(total, body.limit, TableFormat.csv)
    except QueryBudgetExceeded as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"from/to: {error}; narrow site/pollutant/from/to"
        ) from None
    web = state_of(request)
    job = ExportJob(
        id=secrets.token_urlsafe(12), owner=user.id, fmt=fmt, name="measurements", created_at=web.now()
    )
    jobs_of(request).submit(job, _measurements_work(web.read_sessions, filters, body.limit))
    response.headers["Location"] = f"/api/v1/exports/{job.id}"
    return _status(job)


@router.get("/{job_id}", response_model=ExportStatus, responses={**SCOPE_ERRORS, 404: {"model": Problem}})
def export_status(job_id: JobId, request: Request, user: CurrentUser) -> ExportStatus:
    """An export's status and progress."""
    return _status(jobs_of(request).get(job_id, user.id))


@router.get(
    "/{job_id}/file",
    responses={
        **SCOPE_ERRORS,
        404: {"model": Problem},
        409: {"model": Problem},
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        },
    },
)
def export_file(job_id: JobId, request: Request, user: CurrentUser) -> Response:
    """The file of a finished export."""
    job = jobs_of(request).get(job_id, user.id)
    if job.status != "done" or job.content is None:
        detail = f"export {job_id}: {job.status}" + (f" ({job.error})" if job.error else ", not made yet")
        raise HTTPException(status.HTTP_409_CONFLICT, detail=detail)
    media_type = XLSX_TYPE if job.fmt is TableFormat.xlsx else CSV_TYPE
    return Response(
        content=job.content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{job.name}.{job.fmt.value}"'},
    )
