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

from dataclasses import dataclass

from ecowatch.errors import EcowatchError, InputError

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


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an import file: ``row`` (1-based, the header is row 1), ``column`` (its header
    name, with the Excel column letter for workbooks), and the reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


class SourceImportError(EcowatchError):
    """An import file with problems; ``problems`` lists every one found.  Nothing was imported."""

    def __init__(self, source: str, problems: list[ImportProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {source}, {problem}" for problem in self.problems)
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''}, nothing imported:\n{lines}")
