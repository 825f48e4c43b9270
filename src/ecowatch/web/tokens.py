"""Bearer tokens: stateless, signed, expiring, and revoked by a change of password.

A token is ``<payload>.<signature>``, both base64url without padding: the payload is the JSON
``{"u": user id, "exp": expiry (Unix seconds), "f": password fingerprint}`` and the signature its
HMAC-SHA256 under the server's secret key (RFC 2104).  The fingerprint
(:func:`ecowatch.store.users.password_fingerprint`) changes with the password hash, so setting a
new password revokes every token issued before.

The secret key comes from ``$ECOWATCH_SECRET_KEY``, else from the file ``secret_key`` in the data
folder, created with 32 random bytes and mode 0600 on first use.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ecowatch.store.db import data_dir

__all__ = ["TOKEN_LIFETIME", "TokenClaims", "issue_token", "load_secret_key", "read_token"]

#: How long a token is valid: one working day.
TOKEN_LIFETIME = dt.timedelta(hours=8)
SECRET_FILE = "secret_key"
#: RFC 2104 §3: a key shorter than the hash output (32 bytes for SHA-256) weakens the MAC.
MIN_SECRET_BYTES = 32


def load_secret_key() -> bytes:
    """``$ECOWATCH_SECRET_KEY`` (UTF-8), else the data folder's ``secret_key`` file (created 0600)."""
    from_env = os.environ.get("ECOWATCH_SECRET_KEY")
    if from_env:
        return from_env.encode()
    path = data_dir() / SECRET_FILE
    try:
        # O_EXCL: two servers starting together cannot both write a key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Path(path).read_bytes()
    with os.fdopen(descriptor, "wb") as file:
        file.write(secrets.token_bytes(MIN_SECRET_BYTES))
    return path.read_bytes()


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


def issue_token(*, key: bytes, user_id: int, fingerprint: str, now: dt.datetime,
                lifetime: dt.timedelta = TOKEN_LIFETIME) -> tuple[str, dt.datetime]:
    """A signed token for the user and its expiry time (UTC, whole seconds)."""
    expires_at = (now + lifetime).astimezone(dt.UTC).replace(microsecond=0)
    body = json.dumps({"u": user_id, "exp": int(expires_at.timestamp()), "f": fingerprint},
                      separators=(",", ":"))
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
