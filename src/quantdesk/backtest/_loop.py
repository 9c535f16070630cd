"""The compiled bar loop: one call runs a whole backtest on precomputed arrays.

Prices and signals arrive as 2-D arrays of shape (bars, symbols) on one shared time grid;
a NaN open marks a bar the symbol lacks. Scalar options arrive in one float64 ``config``
vector indexed by the constants below, so the kernel signature stays fixed and a sweep can
call :func:`simulate` many times with new signal arrays and no Python per bar.
"""

from __future__ import annotations

import numpy as np

from numba import njit

from quantdesk.indicators._common import kernel

# helpers are inlined into the kernel: a call per bar would cost reference counting per array
helper = njit(inline="always", nogil=True)

# config slots
INITIAL_CASH = 0
FILL_AT_CLOSE = 1
FEE_RATE = 2
FEE_FIXED = 3
SLIP_RATE = 4
SLIP_AMOUNT = 5
SIZE_MODE = 6
SIZE_VALUE = 7
SIZE_MULTIPLE = 8
WHOLE_UNITS = 9
ALLOW_SHORT = 10
STOP_FRACTION = 11
TARGET_FRACTION = 12
TRAIL_FRACTION = 13
POLICY = 14
MAX_POSITION = 15
LEVERAGE = 16
HAS_LEVELS = 17
CONFIG_SIZE = 18

# size modes
ALL_IN = 0
EQUITY_FRACTION = 1
FIXED_QUANTITY = 2
FIXED_CASH = 3
VOLATILITY_TARGET = 4

# intrabar policies
PESSIMISTIC = 0
OPTIMISTIC = 1
OHLC_PATH = 2

# exit reasons, in the order of EXIT_REASONS
OPEN = 0
SIGNAL = 1
STOP_LOSS = 2
TAKE_PROFIT = 3
TRAILING_STOP = 4
EXIT_REASONS = ("open", "signal", "stop_loss", "take_profit", "trailing_stop")

# per-symbol state columns
QTY = 0
ENTRY_PRICE = 1
ENTRY_FEES = 2
ENTRY_ROW = 3
STOP = 4
TARGET = 5
EXTREME = 6
MARK = 7
LAST_ROW = 8
STATE_SIZE = 9

TRADE_DTYPE = np.dtype(
    [
        ("symbol", np.int64),
        ("side", np.int64),
        ("entry_index", np.int64),
        ("exit_index", np.int64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),
        ("quantity", np.float64),
        ("entry_fees", np.float64),
        ("exit_fees", np.float64),
        ("pnl", np.float64),
        ("return", np.float64),
        ("exit_reason", np.int64),
        ("ambiguous", np.bool_),
    ]
)


@helper
def _fill_price(price: float, side: float, cfg: np.ndarray) -> float:
    # slippage always works against the order: buys pay more, sells receive less
    return price * (1.0 + side * cfg[SLIP_RATE]) + side * cfg[SLIP_AMOUNT]


@helper
def _equity(cash: float, state: np.ndarray) -> tuple[float, float]:
    net = 0.0
    gross = 0.0
    for j in range(state.shape[0]):
        value = state[j, QTY] * state[j, MARK]
        net += value
        gross += abs(value)
    return cash + net, gross


@helper
def _desired_quantity(price: float, row: int, j: int, equity: float, budget: float,
                      atr: np.ndarray, cfg: np.ndarray) -> float:  # fmt: skip
    mode = int(cfg[SIZE_MODE])
    value = cfg[SIZE_VALUE]
    if mode == EQUITY_FRACTION:
        budget = min(budget, value * equity)
    elif mode == FIXED_QUANTITY:
        return value
    elif mode == FIXED_CASH:
        return value / price
    elif mode == VOLATILITY_TARGET:
        return value * equity / (cfg[SIZE_MULTIPLE] * atr[row, j])
    return (budget - cfg[FEE_FIXED]) / (1.0 + cfg[FEE_RATE]) / price


@helper
def _quantity(price: float, row: int, j: int, cash: float, state: np.ndarray,
              atr: np.ndarray, cfg: np.ndarray) -> float:  # fmt: skip
    equity, gross = _equity(cash, state)
    budget = cfg[LEVERAGE] * equity - gross
    quantity = _desired_quantity(price, row, j, equity, budget, atr, cfg)
    affordable = (budget - cfg[FEE_FIXED]) / (1.0 + cfg[FEE_RATE]) / price
    quantity = min(quantity, affordable, cfg[MAX_POSITION] * equity / price)
    if cfg[WHOLE_UNITS] > 0.0:
        quantity = np.floor(quantity)
    if not quantity > 0.0 or not np.isfinite(quantity):
        return 0.0
    return quantity


