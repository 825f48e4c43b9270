"""``ecowatch db …``: schema migrations and loading data into the store."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from ecowatch.cli.air import LenientOpt, PathArg
from ecowatch.cli.common import DbOpt, EcowatchError, app, console, fail, parse_date


class LoadFormat(StrEnum):
    """The formats ``db load`` reads: the air importers' and the surface-water release."""

    prsa = "prsa"
    cnemc = "cnemc"
    long = "long"
    cnemc_water = "cnemc-water"


LoadFormatOpt = Annotated[
    LoadFormat,
    typer.Option(
        "--format",
        help="prsa (UCI Beijing), cnemc (date,hour,type,...), long (station,time,pollutant,value); "
        "cnemc-water (surface-water release province,basin,section,...,water_class,...,status, or the "
        "long water CSV section,time,indicator,value[,unit]).",
    ),
]

db_app = typer.Typer(help="The store: schema migrations and loading data.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    db: DbOpt = None, revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head"
) -> None:
    """Create or migrate the database schema (Alembic) to the latest revision."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.store import database_url, migrate
    from ecowatch.store.db import display_url

    url = database_url(db)
    try:
        migrate.upgrade(url, revision)
        console.print(f"{display_url(url)}: schema at revision {migrate.current(url)}", highlight=False)
    except (EcowatchError, SQLAlchemyError, ValueError) as error:
        raise fail(error) from None


@db_app.command("load")
def db_load(
    path: PathArg,
    fmt: LoadFormatOpt,
    date_from: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Read data files and store their stations and values (loading the same data again changes nothing)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.loading import load_files
    from ecowatch.store import database_url
    from ecowatch.store.audit import cli_actor

    first, last = (
        (parse_date(date_from, "--from") if date_from else None),
        (parse_date(date_to, "--to") if date_to else None),
    )
    if fmt is LoadFormat.cnemc_water:
        from ecowatch.cli.water_sections import load_water_command

        load_water_command(path=path, db=db, first=first, last=last, lenient=lenient)
        return
    try:
        done = load_files(
            url=database_url(db),
            path=path,
            # the air formats: cnemc-water is handled above
            format=fmt.value,  # type: ignore[arg-type]
            actor=cli_actor(),
            first_day=first,
            last_day=last,
            lenient=lenient,
            progress=sys.stderr.isatty(),
        )
    except (EcowatchError, SQLAlchemyError, ValueError) as error:
        raise fail(error) from None
    console.print(
        f"{done.values:,} values ({done.invalid:,} invalid) of {done.stations} stations from "
        f"{done.files} files: {done.written:,} rows inserted or changed; read {done.read_seconds:.1f} s, "
        f"stored {done.write_seconds:.1f} s" + (f"; {done.issues:,} input issues" if done.issues else "")
    )
