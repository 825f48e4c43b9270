"""The platform as one process: the web API and pages, the HJ 212 gateway and the scheduler.

``ecowatch serve`` runs :func:`run_platform`.  All three share one asyncio event loop (uvicorn's
server is driven from here rather than by ``uvicorn.run``), so one Ctrl-C or SIGTERM stops them
in order: the web server stops taking requests, the scheduler finishes, and the gateway drains,
journals and acknowledges what it has before the process ends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "QUARANTINE_RETENTION_DAYS",
    "WEB_MAX_CONNECTIONS",
    "PlatformSettings",
    "prune_quarantine",
    "run_platform",
    "schedule_jobs",
]

log = logging.getLogger("ecowatch.server")

#: Default of :attr:`PlatformSettings.quarantine_retention_days`: a month, time enough to review what a
#: misconfigured device sent and register it (its data it keeps and sends again), not a year of junk.
QUARANTINE_RETENTION_DAYS = 30
#: Default of :attr:`PlatformSettings.web_max_connections`: the web side's connections (idle ones
#: included) beyond which a request is answered 503 at once. Half the descriptors the gateway leaves to
#: the rest of the process (:data:`ecowatch.gateway.limits.RESERVED_DESCRIPTORS`), the other half for
#: the database, the journal and the logs; a department's staff are tens of users, not thousands.
WEB_MAX_CONNECTIONS = 512


@dataclass(frozen=True)
class PlatformSettings:
    """Where the platform listens and what it runs.  ``gateway_port`` None: no gateway; ``journal_dir`` None:
    the store's own (:func:`ecowatch.gateway.journal.default_journal_dir`)."""

    url: str
    host: str = "127.0.0.1"
    port: int = 8000
    gateway_port: int | None = 9212
    journal_dir: Path | None = None
    simulate_devices: bool = False
    log_level: str = "info"
    #: Quarantined frames and junk last seen this long ago are deleted (docs/decisions.md, "junk budgets").
    quarantine_retention_days: int = QUARANTINE_RETENTION_DAYS
    #: Connections the web side serves at once (:data:`WEB_MAX_CONNECTIONS`).
    web_max_connections: int = WEB_MAX_CONNECTIONS


