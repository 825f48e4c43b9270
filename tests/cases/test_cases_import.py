"""Importing a batch from an Excel list (:mod:`ecowatch.cases.importer`): good files in Chinese and in
English, and malformed ones built here with openpyxl; every problem named by row and column, and a file
with any problem imports nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cases_store import bj, sessions, store_url  # noqa: F401  (fixtures)
from openpyxl import Workbook
from sqlalchemy import func, select

from ecowatch.cases.errors import CaseImportError, CaseInputError
from ecowatch.cases.importer import import_cases, read_cases
from ecowatch.cases.models import Case, CaseBatch
from ecowatch.cases.service import show_case

HEADER = ["编号", "问题", "区域代码", "责任单位", "配合单位", "责任人", "整改措施", "整改时限", "节点"]
NOW = bj(2026, 3, 1, 9)


def xlsx(*rows: list, sheets: int = 1) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    for n in range(1, sheets):
        workbook.create_sheet(f"other {n}").append(["not", "read"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def problems(data: bytes, source: str = "list.xlsx") -> list[str]:
    with pytest.raises(CaseImportError) as raised:
        read_cases(data, source=source)
    return [str(p) for p in raised.value.problems]


def load(sessions, data: bytes, batch: str = "B1", kind: str = "rectification") -> list[str]:  # noqa: F811
    with sessions.begin() as session:
        added = import_cases(
            session=session, data=data, source="list.xlsx", batch=batch, kind=kind, actor="test", now=NOW
        )
        return [c.code for c in added]


def count(sessions) -> int:  # noqa: F811
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_a_list_in_chinese_with_nodes_and_units(sessions):  # noqa: F811
    data = xlsx(
        HEADER,
        [
            "ZY-2026-017",
            "化工园区废水直排",
            "110105",
            "朝阳区生态环境局",
            "朝阳区水务局、区住建委，区城管委",
            "张三",
            "截污纳管",
            "2026-06-30",
            "2026-03-31 提交整改方案；2026-05-31 完成管网改造;2026-06-30 验收",
        ],
        # A date cell, a region typed as a number, empty optional cells.
        [
            "ZY-2026-018",
            "工地扬尘",
            110108,
            "海淀区生态环境局",
            None,
            None,
            None,
            dt.datetime(2026, 4, 30),
            None,
        ],
        [None] * 9,  # an empty row is skipped
    )
    assert load(sessions, data) == ["ZY-2026-017", "ZY-2026-018"]
    with sessions() as session:
        detail = show_case(session=session, code="ZY-2026-017")
        assert (detail.kind, detail.batch, detail.region, detail.state, detail.deadline) == (
            "rectification",
            "B1",
            "110105",
            "registered",
            dt.date(2026, 6, 30),
        )
        assert [(n.due, n.task, n.done) for n in detail.nodes] == [
            (dt.date(2026, 3, 31), "提交整改方案", False),
            (dt.date(2026, 5, 31), "完成管网改造", False),
            (dt.date(2026, 6, 30), "验收", False),
        ]
        row = session.scalars(select(Case).where(Case.code == "ZY-2026-017")).one()
        assert row.cooperating_units == ["朝阳区水务局", "区住建委", "区城管委"]
        assert (row.responsible, row.measures, row.next_due) == ("张三", "截污纳管", dt.date(2026, 3, 31))
        other = session.scalars(select(Case).where(Case.code == "ZY-2026-018")).one()
        assert (other.region.code, other.deadline, other.next_due) == (
            "110108",
            dt.date(2026, 4, 30),
            dt.date(2026, 4, 30),
        )
        assert session.get(CaseBatch, "B1") is not None


def test_english_aliases_in_any_order(sessions):  # noqa: F811
    data = xlsx(
        ["deadline", "Code", "title", "region", "lead_unit", "nodes"],
        ["2026-06-30", "E-1", "Odour", "110105", "Chaoyang EEB", "2026-05-01 plan"],
    )
    assert load(sessions, data, batch="E", kind="petition") == ["E-1"]
    with sessions() as session:
        assert show_case(session=session, code="E-1").kind == "petition"


def test_every_problem_of_a_file_is_named_by_row_and_column(sessions):  # noqa: F811
    data = xlsx(
        [*HEADER, "备注"],
        ["ZY-1", "问题一", "999999", "单位", None, None, None, "2026-02-30", "2026-01-01", "x"],
        ["ZY-1", "", "11010", "单位", None, None, None, "2026-06-30", "2026-07-01 太晚", None],
        ["ZY 3", "问题三", "110105", "", None, None, None, "30/06/2026", "2026-05-01 方案；明天 验收", None],
        ["ZY-4", "问题四", "110105", "单位", None, None, None, None, None, None],
    )
    with pytest.raises(CaseImportError) as raised, sessions.begin() as session:
        import_cases(
            session=session, data=data, source="list.xlsx", batch="B", kind="typical", actor="t", now=NOW
        )
    assert [str(p) for p in raised.value.problems] == [
        "row 1, column 备注 (J): unknown column (the columns: 编号 (code), 问题 (title), 区域代码 (region), "
        "责任单位 (lead_unit), 配合单位 (cooperating_units), 责任人 (responsible), 整改措施 (measures), "
        "整改时限 (deadline), 节点 (nodes))",
        "row 2, column 整改时限 (H): '2026-02-30' is not a date of the calendar",
        "row 2, column 节点 (I): entry 1 '2026-01-01' is not 'YYYY-MM-DD 内容'",
        "row 2, column 区域代码 (C): region 999999 is not a region of the store",
        "row 3, column 问题 (B): empty (required)",
        "row 3, column 区域代码 (C): '11010' is not a GB/T 2260 code (6 digits, e.g. 110105)",
        "row 3, column 节点 (I): entry 1: due 2026-07-01 is after the deadline 2026-06-30",
        "row 3, column 编号 (A): 'ZY-1' is also on row 2",
        "row 4, column 编号 (A): 'ZY 3' contains a space",
        "row 4, column 责任单位 (D): empty (required)",
        "row 4, column 整改时限 (H): '30/06/2026' is not a date (YYYY-MM-DD)",
        "row 4, column 节点 (I): entry 2 '明天 验收' is not 'YYYY-MM-DD 内容'",
        "row 5, column 整改时限 (H): empty (required)",
    ]
    assert str(raised.value).startswith(
        "list.xlsx: 13 problems, nothing imported:\n  list.xlsx, row 1, column 备注"
    )
    assert count(sessions) == 0


def test_a_good_row_beside_a_bad_one_is_not_imported(sessions):  # noqa: F811
    data = xlsx(
        HEADER,
        ["OK-1", "问题", "110105", "单位", None, None, None, "2026-06-30", None],
        ["OK-2", "问题", "110105", "单位", None, None, None, "2026-06-31", None],
    )
    with pytest.raises(CaseImportError, match=r"row 3, column 整改时限 \(H\)"):
        load(sessions, data)
    assert count(sessions) == 0
    with sessions() as session:
        assert session.get(CaseBatch, "B1") is None


def test_a_code_already_in_the_store(sessions):  # noqa: F811
    first = xlsx(HEADER, ["D-1", "问题", "110105", "单位", None, None, None, "2026-06-30", None])
    load(sessions, first)
    with pytest.raises(CaseImportError) as raised:
        load(sessions, first, batch="B2")
    assert [str(p) for p in raised.value.problems] == [
        "row 2, column 编号 (A): case 'D-1' is already in the store"
    ]
    assert count(sessions) == 1


@pytest.mark.parametrize(
    ("data", "source", "expected"),
    [
        (b"code,title\n", "list.csv", ["row 1, column -: not an .xlsx file (the list is an Excel workbook)"]),
        (b"PK\x03\x04 not really a zip", "list.xlsx", None),
        (xlsx(), "list.xlsx", ["row 1, column -: empty sheet: row 1 must be the header"]),
        (xlsx(HEADER), "list.xlsx", ["row 2, column -: no cases below the header"]),
        (
            xlsx(["编号", "问题", "code", "区域代码", "责任单位"], ["A", "B", "C", "110105", "D"]),
            "list.xlsx",
            [
                "row 1, column code (C): column code given twice",
                "row 1, column -: the column 整改时限 (deadline) is missing",
            ],
        ),
    ],
    ids=["csv", "not-a-workbook", "empty-sheet", "header-only", "header-problems"],
)
def test_malformed_files(data, source, expected):
    found = problems(data, source)
    if expected is None:
        assert len(found) == 1 and found[0].startswith("row 1, column -: not an Excel workbook")
    else:
        assert found == expected


def test_only_the_first_sheet_is_read():
    data = xlsx(HEADER, ["F-1", "问题", "110105", "单位", None, None, None, "2026-06-30", None], sheets=2)
    assert [c.code for _, c in read_cases(data, source="list.xlsx")] == ["F-1"]


def test_a_bad_batch_or_kind_is_refused_before_the_file(sessions):  # noqa: F811
    data = xlsx(HEADER, ["K-1", "问题", "110105", "单位", None, None, None, "2026-06-30", None])
    with pytest.raises(CaseInputError, match="kind 'case' is not one of rectification, typical"):
        load(sessions, data, kind="case")
    with pytest.raises(CaseInputError, match="batch"):
        load(sessions, data, batch=" ")
    assert count(sessions) == 0
