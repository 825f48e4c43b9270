"""HJ 212 frames in the store: what the gateway kept, what it refused, and how far it got.

- :func:`apply_batch` — one transaction per batch of journaled frames: each distinct frame once in
  ``hj212_frame``, its hour and day values upserted into ``measurement``, refused frames counted in
  ``hj212_quarantine``, and the journal checkpoint moved past the batch.  Applying the same frames
  again changes nothing, so replaying a journal after a crash cannot double a value.
- :func:`frame_values_query` — the frames holding real-time and minute values, read as ``measurement``
  rows by :func:`~ecowatch.store.hj212_values.frame_measurements`.
- :func:`list_frames` — the kept frames as ``ecowatch hj212 frames --json`` prints them.
- :func:`read_checkpoint` — where a journal's replay starts.
- :func:`unstorable` — why a frame cannot be kept as data (a header field wider than its column, a NUL
  byte), checked by the gateway before it acknowledges; :func:`quarantine_text` — the text a refused
  frame's bytes are quarantined as (NUL and bytes that are not UTF-8 escaped).

Which values of a frame become ``measurement`` rows, and how, is :mod:`ecowatch.store.hj212_values`
(no database); they are written by :func:`ecowatch.store.measurements.upsert_measurements`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import String, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ecowatch.hj212 import Frame, QnRtn, format_crc, hj212_crc16, parse_cp
from ecowatch.store.audit import record
from ecowatch.store.errors import StoreError
from ecowatch.store.hj212_values import (
    CN_INTERVALS,
    FRAME_INTERVALS,
    MEASUREMENT_CNS,
    SOURCE,
    KeptFrame,
    MeasurementRow,
    data_area,
    data_time_utc,
    value_rows,
)
from ecowatch.store.measurements import (
    bump_data_versions,
    cached_sqlite_time_text,
    sqlite_time_text,
    upsert_measurements,
)
from ecowatch.store.models import (
    GatewayCheckpoint,
    Hj212Frame,
    Hj212Quarantine,
    Site,
    StoreIdentity,
    table_of,
)

__all__ = [
    "DEFAULT_FUTURE",
    "DEFAULT_PAST",
    "REDACTED",
    "BatchResult",
    "Checkpoint",
    "RefusedFrame",
    "TimeWindow",
    "Unstorable",
    "apply_batch",
    "data_time_problem",
    "frame_values_query",
    "header_mn",
    "known_sites",
    "list_frames",
    "prune_quarantine",
    "quarantine_text",
    "read_checkpoint",
    "read_store_id",
    "redact_frame",
    "redact_password",
    "unstorable",
]


def _column_width(name: str) -> int:
    column_type = table_of(Hj212Frame).c[name].type
    assert isinstance(column_type, String) and column_type.length is not None, name
    return column_type.length


#: Widths of the ``hj212_frame`` header columns a device fills: a wider value cannot be stored (PostgreSQL
#: refuses it; SQLite would keep it, so both stores behave alike only if it is refused at the door).
_HEADER_WIDTHS: Mapping[str, int] = {name: _column_width(name) for name in ("qn", "st", "mn", "data_time")}
#: What the gateway answers (9011 QnRtn, HJ 212-2017 Table 7) to a frame whose field is too wide.
_FIELD_QN_RTN: Mapping[str, int] = {
    "qn": int(QnRtn.QN_ERROR),
    "st": int(QnRtn.ST_ERROR),
    "mn": int(QnRtn.MN_ERROR),
    "data_time": int(QnRtn.REJECTED),
}


class Unstorable(NamedTuple):
    """Why a frame cannot be kept as data, and the 9011 ``QnRtn`` to answer it with; ``acknowledge``:
    quarantined for review and answered as a kept frame would be (a resend cannot change it)."""

    reason: str
    qn_rtn: int
    acknowledge: bool = False


def unstorable(frame: Frame) -> Unstorable | None:
    """Why the store could not keep ``frame`` (from a registered device) as an ``hj212_frame`` row, or
    None: checked before the frame is journaled and acknowledged, so that no acknowledged frame can
    stop the store (PostgreSQL refuses a NUL in text and a value wider than its column; a frame it
    refused was retried for ever and held back every frame behind it).

    The header fields are bounded by their columns (QN 32 characters, ST 8, MN 64, DataTime 32; the
    standard's QN is 20 digits, ST 2, MN 24, DataTime 14: HJ 212-2017 §6.3.2 Table 3).

    >>> from ecowatch.hj212 import make_frame
    >>> unstorable(make_frame(st="22", cn=2011, pw="1", mn="M", qn="1" * 33, flag=5, cp="")).reason
    'QN of 33 characters (the store keeps at most 32)'
    >>> unstorable(make_frame(st="22", cn=2011, pw="1", mn="M", qn="1", flag=5, cp="")) is None
    True
    """
    values = {"qn": frame.qn, "st": frame.st, "mn": frame.mn, "data_time": frame.cp.data_time}
    for name, width in _HEADER_WIDTHS.items():
        value = values[name]
        if value is not None and len(value) > width:
            label = {"qn": "QN", "st": "ST", "mn": "MN", "data_time": "DataTime"}[name]
            return Unstorable(
                f"{label} of {len(value)} characters (the store keeps at most {width})", _FIELD_QN_RTN[name]
            )
    if b"\x00" in frame.raw or (frame.plain_segment is not None and b"\x00" in frame.plain_segment):
        return Unstorable("NUL byte in the frame (no text column can keep it)", int(QnRtn.REJECTED))
    return None


#: Defaults of :class:`TimeWindow` (the reasons in docs/decisions.md): a year of history that a data
#: logger re-sends after an outage (补发), with a month's margin; an hour ahead for a clock not yet
#: corrected (the platform sets a device's clock, CN 1012, when it drifts).
DEFAULT_PAST = dt.timedelta(days=400)
DEFAULT_FUTURE = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """How far before and after the server's clock a data frame's DataTime may lie to be kept as data."""

    past: dt.timedelta = DEFAULT_PAST
    future: dt.timedelta = DEFAULT_FUTURE


#: The window of the defaults (:data:`DEFAULT_PAST`, :data:`DEFAULT_FUTURE`).
DEFAULT_WINDOW = TimeWindow()


def data_time_problem(
    frame: Frame, *, timezone: str, now: dt.datetime, window: TimeWindow = DEFAULT_WINDOW
) -> Unstorable | None:
    """Why ``frame``'s DataTime cannot be kept as data, or None (no DataTime, or a plausible one).

    - An impossible time (not ``YYYYMMDDhhmmss``, optionally with 3 digits of milliseconds as some
      devices send, or no such date: ``20261399996161``, ``00000000000000``) is refused: 9011
      ``QnRtn=2`` (request refused, HJ 212-2017 Table 7), never acknowledged.
    - A possible time of data (CN 2011, 2051, 2061, 2031: the values the store keeps) outside
      ``window`` around ``now`` (UTC; passed in, never read here) in the site's ``timezone`` (2099, 1900)
      is quarantined, and acknowledged (``acknowledge``): kept for review, and the device's clock, not
      a resend, would change it.  Other frames' DataTime (a log's, CN 3020) may be old.

    References: HJ 212-2017 Table 4 (DataTime, N14 ``YYYYMMDDhhmmss``); reference §4.4 (17 digits seen).

    >>> from ecowatch.hj212 import make_frame
    >>> now = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)
    >>> def frame(t):
    ...     return make_frame(st="22", cn=2061, pw="1", mn="M", qn="1", flag=5, cp=f"DataTime={t}")
    >>> data_time_problem(frame("20261207130000"), timezone="Asia/Shanghai", now=now) is None
    True
    >>> data_time_problem(frame("20261399996161"), timezone="Asia/Shanghai", now=now).reason
    'impossible DataTime 20261399996161'
    >>> data_time_problem(frame("20991231000000"), timezone="Asia/Shanghai", now=now).reason
    'DataTime 20991231000000 is 26686 days after the server clock (2026-12-07 06:00 UTC; at most 1:00:00)'
    """
    text = frame.cp.data_time
    if text is None:
        return None
    time = data_time_utc(text, timezone)
    if time is None:
        return Unstorable(f"impossible DataTime {text}", int(QnRtn.REJECTED))
    if frame.cn not in CN_INTERVALS:
        return None
    now_utc = now.astimezone(dt.UTC).replace(tzinfo=None)
    clock = f"the server clock ({now_utc:%Y-%m-%d %H:%M} UTC; at most"
    if time > now_utc + window.future:
        return Unstorable(
            f"DataTime {text} is {(time - now_utc).days} days after {clock} {window.future})",
            int(QnRtn.REJECTED),
            acknowledge=True,
        )
    if time < now_utc - window.past:
        return Unstorable(
            f"DataTime {text} is {(now_utc - time).days} days before {clock} {window.past.days} days)",
            int(QnRtn.REJECTED),
            acknowledge=True,
        )
    return None


#: What a device's password is replaced with wherever a frame is kept (journal, hj212_frame.raw,
#: hj212_quarantine.raw): seeing it, a reader knows the frame was redacted.
REDACTED = b"<redacted>"
# PW= in a header: at the start of the data segment, or after a field separator ("," is a deviation seen).
_PW_FIELD = re.compile(rb"(?:(?<=[;,])|(?<=^##\d{4})|^)PW=[^;,&\r\n]*")
_FRAME_BYTES = re.compile(rb"##(\d{4})(.*)([0-9A-Fa-f]{4})\r\n", re.DOTALL)


def redact_password(raw: bytes) -> bytes:
    """``raw`` with the value of every ``PW=`` field in its header (before ``CP=&&``; all of it when there
    is none) replaced by :data:`REDACTED`; length and CRC left as received (see :func:`redact_frame`).

    >>> redact_password(b"##0051QN=1;ST=22;CN=2011;PW=123456;MN=M;Flag=5;CP=&&PW=x&&1C80\\r\\n")
    b'##0051QN=1;ST=22;CN=2011;PW=<redacted>;MN=M;Flag=5;CP=&&PW=x&&1C80\\r\\n'
    >>> redact_password(b"junk;PW=pw1,PW=pw2")
    b'junk;PW=<redacted>,PW=<redacted>'
    """
    if b"PW=" not in raw:
        return raw
    end = raw.find(b"CP=&&")
    head, rest = (raw, b"") if end < 0 else (raw[:end], raw[end:])
    return _PW_FIELD.sub(b"PW=" + REDACTED, head) + rest


def redact_frame(raw: bytes, plain: bytes = b"") -> tuple[bytes, bytes]:
    """A kept frame and (HJ 212-2025 SM4) its plaintext copy with the password redacted, their length
    fields and CRCs recomputed so that both still verify (HJ 212-2017 §6.3.1; an SM4 frame's length and
    CRC are those of its plaintext segment, HJ 212-2025 Part B4): the stored frame stays checkable, and
    the frame as sent is not kept anywhere.

    The HJ 212-2017 Annex C notice (reference §6); the CRC after redaction is the reference CRC-16's:

    >>> from ecowatch.hj212 import parse_frame
    >>> raw, _ = redact_frame(b"##0099QN=20160801085857223;ST=32;CN=1013;PW=123456;"
    ...                       b"MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018&&CAC1\\r\\n")
    >>> raw[:6], raw.split(b";")[3], raw[-8:]
    (b'##0103', b'PW=<redacted>', b'&&4680\\r\\n')
    >>> parse_frame(raw).crc_ok
    True
    """
    if plain:
        plain, _ = redact_frame(plain)
        match = _FRAME_BYTES.fullmatch(plain)
        redacted = redact_password(raw)
        if match is None or not redacted.startswith(b"##") or redacted == raw:
            return redacted, plain
        return b"##" + match[1] + redacted[6:-6] + match[3] + b"\r\n", plain
    redacted = redact_password(raw)
    match = _FRAME_BYTES.fullmatch(redacted)
    if match is None or redacted == raw:
        return redacted, plain
    segment = match[2]
    length = int(match[1]) - (len(raw) - len(redacted))
    return b"##%04d%s%s\r\n" % (length, segment, format_crc(hj212_crc16(segment)).encode()), plain


_MN_FIELD = re.compile(rb"(?:(?<=[;,])|(?<=^##\d{4})|^)MN=([^;,&\r\n]*)")


def header_mn(raw: bytes) -> str | None:
    """The ``MN`` a refused frame's header names (None if none), read without parsing it: a refused frame
    may not parse (its CRC, or its length field once its password is redacted).

    >>> header_mn(b"##0141QN=1;ST=22;CN=2051;PW=<redacted>;MN=010000A8900016F000169DC0;Flag=5;CP=&&MN=x&&")
    '010000A8900016F000169DC0'
    """
    end = raw.find(b"CP=&&")
    match = _MN_FIELD.search(raw if end < 0 else raw[:end])
    return None if match is None else match[1].decode("utf-8", "replace")


def quarantine_text(raw: bytes) -> str:
    """``hj212_quarantine.raw``: the bytes received as text, with NUL and bytes that are not UTF-8
    escaped as ``\\xNN`` (PostgreSQL text cannot hold NUL; a NUL from the network stopped its store).
    For reading, not for sending again: a backslash received stays as it was.

    >>> quarantine_text(b"a\\x00b\\xff##0004ABCD")
    'a\\\\x00b\\\\xff##0004ABCD'
    """
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def _no_nul(text: str) -> str:
    return text.replace("\x00", "\\x00") if "\x00" in text else text


@dataclass(frozen=True, slots=True)
class RefusedFrame:
    """A frame the gateway refused (unknown MN, wrong password, bad CRC...): quarantined, not data."""

    digest: str
    reason: str
    mn: str | None
    raw: str
    peer: str
    received_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A position in a gateway journal: segment number, byte offset, records applied in total."""

    journal_id: str
    segment: int
    offset: int
    records: int


