"""Regions and sites: the administrative hierarchy and the monitoring places in it.

Regions follow the administrative division codes of GB/T 2260: a province ``PP0000``, its
cities ``PPCC00``, their counties ``PPCCXX``.  The station registry gives each station a city
and a ``city_code``; :func:`sites_from_registry` turns that into

- a province region ``PP0000`` named from the division list (:func:`province_name`), and
- a city region under it, holding the stations, or the district (``county_code``) under the city
  where the registry names one.

The four municipalities (直辖市: 北京, 天津, 上海, 重庆) are provinces and cities at once, and the
registry (as CNEMC does) gives them the province code, 北京 = 110000.  The store keeps the levels
apart: province 110000 北京市 with city 110100 北京 (its 市辖区 code) under it, and the sites in
the city.  :func:`station_of` maps back, so the registry's ``city_code`` survives a round trip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecowatch.shapes.regions import DivisionList, short_name
from ecowatch.shapes.stations import Station, StationRegistry
from ecowatch.store.audit import record
from ecowatch.store.errors import StoreError
from ecowatch.store.models import Region, RegionLevel, Site, SiteKind

__all__ = [
    "MUNICIPALITIES",
    "province_name",
    "region_ancestors",
    "region_codes",
    "region_subtree",
    "registry_city_code",
    "sites_by_code",
    "sites_from_registry",
    "sites_from_stations",
    "station_of",
    "upsert_region",
]


def province_name(prefix: str) -> str | None:
    """The name of the provincial-level division whose code starts with ``prefix`` (two digits), from the
    division list (:class:`~ecowatch.shapes.regions.DivisionList`, GB/T 2260); None when there is none.

    >>> province_name("13"), province_name("99")
    ('河北省', None)
    """
    division = DivisionList.default().get(prefix + "0000")
    return division.name if division is not None and division.level == "province" else None


MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
"""Province prefixes of the municipalities directly under the central government (直辖市)."""

_LEVEL_RANK = {RegionLevel.province: 0, RegionLevel.city: 1, RegionLevel.county: 2}
_CODE_RE = re.compile(r"^\d{6}$")


def region_codes(city_code: str) -> tuple[str, str]:
    """(province code, city code) of the store for a registry ``city_code``.

    >>> region_codes("110000")
    ('110000', '110100')
    >>> region_codes("130100")
    ('130000', '130100')
    """
    if not _CODE_RE.match(city_code) or province_name(city_code[:2]) is None:
        raise StoreError(f"city code {city_code!r} is not a GB/T 2260 division code")
    province = city_code[:2] + "0000"
    if city_code[2:] == "0000":
        if city_code[:2] not in MUNICIPALITIES:
            raise StoreError(f"city code {city_code!r} is a province's code, not a city's")
        return province, city_code[:2] + "0100"
    if city_code[4:] != "00":
        raise StoreError(f"city code {city_code!r} is a county's code, not a city's")
    return province, city_code


def registry_city_code(city: Region) -> str:
    """The registry's ``city_code`` of a city region (the inverse of :func:`region_codes`)."""
    parent = city.parent
    if parent is not None and parent.code[:2] in MUNICIPALITIES and city.code == parent.code[:2] + "0100":
        return parent.code
    return city.code


def _city_region(region: Region | None) -> Region | None:
    while region is not None and region.level == RegionLevel.county:
        region = region.parent
    return region if region is not None and region.level == RegionLevel.city else None


def station_of(site: Site) -> Station:
    """The registry :class:`Station` a site stands for (city from its city region, or none).

    The city is the region's short name (:func:`ecowatch.shapes.regions.short_name`), as registries
    and CNEMC write it, so that a registry survives the round trip through the official names."""
    city = _city_region(site.region)
    region = site.region
    county = region if region is not None and region.level == RegionLevel.county else None
    return Station(
        code=site.code,
        name=site.name,
        name_en=site.name_en,
        city=short_name(city.name) if city else "",  # the registry's (CNEMC's) short name: 北京市 -> 北京
        city_code=registry_city_code(city) if city else "",
        category=site.category,
        lon=site.lon,
        lat=site.lat,
        full_name=site.full_name,
        aliases=tuple(site.aliases or ()),
        county_code=county.code if county else "",
        county=county.name if county else "",
    )


# -- regions ----------------------------------------------------------------------------------


def _put_region(
    session: Session, *, code: str, name: str, level: RegionLevel, parent: Region | None
) -> Region:
    """Insert or update one region (no audit: the callers record their own entry)."""
    level = RegionLevel(level)
    if parent is not None and _LEVEL_RANK[RegionLevel(parent.level)] >= _LEVEL_RANK[level]:
        raise StoreError(f"region {code} ({level}) cannot be placed under {parent.code} ({parent.level})")
    region = session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None:
        region = Region(code=code, name=name, level=level.value, parent=parent)
        session.add(region)
    else:
        if region.level != level.value:
            raise StoreError(f"region {code} exists as a {region.level}, not a {level}")
        region.name = name
        region.parent = parent
    return region


