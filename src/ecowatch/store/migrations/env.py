"""Alembic environment of the store: the package's metadata, a connection handed in by
:mod:`ecowatch.store.migrate` (or a URL for ``alembic`` run by hand with ``-x url=...``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ecowatch.cases import models as _cases_models  # noqa: F401  (its tables join Base.metadata)
from ecowatch.sources import models as _sources_models  # noqa: F401  (its tables join Base.metadata)
from ecowatch.store.db import make_engine
from ecowatch.store.errors import StoreError
from ecowatch.store.models import Base
from ecowatch.store.partitions import is_partition_name
from ecowatch.water import models as _water_models  # noqa: F401  (its tables join Base.metadata)

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Leave the monthly partitions of ``measurement`` out of autogenerate comparisons."""
    return not (type_ == "table" and name is not None and is_partition_name(name))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=include_name,
        compare_type=True,
        # SQLite cannot ALTER most things: later migrations use batch mode there.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    context.configure(
        url=context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():  # a no-op inside the caller's transaction
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url is None:
        raise StoreError("store/migrations/env.py: no database to migrate: run alembic with -x url=URL")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
