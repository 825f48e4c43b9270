"""Periodic work of the platform: what the scheduler in ``ecowatch serve`` runs, as plain functions.

Each job takes the database URL and the moment it runs for (never the wall clock by itself), so
tests call them for any date and the scheduler passes "now".  They are safe to run twice: the
figures are keyed by site, day and edition, and partitions are created only when missing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select

from ecowatch.cases.notify import EmailRun, SmtpSettings
from ecowatch.clock import BEIJING
from ecowatch.store import make_engine, session_factory
from ecowatch.store.blocks import BlocksBuilt, build_hourly_blocks
from ecowatch.store.models import Site, SiteKind
from ecowatch.store.partitions import ensure_month_partitions, months

__all__ = [
    "BEIJING",
    "CASE_EMAIL_INTERVAL",
    "CASE_ESCALATION_TIME",
    "CASE_STATISTICS_TABLES",
    "CASE_STATISTICS_TIME",
    "DAILY_FIGURE_KIND",
    "CasesEscalated",
    "DailyFiguresDone",
    "build_blocks",
    "compute_daily_figures",
    "ensure_partitions_ahead",
    "escalate_cases",
    "previous_beijing_day",
    "refresh_case_statistics",
    "schedule_case_jobs",
    "send_case_emails",
]

log = logging.getLogger("ecowatch.jobs")

DAILY_FIGURE_KIND = "air_daily"
"""``FigureCache.kind`` of one station's (or city's) daily AQI figures of one Beijing day."""

JOB_ACTOR = "scheduler"


def previous_beijing_day(now: dt.datetime) -> dt.date:
    """The Beijing day that ended last before ``now`` (an aware datetime).

    >>> previous_beijing_day(dt.datetime(2026, 11, 23, 16, 5, tzinfo=dt.UTC))  # 00:05 on the 24th in Beijing
    datetime.date(2026, 11, 23)
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(BEIJING).date() - dt.timedelta(days=1)


@dataclass(frozen=True)
class DailyFiguresDone:
    day: dt.date
    sites: int
    with_aqi: int


def compute_daily_figures(url: str, day: dt.date) -> DailyFiguresDone:
    """Compute and cache the daily figures (HJ 663 statistics, HJ 633 daily AQI) of ``day`` for every air
    station that has data, as the row ``ecowatch air daily`` prints, under kind :data:`DAILY_FIGURE_KIND`.

    The edition follows the date (2012 before 2026-03-01, 2026 from then).  The cache row remembers the
    station's ``data_version``, so values arriving late (a device re-uploading the day) make it stale and
    the next run, or the next reader, recomputes it.
    """
    from ecowatch.assessment.air import assess_air
    from ecowatch.assessment.publish import daily_table
    from ecowatch.store.figures import save_figure
    from ecowatch.store.measurements import import_result_from_store

    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            imported = import_result_from_store(session=session, first_day=day, last_day=day)
            if not imported.stations:
                return DailyFiguresDone(day=day, sites=0, with_aqi=0)
            table = daily_table(assess_air(imported, day, day))
            sites = {
                site.code: site
                for site in session.scalars(select(Site).where(Site.kind == SiteKind.air_station))
            }
            saved = with_aqi = 0
            for row in table.iter_rows(named=True):
                site = sites.get(row["site"])
                if (
                    row["kind"] != "station" or site is None
                ):  # a city is not a site (its figures come from its stations)
                    continue
                payload = {
                    key: (value.isoformat() if isinstance(value, dt.date) else value)
                    for key, value in row.items()
                }
                save_figure(
                    session=session,
                    site=site,
                    kind=DAILY_FIGURE_KIND,
                    period_start=day,
                    period_end=day,
                    standard=row["edition"],
                    payload=payload,
                    actor=JOB_ACTOR,
                )
                saved += 1
                with_aqi += row["AQI"] is not None
        log.info("daily figures of %s: %d stations, %d with an AQI", day, saved, with_aqi)
        return DailyFiguresDone(day=day, sites=saved, with_aqi=with_aqi)
    finally:
        engine.dispose()


def build_blocks(url: str) -> BlocksBuilt:
    """Build the hourly blocks of every site-month whose values changed since
    (:func:`ecowatch.store.blocks.build_hourly_blocks`), so period figures read arrays, not rows."""
    engine = make_engine(url)
    try:
        done = build_hourly_blocks(engine)
        if done.months or done.skipped:
            log.info(
                "hourly blocks: %d site-months built (%d not fitting), %d left for the next run",
                done.months,
                done.not_fitting,
                done.skipped,
            )
        return done
    finally:
        engine.dispose()


def ensure_partitions_ahead(url: str, today: dt.date, months_ahead: int = 2) -> list[str]:
    """Create the monthly ``measurement`` partitions of this month and the next ``months_ahead`` ahead of
    time on PostgreSQL (creating one locks the table briefly, so not while devices are writing into it);
    nothing on SQLite.  Returns the partitions created."""
    last = today
    for _ in range(months_ahead):
        last = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            created = ensure_month_partitions(session, months(today, last)[0], last)
        if created:
            log.info("created partitions %s", ", ".join(created))
        return created
    finally:
        engine.dispose()


# -- closed-loop cases (issue 16) ---------------------------------------------------------------------

#: When the daily escalation runs, Beijing time: just after midnight, so a step reached on a Beijing day
#: is recorded, and told, at that day's start (decision C-schedule).
CASE_ESCALATION_TIME = dt.time(0, 5)
#: How often the e-mail outbox is emptied (and its failed messages retried, when their wait is over).
CASE_EMAIL_INTERVAL = dt.timedelta(minutes=5)
#: When the planner statistics of the cases' table are refreshed daily, Beijing time (and once at start).
CASE_STATISTICS_TIME = dt.time(3, 20)
#: The tables :func:`refresh_case_statistics` analyzes: the case rows the lists and statistics read.
CASE_STATISTICS_TABLES = ("supervision_case",)


