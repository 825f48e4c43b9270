"""The region hierarchy and the constraints the database enforces itself (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ecowatch.store import StoreError, region_subtree, upsert_region
from ecowatch.store.audit import entries
from ecowatch.store.models import Device, Enterprise, Region, Site, User
from ecowatch.store.sites import region_ancestors

USCC = "91110000100000000X"  # 18 characters, the shape of a unified social credit code


@pytest.fixture
def hebei(session):
    """Province 河北 > cities 石家庄, 保定 > county 长安区 of 石家庄."""
    province = upsert_region(session=session, code="130000", name="河北省", level="province", actor="t")
    shijiazhuang = upsert_region(
        session=session, code="130100", name="石家庄", level="city", parent=province, actor="t"
    )
    upsert_region(session=session, code="130600", name="保定", level="city", parent=province, actor="t")
    upsert_region(
        session=session, code="130102", name="长安区", level="county", parent=shijiazhuang, actor="t"
    )
    session.commit()
    return province


def codes(regions) -> list[str]:
    return [r.code for r in regions]


def test_region_hierarchy_subtrees_and_ancestors(session, hebei):
    shijiazhuang = session.scalars(select(Region).where(Region.code == "130100")).one()
    county = session.scalars(select(Region).where(Region.code == "130102")).one()
    # The store holds every national division (migration 0010): 河北 has 11 cities and 167 counties in
    # the Ministry of Civil Affairs' 2020 list, 石家庄 22 counties.
    hebei_tree = codes(region_subtree(session=session, region=hebei))
    assert (len(hebei_tree), hebei_tree[:3], hebei_tree[-1]) == (
        179,
        ["130000", "130100", "130200"],
        "131182",
    )
    assert codes(region_subtree(session=session, region=shijiazhuang)) == [
        "130100",
        "130102",
        "130104",
        "130105",
        "130107",
        "130108",
        "130109",
        "130110",
        "130111",
        "130121",
        "130123",
        "130125",
        "130126",
        "130127",
        "130128",
        "130129",
        "130130",
        "130131",
        "130132",
        "130133",
        "130181",
        "130183",
        "130184",
    ]
    assert codes(region_subtree(session=session, region=county)) == ["130102"]
    assert codes(region_ancestors(session=session, region=county)) == ["130100", "130000"]
    assert sorted(codes(hebei.children)) == [f"13{city:02d}00" for city in range(1, 12)]
    assert [e.entity_id for e in entries(session=session, entity="region")] == [
        "130000",
        "130100",
        "130600",
        "130102",
    ]


def test_a_region_goes_under_a_higher_level_only(session, hebei):
    county = session.scalars(select(Region).where(Region.code == "130102")).one()
    with pytest.raises(
        StoreError, match=r"region 130103 \(county\) cannot be placed under 130102 \(county\)"
    ):
        upsert_region(session=session, code="130103", name="桥西区", level="county", parent=county, actor="t")
    with pytest.raises(StoreError, match="cannot be placed under 130000"):
        upsert_region(
            session=session, code="140000", name="山西省", level="province", parent=hebei, actor="t"
        )


def test_check_a_city_needs_a_parent_and_a_province_has_none(session):
    session.add(Region(code="999901", name="无省之市", level="city"))
    with pytest.raises(IntegrityError, match="root_is_province"):
        session.flush()


def test_check_rejects_an_unknown_level(session):
    session.add(Region(code="999999", name="x", level="village"))
    with pytest.raises(IntegrityError, match="ck_region_level"):
        session.flush()


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_bad_site_kind_is_rejected_and_nothing_of_the_transaction_remains(session):
    regions = count(session, Region)  # the national divisions of migration 0010
    session.add(Region(code="999900", name="测试省", level="province"))
    session.flush()
    session.add(Site(code="X1", name="x", kind="weather_station", category="urban"))
    with pytest.raises(IntegrityError, match="ck_site_kind"):
        session.flush()
    session.rollback()
    assert count(session, Region) == regions
    assert count(session, Site) == 0


def test_a_device_on_a_missing_site_is_rejected(session):
    session.add(Device(mn="MN0001", password_hash="x", site_id=999, protocol_version="2017"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert count(session, Device) == 0


def test_device_protocol_version_is_an_hj212_edition(session):
    site = Site(code="X1", name="x", kind="air_station", category="urban")
    session.add(site)
    session.flush()
    session.add(Device(mn="MN0001", password_hash="x", site_id=site.id, protocol_version="2017"))
    session.flush()
    session.add(Device(mn="MN0002", password_hash="x", site_id=site.id, protocol_version="2019"))
    with pytest.raises(IntegrityError, match="ck_device_protocol_version"):
        session.flush()


def test_device_mn_is_unique(session):
    site = Site(code="X1", name="x", kind="air_station", category="urban")
    session.add(site)
    session.flush()
    session.add_all(
        [
            Device(mn="MN0001", password_hash="x", site_id=site.id, protocol_version="2017"),
            Device(mn="MN0001", password_hash="y", site_id=site.id, protocol_version="2005"),
        ]
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_outlets_and_only_outlets_belong_to_an_enterprise(session, hebei):
    enterprise = Enterprise(code=USCC, name="某钢铁有限公司", region=hebei)
    session.add(enterprise)
    session.flush()
    session.add(Site(code="O1", name="1号排口", kind="outlet", category="waste_gas", enterprise=enterprise))
    session.flush()
    session.add(Site(code="O2", name="2号排口", kind="outlet", category="waste_gas"))
    with pytest.raises(IntegrityError, match="outlet_has_enterprise"):
        session.flush()


def test_enterprise_code_has_the_18_characters_of_a_social_credit_code(session, hebei):
    session.add(Enterprise(code=USCC[:-1], name="x", region=hebei))
    with pytest.raises(IntegrityError, match="code_length"):
        session.flush()


def test_user_roles_are_scoped(session, hebei):
    session.add_all(
        [
            User(username="root", password_hash="x", role="admin"),
            User(username="hebei", password_hash="x", role="province", region=hebei),
        ]
    )
    session.flush()
    session.add(User(username="nowhere", password_hash="x", role="city"))
    with pytest.raises(IntegrityError, match="role_scope"):
        session.flush()


def test_site_timezone_defaults_to_beijing(session):
    site = Site(code="X1", name="x", kind="air_station", category="urban")
    session.add(site)
    session.flush()
    session.refresh(site)
    assert (site.timezone, site.data_version) == ("Asia/Shanghai", 0)
