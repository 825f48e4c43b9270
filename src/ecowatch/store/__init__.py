"""The store: SQLAlchemy models, Alembic migrations, and the functions that read and write them.

SQLite by default (a file in the data folder), PostgreSQL on the server; the same code and tests
run on both.  Modules:

- :mod:`~ecowatch.store.db` — :func:`database_url`, :func:`make_engine`, :func:`session_factory`
- :mod:`~ecowatch.store.models` — the tables (regions, sites, enterprises, devices, measurements,
  figure cache, users, audit entries)
- :mod:`~ecowatch.store.migrate` — :func:`upgrade` / :func:`downgrade` with the packaged migrations
- :mod:`~ecowatch.store.partitions` — monthly partitions of ``measurement`` on PostgreSQL
- :mod:`~ecowatch.store.sites` — regions and sites (from the station registry)
- :mod:`~ecowatch.store.measurements` — importer frames in and out; ``ImportResult`` from the store
- :mod:`~ecowatch.store.figures` — cached figures, valid while a site's data are unchanged
- :mod:`~ecowatch.store.audit` — one audit entry per write call
- :mod:`~ecowatch.loading` (above the store) — files -> store (``ecowatch db load``)

Write functions take keyword-only arguments, an ``actor``, and work inside the caller's
session; the caller commits (or rolls back: nothing of a failed call remains).
"""

from __future__ import annotations

from ecowatch.store.audit import record
from ecowatch.store.db import database_url, make_engine, session_factory
from ecowatch.store.errors import StoreError
from ecowatch.store.figures import cached_figure, save_figure
from ecowatch.store.measurements import import_result_from_store, read_measurements, write_measurements
from ecowatch.store.migrate import downgrade, upgrade
from ecowatch.store.partitions import ensure_month_partitions
from ecowatch.store.sites import (
    region_subtree,
    sites_from_registry,
    sites_from_stations,
    station_of,
    upsert_region,
)

__all__ = [
    "StoreError",
    "cached_figure",
    "database_url",
    "downgrade",
    "ensure_month_partitions",
    "import_result_from_store",
    "make_engine",
    "read_measurements",
    "record",
    "region_subtree",
    "save_figure",
    "session_factory",
    "sites_from_registry",
    "sites_from_stations",
    "station_of",
    "upgrade",
    "upsert_region",
    "write_measurements",
]
