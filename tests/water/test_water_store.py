"""Surface water in the store (SQLite, and PostgreSQL when ECOWATCH_TEST_POSTGRES_URL is set): the
registry with users' corrections and their audit entries, loading records idempotently, the queries.

The records are lines of ``../shared/data/cn-surface-water`` copied into a small file per test.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ecowatch.clock import BEIJING
from ecowatch.errors import InputError
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.audit import entries
from ecowatch.water import service
from ecowatch.water.models import WaterSample, WaterSection

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cn-surface-water"
FOUR_HOURLY = DATA / "auto_stations_4h_2021-04-01_05.csv.gz"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")
UTC = dt.UTC


@pytest.fixture
def url(db_url) -> str:
    migrate.upgrade(db_url)
    return db_url


@pytest.fixture
def engine(url) -> Iterator[Engine]:
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _session(engine: Engine) -> Session:
    return session_factory(engine)()


def _slice(tmp_path: Path, sections: tuple[str, ...], name: str = "slice.csv") -> Path:
    """The 4-hourly file's header and the lines of ``sections`` (by name)."""
    with gzip.open(FOUR_HOURLY, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[2] in sections]
    path = tmp_path / name
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def test_registry_sync_and_corrections(engine) -> None:
    with _session(engine) as session, session.begin():
        assert service.sync_registry(session=session, actor="test") == {"added": 1925, "updated": 0}
    with _session(engine) as session, session.begin():
        assert service.sync_registry(session=session, actor="test") == {"added": 0, "updated": 0}
        # 沙渚 in 太湖: the published classes follow the river TP column; a user says lake.
        code = service.store_registry(session).find("江苏省", "沙渚").code  # type: ignore[union-attr]
        service.set_section(session=session, code=code, actor="alice", waterbody="lake", target_class="III")
        tianjin = service.store_registry(session).find("天津市", "三岔口").code  # type: ignore[union-attr]
        service.set_section(
            session=session, code=tianjin, actor="alice", city_code="120100", river="海河干流"
        )
    with _session(engine) as session, session.begin():
        service.sync_registry(session=session, actor="test")  # the packaged registry again
        row = session.scalar(select(WaterSection).where(WaterSection.code == code))
        assert (row.waterbody, row.waterbody_basis, row.target_class, row.city_code) == (
            "lake",
            "user",
            3,
            "320200",
        )
        row = session.scalar(select(WaterSection).where(WaterSection.code == tianjin))
        assert (row.city_code, row.river) == ("120100", "海河干流")  # the registry's 海河 does not come back
        audit = entries(session=session, entity="water_section", entity_id=code)
        assert [(e.actor, e.action, e.detail) for e in audit] == [
            (
                "alice",
                "water.section.set",
                {
                    "before": {"waterbody": "river", "waterbody_basis": "classes", "target_class": None},
                    "after": {"waterbody": "lake", "waterbody_basis": "user", "target_class": 3},
                },
            )
        ]
        assert len(entries(session=session, entity="water_section", entity_id=None)) == 3  # sync, 2 sets
        with pytest.raises(InputError, match="neither 'river' nor 'lake'"):
            service.set_section(session=session, code=code, actor="alice", waterbody="sea")
        with pytest.raises(InputError, match="320000 江苏省 is a province, not a city"):
            service.set_section(session=session, code=code, actor="alice", city_code="320000")
        with pytest.raises(InputError, match="1 to 64 characters"):
            service.set_section(session=session, code=code, actor="alice", river="太" * 65)


def test_import_corrections_all_or_nothing(engine, tmp_path: Path) -> None:
    with _session(engine) as session, session.begin():
        service.sync_registry(session=session, actor="test")
    good = tmp_path / "fix.csv"
    good.write_text(
        "code,waterbody,lon,lat\nW120004,river,117.53,40.05\nW110003,,117.15,40.69\n", encoding="utf-8"
    )
    with _session(engine) as session, session.begin():
        assert service.import_sections(session=session, path=good, actor="bob") == {"added": 0, "updated": 2}
    with _session(engine) as session:
        rows = {
            r.code: r
            for r in session.scalars(
                select(WaterSection).where(WaterSection.code.in_(["W120004", "W110003"]))
            )
        }
        assert (rows["W120004"].waterbody, rows["W120004"].waterbody_basis, rows["W120004"].lon) == (
            "river",
            "user",
            117.53,
        )
        assert (rows["W110003"].waterbody_basis, rows["W110003"].lat) == ("classes", 40.69)
    bad = tmp_path / "bad.csv"
    bad.write_text("code,waterbody,lat\nW110001,lake,\nW110002,river,95\n", encoding="utf-8")
    with pytest.raises(InputError) as caught, _session(engine) as session, session.begin():
        service.import_sections(session=session, path=bad, actor="bob")
    assert str(caught.value) == "bad.csv, line 3, field lat: 95.0 is outside -90..90"
    with _session(engine) as session:  # nothing of the file was written
        assert session.scalar(select(WaterSection.waterbody).where(WaterSection.code == "W110001")) == "river"


