"""The cases service on the store: escalation over simulated months, lists, scope, statistics, the
audit check. Expected values are worked out by hand from issue 16's rules (in the comments)."""

from __future__ import annotations

import datetime as dt

import pytest
from cases_store import TO_CLOSED, add, bj, case, moves, sessions, store_url  # noqa: F401  (fixtures)
from sqlalchemy import select, text

from ecowatch.cases.errors import CaseInputError, CaseOutOfScope, UnknownCase
from ecowatch.cases.models import Case, CaseBatch, CaseEscalation
from ecowatch.cases.service import (
    STEP_HOOKS,
    NodeInput,
    batch_stats,
    complete_node,
    escalate,
    get_case,
    itemised,
    list_cases,
    monthly_trend,
    show_case,
    verify_audit,
)
from ecowatch.store.users import get_user, scope_of


def run(sessions, when: dt.datetime, **kwargs) -> list[tuple]:  # noqa: F811
    with sessions.begin() as session:
        steps = escalate(session=session, now=when, **kwargs)
    return [(s.case, s.node, s.step, s.days_overdue) for s in steps]


def test_escalation_over_months_follows_the_earliest_open_node(sessions):  # noqa: F811
    nodes = (NodeInput(dt.date(2026, 3, 31), "提交整改方案"), NodeInput(dt.date(2026, 5, 31), "完成管网"))
    add(sessions, case("ZY-1", deadline=dt.date(2026, 6, 30), nodes=nodes))
    # Warning 0-3 days before node 1's 03-31: 03-27 is 4 days before.
    assert run(sessions, bj(2026, 3, 27, 9)) == []
    assert run(sessions, bj(2026, 3, 28, 9)) == [("ZY-1", 1, "warning", 0)]
    assert run(sessions, bj(2026, 3, 31, 23, 59)) == []  # still the due date: warning recorded already
    # 04-01 00:30 Beijing is 03-31 16:30 UTC: 1 day overdue on Beijing dates.
    assert run(sessions, dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC)) == [("ZY-1", 1, "notice", 1)]
    assert run(sessions, bj(2026, 4, 14, 9)) == []  # 14 days
    assert run(sessions, bj(2026, 4, 15, 9)) == [("ZY-1", 1, "interview", 15)]
    with sessions.begin() as session:
        complete_node(session=session, code="ZY-1", seq=1, username="chaoyang", now=bj(2026, 4, 20, 9))
    # Node 2 (05-31) now counts, with a ladder of its own.
    assert run(sessions, bj(2026, 5, 27, 9)) == []
    assert run(sessions, bj(2026, 5, 28, 9)) == [("ZY-1", 2, "warning", 0)]
    assert run(sessions, bj(2026, 6, 1, 9)) == [("ZY-1", 2, "notice", 1)]
    with sessions() as session:
        detail = show_case(session=session, code="ZY-1")
        assert [(e.step, e.node, e.at.date()) for e in detail.escalations] == [
            ("warning", 1, dt.date(2026, 3, 28)),
            ("notice", 1, dt.date(2026, 4, 1)),
            ("interview", 1, dt.date(2026, 4, 15)),
            ("warning", 2, dt.date(2026, 5, 28)),
            ("notice", 2, dt.date(2026, 6, 1)),
        ]
        # The highest step recorded is interview (rank 3), whatever node it was on.
        items = list_cases(session=session, now=bj(2026, 6, 1, 9)).items
        assert [(i.code, i.days_overdue, i.escalation) for i in items] == [("ZY-1", 1, "interview")]


def test_a_scheduler_outage_records_each_step_reached_in_ladder_order(sessions):  # noqa: F811
    add(sessions, case("ZY-2", deadline=dt.date(2026, 3, 10)))
    # 05-01 is 52 days after 03-10: notice (1), interview (15), listed (30); no warning after the due date.
    assert run(sessions, bj(2026, 5, 1, 9), dry_run=True) == [
        ("ZY-2", None, "notice", 52),
        ("ZY-2", None, "interview", 52),
        ("ZY-2", None, "listed", 52),
    ]
    with sessions() as session:
        assert session.scalars(select(CaseEscalation)).all() == []
    assert run(sessions, bj(2026, 5, 1, 9)) == [
        ("ZY-2", None, "notice", 52),
        ("ZY-2", None, "interview", 52),
        ("ZY-2", None, "listed", 52),
    ]
    assert run(sessions, bj(2026, 5, 1, 9)) == []  # a second run at the same time records nothing
    assert run(sessions, bj(2026, 5, 8, 9)) == []  # 59 days
    assert run(sessions, bj(2026, 5, 9, 9)) == [("ZY-2", None, "accountability", 60)]


