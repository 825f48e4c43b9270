"""Costly routes share the request threads fairly (issue 14: "no request that one user can repeat to
starve the others"): a user has at most ``PER_USER`` of them in flight, everyone together ``IN_ALL``."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from ecowatch.store.users import get_user
from ecowatch.web.fairness import IN_ALL, PER_USER, CostGate, gate_of

COSTLY = [
    "/api/v1/measurements?limit=1",
    "/api/v1/air/daily?from=2016-01-01&to=2016-01-01&city=130100",
    "/api/v1/air/assessment?from=2016-01-01&to=2016-01-01",
]


def test_the_gate_counts_per_user_and_in_all():
    gate = CostGate(per_user=2, in_all=3)
    gate.enter(1)
    gate.enter(1)
    with pytest.raises(HTTPException) as mine:
        gate.enter(1)
    assert (mine.value.status_code, mine.value.headers) == (429, {"Retry-After": "1"})
    gate.enter(2)
    with pytest.raises(HTTPException) as everyone:
        gate.enter(3)
    assert everyone.value.status_code == 503
    gate.leave(1)
    gate.enter(3)
    assert (gate.in_flight(1), gate.in_flight(2), gate.in_flight(3), gate.in_flight()) == (1, 1, 1, 3)


def test_the_shares_leave_most_of_the_thread_pool_to_cheap_routes():
    assert PER_USER < IN_ALL <= 40 // 3  # AnyIO's default limit is 40 threads


def _user_id(app, username):
    with app.state.ecowatch.sessions() as session:
        return get_user(session=session, username=username).id


class _Request:
    def __init__(self, app):
        self.app = app


@pytest.mark.parametrize("path", COSTLY)
def test_a_user_past_their_share_waits_and_the_others_do_not(app, client, auth, path):
    gate = gate_of(_Request(app))
    hebei = _user_id(app, "hebei")
    for _ in range(PER_USER):  # as if two of hebei's costly requests were being answered
        gate.enter(hebei)
    try:
        refused = client.get(path, headers=auth("hebei"))
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["detail"] == (
            f"{PER_USER} of your requests that read many rows are still being answered; wait for them"
        )
        assert client.get(path, headers=auth("admin")).status_code == 200
    finally:
        for _ in range(PER_USER):
            gate.leave(hebei)
    assert client.get(path, headers=auth("hebei")).status_code == 200
    assert gate.in_flight() == 0  # every answered request gave its place back