def schedule_jobs(scheduler, url: str, *, quarantine_retention_days: int = QUARANTINE_RETENTION_DAYS) -> None:
    """Add the platform's periodic work to an APScheduler scheduler (Beijing time):

    - 00:20 daily, the figures of the day that just ended (:func:`ecowatch.jobs.compute_daily_figures`);
      twenty minutes leave the devices time to send the last hour (HJ 212 hourly data of 23:00 arrive
      after midnight);
    - 01:10 daily, next months' ``measurement`` partitions on PostgreSQL
      (:func:`ecowatch.jobs.ensure_partitions_ahead`), and once at start;
    - every 5 minutes and at start, the hourly blocks of months whose values changed
      (:func:`ecowatch.jobs.build_blocks`): new hours make only their own month stale;
    - 02:40 daily, the quarantine's retention: rows last seen ``quarantine_retention_days`` ago or more
      are deleted (:func:`prune_quarantine`);
    - the closed-loop cases' escalation daily at 00:05 and once at start, and their e-mail outbox
      (:func:`ecowatch.jobs.schedule_case_jobs`; ``ECOWATCH_SMTP_*`` settings that cannot be used raise
      here, before anything runs).
    """
    from ecowatch.clock import BEIJING, now
    from ecowatch.jobs import (
        build_blocks,
        compute_daily_figures,
        ensure_partitions_ahead,
        previous_beijing_day,
        schedule_case_jobs,
    )

    schedule_case_jobs(scheduler, url)

    def daily_figures() -> None:
        compute_daily_figures(url, previous_beijing_day(now()))

    def partitions() -> None:
        ensure_partitions_ahead(url, now().astimezone(BEIJING).date())

    scheduler.add_job(
        daily_figures,
        "cron",
        hour=0,
        minute=20,
        timezone=BEIJING,
        id="daily_figures",
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        partitions,
        "cron",
        hour=1,
        minute=10,
        timezone=BEIJING,
        id="partitions_ahead",
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(partitions, id="partitions_at_start")
    scheduler.add_job(
        build_blocks,
        "interval",
        args=[url],
        minutes=5,
        id="hourly_blocks",
        coalesce=True,
        max_instances=1,
        next_run_time=dt.datetime.now(dt.UTC),  # the scheduler fires on the wall clock
    )

    def quarantine_retention() -> None:
        prune_quarantine(url, now() - dt.timedelta(days=quarantine_retention_days))

    scheduler.add_job(
        quarantine_retention,
        "cron",
        hour=2,
        minute=40,
        timezone=BEIJING,
        id="quarantine_retention",
        coalesce=True,
        misfire_grace_time=3600,
    )


def prune_quarantine(url: str, before: dt.datetime) -> int:
    """Delete the quarantine rows of the store at ``url`` last seen before ``before``; the number deleted."""
    from ecowatch.store import make_engine, session_factory
    from ecowatch.store.frames import prune_quarantine as prune

    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            deleted = prune(session=session, before=before)
    finally:
        engine.dispose()
    if deleted:
        log.info("quarantine retention: %d rows last seen before %s deleted", deleted, before.isoformat())
    return deleted


async def run_platform(
    settings: PlatformSettings, *, ready: Callable[[int, int | None], None] | None = None
) -> None:
    """Serve until stopped.  ``ready(web_port, gateway_port)`` is called once everything listens.

    The process's settings are made here, for the whole platform, and nowhere in its parts
    (:mod:`ecowatch.gateway.tuning`): the collector's thresholds while it serves, and the heap that exists
    once everything listens frozen out of the collector's sight (docs/decisions.md P6).
    """
    from ecowatch.gateway.tuning import serving_process

    with serving_process():
        await _run_platform(settings, ready=ready)


async def _run_platform(
    settings: PlatformSettings, *, ready: Callable[[int, int | None], None] | None
) -> None:
    import uvicorn
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from ecowatch.gateway.tuning import freeze_heap
    from ecowatch.store import migrate
    from ecowatch.web.app import create_app

    migrate.upgrade(settings.url)
    gateway = simulation = None
    if settings.gateway_port is not None:
        from ecowatch.gateway.journal import journal_dir_for
        from ecowatch.gateway.server import Gateway

        journal_dir, moved = journal_dir_for(settings.url, settings.journal_dir)
        if moved is not None:
            log.warning("the gateway journal of earlier versions moved to %s, the store's own", moved)
        gateway = Gateway(url=settings.url, journal_dir=journal_dir)
        await gateway.start(settings.host, settings.gateway_port)
        log.info("HJ 212 gateway listening on %s:%d", settings.host, gateway.port)

    # The jobs touch the database synchronously: they run in worker threads, never on the event loop.
    scheduler = AsyncIOScheduler(executors={"default": ThreadPoolExecutor(2)}, timezone="Asia/Shanghai")
    schedule_jobs(scheduler, settings.url, quarantine_retention_days=settings.quarantine_retention_days)
    scheduler.start()

    config = uvicorn.Config(
        create_app(settings.url),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
        access_log=False,
        limit_concurrency=settings.web_max_connections,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                await serving  # raises what stopped uvicorn (port in use...)
                return
            await asyncio.sleep(0.05)
        web_port = server.servers[0].sockets[0].getsockname()[1] if server.servers else settings.port
        if gateway is not None and settings.simulate_devices:
            from ecowatch.demo import run_demo_devices

            assert gateway.port is not None, "run_platform: the gateway listens (started above)"
            simulation = asyncio.create_task(run_demo_devices(settings.url, settings.host, gateway.port))
        freeze_heap()
        if ready is not None:
            ready(web_port, gateway.port if gateway else None)
        await serving
    finally:
        if simulation is not None:
            simulation.cancel()
            await asyncio.gather(simulation, return_exceptions=True)
        scheduler.shutdown(wait=True)
        if gateway is not None:
            await gateway.stop()
