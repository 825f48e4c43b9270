"""Bearer tokens: signed, expiring, bound to the password; the secret key's file."""

from __future__ import annotations

import datetime as dt
import stat

from ecowatch.web.tokens import TOKEN_LIFETIME, issue_token, load_secret_key, read_token

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
    monkeypatch.setenv("ECOWATCH_SECRET_KEY", "from-the-environment")
    assert load_secret_key() == b"from-the-environment"
