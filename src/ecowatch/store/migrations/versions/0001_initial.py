"""Initial schema: regions, enterprises, sites, devices, measurements, figure cache, users, audit.

On PostgreSQL ``measurement`` is partitioned by range of ``time`` (monthly partitions are made
by :func:`ecowatch.store.partitions.ensure_month_partitions`); its default partition is created
here so that no row is rejected before any month exists.  On SQLite it is a plain table
(``WITHOUT ROWID``: the primary key is the table's order).

Revision ID: 0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values allowed by the CHECK constraints, frozen as of this revision.
REGION_LEVELS = ("province", "city", "county")
SITE_KINDS = ("air_station", "water_section", "outlet")
SITE_CATEGORIES = (
    "urban",
    "suburban",
    "control_background",
    "regional_transport",
    "traffic",
    "unregistered",
    "national",
    "provincial",
    "municipal",
    "waste_gas",
    "waste_water",
)
PROTOCOL_VERSIONS = ("2005", "2017", "2025")
ROLES = ("admin", "province", "city", "county", "enterprise")


def one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.ForeignKeyConstraint(["parent_id"], ["region.id"], name=op.f("fk_region_parent_id_region")),
        sa.UniqueConstraint("code", name=op.f("uq_region_code")),
        one_of("region", "level", REGION_LEVELS),
        ck(
            "region",
            "root_is_province",
            "(level = 'province' AND parent_id IS NULL) OR (level <> 'province' AND parent_id IS NOT NULL)",
        ),
    )
    op.create_index(op.f("ix_region_parent_id"), "region", ["parent_id"])

    op.create_table(
        "enterprise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(18), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_enterprise_region_id_region")),
        sa.UniqueConstraint("code", name=op.f("uq_enterprise_code")),
        ck("enterprise", "code_length", "length(code) = 18"),
    )
    op.create_index(op.f("ix_enterprise_region_id"), "enterprise", ["region_id"])

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_en", sa.String(128), nullable=False),
        sa.Column("full_name", sa.String(128), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(64), server_default="Asia/Shanghai", nullable=False),
        sa.Column("data_version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_site_region_id_region")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_site_enterprise_id_enterprise")
        ),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
        one_of("site", "kind", SITE_KINDS),
        one_of("site", "category", SITE_CATEGORIES),
        ck(
            "site",
            "outlet_has_enterprise",
            "(kind = 'outlet' AND enterprise_id IS NOT NULL) OR (kind <> 'outlet' AND enterprise_id IS NULL)",
        ),
        ck("site", "lon_range", "lon BETWEEN -180 AND 180"),
        ck("site", "lat_range", "lat BETWEEN -90 AND 90"),
        ck("site", "data_version_not_negative", "data_version >= 0"),
    )
    op.create_index(op.f("ix_site_region_id"), "site", ["region_id"])
    op.create_index(op.f("ix_site_enterprise_id"), "site", ["enterprise_id"])

    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("protocol_version", sa.String(4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_device_site_id_site")),
        sa.UniqueConstraint("mn", name=op.f("uq_device_mn")),
        one_of("device", "protocol_version", PROTOCOL_VERSIONS),
    )
    op.create_index(op.f("ix_device_site_id"), "device", ["site_id"])

    op.create_table(
        "measurement",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pollutant", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("flag", sa.String(8), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "interval", "time", "pollutant", name=op.f("pk_measurement")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_measurement_site_id_site")),
        # Dialect options: each backend reads its own and ignores the other's.
        postgresql_partition_by="RANGE (time)",
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TABLE IF NOT EXISTS measurement_default PARTITION OF measurement DEFAULT")

    op.create_table(
        "figure_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("standard", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("inputs_version", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_cache")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_figure_cache_site_id_site")),
        sa.UniqueConstraint(
            "site_id", "kind", "period_start", "period_end", "standard", name=op.f("uq_figure_cache_key")
        ),
        ck("figure_cache", "period_order", "period_start <= period_end"),
    )

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_user_account_region_id_region")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_user_account_enterprise_id_enterprise")
        ),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
        one_of("user_account", "role", ROLES),
        ck(
            "user_account",
            "role_scope",
            "(role = 'admin' AND region_id IS NULL AND enterprise_id IS NULL)"
            " OR (role IN ('province', 'city', 'county') AND region_id IS NOT NULL AND enterprise_id IS NULL)"
            " OR (role = 'enterprise' AND enterprise_id IS NOT NULL)",
        ),
    )

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"])
    op.create_index("ix_audit_entry_entity", "audit_entry", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_table("audit_entry")
    op.drop_table("user_account")
    op.drop_table("figure_cache")
    # On PostgreSQL dropping the parent drops every partition with it.
    op.drop_table("measurement")
    op.drop_table("device")
    op.drop_table("site")
    op.drop_table("enterprise")
    op.drop_table("region")
