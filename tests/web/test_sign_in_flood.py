"""A login flood (issue 14): failed sign-ins are throttled per account and per address (429 with
Retry-After), and Argon2 runs in bounded threads of its own, so that other requests stay fast.

The rules' arithmetic is tested on :class:`SignInThrottle` with a given ``now``; the API tests freeze
the application's clock (``WebState.now``) instead of sleeping through lock-outs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time

import httpx
import pytest
from anyio import to_thread
from fastapi.testclient import TestClient

from ecowatch.store.users import get_user, password_fingerprint
from ecowatch.web import app as web_app
from ecowatch.web.api import auth as auth_api
from ecowatch.web.app import create_app
from ecowatch.web.hashing import HashingBusy, HashingGate
from ecowatch.web.throttle import SignInThrottle, ThrottleRule
from ecowatch.web.tokens import issue_token

NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
SECRET = b"ecowatch-web-tests-secret-key-32b!"
TOKEN = "/api/v1/auth/token"


def _at(seconds: float) -> dt.datetime:
    return NOON + dt.timedelta(seconds=seconds)


# --- the rules, on the throttle alone ---------------------------------------------------------------


def test_thirty_wrong_passwords_lock_the_account_for_a_minute_then_doubling(caplog):
    throttle = SignInThrottle()
    with caplog.at_level(logging.WARNING, logger="ecowatch.web.throttle"):
        for _ in range(30):
            if throttle.lockout(account="li", address="192.0.2.1", now=NOON) is None:
                throttle.failed(account="li", address="192.0.2.1", now=NOON)
    assert caplog.messages == [
        "sign-in: user name 'li' locked out for 60 s after failed sign-ins (last from 192.0.2.1)"
    ]
    # Five free failures, then the fifth locks for 60 s; the 25 tries after it were refused unchecked.
    lockout = throttle.lockout(account="li", address="192.0.2.1", now=NOON)
    assert (lockout.key, lockout.retry_after_s) == ("account", 60)
    assert throttle.lockout(account="li", address="192.0.2.1", now=_at(59)).retry_after_s == 1
    assert throttle.lockout(account="li", address="192.0.2.1", now=_at(60)) is None
    throttle.failed(account="li", address="192.0.2.1", now=_at(60))  # the sixth failure: 2 min
    assert throttle.lockout(account="li", address="192.0.2.1", now=_at(60)).retry_after_s == 120


def test_the_account_lock_holds_from_every_address_and_a_success_clears_it():
    throttle = SignInThrottle()
    for index in range(5):
        throttle.failed(account="li", address=f"192.0.2.{index}", now=NOON)
    assert throttle.lockout(account="li", address="198.51.100.9", now=_at(1)).key == "account"
    assert throttle.lockout(account="wang", address="198.51.100.9", now=_at(1)) is None
    throttle.succeeded(account="li", address="198.51.100.9", now=_at(1))
    assert throttle.lockout(account="li", address="198.51.100.9", now=_at(1)) is None


def test_the_address_lock_holds_for_every_account_and_a_success_does_not_clear_it():
    throttle = SignInThrottle()
    for index in range(20):
        throttle.failed(account=f"user{index}", address="192.0.2.7", now=NOON)
    lockout = throttle.lockout(account="someone-else", address="192.0.2.7", now=_at(1))
    assert (lockout.key, lockout.retry_after_s) == ("address", 59)
    assert lockout.message() == "too many failed sign-ins for this address: try again in 59 s"
    throttle.succeeded(account="someone-else", address="192.0.2.9", now=_at(1))
    assert throttle.lockout(account="someone-else", address="192.0.2.7", now=_at(1)).key == "address"
    assert throttle.lockout(account="someone-else", address="192.0.2.8", now=_at(1)) is None


def test_an_address_the_owner_signed_in_from_is_not_held_by_the_accounts_lock_out():
    """Five wrong passwords from anywhere must not keep the owner out at their usual address."""
    throttle = SignInThrottle()
    throttle.succeeded(account="admin", address="192.0.2.1", now=NOON)  # the owner's desk
    for _ in range(10):
        if throttle.lockout(account="admin", address="203.0.113.5", now=_at(1)) is None:
            throttle.failed(account="admin", address="203.0.113.5", now=_at(1))
    assert throttle.lockout(account="admin", address="203.0.113.5", now=_at(2)).key == "account"
    assert throttle.lockout(account="admin", address="198.51.100.7", now=_at(2)).key == "account"
    assert throttle.lockout(account="admin", address="192.0.2.1", now=_at(2)) is None
    thirty_days = 30 * 24 * 3600
    assert throttle.lockout(account="admin", address="192.0.2.1", now=_at(thirty_days)) is None  # forgotten
    for _ in range(5):
        throttle.failed(account="admin", address="203.0.113.5", now=_at(thirty_days))
    assert throttle.lockout(account="admin", address="192.0.2.1", now=_at(thirty_days)).key == "account"


def test_a_guesser_at_a_trusted_address_meets_the_address_limit():
    throttle = SignInThrottle()
    throttle.succeeded(account="li", address="192.0.2.1", now=NOON)
    refused_from = None
    for attempt in range(30):
        if throttle.lockout(account="li", address="192.0.2.1", now=NOON) is not None:
            refused_from = attempt
            break
        throttle.failed(account="li", address="192.0.2.1", now=NOON)
    assert refused_from == 20
    assert throttle.lockout(account="li", address="192.0.2.1", now=NOON).key == "address"


def test_failures_are_forgotten_after_a_quiet_spell():
    throttle = SignInThrottle()
    for _ in range(4):
        throttle.failed(account="li", address="192.0.2.1", now=NOON)
    one_day = 24 * 3600
    throttle.failed(account="li", address="192.0.2.1", now=_at(one_day))  # counted as the first again
    assert throttle.lockout(account="li", address="192.0.2.1", now=_at(one_day)) is None


def test_the_tables_are_bounded():
    rule = ThrottleRule(
        free_failures=1,
        first_lockout=dt.timedelta(minutes=1),
        max_lockout=dt.timedelta(minutes=1),
        forget_after=dt.timedelta(hours=1),
    )
    throttle = SignInThrottle(account=rule, address=rule, max_keys=3)
    for name in ("a", "b", "c", "d"):
        throttle.failed(account=name, address=name, now=NOON)
    assert throttle.lockout(account="a", address="a", now=NOON) is None  # the oldest went out
    assert throttle.lockout(account="d", address="d", now=NOON).retry_after_s == 60


# --- the hashing gate ---------------------------------------------------------------------------------


def test_the_gate_runs_one_job_at_a_time_and_refuses_past_its_queue():
    started, release = threading.Event(), threading.Event()
    running: list[int] = []

    def job(number: int) -> int:
        running.append(number)
        started.set()
        release.wait(30)
        return number

    async def scenario() -> None:
        gate = HashingGate(workers=1, max_waiting=1)
        first = asyncio.ensure_future(gate.run(lambda: job(1)))
        second = asyncio.ensure_future(gate.run(lambda: job(2)))
        await asyncio.sleep(0)  # both submitted
        assert await asyncio.to_thread(started.wait, 30)
        with pytest.raises(HashingBusy) as busy:
            await gate.run(lambda: 3)
        assert busy.value.retry_after_s >= 1
        assert (running, gate.in_flight) == ([1], 2)
        release.set()
        assert await asyncio.gather(first, second) == [1, 2]
        assert gate.in_flight == 0
        gate.close()

    asyncio.run(scenario())


# --- through the API ----------------------------------------------------------------------------------


@pytest.fixture
def frozen(store_url):
    """A new application on the shared fixture store (throttle state of its own), its clock frozen at
    NOON: ``(client, clock)``, ``clock[0]`` the application's now."""
    app = create_app(store_url, secret_key=SECRET)
    clock = [NOON]
    app.state.ecowatch.now = lambda: clock[0]
    with TestClient(app) as client:
        yield client, clock
    app.state.ecowatch.hashing.close()


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(frozen, monkeypatch):
    client, clock = frozen
    checked = []
    real_verify = auth_api.verify_password
    monkeypatch.setattr(auth_api, "verify_password", lambda *args: checked.append(1) or real_verify(*args))
    answers = [client.post(TOKEN, json={"username": "chaoyang", "password": f"guess-{n}"}) for n in range(30)]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 25
    assert len(checked) == 5  # refused attempts cost no Argon2 check
    right = client.post(TOKEN, json={"username": "chaoyang", "password": "pw-chaoyang-2016"})
    assert right.status_code == 429
    assert right.headers["retry-after"] == "60"
    assert right.json() == {"detail": "too many failed sign-ins for this user name: try again in 60 s"}
    clock[0] = _at(30)
    assert (
        client.post(TOKEN, json={"username": "CHAOYANG", "password": "pw-chaoyang-2016"}).headers[
            "retry-after"
        ]
        == "30"
    )
    clock[0] = _at(60)
    right = client.post(TOKEN, json={"username": "chaoyang", "password": "pw-chaoyang-2016"})
    assert right.status_code == 200
    # The success cleared the account: a new mistake is one of five free ones again.
    assert client.post(TOKEN, json={"username": "chaoyang", "password": "wrong"}).status_code == 401


