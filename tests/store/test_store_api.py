"""The store's public names, and the examples in its docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["audit", "db", "figures", "measurements", "migrate", "models", "partitions", "sites"]


@pytest.mark.parametrize("name", ["", *(f".{m}" for m in MODULES)])
def test_exported_names_exist_once(name):
    # Their order is ruff's (RUF022).
    module = importlib.import_module(f"ecowatch.store{name}")
    assert len(set(module.__all__)) == len(module.__all__)
    assert [n for n in module.__all__ if not hasattr(module, n)] == []


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"ecowatch.store.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0
