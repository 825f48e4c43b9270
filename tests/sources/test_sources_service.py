"""The registry's service on SQLite and PostgreSQL: enterprises and outlets registered, edited, listed,
scoped and audited; every refusal names the field and the reason."""

from __future__ import annotations

import pytest
from sources_helpers import ENT_CY, ENT_CY2, ENT_HD, ENT_SJZ
from sqlalchemy import select

from ecowatch.sources.credit_code import check_character, credit_code_problem
from ecowatch.sources.errors import OutOfScope, SourceConflict, SourceError, UnknownSource
from ecowatch.sources.models import Outlet, PermitLimit
from ecowatch.sources.service import (
    LimitSpec,
    add_enterprise,
    add_outlet,
    edit_enterprise,
    edit_outlet,
    enterprises_query,
    get_enterprise,
    outlets_query,
    permit_limits,
    read_enterprises,
    read_outlets,
)
from ecowatch.store.audit import entries
from ecowatch.store.models import Enterprise, Region, Site, SiteKind
from ecowatch.store.users import Scope

SO2 = {
    "pollutant": "a21026",
    "upper_limit": 35.0,
    "unit": "mg/m3",
    "reference_oxygen_pct": 6.0,
    "standard": "GB 13223-2011 表2",
}
DUST = {"pollutant": "a34013", "upper_limit": 5.0, "reference_oxygen_pct": 6.0}


# -- the GB 32100-2015 check ----------------------------------------------------------------------

# Codes as published in the national enterprise credit information publicity system.
PUBLISHED = {
    "914403001922038216": "华为技术有限公司",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
}


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_credit_code_published_codes_pass_the_check(code):
    assert credit_code_problem(code) is None
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (
            "914403001922038217",
            "check character is 7, GB 32100-2015 Annex B gives 6 for the first 17 characters",
        ),
        ("91440300708461136", "must be 18 characters (GB 32100-2015 §4), got 17"),
        (
            "91110105DEMO00001X",
            "character(s) 'O' are not used in the code (0-9 and capitals without I, O, S, V, Z: "
            "GB 32100-2015 Table 1)",
        ),
        (
            "91ABCDEF708461136T",
            "positions 3-8 must be the 6-digit division code of the registering office, got 'ABCDEF'",
        ),
    ],
)
def test_credit_code_refusals_say_why(code, reason):
    assert credit_code_problem(code) == reason


# -- enterprises ----------------------------------------------------------------------------------


def add_cy(session, **extra):
    return add_enterprise(
        session=session,
        code=ENT_CY,
        name="朝阳热电有限公司",
        region="110105",
        industry="4411",
        key_lists=["carbon", "air"],
        actor="test",
        **extra,
    )


def test_enterprise_add_then_read_back_with_lists_in_order_and_one_audit_entry(session):
    add_cy(session)
    session.commit()
    [read] = read_enterprises(session=session, enterprises=session.scalars(enterprises_query()).all())
    assert read.model_dump() == {
        "code": ENT_CY,
        "name": "朝阳热电有限公司",
        "region": "110105",
        "region_name": "朝阳区",
        "industry": "4411",
        "key_lists": ["air", "carbon"],
        "outlets": [],
    }
    [entry] = entries(session=session, entity="enterprise")
    assert (entry.action, entry.entity_id, entry.actor) == ("create", ENT_CY, "test")
    assert entry.detail == {
        "name": "朝阳热电有限公司",
        "region": "110105",
        "industry": "4411",
        "key_lists": ["air", "carbon"],
    }


