"""A live random walk: quotes and bars invented as time passes, for demos and load tests.

Each symbol's price follows geometric Brownian motion with an annualised ``volatility``,
seeded from the symbol and ``seed`` so two runs tell the same story. Quotes come every
``quote_seconds`` with a spread of ``spread_bps``; bars of a timeframe complete every
timeframe divided by ``speed`` (``speed=60``: a 1m bar a second), built from ``ticks_per_bar``
steps of the same walk, so bars and quotes of one feed agree.

Example:
    >>> feed = SyntheticFeed(quote_seconds=0.05)
    >>> async for quote in feed.quotes(["DEMO"]): ...  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import numpy as np

from quantdesk.bars import Bars, timeframe_ns
from quantdesk.errors import ValidationError
from quantdesk.ports.market_data import Quote

YEAR_SECONDS = 365 * 86_400
Sleep = Callable[[float], Awaitable[None]]


class SyntheticFeed:
    """A ``LiveFeed`` whose prices are a seeded random walk per symbol."""

    def __init__(
        self,
        *,
        seed: int = 0,
        initial_price: float = 100.0,
        volatility: float = 0.5,
        quote_seconds: float = 0.25,
        speed: float = 1.0,
        spread_bps: float = 2.0,
        ticks_per_bar: int = 20,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        for name, value in (("quote_seconds", quote_seconds), ("speed", speed)):
            if not value > 0:
                raise ValidationError(f"{name} must be above zero", details={"field": name})
        self.seed = seed
        self.initial_price = initial_price
        self.volatility = volatility
        self.quote_seconds = quote_seconds
        self.speed = speed
        self.spread = spread_bps / 10_000
        self.ticks_per_bar = max(ticks_per_bar, 1)
        self._sleep = sleep
        self._prices: dict[str, float] = {}
        self._rngs: dict[str, np.random.Generator] = {}

    async def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]:
        """Yield one quote per symbol every ``quote_seconds``, forever."""
        names = [symbol.upper() for symbol in symbols]
        while True:
            now = time.time_ns()
            for name in names:
                price = float(self._walk(name, 1, self.quote_seconds * self.speed)[-1])
                half = price * self.spread / 2
                yield Quote(name, now, price, bid=price - half, ask=price + half)
            await self._sleep(self.quote_seconds)

    async def bars(self, symbols: list[str], timeframe: str) -> AsyncIterator[Bars]:
        """Yield a completed bar per symbol every timeframe divided by ``speed``, forever."""
        length = timeframe_ns(timeframe)
        names = [symbol.upper() for symbol in symbols]
        start = time.time_ns() // length * length
        while True:
            await self._sleep(length / 1e9 / self.speed)
            for name in names:
                yield self._bar(name, timeframe, start, length)
            start += length

    def _bar(self, symbol: str, timeframe: str, start: int, length: int) -> Bars:
        opening = self._initial(symbol)
        path = self._walk(symbol, self.ticks_per_bar, length / 1e9 / self.ticks_per_bar)
        volume = float(self._rng(symbol).lognormal(10.0, 0.5))
        return Bars.from_arrays(
            np.array([start], dtype=np.int64),
            [opening],
            [max(opening, float(path.max()))],
            [min(opening, float(path.min()))],
            [float(path[-1])],
            [round(volume)],
            symbol=symbol,
            timeframe=timeframe,
        )

    def _walk(self, symbol: str, steps: int, step_seconds: float) -> np.ndarray:
        sigma = self.volatility * np.sqrt(step_seconds / YEAR_SECONDS)
        shocks = self._rng(symbol).standard_normal(steps) * sigma - 0.5 * sigma**2
        path: np.ndarray = self._initial(symbol) * np.exp(np.cumsum(shocks))
        self._prices[symbol] = float(path[-1])
        return path

    def _initial(self, symbol: str) -> float:
        self._prices.setdefault(symbol, self.initial_price)
        return self._prices[symbol]

    def _rng(self, symbol: str) -> np.random.Generator:
        if symbol not in self._rngs:
            self._rngs[symbol] = np.random.default_rng((self.seed, zlib.crc32(symbol.encode())))
        return self._rngs[symbol]
