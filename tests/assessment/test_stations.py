"""The station registry (packaged Beijing 35-station list) and Station."""

from __future__ import annotations

import dataclasses

import pytest

from ecowatch.errors import InputError
from ecowatch.shapes.stations import Station, StationRegistry


@pytest.fixture(scope="module")
def registry() -> StationRegistry:
    return StationRegistry.default()


def test_35_stations(registry):
    assert len(registry) == 35
    assert len(list(registry)) == 35
    assert len({s.code for s in registry}) == 35


def test_23_assessment_stations(registry):
    by_category: dict[str, int] = {}
    for s in registry:
        by_category[s.category] = by_category.get(s.category, 0) + 1
    assert by_category == {
        "urban": 12,
        "suburban": 11,
        "control_background": 1,
        "regional_transport": 6,
        "traffic": 5,
    }
    assert sum(s.is_assessment for s in registry) == 23


def test_dingling_is_the_control_point(registry):
    s = registry.resolve("Dingling")
    assert s is not None
    assert s.code == "1002A"
    assert s.name == "定陵"
    assert s.category == "control_background"
    assert not s.is_assessment
    assert registry.resolve("定陵(对照点)") is s
    assert registry.resolve("定陵对照点") is s


def test_dongsi(registry):
    s = registry.resolve("东四")
    assert s is not None and s.code == "1003A"
    assert (s.name, s.name_en, s.city, s.city_code, s.category) == (
        "东四",
        "Dongsi",
        "北京",
        "110000",
        "urban",
    )
    assert (s.lon, s.lat) == (116.4174, 39.9289)  # national list, 4 decimals
    assert s.is_assessment
    for name in ("1003A", "1003a", "Dongsi", "DONGSI", " dongsi ", "东城东四"):
        assert registry.resolve(name) is s, name


def test_all_twelve_prsa_names_resolve_to_national_codes(registry):
    prsa = {
        "Wanshouxigong": "1001A",
        "Dingling": "1002A",
        "Dongsi": "1003A",
        "Tiantan": "1004A",
        "Nongzhanguan": "1005A",
        "Guanyuan": "1006A",
        "Wanliu": "1007A",
        "Shunyi": "1008A",
        "Huairou": "1009A",
        "Changping": "1010A",
        "Aotizhongxin": "1011A",
        "Gucheng": "1012A",
    }
    assert {n: registry.resolve(n).code for n in prsa} == prsa


def test_station_without_national_code(registry):
    s = registry.resolve("北部新区")
    assert s is not None
    assert (s.code, s.name_en, s.category) == ("BJ-北部新区", "Beibuxinqu", "urban")
    assert (s.lon, s.lat) == (116.174, 40.09)
    traffic = registry.resolve("前门交通点(前门东大街)")
    assert traffic is not None and traffic.code == "BJ-前门" and not traffic.is_assessment
    # full-width parentheses, as often typed in Chinese text
    assert registry.resolve("京西北区域点（八达岭）").code == "BJ-八达岭"


def test_unknown_name(registry):
    assert registry.resolve("Nowhere") is None
    assert registry.resolve("") is None
    assert registry.get("Dongsi") is None  # get() takes codes only
    assert registry.get("1003A").name == "东四"
    assert "1003A" in registry


def test_ad_hoc(registry):
    s = registry.ad_hoc("My Site")
    assert s == Station("My Site", "My Site", "", "", "", "unregistered", None, None)
    assert s.is_assessment
    assert not s.is_registered
    assert registry.resolve("My Site") is None  # ad-hoc stations are not added to the registry


def test_station_is_frozen(registry):
    s = registry.get("1003A")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.code = "X"  # type: ignore[misc]


def test_from_csv(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text(
        "code,name,name_en,city,city_code,category,lon,lat,aliases\n"
        "A1,甲站,Alpha,某市,100000,suburban,1.5,2.5,alpha site;A-one\n"
        "A2,乙站,,某市,100000,traffic,,,\n",
        encoding="utf-8",
    )
    reg = StationRegistry.from_csv(path)
    assert [s.code for s in reg] == ["A1", "A2"]
    assert reg.resolve("ALPHA SITE").code == "A1"
    assert reg.resolve("a-one").code == "A1"
    assert reg.get("A2").lon is None
    assert [s.is_assessment for s in reg] == [True, False]


def test_from_csv_errors(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text("code,name\nA1,x\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        StationRegistry.from_csv(path)
    assert str(exc.value) == "reg.csv, line 1, field category: missing required column"
    path.write_text("code,name,category\nA1,x,urban\nA2,y,park\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        StationRegistry.from_csv(path)
    assert str(exc.value) == "reg.csv, line 3, field category: unknown category 'park'"
    path.write_text("code,name,category,lon\nA1,x,urban,east\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2, field lon: non-numeric value 'east'"):
        StationRegistry.from_csv(path)
    path.write_text("code,name,category\nA1,x,urban\nA1,y,urban\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate station code"):
        StationRegistry.from_csv(path)
