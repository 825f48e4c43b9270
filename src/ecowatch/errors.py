"""Exceptions raised by ecowatch.

The error tree::

    EcowatchError           base of every error ecowatch raises on purpose
    ├── InputError          bad input data; carries the place (file, line, field) and the reason
    └── FileImportError     an import file (Excel/CSV list) with problems, each by row and column;
                            nothing was imported

Catch :class:`EcowatchError` to handle anything ecowatch reports; catch :class:`InputError` to
handle bad input files (its ``str()`` names the place, ready to show to the person who supplied
the file).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EcowatchError", "FileImportError", "ImportProblem", "InputError"]


class EcowatchError(Exception):
    """Base of all ecowatch errors."""


class InputError(EcowatchError):
    """Bad input data, with the place: file, line (1-based, header = line 1), field, and the reason.

    >>> str(InputError("non-numeric value 'abc'", file="data.csv", line=12, field="value"))
    "data.csv, line 12, field value: non-numeric value 'abc'"
    >>> str(InputError("no such file", file="data.csv"))
    'data.csv: no such file'
    >>> str(InputError("empty input"))
    'empty input'
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self._message())

    @property
    def place(self) -> str:
        """The place alone, e.g. ``"data.csv, line 12, field value"`` (empty if unknown)."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def _message(self) -> str:
        place = self.place
        return f"{place}: {self.reason}" if place else self.reason

    def __str__(self) -> str:
        return self._message()

    def __repr__(self) -> str:
        return f"InputError({self.reason!r}, file={self.file!r}, line={self.line!r}, field={self.field!r})"

    def __reduce__(self):  # keep keyword-only arguments through pickling (multiprocessing)
        return (_rebuild_input_error, (self.reason, self.file, self.line, self.field))


def _rebuild_input_error(reason: str, file: str | None, line: int | None, field: str | None) -> InputError:
    return InputError(reason, file=file, line=line, field=field)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem of an import file: ``row`` (1-based, the header is row 1), ``column`` (its header,
    with the Excel column letter for workbooks) and the reason.

    >>> str(ImportProblem(3, "整改时限 (H)", "'2026-13-01' is not a date"))
    "row 3, column 整改时限 (H): '2026-13-01' is not a date"
    """

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


class FileImportError(EcowatchError):
    """An import file with problems; ``problems`` lists every one found. Nothing was imported."""

    def __init__(self, source: str, problems: list[ImportProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {source}, {problem}" for problem in self.problems)
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''}, nothing imported:\n{lines}")
