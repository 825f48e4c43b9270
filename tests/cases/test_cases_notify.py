"""Notifications of escalation steps on the store (SQLite and PostgreSQL): who is told of each step, the
platform notification written in the escalation's transaction, and the e-mail outbox against a real
SMTP server on 127.0.0.1 (aiosmtpd): sent once, a relay down or refusing never loses a notification,
retries wait, old notifications are not e-mailed."""

from __future__ import annotations

import datetime as dt

import pytest
from smtp_inbox import free_port, smtp_server
from sqlalchemy import func, select

from ecowatch.cases.models import CaseEscalation, CaseNotification
from ecowatch.cases.notify import (
    MAX_EMAIL_ATTEMPTS,
    SmtpSettings,
    escalate_and_notify,
    send_pending_emails,
)
from ecowatch.cases.service import CaseInput, NodeInput, add_cases, escalate
from ecowatch.clock import BEIJING
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.models import User
from ecowatch.store.users import create_user, get_user, hash_password

PASSWORD_HASH = hash_password("password-of-the-tests")

#: user name -> (role, region, e-mail, active). 110105 朝阳区 is a county of 110100 北京市 (city) of
#: 110000 北京市 (province); 110108 海淀区 is another county of the same city; 130000 河北省 another province.
USERS = {
    "chaoyang": ("county", "110105", "chaoyang@example.cn", True),
    "chaoyang-noemail": ("county", "110105", None, True),
    "chaoyang-gone": ("county", "110105", "gone@example.cn", False),
    "haidian": ("county", "110108", "haidian@example.cn", True),
    "beijing-city": ("city", "110100", "city@example.cn", True),
    "beijing-province": ("province", "110000", "province@example.cn", True),
    "hebei": ("province", "130000", "hebei@example.cn", True),
    "root": ("admin", None, "root@example.cn", True),
}

CASE = CaseInput(
    code="ZY-2026-017",
    title="某化工园区废水直排未整改",
    region="110105",
    lead_unit="朝阳区生态环境局",
    deadline=dt.date(2026, 6, 30),
    nodes=(NodeInput(dt.date(2026, 3, 31), "提交整改方案"), NodeInput(dt.date(2026, 6, 30), "完成整改")),
)


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 5) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        for name, (role, region, email, active) in USERS.items():
            create_user(
                session=session,
                username=name,
                password_hash=PASSWORD_HASH,
                role=role,
                region_code=region,
                email=email,
                actor="test",
            )
            user = get_user(session=session, username=name)
            assert user is not None
            user.active = active
        add_cases(
            session=session,
            batch="2026-中央第三轮",
            kind="rectification",
            cases=[CASE],
            actor="test",
            now=beijing(2026, 3, 1, 9),
        )
    yield factory
    engine.dispose()


def run(sessions, at: dt.datetime) -> list:
    with sessions.begin() as session:
        return escalate_and_notify(session=session, now=at)


def told(sessions) -> list[tuple[str, str, int | None]]:
    with sessions() as session:
        rows = session.execute(
            select(CaseNotification.step, User.username, CaseNotification.node).join(
                User, User.id == CaseNotification.user_id
            )
        )
        return sorted(rows.tuples())


def test_who_is_told_of_each_step(sessions):
    steps = run(sessions, beijing(2026, 3, 29))  # node 1 due 03-31: 2 days ahead, the warning
    assert [(s.step, s.node) for s in steps] == [("warning", 1)]
    # warning: the county and city users whose region contains 朝阳区; not 海淀区, 河北省, the admin,
    # nor the disabled user; a user without an address is told in the platform all the same.
    assert told(sessions) == [
        ("warning", "beijing-city", 1),
        ("warning", "chaoyang", 1),
        ("warning", "chaoyang-noemail", 1),
    ]
    steps = run(sessions, beijing(2026, 4, 16))  # 16 days past 03-31: notice and interview at once
    assert [(s.step, s.node, s.days_overdue) for s in steps] == [("notice", 1, 16), ("interview", 1, 16)]
    assert told(sessions) == [
        ("interview", "beijing-city", 1),
        ("interview", "beijing-province", 1),
        ("interview", "chaoyang", 1),
        ("interview", "chaoyang-noemail", 1),
        ("notice", "beijing-city", 1),
        ("notice", "chaoyang", 1),
        ("notice", "chaoyang-noemail", 1),
        ("warning", "beijing-city", 1),
        ("warning", "chaoyang", 1),
        ("warning", "chaoyang-noemail", 1),
    ]
    assert run(sessions, beijing(2026, 4, 16, 12)) == []  # a second run the same day: nothing new


