"""The tables of the pollution-source registry, beside the shared ``enterprise`` and ``site`` tables.

::

    enterprise (store.models: code, name, region, industry) ─< enterprise_key_list (the lists it is on)
        └─< site (kind 'outlet'; category waste_gas | waste_water is the medium)
              ├── outlet        (the registry's facts about the outlet: its kind)
              └─< permit_limit  (one row per pollutant: limit, unit, reference O2)

An outlet is a :class:`~ecowatch.store.models.Site` of kind ``outlet`` (devices, measurements and
the map hang on sites); ``outlet`` and ``permit_limit`` add what only an outlet has.  An outlet
registered before the registry existed (the demo's) has no ``outlet`` row: its kind is not known.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecowatch.store.models import Base, Enterprise, Site, one_of

__all__ = ["EnterpriseKeyList", "KeyList", "Medium", "Outlet", "OutletKind", "PermitLimit"]


class KeyList(StrEnum):
    """The lists of key regulated units (重点单位名录) an enterprise can be on.

    The first six are the categories of 《环境监管重点单位名录管理办法》 (生态环境部令 第27号, 2022);
    ``carbon`` is the list of key greenhouse-gas emitters of 《碳排放权交易管理办法（试行）》 (生态环境部令
    第19号, 2020), which the carbon domain reads.
    """

    water = "water"  # 水环境重点排污单位
    groundwater = "groundwater"  # 地下水污染防治重点排污单位
    air = "air"  # 大气环境重点排污单位
    noise = "noise"  # 噪声重点排污单位
    soil = "soil"  # 土壤污染重点监管单位
    risk = "risk"  # 环境风险重点管控单位
    carbon = "carbon"  # 温室气体重点排放单位


class Medium(StrEnum):
    """What an outlet discharges; stored as the site's category (``waste_gas``, ``waste_water``)."""

    gas = "gas"  # 废气排放口
    water = "water"  # 废水排放口

    @property
    def category(self) -> str:
        """The :attr:`Site.category <ecowatch.store.models.Site.category>` of an outlet of this medium."""
        return f"waste_{self.value}"

    @property
    def factor_medium(self) -> str:
        """The medium of the HJ 212-2017 Annex B factors it can be limited on (``air``, ``water``)."""
        return "air" if self is Medium.gas else "water"


class OutletKind(StrEnum):
    """The permit's class of an outlet (排放口类型): 主要, 一般 or 特殊排放口.

    The classes of the pollutant-discharge permit application specifications (HJ 942-2018 and its
    sector parts).
    """

    main = "main"  # 主要排放口
    general = "general"  # 一般排放口
    special = "special"  # 特殊排放口


class EnterpriseKeyList(Base):
    """An enterprise is on the key-unit list ``list`` (one row per list)."""

    __tablename__ = "enterprise_key_list"
    __table_args__ = (one_of("list", KeyList),)

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True
    )
    list: Mapped[str] = mapped_column(String(16), primary_key=True)

    enterprise: Mapped[Enterprise] = relationship()


class Outlet(Base):
    """The registry's facts about an outlet site: its class (null for outlets older than the registry)."""

    __tablename__ = "outlet"
    __table_args__ = (one_of("kind", OutletKind),)

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(16))

    site: Mapped[Site] = relationship()


class PermitLimit(Base):
    """The permitted concentration of one pollutant at one outlet.

    ``pollutant`` is the HJ 212-2017 Annex B factor code (``a21026``), ``unit`` that factor's
    concentration unit as the code table writes it (``毫克/立方米``), so a measured value compares
    with ``upper_limit`` as it comes.  ``lower_limit`` is for ranges (pH 6-9).  For waste-gas outlets
    ``reference_oxygen_pct`` is the reference oxygen content the limit is expressed at (the
    measured concentration is converted to it, C_ref = C × (21 − O2_ref) / (21 − O2), HJ 75-2017);
    null where the emission standard gives none.  ``standard`` names where the limit comes from.
    """

    __tablename__ = "permit_limit"
    __table_args__ = (
        CheckConstraint("upper_limit >= 0", name="upper_not_negative"),
        CheckConstraint("lower_limit IS NULL OR lower_limit < upper_limit", name="lower_below_upper"),
        CheckConstraint(
            "reference_oxygen_pct IS NULL OR (reference_oxygen_pct >= 0 AND reference_oxygen_pct < 21)",
            name="reference_oxygen_range",
        ),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    pollutant: Mapped[str] = mapped_column(String(16), primary_key=True)
    upper_limit: Mapped[float] = mapped_column(Float)
    lower_limit: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    reference_oxygen_pct: Mapped[float | None] = mapped_column(Float)
    standard: Mapped[str | None] = mapped_column(String(128))

    site: Mapped[Site] = relationship()
