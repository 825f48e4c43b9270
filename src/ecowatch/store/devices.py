"""The HJ 212 device registry: devices by MN, their passwords, sites, editions and SM4 keys.

- :func:`register_device` — add a device or bring it up to date (idempotent), finding its site by
  code or name and creating the site when it is unknown.
- :func:`import_devices` — the same for every row of a CSV ``mn,password,site,kind,version``
  (``ecowatch devices import``); every problem names the line and the field.
- :func:`set_device_key` — give a device a new SM4 key; the previous one is retired, not deleted.
- :func:`load_registry` — what the gateway needs in memory: MN -> password hash and check, site,
  edition, keys (unsealed).
- :func:`password_check` / :func:`check_password` — the keyed hash a gateway checks a password
  against in a microsecond; :func:`store_password_checks` writes those it computed.

Secrets at rest.  Device passwords are stored as Argon2id hashes (the users' hasher,
:data:`ecowatch.store.users.PASSWORDS`), and beside each a keyed hash (``password_check``,
HMAC-SHA256 of MN and password under a key derived from the master key), so that the gateway can
check every connection's password at once, after any restart: Argon2 (0.45 s a check) paid per
connection made a restarted gateway answer 10,000 devices half an hour late (issue 14).  Without the
master key the keyed hash is as hard to guess from as the Argon2 hash is not: see
docs/decisions.md, "device password checks".  SM4 keys (HJ 212-2025 Part B4) are sealed with
AES-256-GCM under the platform's master key, the MN as associated data, so a sealed key copied
onto another device's row does not open.  The master key comes from ``$ECOWATCH_MASTER_KEY`` (64 hex
digits) or from the file ``master.key`` in the data folder, created with mode 0600 on first use.

Every write records one audit entry (:func:`ecowatch.store.audit.record`) in the caller's
transaction; passwords and keys never appear in it (only the key's fingerprint).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import os
import re
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ecowatch.store.audit import record
from ecowatch.store.db import data_dir
from ecowatch.store.errors import StoreError
from ecowatch.store.models import Device, DeviceKey, ProtocolVersion, Site, SiteKind
from ecowatch.store.users import PASSWORDS

__all__ = [
    "DEVICE_CSV_COLUMNS",
    "MASTER_KEY_ENV",
    "MASTER_KEY_FILE",
    "DeviceInfo",
    "Registration",
    "check_password",
    "device_key_fingerprint",
    "find_site",
    "import_devices",
    "load_registry",
    "master_key",
    "password_check",
    "password_check_key",
    "register_device",
    "seal_key",
    "set_device_key",
    "store_password_checks",
    "unseal_key",
    "verify_device_password",
]

MASTER_KEY_ENV = "ECOWATCH_MASTER_KEY"
MASTER_KEY_FILE = "master.key"
DEVICE_CSV_COLUMNS = ("mn", "password", "site", "kind", "version")
#: The widest MN the ``device.mn`` column holds: HJ 212-2017 Table 3 fixes 24 characters (EPC-96 in
#: hex); 2005 devices send 14.
MAX_MN = 24
#: HJ 212-2017 Table 3 gives PW 6 characters; real devices send up to 24 (reference §2.1, S02).
MAX_PASSWORD = 64
# MN and PW travel inside the frame's header, where ';', ',', '=' and '&' would end the field.
_HEADER_SAFE = re.compile(r"^[^;,=&\s]+$")
#: Sealed keys start with the scheme name so a later scheme can be told apart.
_SEAL_PREFIX = "aesgcm1:"
_SM4_KEY_BYTES = 16

#: Site kinds accepted in the ``kind`` column; waste_gas / waste_water are outlets of that category.
KINDS = {
    "air_station": (SiteKind.air_station, "unregistered"),
    "water_section": (SiteKind.water_section, "municipal"),
    "outlet": (SiteKind.outlet, None),
    "waste_gas": (SiteKind.outlet, "waste_gas"),
    "waste_water": (SiteKind.outlet, "waste_water"),
}


# -- master key and sealed SM4 keys ------------------------------------------------------------------


def master_key(folder: Path | None = None) -> bytes:
    """The 32-byte master key: ``$ECOWATCH_MASTER_KEY`` (64 hex digits) or ``<data folder>/master.key``.

    The file is created with 32 random bytes (hex) and mode 0600 when missing; an existing file
    readable by group or others is refused, as ssh refuses such private keys.
    """
    text = os.environ.get(MASTER_KEY_ENV)
    source = f"${MASTER_KEY_ENV}"
    if not text:
        path = (folder or data_dir()) / MASTER_KEY_FILE
        source = str(path)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise StoreError(
                    f"{path}: master key file must not be readable by others (mode {mode:o}, "
                    "expected 600): chmod 600 it"
                ) from None
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32) + "\n")
                file.flush()
                os.fsync(file.fileno())
        text = path.read_text()
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise StoreError(f"{source}: master key is not hexadecimal") from None
    if len(key) != 32:
        raise StoreError(f"{source}: master key must be 32 bytes (64 hex digits), got {len(key)}")
    return key


def seal_key(key: bytes, *, mn: str, master: bytes) -> str:
    """``key`` encrypted with AES-256-GCM under ``master`` (MN as associated data), as text.

    >>> master = bytes(32)
    >>> unseal_key(seal_key(b"k" * 16, mn="MN1", master=master), mn="MN1", master=master)
    b'kkkkkkkkkkkkkkkk'
    """
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(master).encrypt(nonce, key, mn.encode())
    return _SEAL_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def unseal_key(sealed: str, *, mn: str, master: bytes) -> bytes:
    """The key sealed by :func:`seal_key`; :class:`StoreError` if the master key or MN is not the one used."""
    if not sealed.startswith(_SEAL_PREFIX):
        raise StoreError(f"SM4 key of MN {mn}: unknown sealing scheme")
    blob = base64.b64decode(sealed[len(_SEAL_PREFIX) :])
    try:
        return AESGCM(master).decrypt(blob[:12], blob[12:], mn.encode())
    except InvalidTag:
        raise StoreError(
            f"SM4 key of MN {mn} cannot be unsealed: wrong master key ({MASTER_KEY_ENV} or {MASTER_KEY_FILE})"
        ) from None


def device_key_fingerprint(key: bytes) -> str:
    """First 16 hex digits of SHA-256 of the key: names a key without revealing it."""
    return hashlib.sha256(key).hexdigest()[:16]


def _sm4_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise StoreError(f"{where}: SM4 key is not hexadecimal") from None
    if len(key) != _SM4_KEY_BYTES:
        raise StoreError(f"{where}: SM4 key must be 16 bytes (32 hex digits), got {len(key)}")
    return key


def set_device_key(
    *,
    session: Session,
    device: Device,
    key: bytes,
    actor: str,
    master: bytes | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Make ``key`` the device's current SM4 key (HJ 212-2025 Part B4 rotation); False if it already is.

    The previous key is retired (``retired_at``), never deleted: frames journaled under it stay readable.
    """
    if len(key) != _SM4_KEY_BYTES:
        raise StoreError(f"MN {device.mn}: SM4 key must be 16 bytes, got {len(key)}")
    now = now or dt.datetime.now(dt.UTC)
    fingerprint = device_key_fingerprint(key)
    current = session.scalars(
        select(DeviceKey).where(DeviceKey.device_id == device.id, DeviceKey.retired_at.is_(None))
    ).one_or_none()
    if current is not None and current.fingerprint == fingerprint:
        return False
    latest = (
        session.scalar(
            select(DeviceKey.version)
            .where(DeviceKey.device_id == device.id)
            .order_by(DeviceKey.version.desc())
            .limit(1)
        )
        or 0
    )
    if current is not None:
        current.retired_at = now
    master = master or master_key()
    session.add(
        DeviceKey(
            device_id=device.id,
            version=latest + 1,
            sealed=seal_key(key, mn=device.mn, master=master),
            fingerprint=fingerprint,
            created_at=now,
        )
    )
    record(
        session=session,
        actor=actor,
        action="rotate_key" if current else "set_key",
        entity="device",
        entity_id=device.mn,
        detail={
            "version": latest + 1,
            "fingerprint": fingerprint,
            "retired": current.fingerprint if current else None,
        },
        at=now,
    )
    session.flush()
    return True


