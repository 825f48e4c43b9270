"""The workflow of a case: its states, the moves between them and who may make each (pure).

Everything about moves is here, as in h11's ``_state.py``: one table maps ``(state, action)`` to the
next state (:data:`TRANSITIONS`), another maps each action to the roles that may make it and the states
each role may make it from (:data:`MOVERS`). :func:`decide_move` checks a proposed move against both,
and against the case's region, the reason and the evidence; it returns the :class:`Move` to record or
raises :class:`~ecowatch.cases.errors.IllegalMove` naming the rule that refused it. It reads no clock
and no store: ``now`` and the region containment are arguments, so the service applies the move in
its own transaction and a test can run any sequence of moves.

The states follow the 销号 practice of the sources: a task is registered and assigned to its lead unit
("拉条挂账", [CIP2019]_), rectified, then submitted with its evidence (提交申请), pre-examined on the
files and on site (现场核查), and closed on a signed review (审核签字) [Huangshan2022]_; a failed
check sends it back, and a follow-up visit (回访) that finds it "解决不到位" reopens it (MEE 2022, in
``shared/reference/cases.md``). Every move keeps its trace, "履责留痕，有据可查" [Hainan2018]_.

>>> from datetime import datetime
>>> from ecowatch.clock import BEIJING
>>> case = CaseRef(code="R-1", state=CaseState.rectifying, region="110105")
>>> county = Actor(username="chaoyang", role="county", region="110105")
>>> same = lambda outer, inner: outer == inner
>>> move = decide_move(case, Action.submit, county, datetime(2026, 5, 4, 9, 0, tzinfo=BEIJING),
...                    evidence=[Evidence.of("photo.jpg", b"...")], contains=same)
>>> move.from_state, move.to_state
(<CaseState.rectifying: 'rectifying'>, <CaseState.submitted: 'submitted'>)
>>> decide_move(case, Action.close, county, datetime(2026, 5, 4, 9, 0, tzinfo=BEIJING), contains=same)
Traceback (most recent call last):
...
ecowatch.cases.errors.IllegalMove: case R-1: close needs state pre_examined, the case is rectifying
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from ecowatch.cases.errors import CaseError, IllegalMove

__all__ = [
    "EVIDENCE_REQUIRED",
    "MOVERS",
    "REASON_REQUIRED",
    "ROLES",
    "TRANSITIONS",
    "Action",
    "Actor",
    "CaseLike",
    "CaseRef",
    "CaseState",
    "Evidence",
    "Move",
    "RegionContains",
    "StatedCase",
    "decide_move",
    "state_of",
]


class CaseState(StrEnum):
    """The state of a case [Issue16]_."""

    registered = "registered"
    assigned = "assigned"
    rectifying = "rectifying"
    submitted = "submitted"
    pre_examined = "pre_examined"
    closed = "closed"


class Action(StrEnum):
    """A move of a case [Issue16]_ (``return`` is a Python keyword: the member is ``return_``)."""

    assign = "assign"
    start = "start"
    submit = "submit"
    preexamine = "preexamine"
    close = "close"
    return_ = "return"
    reopen = "reopen"


#: The user roles of the platform (``ecowatch.store.models.Role``'s values; a ``Role`` compares equal).
ROLES: frozenset[str] = frozenset({"admin", "province", "city", "county", "enterprise"})

_S = CaseState
_A = Action

#: ``(state, action) -> next state``: the transition table of issue 16 [Issue16]_.
TRANSITIONS: Mapping[tuple[CaseState, Action], CaseState] = MappingProxyType(
    {
        (_S.registered, _A.assign): _S.assigned,
        (_S.assigned, _A.start): _S.rectifying,
        (_S.rectifying, _A.submit): _S.submitted,
        (_S.submitted, _A.preexamine): _S.pre_examined,
        (_S.pre_examined, _A.close): _S.closed,
        (_S.submitted, _A.return_): _S.rectifying,
        (_S.pre_examined, _A.return_): _S.rectifying,
        (_S.closed, _A.reopen): _S.rectifying,
    }
)


def _from(*states: CaseState) -> frozenset[CaseState]:
    return frozenset(states)


#: ``action -> {role: states it may make the action from}``, for the scoped roles [Issue16]_. An admin
#: may make every move; an enterprise user none. Only ``return`` differs by role: a city may return a
#: case it has submitted to it (before pre-examination), a province from either state.
MOVERS: Mapping[Action, Mapping[str, frozenset[CaseState]]] = MappingProxyType(
    {
        _A.assign: MappingProxyType({"province": _from(_S.registered), "city": _from(_S.registered)}),
        _A.start: MappingProxyType(
            {"province": _from(_S.assigned), "city": _from(_S.assigned), "county": _from(_S.assigned)}
        ),
        _A.submit: MappingProxyType(
            {"province": _from(_S.rectifying), "city": _from(_S.rectifying), "county": _from(_S.rectifying)}
        ),
        _A.preexamine: MappingProxyType({"province": _from(_S.submitted), "city": _from(_S.submitted)}),
        _A.close: MappingProxyType({"province": _from(_S.pre_examined)}),
        _A.return_: MappingProxyType(
            {"province": _from(_S.submitted, _S.pre_examined), "city": _from(_S.submitted)}
        ),
        _A.reopen: MappingProxyType({"province": _from(_S.closed)}),
    }
)

#: Actions refused without a reason: a return says what is missing, a reopening what the follow-up found.
REASON_REQUIRED: frozenset[Action] = frozenset({_A.return_, _A.reopen})
#: Actions refused without at least one evidence file: "提交申请" comes with its files [Huangshan2022]_.
EVIDENCE_REQUIRED: frozenset[Action] = frozenset({_A.submit})

#: ``contains(user_region, case_region)``: True when the user's region contains the case's (a region
#: contains itself). The service passes the store's region tree; tests pass a table.
RegionContains = Callable[[str, str], bool]

_SHA256 = re.compile(r"[0-9a-f]{64}")


class StatedCase(Protocol):
    """A case's code and stored state: what :func:`state_of` reads."""

    @property
    def code(self) -> str: ...

    @property
    def state(self) -> str: ...


