"""Table endpoints as JSON, CSV or XLSX (``?format=csv|xlsx``), written by Polars.

Nested values are flattened for the spreadsheet: a list becomes ``a;b``, a mapping one column per
key (``iaqi.PM2.5``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

import polars as pl
from fastapi import Query
from fastapi.responses import Response

__all__ = ["CSV_TYPE", "TABLE_RESPONSES", "XLSX_TYPE", "FormatQuery", "TableFormat", "flat_rows", "json_response",
           "table_response"]

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


FormatQuery = Annotated[TableFormat, Query(alias="format", description="json (default), csv or xlsx download")]

#: OpenAPI ``responses`` of a table endpoint: the downloads beside the JSON.
TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}},
                      XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
}


def flat_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with lists joined by ``;`` and mappings spread into ``key.sub`` columns."""
    out = []
    for row in rows:
        flat: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, Mapping):
                for sub, item in value.items():
                    flat[f"{key}.{sub}"] = item
            elif isinstance(value, list | tuple):
                flat[key] = ";".join(str(item) for item in value)
            else:
                flat[key] = value
        out.append(flat)
    return out


def json_response(text: str) -> Response:
    """JSON text already serialised (and memoised as such) as the answer."""
    return Response(content=text.encode("utf-8"), media_type="application/json")


def table_response(rows: Sequence[Mapping[str, Any]], fmt: TableFormat, name: str,
                   columns: Sequence[str] = ()) -> Response:
    """``rows`` as a CSV or XLSX attachment ``<name>.csv`` / ``<name>.xlsx``.

    ``columns`` gives the header of an empty table (Polars needs it to write one).
    """
    flat = flat_rows(rows)
    frame = pl.DataFrame(flat, infer_schema_length=None) if flat else pl.DataFrame(
        {column: [] for column in columns}, schema={column: pl.String for column in columns})
    if fmt is TableFormat.xlsx:
        buffer = io.BytesIO()
        frame.write_excel(buffer, worksheet=name[:31], autofit=True)
        content, media_type = buffer.getvalue(), XLSX_TYPE
    else:
        content, media_type = frame.write_csv().encode("utf-8"), CSV_TYPE
    return Response(content=content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt.value}"'})
