"""``ecowatch cases …`` and ``ecowatch audit verify``: issue 16's command-line contract, word for word
(the JSON compared whole), with ``ECOWATCH_NOW`` as the clock; errors exit non-zero and write nothing."""

from __future__ import annotations

import io
import json

import pytest
from cases_store import sessions, store_url  # noqa: F401  (fixtures)
from openpyxl import Workbook
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from ecowatch.cases.models import Case, CaseEscalation, CaseHistory
from ecowatch.cli import app

runner = CliRunner()
HEADER = ["编号", "问题", "区域代码", "责任单位", "配合单位", "责任人", "整改措施", "整改时限", "节点"]
# SHA-256 of b"abc" (FIPS 180-2, Appendix B.1).
SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def ok(*args: object) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(*args: object):
    return json.loads(ok(*args, "--json"))


@pytest.fixture
def batch_file(tmp_path):
    workbook = Workbook()
    for row in (
        HEADER,
        [
            "ZY-1",
            "化工园区废水直排",
            "110105",
            "朝阳区生态环境局",
            "区水务局",
            "张三",
            "截污",
            "2026-06-30",
            "2026-03-31 提交整改方案；2026-05-31 完成管网",
        ],
        ["ZY-2", "工地扬尘", "110108", "海淀区生态环境局", None, None, None, "2026-03-10", None],
    ):
        workbook.active.append(row)
    path = tmp_path / "第一批.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def imported(store_url, batch_file, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ECOWATCH_NOW", "2026-03-01T09:00:00+08:00")
    assert ok(
        "cases", "import", batch_file, "--batch", "2026-1", "--kind", "rectification", "--db", store_url
    ) == ("imported 2 cases\n")
    return store_url


def test_import_list_show_and_the_moves_of_a_closing(imported, tmp_path, monkeypatch):
    db = imported
    assert as_json("cases", "list", "--db", db) == [
        {
            "code": "ZY-1",
            "kind": "rectification",
            "batch": "2026-1",
            "state": "registered",
            "region": "110105",
            "deadline": "2026-06-30",
            "days_overdue": 0,
            "escalation": None,
        },
        {
            "code": "ZY-2",
            "kind": "rectification",
            "batch": "2026-1",
            "state": "registered",
            "region": "110108",
            "deadline": "2026-03-10",
            "days_overdue": 0,
            "escalation": None,
        },
    ]
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"abc")
    moves = [
        ("2026-03-02T09:00:00+08:00", ["--action", "assign", "--as", "bj-city"]),
        ("2026-03-03T09:00:00+08:00", ["--action", "start", "--as", "chaoyang"]),
        ("2026-03-20T15:30:00+08:00", ["--action", "submit", "--as", "chaoyang", "--evidence", photo]),
        ("2026-03-21T09:00:00+08:00", ["--action", "preexamine", "--as", "bj-city"]),
        ("2026-03-22T09:00:00+08:00", ["--action", "return", "--as", "bj-province", "--reason", "台账不全"]),
    ]
    for now, args in moves:
        monkeypatch.setenv("ECOWATCH_NOW", now)
        ok("cases", "move", "ZY-1", *args, "--db", db)
    shown = as_json("cases", "show", "ZY-1", "--db", db)
    assert shown == {
        "code": "ZY-1",
        "kind": "rectification",
        "batch": "2026-1",
        "title": "化工园区废水直排",
        "region": "110105",
        "state": "rectifying",
        "deadline": "2026-06-30",
        "nodes": [
            {"due": "2026-03-31", "task": "提交整改方案", "done": False},
            {"due": "2026-05-31", "task": "完成管网", "done": False},
        ],
        "escalations": [],
        "history": [
            {
                "seq": 1,
                "at": "2026-03-02T09:00:00+08:00",
                "user": "bj-city",
                "action": "assign",
                "from": "registered",
                "to": "assigned",
                "reason": None,
                "evidence": [],
            },
            {
                "seq": 2,
                "at": "2026-03-03T09:00:00+08:00",
                "user": "chaoyang",
                "action": "start",
                "from": "assigned",
                "to": "rectifying",
                "reason": None,
                "evidence": [],
            },
            {
                "seq": 3,
                "at": "2026-03-20T15:30:00+08:00",
                "user": "chaoyang",
                "action": "submit",
                "from": "rectifying",
                "to": "submitted",
                "reason": None,
                "evidence": [{"name": "现场照片.jpg", "sha256": SHA_ABC}],
            },
            {
                "seq": 4,
                "at": "2026-03-21T09:00:00+08:00",
                "user": "bj-city",
                "action": "preexamine",
                "from": "submitted",
                "to": "pre_examined",
                "reason": None,
                "evidence": [],
            },
            {
                "seq": 5,
                "at": "2026-03-22T09:00:00+08:00",
                "user": "bj-province",
                "action": "return",
                "from": "pre_examined",
                "to": "rectifying",
                "reason": "台账不全",
                "evidence": [],
            },
        ],
    }
    assert ok("audit", "verify", "--db", db) == "ok: 5 entries\n"
    assert "已登记 registered" in ok("cases", "list", "--db", db)  # the table: Chinese with English


