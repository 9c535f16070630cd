"""The signed-in user's backtests: submit, follow, read trades and equity, cancel or delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.backtests import (
    BacktestCreate,
    BacktestRead,
    BacktestTradeRead,
    EquityRead,
)
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.services import backtests

DELETED: dict[int | str, dict[str, str]] = {
    204: {"description": "The finished backtest was deleted."}
}

router = APIRouter(prefix="/backtests", tags=["backtests"])

Points = Annotated[
    int | None,
    Query(ge=10, le=100_000, description="Downsample to at most this many points."),
]


@router.post(
    "",
    response_model=BacktestRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(401, 404, 422),
)
async def submit_backtest(
    ctx: ContextDep, _user: CurrentUser, body: BacktestCreate
) -> BacktestRead:
    """Queue a backtest of a saved or inline strategy; poll it or follow jobs:{job_id}."""
    return BacktestRead.from_state(await backtests.submit(ctx, body.request()))


@router.get(
    "",
    response_model=Page[BacktestRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401, 422),
)
async def list_backtests(
    ctx: ContextDep, _user: CurrentUser, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Page[BacktestRead]:
    """List the signed-in user's backtests, newest first."""
    page = await backtests.list_runs(ctx, limit=limit, offset=offset)
    items = [BacktestRead.from_state(item) for item in page.items]
    return Page[BacktestRead](items=items, total=page.total, limit=page.limit, offset=page.offset)


@router.get(
    "/{backtest_id}",
    response_model=BacktestRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 422),
)
async def read_backtest(ctx: ContextDep, _user: CurrentUser, backtest_id: ItemId) -> BacktestRead:
    """Show a backtest's status, progress in percent, and metrics once it has succeeded."""
    return BacktestRead.from_state(await backtests.get(ctx, backtest_id))


@router.get(
    "/{backtest_id}/trades",
    response_model=Page[BacktestTradeRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 409, 422),
)
async def list_backtest_trades(
    ctx: ContextDep,
    _user: CurrentUser,
    backtest_id: ItemId,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Page[BacktestTradeRead]:
    """List a succeeded backtest's closed trades in exit order."""
    page = await backtests.trades(ctx, backtest_id, limit=limit, offset=offset)
    items = [BacktestTradeRead.model_validate(item) for item in page.items]
    return Page[BacktestTradeRead](
        items=items, total=page.total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/{backtest_id}/equity",
    response_model=EquityRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 409, 422),
)
async def read_backtest_equity(
    ctx: ContextDep, _user: CurrentUser, backtest_id: ItemId, points: Points = None
) -> EquityRead:
    """Show the equity and buy-and-hold curves, downsampled when points is given."""
    return EquityRead.model_validate(await backtests.equity(ctx, backtest_id, points=points))


@router.delete(
    "/{backtest_id}",
    response_model=BacktestRead,
    status_code=status.HTTP_200_OK,
    responses={
        **documented(401, 404, 409, 422),
        204: {"description": "The finished backtest was deleted."},
    },
)
async def delete_backtest(
    ctx: ContextDep, _user: CurrentUser, backtest_id: ItemId
) -> BacktestRead | Response:
    """Cancel a queued or running backtest (200), or delete a finished one (204)."""
    cancelled = await backtests.remove(ctx, backtest_id)
    if cancelled is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return BacktestRead.from_state(cancelled)
