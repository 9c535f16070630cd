"""Performance metrics with the textbook (empyrical) definitions.

Returns are simple returns of equity from close to close, the first measured against the
initial cash, so compounding them gives the final equity exactly. Annualisation uses
``periods_per_year``: given, or counted from the data as bars per 365.25-day year, which
gives about 252 for daily equity bars and about 365 for daily crypto bars. The risk-free
rate is 0. Sortino uses the downside deviation below 0; Calmar is CAGR over the absolute
maximum drawdown; the drawdown peak includes the initial cash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from quantdesk.errors import ValidationError

YEAR_NS = 365.25 * 86_400 * 1_000_000_000
DAY_NS = 86_400 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class PerformanceMetrics:
    """Return-based metrics of one equity curve; ratios are NaN when undefined."""

    total_return: float
    cagr: float
    annual_volatility: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float
    max_drawdown_bars: int
    max_drawdown_days: float

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as a plain dict (JSON-ready apart from NaN and inf)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TradeMetrics:
    """Metrics of the closed trades and of time spent in the market."""

    number_of_trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    average_trade: float
    best_trade: float
    worst_trade: float
    average_bars_held: float
    exposure: float
    ambiguous_trades: int

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Metrics:
    """Everything a report shows: the strategy, buy-and-hold on the same bars, calendar returns."""

    performance: PerformanceMetrics
    trades: TradeMetrics
    benchmark: PerformanceMetrics
    periods_per_year: float
    monthly_returns: dict[str, float]
    yearly_returns: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Return one flat dict of strategy metrics plus nested benchmark and calendar returns."""
        return {
            **self.performance.to_dict(),
            **self.trades.to_dict(),
            "periods_per_year": self.periods_per_year,
            "benchmark": self.benchmark.to_dict(),
            "monthly_returns": self.monthly_returns,
            "yearly_returns": self.yearly_returns,
        }


def infer_periods_per_year(timestamps: np.ndarray) -> float:
    """Count bars per 365.25-day year from the first to the last timestamp."""
    if len(timestamps) < 2 or timestamps[-1] <= timestamps[0]:
        raise ValidationError(
            "periods_per_year cannot be inferred from fewer than two distinct timestamps; "
            "pass periods_per_year, e.g. 252 for daily equity bars"
        )
    return float((len(timestamps) - 1) / ((timestamps[-1] - timestamps[0]) / YEAR_NS))


def equity_returns(equity: np.ndarray, initial: float) -> np.ndarray:
    """Return simple returns per bar, the first one against ``initial``."""
    previous = np.empty_like(equity)
    previous[0] = initial
    previous[1:] = equity[:-1]
    returns: np.ndarray = equity / previous - 1.0
    return returns


def performance(
    equity: np.ndarray, initial: float, timestamps: np.ndarray, periods_per_year: float
) -> PerformanceMetrics:
    """Compute the return-based metrics of one equity curve."""
    returns = equity_returns(equity, initial)
    total = float(equity[-1] / initial - 1.0)
    cagr = _cagr(total, len(returns), periods_per_year)
    deviation = float(np.std(returns, ddof=1)) if len(returns) > 1 else np.nan
    mean = float(np.mean(returns))
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
    drawdown, bars, days = _drawdown(equity, initial, timestamps)
    root = np.sqrt(periods_per_year)
    return PerformanceMetrics(
        total_return=total,
        cagr=cagr,
        annual_volatility=deviation * root,
        sharpe=_ratio(mean * root, deviation),
        sortino=_ratio(mean * periods_per_year, downside * root),
        calmar=_ratio(cagr, -drawdown),
        max_drawdown=drawdown,
        max_drawdown_bars=bars,
        max_drawdown_days=days,
    )


def _ratio(numerator: float, denominator: float) -> float:
    if not denominator > 0.0:
        return float("nan")
    return float(numerator / denominator)


def _cagr(total: float, periods: int, periods_per_year: float) -> float:
    if total <= -1.0:
        return -1.0
    return float((1.0 + total) ** (periods_per_year / periods) - 1.0)


def _drawdown(
    equity: np.ndarray, initial: float, timestamps: np.ndarray
) -> tuple[float, int, float]:
    # (deepest drawdown, longest stretch under water in bars and in days, peak to recovery)
    peak = np.maximum(np.maximum.accumulate(equity), initial)
    depth = float(np.min(equity / peak - 1.0))
    under = equity < peak
    if not under.any():
        return min(depth, 0.0), 0, 0.0
    edges = np.diff(np.concatenate(([0], under.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest = int(np.argmax(ends - starts))
    start, end = starts[longest], ends[longest]
    since = timestamps[start - 1] if start > 0 else timestamps[0]
    until = timestamps[min(end, len(timestamps) - 1)]
    return depth, int(end - start), float((until - since) / DAY_NS)


def trade_metrics(trades: np.ndarray, in_market: np.ndarray) -> TradeMetrics:
    """Compute trade statistics from closed trades (fields ``pnl``, ``return``, ``bars_held``)."""
    pnl = trades["pnl"]
    returns = trades["return"]
    gains, losses = pnl[pnl > 0.0].sum(), -pnl[pnl < 0.0].sum()
    count = len(trades)
    empty = count == 0
    return TradeMetrics(
        number_of_trades=count,
        win_rate=np.nan if empty else float(np.mean(pnl > 0.0)),
        profit_factor=np.nan if empty else (float(gains / losses) if losses > 0 else np.inf),
        expectancy=np.nan if empty else float(np.mean(pnl)),
        average_trade=np.nan if empty else float(np.mean(returns)),
        best_trade=np.nan if empty else float(np.max(returns)),
        worst_trade=np.nan if empty else float(np.min(returns)),
        average_bars_held=np.nan if empty else float(np.mean(trades["bars_held"])),
        exposure=float(np.mean(in_market)) if len(in_market) else 0.0,
        ambiguous_trades=int(np.count_nonzero(trades["ambiguous"])),
    )


def calendar_returns(
    equity: np.ndarray, initial: float, timestamps: np.ndarray, unit: str
) -> dict[str, float]:
    """Return the compounded return of each calendar month (``unit="M"``) or year (``"Y"``), UTC."""
    periods = timestamps.astype("datetime64[ns]").astype(f"datetime64[{unit}]")
    last = np.flatnonzero(np.concatenate((periods[1:] != periods[:-1], [True])))
    closing = equity[last]
    opening = np.concatenate(([initial], closing[:-1]))
    values = closing / opening - 1.0
    return {str(period): float(value) for period, value in zip(periods[last], values, strict=True)}
