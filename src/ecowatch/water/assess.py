"""Period assessment of surface-water sections, basins, provinces and cities (no database).

Input: a frame of samples, wide (one row per section and time, a column per parameter as
:data:`ecowatch.water.importer.RECORD_SCHEMA` describes: ``P`` the value or the detection limit and
``P_below`` whether it is below detection) or long (``section``, ``time``, ``indicator``, ``value`` and
optionally ``below``), with the section's ``name``, ``basin``, ``province``, ``city_code``, ``city`` and
``waterbody`` (``river`` | ``lake``). Output: :class:`WaterAssessment` with the class, exceedance,
main pollutants, CWQI and (lakes) TLI of every section, and the shares, level and CWQI rank of every
basin, province and city.

The period means are computed vectorised (polars ``group_by``) and exactly: each value is snapped to
10⁻⁶ (:func:`~ecowatch.standards.rounding.snap_to_int`, decision W-means) and summed as integers, so a
mean is an exact fraction; a below-detection result enters as half its limit (W-detection). The
classes, indices and levels then come from the exact functions of :mod:`ecowatch.standards`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from ecowatch.standards import (
    BelowDetection,
    StandardsError,
    Waterbody,
    WaterClassResult,
    WaterIndicator,
    water_class,
)
from ecowatch.standards.rounding import SNAP_SCALE
from ecowatch.standards.water import Value
from ecowatch.standards.water_cwqi import CwqiResult, city_cwqi, cwqi_rank, section_cwqi
from ecowatch.standards.water_levels import GroupLevel, SectionPeriod, group_level, level_of_class
from ecowatch.standards.water_trophic import TrophicParameter, TrophicResult, trophic_level_index

__all__ = [
    "CHLA_MG_L_TO_MG_M3",
    "GroupAssessment",
    "SectionAssessment",
    "WaterAssessment",
    "assess_water",
    "period_frame",
]

CHLA_MG_L_TO_MG_M3 = 1000
"""chla arrives in mg/L (the CNEMC release, the importer); TLI takes mg/m³ (= µg/L)."""

_INDICATORS: tuple[str, ...] = tuple(str(item) for item in WaterIndicator)
_TROPHIC_EXTRA: tuple[str, ...] = ("chla", "SD")
_ATTRIBUTES: tuple[str, ...] = ("name", "basin", "province", "city_code", "city", "waterbody")


@dataclass(frozen=True, slots=True)
class SectionAssessment:
    """One section over the period."""

    section: str
    name: str
    basin: str | None
    province: str | None
    city_code: str | None
    city: str | None
    waterbody: Waterbody
    samples: int
    """Records of the period used (usable records with at least one value)."""
    means: Mapping[WaterIndicator, Value]
    result: WaterClassResult | None
    """None when no indicator that sets the class was measured."""
    cwqi: CwqiResult | None
    trophic: TrophicResult | None
    """Lakes and reservoirs with chla measured: TLI(Σ) of chla, TP, TN, SD, CODMn present."""

    def to_json(self) -> dict[str, Any]:
        """The section as ``water assess --json`` prints it."""
        result = self.result
        return {
            "section": self.section,
            "name": self.name,
            "basin": self.basin,
            "province": self.province,
            "city_code": self.city_code,
            "city": self.city,
            "waterbody": self.waterbody.value,
            "samples": self.samples,
            "class": None if result is None else result.water_class.label,
            "class_zh": None if result is None else result.water_class.zh,
            "level": None if result is None else level_of_class(result.water_class).value,
            "level_zh": None if result is None else level_of_class(result.water_class).zh,
            "exceeding": {} if result is None else {str(k): float(v) for k, v in result.exceeding.items()},
            "main_pollutants": [] if result is None else [str(item) for item in result.main_pollutants],
            "determining": [] if result is None else [str(item) for item in result.determining],
            "separate": {} if result is None else {str(k): v.label for k, v in result.separate.items()},
            "means": {str(k): _mean_json(v) for k, v in self.means.items()},
            "cwqi": None if self.cwqi is None else float(self.cwqi.published),
            "tli": None if self.trophic is None else float(self.trophic.published),
            "trophic_state": None if self.trophic is None else self.trophic.state.value,
            "trophic_state_zh": None if self.trophic is None else self.trophic.state.zh,
        }


def _mean_json(value: Value) -> float | str | None:
    if isinstance(value, BelowDetection):
        return None if value.limit is None else f"<{float(value.limit):g}"
    return round(float(value), 6)


@dataclass(frozen=True, slots=True)
class GroupAssessment:
    """A basin, province or city over the period."""

    kind: str
    """``basin``, ``province`` or ``city``."""
    key: str
    name: str
    level: GroupLevel
    cwqi: CwqiResult | None
    cwqi_rank: int | None = None
    sections: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {self.kind: self.name}
        if self.kind == "city":
            out["city_code"] = self.key
        out |= {
            "sections": self.level.sections,
            "share_I_III_percent": float(self.level.share_excellent_percent),
            "share_worse_than_V_percent": float(self.level.share_worse_than_v_percent),
            "level": self.level.level.value,
            "level_zh": self.level.level.zh,
            "level_method": self.level.method,
            "mean_class": None if self.level.mean_class is None else self.level.mean_class.label,
            "cwqi": None if self.cwqi is None else float(self.cwqi.published),
            "cwqi_rank": self.cwqi_rank,
        }
        return out


@dataclass(frozen=True, slots=True)
class WaterAssessment:
    """Every section, basin, province and city of a period."""

    first: dt.date
    last: dt.date
    sections: tuple[SectionAssessment, ...]
    basins: tuple[GroupAssessment, ...]
    provinces: tuple[GroupAssessment, ...]
    cities: tuple[GroupAssessment, ...]
    unclassified: tuple[str, ...] = field(default=())
    """Sections with samples in the period but no indicator that sets the class."""

    def to_json(self) -> dict[str, Any]:
        """``ecowatch water assess --json``: period, sections, basins, provinces, cities."""
        return {
            "period": {"from": self.first.isoformat(), "to": self.last.isoformat()},
            "sections": [section.to_json() for section in self.sections],
            "basins": [group.to_json() for group in self.basins],
            "provinces": [group.to_json() for group in self.provinces],
            "cities": [group.to_json() for group in self.cities],
            "unclassified": list(self.unclassified),
        }


def _to_wide(samples: pl.DataFrame) -> pl.DataFrame:
    """A long frame (section, time, indicator, value[, below]) pivoted to the wide layout."""
    if "indicator" not in samples.columns:
        return samples
    below = pl.col("below") if "below" in samples.columns else pl.lit(False)
    long = samples.with_columns(below.fill_null(False).alias("below"))
    index = [c for c in samples.columns if c not in ("indicator", "value", "below", "unit", "line", "source")]
    values = long.pivot(on="indicator", index=index, values="value", aggregate_function="last")
    flags = long.pivot(on="indicator", index=index, values="below", aggregate_function="last")
    names = [c for c in values.columns if c not in index]
    flags = flags.rename({name: f"{name}_below" for name in names})
    return values.join(flags, on=index, how="left", nulls_equal=True)


def _period_filter(columns: Sequence[str], first: dt.date, last: dt.date) -> pl.Expr:
    if last < first:
        raise StandardsError(f"period ends ({last}) before it starts ({first})")
    start = dt.datetime.combine(first, dt.time())
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
    keep = (pl.col("time") >= start) & (pl.col("time") < end)
    if "usable" in columns:
        keep &= pl.col("usable").fill_null(False)
    return keep


def period_frame(samples: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    """The usable records of ``first`` 00:00 to ``last`` 24:00 (Beijing time, ``last`` inclusive).

    Records with ``usable`` false (station not normal, importer) are left out (decision W-period).
    """
    wide = _to_wide(samples)
    return wide.filter(_period_filter(wide.columns, first, last))


def _parameters(frame: pl.DataFrame) -> list[str]:
    return [name for name in (*_INDICATORS, *_TROPHIC_EXTRA) if name in frame.columns]


def _means_frame(frame: pl.DataFrame, parameters: Sequence[str], period: pl.Expr) -> pl.DataFrame:
    """Per section, one polars ``group_by``: for each parameter the exact sum (units of ½·10⁻⁶), the count,
    the count below detection and the largest detection limit; the records with a value; and the
    section's attributes (the first given).

    Values are snapped as :func:`~ecowatch.standards.rounding.snap_to_int` does (× 10⁶, half to even).
    The row-wise work is done before the ``group_by`` so that its aggregations are plain sums and maxima
    (polars' fast path), and the query runs on the streaming engine (memory in chunks).
    """
    rows: list[pl.Expr] = []
    aggregations: list[pl.Expr] = []
    any_value = pl.lit(False)
    for name in parameters:
        value = pl.col(name).cast(pl.Float64)
        present = value.is_not_null() & value.is_not_nan()
        below = (
            pl.col(f"{name}_below").fill_null(False) if f"{name}_below" in frame.columns else pl.lit(False)
        )
        snapped = (value * SNAP_SCALE).round(0, mode="half_to_even").cast(pl.Int64, strict=False)
        # doubled units, so that half a detection limit stays an integer
        doubled = pl.when(below).then(snapped).otherwise(2 * snapped)
        rows += [
            pl.when(present).then(doubled).otherwise(0).alias(f"{name}__s"),
            present.alias(f"{name}__n"),
            (present & below).alias(f"{name}__b"),
            pl.when(present & below).then(snapped).alias(f"{name}__dl"),
        ]
        aggregations += [
            pl.col(f"{name}__s").sum(),
            pl.col(f"{name}__n").sum(),
            pl.col(f"{name}__b").sum(),
            pl.col(f"{name}__dl").max(),
        ]
        any_value = any_value | present
    attributes = [pl.col(c).first().alias(c) for c in _ATTRIBUTES if c in frame.columns]
    return (
        frame.lazy()
        .filter(period)
        .select("section", *(c for c in _ATTRIBUTES if c in frame.columns), *rows, any_value.alias("__any"))
        .group_by("section")
        .agg(*aggregations, pl.col("__any").sum().alias("samples"), *attributes)
        .collect(engine="streaming")
    )


def _section_means(row: Mapping[str, Any], parameters: Sequence[str]) -> dict[str, Value]:
    means: dict[str, Value] = {}
    for name in parameters:
        count = row[f"{name}__n"]
        if not count:
            continue
        if row[f"{name}__b"] == count:
            means[name] = BelowDetection(Fraction(int(row[f"{name}__dl"]), SNAP_SCALE))
        else:
            means[name] = Fraction(int(row[f"{name}__s"]), 2 * SNAP_SCALE * int(count))
    return means


def _trophic(means: Mapping[str, Value]) -> TrophicResult | None:
    """TLI of a lake's period means, chla required (W-tli-missing); below detection as half the limit."""
    values: dict[TrophicParameter, float] = {}
    for parameter in TrophicParameter:
        value = means.get(str(parameter))
        if isinstance(value, BelowDetection):
            value = value.value
        if value is None or value <= 0:
            continue
        number = float(value)
        values[parameter] = number * CHLA_MG_L_TO_MG_M3 if parameter is TrophicParameter.CHLA else number
    if TrophicParameter.CHLA not in values:
        return None
    return trophic_level_index(values)


def assess_water(samples: pl.DataFrame, first: dt.date, last: dt.date) -> WaterAssessment:
    """Assess every section of ``samples`` over ``first`` .. ``last`` (inclusive, Beijing days).

    Parameters
    ----------
    samples : polars.DataFrame
        Wide or long samples (module docstring). ``waterbody`` missing or empty: river.
    first, last : datetime.date

    Returns
    -------
    WaterAssessment
        Sections sorted by basin, province and name; groups by name; cities ranked by CWQI.
    """
    frame = _to_wide(samples)
    if "section" not in frame.columns or "time" not in frame.columns:
        raise StandardsError("samples need 'section' and 'time' columns")
    period = _period_filter(frame.columns, first, last)
    parameters = _parameters(frame)
    sections: list[SectionAssessment] = []
    unclassified: list[str] = []
    if frame.height and parameters:
        sums = _means_frame(frame, parameters, period)
        for row in sums.iter_rows(named=True):
            key = str(row["section"])
            if not row["samples"]:
                continue
            attrs = {c: (None if row.get(c) is None else str(row[c])) for c in _ATTRIBUTES}
            waterbody = Waterbody(attrs["waterbody"]) if attrs["waterbody"] else Waterbody.RIVER
            raw = _section_means(row, parameters)
            means = {WaterIndicator(name): value for name, value in raw.items() if name in _INDICATORS}
            result: WaterClassResult | None
            try:
                result = water_class(means, waterbody)
                cwqi = section_cwqi(means, waterbody)
            except StandardsError:
                result, cwqi = None, None
                unclassified.append(key)
            sections.append(
                SectionAssessment(
                    section=key,
                    name=attrs["name"] or key,
                    basin=attrs["basin"],
                    province=attrs["province"],
                    city_code=attrs["city_code"],
                    city=attrs["city"],
                    waterbody=waterbody,
                    samples=int(row["samples"]),
                    means=means,
                    result=result,
                    cwqi=cwqi,
                    trophic=_trophic(raw) if waterbody is Waterbody.LAKE else None,
                )
            )
    sections.sort(key=lambda s: (s.basin or "", s.province or "", s.name, s.section))
    classified = [s for s in sections if s.result is not None]
    return WaterAssessment(
        first=first,
        last=last,
        sections=tuple(sections),
        basins=_groups("basin", classified, lambda s: (s.basin, s.basin)),
        provinces=_groups("province", classified, lambda s: (s.province, s.province)),
        cities=_rank(_groups("city", classified, lambda s: (s.city_code or s.city, s.city or s.city_code))),
        unclassified=tuple(sorted(unclassified)),
    )


def _groups(
    kind: str,
    sections: Iterable[SectionAssessment],
    key_of: Any,
) -> tuple[GroupAssessment, ...]:
    members: dict[str, tuple[str, list[SectionAssessment]]] = {}
    for section in sections:
        key, name = key_of(section)
        if not key:
            continue
        members.setdefault(key, (name or key, []))[1].append(section)
    out: list[GroupAssessment] = []
    for key, (name, group) in sorted(members.items()):
        periods = [
            SectionPeriod(s.waterbody, s.means, s.result.water_class) for s in group if s.result is not None
        ]
        rivers = [s.means for s in group if s.waterbody is Waterbody.RIVER]
        lakes = [s.means for s in group if s.waterbody is Waterbody.LAKE]
        try:
            cwqi: CwqiResult | None = city_cwqi(rivers, lakes)
        except StandardsError:
            cwqi = None
        out.append(
            GroupAssessment(
                kind=kind,
                key=key,
                name=name,
                level=group_level(periods),
                cwqi=cwqi,
                sections=tuple(s.section for s in group),
            )
        )
    return tuple(out)


def _rank(groups: tuple[GroupAssessment, ...]) -> tuple[GroupAssessment, ...]:
    """Cities with a CWQI ranked ascending by the published CWQI (ties share a rank), best first."""
    ranked = [g for g in groups if g.cwqi is not None]
    published: list[Decimal] = [g.cwqi.published for g in ranked if g.cwqi is not None]
    ranks = cwqi_rank(published)
    out = [
        GroupAssessment(g.kind, g.key, g.name, g.level, g.cwqi, rank, g.sections)
        for g, rank in zip(ranked, ranks, strict=True)
    ]
    out.sort(key=lambda g: (g.cwqi_rank or 0, g.key))
    return (*out, *(g for g in groups if g.cwqi is None))
