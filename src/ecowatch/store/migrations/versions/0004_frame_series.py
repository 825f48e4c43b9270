"""Real-time and minute values stay in their frames: an index by site, CN and time replaces the
one by site, and the gateway's ``rtd``/``min`` rows leave ``measurement``.

They are read from ``hj212_frame`` (:func:`ecowatch.store.frames.frame_measurements`), one row per
frame instead of one per value; the rows removed here came from frames that stay in
``hj212_frame``, so nothing is lost.  The new index leads with ``site_id``, so it also serves the
foreign key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FRAME_INTERVALS = ("rtd", "min")
GATEWAY_SOURCE = "hj212"


def upgrade() -> None:
    op.create_index("ix_hj212_frame_site_cn_time", "hj212_frame", ["site_id", "cn", "data_time_utc"])
    op.drop_index("ix_hj212_frame_site_id", table_name="hj212_frame")
    measurement = sa.table("measurement", sa.column("interval", sa.String), sa.column("source", sa.String))
    op.execute(measurement.delete().where(measurement.c.interval.in_(FRAME_INTERVALS),
                                          measurement.c.source == GATEWAY_SOURCE))


def downgrade() -> None:
    # The removed rows are not written back: the frames still hold them.
    op.create_index("ix_hj212_frame_site_id", "hj212_frame", ["site_id"])
    op.drop_index("ix_hj212_frame_site_cn_time", table_name="hj212_frame")