@needs_data
def test_load_is_idempotent_and_keeps_both_classes(url, engine, tmp_path: Path) -> None:
    path = _slice(tmp_path, ("七效港西桥", "古北口"))
    first = service.load_water(url=url, path=path, actor="test")
    assert first.written == first.records > 0 and first.sections == 2
    again = service.load_water(url=url, path=path, actor="test")
    assert again.written == 0 and again.records == first.records
    with _session(engine) as session:
        sample = session.scalar(
            select(WaterSample)
            .join(WaterSection)
            .where(
                WaterSection.name == "七效港西桥", WaterSample.time == dt.datetime(2021, 4, 1, 4, tzinfo=UTC)
            )
        )
        # 七效港西桥 04-01 12:00 (Beijing) = 04:00Z: Ⅲ, CODMn 5.81 (Class Ⅲ: ≤ 6), NH3-N 0.097, TP 0.065
        assert sample.parameter_values["CODMn"] == 5.81 and sample.parameter_values["TP"] == 0.065
        assert (sample.published_class, sample.our_class, sample.differs, sample.status) == (
            3,
            3,
            None,
            "normal",
        )
        assert sample.source == "slice.csv" and sample.below == []
        # 七效港西桥 04-01 20:00 is published Ⅳ with CODMn 6.19 (Class Ⅳ: 6–10)
        later = session.scalar(
            select(WaterSample).where(
                WaterSample.section_id == sample.section_id,
                WaterSample.time == dt.datetime(2021, 4, 1, 12, tzinfo=UTC),
            )
        )
        assert (later.published_class, later.our_class) == (4, 4)
    # A record changed since: only that row is written again.
    text = path.read_text(encoding="utf-8").replace(
        "2021-04-01T12:00,Ⅲ,17.3,7.99,8.64,861.9,67.3,5.81",
        "2021-04-01T12:00,Ⅲ,17.3,7.99,8.64,861.9,67.3,6.81",
    )
    path.write_text(text, encoding="utf-8")
    changed = service.load_water(url=url, path=path, actor="test")
    assert changed.written == 1
    with _session(engine) as session:
        row = session.scalar(select(WaterSample).where(WaterSample.id == sample.id))
        # CODMn 6.81 is Class Ⅳ where Ⅲ was published; no earlier record of the file, TP 0.065 is Ⅳ in a
        # lake too: none of the known reasons
        assert (row.parameter_values["CODMn"], row.published_class, row.our_class, row.differs) == (
            6.81,
            3,
            4,
            "other",
        )


