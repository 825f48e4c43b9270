"""Surface water to GB 3838-2002 and the 2011 evaluation method ([GB3838-2002]_, [WATER-EVAL-2011]_).

The class of a sample or a period is the worst single-factor class (单因子评价) over the indicators that
take part; the exceedance multiple over Class Ⅲ and the main pollutants follow the 2011 method.
Every choice the texts leave open is one constant or one function here, recorded in docs/decisions.md
(rows W-…) and pinned by tests/standards/test_water.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from .aqi import StandardsError
from .rounding import round_gbt8170

__all__ = [
    "GB3838_LIMITS",
    "GB3838_TP_LAKE_LIMITS",
    "MULTIPLE_DECIMALS",
    "WATER_CLASS_INDICATORS",
    "BelowDetection",
    "WaterClass",
    "WaterClassResult",
    "WaterIndicator",
    "Waterbody",
    "exceedance_multiple",
    "indicator_class",
    "main_pollutants",
    "parse_water_value",
    "period_means",
    "water_class",
    "water_class_of_period",
]


class Waterbody(StrEnum):
    """River (河流) or lake/reservoir (湖、库): lakes take the lake TP column of GB 3838-2002 Table 1."""

    RIVER = "river"
    LAKE = "lake"


class WaterClass(IntEnum):
    """GB 3838-2002 §3 water-quality classes Ⅰ..Ⅴ and 劣Ⅴ (worse than Ⅴ); a larger value is worse."""

    I = 1  # noqa: E741  (the standard's own name)
    II = 2
    III = 3
    IV = 4
    V = 5
    WORSE_THAN_V = 6

    @property
    def label(self) -> str:
        """``"I"`` .. ``"V"``, ``"worse than V"`` (the command line's words).

        >>> WaterClass.III.label, WaterClass.WORSE_THAN_V.label
        ('III', 'worse than V')
        """
        return "worse than V" if self is WaterClass.WORSE_THAN_V else self.name

    @property
    def zh(self) -> str:
        """The class as officially published: Unicode Roman numerals U+2160..U+2164 and ``劣Ⅴ``.

        >>> WaterClass.II.zh, WaterClass.WORSE_THAN_V.zh
        ('Ⅱ', '劣Ⅴ')
        """
        return "劣Ⅴ" if self is WaterClass.WORSE_THAN_V else chr(0x215F + self.value)

    @classmethod
    def from_published(cls, text: str) -> WaterClass:
        """The class from a published string (``Ⅲ``, ``劣Ⅴ``, or ``III``, ``worse than V``).

        >>> WaterClass.from_published("劣Ⅴ"), WaterClass.from_published("Ⅳ")
        (<WaterClass.WORSE_THAN_V: 6>, <WaterClass.IV: 4>)
        """
        word = text.strip()
        for member in cls:
            if word in (member.zh, member.label, member.name):
                return member
        raise StandardsError(f"not a GB 3838-2002 class: {text!r}")


class WaterIndicator(StrEnum):
    """The basic items of GB 3838-2002 Table 1 (without water temperature), by their column names."""

    PH = "pH"
    DO = "DO"
    CODMN = "CODMn"
    COD = "COD"
    BOD5 = "BOD5"
    NH3_N = "NH3-N"
    TP = "TP"
    TN = "TN"
    CU = "Cu"
    ZN = "Zn"
    F = "F"
    SE = "Se"
    AS = "As"
    HG = "Hg"
    CD = "Cd"
    CR6 = "Cr6"
    PB = "Pb"
    CN = "CN"
    PHENOL = "phenol"
    PETROLEUM = "petroleum"
    LAS = "LAS"
    S2 = "S2"
    FECAL_COLIFORM = "fecal_coliform"


_W = WaterIndicator


def _limits(*values: str) -> tuple[Fraction, ...]:
    return tuple(Fraction(Decimal(value)) for value in values)


GB3838_LIMITS: Mapping[WaterIndicator, tuple[Fraction, ...]] = MappingProxyType(
    {
        # DO is a lower limit (≥); every other item an upper limit (≤). Classes Ⅰ..Ⅴ.
        _W.DO: _limits("7.5", "6", "5", "3", "2"),
        _W.CODMN: _limits("2", "4", "6", "10", "15"),
        _W.COD: _limits("15", "15", "20", "30", "40"),
        _W.BOD5: _limits("3", "3", "4", "6", "10"),
        _W.NH3_N: _limits("0.15", "0.5", "1.0", "1.5", "2.0"),
        _W.TP: _limits("0.02", "0.1", "0.2", "0.3", "0.4"),
        _W.TN: _limits("0.2", "0.5", "1.0", "1.5", "2.0"),
        _W.CU: _limits("0.01", "1.0", "1.0", "1.0", "1.0"),
        _W.ZN: _limits("0.05", "1.0", "1.0", "2.0", "2.0"),
        _W.F: _limits("1.0", "1.0", "1.0", "1.5", "1.5"),
        _W.SE: _limits("0.01", "0.01", "0.01", "0.02", "0.02"),
        _W.AS: _limits("0.05", "0.05", "0.05", "0.1", "0.1"),
        _W.HG: _limits("0.00005", "0.00005", "0.0001", "0.001", "0.001"),
        _W.CD: _limits("0.001", "0.005", "0.005", "0.005", "0.01"),
        _W.CR6: _limits("0.01", "0.05", "0.05", "0.05", "0.1"),
        _W.PB: _limits("0.01", "0.01", "0.05", "0.05", "0.1"),
        _W.CN: _limits("0.005", "0.05", "0.2", "0.2", "0.2"),
        _W.PHENOL: _limits("0.002", "0.002", "0.005", "0.01", "0.1"),
        _W.PETROLEUM: _limits("0.05", "0.05", "0.05", "0.5", "1.0"),
        _W.LAS: _limits("0.2", "0.2", "0.2", "0.3", "0.3"),
        _W.S2: _limits("0.05", "0.1", "0.2", "0.5", "1.0"),
        _W.FECAL_COLIFORM: _limits("200", "2000", "10000", "20000", "40000"),
    }
)
"""GB 3838-2002 Table 1 (表1 地表水环境质量标准基本项目标准限值), items 3–24, Class Ⅰ..Ⅴ [mg/L; fecal
coliform 个/L]. TP is the river column; lakes and reservoirs use :data:`GB3838_TP_LAKE_LIMITS`. DO Class
Ⅰ is "饱和率90%（或7.5）": the 7.5 mg/L alternative, as the national automatic stations apply it. pH
(item 2, 6–9 for every class) is in :func:`indicator_class`; water temperature (item 1) is a limit on
man-made change, not a class, and is not evaluated here."""

GB3838_TP_LAKE_LIMITS: tuple[Fraction, ...] = _limits("0.01", "0.025", "0.05", "0.1", "0.2")
"""GB 3838-2002 Table 1 item 8, TP of lakes and reservoirs (湖、库) [mg/L], Class Ⅰ..Ⅴ."""

PH_RANGE: tuple[Fraction, Fraction] = (Fraction(6), Fraction(9))
"""GB 3838-2002 Table 1 item 2: pH 6～9 (dimensionless) in every class, bounds included."""

WATER_CLASS_INDICATORS: frozenset[WaterIndicator] = frozenset(_W) - {_W.TN, _W.FECAL_COLIFORM}
"""The 21 indicators that set a section's class ([WATER-EVAL-2011]_ 一.(一)1): Table 1 without water
temperature, total nitrogen and fecal coliform. "水温、总氮、粪大肠菌群作为参考指标单独评价（河流总氮
除外）" — temperature, TN and fecal coliform are reference items evaluated separately (rivers' TN not at
all); lakes' TN is evaluated separately, never in the class."""

