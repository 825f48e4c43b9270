"""standards.dust: what an approved exclusion removes, and from which days, by hand.

[DUST-2016] (环办监测〔2016〕120号): the particulate concentrations of dust-affected days are deducted;
gases never are (shared/reference/standards.md Part 2 §4). Exceptional events (2026) remove what the
approved list names (docs/decisions.md rows 16-17).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ecowatch.standards import Pollutant
from ecowatch.standards.dust import DEFAULT_EXCLUDED_POLLUTANTS, Exclusion, ExclusionKind, exclusion_masks

DAYS = [dt.date(2017, 5, 3), dt.date(2017, 5, 4), dt.date(2017, 5, 5)]


def test_sand_dust_removes_particulates_only() -> None:
    exclusion = Exclusion("北京", DAYS[1], ExclusionKind.SAND_DUST, approved_by="CNEMC")
    assert exclusion.pollutants == frozenset({Pollutant.PM10, Pollutant.PM2_5})
    masks = exclusion_masks(DAYS, [exclusion], ["北京"])
    assert masks[Pollutant.PM10].tolist() == [False, True, False]
    assert masks[Pollutant.PM2_5].tolist() == [False, True, False]
    for gas in (Pollutant.SO2, Pollutant.NO2, Pollutant.CO, Pollutant.O3):
        assert not masks[gas].any(), gas


def test_exceptional_event_removes_what_it_names() -> None:
    exclusion = Exclusion(
        "110000",
        DAYS[2],
        ExclusionKind.EXCEPTIONAL_EVENT,
        approved_by="MEE",
        pollutants=frozenset({Pollutant.O3}),
    )
    masks = exclusion_masks(DAYS, [exclusion], ["北京", "110000"])  # the city by its code
    assert masks[Pollutant.O3].tolist() == [False, False, True]
    assert not masks[Pollutant.PM10].any()
    default = Exclusion("北京", DAYS[2], ExclusionKind.EXCEPTIONAL_EVENT, approved_by="MEE")
    assert default.pollutants == DEFAULT_EXCLUDED_POLLUTANTS[ExclusionKind.EXCEPTIONAL_EVENT]


def test_other_cities_and_days_outside_the_period_are_untouched() -> None:
    exclusions = [
        Exclusion("天津", DAYS[0], ExclusionKind.SAND_DUST, approved_by="CNEMC"),
        Exclusion("Beijing", dt.date(2017, 5, 6), ExclusionKind.SAND_DUST, approved_by="CNEMC"),
        Exclusion("BEIJING", DAYS[0], ExclusionKind.SAND_DUST, approved_by="CNEMC"),
    ]
    masks = exclusion_masks(DAYS, exclusions, ["beijing"])  # names compare case-insensitively
    assert masks[Pollutant.PM10].tolist() == [True, False, False]


@pytest.mark.parametrize("approver", ["", "   "])
def test_an_exclusion_needs_an_approver(approver: str) -> None:
    with pytest.raises(ValueError, match="北京 on 2017-05-04 has no approver"):
        Exclusion("北京", DAYS[1], ExclusionKind.SAND_DUST, approved_by=approver)
