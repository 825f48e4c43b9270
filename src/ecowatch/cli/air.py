"""``ecowatch air …`` and ``ecowatch demo``: air quality to the national standards."""

from __future__ import annotations

import datetime as dt
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ecowatch.cli.common import (
    DbOpt,
    EcowatchError,
    JsonOpt,
    app,
    console,
    errors,
    fail,
    parse_date,
    print_json,
)
from ecowatch.standards import Edition, StandardsError

if TYPE_CHECKING:  # imported where used: `ecowatch --help` stays quick
    from ecowatch.importers import ImportResult

air_app = typer.Typer(
    help="Air quality to the national standards (HJ 633, GB 3095, HJ 663).", no_args_is_help=True
)
app.add_typer(air_app, name="air")


class InputFormat(StrEnum):
    prsa = "prsa"
    cnemc = "cnemc"
    long = "long"


class Standard(StrEnum):
    s2012 = "2012"
    s2026 = "2026"


PathArg = Annotated[Path, typer.Argument(help="A data file or a folder of them.", exists=True)]
FormatOpt = Annotated[
    InputFormat,
    typer.Option(
        "--format",
        help="prsa (UCI Beijing), cnemc (date,hour,type,...), long (station,time,pollutant,value).",
    ),
]
FromOpt = Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")]
ToOpt = Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")]
StationsOpt = Annotated[
    str | None, typer.Option("--stations", help="Stations forming the city, e.g. 1003A,Tiantan.")
]
StandardOpt = Annotated[
    Standard | None, typer.Option("--standard", help="Force an edition (default: by the date of the data).")
]
DustOpt = Annotated[
    Path | None,
    typer.Option(
        "--dust-days",
        help="Approved sand-dust / exceptional-event days (city,date,kind,approved_by[,pollutants]).",
        exists=True,
    ),
]
LenientOpt = Annotated[
    bool,
    typer.Option(
        "--lenient",
        help="Mark bad values invalid and go on (counted in the report) instead of stopping at the first.",
    ),
]
SourceArg = Annotated[
    Path | None, typer.Argument(help="A data file or a folder of them (or use --db).", exists=True)
]
SourceFormatOpt = Annotated[
    InputFormat | None,
    typer.Option(
        "--format",
        help="prsa (UCI Beijing), cnemc (date,hour,type,...), long (station,time,pollutant,value).",
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Read the measurements from the store at this URL "
        "instead of files ('default': $ECOWATCH_DB or the embedded SQLite).",
    ),
]


def _run_assessment(
    path: Path | None,
    fmt: InputFormat | None,
    first: dt.date,
    last: dt.date,
    stations: str | None,
    standard: Standard | None,
    dust_days: Path | None,
    lenient: bool,
    db: str | None = None,
    *,
    history_from: dt.date | None = None,
):
    from ecowatch.assessment.air import assess_air
    from ecowatch.assessment.exclusions import read_exclusions

    if last < first:
        raise fail(ValueError(f"--to {last} is before --from {first}"))
    if db is None and (path is None or fmt is None):
        raise fail(ValueError("give the data as PATH with --format, or read the store with --db URL"))
    try:
        exclusions = read_exclusions(dust_days) if dust_days else []
        imported = _read_source(path, fmt, min(first, history_from or first), last, lenient, db)
        return assess_air(
            imported,
            first,
            last,
            stations=[s.strip() for s in stations.split(",") if s.strip()] if stations else None,
            edition=Edition(standard.value) if standard else None,
            exclusions=exclusions,
            history_from=history_from,
        )
    except (EcowatchError, StandardsError) as error:
        raise fail(error) from None


def _read_source(
    path: Path | None, fmt: InputFormat | None, first: dt.date, last: dt.date, lenient: bool, db: str | None
):
    if db is None:
        from ecowatch.importers import read

        assert path is not None and fmt is not None, "_read_source: files need PATH and --format"
        # InputFormat's values are exactly the importers' Format names.
        return read(
            path,
            fmt.value,
            lenient=lenient,
            date_from=first,
            date_to=last,
            progress=sys.stderr.isatty(),
        )
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.store import database_url, make_engine, session_factory
    from ecowatch.store.errors import StoreError
    from ecowatch.store.measurements import import_result_from_store

    engine = make_engine(database_url(None if db == "default" else db))
    try:
        with session_factory(engine)() as session:
            return import_result_from_store(session=session, first_day=first, last_day=last)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot read the store: {error.__class__.__name__}: {error}") from None
    finally:
        engine.dispose()


