"""JSON Web Tokens: short-lived access tokens and long-lived, rotated refresh tokens.

Every token carries ``sub`` (the user id), ``iat``, ``exp``, a unique ``jti``, its ``type``
and ``ver``, the user's token version when it was issued: bumping the version on the user
makes every older token fail. Tokens are signed with HS256 under a key derived from the app
secret for this purpose alone.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import jwt

from quantdesk.errors import AuthenticationError
from quantdesk.services.crypto import derive_key

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti", "type", "ver")

TokenType = Literal["access", "refresh"]
_ARTICLE: dict[TokenType, str] = {"access": "an", "refresh": "a"}
_REMEDY: dict[TokenType, str] = {"access": "refresh it or log in again", "refresh": "log in again"}


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """The verified content of a token."""

    user_id: int
    jti: str
    type: TokenType
    version: int
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a login or a refresh hands back to the client."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    refresh_jti: str
    refresh_expires_at: datetime

    def __repr__(self) -> str:
        return (
            f"TokenPair(expires_in={self.expires_in}, refresh_expires_in={self.refresh_expires_in})"
        )


def new_jti() -> str:
    """A random token id, unguessable and unique in practice."""
    return secrets.token_hex(16)


def encode_token(
    secret_key: str,
    *,
    user_id: int,
    token_type: TokenType,
    version: int,
    lifetime: timedelta,
    jti: str | None = None,
    now: datetime | None = None,
) -> str:
    """Sign a token for a user; ``now`` is only passed by tests that need old tokens."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + lifetime,
        "jti": jti or new_jti(),
        "type": token_type,
        "ver": version,
    }
    return jwt.encode(claims, _signing_key(secret_key), algorithm=ALGORITHM)


def decode_token(secret_key: str, token: str, expected_type: TokenType) -> TokenClaims:
    """Verify a token's signature, expiry and type.

    Raises:
        AuthenticationError: The token is malformed, forged, expired or of the other type.
    """
    try:
        claims = _verified(secret_key, token)
    except jwt.InvalidTokenError:
        raise AuthenticationError(
            f"The {expected_type} token is invalid; {_REMEDY[expected_type]}"
        ) from None
    expires = claims["exp"]
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise AuthenticationError(f"The {expected_type} token is invalid; {_REMEDY[expected_type]}")
    if expires <= time.time():
        raise AuthenticationError(
            f"The {expected_type} token has expired; {_REMEDY[expected_type]}"
        )
    if claims["type"] != expected_type:
        raise AuthenticationError(
            f"This is not {_ARTICLE[expected_type]} {expected_type} token; "
            f"send the {expected_type} token here"
        )
    return _claims(claims, expected_type)


@lru_cache(maxsize=4096)
def _verified(secret_key: str, token: str) -> dict[str, Any]:
    """The claims of a token whose signature holds; its expiry is checked at each use.

    A client sends the same access token with every request until it expires, and checking
    the signature again each time cost a tenth of a small request's CPU.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        _signing_key(secret_key),
        algorithms=[ALGORITHM],
        options={"require": list(REQUIRED_CLAIMS), "verify_exp": False},
    )
    return claims


def _claims(claims: dict[str, Any], token_type: TokenType) -> TokenClaims:
    try:
        return TokenClaims(
            user_id=int(claims["sub"]),
            jti=str(claims["jti"]),
            type=token_type,
            version=int(claims["ver"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (TypeError, ValueError):
        raise AuthenticationError(f"The {token_type} token is invalid; log in again") from None


@lru_cache(maxsize=4)
def _signing_key(secret_key: str) -> bytes:
    return derive_key(secret_key, "jwt")
