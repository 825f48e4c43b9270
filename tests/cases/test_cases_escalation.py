"""Escalation over simulated months with a controllable now (issue 16, "Node control and escalation").

Every expected date below is counted by hand from the issue's ladder: warning 0–3 days before due,
notice from 1 day overdue, interview from 15, listed from 30, accountability from 60.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ecowatch.cases.errors import CaseError, LadderError
from ecowatch.cases.escalation import DEFAULT_LADDER, CaseSchedule, Ladder, Node, Rung, due_steps

UTC = dt.UTC
BJ = dt.timezone(dt.timedelta(hours=8))


def at_beijing(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BJ)


def simulate(case: CaseSchedule, first: dt.date, last: dt.date, *, changes=None, hours=(9,), ladder=None):
    """Run the escalation every day (at the given Beijing hours) from ``first`` to ``last``, recording
    what each run returns; ``changes`` maps a date to the case as it is from that day on."""
    recorded: set[tuple[int | None, str]] = set()
    log: list[tuple[dt.date, int | None, str, int]] = []
    day = first
    while day <= last:
        if changes and day in changes:
            case = changes[day]
        for hour in hours:
            kwargs = {} if ladder is None else {"ladder": ladder}
            steps = due_steps(case, frozenset(recorded), at_beijing(day, hour), **kwargs)
            for step in steps:
                assert (step.node, step.step) not in recorded
                recorded.add((step.node, step.step))
                log.append((day, step.node, step.step, step.days))
        day += dt.timedelta(days=1)
    return log


D = dt.date
CASE = CaseSchedule(
    code="ZY-2026-017",
    state="rectifying",
    deadline=D(2026, 6, 30),
    nodes=(Node(1, D(2026, 3, 31), task="方案"), Node(2, D(2026, 6, 30), task="完成整改")),
)


def test_a_year_of_daily_runs_twice_a_day() -> None:
    node1_done = dataclasses.replace(
        CASE, nodes=(dataclasses.replace(CASE.nodes[0], done=True), CASE.nodes[1])
    )
    submitted = dataclasses.replace(node1_done, state="submitted")
    log = simulate(
        CASE,
        D(2026, 1, 1),
        D(2026, 12, 31),
        hours=(0, 9, 23),
        changes={D(2026, 5, 20): node1_done, D(2026, 9, 10): submitted},
    )
    assert log == [
        (D(2026, 3, 28), 1, "warning", -3),
        (D(2026, 4, 1), 1, "notice", 1),
        (D(2026, 4, 15), 1, "interview", 15),
        (D(2026, 4, 30), 1, "listed", 30),
        # node 1 done on 2026-05-20, before its accountability day (2026-05-30): node 2 counts from then
        (D(2026, 6, 27), 2, "warning", -3),
        (D(2026, 7, 1), 2, "notice", 1),
        (D(2026, 7, 15), 2, "interview", 15),
        (D(2026, 7, 30), 2, "listed", 30),
        (D(2026, 8, 29), 2, "accountability", 60),
        # submitted on 2026-09-10: no more steps
    ]


def test_several_steps_in_one_run_in_ladder_order_and_no_warning_when_already_late() -> None:
    # The scheduler is down from 2026-03-20 to 2026-05-01 (31 days after node 1's due date).
    log = simulate(CASE, D(2026, 3, 1), D(2026, 3, 19)) + simulate(CASE, D(2026, 5, 1), D(2026, 5, 31))
    assert log == [
        (D(2026, 5, 1), 1, "notice", 31),
        (D(2026, 5, 1), 1, "interview", 31),
        (D(2026, 5, 1), 1, "listed", 31),
        (D(2026, 5, 30), 1, "accountability", 60),
    ]


def test_all_five_steps_at_once_far_overdue() -> None:
    steps = due_steps(CASE, set(), at_beijing(D(2026, 12, 1)))
    assert [(s.step, s.node, s.days, s.days_overdue) for s in steps] == [
        ("notice", 1, 245, 245),
        ("interview", 1, 245, 245),
        ("listed", 1, 245, 245),
        ("accountability", 1, 245, 245),
    ]


def test_a_second_run_at_the_same_time_records_nothing() -> None:
    now = at_beijing(D(2026, 4, 20))
    first = due_steps(CASE, set(), now)
    assert [s.step for s in first] == ["notice", "interview"]
    assert due_steps(CASE, {(s.node, s.step) for s in first}, now) == []


def test_recorded_per_node_not_per_case() -> None:
    # A notice on node 1 does not stand for a notice on the case deadline.
    all_done = dataclasses.replace(CASE, nodes=tuple(dataclasses.replace(n, done=True) for n in CASE.nodes))
    steps = due_steps(all_done, {(1, "notice"), (2, "notice")}, at_beijing(D(2026, 7, 2)))
    assert [(s.node, s.step, s.due, s.days) for s in steps] == [(None, "notice", D(2026, 6, 30), 2)]


def test_days_are_beijing_dates() -> None:
    # 2026-03-31T15:59Z is 23:59 on the due date in Beijing; 16:00Z is already 2026-04-01 there.
    before = due_steps(CASE, {(1, "warning")}, dt.datetime(2026, 3, 31, 15, 59, tzinfo=UTC))
    after = due_steps(CASE, {(1, "warning")}, dt.datetime(2026, 3, 31, 16, 0, tzinfo=UTC))
    assert before == []
    assert [(s.step, s.days) for s in after] == [("notice", 1)]


def test_warning_window_edges() -> None:
    assert due_steps(CASE, set(), at_beijing(D(2026, 3, 27))) == []  # 4 days before
    assert [s.step for s in due_steps(CASE, set(), at_beijing(D(2026, 3, 31)))] == ["warning"]  # due day


def test_earliest_open_node_ties_take_the_lower_number() -> None:
    case = CaseSchedule(
        "ZY-2026-018",
        "assigned",
        D(2026, 9, 1),
        (Node(3, D(2026, 5, 1)), Node(2, D(2026, 5, 1)), Node(1, D(2026, 6, 1))),
    )
    assert [(s.node, s.step) for s in due_steps(case, set(), at_beijing(D(2026, 5, 2)))] == [(2, "notice")]


@pytest.mark.parametrize("state", ["submitted", "pre_examined", "closed"])
def test_only_open_states_escalate(state: str) -> None:
    assert due_steps(dataclasses.replace(CASE, state=state), set(), at_beijing(D(2026, 12, 1))) == []


@pytest.mark.parametrize("state", ["registered", "assigned", "rectifying"])
def test_open_states_escalate(state: str) -> None:
    assert len(due_steps(dataclasses.replace(CASE, state=state), set(), at_beijing(D(2026, 4, 2)))) == 1


def test_a_batch_ladder() -> None:
    # A batch with Guangyuan-style cards: yellow from 1 day late, red from 10.
    cards = Ladder((Rung("yellow", 1), Rung("red", 10)))
    log = simulate(CASE, D(2026, 3, 1), D(2026, 4, 30), ladder=cards)
    assert log == [(D(2026, 4, 1), 1, "yellow", 1), (D(2026, 4, 10), 1, "red", 10)]


@pytest.mark.parametrize(
    ("rungs", "message"),
    [
        ((), "ladder: no steps"),
        ((Rung("a", 1), Rung("a", 2)), "ladder step 2 'a': the name is used twice"),
        ((Rung("a", 5, 2),), "ladder step 1 'a': ends on day 2, before it starts \\(day 5\\)"),
        (
            (Rung("a", 5), Rung("b", 3)),
            "ladder step 2 'b': starts on day 3, not after step 1 'a' \\(day 5\\)",
        ),
        ((Rung(" ", 5),), "ladder step 1: the name is empty"),
    ],
)
def test_bad_ladders(rungs: tuple[Rung, ...], message: str) -> None:
    with pytest.raises(LadderError, match=message):
        Ladder(rungs)


def test_naive_now_and_unknown_state() -> None:
    with pytest.raises(CaseError, match="escalation: now 2026-04-02T09:00:00 has no UTC offset"):
        due_steps(CASE, set(), dt.datetime(2026, 4, 2, 9))
    with pytest.raises(CaseError, match="case ZY-2026-017: stored state 'lost' is not a case state"):
        due_steps(dataclasses.replace(CASE, state="lost"), set(), at_beijing(D(2026, 4, 2)))


def test_default_notification_texts() -> None:
    warned = due_steps(CASE, set(), at_beijing(D(2026, 3, 29)))
    late = due_steps(CASE, {(1, "warning")}, at_beijing(D(2026, 4, 16)))
    assert [s.text for s in warned] == [
        "预警：ZY-2026-017 将于 2026-03-31 到期 / warning: ZY-2026-017 is due on 2026-03-31"
    ]
    assert [s.text for s in late] == [
        "通报：ZY-2026-017 已逾期 16 天 / notice: ZY-2026-017 is 16 days overdue",
        "约谈：ZY-2026-017 已逾期 16 天 / interview: ZY-2026-017, 16 days overdue",
    ]


def test_a_batch_text_with_node_and_days_overdue() -> None:
    ladder = Ladder(
        (Rung("early", -5, 0, "{case} node {node}: {days_overdue}/{days}"), Rung("late", 1, None, "{node}"))
    )
    all_done = dataclasses.replace(CASE, nodes=tuple(dataclasses.replace(n, done=True) for n in CASE.nodes))
    assert [s.text for s in due_steps(CASE, set(), at_beijing(D(2026, 3, 28)), ladder)] == [
        "ZY-2026-017 node 1: 0/-3"
    ]
    assert [s.text for s in due_steps(all_done, set(), at_beijing(D(2026, 7, 3)), ladder)] == [""]


def test_ladder_rows_round_trip() -> None:
    rows = DEFAULT_LADDER.rows()
    assert [(r["step"], r["from_days"], r["until_days"]) for r in rows] == [
        ("warning", -3, 0),
        ("notice", 1, None),
        ("interview", 15, None),
        ("listed", 30, None),
        ("accountability", 60, None),
    ]
    assert Ladder.from_rows(rows) == DEFAULT_LADDER


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"step": "a", "from_days": 1, "delay": 3}], "ladder step 1: unknown field delay"),
        ([{"from_days": 1}], "ladder step 1, field step: None is not a name"),
        (
            [{"step": "a", "from_days": True}],
            "ladder step 1, field from_days: True is not a whole number of days",
        ),
        (
            [{"step": "a", "from_days": 1}, {"step": "b", "from_days": 2, "until_days": "x"}],
            "ladder step 2, field until_days: 'x' is not a whole number of days",
        ),
        ([{"step": "a", "from_days": 1, "text": 5}], "ladder step 1, field text: 5 is not text"),
        (
            [{"step": "a", "from_days": 1, "text": "{who} is late"}],
            "ladder step 1 'a': text '{who} is late' cannot be filled \\(KeyError\\('who'\\)\\)",
        ),
    ],
)
def test_bad_ladder_rows(rows: list[dict], message: str) -> None:
    with pytest.raises(LadderError, match=message):
        Ladder.from_rows(rows)
