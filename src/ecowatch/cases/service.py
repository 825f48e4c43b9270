"""Closed-loop cases on the store: import, list, show, move, escalate, statistics, audit (issue 16).

The CLI, the API and the scheduler all come through here. Functions take keyword-only arguments and
write into the caller's session: the caller commits (``sessionmaker.begin()``), so a function that
raises has written nothing. "Now" is always an argument (:func:`ecowatch.clock.now` at the edges).

- Moves go through :func:`ecowatch.cases.workflow.decide_move`; the history entry is chained with
  :func:`ecowatch.cases.audit.entry_hash` (one chain per case, decision C-chain) and the case's
  ``history_head`` anchors the chain's tail (decision C-anchor); evidence bytes are kept once per
  SHA-256 in ``case_file`` (decision C-evidence).
- Escalation uses :func:`ecowatch.cases.escalation.due_steps` with the batch's ladder; each step is
  recorded once per case and node; the hooks of :data:`STEP_HOOKS` (and ``on_steps_recorded``) see the
  steps recorded, in the same transaction.
- What lists and statistics read is kept on the case row on every change: ``next_due`` (the date the
  ladder counts on), ``open_due`` (the same while the case is open) and the highest step recorded,
  so the overdue list is an index range.
- ``scope`` (a :class:`~ecowatch.store.users.Scope`; None on the command line) limits what is seen:
  staff see the cases of their region and below, enterprise users none.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from pathlib import PurePath
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import Session, aliased, selectinload

from ecowatch.cases.audit import GENESIS, Link, Verification, entry_hash, verify_chain
from ecowatch.cases.errors import CaseConflict, CaseInputError, CaseOutOfScope, IllegalMove, UnknownCase
from ecowatch.cases.escalation import (
    DEFAULT_LADDER,
    ESCALATING_STATES,
    Ladder,
    Step,
    counted_on,
    due_steps,
)
from ecowatch.cases.models import (
    DEADLINE_NODE,
    Case,
    CaseBatch,
    CaseEscalation,
    CaseEvidence,
    CaseFile,
    CaseHistory,
    CaseKind,
    CaseNode,
    CaseVisit,
    PetitionOutcome,
)
from ecowatch.cases.schemas import (
    BatchStats,
    CaseDetail,
    CaseListItem,
    CasePage,
    EscalationRead,
    EvidenceRead,
    GroupStats,
    HistoryRead,
    NodeRead,
    StepRead,
    TrendMonth,
    VerifyResult,
)
from ecowatch.cases.workflow import Action, Actor, CaseState, Evidence, RegionContains, decide_move
from ecowatch.clock import BEIJING, as_utc
from ecowatch.store.audit import record
from ecowatch.store.models import Region, Role, User
from ecowatch.store.sites import region_subtree
from ecowatch.store.users import Scope, get_user

__all__ = [
    "MAX_EVIDENCE_BYTES",
    "OPEN_STATES",
    "PETITION_ACCEPT_DAYS",
    "PETITION_HANDLE_DAYS",
    "STEP_HOOKS",
    "CaseInput",
    "NodeInput",
    "RecordedStep",
    "StepHook",
    "actor_of",
    "add_cases",
    "batch_stats",
    "beijing",
    "check_batch",
    "check_kind",
    "complete_node",
    "escalate",
    "evidence_file",
    "get_batch",
    "get_case",
    "itemised",
    "ladder_of",
    "link_duplicate",
    "list_cases",
    "monthly_trend",
    "move_case",
    "overdue_cases",
    "record_visit",
    "region_contains",
    "set_outcome",
    "show_case",
    "verify_audit",
]

#: The states a case escalates (and can be overdue) in: it is still being worked on.
OPEN_STATES: tuple[str, ...] = tuple(sorted(s.value for s in ESCALATING_STATES))
#: An evidence file larger than this is refused [bytes] (the bytes are kept in the database).
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
#: 《信访工作条例》 (2022): decide acceptance within 15 days of receipt; handle within 60 days of
#: acceptance (shared/reference/cases.md, marked UNVERIFIED there: a batch may be given other figures).
PETITION_ACCEPT_DAYS = 15
PETITION_HANDLE_DAYS = 60


# -- time ------------------------------------------------------------------------------------------


def beijing(value: dt.datetime) -> dt.datetime:
    """A stored time in Beijing time, as the JSON writes it."""
    return as_utc(value).astimezone(BEIJING)


def _aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise CaseInputError(f"now {now.isoformat()} has no UTC offset", field="now")
    return now


def _today(now: dt.datetime) -> dt.date:
    return _aware(now).astimezone(BEIJING).date()


# -- users, regions, scope -------------------------------------------------------------------------


def actor_of(*, session: Session, username: str) -> Actor:
    """The :class:`~ecowatch.cases.workflow.Actor` of the active user ``username``, or UnknownCase."""
    user = get_user(session=session, username=username)
    if user is None or not user.active:
        raise UnknownCase(f"user {username!r}: no active user of that name", field="user")
    return _actor(user)


def _actor(user: User) -> Actor:
    return Actor(
        username=user.username, role=user.role, region=user.region.code if user.region is not None else None
    )


def region_contains(*, session: Session) -> RegionContains:
    """``contains(outer, inner)``: whether region ``outer`` is ``inner`` or above it (the store's tree)."""
    parents: dict[str, str | None] = {}
    parent = aliased(Region)

    def parent_of(code: str) -> str | None:
        if code not in parents:
            parents[code] = session.scalars(
                select(parent.code).join(Region, Region.parent_id == parent.id).where(Region.code == code)
            ).one_or_none()
        return parents[code]

    def contains(outer: str, inner: str) -> bool:
        code: str | None = inner
        for _ in range(8):  # province > city > county: the loop ends long before
            if code is None:
                return False
            if code == outer:
                return True
            code = parent_of(code)
        return False

    return contains


def _scope_filter(scope: Scope | None) -> ColumnElement[bool]:
    if scope is None or scope.everything:
        return true()
    if scope.enterprise_id is not None or not scope.region_ids:
        return false()  # enterprise users see no cases
    return Case.region_id.in_(sorted(scope.region_ids))


def _region(session: Session, code: str, field: str = "region") -> Region:
    region = session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None:
        raise UnknownCase(f"region {code!r} is not a region of the store (GB/T 2260)", field=field)
    return region


def get_case(*, session: Session, code: str, scope: Scope | None = None) -> Case:
    """The case ``code``, or UnknownCase; CaseOutOfScope when ``scope`` does not reach it."""
    case = session.scalars(select(Case).where(Case.code == code)).one_or_none()
    if case is None:
        raise UnknownCase(f"case {code!r}: no such case", field="code")
    if scope is not None and not scope.everything and case.region_id not in scope.region_ids:
        raise CaseOutOfScope(f"case {code}: outside the user's region", field="code")
    return case


# -- batches and ladders -----------------------------------------------------------------------------


def ladder_of(batch: CaseBatch | None) -> Ladder:
    """The escalation ladder of ``batch``: its own, else :data:`~ecowatch.cases.escalation.DEFAULT_LADDER`."""
    if batch is None or not batch.ladder:
        return DEFAULT_LADDER
    return Ladder.from_rows(batch.ladder)


def _ladders(session: Session, batches: Iterable[str]) -> dict[str, Ladder]:
    wanted = sorted(set(batches))
    rows = {b.code: b for b in session.scalars(select(CaseBatch).where(CaseBatch.code.in_(wanted)))}
    return {code: ladder_of(rows.get(code)) for code in wanted}


def _rank(ladder: Ladder, step: str) -> int:
    for number, rung in enumerate(ladder.rungs, start=1):
        if rung.step == step:
            return number
    return 0


# -- import ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeInput:
    """A node of a case to add: due date and task/deliverable."""

    due: dt.date
    task: str


@dataclass(frozen=True, slots=True)
class CaseInput:
    """A case to add (a row of an import file, checked by the importer)."""

    code: str
    title: str
    region: str
    lead_unit: str
    deadline: dt.date
    cooperating_units: tuple[str, ...] = ()
    responsible: str = ""
    measures: str = ""
    description: str = ""
    nodes: tuple[NodeInput, ...] = field(default=())


def _refresh_due(case: Case) -> None:
    """Keep ``next_due`` (the date the ladder counts on) and ``open_due`` (the same while the case is
    open, else None) up to date after a change of state or nodes."""
    case.next_due = counted_on(case)[1]
    case.open_due = case.next_due if case.state in OPEN_STATES else None


def check_batch(batch: str) -> str:
    """A batch code: stripped, 1 to 64 printable characters."""
    text = batch.strip()
    if not text or len(text) > 64 or not text.isprintable():
        raise CaseInputError(f"batch {batch!r}: 1 to 64 printable characters", field="batch")
    return text


def check_kind(kind: CaseKind | str) -> CaseKind:
    """A :class:`~ecowatch.cases.models.CaseKind`, or CaseInputError naming the kinds."""
    try:
        return CaseKind(kind)
    except ValueError:
        raise CaseInputError(
            f"kind {kind!r} is not one of {', '.join(k.value for k in CaseKind)}", field="kind"
        ) from None


def add_cases(
    *,
    session: Session,
    batch: str,
    kind: CaseKind | str,
    cases: Sequence[CaseInput],
    actor: str,
    now: dt.datetime,
) -> list[Case]:
    """Add ``cases`` to ``batch`` (created when new) in state ``registered``; one audit entry.

    Codes must be new (in the file and in the store), regions regions of the store; CaseConflict or
    UnknownCase otherwise (the importer reports them by row first). A petition is received ``now``
    and must be accepted within :data:`PETITION_ACCEPT_DAYS`.
    """
    now = as_utc(_aware(now))
    batch = check_batch(batch)
    kind = check_kind(kind)
    codes = [c.code for c in cases]
    repeated = sorted(code for code, n in Counter(codes).items() if n > 1)
    if repeated:
        raise CaseConflict(f"case code(s) given twice: {', '.join(repeated)}", field="code")
    taken = sorted(session.scalars(select(Case.code).where(Case.code.in_(codes))))
    if taken:
        raise CaseConflict(f"case code(s) already in the store: {', '.join(taken)}", field="code")
    regions = {
        r.code: r for r in session.scalars(select(Region).where(Region.code.in_({c.region for c in cases})))
    }
    missing = sorted({c.region for c in cases} - set(regions))
    if missing:
        raise UnknownCase(f"region(s) not in the store: {', '.join(missing)}", field="region")
    if session.get(CaseBatch, batch) is None:
        session.add(CaseBatch(code=batch, title="", ladder=None, created_at=now))
        session.flush()
    added: list[Case] = []
    for given in cases:
        case = Case(
            code=given.code,
            kind=kind.value,
            batch=batch,
            title=given.title,
            description=given.description,
            region=regions[given.region],
            lead_unit=given.lead_unit,
            cooperating_units=list(given.cooperating_units),
            responsible=given.responsible,
            measures=given.measures,
            deadline=given.deadline,
            state=CaseState.registered.value,
            escalation=None,
            escalation_rank=0,
            history_count=0,
            history_head=GENESIS,
            created_at=now,
            updated_at=now,
            nodes=[
                CaseNode(seq=n, due=node.due, task=node.task, done=False)
                for n, node in enumerate(given.nodes, start=1)
            ],
        )
        if kind is CaseKind.petition:
            case.received_at = now
            case.accept_by = _today(now) + dt.timedelta(days=PETITION_ACCEPT_DAYS)
        _refresh_due(case)
        session.add(case)
        added.append(case)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="import",
        entity="case_batch",
        entity_id=batch,
        detail={"kind": kind.value, "cases": len(added)},
        at=now,
    )
    return added