@helper
def _levels(j: int, side: float, price: float, row: int, stop_levels: np.ndarray,
            target_levels: np.ndarray, state: np.ndarray, cfg: np.ndarray) -> None:  # fmt: skip
    stop = stop_levels[row, j] if stop_levels.shape[0] > row else np.nan
    if stop != stop:
        stop = price * (1.0 - side * cfg[STOP_FRACTION])
    target = target_levels[row, j] if target_levels.shape[0] > row else np.nan
    if target != target:
        target = price * (1.0 + side * cfg[TARGET_FRACTION])
    state[j, STOP] = stop
    state[j, TARGET] = target
    state[j, EXTREME] = price


@helper
def _open(j: int, side: float, raw_price: float, row: int, i: int, cash: float,
          state: np.ndarray, atr: np.ndarray, stop_levels: np.ndarray,
          target_levels: np.ndarray, cfg: np.ndarray) -> float:  # fmt: skip
    price = _fill_price(raw_price, side, cfg)
    quantity = _quantity(price, row, j, cash, state, atr, cfg)
    if quantity == 0.0:
        return cash
    fees = quantity * price * cfg[FEE_RATE] + cfg[FEE_FIXED]
    state[j, QTY] = side * quantity
    state[j, ENTRY_PRICE] = price
    state[j, ENTRY_FEES] = fees
    state[j, ENTRY_ROW] = i
    _levels(j, side, price, row, stop_levels, target_levels, state, cfg)
    return cash - side * quantity * price - fees


@helper
def _write_trade(trade: np.ndarray, j: int, i: int, price: float, fees: float,
                 reason: int, ambiguous: bool, state: np.ndarray) -> None:  # fmt: skip
    quantity = abs(state[j, QTY])
    side = 1 if state[j, QTY] > 0.0 else -1
    trade["symbol"] = j
    trade["side"] = side
    trade["entry_index"] = int(state[j, ENTRY_ROW])
    trade["exit_index"] = i
    trade["entry_price"] = state[j, ENTRY_PRICE]
    trade["exit_price"] = price
    trade["quantity"] = quantity
    trade["entry_fees"] = state[j, ENTRY_FEES]
    trade["exit_fees"] = fees
    pnl = side * (price - state[j, ENTRY_PRICE]) * quantity - state[j, ENTRY_FEES] - fees
    trade["pnl"] = pnl
    trade["return"] = pnl / (quantity * state[j, ENTRY_PRICE])
    trade["exit_reason"] = reason
    trade["ambiguous"] = ambiguous


@helper
def _close(j: int, raw_price: float, i: int, reason: int, ambiguous: bool, cash: float,
           state: np.ndarray, trades: np.ndarray, count: int, cfg: np.ndarray) -> float:  # fmt: skip
    quantity = state[j, QTY]
    price = _fill_price(raw_price, -1.0 if quantity > 0.0 else 1.0, cfg)
    fees = abs(quantity) * price * cfg[FEE_RATE] + cfg[FEE_FIXED]
    _write_trade(trades[count], j, i, price, fees, reason, ambiguous, state)
    state[j, QTY] = 0.0
    return cash + quantity * price - fees


@helper
def _effective_stop(j: int, o: float, side: float, state: np.ndarray,
                    cfg: np.ndarray) -> tuple[float, int]:  # fmt: skip
    # the tighter of the fixed stop and the trailing stop, whose extreme includes this open
    stop, reason = state[j, STOP], STOP_LOSS
    trail = cfg[TRAIL_FRACTION]
    if trail == trail:
        extreme = max(state[j, EXTREME], o) if side > 0 else min(state[j, EXTREME], o)
        trailing = extreme * (1.0 - side * trail)
        if stop != stop or side * (trailing - stop) > 0.0:
            stop, reason = trailing, TRAILING_STOP
    return stop, reason


@helper
def _exit_level(j: int, o: float, h: float, low: float, c: float,
                state: np.ndarray, cfg: np.ndarray) -> tuple[int, float, bool]:  # fmt: skip
    # (reason, raw price, ambiguous); reason OPEN means the position survives the bar
    side = 1.0 if state[j, QTY] > 0.0 else -1.0
    stop, reason = _effective_stop(j, o, side, state, cfg)
    target = state[j, TARGET]
    if stop == stop and side * (o - stop) <= 0.0:
        return reason, o, False
    if target == target and side * (o - target) >= 0.0:
        return TAKE_PROFIT, o, False
    adverse, favourable = (low, h) if side > 0 else (h, low)
    hit_stop = stop == stop and side * (adverse - stop) <= 0.0
    hit_target = target == target and side * (favourable - target) >= 0.0
    if hit_stop and hit_target:
        if _target_first(side, o, c, cfg):
            return TAKE_PROFIT, target, True
        return reason, stop, True
    if hit_stop:
        return reason, stop, False
    if hit_target:
        return TAKE_PROFIT, target, False
    return OPEN, 0.0, False


@helper
def _target_first(side: float, o: float, c: float, cfg: np.ndarray) -> bool:
    policy = int(cfg[POLICY])
    if policy == OPTIMISTIC:
        return True
    if policy == OHLC_PATH:
        # an up bar runs open-low-high-close: a long meets its stop first, a short its target
        return (side > 0) != (c >= o)
    return False