@dataclass(frozen=True, slots=True)
class BatchResult:
    frames: int
    values: int
    values_changed: int
    refused: int


def _stored_cp(frame: KeptFrame) -> str | None:
    """``hj212_frame.cp``: null where ``raw`` holds the data area as sent, as it does for every frame
    but an SM4-encrypted one (read back by :func:`~ecowatch.store.hj212_values.data_area`)."""
    try:
        return None if data_area(None, frame.raw) == frame.cp else frame.cp
    except ValueError:  # no data area in raw
        return frame.cp


#: ``hj212_frame`` columns in the order the SQLite path binds them.
_FRAME_COLUMNS = (
    "digest",
    "mn",
    "qn",
    "st",
    "cn",
    "flag",
    "version",
    "pnum",
    "pno",
    "data_time",
    "data_time_utc",
    "received_at",
    "site_id",
    "cp",
    "raw",
    "peer",
    "review",
)


def _insert_frames_sqlite(connection, statement, frames, review: Mapping[str, str]) -> None:
    """The frames as plain tuples to the driver, times as the text SQLAlchemy's SQLite DateTime stores
    (as :func:`ecowatch.store.measurements.write_measurements` does): SQLAlchemy's per-row processing
    of dicts cost more than the insert itself."""
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(_FRAME_COLUMNS))
    if list(compiled.positiontup or ()) != list(_FRAME_COLUMNS):
        raise AssertionError(f"unexpected parameters of the frame insert: {compiled.positiontup}")
    rows = []
    for frame in frames:
        data_time = data_time_utc(frame.data_time, frame.timezone)
        rows.append(
            (
                frame.digest,
                frame.mn,
                frame.qn,
                frame.st,
                f"{frame.cn:04d}",
                frame.flag,
                frame.version,
                frame.pnum,
                frame.pno,
                frame.data_time,
                None if data_time is None else cached_sqlite_time_text(data_time),
                sqlite_time_text(frame.received_at),
                frame.site_id,
                _stored_cp(frame),
                frame.raw,
                frame.peer,
                review.get(frame.digest),
            )
        )
    connection.exec_driver_sql(compiled.string, rows)