def test_errors_exit_non_zero_and_write_nothing(imported, batch_file, tmp_path, sessions):  # noqa: F811
    db = imported

    def refused(*args: object, says: str) -> None:
        result = invoke(*args)
        assert result.exit_code != 0
        assert says in " ".join(result.output.split())

    for code, action, user, says in [
        ("ZY-1", "assign", "chaoyang", "assign is for city, province users, not chaoyang (county)"),
        ("ZY-1", "close", "root", "case ZY-1: close needs state pre_examined, the case is registered"),
        ("ZY-1", "assign", "tj-city", "region 110105 is outside tj-city's region 120100"),
        ("ZY-1", "assign", "nobody", "user 'nobody': no active user of that name"),
        ("ZY-9", "assign", "root", "case 'ZY-9': no such case"),
    ]:
        refused("cases", "move", code, "--action", action, "--as", user, "--db", db, says=says)
    missing = tmp_path / "none.jpg"
    refused("cases", "move", "ZY-1", "--action", "assign", "--as", "root", "--evidence", missing, "--db", db,
            says="none.jpg: cannot read")  # fmt: skip
    for args, says in [
        (("import", batch_file, "--batch", "2026-2", "--kind", "rectification"), "case 'ZY-1' is already in"),
        (
            ("import", batch_file, "--batch", "2026-2", "--kind", "inspection"),
            "kind 'inspection' is not one of",
        ),
        (("show", "ZY-9", "--json"), "case 'ZY-9': no such case"),
        (("stats", "--batch", "none", "--json"), "batch 'none': no such batch"),
        (("list", "--state", "open", "--json"), "state 'open' is not one of"),
    ]:
        refused("cases", *args, "--db", db, says=says)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseHistory)) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 2
        assert set(session.scalars(select(Case.state))) == {"registered"}


def test_escalate_over_simulated_months(imported, monkeypatch, sessions):  # noqa: F811
    db = imported
    # ZY-1 counts on node 1 (03-31), ZY-2 on its deadline (03-10).
    monkeypatch.setenv("ECOWATCH_NOW", "2026-03-07T09:00:00+08:00")  # ZY-2 3 days before due
    assert as_json("cases", "escalate", "--db", db) == [
        {"case": "ZY-2", "node": None, "step": "warning", "days_overdue": 0}
    ]
    monkeypatch.setenv("ECOWATCH_NOW", "2026-04-01T09:00:00+08:00")  # ZY-1: 1 day; ZY-2: 22 days
    expected = [
        {"case": "ZY-1", "node": 1, "step": "notice", "days_overdue": 1},
        {"case": "ZY-2", "node": None, "step": "notice", "days_overdue": 22},
        {"case": "ZY-2", "node": None, "step": "interview", "days_overdue": 22},
    ]
    assert as_json("cases", "escalate", "--dry-run", "--db", db) == expected
    assert as_json("cases", "escalate", "--db", db) == expected
    assert as_json("cases", "escalate", "--db", db) == []  # a second run at the same time
    assert as_json("cases", "list", "--overdue", "--db", db) == [
        {
            "code": "ZY-2",
            "kind": "rectification",
            "batch": "2026-1",
            "state": "registered",
            "region": "110108",
            "deadline": "2026-03-10",
            "days_overdue": 22,
            "escalation": "interview",
        },
        {
            "code": "ZY-1",
            "kind": "rectification",
            "batch": "2026-1",
            "state": "registered",
            "region": "110105",
            "deadline": "2026-06-30",
            "days_overdue": 1,
            "escalation": "notice",
        },
    ]
    monkeypatch.setenv("ECOWATCH_NOW", "2026-05-09T09:00:00+08:00")  # ZY-1: 39 days; ZY-2: 60 days
    assert as_json("cases", "escalate", "--db", db) == [
        {"case": "ZY-1", "node": 1, "step": "interview", "days_overdue": 39},
        {"case": "ZY-1", "node": 1, "step": "listed", "days_overdue": 39},
        {"case": "ZY-2", "node": None, "step": "listed", "days_overdue": 60},
        {"case": "ZY-2", "node": None, "step": "accountability", "days_overdue": 60},
    ]
    assert as_json("cases", "stats", "--batch", "2026-1", "--db", db) == {
        "total": 2,
        "closed": 0,
        "on_schedule": 0,
        "overdue": 2,
        "closing_rate_pct": 0.0,
        "by_state": {
            "registered": 2,
            "assigned": 0,
            "rectifying": 0,
            "submitted": 0,
            "pre_examined": 0,
            "closed": 0,
        },
        "by_escalation": {"warning": 0, "notice": 0, "interview": 0, "listed": 1, "accountability": 1},
    }
    assert as_json("cases", "list", "--region", "110108", "--db", db)[0]["escalation"] == "accountability"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseEscalation)) == 8