# -- reading ---------------------------------------------------------------------------------------


def _days_overdue(state: str, next_due: dt.date, today: dt.date) -> int:
    return max((today - next_due).days, 0) if state in OPEN_STATES else 0


def _overdue_clause(today: dt.date) -> ColumnElement[bool]:
    return Case.open_due < today  # null unless the case is open (C-overdue)


def _list_query(
    session: Session,
    *,
    batch: str | None,
    region: str | None,
    state: str | None,
    overdue: bool,
    today: dt.date,
    scope: Scope | None,
    kind: str | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses on ``supervision_case`` of a list (applied to the page and its count alike)."""
    where = [_scope_filter(scope)]
    if kind is not None:
        where.append(Case.kind == check_kind(kind).value)
    if batch is not None:
        where.append(Case.batch == batch)
    if region is not None:
        ids = [r.id for r in region_subtree(session=session, region=_region(session, region))]
        where.append(Case.region_id.in_(ids))
    if state is not None:
        try:
            where.append(Case.state == CaseState(state).value)
        except ValueError:
            raise CaseInputError(
                f"state {state!r} is not one of {', '.join(s.value for s in CaseState)}", field="state"
            ) from None
    if overdue:
        where.append(_overdue_clause(today))
    return where


def list_cases(
    *,
    session: Session,
    now: dt.datetime,
    batch: str | None = None,
    region: str | None = None,
    state: str | None = None,
    overdue: bool = False,
    scope: Scope | None = None,
    limit: int | None = None,
    offset: int = 0,
    kind: str | None = None,
) -> CasePage:
    """The cases that match, by code (overdue ones: most overdue first), paged; ``limit`` None: all."""
    today = _today(now)
    where = _list_query(
        session,
        batch=batch,
        region=region,
        state=state,
        overdue=overdue,
        today=today,
        scope=scope,
        kind=kind,
    )
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    query = (
        select(Case.code, Case.kind, Case.batch, Case.state, Region.code, Case.deadline, Case.next_due)
        .add_columns(Case.escalation)
        .join(Region, Region.id == Case.region_id)
        .where(*where)
    )
    query = query.order_by(Case.open_due, Case.code) if overdue else query.order_by(Case.code)
    if limit is not None:
        query = query.limit(limit)
    query = query.offset(offset)
    rows = session.execute(query).tuples()
    items = [
        CaseListItem(
            code=code,
            kind=kind,
            batch=batch_code,
            state=case_state,
            region=region_code,
            deadline=deadline,
            days_overdue=_days_overdue(case_state, next_due, today),
            escalation=escalation,
        )
        for code, kind, batch_code, case_state, region_code, deadline, next_due, escalation in rows
    ]
    return CasePage(total=total, limit=limit if limit is not None else total, offset=offset, items=items)


def overdue_cases(
    *,
    session: Session,
    now: dt.datetime,
    batch: str | None = None,
    scope: Scope | None = None,
    limit: int | None = None,
    offset: int = 0,
    kind: str | None = None,
) -> CasePage:
    """The overdue list: open cases past the date their ladder counts on, most overdue first."""
    return list_cases(
        session=session,
        now=now,
        batch=batch,
        overdue=True,
        scope=scope,
        limit=limit,
        offset=offset,
        kind=kind,
    )


def _history_read(entry: CaseHistory) -> HistoryRead:
    return HistoryRead(
        seq=entry.seq,
        at=beijing(entry.at),
        user=entry.username,
        action=entry.action,
        **{"from": entry.from_state},
        to=entry.to_state,
        reason=entry.reason,
        evidence=[EvidenceRead(name=e.name, sha256=e.sha256) for e in entry.evidence],
    )


def show_case(*, session: Session, code: str, scope: Scope | None = None) -> CaseDetail:
    """``cases show``: the case with its nodes, escalations and history."""
    case = get_case(session=session, code=code, scope=scope)
    history = session.scalars(
        select(CaseHistory)
        .where(CaseHistory.case_id == case.id)
        .order_by(CaseHistory.seq)
        .options(selectinload(CaseHistory.evidence))
    ).all()
    return CaseDetail(
        code=case.code,
        kind=case.kind,
        batch=case.batch,
        title=case.title,
        region=case.region.code,
        state=case.state,
        deadline=case.deadline,
        nodes=[NodeRead(due=n.due, task=n.task, done=n.done) for n in case.nodes],
        escalations=[
            EscalationRead(step=e.step, node=None if e.node == DEADLINE_NODE else e.node, at=beijing(e.at))
            for e in case.escalations
        ],
        history=[_history_read(entry) for entry in history],
    )


# -- moves -----------------------------------------------------------------------------------------


def _chain_entry(case_code: str, row: Any, evidence: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The entry of a history ``row`` (an ORM row or a result row with the same names) as it was hashed
    (:meth:`ecowatch.cases.workflow.Move.entry`)."""
    return {
        "case": case_code,
        "action": row.action,
        "from": row.from_state,
        "to": row.to_state,
        "user": row.username,
        "role": row.role,
        "at": as_utc(row.at),
        "reason": row.reason,
        "evidence": [{"name": name, "sha256": sha} for name, sha in evidence],
    }


def _evidence_files(files: Sequence[tuple[str, bytes]]) -> list[tuple[Evidence, bytes]]:
    out: list[tuple[Evidence, bytes]] = []
    for name, content in files:
        base = PurePath(name.replace("\\", "/")).name.strip()
        if not base:
            raise CaseInputError(f"evidence {name!r}: no file name", field="evidence")
        if len(base) > 256:
            raise CaseInputError(f"evidence {base!r}: the name is over 256 characters", field="evidence")
        if len(content) > MAX_EVIDENCE_BYTES:
            raise CaseInputError(
                f"evidence {base!r}: {len(content)} bytes, more than the {MAX_EVIDENCE_BYTES} allowed",
                field="evidence",
            )
        out.append((Evidence.of(base, content), content))
    return out


def move_case(
    *,
    session: Session,
    code: str,
    action: Action | str,
    username: str,
    now: dt.datetime,
    reason: str | None = None,
    evidence: Sequence[tuple[str, bytes]] = (),
) -> HistoryRead:
    """Make ``action`` on case ``code`` as user ``username``, now; the history entry recorded.

    The workflow decides (:func:`~ecowatch.cases.workflow.decide_move`: IllegalMove names the rule
    that refused); the entry is chained on the case's last hash; evidence bytes are kept once per
    SHA-256. A petition case is accepted on ``assign`` (to be handled within
    :data:`PETITION_HANDLE_DAYS`) and answered on ``close`` (outcome ``closed``, unless already
    stage-closed).
    """
    now = _aware(now)
    actor = actor_of(session=session, username=username)
    case = session.scalars(select(Case).where(Case.code == code).with_for_update()).one_or_none()
    if case is None:
        raise UnknownCase(f"case {code!r}: no such case", field="code")
    files = _evidence_files(evidence)
    move = decide_move(
        _CaseView(case.code, case.state, case.region.code),
        action,
        actor,
        now,
        reason,
        [e for e, _ in files],
        contains=region_contains(session=session),
    )
    at = as_utc(move.at)
    previous = case.history_head
    digest = entry_hash(move.entry(), previous)
    row = CaseHistory(
        case_id=case.id,
        seq=case.history_count + 1,
        at=at,
        username=move.username,
        role=move.role,
        action=move.action.value,
        from_state=move.from_state.value,
        to_state=move.to_state.value,
        reason=move.reason,
        hash=digest,
        previous_hash=previous,
    )
    for position, (item, content) in enumerate(files, start=1):
        if session.get(CaseFile, item.sha256) is None:
            session.add(CaseFile(sha256=item.sha256, size=len(content), content=content))
            session.flush()
        row.evidence.append(CaseEvidence(position=position, name=item.name, sha256=item.sha256))
    session.add(row)
    case.state = move.to_state.value
    _refresh_due(case)
    case.history_count += 1
    case.history_head = digest
    case.updated_at = at
    if case.kind == CaseKind.petition.value:
        if move.action is Action.assign and case.accepted_at is None:
            case.accepted_at = at
            case.handle_by = _today(now) + dt.timedelta(days=PETITION_HANDLE_DAYS)
        elif move.action is Action.close:
            case.answered_at = at
            case.outcome = case.outcome or PetitionOutcome.closed.value
        elif move.action is Action.reopen:
            case.outcome = None
    session.flush()
    return _history_read(row)


@dataclass(frozen=True, slots=True)
class _CaseView:
    code: str
    state: str
    region: str


def complete_node(*, session: Session, code: str, seq: int, username: str, now: dt.datetime) -> Case:
    """Mark node ``seq`` of case ``code`` done (a staff user in scope); the ladder moves to the next
    open node (decision C-node). One audit entry."""
    now = _aware(now)
    actor = actor_of(session=session, username=username)
    case = get_case(session=session, code=code)
    _staff_in_scope(session, actor, case, "node")
    node = next((n for n in case.nodes if n.seq == seq), None)
    if node is None:
        raise UnknownCase(f"case {code}: no node {seq}", field="node")
    if node.done:
        raise CaseInputError(f"case {code}: node {seq} is already done", field="node")
    node.done = True
    node.done_at = as_utc(now)
    _refresh_due(case)
    case.updated_at = as_utc(now)
    session.flush()
    record(
        session=session,
        actor=actor.username,
        action="node_done",
        entity="case",
        entity_id=code,
        detail={"node": seq},
        at=as_utc(now),
    )
    return case


# -- petitions and evidence ------------------------------------------------------------------------


def _staff_in_scope(session: Session, actor: Actor, case: Case, what: str) -> None:
    """IllegalMove unless ``actor`` is an admin, or staff whose region contains the case's."""
    if actor.role == Role.enterprise.value:
        raise IllegalMove(f"case {case.code}: enterprise users make no changes ({what})", rule="role")
    if actor.role != Role.admin.value and not region_contains(session=session)(
        actor.region or "", case.region.code
    ):
        raise IllegalMove(
            f"case {case.code}: region {case.region.code} is outside "
            f"{actor.username}'s region {actor.region}",
            rule="scope",
        )


def _petition(session: Session, code: str, field: str = "code") -> Case:
    case = get_case(session=session, code=code)
    if case.kind != CaseKind.petition.value:
        raise CaseInputError(f"case {code} is {case.kind}, not a petition", field=field)
    return case


def record_visit(
    *, session: Session, code: str, username: str, finding: str, satisfied: bool, now: dt.datetime
) -> CaseVisit:
    """Record a follow-up visit (回访) of a closed petition: what was found, whether the petitioner was
    satisfied. An unsatisfied visit is the reason a province user gives to ``reopen`` the case (a move
    of its own, with its own checks). Staff in scope; one audit entry."""
    now = as_utc(_aware(now))
    actor = actor_of(session=session, username=username)
    case = _petition(session, code)
    _staff_in_scope(session, actor, case, "visit")
    if case.state != CaseState.closed.value:
        raise CaseInputError(
            f"case {code}: a follow-up visit is of a closed case, it is {case.state}", field="code"
        )
    text = finding.strip()
    if not text:
        raise CaseInputError("finding: say what the visit found", field="finding")
    visit = CaseVisit(at=now, username=actor.username, finding=text, satisfied=satisfied)
    case.visits.append(visit)
    session.flush()
    record(
        session=session,
        actor=actor.username,
        action="visit",
        entity="case",
        entity_id=code,
        detail={"satisfied": satisfied},
        at=now,
    )
    return visit


def link_duplicate(*, session: Session, code: str, of: str, username: str, now: dt.datetime) -> Case:
    """Mark petition ``code`` a duplicate of petition ``of`` (the same site and matter, 12369 practice: a
    repeated report is not accepted again). A chain of duplicates is kept flat: the link goes to the
    first petition. Staff in scope of both; one audit entry."""
    now = as_utc(_aware(now))
    actor = actor_of(session=session, username=username)
    case = _petition(session, code)
    first = _petition(session, of, field="of")
    while first.duplicate_of is not None:
        first = first.duplicate_of
    if first.id == case.id:
        raise CaseInputError(f"case {code} cannot be a duplicate of itself", field="of")
    _staff_in_scope(session, actor, case, "duplicate")
    _staff_in_scope(session, actor, first, "duplicate")
    case.duplicate_of = first
    for later in session.scalars(select(Case).where(Case.duplicate_of_id == case.id)):
        later.duplicate_of = first
    case.updated_at = now
    session.flush()
    record(
        session=session,
        actor=actor.username,
        action="duplicate",
        entity="case",
        entity_id=code,
        detail={"of": first.code},
        at=now,
    )
    return case


def set_outcome(
    *, session: Session, code: str, outcome: PetitionOutcome | str, username: str, now: dt.datetime
) -> Case:
    """Set a petition's outcome: ``stage_closed`` (阶段性办结: answered, the matter still being worked on)
    or ``closed`` (已办结); a province user in scope or an admin, once the case is pre-examined or closed.
    One audit entry."""
    now = as_utc(_aware(now))
    actor = actor_of(session=session, username=username)
    case = _petition(session, code)
    try:
        value = PetitionOutcome(outcome)
    except ValueError:
        raise CaseInputError(
            f"outcome {outcome!r} is not one of {', '.join(o.value for o in PetitionOutcome)}",
            field="outcome",
        ) from None
    if actor.role not in (Role.admin.value, Role.province.value):
        raise IllegalMove(
            f"case {code}: an outcome is set by province users, not {actor.username}", rule="role"
        )
    _staff_in_scope(session, actor, case, "outcome")
    if case.state not in (CaseState.pre_examined.value, CaseState.closed.value):
        raise CaseInputError(
            f"case {code}: an outcome is set once pre-examined, it is {case.state}", field="outcome"
        )
    case.outcome = value.value
    case.updated_at = now
    session.flush()
    record(
        session=session,
        actor=actor.username,
        action="outcome",
        entity="case",
        entity_id=code,
        detail={"outcome": value.value},
        at=now,
    )
    return case


def evidence_file(
    *, session: Session, code: str, sha256: str, scope: Scope | None = None
) -> tuple[str, bytes]:
    """The name and bytes of an evidence file sent with a move of case ``code`` (UnknownCase if none)."""
    case = get_case(session=session, code=code, scope=scope)
    row = session.execute(
        select(CaseEvidence.name, CaseFile.content)
        .join(CaseHistory, CaseHistory.id == CaseEvidence.history_id)
        .join(CaseFile, CaseFile.sha256 == CaseEvidence.sha256)
        .where(CaseHistory.case_id == case.id, CaseEvidence.sha256 == sha256)
        .order_by(CaseHistory.seq, CaseEvidence.position)
        .limit(1)
    ).first()
    if row is None:
        raise UnknownCase(f"case {code}: no evidence file {sha256[:16]}", field="sha256")
    return row[0], row[1]


# -- escalation ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedStep:
    """An escalation step recorded (or, in a dry run, that would be): what a notification needs."""

    case: str
    case_id: int
    batch: str
    region: str
    node: int | None
    step: str
    rank: int
    due: dt.date
    days_overdue: int
    at: dt.datetime
    text: str
    escalation_id: int | None = None

    def read(self) -> StepRead:
        """The JSON of ``cases escalate``."""
        return StepRead(case=self.case, node=self.node, step=self.step, days_overdue=self.days_overdue)


#: ``hook(session, steps, now)``: called by :func:`escalate` with the steps it recorded (flushed: their
#: ``escalation_id`` is set), inside its transaction, so what the hook writes commits with them.
StepHook = Callable[[Session, Sequence[RecordedStep], dt.datetime], None]
#: The hooks every escalation run calls (the notifications register theirs here).
STEP_HOOKS: list[StepHook] = []


def escalate(
    *,
    session: Session,
    now: dt.datetime,
    dry_run: bool = False,
    on_steps_recorded: StepHook | None = None,
) -> list[RecordedStep]:
    """Record the escalation steps every open case has reached ``now``; the steps recorded.

    Each step once per case and node; several reached at once are recorded in ladder order. With
    ``dry_run`` nothing is written and no hook is called: the steps that would be recorded. A second
    run at the same time records nothing. Hooks (:data:`STEP_HOOKS`, then ``on_steps_recorded``) are
    called once with all the steps recorded, when there are some.
    """
    now = _aware(now)
    today = _today(now)
    at = as_utc(now)
    ladders_in_use = _ladders(session, session.scalars(select(Case.batch).distinct()))
    ahead = max((-r.from_days for ladder in ladders_in_use.values() for r in ladder.rungs), default=0)
    horizon = today + dt.timedelta(days=max(ahead, 0))
    cases = session.scalars(
        select(Case)
        .where(Case.open_due <= horizon)
        .order_by(Case.code)
        .options(
            selectinload(Case.nodes),
            selectinload(Case.escalations),
            selectinload(Case.region),
        )
    ).all()
    recorded: list[RecordedStep] = []
    rows: list[CaseEscalation] = []
    for case in cases:
        ladder = ladders_in_use.get(case.batch, DEFAULT_LADDER)
        done = {(None if e.node == DEADLINE_NODE else e.node, e.step) for e in case.escalations}
        steps: list[Step] = due_steps(case, done, now, ladder)
        for step in steps:
            rank = _rank(ladder, step.step)
            item = RecordedStep(
                case=case.code,
                case_id=case.id,
                batch=case.batch,
                region=case.region.code,
                node=step.node,
                step=step.step,
                rank=rank,
                due=step.due,
                days_overdue=step.days_overdue,
                at=at,
                text=step.text,
            )
            if not dry_run:
                row = CaseEscalation(
                    node=DEADLINE_NODE if step.node is None else step.node,
                    step=step.step,
                    rank=rank,
                    due=step.due,
                    at=at,
                    days_overdue=step.days_overdue,
                    text=step.text,
                )
                case.escalations.append(row)
                rows.append(row)
                if rank > case.escalation_rank:
                    case.escalation_rank = rank
                    case.escalation = step.step
            recorded.append(item)
    if dry_run or not recorded:
        return recorded
    session.flush()  # once for the run: the rows get their ids
    recorded = [replace(item, escalation_id=row.id) for item, row in zip(recorded, rows, strict=True)]
    for hook in [*STEP_HOOKS, *([on_steps_recorded] if on_steps_recorded else [])]:
        hook(session, recorded, now)
    return recorded


# -- statistics ------------------------------------------------------------------------------------


def _rate(closed: int, total: int) -> float | None:
    """closed / total × 100, to 1 decimal, half up (decision C-stats); None for no case."""
    if total == 0:
        return None
    return float((Decimal(closed) * 100 / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _stats_by(
    session: Session, where: ColumnElement[bool], group: Any, today: dt.date, steps: Sequence[str]
) -> dict[Any, BatchStats]:
    """The statistics of the cases matching ``where``, per value of ``group`` (a column or a constant)."""
    by_state: dict[Any, dict[str, int]] = defaultdict(lambda: {s.value: 0 for s in CaseState})
    overdue: dict[Any, int] = defaultdict(int)
    for key, state, count in session.execute(
        select(group, Case.state, func.count()).where(where).group_by(group, Case.state)
    ):
        by_state[key][state] = count
    for key, count in session.execute(
        select(group, func.count()).where(where, _overdue_clause(today)).group_by(group)
    ):
        overdue[key] = count
    reached: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(steps, 0))
    for key, step, count in session.execute(
        select(group, Case.escalation, func.count())
        .where(where, Case.escalation.is_not(None))
        .group_by(group, Case.escalation)
    ):
        reached[key][step] = count
    out: dict[Any, BatchStats] = {}
    for key, states in by_state.items():
        total = sum(states.values())
        closed = states[CaseState.closed.value]
        out[key] = BatchStats(
            total=total,
            closed=closed,
            on_schedule=total - closed - overdue[key],
            overdue=overdue[key],
            closing_rate_pct=_rate(closed, total),
            by_state=states,
            by_escalation=reached[key],
        )
    return out


def get_batch(*, session: Session, batch: str) -> CaseBatch:
    """The batch ``batch``, or UnknownCase."""
    row = session.get(CaseBatch, batch)
    if row is None:
        raise UnknownCase(f"batch {batch!r}: no such batch", field="batch")
    return row


def _batch(session: Session, batch: str) -> CaseBatch:
    """:func:`get_batch` positionally (``cases.ladders`` calls it so)."""
    return get_batch(session=session, batch=batch)


def batch_stats(*, session: Session, batch: str, now: dt.datetime, scope: Scope | None = None) -> BatchStats:
    """``cases stats``: total, closed, on schedule, overdue, closing rate, by state, by escalation step.

    ``total = closed + on_schedule + overdue``: a case is overdue while open (registered, assigned,
    rectifying) past the date its ladder counts on, on schedule otherwise until closed.
    """
    ladder = ladder_of(_batch(session, batch))
    steps = [r.step for r in ladder.rungs]
    stats = _stats_by(
        session, and_(Case.batch == batch, _scope_filter(scope)), Case.batch, _today(now), steps
    )
    return stats.get(batch) or BatchStats(
        total=0,
        closed=0,
        on_schedule=0,
        overdue=0,
        closing_rate_pct=None,
        by_state={s.value: 0 for s in CaseState},
        by_escalation=dict.fromkeys(steps, 0),
    )


def itemised(
    *, session: Session, batch: str, by: str, now: dt.datetime, scope: Scope | None = None
) -> list[GroupStats]:
    """The itemised list of a batch per ``by`` (``region``: the case's region; ``unit``: its lead unit)."""
    ladder = ladder_of(_batch(session, batch))
    steps = [r.step for r in ladder.rungs]
    where = and_(Case.batch == batch, _scope_filter(scope))
    if by == "region":
        stats = _stats_by(session, where, Case.region_id, _today(now), steps)
        regions = {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(list(stats))))}
        rows = [
            GroupStats(group=regions[key].code, name=regions[key].name, **value.model_dump(by_alias=False))
            for key, value in stats.items()
        ]
    elif by == "unit":
        stats = _stats_by(session, where, Case.lead_unit, _today(now), steps)
        rows = [
            GroupStats(group=key, name=key, **value.model_dump(by_alias=False))
            for key, value in stats.items()
        ]
    else:
        raise CaseInputError(f"by {by!r}: itemised lists are by region or unit", field="by")
    return sorted(rows, key=lambda row: row.group)


