"""Users (issue 14): tokens revoked by disabling a user; user names unique regardless of case.

- ``user_account.token_version`` (0): raised when a user is disabled.  Tokens carry it through the
  password fingerprint (:func:`ecowatch.store.users.password_fingerprint`), so the tokens issued
  before stay invalid when the user is enabled again.  Tokens of version 0 keep the fingerprint
  they had: nobody is signed out by this upgrade.
- A unique index on ``lower(username)``: ``ADMIN`` can no longer be created beside ``admin``, and
  sign-in finds a user whatever the case typed.

Names that already differ only by case: the oldest row (lowest id) keeps its name; each other one is
renamed ``<name>.<id>`` (cut to fit 64 characters), disabled and its tokens revoked, with an audit
entry (actor ``migration:0008``) naming the old and new names, for an admin to sort out.  The
downgrade drops the index and the column; renamed users keep their new names.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USERS = sa.table(
    "user_account",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("token_version", sa.Integer),
)
AUDIT = sa.table(
    "audit_entry",
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("detail", sa.JSON),
)
#: Width of ``user_account.username``.
NAME_WIDTH = 64


def _free_name(name: str, user_id: int, taken: set[str]) -> str:
    """``<name>.<id>``, cut to fit, made unique (case folded) against ``taken``."""
    suffix = f".{user_id}"
    candidate = name[: NAME_WIDTH - len(suffix)] + suffix
    extra = 1
    while candidate.lower() in taken:
        suffix = f".{user_id}-{extra}"
        candidate = name[: NAME_WIDTH - len(suffix)] + suffix
        extra += 1
    return candidate


def _rename_case_duplicates(connection: sa.Connection) -> None:
    rows = connection.execute(sa.select(USERS.c.id, USERS.c.username).order_by(USERS.c.id)).all()
    taken = {row.username.lower() for row in rows}
    first: dict[str, str] = {}
    now = dt.datetime.now(dt.UTC)
    for row in rows:
        key = row.username.lower()
        if key not in first:
            first[key] = row.username
            continue
        new_name = _free_name(row.username, row.id, taken)
        taken.add(new_name.lower())
        connection.execute(
            USERS.update()
            .where(USERS.c.id == row.id)
            .values(username=new_name, active=False, token_version=USERS.c.token_version + 1)
        )
        connection.execute(
            AUDIT.insert().values(
                at=now,
                actor="migration:0008",
                action="rename",
                entity="user",
                entity_id=new_name,
                detail={
                    "from": row.username,
                    "to": new_name,
                    "active": False,
                    "reason": f"user names are unique regardless of case: {first[key]!r} came first",
                },
            )
        )


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
    _rename_case_duplicates(op.get_bind())
    op.create_index(
        "uq_user_account_username_lower", "user_account", [sa.text("lower(username)")], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_user_account_username_lower", table_name="user_account")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("token_version")
