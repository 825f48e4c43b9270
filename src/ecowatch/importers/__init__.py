"""Importers: monitoring data files -> one long measurement frame.

Every reader has the signature ``reader(path, registry=None, *, lenient=False, date_from=None,
date_to=None, progress=True) -> ImportResult`` and returns
:attr:`ImportResult.measurements` in :data:`MEASUREMENT_SCHEMA`
(``station, time, pollutant, value, invalid_reason``).

- :func:`read_prsa` — UCI Beijing multi-site files (``PRSA_Data_<Station>_...csv``; CO µg/m³ -> mg/m³)
- :func:`read_cnemc` — wide real-time layout ``date,hour,type,<stations...>``
  (and :func:`read_cnemc_published` for the published AQI / 24-h rows)
- :func:`read_long` — plain ``station,time,pollutant,value[,unit]``

:func:`read` dispatches on a format name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal

from ecowatch.importers.cnemc import read_cnemc, read_cnemc_published
from ecowatch.importers.long import read_long
from ecowatch.importers.prsa import read_prsa
from ecowatch.shapes.measurements import MEASUREMENT_SCHEMA, ImportResult
from ecowatch.shapes.stations import StationRegistry

__all__ = [
    "FORMATS",
    "MEASUREMENT_SCHEMA",
    "Format",
    "ImportResult",
    "read",
    "read_cnemc",
    "read_cnemc_published",
    "read_long",
    "read_prsa",
]

Format = Literal["prsa", "cnemc", "long"]

#: Format name -> reader.
FORMATS: dict[str, Callable[..., ImportResult]] = {
    "prsa": read_prsa,
    "cnemc": read_cnemc,
    "long": read_long,
}


def read(
    path: str | os.PathLike[str],
    format: Format,
    registry: StationRegistry | None = None,
    **kw,
) -> ImportResult:
    """Read ``path`` with the reader of ``format``; ``kw`` are passed on (lenient, date_from, ...)."""
    try:
        reader = FORMATS[format]
    except KeyError:
        raise ValueError(f"unknown format {format!r}; expected one of {sorted(FORMATS)}") from None
    return reader(path, registry, **kw)
