"""``ecowatch sources …``: enterprises and outlets added, edited and listed from the command line,
files imported; refusals are one line naming the field (or every row and column) with exit code 2."""

from __future__ import annotations

import json

from sources_helpers import ENT_CY, ENT_HD
from sqlalchemy import select
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.store import make_engine, session_factory
from ecowatch.store.audit import entries

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    return " ".join(text.split())


def ok(*args: object) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return flat(result.stdout)


def add_cy(url: str) -> None:
    ok(
        "sources",
        "enterprise",
        "add",
        "--code",
        ENT_CY,
        "--name",
        "朝阳热电有限公司",
        "--region",
        "110105",
        "--industry",
        "4411",
        "--lists",
        "air,carbon",
        "--db",
        url,
    )


def test_enterprise_add_edit_list(store_url):
    add_cy(store_url)
    assert ok(
        "sources", "enterprise", "edit", ENT_CY, "--region", "110108", "--lists", "", "--db", store_url
    ) == (f"enterprise {ENT_CY}: changed region, key_lists")
    assert ok("sources", "enterprise", "edit", ENT_CY, "--region", "110108", "--db", store_url) == (
        f"enterprise {ENT_CY}: unchanged"
    )
    listed = json.loads(ok("sources", "enterprise", "list", "--json", "--db", store_url))
    assert listed == [
        {
            "code": ENT_CY,
            "name": "朝阳热电有限公司",
            "region": "110108",
            "region_name": "海淀区",
            "industry": "4411",
            "key_lists": [],
            "outlets": [],
        }
    ]
    assert (
        json.loads(ok("sources", "enterprise", "list", "--region", "110105", "--json", "--db", store_url))
        == []
    )
    table = ok("sources", "enterprise", "list", "--db", store_url)
    assert "1 enterprises" in table and ENT_CY in table and "110108 海淀区" in table
    engine = make_engine(store_url)
    with session_factory(engine)() as session:
        audit = [
            (e.action, e.entity_id, e.actor.startswith("cli:"))
            for e in entries(session=session, entity="enterprise")
        ]
    engine.dispose()
    assert audit == [("create", ENT_CY, True), ("update", ENT_CY, True)]


def test_outlet_add_edit_list(store_url):
    add_cy(store_url)
    assert ok(
        "sources",
        "outlet",
        "add",
        "--code",
        "CY-DA001",
        "--name",
        "1号锅炉烟囱",
        "--enterprise",
        ENT_CY,
        "--medium",
        "gas",
        "--lon",
        "116.48",
        "--lat",
        "39.92",
        "--limit",
        "a21026=35,o2=6,unit=mg/m3",
        "--limit",
        "a34013=5,o2=6,standard=GB 13223-2011 表1",
        "--db",
        store_url,
    ) == (f"outlet CY-DA001: added (gas, enterprise {ENT_CY}, 2 limits)")
    assert (
        ok(
            "sources",
            "outlet",
            "edit",
            "CY-DA001",
            "--kind",
            "main",
            "--limit",
            "a21002=50,o2=6",
            "--remove-limit",
            "a34013",
            "--db",
            store_url,
        )
        == "outlet CY-DA001: changed kind, limits"
    )
    [outlet] = json.loads(
        ok("sources", "outlet", "list", "--enterprise", ENT_CY, "--json", "--db", store_url)
    )
    assert (
        outlet["kind"],
        [(lim["pollutant"], lim["upper_limit"], lim["reference_oxygen_pct"]) for lim in outlet["limits"]],
    ) == ("main", [("a21002", 50.0, 6.0), ("a21026", 35.0, 6.0)])
    table = ok("sources", "outlet", "list", "--db", store_url)
    assert "a21026 ≤ 35 毫克/立方米 @ 6 % O2" in table


