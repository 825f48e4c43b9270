"""Table endpoints as JSON, CSV or XLSX (``?format=csv|xlsx``).

The files are written by :mod:`ecowatch.reports.spreadsheets`, as the command line's ``--out`` files
are: CSV with the JSON keys and a UTF-8 byte-order mark, XLSX with dates, units in the headings and
numbers at the standard's precision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request, status
from fastapi.responses import Response

from ecowatch.reports.spreadsheets import csv_bytes, export_frame, sheet_name, xlsx_bytes

__all__ = [
    "CSV_TYPE",
    "TABLE_RESPONSES",
    "XLSX_TYPE",
    "FormatQuery",
    "TableFormat",
    "format_is_answered",
    "json_response",
    "table_response",
]

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


FormatQuery = Annotated[
    TableFormat, Query(alias="format", description="json (default), csv or xlsx download")
]

#: OpenAPI ``responses`` of a table endpoint: the downloads beside the JSON.
TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        }
    },
}


async def format_is_answered(request: Request) -> None:
    """Refuse (400) ``?format=csv|xlsx`` on a route that answers JSON only, rather than answer JSON to
    a client that asked for a file (``/air/assessment?format=csv`` once did)."""
    wanted = request.query_params.get("format")
    if wanted is None or wanted == TableFormat.json:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    declared = {param.alias for param in dependant.query_params} if dependant is not None else set()
    if "format" not in declared:
        detail = f"format: {request.url.path} answers JSON only (no table shape), not {wanted}"
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=detail)


def json_response(text: str) -> Response:
    """JSON text already serialised (and memoised as such) as the answer."""
    return Response(content=text.encode("utf-8"), media_type="application/json")


def table_response(
    rows: Sequence[Mapping[str, Any]],
    fmt: TableFormat,
    name: str,
    columns: Sequence[str] = (),
    sheet: Sequence[str] = (),
) -> Response:
    """``rows`` as a CSV or XLSX attachment ``<name>.csv`` / ``<name>.xlsx``.

    ``columns`` gives the header of an empty table (Polars needs it to write one); ``sheet`` the parts
    of the XLSX sheet's name, as many as fit whole in Excel's 31 characters (default: ``name``).
    """
    frame = export_frame(rows, columns)
    if fmt is TableFormat.xlsx:
        content, media_type = xlsx_bytes(frame, sheet=sheet_name(*(sheet or (name,)))), XLSX_TYPE
    else:
        content, media_type = csv_bytes(frame), CSV_TYPE
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt.value}"'},
    )
