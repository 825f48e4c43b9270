"""The tables of closed-loop supervision cases (issue 16), beside the shared ``region`` and ``user_account``.

::

    case_batch (code; its escalation ladder, optional)
      └─< supervision_case (code unique; kind, region, units, deadline, state, next_due, petition fields)
            ├─< case_node        (seq within the case: due date, task/deliverable, done)
            ├─< case_history     (seq: at, user, action, from, to, reason, hash, previous hash)
            │     └─< case_evidence (position: file name, sha256) >── case_file (sha256: size, bytes)
            ├─< case_escalation  (node, step: once per case + node + step)
            │     └─< case_notification (to a user: created, read, e-mailed: the outbox)
            └─< case_visit       (petition follow-up visits: finding, satisfied)

``case`` is an SQL keyword, hence ``supervision_case``.  What the lists and statistics filter on is
stored on the case row and kept up to date by :mod:`ecowatch.cases.service` on every move, node
change and escalation, so the overdue list and a batch's statistics are index ranges, not joins:

- ``next_due``: the date the ladder counts on (the earliest open node's due date, else the
  deadline; :func:`ecowatch.cases.escalation.counted_on`), and ``open_due``, the same while the case
  is in ``registered``, ``assigned`` or ``rectifying`` (else null): a case is overdue when its
  ``open_due`` is before today (Beijing);
- ``escalation``/``escalation_rank``: the highest step recorded for the case (rank in its ladder);
- ``history_count``/``history_head``: the number of history entries and the hash of the last one,
  which anchors the tail of the chain (decision C-anchor).

``user_account.email`` (migration 0011) is where notifications are e-mailed.

Node number 0 in ``case_escalation.node`` stands for the case deadline (the ladder counts on it when
the case has no open node): a NULL would make the unique key (case, node, step) not unique.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ecowatch.cases.audit import GENESIS
from ecowatch.cases.workflow import Action, CaseState
from ecowatch.store.models import Base, Region, User, one_of

__all__ = [
    "CASE_TABLES",
    "DEADLINE_NODE",
    "Case",
    "CaseBatch",
    "CaseEscalation",
    "CaseEvidence",
    "CaseFile",
    "CaseHistory",
    "CaseKind",
    "CaseNode",
    "CaseNotification",
    "CaseVisit",
    "PetitionOutcome",
]

#: ``case_escalation.node`` of a step counted on the case deadline (no open node).
DEADLINE_NODE = 0

#: The tables of this module, in creation order.
CASE_TABLES = (
    "case_batch",
    "case_file",
    "supervision_case",
    "case_node",
    "case_history",
    "case_evidence",
    "case_escalation",
    "case_notification",
    "case_visit",
)


class CaseKind(StrEnum):
    """What a case is [Issue16]_."""

    rectification = "rectification"  # 整改任务 of a central or provincial inspection round
    typical = "typical"  # 典型案例
    petition = "petition"  # 信访/举报 transferred complaint
    enforcement = "enforcement"  # 执法
    alert = "alert"  # opened from a platform warning


class PetitionOutcome(StrEnum):
    """How a petition case was answered: 已办结 or 阶段性办结 (the public 一览表's statuses)."""

    closed = "closed"  # 已办结
    stage_closed = "stage_closed"  # 阶段性办结


class CaseBatch(Base):
    """A batch of cases (an inspection round's list, a numbered transfer of petitions).

    ``ladder`` is the batch's own escalation ladder (rows of
    :meth:`ecowatch.cases.escalation.Ladder.from_rows`), null for the default ladder.
    """

    __tablename__ = "case_batch"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(256), default="")
    ladder: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


