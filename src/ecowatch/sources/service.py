"""Register, edit and list enterprises and their outlets; every write is one audit entry.

The CLI, the API and the importer all come through here, so one set of checks applies:

- an enterprise's code is a well-formed unified social credit code (GB 32100-2015, check character
  included), its region a GB/T 2260 region of the store, its industry a GB/T 4754-2017 code, its
  lists :class:`~ecowatch.sources.models.KeyList` values;
- an outlet's code is free on the platform (outlets are sites: devices, measurements and the map
  hang on them), its coordinates inside China's extent, each permitted limit on an HJ 212-2017
  Annex B factor of the outlet's medium, in that factor's unit, with reference oxygen for waste gas
  only.

An outlet is in its enterprise's region: moving the enterprise moves its outlets.  ``scope`` (the
API user's :class:`~ecowatch.store.users.Scope`; None on the command line) limits what is seen and
changed: staff change the enterprises of their regions, enterprise users see their own and change
nothing.  Errors are :mod:`ecowatch.sources.errors`, naming the field.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from ecowatch.hj212 import CODE_2005_TO_2017, FACTORS_2017
from ecowatch.sources.credit_code import credit_code_problem
from ecowatch.sources.errors import OutOfScope, SourceConflict, SourceError, UnknownSource
from ecowatch.sources.models import EnterpriseKeyList, KeyList, Medium, Outlet, OutletKind, PermitLimit
from ecowatch.sources.schemas import EnterpriseRead, OutletRead, PermitLimitRead
from ecowatch.store.audit import record
from ecowatch.store.models import Device, Enterprise, Region, Site, SiteKind
from ecowatch.store.users import Scope

__all__ = [
    "CHINA_EXTENT",
    "ENTERPRISE_FIELDS",
    "OUTLET_FIELDS",
    "UNIT_ALIASES",
    "LimitSpec",
    "a_or_an",
    "add_enterprise",
    "add_outlet",
    "check_coordinates",
    "check_credit_code",
    "check_industry",
    "check_key_lists",
    "check_kind",
    "check_limit",
    "check_medium",
    "check_name",
    "check_outlet_code",
    "check_region_code",
    "edit_enterprise",
    "edit_outlet",
    "enterprises_query",
    "get_enterprise",
    "get_outlet",
    "limit_problems",
    "outlets_query",
    "permit_limits",
    "read_enterprises",
    "read_outlets",
]

#: (west, east, south, north) bounds [degrees] that every outlet lies within: China's extent (about
#: 73.5-135.1 E, 3.8-53.6 N) rounded outwards.  A point outside is most often lon/lat swapped.
CHINA_EXTENT = (73.0, 136.0, 3.0, 54.0)

#: Units as people type them -> the unit of the HJ 212-2017 Annex B code table.  Flue-gas
#: concentrations are at standard conditions, so mg/Nm3 is the table's 毫克/立方米.
UNIT_ALIASES: Mapping[str, str] = {
    "mg/m3": "毫克/立方米",
    "mg/m³": "毫克/立方米",
    "mg/nm3": "毫克/立方米",
    "mg/nm³": "毫克/立方米",
    "mg/l": "毫克/升",
    "ug/l": "微克/升",
    "µg/l": "微克/升",
    "μg/l": "微克/升",
    "ng/m3": "纳克/立方米",
    "ng/m³": "纳克/立方米",
    "ng/l": "纳克/升",
    "db": "分贝",
    "db(a)": "分贝",
    "-": "无量纲",
    "1": "无量纲",
    "dimensionless": "无量纲",
    "°c": "摄氏度",
    "degc": "摄氏度",
}

#: The fields :func:`edit_enterprise` and :func:`edit_outlet` change.
ENTERPRISE_FIELDS = ("name", "region", "industry", "key_lists")
OUTLET_FIELDS = ("name", "kind", "lon", "lat", "limits", "set_limits", "remove_limits")

_OUTLET_CODE = re.compile(r"^[^\s;,=&/?#%\\]{1,32}$")
_INDUSTRY = re.compile(r"^\d{2}(\d{1,2})?$")


# -- checks of single values (shared with the importer) --------------------------------------------


def a_or_an(word: str) -> str:
    """``word`` with its indefinite article: ``an air_station``, ``a water factor``."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _problem(reason: str, field: str) -> SourceError:
    return SourceError(reason, field=field)


