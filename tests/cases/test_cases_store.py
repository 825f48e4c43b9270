"""Moves through the store (:func:`ecowatch.cases.service.move_case`): every action from every state by
every actor of issue 16's table, with the expected outcome from ``issue16_table.expected`` (written
from the issue, not the code); the history chained, evidence kept, refusals writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from cases_store import TO_CLOSED, add, bj, case, moves, sessions, store_url  # noqa: F401  (fixtures)
from issue16_table import ACTIONS, ACTORS, STATES, expected
from sqlalchemy import func, select

from ecowatch.cases.audit import GENESIS, entry_hash
from ecowatch.cases.errors import CaseInputError, IllegalMove, UnknownCase
from ecowatch.cases.models import Case, CaseEvidence, CaseFile, CaseHistory
from ecowatch.cases.service import (
    evidence_file,
    link_duplicate,
    move_case,
    record_visit,
    set_outcome,
    show_case,
)

NOW = bj(2026, 4, 2, 10, 30)
# SHA-256 of b"abc" (FIPS 180-2, Appendix B.1) and of b"" (the empty message).
SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SHA_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _put_in_state(sessions, code: str, state: str) -> None:  # noqa: F811
    with sessions.begin() as session:
        session.scalars(select(Case).where(Case.code == code)).one().state = state


def test_every_move_for_every_role(sessions):  # noqa: F811
    combos = [(a, s, w) for a in ACTIONS for s in STATES for w in ACTORS]
    add(sessions, *(case(f"M-{n}") for n in range(len(combos))))
    wrong: list[str] = []
    for n, (action, state, who) in enumerate(combos):
        code = f"M-{n}"
        _put_in_state(sessions, code, state)
        to, rule = expected(action, state, who)
        try:
            with sessions.begin() as session:
                entry = move_case(
                    session=session,
                    code=code,
                    action=action,
                    username=ACTORS[who].username,
                    now=NOW,
                    reason="现场核查发现问题",
                    evidence=[("photo.jpg", b"abc")],
                )
            got = (entry.to, None)
        except IllegalMove as error:
            got = (None, error.rule)
        with sessions() as session:
            row = session.scalars(select(Case).where(Case.code == code)).one()
            stored = (row.state, row.history_count)
        if got != (to, rule):
            wrong.append(f"{action} from {state} by {who}: got {got}, expected {(to, rule)}")
        elif to is not None and stored != (to, 1):
            wrong.append(f"{action} from {state} by {who}: stored {stored}")
        elif to is None and stored != (state, 0):
            wrong.append(f"{action} from {state} by {who}: refused but stored {stored}")
    assert wrong == []


def test_a_case_closed_by_county_city_and_province_keeps_a_chained_history(sessions):  # noqa: F811
    add(sessions, case("ZY-1"))
    steps = [
        ("assign", "bj-city", None, []),
        ("start", "chaoyang", None, []),
        ("submit", "chaoyang", None, [("现场照片.jpg", b"abc"), ("dir/empty.txt", b"")]),
        ("return", "bj-city", "  照片不清晰  ", []),
        ("submit", "chaoyang", None, [("again.jpg", b"abc")]),
        ("preexamine", "bj-city", None, []),
        ("close", "bj-province", None, []),
    ]
    for minute, (action, user, reason, files) in enumerate(steps):
        with sessions.begin() as session:
            move_case(
                session=session,
                code="ZY-1",
                action=action,
                username=user,
                now=bj(2026, 4, 2, 10, minute),
                reason=reason,
                evidence=files,
            )
    with sessions() as session:
        detail = show_case(session=session, code="ZY-1")
        assert detail.state == "closed"
        assert [(h.seq, h.action, h.from_, h.to, h.user) for h in detail.history] == [
            (1, "assign", "registered", "assigned", "bj-city"),
            (2, "start", "assigned", "rectifying", "chaoyang"),
            (3, "submit", "rectifying", "submitted", "chaoyang"),
            (4, "return", "submitted", "rectifying", "bj-city"),
            (5, "submit", "rectifying", "submitted", "chaoyang"),
            (6, "preexamine", "submitted", "pre_examined", "bj-city"),
            (7, "close", "pre_examined", "closed", "bj-province"),
        ]
        assert detail.history[3].reason == "照片不清晰"
        assert detail.history[1].at.isoformat() == "2026-04-02T10:01:00+08:00"
        assert [(e.name, e.sha256) for e in detail.history[2].evidence] == [
            ("现场照片.jpg", SHA_ABC),
            ("empty.txt", SHA_EMPTY),
        ]
        # Each content kept once, whatever the number of moves that sent it.
        files = {f.sha256: (f.size, f.content) for f in session.scalars(select(CaseFile))}
        assert files == {SHA_ABC: (3, b"abc"), SHA_EMPTY: (0, b"")}
        assert session.scalar(select(func.count()).select_from(CaseEvidence)) == 3
        # The chain, recomputed here from the stored rows by the rule of decision C-chain.
        rows = session.scalars(select(CaseHistory).order_by(CaseHistory.seq)).all()
        first = rows[0]
        assert first.previous_hash == GENESIS
        assert first.hash == entry_hash(
            {
                "case": "ZY-1",
                "action": "assign",
                "from": "registered",
                "to": "assigned",
                "user": "bj-city",
                "role": "city",
                "at": dt.datetime(2026, 4, 2, 2, 0, tzinfo=dt.UTC),
                "reason": None,
                "evidence": [],
            },
            GENESIS,
        )
        assert [r.previous_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
        stored = session.scalars(select(Case)).one()
        assert (stored.history_count, stored.history_head) == (7, rows[-1].hash)


def test_refusals_name_the_rule_and_write_nothing(sessions):  # noqa: F811
    add(sessions, case("ZY-2"))
    _put_in_state(sessions, "ZY-2", "rectifying")
    attempts = [
        (dict(action="submit", username="chaoyang"), "evidence"),
        (dict(action="submit", username="haidian", evidence=[("a.jpg", b"abc")]), "scope"),
        (dict(action="close", username="chaoyang"), "transition"),
        (dict(action="submit", username="thermal", evidence=[("a.jpg", b"abc")]), "role"),
    ]
    for kwargs, rule in attempts:
        with pytest.raises(IllegalMove) as raised, sessions.begin() as session:
            move_case(session=session, code="ZY-2", now=NOW, **kwargs)
        assert raised.value.rule == rule
    with pytest.raises(UnknownCase, match="no active user"), sessions.begin() as session:
        move_case(session=session, code="ZY-2", action="submit", username="nobody", now=NOW)
    with pytest.raises(UnknownCase, match="no such case"), sessions.begin() as session:
        move_case(session=session, code="ZY-404", action="start", username="root", now=NOW)
    with pytest.raises(CaseInputError, match="no UTC offset"), sessions.begin() as session:
        move_case(session=session, code="ZY-2", action="start", username="root", now=dt.datetime(2026, 4, 2))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseHistory)) == 0
        assert session.scalar(select(func.count()).select_from(CaseFile)) == 0
        assert session.scalars(select(Case.state)).one() == "rectifying"


def test_a_disabled_user_makes_no_move(sessions):  # noqa: F811
    from ecowatch.store.users import get_user

    add(sessions, case("ZY-3"))
    with sessions.begin() as session:
        get_user(session=session, username="bj-city").active = False
    with pytest.raises(UnknownCase, match="bj-city"), sessions.begin() as session:
        move_case(session=session, code="ZY-3", action="assign", username="bj-city", now=NOW)


def test_a_petition_is_accepted_on_assign_and_answered_on_close(sessions):  # noqa: F811
    add(sessions, case("X3BJ202603010001"), kind="petition", now=bj(2026, 3, 1, 9))
    for action, user in [
        ("assign", "bj-city"),
        ("start", "chaoyang"),
        ("submit", "chaoyang"),
        ("preexamine", "bj-city"),
        ("close", "bj-province"),
    ]:
        with sessions.begin() as session:
            move_case(
                session=session,
                code="X3BJ202603010001",
                action=action,
                username=user,
                now=bj(2026, 3, 5, 16),
                evidence=[("回复.pdf", b"%PDF")],
            )
    with sessions() as session:
        row = session.scalars(select(Case)).one()
        # 《信访工作条例》: acceptance decided within 15 days of receipt (03-01 + 15 = 03-16), handled
        # within 60 days of acceptance (03-05 + 60 = 05-04).
        assert row.accept_by == dt.date(2026, 3, 16)
        assert row.handle_by == dt.date(2026, 5, 4)
        assert row.outcome == "closed"
        assert row.answered_at is not None


def test_follow_up_visit_then_reopen_a_petition(sessions):  # noqa: F811
    add(sessions, case("X-1"), case("R-9"), kind="petition")
    add(sessions, case("R-10"), batch="B2")
    moves(sessions, "X-1", TO_CLOSED)
    visit = "case R-9: a follow-up visit is of a closed case, it is registered"
    with pytest.raises(CaseInputError, match=visit), sessions.begin() as session:
        record_visit(session=session, code="R-9", username="chaoyang", finding="x", satisfied=True, now=NOW)
    with pytest.raises(CaseInputError, match="R-10 is rectification, not a petition"), sessions.begin() as s:
        record_visit(session=s, code="R-10", username="chaoyang", finding="x", satisfied=True, now=NOW)
    with pytest.raises(IllegalMove) as raised, sessions.begin() as session:
        record_visit(session=session, code="X-1", username="haidian", finding="x", satisfied=True, now=NOW)
    assert raised.value.rule == "scope"
    with sessions.begin() as session:
        record_visit(
            session=session, code="X-1", username="chaoyang", finding=" 仍有异味 ", satisfied=False, now=NOW
        )
        move_case(
            session=session,
            code="X-1",
            action="reopen",
            username="bj-province",
            now=NOW,
            reason="回访：仍有异味",
        )
    with sessions() as session:
        row = session.scalars(select(Case).where(Case.code == "X-1")).one()
        assert [(v.username, v.finding, v.satisfied) for v in row.visits] == [("chaoyang", "仍有异味", False)]
        assert (row.state, row.outcome) == ("rectifying", None)


def test_duplicate_petitions_link_to_the_first(sessions):  # noqa: F811
    add(sessions, case("P-1"), case("P-2"), case("P-3"), case("P-4", "120101"), kind="petition")
    with sessions.begin() as session:
        link_duplicate(session=session, code="P-3", of="P-2", username="bj-city", now=NOW)
        link_duplicate(session=session, code="P-2", of="P-1", username="bj-city", now=NOW)
    with sessions() as session:
        firsts = {
            c.code: c.duplicate_of.code if c.duplicate_of else None for c in session.scalars(select(Case))
        }
        assert firsts == {"P-1": None, "P-2": "P-1", "P-3": "P-1", "P-4": None}
    with pytest.raises(CaseInputError, match="cannot be a duplicate of itself"), sessions.begin() as session:
        link_duplicate(session=session, code="P-1", of="P-3", username="bj-city", now=NOW)
    with pytest.raises(IllegalMove) as raised, sessions.begin() as session:
        link_duplicate(session=session, code="P-4", of="P-1", username="bj-city", now=NOW)
    assert raised.value.rule == "scope"


def test_a_petition_stage_closed(sessions):  # noqa: F811
    add(sessions, case("S-1"), kind="petition")
    moves(sessions, "S-1", TO_CLOSED[:4])
    with pytest.raises(IllegalMove, match="set by province users"), sessions.begin() as session:
        set_outcome(session=session, code="S-1", outcome="stage_closed", username="bj-city", now=NOW)
    with pytest.raises(CaseInputError, match="outcome 'done'"), sessions.begin() as session:
        set_outcome(session=session, code="S-1", outcome="done", username="bj-province", now=NOW)
    with sessions.begin() as session:
        set_outcome(session=session, code="S-1", outcome="stage_closed", username="bj-province", now=NOW)
    moves(sessions, "S-1", TO_CLOSED[4:])
    with sessions() as session:
        assert session.scalars(select(Case.outcome)).one() == "stage_closed"  # close keeps it


def test_evidence_file_is_read_back(sessions):  # noqa: F811
    add(sessions, case("E-1"))
    moves(sessions, "E-1", TO_CLOSED[:2])
    with sessions.begin() as session:
        move_case(
            session=session, code="E-1", action="submit", username="chaoyang", now=NOW,
            evidence=[("验收报告.pdf", b"abc")],
        )  # fmt: skip
    with sessions() as session:
        assert evidence_file(session=session, code="E-1", sha256=SHA_ABC) == ("验收报告.pdf", b"abc")
        with pytest.raises(UnknownCase, match="no evidence file"):
            evidence_file(session=session, code="E-1", sha256=SHA_EMPTY)