def test_failures_from_one_address_lock_it_for_every_user_name(frozen):
    client, clock = frozen
    client.app.state.ecowatch.throttle = SignInThrottle(
        address=ThrottleRule(
            free_failures=3,
            first_lockout=dt.timedelta(minutes=1),
            max_lockout=dt.timedelta(minutes=15),
            forget_after=dt.timedelta(hours=1),
        )
    )
    for name in ("nobody", "bj", "hebei"):
        assert client.post(TOKEN, json={"username": name, "password": "wrong-password"}).status_code == 401
    answer = client.post(TOKEN, json={"username": "admin", "password": "pw-admin-2016"})
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "60")
    assert answer.json()["detail"] == "too many failed sign-ins for this address: try again in 60 s"
    clock[0] = _at(60)
    assert client.post(TOKEN, json={"username": "admin", "password": "pw-admin-2016"}).status_code == 200


def test_the_openapi_document_lists_429_and_503_with_retry_after(client):
    answers = client.get("/api/v1/openapi.json").json()["paths"][TOKEN]["post"]["responses"]
    assert {"200", "401", "429", "503"} <= set(answers)
    assert "Retry-After" in answers["429"]["headers"] and "Retry-After" in answers["503"]["headers"]


def test_other_requests_stay_fast_during_48_concurrent_wrong_sign_ins(store_url, auth):
    """The issue's flood: 48 wrong sign-ins at once (throttling out of the way, to load the hashing),
    while a signed-in user calls a cheap route that runs in the request threads."""
    app = create_app(store_url, secret_key=SECRET)
    loose = ThrottleRule(
        free_failures=1000,
        first_lockout=dt.timedelta(seconds=1),
        max_lockout=dt.timedelta(seconds=1),
        forget_after=dt.timedelta(hours=1),
    )
    web = app.state.ecowatch
    web.throttle = SignInThrottle(account=loose, address=loose)
    with web.sessions() as session:
        user = get_user(session=session, username="bj")
        token, _ = issue_token(
            key=SECRET, user_id=user.id, fingerprint=password_fingerprint(user), now=web.now()
        )
    headers = {"Authorization": f"Bearer {token}"}

    async def scenario() -> tuple[list[int], list[float]]:
        # As the application runs under `ecowatch serve`: 8 request threads.
        to_thread.current_default_thread_limiter().total_tokens = web_app.WORKER_THREADS
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ecowatch") as client:
            flood = [
                asyncio.ensure_future(
                    client.post(TOKEN, json={"username": f"guess{n}", "password": "x" * 12})
                )
                for n in range(48)
            ]
            await asyncio.sleep(0)
            latencies = []
            while web.hashing.in_flight > 0 or len(latencies) < 3:
                started = time.perf_counter()
                answer = await client.get("/api/v1/auth/me", headers=headers)
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                if len(latencies) >= 200:
                    break
            answers = await asyncio.gather(*flood)
        assert all(int(answer.headers["retry-after"]) >= 1 for answer in answers if answer.status_code == 503)
        return [answer.status_code for answer in answers], latencies

    try:
        statuses, latencies = asyncio.run(scenario())
    finally:
        web.hashing.close()
        web.engine.dispose()
    assert set(statuses) == {401, 503} and len(statuses) == 48
    # One checked at a time, 16 queued: the others are told at once to come back later.
    assert statuses.count(401) >= web.hashing.workers + web.hashing.max_waiting
    # Before: every other request waited for a free request thread, 5.5 s at 16 sign-ins, 12.7 s at 48.
    assert max(latencies) < 2.5, latencies


def test_the_owner_signs_in_from_their_usual_address_while_a_guesser_locks_the_name(store_url):
    app = create_app(store_url, secret_key=SECRET)
    app.state.ecowatch.now = lambda: NOON
    right = {"username": "bjcity", "password": "pw-bjcity-2016"}
    with (
        TestClient(app, client=("192.0.2.1", 50000)) as owner,
        TestClient(app, client=("203.0.113.5", 50000)) as guesser,
    ):
        assert owner.post(TOKEN, json=right).status_code == 200
        for n in range(5):
            assert guesser.post(TOKEN, json={**right, "password": f"guess-{n}"}).status_code == 401
        assert guesser.post(TOKEN, json=right).status_code == 429  # even the right password
        assert owner.post(TOKEN, json=right).status_code == 200
    app.state.ecowatch.hashing.close()