class CaseFile(Base):
    """The bytes of an evidence file, kept once per content (decision C-evidence: in the database)."""

    __tablename__ = "case_file"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class Case(Base):
    """A supervision case: a rectification task, typical case, petition, enforcement or alert case."""

    __tablename__ = "supervision_case"
    __table_args__ = (
        one_of("kind", CaseKind),
        one_of("state", CaseState),
        one_of("outcome", PetitionOutcome),
        CheckConstraint("history_count >= 0", name="history_count_not_negative"),
        # The overdue list: open_due before today, in order of open_due then code (no sort); region_id
        # in the index lets a scoped user's page filter without reading rows.
        Index("ix_supervision_case_open_due_code_region_id", "open_due", "code", "region_id"),
        # A batch's overdue list and count.
        Index("ix_supervision_case_batch_open_due_code_region_id", "batch", "open_due", "code", "region_id"),
        # A batch's statistics (by state, overdue, by escalation), whole or for a user's regions,
        # answered from the index alone.
        Index(
            "ix_supervision_case_batch_region_id_state_open_due_escalation",
            "batch",
            "region_id",
            "state",
            "open_due",
            "escalation",
        ),
        Index("ix_supervision_case_batch_state", "batch", "state"),
        Index("ix_supervision_case_region_state", "region_id", "state"),
        # A batch's cases by highest escalation step.
        Index("ix_supervision_case_batch_escalation", "batch", "escalation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    batch: Mapped[str] = mapped_column(ForeignKey("case_batch.code"))
    title: Mapped[str] = mapped_column(String(512))
    description: Mapped[str] = mapped_column(Text, default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    lead_unit: Mapped[str] = mapped_column(String(256))
    cooperating_units: Mapped[list[str]] = mapped_column(default=list)
    responsible: Mapped[str] = mapped_column(String(128), default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    #: The date the ladder counts on: the earliest open node's due date, else the deadline.
    next_due: Mapped[dt.date] = mapped_column(Date)
    #: ``next_due`` while the case is open (registered, assigned, rectifying), else null: overdue is
    #: ``open_due < today``, one index range in date order.
    open_due: Mapped[dt.date | None] = mapped_column(Date)
    #: The highest escalation step recorded, and its rank in the batch's ladder (1 = first step).
    escalation: Mapped[str | None] = mapped_column(String(32))
    escalation_rank: Mapped[int] = mapped_column(Integer, default=0)
    history_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The hash of the last history entry (GENESIS before the first): anchors the chain's tail.
    history_head: Mapped[str] = mapped_column(String(64), default=GENESIS)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # Petition cases (《信访工作条例》; shared/reference/cases.md): received, accepted, answered; the
    # deadline to decide acceptance and to handle it; the outcome; a duplicate's first petition.
    received_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    accept_by: Mapped[dt.date | None] = mapped_column(Date)
    handle_by: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_case.id"), index=True)

    region: Mapped[Region] = relationship()
    nodes: Mapped[list[CaseNode]] = relationship(
        back_populates="case", order_by="CaseNode.seq", cascade="all, delete-orphan"
    )
    history: Mapped[list[CaseHistory]] = relationship(
        back_populates="case", order_by="CaseHistory.seq", cascade="all, delete-orphan"
    )
    escalations: Mapped[list[CaseEscalation]] = relationship(
        back_populates="case", order_by="CaseEscalation.id", cascade="all, delete-orphan"
    )
    visits: Mapped[list[CaseVisit]] = relationship(
        back_populates="case", order_by="CaseVisit.id", cascade="all, delete-orphan"
    )
    duplicate_of: Mapped[Case | None] = relationship(remote_side=[id])

    @property
    def region_code(self) -> str:
        """The GB/T 2260 code of the case's region."""
        return self.region.code


class CaseNode(Base):
    """A node (milestone) of a case: its number within the case (1-based), due date, deliverable, done."""

    __tablename__ = "case_node"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_case_node_case_id_seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_case.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    due: Mapped[dt.date] = mapped_column(Date)
    task: Mapped[str] = mapped_column(String(512))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[dt.datetime | None]

    case: Mapped[Case] = relationship(back_populates="nodes")

    @property
    def key(self) -> int:
        """The node's number, as :class:`ecowatch.cases.escalation.NodeLike` reads it."""
        return self.seq


class CaseHistory(Base):
    """One move of a case, chained: ``hash`` = SHA-256(``previous_hash`` ‖ canonical entry) (decision
    C-chain; one chain per case). Rows are only ever added."""

    __tablename__ = "case_history"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_case_history_case_id_seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        one_of("action", Action),
        one_of("from_state", CaseState),
        one_of("to_state", CaseState),
        # The monthly trend: moves of an action by time.
        Index("ix_case_history_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_case.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="history")
    evidence: Mapped[list[CaseEvidence]] = relationship(
        back_populates="history", order_by="CaseEvidence.position", cascade="all, delete-orphan"
    )


class CaseEvidence(Base):
    """An evidence file sent with a move: its name and SHA-256 (the bytes in :class:`CaseFile`)."""

    __tablename__ = "case_evidence"

    history_id: Mapped[int] = mapped_column(
        ForeignKey("case_history.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(ForeignKey("case_file.sha256"), index=True)

    history: Mapped[CaseHistory] = relationship(back_populates="evidence")
    file: Mapped[CaseFile] = relationship()


class CaseEscalation(Base):
    """An escalation step recorded for a case and node (0: the case deadline), once each."""

    __tablename__ = "case_escalation"
    __table_args__ = (
        UniqueConstraint("case_id", "node", "step", name="uq_case_escalation_case_id_node_step"),
        CheckConstraint("node >= 0", name="node_not_negative"),
        CheckConstraint("days_overdue >= 0", name="days_overdue_not_negative"),
        Index("ix_case_escalation_step_at", "step", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_case.id", ondelete="CASCADE"))
    node: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    #: The rank of the step in the ladder it was recorded by (1 = first step).
    rank: Mapped[int] = mapped_column(Integer)
    due: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime]
    days_overdue: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="escalations")


class CaseNotification(Base):
    """A notification of an escalation step to a user: shown in the platform (``read_at``) and sent by
    e-mail from this outbox after the transaction commits (``emailed_at``, attempts and last error).
    Written by the notification hook of :func:`ecowatch.cases.service.escalate`."""

    __tablename__ = "case_notification"
    __table_args__ = (
        CheckConstraint("email_attempts >= 0", name="email_attempts_not_negative"),
        Index("ix_case_notification_user_id_read_at", "user_id", "read_at"),
        # The e-mail outbox reads the notifications not e-mailed of the last days.
        Index("ix_case_notification_emailed_at_created_at", "emailed_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_case.id", ondelete="CASCADE"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_escalation.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(32))
    #: The node's number within the case; null: the case deadline.
    node: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]
    emailed_at: Mapped[dt.datetime | None]
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_error: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    escalation: Mapped[CaseEscalation | None] = relationship()
    user: Mapped[User] = relationship()


class CaseVisit(Base):
    """A follow-up visit (回访) of a petition case: what was found and whether the petitioner was satisfied;
    an unsatisfied visit is the reason of a ``reopen``."""

    __tablename__ = "case_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(64))
    finding: Mapped[str] = mapped_column(Text)
    satisfied: Mapped[bool] = mapped_column(Boolean)

    case: Mapped[Case] = relationship(back_populates="visits")
