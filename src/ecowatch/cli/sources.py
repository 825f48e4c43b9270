"""``ecowatch sources …``: the pollution-source registry (enterprises, outlets, permit limits), thin over
:mod:`ecowatch.sources`.  Every write is in the audit log as ``cli:<login>``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ecowatch.cli.common import DbOpt, EcowatchError, JsonOpt, app, console, errors, fail, print_json

sources_app = typer.Typer(
    help="Pollution sources: enterprises, their outlets and permit limits.", no_args_is_help=True
)
enterprise_app = typer.Typer(
    help="Enterprises (unified social credit code, region, industry, key-unit lists).", no_args_is_help=True
)
outlet_app = typer.Typer(
    help="Outlets of enterprises (code, medium, kind, coordinates, permit limits).", no_args_is_help=True
)
sources_app.add_typer(enterprise_app, name="enterprise")
sources_app.add_typer(outlet_app, name="outlet")
app.add_typer(sources_app, name="sources")

LIMIT_HELP = (
    "A permit limit POLLUTANT=UPPER[,o2=PCT][,unit=UNIT][,lower=LOWER][,standard=TEXT], e.g. "
    "a21026=35,o2=6 (HJ 212-2017 code; unit defaults to the code table's). Repeat for each pollutant."
)
_LIMIT_KEYS = {"o2": "reference_oxygen_pct", "unit": "unit", "lower": "lower_limit", "standard": "standard"}


def parse_limit(text: str) -> dict[str, Any]:
    """``a21026=35,o2=6,unit=mg/m3`` -> the keyword arguments of :func:`ecowatch.sources.service.check_limit`;
    :class:`ValueError` naming the option and the part it cannot read."""
    where = f"--limit {text!r}"
    pollutant, sep, rest = text.partition("=")
    if not sep or not pollutant.strip():
        raise ValueError(f"{where}: expected POLLUTANT=UPPER[,o2=PCT][,unit=UNIT][,lower=LOWER]")
    upper, *options = rest.split(",")
    limit: dict[str, Any] = {
        "pollutant": pollutant.strip(),
        "upper_limit": _float(upper, f"{where}, upper limit"),
    }
    for option in options:
        key, sep, value = option.partition("=")
        name = _LIMIT_KEYS.get(key.strip())
        if not sep or name is None:
            raise ValueError(f"{where}: unknown part {option!r} (known: {', '.join(_LIMIT_KEYS)})")
        limit[name] = (
            _float(value, f"{where}, {key.strip()}")
            if name in ("reference_oxygen_pct", "lower_limit")
            else value.strip()
        )
    return limit


def _float(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {text.strip()!r} is not a number") from None


def _lists(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


@contextmanager
def _session(db: str | None, *, write: bool) -> Iterator[Any]:
    """A session on the store (at the head revision), committed at the end when ``write``;
    errors -> exit 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.sources.errors import SourceImportError
    from ecowatch.store import database_url
    from ecowatch.store.db import session_factory
    from ecowatch.store.migrate import open_engine

    try:
        engine = open_engine(database_url(db))
        try:
            factory = session_factory(engine)
            with factory.begin() if write else factory() as session:
                yield session
        finally:
            engine.dispose()
    except SourceImportError:
        raise
    except (EcowatchError, SQLAlchemyError) as error:
        raise fail(error) from None


def _actor() -> str:
    from ecowatch.store.audit import cli_actor

    return cli_actor()


def _said(changed: dict[str, Any], what: str) -> None:
    if not changed:
        console.print(f"{what}: unchanged", highlight=False)
        return
    console.print(f"{what}: changed {', '.join(changed)}", highlight=False)


# -- enterprises ----------------------------------------------------------------------------------

CodeOpt = Annotated[
    str, typer.Option("--code", help="Unified social credit code (GB 32100-2015, 18 characters).")
]
ListsOpt = Annotated[
    str | None,
    typer.Option(
        "--lists",
        help="Key-unit lists, comma-separated: water, groundwater, "
        'air, noise, soil, risk, carbon ("" clears).',
    ),
]
IndustryOpt = Annotated[
    str | None, typer.Option("--industry", help="GB/T 4754-2017 industry code, e.g. 4411.")
]


