"""HJ 212 gateway: sealed SM4 device keys, kept frames, quarantine, journal checkpoints.

Adds tables only; nothing existing changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "device_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("retired_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_key")),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_device_key_device_id_device")),
        sa.UniqueConstraint("device_id", "version", name=op.f("uq_device_key_version")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_device_key_version_positive")),
    )
    op.create_index(op.f("ix_device_key_device_id"), "device_key", ["device_id"])

    op.create_table(
        "hj212_frame",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("mn", sa.String(64), nullable=False),
        sa.Column("qn", sa.String(32), nullable=True),
        sa.Column("st", sa.String(8), nullable=False),
        sa.Column("cn", sa.String(4), nullable=False),
        sa.Column("flag", sa.Integer(), nullable=True),
        sa.Column("version", sa.String(4), nullable=False),
        sa.Column("pnum", sa.Integer(), nullable=True),
        sa.Column("pno", sa.Integer(), nullable=True),
        sa.Column("data_time", sa.String(32), nullable=True),
        sa.Column("data_time_utc", UTC_TIME, nullable=True),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hj212_frame")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_hj212_frame_site_id_site")),
        sa.UniqueConstraint("digest", name=op.f("uq_hj212_frame_digest")),
    )
    op.create_index("ix_hj212_frame_mn_received", "hj212_frame", ["mn", "received_at"])
    op.create_index(op.f("ix_hj212_frame_site_id"), "hj212_frame", ["site_id"])

    op.create_table(
        "hj212_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("mn", sa.String(64), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("first_seen", UTC_TIME, nullable=False),
        sa.Column("last_seen", UTC_TIME, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hj212_quarantine")),
        sa.UniqueConstraint("digest", "reason", name=op.f("uq_hj212_quarantine_key")),
        sa.CheckConstraint("count >= 1", name=op.f("ck_hj212_quarantine_count_positive")),
    )
    op.create_index(op.f("ix_hj212_quarantine_mn"), "hj212_quarantine", ["mn"])

    op.create_table(
        "gateway_checkpoint",
        sa.Column("journal_id", sa.String(64), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("journal_id", name=op.f("pk_gateway_checkpoint")),
    )


def downgrade() -> None:
    op.drop_table("gateway_checkpoint")
    op.drop_table("hj212_quarantine")
    op.drop_table("hj212_frame")
    op.drop_table("device_key")
