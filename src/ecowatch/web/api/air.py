"""``/api/v1/air``: the real-time AQI now, the daily AQI of a site or city, the period assessment.

The figures are those of the command line on the same store: ``/air/assessment`` returns the object
of ``ecowatch air assess --db URL --json`` and ``/air/daily`` the rows of ``ecowatch air daily``
(:mod:`ecowatch.assessment.publish`).  They are memoised per request and the ``data_version`` of
every station read (:class:`~ecowatch.web.cache.FigureMemo`), so new data are never hidden.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ecowatch.assessment.air import AirAssessment, assess_air
from ecowatch.assessment.publish import PUBLISHED_ORDER, assessment_json, daily_table
from ecowatch.errors import EcowatchError, InputError
from ecowatch.standards import Edition, StandardsError
from ecowatch.store.budget import QueryBudgetExceeded, query_budget
from ecowatch.store.measurements import import_result_from_store
from ecowatch.store.models import Region, RegionLevel, Site, SiteKind
from ecowatch.store.sites import region_subtree
from ecowatch.store.users import Scope
from ecowatch.web.api.common import SCOPE_ERRORS, IsoDate
from ecowatch.web.api.sites import region_in_scope, status_response
from ecowatch.web.cache import FigureMemo
from ecowatch.web.deps import ScopeDep, SessionDep, forbidden, site_in_scope, state_of
from ecowatch.web.fairness import COSTLY_ERRORS, costly
from ecowatch.web.schemas import AqiNow, Problem, StationAqi
from ecowatch.web.tables import TABLE_RESPONSES, FormatQuery, TableFormat, json_response, table_response

router = APIRouter(prefix="/air", tags=["air"])

#: What one request's reads may take [s] (a three-year assessment of a city's stations reads a few
#: hundred hourly blocks: well under a second when they are built).
AIR_READ_BUDGET_S = 30.0
#: The longest span one request may assess [days]: three years and a leap day, enough for the
#: three-year moving means; longer requests would tie up a worker for minutes.
MAX_DAYS = 3 * 366


class Standard(StrEnum):
    s2012 = "2012"
    s2026 = "2026"


FromQuery = Annotated[IsoDate, Query(alias="from", description="First Beijing day, YYYY-MM-DD")]
ToQuery = Annotated[IsoDate, Query(alias="to", description="Last Beijing day, YYYY-MM-DD")]
StandardQuery = Annotated[Standard | None, Query(description="Force an HJ 633 / HJ 663 edition")]
ERRORS = {**SCOPE_ERRORS, 404: {"model": Problem}}


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=message)


def _check_span(first: dt.date, last: dt.date) -> None:
    if last < first:
        raise _unprocessable(f"to: {last} is before from: {first}")
    if (last - first).days + 1 > MAX_DAYS:
        raise _unprocessable(
            f"to: the period is {(last - first).days + 1} days; at most {MAX_DAYS} per request"
        )


def _air_sites(session: Session, scope: Scope) -> list[Site]:
    query = (
        select(Site)
        .where(Site.kind == SiteKind.air_station.value, scope.site_filter())
        .order_by(Site.id)
        .options(selectinload(Site.region))
    )
    return list(session.scalars(query))


def _assessment(
    session: Session,
    memo: FigureMemo,
    sites: Sequence[Site],
    first: dt.date,
    last: dt.date,
    city_stations: Sequence[str] | None,
    standard: Standard | None,
    publish: Callable[[AirAssessment], Any],
) -> Any:
    """``publish(assess_air(...))`` on the stored values of ``sites``, memoised on their data versions."""
    versions = tuple((site.id, site.data_version) for site in sites)
    key = (publish.__name__, versions, first, last, tuple(city_stations or ()), standard)

    def compute() -> Any:
        with query_budget(session, AIR_READ_BUDGET_S):
            imported = import_result_from_store(
                session=session, first_day=first, last_day=last, stations=[site.code for site in sites]
            )
        return publish(
            assess_air(
                imported,
                first,
                last,
                stations=city_stations,
                edition=Edition(standard.value) if standard else None,
            )
        )

    try:
        return memo.get_or_compute(key, compute)
    except QueryBudgetExceeded as error:
        raise _unprocessable(f"from/to: {error}; ask for a shorter period or fewer stations") from None
    except InputError as error:  # its field is the command line's (--from/--to): name the query's
        field = (error.field or "").replace("--", "")
        raise _unprocessable(f"{field}: {error.reason}" if field else error.reason) from None
    except (EcowatchError, StandardsError) as error:
        raise _unprocessable(str(error)) from None


@router.get("/aqi/now", response_model=AqiNow, responses={**SCOPE_ERRORS, **TABLE_RESPONSES})
async def aqi_now(
    request: Request, session: SessionDep, scope: ScopeDep, fmt: FormatQuery = TableFormat.json
) -> Response:
    """The real-time AQI (HJ 633 实时报) of every air station in scope at its latest hour.

    ``as_of`` is the latest hour over them: with historical data (the Beijing demo, 2013–2017) "now"
    is the latest hour in the store, not the wall clock.
    """
    return await status_response(
        request,
        session,
        (Site.kind == SiteKind.air_station.value) & scope.site_filter(),
        fmt,
        name="aqi-now",
        item=StationAqi,
        page=AqiNow,
        items_key="stations",
    )


@router.get(
    "/daily", responses={**ERRORS, **COSTLY_ERRORS, **TABLE_RESPONSES}, dependencies=[Depends(costly)]
)
def daily_aqi(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    first: FromQuery,
    last: ToQuery,
    site: Annotated[str | None, Query(max_length=32, description="An air station's code")] = None,
    city: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="A city or district region's code")
    ] = None,
    each_station: Annotated[
        bool,
        Query(
            description="With city: also a row per station of the city and "
            "day (from=to: every station of a city for a day)"
        ),
    ] = False,
    standard: StandardQuery = None,
    fmt: FormatQuery = TableFormat.json,
) -> Any:
    """Daily AQI (HJ 633 日报) of one station or city, one row per day as ``ecowatch air daily`` prints.

    A city is formed, as on the command line, by its assessment stations (HJ 663); give exactly one
    of ``site`` and ``city``.  A city's rows carry its region code in ``site`` and its name in
    ``site_name``; ``each_station`` adds the rows of its stations.
    """
    _check_span(first, last)
    if (site is None) == (city is None):
        raise _unprocessable("site, city: give exactly one of them")
    if site is not None:
        chosen = site_in_scope(
            session.scalars(select(Site).where(Site.code == site)).one_or_none(), scope, site
        )
        if chosen.kind != SiteKind.air_station:
            raise _unprocessable(f"site: {site!r} is a {chosen.kind}, not an air station")
        stations, wanted = [chosen], (lambda row: row["site"] == chosen.code and row["kind"] == "station")
        name = site
    else:
        assert city is not None  # exactly one of site and city (checked above)
        region = region_in_scope(session, scope, city)
        if region.level not in ("city", "county"):  # a district's stations form the district's day
            raise _unprocessable(f"city: {city} is a {region.level}, not a city or a district")
        below = {r.id for r in region_subtree(session=session, region=region)}
        stations = [s for s in _air_sites(session, scope) if s.region_id in below]
        if not stations:
            raise _unprocessable(f"city: {city} has no air station in the store")
        kinds = {"city", "station"} if each_station else {"city"}
        wanted, name = (lambda row: row["kind"] in kinds), city
    table = _assessment(session, state_of(request).memo, stations, first, last, None, standard, daily_table)
    rows = [row for row in table.to_dicts() if wanted(row)]
    for row in rows:
        row["date"] = row["date"].isoformat()
        if row["kind"] == "city":  # the assessment names a city by its registry name: the API by its code
            row["site"], row["site_name"] = region.code, region.name
    rows.sort(key=lambda row: (row["date"], row["kind"] != "city"))  # a day's city row, then its stations
    if fmt is not TableFormat.json:
        return table_response(
            rows, fmt, f"daily-{name}-{first}-{last}", sheet=("daily", name, str(first), str(last))
        )
    return {"site": name, "from": first.isoformat(), "to": last.isoformat(), "rows": rows}


@router.get(
    "/assessment", responses={**ERRORS, **COSTLY_ERRORS, **TABLE_RESPONSES}, dependencies=[Depends(costly)]
)
def period_assessment(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    first: FromQuery,
    last: ToQuery,
    stations: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Stations forming the city, e.g. 1003A,1004A (codes or names), as --stations",
        ),
    ] = None,
    standard: StandardQuery = None,
    fmt: FormatQuery = TableFormat.json,
) -> Response:
    """Period figures of the city and each station (HJ 663): the object ``ecowatch air assess --json`` prints.

    The stations read are the air stations in the user's scope; ``stations`` chooses the ones that form
    the city (default: the assessment stations).  As CSV or XLSX: a row per city (its region code in
    ``site``) and station, the headline statistic of each pollutant under its name (``CO`` its 95th
    percentile, ``O3`` the 90th of the daily 8-h maxima, as ``<pollutant>_statistic`` says).
    """
    _check_span(first, last)
    sites = _air_sites(session, scope)
    if not sites:
        raise (
            forbidden("air quality")
            if not scope.everything
            else _unprocessable("no air station in the store")
        )
    chosen = [name.strip() for name in stations.split(",") if name.strip()] if stations else None
    if chosen:
        every = session.scalars(select(Site).where(Site.kind == SiteKind.air_station.value)).all()
        visible = {site.id for site in sites}
        for name in chosen:
            match = next(
                (
                    s
                    for s in every
                    if s.code == name or name.casefold() in {s.name.casefold(), s.name_en.casefold()}
                ),
                None,
            )
            if match is None or match.id not in visible:
                # One answer for both: a 403 beside a 404 would tell which stations exist out of sight.
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"stations: no air station {name!r}")
    text = _assessment(
        session, state_of(request).memo, sites, first, last, chosen, standard, assessment_json_text
    )
    if fmt is TableFormat.json:
        return json_response(text)
    city_of = {site.code: _city_region(session, site) for site in sites}
    rows = assessment_rows(json.loads(text), sites, city_of)
    return table_response(
        rows, fmt, f"assessment-{first}-{last}", sheet=("assessment", str(first), str(last))
    )


def _city_region(session: Session, site: Site) -> Region | None:
    """The city-level region a site hangs under (its own region or an ancestor)."""
    region = site.region
    while region is not None and region.level != RegionLevel.city:
        region = session.get(Region, region.parent_id) if region.parent_id is not None else None
    return region


def _period_row(figures: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for pollutant in PUBLISHED_ORDER:
        entry = figures[pollutant.value]
        row[pollutant.value] = entry["value"]
        row[f"{pollutant.value}_statistic"] = entry["statistic"]
        row[f"{pollutant.value}_days"] = entry["days"]
        row[f"{pollutant.value}_complies"] = entry["complies"]
    for key in (
        "valid_days",
        "good_days",
        "good_ratio_pct",
        "comprehensive_index",
        "limits",
        "days_by_level",
        "exceedance_days",
    ):
        row[key] = figures[key]
    return row


def assessment_rows(
    result: dict[str, Any], sites: Sequence[Site], city_of: dict[str, Region | None]
) -> list[dict[str, Any]]:
    """The assessment object as a table: a row per city, then per station."""
    names = {site.code: site.name for site in sites}
    period = {
        "from": result["period"]["from"],
        "to": result["period"]["to"],
        "standard": result["period"]["standard"],
    }
    cities = result.get("cities") or ({"": result["city"]} if result["city"] else {})
    members = result.get("stations_by_city") or {"": result["stations"]}
    rows = []
    for key, figures in cities.items():
        region = next((city_of[code] for code in members.get(key, ()) if city_of.get(code) is not None), None)
        code, name = (region.code, region.name) if region is not None else (key, key)
        rows.append({"site": code, "site_name": name, "kind": "city", **period, **_period_row(figures)})
    for code, figures in result["by_station"].items():
        rows.append(
            {
                "site": code,
                "site_name": names.get(code, code),
                "kind": "station",
                **period,
                **_period_row(figures),
            }
        )
    return rows


def assessment_json_text(assessment: AirAssessment) -> str:
    """:func:`~ecowatch.assessment.publish.assessment_json` as JSON text, memoised as such."""
    return json.dumps(assessment_json(assessment), ensure_ascii=False, allow_nan=False)