@enterprise_app.command("add")
def enterprise_add(
    code: CodeOpt,
    name: Annotated[str, typer.Option("--name", help="Registered name.")],
    region: Annotated[str, typer.Option("--region", help="GB/T 2260 code of its region (in the store).")],
    industry: IndustryOpt = None,
    lists: ListsOpt = None,
    db: DbOpt = None,
) -> None:
    """Register an enterprise."""
    from ecowatch.sources.service import add_enterprise

    with _session(db, write=True) as session:
        enterprise = add_enterprise(
            session=session,
            code=code,
            name=name,
            region=region,
            industry=industry,
            key_lists=_lists(lists) or [],
            actor=_actor(),
        )
        console.print(
            f"enterprise {enterprise.code}: added ({enterprise.name}, region {region})", highlight=False
        )


@enterprise_app.command("edit")
def enterprise_edit(
    code: Annotated[str, typer.Argument(help="The enterprise's unified social credit code.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Moves its outlets too.")] = None,
    industry: Annotated[
        str | None, typer.Option("--industry", help='GB/T 4754-2017 code ("" clears).')
    ] = None,
    lists: ListsOpt = None,
    db: DbOpt = None,
) -> None:
    """Change an enterprise's name, region, industry or lists (what is not given stays)."""
    from ecowatch.sources.service import edit_enterprise

    given = {"name": name, "region": region, "industry": industry, "key_lists": _lists(lists)}
    with _session(db, write=True) as session:
        changed = edit_enterprise(
            session=session,
            code=code,
            actor=_actor(),
            changes={k: v for k, v in given.items() if v is not None},
        )
        _said(changed, f"enterprise {code}")


