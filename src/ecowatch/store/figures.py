"""Cached figures: computed once per site, period and standard, reused while the inputs hold.

A :class:`~ecowatch.store.models.FigureCache` row records the site's ``data_version`` it was
computed from; every write that changes the site's measurements bumps that counter, so a stale
row is simply not returned (and is overwritten by the next :func:`save_figure`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecowatch.store.audit import record
from ecowatch.store.models import FigureCache, Site

__all__ = ["cached_figure", "save_figure"]


def _row(
    session: Session, site: Site, kind: str, period_start: dt.date, period_end: dt.date, standard: str
) -> FigureCache | None:
    return session.scalars(
        select(FigureCache).where(
            FigureCache.site_id == site.id,
            FigureCache.kind == kind,
            FigureCache.period_start == period_start,
            FigureCache.period_end == period_end,
            FigureCache.standard == standard,
        )
    ).one_or_none()


def cached_figure(
    *, session: Session, site: Site, kind: str, period_start: dt.date, period_end: dt.date, standard: str
) -> dict[str, Any] | None:
    """The cached payload, or None when there is none or the site's data changed since."""
    session.refresh(site, ["data_version"])
    row = _row(session, site, kind, period_start, period_end, standard)
    if row is None or row.inputs_version != site.data_version:
        return None
    return row.payload


def save_figure(
    *,
    session: Session,
    site: Site,
    kind: str,
    period_start: dt.date,
    period_end: dt.date,
    standard: str,
    payload: dict[str, Any],
    actor: str,
    now: dt.datetime | None = None,
) -> FigureCache:
    """Store ``payload`` (JSON) as computed from the site's current ``data_version``."""
    session.refresh(site, ["data_version"])
    row = _row(session, site, kind, period_start, period_end, standard)
    if row is None:
        row = FigureCache(
            site_id=site.id, kind=kind, period_start=period_start, period_end=period_end, standard=standard
        )
        session.add(row)
    row.payload = payload
    row.inputs_version = site.data_version
    row.computed_at = now or dt.datetime.now(dt.UTC)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="compute",
        entity="figure_cache",
        entity_id=row.id,
        detail={
            "site": site.code,
            "kind": kind,
            "from": period_start.isoformat(),
            "to": period_end.isoformat(),
            "standard": standard,
            "inputs_version": site.data_version,
        },
    )
    return row
