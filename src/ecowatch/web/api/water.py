"""``/api/v1/water``: the surface-water sections on the map, a section's samples, the period assessment.

- ``GET /water/sections``: the registry's sections in scope, each with its latest sample at or before
  ``at`` (default now): time, class (ours, GB 3838-2002 single-factor, and the one published), main
  pollutants, the class colour, ``stale`` when that sample is older than :data:`WATER_STALE_AFTER`
  before the moment shown, and where the map draws it (``placed``).
- ``GET /water/sections/{code}/samples``: a section's samples in a period with every parameter (name,
  unit, value, below-detection flag) and the class of each sample.
- ``GET /water/assessment``: the period assessment of the stored samples (2011 evaluation method, CWQI)
  per section, basin and city.

All three answer ``?format=csv|xlsx`` through the one export writer
(:mod:`ecowatch.reports.spreadsheets`: UTF-8 BOM, dates as dates), with Chinese headings and the
English beside them and every parameter's unit in its heading.

Scope: a section is in a staff user's scope when its city or its province is one of the user's regions or
below them (a municipality's sections are in its one city, W-place); an enterprise user has none.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecowatch.clock import BEIJING
from ecowatch.hj212 import code_label
from ecowatch.standards import StandardsError, Waterbody, WaterClass, WaterClassResult, water_class
from ecowatch.standards.water import WATER_CLASS_INDICATORS
from ecowatch.standards.water_levels import level_of_class
from ecowatch.store.budget import QueryBudgetExceeded, query_budget
from ecowatch.store.models import AuditEntry, Region
from ecowatch.store.users import Scope
from ecowatch.water.importer import EXTRA_PARAMETERS, PARAMETERS, STATUSES, UNITS, record_values
from ecowatch.water.models import WaterSample, WaterSection
from ecowatch.water.service import assess_period, latest_samples, region_names
from ecowatch.water.service import section_samples as stored_samples
from ecowatch.web.api.common import SCOPE_ERRORS, IsoDate, IsoDateOrTime
from ecowatch.web.deps import ScopeDep, SessionDep, state_of
from ecowatch.web.fairness import COSTLY_ERRORS, costly
from ecowatch.web.schemas import Problem
from ecowatch.web.status import NO_DATA_COLOUR, as_utc, beijing_iso
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, json_response, table_response

__all__ = [
    "CHART_PARAMETERS",
    "CLASS_I_COLOUR",
    "WATER_STALE_AFTER",
    "class_colour",
    "class_fields",
    "parameter_label",
    "router",
    "seat_of",
    "section_status",
    "sections_in_scope",
    "water_legend",
    "water_version",
]

#: A section's latest sample older than this before the moment shown is stale (grey and hatched on the
#: map, with its own time and class): the automatic stations sample every 4 hours, so two days without
#: one is twelve missed samples — maintenance or a stopped station, not a late upload.
WATER_STALE_AFTER = dt.timedelta(hours=48)

#: Map colour of Class Ⅰ.  The 2011 evaluation method gives one colour per qualitative level
#: (:attr:`ecowatch.standards.water_levels.WaterQualityLevel.colour`: Ⅰ–Ⅱ 优 blue, Ⅲ 良好 green, Ⅳ 轻度污染
#: yellow, Ⅴ 中度污染 orange, 劣Ⅴ 重度污染 red); the map tells Ⅰ from Ⅱ by a lighter blue, as the national
#: real-time release's map does (decision W-colours).
CLASS_I_COLOUR = "#66CCFF"


def class_colour(water_class: WaterClass) -> str:
    """The map colour of a class: its level's colour ([WATER-EVAL-2011]_ 表征颜色), Ⅰ a lighter blue.

    >>> [class_colour(c) for c in WaterClass]
    ['#66CCFF', '#0000FF', '#00FF00', '#FFFF00', '#FFA500', '#FF0000']
    """
    return CLASS_I_COLOUR if water_class is WaterClass.I else level_of_class(water_class).colour


#: The HJ 212-2017 Annex B code of each GB 3838-2002 indicator: its Chinese and English names come
#: from that code table (:func:`ecowatch.hj212.code_label`), its unit from the store's
#: (:data:`ecowatch.water.importer.UNITS`, mg/L where HJ 212 counts some metals in µg/L).
HJ212_CODES: Mapping[str, str] = MappingProxyType(
    {
        "pH": "w01001",
        "DO": "w01009",
        "CODMn": "w01019",
        "COD": "w01018",
        "BOD5": "w01017",
        "NH3-N": "w21003",
        "TP": "w21011",
        "TN": "w21001",
        "Cu": "w20122",
        "Zn": "w20123",
        "F": "w21017",
        "Se": "w20128",
        "As": "w20119",
        "Hg": "w20111",
        "Cd": "w20115",
        "Cr6": "w20117",
        "Pb": "w20120",
        "CN": "w21016",
        "phenol": "w23002",
        "petroleum": "w22001",
        "LAS": "w19002",
        "S2": "w21019",
        "fecal_coliform": "w02003",
    }
)
#: English names where HJ 212-2017's table has none of its own (GB 3838-2002 Table 1's items; the English is
#: ours: the standard is published in Chinese only).
NAMES_EN: Mapping[str, str] = MappingProxyType(
    {
        "COD": "chemical oxygen demand",
        "BOD5": "five-day biochemical oxygen demand",
        "Cu": "copper",
        "Zn": "zinc",
        "F": "fluoride",
        "Se": "selenium",
        "As": "arsenic",
        "Hg": "mercury",
        "Cd": "cadmium",
        "Cr6": "chromium (hexavalent)",
        "Pb": "lead",
        "CN": "cyanide",
        "phenol": "volatile phenol",
        "LAS": "anionic surfactant",
        "S2": "sulfide",
        "fecal_coliform": "fecal coliform",
    }
)
#: How a parameter's symbol is printed beside its name (the code itself where absent).
SYMBOLS: Mapping[str, str] = MappingProxyType(
    {
        "NH3-N": "NH₃-N",
        "BOD5": "BOD₅",
        "Cr6": "Cr(Ⅵ)",
        "S2": "S²⁻",
        "COD": "COD",
        "fecal_coliform": "",
        "water_temp": "",
        "conductivity": "",
        "turbidity": "",
        "algae": "",
        "chla": "Chl-a",
        "phenol": "",
        "petroleum": "",
    }
)
#: The parameters a section's panel draws as lines (the rest are in its table): the three that most
#: often set a river's class in the national data, and dissolved oxygen.
CHART_PARAMETERS: tuple[str, ...] = ("CODMn", "NH3-N", "TP", "DO")


def parameter_label(name: str) -> dict[str, Any]:
    """A stored parameter's names, symbol and unit, e.g. ``NH3-N`` -> 氨氮 / ammonia nitrogen, NH₃-N, mg/L.

    >>> label = parameter_label("CODMn")
    >>> label["name_zh"], label["name_en"], label["symbol"], label["unit"]
    ('高锰酸盐指数', 'permanganate index', 'CODMn', 'mg/L')
    >>> parameter_label("water_temp")["name_zh"], parameter_label("water_temp")["unit"]
    ('水温', '°C')
    """
    if name in HJ212_CODES:
        label = code_label(HJ212_CODES[name])
        name_zh, name_en = label.name_zh.removesuffix("值"), NAMES_EN.get(name, label.name_en)
    elif name in EXTRA_PARAMETERS:
        name_zh, name_en = EXTRA_PARAMETERS[name]
    else:
        name_zh = name_en = name
    symbol = SYMBOLS.get(name, name)
    if symbol in (name_zh, name_en):
        symbol = ""
    return {
        "code": name,
        "name_zh": name_zh,
        "name_en": name_en,
        "symbol": symbol,
        "unit": UNITS.get(name, ""),
    }


def class_fields(number: int | None) -> dict[str, Any]:
    """The class as the API gives it: number 1..6, Chinese (Ⅲ, 劣Ⅴ), English (III, worse than V), the
    qualitative status in both languages and the colour; all null (grey) without a class."""
    if number is None:
        return {
            "class_number": None,
            "class_zh": None,
            "class_en": None,
            "status_zh": None,
            "status_en": None,
            "colour": NO_DATA_COLOUR,
        }
    water_class = WaterClass(number)
    level = level_of_class(water_class)
    return {
        "class_number": number,
        "class_zh": water_class.zh,
        "class_en": water_class.label,
        "status_zh": level.zh,
        "status_en": level.value,
        "colour": class_colour(water_class),
    }


def station_status(key: str | None) -> tuple[str | None, str | None]:
    """The station status (a key of :data:`ecowatch.water.importer.STATUSES`) in Chinese and English."""
    if key is None:
        return None, None
    return STATUSES.get(key, (key, key))


@functools.cache
def _seats() -> Mapping[str, tuple[float, float]]:
    text = resources.files("ecowatch.web").joinpath("data/city_seats.csv").read_text(encoding="utf-8")
    return MappingProxyType(
        {row["code"]: (float(row["lon"]), float(row["lat"])) for row in csv.DictReader(text.splitlines())}
    )


def seat_of(code: str | None) -> tuple[float, float] | None:
    """Where the map places a province or city without a centroid of its own: its seat [lon, lat]
    (``web/data/city_seats.csv``, from ECharts 4.9.0's outlines), None when unknown.

    >>> seat_of("110100"), seat_of("999999")
    ((116.405285, 39.904989), None)
    """
    return None if code is None else _seats().get(code)


def water_legend() -> dict[str, Any]:
    """The map legend's surface-water part: the six classes with their colours and water status, the
    grey of a stale or missing sample and :data:`WATER_STALE_AFTER` in hours."""
    classes = []
    for each in WaterClass:
        level = level_of_class(each)
        classes.append(
            {
                "number": each.value,
                "roman_zh": each.zh,
                "label_en": each.label,
                "status_zh": level.zh,
                "status_en": level.value,
                "colour": class_colour(each),
            }
        )
    return {
        "classes": classes,
        "no_data_colour": NO_DATA_COLOUR,
        "stale_after_hours": int(WATER_STALE_AFTER.total_seconds() // 3600),
    }


# -- the answers ----------------------------------------------------------------------------------


def aware(time: dt.datetime) -> dt.datetime:
    """A sample time as an aware time: a naive one is Beijing time, as the release publishes it."""
    return time.replace(tzinfo=BEIJING) if time.tzinfo is None else time


def beijing_time(time: dt.datetime | None) -> str | None:
    """A sample time as ISO 8601 in Beijing time (``2021-04-05T20:00:00+08:00``)."""
    return None if time is None else beijing_iso(aware(time))


def _sample_class(
    sample: Mapping[str, Any], parameters: Sequence[str], waterbody: str
) -> WaterClassResult | None:
    """The GB 3838-2002 single-factor class of one usable sample (None: not usable, or no indicator that
    sets the class)."""
    if not sample.get("usable", True):
        return None
    values = record_values(sample, tuple(parameters))
    if not any(item in WATER_CLASS_INDICATORS for item in values):
        return None
    try:
        return water_class(values, Waterbody(waterbody))
    except StandardsError:
        return None


def _pollutants(result: WaterClassResult | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    out = []
    for item in result.main_pollutants:
        label = parameter_label(str(item))
        multiple = result.exceeding.get(item)
        out.append(
            {
                "code": str(item),
                "name_zh": label["name_zh"],
                "name_en": label["name_en"],
                "multiple": None if multiple is None else float(multiple),
            }
        )
    return out


def _placement(section: Mapping[str, Any], centroids: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """Where the map draws a section: its own coordinates, else its city's (or province's) centroid in
    the store, else that division's seat (:func:`seat_of`); ``placed`` says which."""
    if section.get("lon") is not None and section.get("lat") is not None:
        return {"lon": section["lon"], "lat": section["lat"], "placed": "section"}
    for level, code in (("city", section.get("city_code")), ("province", section.get("province_code"))):
        if not code:
            continue
        point = centroids.get(code) or seat_of(code)
        if point is not None:
            return {"lon": point[0], "lat": point[1], "placed": level}
    return {"lon": None, "lat": None, "placed": None}


