"""The latest quote of a symbol, from the quote cache or the last stored bar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, cast

from fastapi import APIRouter

from quantdesk.api.deps import ContextDep, CurrentUser
from quantdesk.api.errors import documented
from quantdesk.api.schemas.quotes import QuoteRead
from quantdesk.services import quotes

router = APIRouter(prefix="/market-data", tags=["market-data"])


@router.get("/{symbol}/quote", response_model=QuoteRead, responses=documented(401, 404))
async def read_quote(ctx: ContextDep, _user: CurrentUser, symbol: str) -> QuoteRead:
    """Show the latest quote; stale when it is the last stored bar's close."""
    latest = await quotes.latest(ctx, symbol)
    quote = latest.quote
    return QuoteRead(
        symbol=quote.symbol,
        timestamp=datetime.fromtimestamp(quote.timestamp_ns / 1e9, UTC),
        price=quote.price,
        bid=quote.bid,
        ask=quote.ask,
        volume=quote.volume,
        stale=latest.stale,
        source=cast(Literal["cache", "bars"], latest.source),
    )