def test_the_platform_notification(sessions):
    run(sessions, beijing(2026, 4, 16))
    with sessions() as session:
        note = session.scalars(
            select(CaseNotification)
            .join(CaseNotification.user)
            .where(CaseNotification.step == "interview")
            .order_by(CaseNotification.id)
        ).first()
        assert note is not None
        assert (
            note.title
            == "【约谈 interview】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改"
        )
        assert "节点 Node: 节点 1 提交整改方案 / node 1, due 2026-03-31\n" in note.body
        assert "区域 Region: 朝阳区 (110105)\n" in note.body
        assert "责任单位 Lead unit: 朝阳区生态环境局\n" in note.body
        escalation = session.get(CaseEscalation, note.escalation_id)
        assert escalation is not None and escalation.step == "interview"
        assert note.read_at is None and note.emailed_at is None and note.email_attempts == 0


def test_a_dry_run_tells_nobody(sessions):
    with sessions.begin() as session:
        steps = escalate(session=session, now=beijing(2026, 4, 16), dry_run=True)
    assert [s.step for s in steps] == ["notice", "interview"]
    assert told(sessions) == []


def settings_of(env: dict[str, str]) -> SmtpSettings:
    settings = SmtpSettings.from_environment(env)
    assert settings is not None
    return settings


def test_emails_go_out_once_to_the_addresses(sessions, tmp_path):
    at = beijing(2026, 4, 16)
    run(sessions, at)
    with smtp_server(tmp_path, security="starttls", users={"ecowatch": "relay-password"}) as relay:
        first = send_pending_emails(sessions=sessions, settings=settings_of(relay.env), now=at)
        again = send_pending_emails(sessions=sessions, settings=settings_of(relay.env), now=at)
    assert (first.sent, first.failed, first.error) == (5, 0, None)  # 7 told, 2 without an address
    assert (again.sent, again.failed) == (0, 0)
    got = sorted((r.rcpt_tos[0], r.message["Subject"]) for r in relay.inbox.received)
    assert got == [
        (
            "chaoyang@example.cn",
            "【约谈 interview】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改",
        ),
        (
            "chaoyang@example.cn",
            "【通报 notice】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改",
        ),
        (
            "city@example.cn",
            "【约谈 interview】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改",
        ),
        (
            "city@example.cn",
            "【通报 notice】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改",
        ),
        (
            "province@example.cn",
            "【约谈 interview】ZY-2026-017 逾期 16 天 / 16 days overdue：某化工园区废水直排未整改",
        ),
    ]
    to_province = relay.inbox.to("province@example.cn")[0]
    assert "案件 Case: ZY-2026-017\n" in to_province.body
    assert "逾期天数 Days overdue: 16\n" in to_province.body
    with sessions() as session:
        emailed = session.scalar(select(func.count()).where(CaseNotification.emailed_at.is_not(None)))
        assert emailed == 5


def test_a_relay_that_is_down_loses_nothing_and_is_tried_again(sessions, tmp_path):
    at = beijing(2026, 4, 16)
    run(sessions, at)
    port = free_port()  # nothing listens there yet
    down = settings_of(
        {
            "ECOWATCH_SMTP_HOST": "127.0.0.1",
            "ECOWATCH_SMTP_PORT": str(port),
            "ECOWATCH_SMTP_FROM": "e@example.cn",
        }
        | {"ECOWATCH_SMTP_SECURITY": "none"}
    )
    failed = send_pending_emails(sessions=sessions, settings=down, now=at)
    assert (failed.sent, failed.failed) == (0, 5)
    assert failed.error is not None and "ConnectionRefusedError" in failed.error
    assert len(told(sessions)) == 7  # in the platform all the same
    with smtp_server(tmp_path, port=port) as relay:
        # 4 minutes later: the first retry waits 5 minutes
        early = send_pending_emails(sessions=sessions, settings=down, now=at + dt.timedelta(minutes=4))
        assert (early.sent, early.failed) == (0, 0)
        later = send_pending_emails(sessions=sessions, settings=down, now=at + dt.timedelta(minutes=5))
        assert (later.sent, later.failed) == (5, 0)
    assert len(relay.inbox.received) == 5
    with sessions() as session:
        attempts = set(session.scalars(select(CaseNotification.email_attempts)))
        errors = set(session.scalars(select(CaseNotification.email_error)))
    assert attempts == {1, 0}  # the 5 e-mailed tried twice (1 failure counted), the 2 without address none
    assert errors == {None}