def check_name(value: str, field: str = "name", max_length: int = 128) -> str:
    """``value`` stripped; not empty, at most ``max_length`` characters, no control characters."""
    text = (value or "").strip()
    if not text:
        raise _problem("empty", field)
    if len(text) > max_length:
        raise _problem(f"at most {max_length} characters, got {len(text)}", field)
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise _problem("contains a control character", field)
    return text


def check_credit_code(value: str, field: str = "code") -> str:
    """The unified social credit code ``value`` (spaces stripped, letters upper-cased), checked
    against GB 32100-2015 (:func:`~ecowatch.sources.credit_code.credit_code_problem`)."""
    code = (value or "").strip().upper()
    problem = credit_code_problem(code)
    if problem is not None:
        raise _problem(f"{code!r} is not a unified social credit code: {problem}", field)
    return code


def check_industry(value: str | None, field: str = "industry") -> str | None:
    """A GB/T 4754-2017 code of a division (2 digits), group (3) or class (4): ``44``, ``441``, ``4411``."""
    text = (value or "").strip()
    if not text:
        return None
    if not _INDUSTRY.match(text) or not 1 <= int(text[:2]) <= 97:
        raise _problem(
            f"{text!r} is not a GB/T 4754-2017 industry code (2-4 digits, divisions 01-97, "
            "e.g. 4411 火力发电)",
            field,
        )
    return text


def check_key_lists(values: Iterable[str], field: str = "key_lists") -> list[str]:
    """The lists ``values`` names, each once, in :class:`KeyList` order."""
    given = {str(value).strip() for value in values if str(value).strip()}
    unknown = sorted(given - {k.value for k in KeyList})
    if unknown:
        raise _problem(f"unknown list(s) {', '.join(unknown)} (one of {', '.join(KeyList)})", field)
    return [k.value for k in KeyList if k.value in given]


def check_outlet_code(value: str, field: str = "code") -> str:
    """An outlet's site code: 1-32 characters, none of them space, ``; , = & / ? # % \\``."""
    code = (value or "").strip()
    if not _OUTLET_CODE.match(code) or not code.isprintable():
        raise _problem(
            f"{code!r}: an outlet code is 1-32 characters without spaces or ; , = & / ? # % \\ "
            "(e.g. the enterprise's code and the permit's outlet number, 914403001922038216-DA001)",
            field,
        )
    return code


def check_medium(value: str, field: str = "medium") -> Medium:
    try:
        return Medium(str(value).strip())
    except ValueError:
        raise _problem(f"{value!r}: the medium is gas or water", field) from None


def check_kind(value: str | None, field: str = "kind") -> OutletKind | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return OutletKind(text)
    except ValueError:
        raise _problem(f"{text!r}: the outlet kind is one of {', '.join(OutletKind)}", field) from None


