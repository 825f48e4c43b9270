"""``ecowatch water …``: surface water to GB 3838-2002 and the 2011 evaluation method, thin over
:mod:`ecowatch.water`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ecowatch.cli.common import EcowatchError, JsonOpt, app, console, fail, print_json

water_app = typer.Typer(
    help="Surface water to the national standards (GB 3838-2002, 2011 evaluation method).",
    no_args_is_help=True,
)
app.add_typer(water_app, name="water")

InputOpt = Annotated[
    Path,
    typer.Option(
        "--input",
        help="CSV: id,waterbody (river|lake) and any of pH,DO,CODMn,COD,BOD5,NH3-N,TP,TN,Cu,Zn,F,Se,As,Hg,Cd,"
        "Cr6,Pb,CN,phenol,petroleum,LAS,S2,fecal_coliform (mg/L; pH unitless; coliform per L). "
        "A cell: a number, <DL (below the detection limit DL), ND, or empty.",
    ),
]


@water_app.command("classify")
def classify(input_path: InputOpt, json_out: JsonOpt = False) -> None:
    """Class of each sample by single-factor evaluation (GB 3838-2002 Table 1, 2011 method).

    TN and fecal coliform do not set the class (2011 method); the table shows their own class apart."""
    from ecowatch.standards import StandardsError
    from ecowatch.water import classify as classify_samples
    from ecowatch.water import read_samples, result_json

    try:
        results = classify_samples(read_samples(input_path))
    except (EcowatchError, StandardsError) as error:
        raise fail(error) from None
    if json_out:
        print_json([result_json(sample, result) for sample, result in results])
        return
    table = Table(title=f"GB 3838-2002 classes: {input_path.name}")
    for heading in (
        "id",
        "waterbody",
        "class",
        "determining",
        "exceeding Class III (multiple)",
        "main pollutants",
        "evaluated apart (class)",
    ):
        table.add_column(heading)
    for sample, result in results:
        table.add_row(
            sample.id,
            sample.waterbody.value,
            f"{result.water_class.label} ({result.water_class.zh})",
            ", ".join(result.determining),
            ", ".join(f"{item} ({multiple})" for item, multiple in result.exceeding.items()),
            ", ".join(result.main_pollutants),
            ", ".join(f"{item} ({klass.label})" for item, klass in result.separate.items()),
        )
    console.print(table)