def upsert_region(
    *,
    session: Session,
    code: str,
    name: str,
    level: RegionLevel | str,
    parent: Region | None = None,
    actor: str,
) -> Region:
    """Insert or update the region ``code``, under ``parent`` (a level above it; none for a province)."""
    region = _put_region(session, code=code, name=name, level=RegionLevel(level), parent=parent)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="upsert",
        entity="region",
        entity_id=code,
        detail={"name": name, "level": str(level), "parent": parent.code if parent else None},
    )
    return region


def region_subtree(*, session: Session, region: Region) -> list[Region]:
    """The region and every region below it (a recursive query; parents before children)."""
    tree = select(Region.id, Region.level).where(Region.id == region.id).cte("tree", recursive=True)
    tree = tree.union_all(select(Region.id, Region.level).join(tree, Region.parent_id == tree.c.id))
    ids = set(session.scalars(select(tree.c.id)))
    regions = session.scalars(select(Region).where(Region.id.in_(ids))).all()
    return sorted(regions, key=lambda r: (_LEVEL_RANK[RegionLevel(r.level)], r.code))


def region_ancestors(*, session: Session, region: Region) -> list[Region]:
    """The regions above ``region``, nearest first (a county's city, then its province)."""
    out = []
    parent = region.parent
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out


# -- sites ------------------------------------------------------------------------------------


def sites_by_code(*, session: Session, codes: Iterable[str] | None = None) -> dict[str, Site]:
    """The sites with these codes (all sites if ``codes`` is None), by code, in id order."""
    query = select(Site).order_by(Site.id)
    if codes is not None:
        query = query.where(Site.code.in_(list(codes)))
    return {site.code: site for site in session.scalars(query)}


_STATION_FIELDS = ("name", "name_en", "full_name", "category", "lon", "lat")


def sites_from_stations(*, session: Session, stations: Sequence[Station], actor: str) -> dict[str, Site]:
    """Insert or update an air-station :class:`Site` per station (and the regions of their cities).

    Stations without a ``city_code`` (ad-hoc stations of a user's file) get no region.  Returns
    the sites by code.  One audit entry records the codes created and updated.
    """
    existing = sites_by_code(session=session, codes=[s.code for s in stations])
    cities: dict[str, Region] = {}
    created, updated = [], []
    out: dict[str, Site] = {}
    for station in stations:
        region = None
        if station.city_code:
            region = cities.get(station.city_code)
            if region is None:
                region = cities[station.city_code] = _registry_city(session, station)
            if station.county_code:  # the district the station stands in, under its city
                region = _registry_county(session, station, region)
        site = existing.get(station.code)
        values = {field: getattr(station, field) for field in _STATION_FIELDS}
        values["aliases"] = list(station.aliases)
        if site is None:
            site = Site(code=station.code, kind=SiteKind.air_station.value, region=region, **values)
            session.add(site)
            created.append(station.code)
        else:
            if site.kind != SiteKind.air_station:
                raise StoreError(f"site {station.code} exists as a {site.kind}, not an air station")
            before = {field: getattr(site, field) for field in values} | {"region_id": site.region_id}
            for field, value in values.items():
                setattr(site, field, value)
            site.region = region
            session.flush()
            if before != {field: getattr(site, field) for field in values} | {"region_id": site.region_id}:
                updated.append(station.code)
        out[station.code] = site
    session.flush()
    record(
        session=session,
        actor=actor,
        action="upsert",
        entity="site",
        detail={
            "created": created,
            "updated": updated,
            "unchanged": len(stations) - len(created) - len(updated),
        },
    )
    return out


def sites_from_registry(*, session: Session, registry: StationRegistry, actor: str) -> dict[str, Site]:
    """:func:`sites_from_stations` for every station of ``registry``, in registry order."""
    return sites_from_stations(session=session, stations=list(registry), actor=actor)


def _registry_county(session: Session, station: Station, city: Region) -> Region:
    """The district ``station.county_code`` (GB/T 2260 ``PPCCXX``) under ``city``, made when missing."""
    if (
        not _CODE_RE.match(station.county_code)
        or station.county_code[:4] != city.code[:4]
        or station.county_code[4:] == "00"
    ):
        raise StoreError(
            f"station {station.code}: county code {station.county_code!r} is not a district "
            f"of city {city.code}"
        )
    county = session.scalars(select(Region).where(Region.code == station.county_code)).one_or_none()
    if county is not None and county.parent_id == city.id:
        return county
    return _put_region(
        session,
        code=station.county_code,
        name=station.county or station.county_code,
        level=RegionLevel.county,
        parent=city,
    )


def _registry_city(session: Session, station: Station) -> Region:
    """The city of ``station`` as the store has it (the national divisions, migration 0010, with their
    official names: a registry's "北京" does not rename 110100), made only when missing."""
    province_code, city_code = region_codes(station.city_code)
    city = session.scalars(select(Region).where(Region.code == city_code)).one_or_none()
    if (
        city is not None
        and city.level == RegionLevel.city
        and city.parent is not None
        and city.parent.code == province_code
    ):
        return city
    province = session.scalars(select(Region).where(Region.code == province_code)).one_or_none()
    if province is None or province.level != RegionLevel.province:
        province = _put_region(
            session,
            code=province_code,
            name=province_name(province_code[:2]) or province_code,
            level=RegionLevel.province,
            parent=None,
        )
    return _put_region(
        session, code=city_code, name=station.city or city_code, level=RegionLevel.city, parent=province
    )
