"""The strategy registry: every type a strategy or backtest can use, with its schema."""

from __future__ import annotations

from fastapi import APIRouter, status

from quantdesk.api.deps import CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.strategies import StrategyTypeRead
from quantdesk.services import strategies

router = APIRouter(prefix="/strategy-types", tags=["strategies"])


@router.get(
    "",
    response_model=list[StrategyTypeRead],
    status_code=status.HTTP_200_OK,
    responses=documented(401),
)
async def list_strategy_types(_user: CurrentUser) -> list[StrategyTypeRead]:
    """List the registered strategy types with their parameter schemas and defaults."""
    return [StrategyTypeRead.from_info(info) for info in strategies.strategy_types()]
