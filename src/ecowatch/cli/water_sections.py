"""``ecowatch water sections …``: the surface-water section registry in the store, and its corrections;
and what ``ecowatch db load --format cnemc-water`` prints. Thin over :mod:`ecowatch.water.service`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ecowatch.cli.common import DbOpt, EcowatchError, JsonOpt, console, fail, print_json
from ecowatch.cli.water import water_app

sections_app = typer.Typer(
    help="The section registry (断面名录): list, correct (river or lake, city, coordinates, target), import.",
    no_args_is_help=True,
)
water_app.add_typer(sections_app, name="sections")

_WATERBODY = {"river": "河流 river", "lake": "湖库 lake/reservoir"}
_BASIS = {
    "classes": "published classes",
    "name": "name keywords",
    "default": "default (river)",
    "user": "set by a user",
}


def _errors() -> tuple[type[Exception], ...]:
    from sqlalchemy.exc import SQLAlchemyError

    return (EcowatchError, SQLAlchemyError, ValueError)


def _engine(db: str | None):
    from ecowatch.store import database_url
    from ecowatch.store.migrate import open_engine

    return open_engine(database_url(db))


def _section_json(section: Any) -> dict[str, Any]:
    from ecowatch.water.schemas import SectionRead

    return SectionRead.of(section).model_dump()


def _synced_registry(db: str | None):
    """The store's registry, the packaged one put in first (added sections only; corrections kept)."""
    from ecowatch.store.audit import cli_actor
    from ecowatch.store.db import session_factory
    from ecowatch.water.service import store_registry, sync_registry

    engine = _engine(db)
    try:
        with session_factory(engine).begin() as session:
            sync_registry(session=session, actor=cli_actor())
            return store_registry(session)
    finally:
        engine.dispose()


