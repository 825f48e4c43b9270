"""Import a batch of cases from the Excel list an inspection office keeps: all of it or nothing.

The first sheet; row 1 is the header, with these columns in any order, by their Chinese names or
their English aliases [Issue16]_:

======== ================= ========================================================================
column   alias             value
======== ================= ========================================================================
编号     code              the case's code, unique in the store (required)
问题     title             the problem (required)
区域代码 region            GB/T 2260 code of a region in the store (required)
责任单位 lead_unit         the lead unit (required)
配合单位 cooperating_units units separated by ``、`` ``，`` ``,`` ``；`` or ``;``
责任人   responsible       the responsible person
整改措施 measures          the measures
整改时限 deadline          a date cell, or ``YYYY-MM-DD`` text (required)
节点     nodes             ``YYYY-MM-DD 内容`` entries separated by ``；`` or ``;``; each due on or
                           before the deadline
======== ================= ========================================================================

Every problem is reported with its row (the header is row 1) and its column (the header as written,
with the Excel column letter); a file with any problem imports nothing
(:class:`~ecowatch.cases.errors.CaseImportError`). Empty rows are skipped.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecowatch.cases.errors import CaseImportError, ImportProblem
from ecowatch.cases.models import Case, CaseKind
from ecowatch.cases.service import CaseInput, NodeInput, add_cases, check_batch, check_kind
from ecowatch.store.models import Region

__all__ = ["ALIASES", "COLUMNS", "MAX_ROWS", "REQUIRED", "import_cases", "read_cases"]

#: The columns, Chinese name -> English alias (issue 16).
COLUMNS: Mapping[str, str] = {
    "编号": "code",
    "问题": "title",
    "区域代码": "region",
    "责任单位": "lead_unit",
    "配合单位": "cooperating_units",
    "责任人": "responsible",
    "整改措施": "measures",
    "整改时限": "deadline",
    "节点": "nodes",
}
#: English alias -> the field (the aliases are the fields).
ALIASES: Mapping[str, str] = {alias: alias for alias in COLUMNS.values()}
#: The fields a file must have a column for.
REQUIRED = ("code", "title", "region", "lead_unit", "deadline")
#: Most data rows one file may hold (a round's list is some thousands; a petitions batch some tens of
#: thousands): a larger file is a mistake and would hold the transaction long.
MAX_ROWS = 100_000

_LIMITS = {"code": 64, "title": 512, "lead_unit": 256, "responsible": 128, "task": 512, "unit": 256}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NODE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(\S.*)$", re.DOTALL)
_NODE_SEPARATORS = re.compile(r"[;；]")
_UNIT_SEPARATORS = re.compile(r"[、，,;；]")
_REGION = re.compile(r"^\d{6}$")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into a number cell: 110105.0 -> 110105
    return str(value).strip()


def _plain_text(value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters, got {len(value)}")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in value):
        raise ValueError("contains a control character")
    return value


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise ValueError(f"{value.isoformat(sep=' ')} is a time, not a date")
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not _DATE.match(text):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date of the calendar") from None


def _nodes(value: Any, deadline: dt.date | None) -> tuple[NodeInput, ...]:
    text = _text(value)
    nodes: list[NodeInput] = []
    for number, part in enumerate((p.strip() for p in _NODE_SEPARATORS.split(text)), start=1):
        if not part:
            continue
        match = _NODE.match(part)
        if match is None:
            raise ValueError(f"entry {number} {part!r} is not 'YYYY-MM-DD 内容'")
        due = _date(match.group(1))
        task = _plain_text(match.group(2).strip(), _LIMITS["task"])
        if deadline is not None and due > deadline:
            raise ValueError(f"entry {number}: due {due} is after the deadline {deadline}")
        nodes.append(NodeInput(due=due, task=task))
    return tuple(nodes)


def read_cases(data: bytes, *, source: str) -> list[tuple[int, CaseInput]]:
    """The cases of an ``.xlsx`` list (its first sheet), each with its row; CaseImportError naming every
    problem with its row and column. Checks the cells only (not the store)."""
    cases, _, problems, _ = _read(data, source)
    if problems:
        raise CaseImportError(source, sorted(problems, key=lambda p: p.row))
    return cases


#: What a row gave of the values the store checks (``code``, ``region``), each when well-formed.
_Partial = list[tuple[int, dict[str, Any]]]


def _read(
    data: bytes, source: str
) -> tuple[list[tuple[int, CaseInput]], dict[str, str], list[ImportProblem], _Partial]:
    """The cases whose cells are all good, the column labels, the problems and every row's values."""
    problems: list[ImportProblem] = []

    def fail(row: int, column: str, reason: str) -> CaseImportError:
        return CaseImportError(source, [ImportProblem(row, column, reason)])

    if not source.lower().endswith(".xlsx"):
        raise fail(1, "-", "not an .xlsx file (the list is an Excel workbook)")
    from zipfile import BadZipFile

    from openpyxl import load_workbook  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise fail(1, "-", f"not an Excel workbook ({error})") from None
    try:
        if not workbook.worksheets:
            raise fail(1, "-", "the workbook has no sheet")
        records = workbook.worksheets[0].iter_rows(values_only=True)
        first = next(records, None)
        if first is None or all(_text(cell) == "" for cell in first):
            raise fail(1, "-", "empty sheet: row 1 must be the header")
        fields: dict[int, str] = {}
        labels: dict[str, str] = {}
        for index, cell in enumerate(first):
            name = _text(cell)
            if not name:
                continue
            letter = get_column_letter(index + 1)
            field = COLUMNS.get(name) or ALIASES.get(name.lower())
            if field is None:
                known = ", ".join(f"{zh} ({en})" for zh, en in COLUMNS.items())
                problems.append(
                    ImportProblem(1, f"{name} ({letter})", f"unknown column (the columns: {known})")
                )
                continue
            if field in labels:
                problems.append(ImportProblem(1, f"{name} ({letter})", f"column {field} given twice"))
                continue
            fields[index] = field
            labels[field] = f"{name} ({letter})"
        for field in REQUIRED:
            if field not in labels:
                zh = next(k for k, v in COLUMNS.items() if v == field)
                problems.append(ImportProblem(1, "-", f"the column {zh} ({field}) is missing"))
        if any(field not in labels for field in REQUIRED):  # the rows cannot be read without them
            raise CaseImportError(source, problems)
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, record in enumerate(records, start=2):
            values = {fields[i]: cell for i, cell in enumerate(record) if i in fields}
            if all(_text(v) == "" for v in values.values()):
                continue
            if len(rows) >= MAX_ROWS:
                raise fail(number, "-", f"more than {MAX_ROWS} cases in one file")
            rows.append((number, values))
    finally:
        workbook.close()
    if not rows:
        raise fail(2, "-", "no cases below the header")

    cases: list[tuple[int, CaseInput]] = []
    partial: _Partial = []
    for number, values in rows:
        found: dict[str, Any] = {}

        def check(field: str, convert: Any, *args: Any, _row: int = number, _found: dict = found) -> None:
            try:
                _found[field] = convert(*args)
            except ValueError as error:
                problems.append(ImportProblem(_row, labels[field], str(error)))

        def required(field: str, limit: int, _values: dict = values) -> str:
            text = _text(_values.get(field))
            if not text:
                raise ValueError("empty (required)")
            return _plain_text(text, limit)

        check("code", required, "code", _LIMITS["code"])
        if "code" in found and any(c.isspace() for c in found["code"]):
            problems.append(ImportProblem(number, labels["code"], f"{found.pop('code')!r} contains a space"))
        check("title", required, "title", _LIMITS["title"])
        check("region", _region_code, values.get("region"))
        check("lead_unit", required, "lead_unit", _LIMITS["lead_unit"])
        if "cooperating_units" in labels:
            check("cooperating_units", _units, values.get("cooperating_units"))
        if "responsible" in labels:
            check(
                "responsible",
                lambda v: _plain_text(_text(v), _LIMITS["responsible"]),
                values.get("responsible"),
            )
        if "measures" in labels:
            check("measures", lambda v: _plain_text(_text(v), 20_000), values.get("measures"))
        if _text(values.get("deadline")) == "" and not isinstance(values.get("deadline"), dt.date):
            problems.append(ImportProblem(number, labels["deadline"], "empty (required)"))
        else:
            check("deadline", _date, values.get("deadline"))
        if "nodes" in labels:
            check("nodes", _nodes, values.get("nodes"), found.get("deadline"))
        partial.append((number, found))
        if all(f in found for f in REQUIRED):
            cases.append(
                (
                    number,
                    CaseInput(
                        code=found["code"],
                        title=found["title"],
                        region=found["region"],
                        lead_unit=found["lead_unit"],
                        deadline=found["deadline"],
                        cooperating_units=found.get("cooperating_units", ()),
                        responsible=found.get("responsible", ""),
                        measures=found.get("measures", ""),
                        nodes=found.get("nodes", ()),
                    ),
                )
            )
    first_row: dict[str, int] = {}
    for number, found in partial:
        code = found.get("code")
        if code is None:
            continue
        if code in first_row:
            problems.append(
                ImportProblem(number, labels["code"], f"{code!r} is also on row {first_row[code]}")
            )
        else:
            first_row[code] = number
    return cases, labels, problems, partial