def _frame_row(frame: KeptFrame, review: Mapping[str, str]) -> dict[str, Any]:
    return {
        "review": review.get(frame.digest),
        "digest": frame.digest,
        "mn": frame.mn,
        "qn": frame.qn,
        "st": frame.st,
        "cn": f"{frame.cn:04d}",
        "flag": frame.flag,
        "version": frame.version,
        "pnum": frame.pnum,
        "pno": frame.pno,
        "data_time": frame.data_time,
        "data_time_utc": data_time_utc(frame.data_time, frame.timezone),
        "received_at": frame.received_at,
        "site_id": frame.site_id,
        "cp": _stored_cp(frame),
        "raw": frame.raw,
        "peer": frame.peer,
    }


#: (MN, QN) pairs looked up per query (:func:`_conflicts`).
_CONFLICT_CHUNK = 500


def _conflicts(session: Session, frames: Iterable[KeptFrame]) -> dict[str, str]:
    """digest -> ``hj212_frame.review`` of the frames that repeat the MN, CN, QN and DataTime of a frame kept
    before (or earlier in ``frames``) with other contents: both are kept, the first stays the data, the
    later one waits for review.  A device re-sends a frame it got no answer to with the same QN
    (HJ 212-2017 §6.5); the same QN with other values is not a resend, and was silently replacing the
    first values."""
    keyed = [frame for frame in frames if frame.qn and frame.data_time]
    if not keyed:
        return {}
    first: dict[tuple, str] = {}
    pairs = sorted({(frame.mn, frame.qn) for frame in keyed})
    columns = (Hj212Frame.mn, Hj212Frame.qn, Hj212Frame.cn, Hj212Frame.data_time, Hj212Frame.digest)
    for start in range(0, len(pairs), _CONFLICT_CHUNK):
        chunk = pairs[start : start + _CONFLICT_CHUNK]
        query = (
            select(*columns).where(tuple_(Hj212Frame.mn, Hj212Frame.qn).in_(chunk)).order_by(Hj212Frame.id)
        )
        for mn, qn, cn, data_time, digest in session.execute(query):
            first.setdefault((mn, qn, cn, data_time), digest)
    review = {}
    for frame in keyed:
        earlier = first.setdefault((frame.mn, frame.qn, f"{frame.cn:04d}", frame.data_time), frame.digest)
        if earlier != frame.digest:
            review[frame.digest] = (
                f"conflict: QN {frame.qn} with DataTime {frame.data_time} was kept "
                f"before with other values (frame {earlier}): for review, not used as "
                "data"
            )[:255]
    return review


