"""Build ``src/ecowatch/web/data/city_seats.csv``: where the map puts a province or city (its seat), by GB/T
2260 code.

Usage (the tarball from ``npm pack echarts@4.9.0``, the same file whose ``map/json`` the map already
vendors, sha256 ``d2bdf8af…e96c``; nothing else is fetched)::

    python scripts/build_city_seats.py echarts-4.9.0.tgz > src/ecowatch/web/data/city_seats.csv

ECharts 4.9.0 (Apache-2.0) ships one outline per province (``package/map/json/province/*.json``)
whose features are the province's cities, each with ``cp``: the point where ECharts writes the city's
name, the seat of its government [lon, lat, degrees].  For the four municipalities the features are
districts, so the municipality's own ``cp`` from ``china.json`` is used instead; ``china.json`` also gives
each province's ``cp`` (its capital), for a section whose city is not known.  Each name is resolved
to its GB/T 2260 city code with :meth:`ecowatch.shapes.regions.DivisionList.resolve` within its
province; names the 2020 list no longer has (cities since renamed or merged) are left out and counted
on stderr.  The surface-water sections have no coordinates in the public data: the map places them
at these seats and says so (``ecowatch.web.api.water``).
"""

from __future__ import annotations

import csv
import json
import sys
import tarfile

from ecowatch.shapes.regions import DivisionList

PROVINCES = "package/map/json/province/"
CHINA = "package/map/json/china.json"
MUNICIPALITIES = {"110000": "110100", "120000": "120100", "310000": "310100", "500000": "500100"}


def _json(archive: tarfile.TarFile, name: str) -> dict:
    member = archive.extractfile(name)
    if member is None:
        raise SystemExit(f"{name}: not in the package")
    return json.load(member)


def build(path: str) -> tuple[list[tuple[str, str, float, float]], list[str]]:
    divisions = DivisionList.default()
    seats: dict[str, tuple[str, str, float, float]] = {}
    unresolved: list[str] = []
    with tarfile.open(path) as archive:
        for feature in _json(archive, CHINA)["features"]:
            province, point = feature["properties"]["id"], feature["properties"]["cp"]
            if province in divisions:
                seats[province] = (province, "province", round(point[0], 6), round(point[1], 6))
            if province in MUNICIPALITIES:
                city = MUNICIPALITIES[province]
                seats[city] = (city, "city", round(point[0], 6), round(point[1], 6))
        names = sorted(m for m in archive.getnames() if m.startswith(PROVINCES) and m.endswith(".json"))
        for name in names:
            features = _json(archive, name)["features"]
            for feature in features:
                properties = feature["properties"]
                if "cp" not in properties:  # Taiwan's file is another kind (Natural Earth), no seats
                    continue
                code = divisions.resolve(properties["name"], level="city")
                if code is None or code in seats:
                    unresolved.append(f"{name.removeprefix(PROVINCES)}:{properties['name']}")
                    continue
                lon, lat = properties["cp"]
                seats[code] = (code, "city", round(lon, 6), round(lat, 6))
    return sorted(seats.values()), unresolved


def main() -> None:
    rows, unresolved = build(sys.argv[1])
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(("code", "level", "lon", "lat"))
    writer.writerows(rows)
    print(f"{len(rows)} seats; not resolved ({len(unresolved)}): {' '.join(unresolved)}", file=sys.stderr)


if __name__ == "__main__":
    main()
