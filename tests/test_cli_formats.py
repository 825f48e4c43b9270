"""The ``--format`` choices of ``ecowatch air`` are the importers' format names.

``cli/air.py`` hands ``InputFormat.value`` to :func:`ecowatch.importers.read` as an
``importers.Format`` (a cast for mypy); this keeps the two lists the same.
"""

from __future__ import annotations

from typing import get_args

from ecowatch.cli.air import InputFormat
from ecowatch.importers import FORMATS, Format


def test_input_format_choices_are_the_importers_formats():
    assert sorted(f.value for f in InputFormat) == ["cnemc", "long", "prsa"]
    assert sorted(get_args(Format)) == ["cnemc", "long", "prsa"]
    assert sorted(FORMATS) == ["cnemc", "long", "prsa"]