def _finite(value: float, field: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise _problem(f"{value!r} is not a finite number", field)
    return float(value)


def check_coordinates(
    lon: float, lat: float, fields: tuple[str, str] = ("lon", "lat")
) -> tuple[float, float]:
    """(lon, lat) in decimal degrees (WGS 84 as the map draws them), inside :data:`CHINA_EXTENT`."""
    lon, lat = _finite(lon, fields[0]), _finite(lat, fields[1])
    west, east, south, north = CHINA_EXTENT
    swapped = " (longitude and latitude swapped?)" if west <= lat <= east and south <= lon <= north else ""
    if not west <= lon <= east:
        raise _problem(f"longitude {lon} is outside China ({west:g}-{east:g} E){swapped}", fields[0])
    if not south <= lat <= north:
        raise _problem(f"latitude {lat} is outside China ({south:g}-{north:g} N){swapped}", fields[1])
    return lon, lat


@dataclass(frozen=True)
class LimitSpec:
    """A checked permit limit, ready to store (:class:`~ecowatch.sources.models.PermitLimit`)."""

    pollutant: str
    upper_limit: float
    lower_limit: float | None
    unit: str
    reference_oxygen_pct: float | None
    standard: str | None


def check_limit(
    *,
    medium: Medium,
    pollutant: str,
    upper_limit: float,
    lower_limit: float | None = None,
    unit: str | None = None,
    reference_oxygen_pct: float | None = None,
    standard: str | None = None,
    field: str = "limits",
) -> LimitSpec:
    """One permitted limit of an outlet of ``medium``, checked; errors name ``field``.``<part>``.

    ``pollutant`` is an HJ 212-2017 Annex B factor code of the medium (an HJ/T 212-2005 code is
    translated by the standard's 原编码 column); ``unit``, when given, must be that factor's unit
    (in the table's words or as :data:`UNIT_ALIASES` writes it).  ``reference_oxygen_pct`` is the
    reference O2 of a waste-gas limit, 0 <= O2 < 21 % (HJ 75-2017's conversion divides by 21 − O2).
    Raises the first of :func:`limit_problems`.
    """
    spec, problems = limit_problems(
        medium=medium,
        pollutant=pollutant,
        upper_limit=upper_limit,
        lower_limit=lower_limit,
        unit=unit,
        reference_oxygen_pct=reference_oxygen_pct,
        standard=standard,
        field=field,
    )
    if spec is None:
        raise problems[0]
    return spec


def limit_problems(
    *,
    medium: Medium,
    pollutant: str,
    upper_limit: float,
    lower_limit: float | None = None,
    unit: str | None = None,
    reference_oxygen_pct: float | None = None,
    standard: str | None = None,
    field: str = "limits",
) -> tuple[LimitSpec | None, list[SourceError]]:
    """The checks of :func:`check_limit`, every one: (the limit, []) or (None, the problems)."""
    problems: list[SourceError] = []

    def checked(check, *args):
        try:
            return check(*args)
        except SourceError as error:
            problems.append(error)
            return None

    code = (pollutant or "").strip()
    code = CODE_2005_TO_2017.get(code, code)
    factor = FACTORS_2017.get(code)
    if factor is None:
        problems.append(
            _problem(
                f"{pollutant!r} is not an HJ 212-2017 Annex B factor code (e.g. a21026, w01018)",
                f"{field}.pollutant",
            )
        )
    elif factor.medium != medium.factor_medium:
        problems.append(
            _problem(
                f"{code} ({factor.name}) is {a_or_an(factor.medium)} factor; this is "
                f"{a_or_an(medium.value)} outlet",
                f"{field}.pollutant",
            )
        )
    upper = checked(_finite, upper_limit, f"{field}.upper_limit")
    if upper is not None and upper < 0:
        problems.append(_problem(f"{upper:g} is negative", f"{field}.upper_limit"))
    lower = None if lower_limit is None else checked(_finite, lower_limit, f"{field}.lower_limit")
    if lower is not None and upper is not None and not lower < upper:
        problems.append(
            _problem(f"lower limit {lower:g} is not below the upper limit {upper:g}", f"{field}.lower_limit")
        )
    given = (unit or "").strip()
    if factor is not None and given and UNIT_ALIASES.get(given.lower(), given) != factor.unit:
        problems.append(
            _problem(
                f"{given!r}: HJ 212-2017 Annex B gives {code} ({factor.name}) in {factor.unit}; "
                "give the limit in that unit",
                f"{field}.unit",
            )
        )
    oxygen = None
    if reference_oxygen_pct is not None:
        if medium is not Medium.gas:
            problems.append(
                _problem(
                    "a reference oxygen content applies to waste-gas limits only",
                    f"{field}.reference_oxygen_pct",
                )
            )
        else:
            oxygen = checked(_finite, reference_oxygen_pct, f"{field}.reference_oxygen_pct")
            if oxygen is not None and not 0 <= oxygen < 21:
                problems.append(
                    _problem(
                        f"{oxygen:g} %: the reference oxygen content is 0 to under 21 %",
                        f"{field}.reference_oxygen_pct",
                    )
                )
    source = checked(check_name, standard, f"{field}.standard") if standard and standard.strip() else None
    if problems or factor is None or upper is None:
        return None, problems
    return LimitSpec(code, upper, lower, factor.unit, oxygen, source), []


# -- scope -----------------------------------------------------------------------------------------


def _check_writable(scope: Scope | None, region: Region, what: str) -> None:
    if scope is None or scope.everything:
        return
    if scope.enterprise_id is not None:
        raise OutOfScope("an enterprise user may not change the registry", field=what)
    if region.id not in scope.region_ids:
        raise OutOfScope(f"region {region.code} is outside your scope", field=what)


def check_region_code(value: str, field: str = "region") -> str:
    """A GB/T 2260 division code: 6 digits (``110105``)."""
    text = (value or "").strip()
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        raise _problem(f"{text!r} is not a GB/T 2260 division code (6 digits, e.g. 110105)", field)
    return text


def _region(session: Session, code: str, field: str = "region") -> Region:
    text = check_region_code(code, field)
    region = session.scalars(select(Region).where(Region.code == text)).one_or_none()
    if region is None:
        raise _problem(
            f"no region {text!r} in the store (a GB/T 2260 code: load the regions or give another)", field
        )
    return region


# -- enterprises -----------------------------------------------------------------------------------


def _only(changes: Mapping[str, Any], fields: Sequence[str]) -> None:
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        raise _problem(f"cannot be changed (the fields are {', '.join(fields)})", ", ".join(unknown))


def _assign(target: Any, attribute: str, value: Any, changed: dict[str, Any]) -> None:
    """Set ``target.attribute`` to ``value``, noting [before, after] in ``changed`` if it differs."""
    before = getattr(target, attribute)
    if value != before:
        changed[attribute] = [before, value]
        setattr(target, attribute, value)


def _record_update(session: Session, actor: str, entity: str, code: str, changed: dict[str, Any]) -> None:
    """One audit entry for an edit, with [before, after] of what changed; none when nothing did."""
    if changed:
        record(
            session=session,
            actor=actor,
            action="update",
            entity=entity,
            entity_id=code,
            detail={"changed": changed},
        )


def get_enterprise(*, session: Session, code: str, scope: Scope | None = None) -> Enterprise:
    """The enterprise ``code``: :class:`UnknownSource` if there is none or ``scope`` does not see it (the
    same words for both: a different answer would tell anyone which codes exist elsewhere)."""
    # A code that cannot be stored is no code of the store (and PostgreSQL text cannot even hold U+0000).
    enterprise = (
        session.scalars(select(Enterprise).where(Enterprise.code == code.strip().upper())).one_or_none()
        if code.isprintable()
        else None
    )
    if enterprise is None or (scope is not None and not scope.has_enterprise(enterprise)):
        raise UnknownSource(f"no enterprise {code!r}", field="enterprise")
    return enterprise


def _set_key_lists(session: Session, enterprise: Enterprise, lists: Sequence[str]) -> list[str]:
    before = _key_lists_of(session, [enterprise.id]).get(enterprise.id, [])
    if before != list(lists):
        session.execute(delete(EnterpriseKeyList).where(EnterpriseKeyList.enterprise_id == enterprise.id))
        session.add_all(EnterpriseKeyList(enterprise_id=enterprise.id, list=name) for name in lists)
    return before


def add_enterprise(
    *,
    session: Session,
    code: str,
    name: str,
    region: str,
    actor: str,
    industry: str | None = None,
    key_lists: Iterable[str] = (),
    scope: Scope | None = None,
) -> Enterprise:
    """Register an enterprise; :class:`SourceConflict` if its code is registered already."""
    code = check_credit_code(code)
    name = check_name(name)
    industry = check_industry(industry)
    lists = check_key_lists(key_lists)
    place = _region(session, region)
    _check_writable(scope, place, "region")
    if session.scalars(select(Enterprise.id).where(Enterprise.code == code)).first() is not None:
        raise SourceConflict(f"enterprise {code} is registered already (edit it instead)", field="code")
    enterprise = Enterprise(code=code, name=name, region_id=place.id, industry=industry)
    session.add(enterprise)
    session.flush()
    _set_key_lists(session, enterprise, lists)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="create",
        entity="enterprise",
        entity_id=code,
        detail={"name": name, "region": place.code, "industry": industry, "key_lists": lists},
    )
    return enterprise


