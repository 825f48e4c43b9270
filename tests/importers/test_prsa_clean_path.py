"""The PRSA reader's direct path for well-formed files gives exactly the general path's result.

The general path reads every cell as text to name the line and field of any bad value; well-formed
files (the UCI set as published) are parsed straight to numbers (issue 13, "Speed a user feels").
Any file the direct path cannot vouch for goes to the general path, which reports its problems.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from ecowatch.importers import read
from ecowatch.importers.common import input_files, read_files
from ecowatch.importers.prsa import _read_clean, _read_one

PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"

pytestmark = pytest.mark.skipif(not PRSA.is_dir(), reason=f"demo data not found at {PRSA}")


def test_clean_path_equals_the_general_path_on_the_uci_files() -> None:
    first, last = dt.date(2016, 1, 1), dt.date(2016, 3, 31)
    files = input_files(PRSA)
    clean = _read_clean(files, None, first, last)
    general = read_files(
        files,
        _read_one,
        None,
        description="PRSA",
        lenient=False,
        date_from=first,
        date_to=last,
        progress=False,
    )
    assert clean is not None
    assert clean.measurements.height == general.measurements.height > 12 * 91 * 24 * 5
    assert clean.measurements.equals(general.measurements)  # same rows, values and order
    assert [s.code for s in clean.stations] == [s.code for s in general.stations]
    assert clean.sources == general.sources and clean.issues == general.issues == []


def _dongsi_copy(tmp_path: Path, edit) -> Path:
    source = PRSA / "PRSA_Data_Dongsi_20130301-20170228.csv.gz"
    lines = gzip.decompress(source.read_bytes()).decode("utf-8").splitlines()
    target = tmp_path / "PRSA_Data_Dongsi_20130301-20170228.csv"
    target.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        (
            "negative",
            lambda ls: [ls[0], ls[1].replace(",9,9,3,17,", ",-9,9,3,17,", 1), *ls[2:]],
            "negative value '-9'",
        ),
        (
            "text",
            lambda ls: [ls[0], ls[1].replace(",9,9,3,17,", ",x,9,3,17,", 1), *ls[2:]],
            "non-numeric value 'x'",
        ),
        (
            "short line",
            lambda ls: [ls[0], ls[1], "3,2013,3,1,2,7", *ls[3:]],
            "line has 6 fields, the header has 18",
        ),
        ("duplicate hour", lambda ls: [ls[0], ls[1], ls[1], *ls[2:]], "duplicate 1003A 2013-03-01 00:00"),
    ],
)
def test_a_problem_goes_to_the_general_path(tmp_path: Path, name: str, edit, message: str) -> None:
    path = _dongsi_copy(tmp_path, edit)
    assert _read_clean([path], None, None, None) is None, name
    result = read(path, "prsa", lenient=True, progress=False)
    assert any(message in str(issue) for issue in result.issues), [str(i) for i in result.issues[:3]]


def test_two_files_of_one_station_go_to_the_general_path(tmp_path: Path) -> None:
    source = PRSA / "PRSA_Data_Dongsi_20130301-20170228.csv.gz"
    shutil.copy(source, tmp_path / "a.csv.gz")
    shutil.copy(source, tmp_path / "b.csv.gz")
    assert _read_clean(input_files(tmp_path), None, dt.date(2013, 3, 1), dt.date(2013, 3, 1)) is None


def test_an_implausible_value_is_marked_on_the_direct_path(tmp_path: Path) -> None:
    # 门头沟's 519,961 µg/m³ of 2014-01-16, in Dongsi's first row: well formed, so the direct path reads it
    # and marks it invalid as the general path does (PLAUSIBLE_MAXIMUM).
    path = _dongsi_copy(
        tmp_path, lambda ls: [ls[0], ls[1].replace(",9,9,3,17,", ",519961,9,3,17,", 1), *ls[2:]]
    )
    result = _read_clean([path], None, dt.date(2013, 3, 1), dt.date(2013, 3, 1))
    assert result is not None
    first = result.measurements.filter(pl.col("pollutant") == "PM2.5").row(0, named=True)
    assert first["value"] is None
    assert first["invalid_reason"] == "above the plausible maximum 10000 (instrument or transmission fault)"
