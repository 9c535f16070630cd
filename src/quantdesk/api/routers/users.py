"""The signed-in user's own profile, password and sessions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.users import PasswordChange, SessionRead, UserRead, UserUpdate
from quantdesk.services import auth, users

router = APIRouter(prefix="/users/me", tags=["users"])


@router.get("", response_model=UserRead, status_code=status.HTTP_200_OK, responses=documented(401))
async def read_me(user: CurrentUser) -> UserRead:
    """Show the signed-in user's profile."""
    return UserRead.model_validate(user)


@router.patch(
    "", response_model=UserRead, status_code=status.HTTP_200_OK, responses=documented(401, 422)
)
async def update_me(ctx: ContextDep, _user: CurrentUser, body: UserUpdate) -> UserRead:
    """Change the signed-in user's name or timezone."""
    user = await users.update_me(ctx, full_name=body.full_name, timezone=body.timezone)
    return UserRead.model_validate(user)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 422),
)
async def change_password(ctx: ContextDep, _user: CurrentUser, body: PasswordChange) -> None:
    """Change the password and sign out every session; log in again afterwards."""
    await users.change_password(
        ctx, current_password=body.current_password, new_password=body.new_password
    )


@router.get(
    "/sessions",
    response_model=Page[SessionRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401, 422),
)
async def list_sessions(
    ctx: ContextDep, _user: CurrentUser, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Page[SessionRead]:
    """List the devices signed in as this user, newest first."""
    page = await auth.list_sessions(ctx, limit, offset)
    return Page[SessionRead].model_validate(page)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 422),
)
async def read_session(ctx: ContextDep, _user: CurrentUser, session_id: ItemId) -> SessionRead:
    """Show one of this user's sessions."""
    return SessionRead.model_validate(await auth.get_session(ctx, session_id))


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 404, 422),
)
async def revoke_session(ctx: ContextDep, _user: CurrentUser, session_id: ItemId) -> None:
    """Sign out one of this user's sessions, such as a lost device."""
    await auth.revoke_session(ctx, session_id)
