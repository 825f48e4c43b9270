"""Users, their passwords and what each one may see.

- :func:`create_user`, :func:`update_user` — write a :class:`~ecowatch.store.models.User`, with one
  audit entry in the caller's transaction (the password itself is never recorded).
- :func:`authenticate` — the active user with that name and password, or None.
- :func:`scope_of` — the :class:`Scope` of a user: everything (admin), a region and all below it
  (province, city, county staff), or one enterprise's outlets (enterprise users).

Passwords are hashed with Argon2id (argon2-cffi's defaults: RFC 9106 §4, the second recommended
option: t=3 passes, 64 MiB, 4 lanes).
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session

from ecowatch.store.audit import record
from ecowatch.store.errors import StoreError
from ecowatch.store.models import Enterprise, Region, RegionLevel, Role, Site, User
from ecowatch.store.sites import region_subtree

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "USERNAME_PATTERN",
    "Scope",
    "authenticate",
    "create_user",
    "get_user",
    "hash_password",
    "list_users",
    "password_fingerprint",
    "scope_of",
    "sign_in_user",
    "update_user",
    "verify_password",
]

PASSWORDS = PasswordHasher()
#: Shorter passwords are refused (NIST SP 800-63B §5.1.1.2 asks for at least 8 characters).
MIN_PASSWORD_LENGTH = 8
#: User names: letters, digits, ``.``, ``_``, ``-`` and ``@``, 2 to 64 characters (the column's width).
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)

#: The region level each staff role is attached to.
ROLE_LEVEL = {
    Role.province: RegionLevel.province,
    Role.city: RegionLevel.city,
    Role.county: RegionLevel.county,
}


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (refused when shorter than :data:`MIN_PASSWORD_LENGTH`)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StoreError(f"password: at least {MIN_PASSWORD_LENGTH} characters are required")
    return PASSWORDS.hash(password)


def password_fingerprint(user: User) -> str:
    """A short digest of the user's password hash and token version: tokens carry it, so a new
    password, or disabling the user (which raises ``token_version``), revokes them.

    .. versionchanged:: migration 0008
       the token version is part of the digest once it is above 0 (at 0 the digest is the one
       tokens carried before, so the upgrade signs nobody out).
    """
    version = user.token_version or 0
    material = user.password_hash if version == 0 else f"{user.password_hash}\0{version}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def get_user(*, session: Session, username: str) -> User | None:
    """The user ``username``, whatever its case (names are unique regardless of case)."""
    if not username.isascii():  # no name holds other letters (USERNAME_PATTERN), and str.lower
        return None  # would fold some of them onto ASCII ones ("K", the Kelvin sign)
    return session.scalars(select(User).where(func.lower(User.username) == username.lower())).one_or_none()


def list_users(*, session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def _scope_target(
    session: Session, role: Role, region_code: str | None, enterprise_code: str | None
) -> tuple[Region | None, Enterprise | None]:
    """The region or enterprise a user of ``role`` is attached to, checked against the role."""
    if role is Role.admin:
        if region_code or enterprise_code:
            raise StoreError("role admin: an admin sees everything; give no region or enterprise")
        return None, None
    if role is Role.enterprise:
        if region_code:
            raise StoreError("role enterprise: give the enterprise, not a region")
        if not enterprise_code:
            raise StoreError("role enterprise: the enterprise code is required")
        enterprise = session.scalars(
            select(Enterprise).where(Enterprise.code == enterprise_code)
        ).one_or_none()
        if enterprise is None:
            raise StoreError(f"enterprise: no enterprise {enterprise_code!r} in the store")
        return None, enterprise
    if enterprise_code:
        raise StoreError(f"role {role}: give a region, not an enterprise")
    if not region_code:
        raise StoreError(f"role {role}: the region code is required")
    region = session.scalars(select(Region).where(Region.code == region_code)).one_or_none()
    if region is None:
        raise StoreError(f"region: no region {region_code!r} in the store")
    if region.level != ROLE_LEVEL[role]:
        raise StoreError(
            f"region: {region_code} is a {region.level}, but role {role} needs a {ROLE_LEVEL[role]}"
        )
    return region, None


def create_user(
    *,
    session: Session,
    username: str,
    password: str | None = None,
    password_hash: str | None = None,
    role: Role | str,
    region_code: str | None = None,
    enterprise_code: str | None = None,
    actor: str,
) -> User:
    """Add a user; ``role`` decides whether ``region_code`` or ``enterprise_code`` is needed.

    Staff roles (province, city, county) name a region of that level; an enterprise user names its
    enterprise (unified social credit code); an admin names neither.  A taken name, a short password
    or a wrong scope raise :class:`StoreError` naming the field.  One audit entry (without the
    password) is added to the session.

    Give ``password_hash`` (from :func:`hash_password`) rather than ``password`` to hash before the
    transaction begins: Argon2's ~0.4 s inside it would hold the database's write lock (SQLite)
    or a connection that long.
    """
    if not _USERNAME.match(username or ""):
        raise StoreError(
            f"username: {username!r} must be 2-64 letters, digits or . _ @ - (starting with a "
            "letter or digit)"
        )
    try:
        role = Role(role)
    except ValueError:
        raise StoreError(f"role: {role!r} is not one of {', '.join(Role)}") from None
    if get_user(session=session, username=username) is not None:
        raise StoreError(f"username: {username!r} is taken")
    region, enterprise = _scope_target(session, role, region_code, enterprise_code)
    user = User(
        username=username,
        password_hash=_given_hash(password, password_hash),
        role=role.value,
        region=region,
        enterprise=enterprise,
        active=True,
    )
    session.add(user)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=username,
        detail={"role": role.value, "region": region_code, "enterprise": enterprise_code},
    )
    return user


class _Unset(Enum):
    """The type of :data:`_UNSET`: an argument not given, where None means "no region/enterprise"."""

    token = 0


_UNSET: Final = _Unset.token


def _given_hash(password: str | None, password_hash: str | None) -> str:
    if (password is None) == (password_hash is None):
        raise StoreError("password: give the password or its hash, not both or neither")
    return password_hash if password_hash is not None else hash_password(password or "")


def update_user(
    *,
    session: Session,
    user: User,
    actor: str,
    password: str | None = None,
    password_hash: str | None = None,
    role: Role | str | None = None,
    region_code: str | None | _Unset = _UNSET,
    enterprise_code: str | None | _Unset = _UNSET,
    active: bool | None = None,
) -> User:
    """Change a user's password, role and scope, or active flag; one audit entry lists what changed.

    A changed role keeps the current region/enterprise unless new ones are given; the result must
    fit the role as in :func:`create_user`.  A new password comes as ``password`` or, hashed before
    the transaction, as ``password_hash``.
    """
    changed: dict[str, object] = {}
    new_role = Role(user.role) if role is None else Role(role)
    keep_region = user.region.code if user.region is not None else None
    keep_enterprise = user.enterprise.code if user.enterprise is not None else None
    wanted_region = keep_region if region_code is _UNSET else region_code
    wanted_enterprise = keep_enterprise if enterprise_code is _UNSET else enterprise_code
    if new_role is Role.admin:  # an admin has no scope to keep
        wanted_region = wanted_enterprise = None
    if (new_role.value, wanted_region, wanted_enterprise) != (user.role, keep_region, keep_enterprise):
        region, enterprise = _scope_target(session, new_role, wanted_region, wanted_enterprise)
        user.role, user.region, user.enterprise = new_role.value, region, enterprise
        changed.update(role=new_role.value, region=wanted_region, enterprise=wanted_enterprise)
    if password is not None or password_hash is not None:
        user.password_hash = _given_hash(password, password_hash)
        changed["password"] = "changed"
    if active is not None and active != user.active:
        user.active = active
        changed["active"] = active
        if not active:  # the tokens issued so far stay revoked when the user is enabled again
            user.token_version = (user.token_version or 0) + 1
    session.flush()
    if changed:
        record(
            session=session,
            actor=actor,
            action="update",
            entity="user",
            entity_id=user.username,
            detail=changed,
        )
    return user


@functools.cache
def _stand_in_hash() -> str:
    return PASSWORDS.hash("stand-in for a user who does not exist")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (Argon2id, ~0.4 s).

    With no hash (no such user, or a disabled one) a stand-in hash is checked, so the answer takes
    as long whether or not the user exists.
    """
    try:
        return PASSWORDS.verify(password_hash or _stand_in_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def sign_in_user(*, session: Session, username: str) -> User | None:
    """The active user who may sign in as ``username`` (None for a malformed, unknown or disabled name)."""
    user = get_user(session=session, username=username) if _USERNAME.match(username or "") else None
    return user if user is not None and user.active else None


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user ``username`` if ``password`` is theirs, else None (the same for every failure)."""
    user = sign_in_user(session=session, username=username)
    return user if verify_password(user.password_hash if user else None, password) else None


@dataclass(frozen=True)
class Scope:
    """What a user may see: ``everything``, or the regions ``region_ids``, or one ``enterprise_id``."""

    everything: bool = False
    region_ids: frozenset[int] = frozenset()
    enterprise_id: int | None = None

    def site_filter(self) -> ColumnElement[bool]:
        """A WHERE clause on :class:`Site`: the sites in scope.

        Staff see every site of their regions (an enterprise's outlets carry its region); an
        enterprise user sees only the outlets of its enterprise.
        """
        if self.everything:
            return true()
        if self.enterprise_id is not None:
            return Site.enterprise_id == self.enterprise_id
        if not self.region_ids:
            return false()
        return Site.region_id.in_(sorted(self.region_ids))

    def has_site(self, site: Site) -> bool:
        if self.everything:
            return True
        if self.enterprise_id is not None:
            return site.enterprise_id == self.enterprise_id
        return site.region_id in self.region_ids

    def has_enterprise(self, enterprise: Enterprise) -> bool:
        if self.everything:
            return True
        if self.enterprise_id is not None:
            return enterprise.id == self.enterprise_id
        return enterprise.region_id in self.region_ids

    def has_region(self, region: Region) -> bool:
        return self.everything or region.id in self.region_ids


def scope_of(*, session: Session, user: User) -> Scope:
    """The :class:`Scope` of ``user`` from its role."""
    role = Role(user.role)
    if role is Role.admin:
        return Scope(everything=True)
    if role is Role.enterprise:
        return Scope(enterprise_id=user.enterprise_id)
    if user.region is None:  # the table's CHECK forbids it; refuse rather than show everything
        return Scope()
    return Scope(region_ids=frozenset(r.id for r in region_subtree(session=session, region=user.region)))
