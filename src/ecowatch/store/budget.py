"""A time budget for the reads one request makes: past it the database stops the query.

A filter that matches nothing (``pollutant=`` of a code no site reports) or a scope of millions of rows
makes the database walk an index to its end; eight such requests in parallel held every worker for
most of a minute (issue 14).  :func:`query_budget` bounds what one request's reads may cost, whatever
they are, so that no request one user can repeat starves the others:

- PostgreSQL: ``SET LOCAL statement_timeout`` for the statements inside the block (the server cancels
  the statement: SQLSTATE 57014 ``query_canceled``);
- SQLite: a progress handler (called every :data:`SQLITE_STEPS` virtual-machine instructions) that
  interrupts the statement once the deadline has passed (``sqlite3_interrupt``: "interrupted").

Either way :class:`QueryBudgetExceeded` is raised; the transaction is then unusable on PostgreSQL, as
after any error: the caller rolls back (the web session does).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ecowatch.store.errors import StoreError

__all__ = ["SQLITE_STEPS", "QueryBudgetExceeded", "query_budget"]

#: SQLite instructions between two looks at the clock: a few microseconds of work, so the deadline is
#: kept to well under a millisecond while the look itself costs nothing measurable.
SQLITE_STEPS = 10_000


class QueryBudgetExceeded(StoreError):
    """A read ran past its time budget and was stopped by the database."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"the query ran past its budget of {seconds:g} s and was stopped")


def _cancelled(error: DBAPIError) -> bool:
    original = error.orig
    return getattr(original, "sqlstate", None) == "57014" or "interrupted" in str(original)


@contextmanager
def query_budget(session: Session, seconds: float) -> Iterator[None]:
    """Stop any statement of ``session`` inside the block that runs past ``seconds`` in total (SQLite)
    or each (PostgreSQL); raise :class:`QueryBudgetExceeded` then."""
    if seconds <= 0:
        raise ValueError(f"query_budget: seconds must be positive, not {seconds}")
    connection = session.connection()
    driver = connection.connection.driver_connection
    if driver is None:
        raise StoreError("store.budget.query_budget: the session's connection has no driver connection")
    postgresql = connection.dialect.name == "postgresql"
    # In a transaction SET LOCAL ends with it (and an aborted transaction cannot run a reset); on an
    # autocommit connection (the web's reads) SET LOCAL would do nothing: set it and reset it.
    autocommit = postgresql and bool(getattr(driver, "autocommit", False))
    if postgresql:
        milliseconds = max(1, round(seconds * 1000))
        connection.exec_driver_sql(f"SET {'' if autocommit else 'LOCAL '}statement_timeout = {milliseconds}")
    else:
        deadline = time.monotonic() + seconds
        driver.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_STEPS)
    failed = True
    try:
        yield
        failed = False
    except DBAPIError as error:
        if _cancelled(error):
            raise QueryBudgetExceeded(seconds) from None
        raise
    finally:
        if not postgresql:
            driver.set_progress_handler(None, 0)
        elif autocommit:
            connection.exec_driver_sql("RESET statement_timeout")
        elif not failed:  # the transaction is still usable: end the budget with the block
            connection.exec_driver_sql("SET LOCAL statement_timeout TO DEFAULT")
