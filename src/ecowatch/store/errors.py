"""Errors of the store.

The store's branch of the error tree (see :mod:`ecowatch.errors`)::

    EcowatchError
    └── StoreError          a store operation cannot be done: unknown station, schema not migrated,
                            database unreachable, a region placed under the wrong level...

Constraint violations found by the database itself (foreign keys, CHECKs, unique codes) stay
:class:`sqlalchemy.exc.IntegrityError`: the transaction is then rolled back by the caller.
"""

from __future__ import annotations

from ecowatch.errors import EcowatchError

__all__ = ["StoreError"]


class StoreError(EcowatchError):
    """A store operation that cannot be done, with the reason."""
