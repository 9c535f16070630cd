"""The demo account: created once so that a new installation can be tried at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from quantdesk.db.repositories.users import UserRepository
from quantdesk.services import users
from quantdesk.services.context import ServiceContext

DEMO_FULL_NAME = "Demo Trader"
DEMO_PASSWORD_BYTES = 12


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """The demo user's login, shown once when it is created."""

    email: str
    password: str

    def __repr__(self) -> str:
        return f"DemoCredentials(email={self.email!r}, password='**********')"


async def ensure_demo_user(ctx: ServiceContext, *, email: str) -> DemoCredentials | None:
    """Create the demo user unless it exists.

    The password is random per installation, so no shared default ever grants access.

    Returns:
        The new credentials, or None when the user already existed (its password is then
        not known here and is never reset).
    """
    if await UserRepository(ctx.session).get_by_email(users.normalize_email(email)) is not None:
        return None
    password = secrets.token_urlsafe(DEMO_PASSWORD_BYTES)
    await users.create_user(ctx, email=email, password=password, full_name=DEMO_FULL_NAME)
    return DemoCredentials(email=email, password=password)
