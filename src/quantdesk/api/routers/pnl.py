"""The signed-in user's P&L: totals and a daily series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.orders import Mode, PnlRead
from quantdesk.services import pnl

router = APIRouter(prefix="/pnl", tags=["pnl"])


@router.get("", response_model=PnlRead, responses=documented(401, 422))
async def read_pnl(
    ctx: ContextDep,
    _user: CurrentUser,
    mode: Mode = "paper",
    account: Annotated[str, Query(min_length=1, max_length=64)] = "default",
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> PnlRead:
    """Show an account's equity, cash and P&L totals, and its daily P&L."""
    report = await pnl.pnl_report(ctx, mode=mode, account=account, days=days)
    return PnlRead.model_validate(report)