def section_status(
    section: Mapping[str, Any],
    latest: Mapping[str, Any] | None,
    parameters: Sequence[str],
    moment: dt.datetime,
    centroids: Mapping[str, tuple[float, float]],
) -> dict[str, Any]:
    """One section on the map: the registry's facts, its latest sample (``latest``: a stored sample as
    the importer's wide record, time aware) with our class and the published one, where it is drawn,
    and whether it is stale as seen from ``moment`` (aware)."""
    number = None if latest is None else latest.get("our_class")
    # Main pollutants exist only for a class worse than Ⅲ ([WATER-EVAL-2011]_ 二.(一)): the exact
    # classification runs for those samples only.
    result = None
    if latest is not None and (number is None or number > WaterClass.III):
        result = _sample_class(latest, parameters, section["waterbody"])
        if "our_class" not in latest:
            number = None if result is None else int(result.water_class)
        elif result is not None and int(result.water_class) != number:
            result = None  # the stored class rules; its main pollutants are not this computation's
    time = None if latest is None else latest["time"]
    stale = time is not None and aware(moment) - aware(time) > WATER_STALE_AFTER
    fields = class_fields(number)
    if stale:
        fields["colour"] = NO_DATA_COLOUR
    published = None if latest is None else latest.get("published_class")
    status_zh, status_en = station_status(None if latest is None else latest.get("status"))
    return {
        "code": section["code"],
        "name": section["name"],
        "basin": section["basin"],
        "waterbody": section["waterbody"],
        "river": section.get("river") or None,
        "province_code": section["province_code"],
        "province": section["province"],
        "city_code": section.get("city_code") or None,
        "city": section.get("city") or None,
        **_placement(section, centroids),
        "time": beijing_time(time),
        **fields,
        "published_class_zh": None if published is None else WaterClass(published).zh,
        "main_pollutants": _pollutants(result),
        "station_status_zh": status_zh,
        "station_status_en": status_en,
        "stale": stale,
    }


