"""``ecowatch serve``: the platform in one process (web API and pages, HJ 212 gateway, scheduler)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from ecowatch.cli.common import DbOpt, EcowatchError, app, console, fail


@app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (web and gateway).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Web port (API under /api/v1, the map at /).", min=0, max=65535)
    ] = 8000,
    gateway_port: Annotated[
        int,
        typer.Option(
            "--gateway-port",
            help="HJ 212 gateway port (TCP); 0 picks a free one, -1 runs no gateway.",
            min=-1,
            max=65535,
        ),
    ] = 9212,
    db: DbOpt = None,
    journal: Annotated[
        Path | None,
        typer.Option(
            "--journal",
            help="Gateway journal folder (default: the "
            "store's own, e.g. ecowatch.journal/ beside ecowatch.db).",
        ),
    ] = None,
    quarantine_retention_days: Annotated[
        int,
        typer.Option(
            "--quarantine-retention-days",
            min=1,
            help="Refused frames and junk last seen this many days ago are deleted, daily.",
        ),
    ] = 30,
    web_max_connections: Annotated[
        int,
        typer.Option(
            "--web-max-connections",
            min=1,
            help="Web connections served at once (idle ones included); beyond, a request gets 503.",
        ),
    ] = 512,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Run the demo's simulated HJ 212 devices against the gateway (see `ecowatch demo`).",
        ),
    ] = False,
) -> None:
    """Run the platform: web API and map page, HJ 212 gateway and the scheduler, until Ctrl-C."""
    from sqlalchemy.exc import SQLAlchemyError

    from ecowatch.server import PlatformSettings, run_platform
    from ecowatch.store import database_url
    from ecowatch.store.db import display_url

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every run of every job
    url = database_url(db)
    settings = PlatformSettings(
        url=url,
        host=host,
        port=port,
        gateway_port=None if gateway_port < 0 else gateway_port,
        journal_dir=journal,
        simulate_devices=simulate,
        quarantine_retention_days=quarantine_retention_days,
        web_max_connections=web_max_connections,
    )

    def ready(web_port: int, bound_gateway_port: int | None) -> None:
        console.print(f"ecowatch is running on {display_url(url)}", highlight=False)
        console.print(
            f"  open [bold]http://{host}:{web_port}/[/] (API documentation: http://{host}:{web_port}/api/v1/docs)",
            highlight=False,
        )
        if bound_gateway_port is not None:
            console.print(
                f"  HJ 212 devices: tcp://{host}:{bound_gateway_port}"
                + (" (simulated demo devices sending)" if simulate else ""),
                highlight=False,
            )
        console.print("  stop with Ctrl-C", style="dim")

    import asyncio  # here, not at the top: every other command starts without it

    try:
        asyncio.run(run_platform(settings, ready=ready))
    except KeyboardInterrupt:
        pass
    except (EcowatchError, SQLAlchemyError, OSError) as error:
        raise fail(error) from None
