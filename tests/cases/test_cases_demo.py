"""The demo's closed-loop cases (brief J): ``ecowatch demo`` puts one fictional batch in the store.

The store is the demo's own (``seed_demo``), with two days of its PRSA files loaded first so that the
demo does not load four years; "now" is fixed with ``ECOWATCH_NOW``.  The expected figures are counted
by hand from the batch as :mod:`ecowatch.cases.demo_data` describes it (dates relative to now, Beijing
days): 13 cases, 4 closed, 3 overdue; escalation three days ago recorded ZG-01 notice (node 2 13 days
late), ZG-06 notice, interview, listed (32 days), ZG-08 warning (due in 1 day).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecowatch.cases.demo_data import DEMO_BATCH
from ecowatch.cases.models import Case, CaseEscalation, CaseHistory, CaseNotification, CaseVisit
from ecowatch.cases.service import batch_stats, list_cases, verify_audit
from ecowatch.cli import app
from ecowatch.demo import seed_demo
from ecowatch.loading import load_files
from ecowatch.store import make_engine, migrate, session_factory
from ecowatch.store.users import get_user, scope_of
from ecowatch.web.app import create_app

DEMO_PRSA = Path(__file__).resolve().parents[2] / "data" / "demo" / "beijing-prsa"
NOW = "2026-12-07T10:00:00+08:00"
SECRET = b"ecowatch-demo-cases-test-key-32-bytes"
runner = CliRunner()


@pytest.fixture
def demo_url(db_url, monkeypatch) -> str:
    monkeypatch.setenv("ECOWATCH_NOW", NOW)
    migrate.upgrade(db_url)
    load_files(
        url=db_url,
        path=DEMO_PRSA,
        format="prsa",
        actor="test",
        first_day=dt.date(2017, 2, 28),
        last_day=dt.date(2017, 2, 28),
    )
    summary = seed_demo(db_url, DEMO_PRSA, water=False)
    assert summary.cases == 13
    return db_url


def test_the_demo_batch_has_cases_in_every_state(demo_url):
    now = dt.datetime.fromisoformat(NOW)
    engine = make_engine(demo_url)
    try:
        with session_factory(engine)() as session:
            stats = batch_stats(session=session, batch=DEMO_BATCH, now=now)
            assert (stats.total, stats.closed, stats.overdue, stats.on_schedule) == (13, 4, 3, 6)
            assert stats.closing_rate_pct == 30.8  # 4 / 13 = 30.77 %
            assert stats.by_state == {
                "registered": 2,
                "assigned": 1,
                "rectifying": 4,
                "submitted": 1,
                "pre_examined": 1,
                "closed": 4,
            }
            assert stats.by_escalation == {
                "warning": 1,
                "notice": 1,
                "interview": 0,
                "listed": 1,
                "accountability": 0,
            }
            overdue = list_cases(session=session, now=now, batch=DEMO_BATCH, overdue=True)
            assert sorted(item.code for item in overdue.items) == ["DEMO-ZG-01", "DEMO-ZG-06", "DEMO-ZG-08"]
            assert session.scalar(select(func.count()).select_from(CaseEscalation)) == 5
            # ZG-01 notice: chaoyang + beijing; ZG-06 (丰台, no county user) x3: beijing; ZG-08
            # warning: chaoyang + beijing.
            assert session.scalar(select(func.count()).select_from(CaseNotification)) == 7
            petitions = {c.code: c for c in session.scalars(select(Case).where(Case.kind == "petition"))}
            assert petitions["DEMO-XF-02"].duplicate_of_id == petitions["DEMO-XF-01"].id
            assert (petitions["DEMO-XF-01"].outcome, petitions["DEMO-XF-04"].outcome) == (
                "closed",
                "stage_closed",
            )
            assert petitions["DEMO-XF-03"].accepted_at is not None
            assert petitions["DEMO-XF-03"].answered_at is None
            assert session.scalar(select(func.count()).select_from(CaseVisit)) == 1
            assert verify_audit(session=session).ok
            chaoyang = get_user(session=session, username="chaoyang")
            assert chaoyang is not None
            seen = list_cases(
                session=session, now=now, batch=DEMO_BATCH, scope=scope_of(session=session, user=chaoyang)
            )
            assert sorted(item.code for item in seen.items) == [
                "DEMO-XF-01",
                "DEMO-XF-02",
                "DEMO-ZG-01",
                "DEMO-ZG-02",
                "DEMO-ZG-08",
            ]
            moves = session.scalar(select(func.count()).select_from(CaseHistory))
    finally:
        engine.dispose()

    verified = runner.invoke(app, ["audit", "verify", "--db", demo_url])
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.split() == ["ok:", str(moves), "entries"]

    # Today's escalation has steps of its own: ZG-01 interview (16 days), ZG-08 notice (2 days late),
    # ZG-04 warning (due tomorrow).
    escalated = runner.invoke(app, ["cases", "escalate", "--json", "--db", demo_url])
    assert escalated.exit_code == 0, escalated.output
    steps = json.loads(escalated.stdout)
    steps = steps["steps"] if isinstance(steps, dict) else steps
    assert sorted((s["case"], s["step"]) for s in steps) == [
        ("DEMO-ZG-01", "interview"),
        ("DEMO-ZG-04", "warning"),
        ("DEMO-ZG-08", "notice"),
    ]


def test_a_second_demo_adds_no_case(demo_url):
    engine = make_engine(demo_url)
    try:
        with session_factory(engine)() as session:
            before = [session.scalar(select(func.count()).select_from(t)) for t in (Case, CaseHistory)]
        assert seed_demo(demo_url, DEMO_PRSA, water=False).cases == 0
        with session_factory(engine)() as session:
            after = [session.scalar(select(func.count()).select_from(t)) for t in (Case, CaseHistory)]
    finally:
        engine.dispose()
    assert after == before


def test_the_demo_users_see_their_cases_and_notifications_on_the_api(demo_url):
    with TestClient(create_app(demo_url, secret_key=SECRET)) as client:

        def signed_in(username: str) -> dict[str, str]:
            token = client.post(
                "/api/v1/auth/token", json={"username": username, "password": "ecowatch-demo"}
            )
            assert token.status_code == 200, token.text
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        chaoyang, city = signed_in("chaoyang"), signed_in("beijing")
        listed = client.get(f"/api/v1/cases?batch={DEMO_BATCH}", headers=chaoyang).json()
        assert sorted(item["code"] for item in listed["items"]) == [
            "DEMO-XF-01",
            "DEMO-XF-02",
            "DEMO-ZG-01",
            "DEMO-ZG-02",
            "DEMO-ZG-08",
        ]
        assert client.get(f"/api/v1/cases?batch={DEMO_BATCH}", headers=city).json()["total"] == 13
        notes = client.get("/api/v1/cases/notifications", headers=chaoyang).json()
        assert (notes["unread"], sorted((n["case"], n["step"]) for n in notes["items"])) == (
            2,
            [("DEMO-ZG-01", "notice"), ("DEMO-ZG-08", "warning")],
        )
        assert client.get("/api/v1/cases/notifications", headers=city).json()["unread"] == 5
