"""Every move by every role from every state, against issue 16's table written out again here."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from issue16_table import ACTIONS, ACTORS, CASE_REGION, STATES, contains, expected

from ecowatch.cases.errors import CaseError, IllegalMove
from ecowatch.cases.workflow import Action, Actor, CaseRef, CaseState, Evidence, decide_move

NOW = dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PHOTO = Evidence("photo.jpg", "a" * 64)


@pytest.mark.parametrize(("action", "state", "who"), list(itertools.product(ACTIONS, STATES, ACTORS)))
def test_every_move_by_every_role(action: str, state: str, who: str) -> None:
    case = CaseRef(code="ZY-2026-001", state=CaseState(state), region=CASE_REGION)
    to, rule = expected(action, state, who)
    if to is None:
        with pytest.raises(IllegalMove) as refused:
            decide_move(case, action, ACTORS[who], NOW, "reason given", [PHOTO], contains=contains)
        assert refused.value.rule == rule
        assert "case ZY-2026-001" in str(refused.value)
        return
    move = decide_move(case, action, ACTORS[who], NOW, "reason given", [PHOTO], contains=contains)
    assert (move.from_state, move.to_state, move.action) == (state, to, action)
    assert (move.username, move.role, move.at) == (ACTORS[who].username, ACTORS[who].role, NOW)


def test_the_table_has_eight_legal_pairs_and_forty_two_illegal() -> None:
    # 6 states x 7 actions = 42 pairs; issue 16 makes 8 of them moves (return from two states).
    legal = [(a, s) for a in ACTIONS for s in STATES if expected(a, s, "admin")[0] is not None]
    assert len(legal) == 8


@pytest.mark.parametrize(
    ("action", "state"), [("return", "submitted"), ("return", "pre_examined"), ("reopen", "closed")]
)
@pytest.mark.parametrize("reason", [None, "", "   \n"])
@pytest.mark.parametrize("who", ["admin", "province-in"])
def test_return_and_reopen_need_a_reason(action: str, state: str, reason: str | None, who: str) -> None:
    case = CaseRef(code="ZY-2026-002", state=CaseState(state), region=CASE_REGION)
    with pytest.raises(
        IllegalMove, match=f"case ZY-2026-002: {action} by {ACTORS[who].username} needs a reason"
    ) as refused:
        decide_move(case, action, ACTORS[who], NOW, reason, [PHOTO], contains=contains)
    assert refused.value.rule == "reason"


@pytest.mark.parametrize("who", ["admin", "province-in", "city-in", "county-in"])
def test_submit_needs_evidence(who: str) -> None:
    case = CaseRef(code="ZY-2026-003", state=CaseState.rectifying, region=CASE_REGION)
    with pytest.raises(IllegalMove, match="submit by .* needs at least one evidence file") as refused:
        decide_move(case, Action.submit, ACTORS[who], NOW, contains=contains)
    assert refused.value.rule == "evidence"


def test_a_move_records_who_when_reason_and_evidence() -> None:
    case = CaseRef(code="ZY-2026-004", state=CaseState.rectifying, region=CASE_REGION)
    report = Evidence.of("整改报告.pdf", b"%PDF-1.7 report")
    move = decide_move(
        case, "submit", ACTORS["county-in"], NOW, "  done on site  ", [PHOTO, report], contains=contains
    )
    assert move.entry() == {
        "case": "ZY-2026-004",
        "action": "submit",
        "from": "rectifying",
        "to": "submitted",
        "user": "chaoyang",
        "role": "county",
        "at": NOW,
        "reason": "done on site",
        "evidence": [
            {"name": "photo.jpg", "sha256": "a" * 64},
            {"name": "整改报告.pdf", "sha256": report.sha256},
        ],
    }


def test_evidence_sha256_of_known_content() -> None:
    # FIPS 180-2 Appendix B.1: SHA-256("abc").
    assert (
        Evidence.of("x.txt", b"abc").sha256
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_blank_reason_is_recorded_as_none_when_optional() -> None:
    case = CaseRef(code="ZY-2026-005", state=CaseState.registered, region=CASE_REGION)
    assert decide_move(case, "assign", ACTORS["city-in"], NOW, "  ", contains=contains).reason is None


def test_enterprise_users_make_no_moves_message() -> None:
    case = CaseRef(code="ZY-2026-006", state=CaseState.assigned, region=CASE_REGION)
    with pytest.raises(IllegalMove, match="thermal is an enterprise user; enterprise users make no moves"):
        decide_move(case, "start", ACTORS["enterprise"], NOW, contains=contains)


def test_city_may_not_return_a_pre_examined_case_message() -> None:
    case = CaseRef(code="ZY-2026-007", state=CaseState.pre_examined, region=CASE_REGION)
    with pytest.raises(
        IllegalMove, match="a city user may return a case only from submitted, the case is pre_examined"
    ):
        decide_move(case, "return", ACTORS["city-in"], NOW, "blurred", contains=contains)


def test_scope_message_names_both_regions() -> None:
    case = CaseRef(code="ZY-2026-008", state=CaseState.pre_examined, region=CASE_REGION)
    with pytest.raises(IllegalMove, match="region 110105 is outside tj-province's region 120000"):
        decide_move(case, "close", ACTORS["province-out"], NOW, contains=contains)


@pytest.mark.parametrize(
    ("actor", "rule", "message"),
    [
        (Actor("x", "inspector", "110000"), "actor", "x has role 'inspector', not one of admin, city"),
        (Actor("y", "city", None), "actor", "y \\(city\\) has no region"),
        (Actor("z", "county", ""), "actor", "z \\(county\\) has no region"),
    ],
)
def test_bad_actors_are_refused(actor: Actor, rule: str, message: str) -> None:
    case = CaseRef(code="ZY-2026-009", state=CaseState.assigned, region=CASE_REGION)
    with pytest.raises(IllegalMove, match=message) as refused:
        decide_move(case, "start", actor, NOW, contains=contains)
    assert refused.value.rule == rule


def test_a_time_without_offset_is_refused() -> None:
    case = CaseRef(code="ZY-2026-010", state=CaseState.assigned, region=CASE_REGION)
    with pytest.raises(IllegalMove, match="2026-05-04T09:30:00 has no UTC offset") as refused:
        decide_move(case, "start", ACTORS["admin"], NOW.replace(tzinfo=None), contains=contains)
    assert refused.value.rule == "time"


def test_unknown_action_and_unknown_state() -> None:
    case = CaseRef(code="ZY-2026-011", state=CaseState.assigned, region=CASE_REGION)
    with pytest.raises(IllegalMove, match="'archive' is not an action \\(one of assign, start, submit"):
        decide_move(case, "archive", ACTORS["admin"], NOW, contains=contains)
    odd = CaseRef(code="ZY-2026-012", state="lost", region=CASE_REGION)  # type: ignore[arg-type]
    with pytest.raises(CaseError, match="case ZY-2026-012: stored state 'lost' is not a case state"):
        decide_move(odd, "start", ACTORS["admin"], NOW, contains=contains)


def test_store_role_enum_is_accepted() -> None:
    from ecowatch.store.models import Role

    case = CaseRef(code="ZY-2026-013", state=CaseState.assigned, region=CASE_REGION)
    move = decide_move(case, "start", Actor("bj-city", Role.city, "110100"), NOW, contains=contains)
    assert move.role == "city"
    assert {str(r) for r in Role} == {"admin", "province", "city", "county", "enterprise"}