@helper
def _exit_on_signal(i: int, row: int, j: int, price: float, cash: float, state: np.ndarray,
                    signals: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                    trades: np.ndarray, count: int, cfg: np.ndarray) -> tuple[float, int]:  # fmt: skip
    entries, exits, short_entries, short_exits = signals
    quantity = state[j, QTY]
    short = cfg[ALLOW_SHORT] > 0.0
    leave_long = quantity > 0.0 and (exits[row, j] or (short and short_entries[row, j]))
    leave_short = quantity < 0.0 and (short_exits[row, j] or entries[row, j])
    if leave_long or leave_short:
        cash = _close(j, price, i, SIGNAL, False, cash, state, trades, count, cfg)
        count += 1
    return cash, count


@helper
def _enter_on_signal(i: int, row: int, j: int, price: float, cash: float, state: np.ndarray,
                     signals: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                     levels: tuple[np.ndarray, np.ndarray, np.ndarray], cfg: np.ndarray) -> float:  # fmt: skip
    entries, exits, short_entries, short_exits = signals
    atr, stop_levels, target_levels = levels
    if state[j, QTY] != 0.0:
        return cash
    if entries[row, j] and not exits[row, j]:
        side = 1.0
    elif cfg[ALLOW_SHORT] > 0.0 and short_entries[row, j] and not short_exits[row, j]:
        side = -1.0
    else:
        return cash
    return _open(j, side, price, row, i, cash, state, atr, stop_levels, target_levels, cfg)


@helper
def _signal_pass(i: int, prices: np.ndarray, opens: np.ndarray, cash: float, state: np.ndarray,
                 signals: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                 levels: tuple[np.ndarray, np.ndarray, np.ndarray], trades: np.ndarray,
                 count: int, cfg: np.ndarray) -> tuple[float, int]:  # fmt: skip
    # every exit before any entry, so cash freed by one symbol can fund another
    at_close = cfg[FILL_AT_CLOSE] > 0.0
    k = state.shape[0]
    for j in range(k):
        row = i if at_close else int(state[j, LAST_ROW])
        if opens[i, j] != opens[i, j] or row < 0:
            continue
        state[j, MARK] = prices[i, j]
        cash, count = _exit_on_signal(i, row, j, prices[i, j], cash, state, signals, trades,
                                      count, cfg)  # fmt: skip
    for j in range(k):
        row = i if at_close else int(state[j, LAST_ROW])
        if opens[i, j] != opens[i, j] or row < 0:
            continue
        cash = _enter_on_signal(i, row, j, prices[i, j], cash, state, signals, levels, cfg)
    return cash, count


@helper
def _level_pass(i: int, bars: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                cash: float, state: np.ndarray, trades: np.ndarray, count: int,
                cfg: np.ndarray) -> tuple[float, int]:  # fmt: skip
    opens, highs, lows, closes = bars
    if cfg[HAS_LEVELS] == 0.0:
        return cash, count
    for j in range(state.shape[0]):
        if state[j, QTY] == 0.0 or opens[i, j] != opens[i, j]:
            continue
        o, h, low, c = opens[i, j], highs[i, j], lows[i, j], closes[i, j]
        reason, price, ambiguous = _exit_level(j, o, h, low, c, state, cfg)
        if reason != OPEN:
            cash = _close(j, price, i, reason, ambiguous, cash, state, trades, count, cfg)
            count += 1
    return cash, count


@helper
def _end_of_bar(i: int, bars: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                state: np.ndarray, cfg: np.ndarray) -> None:
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


@njit(cache=True, nogil=True, _nrt=False)
def simulate(
    bars: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    signals: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    levels: tuple[np.ndarray, np.ndarray, np.ndarray],
    cfg: np.ndarray,
    state: np.ndarray,
    trades: np.ndarray,
    equity: np.ndarray,
) -> int:
    """Run the bar loop and return the number of closed trades written to ``trades``.

    ``bars`` is (open, high, low, close), ``signals`` (entries, exits, short entries, short
    exits) and ``levels`` (ATR for sizing, stop levels, target levels; a level array with
    fewer rows than bars means "none"). ``state`` (symbols × STATE_SIZE) holds the open
    positions at the end and ``equity`` receives cash plus position value at each close.
    ``trades`` needs one row per possible entry.
    """
    opens, highs, lows, closes = bars
    state[:, :] = 0.0
    state[:, LAST_ROW] = -1.0
    cash = cfg[INITIAL_CASH]
    count = 0
    at_close = cfg[FILL_AT_CLOSE] > 0.0
    prices = closes if at_close else opens
    for i in range(closes.shape[0]):
        if at_close:
            cash, count = _level_pass(i, bars, cash, state, trades, count, cfg)
        cash, count = _signal_pass(i, prices, opens, cash, state, signals, levels, trades,
                                   count, cfg)  # fmt: skip
        if not at_close:
            cash, count = _level_pass(i, bars, cash, state, trades, count, cfg)
        _end_of_bar(i, bars, state, cfg)
        equity[i] = _equity(cash, state)[0]
    return count
