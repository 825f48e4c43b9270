"""Fixtures of the importer tests: the shared real data sets and the small fixture files."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "data" / "importers"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (skip the test if it is not there)."""
    path = (REPO / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(scope="session")
def prsa_dir(shared_data: Path) -> Path:
    path = shared_data / "beijing-prsa"
    if not path.is_dir():
        pytest.skip(f"PRSA data not found at {path}")
    return path


@pytest.fixture(scope="session")
def cnemc_dir(shared_data: Path) -> Path:
    path = shared_data / "beijing-35-stations"
    if not path.is_dir():
        pytest.skip(f"Beijing 35-station data not found at {path}")
    return path


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/data/importers (small hand-made files, see PROVENANCE.md there)."""
    return FIXTURES