def _insert(session: Session, table):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)


def apply_batch(
    *,
    session: Session,
    kept: Sequence[KeptFrame],
    refused: Sequence[RefusedFrame] = (),
    checkpoint: Checkpoint | None = None,
    actor: str = "gateway",
) -> BatchResult:
    """Write one batch of frames in the session's transaction (the caller commits).

    Frames already kept (same ``digest``) are skipped; measurement rows are upserted (a value equal
    to the stored one is left alone, a changed one replaces it and bumps the site's
    ``data_version``, as :func:`~ecowatch.store.measurements.write_measurements` does); a refused frame
    seen before only counts up.  The checkpoint is written in the same transaction, so after a crash
    the store and the checkpoint agree.  One audit entry per batch.
    """
    review: dict[str, str] = {}
    if kept:
        by_digest = {frame.digest: frame for frame in kept}
        review = _conflicts(session, by_digest.values())
        statement = _insert(session, Hj212Frame).on_conflict_do_nothing(index_elements=["digest"])
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            _insert_frames_sqlite(connection, statement, by_digest.values(), review)
        else:
            session.execute(statement, [_frame_row(frame, review) for frame in by_digest.values()])
    # Within a batch the last frame wins for a key, as it would across batches: frames are ordered by
    # site, interval and time (for the index), stably, so that a later frame's upsert comes later.
    timed = []
    for frame in kept:
        time = data_time_utc(frame.data_time, frame.timezone) if frame.cn in MEASUREMENT_CNS else None
        if time is not None and frame.digest not in review:  # a conflicting frame is kept, not used
            timed.append((frame.site_id, frame.cn, time, frame))
    timed.sort(key=itemgetter(0, 1, 2))
    rows: list[MeasurementRow] = []
    for site, cn, time, frame in timed:
        rows += value_rows(site, cn, frame.version, frame.values, time)
    changed = upsert_measurements(session=session, rows=rows)
    bump_data_versions(session, changed)
    if refused:
        counted: dict[tuple[str, str], tuple[RefusedFrame, int, dt.datetime]] = {}
        for item in refused:
            first, count, _ = counted.get((item.digest, item.reason), (item, 0, item.received_at))
            counted[item.digest, item.reason] = (first, count + 1, item.received_at)
        statement = _insert(session, Hj212Quarantine)
        statement = statement.on_conflict_do_update(
            index_elements=["digest", "reason"],
            set_={
                "count": Hj212Quarantine.count + statement.excluded.count,
                "last_seen": statement.excluded.last_seen,
            },
        )
        # Every text as the columns can hold it: a NUL (in an MN, in junk) is escaped, widths are cut.
        session.execute(
            statement,
            [
                {
                    "digest": item.digest,
                    "reason": _no_nul(item.reason)[:255],
                    "mn": _no_nul(item.mn)[:64] if item.mn else None,
                    "raw": _no_nul(item.raw),
                    "peer": _no_nul(item.peer)[:64],
                    "first_seen": item.received_at,
                    "last_seen": last,
                    "count": count,
                }
                for item, count, last in counted.values()
            ],
        )
    if checkpoint is not None:
        statement = _insert(session, GatewayCheckpoint)
        values = {
            "segment": checkpoint.segment,
            "offset": checkpoint.offset,
            "records": checkpoint.records,
            "updated_at": dt.datetime.now(dt.UTC),
        }
        session.execute(
            statement.on_conflict_do_update(index_elements=["journal_id"], set_=values),
            [{"journal_id": checkpoint.journal_id, **values}],
        )
    total_changed = sum(changed.values())
    if kept or refused:
        record(
            session=session,
            actor=actor,
            action="write",
            entity="hj212_frame",
            entity_id=SOURCE,
            detail={
                "frames": len(kept),
                "values": len(rows),
                "values_changed": total_changed,
                "refused": len(refused),
            },
        )
    session.flush()
    return BatchResult(frames=len(kept), values=len(rows), values_changed=total_changed, refused=len(refused))


