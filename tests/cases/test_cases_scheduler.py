"""The scheduler's case jobs: the daily escalation and the e-mail outbox, driven over simulated months
with the controllable clock (``ECOWATCH_NOW``), a batch's own ladder, the catch-up at start in a real
APScheduler, on SQLite and PostgreSQL, with e-mail to a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from smtp_inbox import free_port, smtp_server
from sqlalchemy import select, text

from ecowatch.cases.errors import LadderError, UnknownCase
from ecowatch.cases.escalation import DEFAULT_LADDER
from ecowatch.cases.ladders import parse_ladder, read_ladder_file, set_batch_ladder
from ecowatch.cases.models import Case, CaseBatch, CaseEscalation, CaseNotification
from ecowatch.cases.notify import SmtpSettings
from ecowatch.cases.service import CaseInput, NodeInput, add_cases, complete_node
from ecowatch.clock import BEIJING
from ecowatch.errors import InputError
from ecowatch.jobs import escalate_cases, refresh_case_statistics, schedule_case_jobs
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.models import AuditEntry
from ecowatch.store.users import create_user, get_user, hash_password

PASSWORD_HASH = hash_password("password-of-the-tests")
BATCH, OTHER = "2026-中央第三轮", "2026-省级第二轮"
USERS = {  # name: (role, region, e-mail)
    "chaoyang": ("county", "110105", "chaoyang@example.cn"),
    "beijing-province": ("province", "110000", "province@example.cn"),
}


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 5) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for name, (role, region, email) in USERS.items():
            create_user(
                session=session,
                username=name,
                password_hash=PASSWORD_HASH,
                role=role,
                region_code=region,
                actor="test",
            )
            user = get_user(session=session, username=name)
            assert user is not None
            user.email = email
        add_cases(
            session=session,
            batch=BATCH,
            kind="rectification",
            cases=[
                CaseInput(
                    code="ZY-1",
                    title="废水直排",
                    region="110105",
                    lead_unit="朝阳区生态环境局",
                    deadline=dt.date(2026, 6, 30),
                    nodes=(
                        NodeInput(dt.date(2026, 3, 31), "整改方案"),
                        NodeInput(dt.date(2026, 6, 30), "完成"),
                    ),
                )
            ],
            actor="test",
            now=beijing(2026, 3, 1, 9),
        )
        add_cases(
            session=session,
            batch=OTHER,
            kind="typical",
            cases=[
                CaseInput(
                    code="SJ-1",
                    title="扬尘",
                    region="110105",
                    lead_unit="朝阳区住建委",
                    deadline=dt.date(2026, 4, 10),
                )
            ],
            actor="test",
            now=beijing(2026, 3, 1, 9),
        )
    yield db_url, sessions
    engine.dispose()


def escalations(sessions) -> list[tuple[str, int, str, dt.date]]:
    """(case, node, step, Beijing date recorded), in the order recorded."""
    with sessions() as session:
        rows = session.execute(
            select(Case.code, CaseEscalation.node, CaseEscalation.step, CaseEscalation.at)
            .join(Case, Case.id == CaseEscalation.case_id)
            .order_by(CaseEscalation.id)
        ).tuples()
        out = []
        for code, node, step, at in rows:
            at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at
            out.append((code, node, step, at.astimezone(BEIJING).date()))
        return out


def days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_escalation_over_months_with_the_controllable_clock(store, tmp_path, monkeypatch):
    url, sessions = store
    with sessions.begin() as session:
        # The second batch's own ladder: a yellow card from the due date, a red card from 10 days late.
        set_batch_ladder(
            session=session,
            batch=OTHER,
            ladder=parse_ladder("yellow=0..9,red=10"),
            actor="test",
            now=beijing(2026, 3, 1, 9),
        )
    with smtp_server(tmp_path) as relay:
        for key, value in relay.env.items():
            monkeypatch.setenv(key, value)
        scheduler = BackgroundScheduler(timezone=BEIJING)
        assert schedule_case_jobs(scheduler, url) is not None
        daily = scheduler.get_job("case_escalation").func
        for day in days(dt.date(2026, 3, 1), dt.date(2026, 7, 31)):
            if day == dt.date(2026, 6, 1):
                with sessions.begin() as session:  # node 1 done: the ladder moves to node 2 (due 06-30)
                    complete_node(
                        session=session,
                        code="ZY-1",
                        seq=1,
                        username="beijing-province",
                        now=beijing(2026, 6, 1, 10),
                    )
            monkeypatch.setenv("ECOWATCH_NOW", beijing(day.year, day.month, day.day).isoformat())
            daily()
    # By hand from issue 16's ladder: node 1 due 03-31 (warning 3 days before, notice +1, interview
    # +15, listed +30, accountability +60), node 2 due 06-30 once node 1 is done; SJ-1 due 04-10 on its
    # batch's ladder (yellow on the due date, red 10 days later).
    assert escalations(sessions) == [
        ("ZY-1", 1, "warning", dt.date(2026, 3, 28)),
        ("ZY-1", 1, "notice", dt.date(2026, 4, 1)),
        ("SJ-1", 0, "yellow", dt.date(2026, 4, 10)),
        ("ZY-1", 1, "interview", dt.date(2026, 4, 15)),
        ("SJ-1", 0, "red", dt.date(2026, 4, 20)),
        ("ZY-1", 1, "listed", dt.date(2026, 4, 30)),
        ("ZY-1", 1, "accountability", dt.date(2026, 5, 30)),
        ("ZY-1", 2, "warning", dt.date(2026, 6, 27)),
        ("ZY-1", 2, "notice", dt.date(2026, 7, 1)),
        ("ZY-1", 2, "interview", dt.date(2026, 7, 15)),
        ("ZY-1", 2, "listed", dt.date(2026, 7, 30)),
    ]
    # Each step e-mailed on its day by the same run: the county user every step, the province user
    # from the interview on (and every step of a batch's own ladder, whose meaning it cannot know).
    to_county = [
        (r.message["Date"].datetime.astimezone(BEIJING).date(), r.message["Subject"].split("】")[0])
        for r in relay.inbox.to("chaoyang@example.cn")
    ]
    assert to_county == [
        (dt.date(2026, 3, 28), "【预警 warning"),
        (dt.date(2026, 4, 1), "【通报 notice"),
        (dt.date(2026, 4, 10), "【yellow"),
        (dt.date(2026, 4, 15), "【约谈 interview"),
        (dt.date(2026, 4, 20), "【red"),
        (dt.date(2026, 4, 30), "【挂牌督办 listed"),
        (dt.date(2026, 5, 30), "【移交问责 accountability"),
        (dt.date(2026, 6, 27), "【预警 warning"),
        (dt.date(2026, 7, 1), "【通报 notice"),
        (dt.date(2026, 7, 15), "【约谈 interview"),
        (dt.date(2026, 7, 30), "【挂牌督办 listed"),
    ]
    to_province = [r.message["Subject"].split("】")[0] for r in relay.inbox.to("province@example.cn")]
    assert to_province == [
        "【yellow",
        "【约谈 interview",
        "【red",
        "【挂牌督办 listed",
        "【移交问责 accountability",
        "【约谈 interview",
        "【挂牌督办 listed",
    ]
    red = relay.inbox.to("province@example.cn")[2]
    assert red.message["Subject"] == "【red】SJ-1 逾期 10 天 / 10 days overdue：扬尘"
    assert (
        "red：SJ-1 到期日 2026-04-10，逾期 10 天 / red: SJ-1, due 2026-04-10, 10 days overdue\n" in red.body
    )


def test_a_second_run_the_same_day_records_and_sends_nothing(store, tmp_path):
    url, sessions = store
    with smtp_server(tmp_path) as relay:
        smtp = SmtpSettings.from_environment(relay.env)
        first = escalate_cases(url, beijing(2026, 4, 16), smtp)
        second = escalate_cases(url, beijing(2026, 4, 16, 18), smtp)
    # ZY-1 16 days past node 1: notice and interview; SJ-1 6 days past its deadline: notice (its warning
    # window is over). Told: the county user of each (3), the province user of the interview (1).
    assert (first.steps, first.notifications) == (3, 4)
    assert first.emails is not None and (first.emails.sent, first.emails.failed) == (4, 0)
    assert (second.steps, second.notifications) == (0, 0)
    assert second.emails is not None and second.emails.sent == 0
    assert len(relay.inbox.received) == 4


def test_a_relay_down_never_stops_the_escalation(store, monkeypatch):
    url, sessions = store
    monkeypatch.setenv("ECOWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ECOWATCH_SMTP_PORT", str(free_port()))  # nothing listens
    monkeypatch.setenv("ECOWATCH_SMTP_FROM", "ecowatch@example.cn")
    monkeypatch.setenv("ECOWATCH_SMTP_SECURITY", "none")
    monkeypatch.setenv("ECOWATCH_NOW", beijing(2026, 4, 16).isoformat())
    scheduler = BackgroundScheduler(timezone=BEIJING)
    schedule_case_jobs(scheduler, url)
    scheduler.get_job("case_escalation").func()  # returns: the relay's failure is counted, not raised
    with sessions() as session:
        rows = session.execute(select(CaseNotification.email_attempts, CaseNotification.emailed_at)).all()
    assert sorted(rows) == [(1, None)] * 4
    assert [(case, step) for case, _, step, _ in escalations(sessions)] == [
        ("SJ-1", "notice"),
        ("ZY-1", "notice"),
        ("ZY-1", "interview"),
    ]


def test_the_jobs_and_the_catch_up_at_start_in_a_running_scheduler(store, tmp_path, monkeypatch):
    url, sessions = store
    monkeypatch.setenv("ECOWATCH_NOW", beijing(2026, 4, 16, 9).isoformat())
    with smtp_server(tmp_path) as relay:
        for key, value in relay.env.items():
            monkeypatch.setenv(key, value)
        scheduler = BackgroundScheduler(timezone=BEIJING)
        schedule_case_jobs(scheduler, url)
        daily = scheduler.get_job("case_escalation")
        assert str(daily.trigger) == "cron[hour='0', minute='5']"
        assert daily.trigger.timezone.utcoffset(None) == dt.timedelta(hours=8)
        assert scheduler.get_job("case_emails").trigger.interval == dt.timedelta(minutes=5)
        scheduler.start()
        try:
            deadline = time.monotonic() + 30
            while len(relay.inbox.received) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            scheduler.shutdown(wait=True)
    assert [(case, step) for case, _, step, _ in escalations(sessions)] == [
        ("SJ-1", "notice"),
        ("ZY-1", "notice"),
        ("ZY-1", "interview"),
    ]
    assert sorted(r.rcpt_tos[0] for r in relay.inbox.received) == [
        "chaoyang@example.cn",
        "chaoyang@example.cn",
        "chaoyang@example.cn",
        "province@example.cn",
    ]


def test_no_relay_no_outbox_job_and_bad_settings_stop_at_once(store, monkeypatch):
    url, _ = store
    for key in ("HOST", "PORT", "FROM", "SECURITY", "USER", "PASSWORD", "CAFILE"):
        monkeypatch.delenv(f"ECOWATCH_SMTP_{key}", raising=False)
    scheduler = BackgroundScheduler(timezone=BEIJING)
    assert schedule_case_jobs(scheduler, url) is None
    assert sorted(job.id for job in scheduler.get_jobs()) == [
        "case_escalation",
        "case_escalation_at_start",
        "case_statistics",
        "case_statistics_at_start",
    ]
    assert str(scheduler.get_job("case_statistics").trigger) == "cron[hour='3', minute='20']"
    monkeypatch.setenv("ECOWATCH_SMTP_HOST", "mail.example.cn")
    with pytest.raises(InputError, match="ECOWATCH_SMTP_FROM"):
        schedule_case_jobs(BackgroundScheduler(timezone=BEIJING), url)


def test_a_batch_ladder_set_kept_and_cleared(store, tmp_path):
    _, sessions = store
    path = tmp_path / "ladder.json"
    path.write_text(
        json.dumps(
            [
                {"step": "warning", "from_days": -5, "until_days": 0},
                {"step": "notice", "from_days": 3},
                {
                    "step": "督办",
                    "from_days": 20,
                    "text": "督办：{case} 逾期 {days_overdue} 天 / listed: {case}",
                },
            ]
        ),
        encoding="utf-8",
    )
    ladder = read_ladder_file(path)
    with sessions.begin() as session:
        set_batch_ladder(session=session, batch=BATCH, ladder=ladder, actor="chief", now=beijing(2026, 3, 2))
    with sessions() as session:
        kept = session.get(CaseBatch, BATCH)
        assert kept is not None and kept.ladder == [
            {"step": "warning", "from_days": -5, "until_days": 0, "text": DEFAULT_LADDER.rungs[0].text},
            {"step": "notice", "from_days": 3, "until_days": None, "text": DEFAULT_LADDER.rungs[1].text},
            {
                "step": "督办",
                "from_days": 20,
                "until_days": None,
                "text": "督办：{case} 逾期 {days_overdue} 天 / listed: {case}",
            },
        ]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "set_ladder")).one()
        assert (audit.actor, audit.entity_id) == ("chief", BATCH)
    with sessions.begin() as session:
        set_batch_ladder(session=session, batch=BATCH, ladder=None, actor="chief", now=beijing(2026, 3, 3))
    with sessions() as session:
        assert session.get(CaseBatch, BATCH).ladder is None
    with sessions.begin() as session, pytest.raises(UnknownCase, match="no such batch"):
        set_batch_ladder(session=session, batch="nope", ladder=None, actor="chief", now=beijing(2026, 3, 3))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "ladder: no steps"),
        ("warning=-3,notice", "ladder step 2 'notice': write step=FROM or step=FROM..UNTIL"),
        (
            "notice=5,interview=5",
            "ladder step 2 'interview': starts on day 5, not after step 1 'notice' (day 5)",
        ),
        ("warning=-3..-5", "ladder step 1 'warning': ends on day -5, before it starts (day -3)"),
        ("notice=1,notice=2", "ladder step 2 'notice': the name is used twice"),
    ],
)
def test_ladder_text_errors(text, message):
    with pytest.raises(LadderError) as error:
        parse_ladder(text)
    assert message in str(error.value)


def test_ladder_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[step]]\nstep = "notice"\nfrom_days = "one"\n', encoding="utf-8")
    with pytest.raises(LadderError) as error:
        read_ladder_file(bad)
    assert str(error.value) == f"{bad}: ladder step 1, field from_days: 'one' is not a whole number of days"
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(LadderError, match="broken.json: not valid JSON"):
        read_ladder_file(broken)


def test_the_planner_statistics_of_the_cases(store):
    url, sessions = store
    refresh_case_statistics(url)
    with sessions() as session:
        if session.bind.dialect.name == "sqlite":
            # One row per index of supervision_case: "rows, rows per key prefix…" (2 cases in the store).
            stats = dict(
                session.execute(
                    text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'supervision_case'")
                ).all()
            )
            assert stats["sqlite_autoindex_supervision_case_1"] == "2 1"  # the unique code
        else:
            analyzed = session.scalar(
                text(
                    "SELECT count(*) FROM pg_stats WHERE tablename = 'supervision_case'"
                    " AND schemaname = current_schema()"
                )
            )
            assert analyzed > 0
