"""Hourly values by month: a version per site and month kept by triggers, and columnar blocks.

``measurement_month`` gets one row per (site, interval ``1h``, UTC month) that has values, with a
``version`` the database itself moves on whenever such a row is inserted, changed or deleted
(row triggers on SQLite; statement triggers with transition tables on PostgreSQL, where
``measurement`` is partitioned), so no writer can forget it.  ``hourly_block`` holds the blocks
built from those months (:mod:`ecowatch.store.blocks`).  Existing months are listed with no
blocks yet; the scheduler (or ``ecowatch db load``) builds them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Only hourly values have blocks; the gateway's real-time and minute rows do not pay for triggers.
HOURLY = "1h"

SQLITE_MONTH = "substr({row}.time, 1, 7) || '-01'"  # times are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC

SQLITE_BUMP = f"""
INSERT INTO measurement_month (site_id, interval, month, version)
SELECT {{row}}.site_id, {{row}}.interval, {{month}}, 1 WHERE {{row}}.interval = '{HOURLY}'
ON CONFLICT (site_id, interval, month) DO UPDATE SET version = measurement_month.version + 1;
"""

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION measurement_month_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO measurement_month AS known (site_id, interval, month, version)
    SELECT DISTINCT site_id, interval, date_trunc('month', time AT TIME ZONE 'UTC')::date, 1
    FROM changed_rows WHERE interval = '{HOURLY}'
    ORDER BY 1, 2, 3  -- rows locked in key order, as the block builder does: no deadlock between them
    ON CONFLICT (site_id, interval, month) DO UPDATE SET version = known.version + 1;
    RETURN NULL;
END $$
"""

#: PostgreSQL allows a transition table on a trigger of one event only, hence one trigger each.
POSTGRESQL_EVENTS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}


def upgrade() -> None:
    op.create_table(
        "measurement_month",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("built_version", sa.Integer(), nullable=True),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("other_rows", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("site_id", "interval", "month", name=op.f("pk_measurement_month")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_measurement_month_site_id_site")),
    )
    op.create_table(
        "hourly_block",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("pollutant", sa.String(16), nullable=False),
        sa.Column("hourly_values", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "interval", "month", "pollutant", name=op.f("pk_hourly_block")),
        sa.ForeignKeyConstraint(
            ["site_id", "interval", "month"],
            ["measurement_month.site_id", "measurement_month.interval", "measurement_month.month"],
            name=op.f("fk_hourly_block_site_id_measurement_month"),
            ondelete="CASCADE",
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for event, row in POSTGRESQL_EVENTS.items():
            op.execute(
                f"CREATE TRIGGER measurement_month_{event} AFTER {event.upper()} ON measurement "
                f"REFERENCING {row} TABLE AS changed_rows FOR EACH STATEMENT "
                "EXECUTE FUNCTION measurement_month_bump()"
            )
        month = "date_trunc('month', time AT TIME ZONE 'UTC')::date"
    else:
        for event, rows in {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}.items():
            body = "".join(SQLITE_BUMP.format(row=row, month=SQLITE_MONTH.format(row=row)) for row in rows)
            when = " OR ".join(f"{row}.interval = '{HOURLY}'" for row in rows)
            op.execute(
                f"CREATE TRIGGER measurement_month_{event} AFTER {event.upper()} ON measurement "
                f"FOR EACH ROW WHEN {when} BEGIN {body} END"
            )
        month = SQLITE_MONTH.format(row="measurement")
    op.execute(
        f"INSERT INTO measurement_month (site_id, interval, month, version) "
        f"SELECT DISTINCT site_id, interval, {month}, 1 FROM measurement WHERE interval = '{HOURLY}'"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in POSTGRESQL_EVENTS:
            op.execute(f"DROP TRIGGER measurement_month_{event} ON measurement")
        op.execute("DROP FUNCTION measurement_month_bump()")
    else:
        for event in POSTGRESQL_EVENTS:
            op.execute(f"DROP TRIGGER measurement_month_{event}")
    op.drop_table("hourly_block")
    op.drop_table("measurement_month")
