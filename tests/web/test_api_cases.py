"""``/api/v1/cases``: scoping, moves by role, evidence, errors, lists and downloads (issue 16).

The web fixture store (``conftest.py``: 北京市 > 北京 > 朝阳区/海淀区, 河北省 > 石家庄 > 长安区, and the users
admin, bj, bjcity, chaoyang, hebei, ent_cy) gets one batch of four cases, added and moved by the
cases service as an inspection office would (:func:`add_cases_to`)::

    CY-001  朝阳区 110105  rectifying  nodes 2026-04-20 提交整改方案, 2026-06-30 完成整改; deadline 06-30
    HD-001  海淀区 110108  rectifying  deadline 2026-06-30, no node
    SJZ-001 长安区 130102  rectifying  deadline 2026-03-31, no node
    BJ-001  北京市 110100  registered  deadline 2026-12-31

"Now" is :data:`NOW` (``ECOWATCH_NOW``), Beijing 2026-05-04 09:00: CY-001 is 14 days past its first
node, SJZ-001 34 days past its deadline; the others are on schedule.  The expected values below are
worked out by hand from those dates and the rules of issue 16.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from ecowatch.cases.service import CaseInput, NodeInput, add_cases, move_case
from ecowatch.clock import BEIJING
from ecowatch.store import make_engine, session_factory
from ecowatch.web.app import MAX_BODY_BYTES
from ecowatch.web.tables import XLSX_TYPE

NOW = "2026-05-04T09:00:00+08:00"
BATCH = "ZY-2026-1"
#: SHA-256 of b"abc" (FIPS 180-2, appendix B.1).
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

CASES = (
    CaseInput(
        code="CY-001",
        title="朝阳区某化工厂废水直排",
        region="110105",
        lead_unit="朝阳区生态环境局",
        deadline=dt.date(2026, 6, 30),
        cooperating_units=("朝阳区水务局",),
        responsible="张三",
        measures="截污纳管，限期整改",
        nodes=(NodeInput(dt.date(2026, 4, 20), "提交整改方案"), NodeInput(dt.date(2026, 6, 30), "完成整改")),
    ),
    CaseInput(
        code="HD-001",
        title="海淀区餐饮油烟扰民",
        region="110108",
        lead_unit="海淀区生态环境局",
        deadline=dt.date(2026, 6, 30),
    ),
    CaseInput(
        code="SJZ-001",
        title="长安区工地扬尘",
        region="130102",
        lead_unit="长安区住建局",
        deadline=dt.date(2026, 3, 31),
    ),
    CaseInput(
        code="BJ-001",
        title="北京市重点排污单位名录更新",
        region="110100",
        lead_unit="北京市生态环境局",
        deadline=dt.date(2026, 12, 31),
    ),
)
STARTED = ("CY-001", "HD-001", "SJZ-001")
#: The cases each user may see.
VISIBLE = {
    "admin": ["BJ-001", "CY-001", "HD-001", "SJZ-001"],
    "bj": ["BJ-001", "CY-001", "HD-001"],
    "bjcity": ["BJ-001", "CY-001", "HD-001"],
    "chaoyang": ["CY-001"],
    "hebei": ["SJZ-001"],
}


def add_cases_to(url: str) -> None:
    """The batch of the module docstring, added on 2026-03-02 and moved to ``rectifying`` by the admin."""
    engine = make_engine(url)
    added = dt.datetime(2026, 3, 2, 9, tzinfo=BEIJING)
    try:
        with session_factory(engine).begin() as session:
            add_cases(
                session=session, batch=BATCH, kind="rectification", cases=CASES, actor="test", now=added
            )
            for code in STARTED:
                for action in ("assign", "start"):
                    move_case(session=session, code=code, action=action, username="admin", now=added)
    finally:
        engine.dispose()


@pytest.fixture
def now(monkeypatch) -> str:
    monkeypatch.setenv("ECOWATCH_NOW", NOW)
    return NOW


@pytest.fixture
def cases_client(fresh_store_url, fresh_app, now) -> Iterator[TestClient]:
    add_cases_to(fresh_store_url)
    with TestClient(fresh_app) as test_client:
        yield test_client


@pytest.fixture
def as_user(cases_client, fresh_auth) -> Callable[..., dict[str, str]]:
    return fresh_auth


def codes(answer: dict) -> list[str]:
    return [item["code"] for item in answer["items"]]


def move(client, headers, code, action, reason=None, files=()):
    data = {"action": action}
    if reason is not None:
        data["reason"] = reason
    return client.post(
        f"/api/v1/cases/{code}/moves",
        headers=headers,
        data=data,
        files=[("evidence", (name, content, "application/octet-stream")) for name, content in files],
    )


# -- reading, scoped ---------------------------------------------------------------------------------


def test_each_user_lists_the_cases_of_their_region_and_below(cases_client, as_user):
    for username, visible in VISIBLE.items():
        answer = cases_client.get("/api/v1/cases", headers=as_user(username)).json()
        assert codes(answer) == visible, username
        assert answer["total"] == len(visible)
        assert answer["as_of"] == NOW


def test_a_row_names_the_case_and_its_region_and_counts_the_days_overdue(cases_client, as_user):
    answer = cases_client.get("/api/v1/cases", headers=as_user("chaoyang")).json()
    assert answer["items"] == [
        {
            "code": "CY-001",
            "kind": "rectification",
            "batch": BATCH,
            "state": "rectifying",
            "region": "110105",
            "deadline": "2026-06-30",
            # The ladder counts on the first open node, due 2026-04-20: 14 Beijing days before 05-04.
            "days_overdue": 14,
            "escalation": None,
            "title": "朝阳区某化工厂废水直排",
            "region_name": "朝阳区",
        }
    ]


def test_filters_and_the_overdue_list(cases_client, as_user):
    admin = as_user("admin")
    get = lambda query: cases_client.get(f"/api/v1/cases{query}", headers=admin).json()  # noqa: E731
    assert codes(get("?state=registered")) == ["BJ-001"]
    assert codes(get("?region=110100")) == ["BJ-001", "CY-001", "HD-001"]
    assert codes(get("?region=110105")) == ["CY-001"]
    assert codes(get("?kind=rectification")) == VISIBLE["admin"]
    assert codes(get("?kind=petition")) == []
    assert codes(get(f"?batch={BATCH}&limit=2&offset=1")) == ["CY-001", "HD-001"]
    # Most overdue first: SJZ-001 (deadline 03-31: 34 days), CY-001 (node 04-20: 14 days).
    assert [(i["code"], i["days_overdue"]) for i in get("?overdue=true")["items"]] == [
        ("SJZ-001", 34),
        ("CY-001", 14),
    ]
    overdue = cases_client.get("/api/v1/cases/overdue", headers=admin).json()
    assert [
        (i["code"], i["due"], i["node"], i["days_overdue"], i["region_name"]) for i in overdue["items"]
    ] == [
        ("SJZ-001", "2026-03-31", None, 34, "长安区"),
        ("CY-001", "2026-04-20", 1, 14, "朝阳区"),
    ]
    # A city user's overdue list stops at the city.
    city = cases_client.get("/api/v1/cases/overdue", headers=as_user("bjcity")).json()
    assert codes(city) == ["CY-001"]


def test_an_enterprise_user_sees_no_case_and_makes_no_move(cases_client, as_user):
    headers = as_user("ent_cy")
    for path in ("/api/v1/cases", "/api/v1/cases/CY-001", "/api/v1/cases/board", "/api/v1/cases/overdue"):
        answer = cases_client.get(path, headers=headers)
        assert answer.status_code == 403, path
        assert answer.json()["detail"] == "cases: enterprise users see no cases"
    refused = move(cases_client, headers, "CY-001", "submit", files=[("photo.jpg", b"abc")])
    assert refused.status_code == 403
    assert cases_client.get("/api/v1/cases/CY-001", headers=as_user("admin")).json()["state"] == "rectifying"


def test_a_case_of_another_region_reads_as_an_unknown_one(cases_client, as_user):
    headers = as_user("chaoyang")
    outside = cases_client.get("/api/v1/cases/HD-001", headers=headers)
    unknown = cases_client.get("/api/v1/cases/NO-SUCH-1", headers=headers)
    assert (outside.status_code, unknown.status_code) == (404, 404)
    assert outside.json()["detail"] == "case 'HD-001': no such case"
    assert unknown.json()["detail"] == "case 'NO-SUCH-1': no such case"
    assert cases_client.get("/api/v1/cases", headers=None).status_code == 401


def test_the_case_page_answer(cases_client, as_user):
    case = cases_client.get("/api/v1/cases/CY-001", headers=as_user("chaoyang")).json()
    assert {key: case[key] for key in ("code", "title", "region", "region_name", "state", "deadline")} == {
        "code": "CY-001",
        "title": "朝阳区某化工厂废水直排",
        "region": "110105",
        "region_name": "朝阳区",
        "state": "rectifying",
        "deadline": "2026-06-30",
    }
    assert (case["lead_unit"], case["cooperating_units"], case["responsible"]) == (
        "朝阳区生态环境局",
        ["朝阳区水务局"],
        "张三",
    )
    assert case["nodes"] == [
        {"key": 1, "due": "2026-04-20", "task": "提交整改方案", "done": False, "days_overdue": 14},
        {"key": 2, "due": "2026-06-30", "task": "完成整改", "done": False, "days_overdue": 0},
    ]
    assert case["days_overdue"] == 14
    assert [(h["seq"], h["user"], h["action"], h["from"], h["to"]) for h in case["history"]] == [
        (1, "admin", "assign", "registered", "assigned"),
        (2, "admin", "start", "assigned", "rectifying"),
    ]
    assert case["history"][0]["at"] == "2026-03-02T09:00:00+08:00"
    assert case["moves"] == ["submit"]  # a county user, rectifying: only submit
    assert case["may_complete_nodes"] is True


# -- moves ---------------------------------------------------------------------------------------------


def test_county_submits_city_preexamines_province_closes(cases_client, as_user):
    photo = ("整改后照片.jpg", b"abc")
    submitted = move(cases_client, as_user("chaoyang"), "CY-001", "submit", "已完成截污纳管", [photo])
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["state"] == "submitted"
    last = body["history"][-1]
    assert {k: last[k] for k in ("seq", "at", "user", "action", "from", "to", "reason", "evidence")} == {
        "seq": 3,
        "at": NOW,
        "user": "chaoyang",
        "action": "submit",
        "from": "rectifying",
        "to": "submitted",
        "reason": "已完成截污纳管",
        "evidence": [{"name": "整改后照片.jpg", "sha256": SHA256_ABC}],
    }
    assert body["moves"] == []  # the county waits for the city now
    # The file itself is kept, and given back under its name.
    kept = cases_client.get(f"/api/v1/cases/CY-001/evidence/{SHA256_ABC}", headers=as_user("chaoyang"))
    assert kept.status_code == 200 and kept.content == b"abc"
    assert kept.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%E6%95%B4%E6%94%B9%E5%90%8E%E7%85%A7%E7%89%87.jpg"
    )

    city = as_user("bjcity")
    assert cases_client.get("/api/v1/cases/CY-001", headers=city).json()["moves"] == ["preexamine", "return"]
    examined = move(cases_client, city, "CY-001", "preexamine", "资料齐全")
    assert examined.status_code == 200 and examined.json()["state"] == "pre_examined"
    province = as_user("bj")
    assert cases_client.get("/api/v1/cases/CY-001", headers=province).json()["moves"] == ["close", "return"]
    closed = move(cases_client, province, "CY-001", "close").json()
    assert closed["state"] == "closed"
    assert closed["moves"] == ["reopen"]
    assert [(h["user"], h["action"], h["to"]) for h in closed["history"][2:]] == [
        ("chaoyang", "submit", "submitted"),
        ("bjcity", "preexamine", "pre_examined"),
        ("bj", "close", "closed"),
    ]
    # A closed case is neither overdue nor on the overdue list.
    assert closed["days_overdue"] == 0
    assert "CY-001" not in codes(cases_client.get("/api/v1/cases/overdue", headers=province).json())


#: Moves refused on the cases as the fixture leaves them: (user, case, action, status, detail).
REFUSED = [
    # A county user may not touch another county's case: it reads as unknown.
    ("chaoyang", "HD-001", "submit", 404, "case 'HD-001': no such case"),
    # Closing needs a pre-examined case (transition), and only a province closes.
    ("bj", "CY-001", "close", 409, "case CY-001: close needs state pre_examined, the case is rectifying"),
    (
        "bjcity",
        "CY-001",
        "close",
        409,
        "case CY-001: close needs state pre_examined, the case is rectifying",
    ),
    ("hebei", "CY-001", "start", 404, "case 'CY-001': no such case"),
    ("bj", "NO-SUCH-1", "start", 404, "case 'NO-SUCH-1': no such case"),
]


def test_refused_moves_write_nothing(cases_client, as_user):
    for username, code, action, status, detail in REFUSED:
        answer = move(cases_client, as_user(username), code, action, "理由", [("a.txt", b"abc")])
        assert (answer.status_code, answer.json()["detail"]) == (status, detail), (username, code, action)
    history = {
        code: len(cases_client.get(f"/api/v1/cases/{code}", headers=as_user("admin")).json()["history"])
        for code in ("CY-001", "HD-001")
    }
    assert history == {"CY-001": 2, "HD-001": 2}


def test_each_role_makes_only_its_own_moves(cases_client, as_user):
    county, city, province = as_user("chaoyang"), as_user("bjcity"), as_user("bj")
    assert move(cases_client, county, "CY-001", "submit", files=[("a.pdf", b"abc")]).status_code == 200
    refused = move(cases_client, county, "CY-001", "preexamine")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"]
        == "case CY-001: preexamine is for city, province users, not chaoyang (county)"
    )
    assert move(cases_client, city, "CY-001", "preexamine").status_code == 200
    refused = move(cases_client, city, "CY-001", "close")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "case CY-001: close is for province users, not bjcity (city)"
    # A city returns only what was submitted to it; a pre-examined case is the province's to return.
    refused = move(cases_client, city, "CY-001", "return", "复核不通过")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "case CY-001: a city user may return a case only from submitted, the case is pre_examined"
    )
    assert move(cases_client, province, "CY-001", "return", "复核不通过").json()["state"] == "rectifying"
    history = cases_client.get("/api/v1/cases/CY-001", headers=province).json()["history"]
    assert [(h["user"], h["action"]) for h in history[2:]] == [
        ("chaoyang", "submit"),
        ("bjcity", "preexamine"),
        ("bj", "return"),
    ]


def test_submit_needs_evidence_and_return_a_reason(cases_client, as_user):
    county, city = as_user("chaoyang"), as_user("bjcity")
    bare = move(cases_client, county, "CY-001", "submit")
    assert bare.status_code == 422
    assert bare.json()["detail"] == "case CY-001: submit by chaoyang needs at least one evidence file"
    assert move(cases_client, county, "CY-001", "submit", files=[("a.pdf", b"abc")]).status_code == 200
    no_reason = move(cases_client, city, "CY-001", "return", "  ")
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"] == "case CY-001: return by bjcity needs a reason"
    returned = move(cases_client, city, "CY-001", "return", "照片不清晰")
    assert returned.status_code == 200
    assert (returned.json()["state"], returned.json()["history"][-1]["reason"]) == (
        "rectifying",
        "照片不清晰",
    )
    unknown = move(cases_client, county, "CY-001", "approve")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "action"]


def test_evidence_larger_than_the_api_body_limit_is_taken_on_moves_only(cases_client, as_user):
    big = b"x" * (MAX_BODY_BYTES * 2)
    taken = move(cases_client, as_user("chaoyang"), "CY-001", "submit", files=[("scan.pdf", big)])
    assert taken.status_code == 200, taken.text
    assert taken.json()["history"][-1]["evidence"][0]["name"] == "scan.pdf"
    # Elsewhere the API keeps its limit.
    refused = cases_client.post(
        "/api/v1/auth/token", content=big, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 413


# -- board, statistics, lists, downloads ----------------------------------------------------------------


def test_the_board_counts_by_state(cases_client, as_user):
    board = cases_client.get("/api/v1/cases/board", headers=as_user("admin")).json()
    assert board["as_of"] == NOW
    assert [(c["state"], c["count"]) for c in board["states"]] == [
        ("registered", 1),
        ("assigned", 0),
        ("rectifying", 3),
        ("submitted", 0),
        ("pre_examined", 0),
        ("closed", 0),
    ]
    rectifying = board["states"][2]["cases"]
    assert [(c["code"], c["region_name"], c["days_overdue"]) for c in rectifying] == [
        ("CY-001", "朝阳区", 14),
        ("HD-001", "海淀区", 0),
        ("SJZ-001", "长安区", 34),
    ]
    county = cases_client.get("/api/v1/cases/board", headers=as_user("chaoyang")).json()
    assert [c["count"] for c in county["states"]] == [0, 0, 1, 0, 0, 0]


def test_batch_statistics_and_itemised_lists(cases_client, as_user):
    admin = as_user("admin")
    stats = cases_client.get(f"/api/v1/cases/stats?batch={BATCH}", headers=admin).json()
    assert {k: stats[k] for k in ("total", "closed", "on_schedule", "overdue", "closing_rate_pct")} == {
        "total": 4,
        "closed": 0,
        "on_schedule": 2,  # HD-001, BJ-001
        "overdue": 2,  # CY-001, SJZ-001
        "closing_rate_pct": 0.0,
    }
    assert stats["by_state"] == {
        "registered": 1,
        "assigned": 0,
        "rectifying": 3,
        "submitted": 0,
        "pre_examined": 0,
        "closed": 0,
    }
    by_region = cases_client.get(f"/api/v1/cases/lists?batch={BATCH}&by=region", headers=as_user("bj")).json()
    assert [(r["group"], r["name"], r["total"], r["overdue"]) for r in by_region] == [
        ("110100", "北京", 1, 0),
        ("110105", "朝阳区", 1, 1),
        ("110108", "海淀区", 1, 0),
    ]
    unknown = cases_client.get("/api/v1/cases/stats?batch=NO-BATCH", headers=admin)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "batch 'NO-BATCH': no such batch"


def test_the_list_downloads_as_csv_and_xlsx(cases_client, as_user):
    headers = as_user("bjcity")
    answer = cases_client.get("/api/v1/cases?format=csv&overdue=true", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="cases.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for 朝阳区
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["code"], r["region_name"], r["days_overdue"], r["title"]) for r in rows] == [
        ("CY-001", "朝阳区", "14", "朝阳区某化工厂废水直排")
    ]
    workbook = cases_client.get("/api/v1/cases/overdue?format=xlsx", headers=as_user("admin"))
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    code_at, days_at = header.index("code"), header.index("days_overdue")
    assert [(row[code_at], row[days_at]) for row in values[1:]] == [("SJZ-001", 34), ("CY-001", 14)]


# -- escalation --------------------------------------------------------------------------------------


def test_an_admin_runs_the_escalation_once(cases_client, as_user):
    assert cases_client.post("/api/v1/cases/escalate", headers=as_user("bj")).status_code == 403
    admin = as_user("admin")
    dry = cases_client.post("/api/v1/cases/escalate?dry_run=true", headers=admin).json()
    # CY-001: node 1 due 04-20, 14 days: notice.  SJZ-001: deadline 03-31, 34 days: notice, interview
    # (from 15) and listed (from 30), in ladder order.  HD-001 (due 06-30) and BJ-001 (12-31): none.
    expected = [
        {"case": "CY-001", "node": 1, "step": "notice", "days_overdue": 14},
        {"case": "SJZ-001", "node": None, "step": "notice", "days_overdue": 34},
        {"case": "SJZ-001", "node": None, "step": "interview", "days_overdue": 34},
        {"case": "SJZ-001", "node": None, "step": "listed", "days_overdue": 34},
    ]
    assert dry == {"dry_run": True, "steps": expected}
    assert cases_client.get("/api/v1/cases/SJZ-001", headers=admin).json()["escalations"] == []
    assert cases_client.post("/api/v1/cases/escalate", headers=admin).json() == {
        "dry_run": False,
        "steps": expected,
    }
    assert cases_client.post("/api/v1/cases/escalate", headers=admin).json()["steps"] == []
    overdue = cases_client.get("/api/v1/cases/overdue", headers=admin).json()
    assert [(i["code"], i["escalation"]) for i in overdue["items"]] == [
        ("SJZ-001", "listed"),
        ("CY-001", "notice"),
    ]
    # Each step is told to the staff of the case's region and above at the levels it concerns: a notice
    # to the county and the city, an interview or listing to the province as well (decision C-notify).
    told = {
        user: [
            (n["case"], n["step"], n["node"], n["read_at"])
            for n in cases_client.get("/api/v1/cases/notifications", headers=as_user(user)).json()["items"]
        ]
        for user in ("chaoyang", "bjcity", "bj", "hebei")
    }
    assert told == {
        "chaoyang": [("CY-001", "notice", 1, None)],
        "bjcity": [("CY-001", "notice", 1, None)],
        "bj": [],
        "hebei": [("SJZ-001", "listed", None, None), ("SJZ-001", "interview", None, None)],
    }
    notes = cases_client.get("/api/v1/cases/notifications", headers=as_user("hebei")).json()
    assert notes["unread"] == 2
    assert notes["items"][0]["title"].startswith("【挂牌督办 listed】SJZ-001")
    read = cases_client.post(
        f"/api/v1/cases/notifications/read?id={notes['items'][1]['id']}", headers=as_user("hebei")
    ).json()
    assert (read["unread"], [n["read_at"] for n in read["items"]]) == (1, [None, NOW])
    steps = cases_client.get("/api/v1/cases/SJZ-001", headers=as_user("hebei")).json()["escalations"]
    assert [(s["step"], s["node"], s["at"]) for s in steps] == [
        ("notice", None, NOW),
        ("interview", None, NOW),
        ("listed", None, NOW),
    ]


def test_the_names_of_the_pages_are_chinese_with_english(cases_client):
    labels = cases_client.get("/cases/labels.json").json()
    assert labels["steps"] == {
        "warning": {"zh": "预警", "en": "warning"},
        "notice": {"zh": "通报", "en": "notice"},
        "interview": {"zh": "约谈", "en": "interview"},
        "listed": {"zh": "挂牌督办", "en": "listed"},
        "accountability": {"zh": "移交问责", "en": "accountability"},
    }
    assert list(labels["states"]) == [
        "registered",
        "assigned",
        "rectifying",
        "submitted",
        "pre_examined",
        "closed",
    ]
    assert labels["actions"]["preexamine"] == {"zh": "预审", "en": "pre-examine"}
    assert labels["roles"]["county"] == {"zh": "区县级", "en": "county"}


# -- nodes and import ------------------------------------------------------------------------------------


def test_a_node_done_hands_the_ladder_to_the_next_one(cases_client, as_user):
    county = as_user("chaoyang")
    assert cases_client.post("/api/v1/cases/HD-001/nodes/1/done", headers=county).status_code == 404
    done = cases_client.post("/api/v1/cases/CY-001/nodes/1/done", headers=county)
    assert done.status_code == 200, done.text
    case = done.json()
    assert [(n["key"], n["done"], n["days_overdue"]) for n in case["nodes"]] == [(1, True, 0), (2, False, 0)]
    # Counted on node 2 (due 2026-06-30) now: on schedule, off the overdue list.
    assert case["days_overdue"] == 0
    assert codes(cases_client.get("/api/v1/cases/overdue", headers=county).json()) == []
    again = cases_client.post("/api/v1/cases/CY-001/nodes/1/done", headers=county)
    assert (again.status_code, again.json()["detail"]) == (422, "case CY-001: node 1 is already done")


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ["编号", "问题", "区域代码", "责任单位", "配合单位", "责任人", "整改措施", "整改时限", "节点"]


def test_a_province_user_imports_a_batch_all_or_nothing(cases_client, as_user):
    good = xlsx(
        [
            HEADER,
            [
                "ZY-2-001",
                "海淀区某小区垃圾焚烧",
                "110108",
                "海淀区城管委",
                "海淀区生态环境局",
                "李四",
                "取缔",
                "2026-09-30",
                "2026-06-30 排查；2026-09-30 取缔",
            ],
            ["ZY-2-002", "朝阳区河道黑臭", "110105", "朝阳区水务局", "", "", "", "2026-12-31", ""],
        ]
    )
    path = "/api/v1/cases/import?batch=ZY-2026-2&kind=typical"
    headers = {**as_user("bj"), "Content-Type": XLSX_TYPE}
    added = cases_client.post(path, headers=headers, content=good)
    assert added.status_code == 201, added.text
    assert added.json() == {
        "batch": "ZY-2026-2",
        "kind": "typical",
        "imported": 2,
        "codes": ["ZY-2-001", "ZY-2-002"],
    }
    listed = cases_client.get(
        "/api/v1/cases?batch=ZY-2026-2&kind=typical", headers=as_user("chaoyang")
    ).json()
    assert [(i["code"], i["state"], i["title"]) for i in listed["items"]] == [
        ("ZY-2-002", "registered", "朝阳区河道黑臭")
    ]

    # A bad date and an unknown region: both reported by row and column, nothing imported.
    bad = xlsx(
        [
            HEADER,
            ["ZY-3-001", "问题一", "110105", "朝阳区生态环境局", "", "", "", "2026-13-01", ""],
            ["ZY-3-002", "问题二", "999999", "某单位", "", "", "", "2026-10-01", ""],
        ]
    )
    refused = cases_client.post(
        "/api/v1/cases/import?batch=ZY-2026-3&kind=typical", headers=headers, content=bad
    )
    assert refused.status_code == 422
    problems = [(p["row"], p["column"]) for p in refused.json()["problems"]]
    assert problems == [(2, "整改时限 (H)"), (3, "区域代码 (C)")]
    assert cases_client.get("/api/v1/cases?batch=ZY-2026-3", headers=as_user("admin")).json()["total"] == 0

    # Hebei's province may not import Beijing's cases; a county user imports nothing at all.
    other = xlsx([HEADER, ["ZY-4-001", "问题", "110105", "单位", "", "", "", "2026-10-01", ""]])
    hebei = {**as_user("hebei"), "Content-Type": XLSX_TYPE}
    outside = cases_client.post(
        "/api/v1/cases/import?batch=ZY-2026-4&kind=typical", headers=hebei, content=other
    )
    assert (outside.status_code, outside.json()["detail"]) == (
        403,
        "cases ZY-4-001: outside your region; nothing imported",
    )
    county = {**as_user("chaoyang"), "Content-Type": XLSX_TYPE}
    assert (
        cases_client.post(
            "/api/v1/cases/import?batch=B&kind=typical", headers=county, content=other
        ).status_code
        == 403
    )
    assert cases_client.get("/api/v1/cases?batch=ZY-2026-4", headers=as_user("admin")).json()["total"] == 0


def test_the_filters_offer_the_batches_and_regions_of_the_cases_in_scope(cases_client, as_user):
    county = cases_client.get("/api/v1/cases/facets", headers=as_user("chaoyang")).json()
    assert county["as_of"] == NOW
    assert county["batches"] == [{"code": BATCH, "cases": 1}]
    assert county["regions"] == [{"code": "110105", "name": "朝阳区", "level": "county", "cases": 1}]
    city = cases_client.get("/api/v1/cases/facets", headers=as_user("bjcity")).json()
    # The city's own region has a case (BJ-001); the province above it is outside the city's scope.
    assert [(r["code"], r["name"], r["cases"]) for r in city["regions"]] == [
        ("110100", "北京", 1),
        ("110105", "朝阳区", 1),
        ("110108", "海淀区", 1),
    ]
    admin = cases_client.get("/api/v1/cases/facets", headers=as_user("admin")).json()
    assert admin["batches"] == [{"code": BATCH, "cases": 4}]
    assert [(r["code"], r["cases"]) for r in admin["regions"]] == [
        ("110000", 0),
        ("110100", 1),
        ("110105", 1),
        ("110108", 1),
        ("130000", 0),
        ("130100", 0),
        ("130102", 1),
    ]


# -- petitions -------------------------------------------------------------------------------------------


def add_petitions(url: str) -> None:
    """Two petitions about the same works in 朝阳区, transferred (added) 2026-03-02 09:00."""
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            add_cases(
                session=session,
                batch="D3BJ-26",
                kind="petition",
                cases=[
                    CaseInput(
                        "PT-001", "某工地夜间施工噪声扰民", "110105", "朝阳区生态环境局", dt.date(2026, 6, 30)
                    ),
                    CaseInput(
                        "PT-002",
                        "同一工地夜间噪声（重复举报）",
                        "110105",
                        "朝阳区生态环境局",
                        dt.date(2026, 6, 30),
                    ),
                ],
                actor="test",
                now=dt.datetime(2026, 3, 2, 9, tzinfo=BEIJING),
            )
    finally:
        engine.dispose()


def test_a_petition_is_accepted_stage_closed_visited_and_linked(cases_client, as_user, fresh_store_url):
    add_petitions(fresh_store_url)
    county, city, province = as_user("chaoyang"), as_user("bjcity"), as_user("bj")
    received = cases_client.get("/api/v1/cases/PT-001", headers=county).json()["petition"]
    # Received when transferred; to be accepted within 15 days (《信访工作条例》, decision C-petition).
    assert {k: received[k] for k in ("received_at", "accepted_at", "accept_by", "handle_by", "outcome")} == {
        "received_at": "2026-03-02T09:00:00+08:00",
        "accepted_at": None,
        "accept_by": "2026-03-17",
        "handle_by": None,
        "outcome": None,
    }
    assert move(cases_client, city, "PT-001", "assign").status_code == 200
    assert move(cases_client, county, "PT-001", "start").status_code == 200
    assert move(cases_client, county, "PT-001", "submit", files=[("监测报告.pdf", b"abc")]).status_code == 200
    assert move(cases_client, city, "PT-001", "preexamine").status_code == 200
    # Answered for now, the works going on: 阶段性办结 (a province user).
    refused = cases_client.post(
        "/api/v1/cases/PT-001/outcome", headers=city, json={"outcome": "stage_closed"}
    )
    assert refused.status_code == 403
    staged = cases_client.post(
        "/api/v1/cases/PT-001/outcome", headers=province, json={"outcome": "stage_closed"}
    )
    assert staged.status_code == 200, staged.text
    closed = move(cases_client, province, "PT-001", "close").json()["petition"]
    # Accepted on assign (handled within 60 days), answered on close, the outcome kept stage-closed.
    assert (closed["accepted_at"], closed["handle_by"], closed["answered_at"], closed["outcome"]) == (
        NOW,
        "2026-07-03",
        NOW,
        "stage_closed",
    )
    visited = cases_client.post(
        "/api/v1/cases/PT-001/visits",
        headers=county,
        json={"finding": "群众仍反映夜间有噪声", "satisfied": False},
    )
    assert visited.status_code == 200, visited.text
    assert visited.json()["petition"]["visits"] == [
        {"at": NOW, "user": "chaoyang", "finding": "群众仍反映夜间有噪声", "satisfied": False}
    ]
    reopened = move(cases_client, province, "PT-001", "reopen", "回访不满意，重新整改").json()
    assert (reopened["state"], reopened["petition"]["outcome"]) == ("rectifying", None)

    linked = cases_client.post("/api/v1/cases/PT-002/duplicate", headers=county, json={"of": "PT-001"})
    assert linked.status_code == 200, linked.text
    assert linked.json()["petition"]["duplicate_of"] == "PT-001"
    assert cases_client.get("/api/v1/cases/PT-001", headers=county).json()["petition"]["duplicates"] == [
        "PT-002"
    ]
    not_petition = cases_client.post("/api/v1/cases/CY-001/duplicate", headers=county, json={"of": "PT-001"})
    assert (not_petition.status_code, not_petition.json()["detail"]) == (
        422,
        "case CY-001 is rectification, not a petition",
    )
    outside = cases_client.post("/api/v1/cases/PT-002/duplicate", headers=county, json={"of": "HD-001"})
    assert (outside.status_code, outside.json()["detail"]) == (404, "case 'HD-001': no such case")
    assert cases_client.get("/api/v1/cases/CY-001", headers=county).json()["petition"] is None