def test_enterprise_code_is_normalised_to_capitals(session):
    add_enterprise(session=session, code=f" {ENT_CY.lower()} ", name="x", region="110105", actor="test")
    assert session.scalars(select(Enterprise.code)).all() == [ENT_CY]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": "91110105MA01TEXT1K"}, "code", "check character is K, GB 32100-2015 Annex B gives J"),
        ({"region": "110199"}, "region", "no region '110199' in the store"),
        ({"industry": "98"}, "industry", "'98' is not a GB/T 4754-2017 industry code"),
        ({"industry": "44111"}, "industry", "'44111' is not a GB/T 4754-2017 industry code"),
        (
            {"key_lists": ["air", "climate"]},
            "key_lists",
            "unknown list(s) climate (one of water, groundwater",
        ),
        ({"name": "  "}, "name", "empty"),
        ({"name": "a\x00b"}, "name", "contains a control character"),
    ],
)
def test_enterprise_refusals_name_the_field(session, fields, field, message):
    arguments = {"code": ENT_CY, "name": "朝阳热电有限公司", "region": "110105", "actor": "test", **fields}
    with pytest.raises(SourceError, match="^field ") as caught:
        add_enterprise(session=session, **arguments)
    assert caught.value.field == field
    assert message in str(caught.value)
    assert session.scalars(select(Enterprise)).all() == []


def test_enterprise_registered_twice_is_a_conflict(session):
    add_cy(session)
    with pytest.raises(SourceConflict, match=f"enterprise {ENT_CY} is registered already"):
        add_cy(session)


def test_enterprise_edit_moves_its_outlets_and_records_before_and_after(session):
    add_cy(session)
    add_outlet(
        session=session,
        code="CY-DA001",
        name="1号锅炉烟囱",
        enterprise=ENT_CY,
        medium="gas",
        lon=116.48,
        lat=39.92,
        actor="test",
    )
    changed = edit_enterprise(
        session=session,
        code=ENT_CY,
        actor="test",
        changes={"region": "110108", "key_lists": ["water"], "name": "朝阳热电有限公司"},
    )
    session.commit()
    assert changed == {"region": ["110105", "110108"], "key_lists": [["air", "carbon"], ["water"]]}
    outlet = session.scalars(select(Site).where(Site.code == "CY-DA001")).one()
    assert session.get(Region, outlet.region_id).code == "110108"
    assert entries(session=session, entity="enterprise")[-1].detail == {
        "changed": {"region": ["110105", "110108"], "key_lists": [["air", "carbon"], ["water"]]}
    }


def test_enterprise_edit_that_changes_nothing_records_nothing(session):
    add_cy(session)
    assert (
        edit_enterprise(
            session=session,
            code=ENT_CY,
            actor="test",
            changes={"industry": "4411", "key_lists": ["air", "carbon"]},
        )
        == {}
    )
    assert [e.action for e in entries(session=session, entity="enterprise")] == ["create"]


def test_enterprise_edit_of_an_unknown_code_or_field(session):
    with pytest.raises(UnknownSource, match=f"no enterprise '{ENT_HD}'"):
        edit_enterprise(session=session, code=ENT_HD, actor="test", changes={"name": "x"})
    add_cy(session)
    with pytest.raises(SourceError, match="field code: cannot be changed"):
        edit_enterprise(session=session, code=ENT_CY, actor="test", changes={"code": ENT_HD})


# -- outlets --------------------------------------------------------------------------------------


def test_outlet_add_with_limits_reads_back_in_the_code_tables_units(session):
    add_cy(session)
    add_outlet(
        session=session,
        code="CY-DA001",
        name="1号锅炉烟囱",
        enterprise=ENT_CY,
        medium="gas",
        kind="main",
        lon=116.48,
        lat=39.92,
        limits=[SO2, DUST],
        actor="test",
    )
    session.commit()
    [read] = read_outlets(session=session, sites=session.scalars(outlets_query()).all())
    assert read.model_dump() == {
        "code": "CY-DA001",
        "name": "1号锅炉烟囱",
        "enterprise": ENT_CY,
        "region": "110105",
        "medium": "gas",
        "kind": "main",
        "lon": 116.48,
        "lat": 39.92,
        "devices": [],
        "limits": [
            {
                "pollutant": "a21026",
                "name": "二氧化硫",
                "upper_limit": 35.0,
                "lower_limit": None,
                "unit": "毫克/立方米",
                "reference_oxygen_pct": 6.0,
                "standard": "GB 13223-2011 表2",
            },
            {
                "pollutant": "a34013",
                "name": "烟尘",
                "upper_limit": 5.0,
                "lower_limit": None,
                "unit": "毫克/立方米",
                "reference_oxygen_pct": 6.0,
                "standard": None,
            },
        ],
    }
    site = session.scalars(select(Site).where(Site.code == "CY-DA001")).one()
    assert (site.kind, site.category) == (SiteKind.outlet, "waste_gas")
    [entry] = entries(session=session, entity="outlet")
    assert (entry.action, entry.entity_id) == ("create", "CY-DA001")
    assert entry.detail["limits"]["a21026"] == {
        "upper": 35.0,
        "lower": None,
        "unit": "毫克/立方米",
        "o2": 6.0,
        "standard": "GB 13223-2011 表2",
    }


