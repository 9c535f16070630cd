"""Market-data ports: providers that return history, and feeds that stream new bars."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from quantdesk.bars import Bars


@dataclass(frozen=True, slots=True)
class Quote:
    """The latest known price of a symbol."""

    symbol: str
    timestamp_ns: int
    price: float
    bid: float | None = None
    ask: float | None = None
    volume: float | None = None


class MarketDataProvider(Protocol):
    """A source of historical bars (files, vendors, generators)."""

    name: str

    async def fetch(
        self, symbol: str, timeframe: str, start: datetime | None, end: datetime | None
    ) -> Bars:
        """Return the bars of ``symbol`` in ``[start, end]``; raise NotFoundError if unknown."""
        ...


class LiveFeed(Protocol):
    """A stream of completed bars and quotes for subscribed symbols."""

    def bars(self, symbols: list[str], timeframe: str) -> AsyncIterator[Bars]:
        """Yield each completed bar as a one-row ``Bars``."""
        ...

    def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]:
        """Yield quotes as they arrive."""
        ...
