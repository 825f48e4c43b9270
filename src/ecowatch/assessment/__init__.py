"""Air quality assessment: the standards applied to stations, cities, days and periods.

Layer 2 of three (pvlib's layering): :mod:`ecowatch.standards` does the arithmetic, this package
applies it to measurement tables (from files or the store) and explains every figure, and the CLI and
web drive whole runs.
"""