@dataclass(frozen=True)
class CasesEscalated:
    """What a run of the escalation did: when (the platform's now), the steps recorded, the
    notifications written, and the e-mail sent after it (None: no SMTP relay configured)."""

    at: dt.datetime
    steps: int
    notifications: int
    emails: EmailRun | None


def escalate_cases(url: str, now: dt.datetime, smtp: SmtpSettings | None = None) -> CasesEscalated:
    """Record the escalation steps every open case has reached at ``now`` with their notifications, in
    one transaction (:func:`ecowatch.cases.notify.escalate_and_notify`; the batch's own ladder where it
    has one), then e-mail what is pending when ``smtp`` is given. Run twice at the same time, the second
    run records nothing."""
    from sqlalchemy import func

    from ecowatch.cases.models import CaseNotification
    from ecowatch.cases.notify import escalate_and_notify, send_pending_emails
    from ecowatch.store.db import SQLITE_IMMEDIATE

    # The run reads the cases, then writes: on SQLite it takes the write lock first and waits for it,
    # where a deferred transaction would fail at once on another job's commit in between.
    engine = make_engine(url).execution_options(**{SQLITE_IMMEDIATE: True})
    try:
        sessions = session_factory(engine)
        with sessions.begin() as session:
            before = session.scalar(select(func.count()).select_from(CaseNotification)) or 0
            steps = escalate_and_notify(session=session, now=now)
            notifications = (session.scalar(select(func.count()).select_from(CaseNotification)) or 0) - before
        if steps:
            log.info(
                "escalation at %s: %d steps, %d notifications", now.isoformat(), len(steps), notifications
            )
        emails = None if smtp is None else send_pending_emails(sessions=sessions, settings=smtp, now=now)
        return CasesEscalated(at=now, steps=len(steps), notifications=notifications, emails=emails)
    finally:
        engine.dispose()


def send_case_emails(url: str, now: dt.datetime, smtp: SmtpSettings) -> EmailRun:
    """E-mail the case notifications pending at ``now``
    (:func:`ecowatch.cases.notify.send_pending_emails`)."""
    from ecowatch.cases.notify import send_pending_emails

    engine = make_engine(url)
    try:
        return send_pending_emails(sessions=session_factory(engine), settings=smtp, now=now)
    finally:
        engine.dispose()


def refresh_case_statistics(url: str) -> float:
    """``ANALYZE`` the cases' table (:data:`CASE_STATISTICS_TABLES`) so the query planner knows how its
    indexes divide it; the seconds it took.

    SQLite keeps no statistics until asked (its planner then prefers an index on fewer columns: a scoped
    user's statistics of a large batch read every case of the batch, where the index on batch and region
    reads only theirs); PostgreSQL's autovacuum analyzes in its own time, after an import perhaps too
    late. About 30 ms per 20,000 cases on SQLite (decision C-analyze).
    """
    import time

    from ecowatch.store.db import SQLITE_IMMEDIATE

    started = time.perf_counter()
    engine = make_engine(url)
    try:
        with engine.execution_options(**{SQLITE_IMMEDIATE: True}).begin() as connection:
            for table in CASE_STATISTICS_TABLES:
                connection.exec_driver_sql(f"ANALYZE {table}")
    finally:
        engine.dispose()
    return time.perf_counter() - started


def schedule_case_jobs(scheduler, url: str) -> SmtpSettings | None:  # type: ignore[no-untyped-def]
    """Add the cases' jobs to an APScheduler scheduler; the SMTP settings in use (None: no e-mail).

    - daily at :data:`CASE_ESCALATION_TIME` Beijing time, and once at start (the catch-up of days the
      platform was down), :func:`escalate_cases` at the platform's now (:func:`ecowatch.clock.now`,
      so ``ECOWATCH_NOW`` holds for the scheduler too);
    - every :data:`CASE_EMAIL_INTERVAL`, when an SMTP relay is configured (``ECOWATCH_SMTP_*``,
      :meth:`~ecowatch.cases.notify.SmtpSettings.from_environment`), the e-mail outbox;
    - daily at :data:`CASE_STATISTICS_TIME` and once at start, :func:`refresh_case_statistics`.

    Settings that cannot be used raise :class:`~ecowatch.errors.InputError` here, before anything runs.
    """
    from ecowatch.clock import now

    smtp = SmtpSettings.from_environment()

    def escalation() -> None:
        escalate_cases(url, now(), smtp)

    def emails() -> None:
        assert smtp is not None, "schedule_case_jobs: the outbox runs only with a relay"
        send_case_emails(url, now(), smtp)

    scheduler.add_job(
        escalation,
        "cron",
        hour=CASE_ESCALATION_TIME.hour,
        minute=CASE_ESCALATION_TIME.minute,
        timezone=BEIJING,
        id="case_escalation",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(escalation, id="case_escalation_at_start", max_instances=1)
    scheduler.add_job(
        refresh_case_statistics,
        "cron",
        args=[url],
        hour=CASE_STATISTICS_TIME.hour,
        minute=CASE_STATISTICS_TIME.minute,
        timezone=BEIJING,
        id="case_statistics",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(refresh_case_statistics, args=[url], id="case_statistics_at_start", max_instances=1)
    if smtp is not None:
        scheduler.add_job(
            emails,
            "interval",
            seconds=CASE_EMAIL_INTERVAL.total_seconds(),
            id="case_emails",
            coalesce=True,
            max_instances=1,
        )
    return smtp
