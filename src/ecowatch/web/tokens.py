"""Bearer tokens: stateless, signed, expiring, and revoked by a change of password.

A token is ``<payload>.<signature>``, both base64url without padding: the payload is the JSON
``{"u": user id, "exp": expiry (Unix seconds), "f": password fingerprint}`` and the signature its
HMAC-SHA256 under the server's secret key (RFC 2104).  The fingerprint
(:func:`ecowatch.store.users.password_fingerprint`) changes with the password hash, so setting a
new password revokes every token issued before.

The secret key comes from ``$ECOWATCH_SECRET_KEY``, else from the file ``secret_key`` in the data
folder, created with 32 random bytes and mode 0600 on first use.  Either must hold at least
:data:`MIN_SECRET_BYTES` (32) bytes: a shorter key (an empty file, a short variable) is refused
with :class:`SecretKeyError` naming where it came from, rather than signing tokens with a key one
could guess.

A user's tokens are revoked by a new password and by disabling the user (the fingerprint carries
the user's ``token_version``, raised on disabling), so they stay invalid once it is enabled again.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ecowatch.errors import EcowatchError
from ecowatch.store.db import data_dir

__all__ = [
    "MIN_SECRET_BYTES",
    "TOKEN_LIFETIME",
    "SecretKeyError",
    "TokenClaims",
    "check_secret_key",
    "issue_token",
    "load_secret_key",
    "read_token",
]

#: How long a token is valid: one working day.
TOKEN_LIFETIME = dt.timedelta(hours=8)
SECRET_FILE = "secret_key"
#: RFC 2104 §3: a key shorter than the hash output (32 bytes for SHA-256) weakens the MAC.
MIN_SECRET_BYTES = 32


class SecretKeyError(EcowatchError):
    """The secret key that signs tokens is missing or too short; the message says where it came from."""


def check_secret_key(key: bytes, origin: str) -> bytes:
    """``key`` if it is long enough to sign tokens, else :class:`SecretKeyError` naming ``origin``.

    RFC 2104 §3: a key shorter than the hash's output (32 bytes for SHA-256) weakens the MAC.

    >>> check_secret_key(b"k" * 32, "test") == b"k" * 32
    True
    >>> check_secret_key(b"", "/data/secret_key")
    Traceback (most recent call last):
    ...
    ecowatch.web.tokens.SecretKeyError: /data/secret_key: the secret key is 0 bytes long; at least 32 are ...
    """
    if len(key) < MIN_SECRET_BYTES:
        raise SecretKeyError(
            f"{origin}: the secret key is {len(key)} bytes long; at least {MIN_SECRET_BYTES} are required"
        )
    return key


def load_secret_key() -> bytes:
    """``$ECOWATCH_SECRET_KEY`` (UTF-8), else the data folder's ``secret_key`` file (created 0600).

    Either is refused (:class:`SecretKeyError`) when shorter than :data:`MIN_SECRET_BYTES`: set the
    variable to at least 32 random characters (``openssl rand -hex 32``), or delete an empty file to
    have a new key made.
    """
    from_env = os.environ.get("ECOWATCH_SECRET_KEY")
    if from_env is not None:
        return check_secret_key(from_env.encode(), "$ECOWATCH_SECRET_KEY (openssl rand -hex 32 makes one)")
    path = data_dir() / SECRET_FILE
    if not path.exists():
        _create_secret_file(path)
    return check_secret_key(path.read_bytes(), f"{path} (delete it to have a new key made)")


def _create_secret_file(path: Path) -> None:
    """Write a new key to ``path`` whole or not at all: into a temporary file (0600), then linked to
    ``path``, which fails if another server made it first (theirs is kept).  An O_EXCL create
    written afterwards would let a second server read the file while still empty."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{SECRET_FILE}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(MIN_SECRET_BYTES))
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    expires_at: dt.datetime
    fingerprint: str


def issue_token(
    *, key: bytes, user_id: int, fingerprint: str, now: dt.datetime, lifetime: dt.timedelta = TOKEN_LIFETIME
) -> tuple[str, dt.datetime]:
    """A signed token for the user and its expiry time (UTC, whole seconds)."""
    expires_at = (now + lifetime).astimezone(dt.UTC).replace(microsecond=0)
    body = json.dumps(
        {"u": user_id, "exp": int(expires_at.timestamp()), "f": fingerprint}, separators=(",", ":")
    )
    payload = _b64(body.encode())
    return f"{payload}.{_sign(key, payload)}", expires_at


def read_token(*, key: bytes, token: str, now: dt.datetime) -> TokenClaims | None:
    """The claims of a token signed with ``key`` and not expired at ``now``; None otherwise."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload.isascii() or not signature.isascii():
        return None
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    try:
        claims = json.loads(_unb64(payload))
        user_id, expires, fingerprint = int(claims["u"]), int(claims["exp"]), str(claims["f"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    expires_at = dt.datetime.fromtimestamp(expires, dt.UTC)
    if now >= expires_at:
        return None
    return TokenClaims(user_id=user_id, expires_at=expires_at, fingerprint=fingerprint)
