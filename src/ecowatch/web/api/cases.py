"""``/api/v1/cases``: closed-loop supervision cases (issue 16), thin over :mod:`ecowatch.cases.service`.

Reads follow the user's scope (staff: the cases of their region and below; an admin: all); enterprise
users see no case and make no move (403).  A move is one history entry under the user's name, made
"now" by :func:`ecowatch.clock.now` (``ECOWATCH_NOW`` when set), with its evidence files sent as
``multipart/form-data``.  Refusals, as ``application/problem+json``-shaped ``{"detail": ...}``:

- 404 an unknown case, batch or region, and a case outside the user's region (one answer for both:
  answers do not tell which codes exist elsewhere);
- 403 a move the user's role may not make (``rule`` ``role``), or any case read by an enterprise user;
- 409 a move the case's state does not allow (``rule`` ``transition``);
- 422 a move without its reason or evidence, a value the store refuses (the field named).

The answers of the contract (``cases list``/``show``/``stats``...) are :mod:`ecowatch.cases.schemas`;
the pages' answers add what a person reads beside the codes (the title, the region's name, the days
overdue of each node, the moves the user may make, the time the answer was made).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select, true, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecowatch import clock
from ecowatch.cases import labels
from ecowatch.cases.errors import (
    CaseConflict,
    CaseError,
    CaseImportError,
    CaseOutOfScope,
    IllegalMove,
    UnknownCase,
)
from ecowatch.cases.escalation import beijing_days_past
from ecowatch.cases.importer import import_cases
from ecowatch.cases.models import (
    Case,
    CaseKind,
    CaseNode,
    CaseNotification,
    PetitionOutcome,
)
from ecowatch.cases.notify import escalate_and_notify
from ecowatch.cases.schemas import (
    BatchStats,
    CaseDetail,
    CaseListItem,
    GroupStats,
    NodeRead,
    StepRead,
    TrendMonth,
)
from ecowatch.cases.service import (
    MAX_EVIDENCE_BYTES,
    OPEN_STATES,
    actor_of,
    batch_stats,
    beijing,
    complete_node,
    escalate,
    evidence_file,
    get_case,
    itemised,
    link_duplicate,
    list_cases,
    monthly_trend,
    move_case,
    record_visit,
    region_contains,
    set_outcome,
    show_case,
)
from ecowatch.cases.workflow import Action, CaseState, Evidence, decide_move
from ecowatch.clock import BEIJING
from ecowatch.store.models import Region, Role, User
from ecowatch.store.sites import region_ancestors
from ecowatch.store.users import Scope
from ecowatch.web.api.common import SCOPE_ERRORS, Limit, Offset, RegionCode
from ecowatch.web.deps import AdminUser, CurrentUser, ScopeDep, SessionDep, WriteSessionDep
from ecowatch.web.schemas import Problem, RequestBody
from ecowatch.web.tables import TABLE_RESPONSES, XLSX_TYPE, FormatQuery, TableFormat, table_response

__all__ = [
    "CASE_LABELS",
    "LARGER_BODIES",
    "MOVE_MAX_BYTES",
    "MOVE_PATH",
    "BoardColumn",
    "CaseBoard",
    "CaseRow",
    "CaseRows",
    "CaseView",
    "NodeView",
    "router",
]


async def staff_only(user: CurrentUser) -> User:
    """Enterprise users see no case (issue 16: they make no moves, and no case is theirs to follow)."""
    if user.role == Role.enterprise:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="cases: enterprise users see no cases")
    return user


router = APIRouter(prefix="/cases", tags=["cases"], dependencies=[Depends(staff_only)])

READ_ERRORS: dict[int | str, dict[str, Any]] = {**SCOPE_ERRORS, 404: {"model": Problem}}
MOVE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    409: {"model": Problem},
    413: {"model": Problem},
}
CaseCode = Annotated[str, Path(max_length=64, description="The case's code")]
BatchQuery = Annotated[str | None, Query(max_length=64, description="Only the cases of this batch")]
StateQuery = Annotated[CaseState | None, Query(description="Only the cases in this state")]
KindQuery = Annotated[CaseKind | None, Query(description="Only the cases of this kind")]

#: The moves' route, and the body it may carry: one evidence file of the largest size the store takes
#: (:data:`~ecowatch.cases.service.MAX_EVIDENCE_BYTES`) and the form around it.  The app's other routes
#: keep their 64 KiB limit (``ecowatch.web.app``).
MOVE_PATH = re.compile(r"/api/v1/cases/[^/]{1,64}/moves")
MOVE_MAX_BYTES = MAX_EVIDENCE_BYTES + 64 * 1024
#: The import's route and its largest file: an inspection office's list of thousands of petitions
#: (2,330 rows of a few hundred characters each is under 2 MiB as XLSX).
IMPORT_PATH = re.compile(r"/api/v1/cases/import")
IMPORT_MAX_BYTES = 8 * 1024 * 1024
#: The routes that take larger bodies than the API's default, and their limits [bytes].
LARGER_BODIES: tuple[tuple[re.Pattern[str], int], ...] = (
    (MOVE_PATH, MOVE_MAX_BYTES),
    (IMPORT_PATH, IMPORT_MAX_BYTES),
)
#: Cases shown per column of the board (the column's count is of them all).
BOARD_CARDS = 20

# -- names -----------------------------------------------------------------------------------------


def _pairs(names: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{"code": "中文 English"}`` as ``{"code": {"zh": "中文", "en": "English"}}``."""
    out = {}
    for code, name in names.items():
        zh, _, en = name.partition(" ")
        out[code] = {"zh": zh, "en": en or code}
    return out