def frame_values_query(interval: str):
    """``select`` of the kept frames holding ``interval`` values (``rtd``, ``min``): their site, CN,
    edition, ``cp``, ``raw`` and UTC DataTime, in (site, time, arrival) order.  Add conditions (site,
    time range) before running it; read the result with :func:`frame_measurements`."""
    cn = FRAME_INTERVALS[interval]
    return (
        select(
            Hj212Frame.site_id,
            Hj212Frame.cn,
            Hj212Frame.version,
            Hj212Frame.cp,
            Hj212Frame.raw,
            Hj212Frame.data_time_utc,
        )
        .where(
            Hj212Frame.cn == f"{cn:04d}",
            Hj212Frame.site_id.is_not(None),
            Hj212Frame.data_time_utc.is_not(None),
            Hj212Frame.review.is_(None),
        )
        .order_by(Hj212Frame.site_id, Hj212Frame.data_time_utc, Hj212Frame.id)
    )


def known_sites(*, session: Session, ids: Iterable[int]) -> set[int]:
    """The ids among ``ids`` of sites this store has (a replayed journal may name sites of another)."""
    wanted = sorted(set(ids))
    return set(session.scalars(select(Site.id).where(Site.id.in_(wanted)))) if wanted else set()


def prune_quarantine(*, session: Session, before: dt.datetime) -> int:
    """Delete the quarantine rows last seen before ``before`` (the retention, a scheduler job: the
    quarantine is for review, and junk kept for ever fills the disk); the number deleted."""
    return session.execute(delete(Hj212Quarantine).where(Hj212Quarantine.last_seen < before)).rowcount or 0