# -- passwords ---------------------------------------------------------------------------------------

#: HKDF ``info`` of the password-check key: a key of its own, so that the master key itself (which seals
#: the SM4 keys) never keys an HMAC whose outputs sit in the same table.
_CHECK_KEY_INFO = b"ecowatch device password check v1"
_CHECK_SCHEME = "hs1"


def password_check_key(master: bytes) -> bytes:
    """The 32-byte key of :func:`password_check`, derived from the master key (HKDF-SHA256, RFC 5869).

    >>> len(password_check_key(bytes(32)))
    32
    """
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CHECK_KEY_INFO).derive(master)


def _check_key_id(key: bytes) -> str:
    # Names the key in each stored check: a check made under another master key is recognised as such
    # (and the device verified against its Argon2 hash instead), never taken for a wrong password.
    return hashlib.sha256(b"key id" + key).hexdigest()[:8]


def password_check(*, mn: str, password: str, key: bytes) -> str:
    """The keyed hash stored in ``device.password_check``: ``hs1:<key id>:<HMAC-SHA256(key, MN NUL PW)>``.

    The MN is part of the message, so two devices with the same password have different checks and a
    check copied onto another device's row does not match.

    >>> key = password_check_key(bytes(32))
    >>> check = password_check(mn="MN1", password="123456", key=key)
    >>> check_password(check, mn="MN1", password="123456", key=key), check_password(check, mn="MN2",
    ...     password="123456", key=key)
    (True, False)
    """
    mac = hmac.new(key, f"{mn}\0{password}".encode(), hashlib.sha256).hexdigest()
    return f"{_CHECK_SCHEME}:{_check_key_id(key)}:{mac}"


