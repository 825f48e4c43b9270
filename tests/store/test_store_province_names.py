"""Province names come from the division list (GB/T 2260), the one table of them (issue 13)."""

from __future__ import annotations

import pytest

from ecowatch.store.errors import StoreError
from ecowatch.store.sites import province_name, region_codes


def test_province_names_are_those_of_gb_t_2260():
    assert province_name("11") == "北京市"
    assert province_name("45") == "广西壮族自治区"
    assert province_name("65") == "新疆维吾尔自治区"
    assert province_name("82") == "澳门特别行政区"


def test_a_prefix_without_a_province_has_no_name_and_no_city():
    assert province_name("99") is None
    assert province_name("10") is None
    with pytest.raises(StoreError, match="not a GB/T 2260 division code"):
        region_codes("990100")


def test_region_codes_of_a_municipality_and_a_city():
    assert region_codes("310000") == ("310000", "310100")
    assert region_codes("130100") == ("130000", "130100")