def edit_enterprise(
    *, session: Session, code: str, changes: Mapping[str, Any], actor: str, scope: Scope | None = None
) -> dict[str, list[Any]]:
    """Change the fields of ``changes`` (:data:`ENTERPRISE_FIELDS`; ``key_lists`` replaces the lists).

    Moving the enterprise to another region moves its outlets with it.  Returns what changed
    (field -> [before, after]); nothing changed writes nothing and records no audit entry.
    """
    _only(changes, ENTERPRISE_FIELDS)
    enterprise = get_enterprise(session=session, code=code, scope=scope)
    _check_writable(scope, enterprise.region, "enterprise")
    changed: dict[str, list[Any]] = {}
    if "name" in changes:
        _assign(enterprise, "name", check_name(changes["name"]), changed)
    if "industry" in changes:
        _assign(enterprise, "industry", check_industry(changes["industry"]), changed)
    if "region" in changes:
        place = _region(session, changes["region"])
        if place.id != enterprise.region_id:
            _check_writable(scope, place, "region")
            changed["region"] = [enterprise.region.code, place.code]
            enterprise.region_id = place.id
            for outlet in session.scalars(select(Site).where(Site.enterprise_id == enterprise.id)):
                outlet.region_id = place.id
    if "key_lists" in changes and changes["key_lists"] is not None:
        lists = check_key_lists(changes["key_lists"])
        before = _set_key_lists(session, enterprise, lists)
        if before != lists:
            changed["key_lists"] = [before, lists]
    session.flush()
    session.expire(enterprise, ["region"])
    _record_update(session, actor, "enterprise", enterprise.code, changed)
    return changed