#: The names people read for the codes of the cases, Chinese and English (the pages show both): those
#: of :mod:`ecowatch.cases.labels`, which the command line prints too, and the users' roles.
CASE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "states": _pairs(labels.STATE_NAMES),
    "actions": _pairs(labels.ACTION_NAMES),
    "kinds": _pairs(labels.KIND_NAMES),
    "steps": _pairs(labels.STEP_NAMES),
    "roles": _pairs(
        {
            Role.admin: "管理员 administrator",
            Role.province: "省级 province",
            Role.city: "市级 city",
            Role.county: "区县级 county",
            Role.enterprise: "企业 enterprise",
        }
    ),
}


# -- answers of the pages --------------------------------------------------------------------------


class CaseRow(CaseListItem):
    """A row of the list: the contract's row with the case's title and its region's name."""

    title: str
    region_name: str = Field(description="The region's name (GB/T 2260)")


class CaseRows(BaseModel):
    """A page of cases, and when it was made (Beijing time: the days overdue are counted to then)."""

    as_of: dt.datetime
    total: int
    limit: int
    offset: int
    items: list[CaseRow]


class NodeView(NodeRead):
    key: int = Field(description="The node's number within the case")
    days_overdue: int = Field(description="Whole Beijing days past its due date while open; 0 if not")


class VisitView(BaseModel):
    at: dt.datetime
    user: str
    finding: str
    satisfied: bool


class PetitionView(BaseModel):
    """A petition's handling: received, accepted and answered times, the deadlines to accept and to
    handle it (Beijing dates), the outcome, the first petition it repeats, the follow-up visits."""

    received_at: dt.datetime | None
    accepted_at: dt.datetime | None
    answered_at: dt.datetime | None
    accept_by: dt.date | None
    handle_by: dt.date | None
    outcome: str | None
    duplicate_of: str | None
    duplicates: list[str] = Field(description="The petitions marked duplicates of this one")
    visits: list[VisitView]


class CaseView(CaseDetail):
    """``cases show`` with what the case page reads beside it."""

    as_of: dt.datetime
    region_name: str
    description: str
    lead_unit: str
    cooperating_units: list[str]
    responsible: str
    measures: str
    days_overdue: int = Field(description="Days past the date the ladder counts on, while open; 0 if not")
    nodes: list[NodeView]  # type: ignore[assignment]
    moves: list[str] = Field(description="The actions the signed-in user may make on the case now")
    may_complete_nodes: bool = Field(description="Whether the user may mark the open nodes done now")
    petition: PetitionView | None = Field(
        description="A petition's dates, outcome, duplicate link and visits"
    )


