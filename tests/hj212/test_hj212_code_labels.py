"""Names and units of stored factor codes, from HJ 212-2017 Annex B (issue 13: "names and units from the
code tables everywhere"; reference §5.2, §5.6, §5.7)."""

import pytest

from ecowatch.hj212 import CODE_2005_TO_2017, FACTORS_2017, code_label, factor_of


def test_every_2005_code_of_the_annex_b_tables_is_mapped():
    """The 原编码 column of Tables B.1/B.2 and the 2005 -> 2017 mapping agree both ways (S02 and S07
    were missing from the mapping, so a 2005 flue-gas velocity was stored and shown as ``S02``)."""
    from_tables = {f.code_2005: f.code for f in FACTORS_2017.values() if f.code_2005}
    assert {code: CODE_2005_TO_2017.get(code) for code in from_tables} == from_tables
    assert (CODE_2005_TO_2017["S02"], CODE_2005_TO_2017["S07"]) == ("a01011", "a01016")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("a21026", ("二氧化硫", "SO2", "mg/m³")),
        ("02", ("二氧化硫", "SO2", "mg/m³")),
        ("S02", ("烟气流速", "flue-gas velocity", "m/s")),
        ("a00000", ("废气", "flue-gas flow", "m³/s")),
        ("a00000-Cou", ("废气 累计", "flue-gas flow total", "m³")),
        ("a21026-ZsRtd", ("二氧化硫 折算", "SO2 converted", "mg/m³")),
        ("w01018", ("化学需氧量", "COD", "mg/L")),
        ("w01001", ("pH值", "pH", "")),
        ("a01012", ("烟气温度", "flue-gas temperature", "°C")),
        ("a20058", ("汞", "汞", "ng/m³")),  # no English name in the short list: the table's name
        ("ele01", ("ele01", "ele01", "")),  # a vendor code (sample S09): shown as itself
    ],
)
def test_code_labels(code, expected):
    label = code_label(code)
    assert (label.name_zh, label.name_en, label.unit) == expected


def test_factor_of_takes_both_editions():
    assert factor_of("011") is FACTORS_2017["w01018"]
    assert factor_of("w01018") is FACTORS_2017["w01018"]
    assert factor_of("S09") is None
