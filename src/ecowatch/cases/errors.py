"""Exceptions of the closed-loop supervision cases.

The error tree (httpx's pattern: the tree lives here)::

    EcowatchError              ecowatch.errors
    └── CaseError              base of every error of ecowatch.cases, never raised directly
        ├── IllegalMove        a move the workflow refuses; ``rule`` names the rule that refused it
        │                      ("transition", "role", "scope", "reason", "evidence") and the message
        │                      says why, with the case, the action and the actor
        ├── LadderError        an escalation ladder that cannot be used (empty, steps out of order)
        ├── AuditError         an entry that cannot be put in the hash chain (a float, a naive time)
        ├── CaseInputError     a value the store refuses (``field`` names it; API: 422)
        │   ├── UnknownCase    no case, batch or user by that name (API: 404)
        │   ├── CaseConflict   the code is taken (API: 409)
        │   └── CaseOutOfScope the case is outside what the user may see (API: 403)
        └── CaseImportError    an import file with problems, each with its row and column; nothing imported

A broken hash chain is not an exception: :func:`ecowatch.cases.audit.verify_chain` returns a result that
names the first entry that no longer matches, so that a check of every chain can report them all.

>>> error = IllegalMove("case R-1: close needs state pre_examined, the case is rectifying", rule="transition")
>>> error.rule, str(error)
('transition', 'case R-1: close needs state pre_examined, the case is rectifying')
>>> isinstance(error, CaseError)
True
"""

from __future__ import annotations

from typing import Literal

from ecowatch.errors import EcowatchError, FileImportError, ImportProblem

__all__ = [
    "AuditError",
    "CaseConflict",
    "CaseError",
    "CaseImportError",
    "CaseInputError",
    "CaseOutOfScope",
    "IllegalMove",
    "ImportProblem",
    "LadderError",
    "MoveRule",
    "UnknownCase",
]

#: The rules of the workflow that may refuse a move, checked in this order.
MoveRule = Literal["actor", "transition", "role", "scope", "reason", "evidence", "time"]


class CaseError(EcowatchError):
    """Base of every exception raised by ``ecowatch.cases``."""


class IllegalMove(CaseError):
    """A move the workflow refuses.

    Parameters
    ----------
    message : str
        What was refused and why, naming the case, the action and the actor.
    rule : str
        The rule that refused it: ``actor`` (no such role, no region), ``transition`` (the action is not
        possible from the case's state), ``role`` (the actor's role may not make it, from this state),
        ``scope`` (the case's region is outside the actor's), ``reason`` (a reason is required),
        ``evidence`` (at least one evidence file is required), ``time`` (``now`` has no UTC offset).
    """

    def __init__(self, message: str, *, rule: MoveRule) -> None:
        self.rule: MoveRule = rule
        super().__init__(message)


class LadderError(CaseError, ValueError):
    """An escalation ladder that cannot be used; the message names the rung and the reason."""


class AuditError(CaseError, ValueError):
    """A history entry that cannot be hashed canonically; the message names the field and the reason."""


class CaseInputError(CaseError):
    """A value the cases store refuses; ``field`` names it (``region``, ``--evidence``...), or None."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class UnknownCase(CaseInputError):
    """No case, batch or user by the name given."""


class CaseConflict(CaseInputError):
    """The case code is already taken."""


class CaseOutOfScope(CaseInputError):
    """The case is outside the region the user may see."""


class CaseImportError(CaseError, FileImportError):
    """A cases list with problems; ``problems`` lists every one found. Nothing was imported."""