class BoardCard(BaseModel):
    code: str
    title: str
    region: str
    region_name: str
    deadline: dt.date
    days_overdue: int
    escalation: str | None


class BoardColumn(BaseModel):
    state: CaseState
    count: int
    cases: list[BoardCard] = Field(description=f"The first {BOARD_CARDS} by code")


class CaseBoard(BaseModel):
    as_of: dt.datetime
    states: list[BoardColumn]


class OverdueRow(CaseRow):
    due: dt.date = Field(
        description="The date the ladder counts on (the earliest open node's, or the deadline)"
    )
    node: int | None = Field(description="The node counted on; null: the case deadline")


class OverdueRows(CaseRows):
    items: list[OverdueRow]  # type: ignore[assignment]


class Notification(BaseModel):
    """An escalation step told to the user (Chinese first, English beside)."""

    id: int
    case: str
    step: str
    node: int | None = Field(description="The node's number within the case; null: the case deadline")
    title: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None


#: A notification's id (a row id: positive, within a 32-bit integer as every backend stores it).
NotificationId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class Notifications(BaseModel):
    unread: int
    items: list[Notification]


# -- errors ----------------------------------------------------------------------------------------

_MOVE_STATUS = {
    "actor": status.HTTP_403_FORBIDDEN,
    "role": status.HTTP_403_FORBIDDEN,
    "scope": status.HTTP_404_NOT_FOUND,
    "transition": status.HTTP_409_CONFLICT,
    "reason": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "evidence": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "time": status.HTTP_422_UNPROCESSABLE_CONTENT,
}


@contextmanager
def answers(session: Session, case: str | None = None) -> Iterator[None]:
    """The cases' errors as HTTP answers, the transaction rolled back (nothing written).

    A case outside the user's region (``case``: its code) is answered as an unknown one is, word for
    word: no code of another region is confirmed.
    """
    try:
        yield
    except CaseError as error:
        session.rollback()
        detail = str(error)
        if isinstance(error, IllegalMove):
            code = _MOVE_STATUS[error.rule]
        elif isinstance(error, UnknownCase | CaseOutOfScope):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(error, CaseConflict):
            code = status.HTTP_409_CONFLICT
        else:
            code = status.HTTP_422_UNPROCESSABLE_CONTENT
        if code == status.HTTP_404_NOT_FOUND and case is not None:
            detail = f"case {case!r}: no such case"
        raise HTTPException(code, detail=detail) from None


def _now() -> dt.datetime:
    return clock.now().astimezone(BEIJING)


# -- reading helpers -------------------------------------------------------------------------------


