"""The signed-in user's round-trip trades."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, Limit, Offset, Page
from quantdesk.api.schemas.orders import AccountFilter, Mode, TradeRead
from quantdesk.services import positions

router = APIRouter(prefix="/trades", tags=["trades"])


@router.get("", response_model=Page[TradeRead], responses=documented(401, 422))
async def list_trades(
    ctx: ContextDep,
    _user: CurrentUser,
    status_: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
    mode: Mode | None = None,
    account: AccountFilter = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Page[TradeRead]:
    """List the signed-in user's trades in every account or one, newest entry first."""
    page = await positions.list_trades(
        ctx, status=status_, limit=limit, offset=offset, mode=mode, account=account
    )
    return Page[TradeRead].model_validate(page)
