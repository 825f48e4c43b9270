"""The national administrative divisions in the store's ``region`` table (issue 16 "Regions").

Migration 0010 puts the packaged GB/T 2260 list (:func:`ecowatch.shapes.regions.load_divisions`)
into every store; ``ecowatch db regions load FILE.csv`` loads a later year's list over it with the
same function, :func:`merge_divisions`:

- codes not in the store are added (parents first, one bulk insert per level);
- a code already there takes the list's name, parent and centroid;
- nothing is deleted: a division the new list no longer has keeps its row (sites, users, cases and
  enterprises may hang on it) and is counted in :attr:`MergeResult.kept`;
- a code whose level differs from the store's is refused (:class:`StoreError` naming it), and so is
  the whole list: the caller's transaction writes nothing.

It works on a SQLAlchemy :class:`~sqlalchemy.engine.Connection` with a frozen copy of the table's
columns, so the migration does not depend on the ORM model of a later revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ecowatch.shapes.regions import LEVELS, Division
from ecowatch.store.errors import StoreError

__all__ = ["MergeResult", "merge_divisions"]

# The columns of ``region`` this module writes, as of revision 0010.
_REGION = sa.table(
    "region",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("level", sa.String),
    sa.column("parent_id", sa.Integer),
    sa.column("lon", sa.Float),
    sa.column("lat", sa.Float),
)


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What :func:`merge_divisions` did: codes added, codes whose name, parent or centroid changed,
    codes already as listed, and codes in the store but not in the list (kept)."""

    added: int
    updated: int
    unchanged: int
    kept: int


def merge_divisions(connection: Connection, divisions: Sequence[Division]) -> MergeResult:
    """Add and update ``divisions`` in the ``region`` table (see the module docstring).

    ``divisions`` must list parents before children (as :func:`~ecowatch.shapes.regions.load_divisions`
    checks).  Runs in the caller's transaction.
    """
    rows = connection.execute(
        sa.select(
            _REGION.c.id,
            _REGION.c.code,
            _REGION.c.name,
            _REGION.c.level,
            _REGION.c.parent_id,
            _REGION.c.lon,
            _REGION.c.lat,
        )
    ).all()
    existing = {row.code: row for row in rows}
    for division in divisions:
        row = existing.get(division.code)
        if row is not None and row.level != division.level:
            raise StoreError(
                f"region {division.code} ({row.name}) is a {row.level} in the store, "
                f"but the list has it as a {division.level} ({division.name}): nothing loaded"
            )
    ids = {row.code: row.id for row in rows}
    added = 0
    for level in LEVELS:  # parents first, so that each level's parent ids are known
        new = [
            {
                "code": d.code,
                "name": d.name,
                "level": d.level,
                "parent_id": ids.get(d.parent_code),
                "lon": d.lon,
                "lat": d.lat,
            }
            for d in divisions
            if d.level == level and d.code not in existing
        ]
        if new:
            connection.execute(sa.insert(_REGION), new)
            added += len(new)
            ids.update(
                {
                    code: id_
                    for id_, code in connection.execute(
                        sa.select(_REGION.c.id, _REGION.c.code).where(_REGION.c.level == level)
                    )
                }
            )
    changes = []
    for division in divisions:
        row = existing.get(division.code)
        if row is None:
            continue
        # A list without centroids (the packaged one) keeps those an earlier list gave.
        lon = row.lon if division.lon is None else division.lon
        lat = row.lat if division.lat is None else division.lat
        wanted = (division.name, ids.get(division.parent_code), lon, lat)
        if (row.name, row.parent_id, row.lon, row.lat) != wanted:
            changes.append(
                {
                    "row_id": row.id,
                    "name": wanted[0],
                    "parent_id": wanted[1],
                    "lon": wanted[2],
                    "lat": wanted[3],
                }
            )
    if changes:
        connection.execute(
            sa.update(_REGION)
            .where(_REGION.c.id == sa.bindparam("row_id"))
            .values(
                name=sa.bindparam("name"),
                parent_id=sa.bindparam("parent_id"),
                lon=sa.bindparam("lon"),
                lat=sa.bindparam("lat"),
            ),
            changes,
        )
    listed = {d.code for d in divisions}
    return MergeResult(
        added=added,
        updated=len(changes),
        unchanged=len(existing.keys() & listed) - len(changes),
        kept=len(existing.keys() - listed),
    )
