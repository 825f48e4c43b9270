"""``ecowatch cases ladder``: a batch's own escalation ladder (issue 16: "configurable per batch"),
thin over :mod:`ecowatch.cases.ladders` (decision C-ladder-set)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ecowatch.cli.cases import _now, _session, cases_app
from ecowatch.cli.common import DbOpt, EcowatchError, JsonOpt, console, fail, print_json


@cases_app.command("ladder")
def cases_ladder(
    batch: Annotated[str, typer.Option("--batch", help="Batch code 批次.")],
    set_: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="The steps, e.g. warning=-3..0,notice=1,interview=15,listed=30,accountability=60 "
            "(whole Beijing days past the due date; FROM..UNTIL for a window).",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="A JSON array or TOML [[step]] tables: step, from_days, until_days, text."
        ),
    ] = None,
    default: Annotated[bool, typer.Option("--default", help="Back to the default ladder.")] = False,
    actor: Annotated[str, typer.Option("--as", help="Who sets it (recorded in the audit log).")] = "cli",
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Show or set the escalation ladder 督办阶梯 of a batch (without --set, --file or --default: show it)."""
    from ecowatch.cases.labels import STEP_NAMES, label
    from ecowatch.cases.ladders import batch_ladder, parse_ladder, read_ladder_file, set_batch_ladder

    if sum((set_ is not None, file is not None, default)) > 1:
        raise fail(EcowatchError("give one of --set, --file and --default"))
    now = _now()
    try:
        ladder = (
            parse_ladder(set_) if set_ is not None else read_ladder_file(file) if file is not None else None
        )
    except EcowatchError as error:
        raise fail(error) from None
    writing = set_ is not None or file is not None or default
    with _session(db, write=writing) as session:
        if writing:
            set_batch_ladder(session=session, batch=batch, ladder=ladder, actor=actor, now=now)
        in_force, own = batch_ladder(session=session, batch=batch)
    if as_json:
        print_json({"batch": batch, "own": own, "steps": in_force.rows()})
        return
    title = "本批次阶梯 the batch's own ladder" if own else "默认阶梯 the default ladder"
    table = Table(title=f"{batch}: {title}")
    for header in ("步骤 Step", "起 From (days)", "止 Until (days)", "通知 Text"):
        table.add_column(header)
    for rung in in_force.rungs:
        until = "—" if rung.until_days is None else str(rung.until_days)
        table.add_row(label(STEP_NAMES, rung.step), str(rung.from_days), until, rung.text)
    console.print(table)