def check_password(check: str | None, *, mn: str, password: str, key: bytes) -> bool | None:
    """Whether ``password`` is the device's, by its stored ``check``; None when the check cannot say
    (none stored, another scheme, or made under another key): then verify against the Argon2 hash.

    Compared in constant time (:func:`hmac.compare_digest`).
    """
    if not check:
        return None
    scheme, _, rest = check.partition(":")
    key_id, _, _ = rest.partition(":")
    if scheme != _CHECK_SCHEME or key_id != _check_key_id(key):
        return None
    return hmac.compare_digest(check, password_check(mn=mn, password=password, key=key))


def store_password_checks(*, session: Session, checks: Iterable[tuple[str, str, str]]) -> int:
    """Write ``(mn, password_hash, check)`` triples (a gateway's first successful Argon2 checks); a row
    whose password changed since (another hash) is left alone.  Returns how many rows were written."""
    written = 0
    for mn, password_hash, check in checks:
        result = session.execute(
            update(Device)
            .where(Device.mn == mn, Device.password_hash == password_hash)
            .values(password_check=check)
        )
        written += result.rowcount or 0
    return written


def verify_device_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the Argon2 ``password_hash`` (False for a malformed hash).

    Slow on purpose (tens of ms): the gateway verifies a (hash, password) pair once and caches it.
    """
    try:
        return PASSWORDS.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# -- sites -------------------------------------------------------------------------------------------


def find_site(*, session: Session, name: str) -> Site | None:
    """The site whose code is ``name``, else the one whose name is ``name`` (None if there is none)."""
    site = session.scalars(select(Site).where(Site.code == name)).one_or_none()
    if site is not None:
        return site
    found = list(session.scalars(select(Site).where(or_(Site.name == name, Site.full_name == name)).limit(2)))
    if len(found) > 1:
        raise StoreError(f"site {name!r}: several sites have this name; give the site code")
    return found[0] if found else None


def _create_site(session: Session, name: str, kind: str | None, actor: str, where: str) -> Site:
    if kind is None:
        raise StoreError(
            f"{where}: no site {name!r} in the store; give its kind ({', '.join(KINDS)}) to create it"
        )
    site_kind, category = KINDS[kind]
    if site_kind is SiteKind.outlet:
        # An outlet belongs to an enterprise (site.outlet_has_enterprise); the registry cannot invent one.
        raise StoreError(
            f"{where}: no outlet {name!r} in the store; an outlet belongs to an enterprise, "
            "so register the enterprise and its outlet first (`ecowatch sources enterprise add`, "
            "`ecowatch sources outlet add`)"
        )
    if len(name) > 32:
        raise StoreError(
            f"{where}: site {name!r} is unknown and too long to be a new site's code (32 characters)"
        )
    site = Site(
        code=name, name=name, name_en="", full_name="", aliases=[], kind=site_kind.value, category=category
    )
    session.add(site)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="create",
        entity="site",
        entity_id=name,
        detail={"kind": site_kind.value, "category": category, "by": "device registry"},
    )
    return site


# -- devices -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What :func:`register_device` did: ``created`` the device, ``site_created``, ``changed`` fields."""

    mn: str
    site: str
    created: bool
    site_created: bool
    changed: tuple[str, ...] = ()

    @property
    def unchanged(self) -> bool:
        return not (self.created or self.site_created or self.changed)


