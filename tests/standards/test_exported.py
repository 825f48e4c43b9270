"""The public surface of ``ecowatch.standards`` (STYLE.md Testing §7, after httpx's test_exported_members)
and its purity: the package imports nothing of ecowatch outside itself (STYLE.md package layout)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ecowatch.standards as standards

PACKAGE_DIR = Path(standards.__file__).resolve().parent
SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))

# Modules whose public names are re-exported by the package's __init__.
EXPORTING_MODULES = ("air", "aqi", "editions", "pollutants", "references", "rounding", "water")

# Public names of those modules that are deliberately not in __all__: edition-specific tables behind
# the edition-keyed ones, validity constants, and helpers of the exact arithmetic. A new public name
# must be added either to __all__ or here, so that leaving it out is a decision.
DELIBERATELY_INTERNAL = {
    "air": {
        "GB3095_2012_LIMITS",
        "GB3095_2026_TRANSITIONAL_LIMITS",
        "GB3095_2026_FINAL_LIMITS",
        "MIN_HOURS_PER_DAY",
        "MIN_HOURS_PER_8H",
        "MIN_WINDOWS_PER_DAY",
        "MIN_DAYS_PER_YEAR",
        "MIN_DAYS_PER_MONTH",
        "MIN_DAYS_FEBRUARY",
        "WINDOWS_PER_DAY",
    },
    "aqi": {
        "IAQI_AXIS",
        "HJ633_2012_IAQI_BREAKPOINTS",
        "HJ633_2026_IAQI_BREAKPOINTS",
        "REALTIME_PM_INPUT",
        "concentration_decimals",
        "aqi_level_array",
    },
    "editions": {"EDITION_2026_IN_FORCE", "FINAL_LIMITS_IN_FORCE"},
    "pollutants": {"POLLUTANT_NAMES_ZH", "PERCENT_DECIMALS", "INDEX_DECIMALS"},
    "references": set(),
    "rounding": {"SNAP_DECIMALS", "SNAP_SCALE", "exact", "snap_to_int", "round_snapped"},
    "water": {"PH_RANGE", "Value"},
}


def _defined_public_names(path: Path) -> set[str]:
    """Top-level names a module defines itself (not imports), without a leading underscore."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def _isort_style_key(name: str) -> tuple[int, list[int | str]]:
    """The order ruff's RUF022 (selected in pyproject.toml) enforces on ``__all__``: SCREAMING_SNAKE_CASE,
    then CamelCase, then the rest, each group in natural order (digit runs compared as numbers)."""
    group = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return group, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def test_all_is_sorted_and_unique() -> None:
    # Not plain sorted(): ruff's RUF022 would reorder that list and fail `ruff check src`.
    assert standards.__all__ == sorted(standards.__all__, key=_isort_style_key)
    assert len(standards.__all__) == len(set(standards.__all__))


def test_isort_style_key() -> None:
    names = ["round_gbt8170", "AqiItem", "AQI_LEVELS", "GB3095_LIMITS", "Averaging", "AQI_ITEMS", "aqi_level"]
    assert sorted(names, key=_isort_style_key) == [
        "AQI_ITEMS",
        "AQI_LEVELS",
        "GB3095_LIMITS",
        "AqiItem",
        "Averaging",
        "aqi_level",
        "round_gbt8170",
    ]
    assert sorted(["x10", "x9"], key=_isort_style_key) == ["x9", "x10"]


def test_all_names_exist_and_are_ours() -> None:
    for name in standards.__all__:
        assert hasattr(standards, name), name
        member = getattr(standards, name)
        module = getattr(member, "__module__", None)
        if isinstance(member, type) or callable(member):
            assert module is not None and module.startswith("ecowatch.standards."), name


def test_no_public_member_outside_all() -> None:
    """Names visible on the package are either in __all__, submodules, or ``__dunder__``."""
    public = {name for name in vars(standards) if not name.startswith("_")}
    submodules = {path.stem for path in SOURCES if path.stem != "__init__"}
    assert public - set(standards.__all__) - submodules - {"annotations"} == set()


@pytest.mark.parametrize("module", EXPORTING_MODULES)
def test_every_public_name_is_exported_or_deliberately_internal(module: str) -> None:
    defined = _defined_public_names(PACKAGE_DIR / f"{module}.py")
    undecided = defined - set(standards.__all__) - DELIBERATELY_INTERNAL[module]
    assert undecided == set(), f"{module}: add to __all__ or to DELIBERATELY_INTERNAL"
    # the internal list does not name things that no longer exist
    assert DELIBERATELY_INTERNAL[module] <= defined, module


ESCAPING_TEXT = [
    re.compile(r"^\s*from\s+ecowatch(?!\.standards\b)[\w.]*\s+import\b", re.MULTILINE),
    re.compile(r"^\s*import\s+ecowatch(?!\.standards\b)", re.MULTILINE),
    re.compile(r"^\s*from\s+\.\.", re.MULTILINE),  # relative import out of the package
]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_standards_imports_nothing_of_ecowatch_outside_itself(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for pattern in ESCAPING_TEXT:
        assert pattern.search(text) is None, f"{path.name}: {pattern.pattern}"
    depth = len(path.relative_to(PACKAGE_DIR).parts)  # 1 for a module directly in standards/
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not _escapes(alias.name), f"{path.name}: import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert not _escapes(node.module or ""), f"{path.name}: from {node.module} import …"
            else:
                assert node.level <= depth, (
                    f"{path.name}: from {'.' * node.level}{node.module or ''} import …"
                )


def _escapes(module: str) -> bool:
    return (module == "ecowatch" or module.startswith("ecowatch.")) and not (
        module == "ecowatch.standards" or module.startswith("ecowatch.standards.")
    )


def test_the_import_check_can_fail(tmp_path: Path) -> None:
    """The patterns above catch the three ways out of the package."""
    bad = "from ecowatch.assessment import x\nimport ecowatch.cli\nfrom ..errors import E\n"
    assert all(pattern.search(bad) for pattern in ESCAPING_TEXT)
    good = "from .rounding import exact\nfrom ecowatch.standards.aqi import iaqi\n"
    assert not any(pattern.search(good) for pattern in ESCAPING_TEXT)
    assert _escapes("ecowatch.errors") and not _escapes("ecowatch.standards.aqi") and not _escapes("numpy")
