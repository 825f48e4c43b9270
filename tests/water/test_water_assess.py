"""``ecowatch.water.assess`` and ``ecowatch water assess``: period means, classes, CWQI, TLI, levels and
ranks of a small hand-made network, worked out by hand in the comments from GB 3838-2002 Table 1, the
2011 method, the CWQI rule (Class Ⅲ limits) and the TLI rule; and, on the CNEMC release, the
vectorised means against the exact pure path (``period_means`` of every record)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.standards import (
    BelowDetection,
    Waterbody,
    WaterClass,
    WaterIndicator,
    period_means,
    water_class,
)
from ecowatch.water.assess import assess_water

W = WaterIndicator
T = dt.datetime
runner = CliRunner()
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cn-surface-water"
FOUR_HOURLY = DATA / "auto_stations_4h_2021-04-01_05.csv.gz"

PARAMS = ("pH", "DO", "CODMn", "NH3-N", "TP", "TN", "chla")


def _row(section: str, waterbody: str, basin: str, city: str, time: dt.datetime, **values: Any) -> dict:
    row: dict[str, Any] = {
        "section": section,
        "name": f"断面{section}",
        "basin": basin,
        "province": "江苏省",
        "city_code": city,
        "city": {"320100": "南京市", "320200": "无锡市", "320300": "徐州市", "320400": "常州市"}[city],
        "waterbody": waterbody,
        "time": time,
        "usable": values.pop("usable", True),
    }
    below = values.pop("below", ())
    for name in PARAMS:
        key = name.replace("-", "_")
        row[name] = values.get(key)
        row[f"{name}_below"] = None if values.get(key) is None else name in below
    return row


def _network() -> pl.DataFrame:
    d1, d2 = T(2021, 4, 1), T(2021, 4, 2)
    clean = {"pH": 7, "DO": 5, "CODMn": 3, "NH3_N": 0.5, "TP": 0.1}
    rows = [
        # A, river, 南京: three records in the period, one on 04-03 00:00 (out), one not usable (out)
        _row("A", "river", "B1", "320100", d1, pH=7.0, DO=8.0, CODMn=4.0, NH3_N=0.5, TP=0.1),
        _row("A", "river", "B1", "320100", d1.replace(hour=4), pH=8.0, DO=6.0, CODMn=8.0, NH3_N=1.6, TP=0.3),
        _row(
            "A",
            "river",
            "B1",
            "320100",
            T(2021, 4, 2, 23, 59),
            pH=7.5,
            DO=7.0,
            CODMn=6.0,
            NH3_N=0.05,
            below=("NH3-N",),
        ),
        _row("A", "river", "B1", "320100", T(2021, 4, 3), pH=9.5, DO=1.0, CODMn=40.0, NH3_N=9.0, TP=2.0),
        _row("A", "river", "B1", "320100", d2, pH=9.5, DO=1.0, CODMn=40.0, NH3_N=9.0, TP=2.0, usable=False),
        # B, lake, 南京
        _row("B", "lake", "B1", "320100", d1, pH=8, DO=9, CODMn=5, NH3_N=0.2, TP=0.08, TN=1.5, chla=0.02),
        _row("B", "lake", "B1", "320100", d2, pH=8, DO=9, CODMn=5, NH3_N=0.2, TP=0.12, TN=2.5, chla=0.04),
        # C in 无锡 and D in 徐州: alike; E, F, G in 常州: NH3-N 3.0 (劣Ⅴ)
        _row("C", "river", "B2", "320200", d1, **clean),
        _row("D", "river", "B2", "320300", d1, **clean),
        *(_row(s, "river", "B2", "320400", d1, **(clean | {"NH3_N": 3.0})) for s in "EFG"),
    ]
    return pl.DataFrame(rows, infer_schema_length=None)


@pytest.fixture(scope="module")
def assessment():  # type: ignore[no-untyped-def]
    return assess_water(_network(), dt.date(2021, 4, 1), dt.date(2021, 4, 2))


def test_river_section(assessment) -> None:  # type: ignore[no-untyped-def]
    a = next(s for s in assessment.sections if s.section == "A")
    assert a.samples == 3
    # means: pH 7.5, DO 7, CODMn 6, NH3-N (0.5 + 1.6 + 0.05/2)/3 = 2.125/3 = 17/24, TP (0.1 + 0.3)/2 = 0.2
    assert dict(a.means) == {
        W.PH: Fraction("7.5"),
        W.DO: Fraction(7),
        W.CODMN: Fraction(6),
        W.NH3_N: Fraction(17, 24),
        W.TP: Fraction("0.2"),
    }
    # DO 7 Ⅱ; CODMn 6, NH3-N 0.708, TP 0.2 (river) Ⅲ -> Ⅲ, nothing above Ⅲ
    assert a.result is not None
    assert a.result.water_class is WaterClass.III
    assert a.result.determining == (W.CODMN, W.NH3_N, W.TP)
    assert dict(a.result.exceeding) == {}
    # CWQI: pH 0.5/2 = 0.25, DO 5/7, CODMn 1, NH3-N 17/24, TP 1 -> 617/168 = 3.672619
    assert a.cwqi is not None and a.cwqi.total == Fraction(617, 168)
    assert a.cwqi.published == Decimal("3.6726")
    assert a.trophic is None


def test_lake_section_with_tli(assessment) -> None:  # type: ignore[no-untyped-def]
    b = next(s for s in assessment.sections if s.section == "B")
    assert b.result is not None
    # lake TP 0.1 -> Ⅳ, multiple (0.1 − 0.05)/0.05 = 1.0; TN 2.0 Ⅴ apart
    assert b.result.water_class is WaterClass.IV
    assert dict(b.result.exceeding) == {W.TP: Decimal("1.0")}
    assert b.result.main_pollutants == (W.TP,)
    assert dict(b.result.separate) == {W.TN: WaterClass.V}
    # CWQI (lake TP limit 0.05): 0.5 + 5/9 + 5/6 + 0.2 + 2 = 184/45 = 4.0889
    assert b.cwqi is not None and b.cwqi.total == Fraction(184, 45)
    # TLI: chla 0.03 mg/L = 30 mg/m³ -> 61.937; TP 0.1 -> 56.966; TN 2.0 -> 66.272; CODMn 5 -> 43.917;
    # no SD: (61.937 + .7056·56.966 + .6724·66.272 + .6889·43.917)/3.0669 = 176.948/3.0669 = 57.70
    assert b.trophic is not None
    assert b.trophic.published == Decimal("57.7")
    assert b.trophic.state.zh == "轻度富营养"


def test_cities_ranked_by_cwqi(assessment) -> None:  # type: ignore[no-untyped-def]
    cities = {c.key: c for c in assessment.cities}
    # C and D: pH 0 + DO 1 + CODMn 0.5 + NH3-N 0.5 + TP 0.5 = 2.5, tied first
    assert cities["320200"].cwqi.published == Decimal("2.5000")
    assert (cities["320200"].cwqi_rank, cities["320300"].cwqi_rank) == (1, 1)
    # 南京: (617/168 + 184/45)/2 = 3.880754 (one river, one lake: weights 1 and 1), third
    assert cities["320100"].cwqi.published == Decimal("3.8808")
    assert cities["320100"].cwqi_rank == 3
    # 常州: 0 + 1 + 0.5 + 3.0 + 0.5 = 5.0, fourth
    assert (cities["320400"].cwqi.published, cities["320400"].cwqi_rank) == (Decimal("5.0000"), 4)
    assert [c.key for c in assessment.cities] == ["320200", "320300", "320100", "320400"]
    # 南京, two sections (< 5): river means Ⅲ, lake means Ⅳ -> Ⅳ 轻度污染; shares 50 %
    nanjing = cities["320100"].level
    assert (nanjing.method, nanjing.mean_class, nanjing.level.zh) == ("means", WaterClass.IV, "轻度污染")
    assert nanjing.share_excellent_percent == Decimal("50.0")


def test_basins(assessment) -> None:  # type: ignore[no-untyped-def]
    basins = {b.key: b for b in assessment.basins}
    # B2: five sections, Ⅰ–Ⅲ 2/5 = 40 % < 75 %, 劣Ⅴ 3/5 = 60 % ≥ 40 % -> 重度污染 by shares
    b2 = basins["B2"].level
    assert (b2.method, b2.level.zh, b2.share_worse_than_v_percent) == ("shares", "重度污染", Decimal("60.0"))
    assert basins["B1"].level.method == "means"


def test_json_contract(assessment) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(assessment.to_json(), ensure_ascii=False))
    assert data["period"] == {"from": "2021-04-01", "to": "2021-04-02"}
    b = next(s for s in data["sections"] if s["section"] == "B")
    assert (b["class"], b["exceeding"], b["main_pollutants"], b["cwqi"]) == (
        "IV",
        {"TP": 1.0},
        ["TP"],
        4.0889,
    )
    assert (b["tli"], b["trophic_state"], b["trophic_state_zh"]) == (57.7, "light eutrophic", "轻度富营养")
    city = next(c for c in data["cities"] if c["city_code"] == "320400")
    assert city == {
        "city": "常州市",
        "city_code": "320400",
        "sections": 3,
        "share_I_III_percent": 0.0,
        "share_worse_than_V_percent": 100.0,
        "level": "heavily polluted",
        "level_zh": "重度污染",
        "level_method": "means",
        "mean_class": "worse than V",
        "cwqi": 5.0,
        "cwqi_rank": 4,
    }


def test_long_frame_gives_the_same(assessment) -> None:  # type: ignore[no-untyped-def]
    wide = _network()
    index = [c for c in wide.columns if c not in PARAMS and not c.endswith("_below")]
    values = wide.unpivot(on=list(PARAMS), index=index, variable_name="indicator", value_name="value")
    flags = wide.unpivot(
        on=[f"{p}_below" for p in PARAMS], index=index, variable_name="indicator", value_name="below"
    ).with_columns(pl.col("indicator").str.strip_suffix("_below"))
    long = values.join(flags, on=[*index, "indicator"]).drop_nulls("value")
    again = assess_water(long, dt.date(2021, 4, 1), dt.date(2021, 4, 2))
    assert again.to_json() == assessment.to_json()


def test_bad_period_refused() -> None:
    from ecowatch.standards import StandardsError

    with pytest.raises(StandardsError, match="before it starts"):
        assess_water(_network(), dt.date(2021, 4, 2), dt.date(2021, 4, 1))


CNEMC_HEADER = (
    "province,basin,section,time_published,datetime,water_class,water_temp_C,pH,DO_mg_L,conductivity_uS_cm,"
    "turbidity_NTU,CODMn_mg_L,NH3N_mg_L,TP_mg_L,TN_mg_L,chla_mg_L,algae_cells_L,status\n"
)


def test_command_on_a_cnemc_file(tmp_path: Path) -> None:
    path = tmp_path / "release.csv"
    path.write_text(
        CNEMC_HEADER
        # 七效港西桥 (registry: river): NH3-N 2.9 and 1.5 -> mean 2.2 劣Ⅴ, multiple (2.2 − 1)/1 = 1.2;
        # TP 0.35 and 0.25 -> 0.3 Ⅳ, multiple 0.5; CODMn 7 -> Ⅳ, multiple (7 − 6)/6 = 0.17 -> 0.2
        + "上海市,长江流域,七效港西桥,04-01 08:00,2021-04-01T08:00,劣Ⅴ,17,7,6,800,60,7,2.9,0.35,3,*,*,正常\n"
        + "上海市,长江流域,七效港西桥,04-01 12:00,2021-04-01T12:00,Ⅴ,17,7,6,800,60,7,1.5,0.25,3,*,*,正常\n"
        # the day after --to: not in the period
        + "上海市,长江流域,七效港西桥,04-02 00:00,2021-04-02T00:00,Ⅰ,17,7,9,800,60,1,0.1,0.01,3,*,*,正常\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["water", "assess", str(path), "--from", "2021-04-01", "--to", "2021-04-01", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (section,) = data["sections"]
    assert (section["name"], section["samples"], section["class"]) == ("七效港西桥", 2, "worse than V")
    assert section["exceeding"] == {"CODMn": 0.2, "NH3-N": 1.2, "TP": 0.5}
    assert section["main_pollutants"] == ["NH3-N", "TP", "CODMn"]
    # CWQI: pH 0 + DO 5/6 + CODMn 7/6 + NH3-N 2.2 + TP 0.3/0.2 = 2 + 2.2 + 1.5 = 5.7
    assert section["cwqi"] == 5.7
    (basin,) = data["basins"]
    assert (basin["basin"], basin["level_zh"], basin["level_method"]) == ("长江流域", "重度污染", "means")
    table = runner.invoke(app, ["water", "assess", str(path), "--from", "2021-04-01", "--to", "2021-04-01"])
    assert table.exit_code == 0, table.output
    assert "七效港西桥" in table.stdout and "劣Ⅴ" in table.stdout and "重度污染" in table.stdout


def test_command_bad_date(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["water", "assess", str(tmp_path), "--from", "2021-4-1", "--to", "2021-04-01"]
    )
    assert result.exit_code == 2
    assert "--from" in result.output


@pytest.mark.skipif(not FOUR_HOURLY.is_file(), reason=f"CNEMC release not found at {FOUR_HOURLY}")
def test_vectorised_means_are_the_exact_means_of_the_release() -> None:
    from ecowatch.water.importer import read_water_file

    read = read_water_file(FOUR_HOURLY, lenient=True)
    first, last = dt.date(2021, 4, 1), dt.date(2021, 4, 5)
    assessment = assess_water(read.samples, first, last)
    records: dict[str, list[dict[WaterIndicator, Any]]] = {}
    waterbody: dict[str, Waterbody] = {}
    for row, values in read.iter_values():
        if row["usable"] and first <= row["time"].date() <= last and values:
            records.setdefault(row["section"], []).append(values)
            waterbody[row["section"]] = Waterbody(row["waterbody"])
    by_key = {s.section: s for s in assessment.sections}
    assert set(by_key) == set(records)
    assert len(records) > 1500
    for key, samples in records.items():
        means = period_means(samples)
        section = by_key[key]
        assert dict(section.means) == means, key
        if any(item not in (W.TN,) for item in means):
            assert section.result is not None
            assert section.result.water_class is water_class(means, waterbody[key]).water_class, key
    # below detection reaches the means as half the limit: NH3-N is published as 0.025 (½ of 0.05)
    assert any(
        isinstance(v, BelowDetection) or v == Fraction("0.025")
        for s in records.values()
        for r in s
        for v in r.values()
    )