def enterprises_query(
    *, scope: Scope | None = None, region_ids: Iterable[int] | None = None, key_list: str | None = None
) -> Select[tuple[Enterprise]]:
    """A select of the enterprises in ``scope`` (in regions ``region_ids``, on list ``key_list``), by code."""
    query = select(Enterprise).order_by(Enterprise.code)
    if scope is not None and not scope.everything:
        if scope.enterprise_id is not None:
            query = query.where(Enterprise.id == scope.enterprise_id)
        else:
            query = query.where(Enterprise.region_id.in_(sorted(scope.region_ids)))
    if region_ids is not None:
        query = query.where(Enterprise.region_id.in_(list(region_ids)))
    if key_list is not None:
        query = query.where(
            Enterprise.id.in_(
                select(EnterpriseKeyList.enterprise_id).where(
                    EnterpriseKeyList.list == check_key_lists([key_list])[0]
                )
            )
        )
    return query


def _key_lists_of(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    order = {k.value: i for i, k in enumerate(KeyList)}
    out: dict[int, list[str]] = {}
    for enterprise_id, name in session.execute(
        select(EnterpriseKeyList.enterprise_id, EnterpriseKeyList.list).where(
            EnterpriseKeyList.enterprise_id.in_(list(ids))
        )
    ):
        out.setdefault(enterprise_id, []).append(name)
    return {key: sorted(names, key=order.__getitem__) for key, names in out.items()}


def read_enterprises(*, session: Session, enterprises: Sequence[Enterprise]) -> list[EnterpriseRead]:
    """:class:`EnterpriseRead` of each enterprise (four queries, whatever their number)."""
    ids = [e.id for e in enterprises]
    lists = _key_lists_of(session, ids)
    outlets: dict[int, list[str]] = {}
    for enterprise_id, site_code in session.execute(
        select(Site.enterprise_id, Site.code).where(Site.enterprise_id.in_(ids)).order_by(Site.code)
    ):
        outlets.setdefault(enterprise_id, []).append(site_code)
    regions = {
        r.id: r
        for r in session.scalars(select(Region).where(Region.id.in_({e.region_id for e in enterprises})))
    }
    return [
        EnterpriseRead(
            code=e.code,
            name=e.name,
            region=regions[e.region_id].code,
            region_name=regions[e.region_id].name,
            industry=e.industry,
            key_lists=[KeyList(name) for name in lists.get(e.id, [])],
            outlets=outlets.get(e.id, []),
        )
        for e in enterprises
    ]


# -- outlets ---------------------------------------------------------------------------------------


def get_outlet(*, session: Session, code: str, scope: Scope | None = None) -> Site:
    """The outlet site ``code``: :class:`UnknownSource` if there is none or ``scope`` does not see it
    (the same words for both, as :func:`get_enterprise`)."""
    site = (
        session.scalars(select(Site).where(Site.code == code.strip())).one_or_none()
        if code.isprintable()
        else None
    )
    if site is None or (scope is not None and not scope.has_site(site)):
        raise UnknownSource(f"no outlet {code!r}", field="outlet")
    if site.kind != SiteKind.outlet:
        raise UnknownSource(f"no outlet {code!r} (site {site.code} is {a_or_an(site.kind)})", field="outlet")
    return site


def _limit_specs(medium: Medium, limits: Iterable[Mapping[str, Any]], field: str) -> list[LimitSpec]:
    specs: dict[str, LimitSpec] = {}
    for index, limit in enumerate(limits):
        spec = check_limit(medium=medium, field=f"{field}[{index}]", **limit)
        if spec.pollutant in specs:
            raise _problem(f"{spec.pollutant} is given twice", f"{field}[{index}].pollutant")
        specs[spec.pollutant] = spec
    return list(specs.values())


def _limit_detail(spec: LimitSpec) -> dict[str, Any]:
    return {
        "upper": spec.upper_limit,
        "lower": spec.lower_limit,
        "unit": spec.unit,
        "o2": spec.reference_oxygen_pct,
        "standard": spec.standard,
    }


def _put_limits(
    session: Session, site: Site, specs: Sequence[LimitSpec], *, replace: bool, remove: Sequence[str] = ()
) -> dict[str, Any]:
    """Upsert ``specs`` (and delete the other limits when ``replace``, or those of ``remove``);
    returns what changed: ``{"set": {code: limit}, "removed": [codes]}`` (empty parts left out)."""
    current = {
        limit.pollutant: limit
        for limit in session.scalars(select(PermitLimit).where(PermitLimit.site_id == site.id))
    }
    changed: dict[str, Any] = {}
    wanted = {spec.pollutant for spec in specs}
    gone = sorted((set(current) - wanted) if replace else (set(remove) & set(current)) - wanted)
    for code in gone:
        session.delete(current.pop(code))
    if gone:
        changed["removed"] = gone
    for spec in specs:
        values = {
            "upper_limit": spec.upper_limit,
            "lower_limit": spec.lower_limit,
            "unit": spec.unit,
            "reference_oxygen_pct": spec.reference_oxygen_pct,
            "standard": spec.standard,
        }
        row = current.get(spec.pollutant)
        if row is None:
            session.add(PermitLimit(site_id=site.id, pollutant=spec.pollutant, **values))
        elif all(getattr(row, key) == value for key, value in values.items()):
            continue
        else:
            for key, value in values.items():
                setattr(row, key, value)
        changed.setdefault("set", {})[spec.pollutant] = _limit_detail(spec)
    return changed


def add_outlet(
    *,
    session: Session,
    code: str,
    name: str,
    enterprise: str,
    medium: str,
    lon: float,
    lat: float,
    actor: str,
    kind: str | None = None,
    limits: Iterable[Mapping[str, Any]] = (),
    scope: Scope | None = None,
) -> Site:
    """Register an outlet of ``enterprise``; ``limits`` are :func:`check_limit` arguments (no medium).

    :class:`SourceConflict` when the code is a site already (outlet codes are site codes, unique on
    the platform).
    """
    code = check_outlet_code(code)
    name = check_name(name)
    medium_ = check_medium(medium)
    kind_ = check_kind(kind)
    lon, lat = check_coordinates(lon, lat)
    specs = _limit_specs(medium_, limits, "limits")
    owner = get_enterprise(session=session, code=enterprise, scope=scope)
    _check_writable(scope, owner.region, "enterprise")
    taken = session.scalars(select(Site).where(Site.code == code)).one_or_none()
    if taken is not None:
        whose = (
            f"an outlet of {taken.enterprise.code}" if taken.enterprise is not None else a_or_an(taken.kind)
        )
        raise SourceConflict(
            f"{code!r} is already the code of a site, {whose}: outlet codes are unique on the "
            f"platform (prefix the enterprise's code: {owner.code}-{code})",
            field="code",
        )
    site = Site(
        code=code,
        name=name,
        name_en="",
        full_name="",
        aliases=[],
        kind=SiteKind.outlet.value,
        category=medium_.category,
        region_id=owner.region_id,
        enterprise_id=owner.id,
        lon=lon,
        lat=lat,
    )
    session.add(site)
    session.flush()
    session.add(Outlet(site_id=site.id, kind=kind_.value if kind_ else None))
    _put_limits(session, site, specs, replace=True)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="create",
        entity="outlet",
        entity_id=code,
        detail={
            "enterprise": owner.code,
            "name": name,
            "medium": medium_.value,
            "kind": kind_.value if kind_ else None,
            "lon": lon,
            "lat": lat,
            "limits": {spec.pollutant: _limit_detail(spec) for spec in specs},
        },
    )
    return site


