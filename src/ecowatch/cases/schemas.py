"""What the cases' API and ``--json`` outputs give (Pydantic): exactly the JSON of issue 16's
command-line contract, shared by the CLI and the API.

Dates are ``YYYY-MM-DD``; times are ISO 8601 in Beijing time (``2026-05-04T09:00:00+08:00``). A history
entry's ``from`` is a Python keyword: the field is ``from_``, written ``from`` (``model_dump`` and the
API serialise by alias).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BatchStats",
    "CaseDetail",
    "CaseListItem",
    "CasePage",
    "EscalationRead",
    "EvidenceRead",
    "GroupStats",
    "HistoryRead",
    "ImportResult",
    "NodeRead",
    "StepRead",
    "TrendMonth",
    "VerifyResult",
]


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class CaseListItem(_Out):
    """A row of ``cases list``."""

    code: str
    kind: str
    batch: str
    state: str
    region: str = Field(description="GB/T 2260 code of the case's region")
    deadline: dt.date
    days_overdue: int = Field(description="Whole Beijing days past the date the ladder counts on; 0 if not")
    escalation: str | None = Field(description="The highest escalation step recorded, or null")


class CasePage(_Out):
    total: int
    limit: int
    offset: int
    items: list[CaseListItem]


class NodeRead(_Out):
    due: dt.date
    task: str
    done: bool


class EscalationRead(_Out):
    step: str
    node: int | None = Field(description="The node's number within the case; null: the case deadline")
    at: dt.datetime


class EvidenceRead(_Out):
    name: str
    sha256: str


class HistoryRead(_Out):
    seq: int
    at: dt.datetime
    user: str
    action: str
    from_: str = Field(alias="from")
    to: str
    reason: str | None
    evidence: list[EvidenceRead]


class CaseDetail(_Out):
    """``cases show CODE --json``."""

    code: str
    kind: str
    batch: str
    title: str
    region: str
    state: str
    deadline: dt.date
    nodes: list[NodeRead]
    escalations: list[EscalationRead]
    history: list[HistoryRead]


class StepRead(_Out):
    """A step of ``cases escalate --json``."""

    case: str
    node: int | None
    step: str
    days_overdue: int


class BatchStats(_Out):
    """``cases stats --batch B --json``: ``total = closed + on_schedule + overdue`` (decision C-stats)."""

    total: int
    closed: int
    on_schedule: int
    overdue: int
    closing_rate_pct: float | None = Field(description="closed / total × 100, 1 decimal, half up")
    by_state: dict[str, int]
    by_escalation: dict[str, int] = Field(
        description="Cases by the highest escalation step recorded for them (every step of the ladder)"
    )


class GroupStats(BatchStats):
    """A row of an itemised list: the statistics of the cases of one region or lead unit."""

    group: str = Field(description="The region code or the lead unit")
    name: str = Field(description="The region's name, or the unit")


class TrendMonth(_Out):
    month: str = Field(description="YYYY-MM, Beijing time")
    opened: int
    closed: int
    reopened: int


class ImportResult(_Out):
    batch: str
    imported: int
    codes: list[str]


class VerifyResult(_Out):
    entries: int
    cases: int
    broken: list[str] = Field(description="One line per broken chain: the case and the entry")

    @property
    def ok(self) -> bool:
        return not self.broken
