"""``/api/v1/auth``: sign in for a bearer token; who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from ecowatch.store.models import User
from ecowatch.store.users import authenticate, password_fingerprint
from ecowatch.web.deps import CurrentUser, SessionDep, state_of
from ecowatch.web.schemas import Problem, TokenRequest, TokenResponse, UserRead
from ecowatch.web.tokens import issue_token

router = APIRouter(prefix="/auth", tags=["auth"])


def user_read(user: User) -> UserRead:
    return UserRead(username=user.username, role=user.role,
                    region=user.region.code if user.region is not None else None,
                    enterprise=user.enterprise.code if user.enterprise is not None else None)


@router.post("/token", response_model=TokenResponse, responses={401: {"model": Problem}})
def sign_in(body: TokenRequest, request: Request, session: SessionDep) -> TokenResponse:
    """A bearer token for a user name and password (valid for 8 hours, revoked by a new password)."""
    user = authenticate(session=session, username=body.username, password=body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong user name or password",
                            headers={"WWW-Authenticate": "Bearer"})
    web = state_of(request)
    token, expires_at = issue_token(key=web.secret_key, user_id=user.id, fingerprint=password_fingerprint(user),
                                    now=web.now())
    return TokenResponse(access_token=token, expires_at=expires_at.isoformat().replace("+00:00", "Z"),
                         user=user_read(user))


@router.get("/me", response_model=UserRead, responses={401: {"model": Problem}})
def who_am_i(user: CurrentUser) -> UserRead:
    """The signed-in user."""
    return user_read(user)
