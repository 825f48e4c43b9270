"""The gateway's store under attack (issue 14) and the store that owns its journal (issue 13).

- ``ix_hj212_quarantine_last_seen``: the quarantine's retention deletes by ``last_seen``
  (:func:`ecowatch.store.frames.prune_quarantine`, a scheduler job).
- ``hj212_frame.review``: why a frame is kept for review rather than as data: the same QN and DataTime
  as an earlier frame of the device, with other values (both are kept; the first stays the data).
  ``ix_hj212_frame_mn_qn`` finds those earlier frames.
- ``store_identity``: one row, a random id made here.  A gateway journal records the id of the store
  it belongs to and refuses to be replayed into another (:mod:`ecowatch.gateway.journal`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_hj212_quarantine_last_seen", "hj212_quarantine", ["last_seen"])
    with op.batch_alter_table("hj212_frame") as batch:
        batch.add_column(sa.Column("review", sa.String(255), nullable=True))
    op.create_index("ix_hj212_frame_mn_qn", "hj212_frame", ["mn", "qn"])
    identity = op.create_table(
        "store_identity",
        sa.Column("store_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_identity")),
    )
    op.bulk_insert(identity, [{"store_id": uuid.uuid4().hex, "created_at": dt.datetime.now(dt.UTC)}])


def downgrade() -> None:
    op.drop_table("store_identity")
    op.drop_index("ix_hj212_frame_mn_qn", table_name="hj212_frame")
    with op.batch_alter_table("hj212_frame") as batch:
        batch.drop_column("review")
    op.drop_index("ix_hj212_quarantine_last_seen", table_name="hj212_quarantine")
