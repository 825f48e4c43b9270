"""``/api/v1/users``: user management, for admins only; every change is in the audit log.

A new password is hashed (Argon2, ~0.4 s) in the hashing threads (:mod:`ecowatch.web.hashing`)
before the write transaction begins; the transaction then takes the write lock when it begins
(SQLite), so concurrent writes wait for each other instead of failing with "database is locked".
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecowatch.store.errors import StoreError
from ecowatch.store.models import Role, User
from ecowatch.store.users import create_user, get_user, hash_password, update_user
from ecowatch.web.api.common import SCOPE_ERRORS, Limit, Offset
from ecowatch.web.deps import AdminUser, SessionDep, WriteSessionDep, state_of
from ecowatch.web.hashing import HashingBusy
from ecowatch.web.schemas import Problem, UserCreate, UserDetail, UserPage, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])
ERRORS = {**SCOPE_ERRORS, 409: {"model": Problem}, 503: {"model": Problem}}


def _detail(user: User) -> UserDetail:
    return UserDetail(
        username=user.username,
        role=Role(user.role),
        region=user.region.code if user.region is not None else None,
        enterprise=user.enterprise.code if user.enterprise is not None else None,
        email=user.email,
        active=user.active,
    )


def _refused(error: StoreError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error))


@router.get("", response_model=UserPage, responses=SCOPE_ERRORS)
def list_all(session: SessionDep, _admin: AdminUser, limit: Limit = 100, offset: Offset = 0) -> UserPage:
    """Every user, by name (admins only)."""
    total = session.scalar(select(func.count()).select_from(User)) or 0
    users = session.scalars(select(User).order_by(User.username).limit(limit).offset(offset))
    return UserPage(total=total, limit=limit, offset=offset, items=[_detail(user) for user in users])


async def _hashed(request: Request, password: str | None) -> str | None:
    """The Argon2 hash of ``password``, made in the hashing threads before any transaction begins."""
    if password is None:
        return None
    try:
        return await state_of(request).hashing.run(lambda: hash_password(password))
    except StoreError as error:
        raise _refused(error) from None
    except HashingBusy as busy:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"password: {busy}",
            headers={"Retry-After": str(busy.retry_after_s)},
        ) from None


async def _write(session: Session, work: Callable[[], User]) -> UserDetail:
    """``work()`` in a request thread, as one short transaction begun there (after the hashing; on
    SQLite it holds the write lock): committed, or rolled back when ``work`` refuses."""

    def run() -> UserDetail:
        try:
            user = work()
        except StoreError as error:
            session.rollback()
            raise _refused(error) from None
        except HTTPException:
            session.rollback()
            raise
        session.commit()
        return _detail(user)

    return await run_in_threadpool(run)


@router.post("", response_model=UserDetail, status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def add(body: UserCreate, request: Request, session: WriteSessionDep, admin: AdminUser) -> UserDetail:
    """Add a user (admins only): a staff role names its region, an enterprise user its enterprise."""
    password_hash = await _hashed(request, body.password)

    def work() -> User:
        if get_user(session=session, username=body.username) is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=f"username: {body.username!r} is taken")
        return create_user(
            session=session,
            username=body.username,
            password_hash=password_hash,
            role=body.role,
            region_code=body.region,
            enterprise_code=body.enterprise,
            email=body.email,
            actor=admin.username,
        )

    return await _write(session, work)


@router.patch("/{username}", response_model=UserDetail, responses={**ERRORS, 404: {"model": Problem}})
async def change(
    username: str, body: UserUpdate, request: Request, session: WriteSessionDep, admin: AdminUser
) -> UserDetail:
    """Change a user's password, role and scope, e-mail address or active flag (admins only); a new
    password, or disabling the user, revokes the user's tokens; ``"email": null`` removes the address."""
    password_hash = await _hashed(request, body.password)

    def work() -> User:
        user = get_user(session=session, username=username)
        if user is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no user {username!r}")
        locks_out = body.active is False or (body.role is not None and body.role != user.role)
        if user.id == admin.id and locks_out:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail="active, role: an admin cannot lock themself out",
            )
        given = body.model_dump(exclude_unset=True)
        scope_changes: dict[str, str | None] = {
            f"{key}_code": given[key] for key in ("region", "enterprise") if key in given
        }
        if "email" in given:
            scope_changes["email"] = body.email
        return update_user(
            session=session,
            user=user,
            actor=admin.username,
            password_hash=password_hash,
            role=body.role,
            active=body.active,
            **scope_changes,
        )

    return await _write(session, work)
