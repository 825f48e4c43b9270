"""The shapes every domain shares: the station registry, the measurement table and the result of
an import. The bottom layer beside :mod:`ecowatch.standards` and :mod:`ecowatch.hj212`: importers,
the store and every domain build on it, and it imports nothing of theirs (``make test`` checks the
layers with import-linter)."""
