"""What the routes depend on: the database session, the signed-in user and what they may see.

``SessionDep``, ``CurrentUser`` and ``ScopeDep`` are ``Annotated`` dependencies (FastAPI's idiom);
``WebState`` is the per-application state ``create_app`` puts on ``app.state.ecowatch``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ecowatch.store.models import Role, Site, User
from ecowatch.store.users import Scope, password_fingerprint, scope_of
from ecowatch.web.cache import FigureMemo
from ecowatch.web.hashing import HashingGate
from ecowatch.web.throttle import SignInThrottle
from ecowatch.web.tokens import read_token

__all__ = [
    "CurrentUser",
    "ScopeDep",
    "SessionDep",
    "WebState",
    "WriteSessionDep",
    "forbidden",
    "released",
    "require_admin",
    "state_of",
]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class WebState:
    engine: Engine
    sessions: sessionmaker[Session]
    """Transactional sessions, for the routes that write."""
    read_sessions: sessionmaker[Session]
    """Sessions for the routes that only read (autocommit on PostgreSQL: no BEGIN/ROLLBACK trips)."""
    secret_key: bytes
    now: Callable[[], dt.datetime] = utc_now
    memo: FigureMemo = field(default_factory=FigureMemo)
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    """Failed sign-ins per account and address (:mod:`ecowatch.web.throttle`)."""
    hashing: HashingGate = field(default_factory=HashingGate)
    """Where passwords are hashed and checked: off the request threads (:mod:`ecowatch.web.hashing`)."""


def state_of(request: Request) -> WebState:
    return request.app.state.ecowatch


# FastAPI sends every sync dependency to the thread pool (a generator twice), which at a few hundred
# requests/s costs more than the work.  So the dependencies are ``async def``: a session opens its
# connection only when first used, and ``current_user`` reads on the loop inside ``released``.
async def get_session(request: Request) -> AsyncIterator[Session]:
    with state_of(request).read_sessions() as session:
        yield session


async def get_write_session(request: Request) -> AsyncIterator[Session]:
    with state_of(request).sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
#: A session whose writes (and their audit entries) commit together or not at all.
WriteSessionDep = Annotated[Session, Depends(get_write_session)]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"})


async def current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of the request's bearer token; 401 when it is missing, forged, expired or revoked.

    The user's :class:`Scope` is worked out here too (``request.state.scope``).  This runs on the
    event loop (a primary-key read, and the region subtree of a staff user: well under a
    millisecond), and gives the connection back before returning (:func:`released`).
    """
    if credentials is None:
        raise _unauthorised("not signed in: send Authorization: Bearer <token> (POST /api/v1/auth/token)")
    web = state_of(request)
    claims = read_token(key=web.secret_key, token=credentials.credentials, now=web.now())
    if claims is None:
        raise _unauthorised("the token is invalid or has expired: sign in again")
    with released(session):
        user = session.get(User, claims.user_id)
        if user is None or not user.active or password_fingerprint(user) != claims.fingerprint:
            raise _unauthorised("the token has been revoked: sign in again")
        request.state.scope = scope_of(session=session, user=user)
    return user


@contextmanager
def released(session: Session) -> Iterator[Session]:
    """Use ``session`` on the event loop and give its connection back to the pool at the end.

    Why: the loop must never hold a pooled connection across an ``await``.  Requests in flight are
    unbounded; if each kept one while waiting, the pool would run dry and the loop, waiting for a
    connection that only it can give back, would stop.  (Ends the transaction: only for reads.)
    """
    try:
        yield session
    finally:
        session.commit()


CurrentUser = Annotated[User, Depends(current_user)]


async def current_scope(request: Request, _user: CurrentUser) -> Scope:
    return request.state.scope


ScopeDep = Annotated[Scope, Depends(current_scope)]


def forbidden(what: str) -> HTTPException:
    """403 with no data: ``what`` names what the user's role may not do or see as a whole.

    Not for a code looked up outside the scope: that answers 404 like an unknown code
    (:func:`site_in_scope`), so that answers do not tell which codes exist elsewhere.
    """
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=f"{what} is outside your scope")


async def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only an admin may do this")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def site_in_scope(site: Site | None, scope: Scope, code: str) -> Site:
    """The site; 404 when there is none or when the user may not see it.

    One answer for both: a 403 for codes outside the scope beside a 404 for unknown ones told any
    user which codes exist elsewhere (issue 14).
    """
    if site is None or not scope.has_site(site):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no site {code!r}")
    return site