def read_store_id(*, session: Session) -> str:
    """This store's id (``store_identity``, made by migration 0006): a gateway journal names it."""
    store_id = session.scalar(select(StoreIdentity.store_id).order_by(StoreIdentity.created_at).limit(1))
    if store_id is None:
        raise StoreError(
            f"store {session.get_bind().engine.url!r} has no store_identity row: run `ecowatch db upgrade`"
        )
    return store_id


def read_checkpoint(*, session: Session, journal_id: str) -> Checkpoint | None:
    """The applied position of journal ``journal_id`` (None when nothing was applied yet)."""
    row = session.get(GatewayCheckpoint, journal_id)
    if row is None:
        return None
    return Checkpoint(row.journal_id, row.segment, row.offset, row.records)


def _utc_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def list_frames(*, session: Session, mn: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The kept frames, oldest first: ``mn``, ``qn``, ``cn`` (4 digits), ``data_time`` (as sent),
    ``received_at`` (UTC, ISO 8601 ``Z``), ``values`` (code -> suffix -> value, as ``hj212 decode``) and
    ``review`` (null, or why the frame is kept for review rather than as data: a conflict)."""
    query = select(
        Hj212Frame.mn,
        Hj212Frame.qn,
        Hj212Frame.cn,
        Hj212Frame.data_time,
        Hj212Frame.received_at,
        Hj212Frame.cp,
        Hj212Frame.raw,
        Hj212Frame.review,
    ).order_by(Hj212Frame.id)
    if mn is not None:
        query = query.where(Hj212Frame.mn == mn)
    if limit is not None:
        query = query.limit(limit)
    return [
        {
            "mn": row.mn,
            "qn": row.qn,
            "cn": row.cn,
            "data_time": row.data_time,
            "received_at": _utc_text(row.received_at),
            "values": parse_cp(data_area(row.cp, row.raw)).codes,
            "review": row.review,
        }
        for row in session.execute(query)
    ]


def count_frames(*, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Hj212Frame)) or 0)