# -- reading the store ----------------------------------------------------------------------------


def sections_in_scope(session: Session, scope: Scope) -> list[WaterSection]:
    """The registry's sections the user may see, by code: a staff user those whose city or province is
    one of the user's regions or below; an enterprise user none."""
    query = select(WaterSection).order_by(WaterSection.code)
    if not scope.everything:
        if not scope.region_ids:
            return []
        codes = select(Region.code).where(Region.id.in_(sorted(scope.region_ids)))
        query = query.where(WaterSection.city_code.in_(codes) | WaterSection.province_code.in_(codes))
    return list(session.scalars(query))


def scope_regions(session: Session, scope: Scope) -> set[str] | None:
    """The codes of the user's regions and all below them (None: everything), as
    :mod:`ecowatch.water.service` takes them."""
    if scope.everything:
        return None
    if not scope.region_ids:
        return set()
    return set(session.scalars(select(Region.code).where(Region.id.in_(sorted(scope.region_ids)))))


def section_in_scope(session: Session, scope: Scope, code: str) -> WaterSection:
    """The section ``code``; 404 when unknown or outside the scope (one answer for both, as for sites)."""
    section = session.scalars(select(WaterSection).where(WaterSection.code == code)).one_or_none()
    if section is None or not _in_scope(session, scope, section):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no section {code!r}")
    return section