_TOXIC_PRIORITY: frozenset[WaterIndicator] = frozenset(
    {_W.CN, _W.HG, _W.CD, _W.CR6, _W.PB, _W.AS, _W.CU, _W.ZN}
)
"""Cyanide and heavy metals (incl. arsenic), which the 2011 method puts first among main pollutants."""

_NO_MULTIPLE: frozenset[WaterIndicator] = frozenset({_W.PH, _W.DO})
"""[WATER-EVAL-2011]_ 二.(一): "水温、pH值和溶解氧等项目不计算超标倍数" — no multiple for pH, DO."""

MULTIPLE_DECIMALS = 1
"""Decimals of a published exceedance multiple (e.g. 氨氮(1.3)); rounded by GB/T 8170
(decision W-multiple)."""

_TABLE_ORDER: Mapping[WaterIndicator, int] = MappingProxyType({item: i for i, item in enumerate(_W)})


@dataclass(frozen=True, slots=True)
class BelowDetection:
    """A result below the method's detection limit: ``"<0.01"`` (limit 0.01) or ``"ND"`` (limit unknown).

    Its value in any arithmetic is half the detection limit (decision W-detection).

    >>> BelowDetection(Fraction(1, 100)).value
    Fraction(1, 200)
    """

    limit: Fraction | None = None

    @property
    def value(self) -> Fraction | None:
        """Half the detection limit (1/2 检出限), or None when the limit is unknown."""
        return None if self.limit is None else self.limit / 2


