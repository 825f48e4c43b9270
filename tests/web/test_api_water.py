"""``/api/v1/water``: the sections on the map, a section's samples, the period assessment, as JSON, CSV, XLSX.

The store: the web fixture store (``conftest.py``: regions, users) plus four real sections of the national
automatic stations' release (``../shared/data/cn-surface-water/auto_stations_4h_2021-04-01_05.csv.gz``)
with every record the file has of them, stored with the water models (:func:`build_water_store`):

=========  ==========  ======  ========  ==============================================================
code       section     region  basin     last record
=========  ==========  ======  ========  ==============================================================
W110021    鼓楼外大街  110000  海河流域  2021-04-05 20:00: pH 8.88, DO 15.12, CODMn 2.51, NH3-N 0.025,
                                         TP 0.020, TN 1.37; published Ⅱ
W130068    郭家屯      130000  海河流域  2021-04-05 20:00: DO 10.73, CODMn 7.47, NH3-N 0.025, TP 0.085;
                                         published Ⅳ
W310001    七效港西桥  310000  长江流域  2021-04-05 20:00
W530015    王大桥      530000  滇池流域  2021-04-01 04:00 (then maintenance): DO 2.52, CODMn 3.92,
                                         NH3-N 3.046, TP 0.206; published 劣Ⅴ
=========  ==========  ======  ========  ==============================================================

Expected classes are worked by hand from GB 3838-2002 Table 1 (rivers): CODMn 7.47 is over Ⅲ's 6 and
within Ⅳ's 10, so 郭家屯 is Ⅳ with CODMn (7.47 − 6) / 6 = 0.245 → 0.2 times over; 王大桥's NH3-N 3.046 is
over Ⅴ's 2.0 (劣Ⅴ, (3.046 − 1) / 1 = 2.046 → 2.0 times), DO 2.52 is Ⅴ (≥ 2, < 3), TP 0.206 is Ⅳ.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backends import BACKENDS
from conftest import TEST_SECRET_KEY, _empty_url, _token_headers, build_store
from ecowatch.clock import BEIJING
from ecowatch.demo import seed_water
from ecowatch.standards import Waterbody, water_class
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.water.importer import read_water_file, record_values
from ecowatch.water.models import WaterSample, WaterSection
from ecowatch.water.registry import SectionRegistry
from ecowatch.water.service import set_section
from ecowatch.web.app import create_app
from ecowatch.web.pages import map_legend

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cn-surface-water"
FOUR_HOURLY = DATA / "auto_stations_4h_2021-04-01_05.csv.gz"
SECTIONS = ("W110021", "W130068", "W310001", "W530015")
#: The moment the tests look at the map: the last record of the file.
AT = "2021-04-05T20:00:00+08:00"

pytestmark = pytest.mark.skipif(not FOUR_HOURLY.exists(), reason=f"{FOUR_HOURLY} is not there")


def build_water_store(url: str, codes: tuple[str, ...] = SECTIONS) -> None:
    """The web fixture store with the sections ``codes`` of the registry and their records of the 4-hourly
    file, each with its published class and the GB 3838-2002 class of its values (normal records)."""
    build_store(url)
    registry = SectionRegistry.default()
    read = read_water_file(FOUR_HOURLY)
    frame = read.samples.filter(read.samples["section"].is_in(list(codes)))
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            ids = {}
            for code in codes:
                entry = registry.get(code)
                assert entry is not None, code
                section = WaterSection(
                    code=entry.code,
                    name=entry.name,
                    province_code=entry.province_code,
                    city_code=entry.city_code or None,
                    basin=entry.basin,
                    river=entry.river or None,
                    waterbody=entry.waterbody.value,
                    waterbody_basis=entry.waterbody_basis,
                )
                session.add(section)
                session.flush()
                ids[code] = section.id
            for row in frame.iter_rows(named=True):
                values = record_values(row, read.parameters)
                ours = (
                    int(water_class(values, Waterbody(row["waterbody"])).water_class)
                    if row["usable"] and values
                    else None
                )
                stored = {
                    name: row[name]
                    for name in read.parameters
                    if row[name] is not None or row[f"{name}_below"]
                }
                session.add(
                    WaterSample(
                        section_id=ids[row["section"]],
                        time=row["time"].replace(tzinfo=BEIJING).astimezone(dt.UTC),
                        parameter_values=stored,
                        below=[name for name in read.parameters if row[f"{name}_below"]],
                        published_class=row["published_class"],
                        our_class=ours,
                        status=row["status"],
                        source=row["source"],
                        line=row["line"],
                    )
                )
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def water_app(request, tmp_path_factory) -> Iterator[FastAPI]:
    for url in _empty_url(request, tmp_path_factory.mktemp("water-store")):
        build_water_store(url)
        yield create_app(url, secret_key=TEST_SECRET_KEY)


@pytest.fixture(scope="module")
def water(water_app) -> Iterator[tuple[TestClient, callable]]:
    with TestClient(water_app) as client:
        yield client, lambda user: _token_headers(water_app, user)


def _get(water, path: str, user: str = "admin", **params):
    client, auth = water
    response = client.get(path, params=params, headers=auth(user))
    assert response.status_code == 200, response.text
    return response


def _sections(water, user: str = "admin", **params) -> dict[str, dict]:
    body = _get(water, "/api/v1/water/sections", user, **params).json()
    return {section["code"]: section for section in body["sections"]}


# -- the sections on the map ----------------------------------------------------------------------


def test_each_section_has_its_latest_sample_class_and_colour(water):
    sections = _sections(water, at=AT)
    assert sorted(sections) == list(SECTIONS)
    gulou, guojiatun, wangdaqiao = sections["W110021"], sections["W130068"], sections["W530015"]
    assert (gulou["name"], gulou["basin"], gulou["province"], gulou["waterbody"]) == (
        "鼓楼外大街",
        "海河流域",
        "北京市",
        "river",
    )
    assert gulou["time"] == "2021-04-05T20:00:00+08:00"
    assert (gulou["class_zh"], gulou["class_en"], gulou["status_zh"], gulou["status_en"]) == (
        "Ⅱ",
        "II",
        "优",
        "excellent",
    )
    assert gulou["published_class_zh"] == "Ⅱ" and gulou["main_pollutants"] == []
    assert gulou["colour"] == "#0000FF" and gulou["stale"] is False  # 优: the method's blue
    assert gulou["station_status_zh"] == "正常" and gulou["station_status_en"] == "normal"

    assert (guojiatun["class_zh"], guojiatun["status_zh"], guojiatun["colour"]) == (
        "Ⅳ",
        "轻度污染",
        "#FFFF00",
    )
    assert guojiatun["main_pollutants"] == [
        {"code": "CODMn", "name_zh": "高锰酸盐指数", "name_en": "permanganate index", "multiple": 0.2}
    ]
    # 王大桥's last record is of 2021-04-01 04:00: 112 hours before the moment shown, over 48: stale,
    # grey, with its own time and class kept.
    assert wangdaqiao["time"] == "2021-04-01T04:00:00+08:00"
    assert wangdaqiao["stale"] is True and wangdaqiao["colour"] == "#9E9E9E"
    assert (wangdaqiao["class_zh"], wangdaqiao["published_class_zh"]) == ("劣Ⅴ", "劣Ⅴ")
    assert [(p["code"], p["multiple"]) for p in wangdaqiao["main_pollutants"]] == [
        ("NH3-N", 2.0),
        ("DO", None),
        ("TP", 0.0),
    ]


def test_sections_without_coordinates_are_placed_at_their_city_or_province_seat(water):
    sections = _sections(water, at=AT)
    gulou, guojiatun = sections["W110021"], sections["W130068"]
    # No coordinates: 鼓楼外大街 is in the municipality's one city, 北京市 110100 (W-place), at its seat;
    # the release names no city for 郭家屯: 河北's seat (ECharts 4.9.0's china.json cp, 石家庄).
    assert (gulou["city_code"], gulou["city"]) == ("110100", "北京")
    assert (gulou["placed"], gulou["lon"], gulou["lat"]) == ("city", 116.405285, 39.904989)
    assert (guojiatun["placed"], guojiatun["lon"], guojiatun["lat"]) == ("province", 114.502461, 38.045474)


def test_the_moment_shown_picks_the_sample_of_its_time(water):
    body = _get(water, "/api/v1/water/sections", at="2021-04-05T10:00").json()
    assert body["at"] == "2021-04-05T10:00:00+08:00"
    gulou = {s["code"]: s for s in body["sections"]}["W110021"]
    assert gulou["time"] == "2021-04-05T08:00:00+08:00" and gulou["stale"] is False
    before = {
        s["code"]: s for s in _get(water, "/api/v1/water/sections", at="2021-03-01T00:00").json()["sections"]
    }
    assert before["W110021"]["time"] is None and before["W110021"]["class_zh"] is None
    # Today (the wall clock, 2026) every section's last sample is years old.
    now = _sections(water)
    assert all(section["stale"] for section in now.values())


@pytest.mark.parametrize(
    ("user", "visible"),
    [("bj", ["W110021"]), ("bjcity", ["W110021"]), ("hebei", ["W130068"]), ("chaoyang", []), ("ent_cy", [])],
)
def test_sections_follow_the_users_regions(water, user, visible):
    assert sorted(_sections(water, user, at=AT)) == visible


def test_a_section_outside_the_scope_answers_as_unknown(water):
    client, auth = water
    for code in ("W130068", "W999999"):
        response = client.get(f"/api/v1/water/sections/{code}/samples", headers=auth("bj"))
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == f"no section {code!r}"


# -- a section's samples --------------------------------------------------------------------------


def test_a_sections_samples_with_names_units_and_classes(water):
    body = _get(
        water, "/api/v1/water/sections/W130068/samples", **{"from": "2021-04-05", "to": "2021-04-05"}
    ).json()
    assert (body["from"], body["to"]) == ("2021-04-05T00:00:00+08:00", "2021-04-05T23:59:59+08:00")
    assert [s["time"][11:16] for s in body["samples"]] == ["00:00", "08:00", "12:00", "16:00", "20:00"]
    labels = {i["code"]: i for i in body["indicators"]}
    assert labels["CODMn"] == {
        "code": "CODMn",
        "name_zh": "高锰酸盐指数",
        "name_en": "permanganate index",
        "symbol": "CODMn",
        "unit": "mg/L",
        "main": True,
    }
    assert (labels["NH3-N"]["name_zh"], labels["NH3-N"]["symbol"]) == ("氨氮", "NH₃-N")
    assert body["chart"] == ["CODMn", "NH3-N", "TP", "DO"]
    assert (labels["TP"]["name_zh"], labels["water_temp"]["unit"], labels["pH"]["unit"]) == ("总磷", "°C", "")
    last = body["samples"][-1]
    assert last["values"]["CODMn"] == {"value": 7.47, "below_detection": False}
    assert last["values"]["TP"] == {"value": 0.085, "below_detection": False}
    # The release printed NH3-N 0.025: half of the 0.05 limit, below detection (W-detection).
    assert last["values"]["NH3-N"] == {"value": 0.05, "below_detection": True}
    assert (last["class_zh"], last["published_class_zh"], last["colour"]) == ("Ⅳ", "Ⅳ", "#FFFF00")


def test_without_a_period_the_last_days_up_to_the_latest_sample(water):
    body = _get(water, "/api/v1/water/sections/W110021/samples", days=1).json()
    assert body["to"] == "2021-04-05T20:00:00+08:00"
    assert [s["time"][11:16] for s in body["samples"]] == [
        "00:00",
        "04:00",
        "08:00",
        "12:00",
        "16:00",
        "20:00",
    ]
    assert [s["values"]["CODMn"]["value"] for s in body["samples"]] == [2.35, 2.35, 2.43, 2.41, 2.22, 2.51]


def test_the_samples_as_csv_have_a_bom_and_chinese_headings_with_english(water):
    response = _get(
        water,
        "/api/v1/water/sections/W110021/samples",
        format="csv",
        **{"from": "2021-04-05", "to": "2021-04-05"},
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:4] == [
        "监测时间 time",
        "水质类别 class",
        "发布类别 published class",
        "站点情况 station status",
    ]
    assert "高锰酸盐指数 permanganate index CODMn (mg/L)" in header
    assert "氨氮 ammonia nitrogen NH₃-N (mg/L)" in header
    last = dict(zip(header, lines[-1].split(","), strict=True))
    assert last["监测时间 time"] == "2021-04-05T20:00:00+08:00"
    assert last["高锰酸盐指数 permanganate index CODMn (mg/L)"] == "2.51"
    # 20:00's NH3-N, printed 0.025 by the release (half the limit): "<0.05", never a measured 0.025.
    assert last["氨氮 ammonia nitrogen NH₃-N (mg/L)"] == "<0.05"
    assert last["低于检出限 below detection (<limit)"] == "NH3-N"
    assert last["水质类别 class"] == "Ⅱ类 II"
    assert len(lines) == 1 + 6


def test_the_sections_as_xlsx_have_dates_as_dates(water):
    response = _get(water, "/api/v1/water/sections", format="xlsx", at=AT)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "最新监测时间 latest sample (UTC+08:00)" in header
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    gulou = by_code["W110021"]
    assert gulou["最新监测时间 latest sample (UTC+08:00)"] == dt.datetime(2021, 4, 5, 20, 0)
    assert gulou["水质类别 class"] == "Ⅱ类 II" and gulou["水质状况 water status"] == "优 excellent"
    assert by_code["W130068"]["主要污染指标 main pollutants (×Ⅲ limit over)"] == (
        "高锰酸盐指数 permanganate index (0.2)"
    )


# -- the period assessment ------------------------------------------------------------------------


def test_the_assessment_of_a_day(water):
    body = _get(water, "/api/v1/water/assessment", **{"from": "2021-04-05", "to": "2021-04-05"}).json()
    sections = {s["section"]: s for s in body["sections"]}
    # 郭家屯's five samples of the day: CODMn (6.64 + 7.46 + 7.45 + 7.07 + 7.47) / 5 = 7.218: Ⅳ, 0.2 over.
    assert (sections["W130068"]["class_zh"], sections["W130068"]["exceeding"]) == ("Ⅳ", {"CODMn": 0.2})
    # 鼓楼外大街: TP (5 × 0.020 + 0.021) / 6 = 0.0202, over Ⅰ's 0.02: Ⅱ.
    assert sections["W110021"]["class_zh"] == "Ⅱ"
    assert "W530015" not in sections  # no sample that day
    haihe = {b["basin"]: b for b in body["basins"]}["海河流域"]
    assert (haihe["sections"], haihe["share_I_III_percent"]) == (2, 50.0)


def test_the_assessment_follows_the_scope_and_filters(water):
    body = _get(
        water, "/api/v1/water/assessment", "hebei", **{"from": "2021-04-05", "to": "2021-04-05"}
    ).json()
    assert [s["section"] for s in body["sections"]] == ["W130068"]
    body = _get(
        water, "/api/v1/water/assessment", basin="长江流域", **{"from": "2021-04-01", "to": "2021-04-05"}
    ).json()
    assert [s["section"] for s in body["sections"]] == ["W310001"]


def test_a_municipalitys_city_user_sees_and_assesses_its_sections(water):
    # 北京市's sections are in its one city 110100 (W-place): the city's user (demo user "beijing")
    # sees them on the map, reads their samples and finds them in its city's assessment.
    assert sorted(_sections(water, "bjcity", at=AT)) == ["W110021"]
    samples = _get(water, "/api/v1/water/sections/W110021/samples", "bjcity", days=1).json()
    assert samples["section"]["city_code"] == "110100" and len(samples["samples"]) == 6
    params = {"from": "2021-04-05", "to": "2021-04-05", "city": "110100"}
    body = _get(water, "/api/v1/water/assessment", "bjcity", **params).json()
    assert [s["section"] for s in body["sections"]] == ["W110021"]
    assert [(c["city_code"], c["sections"]) for c in body["cities"]] == [("110100", 1)]


def test_a_city_outside_the_scope_answers_as_unknown(water):
    client, auth = water
    params = {"from": "2021-04-05", "to": "2021-04-05", "city": "110100"}
    response = client.get("/api/v1/water/assessment", params=params, headers=auth("hebei"))
    assert response.status_code == 404
    assert response.json()["detail"] == "city: no region '110100'"


def test_the_assessment_as_csv(water):
    response = _get(
        water,
        "/api/v1/water/assessment",
        format="csv",
        table="sections",
        **{"from": "2021-04-05", "to": "2021-04-05"},
    )
    text = response.content.decode("utf-8-sig")
    assert response.content.startswith(b"\xef\xbb\xbf")
    header = text.splitlines()[0].split(",")
    assert header[:2] == ["断面编号 code", "断面名称 section"]
    assert "水质类别 class" in header and "超标倍数 times over Ⅲ" in header


def test_a_period_the_wrong_way_round_is_refused(water):
    client, auth = water
    response = client.get(
        "/api/v1/water/assessment", params={"from": "2021-04-05", "to": "2021-04-01"}, headers=auth("admin")
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "to: 2021-04-01 is before from: 2021-04-05"


# -- the legend -----------------------------------------------------------------------------------


def test_the_legend_has_the_six_classes_and_the_stale_rule():
    water = map_legend()["water"]
    assert [(c["roman_zh"], c["status_zh"], c["colour"]) for c in water["classes"]] == [
        ("Ⅰ", "优", "#66CCFF"),
        ("Ⅱ", "优", "#0000FF"),
        ("Ⅲ", "良好", "#00FF00"),
        ("Ⅳ", "轻度污染", "#FFFF00"),
        ("Ⅴ", "中度污染", "#FFA500"),
        ("劣Ⅴ", "重度污染", "#FF0000"),
    ]
    assert water["stale_after_hours"] == 48


# -- the demo -------------------------------------------------------------------------------------


def test_the_demo_loads_one_day_of_every_section(tmp_path):
    """``ecowatch demo``'s water: the file's 2021-04-05 records, 7,421 lines of which 7,414 distinct
    (province, section, time) (``zcat … | awk -F, '$5 ~ /^2021-04-05T/'``: the 00:00 record written
    twice is one sample); a second run adds nothing."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate.upgrade(url)
    assert seed_water(url, FOUR_HOURLY) == 7414
    assert seed_water(url, FOUR_HOURLY) == 0
    app = create_app(url, secret_key=TEST_SECRET_KEY)
    with TestClient(app) as client:
        from ecowatch.store.users import create_user

        engine = make_engine(url)
        with session_factory(engine).begin() as session:
            create_user(
                session=session, username="admin", password="pw-admin-2016", role="admin", actor="test"
            )
        engine.dispose()
        headers = _token_headers(app, "admin")
        body = client.get("/api/v1/water/sections", params={"at": AT}, headers=headers).json()
        # The answer is memoised; a correction of the registry (audited) is seen at once.
        with session_factory(engine).begin() as session:
            set_section(session=session, code="W110021", actor="test", lon=116.39, lat=39.94)
        engine.dispose()
        again = client.get("/api/v1/water/sections", params={"at": AT}, headers=headers).json()
    timed = [s for s in body["sections"] if s["time"] is not None]
    # 1,625 distinct (province, section) have a record that day (``awk … | sort -u | wc -l``).
    assert body["as_of"] == AT and len(timed) == 1625
    assert all(s["lon"] is not None for s in timed)
    before = {s["code"]: s for s in body["sections"]}["W110021"]
    after = {s["code"]: s for s in again["sections"]}["W110021"]
    assert (before["placed"], after["placed"], after["lon"], after["lat"]) == (
        "city",
        "section",
        116.39,
        39.94,
    )
