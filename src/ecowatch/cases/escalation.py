"""Node control: the escalation steps a late case has reached (pure; writes nothing).

The scheduler calls :func:`due_steps` for each open case with the steps already recorded for it and
the platform's "now"; it records what comes back, notifies, and the next run finds them recorded. A
batch may use its own :class:`Ladder` (its steps, their delays and their notification texts).

The default ladder [Issue16]_ is the practice of the sources: 预警 (early warning) before the due date,
then 通报 (notice, the weekly bulletin that names overdue units [Wuhu2019]_), 约谈 (interview of the
unit's head [Guangyuan2018]_ [Yueyang2018]_), 挂牌督办 (listed supervision) and 移交问责 (transfer for
accountability); ``shared/reference/cases.md`` notes that ecowatch should make the ladder, its delays
and its texts configurable per batch.

>>> import datetime as dt
>>> from ecowatch.clock import BEIJING
>>> case = CaseSchedule(code="ZY-1", state="rectifying", deadline=dt.date(2026, 6, 30),
...                     nodes=(Node(1, dt.date(2026, 3, 31)), Node(2, dt.date(2026, 6, 30))))
>>> [(s.step, s.node, s.days) for s in due_steps(case, set(), dt.datetime(2026, 4, 16, 9, tzinfo=BEIJING))]
[('notice', 1, 16), ('interview', 1, 16)]
>>> due_steps(case, {(1, "notice"), (1, "interview")}, dt.datetime(2026, 4, 17, 9, tzinfo=BEIJING))
[]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from ecowatch.cases.errors import CaseError, LadderError
from ecowatch.cases.workflow import CaseState, state_of
from ecowatch.clock import BEIJING

__all__ = [
    "DEFAULT_LADDER",
    "ESCALATING_STATES",
    "CaseSchedule",
    "Ladder",
    "Node",
    "NodeLike",
    "Rung",
    "ScheduledCase",
    "Step",
    "StepKind",
    "beijing_days_past",
    "counted_on",
    "due_steps",
]


class StepKind(StrEnum):
    """The steps of the default ladder, in order [Issue16]_."""

    warning = "warning"  # 预警
    notice = "notice"  # 通报
    interview = "interview"  # 约谈
    listed = "listed"  # 挂牌督办
    accountability = "accountability"  # 移交问责


#: Only cases still being worked on escalate: once submitted, the lateness is the examiners' to judge.
ESCALATING_STATES: frozenset[CaseState] = frozenset(
    {CaseState.registered, CaseState.assigned, CaseState.rectifying}
)


@dataclass(frozen=True, slots=True)
class Rung:
    """One step of a ladder: reached on the days ``from_days`` to ``until_days`` past the due date.

    Parameters
    ----------
    step : str
        Its name (a :class:`StepKind` value in the default ladder).
    from_days : int
        First day of the step, in whole Beijing days past the due date [d]; negative before it.
    until_days : int or None
        Last day of the step (inclusive) [d]; None for a step that stays reached.
    text : str
        The notification text of the step: a :meth:`str.format` template with the fields ``{case}``,
        ``{node}`` (empty for the case deadline), ``{due}``, ``{days}`` (past due, negative before)
        and ``{days_overdue}`` (0 before due).

    >>> Rung("warning", -3, 0).reached(-1), Rung("notice", 1).reached(400)
    (True, True)
    """

    step: str
    from_days: int
    until_days: int | None = None
    text: str = ""

    def reached(self, days: int) -> bool:
        """Whether a case ``days`` Beijing days past its due date has reached this step."""
        return days >= self.from_days and (self.until_days is None or days <= self.until_days)


@dataclass(frozen=True, slots=True)
class Ladder:
    """The escalation ladder of a batch: its rungs, in order of ``from_days`` (strictly increasing).

    >>> Ladder(())
    Traceback (most recent call last):
    ...
    ecowatch.cases.errors.LadderError: ladder: no steps
    >>> Ladder((Rung("a", 5), Rung("b", 5)))
    Traceback (most recent call last):
    ...
    ecowatch.cases.errors.LadderError: ladder step 2 'b': starts on day 5, not after step 1 'a' (day 5)
    """

    rungs: tuple[Rung, ...]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> Ladder:
        """A ladder from rows ``{"step", "from_days", "until_days"?, "text"?}`` (a batch's settings, JSON).

        >>> Ladder.from_rows([{"step": "yellow", "from_days": 1}, {"step": "red", "from_days": "ten"}])
        Traceback (most recent call last):
        ...
        ecowatch.cases.errors.LadderError: ladder step 2, field from_days: 'ten' is not a whole number of days
        """
        rungs: list[Rung] = []
        for number, row in enumerate(rows, start=1):
            unknown = sorted(set(row) - {"step", "from_days", "until_days", "text"})
            if unknown:
                raise LadderError(f"ladder step {number}: unknown field {', '.join(unknown)}")
            step = row.get("step")
            if not isinstance(step, str):
                raise LadderError(f"ladder step {number}, field step: {step!r} is not a name")
            text = row.get("text", "")
            if not isinstance(text, str):
                raise LadderError(f"ladder step {number}, field text: {text!r} is not text")
            from_days = _whole_days(row.get("from_days"), number, "from_days")
            until = row.get("until_days")
            until_days = None if until is None else _whole_days(until, number, "until_days")
            rungs.append(Rung(step, from_days, until_days, text))
        return cls(tuple(rungs))

    def rows(self) -> list[dict[str, Any]]:
        """The rows :meth:`from_rows` reads back."""
        return [
            {"step": str(r.step), "from_days": r.from_days, "until_days": r.until_days, "text": r.text}
            for r in self.rungs
        ]

    def __post_init__(self) -> None:
        if not self.rungs:
            raise LadderError("ladder: no steps")
        seen: set[str] = set()
        for number, rung in enumerate(self.rungs, start=1):
            label = f"ladder step {number} {rung.step!r}"
            if not rung.step.strip():
                raise LadderError(f"ladder step {number}: the name is empty")
            if rung.step in seen:
                raise LadderError(f"{label}: the name is used twice")
            seen.add(rung.step)
            if rung.until_days is not None and rung.until_days < rung.from_days:
                raise LadderError(
                    f"{label}: ends on day {rung.until_days}, before it starts (day {rung.from_days})"
                )
            try:
                rung.text.format(case="ZY-1", node=1, due=dt.date(2026, 1, 1), days=1, days_overdue=1)
            except (KeyError, IndexError, ValueError, AttributeError) as error:
                raise LadderError(f"{label}: text {rung.text!r} cannot be filled ({error!r})") from None
            if number > 1 and rung.from_days <= self.rungs[number - 2].from_days:
                before = self.rungs[number - 2]
                raise LadderError(
                    f"{label}: starts on day {rung.from_days}, not after step {number - 1} "
                    f"{before.step!r} (day {before.from_days})"
                )


#: The default ladder of issue 16 [Issue16]_: ``warning`` 0–3 days before due; ``notice`` from 1 day
#: overdue; ``interview`` from 15; ``listed`` from 30; ``accountability`` from 60.
DEFAULT_LADDER = Ladder(
    (
        Rung(StepKind.warning, -3, 0, "预警：{case} 将于 {due} 到期 / warning: {case} is due on {due}"),
        Rung(
            StepKind.notice, 1, None, "通报：{case} 已逾期 {days} 天 / notice: {case} is {days} days overdue"
        ),
        Rung(
            StepKind.interview,
            15,
            None,
            "约谈：{case} 已逾期 {days} 天 / interview: {case}, {days} days overdue",
        ),
        Rung(
            StepKind.listed,
            30,
            None,
            "挂牌督办：{case} 已逾期 {days} 天 / listed: {case}, {days} days overdue",
        ),
        Rung(StepKind.accountability, 60, None, "移交问责：{case} 已逾期 {days} 天 / accountability: {case}"),
    )
)


def _whole_days(value: object, number: int, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise LadderError(f"ladder step {number}, field {name}: {value!r} is not a whole number of days")


class NodeLike(Protocol):
    """A node (milestone) of a case: its number within the case, due date and whether it is done."""

    @property
    def key(self) -> int: ...

    @property
    def due(self) -> dt.date: ...

    @property
    def done(self) -> bool: ...


class ScheduledCase(Protocol):
    """What :func:`due_steps` reads of a case: code, state, deadline (Beijing date) and nodes."""

    @property
    def code(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def deadline(self) -> dt.date: ...

    @property
    def nodes(self) -> Sequence[NodeLike]: ...


@dataclass(frozen=True, slots=True)
class Node:
    """A node of a case: its number within the case (1-based), due date, done, task."""

    key: int
    due: dt.date
    done: bool = False
    task: str = ""


@dataclass(frozen=True, slots=True)
class CaseSchedule:
    """A case as the escalation sees it (the service may pass its ORM row instead)."""

    code: str
    state: str
    deadline: dt.date
    nodes: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """An escalation step reached: the case, the node (None: the case deadline), the step, its due date,
    ``days`` (whole Beijing days past due; negative before it) and the notification ``text``."""

    case: str
    node: int | None
    step: str
    due: dt.date
    days: int
    text: str = ""

    @property
    def days_overdue(self) -> int:
        """Days overdue, 0 when not overdue."""
        return max(self.days, 0)


def beijing_days_past(due: dt.date, now: dt.datetime) -> int:
    """Whole days from ``due`` to the Beijing date of ``now`` (0 on the due date, negative before).

    >>> beijing_days_past(dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC))
    1
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise CaseError(f"escalation: now {now.isoformat()} has no UTC offset")
    return (now.astimezone(BEIJING).date() - due).days


