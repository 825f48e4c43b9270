"""Ranking sites by the comprehensive index and by its change against the same period a year before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ecowatch.assessment.air import AirAssessment
from ecowatch.assessment.publish import published_number
from ecowatch.standards import Pollutant, change_rate, competition_rank


@dataclass(frozen=True)
class RankingRow:
    site: str
    name: str
    kind: str
    index: Decimal | None
    index_rank: int | None
    previous_index: Decimal | None
    change_pct: Decimal | None
    change_rank: int | None
    pm2_5: int | None
    good_ratio_pct: float | None


def same_period_a_year_before(first_day: dt.date, last_day: dt.date) -> tuple[dt.date, dt.date]:
    """The comparison period of the change-rate ranking (同比): the same dates one year earlier.

    >>> same_period_a_year_before(dt.date(2016, 1, 1), dt.date(2016, 2, 29))
    (datetime.date(2015, 1, 1), datetime.date(2015, 2, 28))
    """

    def shift(day: dt.date) -> dt.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    return shift(first_day), shift(last_day)


def rank_sites(
    assessment: AirAssessment, first_day: dt.date, last_day: dt.date, *, kind: str
) -> list[RankingRow]:
    """Rank the sites of one ``kind`` (``city`` or ``station``) over a period.

    Notes
    -----
    [RANKING-2018]_: ascending comprehensive index, equal (published) indices sharing the rank.
    [CHANGE-RANKING-2017]_: the change rate of the index against the same period of the previous
    year, ascending (the most improved first). Both periods are judged on the same edition and
    limits, so that the change reflects the air, not the rules. Sites without a full set of
    statistics are listed last, unranked.
    """
    now = assessment.periods(first_day, last_day)
    before_first, before_last = same_period_a_year_before(first_day, last_day)
    has_before = before_first >= assessment.first_day
    before = assessment.periods(before_first, before_last) if has_before else {}
    sites = [site for site in assessment.cube.sites if site.kind == kind]
    indices = [now[site.code].comprehensive_index for site in sites]
    changes = []
    for site, index in zip(sites, indices, strict=True):
        previous = before[site.code].comprehensive_index if site.code in before else None
        changes.append(None if index is None or not previous else change_rate(index, previous))
    ranked_index = _ranks(indices)
    ranked_change = _ranks(changes)
    rows = []
    for i, site in enumerate(sites):
        figures = now[site.code]
        rows.append(
            RankingRow(
                site=site.code,
                name=site.name,
                kind=site.kind,
                index=indices[i],
                index_rank=ranked_index[i],
                previous_index=before[site.code].comprehensive_index if site.code in before else None,
                change_pct=changes[i],
                change_rank=ranked_change[i],
                pm2_5=published_number(figures.headline(Pollutant.PM2_5).value, 0),
                good_ratio_pct=published_number(figures.good_ratio, 1),
            )
        )
    return sorted(rows, key=lambda row: (row.index_rank is None, row.index_rank or 0, row.site))


def _ranks(values: list[Decimal | None]) -> list[int | None]:
    present = [value for value in values if value is not None]
    ranks = iter(competition_rank(present))
    return [None if value is None else next(ranks) for value in values]
