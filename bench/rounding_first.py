"""Did the 2012-era publisher round concentrations before the IAQI? Counted on Beijing's own AQI.

    .venv/bin/python bench/rounding_first.py

Data: ``../shared/data/beijing-35-stations`` (the Beijing municipal real-time release; see
tests/data/beijing-35-stations/PROVENANCE.md). Rows: station-hours with a published AQI, all six
1-h values and full 24-h PM windows (24 of 24 hours, so the window is not in question). The gases
enter on their 1-h values as displayed; the PM 24-h means, computed from the feed, enter

- unrounded,
- rounded (GB/T 8170) to 0.1 µg/m³,
- rounded to integers (what HJ 633—2026 §4.2.2 prescribes for 2026),

and each hypothesis counts the rows whose AQI equals the published one, over the era when the feed
shows one-decimal values (2014-04-29 .. 2015-07-30) and the era of integers (2015-07-31 ..
2016-12-29). ``from published 24-h means`` uses the publisher's own displayed means instead.
Takes ~10 s. Figures are recorded in docs/decisions.md row 2.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_published_aqi import GASES, PMS, aqi_of, iaqi_exact, load
from ecowatch.standards import Edition, iaqi_array
from ecowatch.standards.rounding import round_array_gbt8170

ERAS = {
    "one-decimal feed 2014-04-29..2015-07-30": (dt.date(2014, 4, 29), dt.date(2015, 7, 30)),
    "integer feed 2015-07-31..2016-12-29": (dt.date(2015, 7, 31), dt.date(2016, 12, 29)),
}
HYPOTHESES = {
    "unrounded": lambda mean: mean,
    "0.1": lambda mean: round_array_gbt8170(mean, 1),
    "integer": lambda mean: round_array_gbt8170(mean, 0),
}


def main() -> int:
    for era, (first, last) in ERAS.items():
        comp = load(first, last)
        # iaqi_array rounds 2012 inputs to 0.1 itself, so each hypothesis goes through the bench's
        # exact formula (iaqi_exact, ceil), which takes the value as given.
        gas = aqi_of([comp.iaqi[item] for item in GASES])
        full = comp.compared.copy()
        for item in PMS:
            full &= comp.pm_count[item] == 24
        published = comp.published["AQI"]
        ours = {
            name: aqi_of(
                [
                    gas,
                    *(
                        iaqi_exact(rule(comp.pm_mean[item]), column, "ceil")
                        for item, (_, column, _) in PMS.items()
                    ),
                ]
            )
            for name, rule in HYPOTHESES.items()
        }
        own = aqi_of(
            [
                gas,
                *(
                    iaqi_array(comp.published[kind], column, Edition.E2012)
                    for _, column, kind in PMS.values()
                ),
            ]
        )
        print(f"{era}: {int(full.sum()):,} full-window station-hours")
        for name, aqi in ours.items():
            print(f"  {name:>9}: {int((aqi[full] == published[full]).sum()):,} agree")
        print(f"  from published 24-h means: {int((own[full] == published[full]).sum()):,} agree")
        for a, b in (("unrounded", "0.1"), ("unrounded", "integer")):
            differ = full & (ours[a] != ours[b])
            print(
                f"  where {a} and {b} differ ({int(differ.sum()):,} rows): {a} "
                f"{int((ours[a][differ] == published[differ]).sum()):,}, {b} "
                f"{int((ours[b][differ] == published[differ]).sum()):,}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
