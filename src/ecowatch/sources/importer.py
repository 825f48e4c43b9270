"""Import enterprises, outlets and permit limits from a CSV or Excel file: all of it or nothing.

One table, one row per permit limit (or per outlet, or per enterprise), with the header
:data:`COLUMNS` (any subset holding ``credit_code``, in any order)::

    credit_code,enterprise_name,region,industry,key_lists,outlet_code,outlet_name,medium,outlet_kind,lon,lat,
        pollutant,upper_limit,lower_limit,unit,reference_oxygen_pct,standard
    914403001922038216,华为技术有限公司,440307,3921,air;water,HW-DA001,1号排气筒,gas,main,114.06,22.65,
        a21026,35,,mg/m3,6,GB 13223-2011

- The enterprise columns register the enterprise, or change it when it is in the store already; a
  new one needs its name and region.  ``key_lists`` are separated by ``;`` and replace its lists.
- The outlet columns, when ``outlet_code`` is given, do the same for the outlet (a new one needs
  name, medium, lon and lat; an outlet's medium cannot change).
- The limit columns, when ``pollutant`` is given, set that limit of the row's outlet; the outlet's
  other limits stay.
- Values repeated on several rows of the same enterprise or outlet must agree (or be left empty).

Every cell is checked by the registry's own checks (:mod:`ecowatch.sources.service`) before
anything is written, and every problem is reported with its row (the header is row 1) and column;
a file with any problem imports nothing (:class:`~ecowatch.sources.errors.SourceImportError`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecowatch.sources.errors import ImportProblem, SourceError, SourceImportError
from ecowatch.sources.models import Medium
from ecowatch.sources.schemas import ImportSummary
from ecowatch.sources.service import (
    a_or_an,
    add_enterprise,
    add_outlet,
    check_coordinates,
    check_credit_code,
    check_industry,
    check_key_lists,
    check_kind,
    check_medium,
    check_name,
    check_outlet_code,
    check_region_code,
    edit_enterprise,
    edit_outlet,
    limit_problems,
)
from ecowatch.store.models import Enterprise, Region, Site, SiteKind
from ecowatch.store.users import Scope

__all__ = ["COLUMNS", "MAX_ROWS", "Table", "import_sources", "read_table"]

ENTERPRISE_COLUMNS = ("credit_code", "enterprise_name", "region", "industry", "key_lists")
OUTLET_COLUMNS = ("outlet_code", "outlet_name", "medium", "outlet_kind", "lon", "lat")
LIMIT_COLUMNS = ("pollutant", "upper_limit", "lower_limit", "unit", "reference_oxygen_pct", "standard")
#: The columns an import file may have; ``credit_code`` is required.
COLUMNS = ENTERPRISE_COLUMNS + OUTLET_COLUMNS + LIMIT_COLUMNS
#: Most rows one file may hold: a province's registry is some tens of thousands of limits; a file
#: far larger is a mistake, and would hold the database transaction for long.
MAX_ROWS = 200_000

# Which column a service field comes from (the service names fields as the API does).
_COLUMN_OF = {"code": "credit_code", "name": "enterprise_name", "kind": "outlet_kind"}
_OUTLET_COLUMN_OF = {"code": "outlet_code", "name": "outlet_name", "kind": "outlet_kind"}


@dataclass
class Table:
    """A file's header and rows: ``rows`` are (row number, {column: text or number}); ``label``
    names a column in messages (``C (region)`` for a workbook, ``region`` for CSV)."""

    source: str
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    label: Callable[[str], str] = str


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def read_table(data: bytes, *, source: str) -> Table:
    """The table of a ``.csv`` (UTF-8, BOM or not) or ``.xlsx`` file (its first sheet),
    by ``source``'s suffix."""
    if source.lower().endswith(".xlsx"):
        return _read_xlsx(data, source)
    if not source.lower().endswith(".csv"):
        raise SourceImportError(source, [ImportProblem(1, "-", "not a .csv or .xlsx file")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceImportError(
            source, [ImportProblem(1, "-", f"not UTF-8 text (byte {error.start})")]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as error:  # a NUL byte, a quote left open at the end...
        raise SourceImportError(source, [ImportProblem(len(records) + 1, "-", f"not CSV: {error}")]) from None
    if not records:
        raise SourceImportError(source, [ImportProblem(1, "-", "empty file")])
    header = [name.strip() for name in records[0]]
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            rows.append((number, {"": "more fields than the header has"}))
            continue
        rows.append((number, dict(zip(header, record, strict=False))))
    return Table(source, header, rows)


def _read_xlsx(data: bytes, source: str) -> Table:
    from zipfile import BadZipFile

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise SourceImportError(source, [ImportProblem(1, "-", f"not an Excel workbook ({error})")]) from None
    try:
        sheet = workbook.worksheets[0]
        records = sheet.iter_rows(values_only=True)
        first = next(records, None)
        if first is None:
            raise SourceImportError(source, [ImportProblem(1, "-", "empty sheet")])
        header = ["" if cell is None else str(cell).strip() for cell in first]
        letters = {name: _column_letter(i) for i, name in enumerate(header)}
        rows = [
            (number, dict(zip(header, record, strict=False)))
            for number, record in enumerate(records, start=2)
        ]
    finally:
        workbook.close()
    return Table(
        source, header, rows, label=lambda name: f"{letters[name]} ({name})" if name in letters else name
    )


# -- checking -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into a number cell: 4411.0 -> 4411
    return str(value).strip()


def _number(value: Any, column: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise SourceError(f"{value!r} is not a number", field=column)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise SourceError(f"{str(value).strip()!r} is not a number", field=column) from None


@dataclass
class _Entity:
    """What the rows say of one enterprise or outlet: values by column, and the row each came from."""

    first_row: int
    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    limits: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)


class _Checker:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.problems: list[ImportProblem] = []

    def problem(self, row: int, column: str, reason: str) -> None:
        self.problems.append(ImportProblem(row, self.table.label(column) if column else "-", reason))

    def cell(self, row: int, column: str, check: Callable[..., Any], *args: Any) -> Any:
        """``check(*args)``, or None with the problem noted at ``row`` and the column its error names."""
        try:
            return check(*args)
        except SourceError as error:
            name = error.field if error.field in COLUMNS else column
            self.problem(row, name, error.reason)
            return None

    def sorted_problems(self) -> list[ImportProblem]:
        """The problems by row, and within a row in the header's column order."""
        order = {self.table.label(name): i for i, name in enumerate(self.table.header)}
        return sorted(self.problems, key=lambda p: (p.row, order.get(p.column, -1)))

    def agree(self, entity: _Entity, row: int, column: str, value: Any) -> None:
        if value is None:
            return
        if column in entity.values and entity.values[column] != value:
            self.problem(
                row, column, f"{value!r} differs from {entity.values[column]!r} on row {entity.rows[column]}"
            )
            return
        entity.values.setdefault(column, value)
        entity.rows.setdefault(column, row)


def _check_rows(checker: _Checker) -> tuple[dict[str, _Entity], dict[str, _Entity], dict[str, str]]:
    """Enterprises and outlets by code, as the rows describe them; outlet code -> enterprise code."""
    enterprises: dict[str, _Entity] = {}
    outlets: dict[str, _Entity] = {}
    owner_of: dict[str, str] = {}
    for row, cells in checker.table.rows:
        if "" in cells and cells[""] == "more fields than the header has":
            checker.problem(row, "", "more fields than the header has")
            continue
        raw = {column: _text(cells.get(column)) for column in COLUMNS}
        numbers = {
            column: cells.get(column)
            for column in ("lon", "lat", "upper_limit", "lower_limit", "reference_oxygen_pct")
        }
        if not any(raw.values()):
            continue
        if not raw["credit_code"]:
            checker.problem(row, "credit_code", "empty")
            continue
        code = checker.cell(row, "credit_code", check_credit_code, raw["credit_code"])
        if code is None:
            continue
        enterprise = enterprises.setdefault(code, _Entity(row))
        if raw["enterprise_name"]:
            checker.agree(
                enterprise,
                row,
                "enterprise_name",
                checker.cell(row, "enterprise_name", check_name, raw["enterprise_name"]),
            )
        if raw["region"]:
            checker.agree(
                enterprise, row, "region", checker.cell(row, "region", check_region_code, raw["region"])
            )
        if raw["industry"]:
            checker.agree(
                enterprise, row, "industry", checker.cell(row, "industry", check_industry, raw["industry"])
            )
        if raw["key_lists"]:
            lists = checker.cell(
                row, "key_lists", check_key_lists, (raw["key_lists"].replace("；", ";").split(";"))
            )
            checker.agree(enterprise, row, "key_lists", None if lists is None else tuple(lists))
        outlet_code = raw["outlet_code"]
        if not outlet_code:
            for column in OUTLET_COLUMNS[1:] + LIMIT_COLUMNS:
                if raw[column]:
                    checker.problem(row, column, "given without an outlet_code")
                    break
            continue
        outlet_code = checker.cell(row, "outlet_code", check_outlet_code, raw["outlet_code"])
        if outlet_code is None:
            continue
        if owner_of.setdefault(outlet_code, code) != code:
            checker.problem(
                row,
                "outlet_code",
                f"outlet {outlet_code} is given for enterprise "
                f"{owner_of[outlet_code]} on row {outlets[outlet_code].first_row}",
            )
            continue
        outlet = outlets.setdefault(outlet_code, _Entity(row))
        if raw["outlet_name"]:
            checker.agree(
                outlet, row, "outlet_name", checker.cell(row, "outlet_name", check_name, raw["outlet_name"])
            )
        if raw["medium"]:
            checker.agree(outlet, row, "medium", checker.cell(row, "medium", check_medium, raw["medium"]))
        if raw["outlet_kind"]:
            checker.agree(
                outlet, row, "outlet_kind", checker.cell(row, "outlet_kind", check_kind, raw["outlet_kind"])
            )
        lon = checker.cell(row, "lon", _number, numbers["lon"], "lon")
        lat = checker.cell(row, "lat", _number, numbers["lat"], "lat")
        if bool(raw["lon"]) != bool(raw["lat"]):
            checker.problem(row, "lon" if not raw["lon"] else "lat", "empty: give both lon and lat")
        elif lon is not None and lat is not None:
            point = checker.cell(row, "lon", check_coordinates, lon, lat)
            checker.agree(outlet, row, "lon", None if point is None else point[0])
            checker.agree(outlet, row, "lat", None if point is None else point[1])
        if raw["pollutant"]:
            if raw["pollutant"] in outlet.limits:
                checker.problem(
                    row,
                    "pollutant",
                    f"{raw['pollutant']} of outlet {outlet_code} is given on row "
                    f"{outlet.limits[raw['pollutant']][0]} already",
                )
                continue
            limit: dict[str, Any] = {
                "pollutant": raw["pollutant"],
                "unit": raw["unit"] or None,
                "standard": raw["standard"] or None,
            }
            for column in ("upper_limit", "lower_limit", "reference_oxygen_pct"):
                limit[column] = checker.cell(row, column, _number, numbers[column], column)
            if limit["upper_limit"] is None and not raw["upper_limit"]:
                checker.problem(row, "upper_limit", "empty (a limit needs its upper value)")
            outlet.limits[raw["pollutant"]] = (row, limit)
        else:
            for column in LIMIT_COLUMNS[1:]:
                if raw[column]:
                    checker.problem(row, column, "given without a pollutant")
                    break
    return enterprises, outlets, owner_of


def _check_against_store(
    checker: _Checker,
    session: Session,
    enterprises: dict[str, _Entity],
    outlets: dict[str, _Entity],
    owner_of: dict[str, str],
) -> dict[str, Site]:
    """The store-dependent checks: regions, what exists, media and limits.  Returns the outlets that exist."""
    regions = set(
        session.scalars(
            select(Region.code).where(
                Region.code.in_(
                    {str(e.values["region"]) for e in enterprises.values() if "region" in e.values}
                )
            )
        )
    )
    known = set(session.scalars(select(Enterprise.code).where(Enterprise.code.in_(list(enterprises)))))
    for code, enterprise in enterprises.items():
        if "region" in enterprise.values and enterprise.values["region"] not in regions:
            checker.problem(
                enterprise.rows["region"],
                "region",
                f"no region {enterprise.values['region']!r} in the store (a GB/T 2260 code)",
            )
        if code not in known:
            for column in ("enterprise_name", "region"):
                if column not in enterprise.values and not _noted(checker, enterprise.first_row, column):
                    checker.problem(
                        enterprise.first_row,
                        column,
                        f"empty: enterprise {code} is not in the store "
                        "yet, so its name and region are needed",
                    )
    sites = {site.code: site for site in session.scalars(select(Site).where(Site.code.in_(list(outlets))))}
    for code, outlet in outlets.items():
        site = sites.get(code)
        medium = outlet.values.get("medium")
        if site is not None:
            owner = site.enterprise.code if site.enterprise is not None else None
            if site.kind != SiteKind.outlet:
                checker.problem(
                    outlet.first_row,
                    "outlet_code",
                    f"{code!r} is the code of {a_or_an(site.kind)}, not "
                    "an outlet: outlet codes are unique among sites",
                )
                continue
            if owner != owner_of[code]:
                checker.problem(
                    outlet.first_row, "outlet_code", f"outlet {code} belongs to enterprise {owner}"
                )
                continue
            stored = Medium.gas if site.category == Medium.gas.category else Medium.water
            if medium is not None and medium is not stored:
                checker.problem(
                    outlet.rows["medium"],
                    "medium",
                    f"outlet {code} is {a_or_an(stored.value)} outlet; its medium cannot change",
                )
            medium = stored
        else:
            for column in ("outlet_name", "medium", "lon", "lat"):
                if column not in outlet.values and not _noted(checker, outlet.first_row, column):
                    checker.problem(
                        outlet.first_row,
                        column,
                        f"empty: outlet {code} is not in the store yet, so "
                        "its name, medium, lon and lat are needed",
                    )
        if medium is None:
            continue
        for row, limit in outlet.limits.values():
            if limit["upper_limit"] is None:
                continue
            for problem in limit_problems(medium=medium, field="", **limit)[1]:
                checker.problem(row, (problem.field or ".pollutant").removeprefix("."), problem.reason)
    return sites


def _noted(checker: _Checker, row: int, column: str) -> bool:
    """Whether a problem of ``column`` at ``row`` is noted already (lon and lat count as one)."""
    labels = {
        checker.table.label(name) for name in (("lon", "lat") if column in ("lon", "lat") else (column,))
    }
    return any(p.row == row and p.column in labels for p in checker.problems)


# -- importing -------------------------------------------------------------------------------------


def import_sources(
    *, session: Session, table: Table, actor: str, scope: Scope | None = None
) -> ImportSummary:
    """Check every row of ``table``, then register or change its enterprises, outlets and limits.

    Raises :class:`SourceImportError` with every problem (row and column) and writes nothing when
    there is any; the caller's transaction holds the writes (commit it, or roll back on error: a
    scope refusal found while writing is raised the same way, after some rows were written).
    """
    checker = _Checker(table)
    unknown = [name for name in table.header if name and name not in COLUMNS]
    for name in unknown:
        checker.problem(1, name, f"unknown column (the columns are {', '.join(COLUMNS)})")
    if "credit_code" not in table.header:
        checker.problem(1, "credit_code", "missing column")
    if len(table.rows) > MAX_ROWS:
        checker.problem(MAX_ROWS + 2, "-", f"more than {MAX_ROWS} rows: split the file")
    if checker.problems:
        raise SourceImportError(table.source, checker.problems)
    enterprises, outlets, owner_of = _check_rows(checker)
    sites = _check_against_store(checker, session, enterprises, outlets, owner_of)
    if checker.problems:
        raise SourceImportError(table.source, checker.sorted_problems())
    return _apply(session, table, enterprises, outlets, owner_of, sites, actor, scope)


def _apply(
    session: Session,
    table: Table,
    enterprises: dict[str, _Entity],
    outlets: dict[str, _Entity],
    owner_of: dict[str, str],
    sites: dict[str, Site],
    actor: str,
    scope: Scope | None,
) -> ImportSummary:
    summary = ImportSummary(
        rows=len(table.rows),
        enterprises_added=[],
        enterprises_updated=[],
        outlets_added=[],
        outlets_updated=[],
        limits=sum(len(o.limits) for o in outlets.values()),
    )
    known = set(session.scalars(select(Enterprise.code).where(Enterprise.code.in_(list(enterprises)))))
    for code, enterprise in enterprises.items():
        values = enterprise.values
        with _at(table, enterprise.first_row, _COLUMN_OF):
            if code in known:
                edits = {
                    field_: values[column]
                    for field_, column in (
                        ("name", "enterprise_name"),
                        ("region", "region"),
                        ("industry", "industry"),
                        ("key_lists", "key_lists"),
                    )
                    if column in values
                }
                if edit_enterprise(session=session, code=code, changes=edits, actor=actor, scope=scope):
                    summary.enterprises_updated.append(code)
            else:
                add_enterprise(
                    session=session,
                    code=code,
                    name=values["enterprise_name"],
                    region=values["region"],
                    industry=values.get("industry"),
                    key_lists=values.get("key_lists", ()),
                    actor=actor,
                    scope=scope,
                )
                summary.enterprises_added.append(code)
    for code, outlet in outlets.items():
        values = outlet.values
        limits = [limit for _, limit in outlet.limits.values()]
        with _at(table, outlet.first_row, _OUTLET_COLUMN_OF):
            if code in sites:
                changes: dict[str, Any] = {
                    field_: values[column]
                    for field_, column in (
                        ("name", "outlet_name"),
                        ("kind", "outlet_kind"),
                        ("lon", "lon"),
                        ("lat", "lat"),
                    )
                    if column in values
                }
                if limits:
                    changes["set_limits"] = limits
                if edit_outlet(session=session, code=code, changes=changes, actor=actor, scope=scope):
                    summary.outlets_updated.append(code)
            else:
                add_outlet(
                    session=session,
                    code=code,
                    name=values["outlet_name"],
                    enterprise=owner_of[code],
                    medium=values["medium"],
                    kind=values.get("outlet_kind"),
                    lon=values["lon"],
                    lat=values["lat"],
                    limits=limits,
                    actor=actor,
                    scope=scope,
                )
                summary.outlets_added.append(code)
    return summary


@contextmanager
def _at(table: Table, row: int, columns: Mapping[str, str]) -> Iterator[None]:
    """Turn a :class:`SourceError` raised while writing (a scope refusal) into the import's error
    at ``row``."""
    try:
        yield
    except SourceError as error:
        column = columns.get(error.field or "", error.field or "-")
        raise SourceImportError(
            table.source,
            [ImportProblem(row, table.label(column) if column in COLUMNS else column, error.reason)],
        ) from error