def test_cases_no_longer_worked_on_do_not_escalate(sessions):  # noqa: F811
    add(sessions, case("ZY-3", deadline=dt.date(2026, 3, 10)))
    moves(sessions, "ZY-3", TO_CLOSED[:3], now=bj(2026, 3, 2, 9))
    assert run(sessions, bj(2026, 4, 1, 9)) == []
    with sessions() as session:
        assert list_cases(session=session, now=bj(2026, 4, 1, 9), overdue=True).items == []


def test_hooks_see_the_steps_recorded_in_the_transaction(sessions):  # noqa: F811
    add(sessions, case("ZY-4", deadline=dt.date(2026, 3, 10)))
    seen: list[tuple] = []

    def hook(session, steps, now):
        rows = session.scalars(select(CaseEscalation).order_by(CaseEscalation.id)).all()
        seen.append(([s.step for s in steps], [r.id for r in rows] == [s.escalation_id for s in steps], now))

    STEP_HOOKS.append(hook)
    try:
        run(sessions, bj(2026, 3, 26, 9))  # 16 days: notice, interview
        run(sessions, bj(2026, 3, 26, 9))  # nothing: no call
        run(sessions, bj(2026, 4, 30, 9), dry_run=True)  # dry run: no call
    finally:
        STEP_HOOKS.remove(hook)
    assert seen == [(["notice", "interview"], True, bj(2026, 3, 26, 9))]


def test_a_batch_ladder_of_its_own(sessions):  # noqa: F811
    add(sessions, case("HY-1", deadline=dt.date(2026, 3, 10)), batch="红黄牌")
    with sessions.begin() as session:
        session.get(CaseBatch, "红黄牌").ladder = [
            {"step": "yellow", "from_days": 1, "text": "黄牌 {case}"},
            {"step": "red", "from_days": 10, "text": "红牌 {case}"},
        ]
    assert run(sessions, bj(2026, 3, 15, 9)) == [("HY-1", None, "yellow", 5)]
    assert run(sessions, bj(2026, 3, 20, 9)) == [("HY-1", None, "red", 10)]
    with sessions() as session:
        stats = batch_stats(session=session, batch="红黄牌", now=bj(2026, 3, 20, 9))
        assert stats.by_escalation == {"yellow": 0, "red": 1}


def test_lists_filter_by_batch_region_state_kind_and_scope(sessions):  # noqa: F811
    add(sessions, case("A-1", "110105"), case("A-2", "110108"), case("A-3", "120101"), batch="A")
    add(sessions, case("P-1", "110105"), batch="P", kind="petition")
    now = bj(2026, 3, 2, 9)
    with sessions() as session:

        def codes(**kwargs) -> list[str]:
            return [i.code for i in list_cases(session=session, now=now, **kwargs).items]

        assert codes() == ["A-1", "A-2", "A-3", "P-1"]
        assert codes(batch="A") == ["A-1", "A-2", "A-3"]
        assert codes(region="110100") == ["A-1", "A-2", "P-1"]  # Beijing's city level and below
        assert codes(region="120000") == ["A-3"]
        assert codes(kind="petition") == ["P-1"]
        assert codes(state="assigned") == []
        page = list_cases(session=session, now=now, limit=2, offset=1)
        assert (page.total, [i.code for i in page.items]) == (4, ["A-2", "A-3"])

        def scope(username: str):
            return scope_of(session=session, user=get_user(session=session, username=username))

        assert codes(scope=scope("chaoyang")) == ["A-1", "P-1"]
        assert codes(scope=scope("tj-city")) == ["A-3"]
        assert codes(scope=scope("thermal")) == []  # enterprise users see no cases
        assert codes(scope=scope("root")) == ["A-1", "A-2", "A-3", "P-1"]
        with pytest.raises(CaseOutOfScope):
            get_case(session=session, code="A-3", scope=scope("chaoyang"))
        with pytest.raises(CaseInputError, match="state 'done'"):
            codes(state="done")
        with pytest.raises(CaseInputError, match="kind 'x'"):
            codes(kind="x")
        with pytest.raises(UnknownCase, match="region '999999'"):
            codes(region="999999")