def test_outlet_water_limits_take_2005_codes_and_ph_ranges(session):
    add_enterprise(session=session, code=ENT_HD, name="海淀水务", region="110108", actor="test")
    add_outlet(
        session=session,
        code="HD-DW001",
        name="总排口",
        enterprise=ENT_HD,
        medium="water",
        lon=116.30,
        lat=39.98,
        actor="test",
        limits=[
            {"pollutant": "011", "upper_limit": 50.0, "unit": "mg/L"},  # 2005 code of COD
            {"pollutant": "w01001", "lower_limit": 6.0, "upper_limit": 9.0},
        ],
    )
    rows = session.execute(
        select(
            PermitLimit.pollutant, PermitLimit.lower_limit, PermitLimit.upper_limit, PermitLimit.unit
        ).order_by(PermitLimit.pollutant)
    ).all()
    assert [tuple(r) for r in rows] == [("w01001", 6.0, 9.0, "无量纲"), ("w01018", None, 50.0, "毫克/升")]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": "BJ-CY-A1"}, "code", "'BJ-CY-A1' is already the code of a site, an air_station"),
        ({"code": "CY DA001"}, "code", "an outlet code is 1-32 characters without spaces"),
        ({"medium": "air"}, "medium", "'air': the medium is gas or water"),
        ({"kind": "primary"}, "kind", "'primary': the outlet kind is one of main, general, special"),
        (
            {"lon": 39.92, "lat": 116.48},
            "lon",
            "longitude 39.92 is outside China (73-136 E) (longitude and latitude swapped?)",
        ),
        ({"lat": float("nan")}, "lat", "nan is not a finite number"),
        (
            {"limits": [{"pollutant": "w01018", "upper_limit": 50.0}]},
            "limits[0].pollutant",
            "w01018 (化学需氧量) is a water factor; this is a gas outlet",
        ),
        (
            {"limits": [{"pollutant": "SO2", "upper_limit": 50.0}]},
            "limits[0].pollutant",
            "'SO2' is not an HJ 212-2017 Annex B factor code",
        ),
        (
            {"limits": [{"pollutant": "a21026", "upper_limit": 35.0, "unit": "ug/m3"}]},
            "limits[0].unit",
            "'ug/m3': HJ 212-2017 Annex B gives a21026 (二氧化硫) in 毫克/立方米",
        ),
        (
            {"limits": [{"pollutant": "a21026", "upper_limit": 35.0, "reference_oxygen_pct": 21.0}]},
            "limits[0].reference_oxygen_pct",
            "21 %: the reference oxygen content is 0 to under 21 %",
        ),
        (
            {"limits": [{"pollutant": "a21026", "upper_limit": 35.0, "lower_limit": 40.0}]},
            "limits[0].lower_limit",
            "lower limit 40 is not below the upper limit 35",
        ),
        (
            {"limits": [SO2, {"pollutant": "02", "upper_limit": 50.0}]},
            "limits[1].pollutant",
            "a21026 is given twice",
        ),
        ({"enterprise": ENT_HD}, "enterprise", f"no enterprise '{ENT_HD}'"),
    ],
)
def test_outlet_refusals_name_the_field(session, fields, field, message):
    add_cy(session)
    arguments = {
        "code": "CY-DA001",
        "name": "1号锅炉烟囱",
        "enterprise": ENT_CY,
        "medium": "gas",
        "lon": 116.48,
        "lat": 39.92,
        "actor": "test",
        **fields,
    }
    with pytest.raises(SourceError) as caught:
        add_outlet(session=session, **arguments)
    assert caught.value.field == field
    assert message in str(caught.value)
    assert session.scalars(select(Site).where(Site.kind == "outlet")).all() == []


