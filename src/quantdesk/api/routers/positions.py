"""The signed-in user's positions."""

from __future__ import annotations

from fastapi import APIRouter

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.orders import AccountFilter, Mode, PositionRead
from quantdesk.services import positions

router = APIRouter(prefix="/positions", tags=["positions"])


@router.get("", response_model=list[PositionRead], responses=documented(401, 422))
async def list_positions(
    ctx: ContextDep,
    _user: CurrentUser,
    include_flat: bool = False,
    mode: Mode | None = None,
    account: AccountFilter = None,
) -> list[PositionRead]:
    """List the signed-in user's positions in every account or one; flat ones when asked."""
    views = await positions.list_positions(
        ctx, open_only=not include_flat, mode=mode, account=account
    )
    return [PositionRead.model_validate(view) for view in views]
