"""Prices and signals of one or more symbols laid on one shared time grid.

A single symbol keeps its own arrays (viewed as one column, nothing is copied). Several
symbols are aligned on the sorted union of their timestamps: a bar a symbol lacks is NaN
in its price columns and False in its signal columns, so the kernel neither trades nor
checks stops for it there, and values it at its last close.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from quantdesk.bars import Bars
from quantdesk.errors import ValidationError
from quantdesk.indicators._common import kernel
from quantdesk.strategies.base import Signals

PRICE_COLUMNS = ("open", "high", "low", "close")
Array = np.ndarray
Quad = tuple[Array, Array, Array, Array]


@dataclass(frozen=True, slots=True)
class Market:
    """OHLC of ``symbols`` as (bars x symbols) arrays over ``timestamps`` (int64 ns UTC)."""

    symbols: tuple[str, ...]
    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    rows: tuple[np.ndarray, ...] | None

    @property
    def prices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return (open, high, low, close) in the kernel's order."""
        return self.open, self.high, self.low, self.close

    def grid(self, columns: Sequence[np.ndarray], fill: object) -> np.ndarray:
        """Lay one array per symbol onto the grid, ``fill`` where a symbol has no bar."""
        if self.rows is None:
            return np.ascontiguousarray(columns[0]).reshape(-1, 1)
        out = np.full((len(self.timestamps), len(self.symbols)), fill, dtype=columns[0].dtype)
        for j, (rows, column) in enumerate(zip(self.rows, columns, strict=True)):
            out[rows, j] = column
        return out


def align(series: Mapping[str, Bars]) -> Market:
    """Build the shared grid; refuse empty input and empty series."""
    if not series:
        raise ValidationError("bars must hold at least one symbol")
    for symbol, bars in series.items():
        if len(bars) == 0:
            raise ValidationError(f"bars for {symbol} are empty; load some history first")
        if not _increasing(np.asarray(bars.timestamps, np.int64)):
            raise ValidationError(
                f"timestamps of {symbol} must increase strictly; "
                "run bars.validate() to find the row"
            )
    symbols = tuple(series)
    if len(series) == 1:
        bars = series[symbols[0]]
        o, h, lo, c = (
            np.ascontiguousarray(getattr(bars, name), np.float64).reshape(-1, 1)
            for name in PRICE_COLUMNS
        )
        return Market(symbols, np.asarray(bars.timestamps, np.int64), o, h, lo, c, rows=None)
    timestamps = np.unique(
        np.concatenate([np.asarray(b.timestamps, np.int64) for b in series.values()])
    )
    rows = tuple(
        np.searchsorted(timestamps, np.asarray(b.timestamps, np.int64)) for b in series.values()
    )
    empty = np.empty(0)
    shell = Market(symbols, timestamps, empty, empty, empty, empty, rows=rows)
    o, h, lo, c = (
        shell.grid([np.asarray(getattr(b, name), np.float64) for b in series.values()], np.nan)
        for name in PRICE_COLUMNS
    )
    return Market(symbols, timestamps, o, h, lo, c, rows=rows)


@kernel
def _increasing(timestamps: np.ndarray) -> bool:
    for i in range(1, timestamps.shape[0]):  # noqa: SIM110  (numba compiles loops, not generators)
        if timestamps[i] <= timestamps[i - 1]:
            return False
    return True


def stack_signals(market: Market, signals: Sequence[Signals]) -> tuple[Quad, tuple[Array, Array]]:
    """Return the four signal grids and the stop and target level grids (empty when unused)."""
    for symbol, (rows, own) in zip(market.symbols, _pairs(market, signals), strict=True):
        if len(own) != rows:
            raise ValidationError(
                f"signals for {symbol} have {len(own)} values but its bars have {rows}; "
                "a strategy must return one value per bar"
            )
    entries, exits, short_entries, short_exits = (
        market.grid([_flag(s, name) for s in signals], False)
        for name in ("entries", "exits", "short_entries", "short_exits")
    )
    levels = (
        _level_grid(market, signals, "stop_loss"),
        _level_grid(market, signals, "take_profit"),
    )
    return (entries, exits, short_entries, short_exits), levels


def _pairs(market: Market, signals: Sequence[Signals]) -> list[tuple[int, Signals]]:
    counts = [len(market.timestamps)] if market.rows is None else [len(r) for r in market.rows]
    return list(zip(counts, signals, strict=True))


def _flag(signals: Signals, name: str) -> np.ndarray:
    values = getattr(signals, name)
    return np.zeros(len(signals), np.bool_) if values is None else values


def _level_grid(market: Market, signals: Sequence[Signals], name: str) -> np.ndarray:
    if all(getattr(s, name) is None for s in signals):
        return np.empty((0, len(market.symbols)))
    columns = [_level(s, name) for s in signals]
    return market.grid(columns, np.nan)


def _level(signals: Signals, name: str) -> np.ndarray:
    values = getattr(signals, name)
    return np.full(len(signals), np.nan) if values is None else values