@air_app.command("aqi")
def air_aqi(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input", help="CASES.csv: id,averaging,SO2,NO2,PM10,PM2.5,CO,O3_1h,O3_8h", exists=True
        ),
    ],
    standard: Annotated[
        Standard | None, typer.Option("--standard", help="Edition (default: in force today).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """IAQI, AQI, level and primary pollutants of each case (HJ 633)."""
    from ecowatch.assessment.aqi_cases import case_result, read_cases, result_json
    from ecowatch.clock import today_beijing
    from ecowatch.standards import edition_for

    edition = Edition(standard.value) if standard else edition_for(today_beijing())
    try:
        results = [result_json(case.id, case_result(case, edition)) for case in read_cases(input_path)]
    except (EcowatchError, StandardsError) as error:
        raise fail(error) from None
    if as_json:
        print_json(results)
        return
    table = Table(title=f"AQI, HJ 633-{edition.value if edition is Edition.E2026 else '2012'}")
    for column in ("id", "AQI", "level", "category", "primary", "IAQI"):
        table.add_column(column)
    for row in results:
        iaqi = ", ".join(f"{k} {v}" for k, v in row["iaqi"].items())
        category = f"{row['category_zh']} {row['category_en']}" if row["level"] else "NA"
        table.add_row(
            row["id"],
            str(row["aqi"] if row["aqi"] is not None else "NA"),
            str(row["level"] or "—"),
            category,
            ", ".join(row["primary_pollutants"]) or "—",
            iaqi,
        )
    console.print(table)


def _fixed(value: float | None, decimals: int) -> str:
    return "—" if value is None else f"{value:.{decimals}f}"


def _headline_columns() -> dict[str, str]:
    """Pollutant key -> column title of the summary tables: the headline statistic of each pollutant
    (period mean; CO p95 of 24-h means; O3 p90 of daily max 8-h), in the published order."""
    from ecowatch.assessment.publish import PUBLISHED_ORDER
    from ecowatch.standards import Pollutant

    short = {Pollutant.CO: "CO p95", Pollutant.O3: "O3 p90"}
    return {p.value: short.get(p, p.value) for p in PUBLISHED_ORDER}


def _summary_table(title: str, sites: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column("site")
    columns = _headline_columns()
    for column in (*columns.values(), "days", "good", "good %", "index"):
        table.add_column(column, justify="right")
    for name, figures in sites.items():
        table.add_row(
            name,
            *("—" if figures[p]["value"] is None else str(figures[p]["value"]) for p in columns),
            str(figures["valid_days"]),
            str(figures["good_days"]),
            _fixed(figures["good_ratio_pct"], 1),
            _fixed(figures["comprehensive_index"], 2),
        )
    return table


@air_app.command("assess")
def air_assess(
    path: SourceArg = None,
    fmt: SourceFormatOpt = None,
    *,
    date_from: FromOpt,
    date_to: ToOpt,
    stations: StationsOpt = None,
    standard: StandardOpt = None,
    dust_days: DustOpt = None,
    lenient: LenientOpt = False,
    as_json: JsonOpt = False,
    db: StoreOpt = None,
) -> None:
    """Period figures of the city and each station (HJ 663): means, percentiles, good days, index.

    A calendar year under the 2026 edition also gets HJ 663—2026's three-year moving means, read from
    the two years before it."""
    from ecowatch.assessment.air import three_year_start
    from ecowatch.assessment.publish import assessment_json
    from ecowatch.standards import edition_for

    first, last = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    edition = Edition(standard.value) if standard else edition_for(last)
    assessment = _run_assessment(
        path,
        fmt,
        first,
        last,
        stations,
        standard,
        dust_days,
        lenient,
        db,
        history_from=three_year_start(first, last, edition),
    )
    result = assessment_json(assessment)
    if as_json:
        print_json(result)
        return
    period = result["period"]
    sites = {**({"city": result["city"]} if result["city"] else {}), **result["by_station"]}
    city = f"city = {', '.join(result['stations'])}" if result["city"] else "no assessment station: no city"
    console.print(
        _summary_table(
            f"{period['from']} – {period['to']} (standard {period['standard']}, limits "
            f"{period['limits']}); {city}",
            sites,
        )
    )
    dust_free = {name: figures["excluding_dust"] for name, figures in sites.items()}
    if assessment.exclusions:
        console.print(_summary_table("excluding approved sand-dust / exceptional-event days", dust_free))
    if assessment.three_year_years:
        console.print(_three_year_table(assessment.three_year_years, sites))


def _three_year_table(years: tuple[int, int, int], sites: dict[str, dict[str, Any]]) -> Table:
    """The HJ 663—2026 three-year moving means of each site's headline statistics."""
    from ecowatch.standards.ranking import INDEX_STATISTICS

    table = Table(
        title=f"HJ 663—2026 three-year moving means, {years[0]}–{years[-1]} (— where a year has no value)"
    )
    table.add_column("site")
    columns = _headline_columns()
    for column in columns.values():
        table.add_column(column, justify="right")
    statistic = {p.value: name for p, name in INDEX_STATISTICS.items()}
    for name, figures in sites.items():
        means = figures["three_year_moving_mean"]
        table.add_row(
            name, *("—" if means[p][statistic[p]] is None else str(means[p][statistic[p]]) for p in columns)
        )
    return table


class RankBy(StrEnum):
    city = "city"
    station = "station"


@air_app.command("rank")
def air_rank(
    path: SourceArg = None,
    fmt: SourceFormatOpt = None,
    *,
    date_from: FromOpt,
    date_to: ToOpt,
    by: Annotated[RankBy, typer.Option("--by", help="Rank cities or stations.")] = RankBy.city,
    standard: StandardOpt = None,
    lenient: LenientOpt = False,
    as_json: JsonOpt = False,
    db: StoreOpt = None,
) -> None:
    """Rank by the comprehensive index and by its change on the same period a year before."""
    from ecowatch.assessment.ranking import rank_sites, same_period_a_year_before

    first, last = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    before_first, _ = same_period_a_year_before(first, last)
    assessment = _run_assessment(path, fmt, before_first, last, None, standard, None, lenient, db)
    rows = rank_sites(assessment, first, last, kind=by.value)
    if as_json:
        print_json(
            [
                {
                    **row.__dict__,
                    "index": _number(row.index),
                    "previous_index": _number(row.previous_index),
                    "change_pct": _number(row.change_pct),
                }
                for row in rows
            ]
        )
        return
    table = Table(title=f"{by.value} ranking, {first} – {last} (change against {before_first} onwards)")
    for column in (
        "rank",
        by.value,
        "index",
        "PM2.5",
        "good %",
        "index a year before",
        "change %",
        "change rank",
    ):
        table.add_column(column, justify="left" if column == by.value else "right")
    for row in rows:
        table.add_row(
            str(row.index_rank or "—"),
            f"{row.site} {row.name}" if row.name != row.site else row.site,
            str(row.index or "—"),
            str(row.pm2_5 if row.pm2_5 is not None else "—"),
            _fixed(row.good_ratio_pct, 1),
            str(row.previous_index or "—"),
            str(row.change_pct or "—"),
            str(row.change_rank or "—"),
        )
    console.print(table)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


@air_app.command("daily")
def air_daily(
    path: SourceArg = None,
    fmt: SourceFormatOpt = None,
    *,
    date_from: FromOpt,
    date_to: ToOpt,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write FILE.csv or FILE.xlsx instead of printing.")
    ] = None,
    stations: StationsOpt = None,
    standard: StandardOpt = None,
    dust_days: DustOpt = None,
    lenient: LenientOpt = False,
    db: StoreOpt = None,
) -> None:
    """A row per day for the city and each station: concentrations, IAQIs, AQI, level, validity."""
    from ecowatch.assessment.publish import daily_table
    from ecowatch.reports.spreadsheets import csv_bytes, sheet_name, write_csv, write_xlsx

    assessment = _run_assessment(
        path,
        fmt,
        parse_date(date_from, "--from"),
        parse_date(date_to, "--to"),
        stations,
        standard,
        dust_days,
        lenient,
        db,
    )
    frame = daily_table(assessment)
    if out is None:  # a pipe: no byte-order mark
        sys.stdout.write(csv_bytes(frame, bom=False).decode("utf-8"))
    elif out.suffix.lower() == ".xlsx":
        write_xlsx(frame, out, sheet=sheet_name("daily", date_from, date_to))
        errors.print(f"wrote {len(frame)} rows to {out}")
    elif out.suffix.lower() == ".csv":
        write_csv(frame, out)  # with the byte-order mark Excel needs to read it as UTF-8
        errors.print(f"wrote {len(frame)} rows to {out}")
    else:
        raise fail(ValueError(f"--out: use a .csv or .xlsx file name, not {out.name!r}"))


@air_app.command("explain")
def air_explain(
    path: SourceArg = None,
    fmt: SourceFormatOpt = None,
    *,
    day: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD.")],
    station: Annotated[
        str | None, typer.Option("--station", help="Station code or name (default: the city).")
    ] = None,
    stations: StationsOpt = None,
    standard: StandardOpt = None,
    lenient: LenientOpt = False,
    as_json: JsonOpt = False,
    db: StoreOpt = None,
) -> None:
    """How a day's figures were formed: hours present and missing, 8-h windows, rules applied."""
    from ecowatch.assessment.explain import explain_day

    the_day = parse_date(day, "--date")
    assessment = _run_assessment(path, fmt, the_day, the_day, stations, standard, None, lenient, db)
    if station is None:
        if not assessment.city_members:
            raise fail(ValueError("no assessment station forms a city on that day: name one with --station"))
        code = next(iter(assessment.city_members))
    else:
        match = next(
            (s for s in assessment.stations if station.casefold() in {n.casefold() for n in s.names()}), None
        )
        if match is None:
            raise fail(ValueError(f"--station {station!r} is not in the data"))
        code = match.code
    account = explain_day(assessment, code, the_day)
    if as_json:
        print_json(account)
        return
    _print_explanation(account)


def _print_explanation(account: dict[str, Any]) -> None:
    members = f" = mean of {', '.join(account['members'])}" if account["members"] else ""
    console.print(
        f"[bold]{account['name']}[/] ({account['site']}{members}) on {account['date']}, "
        f"standard {account['edition']}"
    )
    hours = Table(title="hours per pollutant")
    for column in ("pollutant", "present", "missing hours", "rejected at import"):
        hours.add_column(column)
    for pollutant, info in account["pollutants"].items():
        hours.add_row(
            pollutant,
            str(info["hours_present"]),
            ", ".join(map(str, info["hours_missing"])) or "—",
            "; ".join(info["rejected_at_import"]) or "—",
        )
    console.print(hours)
    windows = Table(title="O3 8-h windows (hour labels)")
    for column in ("hours", "valid hours", "mean", "valid"):
        windows.add_column(column)
    for window in account["o3_8h_windows"]:
        windows.add_row(
            window["hours"],
            str(window["valid_hours"]),
            str(window["mean"]),
            "yes" if window["valid"] else "no",
        )
    console.print(windows)
    items = Table(title="daily indicators")
    for column in ("indicator", "value", "formed from", "valid", "IAQI", "in daily AQI", "why invalid"):
        items.add_column(column)
    for name, info in account["items"].items():
        items.add_row(
            name,
            str(info["value"]),
            str(info["formed_from"]),
            "yes" if info["valid"] else "no",
            str(info["iaqi"]),
            "yes" if info["in_daily_aqi"] else "no",
            info["why_invalid"] or "",
        )
    console.print(items)
    aqi = account["aqi"] if account["aqi"] is not None else "NA"
    console.print(
        f"AQI {aqi} {account['category_zh'] or ''} {account['category_en'] or ''}; primary: "
        f"{', '.join(account['primary_pollutants']) or '—'}; counted in period figures: "
        f"{'yes' if account['counted'] else 'no'}"
    )
    for rule, text in account["rules"].items():
        console.print(f"  rule {rule}: {text}", style="dim")


def demo_data_folder() -> Path:
    """Where the demo's Beijing data are: ECOWATCH_DATA, the checkout's data/demo (CC BY 4.0 copy),
    or the shared folder beside the checkout."""
    candidates = [Path(os.environ["ECOWATCH_DATA"])] if "ECOWATCH_DATA" in os.environ else []
    here = Path(__file__).resolve()
    candidates += [parent / "data" / "demo" for parent in here.parents]
    candidates += [parent / "shared" / "data" for parent in here.parents]
    candidates += [parent.parent / "shared" / "data" for parent in (Path.cwd(), *Path.cwd().parents)]
    for candidate in candidates:
        if (candidate / "beijing-prsa").is_dir():
            return candidate
    raise fail(
        FileNotFoundError("demo data not found: set ECOWATCH_DATA to the folder holding beijing-prsa/")
    )


@app.command("demo")
def demo(
    db: DbOpt = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store/--no-store",
            help="Also put the demo into the store "
            "for `ecowatch serve` (Beijing data, demo enterprises, devices, "
            "users).",
        ),
    ] = True,
) -> None:
    """Print the official-style assessment of the Beijing demo data (2014–2016, by month) and put the demo
    into the store (--db, default the embedded SQLite) for `ecowatch serve --simulate`."""
    from importlib import resources

    import polars as pl

    from ecowatch.assessment.air import assess_air
    from ecowatch.assessment.exclusions import read_exclusions
    from ecowatch.assessment.publish import period_json
    from ecowatch.importers import ImportResult, read

    folder = demo_data_folder() / "beijing-prsa"
    first, last = dt.date(2014, 1, 1), dt.date(2016, 12, 31)
    console.print(f"Loading the 12 national-control stations of Beijing from {folder} …")
    # Read once, all of it: the store gets the whole set (seed_demo), the figures 2014-2016.
    whole = (
        read(folder, "prsa", progress=True)
        if store
        else read(folder, "prsa", date_from=first, date_to=last, progress=True)
    )
    in_years = whole.measurements.filter(pl.col("time").dt.date().is_between(first, last))
    imported = ImportResult(
        measurements=in_years, stations=whole.stations, issues=whole.issues, sources=whole.sources
    )
    with resources.as_file(
        resources.files("ecowatch.assessment") / "data" / "demo_sand_dust_beijing.csv"
    ) as dust:
        exclusions = read_exclusions(dust)
    assessment = assess_air(imported, first, last, exclusions=exclusions)
    city = next(iter(assessment.city_members))
    years = {}
    for year in (2014, 2015, 2016):
        years[str(year)] = period_json(assessment.period(city, dt.date(year, 1, 1), dt.date(year, 12, 31)))
    console.print(
        _summary_table(
            f"Beijing ({city}), national-control assessment stations "
            f"{', '.join(assessment.city_members[city])}; HJ 663-2013 / HJ 633-2012",
            years,
        )
    )
    dust_free = {
        "2015 excluding sand dust": period_json(
            assessment.period(city, dt.date(2015, 1, 1), dt.date(2015, 12, 31), excluding=True)
        )
    }
    days = ", ".join(f"{e.day}" for e in exclusions)
    console.print(
        _summary_table(
            f"2015 without the PM of sand-dust days {days} (an illustrative list, not an official one)",
            dust_free,
        )
    )
    months = {}
    for month in range(1, 13):
        first_day = dt.date(2016, month, 1)
        last_day = (first_day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        months[first_day.strftime("%Y-%m")] = period_json(assessment.period(city, first_day, last_day))
    console.print(_summary_table("Beijing 2016 by month", months))
    stations = {
        s.code + " " + s.name: period_json(
            assessment.period(s.code, dt.date(2016, 1, 1), dt.date(2016, 12, 31))
        )
        for s in assessment.stations
    }
    console.print(_summary_table("Stations, 2016", stations))
    console.print(
        "Try: .venv/bin/ecowatch air assess data/demo/beijing-prsa --format prsa --from 2016-01-01 "
        "--to 2016-12-31 --json",
        style="dim",
    )
    if store:
        _seed_store(db, folder, whole)


def _seed_store(db: str | None, folder: Path, imported: ImportResult) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.demo import DEMO_DEVICES, DEMO_USERS, seed_demo
    from ecowatch.store import database_url
    from ecowatch.store.db import display_url

    url = database_url(db)
    try:
        done = seed_demo(
            url,
            folder,
            progress=True,
            say=lambda text: console.print(text, highlight=False),
            imported=imported,
        )
    except (EcowatchError, SQLAlchemyError, OSError) as error:
        raise fail(error) from None
    console.print(
        f"The demo is in the store {display_url(url)}"
        + (f" ({done.loaded_values:,} values loaded)" if done.loaded_values else ""),
        highlight=False,
    )
    users = Table(title="Demo users (sign in on the map page)")
    for column in ("user", "password", "role", "sees"):
        users.add_column(column)
    for user in DEMO_USERS:
        users.add_row(user.username, user.password, user.role, user.what)
    console.print(users)
    console.print(
        f"{len(DEMO_DEVICES)} demo HJ 212 devices (editions "
        f"{', '.join(sorted({d.version for d in DEMO_DEVICES}))}) are registered; "
        "`ecowatch serve --simulate` runs them.",
        highlight=False,
    )
    if done.cases:
        from ecowatch.cases.demo_data import DEMO_BATCH

        console.print(
            f"{done.cases} demo cases (batch {DEMO_BATCH}, fictional) are in the store: see /cases, "
            f"`ecowatch cases list --batch {DEMO_BATCH}`.",
            highlight=False,
        )
