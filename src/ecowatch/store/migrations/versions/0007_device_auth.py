"""Fast device credential checks (issue 14): ``device.password_check``, a keyed hash of the password.

The Argon2 hash (``password_hash``) stays the authority.  Beside it, each device row gets
``password_check``: HMAC-SHA256 of (MN, password) under a key derived from the platform's master key
(:func:`ecowatch.store.devices.password_check`).  Checking it costs about a microsecond, so a gateway
answers a device's first frame after a restart at once, instead of after one Argon2 check (0.45 s,
on one thread) per device.

The column cannot be filled here: the migration sees Argon2 hashes, never passwords.  It is filled
when a password is set or changed (``ecowatch devices add/import``) and, for devices registered
before this revision, by the gateway after the device's first successful Argon2 check.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("password_check", sa.String(96), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.drop_column("password_check")
