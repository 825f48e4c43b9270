"""``/api/v1/auth``: sign in for a bearer token; who am I.

Sign-in is the one route anyone on the network may call, and each try costs an Argon2 check
(~0.4 s of CPU).  So it is throttled per account and per address (:mod:`ecowatch.web.throttle`:
429 with ``Retry-After`` while locked out, the right password included), and the check runs in the
hashing threads (:mod:`ecowatch.web.hashing`: 503 with ``Retry-After`` when too many are queued),
never in the threads that serve the other routes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from ecowatch.store.models import Role, User
from ecowatch.store.users import password_fingerprint, sign_in_user, verify_password
from ecowatch.web.api.common import TOKEN_REQUEST_OPENAPI, token_request
from ecowatch.web.deps import CurrentUser, SessionDep, released, state_of
from ecowatch.web.hashing import HashingBusy
from ecowatch.web.schemas import Problem, TokenRequest, TokenResponse, UserRead
from ecowatch.web.throttle import Lockout, account_key, address_key
from ecowatch.web.tokens import issue_token

router = APIRouter(prefix="/auth", tags=["auth"])

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
SIGN_IN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    429: {
        "model": Problem,
        "headers": _RETRY_AFTER,
        "description": "Too many failed sign-ins for this user name or from this address",
    },
    503: {"model": Problem, "headers": _RETRY_AFTER, "description": "Too many sign-ins being checked"},
}


def user_read(user: User) -> UserRead:
    return UserRead(
        username=user.username,
        role=Role(user.role),
        region=user.region.code if user.region is not None else None,
        enterprise=user.enterprise.code if user.enterprise is not None else None,
    )


def _locked_out(lockout: Lockout) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=lockout.message(),
        headers={"Retry-After": str(lockout.retry_after_s)},
    )


def _busy(busy: HashingBusy) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail=f"sign-in is busy: {busy}",
        headers={"Retry-After": str(busy.retry_after_s)},
    )


@router.post(
    "/token", response_model=TokenResponse, responses=SIGN_IN_ERRORS, openapi_extra=TOKEN_REQUEST_OPENAPI
)
async def sign_in(
    body: Annotated[TokenRequest, Depends(token_request)], request: Request, session: SessionDep
) -> TokenResponse:
    """A bearer token for a user name (any case) and password (valid for 8 hours, revoked by a new
    password or by disabling the user). Failed tries lock the user name, and the address, out for a
    while: 429 with Retry-After."""
    web = state_of(request)
    account = account_key(body.username)
    address = address_key(request.client.host if request.client is not None else None)
    if (lockout := web.throttle.lockout(account=account, address=address, now=web.now())) is not None:
        raise _locked_out(lockout)
    try:
        web.hashing.refuse_if_full()  # before the database is asked anything
    except HashingBusy as busy:
        raise _busy(busy) from None
    with released(session):  # indexed reads, on the loop
        user = sign_in_user(session=session, username=body.username)
        signed_in = user_read(user) if user is not None else None
    stored_hash = user.password_hash if user is not None else None

    def check() -> Lockout | bool:
        # In the hashing thread, one attempt after another: checked again here, as the failures
        # of the attempts queued before this one may have locked the account since.
        now = web.now()
        if (lockout := web.throttle.lockout(account=account, address=address, now=now)) is not None:
            return lockout
        right = verify_password(stored_hash, body.password)
        if right:
            web.throttle.succeeded(account=account, address=address, now=now)
        else:
            web.throttle.failed(account=account, address=address, now=now)
        return right

    try:
        outcome = await web.hashing.run(check)
    except HashingBusy as busy:
        raise _busy(busy) from None
    if isinstance(outcome, Lockout):
        raise _locked_out(outcome)
    if not outcome or user is None or signed_in is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="wrong user name or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token, expires_at = issue_token(
        key=web.secret_key, user_id=user.id, fingerprint=password_fingerprint(user), now=web.now()
    )
    return TokenResponse(
        access_token=token, expires_at=expires_at.isoformat().replace("+00:00", "Z"), user=signed_in
    )


@router.get("/me", response_model=UserRead, responses={401: {"model": Problem}})
def who_am_i(user: CurrentUser) -> UserRead:
    """The signed-in user."""
    return user_read(user)