def _in_scope(session: Session, scope: Scope, section: WaterSection) -> bool:
    if scope.everything:
        return True
    codes = [code for code in (section.city_code, section.province_code) if code]
    regions = session.scalars(select(Region).where(Region.code.in_(codes)))
    return any(scope.has_region(region) for region in regions)


def _centroids(session: Session, sections: Sequence[WaterSection]) -> dict[str, tuple[float, float]]:
    """The store's centroids of the sections' cities and provinces, where it has them."""
    codes = {code for s in sections for code in (s.city_code, s.province_code) if code}
    if not codes:
        return {}
    rows = session.execute(
        select(Region.code, Region.lon, Region.lat).where(
            Region.code.in_(sorted(codes)), Region.lon.is_not(None), Region.lat.is_not(None)
        )
    )
    return {code: (lon, lat) for code, lon, lat in rows}


def _section_row(section: WaterSection, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "code": section.code,
        "name": section.name,
        "basin": section.basin,
        "waterbody": section.waterbody,
        "river": section.river,
        "province_code": section.province_code,
        "province": names.get(section.province_code, section.province_code),
        "city_code": section.city_code,
        "city": None if section.city_code is None else names.get(section.city_code, section.city_code),
        "lon": section.lon,
        "lat": section.lat,
    }


def _sample_row(sample: Mapping[str, Any]) -> dict[str, Any]:
    """A stored sample (:func:`ecowatch.water.service.sample_dict`) as the importer's wide record: ``P``
    and ``P_below`` per parameter."""
    row: dict[str, Any] = {
        "time": sample["time"],
        "published_class": sample["published_class"],
        "our_class": sample["our_class"],
        "differs": sample["differs"],
        "status": sample["status"],
        "usable": sample["status"] == "normal",
    }
    below = set(sample["below"])
    for name, value in sample["values"].items():
        row[name] = value
        row[f"{name}_below"] = name in below
    return row