def _check_device_fields(mn: str, password: str, version: str, kind: str | None, field_of) -> None:
    if not mn or len(mn) > MAX_MN or not _HEADER_SAFE.match(mn):
        raise StoreError(
            f"{field_of('mn')}: MN must be 1-{MAX_MN} characters without ';', ',', '=', '&' or "
            f"spaces, got {mn!r}"
        )
    if not password or len(password) > MAX_PASSWORD or not _HEADER_SAFE.match(password):
        raise StoreError(
            f"{field_of('password')}: password must be 1-{MAX_PASSWORD} characters without ';', "
            "',', '=', '&' or spaces"
        )
    if version not in {v.value for v in ProtocolVersion}:
        raise StoreError(
            f"{field_of('version')}: HJ 212 edition must be one of 2005, 2017, 2025, got {version!r}"
        )
    if kind is not None and kind not in KINDS:
        raise StoreError(f"{field_of('kind')}: kind must be one of {', '.join(KINDS)}, got {kind!r}")


def register_device(
    *,
    session: Session,
    mn: str,
    password: str,
    site: str,
    actor: str,
    version: str = "2017",
    kind: str | None = None,
    sm4_key_hex: str | None = None,
    password_hash: str | None = None,
    where: str | None = None,
    master: bytes | None = None,
) -> Registration:
    """Add the device ``mn`` or bring it up to date; registering the same thing twice changes nothing.

    ``site`` is a site code or name; an unknown site is created with ``kind`` (air_station,
    water_section; outlets must exist, they belong to an enterprise).  ``sm4_key_hex`` (32 hex digits)
    sets the HJ 212-2025 key, rotating the previous one.  ``password_hash`` reuses a hash already made
    for this password (the simulator registers thousands of devices with one password).  ``where``
    prefixes error messages (``devices.csv line 3``).  ``master`` is the master key (default
    :func:`master_key`), from which the password's keyed check is made.
    """
    where = where or f"device {mn}"
    _check_device_fields(mn, password, version, kind, lambda name: f"{where}, field {name}")
    key = _sm4_key(sm4_key_hex, f"{where}, field sm4_key") if sm4_key_hex else None
    if key is not None and version != ProtocolVersion.v2025:
        raise StoreError(
            f"{where}, field sm4_key: only HJ 212-2025 devices encrypt (this one speaks {version})"
        )
    target = find_site(session=session, name=site)
    site_created = target is None
    if target is None:
        target = _create_site(session, site, kind, actor, f"{where}, field site")
    device = session.scalars(select(Device).where(Device.mn == mn)).one_or_none()
    changed: list[str] = []
    check = password_check(mn=mn, password=password, key=password_check_key(master or master_key()))
    if device is None:
        device = Device(
            mn=mn,
            password_hash=password_hash or PASSWORDS.hash(password),
            password_check=check,
            site_id=target.id,
            protocol_version=version,
        )
        session.add(device)
        session.flush()
        record(
            session=session,
            actor=actor,
            action="create",
            entity="device",
            entity_id=mn,
            detail={"site": target.code, "version": version},
        )
        created = True
    else:
        created = False
        if device.site_id != target.id:
            device.site_id = target.id
            changed.append("site")
        if device.protocol_version != version:
            device.protocol_version = version
            changed.append("version")
        if not verify_device_password(device.password_hash, password):
            device.password_hash = password_hash or PASSWORDS.hash(password)
            changed.append("password")
        # Set with the password, or (a device registered before migration 0007) now that it is verified:
        # not a change of the device, so not in ``changed``.
        device.password_check = check
        if changed:
            record(
                session=session,
                actor=actor,
                action="update",
                entity="device",
                entity_id=mn,
                detail={"changed": changed, "site": target.code, "version": version},
            )
    if key is not None and set_device_key(
        session=session, device=device, key=key, actor=actor, master=master
    ):
        changed.append("sm4_key")
    session.flush()
    return Registration(
        mn=mn, site=target.code, created=created, site_created=site_created, changed=tuple(changed)
    )