def _titles(session: Session, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Case code -> (title, region name) for ``codes``."""
    if not codes:
        return {}
    rows = session.execute(
        select(Case.code, Case.title, Region.name)
        .join(Region, Region.id == Case.region_id)
        .where(Case.code.in_(list(codes)))
    ).tuples()
    return {code: (title, name) for code, title, name in rows}


def _rows(session: Session, items: Sequence[CaseListItem]) -> list[CaseRow]:
    names = _titles(session, [item.code for item in items])
    return [
        CaseRow(**item.model_dump(by_alias=False), title=names[item.code][0], region_name=names[item.code][1])
        for item in items
    ]


def _flat(rows: Sequence[BaseModel]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in rows]


def _allowed_moves(session: Session, user: User, case: Case, now: dt.datetime) -> list[str]:
    """The actions ``user`` may make on ``case`` now, by the workflow itself (a reason and one evidence
    file stand in for those the person will give)."""
    actor = actor_of(session=session, username=user.username)
    contains = region_contains(session=session)
    stand_in = [Evidence.of("evidence", b"")]
    view = _CaseRef(case.code, case.state, case.region.code)
    allowed = []
    for action in Action:
        try:
            decide_move(view, action, actor, now, "reason", stand_in, contains=contains)
        except IllegalMove:
            continue
        allowed.append(action.value)
    return allowed


class _CaseRef:
    __slots__ = ("code", "region", "state")

    def __init__(self, code: str, state: str, region: str) -> None:
        self.code, self.state, self.region = code, state, region


def _petition_view(session: Session, case: Case) -> PetitionView:
    def when(value: dt.datetime | None) -> dt.datetime | None:
        return beijing(value) if value is not None else None

    duplicates = session.scalars(select(Case.code).where(Case.duplicate_of_id == case.id).order_by(Case.code))
    return PetitionView(
        received_at=when(case.received_at),
        accepted_at=when(case.accepted_at),
        answered_at=when(case.answered_at),
        accept_by=case.accept_by,
        handle_by=case.handle_by,
        outcome=case.outcome,
        duplicate_of=case.duplicate_of.code if case.duplicate_of is not None else None,
        duplicates=list(duplicates),
        visits=[
            VisitView(at=beijing(v.at), user=v.username, finding=v.finding, satisfied=v.satisfied)
            for v in case.visits
        ],
    )


def _case_view(session: Session, user: User, scope: Scope, code: str) -> CaseView:
    now = _now()
    detail = show_case(session=session, code=code, scope=scope)
    case = get_case(session=session, code=code, scope=scope)
    open_case = case.state in OPEN_STATES
    nodes = [
        NodeView(
            key=node.seq,
            due=node.due,
            task=node.task,
            done=node.done,
            days_overdue=max(beijing_days_past(node.due, now), 0) if open_case and not node.done else 0,
        )
        for node in case.nodes
    ]
    return CaseView(
        **detail.model_dump(by_alias=False, exclude={"nodes"}),
        nodes=nodes,
        as_of=now,
        region_name=case.region.name,
        description=case.description,
        lead_unit=case.lead_unit,
        cooperating_units=list(case.cooperating_units or []),
        responsible=case.responsible,
        measures=case.measures,
        days_overdue=max(beijing_days_past(case.next_due, now), 0) if open_case else 0,
        moves=_allowed_moves(session, user, case, now),
        # Staff who see the case may mark its nodes done while it is being worked on (the service's
        # complete_node: staff in the case's region).
        may_complete_nodes=open_case,
        petition=_petition_view(session, case) if case.kind == CaseKind.petition else None,
    )


# -- routes ----------------------------------------------------------------------------------------


@router.get("", response_model=CaseRows, responses={**READ_ERRORS, **TABLE_RESPONSES})
def list_page(
    session: SessionDep,
    scope: ScopeDep,
    batch: BatchQuery = None,
    region: RegionCode = None,
    state: StateQuery = None,
    kind: KindQuery = None,
    overdue: Annotated[bool, Query(description="Only the overdue cases (most overdue first)")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: FormatQuery = TableFormat.json,
) -> CaseRows | Response:
    """The cases in scope that match, by code (overdue: most overdue first); paged (downloads are whole)."""
    now = _now()
    whole = fmt is not TableFormat.json
    with answers(session):
        page = list_cases(
            session=session,
            now=now,
            batch=batch,
            region=region,
            state=state.value if state is not None else None,
            kind=kind.value if kind is not None else None,
            overdue=overdue,
            scope=scope,
            limit=None if whole else limit,
            offset=0 if whole else offset,
        )
    items, total = page.items, page.total
    rows = _rows(session, items)
    if whole:
        return table_response(_flat(rows), fmt, "cases", columns=list(CaseRow.model_fields))
    return CaseRows(as_of=now, total=total, limit=limit, offset=offset, items=rows)


@router.get("/board", response_model=CaseBoard, responses=READ_ERRORS)
def board(
    session: SessionDep, scope: ScopeDep, batch: BatchQuery = None, region: RegionCode = None
) -> CaseBoard:
    """The cases in scope by state: each state's count and its first cases by code."""
    now = _now()
    columns = []
    with answers(session):
        for case_state in CaseState:
            page = list_cases(
                session=session,
                now=now,
                batch=batch,
                region=region,
                state=case_state.value,
                scope=scope,
                limit=BOARD_CARDS,
            )
            cards = [
                BoardCard(**row.model_dump(include=set(BoardCard.model_fields)))
                for row in _rows(session, page.items)
            ]
            columns.append(BoardColumn(state=case_state, count=page.total, cases=cards))
    return CaseBoard(as_of=now, states=columns)


@router.get("/overdue", response_model=OverdueRows, responses={**READ_ERRORS, **TABLE_RESPONSES})
def overdue_list(
    session: SessionDep,
    scope: ScopeDep,
    batch: BatchQuery = None,
    region: RegionCode = None,
    limit: Limit = 100,
    offset: Offset = 0,
    fmt: FormatQuery = TableFormat.json,
) -> OverdueRows | Response:
    """The overdue cases in scope, most overdue first, with the date and node the days are counted on
    and the highest escalation step recorded."""
    now = _now()
    whole = fmt is not TableFormat.json
    with answers(session):
        page = list_cases(
            session=session,
            now=now,
            batch=batch,
            region=region,
            overdue=True,
            scope=scope,
            limit=None if whole else limit,
            offset=0 if whole else offset,
        )
    rows = _rows(session, page.items)
    counted = {
        code: (next_due, node) for code, next_due, node in _counted_on(session, [row.code for row in rows])
    }
    items = [
        OverdueRow(**row.model_dump(by_alias=False), due=counted[row.code][0], node=counted[row.code][1])
        for row in rows
    ]
    if whole:
        return table_response(_flat(items), fmt, "cases-overdue", columns=list(OverdueRow.model_fields))
    return OverdueRows(as_of=now, total=page.total, limit=limit, offset=offset, items=items)


def _counted_on(session: Session, codes: Sequence[str]) -> list[tuple[str, dt.date, int | None]]:
    """(code, next_due, the node whose due date it is, or None for the deadline) of each case."""
    if not codes:
        return []
    cases = session.execute(
        select(Case.id, Case.code, Case.next_due).where(Case.code.in_(list(codes)))
    ).tuples()
    out = []
    by_id = {case_id: (code, next_due) for case_id, code, next_due in cases}
    nodes: dict[int, int] = {}
    for case_id, seq, due in session.execute(
        select(CaseNode.case_id, CaseNode.seq, CaseNode.due)
        .where(CaseNode.case_id.in_(list(by_id)), CaseNode.done.is_(False))
        .order_by(CaseNode.case_id, CaseNode.due, CaseNode.seq)
    ).tuples():
        if case_id not in nodes and due == by_id[case_id][1]:
            nodes[case_id] = seq
    for case_id, (code, next_due) in by_id.items():
        out.append((code, next_due, nodes.get(case_id)))
    return out


class BatchFacet(BaseModel):
    code: str
    cases: int = Field(description="The batch's cases in scope")


class RegionFacet(BaseModel):
    code: str
    name: str
    level: str
    cases: int = Field(description="Cases in scope of this region itself (not below)")


class CaseFacets(BaseModel):
    """What the pages' filters offer: the batches with cases in scope, and the regions of those cases
    with the regions above them (in scope), by code."""

    as_of: dt.datetime = Field(description="When the answer was made (Beijing time)")
    batches: list[BatchFacet]
    regions: list[RegionFacet]


@router.get("/facets", response_model=CaseFacets, responses=SCOPE_ERRORS)
def facets(session: SessionDep, scope: ScopeDep) -> CaseFacets:
    """The batches and regions the user's cases are in, for the filters of the pages."""
    in_scope = Case.region_id.in_(sorted(scope.region_ids)) if not scope.everything else true()
    batches = [
        BatchFacet(code=code, cases=count)
        for code, count in session.execute(
            select(Case.batch, func.count()).where(in_scope).group_by(Case.batch).order_by(Case.batch)
        ).tuples()
    ]
    counts = dict(
        session.execute(select(Case.region_id, func.count()).where(in_scope).group_by(Case.region_id))
        .tuples()
        .all()
    )
    shown: dict[str, RegionFacet] = {}
    for region in session.scalars(select(Region).where(Region.id.in_(list(counts)))):
        for each in [region, *region_ancestors(session=session, region=region)]:
            if each.code not in shown and scope.has_region(each):
                shown[each.code] = RegionFacet(
                    code=each.code, name=each.name, level=each.level, cases=counts.get(each.id, 0)
                )
    return CaseFacets(as_of=_now(), batches=batches, regions=[shown[code] for code in sorted(shown)])


@router.get("/stats", response_model=BatchStats, responses=READ_ERRORS)
def statistics(
    session: SessionDep, scope: ScopeDep, batch: Annotated[str, Query(max_length=64, description="The batch")]
) -> BatchStats:
    """``cases stats``: a batch's total, closed, on schedule, overdue, closing rate, by state and by
    escalation step (of the cases in scope)."""
    with answers(session):
        return batch_stats(session=session, batch=batch, now=_now(), scope=scope)


@router.get("/lists", response_model=list[GroupStats], responses={**READ_ERRORS, **TABLE_RESPONSES})
def itemised_lists(
    session: SessionDep,
    scope: ScopeDep,
    batch: Annotated[str, Query(max_length=64, description="The batch")],
    by: Annotated[Literal["region", "unit"], Query(description="Per region or per lead unit")] = "region",
    fmt: FormatQuery = TableFormat.json,
) -> list[GroupStats] | Response:
    """The itemised list of a batch per region or lead unit: total, closed, on schedule, overdue, closing
    rate, escalation counts."""
    with answers(session):
        rows = itemised(session=session, batch=batch, by=by, now=_now(), scope=scope)
    if fmt is not TableFormat.json:
        flat = []
        for row in rows:
            data = row.model_dump(mode="json", exclude={"by_state", "by_escalation"})
            data.update({f"state_{k}": v for k, v in row.by_state.items()})
            data.update({f"step_{k}": v for k, v in row.by_escalation.items()})
            flat.append(data)
        return table_response(flat, fmt, f"cases-{batch}-by-{by}", sheet=(batch, by))
    return rows


@router.get("/trend", response_model=list[TrendMonth], responses={**READ_ERRORS, **TABLE_RESPONSES})
def trend(
    session: SessionDep,
    scope: ScopeDep,
    batch: Annotated[str, Query(max_length=64, description="The batch")],
    fmt: FormatQuery = TableFormat.json,
) -> list[TrendMonth] | Response:
    """Per Beijing month: the batch's cases opened, closed and reopened."""
    with answers(session):
        rows = monthly_trend(session=session, batch=batch, scope=scope)
    if fmt is not TableFormat.json:
        return table_response(_flat(rows), fmt, f"cases-{batch}-trend", columns=list(TrendMonth.model_fields))
    return rows


@router.get("/notifications", response_model=Notifications, responses=SCOPE_ERRORS)
def notifications(
    session: SessionDep,
    user: CurrentUser,
    unread: Annotated[bool, Query(description="Only those not yet read")] = False,
    limit: Limit = 100,
) -> Notifications:
    """The escalation notifications of the signed-in user, newest first, and how many are unread."""
    mine = CaseNotification.user_id == user.id
    query = (
        select(CaseNotification, Case.code)
        .join(Case, Case.id == CaseNotification.case_id)
        .where(mine)
        .order_by(CaseNotification.created_at.desc(), CaseNotification.id.desc())
    )
    if unread:
        query = query.where(CaseNotification.read_at.is_(None))
    count = session.scalar(
        select(func.count()).select_from(CaseNotification).where(mine, CaseNotification.read_at.is_(None))
    )
    items = [
        Notification(
            id=note.id,
            case=code,
            step=note.step,
            node=note.node,
            title=note.title,
            body=note.body,
            created_at=beijing(note.created_at),
            read_at=beijing(note.read_at) if note.read_at is not None else None,
        )
        for note, code in session.execute(query.limit(limit)).tuples()
    ]
    return Notifications(unread=count or 0, items=items)


@router.post("/notifications/read", response_model=Notifications, responses=SCOPE_ERRORS)
def read_notifications(
    session: WriteSessionDep,
    user: CurrentUser,
    ids: Annotated[
        list[NotificationId], Query(alias="id", max_length=1000, description="Those read; none: all")
    ] = [],  # noqa: B006
) -> Notifications:
    """Mark the user's notifications read (those given, or all unread)."""
    query = update(CaseNotification).where(
        CaseNotification.user_id == user.id, CaseNotification.read_at.is_(None)
    )
    if ids:
        query = query.where(CaseNotification.id.in_(ids))
    session.execute(query.values(read_at=clock.now().astimezone(dt.UTC)))
    session.commit()
    return notifications(session=session, user=user, unread=False, limit=100)


class EscalationRun(BaseModel):
    dry_run: bool
    steps: list[StepRead]


@router.post("/escalate", response_model=EscalationRun, responses=SCOPE_ERRORS)
def escalation_run(
    session: WriteSessionDep,
    _admin: AdminUser,
    dry_run: Annotated[bool, Query(description="Only say what would be recorded")] = False,
) -> EscalationRun:
    """Record the escalation steps every open case has reached now (admins), as the scheduler does, with
    the users' notifications; a second run at the same time records nothing."""
    with answers(session):
        if dry_run:
            steps = escalate(session=session, now=clock.now(), dry_run=True)
        else:  # the steps and their notifications in one transaction; the scheduler's outbox e-mails them
            steps = escalate_and_notify(session=session, now=clock.now())
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return EscalationRun(dry_run=dry_run, steps=[step.read() for step in steps])


#: What the import takes: the ``.xlsx`` file as the body, typed as such or as bytes.
IMPORT_TYPES = frozenset({XLSX_TYPE, "application/octet-stream"})


class ImportAnswer(BaseModel):
    """What an import added."""

    batch: str
    kind: str
    imported: int
    codes: list[str]


@router.post(
    "/import",
    response_model=ImportAnswer,
    status_code=status.HTTP_201_CREATED,
    responses={**MOVE_ERRORS, 415: {"model": Problem}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_batch(
    request: Request,
    session: WriteSessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    batch: Annotated[str, Query(min_length=1, max_length=64, description="The batch the cases join")],
    kind: Annotated[CaseKind, Query(description="What the cases are")],
) -> ImportAnswer | Response:
    """Import the Excel list of an inspection office (the ``.xlsx`` file as the body, the columns of
    ``ecowatch cases import``): all of it, or nothing when any row has a problem (422 lists every one
    with its row and column in ``problems``).  For admins and province users, whose region must hold
    every case of the list."""
    if user.role not in (Role.admin, Role.province):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="cases: only an admin or a province user imports"
        )
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in IMPORT_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"content-type: send the file as {XLSX_TYPE} (or application/octet-stream)",
        )
    data = await request.body()

    def run() -> ImportAnswer | Response:
        try:
            added = import_cases(
                session=session,
                data=data,
                source="upload.xlsx",
                batch=batch,
                kind=kind,
                actor=user.username,
                now=clock.now(),
            )
        except CaseImportError as error:
            session.rollback()
            problems = [{"row": p.row, "column": p.column, "reason": p.reason} for p in error.problems]
            return JSONResponse(
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                content={"detail": str(error), "problems": problems},
            )
        outside = sorted(case.code for case in added if not scope.has_region(case.region))
        if outside:
            session.rollback()
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"cases {', '.join(outside)}: outside your region; nothing imported",
            )
        session.commit()
        return ImportAnswer(
            batch=batch, kind=kind.value, imported=len(added), codes=[case.code for case in added]
        )

    with answers(session):
        return await run_in_threadpool(run)