def _parameters_of(rows: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    present = {key for row in rows for key in row if f"{key}_below" in row}
    return tuple(name for name in PARAMETERS if name in present)


# -- the routes -----------------------------------------------------------------------------------

router = APIRouter(prefix="/water", tags=["water"])

#: The longest period one request may read [days]: a year (and a leap day).
MAX_DAYS = 366
#: What one request's reads may take [s].
WATER_READ_BUDGET_S = 30.0

AtQuery = Annotated[
    dt.datetime | None,
    Query(
        description="Show the sections as they were at this moment (ISO 8601; without an offset, Beijing "
        "time): each section's latest sample at or before it.  Default: now, the latest samples."
    ),
]
BasinQuery = Annotated[str | None, Query(max_length=32, description="Only the sections of this basin (流域)")]
ERRORS: dict[int | str, dict[str, Any]] = {**SCOPE_ERRORS, 404: {"model": Problem}}


class MainPollutant(BaseModel):
    code: str
    name_zh: str
    name_en: str
    multiple: float | None = Field(description="Times over the Class Ⅲ limit, one decimal (none: pH, DO)")


class SectionStatus(BaseModel):
    code: str = Field(description="Registry code (W + province prefix + sequence)")
    name: str
    basin: str
    waterbody: str = Field(description="river, or lake (lakes and reservoirs: the lake TP limits)")
    river: str | None
    province_code: str
    province: str
    city_code: str | None
    city: str | None
    lon: float | None
    lat: float | None
    placed: str | None = Field(
        description="section: its own coordinates; city or province: that division's centroid or seat "
        "(the public data carry no coordinates); null: not on the map"
    )
    time: str | None = Field(description="Time of the latest sample at or before the moment shown, +08:00")
    class_number: int | None = Field(description="Our GB 3838-2002 class, 1 (Ⅰ) .. 6 (劣Ⅴ)")
    class_zh: str | None
    class_en: str | None
    status_zh: str | None = Field(description="Water status of the class (2011 method): 优 .. 重度污染")
    status_en: str | None
    colour: str = Field(description="Map colour: the class's, grey when stale or unclassified")
    published_class_zh: str | None = Field(description="The class the release published for that sample")
    main_pollutants: list[MainPollutant]
    station_status_zh: str | None
    station_status_en: str | None
    stale: bool = Field(description="The sample is older than stale_after_hours before the moment shown")


class SectionsPage(BaseModel):
    at: str = Field(description="The moment shown (the query's at, else now), ISO 8601 with +08:00")
    as_of: str | None = Field(description="The latest sample time over the sections")
    stale_after_hours: int
    sections: list[SectionStatus]


class ParameterRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    symbol: str
    unit: str = Field(description="Unit of the values (pH: none)")
    main: bool = Field(description="Drawn as a line on the map's panel")


class SampleValue(BaseModel):
    value: float | None = Field(
        description="The value, or the detection limit when below it (shown <limit; the release's "
        "NH3-N 0.025 is <0.05, W-detection)"
    )
    below_detection: bool


class SampleRead(BaseModel):
    time: str
    class_number: int | None
    class_zh: str | None
    class_en: str | None
    colour: str
    published_class_zh: str | None
    differs: str | None = Field(description="Why our class differs from the published one")
    station_status_zh: str | None
    station_status_en: str | None
    values: dict[str, SampleValue]


class SamplesPage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    section: SectionStatus
    from_: str = Field(alias="from")
    to: str
    indicators: list[ParameterRead]
    chart: list[str] = Field(description="The parameters drawn as lines, in the order drawn")
    samples: list[SampleRead]


def _moment(at: dt.datetime | None) -> dt.datetime | None:
    return None if at is None else aware(at).astimezone(dt.UTC)


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=message)


def _statuses(
    session: Session, sections: Sequence[WaterSection], until: dt.datetime | None, reference: dt.datetime
) -> list[dict[str, Any]]:
    latest = latest_samples(session, [section.id for section in sections], until)
    names = region_names(session, [code for s in sections for code in (s.city_code, s.province_code)])
    centroids = _centroids(session, sections)
    out = []
    for section in sections:
        sample = latest.get(section.id)
        row = None if sample is None else _sample_row(sample)
        parameters = () if row is None else _parameters_of([row])
        out.append(section_status(_section_row(section, names), row, parameters, reference, centroids))
    return out


