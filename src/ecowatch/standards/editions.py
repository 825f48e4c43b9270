"""Which edition of the national air standards applies to which data.

China replaced its ambient-air standards on 2026-03-01 ([GB3095-2026]_, [HJ633-2026]_, [HJ663-2026]_
foreword: "自2026年3月1日起实施"). Data dated before that day are assessed by the 2012 family
([GB3095-2012]_, [HJ633-2012]_, [HJ663-2013]_, [DUST-2016]_); data from that day by the 2026 family.
GB 3095—2026 §4.4 has two phases of limits: transitional to 2030-12-31, final from 2031-01-01.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class Edition(StrEnum):
    """An edition of the air-standards family, named by the year of GB 3095 / HJ 633."""

    E2012 = "2012"
    E2026 = "2026"


class LimitPhase(StrEnum):
    """The set of GB 3095 concentration limits in force."""

    GB3095_2012 = "2012"
    GB3095_2026_TRANSITIONAL = "2026-transitional"
    GB3095_2026_FINAL = "2026-final"


EDITION_2026_IN_FORCE = dt.date(2026, 3, 1)
FINAL_LIMITS_IN_FORCE = dt.date(2031, 1, 1)


def edition_for(day: dt.date) -> Edition:
    """The edition that governs data of ``day``.

    >>> edition_for(dt.date(2026, 2, 28)), edition_for(dt.date(2026, 3, 1))
    (<Edition.E2012: '2012'>, <Edition.E2026: '2026'>)
    """
    return Edition.E2026 if day >= EDITION_2026_IN_FORCE else Edition.E2012


def limit_phase(edition: Edition, day: dt.date) -> LimitPhase:
    """The GB 3095 limits of ``edition`` in force on ``day``.

    Under ``--standard 2026`` applied to old data the phase still follows the date, so 2015 data are
    judged against the transitional limits, the ones a department would have met had the rule applied.

    >>> limit_phase(Edition.E2026, dt.date(2031, 1, 1))
    <LimitPhase.GB3095_2026_FINAL: '2026-final'>
    >>> limit_phase(Edition.E2026, dt.date(2015, 6, 1))
    <LimitPhase.GB3095_2026_TRANSITIONAL: '2026-transitional'>
    """
    if edition is Edition.E2012:
        return LimitPhase.GB3095_2012
    if day >= FINAL_LIMITS_IN_FORCE:
        return LimitPhase.GB3095_2026_FINAL
    return LimitPhase.GB3095_2026_TRANSITIONAL