def test_reference_oxygen_is_refused_on_a_water_outlet(session):
    add_enterprise(session=session, code=ENT_HD, name="海淀水务", region="110108", actor="test")
    with pytest.raises(
        SourceError,
        match=r"field limits\[0\].reference_oxygen_pct: a reference oxygen content "
        "applies to waste-gas limits only",
    ):
        add_outlet(
            session=session,
            code="HD-DW001",
            name="总排口",
            enterprise=ENT_HD,
            medium="water",
            lon=116.30,
            lat=39.98,
            actor="test",
            limits=[{"pollutant": "w01018", "upper_limit": 50.0, "reference_oxygen_pct": 6.0}],
        )


def test_outlet_edit_sets_and_removes_limits_and_records_what_changed(session):
    add_cy(session)
    add_outlet(
        session=session,
        code="CY-DA001",
        name="1号锅炉烟囱",
        enterprise=ENT_CY,
        medium="gas",
        lon=116.48,
        lat=39.92,
        limits=[SO2, DUST],
        actor="test",
    )
    changed = edit_outlet(
        session=session,
        code="CY-DA001",
        actor="test",
        changes={
            "set_limits": [{"pollutant": "a21002", "upper_limit": 50.0, "reference_oxygen_pct": 6.0}],
            "remove_limits": ["01"],
            "lat": 39.93,
        },
    )
    session.commit()
    assert changed == {
        "coordinates": [[116.48, 39.92], [116.48, 39.93]],
        "limits": {
            "removed": ["a34013"],
            "set": {
                "a21002": {"upper": 50.0, "lower": None, "unit": "毫克/立方米", "o2": 6.0, "standard": None}
            },
        },
    }
    assert session.scalars(select(PermitLimit.pollutant).order_by(PermitLimit.pollutant)).all() == [
        "a21002",
        "a21026",
    ]
    replaced = edit_outlet(session=session, code="CY-DA001", actor="test", changes={"limits": [DUST]})
    assert replaced == {
        "limits": {
            "removed": ["a21002", "a21026"],
            "set": {
                "a34013": {"upper": 5.0, "lower": None, "unit": "毫克/立方米", "o2": 6.0, "standard": None}
            },
        }
    }
    assert [e.action for e in entries(session=session, entity="outlet")] == ["create", "update", "update"]


def test_outlet_registered_before_the_registry_is_listed_and_edited(session):
    """The demo's outlets are sites with no ``outlet`` row: listed with kind null, given one on edit."""
    cy = session.scalars(select(Region).where(Region.code == "110105")).one()
    owner = Enterprise(code="91110105DEMO00001X", name="北京示范热电有限公司 (demo)", region_id=cy.id)
    session.add(owner)
    session.flush()
    session.add(
        Site(
            code="DEMO-GAS-01",
            name="示范热电 1号锅炉烟囱",
            kind="outlet",
            category="waste_gas",
            region_id=cy.id,
            enterprise_id=owner.id,
            lon=116.5532,
            lat=39.9213,
            aliases=[],
        )
    )
    session.flush()
    [read] = read_outlets(session=session, sites=session.scalars(outlets_query()).all())
    assert (read.code, read.enterprise, read.kind, read.limits) == (
        "DEMO-GAS-01",
        "91110105DEMO00001X",
        None,
        [],
    )
    changed = edit_outlet(
        session=session, code="DEMO-GAS-01", actor="test", changes={"kind": "main", "set_limits": [SO2]}
    )
    assert changed["kind"] == [None, "main"]
    assert session.scalars(select(Outlet.kind)).all() == ["main"]
    # The demo enterprise keeps its code (not a GB 32100 code) and can be edited by it.
    assert edit_enterprise(
        session=session, code="91110105DEMO00001X", actor="test", changes={"industry": "4411"}
    ) == {"industry": [None, "4411"]}