@router.get("/{code}", response_model=CaseView, responses=READ_ERRORS)
def show(code: CaseCode, session: SessionDep, scope: ScopeDep, user: CurrentUser) -> CaseView:
    """One case: its facts, nodes, escalations and history, and the moves the user may make now."""
    with answers(session, code):
        return _case_view(session, user, scope, code)


@router.post("/{code}/moves", response_model=CaseView, responses=MOVE_ERRORS)
def make_move(
    code: CaseCode,
    session: WriteSessionDep,
    scope: ScopeDep,
    user: CurrentUser,
    action: Annotated[
        Action, Form(description="The move: assign, start, submit, preexamine, close, return, reopen")
    ],
    reason: Annotated[
        str | None, Form(max_length=2000, description="Why (required to return or reopen)")
    ] = None,
    evidence: Annotated[list[UploadFile], File(description="Evidence files (at least one to submit)")] = [],  # noqa: B006
) -> CaseView:
    """Make a move on a case as the signed-in user, now; the case as it is afterwards.

    Send ``multipart/form-data``: ``action``, ``reason``, and ``evidence`` once per file (the file's
    name and its SHA-256 go into the history; the bytes are kept).
    """
    files = [(upload.filename or "", upload.file.read()) for upload in evidence]
    with answers(session, code):
        get_case(session=session, code=code, scope=scope)  # a case out of scope reads as unknown
        move_case(
            session=session,
            code=code,
            action=action,
            username=user.username,
            now=clock.now(),
            reason=reason,
            evidence=files,
        )
    session.commit()
    with answers(session, code):
        return _case_view(session, user, scope, code)


