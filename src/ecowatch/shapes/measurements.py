"""The measurement table every importer returns and every consumer reads.

>>> MEASUREMENT_SCHEMA.names()
['station', 'time', 'pollutant', 'value', 'invalid_reason']
>>> POLLUTANTS
('SO2', 'NO2', 'CO', 'O3', 'PM10', 'PM2.5')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ecowatch.errors import InputError
from ecowatch.shapes.stations import Station
from ecowatch.standards import Pollutant

__all__ = ["MEASUREMENT_SCHEMA", "POLLUTANTS", "ImportResult"]

#: The values of the ``pollutant`` column: the display keys of :class:`~ecowatch.standards.Pollutant`,
#: as plain strings (Polars would make enum members a column of its Enum type).
POLLUTANTS: tuple[str, ...] = tuple(pollutant.value for pollutant in Pollutant)

# Dtype instances, not classes: pl.Schema stores instances anyway, and mypy types a mix of both as `object`.
#: Columns and types of :attr:`ImportResult.measurements`.
MEASUREMENT_SCHEMA = pl.Schema(
    {
        "station": pl.String(),  # registry code (or the name of an ad-hoc station)
        "time": pl.Datetime("us"),  # naive Beijing local time; the hour label of the source
        "pollutant": pl.String(),  # one of POLLUTANTS
        "value": pl.Float64(),  # µg/m³; CO in mg/m³; null when invalid
        "invalid_reason": pl.String(),  # null when valid
    }
)


@dataclass
class ImportResult:
    """What a reader returns.

    ``measurements`` follows :data:`MEASUREMENT_SCHEMA`, sorted by station, time, pollutant.
    Missing values (empty cells, ``NA``) have no row.  Invalid values (lenient mode) have a
    row with ``value`` null and ``invalid_reason`` set.
    """

    measurements: pl.DataFrame
    stations: list[Station] = field(default_factory=list)
    issues: list[InputError] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