def test_refusals_are_one_line_with_the_field(store_url):
    add_cy(store_url)
    cases = [
        (
            (
                "sources",
                "enterprise",
                "add",
                "--code",
                "91110105MA01TEXT1K",
                "--name",
                "x",
                "--region",
                "110105",
            ),
            "error: field code: '91110105MA01TEXT1K' is not a unified social credit code: check character "
            "is K, GB 32100-2015 Annex B gives J for the first 17 characters",
        ),
        (
            ("sources", "enterprise", "add", "--code", ENT_CY, "--name", "x", "--region", "110105"),
            f"error: field code: enterprise {ENT_CY} is registered already (edit it instead)",
        ),
        (
            ("sources", "enterprise", "edit", ENT_HD, "--name", "x"),
            f"error: field enterprise: no enterprise '{ENT_HD}'",
        ),
        (
            (
                "sources",
                "outlet",
                "add",
                "--code",
                "CY-DW001",
                "--name",
                "x",
                "--enterprise",
                ENT_CY,
                "--medium",
                "water",
                "--lon",
                "116.48",
                "--lat",
                "39.92",
                "--limit",
                "w01018=50,o2=6",
            ),
            "error: field limits[0].reference_oxygen_pct: a reference oxygen content applies to waste-gas "
            "limits only",
        ),
    ]
    for args, message in cases:
        result = invoke(*args, "--db", store_url)
        assert result.exit_code == 2, result.output
        assert flat(result.stderr) == message


def test_a_limit_that_cannot_be_read_is_refused_naming_the_part(store_url):
    result = invoke(
        "sources",
        "outlet",
        "add",
        "--code",
        "CY-DA001",
        "--name",
        "x",
        "--enterprise",
        ENT_CY,
        "--medium",
        "gas",
        "--lon",
        "116.48",
        "--lat",
        "39.92",
        "--limit",
        "a21026=35,oxygen=6",
        "--db",
        store_url,
    )
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        "error: --limit 'a21026=35,oxygen=6': unknown part 'oxygen=6' (known: o2, unit, lower, standard)"
    )


def test_import_from_the_cli(store_url, tmp_path):
    good = tmp_path / "sources.csv"
    good.write_text(
        "credit_code,enterprise_name,region,outlet_code,outlet_name,medium,lon,lat,pollutant,"
        f"upper_limit,unit\n{ENT_HD},海淀水务,110108,HD-DW001,总排口,water,116.30,39.98,w01018,50,mg/L\n",
        encoding="utf-8",
    )
    assert ok("sources", "import", good, "--db", store_url) == (
        f"{good}: 1 rows; enterprises 1 added, 0 updated; outlets 1 added, 0 updated; 1 limits"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"credit_code,enterprise_name,region\n{ENT_CY},朝阳热电,110199\n{ENT_CY[:-1]}K,x,110105\n",
        encoding="utf-8",
    )
    result = invoke("sources", "import", bad, "--db", store_url)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {bad}: 2 problems, nothing imported:",
        f"  {bad}, row 2, column region: no region '110199' in the store (a GB/T 2260 code)",
        f"  {bad}, row 3, column credit_code: '{ENT_CY[:-1]}K' is not a unified social credit code: check "
        "character is K, GB 32100-2015 Annex B gives J for the first 17 characters",
    ]
    engine = make_engine(store_url)
    with session_factory(engine)() as session:
        from ecowatch.store.models import Enterprise

        assert session.scalars(select(Enterprise.code)).all() == [ENT_HD]
    engine.dispose()


def test_devices_add_for_an_unregistered_outlet_points_at_the_registry(store_url):
    result = invoke(
        "devices",
        "add",
        "--mn",
        "CYDA0010000000000000001",
        "--password",
        "123456",
        "--site",
        "CY-DA001",
        "--kind",
        "waste_gas",
        "--db",
        store_url,
    )
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        "error: device CYDA0010000000000000001, field site: no outlet 'CY-DA001' in the store; an outlet "
        "belongs to an enterprise, so register the enterprise and its outlet first "
        "(`ecowatch sources enterprise add`, `ecowatch sources outlet add`)"
    )
