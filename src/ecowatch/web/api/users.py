"""``/api/v1/users``: user management, for admins only; every change is in the audit log."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import func, select

from ecowatch.store.errors import StoreError
from ecowatch.store.models import User
from ecowatch.store.users import create_user, get_user, update_user
from ecowatch.web.api.common import SCOPE_ERRORS, Limit, Offset
from ecowatch.web.deps import AdminUser, SessionDep, WriteSessionDep
from ecowatch.web.schemas import Problem, UserCreate, UserDetail, UserPage, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])
ERRORS = {**SCOPE_ERRORS, 409: {"model": Problem}}


def _detail(user: User) -> UserDetail:
    return UserDetail(username=user.username, role=user.role,
                      region=user.region.code if user.region is not None else None,
                      enterprise=user.enterprise.code if user.enterprise is not None else None, active=user.active)


def _refused(error: StoreError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error))


@router.get("", response_model=UserPage, responses=SCOPE_ERRORS)
def list_all(session: SessionDep, _admin: AdminUser, limit: Limit = 100, offset: Offset = 0) -> UserPage:
    """Every user, by name (admins only)."""
    total = session.scalar(select(func.count()).select_from(User)) or 0
    users = session.scalars(select(User).order_by(User.username).limit(limit).offset(offset))
    return UserPage(total=total, limit=limit, offset=offset, items=[_detail(user) for user in users])


@router.post("", response_model=UserDetail, status_code=status.HTTP_201_CREATED, responses=ERRORS)
def add(body: UserCreate, session: WriteSessionDep, admin: AdminUser) -> UserDetail:
    """Add a user (admins only): a staff role names its region, an enterprise user its enterprise."""
    if get_user(session=session, username=body.username) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"username: {body.username!r} is taken")
    try:
        user = create_user(session=session, username=body.username, password=body.password, role=body.role,
                           region_code=body.region, enterprise_code=body.enterprise, actor=admin.username)
    except StoreError as error:
        session.rollback()
        raise _refused(error) from None
    session.commit()
    return _detail(user)


@router.patch("/{username}", response_model=UserDetail, responses={**ERRORS, 404: {"model": Problem}})
def change(username: str, body: UserUpdate, session: WriteSessionDep, admin: AdminUser) -> UserDetail:
    """Change a user's password, role and scope, or active flag (admins only); a new password revokes
    the user's tokens."""
    user = get_user(session=session, username=username)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no user {username!r}")
    if user.id == admin.id and (body.active is False or (body.role is not None and body.role != user.role)):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail="active, role: an admin cannot lock themself out")
    given = body.model_dump(exclude_unset=True)
    scope_changes = {f"{key}_code": given[key] for key in ("region", "enterprise") if key in given}
    try:
        update_user(session=session, user=user, actor=admin.username, password=body.password, role=body.role,
                    active=body.active, **scope_changes)
    except StoreError as error:
        session.rollback()
        raise _refused(error) from None
    session.commit()
    return _detail(user)