def test_editing_an_air_station_as_an_outlet_is_refused(session):
    with pytest.raises(UnknownSource, match="no outlet 'BJ-CY-A1' \\(site BJ-CY-A1 is an air_station\\)"):
        edit_outlet(session=session, code="BJ-CY-A1", actor="test", changes={"name": "x"})


# -- scope ----------------------------------------------------------------------------------------


def scope_of_regions(session, *codes: str) -> Scope:
    return Scope(region_ids=frozenset(session.scalars(select(Region.id).where(Region.code.in_(codes)))))


def test_staff_register_in_their_regions_only(session):
    chaoyang = scope_of_regions(session, "110105")
    add_cy(session, scope=chaoyang)
    with pytest.raises(OutOfScope, match="field region: region 110108 is outside your scope"):
        add_enterprise(
            session=session, code=ENT_HD, name="海淀水务", region="110108", actor="t", scope=chaoyang
        )
    with pytest.raises(OutOfScope, match="field region: region 110108 is outside your scope"):
        edit_enterprise(session=session, code=ENT_CY, changes={"region": "110108"}, actor="t", scope=chaoyang)


def test_enterprise_users_see_their_own_and_change_nothing(session):
    add_cy(session)
    add_enterprise(session=session, code=ENT_CY2, name="朝阳第二", region="110105", actor="test")
    own = Scope(enterprise_id=get_enterprise(session=session, code=ENT_CY).id)
    assert [e.code for e in session.scalars(enterprises_query(scope=own))] == [ENT_CY]
    with pytest.raises(OutOfScope, match="an enterprise user may not change the registry"):
        edit_enterprise(session=session, code=ENT_CY, changes={"name": "x"}, actor="t", scope=own)
    with pytest.raises(UnknownSource, match=f"^field enterprise: no enterprise '{ENT_CY2}'$"):
        get_enterprise(session=session, code=ENT_CY2, scope=own)


def test_lists_filter_by_scope_region_and_key_list(session):
    add_cy(session)
    add_enterprise(
        session=session, code=ENT_HD, name="海淀水务", region="110108", key_lists=["water"], actor="t"
    )
    add_enterprise(
        session=session, code=ENT_SJZ, name="石家庄钢铁", region="130102", key_lists=["air"], actor="t"
    )
    beijing = scope_of_regions(session, "110000", "110100", "110105", "110108")
    assert [e.code for e in session.scalars(enterprises_query(scope=beijing))] == [ENT_CY, ENT_HD]
    assert [e.code for e in session.scalars(enterprises_query(key_list="air"))] == [ENT_CY, ENT_SJZ]
    assert [e.code for e in session.scalars(enterprises_query(scope=beijing, key_list="water"))] == [ENT_HD]


def test_permit_limits_for_the_registrys_readers(session):
    add_cy(session)
    site = add_outlet(
        session=session,
        code="CY-DA001",
        name="1号锅炉烟囱",
        enterprise=ENT_CY,
        medium="gas",
        lon=116.48,
        lat=39.92,
        limits=[SO2, DUST],
        actor="test",
    )
    assert (
        permit_limits(session=session)
        == permit_limits(session=session, site_ids=[site.id])
        == {
            site.id: [
                LimitSpec("a21026", 35.0, None, "毫克/立方米", 6.0, "GB 13223-2011 表2"),
                LimitSpec("a34013", 5.0, None, "毫克/立方米", 6.0, None),
            ]
        }
    )
    assert permit_limits(session=session, site_ids=[site.id + 1]) == {}