def import_devices(*, session: Session, text: str, source: str, actor: str) -> list[Registration]:
    """Register every device of a CSV text with the header ``mn,password,site,kind,version``.

    An optional ``sm4_key`` column gives HJ 212-2025 keys.  Every row is checked before anything is
    written; the first problem raises :class:`StoreError` naming ``source``, the line and the field.
    Importing the same file again changes nothing.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in DEVICE_CSV_COLUMNS if name not in header]
    if missing:
        raise StoreError(
            f"{source} line 1: missing column(s) {', '.join(missing)} "
            f"(expected {','.join(DEVICE_CSV_COLUMNS)})"
        )
    reader.fieldnames = header
    rows: list[tuple[str, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        where = f"{source} line {line}"
        if None in row:
            raise StoreError(f"{where}: more fields than the header has")
        values = {name: (row.get(name) or "").strip() for name in header}
        if not any(values.values()):
            continue
        for name in ("mn", "password", "site", "version"):
            if not values[name]:
                raise StoreError(f"{where}, field {name}: empty")
        _check_device_fields(
            values["mn"],
            values["password"],
            values["version"],
            values["kind"] or None,
            lambda name, where=where: f"{where}, field {name}",
        )
        if values.get("sm4_key"):
            _sm4_key(values["sm4_key"], f"{where}, field sm4_key")
        if values["mn"] in seen:
            raise StoreError(
                f"{where}, field mn: MN {values['mn']} already given on line {seen[values['mn']]}"
            )
        seen[values["mn"]] = line
        rows.append((where, values))
    master = master_key() if rows else None
    return [
        register_device(
            session=session,
            mn=v["mn"],
            password=v["password"],
            site=v["site"],
            actor=actor,
            version=v["version"],
            kind=v["kind"] or None,
            sm4_key_hex=v.get("sm4_key") or None,
            where=where,
            master=master,
        )
        for where, v in rows
    ]


@dataclass(frozen=True)
class DeviceInfo:
    """A registered device as the gateway holds it in memory."""

    mn: str
    password_hash: str
    site_id: int
    site_timezone: str
    version: str
    keys: tuple[bytes, ...] = field(default=(), repr=False)  # current key first, then retired ones
    password_check: str | None = field(default=None, repr=False)  # see password_check()


def load_registry(
    *, session: Session, mns: Iterable[str] | None = None, master: bytes | None = None
) -> dict[str, DeviceInfo]:
    """MN -> :class:`DeviceInfo` of every device (or of ``mns``), SM4 keys unsealed (newest first)."""
    query = select(Device, Site.timezone).join(Site, Site.id == Device.site_id)
    if mns is not None:
        query = query.where(Device.mn.in_(list(mns)))
    devices = session.execute(query).all()
    keys: dict[int, list[DeviceKey]] = {}
    ids = [device.id for device, _ in devices]
    if ids:
        for key in session.scalars(
            select(DeviceKey).where(DeviceKey.device_id.in_(ids)).order_by(DeviceKey.version.desc())
        ):
            keys.setdefault(key.device_id, []).append(key)
    if keys and master is None:
        master = master_key()
    out = {}
    for device, timezone in devices:
        # master is None only when no device has a key (then there is nothing to unseal)
        plain = (
            ()
            if master is None
            else tuple(unseal_key(k.sealed, mn=device.mn, master=master) for k in keys.get(device.id, ()))
        )
        out[device.mn] = DeviceInfo(
            device.mn,
            device.password_hash,
            device.site_id,
            timezone,
            device.protocol_version,
            plain,
            device.password_check,
        )
    return out
