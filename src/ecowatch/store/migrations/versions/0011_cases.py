"""Closed-loop supervision cases (issue 16): batches, cases, nodes, history (hash-chained), evidence
files, escalation steps, notifications and follow-up visits (:mod:`ecowatch.cases.models`), and
``user_account.email`` (where notifications are e-mailed).

Indexes serve the lists that must stay fast with 100,000 cases and 1,000,000 history entries: the
overdue list (``open_due, code, region_id``), a batch's overdue list and statistics (``batch,
open_due, code, region_id``; ``batch, region_id, state, open_due, escalation``; ``batch, state``;
``batch, escalation``), a region's cases (``region_id, state``) and the monthly
trend (``action, at``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of ecowatch.cases.models.CaseKind, PetitionOutcome and ecowatch.cases.workflow.CaseState,
# Action as of this revision.
KINDS = ("rectification", "typical", "petition", "enforcement", "alert")
OUTCOMES = ("closed", "stage_closed")
STATES = ("registered", "assigned", "rectifying", "submitted", "pre_examined", "closed")
ACTIONS = ("assign", "start", "submit", "preexamine", "close", "return", "reopen")
TABLES = (
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


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table(
        "case_batch",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("ladder", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_case_batch")),
    )
    op.create_table(
        "case_file",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_case_file_sha256_length")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_case_file_size_not_negative")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_case_file")),
    )
    op.create_table(
        "supervision_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("lead_unit", sa.String(length=256), nullable=False),
        sa.Column("cooperating_units", sa.JSON(), nullable=False),
        sa.Column("responsible", sa.String(length=128), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("open_due", sa.Date(), nullable=True),
        sa.Column("escalation", sa.String(length=32), nullable=True),
        sa.Column("escalation_rank", sa.Integer(), nullable=False),
        sa.Column("history_count", sa.Integer(), nullable=False),
        sa.Column("history_head", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accept_by", sa.Date(), nullable=True),
        sa.Column("handle_by", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        _one_of("supervision_case", "kind", KINDS),
        _one_of("supervision_case", "outcome", OUTCOMES),
        _one_of("supervision_case", "state", STATES),
        sa.CheckConstraint("history_count >= 0", name=op.f("ck_supervision_case_history_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch"], ["case_batch.code"], name=op.f("fk_supervision_case_batch_case_batch")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["supervision_case.id"],
            name=op.f("fk_supervision_case_duplicate_of_id_supervision_case"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_supervision_case_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_case")),
        sa.UniqueConstraint("code", name=op.f("uq_supervision_case_code")),
    )
    op.create_index(
        "ix_supervision_case_batch_open_due_code_region_id",
        "supervision_case",
        ["batch", "open_due", "code", "region_id"],
        unique=False,
    )
    op.create_index(
        "ix_supervision_case_batch_region_id_state_open_due_escalation",
        "supervision_case",
        ["batch", "region_id", "state", "open_due", "escalation"],
        unique=False,
    )
    op.create_index("ix_supervision_case_batch_state", "supervision_case", ["batch", "state"], unique=False)
    op.create_index(
        op.f("ix_supervision_case_duplicate_of_id"), "supervision_case", ["duplicate_of_id"], unique=False
    )
    op.create_index(
        "ix_supervision_case_batch_escalation", "supervision_case", ["batch", "escalation"], unique=False
    )
    op.create_index(
        "ix_supervision_case_region_state", "supervision_case", ["region_id", "state"], unique=False
    )
    op.create_index(
        "ix_supervision_case_open_due_code_region_id",
        "supervision_case",
        ["open_due", "code", "region_id"],
        unique=False,
    )
    op.create_table(
        "case_escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("node", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("days_overdue >= 0", name=op.f("ck_case_escalation_days_overdue_not_negative")),
        sa.CheckConstraint("node >= 0", name=op.f("ck_case_escalation_node_not_negative")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["supervision_case.id"],
            name=op.f("fk_case_escalation_case_id_supervision_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_escalation")),
        sa.UniqueConstraint("case_id", "node", "step", name="uq_case_escalation_case_id_node_step"),
    )
    op.create_index("ix_case_escalation_step_at", "case_escalation", ["step", "at"], unique=False)
    op.create_table(
        "case_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        _one_of("case_history", "action", ACTIONS),
        _one_of("case_history", "from_state", STATES),
        _one_of("case_history", "to_state", STATES),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_case_history_seq_positive")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["supervision_case.id"],
            name=op.f("fk_case_history_case_id_supervision_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_history")),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_history_case_id_seq"),
    )
    op.create_index("ix_case_history_action_at", "case_history", ["action", "at"], unique=False)
    op.create_table(
        "case_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("task", sa.String(length=512), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_case_node_seq_positive")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["supervision_case.id"],
            name=op.f("fk_case_node_case_id_supervision_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_node")),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_node_case_id_seq"),
    )
    op.create_table(
        "case_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["supervision_case.id"],
            name=op.f("fk_case_visit_case_id_supervision_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_visit")),
    )
    op.create_index(op.f("ix_case_visit_case_id"), "case_visit", ["case_id"], unique=False)
    op.create_table(
        "case_evidence",
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["history_id"],
            ["case_history.id"],
            name=op.f("fk_case_evidence_history_id_case_history"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["case_file.sha256"], name=op.f("fk_case_evidence_sha256_case_file")
        ),
        sa.PrimaryKeyConstraint("history_id", "position", name=op.f("pk_case_evidence")),
    )
    op.create_index(op.f("ix_case_evidence_sha256"), "case_evidence", ["sha256"], unique=False)
    op.create_table(
        "case_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("node", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("email_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "email_attempts >= 0", name=op.f("ck_case_notification_email_attempts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["supervision_case.id"],
            name=op.f("fk_case_notification_case_id_supervision_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["case_escalation.id"],
            name=op.f("fk_case_notification_escalation_id_case_escalation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_case_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notification")),
    )
    op.create_index(op.f("ix_case_notification_case_id"), "case_notification", ["case_id"], unique=False)
    op.create_index(
        "ix_case_notification_emailed_at_created_at",
        "case_notification",
        ["emailed_at", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_case_notification_escalation_id"), "case_notification", ["escalation_id"], unique=False
    )
    op.create_index(
        "ix_case_notification_user_id_read_at", "case_notification", ["user_id", "read_at"], unique=False
    )
    # Where notifications are e-mailed (nullable: not every user gets e-mail).
    # Not in batch mode: SQLite adds and drops a plain column in place, and a batch copy of the table
    # would lose its expression index uq_user_account_username_lower (migration 0008).
    op.add_column("user_account", sa.Column("email", sa.String(254), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_column("user_account", "email")
