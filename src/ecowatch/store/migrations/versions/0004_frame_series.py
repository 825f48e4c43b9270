"""Real-time and minute values stay in their frames: ``hj212_frame`` keeps each frame's data area as
text (``cp``, parsed on reading) instead of its values as JSON, an index by site, CN and time
replaces the one by site, the gateway's ``rtd``/``min`` rows leave ``measurement``, and a frame's
``digest`` leads with its DataTime (:func:`ecowatch.store.frames.frame_key`).

They are read from ``hj212_frame`` (:func:`ecowatch.store.frames.frame_measurements`), one row per
frame instead of one per value; the rows removed here came from frames that stay in
``hj212_frame``, so nothing is lost.  The new index leads with ``site_id``, so it also serves the
foreign key.  ``cp`` of the frames already kept is cut from ``raw``; an SM4 frame's ``raw`` is
ciphertext, so its ``cp`` is written from its values (``DataTime`` and the codes; the data areas of
SM4 data frames hold nothing else the gateway kept).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FRAME_INTERVALS = ("rtd", "min")
GATEWAY_SOURCE = "hj212"
#: ecowatch.store.frames.frame_key of a frame kept before: its DataTime (14 characters, else zeros) and
#: the first 50 hex digits of the SHA-256 the digest was.
KEY_FROM_SHA256 = (
    "(CASE WHEN length(data_time) = 14 THEN data_time ELSE '00000000000000' END) || substr(digest, 1, 50)"
)


def _render(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def cp_of(raw: str, values, data_time: str | None) -> str:
    """The data area of a kept frame: cut from the frame, or for SM4 ciphertext written from its values."""
    start = raw.find("CP=&&")
    if start >= 0 and raw[start + 5 : start + 8] not in ("{0x", "{0X"):
        return raw[start + 5 : raw.rfind("&&")]
    if isinstance(values, str):
        values = json.loads(values)
    groups = [f"DataTime={data_time}"] if data_time is not None else []
    groups += [
        ",".join(f"{code}-{suffix}={_render(value)}" for suffix, value in suffixes.items())
        for code, suffixes in (values or {}).items()
    ]
    return ";".join(groups)


def upgrade() -> None:
    op.create_index("ix_hj212_frame_site_cn_time", "hj212_frame", ["site_id", "cn", "data_time_utc"])
    op.drop_index("ix_hj212_frame_site_id", table_name="hj212_frame")
    op.add_column("hj212_frame", sa.Column("cp", sa.Text(), nullable=True))
    connection = op.get_bind()
    frame = sa.table(
        "hj212_frame",
        sa.column("id", sa.Integer),
        sa.column("raw", sa.Text),
        sa.column("values", sa.JSON),
        sa.column("data_time", sa.String),
        sa.column("cp", sa.Text),
    )
    rows = connection.execute(sa.select(frame.c.id, frame.c.raw, frame.c["values"], frame.c.data_time)).all()
    if rows:
        connection.execute(
            frame.update().where(frame.c.id == sa.bindparam("frame_id")).values(cp=sa.bindparam("text")),
            [{"frame_id": row.id, "text": cp_of(row.raw, row[2], row.data_time)} for row in rows],
        )
    with op.batch_alter_table("hj212_frame") as batch:
        batch.alter_column("cp", existing_type=sa.Text(), nullable=False)
        batch.drop_column("values")
    op.execute(f"UPDATE hj212_frame SET digest = {KEY_FROM_SHA256}")
    measurement = sa.table("measurement", sa.column("interval", sa.String), sa.column("source", sa.String))
    op.execute(
        measurement.delete().where(
            measurement.c.interval.in_(FRAME_INTERVALS), measurement.c.source == GATEWAY_SOURCE
        )
    )


def downgrade() -> None:
    # The removed measurement rows are not written back: the frames still hold them. The digests keep
    # their 50 hex digits of SHA-256 (unique as before), padded; a frame re-sent after the downgrade
    # would not match its old row.
    op.execute("UPDATE hj212_frame SET digest = substr(digest, 15) || '00000000000000'")
    from ecowatch.hj212 import parse_cp

    op.add_column("hj212_frame", sa.Column("values", sa.JSON(), nullable=True))
    connection = op.get_bind()
    frame = sa.table(
        "hj212_frame", sa.column("id", sa.Integer), sa.column("cp", sa.Text), sa.column("values", sa.JSON)
    )
    rows = connection.execute(sa.select(frame.c.id, frame.c.cp)).all()
    if rows:
        connection.execute(
            frame.update()
            .where(frame.c.id == sa.bindparam("frame_id"))
            .values({"values": sa.bindparam("codes")}),
            [
                {
                    "frame_id": row.id,
                    "codes": {code: dict(suffixes) for code, suffixes in parse_cp(row.cp).codes.items()},
                }
                for row in rows
            ],
        )
    with op.batch_alter_table("hj212_frame") as batch:
        batch.alter_column("values", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("cp")
    op.create_index("ix_hj212_frame_site_id", "hj212_frame", ["site_id"])
    op.drop_index("ix_hj212_frame_site_cn_time", table_name="hj212_frame")
