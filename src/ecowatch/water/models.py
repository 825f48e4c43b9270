"""The tables of surface water: the section registry and its samples (migration 0012).

::

    region (province, city) ─< water_section (registry + users' corrections) ─< water_sample

A section is keyed by its registry code (``W310001``, decision W-code); its province and city are
GB/T 2260 codes of ``region``. A sample is one record of a section at one time (UTC in the store,
Beijing time at the edges): its parameter values, the class the release published beside the one
ecowatch computes (GB 3838-2002 single-factor, 2011 method) and, where they differ, why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecowatch.standards import Waterbody
from ecowatch.store.models import Base, one_of
from ecowatch.water.importer import STATUSES
from ecowatch.water.registry import BASES

__all__ = ["WaterSample", "WaterSection"]


class WaterSection(Base):
    """A monitoring section (断面) of the registry, with the users' corrections.

    ``waterbody_basis`` ``user`` marks a waterbody a user set: loading the packaged registry again
    leaves it. ``lon``/``lat`` are null where no coordinates are known (the public data carry none).
    ``target_class`` is the class the section is to meet (1..6 as :class:`~ecowatch.standards.WaterClass`).
    """

    __tablename__ = "water_section"
    __table_args__ = (
        one_of("waterbody", Waterbody),
        one_of("waterbody_basis", BASES),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("target_class BETWEEN 1 AND 6", name="target_class_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    province_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    city_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    basin: Mapped[str] = mapped_column(String(32))
    river: Mapped[str | None] = mapped_column(String(64))
    waterbody: Mapped[str] = mapped_column(String(8))
    waterbody_basis: Mapped[str] = mapped_column(String(8))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    target_class: Mapped[int | None] = mapped_column(SmallInteger)

    samples: Mapped[list[WaterSample]] = relationship(back_populates="section", passive_deletes=True)

    def __repr__(self) -> str:
        return f"WaterSection({self.code!r}, {self.name!r}, {self.waterbody!r})"


class WaterSample(Base):
    """One record of a section at ``time`` (UTC): one row per section and time (the upsert key).

    ``parameter_values`` maps a parameter (``pH``, ``DO``, ``CODMn``, ``NH3-N``, ``TP``, ``TN``, the
    other GB 3838-2002 items, ``water_temp`` …, :data:`ecowatch.water.importer.PARAMETERS`) to its
    value in the parameter's unit (:data:`~ecowatch.water.importer.UNITS`), the detection limit for
    those listed in ``below`` (below detection; ``null`` value: ND, limit unknown).
    ``published_class`` is the release's class, ``our_class`` ecowatch's (null when the station status
    is not ``normal``, or no indicator that sets a class has a value); ``differs`` says why they differ
    (:func:`ecowatch.water.service.why_differs`). ``source`` is the file, ``line`` its line.
    """

    __tablename__ = "water_sample"
    __table_args__ = (
        Index("uq_water_sample_section_time", "section_id", "time", unique=True),
        Index("ix_water_sample_time", "time"),
        one_of("status", tuple(STATUSES)),
        CheckConstraint("published_class BETWEEN 1 AND 6", name="published_class_range"),
        CheckConstraint("our_class BETWEEN 1 AND 6", name="our_class_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("water_section.id", ondelete="CASCADE"))
    time: Mapped[dt.datetime]
    parameter_values: Mapped[dict[str, Any]] = mapped_column("values")
    below: Mapped[list[str]]
    published_class: Mapped[int | None] = mapped_column(SmallInteger)
    our_class: Mapped[int | None] = mapped_column(SmallInteger)
    differs: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(128))
    line: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    section: Mapped[WaterSection] = relationship(back_populates="samples")
