"""Surface water (issue 15): the section registry and its samples (:mod:`ecowatch.water.models`).

``water_section``: one row per monitoring section (registry code, name, province and city as GB/T 2260
codes of ``region``, basin, river, river or lake and how that was decided, coordinates, target class);
``water_section`` is filled from the packaged registry by ``ecowatch db load --format cnemc-water``
and ``ecowatch water sections``, not here. ``water_sample``: one row per section and time (UTC), the
parameter values as JSON, the published class beside ours.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the closed sets of ecowatch.water as of this revision.
WATERBODIES = ("river", "lake")
BASES = ("classes", "name", "default", "user")
STATUSES = ("normal", "maintenance", "fault", "stopped", "inoperable", "commissioning")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table(
        "water_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("province_code", sa.String(12), nullable=False),
        sa.Column("city_code", sa.String(12), nullable=True),
        sa.Column("basin", sa.String(32), nullable=False),
        sa.Column("river", sa.String(64), nullable=True),
        sa.Column("waterbody", sa.String(8), nullable=False),
        sa.Column("waterbody_basis", sa.String(8), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("target_class", sa.SmallInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_section")),
        sa.UniqueConstraint("code", name=op.f("uq_water_section_code")),
        sa.ForeignKeyConstraint(
            ["province_code"], ["region.code"], name=op.f("fk_water_section_province_code_region")
        ),
        sa.ForeignKeyConstraint(
            ["city_code"], ["region.code"], name=op.f("fk_water_section_city_code_region")
        ),
        _one_of("water_section", "waterbody", WATERBODIES),
        _one_of("water_section", "waterbody_basis", BASES),
        sa.CheckConstraint("lon BETWEEN -180 AND 180", name=op.f("ck_water_section_lon_range")),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name=op.f("ck_water_section_lat_range")),
        sa.CheckConstraint("target_class BETWEEN 1 AND 6", name=op.f("ck_water_section_target_class_range")),
    )
    op.create_index(op.f("ix_water_section_province_code"), "water_section", ["province_code"])
    op.create_index(op.f("ix_water_section_city_code"), "water_section", ["city_code"])
    op.create_table(
        "water_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("below", sa.JSON(), nullable=False),
        sa.Column("published_class", sa.SmallInteger(), nullable=True),
        sa.Column("our_class", sa.SmallInteger(), nullable=True),
        sa.Column("differs", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_sample")),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["water_section.id"],
            ondelete="CASCADE",
            name=op.f("fk_water_sample_section_id_water_section"),
        ),
        _one_of("water_sample", "status", STATUSES),
        sa.CheckConstraint(
            "published_class BETWEEN 1 AND 6", name=op.f("ck_water_sample_published_class_range")
        ),
        sa.CheckConstraint("our_class BETWEEN 1 AND 6", name=op.f("ck_water_sample_our_class_range")),
    )
    op.create_index("uq_water_sample_section_time", "water_sample", ["section_id", "time"], unique=True)
    op.create_index("ix_water_sample_time", "water_sample", ["time"])


def downgrade() -> None:
    op.drop_index("ix_water_sample_time", table_name="water_sample")
    op.drop_index("uq_water_sample_section_time", table_name="water_sample")
    op.drop_table("water_sample")
    op.drop_index(op.f("ix_water_section_city_code"), table_name="water_section")
    op.drop_index(op.f("ix_water_section_province_code"), table_name="water_section")
    op.drop_table("water_section")
