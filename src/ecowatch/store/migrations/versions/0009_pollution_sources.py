"""The pollution-source registry (issue 13): an enterprise's industry and key-unit lists, and per
outlet its permit class and permitted limits per pollutant (:mod:`ecowatch.sources`).

Enterprises and outlets stay in ``enterprise`` and ``site`` (kind ``outlet``), where users,
devices and measurements already point; this adds ``enterprise.industry`` and the tables
``enterprise_key_list``, ``outlet`` and ``permit_limit``.  Outlets registered before (the demo's)
keep working with no ``outlet`` row: their class is unknown until someone edits them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of ecowatch.sources.models.KeyList and OutletKind as of this revision.
KEY_LISTS = ("water", "groundwater", "air", "noise", "soil", "risk", "carbon")
OUTLET_KINDS = ("main", "general", "special")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    with op.batch_alter_table("enterprise") as batch:
        batch.add_column(sa.Column("industry", sa.String(8), nullable=True))
    op.create_table(
        "enterprise_key_list",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("list", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "list", name=op.f("pk_enterprise_key_list")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            ondelete="CASCADE",
            name=op.f("fk_enterprise_key_list_enterprise_id_enterprise"),
        ),
        _one_of("enterprise_key_list", "list", KEY_LISTS),
    )
    op.create_table(
        "outlet",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_outlet")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], ondelete="CASCADE", name=op.f("fk_outlet_site_id_site")
        ),
        _one_of("outlet", "kind", OUTLET_KINDS),
    )
    op.create_table(
        "permit_limit",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("pollutant", sa.String(16), nullable=False),
        sa.Column("upper_limit", sa.Float(), nullable=False),
        sa.Column("lower_limit", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("reference_oxygen_pct", sa.Float(), nullable=True),
        sa.Column("standard", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("site_id", "pollutant", name=op.f("pk_permit_limit")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], ondelete="CASCADE", name=op.f("fk_permit_limit_site_id_site")
        ),
        sa.CheckConstraint("upper_limit >= 0", name=op.f("ck_permit_limit_upper_not_negative")),
        sa.CheckConstraint(
            "lower_limit IS NULL OR lower_limit < upper_limit", name=op.f("ck_permit_limit_lower_below_upper")
        ),
        sa.CheckConstraint(
            "reference_oxygen_pct IS NULL OR (reference_oxygen_pct >= 0 AND reference_oxygen_pct < 21)",
            name=op.f("ck_permit_limit_reference_oxygen_range"),
        ),
    )


def downgrade() -> None:
    op.drop_table("permit_limit")
    op.drop_table("outlet")
    op.drop_table("enterprise_key_list")
    with op.batch_alter_table("enterprise") as batch:
        batch.drop_column("industry")
