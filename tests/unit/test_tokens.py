"""Signing and verifying access and refresh tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from quantdesk.errors import AuthenticationError
from quantdesk.services.crypto import derive_key
from quantdesk.services.tokens import TokenPair, decode_token, encode_token

SECRET = "unit-test-secret-that-is-long-enough-0123456789"
ISSUED = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def access_token(*, now: datetime | None = None, jti: str | None = None) -> str:
    return encode_token(
        SECRET,
        user_id=7,
        token_type="access",
        version=3,
        lifetime=timedelta(minutes=15),
        jti=jti,
        now=now,
    )


def test_encode_token_carries_every_required_claim() -> None:
    token = access_token(now=ISSUED, jti="abc")
    claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    assert claims == {
        "sub": "7",
        "iat": int(ISSUED.timestamp()),
        "exp": int((ISSUED + timedelta(minutes=15)).timestamp()),
        "jti": "abc",
        "type": "access",
        "ver": 3,
    }


def test_decode_token_valid_returns_claims() -> None:
    claims = decode_token(SECRET, access_token(), "access")
    assert (claims.user_id, claims.type, claims.version) == (7, "access", 3)
    assert claims.expires_at - claims.issued_at == timedelta(minutes=15)


def test_encode_token_each_token_gets_a_new_jti() -> None:
    first = decode_token(SECRET, access_token(), "access")
    second = decode_token(SECRET, access_token(), "access")
    assert first.jti != second.jti


def test_decode_token_expired_rejected() -> None:
    old = access_token(now=datetime.now(UTC) - timedelta(minutes=16))
    with pytest.raises(AuthenticationError, match="has expired"):
        decode_token(SECRET, old, "access")


def test_decode_token_accepted_once_is_rejected_after_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = access_token()
    assert decode_token(SECRET, token, "access").user_id == 7
    later = (datetime.now(UTC) + timedelta(minutes=16)).timestamp()
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(AuthenticationError, match="has expired"):
        decode_token(SECRET, token, "access")


def test_decode_token_verified_with_one_secret_is_rejected_with_another() -> None:
    token = access_token()
    decode_token(SECRET, token, "access")
    with pytest.raises(AuthenticationError, match="is invalid"):
        decode_token(SECRET + "-rotated", token, "access")


def test_decode_token_other_type_rejected() -> None:
    with pytest.raises(AuthenticationError, match="not a refresh token"):
        decode_token(SECRET, access_token(), "refresh")


def test_decode_token_other_secret_rejected() -> None:
    with pytest.raises(AuthenticationError, match="invalid"):
        decode_token(SECRET + "x", access_token(), "access")


def test_decode_token_signed_with_raw_secret_rejected() -> None:
    forged = jwt.encode({"sub": "1", "type": "access"}, SECRET, algorithm="HS256")
    with pytest.raises(AuthenticationError, match="invalid"):
        decode_token(SECRET, forged, "access")


def test_decode_token_unsigned_rejected() -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "1", "iat": now, "exp": now + 60, "jti": "j", "type": "access", "ver": 0}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(AuthenticationError, match="invalid"):
        decode_token(SECRET, unsigned, "access")


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "jti", "type", "ver"])
def test_decode_token_missing_claim_rejected(missing: str) -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "1", "iat": now, "exp": now + 60, "jti": "j", "type": "access", "ver": 0}
    del claims[missing]
    token = jwt.encode(claims, derive_key(SECRET, "jwt"), algorithm="HS256")
    with pytest.raises(AuthenticationError):
        decode_token(SECRET, token, "access")


def test_decode_token_non_numeric_subject_rejected() -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "ada", "iat": now, "exp": now + 60, "jti": "j", "type": "access", "ver": 0}
    token = jwt.encode(claims, derive_key(SECRET, "jwt"), algorithm="HS256")
    with pytest.raises(AuthenticationError, match="invalid"):
        decode_token(SECRET, token, "access")


def test_token_pair_repr_hides_tokens() -> None:
    pair = TokenPair(
        access_token="access-secret",
        refresh_token="refresh-secret",
        expires_in=900,
        refresh_expires_in=60,
        refresh_jti="jti-secret",
        refresh_expires_at=ISSUED,
    )
    assert "secret" not in repr(pair)
