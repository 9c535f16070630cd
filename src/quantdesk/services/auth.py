"""Authentication: log in, rotate and revoke refresh tokens, and check access tokens.

Refresh tokens rotate: each one works once and is replaced by a new one of the same
``family`` (one family per login). A revoked token presented again means it was copied, so
the whole family is revoked and the holder must log in again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import structlog

from quantdesk.db.base import utcnow
from quantdesk.db.models import RefreshToken, User
from quantdesk.db.repositories import Paged, RefreshTokenRepository, UserRepository
from quantdesk.errors import AuthenticationError, NotFoundError
from quantdesk.services import rate_limits
from quantdesk.services.context import ServiceContext
from quantdesk.services.passwords import MAX_PASSWORD_LENGTH, verify_password
from quantdesk.services.tokens import (
    TokenClaims,
    TokenPair,
    TokenType,
    decode_token,
    encode_token,
    new_jti,
)
from quantdesk.services.users import require_actor

logger = structlog.get_logger(__name__)

WRONG_CREDENTIALS = "Incorrect email or password"
TOO_MANY_FROM_ADDRESS = "Too many login attempts from this address; wait and try again"
TOO_MANY_FOR_ACCOUNT = "Too many failed logins for this account; wait and try again"
SIGNED_OUT = "The token is no longer valid; log in again"
MAX_USER_AGENT = 300
MAX_ADDRESS = 64


async def login(ctx: ServiceContext, email: str, password: str) -> TokenPair:
    """Check an email and password and start a new session.

    Raises:
        RateLimitedError: Too many attempts from this address or failures for this account.
        AuthenticationError: The credentials are wrong (never saying which part), or the
            account is deactivated.
    """
    account_key = _account_key(email)
    await _check_login_limits(ctx, account_key)
    user = await UserRepository(ctx.session).get_by_email(email.strip().lower())
    matches, new_hash = await _check_password(password, user)
    if user is None or not matches:
        await _record_failed_login(ctx, account_key, user)
        raise AuthenticationError(WRONG_CREDENTIALS)
    if not user.is_active:
        raise AuthenticationError("This account is deactivated; ask an admin to reactivate it")
    await rate_limits.clear_failures(ctx.cache, account_key)
    user.hashed_password = new_hash or user.hashed_password
    user.last_login_at = utcnow()
    ctx.actor = user
    logger.info("login_succeeded", user_id=user.id, client_address=ctx.client_address)
    return await _issue_pair(ctx, user, family=new_jti())


async def refresh(ctx: ServiceContext, refresh_token: str | None) -> TokenPair:
    """Trade a refresh token for a new pair, revoking the one presented.

    Raises:
        AuthenticationError: No refresh token was sent, or it is invalid, expired, revoked
            or its user can no longer sign in; a revoked one also revokes its whole family.
    """
    claims = decode_token(ctx.config.secret_key, _required(refresh_token), "refresh")
    tokens = RefreshTokenRepository(ctx.session)
    stored = await tokens.get_by_jti(claims.jti)
    if stored is None or stored.user_id != claims.user_id:
        raise AuthenticationError("The refresh token is not recognised; log in again")
    user = await _valid_user(ctx, claims)
    replacement = new_jti()
    if not await tokens.revoke_if_active(claims.jti, now=utcnow(), replaced_by=replacement):
        await _revoke_reused_family(ctx, stored)
    ctx.actor = user
    return await _issue_pair(ctx, user, family=stored.family, refresh_jti=replacement)


async def logout(ctx: ServiceContext, refresh_token: str | None) -> None:
    """End the signed-in user's session that this refresh token belongs to.

    Raises:
        NotFoundError: The token belongs to another user or was never issued.
    """
    actor = require_actor(ctx)
    claims = decode_token(ctx.config.secret_key, _required(refresh_token), "refresh")
    tokens = RefreshTokenRepository(ctx.session)
    stored = await tokens.get_by_jti(claims.jti)
    if stored is None or stored.user_id != actor.id:
        raise NotFoundError("Refresh token")
    await tokens.revoke_family(stored.family, now=utcnow())
    logger.info("logout", user_id=actor.id)


async def authenticate(ctx: ServiceContext, access_token: str) -> User:
    """Return the user an access token speaks for, and make them the context's actor.

    Raises:
        AuthenticationError: The token is invalid or expired, the user is deactivated, or
            their password changed since it was issued.
    """
    claims = decode_token(ctx.config.secret_key, access_token, "access")
    ctx.actor = await _valid_user(ctx, claims)
    return ctx.actor


async def list_sessions(ctx: ServiceContext, limit: int, offset: int) -> Paged[RefreshToken]:
    """The signed-in user's active sessions (unrevoked refresh tokens), newest first."""
    actor = require_actor(ctx)
    tokens = RefreshTokenRepository(ctx.session)
    return await tokens.list_active(actor.id, now=utcnow(), limit=limit, offset=offset)


