"""The audit trail: one :class:`~ecowatch.store.models.AuditEntry` per write call.

Every write function of the store takes an ``actor`` (a user name, ``cli:<login>``,
``gateway:<name>``...) and calls :func:`record` once, whatever the number of rows it wrote, in
the same transaction: the entry exists if and only if the write does.
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecowatch.store.models import AuditEntry

__all__ = ["cli_actor", "entries", "record"]


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to the session (flushed with the write it describes).

    ``at`` defaults to the current time (UTC); ``detail`` must be JSON-serialisable.
    """
    if not actor:
        raise ValueError("an audit entry needs an actor")
    entry = AuditEntry(
        at=at or dt.datetime.now(dt.UTC),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail=dict(detail or {}),
    )
    session.add(entry)
    return entry


def entries(*, session: Session, entity: str | None = None, entity_id: str | None = None) -> list[AuditEntry]:
    """The audit entries (of ``entity`` / ``entity_id`` if given), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return list(session.scalars(query))


def cli_actor() -> str:
    """``cli:<login name>`` (``cli:unknown`` when the system cannot tell)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli:unknown"
