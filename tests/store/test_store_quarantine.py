"""The quarantine's bounds in the store (issue 14): escaped text, retention; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ecowatch.server import QUARANTINE_RETENTION_DAYS, prune_quarantine, schedule_jobs
from ecowatch.store import session_factory
from ecowatch.store.frames import RefusedFrame, apply_batch
from ecowatch.store.models import Hj212Quarantine


def refused(digest: str, seen: dt.datetime, *, raw: str = "junk", mn: str | None = None) -> RefusedFrame:
    return RefusedFrame(digest, "skipped 4 bytes of garbage", mn, raw, "127.0.0.1:1", seen)


def test_retention_deletes_rows_last_seen_before_the_limit(engine, db_url):
    old, recent = dt.datetime(2026, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with session_factory(engine).begin() as session:
        apply_batch(session=session, kept=[], refused=[refused("a" * 64, old), refused("b" * 64, recent)])
    assert prune_quarantine(db_url, dt.datetime(2026, 11, 7, tzinfo=dt.UTC)) == 1
    with session_factory(engine)() as session:
        assert session.scalars(select(Hj212Quarantine.digest)).all() == ["b" * 64]


def test_a_row_seen_again_lately_is_kept(engine, db_url):
    """Retention goes by the last time a frame was seen, not the first."""
    with session_factory(engine).begin() as session:
        apply_batch(
            session=session, kept=[], refused=[refused("a" * 64, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))]
        )
    with session_factory(engine).begin() as session:
        apply_batch(
            session=session, kept=[], refused=[refused("a" * 64, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))]
        )
    assert prune_quarantine(db_url, dt.datetime(2026, 11, 7, tzinfo=dt.UTC)) == 0


def test_nul_in_any_quarantine_text_is_escaped(engine):
    """An MN or junk holding NUL (PostgreSQL refuses NUL in text) is kept, escaped."""
    seen = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with session_factory(engine).begin() as session:
        apply_batch(session=session, kept=[], refused=[refused("c" * 64, seen, raw="a\0b", mn="M\0N")])
    with session_factory(engine)() as session:
        assert session.execute(select(Hj212Quarantine.mn, Hj212Quarantine.raw)).one() == (
            "M\\x00N",
            "a\\x00b",
        )


def test_the_platform_schedules_the_retention_daily():
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    schedule_jobs(scheduler, "sqlite:///unused.db", quarantine_retention_days=7)
    job = scheduler.get_job("quarantine_retention")
    assert str(job.trigger) == "cron[hour='2', minute='40']"
    assert QUARANTINE_RETENTION_DAYS == 30