async def get_session(ctx: ServiceContext, session_id: int) -> RefreshToken:
    """One of the signed-in user's sessions; another user's answers NotFoundError."""
    actor = require_actor(ctx)
    stored = await RefreshTokenRepository(ctx.session).get_for_user(session_id, actor.id)
    if stored is None:
        raise NotFoundError("Session", session_id)
    return stored


async def revoke_session(ctx: ServiceContext, session_id: int) -> None:
    """Sign one of the signed-in user's sessions out, for example a lost device."""
    stored = await get_session(ctx, session_id)
    await RefreshTokenRepository(ctx.session).revoke_family(stored.family, now=utcnow())
    logger.info("session_revoked", user_id=stored.user_id, session_id=session_id)


async def _check_login_limits(ctx: ServiceContext, account_key: str) -> None:
    config = ctx.config
    await rate_limits.count_attempt(
        ctx.cache,
        f"login:address:{ctx.client_address or 'unknown'}",
        limit=config.login_attempts_per_address,
        window_seconds=config.login_window_seconds,
        message=TOO_MANY_FROM_ADDRESS,
    )
    await rate_limits.ensure_not_locked(ctx.cache, account_key, message=TOO_MANY_FOR_ACCOUNT)


async def _record_failed_login(ctx: ServiceContext, account_key: str, user: User | None) -> None:
    await rate_limits.record_failure(
        ctx.cache,
        account_key,
        limit=ctx.config.login_attempts_per_account,
        window_seconds=ctx.config.login_window_seconds,
    )
    user_id = user.id if user else None
    logger.info("login_failed", user_id=user_id, client_address=ctx.client_address)


async def _check_password(password: str, user: User | None) -> tuple[bool, str | None]:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False, None  # no password is this long; skip the costly hash
    return await verify_password(password, user.hashed_password if user else None)


async def _valid_user(ctx: ServiceContext, claims: TokenClaims) -> User:
    user = await UserRepository(ctx.session).get(claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise AuthenticationError(SIGNED_OUT)
    return user


async def _revoke_reused_family(ctx: ServiceContext, stored: RefreshToken) -> None:
    await RefreshTokenRepository(ctx.session).revoke_family(stored.family, now=utcnow())
    # The revocation must outlive the 401 that follows, which rolls the request back.
    await ctx.commit()
    logger.warning("refresh_token_reused", user_id=stored.user_id, token_id=stored.id)
    raise AuthenticationError(
        "This refresh token was already used, so every session from the same login has been "
        "signed out; log in again"
    )


async def _issue_pair(
    ctx: ServiceContext, user: User, *, family: str, refresh_jti: str | None = None
) -> TokenPair:
    config, now = ctx.config, utcnow()
    access_life = timedelta(minutes=config.access_token_minutes)
    refresh_life = timedelta(days=config.refresh_token_days)
    jti = refresh_jti or new_jti()
    await _store_refresh(ctx, user, jti=jti, family=family, expires_at=now + refresh_life)
    return TokenPair(
        access_token=_encode(ctx, user, "access", access_life, now, new_jti()),
        refresh_token=_encode(ctx, user, "refresh", refresh_life, now, jti),
        expires_in=int(access_life.total_seconds()),
        refresh_expires_in=int(refresh_life.total_seconds()),
        refresh_jti=jti,
        refresh_expires_at=now + refresh_life,
    )


def _encode(
    ctx: ServiceContext, user: User, kind: TokenType, life: timedelta, now: datetime, jti: str
) -> str:
    return encode_token(
        ctx.config.secret_key,
        user_id=user.id,
        token_type=kind,
        version=user.token_version,
        lifetime=life,
        jti=jti,
        now=now,
    )


async def _store_refresh(
    ctx: ServiceContext, user: User, *, jti: str, family: str, expires_at: datetime
) -> None:
    row = RefreshToken(
        user_id=user.id,
        jti=jti,
        family=family,
        expires_at=expires_at,
        user_agent=(ctx.user_agent or "")[:MAX_USER_AGENT] or None,
        client_address=(ctx.client_address or "")[:MAX_ADDRESS] or None,
    )
    await RefreshTokenRepository(ctx.session).add(row)


def _account_key(email: str) -> str:
    # Hashed, so the cache never holds email addresses.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login:account:{digest}"


def _required(refresh_token: str | None) -> str:
    # No token is missing credentials, as with a missing bearer token: 401, not 422.
    if not refresh_token:
        raise AuthenticationError(
            "refresh_token is missing; send it in the JSON body or the refresh cookie",
            details={"field": "refresh_token"},
        )
    return refresh_token
