"""``ecowatch gateway``, ``ecowatch devices …``, ``ecowatch hj212 frames`` and ``ecowatch hj212 simulate``."""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from ecowatch.cli.common import DbOpt, EcowatchError, JsonOpt, app, console, fail, print_json
from ecowatch.cli.hj212 import hj212_app

devices_app = typer.Typer(
    help="HJ 212 devices: register them by MN with password and site.", no_args_is_help=True
)
app.add_typer(devices_app, name="devices")

ACTOR = "cli"


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return ACTOR


@app.command("gateway")
def gateway(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="TCP port; 0 picks a free one (printed).", min=0, max=65535)
    ] = 9212,
    db: DbOpt = None,
    journal: Annotated[
        Path | None,
        typer.Option(
            "--journal",
            help="Journal folder (default: the store's own, e.g. ecowatch.journal/ beside ecowatch.db).",
        ),
    ] = None,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections",
            min=1,
            help="Connections at most (never beyond the open-file limit less a reserve).",
        ),
    ] = 20_000,
    max_per_address: Annotated[
        int, typer.Option("--max-per-address", min=1, help="Connections from one address at most.")
    ] = 1_000,
    idle_timeout: Annotated[
        float,
        typer.Option(
            "--idle-timeout",
            help="Seconds a device's connection is kept after its last frame with valid credentials.",
            min=0.01,
        ),
    ] = 3_900.0,
    unauthenticated_timeout: Annotated[
        float,
        typer.Option(
            "--unauthenticated-timeout",
            min=0.01,
            help="Seconds a connection is kept without valid credentials.",
        ),
    ] = 120.0,
    max_frame_bytes: Annotated[
        int, typer.Option("--max-frame-bytes", help="Largest frame accepted (12-10011).", min=12, max=10011)
    ] = 10011,
    fsync_in_thread: Annotated[
        bool,
        typer.Option(
            "--fsync-in-thread",
            help="Journal fsync in a worker thread (slow disks) instead of on the event loop.",
        ),
    ] = False,
    junk_per_address: Annotated[
        int,
        typer.Option(
            "--junk-bytes-per-address",
            min=0,
            help="Bytes of refused "
            "frames and garbage kept per address and hour; past it a "
            "sample, the rest counted.",
        ),
    ] = 1 << 20,
    junk_total: Annotated[
        int,
        typer.Option(
            "--junk-bytes-total",
            min=0,
            help="Bytes of refused frames and garbage kept per hour from all addresses.",
        ),
    ] = 32 << 20,
    data_time_past_days: Annotated[
        float,
        typer.Option("--data-time-past-days", min=0, help="Data whose DataTime is older is quarantined."),
    ] = 400.0,
    data_time_future_minutes: Annotated[
        float,
        typer.Option(
            "--data-time-future-minutes",
            min=0,
            help="Data whose DataTime is further ahead of the server clock is quarantined.",
        ),
    ] = 60.0,
) -> None:
    """Run the HJ 212 gateway: journal every frame, acknowledge it, keep its values in the store."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.gateway.journal import journal_dir_for
    from ecowatch.gateway.server import Gateway
    from ecowatch.gateway.tuning import SWITCH_INTERVAL_S, freeze_heap, serving_process
    from ecowatch.store import database_url
    from ecowatch.store.db import display_url

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    url = database_url(db)
    folder, moved = journal_dir_for(url, journal)
    if moved is not None:
        console.print(
            f"the gateway journal of earlier versions moved to {moved}, the store's own", highlight=False
        )

    import asyncio  # here, not at the top: every other command starts without it

    async def run() -> None:
        server = Gateway(
            url,
            folder,
            max_connections=max_connections,
            idle_timeout_s=idle_timeout,
            max_per_address=max_per_address,
            unauthenticated_timeout_s=unauthenticated_timeout,
            max_frame_bytes=max_frame_bytes,
            journal_inline=not fsync_in_thread,
            actor=_actor().replace("cli:", "gateway:"),
            junk_bytes_per_address=junk_per_address,
            junk_bytes_total=junk_total,
            data_time_past_days=data_time_past_days,
            data_time_future_minutes=data_time_future_minutes,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # Before the "listening" line: whoever reads it may signal at once.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await server.start(host, port)
        freeze_heap()  # what exists now lives as long as the process (docs/decisions.md P6)
        console.print(
            f"HJ 212 gateway listening on {host}:{server.port} (store {display_url(url)}, journal "
            f"{folder}, {server.stats.replayed} frames replayed)",
            highlight=False,
            soft_wrap=True,
        )
        try:
            await stop.wait()
        finally:
            await server.stop()
            console.print(f"stopped: {json.dumps(server.stats.as_dict())}", highlight=False, soft_wrap=True)

    try:
        import uvloop

        # The process's settings (collector, switch interval: ecowatch.gateway.tuning) for its life.
        with serving_process(switch_interval_s=SWITCH_INTERVAL_S):
            uvloop.run(run())
    except (EcowatchError, SQLAlchemyError, OSError) as error:
        raise fail(error) from None


@devices_app.command("import")
def devices_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns mn,password,site,kind,version (optional sm4_key).",
            exists=True,
            dir_okay=False,
        ),
    ],
    db: DbOpt = None,
) -> None:
    """Register the devices of a CSV file (importing it again changes nothing)."""
    from ecowatch.store import database_url, make_engine, session_factory
    from ecowatch.store.devices import import_devices
    from ecowatch.store.migrate import prepare

    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise fail(ValueError(f"{file}: not UTF-8 text (byte {error.start})")) from None
    engine = make_engine(database_url(db))
    try:
        prepare(engine)  # the embedded store migrated, as serve and gateway do
        with session_factory(engine).begin() as session:
            results = import_devices(session=session, text=text, source=str(file), actor=_actor())
    except EcowatchError as error:
        raise fail(error) from None
    finally:
        engine.dispose()
    for result in results:
        _say(result)
    created = sum(r.created for r in results)
    changed = sum(bool(r.changed) and not r.created for r in results)
    console.print(
        f"{len(results)} devices: {created} added, {changed} updated, "
        f"{len(results) - created - changed} unchanged",
        highlight=False,
    )


def _say(result) -> None:
    if result.site_created:
        console.print(f"site {result.site}: not in the store, created", highlight=False)
    if result.created:
        console.print(f"device {result.mn}: added (site {result.site})", highlight=False)
    elif result.changed:
        console.print(f"device {result.mn}: updated {', '.join(result.changed)}", highlight=False)


@devices_app.command("add")
def devices_add(
    mn: Annotated[str, typer.Option("--mn", help="The device's MN (HJ 212 device id).")],
    password: Annotated[str, typer.Option("--password", help="The device's PW.")],
    site: Annotated[str, typer.Option("--site", help="Site code or name (created if unknown, with --kind).")],
    db: DbOpt = None,
    kind: Annotated[
        str, typer.Option("--kind", help="Kind of a site to create: air_station, water_section.")
    ] = "air_station",
    version: Annotated[str, typer.Option("--version", help="HJ 212 edition: 2005, 2017 or 2025.")] = "2017",
    sm4_key: Annotated[
        str | None,
        typer.Option("--sm4-key", help="HJ 212-2025 SM4 key (32 hex digits); a new key rotates the old one."),
    ] = None,
) -> None:
    """Register one device (again: updates what differs)."""
    from ecowatch.store import database_url, make_engine, session_factory
    from ecowatch.store.devices import register_device
    from ecowatch.store.migrate import prepare

    engine = make_engine(database_url(db))
    try:
        prepare(engine)  # the embedded store migrated, as serve and gateway do
        with session_factory(engine).begin() as session:
            result = register_device(
                session=session,
                mn=mn,
                password=password,
                site=site,
                actor=_actor(),
                version=version,
                kind=kind,
                sm4_key_hex=sm4_key,
                where=f"device {mn}",
            )
    except EcowatchError as error:
        raise fail(error) from None
    finally:
        engine.dispose()
    _say(result)
    if result.unchanged:
        console.print(f"device {mn}: already registered, unchanged", highlight=False)


@devices_app.command("remove")
def devices_remove(
    mns: Annotated[list[str], typer.Argument(help="MN of each device to remove.")],
    db: DbOpt = None,
    with_site: Annotated[
        bool,
        typer.Option(
            "--with-site",
            help="Also remove each device's site with all its "
            "data, when no other device reports for it and no enterprise "
            "owns it (simulated devices' sites).",
        ),
    ] = False,
) -> None:
    """Remove devices from the registry (their frames stay, unless --with-site removes their sites)."""
    from ecowatch.store import database_url, make_engine, session_factory
    from ecowatch.store.device_removal import remove_devices
    from ecowatch.store.migrate import prepare

    engine = make_engine(database_url(db))
    try:
        prepare(engine)  # the embedded store migrated, as serve and gateway do
        with session_factory(engine).begin() as session:
            removal = remove_devices(session=session, mns=mns, actor=_actor(), with_sites=with_site)
    except EcowatchError as error:
        raise fail(error) from None
    finally:
        engine.dispose()
    sites = f" and {len(removal.sites)} sites ({', '.join(removal.sites)})" if removal.sites else ""
    console.print(f"removed {len(removal.devices)} devices{sites}", highlight=False)


def _remove_simulated(url: str, mns: list[str], acknowledged: int, *, timeout_s: float = 60.0) -> int:
    """Wait (up to ``timeout_s``) until the store holds the ``acknowledged`` frames of ``mns`` (the gateway
    writes them after acknowledging), then remove the devices and their sites; the sites removed."""
    import time

    from sqlalchemy import func, select

    from ecowatch.store import make_engine, session_factory
    from ecowatch.store.device_removal import remove_devices
    from ecowatch.store.models import Hj212Frame

    engine = make_engine(url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            with session_factory(engine)() as session:
                count = select(func.count()).select_from(Hj212Frame).where(Hj212Frame.mn.in_(mns))
                stored = session.execute(count).scalar_one()
            if stored >= acknowledged or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # polling the store for the gateway's writes, bounded by the deadline
        with session_factory(engine).begin() as session:
            return len(remove_devices(session=session, mns=mns, actor="simulator", with_sites=True).sites)
    finally:
        engine.dispose()


@hj212_app.command("frames")
def hj212_frames(
    db: DbOpt = None,
    mn: Annotated[str | None, typer.Option("--mn", help="Only this device's frames.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The frames the store kept, once each: mn, qn, cn, data_time, received_at and values."""
    from rich.table import Table

    from ecowatch.store import database_url, make_engine, session_factory
    from ecowatch.store.frames import list_frames
    from ecowatch.store.migrate import prepare

    engine = make_engine(database_url(db))
    try:
        prepare(engine)  # the embedded store migrated, as serve and gateway do
        with session_factory(engine)() as session:
            frames = list_frames(session=session, mn=mn)
    except EcowatchError as error:
        raise fail(error) from None
    finally:
        engine.dispose()
    if as_json:
        print_json(frames)
        return
    table = Table(title=f"{len(frames)} frames kept")
    for column in ("MN", "QN", "CN", "DataTime", "received (UTC)", "values"):
        table.add_column(column)
    for frame in frames:
        values = "; ".join(
            f"{code} " + ",".join(f"{k}={v}" for k, v in suffixes.items())
            for code, suffixes in frame["values"].items()
        )
        table.add_row(
            frame["mn"],
            frame["qn"] or "",
            frame["cn"],
            frame["data_time"] or "",
            frame["received_at"],
            values,
        )
    console.print(table)


