"""Helpers added so that the store type-checks (issue 13): ``models.table_of`` and the checked
bounds of a time column behind ``measurements.utc_days``."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import select

from ecowatch.store.errors import StoreError
from ecowatch.store.measurements import utc_days
from ecowatch.store.models import Base, HourlyBlock, Measurement, table_of


def test_table_of_gives_the_declared_table():
    assert table_of(Measurement) is Base.metadata.tables["measurement"]
    assert table_of(HourlyBlock).name == "hourly_block"


def test_table_of_refuses_a_class_mapped_onto_a_subquery():
    fake = type("OnSubquery", (), {"__table__": select(Measurement.site_id).subquery()})
    with pytest.raises(TypeError, match="table_of: OnSubquery is mapped onto Subquery, not a Table"):
        table_of(fake)


def test_utc_days_of_beijing_times():
    # Beijing 2016-01-01 07:00 is 2015-12-31 23:00Z; Beijing 2016-01-02 08:00 is 2016-01-02 00:00Z.
    frame = pl.DataFrame({"time": [dt.datetime(2016, 1, 2, 8), dt.datetime(2016, 1, 1, 7)]})
    assert utc_days(frame) == (dt.date(2015, 12, 31), dt.date(2016, 1, 2))
    assert utc_days(frame.clear()) is None


def test_utc_days_refuses_times_that_are_not_datetimes():
    with pytest.raises(StoreError, match="column 'time' \\(String\\) has no datetime bounds"):
        utc_days(pl.DataFrame({"time": ["2016-01-01 08:00"]}))
