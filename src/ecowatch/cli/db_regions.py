"""``ecowatch db regions …``: the national administrative divisions in the store (issue 16 "Regions")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecowatch.cli.common import DbOpt, EcowatchError, JsonOpt, console, fail, print_json
from ecowatch.cli.db import db_app

regions_app = typer.Typer(
    help="The national administrative divisions (GB/T 2260) in the store.", no_args_is_help=True
)
db_app.add_typer(regions_app, name="regions")

ListArg = Annotated[
    Path,
    typer.Argument(
        help="A division list: CSV with code,name,level,parent_code[,lon,lat].", exists=True, dir_okay=False
    ),
]


@regions_app.command("load")
def regions_load(path: ListArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Load a (later year's) division list over the store's: codes added, names, parents and centroids
    updated, nothing deleted (a division the list no longer has keeps its row). A problem anywhere in
    the file, or a code listed at another level than the store's, loads nothing."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.shapes.regions import load_divisions
    from ecowatch.store import database_url
    from ecowatch.store.audit import cli_actor, record
    from ecowatch.store.db import session_factory
    from ecowatch.store.divisions import merge_divisions
    from ecowatch.store.migrate import open_engine

    try:
        divisions = load_divisions(path)
        engine = open_engine(database_url(db))
        try:
            with session_factory(engine).begin() as session:
                done = merge_divisions(session.connection(), divisions)
                record(
                    session=session,
                    actor=cli_actor(),
                    action="load",
                    entity="region",
                    detail={
                        "file": path.name,
                        "listed": len(divisions),
                        "added": done.added,
                        "updated": done.updated,
                        "kept": done.kept,
                    },
                )
        finally:
            engine.dispose()
    except (EcowatchError, SQLAlchemyError) as error:
        raise fail(error) from None
    counts = {
        "listed": len(divisions),
        "added": done.added,
        "updated": done.updated,
        "unchanged": done.unchanged,
        "kept": done.kept,
    }
    if as_json:
        print_json(counts)
        return
    console.print(
        f"{path.name}: {len(divisions):,} divisions: {done.added:,} added, "
        f"{done.updated:,} updated, {done.unchanged:,} unchanged; "
        f"{done.kept:,} in the store but not in the list, kept",
        highlight=False,
    )
