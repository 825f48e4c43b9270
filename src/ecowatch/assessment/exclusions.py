"""Reading the approved list of excluded city-days (sand dust, exceptional events).

File: CSV with header ``city,date,kind,approved_by`` and optional ``pollutants`` (``;``-separated,
e.g. ``PM10;PM2.5``), ``approved_on`` and ``note``. ``kind`` is ``sand_dust`` or
``exceptional_event``. Every problem is an :class:`~ecowatch.errors.InputError` naming the line.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from ecowatch.errors import InputError
from ecowatch.standards import Pollutant
from ecowatch.standards.dust import Exclusion, ExclusionKind

REQUIRED_COLUMNS = ("city", "date", "kind", "approved_by")


def _date(text: str, *, file: str, line: int, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"bad date {text!r} (expected YYYY-MM-DD)", file=file, line=line, field=field
        ) from None


def read_exclusions(path: Path) -> list[Exclusion]:
    """The exclusions listed in ``path``."""
    name = str(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}", file=name, line=1, field=missing[0])
        exclusions = []
        for line, row in enumerate(reader, start=2):
            kind_text = (row["kind"] or "").strip()
            try:
                kind = ExclusionKind(kind_text)
            except ValueError:
                allowed = ", ".join(k.value for k in ExclusionKind)
                raise InputError(
                    f"unknown kind {kind_text!r} (one of {allowed})", file=name, line=line, field="kind"
                ) from None
            pollutants = set()
            for text in filter(None, (p.strip() for p in (row.get("pollutants") or "").split(";"))):
                try:
                    pollutants.add(Pollutant(text))
                except ValueError:
                    raise InputError(
                        f"unknown pollutant {text!r}", file=name, line=line, field="pollutants"
                    ) from None
            if not (row["city"] or "").strip():
                raise InputError("an exclusion needs its city", file=name, line=line, field="city")
            approver = (row["approved_by"] or "").strip()
            if not approver:
                raise InputError("an exclusion needs its approver", file=name, line=line, field="approved_by")
            approved_on = (row.get("approved_on") or "").strip()
            exclusions.append(
                Exclusion(
                    city=(row["city"] or "").strip(),
                    day=_date(row["date"] or "", file=name, line=line, field="date"),
                    kind=kind,
                    approved_by=approver,
                    pollutants=frozenset(pollutants),
                    approved_on=_date(approved_on, file=name, line=line, field="approved_on")
                    if approved_on
                    else None,
                    note=(row.get("note") or "").strip(),
                )
            )
    return exclusions
