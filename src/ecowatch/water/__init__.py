"""Surface water: samples and sections to GB 3838-2002 and the 2011 evaluation method.

The arithmetic is in :mod:`ecowatch.standards.water`; this package reads the data and applies it.
"""

from ecowatch.water.samples import SAMPLE_COLUMNS, WaterSample, classify, read_samples, result_json

__all__ = ["SAMPLE_COLUMNS", "WaterSample", "classify", "read_samples", "result_json"]
