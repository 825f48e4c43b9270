"""What every command group shares: the root app, consoles, error exit, JSON output and common options."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from ecowatch.errors import EcowatchError

app = typer.Typer(
    help="ecowatch: monitoring data to official figures, warnings and action.", no_args_is_help=True
)

# Tables of figures need room; when printing to a file or pipe, do not squeeze them to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)


def fail(error: Exception) -> typer.Exit:
    """Print one clear error line; the caller raises what this returns (exit code 2)."""
    errors.print(f"[bold red]error:[/] {error}", highlight=False)
    return typer.Exit(code=2)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(ValueError(f"{option}: bad date {text!r} (expected YYYY-MM-DD)")) from None


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: $ECOWATCH_DB, else ecowatch.db in "
        "$ECOWATCH_DATA_DIR or ~/.local/share/ecowatch).",
    ),
]

__all__ = [
    "DbOpt",
    "EcowatchError",
    "JsonOpt",
    "app",
    "console",
    "errors",
    "fail",
    "parse_date",
    "print_json",
]