@hj212_app.command("simulate")
def hj212_simulate(
    host: Annotated[str, typer.Option("--host", help="Gateway address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Gateway port.", min=1, max=65535)] = 9212,
    devices: Annotated[
        int, typer.Option("--devices", help="Simulated devices (one TCP connection each).", min=1)
    ] = 10,
    rate: Annotated[
        float, typer.Option("--rate", help="Frames per second, all devices together.", min=0.01)
    ] = 10.0,
    duration: Annotated[float, typer.Option("--duration", help="Seconds of sending.", min=0.01)] = 10.0,
    version: Annotated[str, typer.Option("--version", help="HJ 212 edition: 2025, 2017 or 2005.")] = "2017",
    db: DbOpt = None,
    register: Annotated[
        bool,
        typer.Option(
            "--register/--no-register",
            help="Register the simulated devices in the store first (the gateway refuses unknown MNs).",
        ),
    ] = True,
    prefix: Annotated[str, typer.Option("--prefix", help="MN prefix of the simulated devices.")] = "SIM",
    warmup: Annotated[
        bool,
        typer.Option(
            "--warmup",
            help="One frame per device first, outside the figures "
            "(the gateway's one Argon2 check per device).",
        ),
    ] = False,
    temporary: Annotated[
        bool,
        typer.Option(
            "--temporary/--keep",
            help="Remove the devices it registered, "
            "with their sites and data, once the store has their frames "
            "(--keep leaves them).",
        ),
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Simulated devices over real TCP: minute and hour data, each reply checked; sent, acknowledged, lost,
    and reply latency percentiles."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.gateway.simulator import register_simulated_devices, simulate, simulated_devices
    from ecowatch.store import database_url

    if version not in ("2005", "2017", "2025"):
        raise fail(ValueError(f"--version: must be 2025, 2017 or 2005, got {version!r}"))
    specs = simulated_devices(devices, version=version, prefix=f"{prefix}{version}")
    added = 0
    if register:
        try:
            added = register_simulated_devices(database_url(db), specs)
        except (EcowatchError, SQLAlchemyError) as error:
            raise fail(error) from None
        if added and not as_json:
            console.print(f"registered {added} simulated devices", highlight=False)
    try:
        import uvloop

        report = uvloop.run(simulate(host, port, specs, rate=rate, duration_s=duration, warmup=warmup))
    except OSError as error:
        raise fail(error) from None
    figures = report.figures()
    # Only a run that registered every device it used removes them: devices kept by an earlier --keep
    # run stay, and their frames would blur the wait for this run's.
    if register and temporary and added == len(specs):
        try:
            removed = _remove_simulated(database_url(db), [spec.mn for spec in specs], report.acknowledged)
        except (EcowatchError, SQLAlchemyError) as error:
            raise fail(error) from None
        if not as_json:
            console.print(
                f"removed the {added} simulated devices and {removed} sites again (--keep keeps them)",
                highlight=False,
            )
    if as_json:
        print_json(figures)
    else:
        console.print(
            f"{figures['sent']} frames sent ({figures['send_rate']}/s), "
            f"{figures['acknowledged']} acknowledged, "
            f"{figures['lost']} lost; reply latency p50 {figures['p50_ms']} ms, p90 {figures['p90_ms']} ms, "
            f"p99 {figures['p99_ms']} ms ({figures['connected']} of {devices} devices connected)",
            highlight=False,
            soft_wrap=True,
        )
    if figures["lost"] or figures["connect_errors"]:
        raise typer.Exit(code=1)
