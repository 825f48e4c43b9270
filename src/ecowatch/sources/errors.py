"""Errors of the pollution-source registry (a branch of :mod:`ecowatch.errors`)::

InputError
└── SourceError         a registration that cannot be made: the field and the reason (API: 422)
    ├── UnknownSource   no enterprise or outlet with that code (API: 404)
    ├── SourceConflict  the code is taken (API: 409)
    └── OutOfScope      the user may not see or change it (API: 403)
EcowatchError
└── SourceImportError   a file with problems: every one with its row and column; nothing imported
"""

from __future__ import annotations

from ecowatch.errors import FileImportError, ImportProblem, InputError

__all__ = [
    "ImportProblem",
    "OutOfScope",
    "SourceConflict",
    "SourceError",
    "SourceImportError",
    "UnknownSource",
]


class SourceError(InputError):
    """A registration that cannot be made; ``field`` names the field (``credit_code``, ``lon``...)."""


class UnknownSource(SourceError):
    """No enterprise or outlet with the code given."""


class SourceConflict(SourceError):
    """The code is already taken by another enterprise, outlet or site."""


class OutOfScope(SourceError):
    """The enterprise, outlet or region is outside what the user may see or change."""


class SourceImportError(FileImportError):
    """A registry import file with problems; ``problems`` lists every one found. Nothing was imported."""
