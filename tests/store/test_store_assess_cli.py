"""`ecowatch air assess --db` gives the same figures as the files the store was loaded from."""

import json

from typer.testing import CliRunner

from ecowatch.cli import app

RUNNER = CliRunner()


def write_network(path):
    rows = ["station,time,pollutant,value"]
    for day, pm in (("2026-04-01", 40), ("2026-04-02", 80), ("2026-04-03", 20)):
        for hour in range(24):
            for station, offset in (("1003A", 0), ("1004A", 10)):
                rows += [
                    f"{station},{day} {hour:02d}:00,PM2.5,{pm + offset}",
                    f"{station},{day} {hour:02d}:00,PM10,{pm + 30}",
                    f"{station},{day} {hour:02d}:00,SO2,8",
                    f"{station},{day} {hour:02d}:00,NO2,30",
                    f"{station},{day} {hour:02d}:00,CO,0.6",
                    f"{station},{day} {hour:02d}:00,O3,70",
                ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def run(*args) -> str:
    result = RUNNER.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_assess_from_the_store_equals_assess_from_files(tmp_path):
    data = tmp_path / "network.csv"
    write_network(data)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    run("db", "upgrade", "--db", url)
    run("db", "load", data, "--format", "long", "--db", url)
    window = ("--from", "2026-04-01", "--to", "2026-04-03", "--json")
    from_files = json.loads(run("air", "assess", data, "--format", "long", *window))
    from_store = json.loads(run("air", "assess", "--db", url, *window))
    for result in (from_files, from_store):
        result.pop("validity")
    assert from_store == from_files
    # City = mean of 东四 and 天坛: PM2.5 daily 45, 85, 25 → period mean 51.67 → 52.
    assert from_store["city"]["PM2.5"]["value"] == 52
    assert from_store["stations"] == ["1003A", "1004A"]


def test_assess_needs_files_or_a_store():
    result = RUNNER.invoke(app, ["air", "assess", "--from", "2026-04-01", "--to", "2026-04-03"])
    assert result.exit_code == 2
    assert "--db" in result.output
