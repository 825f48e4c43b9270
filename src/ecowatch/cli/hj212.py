"""``ecowatch hj212 …``: HJ 212 protocol tools for people on the ground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ecowatch.cli.common import JsonOpt, app, console, errors, print_json

hj212_app = typer.Typer(help="HJ 212 protocol tools for people on the ground.", no_args_is_help=True)
app.add_typer(hj212_app, name="hj212")



@hj212_app.command("decode")
def hj212_decode(
    file: Annotated[Path, typer.Argument(help="One frame per line (trailing CR LF optional).", exists=True)],
    keys: Annotated[Path | None, typer.Option("--keys", help="mn,sm4_key_hex for HJ 212-2025 encrypted frames.",
                                              exists=True)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decode captured frames: header fields, CRC check, and every value with its code's name and unit."""
    from ecowatch.hj212 import FACTORS_2017
    from ecowatch.hj212.summary import decode_line

    if keys is not None:
        errors.print("note: SM4 decryption (HJ 212-2025 Part B) is not supported yet; encrypted frames are "
                     "reported as errors", style="yellow")
    records = [decode_line(number, line) for number, line in enumerate(file.read_bytes().splitlines(), start=1)
               if line.strip()]
    if as_json:
        print_json(records)
        return
    table = Table(title=f"{file.name}: {sum(r['ok'] for r in records)} of {len(records)} frames ok")
    for column in ("line", "MN", "CN", "time", "code", "name", "unit", "values", "problem"):
        table.add_column(column)
    for record in records:
        if not record["values"]:
            table.add_row(str(record["line"]), record["mn"] or "", record["cn"] or "", record["data_time"] or "",
                          "", "", "", "", record["error"] or "")
        for i, (code, suffixes) in enumerate(record["values"].items()):
            factor = FACTORS_2017.get(code)
            table.add_row(str(record["line"]) if i == 0 else "", record["mn"] if i == 0 else "",
                          record["cn"] if i == 0 else "", (record["data_time"] or "") if i == 0 else "", code,
                          factor.name if factor else "?", factor.unit if factor else "",
                          ", ".join(f"{k}={v}" for k, v in suffixes.items()),
                          (record["error"] or "") if i == 0 else "")
    console.print(table)