def test_a_refused_recipient_fails_alone_and_gives_up_in_the_end(sessions, tmp_path):
    at = beijing(2026, 4, 16)
    run(sessions, at)
    with smtp_server(tmp_path) as relay:
        relay.inbox.refuse.add("city@example.cn")
        settings = settings_of(relay.env)
        first = send_pending_emails(sessions=sessions, settings=settings, now=at)
        assert (first.sent, first.failed) == (3, 2)
        assert first.error == "recipient refused: 550 5.1.1 <city@example.cn>: recipient unknown"
        tries = 1
        moment = at
        for wait_minutes in (5, 10, 20, 40, 80, 160, 320):
            moment += dt.timedelta(minutes=wait_minutes)
            again = send_pending_emails(sessions=sessions, settings=settings, now=moment)
            assert (again.sent, again.failed) == (0, 2)
            tries += 1
        assert tries == MAX_EMAIL_ATTEMPTS
        done = send_pending_emails(sessions=sessions, settings=settings, now=moment + dt.timedelta(days=1))
        assert (done.sent, done.failed) == (0, 0)
    assert sorted(r.rcpt_tos[0] for r in relay.inbox.received) == [
        "chaoyang@example.cn",
        "chaoyang@example.cn",
        "province@example.cn",
    ]
    with sessions() as session:
        gave_up = session.execute(
            select(CaseNotification.email_attempts, CaseNotification.email_error).where(
                CaseNotification.emailed_at.is_(None), CaseNotification.email_attempts > 0
            )
        ).all()
    assert gave_up == [(8, "recipient refused: 550 5.1.1 <city@example.cn>: recipient unknown")] * 2


def test_old_notifications_are_not_emailed(sessions, tmp_path):
    run(sessions, beijing(2026, 4, 16))
    with smtp_server(tmp_path) as relay:
        late = send_pending_emails(
            sessions=sessions, settings=settings_of(relay.env), now=beijing(2026, 4, 20)
        )
    assert (late.sent, late.failed) == (0, 0)
    assert relay.inbox.received == []


def test_a_city_case_and_a_batch_step(sessions):
    """A case of the city 110100 itself: no county user's region contains it; its own level (city) is
    told of a warning. A batch's own step ("red") is told to every level."""
    from ecowatch.cases.ladders import parse_ladder, set_batch_ladder

    with sessions.begin() as session:
        add_cases(
            session=session,
            batch="市级",
            kind="typical",
            cases=[
                CaseInput(
                    code="SJ-9",
                    title="扬尘",
                    region="110100",
                    lead_unit="北京市住建委",
                    deadline=dt.date(2026, 4, 18),
                )
            ],
            actor="test",
            now=beijing(2026, 3, 1, 9),
        )
        set_batch_ladder(
            session=session,
            batch="市级",
            ladder=parse_ladder("warning=-3,red=1"),
            actor="test",
            now=beijing(2026, 3, 1, 9),
        )
    run(sessions, beijing(2026, 4, 16))  # SJ-9 two days ahead of its deadline; ZY-2026-017 16 days late
    with sessions() as session:
        rows = session.execute(
            select(CaseNotification.step, User.username)
            .join(User, User.id == CaseNotification.user_id)
            .where(CaseNotification.step.in_(["warning", "red"]))
        ).all()
    assert sorted(rows) == [("warning", "beijing-city")]
    run(sessions, beijing(2026, 4, 19))  # SJ-9 1 day late: red, to the city and the province
    assert [(step, user) for step, user, _ in told(sessions) if step == "red"] == [
        ("red", "beijing-city"),
        ("red", "beijing-province"),
    ]
