"""The packaged section registry: built from the release's section list, codes stable, river or lake
derived as decisions W-code and W-derive say, and the published classes it lets us reproduce."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from ecowatch.errors import InputError
from ecowatch.shapes.regions import DivisionList
from ecowatch.standards import Waterbody, water_class
from ecowatch.water.importer import read_water_file
from ecowatch.water.registry import SectionRegistry, read_registry, section_key
from ecowatch.water.registry_build import PACKAGED as BUILT
from ecowatch.water.registry_build import build, name_says_lake

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cn-surface-water"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")


def _published_sections() -> list[dict[str, str]]:
    with open(DATA / "sections.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_codes_are_unique_and_name_the_province() -> None:
    registry = SectionRegistry.default()
    divisions = DivisionList.default()
    assert len(registry) == 1925
    for section in registry:
        assert re.fullmatch(r"W\d{6}", section.code)
        assert section.code[1:3] == section.province_code[:2]
        assert divisions[section.province_code].level == "province"
        if section.city_code is not None:  # a city, or a county-level city under the province (济源市)
            city = divisions[section.city_code]
            assert city.level == "city" or divisions[city.parent_code].level == "province"


@needs_data
def test_every_published_section_is_in_the_registry_once() -> None:
    registry = SectionRegistry.default()
    rows = _published_sections()
    assert len(rows) == 1925
    found = {registry.find(row["province"], row["section"]).code for row in rows}  # type: ignore[union-attr]
    assert len(found) == 1925


@needs_data
def test_cities_the_release_names_resolve_to_gbt2260() -> None:
    registry = SectionRegistry.default()
    # sections.csv: 天津市,海河流域,三岔口,河北区,海河 / 江苏省,太湖流域,沙渚,无锡市,太湖 /
    # 北京市,海河流域,古北口,密云区,潮河 / 河南省,黄河流域,小浪底水库(小浪底),济源市,黄河
    assert (registry.find("天津市", "三岔口").city_code, registry.find("天津市", "三岔口").river) == (
        "120100",
        "海河",
    )
    assert registry.find("江苏省", "沙渚").city_code == "320200"
    assert registry.find("北京市", "古北口").city_code == "110100"  # 密云区 is a district of 北京市 (R-shape)
    assert registry.find("河南省", "小浪底水库(小浪底)").city_code == "419001"  # 济源市, under the province
    with_city = [row for row in _published_sections() if row["city"]]
    assert sum(registry.find(r["province"], r["section"]).city_code is not None for r in with_city) == len(
        with_city
    )


@needs_data
def test_a_municipalitys_sections_are_in_its_one_city() -> None:
    # 北京市, 天津市, 上海市 and 重庆市 have one city-level division each (110100 .. 500100, GB/T 2260): every
    # section the release lists under them is in that city (W-place), named or not.
    registry = SectionRegistry.default()
    rows = _published_sections()
    for province, city in (
        ("北京市", "110100"),
        ("天津市", "120100"),
        ("上海市", "310100"),
        ("重庆市", "500100"),
    ):
        listed = [row["section"] for row in rows if row["province"] == province]
        assert listed, province
        assert {registry.find(province, name).city_code for name in listed} == {city}  # type: ignore[union-attr]
    # Elsewhere an unnamed city stays unset: 河北省's 郭家屯 (no city in the release).
    assert registry.find("河北省", "郭家屯").city_code is None  # type: ignore[union-attr]


def test_name_rule() -> None:
    assert name_says_lake("大伙房水库") and name_says_lake("湘家荡") and name_says_lake("白洋淀")
    assert name_says_lake("于桥水库库中心")  # 于桥 is the reservoir's name, not a bridge
    assert not name_says_lake("白洋淀渡口入湖口") and not name_says_lake("张峰水库出口")
    assert not name_says_lake("大冶湖闸") and not name_says_lake("急水港桥", "淀山湖")
    assert not name_says_lake("七效港西桥")


def test_waterbodies_and_their_basis() -> None:
    registry = SectionRegistry.default()

    def of(province: str, name: str) -> tuple[str, str]:
        section = registry.find(province, name)
        assert section is not None
        return section.waterbody.value, section.waterbody_basis

    # Lake-centre sites the lake TP column reproduces: 阳宗海中 (阳宗海), 平台山 (太湖), 忠庙 (巢湖).
    assert of("云南省", "阳宗海中") == ("lake", "classes")
    assert of("江苏省", "平台山") == ("lake", "classes")
    assert of("安徽省", "忠庙") == ("lake", "classes")
    # Named as a reservoir, but the published classes follow the river TP column.
    assert of("河南省", "小浪底水库(小浪底)") == ("river", "classes")
    assert of("天津市", "于桥水库库中心") == ("lake", "name")  # no published class with TP: the name decides
    assert of("上海市", "七效港西桥") == ("river", "classes")
    counts = {
        basis: sum(s.waterbody_basis == basis for s in registry) for basis in ("classes", "name", "default")
    }
    assert sum(counts.values()) == 1925


@needs_data
@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("auto_stations_4h_2021-04-01_05.csv.gz", 98.7),
        ("daily_snapshots_98_sections_2020-05-10_2021-04-05.csv.gz", 99.9),
        ("national_snapshots_2020-05-08_09.csv.gz", 100.0),
    ],
)
def test_registry_waterbodies_reproduce_the_published_classes(name: str, floor: float) -> None:
    read = read_water_file(DATA / name)
    agree = total = 0
    for row, values in read.iter_values():
        if row["published_class"] is None or not values:
            continue
        total += 1
        agree += water_class(values, Waterbody(row["waterbody"])).water_class == row["published_class"]
    assert 100 * agree / total >= floor, f"{agree}/{total}"


@needs_data
def test_rebuild_keeps_codes_and_numbers_new_sections_after_the_last(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(DATA / "sections.csv", folder / "sections.csv")
    with open(folder / "sections.csv", "a", encoding="utf-8") as handle:
        handle.write("天津市,海河流域,新开的断面,,\n")
    existing = read_registry(BUILT)
    sections, _ = build(folder, existing)
    codes = {section_key(s.province, s.name): s.code for s in sections}
    assert all(codes[section_key(s.province, s.name)] == s.code for s in existing)
    assert codes[("天津市", "新开的断面")] == "W120030"  # 天津 has W120001..W120029


def test_a_bad_registry_names_file_line_field(tmp_path: Path) -> None:
    text = BUILT.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",river,", ",sea,", 1).replace(",lake,", ",sea,", 1)
    path = tmp_path / "sections.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert (caught.value.line, caught.value.field) == (4, "waterbody")
