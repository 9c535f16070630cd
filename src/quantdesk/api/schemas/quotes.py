"""The latest quote of a symbol."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class QuoteRead(BaseModel):
    """The latest price; ``stale`` when it is the last stored bar's close, not a live quote."""

    symbol: str
    timestamp: datetime
    price: float
    bid: float | None = None
    ask: float | None = None
    volume: float | None = None
    stale: bool
    source: Literal["cache", "bars"]
