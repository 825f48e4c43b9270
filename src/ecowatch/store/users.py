"""Users, their passwords and what each one may see.

- :func:`create_user`, :func:`update_user` — write a :class:`~ecowatch.store.models.User`, with one
  audit entry in the caller's transaction (the password itself is never recorded).
- :func:`normalised_email` — a user's e-mail address (where case notifications go), checked and
  with its domain in lower case.
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
    "EMAIL_MAX_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "USERNAME_PATTERN",
    "Scope",
    "authenticate",
    "create_user",
    "get_user",
    "hash_password",
    "list_users",
    "normalised_email",
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

#: The longest address a mail path can carry (RFC 5321 §4.5.3.1.3: a 256-octet path less its "<>";
#: RFC 3696 erratum 1690), and the width of ``user_account.email``.
EMAIL_MAX_LENGTH = 254
#: The local part: RFC 5322 §3.4.1 ``dot-atom`` (atext runs joined by single dots), at most 64
#: octets (RFC 5321 §4.5.3.1.1).  Quoted local parts are not accepted.
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
#: One label of a host name (RFC 1035 §2.3.1, with RFC 1123 §2.1's leading digit): letters, digits
#: and inner hyphens, 1 to 63 characters.
_DOMAIN_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")

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


def normalised_email(address: str) -> str:
    """``address`` checked as a mailbox (``local@domain``), surrounding spaces dropped and the domain
    in lower case; a malformed one raises :class:`StoreError` naming the field and the reason.

    A simple check, not full RFC 5322 (email-validator is not among the project's dependencies): the
    local part is a ``dot-atom`` of at most 64 characters, kept as given (RFC 5321 §2.4: only the
    receiving host may fold its case); the domain is at least two ASCII host-name labels (an
    internationalised domain is given in its ``xn--`` form); the whole is at most
    :data:`EMAIL_MAX_LENGTH` characters.  Whether the mailbox exists is for the relay to say.

    >>> normalised_email(" Zhang.Wei@SEE.Beijing.GOV.cn ")
    'Zhang.Wei@see.beijing.gov.cn'
    >>> normalised_email("zhang wei@see.gov.cn")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecowatch.store.errors.StoreError: email: 'zhang wei@see.gov.cn': the part before @ may hold only ...
    """
    given = address.strip()
    local, at, domain = given.rpartition("@")
    if not at or not local or not domain:
        raise StoreError(f"email: {address!r} is not an address of the form name@domain")
    if len(given) > EMAIL_MAX_LENGTH:
        raise StoreError(f"email: {address!r} is longer than {EMAIL_MAX_LENGTH} characters")
    if len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        raise StoreError(
            f"email: {address!r}: the part before @ may hold only letters, digits, single dots and "
            "!#$%&'*+/=?^_`{|}~-" + (" (at most 64 characters)" if len(local) > 64 else "")
        )
    domain = domain.lower() if domain.isascii() else ""  # before lower(): "\u212a" (Kelvin) folds to "k"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise StoreError(
            f"email: {address!r}: the domain must be two or more names of letters, digits and inner "
            "hyphens joined by dots (an internationalised domain in its xn-- form)"
        )
    return f"{local}@{domain}"


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
    email: str | None = None,
    actor: str,
) -> User:
    """Add a user; ``role`` decides whether ``region_code`` or ``enterprise_code`` is needed.

    Staff roles (province, city, county) name a region of that level; an enterprise user names its
    enterprise (unified social credit code); an admin names neither.  A taken name, a short password
    or a wrong scope raise :class:`StoreError` naming the field.  One audit entry (without the
    password) is added to the session.

    Give ``password_hash`` (from :func:`hash_password`) rather than ``password`` to hash before the
    transaction begins: Argon2's ~0.4 s inside it would hold the database's write lock (SQLite)
    or a connection that long.  ``email`` (where case notifications go) is checked and normalised by
    :func:`normalised_email`.
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
    address = normalised_email(email) if email is not None else None
    user = User(
        username=username,
        password_hash=_given_hash(password, password_hash),
        role=role.value,
        region=region,
        enterprise=enterprise,
        email=address,
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
        detail={"role": role.value, "region": region_code, "enterprise": enterprise_code}
        | ({"email": address} if address is not None else {}),
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
    email: str | None | _Unset = _UNSET,
) -> User:
    """Change a user's password, role and scope, e-mail address or active flag; one audit entry lists
    what changed.

    A changed role keeps the current region/enterprise unless new ones are given; the result must
    fit the role as in :func:`create_user`.  A new password comes as ``password`` or, hashed before
    the transaction, as ``password_hash``.  ``email=None`` removes the address; a new one is checked
    and normalised by :func:`normalised_email`.
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
    if email is not _UNSET:
        address = normalised_email(email) if email is not None else None
        if address != user.email:
            user.email = address
            changed["email"] = address
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
