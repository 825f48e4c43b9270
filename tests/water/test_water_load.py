"""The commands: ``ecowatch db load PATH --format cnemc-water`` and ``ecowatch water sections …``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecowatch.cli import app
from ecowatch.cli.air import InputFormat
from ecowatch.cli.db import LoadFormat

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cn-surface-water"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")
runner = CliRunner()


def test_load_formats_are_the_air_formats_and_water() -> None:
    assert {f.value for f in LoadFormat} == {f.value for f in InputFormat} | {"cnemc-water"}


def _run(*args: str, db: Path):
    result = runner.invoke(app, [*args, "--db", f"sqlite:///{db}"])
    result.text = " ".join(result.output.split())  # rich wraps long lines  # type: ignore[attr-defined]
    return result


@needs_data
def test_db_load_prints_counts_and_where_classes_differ(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    national = DATA / "national_snapshots_2020-05-08_09.csv.gz"
    result = _run("db", "load", str(national), "--format", "cnemc-water", db=db)
    assert result.exit_code == 0, result.output
    # 3,802 lines; 175 (section, time) pairs given in both snapshots (a stopped station repeats its last)
    assert "3,627 water samples of 1,900 sections from 1 files (3,802 lines;" in result.text
    assert "3,627 rows inserted or changed" in result.text
    again = _run("db", "load", str(national), "--format", "cnemc-water", db=db)
    assert "0 rows inserted or changed" in again.text
    with gzip.open(
        DATA / "daily_snapshots_98_sections_2020-05-10_2021-04-05.csv.gz", "rt", encoding="utf-8"
    ) as f:
        lines = f.read().splitlines()
    daily = tmp_path / "daily.csv"
    daily.write_text("\n".join(lines[:2001]) + "\n", encoding="utf-8")
    result = _run("db", "load", str(daily), "--format", "cnemc-water", db=db)
    assert result.exit_code == 0 and "published class reproduced in" in result.text


def test_db_load_bad_file_names_file_line_field(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    path.write_text(
        "section,time,indicator,value\nW110003,2021-04-01 08:00,TP,0.1\nW110003,2021-04-01 12:00,TP,x\n"
    )
    result = _run("db", "load", str(path), "--format", "cnemc-water", db=tmp_path / "store.db")
    assert result.exit_code == 2
    assert "samples.csv, line 3, field value: not a number, '<detection limit' or 'ND': 'x'" in result.text
    lenient = _run("db", "load", str(path), "--format", "cnemc-water", "--lenient", db=tmp_path / "store.db")
    assert lenient.exit_code == 0 and "1 input issues" in lenient.text


def test_sections_set_and_list(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    result = _run("water", "sections", "set", "阳宗海中", "--waterbody", "river", "--json", db=db)
    assert result.exit_code == 0, result.output
    section = json.loads(result.output)
    assert (section["province"], section["waterbody"], section["waterbody_basis"]) == (
        "云南省",
        "river",
        "user",
    )
    listed = json.loads(_run("water", "sections", "list", "--province", "云南省", "--json", db=db).output)
    assert [s["waterbody_basis"] for s in listed if s["name"] == "阳宗海中"] == ["user"]
    ambiguous = _run("water", "sections", "set", "三岔口", "--waterbody", "lake", db=db)
    assert ambiguous.exit_code == 2 and "2 sections are called '三岔口'" in ambiguous.text


def test_sections_import(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    fix = tmp_path / "fix.csv"
    # 郭家屯 (河北省): the release names no city; 承德市 130800 is set here.
    fix.write_text("code,city_code\nW130068,130800\n", encoding="utf-8")
    result = _run("water", "sections", "import", str(fix), db=db)
    assert result.exit_code == 0 and "0 sections added, 1 corrected" in result.text
    listed = json.loads(_run("water", "sections", "list", "--province", "130000", "--json", db=db).output)
    assert [(s["city_code"], s["city"]) for s in listed if s["code"] == "W130068"] == [("130800", "承德市")]


def test_sections_export_edit_import_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    exported = tmp_path / "sections.csv"
    result = _run("water", "sections", "export", str(exported), db=db)
    assert result.exit_code == 0 and "1925 sections" in result.text
    same = _run("water", "sections", "import", str(exported), db=db)
    assert "0 sections added, 0 corrected" in same.text  # what export wrote changes nothing
    lines = exported.read_text(encoding="utf-8").splitlines()
    # W120004 于桥水库库中心 (lake by its name): a user knows the automatic station is on the outflow
    lines = [
        line.replace(",lake,name,", ",river,name,") if line.startswith("W120004,") else line for line in lines
    ]
    exported.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edited = _run("water", "sections", "import", str(exported), db=db)
    assert "0 sections added, 1 corrected" in edited.text
    listed = json.loads(_run("water", "sections", "list", "--province", "天津市", "--json", db=db).output)
    assert [(s["waterbody"], s["waterbody_basis"]) for s in listed if s["code"] == "W120004"] == [
        ("river", "user")
    ]


@needs_data
def test_db_load_from_to(tmp_path: Path) -> None:
    import csv

    db = tmp_path / "store.db"
    national = DATA / "national_snapshots_2020-05-08_09.csv.gz"
    with gzip.open(national, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # the records of 2020-05-09 (Beijing time), each section and time once
    expected = len(
        {(r["province"], r["section"], r["datetime"]) for r in rows if r["datetime"].startswith("2020-05-09")}
    )
    result = _run("db", "load", str(national), "--format", "cnemc-water", "--from", "2020-05-09", db=db)
    assert result.exit_code == 0, result.output
    assert (
        f"{expected:,} water samples" in result.text
        and f"{expected:,} rows inserted or changed" in result.text
    )
