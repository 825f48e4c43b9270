"""``ecowatch water classify --input SAMPLES.csv [--json]``: the contract of issue 15.

Expected classes and multiples are worked out by hand in the comments from GB 3838-2002 Table 1
(shared/reference/standards.md Part 3 §1) and the 2011 method's multiple (C − C_Ⅲ)/C_Ⅲ.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecowatch.cli import app

runner = CliRunner()


def _write(tmp_path: Path, text: str, name: str = "samples.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _flat(text: str) -> str:
    return "".join(text.split())


SAMPLES = """id,waterbody,pH,DO,CODMn,NH3-N,TP,TN,Hg,Cd,fecal_coliform
clean,river,7.5,9,1.9,0.15,0.02,3,,,
bad,river,7.2,6,7.2,2.9,0.35,,,,
lake-tp,lake,8,8,3,0.2,0.1,2.5,,,
metals,river,,,,,,,0.0001,0.006,90000
nd,river,,,,<0.1,ND,,,<0.002,
"""


def test_classify_json_contract(tmp_path: Path) -> None:
    result = runner.invoke(app, ["water", "classify", "--input", str(_write(tmp_path, SAMPLES)), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        # every taking-part indicator at Class I (DO ≥ 7.5, CODMn ≤ 2, NH3-N ≤ 0.15, TP ≤ 0.02, pH 6–9);
        # TN 3 is worse than V but rivers' TN does not count
        {
            "id": "clean",
            "class": "I",
            "exceeding": {},
            "main_pollutants": [],
            "determining": ["pH", "DO", "CODMn", "NH3-N", "TP"],
        },
        # NH3-N 2.9 > 2.0: worse than V, (2.9−1)/1 = 1.9; TP 0.35 (Class V), (0.35−0.2)/0.2 = 0.75 → 0.8
        # (GB/T 8170); CODMn 7.2 (Class IV), (7.2−6)/6 = 0.2
        {
            "id": "bad",
            "class": "worse than V",
            "exceeding": {"CODMn": 0.2, "NH3-N": 1.9, "TP": 0.8},
            "main_pollutants": ["NH3-N", "TP", "CODMn"],
            "determining": ["NH3-N"],
        },
        # lake TP 0.1: Class IV of the lake column, (0.1−0.05)/0.05 = 1.0; TN 2.5 evaluated apart
        {
            "id": "lake-tp",
            "class": "IV",
            "exceeding": {"TP": 1.0},
            "main_pollutants": ["TP"],
            "determining": ["TP"],
        },
        # Hg 0.0001 = Class III limit; Cd 0.006 Class V, (0.006−0.005)/0.005 = 0.2; coliform apart
        {
            "id": "metals",
            "class": "V",
            "exceeding": {"Cd": 0.2},
            "main_pollutants": ["Cd"],
            "determining": ["Cd"],
        },
        # "<0.1" NH3-N → 0.05 (Class I); ND TP → Class I; "<0.002" Cd → 0.001 (Class I)
        {
            "id": "nd",
            "class": "I",
            "exceeding": {},
            "main_pollutants": [],
            "determining": ["NH3-N", "TP", "Cd"],
        },
    ]


def test_classify_table(tmp_path: Path) -> None:
    result = runner.invoke(app, ["water", "classify", "--input", str(_write(tmp_path, SAMPLES))])
    assert result.exit_code == 0, result.output
    text = _flat(result.stdout)
    # lake TN 2.5 (lake-tp) and fecal coliform 90000 (metals) worse than V, shown apart; river TN not
    for expected in ("worsethanV(劣Ⅴ)", "NH3-N(1.9)", "TP(0.8)", "IV(Ⅳ)", "Cd(0.2)", "fecal_coliform(worse"):
        assert expected in text
    assert text.count("TN(worsethanV)") == 1


@pytest.mark.parametrize(
    ("content", "place", "reason"),
    [
        ("id,waterbody,DO\nx,sea,5\n", "line 2, field waterbody", "neither 'river' nor 'lake'"),
        ("id,waterbody,DO,TP\nx,river,5,\ny,river,5,0.1x\n", "line 3, field TP", "not a number"),
        ("id,waterbody,DO\nx,river,-1\n", "line 2, field DO", "positive number or zero"),
        ("id,waterbody,pH\nx,river,<6\n", "line 2, field pH", "never below detection"),
        ("id,waterbody,pH\nx,river,70\n", "line 2, field pH", "outside 0–14"),
        ("id,waterbody,DO,Turbidity\nx,river,5,3\n", "line 1, field Turbidity", "unknown column"),
        ("id,waterbody,DO,do\nx,river,5,5\n", "line 1, field do", "column given twice"),
        ("id,DO\nx,5\n", "line 1", "missing column 'waterbody'"),
        ("id,waterbody\nx,river\n", "line 1", "no indicator column"),
        ("id,waterbody,DO\nx,river,5,6\n", "line 2", "4 fields where the header has 3"),
        ("id,waterbody,DO\n,river,5\n", "line 2, field id", "empty id"),
        ("id,waterbody,DO,TN\nx,river,,2\n", "line 2", "no value of an indicator that sets the class"),
        ("", "samples.csv", "empty file"),
        ("id,waterbody,DO\n", "samples.csv", "no samples after the header"),
    ],
)
def test_bad_input_names_file_line_and_field(tmp_path: Path, content: str, place: str, reason: str) -> None:
    path = _write(tmp_path, content)
    result = runner.invoke(app, ["water", "classify", "--input", str(path), "--json"])
    assert result.exit_code == 2
    message = _flat(result.stderr)
    assert _flat(f"{path}") in message and _flat(place) in message and _flat(reason) in message
    assert result.stdout == ""


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["water", "classify", "--input", str(tmp_path / "none.csv"), "--json"])
    assert result.exit_code == 2
    assert "none.csv" in result.stderr and _flat("cannot read the file") in _flat(result.stderr)


def test_header_case_and_byte_order_mark(tmp_path: Path) -> None:
    """Excel writes a BOM; column names are matched regardless of case, waterbody too."""
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffID,Waterbody,do,nh3-n\r\ns1,LAKE,4,0.5\r\n".encode())
    result = runner.invoke(app, ["water", "classify", "--input", str(path), "--json"])
    assert result.exit_code == 0, result.output
    # DO 4: Class IV (3 ≤ 4 < 5), no multiple; NH3-N 0.5 Class II
    assert json.loads(result.stdout) == [
        {"id": "s1", "class": "IV", "exceeding": {}, "main_pollutants": ["DO"], "determining": ["DO"]}
    ]


def test_installed_command(tmp_path: Path) -> None:
    """The console script, as the acceptance check calls it."""
    path = _write(tmp_path, "id,waterbody,TP\nx,river,0.41\n")
    script = Path(sys.executable).parent / "ecowatch"
    done = subprocess.run(
        [str(script), "water", "classify", "--input", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # (0.41 − 0.2)/0.2 = 1.05 → 1.0 by GB/T 8170 (half to even)
    assert json.loads(done.stdout) == [
        {
            "id": "x",
            "class": "worse than V",
            "exceeding": {"TP": 1.0},
            "main_pollutants": ["TP"],
            "determining": ["TP"],
        }
    ]