Value = Fraction | BelowDetection
"""One indicator's result: an exact measured value or a result below detection."""


def parse_water_value(text: str) -> Value:
    """Read one result as written: a number, ``"<DL"`` (below the detection limit DL) or ``"ND"``.

    Numbers are taken exactly as written (decimal text, no binary rounding).

    >>> parse_water_value("0.05"), parse_water_value("<0.01"), parse_water_value("ND")
    (Fraction(1, 20), BelowDetection(limit=Fraction(1, 100)), BelowDetection(limit=None))
    >>> parse_water_value("abc")
    Traceback (most recent call last):
    ...
    ecowatch.standards.aqi.StandardsError: not a number, '<detection limit' or 'ND': 'abc'
    """
    word = text.strip()
    if word.upper() in ("ND", "未检出"):
        return BelowDetection(None)
    below = word.startswith("<")
    try:
        number = Fraction(Decimal(word[1:].strip() if below else word))
    except (ArithmeticError, ValueError):
        raise StandardsError(f"not a number, '<detection limit' or 'ND': {text!r}") from None
    if number < 0 or (below and number == 0):
        raise StandardsError(f"a result must be a positive number or zero: {text!r}")
    return BelowDetection(number) if below else number


def _tp_limits(waterbody: Waterbody) -> tuple[Fraction, ...]:
    return GB3838_TP_LAKE_LIMITS if waterbody is Waterbody.LAKE else GB3838_LIMITS[_W.TP]


def indicator_class(indicator: WaterIndicator, value: Value, waterbody: Waterbody) -> WaterClass:
    """Single-factor class of one indicator's value.

    Parameters
    ----------
    indicator : WaterIndicator
    value : Fraction or BelowDetection
        The result [mg/L; pH dimensionless; fecal coliform 个/L].
    waterbody : Waterbody
        Rivers and lakes differ in TP only.

    Returns
    -------
    WaterClass
        The best class whose limit the value meets; 劣Ⅴ beyond the Class Ⅴ limit.

    Notes
    -----
    Upper limits: Class k when value ≤ limit k; DO: when value ≥ limit k; pH: Class Ⅰ when
    6 ≤ pH ≤ 9, else 劣Ⅴ. A value exactly on a limit belongs to the better class (decision W-limit:
    the 148 published records on a limit all took the better class). Below detection: half the
    detection limit; "ND" without a limit counts as Class Ⅰ (decision W-detection).

    References
    ----------
    [GB3838-2002]_ Table 1 and §5 (单因子评价); [WATER-EVAL-2011]_ 二.(一).

    >>> indicator_class(WaterIndicator.TP, Fraction("0.1"), Waterbody.RIVER).name
    'II'
    >>> indicator_class(WaterIndicator.TP, Fraction("0.1"), Waterbody.LAKE).name
    'IV'
    >>> indicator_class(WaterIndicator.DO, Fraction("7.49"), Waterbody.RIVER).name
    'II'
    >>> indicator_class(WaterIndicator.PH, Fraction("9.001"), Waterbody.RIVER).label
    'worse than V'
    """
    if isinstance(value, BelowDetection):
        if indicator in _NO_MULTIPLE:
            raise StandardsError(f"{indicator}: a result below detection makes no sense for {indicator}")
        if value.value is None:
            return WaterClass.I
        value = value.value
    if value < 0:
        raise StandardsError(f"{indicator}: negative value {float(value)}")
    if indicator is _W.PH:
        low, high = PH_RANGE
        return WaterClass.I if low <= value <= high else WaterClass.WORSE_THAN_V
    limits = _tp_limits(waterbody) if indicator is _W.TP else GB3838_LIMITS[indicator]
    for klass, limit in zip(WaterClass, limits, strict=False):
        if (value >= limit) if indicator is _W.DO else (value <= limit):
            return klass
    return WaterClass.WORSE_THAN_V


