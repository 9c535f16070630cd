"""The compiled bar loop: one call runs a whole backtest on precomputed arrays.

Prices and signals arrive as 2-D arrays of shape (bars, symbols) on one shared time grid;
a NaN open marks a bar the symbol lacks. Scalar options arrive in one float64 ``config``
vector (slots in ``_layout``), so a sweep can call :func:`simulate` many times with new
signal arrays and no Python per bar.
"""

from __future__ import annotations

import numpy as np

from quantdesk.backtest._fills import close_position, open_position, portfolio_value
from quantdesk.backtest._layout import (
    ALLOW_SHORT,
    ENTRY_ROW,
    EXTREME,
    FILL_AT_CLOSE,
    INITIAL_CASH,
    LAST_ROW,
    MARK,
    QTY,
    SIGNAL,
    Quad,
    Triple,
    compiled,
    helper,
)
from quantdesk.backtest._stops import level_pass


@helper
def _exit_on_signal(
    i: int,
    row: int,
    j: int,
    price: float,
    cash: float,
    state: np.ndarray,
    signals: Quad,
    trades: np.ndarray,
    count: int,
    cfg: np.ndarray,
) -> tuple[float, int]:
    entries, exits, short_entries, short_exits = signals
    quantity = state[j, QTY]
    short = cfg[ALLOW_SHORT] > 0.0
    leave_long = quantity > 0.0 and (exits[row, j] or (short and short_entries[row, j]))
    leave_short = quantity < 0.0 and (short_exits[row, j] or entries[row, j])
    if leave_long or leave_short:
        cash = close_position(j, price, i, SIGNAL, False, cash, state, trades, count, cfg)
        count += 1
    return cash, count


@helper
def _enter_on_signal(
    i: int,
    row: int,
    j: int,
    price: float,
    cash: float,
    state: np.ndarray,
    signals: Quad,
    levels: Triple,
    cfg: np.ndarray,
) -> float:
    entries, exits, short_entries, short_exits = signals
    sizing, stop_levels, target_levels = levels
    if state[j, QTY] != 0.0:
        return cash
    if entries[row, j] and not exits[row, j]:
        side = 1.0
    elif cfg[ALLOW_SHORT] > 0.0 and short_entries[row, j] and not short_exits[row, j]:
        side = -1.0
    else:
        return cash
    return open_position(
        j, side, price, row, i, cash, state, sizing, stop_levels, target_levels, cfg
    )


@helper
def _signal_pass(
    i: int,
    prices: np.ndarray,
    opens: np.ndarray,
    cash: float,
    state: np.ndarray,
    signals: Quad,
    levels: Triple,
    trades: np.ndarray,
    count: int,
    cfg: np.ndarray,
) -> tuple[float, int]:
    # every exit before any entry, so cash freed by one symbol can fund another
    at_close = cfg[FILL_AT_CLOSE] > 0.0
    k = state.shape[0]
    for j in range(k):
        row = i if at_close else int(state[j, LAST_ROW])
        if opens[i, j] != opens[i, j] or row < 0:
            continue
        state[j, MARK] = prices[i, j]
        cash, count = _exit_on_signal(
            i, row, j, prices[i, j], cash, state, signals, trades, count, cfg
        )
    for j in range(k):
        row = i if at_close else int(state[j, LAST_ROW])
        if opens[i, j] != opens[i, j] or row < 0:
            continue
        cash = _enter_on_signal(i, row, j, prices[i, j], cash, state, signals, levels, cfg)
    return cash, count


@helper
def _end_of_bar(
    i: int,
    bars: Quad,
    state: np.ndarray,
    cfg: np.ndarray,
) -> None:
    opens, highs, lows, closes = bars
    # at fill=close the entry bar's range came before the fill, so it cannot move the extreme
    settled = cfg[FILL_AT_CLOSE] == 0.0
    for j in range(state.shape[0]):
        if opens[i, j] != opens[i, j]:
            continue
        state[j, MARK] = closes[i, j]
        state[j, LAST_ROW] = i
        quantity = state[j, QTY]
        if quantity != 0.0 and (settled or state[j, ENTRY_ROW] < i):
            if quantity > 0.0:
                state[j, EXTREME] = max(state[j, EXTREME], highs[i, j])
            else:
                state[j, EXTREME] = min(state[j, EXTREME], lows[i, j])


@compiled
def simulate(
    bars: Quad,
    signals: Quad,
    levels: Triple,
    cfg: np.ndarray,
    state: np.ndarray,
    trades: np.ndarray,
    equity: np.ndarray,
) -> int:
    """Run the bar loop and return the number of closed trades written to ``trades``.

    ``bars`` is (open, high, low, close), ``signals`` (entries, exits, short entries, short
    exits) and ``levels`` (the sizing grid of ``engine.sizing_grid``, stop levels, target
    levels; an array with fewer rows than bars means "none"). ``state`` (symbols x
    STATE_SIZE) holds the open positions at the end and ``equity`` receives cash plus
    position value at each close.
    ``trades`` needs one row per possible entry.
    """
    opens, closes = bars[0], bars[3]
    state[:, :] = 0.0
    state[:, LAST_ROW] = -1.0
    cash = cfg[INITIAL_CASH]
    count = 0
    at_close = cfg[FILL_AT_CLOSE] > 0.0
    prices = closes if at_close else opens
    for i in range(closes.shape[0]):
        if at_close:
            cash, count = level_pass(i, bars, cash, state, trades, count, cfg)
        cash, count = _signal_pass(
            i, prices, opens, cash, state, signals, levels, trades, count, cfg
        )
        if not at_close:
            cash, count = level_pass(i, bars, cash, state, trades, count, cfg)
        _end_of_bar(i, bars, state, cfg)
        equity[i] = portfolio_value(cash, state)[0]
    return count