@router.post("/{code}/nodes/{seq}/done", response_model=CaseView, responses=MOVE_ERRORS)
def node_done(
    code: CaseCode,
    seq: Annotated[int, Path(ge=1, le=1000, description="The node's number within the case")],
    session: WriteSessionDep,
    scope: ScopeDep,
    user: CurrentUser,
) -> CaseView:
    """Mark a node done (staff in the case's region): the ladder counts on the next open node."""
    with answers(session, code):
        get_case(session=session, code=code, scope=scope)
        complete_node(session=session, code=code, seq=seq, username=user.username, now=clock.now())
    session.commit()
    with answers(session, code):
        return _case_view(session, user, scope, code)


class VisitBody(RequestBody):
    finding: str = Field(min_length=1, max_length=2000, description="What the follow-up visit found")
    satisfied: bool = Field(description="Whether the petitioner was satisfied")


class DuplicateBody(RequestBody):
    of: str = Field(min_length=1, max_length=64, description="The petition this one repeats")


class OutcomeBody(RequestBody):
    outcome: PetitionOutcome = Field(description="closed (已办结) or stage_closed (阶段性办结)")


@router.post("/{code}/visits", response_model=CaseView, responses=MOVE_ERRORS)
def visit(
    code: CaseCode, body: VisitBody, session: WriteSessionDep, scope: ScopeDep, user: CurrentUser
) -> CaseView:
    """Record a follow-up visit (回访) of a closed petition; an unsatisfied one is a reason to reopen it."""
    with answers(session, code):
        get_case(session=session, code=code, scope=scope)
        record_visit(
            session=session,
            code=code,
            username=user.username,
            finding=body.finding,
            satisfied=body.satisfied,
            now=clock.now(),
        )
    session.commit()
    with answers(session, code):
        return _case_view(session, user, scope, code)


