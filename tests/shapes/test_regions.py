"""The packaged GB/T 2260 division list and the name resolver (:mod:`ecowatch.shapes.regions`).

Expected figures are those of the Ministry of Civil Affairs' 2020 list that the package carries
(src/ecowatch/shapes/data/PROVENANCE.md): 34 provincial-level divisions, 333 prefecture-level ones
plus the city level of the 4 municipalities, and the county-level rows of the package's area.csv.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from importlib import resources

import pytest

from ecowatch.errors import InputError
from ecowatch.shapes.regions import Division, DivisionList, load_divisions, short_name


@pytest.fixture(scope="module")
def divisions() -> DivisionList:
    return DivisionList.default()


def test_the_packaged_file_is_the_one_provenance_names():
    data = resources.files("ecowatch.shapes").joinpath("data/divisions.csv").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == "a2e9b52975e1a190f44499365732b34820a030987b39befc8e073f5b7020dfa6"


def test_counts_per_level(divisions):
    assert Counter(d.level for d in divisions.values()) == {"province": 34, "city": 337, "county": 2846}


@pytest.mark.parametrize(
    "code, name, level, parents",
    [
        ("110105", "朝阳区", "county", ["110100", "110000"]),
        ("130102", "长安区", "county", ["130100", "130000"]),
        ("130100", "石家庄市", "city", ["130000"]),
        ("110100", "北京市", "city", ["110000"]),  # a municipality's city level, named as the province
        ("500229", "城口县", "county", ["500100", "500000"]),  # 重庆's 县 (5002xx) hang on its city level
        ("419001", "济源市", "county", ["410000"]),  # province-administered county-level city
        ("441900", "东莞市", "city", ["440000"]),  # a city without counties
        ("810000", "香港特别行政区", "province", []),
    ],
)
def test_known_codes(divisions, code, name, level, parents):
    assert (divisions[code].name, divisions[code].level) == (name, level)
    assert [d.code for d in divisions.ancestors(code)] == parents


def test_the_grouping_rows_of_the_package_are_not_divisions(divisions):
    assert not {"419000", "429000", "469000", "659000"} & set(divisions)


@pytest.mark.parametrize(
    "name, options, code",
    [
        ("河北省", {}, "130000"),
        ("河北", {}, "130000"),  # 河北区 of 天津 is a county: the province wins
        ("石家庄市", {}, "130100"),
        ("石家庄", {}, "130100"),
        ("广西壮族自治区", {}, "450000"),
        ("新疆", {}, "650000"),
        ("内蒙古自治区", {}, "150000"),
        ("延边朝鲜族自治州", {}, "222400"),
        ("红河哈尼族彝族自治州", {"within": "530000"}, "532500"),
        ("吉林", {}, "220000"),
        ("吉林", {"level": "city"}, "220200"),
        ("朝阳区", {"within": "110000"}, "110105"),
        ("朝阳区", {"within": "220100"}, "220104"),
        ("朝阳", {"level": "city"}, "211300"),
        ("河北区", {"within": "120000"}, "120105"),
        ("ＸＸ", {}, None),
        ("朝阳区", {}, None),  # two counties: ambiguous without `within`
        ("长安区", {"within": "130000"}, "130102"),
        ("石家庄", {"within": "110000"}, None),
    ],
)
def test_resolve(divisions, name, options, code):
    assert divisions.resolve(name, **options) == code


def test_every_province_and_city_of_the_surface_water_sections_resolves(divisions):
    """The names ../shared/data/cn-surface-water/sections.csv carries (a sample typed from it)."""
    pairs = [
        ("上海市", "青浦区", "310118"),
        ("云南省", "西双版纳傣族自治州", "532800"),
        ("内蒙古自治区", "呼伦贝尔市", "150700"),
        ("北京市", "密云区", "110118"),
        ("吉林省", "延边朝鲜族自治州", "222400"),
        ("天津市", "蓟州区", "120119"),
    ]
    for province, city, code in pairs:
        within = divisions.resolve(province, level="province")
        assert divisions.resolve(city, within=within) == code, (province, city)


@pytest.mark.parametrize(
    "name, short",
    [
        ("黔东南苗族侗族自治州", "黔东南"),
        ("海西蒙古族藏族自治州", "海西"),
        ("香港特别行政区", "香港"),
        ("大兴安岭地区", "大兴安岭"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("神农架林区", "神农架"),
        ("西藏自治区", "西藏"),
        ("赵县", "赵县"),
        ("宁夏回族自治区", "宁夏"),
    ],
)
def test_short_name(name, short):
    assert short_name(name) == short


@pytest.mark.parametrize(
    "body, message",
    [
        ("code,name,level\n", r"x\.csv, line 1: missing column\(s\) parent_code"),
        (
            "code,name,level,parent_code\n11000,北京市,province,\n",
            r"x\.csv, line 2, field code: '11000' is not",
        ),
        (
            "code,name,level,parent_code\n110000,北京市,state,\n",
            r"line 2, field level: 'state' is not one of",
        ),
        (
            "code,name,level,parent_code\n110100,北京市,city,110000\n",
            r"line 2, field parent_code: '110000' is not listed above this line",
        ),
        (
            "code,name,level,parent_code\n110000,北京市,province,\n110105,朝阳区,county,110000\n"
            "110106,丰台区,county,110105\n",
            r"line 4, field parent_code: 110105 is a county, not above a county",
        ),
        (
            "code,name,level,parent_code\n110000,北京市,province,\n110000,北京,province,\n",
            r"line 3, field code: 110000 is listed twice",
        ),
        (
            "code,name,level,parent_code,lon,lat\n110000,北京市,province,,east,39.9\n",
            r"line 2, field lon: 'east'",
        ),
    ],
)
def test_a_bad_list_names_file_line_and_field(tmp_path, body, message):
    path = tmp_path / "x.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_divisions(path)


def test_a_list_with_centroids(tmp_path):
    path = tmp_path / "later.csv"
    path.write_text(
        "\ufeffcode,name,level,parent_code,lon,lat\n110000,北京市,province,,116.407,39.904\n",
        encoding="utf-8",
    )
    assert load_divisions(path) == [Division("110000", "北京市", "province", "", 116.407, 39.904)]