def edit_outlet(
    *, session: Session, code: str, changes: Mapping[str, Any], actor: str, scope: Scope | None = None
) -> dict[str, Any]:
    """Change the fields of ``changes`` (:data:`OUTLET_FIELDS`).

    ``limits`` replaces the whole set of permitted limits; ``set_limits`` adds or changes the limits
    given and keeps the others; ``remove_limits`` (pollutant codes) removes those.  ``lon`` and
    ``lat`` are checked together (one given: the other is the outlet's).  Returns what changed;
    nothing changed writes nothing and records no audit entry.
    """
    _only(changes, OUTLET_FIELDS)
    site = get_outlet(session=session, code=code, scope=scope)
    if site.enterprise is None:  # the table's CHECK forbids it
        raise SourceError(f"outlet {site.code} has no enterprise", field="outlet")
    _check_writable(scope, site.enterprise.region, "outlet")
    medium = Medium.gas if site.category == Medium.gas.category else Medium.water
    changed: dict[str, Any] = {}
    if "name" in changes:
        _assign(site, "name", check_name(changes["name"]), changed)
    if "kind" in changes:
        kind = check_kind(changes["kind"])
        details = session.get(Outlet, site.id)
        before = details.kind if details is not None else None
        if (kind.value if kind else None) != before:
            if details is None:
                details = Outlet(site_id=site.id)
                session.add(details)
            details.kind = kind.value if kind else None
            changed["kind"] = [before, details.kind]
    if "lon" in changes or "lat" in changes:
        lon = changes.get("lon", site.lon)
        lat = changes.get("lat", site.lat)
        if lon is None or lat is None:
            raise _problem(
                "give both lon and lat (the outlet has no coordinates yet)", "lon" if lon is None else "lat"
            )
        lon, lat = check_coordinates(lon, lat)
        if (lon, lat) != (site.lon, site.lat):
            changed["coordinates"] = [[site.lon, site.lat], [lon, lat]]
            site.lon, site.lat = lon, lat
    limits: dict[str, Any] = {}
    if changes.get("limits") is not None:
        limits = _put_limits(session, site, _limit_specs(medium, changes["limits"], "limits"), replace=True)
    elif changes.get("set_limits") or changes.get("remove_limits"):
        remove = [CODE_2005_TO_2017.get(c.strip(), c.strip()) for c in changes.get("remove_limits") or ()]
        limits = _put_limits(
            session,
            site,
            _limit_specs(medium, changes.get("set_limits") or (), "set_limits"),
            replace=False,
            remove=remove,
        )
    if limits:
        changed["limits"] = limits
    session.flush()
    _record_update(session, actor, "outlet", site.code, changed)
    return changed