def exceedance_multiple(indicator: WaterIndicator, value: Value, waterbody: Waterbody) -> Fraction | None:
    """Exceedance multiple over Class Ⅲ, exactly; None when the value is not above Class Ⅲ or the item
    takes none (pH, DO).

    Notes
    -----
    超标倍数 = (C − C_Ⅲ) / C_Ⅲ, C_Ⅲ the Class Ⅲ limit (lakes: TP 0.05). Published to
    :data:`MULTIPLE_DECIMALS` by GB/T 8170 (see :func:`water_class`).

    References
    ----------
    [WATER-EVAL-2011]_ 二.(一) (超标倍数; "水温、pH值和溶解氧等项目不计算超标倍数").

    >>> exceedance_multiple(WaterIndicator.TP, Fraction("0.41"), Waterbody.RIVER)
    Fraction(21, 20)
    >>> exceedance_multiple(WaterIndicator.TP, Fraction("0.2"), Waterbody.RIVER) is None
    True
    """
    if indicator in _NO_MULTIPLE or indicator_class(indicator, value, waterbody) <= WaterClass.III:
        return None
    number = value.value if isinstance(value, BelowDetection) else value
    if number is None:  # pragma: no cover  (an "ND" is Class Ⅰ, returned above)
        return None
    limit_iii = (_tp_limits(waterbody) if indicator is _W.TP else GB3838_LIMITS[indicator])[2]
    return (number - limit_iii) / limit_iii


@dataclass(frozen=True, slots=True)
class WaterClassResult:
    """The class of a sample or a period and what explains it."""

    water_class: WaterClass
    """The worst single-factor class of the indicators that take part."""
    classes: Mapping[WaterIndicator, WaterClass]
    """Single-factor class of every indicator given (taking part or not)."""
    determining: tuple[WaterIndicator, ...]
    """The taking-part indicators whose class is the sample's class, in Table 1 order."""
    exceeding: Mapping[WaterIndicator, Decimal]
    """Taking-part indicators above Class Ⅲ with a multiple: multiple to :data:`MULTIPLE_DECIMALS`."""
    main_pollutants: tuple[WaterIndicator, ...]
    """Up to three, first the first (:func:`main_pollutants`); empty unless the class is worse than Ⅲ."""
    separate: Mapping[WaterIndicator, WaterClass]
    """Reference items evaluated apart from the class, with their own class: fecal coliform, and for
    lakes TN (rivers' TN is not evaluated: it is in ``classes`` only)."""


def main_pollutants(
    classes: Mapping[WaterIndicator, WaterClass],
    multiples: Mapping[WaterIndicator, Fraction],
    limit: int = 3,
) -> tuple[WaterIndicator, ...]:
    """The main pollutants (主要污染指标) of a section: up to three indicators worse than Class Ⅲ.

    Parameters
    ----------
    classes : mapping
        Single-factor classes of the taking-part indicators.
    multiples : mapping
        Exact exceedance multiples of those that have one.
    limit : int
        How many to name (three).

    Notes
    -----
    Only when the section is worse than Class Ⅲ. Order (decision W-main): cyanide and heavy metals
    first when they exceed ("当氰化物或铅、铬等重金属超标时，优先作为主要污染指标"); then the worst
    class; within a class the larger exact (unrounded) multiple; pH and DO, which have no multiple,
    after those that have one; last, Table 1 order, so that the order is always defined.

    References
    ----------
    [WATER-EVAL-2011]_ 二.(一) 主要污染指标的确定方法.

    >>> W = WaterIndicator
    >>> C = WaterClass
    >>> c = {W.NH3_N: C.WORSE_THAN_V, W.TP: C.V, W.CODMN: C.IV, W.DO: C.IV}
    >>> m = {W.NH3_N: Fraction(19, 10), W.TP: Fraction(3, 4), W.CODMN: Fraction(1, 5)}
    >>> [str(item) for item in main_pollutants(c, m)]
    ['NH3-N', 'TP', 'CODMn']
    """
    worse = [item for item, klass in classes.items() if klass > WaterClass.III]

    def key(item: WaterIndicator) -> tuple[bool, int, bool, Fraction, int]:
        multiple = multiples.get(item)
        return (
            item not in _TOXIC_PRIORITY,
            -classes[item],
            multiple is None,
            -(multiple or Fraction(0)),
            _TABLE_ORDER[item],
        )

    return tuple(sorted(worse, key=key)[:limit])


