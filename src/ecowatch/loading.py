"""Loading monitoring files into the store (what ``ecowatch db load`` does): the importers read, the
store writes. A service above both, so that neither imports the other."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from ecowatch.importers import Format, ImportResult, read
from ecowatch.shapes.stations import StationRegistry
from ecowatch.store.blocks import build_hourly_blocks
from ecowatch.store.db import session_factory
from ecowatch.store.measurements import utc_days, write_measurements
from ecowatch.store.migrate import open_engine
from ecowatch.store.partitions import ensure_month_partitions
from ecowatch.store.sites import sites_from_registry, sites_from_stations

__all__ = ["LoadSummary", "load_files"]


@dataclass(frozen=True)
class LoadSummary:
    """What a load did, and how long each step took [s]."""

    files: int
    values: int
    invalid: int
    stations: int
    written: int
    """Rows inserted or changed (0 when the same data were loaded before)."""
    issues: int
    read_seconds: float
    write_seconds: float


def load_files(
    *,
    url: str,
    path: str | os.PathLike[str],
    format: Format,
    actor: str,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    lenient: bool = False,
    progress: bool = False,
    imported: ImportResult | None = None,
) -> LoadSummary:
    """Read ``path`` with the importer of ``format``, then store its stations and values in one transaction.

    The database at ``url`` must have the latest schema (:func:`open_engine`).  ``imported``: what
    reading ``path`` with ``format`` gave already (the demo reads the files once, for its printed
    figures and for the store); then nothing is read again and ``read_seconds`` is 0.
    The default station registry is stored (or updated) first, then any ad-hoc station of the
    file; the values are upserted (:func:`~ecowatch.store.measurements.write_measurements`, as a bulk
    load: months that held nothing are written and their hourly blocks built from the file's frame),
    then the hourly blocks of the other months that changed are built (:mod:`ecowatch.store.blocks`),
    part of the write time.
    """
    engine = open_engine(url)
    try:
        return _load(engine, path, format, actor, first_day, last_day, lenient, progress, imported)
    finally:
        engine.dispose()


def _load(
    engine: Engine,
    path,
    format: Format,
    actor: str,
    first_day: dt.date | None,
    last_day: dt.date | None,
    lenient: bool,
    progress: bool,
    imported: ImportResult | None = None,
) -> LoadSummary:
    started = time.perf_counter()
    registry = StationRegistry.default()
    read_seconds = 0.0
    if imported is None:
        imported = read(
            path, format, registry, lenient=lenient, date_from=first_day, date_to=last_day, progress=progress
        )
        read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    span = utc_days(imported.measurements)
    if span is not None:  # DDL in a short transaction of its own (see ensure_month_partitions)
        with session_factory(engine).begin() as session:
            ensure_month_partitions(session, *span, only_stranded=True)  # the empty months are attached full
    with session_factory(engine).begin() as session:
        sites = sites_from_registry(session=session, registry=registry, actor=actor)
        ad_hoc = [s for s in imported.stations if s.code not in sites]
        if ad_hoc:
            sites |= sites_from_stations(session=session, stations=ad_hoc, actor=actor)
        written = write_measurements(
            session=session, frame=imported.measurements, source=format, actor=actor, sites=sites, bulk=True
        )
    build_hourly_blocks(engine, progress=progress)
    frame = imported.measurements
    return LoadSummary(
        files=len(imported.sources),
        values=frame.height,
        invalid=frame.height - frame["invalid_reason"].null_count(),
        stations=len(imported.stations),
        written=written,
        issues=len(imported.issues),
        read_seconds=read_seconds,
        write_seconds=time.perf_counter() - started,
    )
