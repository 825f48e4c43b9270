"""``store.budget.query_budget``: the database stops a read that runs past its budget (issue 14,
"Any staff user can stall the API"), on both backends.

The long reads are ones whose length does not depend on the machine: PostgreSQL's ``pg_sleep(2)`` and
SQLite's count to 10^9 (minutes of work) against budgets of 0.05 s; what is asserted is that they were
stopped and that the session reads again afterwards, not how fast.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from ecowatch.store.budget import QueryBudgetExceeded, query_budget

LONG_READ = {
    "postgresql": "SELECT pg_sleep(2)",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n",
}


def test_a_read_past_its_budget_is_stopped(session):
    dialect = session.connection().dialect.name
    with pytest.raises(QueryBudgetExceeded, match=r"budget of 0.05 s"), query_budget(session, 0.05):
        session.execute(text(LONG_READ[dialect])).all()
    session.rollback()
    assert session.execute(text("SELECT 1")).scalar() == 1


def test_a_read_within_its_budget_is_answered_and_the_budget_ends_with_the_block(session):
    with query_budget(session, 5):
        assert session.execute(text("SELECT count(*) FROM measurement")).scalar() == 0
    if session.connection().dialect.name == "postgresql":
        assert session.execute(text("SHOW statement_timeout")).scalar() == "0"


def test_a_budget_must_be_positive(session):
    with pytest.raises(ValueError, match="must be positive"), query_budget(session, 0):
        pass


def test_the_budget_holds_on_an_autocommit_connection_too(engine):
    """The web's reads run in autocommit mode on PostgreSQL, where SET LOCAL would do nothing."""
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    with Session(reads) as session:
        dialect = session.connection().dialect.name
        with pytest.raises(QueryBudgetExceeded), query_budget(session, 0.05):
            session.execute(text(LONG_READ[dialect])).all()
        assert session.execute(text("SELECT 1")).scalar() == 1
        if dialect == "postgresql":  # the budget ended with the block: the connection goes back as it was
            assert session.execute(text("SHOW statement_timeout")).scalar() == "0"