def _listing(items: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(
        f"{item['name_zh']} {item['name_en']}"
        + ("" if item["multiple"] is None else f" ({item['multiple']:g})")
        for item in items
    )


#: Headings of the sections download: Chinese, then the English.
SECTION_HEADINGS: Mapping[str, str] = MappingProxyType(
    {
        "code": "断面编号 code",
        "name": "断面名称 section",
        "basin": "流域 basin",
        "waterbody": "水体 waterbody",
        "river": "河流湖库 river or lake",
        "province": "省份 province",
        "city": "城市 city",
        "time": "最新监测时间 latest sample",
        "class_zh": "水质类别 class",
        "status_zh": "水质状况 water status",
        "published_class_zh": "发布类别 published class",
        "main_pollutants": "主要污染指标 main pollutants (×Ⅲ limit over)",
        "station_status_zh": "站点情况 station status",
        "stale": "过时 stale",
        "lon": "经度 lon",
        "lat": "纬度 lat",
        "placed": "位置 placed at",
    }
)


def _section_download(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, heading in SECTION_HEADINGS.items():
        value = row[key]
        if key == "main_pollutants":
            value = _listing(value) or None
        elif key == "class_zh" and value is not None:
            value = f"{value}类 {row['class_en']}"
        elif key == "status_zh" and value is not None:
            value = f"{value} {row['status_en']}"
        elif key == "station_status_zh" and value is not None:
            value = f"{value} {row['station_status_en']}"
        elif key == "waterbody":
            value = {"river": "河流 river", "lake": "湖库 lake"}.get(value, value)
        out[heading] = value
    return out


@router.get("/sections", response_model=SectionsPage, responses={**SCOPE_ERRORS, **TABLE_RESPONSES})
def list_sections(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    at: AtQuery = None,
    basin: BasinQuery = None,
    fmt: FormatQuery = TableFormat.json,
) -> SectionsPage | Response:
    """The surface-water sections in scope with their latest sample at ``at`` (default now): time, our
    class and the published one, main pollutants, colour, and ``stale`` when the sample is older than
    ``stale_after_hours`` before the moment shown."""
    moment = _moment(at)
    # The wall clock, to the hour (as the sites' status): the memoised answer changes once an hour
    # without new data, and a section turns stale at most an hour late.
    now = state_of(request).now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    reference = moment or now

    def rows() -> list[dict[str, Any]]:
        sections = sections_in_scope(session, scope)
        if basin is not None:
            sections = [section for section in sections if section.basin == basin]
        return _statuses(session, sections, moment, reference)

    if fmt is not TableFormat.json:
        return table_response(
            [_section_download(row) for row in rows()],
            fmt,
            "water-sections",
            columns=list(SECTION_HEADINGS.values()),
        )

    def text() -> str:
        found = rows()
        times = [row["time"] for row in found if row["time"] is not None]
        page = SectionsPage(
            at=beijing_time(reference) or "",
            as_of=max(times) if times else None,
            stale_after_hours=int(WATER_STALE_AFTER.total_seconds() // 3600),
            sections=[SectionStatus.model_validate(row) for row in found],
        )
        # Serialised here, once: FastAPI would validate the ~2,000 sections a second time.
        return page.model_dump_json()

    scope_key = (scope.everything, scope.region_ids, scope.enterprise_id)
    key = ("water-sections", scope_key, basin, moment, reference, water_version(session))
    return json_response(state_of(request).memo.get_or_compute(key, text))


def water_version(session: Session) -> tuple[int | None, int | None]:
    """What changes whenever the stored water data do: the newest sample's id (a load that adds
    samples) and the newest audit entry on samples or sections (every load that writes, an update of
    a record in place among them, and every correction of the registry)."""
    newest = session.scalar(select(func.max(WaterSample.id)))
    audited = session.scalar(
        select(func.max(AuditEntry.id)).where(AuditEntry.entity.in_(("water_sample", "water_section")))
    )
    return newest, audited


def _period(
    time_from: dt.date | dt.datetime | None, time_to: dt.date | dt.datetime | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``from``/``to`` as UTC bounds [start, end): a date is a whole Beijing day (``to`` inclusive)."""

    def bound(value: dt.date | dt.datetime | None, upper: bool) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            day = value + dt.timedelta(days=1) if upper else value
            return dt.datetime.combine(day, dt.time(), tzinfo=BEIJING).astimezone(dt.UTC)
        moment = _moment(value)
        assert moment is not None
        return moment + dt.timedelta(microseconds=1) if upper else moment

    return bound(time_from, False), bound(time_to, True)


def _sample_read(row: Mapping[str, Any], parameters: Sequence[str]) -> dict[str, Any]:
    fields = class_fields(row["our_class"])
    status_zh, status_en = station_status(row["status"])
    return {
        "time": beijing_time(row["time"]),
        "class_number": fields["class_number"],
        "class_zh": fields["class_zh"],
        "class_en": fields["class_en"],
        "colour": fields["colour"],
        "published_class_zh": None
        if row["published_class"] is None
        else WaterClass(row["published_class"]).zh,
        "differs": row["differs"],
        "station_status_zh": status_zh,
        "station_status_en": status_en,
        "values": {
            name: {"value": row[name], "below_detection": bool(row[f"{name}_below"])}
            for name in parameters
            if name in row and (row[name] is not None or row[f"{name}_below"])
        },
    }


def _heading(label: Mapping[str, Any]) -> str:
    """``高锰酸盐指数 permanganate index CODMn (mg/L)``: a parameter's download heading."""
    text = f"{label['name_zh']} {label['name_en']}"
    if label["symbol"]:
        text += f" {label['symbol']}"
    return f"{text} ({label['unit']})" if label["unit"] else text


def _cell(value: Mapping[str, Any] | None) -> float | str | None:
    """A value of the samples download: the number, or ``<limit`` below detection (W-detection)."""
    if value is None:
        return None
    return f"<{value['value']:g}" if value["below_detection"] else value["value"]


def _samples_download(
    samples: Sequence[Mapping[str, Any]], labels: Sequence[Mapping[str, Any]]
) -> list[dict]:
    rows = []
    for sample in samples:
        row: dict[str, Any] = {
            "监测时间 time": sample["time"],
            "水质类别 class": None
            if sample["class_zh"] is None
            else f"{sample['class_zh']}类 {sample['class_en']}",
            "发布类别 published class": sample["published_class_zh"],
            "站点情况 station status": None
            if sample["station_status_zh"] is None
            else f"{sample['station_status_zh']} {sample['station_status_en']}",
        }
        for label in labels:
            value = sample["values"].get(label["code"])
            row[_heading(label)] = _cell(value)
        row["低于检出限 below detection (<limit)"] = (
            "; ".join(
                label["code"]
                for label in labels
                if sample["values"].get(label["code"], {}).get("below_detection")
            )
            or None
        )
        rows.append(row)
    return rows


DaysQuery = Annotated[
    int, Query(ge=1, le=MAX_DAYS, description="Without from/to: the days ending at the latest sample")
]
FromQuery = Annotated[IsoDateOrTime | None, Query(alias="from", description="First day or moment (Beijing)")]
ToQuery = Annotated[IsoDateOrTime | None, Query(alias="to", description="Last day (inclusive) or moment")]


@router.get(
    "/sections/{code}/samples",
    response_model=SamplesPage,
    response_model_by_alias=True,
    responses={**ERRORS, **TABLE_RESPONSES},
)
def section_samples(
    code: Annotated[str, Path(max_length=16, description="Section code")],
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    time_from: FromQuery = None,
    time_to: ToQuery = None,
    days: DaysQuery = 7,
    at: AtQuery = None,
    fmt: FormatQuery = TableFormat.json,
) -> SamplesPage | Response:
    """A section's samples from ``from`` to ``to`` (dates: whole Beijing days), or the ``days`` days
    ending at its latest sample at or before ``at``: every parameter with its name, unit, value and
    below-detection flag, our class and the published one."""
    section = section_in_scope(session, scope, code)
    moment = _moment(at)
    reference = moment or state_of(request).now().astimezone(dt.UTC).replace(microsecond=0)
    start, end = _period(time_from, time_to)
    if start is None or end is None:
        latest = latest_samples(session, [section.id], end or moment).get(section.id)
        last = (
            (end or moment or reference)
            if latest is None
            else as_utc(latest["time"]) + dt.timedelta(microseconds=1)
        )
        end = end or last
        start = start or end - dt.timedelta(days=days)
    if end <= start:
        raise _unprocessable(
            f"to: the period ends ({beijing_time(end)}) before it starts ({beijing_time(start)})"
        )
    if end - start > dt.timedelta(days=MAX_DAYS + 1):
        raise _unprocessable(f"to: at most {MAX_DAYS} days per request")
    rows = [
        _sample_row(sample)
        for sample in stored_samples(session=session, code=section.code, start=start, end=end)
    ]
    parameters = _parameters_of(rows)
    samples = [_sample_read(row, parameters) for row in rows]
    labels = [parameter_label(name) | {"main": name in CHART_PARAMETERS} for name in parameters]
    if fmt is not TableFormat.json:
        return table_response(
            _samples_download(samples, labels), fmt, f"water-samples-{section.code}", sheet=(section.code,)
        )
    status_row = _statuses(session, [section], moment, reference)[0]
    return SamplesPage.model_validate(
        {
            "section": status_row,
            "from": beijing_time(start),
            "to": beijing_time((end - dt.timedelta(microseconds=1)).replace(microsecond=0)),
            "indicators": labels,
            "chart": [name for name in CHART_PARAMETERS if name in parameters],
            "samples": samples,
        }
    )


class AssessmentTable(StrEnum):
    sections = "sections"
    basins = "basins"
    provinces = "provinces"
    cities = "cities"


CityQuery = Annotated[
    str | None, Query(pattern=r"^\d{6}$", description="Only the sections of this city (GB/T 2260 code)")
]
TableQuery = Annotated[AssessmentTable, Query(description="Which table a csv/xlsx download holds")]

#: Headings of the assessment downloads (the JSON keys of ``water assess --json``), Chinese and English.
ASSESSMENT_HEADINGS: Mapping[str, str] = MappingProxyType(
    {
        "section": "断面编号 code",
        "name": "断面名称 section",
        "basin": "流域 basin",
        "province": "省份 province",
        "city_code": "城市代码 city code",
        "city": "城市 city",
        "waterbody": "水体 waterbody",
        "samples": "样本数 samples",
        "sections": "断面数 sections",
        "class_zh": "水质类别 class",
        "class": "class",
        "level_zh": "水质状况 water status",
        "level": "level",
        "level_method": "评价方法 method",
        "mean_class": "均值类别 class of the means",
        "share_I_III_percent": "Ⅰ～Ⅲ类比例 share Ⅰ–Ⅲ (%)",
        "share_worse_than_V_percent": "劣Ⅴ类比例 share worse than Ⅴ (%)",
        "main_pollutants": "主要污染指标 main pollutants",
        "exceeding": "超标倍数 times over Ⅲ",
        "cwqi": "水质指数 CWQI",
        "cwqi_rank": "CWQI 排名 rank",
        "tli": "综合营养状态指数 TLI",
        "trophic_state_zh": "营养状态 trophic state",
    }
)


def _assessment_download(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        flat: dict[str, Any] = {}
        for key, heading in ASSESSMENT_HEADINGS.items():
            if key not in row:
                continue
            value = row[key]
            if key == "main_pollutants":
                value = (
                    "; ".join(
                        f"{label['name_zh']} {label['name_en']}" for label in map(parameter_label, value)
                    )
                    or None
                )
            elif key == "exceeding":
                value = "; ".join(f"{name} {multiple:g}" for name, multiple in value.items()) or None
            flat[heading] = value
        out.append(flat)
    return out


@router.get(
    "/assessment",
    responses={**ERRORS, **COSTLY_ERRORS, **TABLE_RESPONSES},
    dependencies=[Depends(costly)],
)
def water_assessment(
    session: SessionDep,
    scope: ScopeDep,
    first: Annotated[IsoDate, Query(alias="from", description="First Beijing day, YYYY-MM-DD")],
    last: Annotated[IsoDate, Query(alias="to", description="Last Beijing day (inclusive), YYYY-MM-DD")],
    basin: BasinQuery = None,
    city: CityQuery = None,
    table: TableQuery = AssessmentTable.sections,
    fmt: FormatQuery = TableFormat.json,
) -> Any:
    """The period assessment of the stored samples of the sections in scope (``ecowatch water assess``'s
    JSON): per section class, exceedance multiples, main pollutants, CWQI and (lakes) TLI; per basin,
    province and city the shares of Ⅰ–Ⅲ and worse than Ⅴ, the level and (cities) the CWQI rank."""
    if last < first:
        raise _unprocessable(f"to: {last} is before from: {first}")
    if (last - first).days + 1 > MAX_DAYS:
        raise _unprocessable(
            f"to: the period is {(last - first).days + 1} days; at most {MAX_DAYS} per request"
        )
    regions = scope_regions(session, scope)
    if city is not None:
        if regions is not None and city not in regions:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"city: no region {city!r}")
        regions = {city}
    try:
        with query_budget(session, WATER_READ_BUDGET_S):
            assessment = assess_period(session=session, first=first, last=last, regions=regions, basin=basin)
    except QueryBudgetExceeded as error:
        raise _unprocessable(f"from/to: {error}; ask for a shorter period, a basin or a city") from None
    except StandardsError as error:
        raise _unprocessable(str(error)) from None
    body = assessment.to_json()
    if fmt is not TableFormat.json:
        rows = body[table.value]
        name = f"water-{table.value}-{first.isoformat()}-{last.isoformat()}"
        return table_response(
            _assessment_download(rows), fmt, name, sheet=(table.value, first.isoformat(), last.isoformat())
        )
    return body
