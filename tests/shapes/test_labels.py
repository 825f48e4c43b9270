"""One naming of stored pollutants for pages, APIs and exports (ecowatch.shapes.labels)."""

from __future__ import annotations

import pytest

from ecowatch.shapes.labels import pollutant_label


@pytest.mark.parametrize(
    ("code", "name_zh", "name_en", "unit"),
    [
        ("PM2.5", "PM2.5", "PM2.5", "µg/m³"),  # GB 3095-2012 表1
        ("CO", "CO", "CO", "mg/m³"),
        ("O3_8h", "O3_8h", "O3_8h", "µg/m³"),
        ("a21026", "二氧化硫", "SO2", "mg/m³"),  # HJ 212-2017 Annex B: 毫克/立方米
        ("w01018", "化学需氧量", "COD", "mg/L"),  # 毫克/升
        ("a21026-Cou", "二氧化硫 累计", "SO2 total", "kg"),  # the amount unit, 千克
        ("S02", "烟气流速", "flue-gas velocity", "m/s"),  # an HJ 212-2005 code, not SO2
        ("x99999", "x99999", "x99999", ""),  # unknown: its own name, no unit
    ],
)
def test_pollutant_labels(code, name_zh, name_en, unit):
    label = pollutant_label(code)
    assert (label.name_zh, label.name_en, label.unit) == (name_zh, name_en, unit)
