"""Fetch bars from a data provider (yfinance, Twelve Data) and store them."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, status

from quantdesk.api.deps import ContextDep, CurrentUser, RuntimeDep
from quantdesk.api.errors import documented
from quantdesk.api.schemas.providers import FetchRequest, FetchSummaryRead
from quantdesk.services import providers

router = APIRouter(prefix="/market-data", tags=["market-data"])


@router.post(
    "/fetch",
    response_model=FetchSummaryRead,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 404, 422, 429, 503),
)
async def fetch_bars(
    ctx: ContextDep, runtime: RuntimeDep, _user: CurrentUser, body: FetchRequest
) -> FetchSummaryRead:
    """Fetch a symbol's bars from a provider and store them; 503 while its breaker is open."""
    summary = await providers.fetch(
        ctx,
        runtime.providers,
        provider=body.provider,
        symbol=body.symbol,
        timeframe=body.timeframe,
        start=body.start,
        end=body.end,
        exchange=body.exchange,
    )
    return FetchSummaryRead(provider=body.provider, **asdict(summary))
