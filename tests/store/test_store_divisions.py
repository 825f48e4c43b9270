"""The national divisions in the store (issue 16 "Regions"), on SQLite and PostgreSQL: migration 0010
fills them, ``ecowatch db regions load`` loads a later list over them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.shapes.regions import Division
from ecowatch.store import StoreError, make_engine, migrate, session_factory
from ecowatch.store.audit import entries
from ecowatch.store.divisions import merge_divisions
from ecowatch.store.models import Region, Site, SiteKind

runner = CliRunner()


def _region(session, code: str) -> Region:
    return session.scalars(select(Region).where(Region.code == code)).one()


def test_upgrade_puts_every_division_in_the_store(session):
    levels = dict(session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    assert levels == {"province": 34, "city": 337, "county": 2846}
    chaoyang = _region(session, "110105")
    assert (chaoyang.name, chaoyang.level, chaoyang.parent.code, chaoyang.parent.parent.code) == (
        "朝阳区",
        "county",
        "110100",
        "110000",
    )
    changan = _region(session, "130102")
    assert (changan.name, changan.parent.code, changan.parent.name) == ("长安区", "130100", "石家庄市")
    assert (_region(session, "419001").parent.code, _region(session, "110100").name) == ("410000", "北京市")


def test_upgrade_over_hand_made_regions_keeps_their_rows_and_takes_the_official_names(empty_engine):
    """A store of revision 0009 with the demo's hand-made regions (城市 named 北京, 石家庄) and a site
    on one of them: the rows and ids stay, the names become the official ones."""
    migrate.upgrade(empty_engine, "0009")
    regions = (
        ("110000", "北京市", "province", None),
        ("110100", "北京", "city", "110000"),
        ("130000", "河北省", "province", None),
        ("130100", "石家庄", "city", "130000"),
    )
    with empty_engine.begin() as connection:
        for code, name, level, parent in regions:
            connection.execute(
                text(
                    "INSERT INTO region (code, name, level, parent_id) VALUES (:code, :name, "
                    ":level, (SELECT id FROM region WHERE code = :parent))"
                ),
                {"code": code, "name": name, "level": level, "parent": parent},
            )
        connection.execute(
            text(
                "INSERT INTO site (code, name, name_en, full_name, aliases, kind, category, "
                "region_id) SELECT 'S1', 'S1', '', '', '[]', 'air_station', 'urban', id "
                "FROM region WHERE code = '130100'"
            )
        )
        ids = dict(connection.execute(text("SELECT code, id FROM region")).all())
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        rows = {
            r.code: (r.id, r.name)
            for r in connection.execute(
                text(
                    "SELECT code, id, name FROM region WHERE code IN ('110000', '110100', '130000', '130100')"
                )
            )
        }
        total = connection.execute(text("SELECT count(*) FROM region")).scalar()
        site_region = connection.execute(text("SELECT region_id FROM site WHERE code = 'S1'")).scalar()
    assert rows == {
        "110000": (ids["110000"], "北京市"),
        "110100": (ids["110100"], "北京市"),
        "130000": (ids["130000"], "河北省"),
        "130100": (ids["130100"], "石家庄市"),
    }
    assert (total, site_region) == (3217, ids["130100"])


LATER = """code,name,level,parent_code,lon,lat
330000,浙江省,province,,120.153576,30.287459
330100,杭州市,city,330000,120.153576,30.287459
330102,上城区,county,330100,,
330105,拱墅区,county,330100,,
330113,临平区,county,330100,120.299376,30.419025
330114,钱塘区,county,330100,,
"""
"""A later list of 杭州 (2021: 下城区 and 江干区 abolished, 临平区 and 钱塘区 made; centroids given)."""


def _invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def test_regions_load_adds_updates_and_deletes_nothing(tmp_path, db_url, session):
    xiacheng = _region(session, "330103")
    session.add(
        Site(
            code="HZ-1",
            name="下城",
            name_en="",
            full_name="",
            aliases=[],
            kind=SiteKind.air_station.value,
            category="urban",
            region=xiacheng,
        )
    )
    session.commit()
    path = tmp_path / "hangzhou-2021.csv"
    path.write_text(LATER, encoding="utf-8")
    answer = _invoke("db", "regions", "load", path, "--db", db_url, "--json")
    assert answer.exit_code == 0, answer.output
    # 2 added (临平区, 钱塘区), 3 updated (centroids of 浙江, 杭州, 临平区 is new: so 浙江 and 杭州),
    # 2 unchanged (上城区, 拱墅区 as listed), and every other division of the store kept.
    assert json.loads(answer.output) == {
        "listed": 6,
        "added": 2,
        "updated": 2,
        "unchanged": 2,
        "kept": 3217 - 4,
    }
    session.expire_all()
    linping = _region(session, "330113")
    assert (linping.name, linping.level, linping.parent.code, linping.lon, linping.lat) == (
        "临平区",
        "county",
        "330100",
        120.299376,
        30.419025,
    )
    assert (_region(session, "330100").lon, _region(session, "330103").name) == (120.153576, "下城区")
    assert session.scalars(select(Site).where(Site.code == "HZ-1")).one().region.code == "330103"
    assert session.scalar(select(func.count()).select_from(Region)) == 3219
    [entry] = entries(session=session, entity="region")
    assert (entry.action, entry.detail["added"], entry.detail["file"]) == ("load", 2, "hangzhou-2021.csv")
    # Loading the same list again changes nothing; a list without centroids keeps those it had.
    again = _invoke("db", "regions", "load", path, "--db", db_url, "--json")
    assert json.loads(again.output)["added"] == json.loads(again.output)["updated"] == 0
    path.write_text("code,name,level,parent_code\n330000,浙江省,province,\n", encoding="utf-8")
    assert json.loads(_invoke("db", "regions", "load", path, "--db", db_url, "--json").output)["updated"] == 0
    session.expire_all()
    assert _region(session, "330000").lon == 120.153576


def test_regions_load_refuses_a_code_at_another_level_and_writes_nothing(tmp_path, db_url, session):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,level,parent_code\n330000,浙江省,province,\n330199,新县,county,330000\n"
        "330100,杭州,county,330000\n",
        encoding="utf-8",
    )
    answer = _invoke("db", "regions", "load", path, "--db", db_url)
    assert answer.exit_code == 2
    assert (
        "region 330100 (杭州市) is a city in the store, but the list has it as a county (杭州): "
        "nothing loaded"
    ) in " ".join(answer.output.split())
    assert session.scalars(select(Region).where(Region.code == "330199")).one_or_none() is None
    assert _region(session, "330100").name == "杭州市"


def test_regions_load_names_the_line_of_a_bad_file(tmp_path, db_url):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,level,parent_code\n330000,浙江省,province,\n33010,杭州市,city,330000\n", encoding="utf-8"
    )
    answer = _invoke("db", "regions", "load", path, "--db", db_url)
    assert answer.exit_code == 2
    expected = "bad.csv, line 3, field code: '33010' is not a 6-digit GB/T 2260 code"
    assert expected in " ".join(answer.output.split())


def test_merge_into_an_empty_table_parents_first(empty_engine):
    """The bulk path on its own: a province, its city and county in one call get their parent ids."""
    migrate.upgrade(empty_engine, "0009")
    with empty_engine.begin() as connection:
        connection.execute(text("ALTER TABLE region ADD COLUMN lon FLOAT"))
        connection.execute(text("ALTER TABLE region ADD COLUMN lat FLOAT"))
        done = merge_divisions(
            connection,
            [
                Division("130000", "河北省", "province", ""),
                Division("130100", "石家庄市", "city", "130000"),
                Division("130102", "长安区", "county", "130100"),
            ],
        )
        rows = connection.execute(
            text(
                "SELECT c.code, p.code FROM region c LEFT JOIN region p ON c.parent_id = p.id ORDER BY c.code"
            )
        ).all()
    assert (done.added, done.updated, done.kept) == (3, 0, 0)
    assert [tuple(r) for r in rows] == [("130000", None), ("130100", "130000"), ("130102", "130100")]


def test_merge_raises_store_error_on_a_level_clash(session):
    with pytest.raises(StoreError, match=r"region 110105 \(朝阳区\) is a county in the store"):
        merge_divisions(session.connection(), [Division("110105", "朝阳区", "city", "")])


def test_downgrade_keeps_the_rows(db_url):
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0009")
        with session_factory(engine)() as session:
            assert session.execute(text("SELECT count(*) FROM region")).scalar() == 3217
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()
