"""InputError formatting, and the doctests of the modules without a test path of their own."""

from __future__ import annotations

import doctest
import pickle

import pytest

import ecowatch.errors
import ecowatch.importers.common
import ecowatch.shapes.stations
from ecowatch.errors import EcowatchError, InputError


def test_message_with_every_part():
    err = InputError("non-numeric value 'abc'", file="data.csv", line=12, field="value")
    assert str(err) == "data.csv, line 12, field value: non-numeric value 'abc'"
    assert (err.file, err.line, err.field, err.reason) == ("data.csv", 12, "value", "non-numeric value 'abc'")


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "bad"),
        ({"file": "a.csv"}, "a.csv: bad"),
        ({"file": "a.csv", "line": 1}, "a.csv, line 1: bad"),
        ({"line": 3, "field": "x"}, "line 3, field x: bad"),
        ({"field": "x"}, "field x: bad"),
    ],
)
def test_message_omits_missing_parts(kwargs, text):
    assert str(InputError("bad", **kwargs)) == text


def test_is_an_ecowatch_error_and_pickles():
    err = InputError("bad", file="f.csv", line=2, field="v")
    assert isinstance(err, EcowatchError)
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.line == 2


@pytest.mark.parametrize("module", [ecowatch.errors, ecowatch.shapes.stations, ecowatch.importers.common])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
