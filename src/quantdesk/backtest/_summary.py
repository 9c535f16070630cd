"""The headline metrics of one backtest, computed in compiled code from its raw buffers.

A sweep runs thousands of backtests and keeps one table row of each. Building a
``BacktestResult`` and its pandas-backed metrics per combination would cost more than the
backtest itself, so these kernels read the equity buffer, the trade records and the final
state directly. The definitions are those of :mod:`quantdesk.backtest.metrics`; the values
agree with ``result.metrics`` to rounding.
"""

from __future__ import annotations

import numpy as np

from quantdesk.backtest._layout import ENTRY_ROW, QTY
from quantdesk.indicators._common import kernel

SUMMARY_COLUMNS = (
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "number_of_trades",
    "win_rate",
    "profit_factor",
    "expectancy",
    "average_trade",
    "exposure",
)


@kernel
def _performance(equity: np.ndarray, initial: float, per_year: float, out: np.ndarray) -> None:
    n = equity.shape[0]
    total, low, peak, previous = 0.0, 0.0, initial, initial
    downside = 0.0
    for i in range(n):
        r = equity[i] / previous - 1.0
        total += r
        downside += min(r, 0.0) ** 2
        previous = equity[i]
        peak = max(peak, equity[i])
        low = min(low, equity[i] / peak - 1.0)
    mean = total / n
    squares, previous = 0.0, initial
    for i in range(n):
        squares += (equity[i] / previous - 1.0 - mean) ** 2
        previous = equity[i]
    deviation = np.sqrt(squares / (n - 1)) if n > 1 else np.nan
    growth = equity[n - 1] / initial - 1.0
    cagr = -1.0 if growth <= -1.0 else (1.0 + growth) ** (per_year / n) - 1.0
    root = np.sqrt(per_year)
    out[0], out[1], out[2] = growth, cagr, deviation * root
    out[3] = mean * root / deviation if deviation > 0.0 else np.nan
    below = np.sqrt(downside / n) * root
    out[4] = mean * per_year / below if below > 0.0 else np.nan
    out[5] = cagr / -low if low < 0.0 else np.nan
    out[6] = low


@kernel
def _trades(trades: np.ndarray, count: int, out: np.ndarray) -> None:
    wins, gains, losses, pnl_sum, return_sum = 0, 0.0, 0.0, 0.0, 0.0
    for k in range(count):
        pnl = trades[k]["pnl"]
        wins += pnl > 0.0
        gains += max(pnl, 0.0)
        losses -= min(pnl, 0.0)
        pnl_sum += pnl
        return_sum += trades[k]["return"]
    out[7] = count
    if count == 0:
        out[8:12] = np.nan
        return
    out[8] = wins / count
    out[9] = gains / losses if losses > 0.0 else np.inf
    out[10] = pnl_sum / count
    out[11] = return_sum / count


@kernel
def _exposure(trades: np.ndarray, count: int, state: np.ndarray, change: np.ndarray) -> float:
    # share of closes with any position held, as BacktestResult.in_market counts it
    n = change.shape[0] - 1
    change[:] = 0
    for k in range(count):
        change[trades[k]["entry_index"]] += 1
        change[trades[k]["exit_index"]] -= 1
    for j in range(state.shape[0]):
        if state[j, QTY] != 0.0:
            change[int(state[j, ENTRY_ROW])] += 1
    held, inside = 0, 0
    for i in range(n):
        held += change[i]
        inside += held > 0
    return inside / n if n > 0 else 0.0


def summarise(
    equity: np.ndarray,
    initial: float,
    periods_per_year: float,
    trades: np.ndarray,
    count: int,
    state: np.ndarray,
    change: np.ndarray,
) -> np.ndarray:
    """Return the values of ``SUMMARY_COLUMNS`` for one finished backtest.

    ``change`` is scratch space of ``len(equity) + 1`` int64 values, reused between calls.
    """
    out = np.empty(len(SUMMARY_COLUMNS))
    _performance(equity, initial, periods_per_year, out)
    _trades(trades, count, out)
    out[12] = _exposure(trades, count, state, change)
    return out