def monthly_trend(*, session: Session, batch: str, scope: Scope | None = None) -> list[TrendMonth]:
    """Per Beijing month: cases opened (imported), closed and reopened in the batch, oldest first."""
    _batch(session, batch)
    where = and_(Case.batch == batch, _scope_filter(scope))
    months: dict[str, Counter[str]] = defaultdict(Counter)
    for (created,) in session.execute(select(Case.created_at).where(where)):
        months[beijing(created).strftime("%Y-%m")]["opened"] += 1
    for action, at in session.execute(
        select(CaseHistory.action, CaseHistory.at)
        .join(Case, Case.id == CaseHistory.case_id)
        .where(where, CaseHistory.action.in_([Action.close.value, Action.reopen.value]))
    ):
        months[beijing(at).strftime("%Y-%m")]["closed" if action == Action.close.value else "reopened"] += 1
    return [
        TrendMonth(month=month, opened=c["opened"], closed=c["closed"], reopened=c["reopened"])
        for month, c in sorted(months.items())
    ]


# -- audit -----------------------------------------------------------------------------------------


def verify_audit(*, session: Session) -> VerifyResult:
    """Check every case's history chain and its anchor (``history_count``, ``history_head``).

    Names, per broken chain, the case and the first entry that no longer matches (an edited entry, a
    hash recomputed, an entry deleted or added) or that the chain's tail was cut. The history is read
    as a stream, one case at a time (1,000,000 entries need not be in memory at once).
    """
    evidence: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for history_id, name, sha in session.execute(
        select(CaseEvidence.history_id, CaseEvidence.name, CaseEvidence.sha256).order_by(
            CaseEvidence.history_id, CaseEvidence.position
        )
    ):
        evidence[history_id].append((name, sha))
    cases = {
        row.id: row
        for row in session.execute(select(Case.id, Case.code, Case.history_count, Case.history_head))
    }
    stream = session.execute(
        select(
            CaseHistory.id,
            CaseHistory.case_id,
            CaseHistory.seq,
            CaseHistory.action,
            CaseHistory.from_state,
            CaseHistory.to_state,
            CaseHistory.username,
            CaseHistory.role,
            CaseHistory.at,
            CaseHistory.reason,
            CaseHistory.hash,
        )
        .order_by(CaseHistory.case_id, CaseHistory.seq)
        .execution_options(yield_per=5000)
    )
    problems: dict[str, str] = {}
    entries = 0
    seen: set[int] = set()

    def check(case_id: int, links: list[Link]) -> None:
        nonlocal entries
        seen.add(case_id)
        case = cases[case_id]
        result: Verification = verify_chain(links, label=f"case {case.code}")
        entries += result.entries
        if not result.ok:
            problems[case.code] = result.message
            return
        last = links[-1].hash if links else GENESIS
        if result.entries != case.history_count or last != case.history_head:
            problems[case.code] = (
                f"case {case.code}: entry {min(result.entries, case.history_count) + 1} "
                f"does not match the case's anchor ({result.entries} entries stored, "
                f"{case.history_count} recorded; last hash {last[:16]}…, anchor {case.history_head[:16]}…)"
            )

    for case_id, rows in groupby(stream, key=lambda row: row.case_id):
        code = cases[case_id].code
        check(case_id, [Link(r.seq, _chain_entry(code, r, evidence.get(r.id, [])), r.hash) for r in rows])
    for case_id in cases.keys() - seen:
        check(case_id, [])
    return VerifyResult(
        entries=entries, cases=len(cases), broken=[problems[code] for code in sorted(problems)]
    )
