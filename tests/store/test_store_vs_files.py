"""The assessment from the store equals the assessment from the files it was loaded from."""

from __future__ import annotations

import datetime as dt

from polars.testing import assert_frame_equal

from ecowatch.assessment.air import assess_air
from ecowatch.assessment.publish import assessment_json
from ecowatch.importers import read
from ecowatch.shapes.stations import StationRegistry
from ecowatch.store import (
    import_result_from_store,
    read_measurements,
    sites_from_registry,
    write_measurements,
)
from ecowatch.store.blocks import build_hourly_blocks

FIRST, LAST = dt.date(2016, 1, 1), dt.date(2016, 1, 31)


def test_one_month_of_beijing_assessed_from_the_store_equals_from_the_files(engine, session, prsa_folder):
    registry = StationRegistry.default()
    files = read(prsa_folder, "prsa", registry, date_from=FIRST, date_to=LAST, progress=False)
    assert files.measurements.height > 50_000
    sites = sites_from_registry(session=session, registry=registry, actor="test")
    written = write_measurements(
        session=session, frame=files.measurements, source="prsa", actor="test", sites=sites
    )
    session.commit()
    assert written == files.measurements.height

    back = read_measurements(
        session=session, site_codes=[s.code for s in files.stations], first_day=FIRST, last_day=LAST
    )
    assert_frame_equal(back, files.measurements)
    stored = import_result_from_store(session=session, first_day=FIRST, last_day=LAST)
    assert stored.stations == files.stations
    from_files = assessment_json(assess_air(files, FIRST, LAST))
    from_store = assessment_json(assess_air(stored, FIRST, LAST))
    assert from_store == from_files

    # Again from the hourly blocks (December and January UTC of every station): the same frame.
    assert build_hourly_blocks(engine).months == 2 * len(files.stations)
    session.rollback()
    assert_frame_equal(
        import_result_from_store(session=session, first_day=FIRST, last_day=LAST).measurements,
        files.measurements,
    )
    assert from_files["city"]["PM2.5"]["value"] is not None  # a real figure, not two empty ones
