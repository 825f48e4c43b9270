"""``hj212_frame.cp`` is kept only where ``raw`` does not hold the data area as text (SM4 frames):
for every other frame it was a copy of a third of the row, written twice by SQLite (WAL, then the
database) at 10,000 frames a second.  It is read back with :func:`ecowatch.store.frames.data_area`.

A row's ``cp`` becomes null only where ``raw`` holds exactly that text from its first ``CP=&&`` to
its final ``&&``, the place :func:`~ecowatch.store.frames.data_area` cuts it from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _held_by_raw(position: str) -> str:
    """SQL: ``raw`` holds ``cp`` after its first ``CP=&&`` and then ``&&`` that is the final one
    (``position`` is the dialect's ``instr``/``strpos``)."""
    start = f"{position}(raw, 'CP=&&')"
    return (
        f"{start} > 0 AND substr(raw, {start} + 5, length(cp)) = cp "
        f"AND substr(raw, {start} + 5 + length(cp), 2) = '&&' "
        f"AND {position}(substr(raw, {start} + 6 + length(cp)), '&&') = 0"
    )


def upgrade() -> None:
    with op.batch_alter_table("hj212_frame") as batch:
        batch.alter_column("cp", existing_type=sa.Text(), nullable=True)
    position = "strpos" if op.get_bind().dialect.name == "postgresql" else "instr"
    op.execute(f"UPDATE hj212_frame SET cp = NULL WHERE {_held_by_raw(position)}")


def downgrade() -> None:
    from ecowatch.store.hj212_values import data_area

    connection = op.get_bind()
    frame = sa.table(
        "hj212_frame", sa.column("id", sa.Integer), sa.column("cp", sa.Text), sa.column("raw", sa.Text)
    )
    rows = connection.execute(sa.select(frame.c.id, frame.c.raw).where(frame.c.cp.is_(None))).all()
    if rows:
        connection.execute(
            frame.update().where(frame.c.id == sa.bindparam("frame_id")).values(cp=sa.bindparam("text")),
            [{"frame_id": row.id, "text": data_area(None, row.raw)} for row in rows],
        )
    with op.batch_alter_table("hj212_frame") as batch:
        batch.alter_column("cp", existing_type=sa.Text(), nullable=False)