@sections_app.command("list")
def list_sections(
    province: Annotated[str | None, typer.Option("--province", help="Province name or code.")] = None,
    basin: Annotated[str | None, typer.Option("--basin", help="Basin (流域), e.g. 太湖流域.")] = None,
    waterbody: Annotated[str | None, typer.Option("--waterbody", help="river or lake.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The sections of the store (the packaged registry is put in first), with river or lake and why."""
    try:
        registry = _synced_registry(db)
    except _errors() as error:
        raise fail(error) from None
    rows = [
        s
        for s in registry
        if (province is None or province in (s.province, s.province_code))
        and (basin is None or s.basin == basin)
        and (waterbody is None or s.waterbody.value == waterbody)
    ]
    if json_out:
        print_json([_section_json(s) for s in rows])
        return
    table = Table(title=f"断面 Sections: {len(rows)}")
    for heading in (
        "编号 code",
        "断面 section",
        "流域 basin",
        "省 province",
        "市 city",
        "水体 waterbody",
        "依据 basis",
    ):
        table.add_column(heading)
    for s in rows:
        table.add_row(
            s.code,
            s.name,
            s.basin,
            s.province,
            s.city or "",
            _WATERBODY[s.waterbody.value],
            _BASIS.get(s.waterbody_basis, s.waterbody_basis),
        )
    console.print(table)


def _resolve(registry: Any, text: str) -> Any:
    section = registry.resolve(text)
    if section is None:
        named = registry.named(text)
        if named:
            choices = ", ".join(f"{s.code} ({s.province})" for s in named)
            raise EcowatchError(f"{len(named)} sections are called {text!r}: give the code ({choices})")
        raise EcowatchError(f"no section {text!r} (a code such as W310001, or a section name)")
    return section


@sections_app.command("set")
def set_section(
    section: Annotated[str, typer.Argument(help="Section code (W310001) or a name only one section has.")],
    waterbody: Annotated[
        str | None, typer.Option("--waterbody", help="river, or lake (lakes and reservoirs: lake TP limits).")
    ] = None,
    city: Annotated[str | None, typer.Option("--city", help="GB/T 2260 city code (e.g. 320500).")] = None,
    river: Annotated[str | None, typer.Option("--river", help="River or lake name.")] = None,
    lon: Annotated[float | None, typer.Option("--lon", help="Longitude, degrees (WGS 84).")] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="Latitude, degrees (WGS 84).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Target class (I..V, 劣Ⅴ).")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Correct a section (kept over later registry loads; each change in the audit trail)."""
    from ecowatch.store.audit import cli_actor
    from ecowatch.store.db import session_factory
    from ecowatch.water import service

    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("waterbody", waterbody),
            ("city_code", city),
            ("river", river),
            ("lon", lon),
            ("lat", lat),
            ("target_class", target),
        )
        if value is not None
    }
    if not changes:
        raise fail(ValueError("nothing to set: give --waterbody, --city, --river, --lon, --lat or --target"))
    try:
        registry = _synced_registry(db)
        code = _resolve(registry, section).code
        engine = _engine(db)
        try:
            with session_factory(engine).begin() as session:
                service.set_section(session=session, code=code, actor=cli_actor(), **changes)
                after = service.store_registry(session).get(code)
                if after is None:  # set_section found it: cannot happen
                    raise EcowatchError(f"section {code} vanished")
        finally:
            engine.dispose()
    except _errors() as error:
        raise fail(error) from None
    if json_out:
        print_json(_section_json(after))
        return
    console.print(
        f"{after.code} {after.name} ({after.province}): {_WATERBODY[after.waterbody.value]}, "
        f"basis {_BASIS[after.waterbody_basis]}"
        + (f", city {after.city} {after.city_code}" if after.city_code else ""),
        highlight=False,
    )


@sections_app.command("export")
def export_sections(
    path: Annotated[Path, typer.Argument(help="CSV file to write (the registry's columns).")],
    db: DbOpt = None,
) -> None:
    """Write the store's registry (with the corrections) as CSV: edit it and bring it back with import."""
    from ecowatch.water.registry import write_registry

    caught: tuple[type[Exception], ...] = (*_errors(), OSError)
    try:
        registry = _synced_registry(db)
        write_registry(registry, path)
    except caught as error:
        raise fail(error) from None
    console.print(f"{len(registry)} sections -> {path}", highlight=False)


@sections_app.command("import")
def import_sections(
    path: Annotated[Path, typer.Argument(help="CSV with code and any registry column.", exists=True)],
    db: DbOpt = None,
) -> None:
    """Import corrections (or new sections) from a CSV: ``code`` and any of name, province_code, province,
    basin, city_code, city, river, waterbody, waterbody_basis, lon, lat, target_class (as export writes
    it). A known section takes the non-empty waterbody, city_code, river, lon, lat and target_class that
    differ; a new code needs every column. All or nothing."""
    from ecowatch.store.audit import cli_actor
    from ecowatch.store.db import session_factory
    from ecowatch.water.service import import_sections as run

    try:
        _synced_registry(db)
        engine = _engine(db)
        try:
            with session_factory(engine).begin() as session:
                done = run(session=session, path=path, actor=cli_actor())
        finally:
            engine.dispose()
    except _errors() as error:
        raise fail(error) from None
    console.print(
        f"{path.name}: {done['added']} sections added, {done['updated']} corrected", highlight=False
    )


def load_water_command(
    *, path: Path, db: str | None, first: dt.date | None, last: dt.date | None, lenient: bool
) -> None:
    """``ecowatch db load PATH --format cnemc-water``: load, then the summary and where the classes differ."""
    from ecowatch.store import database_url
    from ecowatch.store.audit import cli_actor
    from ecowatch.water.service import DIFFERENCES, load_water

    try:
        done = load_water(
            url=database_url(db),
            path=path,
            actor=cli_actor(),
            lenient=lenient,
            progress=sys.stderr.isatty(),
            first_day=first,
            last_day=last,
        )
    except _errors() as error:
        raise fail(error) from None
    console.print(
        f"{done.records:,} water samples of {done.sections:,} sections from {done.files} files "
        f"({done.lines:,} lines; {done.without_time:,} without a measurement time, "
        f"{done.repeated:,} repeated section and time: the later kept): {done.written:,} rows inserted or "
        f"changed; read {done.read_seconds:.1f} s, stored {done.write_seconds:.1f} s"
        + (f"; {done.issues:,} input issues" if done.issues else ""),
        highlight=False,
    )
    if done.compared:
        console.print(
            f"published class reproduced in {done.agree:,} of {done.compared:,} records with both classes "
            f"({done.agreement:.2f} %)",
            highlight=False,
        )
    if done.differs:
        table = Table(title="发布类别不一致的原因 Where the published class differs, and why")
        for heading in ("原因 reason", "records", "explanation"):
            table.add_column(heading)
        for key, count in done.differs.items():
            zh, en = DIFFERENCES[key]
            table.add_row(f"{zh} {key}", f"{count:,}", en)
        console.print(table)
