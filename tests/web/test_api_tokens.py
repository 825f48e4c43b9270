"""Bearer tokens: signed, expiring, bound to the password and revoked by disabling the user; the
secret key's file and its minimum length."""

from __future__ import annotations

import datetime as dt
import stat

import pytest

from ecowatch.store.models import User
from ecowatch.store.users import password_fingerprint
from ecowatch.web.app import create_app
from ecowatch.web.tokens import TOKEN_LIFETIME, SecretKeyError, issue_token, load_secret_key, read_token

KEY = b"k" * 32
NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def test_a_token_reads_back_until_it_expires():
    token, expires_at = issue_token(key=KEY, user_id=7, fingerprint="abcd", now=NOON)
    assert expires_at == NOON + TOKEN_LIFETIME == dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)
    claims = read_token(key=KEY, token=token, now=expires_at - dt.timedelta(seconds=1))
    assert (claims.user_id, claims.fingerprint, claims.expires_at) == (7, "abcd", expires_at)
    assert read_token(key=KEY, token=token, now=expires_at) is None


def test_a_token_under_another_key_or_altered_is_refused():
    token, _ = issue_token(key=KEY, user_id=7, fingerprint="abcd", now=NOON)
    assert read_token(key=b"x" * 32, token=token, now=NOON) is None
    payload, signature = token.split(".")
    other, _ = issue_token(key=KEY, user_id=8, fingerprint="abcd", now=NOON)
    assert read_token(key=KEY, token=f"{other.split('.')[0]}.{signature}", now=NOON) is None
    for broken in ("", ".", payload, f"{payload}.", "ü.ü", "a.b.c"):
        assert read_token(key=KEY, token=broken, now=NOON) is None


def test_the_secret_key_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOWATCH_SECRET_KEY", raising=False)
    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(tmp_path))
    first = load_secret_key()
    assert len(first) == 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert load_secret_key() == first
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left
    monkeypatch.setenv("ECOWATCH_SECRET_KEY", "from-the-environment-32-characters")
    assert load_secret_key() == b"from-the-environment-32-characters"


def test_an_empty_secret_key_file_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOWATCH_SECRET_KEY", raising=False)
    monkeypatch.setenv("ECOWATCH_DATA_DIR", str(tmp_path))
    (tmp_path / "secret_key").write_bytes(b"")
    with pytest.raises(SecretKeyError) as refused:
        load_secret_key()
    assert str(refused.value) == (
        f"{tmp_path / 'secret_key'} (delete it to have a new key made): the secret "
        "key is 0 bytes long; at least 32 are required"
    )


@pytest.mark.parametrize("value", ["", "short", "x" * 31])
def test_a_short_secret_key_in_the_environment_is_refused(value, monkeypatch):
    monkeypatch.setenv("ECOWATCH_SECRET_KEY", value)
    with pytest.raises(SecretKeyError) as refused:
        load_secret_key()
    assert str(refused.value) == (
        f"$ECOWATCH_SECRET_KEY (openssl rand -hex 32 makes one): the secret key is "
        f"{len(value)} bytes long; at least 32 are required"
    )


def test_the_application_refuses_a_short_key(store_url):
    with pytest.raises(SecretKeyError, match=r"create_app\(secret_key=...\): the secret key is 9 bytes long"):
        create_app(store_url, secret_key=b"too-short")


def test_the_fingerprint_is_unchanged_at_token_version_0_and_moves_with_it():
    # Digests written out: SHA-256 of "abc" and of "abc" NUL "1", first 16 hex digits.
    assert password_fingerprint(User(password_hash="abc", token_version=0)) == "ba7816bf8f01cfea"
    assert password_fingerprint(User(password_hash="abc", token_version=1)) == "073d6fbfb1d426b3"


def test_disabling_a_user_revokes_its_tokens_for_good(fresh_client, fresh_auth):
    """Issue 14: a token issued before the user was disabled worked again once it was enabled."""
    before = fresh_auth("hebei")
    admin = fresh_auth("admin")
    assert fresh_client.get("/api/v1/auth/me", headers=before).status_code == 200
    assert fresh_client.patch("/api/v1/users/hebei", headers=admin, json={"active": False}).status_code == 200
    assert fresh_client.get("/api/v1/auth/me", headers=before).status_code == 401
    assert fresh_client.patch("/api/v1/users/hebei", headers=admin, json={"active": True}).status_code == 200
    answer = fresh_client.get("/api/v1/auth/me", headers=before)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "the token has been revoked: sign in again"}
    signed_in = fresh_client.post(
        "/api/v1/auth/token", json={"username": "hebei", "password": "pw-hebei-2016"}
    )
    assert signed_in.status_code == 200
    after = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert fresh_client.get("/api/v1/auth/me", headers=after).json()["username"] == "hebei"
