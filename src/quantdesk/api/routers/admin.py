"""User administration, for the admin role only."""

from __future__ import annotations

from fastapi import APIRouter, status

from quantdesk.api.deps import AdminUser, ContextDep
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.users import AdminUserUpdate, UserRead
from quantdesk.services import users

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get(
    "/users",
    response_model=Page[UserRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401, 403, 422),
)
async def list_users(
    ctx: ContextDep, _admin: AdminUser, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Page[UserRead]:
    """List every user, oldest first."""
    page = await users.list_users(ctx, limit, offset)
    return Page[UserRead].model_validate(page)


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 403, 404, 409, 422),
)
async def update_user(
    ctx: ContextDep, _admin: AdminUser, user_id: ItemId, body: AdminUserUpdate
) -> UserRead:
    """Activate, deactivate or change the role of a user."""
    user = await users.admin_update(ctx, user_id, is_active=body.is_active, role=body.role)
    return UserRead.model_validate(user)
