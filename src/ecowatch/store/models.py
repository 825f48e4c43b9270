"""The tables of the store (SQLAlchemy 2 declarative, typed).

::

    region ─┬─< region (parent_id: province > city > county)
            ├─< enterprise ─< site (outlets)
            └─< site ─┬─< device        (HJ 212 MN)
                      ├─< measurement   (site, interval, time, pollutant) -> value, flag
                      ├─< measurement_month (what changed when: version per site, interval, month)
                      │     └─< hourly_block (a month of plain 1-h values per pollutant, columnar)
                      └─< figure_cache  (valid while inputs_version = site.data_version)
    user_account (role, scope: region or enterprise)      audit_entry (who did what, when)
    device ─< device_key (SM4 keys of HJ 212-2025, sealed; one row per key, rotations kept)
    hj212_frame (one row per distinct frame kept by the gateway)   hj212_quarantine (frames refused)
    gateway_checkpoint (how far each gateway journal has been applied to the store)

Closed sets are :class:`~enum.StrEnum` values stored in ``String`` columns with a CHECK
constraint, so the database refuses what the Python side would (and stays readable in SQL).
Times are ``DateTime(timezone=True)`` holding UTC; the standards' days are Beijing days and the
conversion happens at the edges (:mod:`ecowatch.store.measurements`).

Constraint names follow :data:`NAMING_CONVENTION`, so migrations can refer to them on every
backend.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "MEASUREMENT_KEY",
    "NAMING_CONVENTION",
    "SITE_CATEGORIES",
    "AuditEntry",
    "Base",
    "Device",
    "DeviceKey",
    "Enterprise",
    "FigureCache",
    "GatewayCheckpoint",
    "Hj212Frame",
    "Hj212Quarantine",
    "HourlyBlock",
    "Measurement",
    "MeasurementMonth",
    "ProtocolVersion",
    "Region",
    "RegionLevel",
    "Role",
    "Site",
    "SiteKind",
    "User",
    "table_of",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: DateTime(timezone=True),
        dt.date: Date,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def table_of(model: type[Base]) -> Table:
    """The :class:`~sqlalchemy.Table` a mapped class is declared on (its ``__table__``, which
    SQLAlchemy types as any ``FromClause``); a mapping onto something else is an error."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(
            f"store.models.table_of: {model.__name__} is mapped onto {type(table).__name__}, not a Table"
        )
    return table


