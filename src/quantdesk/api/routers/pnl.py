"""The signed-in user's P&L: totals and a daily series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.orders import AccountFilter, Mode, PnlRead
from quantdesk.services import pnl

router = APIRouter(prefix="/pnl", tags=["pnl"])


@router.get("", response_model=PnlRead, responses=documented(401, 422))
async def read_pnl(
    ctx: ContextDep,
    _user: CurrentUser,
    mode: Mode = "paper",
    account: AccountFilter = None,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> PnlRead:
    """Show equity, cash, P&L and exposure of one account or all of the mode, and daily P&L."""
    report = await pnl.pnl_report(ctx, mode=mode, account=account, days=days)
    return PnlRead.model_validate(report)