def _region_code(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("empty (required)")
    if not _REGION.match(text):
        raise ValueError(f"{text!r} is not a GB/T 2260 code (6 digits, e.g. 110105)")
    return text


def _units(value: Any) -> tuple[str, ...]:
    units = tuple(u.strip() for u in _UNIT_SEPARATORS.split(_text(value)) if u.strip())
    for unit in units:
        _plain_text(unit, _LIMITS["unit"])
    return units


def _store_problems(session: Session, rows: _Partial, labels: Mapping[str, str]) -> list[ImportProblem]:
    """Problems only the store can tell: a code already taken, a region not in the store."""
    problems: list[ImportProblem] = []
    codes = sorted({found["code"] for _, found in rows if "code" in found})
    taken: set[str] = set()
    for start in range(0, len(codes), 1000):
        taken.update(session.scalars(select(Case.code).where(Case.code.in_(codes[start : start + 1000]))))
    wanted = sorted({found["region"] for _, found in rows if "region" in found})
    known: set[str] = set()
    for start in range(0, len(wanted), 1000):
        known.update(
            session.scalars(select(Region.code).where(Region.code.in_(wanted[start : start + 1000])))
        )
    for number, found in rows:
        if found.get("code") in taken:
            problems.append(
                ImportProblem(number, labels["code"], f"case {found['code']!r} is already in the store")
            )
        if "region" in found and found["region"] not in known:
            problems.append(
                ImportProblem(
                    number, labels["region"], f"region {found['region']} is not a region of the store"
                )
            )
    return problems


def import_cases(
    *,
    session: Session,
    data: bytes,
    source: str,
    batch: str,
    kind: CaseKind | str,
    actor: str,
    now: dt.datetime,
) -> list[Case]:
    """Read, check against the store, and add the cases of an ``.xlsx`` list to ``batch`` as ``kind``;
    the cases added. CaseImportError (every problem, with row and column) and nothing written, or
    CaseInputError for a bad batch or kind."""
    batch = check_batch(batch)
    kind = check_kind(kind)
    cases, labels, problems, rows = _read(data, source)
    problems = problems + _store_problems(session, rows, labels)
    if problems:
        raise CaseImportError(source, sorted(problems, key=lambda p: p.row))
    return add_cases(
        session=session, batch=batch, kind=kind, cases=[case for _, case in cases], actor=actor, now=now
    )
