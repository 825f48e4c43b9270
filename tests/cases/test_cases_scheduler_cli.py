"""``ecowatch cases ladder``: show, set (text or file) and clear a batch's own escalation ladder; the next
``cases escalate`` follows it; errors exit non-zero and write nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecowatch.cases.models import CaseBatch
from ecowatch.cases.service import CaseInput, add_cases
from ecowatch.cli import app
from ecowatch.clock import BEIJING
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.models import AuditEntry

runner = CliRunner()
BATCH = "2026-省级第二轮"


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        add_cases(
            session=session,
            batch=BATCH,
            kind="typical",
            cases=[
                CaseInput(
                    code="SJ-1",
                    title="扬尘",
                    region="110105",
                    lead_unit="朝阳区住建委",
                    deadline=dt.date(2026, 4, 10),
                )
            ],
            actor="test",
            now=dt.datetime(2026, 3, 1, 9, tzinfo=BEIJING),
        )
    yield db_url, sessions
    engine.dispose()


def invoke(*args: object, now: str = "2026-04-20T09:00:00+08:00"):
    return runner.invoke(app, [str(a) for a in args], env={"ECOWATCH_NOW": now})


def test_show_set_escalate_and_clear(store):
    url, sessions = store
    shown = invoke("cases", "ladder", "--batch", BATCH, "--json", "--db", url)
    assert shown.exit_code == 0, shown.output
    got = json.loads(shown.stdout)
    assert (got["batch"], got["own"]) == (BATCH, False)
    assert [(s["step"], s["from_days"], s["until_days"]) for s in got["steps"]] == [
        ("warning", -3, 0),
        ("notice", 1, None),
        ("interview", 15, None),
        ("listed", 30, None),
        ("accountability", 60, None),
    ]
    done = invoke(
        "cases", "ladder", "--batch", BATCH, "--set", "yellow=0,red=10", "--as", "chief", "--db", url
    )
    assert done.exit_code == 0, done.output
    assert "本批次阶梯 the batch's own ladder" in done.stdout
    # 2026-04-20 is 10 days past SJ-1's deadline (04-10): yellow (from day 0 on: it starts on the due
    # date, so it has no end) and red, at once, in ladder order.
    escalated = invoke("cases", "escalate", "--json", "--db", url)
    assert escalated.exit_code == 0, escalated.output
    assert json.loads(escalated.stdout) == [
        {"case": "SJ-1", "node": None, "step": "yellow", "days_overdue": 10},
        {"case": "SJ-1", "node": None, "step": "red", "days_overdue": 10},
    ]
    cleared = invoke("cases", "ladder", "--batch", BATCH, "--default", "--json", "--db", url)
    assert cleared.exit_code == 0, cleared.output
    assert json.loads(cleared.stdout)["own"] is False
    with sessions() as session:
        actions = session.execute(
            select(AuditEntry.actor, AuditEntry.entity_id).where(AuditEntry.action == "set_ladder")
        ).all()
        assert actions == [("chief", BATCH), ("cli", BATCH)]


def test_a_ladder_file(store, tmp_path):
    url, sessions = store
    path = tmp_path / "ladder.toml"
    path.write_text(
        '[[step]]\nstep = "warning"\nfrom_days = -7\nuntil_days = 0\n\n'
        '[[step]]\nstep = "notice"\nfrom_days = 2\n',
        encoding="utf-8",
    )
    done = invoke("cases", "ladder", "--batch", BATCH, "--file", path, "--json", "--db", url)
    assert done.exit_code == 0, done.output
    assert [(s["step"], s["from_days"], s["until_days"]) for s in json.loads(done.stdout)["steps"]] == [
        ("warning", -7, 0),
        ("notice", 2, None),
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "notice=1,interview=1"], "ladder step 2 'interview': starts on day 1, not after step 1"),
        (["--set", "notice"], "ladder step 1 'notice': write step=FROM or step=FROM..UNTIL"),
        (["--set", "notice=1", "--default"], "give one of --set, --file and --default"),
        (["--file", "/nonexistent/ladder.json"], "/nonexistent/ladder.json: No such file or directory"),
    ],
)
def test_errors_write_nothing(store, args, words):
    url, sessions = store
    result = invoke("cases", "ladder", "--batch", BATCH, *args, "--db", url)
    assert result.exit_code == 2
    assert words in " ".join(result.output.split())
    with sessions() as session:
        assert session.get(CaseBatch, BATCH).ladder is None
        assert session.scalar(select(func.count()).where(AuditEntry.action == "set_ladder")) == 0


def test_an_unknown_batch(store):
    url, _ = store
    result = invoke("cases", "ladder", "--batch", "nope", "--set", "notice=1", "--db", url)
    assert result.exit_code == 2
    assert "batch 'nope': no such batch" in result.output