class CaseLike(StatedCase, Protocol):
    """What :func:`decide_move` reads of a case: any object with these attributes (an ORM row, a
    :class:`CaseRef`)."""

    @property
    def region(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CaseRef:
    """A case as the workflow sees it: its code, state and region code (GB/T 2260)."""

    code: str
    state: CaseState
    region: str


@dataclass(frozen=True, slots=True)
class Actor:
    """The user making a move: user name, role (one of :data:`ROLES`) and region code (None for admin)."""

    username: str
    role: str
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """An evidence file of a move: its name and the SHA-256 of its content (64 lower-case hex digits).

    >>> Evidence.of("report.pdf", b"abc").sha256[:16]
    'ba7816bf8f01cfea'
    >>> Evidence("report.pdf", "xyz")
    Traceback (most recent call last):
    ...
    ecowatch.cases.errors.CaseError: evidence 'report.pdf': sha256 must be 64 lower-case hex digits, got 'xyz'
    """

    name: str
    sha256: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise CaseError("evidence: the file name is empty")
        if not _SHA256.fullmatch(self.sha256):
            raise CaseError(
                f"evidence {self.name!r}: sha256 must be 64 lower-case hex digits, got {self.sha256!r}"
            )

    @classmethod
    def of(cls, name: str, content: bytes) -> Evidence:
        """The evidence record of a file ``name`` with ``content``."""
        return cls(name=name, sha256=hashlib.sha256(content).hexdigest())


@dataclass(frozen=True, slots=True)
class Move:
    """A move :func:`decide_move` accepted: what the history records of it [Issue16]_ [Hainan2018]_."""

    case: str
    action: Action
    from_state: CaseState
    to_state: CaseState
    username: str
    role: str
    at: dt.datetime
    reason: str | None = None
    evidence: tuple[Evidence, ...] = field(default=())

    def entry(self) -> dict[str, Any]:
        """The history entry of this move, as :mod:`ecowatch.cases.audit` hashes it."""
        return {
            "case": self.case,
            "action": str(self.action),
            "from": str(self.from_state),
            "to": str(self.to_state),
            "user": self.username,
            "role": self.role,
            "at": self.at,
            "reason": self.reason,
            "evidence": [{"name": e.name, "sha256": e.sha256} for e in self.evidence],
        }


def state_of(case: StatedCase) -> CaseState:
    """The :class:`CaseState` of ``case``, or CaseError naming the case when its stored state is none.

    >>> state_of(CaseRef("R-9", "closed", "110105"))
    <CaseState.closed: 'closed'>
    >>> state_of(CaseRef("R-9", "lost", "110105"))
    Traceback (most recent call last):
    ...
    ecowatch.cases.errors.CaseError: case R-9: stored state 'lost' is not a case state
    """
    try:
        return CaseState(case.state)
    except ValueError:
        raise CaseError(f"case {case.code}: stored state {case.state!r} is not a case state") from None


def decide_move(
    case: CaseLike,
    action: Action | str,
    actor: Actor,
    now: dt.datetime,
    reason: str | None = None,
    evidence: Iterable[Evidence] = (),
    *,
    contains: RegionContains,
) -> Move:
    """Decide whether ``actor`` may make ``action`` on ``case`` now, and what the move records.

    Parameters
    ----------
    case : CaseLike
        The case: ``code``, ``state`` (a :class:`CaseState` value), ``region`` (GB/T 2260 code).
    action : Action or str
        The move asked for (``"return"`` for :attr:`Action.return_`).
    actor : Actor
        Who asks: user name, role, region (ignored for an admin).
    now : datetime
        When, with a UTC offset (the platform's clock, never read here).
    reason : str, optional
        Why; required for ``return`` and ``reopen``; blank counts as none.
    evidence : iterable of Evidence
        The files sent with the move; at least one for ``submit``.
    contains : callable
        ``contains(user_region, case_region)``, True when the user's region contains the case's.

    Returns
    -------
    Move
        The move to record.

    Raises
    ------
    IllegalMove
        With ``rule`` naming the first rule that refused it, checked in this order: ``actor``,
        ``time``, ``transition``, ``role``, ``scope``, ``reason``, ``evidence``.

    Notes
    -----
    "In scope" means the user's region contains the case's region; an admin may do everything, an
    enterprise user nothing [Issue16]_. An admin is still held to the transition table, the reason and
    the evidence: those are rules of the case, not of the role.

    References
    ----------
    [Issue16]_ table "States and moves"; [Huangshan2022]_ for submit → check → close; [Hainan2018]_.

    >>> from datetime import datetime, timezone
    >>> case = CaseRef(code="R-7", state=CaseState.submitted, region="110105")
    >>> city = Actor(username="beijing", role="city", region="110100")
    >>> in_tree = lambda outer, inner: inner.startswith(outer.rstrip("0"))
    >>> decide_move(case, "return", city, datetime(2026, 6, 1, tzinfo=timezone.utc), contains=in_tree)
    Traceback (most recent call last):
    ...
    ecowatch.cases.errors.IllegalMove: case R-7: return by beijing needs a reason
    >>> decide_move(case, "return", city, datetime(2026, 6, 1, tzinfo=timezone.utc), " photos blurred ",
    ...             contains=in_tree).reason
    'photos blurred'
    """
    label = f"case {case.code}"
    role = str(actor.role)
    if role not in ROLES:
        raise IllegalMove(
            f"{label}: {actor.username} has role {role!r}, not one of {', '.join(sorted(ROLES))}",
            rule="actor",
        )
    if role not in ("admin", "enterprise") and not actor.region:
        raise IllegalMove(f"{label}: {actor.username} ({role}) has no region", rule="actor")
    if now.tzinfo is None or now.utcoffset() is None:
        raise IllegalMove(f"{label}: the time of the move {now.isoformat()} has no UTC offset", rule="time")
    try:
        wanted = Action(action)
    except ValueError:
        raise IllegalMove(
            f"{label}: {action!r} is not an action (one of {', '.join(a.value for a in Action)})",
            rule="transition",
        ) from None
    state = state_of(case)

    target = TRANSITIONS.get((state, wanted))
    if target is None:
        possible = sorted(s.value for (s, a) in TRANSITIONS if a is wanted)
        raise IllegalMove(
            f"{label}: {wanted} needs state {' or '.join(possible)}, the case is {state}", rule="transition"
        )

    if role != "admin":
        if role == "enterprise":
            raise IllegalMove(
                f"{label}: {actor.username} is an enterprise user; enterprise users make no moves",
                rule="role",
            )
        movers = MOVERS[wanted]
        if role not in movers:
            raise IllegalMove(
                f"{label}: {wanted} is for {', '.join(sorted(movers))} users, not {actor.username} ({role})",
                rule="role",
            )
        if state not in movers[role]:
            allowed = " or ".join(sorted(s.value for s in movers[role]))
            raise IllegalMove(
                f"{label}: a {role} user may {wanted} a case only from {allowed}, the case is {state}",
                rule="role",
            )
        if not contains(actor.region or "", case.region):
            raise IllegalMove(
                f"{label}: region {case.region} is outside {actor.username}'s region {actor.region}",
                rule="scope",
            )

    text = reason.strip() if reason is not None else ""
    if wanted in REASON_REQUIRED and not text:
        raise IllegalMove(f"{label}: {wanted} by {actor.username} needs a reason", rule="reason")
    files = tuple(evidence)
    if wanted in EVIDENCE_REQUIRED and not files:
        raise IllegalMove(
            f"{label}: {wanted} by {actor.username} needs at least one evidence file", rule="evidence"
        )
    return Move(
        case=case.code,
        action=wanted,
        from_state=state,
        to_state=target,
        username=actor.username,
        role=role,
        at=now,
        reason=text or None,
        evidence=files,
    )
