"""Importing the registry from CSV and Excel: what a good file registers, and that a file with any
problem reports every one with its row and column and imports nothing."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from sources_helpers import ENT_CY, ENT_HD
from sqlalchemy import func, select

from ecowatch.sources.errors import SourceImportError
from ecowatch.sources.importer import import_sources, read_table
from ecowatch.sources.models import EnterpriseKeyList, Outlet, PermitLimit
from ecowatch.sources.service import add_enterprise, outlets_query, read_outlets
from ecowatch.store.audit import entries
from ecowatch.store.models import AuditEntry, Enterprise, Site

HEADER = (
    "credit_code,enterprise_name,region,industry,key_lists,outlet_code,outlet_name,medium,outlet_kind,lon,lat,"
    "pollutant,upper_limit,lower_limit,unit,reference_oxygen_pct,standard"
)
GOOD = f"""{HEADER}
{ENT_CY},朝阳热电有限公司,110105,4411,air;carbon,CY-DA001,1号锅炉烟囱,gas,main,116.48,39.92,a21026,35,,mg/m3,6,GB 13223-2011
{ENT_CY},,,,,CY-DA001,,,,,,a34013,5,,,6,
{ENT_HD},海淀水务有限公司,110108,4620,water,HD-DW001,总排口,water,main,116.30,39.98,w01018,50,,mg/L,,
{ENT_HD},,,,,HD-DW001,,,,,,w01001,9,6,,,
"""  # noqa: E501 (a CSV row of the fixture stays one line, as in the file it stands for)


def table(text: str, source: str = "sources.csv"):
    return read_table(text.encode("utf-8-sig"), source=source)


def counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Enterprise, Site, Outlet, PermitLimit, EnterpriseKeyList, AuditEntry)
    )


def test_import_registers_enterprises_outlets_and_limits(session):
    summary = import_sources(session=session, table=table(GOOD), actor="test")
    session.commit()
    assert summary.model_dump() == {
        "rows": 4,
        "enterprises_added": [ENT_CY, ENT_HD],
        "enterprises_updated": [],
        "outlets_added": ["CY-DA001", "HD-DW001"],
        "outlets_updated": [],
        "limits": 4,
    }
    outlets = {o.code: o for o in read_outlets(session=session, sites=session.scalars(outlets_query()).all())}
    assert [
        (lim.pollutant, lim.upper_limit, lim.lower_limit, lim.unit, lim.reference_oxygen_pct)
        for lim in outlets["CY-DA001"].limits
    ] == [("a21026", 35.0, None, "毫克/立方米", 6.0), ("a34013", 5.0, None, "毫克/立方米", 6.0)]
    assert [(lim.pollutant, lim.lower_limit, lim.upper_limit) for lim in outlets["HD-DW001"].limits] == [
        ("w01001", 6.0, 9.0),
        ("w01018", None, 50.0),
    ]
    assert [
        (e.action, e.entity, e.entity_id)
        for e in entries(session=session)
        if e.entity in ("enterprise", "outlet")
    ] == [
        ("create", "enterprise", ENT_CY),
        ("create", "enterprise", ENT_HD),
        ("create", "outlet", "CY-DA001"),
        ("create", "outlet", "HD-DW001"),
    ]


def test_importing_the_same_file_again_changes_nothing(session):
    import_sources(session=session, table=table(GOOD), actor="test")
    before = counts(session)
    summary = import_sources(session=session, table=table(GOOD), actor="test")
    assert (
        summary.enterprises_added,
        summary.enterprises_updated,
        summary.outlets_added,
        summary.outlets_updated,
    ) == ([], [], [], [])
    assert counts(session) == before


def test_import_edits_what_is_registered(session):
    add_enterprise(session=session, code=ENT_CY, name="旧名", region="110105", actor="test")
    text = f"{HEADER}\n{ENT_CY},朝阳热电有限公司,,,,CY-DA001,1号锅炉烟囱,gas,,116.48,39.92,,,,,,\n"
    summary = import_sources(session=session, table=table(text), actor="test")
    assert (summary.enterprises_updated, summary.outlets_added) == ([ENT_CY], ["CY-DA001"])
    assert session.scalars(select(Enterprise.name)).one() == "朝阳热电有限公司"


BAD = f"""{HEADER}
{ENT_CY},朝阳热电有限公司,110105,4411,air;carbon,CY-DA001,1号锅炉烟囱,gas,main,116.48,39.92,a21026,35,,mg/m3,6,
91110105MA01TEXT1K,某公司,110105,,,,,,,,,,,,,,
{ENT_CY},朝阳热电,,,,CY-DA001,,,,,,a34013,five,,,6,
{ENT_CY},,,,,CY-DA001,,,,,,w01018,50,,,,
{ENT_HD},海淀水务有限公司,110199,,,HD-DW001,总排口,water,,39.98,116.30,w01018,50,,mg/m3,6,
{ENT_HD},,,,,HD-DW001,,,,,,a21026,35,,,,
,,,,,,,,,,,,,,,,
{ENT_HD},,,,,,,,,,,w01001,9,,,,
BJ,,,,,,,,,,,,,,,,
"""


def test_a_file_with_problems_reports_each_with_row_and_column_and_imports_nothing(session):
    before = counts(session)
    with pytest.raises(SourceImportError) as caught:
        import_sources(session=session, table=table(BAD), actor="test")
    assert [str(problem) for problem in caught.value.problems] == [
        "row 3, column credit_code: '91110105MA01TEXT1K' is not a unified social credit code: check "
        "character is K, GB 32100-2015 Annex B gives J for the first 17 characters",
        "row 4, column enterprise_name: '朝阳热电' differs from '朝阳热电有限公司' on row 2",
        "row 4, column upper_limit: 'five' is not a number",
        "row 5, column pollutant: w01018 (化学需氧量) is a water factor; this is a gas outlet",
        "row 6, column region: no region '110199' in the store (a GB/T 2260 code)",
        "row 6, column lon: longitude 39.98 is outside China (73-136 E) (longitude and latitude swapped?)",
        "row 6, column unit: 'mg/m3': HJ 212-2017 Annex B gives w01018 (化学需氧量) in 毫克/升; give the "
        "limit in that unit",
        "row 6, column reference_oxygen_pct: a reference oxygen content applies to waste-gas limits only",
        "row 7, column pollutant: a21026 (二氧化硫) is an air factor; this is a water outlet",
        "row 9, column pollutant: given without an outlet_code",
        "row 10, column credit_code: 'BJ' is not a unified social credit code: must be 18 characters "
        "(GB 32100-2015 §4), got 2",
    ]
    assert str(caught.value).startswith("sources.csv: 11 problems, nothing imported:\n  sources.csv, row 3, ")
    assert counts(session) == before


def test_header_problems_are_reported_before_any_row(session):
    with pytest.raises(SourceImportError) as caught:
        import_sources(session=session, table=table("code,enterprise_name\nx,y\n"), actor="test")
    assert [str(p) for p in caught.value.problems] == [
        "row 1, column code: unknown column (the columns are " + ", ".join(HEADER.split(",")) + ")",
        "row 1, column credit_code: missing column",
    ]


def test_a_repeated_limit_and_a_row_longer_than_the_header(session):
    text = (
        f"{HEADER}\n{ENT_CY},朝阳热电,110105,,,CY-DA001,烟囱,gas,,116.48,39.92,a21026,35,,,,\n"
        f"{ENT_CY},,,,,CY-DA001,,,,,,02,30,,,,,extra\n{ENT_CY},,,,,CY-DA001,,,,,,a21026,30,,,,\n"
    )
    with pytest.raises(SourceImportError) as caught:
        import_sources(session=session, table=table(text), actor="test")
    assert [str(p) for p in caught.value.problems] == [
        "row 3, column -: more fields than the header has",
        "row 4, column pollutant: a21026 of outlet CY-DA001 is given on row 2 already",
    ]


def test_a_county_user_cannot_import_another_countys_enterprise(session):
    from sqlalchemy import select as select_

    from ecowatch.store.models import Region
    from ecowatch.store.users import Scope

    chaoyang = Scope(region_ids=frozenset(session.scalars(select_(Region.id).where(Region.code == "110105"))))
    before = counts(session)
    with pytest.raises(SourceImportError, match="row 4, column region: region 110108 is outside your scope"):
        import_sources(session=session, table=table(GOOD), actor="chaoyang", scope=chaoyang)
    session.rollback()
    assert counts(session) == before


# -- Excel ----------------------------------------------------------------------------------------


def workbook(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("排污单位")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def test_excel_import_reads_numbers_and_names_columns_by_letter(session):
    header = HEADER.split(",")
    good = [
        header,
        [
            ENT_CY,
            "朝阳热电有限公司",
            110105,
            4411,
            "air",
            "CY-DA001",
            "1号锅炉烟囱",
            "gas",
            "main",
            116.48,
            39.92,
            "a21026",
            35,
            None,
            "mg/m3",
            6,
            None,
        ],
    ]
    summary = import_sources(
        session=session, table=read_table(workbook(good), source="sources.xlsx"), actor="test"
    )
    assert (summary.enterprises_added, summary.outlets_added, summary.limits) == ([ENT_CY], ["CY-DA001"], 1)
    assert session.scalars(select(Enterprise.industry)).one() == "4411"
    bad = [
        header,
        [
            ENT_HD,
            "海淀水务",
            110108,
            None,
            "air;sea",
            "HD-DW001",
            "总排口",
            "water",
            None,
            116.30,
            39.98,
            "w01018",
            -1,
            None,
            None,
            None,
            None,
        ],
    ]
    with pytest.raises(SourceImportError) as caught:
        import_sources(session=session, table=read_table(workbook(bad), source="sources.xlsx"), actor="test")
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column E (key_lists): unknown list(s) sea (one of water, groundwater, air, noise, soil, "
        "risk, carbon)",
        "row 2, column M (upper_limit): -1 is negative",
    ]


def test_files_that_are_not_csv_or_excel_are_refused(session):
    with pytest.raises(
        SourceImportError,
        match=r"sources.xlsx: 1 problem, nothing imported:\n  sources.xlsx, "
        r"row 1, column -: not an Excel workbook",
    ):
        read_table(b"credit_code\n", source="sources.xlsx")
    with pytest.raises(SourceImportError, match=r"row 1, column -: not a .csv or .xlsx file"):
        read_table(b"", source="sources.txt")
    with pytest.raises(SourceImportError, match=r"row 1, column -: not UTF-8 text \(byte 12\)"):
        read_table("credit_code\n企业".encode("gbk"), source="sources.csv")


def test_stray_bytes_are_problems_not_crashes(session):
    """Bodies schemathesis sent the API: a lone CR ended a line, a NUL in a code reached the database."""
    table_ = read_table(b"\r0", source="sources.csv")
    assert (table_.header, table_.rows) == ([], [(2, {"": "more fields than the header has"})])
    with pytest.raises(SourceImportError) as caught:
        import_sources(session=session, table=table(f"credit_code,region\n{ENT_CY},1101\x0005\n"), actor="t")
    assert [str(p) for p in caught.value.problems] == [
        f"row 2, column enterprise_name: empty: enterprise {ENT_CY} is not in the store yet, so its name and "
        "region are needed",
        "row 2, column region: '1101\\x0005' is not a GB/T 2260 division code (6 digits, e.g. 110105)",
    ]
