"""Users: registration, the signed-in user's profile and password, and administration.

Authorisation lives here: ``require_actor`` and ``require_admin`` check the context's actor,
which ``auth.authenticate`` sets for each request.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy.exc import IntegrityError

from quantdesk.db.base import utcnow
from quantdesk.db.models import User
from quantdesk.db.repositories import Paged, RefreshTokenRepository, UserRepository
from quantdesk.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from quantdesk.services.context import ServiceContext
from quantdesk.services.passwords import check_password_rules, hash_password, verify_password

__all__ = [
    "ROLES",
    "User",
    "admin_update",
    "change_password",
    "create_user",
    "list_users",
    "normalize_email",
    "register",
    "require_actor",
    "require_admin",
    "update_me",
]

ROLES = ("user", "admin")
MAX_EMAIL_LENGTH = 320
MAX_TIMEZONE_LENGTH = 64

logger = structlog.get_logger(__name__)


def normalize_email(email: str) -> str:
    """Lower-case and trim an email, so one mailbox is one account however it is typed."""
    normalized = email.strip().lower()
    local, _, domain = normalized.partition("@")
    if not local or "." not in domain or "@" in domain or len(normalized) > MAX_EMAIL_LENGTH:
        raise ValidationError("email must look like name@example.com", details={"field": "email"})
    return normalized


def require_actor(ctx: ServiceContext) -> User:
    """The signed-in user, or an error for an anonymous call."""
    if ctx.actor is None:
        raise AuthenticationError("Log in first: this needs a signed-in user")
    return ctx.actor


def require_admin(ctx: ServiceContext) -> User:
    """The signed-in user if they are an admin."""
    actor = require_actor(ctx)
    if actor.role != "admin":
        raise PermissionDeniedError("Only an admin may do this; ask an admin to do it for you")
    return actor


async def create_user(
    ctx: ServiceContext,
    *,
    email: str,
    password: str,
    full_name: str | None = None,
    role: str = "user",
) -> User:
    """Create an active user with a hashed password.

    Raises:
        ValidationError: The email, password or role is not acceptable.
        ConflictError: A user with this email already exists.
    """
    email = normalize_email(email)
    check_password_rules(password)
    _check_role(role)
    users = UserRepository(ctx.session)
    if await users.get_by_email(email) is not None:
        raise _duplicate(email)
    user = User(email=email, full_name=full_name, role=role, is_active=True, token_version=0)
    user.hashed_password = await hash_password(password)
    try:
        await users.add(user)
    except IntegrityError:
        raise _duplicate(email) from None
    logger.info("user_created", user_id=user.id, role=role)
    return user


async def register(
    ctx: ServiceContext, *, email: str, password: str, full_name: str | None = None
) -> User:
    """Sign up a new user with the ``user`` role, if registration is open."""
    if not ctx.config.allow_registration:
        raise PermissionDeniedError(
            "Registration is turned off on this server; ask an admin to create your account"
        )
    return await create_user(ctx, email=email, password=password, full_name=full_name)


async def update_me(
    ctx: ServiceContext, *, full_name: str | None = None, timezone: str | None = None
) -> User:
    """Change the signed-in user's profile; None leaves a field as it is, "" clears the name."""
    user = require_actor(ctx)
    if full_name is not None:
        user.full_name = full_name.strip() or None
    if timezone is not None:
        user.timezone = _check_timezone(timezone)
    await UserRepository(ctx.session).flush()
    return user


async def change_password(ctx: ServiceContext, *, current_password: str, new_password: str) -> None:
    """Replace the signed-in user's password and sign out every session, this one included."""
    user = require_actor(ctx)
    matches, _ = await verify_password(current_password, user.hashed_password)
    if not matches:
        raise ValidationError(
            "current_password is not your current password; type it again",
            details={"field": "current_password"},
        )
    check_password_rules(new_password, field="new_password")
    user.hashed_password = await hash_password(new_password)
    await _end_all_sessions(ctx, user)
    logger.info("password_changed", user_id=user.id)


async def list_users(ctx: ServiceContext, limit: int, offset: int) -> Paged[User]:
    """Every user, oldest first, for an admin."""
    require_admin(ctx)
    return await UserRepository(ctx.session).list_page(limit=limit, offset=offset)


async def admin_update(
    ctx: ServiceContext, user_id: int, *, is_active: bool | None = None, role: str | None = None
) -> User:
    """Activate, deactivate or change the role of a user, as an admin.

    Raises:
        NotFoundError: No user has this id.
        ConflictError: The admin tried to deactivate or demote themselves.
    """
    admin = require_admin(ctx)
    user = await UserRepository(ctx.session).get(user_id)
    if user is None:
        raise NotFoundError("User", user_id)
    if role is not None:
        _check_role(role)
        _refuse_self(admin, user, demoting=role != "admin")
        user.role = role
    if is_active is not None:
        _refuse_self(admin, user, demoting=not is_active)
        await _set_active(ctx, user, is_active)
    await UserRepository(ctx.session).flush()
    logger.info("user_updated", user_id=user.id, by=admin.id, role=user.role, active=user.is_active)
    return user


async def _set_active(ctx: ServiceContext, user: User, is_active: bool) -> None:
    if user.is_active and not is_active:
        await _end_all_sessions(ctx, user)
    user.is_active = is_active


async def _end_all_sessions(ctx: ServiceContext, user: User) -> None:
    user.token_version += 1
    await RefreshTokenRepository(ctx.session).revoke_all_for_user(user.id, now=utcnow())


def _refuse_self(admin: User, user: User, *, demoting: bool) -> None:
    if demoting and admin.id == user.id:
        raise ConflictError(
            "An admin may not deactivate or demote themselves; ask another admin to do it",
            details={"user_id": user.id},
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", details={"field": "role"})


def _check_timezone(name: str) -> str:
    try:
        if len(name) > MAX_TIMEZONE_LENGTH:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"timezone {name[:64]!r} is unknown; use an IANA name such as Europe/London",
            details={"field": "timezone"},
        ) from None
    return name


def _duplicate(email: str) -> ConflictError:
    return ConflictError(
        f"A user with email {email} already exists; log in or use another email",
        details={"field": "email"},
    )
