"""``ecowatch hj212 …``: HJ 212 protocol tools for people on the ground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ecowatch.cli.common import JsonOpt, app, console, fail, print_json

hj212_app = typer.Typer(help="HJ 212 protocol tools for people on the ground.", no_args_is_help=True)
app.add_typer(hj212_app, name="hj212")


@hj212_app.command("decode")
def hj212_decode(
    file: Annotated[Path, typer.Argument(help="One frame per line (trailing CR LF optional).", exists=True)],
    keys: Annotated[
        Path | None,
        typer.Option(
            "--keys", help="CSV mn,sm4_key_hex: SM4 keys to decrypt HJ 212-2025 frames.", exists=True
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decode captured frames: header fields, CRC check, and every value with its code's name and unit."""
    from ecowatch.hj212 import code_label, factor_of
    from ecowatch.hj212.errors import KeyTableError
    from ecowatch.hj212.sm4 import parse_key_table
    from ecowatch.hj212.summary import decode_line

    key_for = None
    if keys is not None:
        try:
            key_table = parse_key_table(keys.read_bytes().decode("utf-8-sig"), source=str(keys))
        except UnicodeDecodeError as exc:
            raise fail(ValueError(f"{keys}: not UTF-8 text (byte {exc.start})")) from None
        except KeyTableError as exc:
            raise fail(exc) from None
        key_for = key_table.get
    records = [
        decode_line(number, line, key_for=key_for, details=not as_json)
        for number, line in enumerate(file.read_bytes().splitlines(), start=1)
        if line.strip()
    ]
    if as_json:
        print_json(records)
        return
    table = Table(title=f"{file.name}: {sum(r['ok'] for r in records)} of {len(records)} frames ok")
    for column in ("line", "MN", "CN", "time", "code", "name", "unit", "values", "problem"):
        table.add_column(column)
    for record in records:
        problem = "; ".join(p for p in (record["error"], record["length_note"]) if p)
        if record["encrypted"]:
            problem = "; ".join(p for p in ("SM4-decrypted", problem) if p)
        if not record["values"]:
            table.add_row(
                str(record["line"]),
                record["mn"] or "",
                record["cn"] or "",
                record["data_time"] or "",
                "",
                "",
                "",
                "",
                problem,
            )
        for i, (code, suffixes) in enumerate(record["values"].items()):
            # 2005 codes by the 原编码 mapping (S02 is the flue-gas velocity a01011, not SO2, which is 02).
            factor, label = factor_of(code), code_label(code)
            shown = code if factor is None or factor.code == code else f"{code} → {factor.code}"
            name = f"{label.name_zh} ({label.name_en})" if label.name_en != label.name_zh else label.name_zh
            table.add_row(
                str(record["line"]) if i == 0 else "",
                record["mn"] if i == 0 else "",
                record["cn"] if i == 0 else "",
                (record["data_time"] or "") if i == 0 else "",
                shown,
                name if factor else "? (not in HJ 212 Annex B)",
                label.unit,
                ", ".join(f"{k}={v}" for k, v in suffixes.items()),
                problem if i == 0 else "",
            )
    console.print(table)