@enterprise_app.command("list")
def enterprise_list(
    region: Annotated[str | None, typer.Option("--region", help="Only this region and below.")] = None,
    key_list: Annotated[str | None, typer.Option("--list", help="Only the enterprises on this list.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The registered enterprises, by code."""
    from ecowatch.sources.service import enterprises_query, read_enterprises

    with _session(db, write=False) as session:
        rows = read_enterprises(
            session=session,
            enterprises=session.scalars(
                enterprises_query(region_ids=_region_ids(session, region), key_list=key_list)
            ).all(),
        )
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    _table(
        f"{len(rows)} enterprises",
        ("code", "name", "region", "industry", "lists", "outlets"),
        [
            (
                r.code,
                r.name,
                f"{r.region} {r.region_name}",
                r.industry or "—",
                ", ".join(r.key_lists) or "—",
                ", ".join(r.outlets) or "—",
            )
            for r in rows
        ],
    )


def _region_ids(session, code: str | None) -> list[int] | None:
    if code is None:
        return None
    from sqlalchemy import select

    from ecowatch.sources.errors import UnknownSource
    from ecowatch.store.models import Region
    from ecowatch.store.sites import region_subtree

    region = session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None:
        raise UnknownSource(f"no region {code!r} in the store", field="region")
    return [r.id for r in region_subtree(session=session, region=region)]


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


# -- outlets --------------------------------------------------------------------------------------

LimitOpt = Annotated[list[str] | None, typer.Option("--limit", help=LIMIT_HELP)]


def _limits(specs: list[str] | None) -> list[dict[str, Any]]:
    try:
        return [parse_limit(spec) for spec in specs or ()]
    except ValueError as error:
        raise fail(error) from None


@outlet_app.command("add")
def outlet_add(
    code: Annotated[
        str, typer.Option("--code", help="Outlet code, unique among sites (e.g. <credit code>-DA001).")
    ],
    name: Annotated[str, typer.Option("--name")],
    enterprise: Annotated[
        str, typer.Option("--enterprise", help="The enterprise's unified social credit code.")
    ],
    medium: Annotated[str, typer.Option("--medium", help="gas or water.")],
    lon: Annotated[float, typer.Option("--lon", help="Longitude [decimal degrees E].")],
    lat: Annotated[float, typer.Option("--lat", help="Latitude [decimal degrees N].")],
    kind: Annotated[str | None, typer.Option("--kind", help="main, general or special (排放口类型).")] = None,
    limit: LimitOpt = None,
    db: DbOpt = None,
) -> None:
    """Register an outlet of an enterprise, with its permit limits."""
    from ecowatch.sources.service import add_outlet

    limits = _limits(limit)
    with _session(db, write=True) as session:
        add_outlet(
            session=session,
            code=code,
            name=name,
            enterprise=enterprise,
            medium=medium,
            kind=kind,
            lon=lon,
            lat=lat,
            limits=limits,
            actor=_actor(),
        )
        console.print(
            f"outlet {code}: added ({medium}, enterprise {enterprise.strip().upper()}, {len(limits)} limits)",
            highlight=False,
        )


@outlet_app.command("edit")
def outlet_edit(
    code: Annotated[str, typer.Argument(help="The outlet's code.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="main, general or special.")] = None,
    lon: Annotated[float | None, typer.Option("--lon")] = None,
    lat: Annotated[float | None, typer.Option("--lat")] = None,
    limit: LimitOpt = None,
    remove_limit: Annotated[
        list[str] | None, typer.Option("--remove-limit", help="Pollutant code whose limit goes (repeatable).")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Change an outlet; --limit adds or changes limits (the others stay), --remove-limit removes one."""
    from ecowatch.sources.service import edit_outlet

    given: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "lon": lon,
        "lat": lat,
        "set_limits": _limits(limit) or None,
        "remove_limits": remove_limit or None,
    }
    with _session(db, write=True) as session:
        changed = edit_outlet(
            session=session,
            code=code,
            actor=_actor(),
            changes={k: v for k, v in given.items() if v is not None},
        )
        _said(changed, f"outlet {code}")


@outlet_app.command("list")
def outlet_list(
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="Only this enterprise's outlets.")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The registered outlets with their limits and devices, by code."""
    from ecowatch.sources.service import get_enterprise, outlets_query, read_outlets

    with _session(db, write=False) as session:
        owner = get_enterprise(session=session, code=enterprise).id if enterprise else None
        rows = read_outlets(session=session, sites=session.scalars(outlets_query(enterprise_id=owner)).all())
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return

    def limits(row) -> str:
        return (
            "; ".join(
                f"{lim.pollutant} ≤ {lim.upper_limit:g} {lim.unit}"
                + (f" @ {lim.reference_oxygen_pct:g} % O2" if lim.reference_oxygen_pct is not None else "")
                for lim in row.limits
            )
            or "—"
        )

    _table(
        f"{len(rows)} outlets",
        ("code", "name", "enterprise", "medium", "kind", "lon, lat", "limits", "devices"),
        [
            (
                r.code,
                r.name,
                r.enterprise,
                r.medium.value,
                r.kind or "—",
                f"{r.lon}, {r.lat}" if r.lon is not None else "—",
                limits(r),
                ", ".join(r.devices) or "—",
            )
            for r in rows
        ],
    )


# -- import ---------------------------------------------------------------------------------------


@sources_app.command("import")
def sources_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A .csv (UTF-8) or .xlsx file; columns: see `ecowatch.sources.importer`.",
            exists=True,
            dir_okay=False,
        ),
    ],
    db: DbOpt = None,
) -> None:
    """Register or update the enterprises, outlets and limits of a file: all of it, or nothing if any
    row has a problem (each one is listed with its row and column)."""
    from ecowatch.sources.errors import SourceImportError
    from ecowatch.sources.importer import import_sources, read_table

    try:
        with _session(db, write=True) as session:
            summary = import_sources(
                session=session, table=read_table(file.read_bytes(), source=str(file)), actor=_actor()
            )
    except SourceImportError as error:
        # One problem per line, unwrapped, so that the list can be read (and grepped) as it is.
        errors.print(f"error: {error}", soft_wrap=True, highlight=False, markup=False)
        raise typer.Exit(code=2) from None
    console.print(
        f"{file}: {summary.rows} rows; enterprises {len(summary.enterprises_added)} added, "
        f"{len(summary.enterprises_updated)} updated; outlets {len(summary.outlets_added)} added, "
        f"{len(summary.outlets_updated)} updated; {summary.limits} limits",
        highlight=False,
    )
