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
        "above the plausible maximum 10000 (instrument or transmission fault)")
    assert rows[(2, "PM2.5")]["value"] == 10000.0
    assert rows[(2, "PM2.5")]["invalid_reason"] is None
    assert rows[(1, "CO")]["value"] is None
    assert result.issues == []
    assert PLAUSIBLE_MAXIMUM["PM10"] > 9000  # severe dust storms must stay valid