def outlets_query(
    *,
    scope: Scope | None = None,
    enterprise_id: int | None = None,
    region_ids: Iterable[int] | None = None,
    medium: Medium | None = None,
) -> Select[tuple[Site]]:
    """A select of the outlet sites in ``scope`` (of one enterprise, in regions, of a medium), by code."""
    query = select(Site).where(Site.kind == SiteKind.outlet.value).order_by(Site.code)
    if scope is not None:
        query = query.where(scope.site_filter())
    if enterprise_id is not None:
        query = query.where(Site.enterprise_id == enterprise_id)
    if region_ids is not None:
        query = query.where(Site.region_id.in_(list(region_ids)))
    if medium is not None:
        query = query.where(Site.category == medium.category)
    return query


def permit_limits(*, session: Session, site_ids: Iterable[int] | None = None) -> dict[int, list[LimitSpec]]:
    """Site id -> its permitted limits (by pollutant code), for the readers of the registry (screening,
    carbon): every outlet's, or those of ``site_ids``.  Units are the HJ 212-2017 code table's, as
    the measurements of that code arrive."""
    query = select(PermitLimit).order_by(PermitLimit.site_id, PermitLimit.pollutant)
    if site_ids is not None:
        query = query.where(PermitLimit.site_id.in_(list(site_ids)))
    out: dict[int, list[LimitSpec]] = {}
    for row in session.scalars(query):
        out.setdefault(row.site_id, []).append(
            LimitSpec(
                row.pollutant,
                row.upper_limit,
                row.lower_limit,
                row.unit,
                row.reference_oxygen_pct,
                row.standard,
            )
        )
    return out


