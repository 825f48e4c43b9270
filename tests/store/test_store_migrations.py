"""The packaged Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import ecowatch.cases.models  # the tables of the cases join Base.metadata
import ecowatch.sources.models  # noqa: F401  (the registry's tables join Base.metadata)
from ecowatch.store import StoreError, migrate
from ecowatch.store.models import Base
from ecowatch.store.partitions import is_partition_name
from ecowatch.water import models as _water_models  # noqa: F401  (its tables join Base.metadata)

TABLES = {
    "region",
    "enterprise",
    "site",
    "device",
    "measurement",
    "figure_cache",
    "user_account",
    "audit_entry",
    "device_key",
    "hj212_frame",
    "hj212_quarantine",
    "gateway_checkpoint",
    "measurement_month",
    "hourly_block",
    "enterprise_key_list",
    "outlet",
    "permit_limit",
    "store_identity",
    # issue 16: closed-loop cases (migration 0011)
    "case_batch",
    "case_file",
    "supervision_case",
    "case_node",
    "case_history",
    "case_evidence",
    "case_escalation",
    "case_notification",
    "case_visit",
    # issue 15: surface water (migration 0012)
    "water_section",
    "water_sample",
}


def tables(engine) -> set[str]:
    with engine.connect() as connection:
        return {name for name in inspect(connection).get_table_names() if not is_partition_name(name)}


def test_upgrade_from_empty_to_head_creates_every_table(empty_engine):
    assert migrate.current(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.current(empty_engine) == migrate.head() == "0012"
    assert tables(empty_engine) == TABLES | {"alembic_version"}


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": lambda name, type_, _parents: not (
                    type_ == "table" and is_partition_name(name)
                ),
                "compare_type": True,
                "compare_server_default": True,
            },
        )
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_removes_everything_and_upgrade_again_works(engine):
    migrate.downgrade(engine, "base")
    assert migrate.current(engine) is None
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    migrate.upgrade(engine)
    assert tables(engine) == TABLES | {"alembic_version"}


def test_upgrade_at_head_is_a_no_op(engine):
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()


def test_check_at_head_names_the_command_to_run(empty_engine):
    with pytest.raises(
        StoreError, match=r"schema revision none \(empty\), not 0012: run `ecowatch db upgrade`"
    ):
        migrate.check_at_head(empty_engine)


def test_postgresql_measurement_is_range_partitioned_on_time_with_a_default_partition(pg_engine):
    with pg_engine.connect() as connection:
        strategy, key = connection.execute(
            text(
                "SELECT p.partstrat, pg_get_partkeydef(p.partrelid) FROM pg_partitioned_table p "
                "WHERE p.partrelid = 'measurement'::regclass"
            )
        ).one()
        partitions = connection.execute(
            text(
                "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'measurement'::regclass"
            )
        ).all()
    assert strategy == "r"
    assert key == 'RANGE ("time")'
    assert partitions == [("measurement_default", "DEFAULT")]


def test_0004_moves_the_gateways_realtime_and_minute_rows_out_of_measurement(empty_engine):
    """The rows 0004 deletes are the gateway's rtd/min rows (their frames stay in hj212_frame); hourly
    rows and other writers' minute rows stay."""
    migrate.upgrade(empty_engine, "0003")
    rows = [("rtd", "hj212"), ("min", "hj212"), ("1h", "hj212"), ("min", "csv-import"), ("1h", "prsa")]
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO site (id, code, name, name_en, full_name, aliases, kind, category) "
                "VALUES (1, 'S1', 'S1', '', '', '[]', 'air_station', 'unregistered')"
            )
        )
        for number, (interval, source) in enumerate(rows):
            connection.execute(
                text(
                    "INSERT INTO measurement (site_id, interval, time, pollutant, value, source) "
                    "VALUES (1, :interval, :time, 'a21026', 1.5, :source)"
                ),
                {"interval": interval, "source": source, "time": f"2026-01-01 0{number}:00:00.000000"},
            )
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        left = connection.execute(text("SELECT interval, source FROM measurement ORDER BY time")).all()
        indexes = {index["name"] for index in inspect(connection).get_indexes("hj212_frame")}
    assert [tuple(row) for row in left] == [("1h", "hj212"), ("min", "csv-import"), ("1h", "prsa")]
    assert "ix_hj212_frame_site_cn_time" in indexes and "ix_hj212_frame_site_id" not in indexes


def frame_values(engine) -> list:
    """The values of the kept frames as ``list_frames`` reads them (its query needs the latest schema)."""
    from ecowatch.hj212 import parse_cp
    from ecowatch.store.hj212_values import data_area

    with engine.connect() as connection:
        rows = connection.execute(text("SELECT cp, raw FROM hj212_frame ORDER BY id")).all()
    return [parse_cp(data_area(cp, raw)).codes for cp, raw in rows]


