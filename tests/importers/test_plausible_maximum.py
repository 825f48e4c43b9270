"""Values no ambient air can reach are kept, marked invalid with their reason, never an input error."""

from ecowatch.importers import read
from ecowatch.importers.common import PLAUSIBLE_MAXIMUM


def test_a_glitch_value_is_marked_invalid_not_dropped(tmp_path):
    path = tmp_path / "glitch.csv"
    path.write_text(
        "station,time,pollutant,value\n"
        "A,2014-01-16 01:00,PM2.5,519961\n"  # 门头沟's reported value that day
        "A,2014-01-16 02:00,PM2.5,10000\n"  # exactly the maximum: kept
        "A,2014-01-16 01:00,CO,3000.1\n",
        encoding="utf-8",
    )
    result = read(path, "long", progress=False)  # strict mode: no error
    rows = {(r["time"].hour, r["pollutant"]): r for r in result.measurements.iter_rows(named=True)}
    assert rows[(1, "PM2.5")]["value"] is None
    assert rows[(1, "PM2.5")]["invalid_reason"] == (
        "above the plausible maximum 10000 (instrument or transmission fault)"
    )
    assert rows[(2, "PM2.5")]["value"] == 10000.0
    assert rows[(2, "PM2.5")]["invalid_reason"] is None
    assert rows[(1, "CO")]["value"] is None
    assert result.issues == []
    assert PLAUSIBLE_MAXIMUM["PM10"] > 9000  # severe dust storms must stay valid


def test_plausible_maximum_is_twenty_times_the_top_of_the_index_table():
    """Derived from HJ 633's breakpoint table, not repeated by hand (issue 13, "one place for each
    constant"). The tops, from shared/reference/standards.md Part 2 §1.1 (the same in 2026's 表3):
    SO2 24-h 2620, NO2 1-h 3840, CO 1-h 150 mg/m³, O3 1-h 1200, PM10 600, PM2.5 500."""
    assert dict(PLAUSIBLE_MAXIMUM) == {
        "SO2": 52_400.0,
        "NO2": 76_800.0,
        "CO": 3_000.0,
        "O3": 24_000.0,
        "PM10": 12_000.0,
        "PM2.5": 10_000.0,
    }
