"""The demo's enterprises and outlets (seeded by ``ecowatch demo`` before the registry had tables of its
own) are listed, edited and given devices through the registry like any other."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.demo import DEMO_ENTERPRISES, _registry
from ecowatch.store import make_engine, migrate, session_factory

runner = CliRunner()


def ok(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def test_demo_outlets_are_listed_and_edited(db_url):
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            _registry(session)
    finally:
        engine.dispose()
    outlets = json.loads(ok("sources", "outlet", "list", "--json", "--db", db_url))
    assert [(o["code"], o["enterprise"], o["medium"], o["kind"], o["region"]) for o in outlets] == [
        ("DEMO-GAS-01", "91110105DEMO00001X", "gas", None, "110105"),
        ("DEMO-GAS-02", "91110111DEMO00003X", "gas", None, "110111"),
        ("DEMO-WATER-01", "91110112DEMO00002X", "water", None, "110112"),
    ]
    assert [
        e["code"] for e in json.loads(ok("sources", "enterprise", "list", "--json", "--db", db_url))
    ] == sorted(spec.code for spec in DEMO_ENTERPRISES)
    assert (
        ok(
            "sources",
            "outlet",
            "edit",
            "DEMO-GAS-01",
            "--kind",
            "main",
            "--limit",
            "a21026=35,o2=6",
            "--db",
            db_url,
        )
        == "outlet DEMO-GAS-01: changed kind, limits"
    )
    assert ok(
        "sources", "enterprise", "edit", "91110105DEMO00001X", "--lists", "air,carbon", "--db", db_url
    ) == ("enterprise 91110105DEMO00001X: changed key_lists")
    [gas] = json.loads(
        ok("sources", "outlet", "list", "--enterprise", "91110105DEMO00001X", "--json", "--db", db_url)
    )
    assert (gas["kind"], [(lim["pollutant"], lim["upper_limit"]) for lim in gas["limits"]]) == (
        "main",
        [("a21026", 35.0)],
    )
