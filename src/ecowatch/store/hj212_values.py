"""HJ 212 frames to ``measurement`` rows: the mapping alone, no database (frames in, rows out).

- :class:`KeptFrame` — a frame the gateway kept, as the store writes it;
- :func:`measurement_rows` — the ``measurement`` rows of one kept frame;
- :func:`frame_measurements` — the same rows of the real-time and minute frames read back from
  ``hj212_frame`` (:func:`ecowatch.store.frames.frame_values_query` selects them);
- :func:`data_time_utc`, :func:`frame_key`, :func:`data_area` — a frame's time, key and data area.

The rows go to the store through :func:`ecowatch.store.measurements.upsert_measurements`, the one upsert
of values, and the SQL around frames is in :mod:`ecowatch.store.frames`.

Which values land where (HJ 212-2017 Table 9 and §6.6.5; reference §3.2):

========  ===========================  ============  ===============
CN        data                         ``interval``  main suffix
========  ===========================  ============  ===============
2011      real-time data (实时数据)      ``rtd``       ``Rtd``
2051      minute data (分钟数据)         ``min``       ``Avg``
2061      hour data (小时数据)           ``1h``        ``Avg``
2031      day data (日数据)              ``1d``        ``Avg``
========  ===========================  ============  ===============

The main suffix is stored under the factor code (``a34004``); the emission total and the
converted (折算) value under ``code-Cou`` and ``code-ZsAvg``/``code-ZsRtd``: these are what the
standards assess (averages against limits, totals against permits).  Minima and maxima stay in
``hj212_frame`` only; as rows they would triple the table for values nothing assesses.
``flag`` is the code's ``-Flag`` (HJ 212-2017 §6.6.4, Table 8: ``N`` normal, ``F`` stopped, ``M``
maintenance, ``D`` fault...) for every row of that code.  ``time`` is ``DataTime`` (the device's local
time, Beijing for the
whole country) converted to UTC.  HJ/T 212-2005 codes are mapped to their 2017 codes
(:data:`ecowatch.hj212.CODE_2005_TO_2017`), so one factor has one name whatever the edition.
Frames of other CNs (heartbeats, notices, logs) are kept in ``hj212_frame`` only.

Only hour and day values (:data:`MEASUREMENT_CNS`, what the standards assess, what the hourly
blocks and the daily figures read) are written as ``measurement`` rows.  Real-time and minute
data come from every outlet every minute or more often: one row per value would make ``measurement``
a hundred million rows a day for 10,000 outlets, and writing them cost the store more than the
gateway spends on the frame (10,000 frames/s of 7 factors: 80,000 value rows/s).  They stay one row
per frame in ``hj212_frame`` (indexed by site, CN and time; its data area parsed on reading), read as the
same ``measurement`` rows by :func:`frame_measurements` — also what screening for flat lines and
jumps wants: all the factors of an outlet's minute together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from ecowatch.hj212 import FrameError, Value, data_area_bounds, parse_cp
from ecowatch.hj212.codes import CODE_2005_TO_2017

__all__ = [
    "CN_INTERVALS",
    "FRAME_INTERVALS",
    "MEASUREMENT_CNS",
    "SOURCE",
    "KeptFrame",
    "MeasurementRow",
    "data_area",
    "data_time_utc",
    "frame_key",
    "frame_measurements",
    "measurement_rows",
    "value_rows",
]

#: A ``measurement`` row: ``(site_id, interval, time, pollutant, value, flag, note, source)``, ``time``
#: naive UTC (:data:`ecowatch.store.measurements.MEASUREMENT_COLUMNS`).
MeasurementRow = tuple[int, str, dt.datetime, str, float | None, str | None, str | None, str]

#: CN -> (measurement interval, main suffix); HJ 212-2017 Table 9.
CN_INTERVALS: Mapping[int, tuple[str, str]] = {
    2011: ("rtd", "Rtd"),
    2051: ("min", "Avg"),
    2061: ("1h", "Avg"),
    2031: ("1d", "Avg"),
}
#: The CNs whose values are also written as ``measurement`` rows: hour and day data.
MEASUREMENT_CNS = frozenset({2061, 2031})
#: Intervals read from ``hj212_frame`` (:func:`frame_measurements`) -> their CN.
FRAME_INTERVALS: Mapping[str, int] = {"rtd": 2011, "min": 2051}
#: ``measurement.source`` of every value the gateway writes.
SOURCE = "hj212"
#: Widths of ``measurement.pollutant`` and ``measurement.flag``: longer codes or flags are not
#: standard (codes are 6 characters, flags 1) and stay in ``hj212_frame.cp`` only.
_MAX_POLLUTANT = 16
_MAX_FLAG = 8
#: Suffixes stored as rows besides the main one (HJ 212-2017 Table 4: Cou total, Zs* converted value).
_EXTRA_SUFFIXES = {"Rtd": ("Cou", "ZsRtd"), "Avg": ("Cou", "ZsAvg")}


class KeptFrame(NamedTuple):
    """A frame from a registered device, journaled and acknowledged, to be kept.

    ``cp`` is its data area as text (decrypted), ``data_time`` its DataTime; ``timezone`` is the
    site's (device local time -> UTC).  A named tuple: the store makes thousands a second.
    """

    digest: str
    mn: str
    qn: str | None
    st: str
    cn: int
    flag: int | None
    version: str
    pnum: int | None
    pno: int | None
    data_time: str | None
    cp: str
    raw: str
    peer: str
    received_at: dt.datetime
    site_id: int
    timezone: str = "Asia/Shanghai"

    @property
    def values(self) -> Mapping[str, Mapping[str, Value]]:
        """Code -> suffix -> value, as ``ecowatch hj212 decode`` gives them (parsed from ``cp``)."""
        return parse_cp(self.cp).codes


def data_area(cp: str | None, raw: str) -> str:
    """A kept frame's data area from its ``hj212_frame`` row: ``cp`` where the store kept it (SM4
    frames, whose ``raw`` is ciphertext), else cut from ``raw``.

    >>> data_area(None, "##0051QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=5;CP=&&DataTime=20160801080000&&1C80\\r\\n")
    'DataTime=20160801080000'
    """
    if cp is not None:
        return cp
    cut = _cut_data_area(raw)
    if cut is None:
        raise ValueError(f"frame holds no data area: {raw[:80]!r}")
    return cut


def _cut_data_area(raw: str) -> str | None:
    """The data area cut from the frame as text, where the parser reads it (None when there is none)."""
    try:
        start, end = data_area_bounds(raw)
    except FrameError:
        return None
    return raw[start:end]


def frame_key(data_segment: bytes, data_time: str | None) -> str:
    """``hj212_frame.digest``: the frame's DataTime (14 characters; zeros without one) and the first 50
    hex digits of the SHA-256 of its (plaintext) data segment, without its QN when it has a DataTime.

    The same frame always gets the same key (the DataTime is part of the segment), so a re-sent frame
    is the same row; so is a reading re-sent under a new QN (a device re-sends data that got no 9014
    with a new QN, HJ 212-2017 §6.5), which was stored again.  Frames without a DataTime (heartbeats,
    notices) keep their QN in the key: each is its own event.  The DataTime leads so that the frames of
    one minute are neighbours in the unique index: 10,000 devices' frames of a minute then touch a few
    hundred index pages instead of
    one random page each, which on a growing table made the store fall behind (10,000 frames/s over
    10,000 connections: 60 s ended 46,000-61,000 frames behind with a plain SHA-256, 4,100 with this).

    >>> frame_key(b"QN=1;ST=22;CN=2051;PW=1;MN=M1;Flag=5;CP=&&DataTime=20260301100000;a21026-Avg=1&&",
    ...           "20260301100000")
    '20260301100000555158ccca7779405f900c936ee4d5e432121c64bdceb5a31a'
    >>> _ == frame_key(b"QN=2;ST=22;CN=2051;PW=1;MN=M1;Flag=5;CP=&&DataTime=20260301100000;a21026-Avg=1&&",
    ...                "20260301100000")
    True
    >>> len(frame_key(b"QN=1;ST=91;CN=9014;CP=&&&&", None)), frame_key(b"x", None)[:14]
    (64, '00000000000000')
    """
    prefix = data_time if data_time is not None and len(data_time) == _DATA_TIME_CHARS else _NO_DATA_TIME
    if data_time is not None and data_segment.startswith(b"QN="):
        end = data_segment.find(b";")
        if end > 0:
            data_segment = data_segment[end + 1 :]
    return prefix + hashlib.sha256(data_segment).hexdigest()[: 64 - _DATA_TIME_CHARS]


_DATA_TIME_CHARS = 14
#: ``YYYYMMDDhhmmss`` (HJ 212-2017 Table 4), and with milliseconds as some devices send it (reference §4.4).
_DATA_TIME_LENGTHS = (14, 17)
_NO_DATA_TIME = "0" * _DATA_TIME_CHARS


@cache
def _zone(name: str) -> dt.tzinfo:
    return dt.UTC if name == "UTC" else ZoneInfo(name)


def data_time_utc(data_time: str | None, timezone: str) -> dt.datetime | None:
    """``DataTime`` (``YYYYMMDDhhmmss``, device local time) as naive UTC; None when absent or invalid.

    >>> data_time_utc("20160801080000", "Asia/Shanghai")
    datetime.datetime(2016, 8, 1, 0, 0)
    >>> data_time_utc("20161301080000", "Asia/Shanghai") is None
    True
    >>> data_time_utc("20160801080000123", "Asia/Shanghai")  # milliseconds, as some devices send (§4.4)
    datetime.datetime(2016, 8, 1, 0, 0)
    """
    if not data_time or len(data_time) not in _DATA_TIME_LENGTHS or not data_time.isdigit():
        return None
    return _utc(data_time[:_DATA_TIME_CHARS], timezone)


# Frames of one minute from thousands of devices share a handful of DataTimes: parse each once.
@lru_cache(maxsize=4096)
def _utc(data_time: str, timezone: str) -> dt.datetime | None:
    d = data_time
    try:
        local = dt.datetime(
            int(d[:4]),
            int(d[4:6]),
            int(d[6:8]),
            int(d[8:10]),
            int(d[10:12]),
            int(d[12:14]),
            tzinfo=_zone(timezone),
        )
    except ValueError:
        return None
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def measurement_rows(frame: KeptFrame) -> list[MeasurementRow]:
    """The ``measurement`` rows ``(site_id, interval, time, pollutant, value, flag, note, source)`` of a
    frame.

    ``time`` is naive UTC.  Non-numeric values are kept as null with the text in ``note``.

    >>> f = KeptFrame("d", "MN", "1", "22", 2061, 5, "2017", None, None, "20160801080000",
    ...               "DataTime=20160801080000;a34004-Avg=35.5,a34004-Max=41,a34004-ZsAvg=40,a34004-Flag=N",
    ...               "", "",
    ...               dt.datetime.now(dt.UTC), 7)
    >>> measurement_rows(f)  # doctest: +NORMALIZE_WHITESPACE
    [(7, '1h', datetime.datetime(2016, 8, 1, 0, 0), 'a34004', 35.5, 'N', None, 'hj212'),
     (7, '1h', datetime.datetime(2016, 8, 1, 0, 0), 'a34004-ZsAvg', 40.0, 'N', None, 'hj212')]
    """
    if frame.cn not in CN_INTERVALS:
        return []
    time = data_time_utc(frame.data_time, frame.timezone)
    return [] if time is None else value_rows(frame.site_id, frame.cn, frame.version, frame.values, time)


def value_rows(
    site: int, cn: int, version: str, values: Mapping[str, Mapping[str, Any]], time: dt.datetime
) -> list[MeasurementRow]:
    """:func:`measurement_rows` with ``time`` (naive UTC) given, for a frame of a CN in
    :data:`CN_INTERVALS` with a valid DataTime."""
    interval, main = CN_INTERVALS[cn]
    extras = _EXTRA_SUFFIXES[main]
    renamed = CODE_2005_TO_2017 if version == "2005" else None
    rows: list[MeasurementRow] = []
    for code, suffixes in values.items():
        name = renamed.get(code, code) if renamed else code
        flag = suffixes.get("Flag")
        if flag is not None:
            flag = str(flag)[:_MAX_FLAG]
        for suffix in (main, *extras):
            if suffix not in suffixes:
                continue
            pollutant = name if suffix == main else f"{name}-{suffix}"
            if len(pollutant) > _MAX_POLLUTANT:
                continue
            value = suffixes[suffix]
            if type(value) is float or type(value) is int:
                rows.append((site, interval, time, pollutant, float(value), flag, None, SOURCE))
            else:
                rows.append(
                    (
                        site,
                        interval,
                        time,
                        pollutant,
                        None,
                        flag,
                        f"not a number: {str(value)[:64]!r}",
                        SOURCE,
                    )
                )
    return rows


def frame_measurements(frames: Iterable[Sequence[Any]]) -> list[MeasurementRow]:
    """The ``measurement`` rows ``(site_id, interval, time, pollutant, value, flag, note, source)`` of
    the frames :func:`ecowatch.store.frames.frame_values_query` gave, as :func:`measurement_rows` makes
    them; where frames repeat a (site, time), the one received last wins, as in ``measurement``.
    ``time`` naive UTC."""
    rows: dict[tuple[Any, ...], MeasurementRow] = {}
    for site, cn, version, cp, raw, time in frames:
        if time.tzinfo is not None:
            time = time.astimezone(dt.UTC).replace(tzinfo=None)
        for row in value_rows(site, int(cn), version, parse_cp(data_area(cp, raw)).codes, time):
            rows[row[:4]] = row
    return sorted(rows.values(), key=itemgetter(0, 1, 2, 3))
