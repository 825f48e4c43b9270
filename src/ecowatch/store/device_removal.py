"""Removing HJ 212 devices from the registry, and optionally the sites they alone stood for.

``ecowatch devices remove`` and ``ecowatch hj212 simulate --temporary`` (the default) use
:func:`remove_devices`.  A device's keys go with it; its frames stay (they are what it sent, and
``hj212_frame.mn`` names it).  With ``with_sites``, each device's site goes too, with everything
stored for it (frames, values, monthly blocks, cached figures), but only a site that no remaining
device reports for and no enterprise owns: an outlet is registered with its enterprise and is not
the device registry's to delete.  Every removal is one audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecowatch.store.audit import record
from ecowatch.store.errors import StoreError
from ecowatch.store.models import (
    Device,
    DeviceKey,
    FigureCache,
    Hj212Frame,
    HourlyBlock,
    Measurement,
    MeasurementMonth,
    Site,
)

__all__ = ["Removal", "remove_devices"]


@dataclass(frozen=True)
class Removal:
    """What :func:`remove_devices` removed: device MNs and site codes."""

    devices: tuple[str, ...]
    sites: tuple[str, ...]


def remove_devices(*, session: Session, mns: Sequence[str], actor: str, with_sites: bool = False) -> Removal:
    """Remove the devices ``mns`` (every one must exist), and with ``with_sites`` their sites.

    Raises :class:`~ecowatch.store.errors.StoreError` naming the MN that is unknown, or the site that
    cannot go (another device reports for it, or an enterprise owns it), before removing anything.
    """
    wanted = list(dict.fromkeys(mns))
    devices = {d.mn: d for d in session.scalars(select(Device).where(Device.mn.in_(wanted)))}
    unknown = [mn for mn in wanted if mn not in devices]
    if unknown:
        raise StoreError(
            f"devices remove: no device with MN {unknown[0]!r}"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
        )
    site_ids = sorted({d.site_id for d in devices.values()}) if with_sites else []
    sites = (
        list(session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id))) if site_ids else []
    )
    device_ids = [d.id for d in devices.values()]
    for site in sites:
        if site.enterprise_id is not None:
            raise StoreError(
                f"devices remove: site {site.code!r} is an outlet of an enterprise; "
                "remove the devices without --with-site"
            )
        others = session.scalars(
            select(Device.mn).where(Device.site_id == site.id, Device.id.not_in(device_ids)).limit(1)
        ).first()
        if others is not None:
            raise StoreError(
                f"devices remove: site {site.code!r} also has device {others!r}; "
                "remove the devices without --with-site"
            )
    session.execute(delete(DeviceKey).where(DeviceKey.device_id.in_(device_ids)))
    session.execute(delete(Device).where(Device.id.in_(device_ids)))
    if sites:
        ids = [site.id for site in sites]
        session.execute(delete(Hj212Frame).where(Hj212Frame.site_id.in_(ids)))
        session.execute(delete(FigureCache).where(FigureCache.site_id.in_(ids)))
        session.execute(delete(Measurement).where(Measurement.site_id.in_(ids)))
        session.execute(delete(HourlyBlock).where(HourlyBlock.site_id.in_(ids)))
        session.execute(delete(MeasurementMonth).where(MeasurementMonth.site_id.in_(ids)))
        session.execute(delete(Site).where(Site.id.in_(ids)))
    removal = Removal(devices=tuple(wanted), sites=tuple(site.code for site in sites))
    record(
        session=session,
        actor=actor,
        action="delete",
        entity="device",
        entity_id=wanted[0] if len(wanted) == 1 else None,
        detail={"devices": list(removal.devices), "sites": list(removal.sites)},
    )
    session.flush()
    return removal
