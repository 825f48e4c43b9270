"""``ecowatch water …``: surface water to GB 3838-2002 and the 2011 evaluation method, thin over
:mod:`ecowatch.water`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ecowatch.cli.common import EcowatchError, JsonOpt, app, console, fail, parse_date, print_json

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


FromOpt = Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (Beijing time).")]
ToOpt = Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD, the whole day included.")]
LenientOpt = Annotated[
    bool, typer.Option("--lenient", help="Skip bad cells and lines, count them, and go on.")
]


@water_app.command("assess")
def assess(
    path: Annotated[
        Path,
        typer.Argument(
            help="A CNEMC release CSV (.csv or .csv.gz, as ../shared/data/cn-surface-water) or a long CSV "
            "(section,time,indicator,value[,unit]), or a folder of them."
        ),
    ],
    date_from: FromOpt,
    date_to: ToOpt,
    lenient: LenientOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Period assessment: each section's class (period means), exceedance, main pollutants, CWQI and, for
    lakes, TLI; each basin, province and city's shares of Class I–III and worse than V, level and CWQI
    (cities ranked ascending). 2011 evaluation method, CWQI rule of 2017, TLI rule of 2001."""
    from ecowatch.standards import StandardsError
    from ecowatch.water.assess import assess_water
    from ecowatch.water.importer import read_water_file

    first, last = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    try:
        read = read_water_file(path, lenient=lenient, date_from=first, date_to=last)
        assessment = assess_water(read.samples, first, last)
    except (EcowatchError, StandardsError) as error:
        raise fail(error) from None
    if json_out:
        print_json(assessment.to_json() | {"input": read.counts()})
        return
    period = f"{first.isoformat()} – {last.isoformat()}"
    sections = Table(title=f"断面水质 Sections, {period}: {path.name}")
    for heading in (
        "断面 section",
        "流域 basin",
        "城市 city",
        "水体 waterbody",
        "样本 samples",
        "类别 class",
        "状况 level",
        "超标倍数 exceeding (×)",
        "主要污染指标 main pollutants",
        "CWQI",
        "TLI 营养状态 trophic state",
    ):
        sections.add_column(heading)
    for item in assessment.sections:
        result = item.result
        sections.add_row(
            item.name,
            item.basin or "",
            item.city or "",
            "湖库 lake" if item.waterbody.value == "lake" else "河流 river",
            str(item.samples),
            "" if result is None else f"{result.water_class.zh} ({result.water_class.label})",
            "" if result is None else _level_text(result.water_class),
            "" if result is None else ", ".join(f"{k} ({v})" for k, v in result.exceeding.items()),
            "" if result is None else ", ".join(result.main_pollutants),
            "" if item.cwqi is None else str(item.cwqi.published),
            ""
            if item.trophic is None
            else f"{item.trophic.published} {item.trophic.state.zh} ({item.trophic.state})",
        )
    console.print(sections)
    for title, groups in (
        ("流域 Basins", assessment.basins),
        ("省份 Provinces", assessment.provinces),
        ("城市 Cities (按 CWQI 排名 ranked by CWQI)", assessment.cities),
    ):
        table = Table(title=f"{title}, {period}")
        for heading in (
            "名称 name",
            "断面数 sections",
            "Ⅰ～Ⅲ类 % share I–III",
            "劣Ⅴ类 % share worse than V",
            "水质状况 level",
            "CWQI",
            "排名 rank",
        ):
            table.add_column(heading)
        for group in groups:
            table.add_row(
                group.name,
                str(group.level.sections),
                str(group.level.share_excellent_percent),
                str(group.level.share_worse_than_v_percent),
                f"{group.level.level.zh} ({group.level.level})",
                "" if group.cwqi is None else str(group.cwqi.published),
                "" if group.cwqi_rank is None else str(group.cwqi_rank),
            )
        console.print(table)


def _level_text(klass: object) -> str:
    from ecowatch.standards import WaterClass
    from ecowatch.standards.water_levels import level_of_class

    assert isinstance(klass, WaterClass)
    level = level_of_class(klass)
    return f"{level.zh} ({level})"
