"""The HJ 212 -> measurement mapping is pure (no database), and one upsert writes every value (issue 13)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy import select

import ecowatch.store.hj212_values as hj212_values
from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import session_factory
from ecowatch.store.hj212_values import KeptFrame, measurement_rows
from ecowatch.store.measurements import MEASUREMENT_COLUMNS, upsert_measurements
from ecowatch.store.models import Measurement
from ecowatch.store.sites import sites_from_registry

RECEIVED = dt.datetime(2026, 3, 1, 2, 5, tzinfo=dt.UTC)


def test_the_mapping_module_imports_no_database_code():
    tree = ast.parse(Path(hj212_values.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "ecowatch.hj212" in imported
    assert not {name for name in imported if name.startswith(("sqlalchemy", "ecowatch.store"))}


def test_an_hour_frame_becomes_rows_in_utc_with_2005_codes_renamed():
    """HJ/T 212-2005 hour data of 2026-03-01 10:00 Beijing time: SO2 (2005 code 02, 2017 a21026) 12.5
    mg/m³ and its converted value; a flag of D (fault) on every row of the code."""
    frame = KeptFrame(
        "d",
        "MN",
        "q",
        "31",
        2061,
        5,
        "2005",
        None,
        None,
        "20260301100000",
        "DataTime=20260301100000;02-Avg=12.5,02-ZsAvg=20.1,02-Max=14,02-Flag=D",
        "",
        "",
        RECEIVED,
        7,
    )
    assert measurement_rows(frame) == [
        (7, "1h", dt.datetime(2026, 3, 1, 2, 0), "a21026", 12.5, "D", None, "hj212"),
        (7, "1h", dt.datetime(2026, 3, 1, 2, 0), "a21026-ZsAvg", 20.1, "D", None, "hj212"),
    ]


def test_importer_and_gateway_rows_go_through_one_upsert(engine):
    """Rows loaded as an importer's frame, then the same key sent as a gateway's tuples: equal values
    change nothing, a new value replaces the stored one (on SQLite and PostgreSQL alike)."""
    with session_factory(engine).begin() as session:
        site = sites_from_registry(session=session, registry=StationRegistry.default(), actor="test")["1001A"]
        hour = dt.datetime(2016, 3, 1, 0, 0)
        loaded = pl.DataFrame(
            [(site.id, "1h", hour, "PM2.5", 75.0, None, None, "beijing_prsa")],
            schema=list(MEASUREMENT_COLUMNS),
            orient="row",
        )
        assert upsert_measurements(session=session, rows=loaded) == {site.id: 1}
        same = [(site.id, "1h", hour, "PM2.5", 75.0, None, None, "beijing_prsa")]
        assert sum(upsert_measurements(session=session, rows=same).values()) == 0
        changed = [(site.id, "1h", hour, "PM2.5", 80.0, None, None, "hj212")]
        assert upsert_measurements(session=session, rows=changed) == {site.id: 1}
        twice = [
            (site.id, "1h", hour, "PM2.5", 80.5, None, None, "hj212"),
            (site.id, "1h", hour, "PM2.5", 81.0, "N", None, "hj212"),  # a key twice: the last wins
        ]
        upsert_measurements(session=session, rows=twice)
    with session_factory(engine)() as session:
        stored = session.execute(
            select(Measurement.value, Measurement.flag, Measurement.source).where(
                Measurement.site_id == site.id
            )
        ).all()
    assert [tuple(row) for row in stored] == [(81.0, "N", "hj212")]
