"""The signed-in user's saved strategies: create, list, read, change and delete them."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.common import DEFAULT_PAGE_SIZE, ItemId, Limit, Offset, Page
from quantdesk.api.schemas.strategies import StrategyCreate, StrategyRead, StrategyUpdate
from quantdesk.services import strategies

router = APIRouter(prefix="/strategies", tags=["strategies"])


@router.get(
    "",
    response_model=Page[StrategyRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401, 422),
)
async def list_strategies(
    ctx: ContextDep, _user: CurrentUser, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Page[StrategyRead]:
    """List the signed-in user's strategies by name."""
    page = await strategies.list_strategies(ctx, limit=limit, offset=offset)
    return Page[StrategyRead].model_validate(page)


@router.post(
    "",
    response_model=StrategyRead,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 409, 422),
)
async def create_strategy(
    ctx: ContextDep, _user: CurrentUser, body: StrategyCreate
) -> StrategyRead:
    """Save a strategy; its parameters must suit its type and its name must be new."""
    strategy = await strategies.create_strategy(ctx, **body.model_dump())
    return StrategyRead.model_validate(strategy)


@router.get(
    "/{strategy_id}",
    response_model=StrategyRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 422),
)
async def read_strategy(ctx: ContextDep, _user: CurrentUser, strategy_id: ItemId) -> StrategyRead:
    """Show one saved strategy."""
    return StrategyRead.model_validate(await strategies.get_strategy(ctx, strategy_id))


@router.patch(
    "/{strategy_id}",
    response_model=StrategyRead,
    status_code=status.HTTP_200_OK,
    responses=documented(401, 404, 409, 422),
)
async def update_strategy(
    ctx: ContextDep, _user: CurrentUser, strategy_id: ItemId, body: StrategyUpdate
) -> StrategyRead:
    """Change a saved strategy; new parameters are checked against its type."""
    strategy = await strategies.update_strategy(ctx, strategy_id, body.changes())
    return StrategyRead.model_validate(strategy)


@router.delete(
    "/{strategy_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 404, 422),
)
async def delete_strategy(ctx: ContextDep, _user: CurrentUser, strategy_id: ItemId) -> None:
    """Delete a saved strategy; its past backtests stay."""
    await strategies.delete_strategy(ctx, strategy_id)