def read_outlets(*, session: Session, sites: Sequence[Site]) -> list[OutletRead]:
    """:class:`OutletRead` of each outlet site (five queries, whatever their number)."""
    ids = [site.id for site in sites]
    kinds: dict[int, OutletKind | None] = {
        site_id: OutletKind(kind) if kind else None
        for site_id, kind in session.execute(
            select(Outlet.site_id, Outlet.kind).where(Outlet.site_id.in_(ids))
        )
    }
    limits: dict[int, list[PermitLimitRead]] = {}
    for limit in session.scalars(
        select(PermitLimit)
        .where(PermitLimit.site_id.in_(ids))
        .order_by(PermitLimit.site_id, PermitLimit.pollutant)
    ):
        factor = FACTORS_2017.get(limit.pollutant)
        limits.setdefault(limit.site_id, []).append(
            PermitLimitRead(
                pollutant=limit.pollutant,
                name=factor.name if factor else "",
                upper_limit=limit.upper_limit,
                lower_limit=limit.lower_limit,
                unit=limit.unit,
                reference_oxygen_pct=limit.reference_oxygen_pct,
                standard=limit.standard,
            )
        )
    devices: dict[int, list[str]] = {}
    for site_id, mn in session.execute(
        select(Device.site_id, Device.mn).where(Device.site_id.in_(ids)).order_by(Device.mn)
    ):
        devices.setdefault(site_id, []).append(mn)
    owners: dict[int | None, str] = {
        key: code
        for key, code in session.execute(
            select(Enterprise.id, Enterprise.code).where(Enterprise.id.in_({s.enterprise_id for s in sites}))
        )
    }
    regions: dict[int | None, str] = {
        key: code
        for key, code in session.execute(
            select(Region.id, Region.code).where(Region.id.in_({s.region_id for s in sites}))
        )
    }
    return [
        OutletRead(
            code=site.code,
            name=site.name,
            enterprise=owners.get(site.enterprise_id, ""),
            region=regions.get(site.region_id),
            medium=Medium.gas if site.category == Medium.gas.category else Medium.water,
            kind=kinds.get(site.id),
            lon=site.lon,
            lat=site.lat,
            limits=limits.get(site.id, []),
            devices=devices.get(site.id, []),
        )
        for site in sites
    ]
