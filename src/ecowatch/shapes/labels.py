"""What a stored pollutant or figure column is called and measured in, for pages, APIs and exports.

One place for every reader: a GB 3095 pollutant or an HJ 633 index item keeps its display key and the
unit of GB 3095 表1; anything else is an HJ 212 factor code of either edition, optionally suffixed
(``a00000-Cou``), named from HJ 212-2017 Annex B (:func:`ecowatch.hj212.code_label`).

>>> pollutant_label("O3_8h").unit, pollutant_label("CO").unit
('µg/m³', 'mg/m³')
>>> pollutant_label("w01018")
CodeLabel(code='w01018', name_zh='化学需氧量', name_en='COD', unit='mg/L')
>>> pollutant_label("a21026-Cou").unit
'kg'
"""

from __future__ import annotations

from ecowatch.hj212 import CodeLabel, code_label
from ecowatch.standards import AqiItem, Pollutant

__all__ = ["pollutant_label", "pollutant_of"]


def pollutant_of(name: str) -> Pollutant | None:
    """The GB 3095 pollutant a column of figures is named for (``PM2.5``, ``O3``, ``O3_8h``), else None."""
    try:
        return AqiItem(name).pollutant
    except ValueError:
        pass
    try:
        return Pollutant(name)
    except ValueError:
        return None


def pollutant_label(code: str) -> CodeLabel:
    """Chinese and English names and the unit symbol of a stored pollutant, figure column or HJ 212 code
    (an unknown code is its own name, with no unit: the protocol carries none)."""
    pollutant = pollutant_of(code)
    if pollutant is not None:
        return CodeLabel(code, code, code, pollutant.unit)
    return code_label(code)