@needs_data
def test_queries(url, engine, tmp_path: Path) -> None:
    service.load_water(url=url, path=_slice(tmp_path, ("三岔口", "七效港西桥")), actor="test")
    with _session(engine) as session:
        code = service.store_registry(session).find("上海市", "七效港西桥").code  # type: ignore[union-attr]
        samples = service.section_samples(
            session=session,
            code=code,
            start=dt.datetime(2021, 4, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            end=dt.datetime(2021, 4, 1, 20, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        )
        # 12:00, 16:00, 20:00 of 04-01 in the file: classes Ⅲ, Ⅲ, Ⅳ
        assert [(s["time"].hour, s["published_class"]) for s in samples] == [(12, 3), (16, 3), (20, 4)]
        latest = service.sections_with_latest(session=session, regions={"310000"})
        shanghai = [item for item in latest if item["latest"] is not None]
        assert [item["section"].name for item in shanghai] == ["七效港西桥"]
        # the file's last record of 七效港西桥 is 04-05 16:00; at 04-01 17:00 the latest is 04-01 16:00 (Ⅲ)
        assert shanghai[0]["latest"]["time"] == dt.datetime(2021, 4, 5, 16, tzinfo=BEIJING)
        then = service.sections_with_latest(
            session=session, regions={"310000"}, at=dt.datetime(2021, 4, 1, 17, tzinfo=BEIJING)
        )
        assert [(i["latest"]["time"].hour, i["latest"]["published_class"]) for i in then if i["latest"]] == [
            (16, 3)
        ]
        # 三岔口 is in 天津市 (120100): the period of that city holds it alone
        frame = service.stored_frame(
            session=session, first=dt.date(2021, 4, 1), last=dt.date(2021, 4, 5), regions={"120100"}
        )
        assert frame["name"].unique().to_list() == ["三岔口"] and frame["city"].unique().to_list() == [
            "天津市"
        ]
        assert frame["time"].dt.date().min() >= dt.date(2021, 4, 1)
        assert frame.height == session.scalar(
            select(func.count())
            .select_from(WaterSample)
            .join(WaterSection)
            .where(WaterSection.name == "三岔口")
        )


@needs_data
def test_compare_classes_is_water_class_of_each_usable_record() -> None:
    from ecowatch.standards import Waterbody, water_class
    from ecowatch.water.importer import read_water_file

    read = read_water_file(DATA / "daily_snapshots_98_sections_2020-05-10_2021-04-05.csv.gz")
    frame = service.compare_classes(read)
    checked = 0
    for (row, values), ours in zip(read.iter_values(), frame["our_class"].to_list(), strict=True):
        if not row["usable"] or not values:
            assert ours is None
            continue
        checked += 1
        assert ours == water_class(values, Waterbody(row["waterbody"])).water_class, row
    assert checked == 20_513  # the daily file's 正常 records (SOURCE.md; every one has a time)


@needs_data
def test_assess_period_of_stored_samples(url, engine, tmp_path: Path) -> None:
    path = _slice(tmp_path, ("七效港西桥", "三岔口"))
    service.load_water(url=url, path=path, actor="test")
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    normal = {
        name: sum(
            1
            for line in lines
            if line.split(",")[2] == name and line.split(",")[4] and line.endswith(",正常")
        )
        for name in ("七效港西桥", "三岔口")
    }
    with _session(engine) as session:
        result = service.assess_period(session=session, first=dt.date(2021, 3, 1), last=dt.date(2021, 4, 30))
        assert {s.name: s.samples for s in result.sections} == normal
        only_tianjin = service.assess_period(
            session=session, first=dt.date(2021, 3, 1), last=dt.date(2021, 4, 30), regions={"120100"}
        )
        assert [s.name for s in only_tianjin.sections] == ["三岔口"]


def test_a_correction_body_is_what_set_section_takes(engine) -> None:
    from pydantic import ValidationError

    from ecowatch.water.schemas import SectionCorrection, SectionRead

    body = SectionCorrection.model_validate({"waterbody": "lake", "lat": 24.9})
    with _session(engine) as session, session.begin():
        service.sync_registry(session=session, actor="test")
        service.set_section(session=session, code="W530042", actor="carol", **body.changes())
        read = SectionRead.of(service.store_registry(session).get("W530042"))  # type: ignore[arg-type]
    assert (read.name, read.waterbody, read.waterbody_basis, read.lat, read.lon) == (
        "阳宗海中",
        "lake",
        "user",
        24.9,
        None,
    )
    with pytest.raises(ValidationError, match="waterbodyy"):
        SectionCorrection.model_validate({"waterbodyy": "lake"})


def test_the_reads_use_the_indexes(engine) -> None:
    """A section's recent samples and a city's period are index searches, not table scans (SQLite's plan)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    with engine.connect() as connection:
        recent = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM water_sample WHERE section_id = 1 AND time >= '2021-04-01' "
            "ORDER BY time DESC LIMIT 10"
        ).all()
        assert "USING INDEX uq_water_sample_section_time" in " ".join(str(row[-1]) for row in recent)
        city = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM water_section JOIN water_sample ON water_sample.section_id = "
            "water_section.id WHERE water_section.city_code = '120100' AND water_sample.time >= '2021-04-01'"
        ).all()
        plan = " ".join(str(row[-1]) for row in city)
        assert "ix_water_section_city_code" in plan and "uq_water_sample_section_time" in plan, plan