def test_batch_statistics_by_hand(sessions):  # noqa: F811
    # Six cases of batch S on 2026-04-01: S-1 closed; S-2 and S-3 overdue (deadline 03-10, 03-31);
    # S-4 due today (on schedule); S-5 submitted past its deadline (no longer escalates: on schedule);
    # S-6 registered, due later. total 6 = closed 1 + on schedule 3 + overdue 2; rate 1/6 = 16.67 -> 16.7.
    add(
        sessions,
        case("S-1", deadline=dt.date(2026, 3, 10)),
        case("S-2", deadline=dt.date(2026, 3, 10)),
        case("S-3", "110108", deadline=dt.date(2026, 3, 31)),
        case("S-4", deadline=dt.date(2026, 4, 1)),
        case("S-5", deadline=dt.date(2026, 3, 20)),
        case("S-6", deadline=dt.date(2026, 9, 1)),
        batch="S",
    )
    moves(sessions, "S-1", TO_CLOSED)
    moves(sessions, "S-5", TO_CLOSED[:3])
    run(sessions, bj(2026, 4, 1, 9))  # S-2: 22 days -> notice, interview; S-3: 1 day -> notice
    with sessions() as session:
        stats = batch_stats(session=session, batch="S", now=bj(2026, 4, 1, 9))
        assert stats.model_dump() == {
            "total": 6,
            "closed": 1,
            "on_schedule": 3,
            "overdue": 2,
            "closing_rate_pct": 16.7,
            "by_state": {
                "registered": 4,
                "assigned": 0,
                "rectifying": 0,
                "submitted": 1,
                "pre_examined": 0,
                "closed": 1,
            },
            # S-4 got its warning on its due date; highest steps: S-2 interview, S-3 notice, S-4 warning.
            "by_escalation": {"warning": 1, "notice": 1, "interview": 1, "listed": 0, "accountability": 0},
        }
        overdue = list_cases(session=session, now=bj(2026, 4, 1, 9), overdue=True).items
        assert [(i.code, i.days_overdue) for i in overdue] == [("S-2", 22), ("S-3", 1)]
        by_region = itemised(session=session, batch="S", by="region", now=bj(2026, 4, 1, 9))
        assert [(r.group, r.name, r.total, r.closed, r.overdue, r.closing_rate_pct) for r in by_region] == [
            ("110105", "朝阳区", 5, 1, 1, 20.0),
            ("110108", "海淀区", 1, 0, 1, 0.0),
        ]
        assert [
            (m.month, m.opened, m.closed, m.reopened) for m in monthly_trend(session=session, batch="S")
        ] == [("2026-03", 6, 1, 0)]
        with pytest.raises(UnknownCase, match="batch 'none'"):
            batch_stats(session=session, batch="none", now=bj(2026, 4, 1, 9))


def test_closing_rate_rounds_half_up_to_one_decimal(sessions):  # noqa: F811
    # 2 of 3 closed: 66.666… -> 66.7; 1 of 8: 12.5 exactly.
    add(sessions, *(case(f"R-{n}") for n in range(3)), batch="R3")
    add(sessions, *(case(f"Q-{n}") for n in range(8)), batch="Q8")
    for code in ("R-0", "R-1", "Q-0"):
        moves(sessions, code, TO_CLOSED)
    with sessions() as session:
        assert batch_stats(session=session, batch="R3", now=bj(2026, 3, 6, 9)).closing_rate_pct == 66.7
        assert batch_stats(session=session, batch="Q8", now=bj(2026, 3, 6, 9)).closing_rate_pct == 12.5


def test_audit_verify_names_an_edited_entry_and_a_cut_tail(sessions):  # noqa: F811
    add(sessions, case("T-1"), case("T-2"))
    for code in ("T-1", "T-2"):
        moves(sessions, code, TO_CLOSED[:3])
    with sessions() as session:
        result = verify_audit(session=session)
        assert (result.ok, result.entries, result.cases) == (True, 6, 2)
    with sessions.begin() as session:
        t1 = session.scalars(select(Case.id).where(Case.code == "T-1")).one()
        session.execute(
            text("UPDATE case_history SET username = 'someone' WHERE case_id = :c AND seq = 2"), {"c": t1}
        )
    with sessions() as session:
        result = verify_audit(session=session)
        assert not result.ok
        assert len(result.broken) == 1
        assert result.broken[0].startswith("case T-1: entry 2 no longer matches its stored hash")
    with sessions.begin() as session:
        session.execute(
            text("UPDATE case_history SET username = 'chaoyang' WHERE case_id = :c AND seq = 2"), {"c": t1}
        )
        t2 = session.scalars(select(Case.id).where(Case.code == "T-2")).one()
        session.execute(
            text(
                "DELETE FROM case_evidence WHERE history_id IN "
                "(SELECT id FROM case_history WHERE case_id = :c AND seq = 3)"
            ),
            {"c": t2},
        )
        session.execute(text("DELETE FROM case_history WHERE case_id = :c AND seq = 3"), {"c": t2})
    with sessions() as session:
        result = verify_audit(session=session)
        assert result.broken == [result.broken[0]] and result.broken[0].startswith(
            "case T-2: entry 3 does not match the case's anchor (2 entries stored, 3"
        )
