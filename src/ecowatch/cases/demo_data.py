"""The demo's closed-loop cases: one small, clearly fictional batch in the demo's Beijing districts.

``ecowatch demo`` calls :func:`seed_demo_cases` after the demo users exist, so a new user opening
``/cases`` finds a batch to look at: rectification tasks with nodes (整改任务), one typical case
(典型案例) and a few petitions (信访: received, accepted, answered, a duplicate, a follow-up visit), in
varied states.  Every state is reached through the service's own moves (:mod:`ecowatch.cases.service`,
the demo users making them, a small evidence file with each submission), so the history chains hold
(``ecowatch audit verify``), and the escalation is run once, three days before "now", through
:func:`ecowatch.cases.notify.escalate_and_notify`, so steps and notifications exist and
``ecowatch cases escalate`` still has steps to record today.

All dates count from :func:`ecowatch.clock.now` (``ECOWATCH_NOW`` too), so the batch has overdue
cases whenever the demo is run.  Every title says "(demo)": no screenshot can pass them off as real.
Idempotent: when the batch :data:`DEMO_BATCH` is in the store, nothing is added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecowatch.cases import notify
from ecowatch.cases.models import Case, CaseBatch, CaseKind, PetitionOutcome
from ecowatch.cases.service import (
    CaseInput,
    NodeInput,
    add_cases,
    complete_node,
    link_duplicate,
    move_case,
    record_visit,
    set_outcome,
)
from ecowatch.clock import BEIJING

__all__ = [
    "DEMO_BATCH",
    "DEMO_BATCH_TITLE",
    "DEMO_ESCALATION_DAYS_AGO",
    "DEMO_EVIDENCE",
    "DemoCases",
    "seed_demo_cases",
]

DEMO_BATCH = "DEMO-2026-R1"
DEMO_BATCH_TITLE = "演示 2026 年第一轮督察整改 (demo round, fictional)"
#: The demo's escalation run is made this many days before "now" (so today's run has new steps).
DEMO_ESCALATION_DAYS_AGO = 3
#: The evidence file sent with each submission: (name, bytes).
DEMO_EVIDENCE = (
    "整改完成情况说明-demo.txt",
    "整改完成情况说明（演示数据，虚构）\nRectification report (demo data, fictional).\n".encode(),
)

# The demo's users (ecowatch.demo.DEMO_USERS; a higher layer, so named here).
_ADMIN = "admin"
_CITY = "beijing"
_CHAOYANG = "chaoyang"


@dataclass(frozen=True, slots=True)
class DemoCases:
    """What :func:`seed_demo_cases` added: cases, history entries (moves), escalation steps recorded."""

    cases: int = 0
    moves: int = 0
    steps: int = 0


def _day(today: dt.date, days: int) -> dt.date:
    return today + dt.timedelta(days=days)


def _cases(today: dt.date) -> tuple[list[CaseInput], list[CaseInput], list[CaseInput]]:
    """The rectification tasks, the typical case and the petitions; dates from Beijing ``today``."""

    def rect(
        code: str,
        title: str,
        region: str,
        unit: str,
        deadline: int,
        nodes: tuple[tuple[int, str], ...],
        measures: str = "",
    ) -> CaseInput:
        return CaseInput(
            code=code,
            title=title,
            region=region,
            lead_unit=unit,
            deadline=_day(today, deadline),
            cooperating_units=("区城市管理委员会 (demo)",),
            responsible="演示负责人 (demo)",
            measures=measures,
            description="演示数据，虚构 / demo data, fictional",
            nodes=tuple(NodeInput(due=_day(today, due), task=task) for due, task in nodes),
        )

    rectification = [
        rect(
            "DEMO-ZG-01",
            "示范热电 1号锅炉脱硝设施提标改造 (demo)",
            "110105",
            "朝阳区生态环境局 (demo)",
            60,
            ((-50, "提交整改方案 / rectification plan"), (-16, "完成设备改造 / equipment retrofit")),
            "SCR 脱硝催化剂更换，NOx 在线监测联网",
        ),
        rect(
            "DEMO-ZG-02",
            "建筑工地扬尘治理不到位 (demo)",
            "110105",
            "朝阳区住房和城乡建设委员会 (demo)",
            -5,
            ((-30, "工地围挡、苫盖、冲洗 / fencing, covers, wheel wash"),),
        ),
        rect(
            "DEMO-ZG-03",
            "示范污水厂总排口氨氮超标整改 (demo)",
            "110112",
            "通州区水务局 (demo)",
            20,
            ((-20, "提标改造方案 / upgrade plan"),),
        ),
        rect(
            "DEMO-ZG-04",
            "示范水泥窑尾颗粒物无组织排放整改 (demo)",
            "110111",
            "房山区生态环境局 (demo)",
            45,
            ((1, "料场全封闭 / enclose the stockyard"),),
        ),
        rect(
            "DEMO-ZG-05",
            "餐饮服务单位油烟净化设施整改 (demo)",
            "110108",
            "海淀区生态环境局 (demo)",
            10,
            ((-10, "安装油烟净化器 / fit fume purifiers"),),
        ),
        rect(
            "DEMO-ZG-06",
            "河道沿岸垃圾堆放及黑臭水体治理 (demo)",
            "110106",
            "丰台区水务局 (demo)",
            90,
            ((-35, "清理沿岸垃圾 / clear the banks"), (60, "水质达标 / water quality met")),
        ),
        rect(
            "DEMO-ZG-07",
            "老旧小区燃煤锅炉清洁能源改造 (demo)",
            "110101",
            "东城区城市管理委员会 (demo)",
            120,
            ((30, "改造方案 / plan"), (90, "完成改造 / done")),
        ),
        rect(
            "DEMO-ZG-08",
            "“散乱污”企业清理整治 (demo)",
            "110105",
            "朝阳区生态环境局 (demo)",
            30,
            ((-2, "完成排查建档 / survey and register"),),
        ),
    ]
    typical = [
        rect(
            "DEMO-DX-01",
            "典型案例：某企业自动监测数据弄虚作假 (demo)",
            "110112",
            "通州区生态环境局 (demo)",
            -10,
            ((-25, "立案查处 / open an enforcement case"),),
            "责令改正，依法处罚，移送公安机关",
        )
    ]
    petitions = [
        rect(
            "DEMO-XF-01",
            "信访：工地夜间施工噪声扰民 (demo)",
            "110105",
            "朝阳区生态环境局 (demo)",
            -1,
            (),
        ),
        rect(
            "DEMO-XF-02",
            "信访：工地夜间施工噪声扰民（重复件） (demo)",
            "110105",
            "朝阳区生态环境局 (demo)",
            40,
            (),
        ),
        rect(
            "DEMO-XF-03",
            "信访：小区底商餐馆油烟扰民 (demo)",
            "110108",
            "海淀区生态环境局 (demo)",
            40,
            (),
        ),
        rect(
            "DEMO-XF-04",
            "信访：石料加工粉尘污染 (demo)",
            "110111",
            "房山区生态环境局 (demo)",
            30,
            (),
        ),
    ]
    return rectification, typical, petitions


def seed_demo_cases(*, session: Session, now: dt.datetime, actor: str = "demo") -> DemoCases:
    """Add the demo batch :data:`DEMO_BATCH` to the store in ``session`` (the caller commits); nothing
    when it is there already.  ``now`` (aware): the demo's "now"; the cases were imported 60 days
    before it (the petitions 20), moved since, and escalated :data:`DEMO_ESCALATION_DAYS_AGO` days
    before it.

    The demo users (admin, the city user ``beijing``, the county user ``chaoyang``) and the demo's
    districts must be in the store.  The escalation run is made only when the store holds no case of
    another batch (it would record steps of those cases at a past time).
    """
    if session.get(CaseBatch, DEMO_BATCH) is not None:
        return DemoCases()
    now = now.replace(microsecond=0)
    today = now.astimezone(BEIJING).date()

    def ago(days: float) -> dt.datetime:
        return now - dt.timedelta(days=days)

    moves = 0

    def move(code: str, action: str, user: str, days: float, reason: str | None = None) -> None:
        nonlocal moves
        evidence = [DEMO_EVIDENCE] if action == "submit" else []
        move_case(
            session=session,
            code=code,
            action=action,
            username=user,
            now=ago(days),
            reason=reason,
            evidence=evidence,
        )
        moves += 1

    def node(code: str, seq: int, user: str, days: float) -> None:
        complete_node(session=session, code=code, seq=seq, username=user, now=ago(days))

    rectification, typical, petitions = _cases(today)
    added = add_cases(
        session=session,
        batch=DEMO_BATCH,
        kind=CaseKind.rectification,
        cases=rectification,
        actor=actor,
        now=ago(60),
    )
    added += add_cases(
        session=session, batch=DEMO_BATCH, kind=CaseKind.typical, cases=typical, actor=actor, now=ago(60)
    )
    added += add_cases(
        session=session, batch=DEMO_BATCH, kind=CaseKind.petition, cases=petitions, actor=actor, now=ago(20)
    )
    batch = session.get(CaseBatch, DEMO_BATCH)
    assert batch is not None  # add_cases made it
    batch.title = DEMO_BATCH_TITLE

    # Assigned to their lead units by the city (every case but the one just registered).
    for case in added:
        if case.code in ("DEMO-ZG-07", "DEMO-XF-02"):
            continue
        move(case.code, "assign", _CITY, 58 if case.kind != CaseKind.petition else 18)
    # Work started by the district (朝阳 by its own user, the others by the city).
    for case in added:
        if case.code in ("DEMO-ZG-07", "DEMO-XF-02", "DEMO-ZG-06"):
            continue
        move(
            case.code,
            "start",
            _CHAOYANG if case.region_code == "110105" else _CITY,
            57 if case.kind != CaseKind.petition else 17,
        )

    node("DEMO-ZG-01", 1, _CHAOYANG, 51)  # plan in on time; the retrofit (node 2) is late
    # DEMO-ZG-02: the whole loop, closed.
    node("DEMO-ZG-02", 1, _CHAOYANG, 31)
    move("DEMO-ZG-02", "submit", _CHAOYANG, 30)
    move("DEMO-ZG-02", "preexamine", _CITY, 28)
    move("DEMO-ZG-02", "close", _ADMIN, 25)
    # DEMO-ZG-03: submitted, waiting for the city's check.
    node("DEMO-ZG-03", 1, _CITY, 21)
    move("DEMO-ZG-03", "submit", _CITY, 10)
    # DEMO-ZG-04: submitted, returned for what was missing, back in rectification.
    move("DEMO-ZG-04", "submit", _CITY, 15)
    move("DEMO-ZG-04", "return", _CITY, 12, "料场东侧仍未封闭，补充现场照片 / east side still open")
    # DEMO-ZG-05: pre-examined on site, waiting for the signed review.
    node("DEMO-ZG-05", 1, _CITY, 12)
    move("DEMO-ZG-05", "submit", _CITY, 9)
    move("DEMO-ZG-05", "preexamine", _CITY, 6)
    # DEMO-DX-01: the typical case, closed.
    node("DEMO-DX-01", 1, _CITY, 26)
    move("DEMO-DX-01", "submit", _CITY, 20)
    move("DEMO-DX-01", "preexamine", _CITY, 18)
    move("DEMO-DX-01", "close", _ADMIN, 14)
    # Petitions: XF-01 answered and visited; XF-02 its duplicate; XF-03 being handled; XF-04 answered
    # at a stage (阶段性办结).
    move("DEMO-XF-01", "submit", _CHAOYANG, 12)
    move("DEMO-XF-01", "preexamine", _CITY, 10)
    move("DEMO-XF-01", "close", _ADMIN, 8)
    record_visit(
        session=session,
        code="DEMO-XF-01",
        username=_CHAOYANG,
        finding="已停止夜间施工，信访人表示满意 / night work stopped, petitioner satisfied",
        satisfied=True,
        now=ago(5),
    )
    link_duplicate(session=session, code="DEMO-XF-02", of="DEMO-XF-01", username=_CHAOYANG, now=ago(15))
    move("DEMO-XF-04", "submit", _CITY, 10)
    move("DEMO-XF-04", "preexamine", _CITY, 8)
    set_outcome(
        session=session, code="DEMO-XF-04", outcome=PetitionOutcome.stage_closed, username=_ADMIN, now=ago(7)
    )
    move("DEMO-XF-04", "close", _ADMIN, 7)

    steps = 0
    others = session.scalar(select(func.count()).select_from(Case).where(Case.batch != DEMO_BATCH))
    if not others:
        steps = len(notify.escalate_and_notify(session=session, now=ago(DEMO_ESCALATION_DAYS_AGO)))
    session.flush()
    return DemoCases(cases=len(added), moves=moves, steps=steps)