def water_class(
    values: Mapping[WaterIndicator, Value],
    waterbody: Waterbody,
    *,
    method: Literal["2011"] = "2011",
) -> WaterClassResult:
    """Class of one sample (or of a period, given period means) by single-factor evaluation.

    Parameters
    ----------
    values : mapping of WaterIndicator to Fraction or BelowDetection
        Results [mg/L; pH dimensionless; fecal coliform 个/L]; missing indicators are left out.
    waterbody : Waterbody
    method : "2011"
        Which indicators take part: [WATER-EVAL-2011]_ (:data:`WATER_CLASS_INDICATORS`).

    Returns
    -------
    WaterClassResult

    Notes
    -----
    Class = the worst single-factor class over the taking-part indicators present. Fecal coliform
    and lakes' TN are classed in ``separate`` only; rivers' TN is not evaluated ("河流总氮除外").

    References
    ----------
    [GB3838-2002]_ Table 1; [WATER-EVAL-2011]_ 一.(一)1, 二.(一).

    >>> W = WaterIndicator
    >>> r = water_class({W.NH3_N: Fraction("2.9"), W.TP: Fraction("0.35"), W.CODMN: Fraction("7.2")},
    ...                 Waterbody.RIVER)
    >>> r.water_class.label, {str(k): str(v) for k, v in r.exceeding.items()}
    ('worse than V', {'CODMn': '0.2', 'NH3-N': '1.9', 'TP': '0.8'})
    >>> [str(item) for item in r.main_pollutants], [str(item) for item in r.determining]
    (['NH3-N', 'TP', 'CODMn'], ['NH3-N'])
    """
    if method != "2011":
        raise StandardsError(f"unknown evaluation method {method!r} (known: '2011')")
    classes = {item: indicator_class(item, value, waterbody) for item, value in values.items()}
    taking_part = {item: klass for item, klass in classes.items() if item in WATER_CLASS_INDICATORS}
    if not taking_part:
        raise StandardsError(
            "no indicator that sets the class (GB 3838-2002 Table 1 without TN and fecal coliform)"
        )
    worst = max(taking_part.values())
    ordered = sorted(taking_part, key=_TABLE_ORDER.__getitem__)
    multiples = {
        item: multiple
        for item in ordered
        if (multiple := exceedance_multiple(item, values[item], waterbody)) is not None
    }
    return WaterClassResult(
        water_class=worst,
        classes=MappingProxyType(classes),
        determining=tuple(item for item in ordered if taking_part[item] == worst),
        exceeding=MappingProxyType(
            {item: round_gbt8170(multiple, MULTIPLE_DECIMALS) for item, multiple in multiples.items()}
        ),
        main_pollutants=main_pollutants(taking_part, multiples) if worst > WaterClass.III else (),
        separate=MappingProxyType(
            {
                item: klass
                for item, klass in classes.items()
                if item not in WATER_CLASS_INDICATORS and not (item is _W.TN and waterbody is Waterbody.RIVER)
            }
        ),
    )


def period_means(samples: Iterable[Mapping[WaterIndicator, Value]]) -> dict[WaterIndicator, Value]:
    """Arithmetic mean of each indicator over a period's samples, exactly.

    Notes
    -----
    Results below detection enter the mean as half their detection limit; when every result of an
    indicator is below detection the period's result is below detection too (未检出), with the
    largest limit. An "ND" without a limit cannot enter a mean beside measured values and is
    refused (decision W-detection). Missing results are left out (the mean of those present).

    References
    ----------
    [WATER-EVAL-2011]_ 一.(二) (周、旬、月 / 季度 / 年度: arithmetic means of the period's results).

    >>> W = WaterIndicator
    >>> means = period_means([{W.TP: Fraction("0.1")}, {W.TP: BelowDetection(Fraction("0.02"))}])
    >>> means[W.TP]
    Fraction(11, 200)
    """
    collected: dict[WaterIndicator, list[Value]] = {}
    for sample in samples:
        for item, value in sample.items():
            collected.setdefault(item, []).append(value)
    means: dict[WaterIndicator, Value] = {}
    for item, results in collected.items():
        below = [value for value in results if isinstance(value, BelowDetection)]
        if len(below) == len(results):
            limits = [value.limit for value in below if value.limit is not None]
            means[item] = BelowDetection(max(limits) if limits else None)
            continue
        numbers: list[Fraction] = []
        for value in results:
            if isinstance(value, BelowDetection):
                if value.value is None:
                    raise StandardsError(
                        f"{item}: an 'ND' without its detection limit cannot enter a mean beside measured "
                        "values; write it as '<limit'"
                    )
                numbers.append(value.value)
            else:
                numbers.append(value)
        means[item] = sum(numbers, Fraction(0)) / len(numbers)
    return means


def water_class_of_period(
    samples: Sequence[Mapping[WaterIndicator, Value]], waterbody: Waterbody
) -> WaterClassResult:
    """Class of a section over a period: the single-factor class of the period means.

    References
    ----------
    [WATER-EVAL-2011]_ 二.(一) ("评价时段内…参评的指标中类别最高的一项").

    >>> W = WaterIndicator
    >>> water_class_of_period([{W.NH3_N: Fraction("0.4")}, {W.NH3_N: Fraction("1.2")}],
    ...                       Waterbody.RIVER).water_class.name
    'III'
    """
    if not samples:
        raise StandardsError("a period without samples has no class")
    return water_class(period_means(samples), waterbody)