@router.post("/{code}/duplicate", response_model=CaseView, responses=MOVE_ERRORS)
def duplicate(
    code: CaseCode, body: DuplicateBody, session: WriteSessionDep, scope: ScopeDep, user: CurrentUser
) -> CaseView:
    """Mark a petition a duplicate of another (the same site and matter): linked to the first one."""
    with answers(session, code):
        get_case(session=session, code=code, scope=scope)
    with answers(session, body.of):
        get_case(session=session, code=body.of, scope=scope)
    with answers(session, code):
        link_duplicate(session=session, code=code, of=body.of, username=user.username, now=clock.now())
    session.commit()
    with answers(session, code):
        return _case_view(session, user, scope, code)


@router.post("/{code}/outcome", response_model=CaseView, responses=MOVE_ERRORS)
def outcome(
    code: CaseCode, body: OutcomeBody, session: WriteSessionDep, scope: ScopeDep, user: CurrentUser
) -> CaseView:
    """Set a petition's outcome (province users and admins, once pre-examined or closed)."""
    with answers(session, code):
        get_case(session=session, code=code, scope=scope)
        set_outcome(session=session, code=code, outcome=body.outcome, username=user.username, now=clock.now())
    session.commit()
    with answers(session, code):
        return _case_view(session, user, scope, code)


@router.get(
    "/{code}/evidence/{sha256}",
    responses={**READ_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
)
def evidence_download(
    code: CaseCode,
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The file's SHA-256 (hex)")],
    session: SessionDep,
    scope: ScopeDep,
) -> Response:
    """An evidence file of a case's history, under the name it was sent with."""
    with answers(session, code):
        get_case(session=session, code=code, scope=scope)
    with answers(session):
        name, content = evidence_file(session=session, code=code, sha256=sha256, scope=scope)
    return Response(
        content=content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
