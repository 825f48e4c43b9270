"""Fair shares of the request threads for the routes that may cost seconds.

Reading measurements, forming daily figures and assessing a period can each take a worker thread for
seconds (bounded by :mod:`ecowatch.store.budget`), and a user can send many at once: eight deep-offset
reads in parallel made another user wait 55 s (issue 14).  :class:`CostGate` lets each user have at
most :data:`PER_USER` such requests in flight and all users together :data:`IN_ALL`, well below the
thread pool's 40, so that the cheap routes (sign-in, status, the map) always find a thread.  Past the
share the answer is at once: 429 (yours) or 503 (everyone's), with ``Retry-After``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from fastapi import HTTPException, Request, status

from ecowatch.web.deps import CurrentUser
from ecowatch.web.schemas import Problem

__all__ = ["COSTLY_ERRORS", "IN_ALL", "PER_USER", "CostGate", "costly", "gate_of", "on_app"]

T = TypeVar("T")

#: Costly requests one user may have in flight.
PER_USER = 2
#: Costly requests in flight in all (AnyIO's default thread limit is 40).
IN_ALL = 12
RETRY_AFTER_S = 1

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
#: OpenAPI answers of a costly route past its share.
COSTLY_ERRORS: dict[int | str, dict] = {
    429: {
        "model": Problem,
        "headers": _RETRY_AFTER,
        "description": "Too many of your costly requests in flight",
    },
    503: {
        "model": Problem,
        "headers": _RETRY_AFTER,
        "description": "Too many costly requests in flight in all",
    },
}


class CostGate:
    """Counts the costly requests in flight, per user and in all."""

    def __init__(self, *, per_user: int = PER_USER, in_all: int = IN_ALL):
        self.per_user, self.in_all = per_user, in_all
        self._by_user: Counter[int] = Counter()
        self._lock = threading.Lock()

    def enter(self, user_id: int) -> None:
        """Take a place for ``user_id``'s request, or raise 429/503 with ``Retry-After``."""
        with self._lock:
            if self._by_user[user_id] >= self.per_user:
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    detail=f"{self.per_user} of your requests that read many rows are still "
                    "being answered; wait for them",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            if sum(self._by_user.values()) >= self.in_all:
                raise HTTPException(
                    status.HTTP_503_SERVICE_UNAVAILABLE,
                    detail="the server is answering as many requests that read many rows as it "
                    "takes at once; try again shortly",
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            self._by_user[user_id] += 1

    def leave(self, user_id: int) -> None:
        with self._lock:
            self._by_user[user_id] -= 1
            if self._by_user[user_id] <= 0:
                del self._by_user[user_id]

    def in_flight(self, user_id: int | None = None) -> int:
        with self._lock:
            return sum(self._by_user.values()) if user_id is None else self._by_user[user_id]


_CREATE = threading.Lock()


def on_app(request: Request, name: str, make: Callable[[], T]) -> T:
    """``app.state.<name>``, made by ``make()`` on first use (once, whatever the threads)."""
    state = request.app.state
    with _CREATE:
        if getattr(state, name, None) is None:
            setattr(state, name, make())
    return getattr(state, name)


def gate_of(request: Request) -> CostGate:
    """The application's gate."""
    return on_app(request, "ecowatch_cost_gate", CostGate)


async def costly(request: Request, user: CurrentUser) -> AsyncIterator[None]:
    """Dependency of a costly route: hold a place in the gate while the request is answered."""
    gate = gate_of(request)
    gate.enter(user.id)
    try:
        yield
    finally:
        gate.leave(user.id)
