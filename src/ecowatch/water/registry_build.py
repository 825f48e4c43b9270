"""Build the packaged section registry ``water/data/sections.csv`` from the release's section list.

Run from the project root (the shared data folder beside it)::

    .venv/bin/python -m ecowatch.water.registry_build ../shared/data/cn-surface-water

It reads ``sections.csv`` (province, basin, section, city, river) and the three record files of that
folder, and writes the registry with a summary of how each waterbody was decided on stdout. Re-running
keeps every code already in the registry (decision W-code) and numbers new sections after the last one
of their province.

River or lake (decision W-derive), the first rule that decides:

1. ``classes``: the section's published classes. Each record with a published class and TP is
   classed once with the river and once with the lake TP column of GB 3838-2002; the column that
   reproduces more of the section's published classes is its waterbody (a tie decides nothing).
2. ``name``: the section or its river is named as a lake or reservoir (:data:`LAKE_WORDS`) and the
   name does not place it on an inflow, outflow or structure (:data:`NOT_IN_LAKE_WORDS`: 入湖口,
   水库出口, 闸 ... are river sites).
3. ``default``: a river.

A user's correction (``ecowatch water sections set``) overrides all of them in the store.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from ecowatch.shapes.regions import DivisionList
from ecowatch.standards import Waterbody, WaterClass, WaterIndicator, water_class
from ecowatch.water.registry import Section, read_registry, section_key, write_registry

__all__ = ["LAKE_WORDS", "NOT_IN_LAKE_WORDS", "build", "class_margins", "main", "name_says_lake"]

LAKE_WORDS = re.compile("湖|水库|库区|淀|荡|泊|海子")
"""Words naming a lake or reservoir (湖, 水库, 淀 as in 白洋淀, 荡 as in 长荡湖/湘家荡, 泊, 海子)."""

NOT_IN_LAKE_WORDS = re.compile(
    "入湖|入库|出湖|出库|出口|出水|入口|下游|上游|闸|河口|湖口|大坝|坝下|桥(?:[(（].*)?$"
)
"""Words placing a section on a lake's inflow or outflow, or at a structure (a name ending in 桥, a
bridge: 于桥水库 is a reservoir, 大红桥 a bridge): a river site."""

RECORD_FILES = (
    "national_snapshots_2020-05-08_09.csv.gz",
    "daily_snapshots_98_sections_2020-05-10_2021-04-05.csv.gz",
    "auto_stations_4h_2021-04-01_05.csv.gz",
)
_COLUMNS = {
    WaterIndicator.PH: "pH",
    WaterIndicator.DO: "DO_mg_L",
    WaterIndicator.CODMN: "CODMn_mg_L",
    WaterIndicator.NH3_N: "NH3N_mg_L",
    WaterIndicator.TP: "TP_mg_L",
}
PACKAGED = Path(__file__).resolve().parent / "data" / "sections.csv"


def name_says_lake(name: str, river: str | None = None) -> bool:
    """Rule 2: the section (or its river) is named as a lake or reservoir, and not as a site on its edge.

    >>> name_says_lake("阳宗海中"), name_says_lake("沙渚", "太湖"), name_says_lake("大伙房水库")
    (False, True, True)
    >>> name_says_lake("清河水库入库口"), name_says_lake("大冶湖闸"), name_says_lake("湖口")
    (False, False, False)
    >>> name_says_lake("于桥水库库中心"), name_says_lake("急水港桥", "淀山湖")
    (True, False)
    """
    if NOT_IN_LAKE_WORDS.search(name):
        return False
    return bool(LAKE_WORDS.search(name) or (river and LAKE_WORDS.search(river)))


def _records(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def class_margins(rows: Iterable[dict[str, str]]) -> dict[tuple[str, str], int]:
    """Rule 1's evidence: per (province, section), records the lake TP column reproduces minus those
    the river one does (raw values where the file has them, as tests/water/test_water_published.py)."""
    margin: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        published = (row.get("water_class") or "").strip()
        if published in ("", "-", "*"):
            continue
        values: dict[WaterIndicator, Fraction] = {}
        for item, column in _COLUMNS.items():
            text = (row.get(f"{column}_raw") or "").strip() or (row.get(column) or "").strip()
            if text not in ("", "--", "*"):
                values[item] = Fraction(Decimal(text))
        if WaterIndicator.TP not in values:
            continue
        target = WaterClass.from_published(published)
        lake = water_class(values, Waterbody.LAKE).water_class == target
        river = water_class(values, Waterbody.RIVER).water_class == target
        margin[section_key(row["province"], row["section"])] += int(lake) - int(river)
    return dict(margin)


def single_city(divisions: DivisionList, province_code: str) -> str | None:
    """The city-level division of a province that has only one: a municipality's (北京市 110000 ->
    110100, 直辖市), whose sections are all in that city; None for any other province.

    >>> divisions = DivisionList.default()
    >>> [single_city(divisions, code) for code in ("110000", "120000", "310000", "500000", "130000")]
    ['110100', '120100', '310100', '500100', None]
    """
    cities = [d.code for d in divisions.values() if d.level == "city" and d.parent_code == province_code]
    return cities[0] if len(cities) == 1 else None


def build(folder: Path, existing: list[Section] | None = None) -> tuple[list[Section], Counter[str]]:
    """The registry from ``folder`` (the shared cn-surface-water data), keeping ``existing`` codes."""
    divisions = DivisionList.default()
    margins: dict[tuple[str, str], int] = {}
    for name in RECORD_FILES:
        if (folder / name).is_file():
            for key, value in class_margins(_records(folder / name)).items():
                margins[key] = margins.get(key, 0) + value
    known = {section_key(s.province, s.name): s for s in existing or []}
    last: dict[str, int] = {}
    for section in existing or []:
        last[section.code[:3]] = max(last.get(section.code[:3], 0), int(section.code[3:]))
    counts: Counter[str] = Counter()
    out: list[Section] = []
    with open(folder / "sections.csv", encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            province, name = section_key(row["province"], row["section"])
            province_code = divisions.resolve(province, level="province")
            if province_code is None:
                raise SystemExit(f"sections.csv, line {line}, field province: {province!r} is not a province")
            city_code = city = None
            if (city_text := (row.get("city") or "").strip()) != "":
                code = divisions.resolve(city_text, within=province_code)
                if code is None:
                    raise SystemExit(
                        f"sections.csv, line {line}, field city: {city_text!r} not in {province}"
                    )
                division = divisions[code]
                if division.level == "county" and divisions[division.parent_code].level == "city":
                    division = divisions[division.parent_code]  # a district: its city
                if division.level == "province":
                    raise SystemExit(f"sections.csv, line {line}, field city: {city_text!r} is a province")
                # A county-level city under its province (济源市 419001, R-shape) stands as the city.
                city_code, city = division.code, division.name
            elif (only := single_city(divisions, province_code)) is not None:
                city_code, city = only, divisions[only].name  # a municipality: its one city (W-place)
            river = (row.get("river") or "").strip() or None
            margin = margins.get((province, name), 0)
            if margin:
                waterbody, basis = (Waterbody.LAKE if margin > 0 else Waterbody.RIVER), "classes"
            elif name_says_lake(name, river):
                waterbody, basis = Waterbody.LAKE, "name"
            else:
                waterbody, basis = Waterbody.RIVER, "default"
            counts[f"{basis} {waterbody.value}"] += 1
            if margin and name_says_lake(name, river) != (waterbody is Waterbody.LAKE):
                counts["classes overrule name"] += 1
            previous = known.get((province, name))
            if previous is not None:
                code = previous.code
            else:
                prefix = "W" + province_code[:2]
                last[prefix] = last.get(prefix, 0) + 1
                code = f"{prefix}{last[prefix]:04d}"
            out.append(
                Section(
                    code=code,
                    name=name,
                    province_code=province_code,
                    province=divisions[province_code].name,
                    basin=row["basin"].strip(),
                    city_code=city_code,
                    city=city,
                    river=river,
                    waterbody=waterbody,
                    waterbody_basis=basis,
                    lon=previous.lon if previous else None,
                    lat=previous.lat if previous else None,
                    target_class=previous.target_class if previous else None,
                )
            )
    return out, counts


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        raise SystemExit("usage: python -m ecowatch.water.registry_build SHARED_DATA_FOLDER [OUT.csv]")
    out = Path(args[1]) if len(args) == 2 else PACKAGED
    existing = read_registry(out) if out.is_file() else None
    sections, counts = build(Path(args[0]), existing)
    write_registry(sections, out)
    print(f"{len(sections)} sections -> {out}")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