def test_audit_verify_names_the_case_and_entry_edited(imported, tmp_path, monkeypatch, sessions):  # noqa: F811
    db = imported
    evidence = tmp_path / "a.jpg"
    evidence.write_bytes(b"abc")
    for action, user in [("assign", "bj-city"), ("start", "haidian"), ("submit", "haidian")]:
        ok("cases", "move", "ZY-2", "--action", action, "--as", user, "--evidence", evidence, "--db", db)
    assert ok("audit", "verify", "--db", db) == "ok: 3 entries\n"
    with sessions.begin() as session:
        session.execute(
            text(
                "UPDATE case_history SET reason = '已整改' WHERE seq = 2 AND case_id = "
                "(SELECT id FROM supervision_case WHERE code = 'ZY-2')"
            )
        )
    result = invoke("audit", "verify", "--db", db)
    assert result.exit_code == 1
    assert "case ZY-2: entry 2 no longer matches its stored hash" in result.output


def test_a_fresh_embedded_store_works_like_the_other_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ECOWATCH_DB", raising=False)
    assert as_json("cases", "list") == []
    assert ok("audit", "verify") == "ok: 0 entries\n"
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(["N-1", "问题", "110105", "单位", None, None, None, "2026-06-30", None])
    out = io.BytesIO()
    workbook.save(out)
    (tmp_path / "n.xlsx").write_bytes(out.getvalue())
    assert (
        ok("cases", "import", tmp_path / "n.xlsx", "--batch", "N", "--kind", "alert") == "imported 1 cases\n"
    )


def test_node_done_itemised_stats_trend_and_tables(imported, monkeypatch):
    db = imported
    monkeypatch.setenv("ECOWATCH_NOW", "2026-04-01T09:00:00+08:00")
    # Node 1 of ZY-1 (03-31) done: the ladder counts on node 2 (05-31), so ZY-1 is no longer overdue.
    assert ok("cases", "node-done", "ZY-1", "--node", "1", "--as", "chaoyang", "--db", db) == (
        "case ZY-1: node 1 done; next due 2026-05-31\n"
    )
    assert [c["code"] for c in as_json("cases", "list", "--overdue", "--db", db)] == ["ZY-2"]
    assert [
        (r["group"], r["name"], r["total"], r["overdue"], r["on_schedule"])
        for r in as_json("cases", "stats", "--batch", "2026-1", "--by", "region", "--db", db)
    ] == [("110105", "朝阳区", 1, 0, 1), ("110108", "海淀区", 1, 1, 0)]
    assert [
        r["group"] for r in as_json("cases", "stats", "--batch", "2026-1", "--by", "unit", "--db", db)
    ] == [
        "朝阳区生态环境局",
        "海淀区生态环境局",
    ]
    assert as_json("cases", "trend", "--batch", "2026-1", "--db", db) == [
        {"month": "2026-03", "opened": 2, "closed": 0, "reopened": 0}
    ]
    assert as_json("audit", "verify", "--db", db) == {"entries": 0, "cases": 2, "broken": [], "ok": True}
    table = " ".join(ok("cases", "stats", "--batch", "2026-1", "--db", db).split())
    assert "逾期 overdue 1" in table and "已登记 registered │ 2" in table
    shown = ok("cases", "show", "ZY-1", "--db", db)
    assert "提交整改方案" in shown and "是 yes" in shown
    assert "挂牌督办" not in ok("cases", "escalate", "--dry-run", "--db", db)


def test_evidence_files_after_one_option_or_the_option_repeated(imported, tmp_path):
    db = imported
    for name, content in [("a.jpg", b"abc"), ("b.pdf", b""), ("c.png", b"abc")]:
        (tmp_path / name).write_bytes(content)
    ok("cases", "move", "ZY-1", "--action", "assign", "--as", "root", "--db", db)
    ok("cases", "move", "ZY-1", "--action", "start", "--as", "root", "--db", db)
    files = [tmp_path / "a.jpg", tmp_path / "b.pdf"]
    ok("cases", "move", "ZY-1", "--action", "submit", "--as", "root", "--evidence", *files, "--db", db)
    ok("cases", "move", "ZY-1", "--action", "return", "--as", "root", "--reason", "补充", "--db", db)
    ok("cases", "move", "ZY-1", "--action", "submit", "--as", "root", "--evidence", tmp_path / "c.png",
       "--evidence", tmp_path / "b.pdf", "--db", db)  # fmt: skip
    history = as_json("cases", "show", "ZY-1", "--db", db)["history"]
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256 of nothing
    assert [[(e["name"], e["sha256"]) for e in h["evidence"]] for h in history] == [
        [],
        [],
        [("a.jpg", SHA_ABC), ("b.pdf", empty)],
        [],
        [("c.png", SHA_ABC), ("b.pdf", empty)],
    ]
    result = invoke("cases", "move", "ZY-1", "--action", "preexamine", "--as", "root", tmp_path / "a.jpg")
    assert result.exit_code == 2 and "evidence goes after --evidence" in " ".join(result.output.split())