def counted_on(case: ScheduledCase) -> tuple[int | None, dt.date]:
    """The node the ladder counts on and its due date: the earliest open node (ties: the lower
    number), or ``(None, deadline)`` when the case has no open node [Issue16]_."""
    open_nodes = [node for node in case.nodes if not node.done]
    if not open_nodes:
        return None, case.deadline
    first = min(open_nodes, key=lambda node: (node.due, node.key))
    return first.key, first.due


def due_steps(
    case: ScheduledCase,
    already_recorded: Collection[tuple[int | None, str]],
    now: dt.datetime,
    ladder: Ladder = DEFAULT_LADDER,
) -> list[Step]:
    """The escalation steps to record for ``case`` now.

    Parameters
    ----------
    case : ScheduledCase
        The case: ``code``, ``state``, ``deadline`` and ``nodes``.
    already_recorded : collection of (node, step)
        The steps recorded for this case before, each with its node (None: the case deadline).
    now : datetime
        The platform's now, with a UTC offset; counted as its Beijing date.
    ladder : Ladder
        The batch's ladder (default: :data:`DEFAULT_LADDER`).

    Returns
    -------
    list of Step
        The steps reached and not yet recorded for the node counted on, in ladder order.

    Notes
    -----
    Days are whole Beijing days, ``d = date_Beijing(now) − due``, counted on the earliest open node's
    due date, or on the case deadline when no node is open; only cases in ``registered``, ``assigned``
    or ``rectifying`` escalate. Each step is recorded once per case and node; a run that finds several
    steps reached at once returns each of them, in ladder order [Issue16]_.

    A step is reached when ``d`` lies in its window. The ``warning`` window ends on the due date, so a
    case found already overdue (imported late, or the scheduler was down) gets the steps from
    ``notice`` on and no warning: a warning of what is already late warns of nothing (decision
    C-escalation in ``docs/decisions.md``).

    References
    ----------
    [Issue16]_ "Node control and escalation"; [Wuhu2019]_; [Guangyuan2018]_.
    """
    if state_of(case) not in ESCALATING_STATES:
        return []
    node, due = counted_on(case)
    days = beijing_days_past(due, now)
    fields = {"case": case.code, "node": "" if node is None else node, "due": due, "days": days}
    return [
        Step(
            case.code, node, str(rung.step), due, days, rung.text.format(**fields, days_overdue=max(days, 0))
        )
        for rung in ladder.rungs
        if rung.reached(days) and (node, rung.step) not in already_recorded
    ]