def one_of(column: str, values: type[StrEnum] | tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """CHECK that ``column`` holds one of ``values`` (an enum's values or a tuple)."""
    allowed = ", ".join(
        f"'{v}'" for v in (values if isinstance(values, tuple) else (m.value for m in values))
    )
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


class RegionLevel(StrEnum):
    """Administrative level of a :class:`Region` (GB/T 2260): 省级, 地级, 县级."""

    province = "province"
    city = "city"
    county = "county"


class SiteKind(StrEnum):
    """What a :class:`Site` monitors."""

    air_station = "air_station"  # 环境空气质量监测点
    water_section = "water_section"  # 地表水监测断面
    outlet = "outlet"  # 排放口 of an enterprise (online monitoring, HJ 212)


SITE_CATEGORIES: tuple[str, ...] = (
    # air stations, as in ecowatch.shapes.stations.CATEGORIES (+ ad-hoc stations of a user's file)
    "urban",
    "suburban",
    "control_background",
    "regional_transport",
    "traffic",
    "unregistered",
    # water sections: the level of government that controls them (国控, 省控, 市控)
    "national",
    "provincial",
    "municipal",
    # outlets
    "waste_gas",
    "waste_water",
)
"""Allowed values of :attr:`Site.category`."""


class ProtocolVersion(StrEnum):
    """Edition of HJ 212 a device speaks."""

    v2005 = "2005"
    v2017 = "2017"
    v2025 = "2025"


class Role(StrEnum):
    """Role of a :class:`User`; all but ``admin`` are scoped to a region or an enterprise."""

    admin = "admin"
    province = "province"
    city = "city"
    county = "county"
    enterprise = "enterprise"


class Region(Base):
    """An administrative region; ``parent`` links county -> city -> province.

    ``code`` is the 6-digit administrative division code (GB/T 2260), e.g. 110000 北京市 (a
    province-level municipality) with its city-level 110100.
    """

    __tablename__ = "region"
    __table_args__ = (
        one_of("level", RegionLevel),
        # A province is a root; every other level hangs under a parent.
        CheckConstraint(
            "(level = 'province' AND parent_id IS NULL) OR (level <> 'province' AND parent_id IS NOT NULL)",
            name="root_is_province",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    # Centroid [degrees, WGS 84] where the division list has one (ecowatch.store.divisions).
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"Region({self.code!r}, {self.name!r}, {self.level!r})"


class Enterprise(Base):
    """A regulated enterprise; ``code`` is its unified social credit code (GB 32100-2015, 18 chars)."""

    __tablename__ = "enterprise"
    __table_args__ = (CheckConstraint("length(code) = 18", name="code_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    #: GB/T 4754-2017 industry class code (``4411`` 火力发电), null when not given (migration 0009;
    #: the registry: :mod:`ecowatch.sources`).
    industry: Mapped[str | None] = mapped_column(String(8))

    region: Mapped[Region] = relationship()
    outlets: Mapped[list[Site]] = relationship(back_populates="enterprise")


class Site(Base):
    """A monitoring place: air station, water section or an enterprise's outlet.

    ``data_version`` is bumped by every write that changes the site's measurements; cached figures
    remember the version they were computed from (:class:`FigureCache`).  ``region_id`` is null
    only for ad-hoc stations of a user's file, whose city is not known.
    """

    __tablename__ = "site"
    __table_args__ = (
        one_of("kind", SiteKind),
        one_of("category", SITE_CATEGORIES),
        # Outlets belong to an enterprise; nothing else does.
        CheckConstraint(
            "(kind = 'outlet' AND enterprise_id IS NOT NULL) OR (kind <> 'outlet' AND enterprise_id IS NULL)",
            name="outlet_has_enterprise",
        ),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("data_version >= 0", name="data_version_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    full_name: Mapped[str] = mapped_column(String(128), default="")
    aliases: Mapped[list[str]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai", server_default="Asia/Shanghai")
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    region: Mapped[Region | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship(back_populates="outlets")

    def __repr__(self) -> str:
        return f"Site({self.code!r}, {self.name!r}, {self.kind!r})"


class Device(Base):
    """A data acquisition device (数采仪) known by its HJ 212 MN, reporting for one site."""

    __tablename__ = "device"
    __table_args__ = (one_of("protocol_version", ProtocolVersion),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(String(24), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Keyed hash of (MN, password) for the gateway's fast check (``store.devices.password_check``, migration
    #: 0007); null until the password is set again or first verified against ``password_hash``.
    password_check: Mapped[str | None] = mapped_column(String(96))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    protocol_version: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())

    site: Mapped[Site] = relationship()


MEASUREMENT_KEY = ("site_id", "interval", "time", "pollutant")
"""The primary key of :class:`Measurement`, in index order: one site's values over a time range
(the common read) are one contiguous index range."""


class Measurement(Base):
    """One value: a site's pollutant averaged over ``interval`` (``1h``...), labelled ``time`` (UTC).

    ``time`` is the hour label of the source converted to UTC (a Beijing 1-h mean labelled
    2016-01-01 08:00 is stored at 2016-01-01 00:00Z).  ``value`` is null when invalid; ``flag``
    is the HJ 212 data flag (``N``, ``F``, ``M``, ``D``...) or ``invalid`` for a value an
    importer rejected, with the reason in ``note``.  ``source`` names the importer or gateway.

    On PostgreSQL the table is partitioned by month of ``time`` (``measurement_y2016m01``...
    and ``measurement_default``; see :mod:`ecowatch.store.partitions`).
    """

    __tablename__ = "measurement"
    __table_args__ = ({"postgresql_partition_by": "RANGE (time)", "sqlite_with_rowid": False},)

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    time: Mapped[dt.datetime] = mapped_column(primary_key=True)
    pollutant: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))


class MeasurementMonth(Base):
    """The version of one site's hourly (``1h``) values of one UTC month, moved on by every change.

    Database triggers (migration 0003) upsert the row and add 1 to ``version`` whenever a ``1h``
    row of that site and month is inserted, changed or deleted — by any writer, SQL included — in
    the writer's own transaction.  ``built_version`` is the version an :class:`HourlyBlock` set was
    built from (:mod:`ecowatch.store.blocks`); the blocks stand for the month's values only while
    the two are equal, and only if ``blocked`` (a month holding values the blocks cannot carry
    is always read row by row).  ``other_rows`` counts the month's rows that blocks do not carry;
    with none, a read takes nothing of the month from ``measurement``.  ``month`` is the first day
    of the UTC month.
    """

    __tablename__ = "measurement_month"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    built_version: Mapped[int | None] = mapped_column(Integer)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    other_rows: Mapped[int | None] = mapped_column(Integer)
    """Rows of the month that are not plain (flagged, annotated, no value) when it was built."""


class HourlyBlock(Base):
    """A month of one site's plain hourly values of one pollutant, as one array.

    ``hourly_values`` holds little-endian float64, one per hour from the month's first UTC hour
    (00:00Z on ``month``); NaN where the month has no plain value (a value with no flag and no
    note) at that hour.  Flagged, invalid and annotated values stay in :class:`Measurement` only
    and are read from there.  A year of a city's stations is a few hundred blocks instead of
    0.6 million rows (:mod:`ecowatch.store.blocks`).
    """

    __tablename__ = "hourly_block"
    __table_args__ = (
        ForeignKeyConstraint(
            ["site_id", "interval", "month"],
            ["measurement_month.site_id", "measurement_month.interval", "measurement_month.month"],
            ondelete="CASCADE",
        ),
    )

    site_id: Mapped[int] = mapped_column(primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    pollutant: Mapped[str] = mapped_column(String(16), primary_key=True)
    hourly_values: Mapped[bytes] = mapped_column(LargeBinary)


class FigureCache(Base):
    """Figures computed for a site and period, kept while the site's data do not change.

    A row is fresh when ``inputs_version`` equals the site's ``data_version``
    (:func:`ecowatch.store.figures.cached_figure`).
    """

    __tablename__ = "figure_cache"
    __table_args__ = (
        UniqueConstraint(
            "site_id", "kind", "period_start", "period_end", "standard", name="uq_figure_cache_key"
        ),
        CheckConstraint("period_start <= period_end", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    standard: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    inputs_version: Mapped[int]
    computed_at: Mapped[dt.datetime]

    site: Mapped[Site] = relationship()


class User(Base):
    """A person who signs in; the role fixes what they may see (their region or enterprise)."""

    __tablename__ = "user_account"
    __table_args__ = (
        one_of("role", Role),
        CheckConstraint(
            "(role = 'admin' AND region_id IS NULL AND enterprise_id IS NULL)"
            " OR (role IN ('province', 'city', 'county') AND region_id IS NOT NULL AND enterprise_id IS NULL)"
            " OR (role = 'enterprise' AND enterprise_id IS NOT NULL)",
            name="role_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Raised when the user is disabled: tokens carry it (``store.users.password_fingerprint``), so
    #: those issued before stay revoked once the user is enabled again (migration 0008).
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Where notifications are e-mailed (issue 16; migration 0011); null: not by e-mail.
    email: Mapped[str | None] = mapped_column(String(254))

    region: Mapped[Region | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()


#: User names are unique regardless of case (``Admin`` cannot sit beside ``admin``), and found so
#: (``store.users.get_user``); migration 0008.
Index("uq_user_account_username_lower", func.lower(User.username), unique=True)


class AuditEntry(Base):
    """Who did what, when: one row per write call (not per row written)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DeviceKey(Base):
    """An SM4 data-area key of an HJ 212-2025 device (Part B4), sealed at rest.

    ``sealed`` is the key encrypted with AES-256-GCM under the platform's master key, the device's
    MN as associated data (:mod:`ecowatch.store.devices`).  A rotation adds the next ``version``
    and sets ``retired_at`` on the previous one, so the history of keys stays (frames journaled
    under an old key can still be read).  ``fingerprint`` (first 16 hex digits of SHA-256 of the
    key) identifies a key in messages and audit entries without revealing it.
    """

    __tablename__ = "device_key"
    __table_args__ = (
        UniqueConstraint("device_id", "version", name="uq_device_key_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]

    device: Mapped[Device] = relationship()


class Hj212Frame(Base):
    """One distinct HJ 212 frame the gateway accepted (journaled, acknowledged, applied).

    ``digest`` (:func:`ecowatch.store.frames.frame_key`: the DataTime and the SHA-256 of the plaintext
    data segment) makes a re-sent frame the same row, so the table holds each frame once however
    often a device sent it.  ``data_time`` is the frame's
    ``DataTime`` as sent (device local time, ``YYYYMMDDhhmmss``); ``data_time_utc`` the same instant
    in UTC.  ``raw`` is the frame as received (ciphertext for SM4-encrypted frames).  Its data area
    (between ``CP=&&`` and ``&&``, decrypted) is :func:`ecowatch.store.frames.data_area`: cut from
    ``raw``, or for the frames whose ``raw`` does not hold it as text (SM4) kept in ``cp``, null for
    all others (a copy would be a third of the row).  Its values are ``parse_cp`` of it
    (:mod:`ecowatch.hj212`), as ``ecowatch hj212 decode`` gives them (the store parses on reading
    rather than on writing, where every frame would pay).  ``site_id`` is the device's site
    at the time.  Real-time (CN 2011) and minute (CN 2051) values are kept here only, not as
    :class:`Measurement` rows (:mod:`ecowatch.store.frames`).  ``review`` (migration 0006) says why a
    frame is kept for review rather than as data (same QN and DataTime as an earlier frame, other values).
    """

    __tablename__ = "hj212_frame"
    __table_args__ = (
        Index("ix_hj212_frame_mn_received", "mn", "received_at"),
        # A site's real-time or minute series (ecowatch.store.frames.frame_values_query).
        Index("ix_hj212_frame_site_cn_time", "site_id", "cn", "data_time_utc"),
        # Frames re-sent under one QN (ecowatch.store.frames.apply_batch, conflicts).
        Index("ix_hj212_frame_mn_qn", "mn", "qn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    mn: Mapped[str] = mapped_column(String(64))
    qn: Mapped[str | None] = mapped_column(String(32))
    st: Mapped[str] = mapped_column(String(8))
    cn: Mapped[str] = mapped_column(String(4))
    flag: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(4))
    pnum: Mapped[int | None] = mapped_column(Integer)
    pno: Mapped[int | None] = mapped_column(Integer)
    data_time: Mapped[str | None] = mapped_column(String(32))
    data_time_utc: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    cp: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    peer: Mapped[str] = mapped_column(String(64))
    review: Mapped[str | None] = mapped_column(String(255))


class Hj212Quarantine(Base):
    """A frame the gateway refused to store as data: unknown MN, wrong password, bad CRC...

    One row per distinct frame (``digest`` of the bytes as received) and reason, with how often and
    when it was seen, so a device resending the same refused frame every minute cannot grow the
    table without bound.
    """

    __tablename__ = "hj212_quarantine"
    __table_args__ = (
        UniqueConstraint("digest", "reason", name="uq_hj212_quarantine_key"),
        CheckConstraint("count >= 1", name="count_positive"),
        # The retention (ecowatch.store.frames.prune_quarantine), migration 0006.
        Index("ix_hj212_quarantine_last_seen", "last_seen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    mn: Mapped[str | None] = mapped_column(String(64), index=True)
    raw: Mapped[str] = mapped_column(Text)
    peer: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    count: Mapped[int] = mapped_column(Integer)


class GatewayCheckpoint(Base):
    """How far a gateway journal has been applied to the store, written in the same transaction as
    the frames it covers: a restart replays the journal from here (:mod:`ecowatch.gateway.journal`)."""

    __tablename__ = "gateway_checkpoint"

    journal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    segment: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime]


class StoreIdentity(Base):
    """The store's identity: one row, a random id made by migration 0006.  A gateway journal records
    the id of the store it belongs to, and is replayed into that store only
    (:mod:`ecowatch.gateway.journal`)."""

    __tablename__ = "store_identity"

    store_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[dt.datetime]
