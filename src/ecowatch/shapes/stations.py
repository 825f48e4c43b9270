"""Monitoring stations and the station registry.

The registry maps every name a station may appear under (national code, Chinese name, English
/ PRSA name, full name, aliases) to one :class:`Station`.  The packaged default registry holds
the 35 stations of the Beijing municipal network (see ``data/PROVENANCE.md``).

>>> reg = StationRegistry.default()
>>> reg.resolve("Dongsi").code
'1003A'
>>> reg.resolve("定陵").is_assessment
False
>>> reg.resolve("nowhere") is None
True
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ecowatch.errors import InputError

__all__ = ["ASSESSMENT_CATEGORIES", "CATEGORIES", "Station", "StationRegistry"]

#: Station categories of the registry file.
CATEGORIES = ("urban", "suburban", "control_background", "regional_transport", "traffic")
#: Categories whose stations are averaged into the city figure ("unregistered" = ad-hoc stations).
ASSESSMENT_CATEGORIES = frozenset({"urban", "suburban", "unregistered"})

_REQUIRED_COLUMNS = ("code", "name", "category")


def _key(text: str) -> str:
    """Normalised lookup key: NFKC (full-width -> ASCII), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class Station:
    """One monitoring station.

    ``is_assessment`` tells whether the station is an assessment point (环境空气质量评价点,
    urban or suburban) whose values are averaged into the city figure.  Per HJ 663-2013
    (环境空气质量评价技术规范), the control/background points (清洁对照点), regional points
    (区域点, including regional-transport points) and roadside traffic points (路边交通点) are
    reported on their own and are *not* averaged into the city.  Ad-hoc stations (category
    ``"unregistered"``, e.g. from a user's own file) are treated as assessment points.

    ``full_name`` and ``aliases`` are extra names used for lookup; they do not affect anything
    else.
    """

    code: str
    name: str
    name_en: str
    city: str
    city_code: str
    category: str
    lon: float | None
    lat: float | None
    full_name: str = field(default="", compare=False)
    aliases: tuple[str, ...] = field(default=(), compare=False)
    #: The district (GB/T 2260 county-level code and name) the station stands in; empty when unknown.
    county_code: str = field(default="", compare=False)
    county: str = field(default="", compare=False)

    @property
    def is_assessment(self) -> bool:
        """True for assessment points (urban, suburban, unregistered)."""
        return self.category in ASSESSMENT_CATEGORIES

    @property
    def is_registered(self) -> bool:
        """False for ad-hoc stations made by :meth:`StationRegistry.ad_hoc`."""
        return self.category != "unregistered"

    def names(self) -> tuple[str, ...]:
        """Every name this station may appear under (code first)."""
        out = [self.code, self.name, self.name_en, self.full_name, *self.aliases]
        return tuple(dict.fromkeys(n for n in out if n))


class StationRegistry:
    """An ordered set of stations, looked up by any of their names."""

    def __init__(self, stations: Iterable[Station]) -> None:
        self._stations: dict[str, Station] = {}
        for st in stations:
            if st.code in self._stations:
                raise ValueError(f"duplicate station code {st.code!r}")
            self._stations[st.code] = st
        self._position = {code: i for i, code in enumerate(self._stations)}
        # Priority: codes, then names, then English names, full names, aliases.
        self._index: dict[str, Station] = {}
        for attr in ("code", "name", "name_en", "full_name"):
            for st in self._stations.values():
                value = getattr(st, attr)
                if value:
                    self._index.setdefault(_key(value), st)
        for st in self._stations.values():
            for alias in st.aliases:
                self._index.setdefault(_key(alias), st)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def default(cls) -> StationRegistry:
        """The packaged registry: the 35 stations of the Beijing municipal network."""
        ref = resources.files("ecowatch.shapes") / "data" / "stations.csv"
        text = ref.read_text(encoding="utf-8")
        return cls._from_text(text, "stations.csv")

    @classmethod
    def from_csv(cls, path: str | Path) -> StationRegistry:
        """Read a registry CSV.

        Columns ``code,name,full_name,name_en,city,city_code,category,lon,lat,aliases,county_code,county``;
        only ``code``, ``name`` and ``category`` are required.
        """
        path = Path(path)
        return cls._from_text(path.read_text(encoding="utf-8-sig"), path.name)

    @classmethod
    def _from_text(cls, text: str, file: str) -> StationRegistry:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        header = reader.fieldnames or []
        for col in _REQUIRED_COLUMNS:
            if col not in header:
                raise InputError("missing required column", file=file, line=1, field=col)
        stations = []
        for row in reader:
            line = reader.line_num
            cells = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}

            def cell(name: str, cells: dict[str, str] = cells) -> str:
                return cells.get(name, "")

            code = cell("code")
            if not code:
                raise InputError("empty station code", file=file, line=line, field="code")
            category = cell("category")
            if category not in CATEGORIES:
                raise InputError(f"unknown category {category!r}", file=file, line=line, field="category")
            coords: list[float | None] = []
            for name in ("lon", "lat"):
                raw = cell(name)
                try:
                    coords.append(float(raw) if raw else None)
                except ValueError:
                    raise InputError(f"non-numeric value {raw!r}", file=file, line=line, field=name) from None
            aliases = tuple(a.strip() for a in cell("aliases").split(";") if a.strip())
            stations.append(
                Station(
                    code=code,
                    name=cell("name") or code,
                    name_en=cell("name_en"),
                    city=cell("city"),
                    city_code=cell("city_code"),
                    category=category,
                    lon=coords[0],
                    lat=coords[1],
                    full_name=cell("full_name"),
                    aliases=aliases,
                    county_code=cell("county_code"),
                    county=cell("county"),
                )
            )
        return cls(stations)

    # -- lookup -------------------------------------------------------------------------------

    def resolve(self, name_or_code: str) -> Station | None:
        """The station known by this code or name (case-insensitive for ASCII), or None."""
        return self._index.get(_key(name_or_code))

    def get(self, code: str) -> Station | None:
        """The station with exactly this code, or None."""
        return self._stations.get(code)

    @staticmethod
    def ad_hoc(name: str) -> Station:
        """An unregistered station for a name the registry does not know (code = name)."""
        name = name.strip()
        return Station(
            code=name,
            name=name,
            name_en="",
            city="",
            city_code="",
            category="unregistered",
            lon=None,
            lat=None,
        )

    def resolve_or_ad_hoc(self, name_or_code: str) -> Station:
        """:meth:`resolve`, falling back to :meth:`ad_hoc`."""
        return self.resolve(name_or_code) or self.ad_hoc(name_or_code)

    def position(self, code: str) -> int | None:
        """Index of the station in registry order (None if not registered)."""
        return self._position.get(code)

    def __iter__(self) -> Iterator[Station]:
        return iter(self._stations.values())

    def __len__(self) -> int:
        return len(self._stations)

    def __contains__(self, code: object) -> bool:
        return code in self._stations

    def __repr__(self) -> str:
        return f"StationRegistry({len(self)} stations)"