def test_0004_keeps_the_data_area_of_frames_already_kept(empty_engine):
    """``values`` (JSON) becomes ``cp`` (text): cut from the frame, or written from the values for SM4
    ciphertext; read back, the values are the same."""

    migrate.upgrade(empty_engine, "0003")
    plain = "DataTime=20260301100000;a21026-Avg=12.5,a21026-Flag=N;a34013-Avg=3,a34013-Flag=M"
    frames = [
        (
            "a",
            f"##0150QN=1;ST=22;CN=2051;PW=1;MN=M1;Flag=5;CP=&&{plain}&&ABCD\r\n",
            '{"a21026":{"Avg":12.5,"Flag":"N"},"a34013":{"Avg":3,"Flag":"M"}}',
        ),
        (
            "b",
            "##0099QN=2;ST=22;CN=2051;PW=1;MN=M1;Flag=9;CP=&&{0x0011AABB}&&ABCD\r\n",
            '{"a21026":{"Avg":0.1,"Flag":"N"}}',
        ),
    ]
    with empty_engine.begin() as connection:
        for digest, raw, values in frames:
            connection.execute(
                text(
                    "INSERT INTO hj212_frame (digest, mn, qn, st, cn, flag, version, data_time, received_at, "
                    "\"values\", raw, peer) VALUES (:digest, 'M1', :digest, '22', '2051', 5, '2017', "
                    "'20260301100000', '2026-03-01 02:00:00', :values, :raw, 'p')"
                ),
                {"digest": digest, "raw": raw, "values": values},
            )
    migrate.upgrade(empty_engine, "0004")
    with empty_engine.connect() as connection:
        cps = connection.execute(text("SELECT cp FROM hj212_frame ORDER BY id")).scalars().all()
        digests = connection.execute(text("SELECT digest FROM hj212_frame ORDER BY id")).scalars().all()
    assert cps == [plain, "DataTime=20260301100000;a21026-Avg=0.1,a21026-Flag=N"]
    assert digests == ["20260301100000a", "20260301100000b"]  # frame_key's DataTime first
    assert frame_values(empty_engine) == [
        {"a21026": {"Avg": 12.5, "Flag": "N"}, "a34013": {"Avg": 3, "Flag": "M"}},
        {"a21026": {"Avg": 0.1, "Flag": "N"}},
    ]


def test_0005_keeps_cp_only_where_raw_does_not_hold_it(empty_engine):
    """A plaintext frame's ``cp`` was a copy of what ``raw`` holds: null now, read back from ``raw``; SM4
    ciphertext, and a ``cp`` that is not exactly the text from ``raw``'s first ``CP=&&`` to its final
    ``&&``, stay.  The values read are the same before and after, and after the downgrade."""

    migrate.upgrade(empty_engine, "0004")
    plain = "DataTime=20260301100000;a21026-Avg=12.5,a21026-Flag=N"
    frames = [  # (raw, cp)
        (f"##0150QN=1;ST=22;CN=2051;PW=1;MN=M1;Flag=5;CP=&&{plain}&&ABCD\r\n", plain),
        ("##0099QN=2;ST=22;CN=2051;PW=1;MN=M1;Flag=9;CP=&&{0x0011AABB}&&ABCD\r\n", plain),
        ("##0060QN=3;ST=22;CN=9014;PW=1;MN=M1;Flag=4;CP=&&&&ABCD\r\n", ""),
        # The data area here runs to the final "&&": "DataTime=20260301100000&" is not it.
        (
            "##0060QN=4;ST=22;CN=2051;PW=1;MN=M1;Flag=5;CP=&&DataTime=20260301100000&&&ABCD\r\n",
            "DataTime=20260301100000",
        ),
    ]
    with empty_engine.begin() as connection:
        for number, (raw, cp) in enumerate(frames):
            connection.execute(
                text(
                    "INSERT INTO hj212_frame (digest, mn, qn, st, cn, flag, version, data_time, received_at, "
                    "cp, raw, peer) VALUES (:digest, 'M1', :digest, '22', '2051', 5, '2017', "
                    "'20260301100000', '2026-03-01 02:00:00', :cp, :raw, 'p')"
                ),
                {"digest": str(number), "raw": raw, "cp": cp},
            )

    def stored() -> list:
        with empty_engine.connect() as connection:
            return connection.execute(text("SELECT cp FROM hj212_frame ORDER BY id")).scalars().all()

    def values() -> list:
        return frame_values(empty_engine)

    before = values()
    migrate.upgrade(empty_engine)
    assert stored() == [None, plain, None, "DataTime=20260301100000"]
    assert values() == before
    migrate.downgrade(empty_engine, "0004")
    assert stored() == [plain, plain, "", "DataTime=20260301100000"]
