"""A batch's own escalation ladder: written on the command line or in a file, kept on the batch.

Issue 16 asks for node control "configurable per batch", and ``shared/reference/cases.md`` for the
ladder, its delays and its texts to be the batch's [Issue16]_. :func:`parse_ladder` reads the short form
of ``ecowatch cases ladder --set``::

    warning=-3..0,notice=1,interview=15,listed=30,accountability=60

one ``step=FROM`` or ``step=FROM..UNTIL`` per rung, in whole Beijing days past the due date (negative
before it); a rung starting before the due date without an end ends on the due date (day 0), as the
default ``warning`` does (decision C-escalation: a warning of what is already late warns of nothing);
the others stay reached. The steps of the default ladder keep their texts; a batch's own step gets a
bilingual text naming it. :func:`read_ladder_file` reads the rows of
:meth:`~ecowatch.cases.escalation.Ladder.from_rows` from JSON or TOML, texts included.
:func:`set_batch_ladder` keeps it on the batch (None: back to the default ladder), with an audit entry.

>>> [(r.step, r.from_days, r.until_days) for r in parse_ladder("warning=-5,notice=1..20,red=21").rungs]
[('warning', -5, 0), ('notice', 1, 20), ('red', 21, None)]
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ecowatch.cases.errors import CaseInputError, LadderError
from ecowatch.cases.escalation import DEFAULT_LADDER, Ladder, Rung
from ecowatch.cases.models import CaseBatch
from ecowatch.cases.service import _batch, ladder_of
from ecowatch.store.audit import record

__all__ = ["batch_ladder", "default_text", "parse_ladder", "read_ladder_file", "set_batch_ladder"]

_RUNG = re.compile(r"(?P<step>[^=\s{}]+)\s*=\s*(?P<from>[+-]?\d+)(?:\s*\.\.\s*(?P<until>[+-]?\d+))?")


def default_text(step: str) -> str:
    """The notification text of ``step``: the default ladder's for its steps, else one naming it.

    >>> default_text("red")
    'red：{case} 到期日 {due}，逾期 {days_overdue} 天 / red: {case}, due {due}, {days_overdue} days overdue'
    """
    for rung in DEFAULT_LADDER.rungs:
        if rung.step == step:
            return rung.text
    name = step.replace("{", "{{").replace("}", "}}")
    return (
        f"{name}：{{case}} 到期日 {{due}}，逾期 {{days_overdue}} 天 / "
        f"{name}: {{case}}, due {{due}}, {{days_overdue}} days overdue"
    )


def parse_ladder(text: str) -> Ladder:
    """The ladder of ``text`` (``step=FROM[..UNTIL]`` separated by commas), or LadderError naming the
    rung and the reason.

    >>> parse_ladder("warning=-3,notice=soon")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecowatch.cases.errors.LadderError: ladder step 2 'notice=soon': write step=FROM or step=FROM..UNTIL ...
    """
    rungs: list[Rung] = []
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise LadderError("ladder: no steps")
    for number, part in enumerate(parts, start=1):
        match = _RUNG.fullmatch(part)
        if match is None:
            raise LadderError(
                f"ladder step {number} {part!r}: write step=FROM or step=FROM..UNTIL (whole days past due)"
            )
        step, start = match["step"], int(match["from"])
        until = int(match["until"]) if match["until"] is not None else (0 if start < 0 else None)
        rungs.append(Rung(step, start, until, default_text(step)))
    return Ladder(tuple(rungs))


def read_ladder_file(path: Path) -> Ladder:
    """The ladder of a JSON file (an array of rows ``{"step", "from_days", "until_days"?, "text"?}``) or a
    TOML file (``[[step]]`` tables with the same keys); a row without a text gets :func:`default_text`.
    Errors name the file and the rung."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LadderError(f"{path}: {error.strerror or error}") from None
    toml = path.suffix.lower() == ".toml"
    try:
        rows: Any = tomllib.loads(raw.decode()).get("step") if toml else json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise LadderError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {error}") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise LadderError(f"{path}: expected a list of steps (JSON array, or TOML [[step]] tables)")
    filled = [
        row if "text" in row else {**row, "text": default_text(str(row.get("step", "")))} for row in rows
    ]
    try:
        return Ladder.from_rows(filled)
    except LadderError as error:
        raise LadderError(f"{path}: {error}") from None


def set_batch_ladder(
    *, session: Session, batch: str, ladder: Ladder | None, actor: str, now: dt.datetime
) -> CaseBatch:
    """Keep ``ladder`` as the escalation ladder of ``batch`` (None: the default ladder again); one audit
    entry. Steps already recorded stay; the next escalation run follows the new ladder."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise CaseInputError(f"now {now.isoformat()} has no UTC offset", field="now")
    row = _batch(session, batch)
    row.ladder = None if ladder is None else ladder.rows()
    record(
        session=session,
        actor=actor,
        action="set_ladder",
        entity="case_batch",
        entity_id=batch,
        detail={"ladder": row.ladder},
        at=now.astimezone(dt.UTC),
    )
    session.flush()
    return row


def batch_ladder(*, session: Session, batch: str) -> tuple[Ladder, bool]:
    """The ladder in force for ``batch`` and whether it is the batch's own (else the default); UnknownCase
    when there is no such batch."""
    row = _batch(session, batch)
    return ladder_of(row), row.ladder is not None
