"""Dependencies shared by the routers: the runtime, the unit of work, the current user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from quantdesk.errors import AuthenticationError
from quantdesk.runtime import Runtime
from quantdesk.services import auth, users
from quantdesk.services.context import ServiceContext
from quantdesk.services.users import User


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_context(request: Request, runtime: RuntimeDep) -> AsyncIterator[ServiceContext]:
    """One transaction per request, committed when the handler returns without error."""
    async with runtime.context(
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    ) as ctx:
        yield ctx


ContextDep = Annotated[ServiceContext, Depends(get_context, scope="function")]


# auto_error is off so that a missing token answers in the one error shape, with a fix.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


async def get_current_user(
    ctx: ContextDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    """The user the bearer token speaks for; also the context's actor for the services."""
    if not token:
        raise AuthenticationError(
            "Not signed in; send 'Authorization: Bearer <access token>' from /api/v1/auth/login"
        )
    return await auth.authenticate(ctx, token)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(ctx: ContextDep, _user: CurrentUser) -> User:
    """The current user, if they hold the admin role; authentication runs first."""
    return users.require_admin(ctx)


AdminUser = Annotated[User, Depends(get_admin_user)]
