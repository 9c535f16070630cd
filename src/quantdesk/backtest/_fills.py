"""Fills inside the compiled loop: prices after slippage, sizing, opening and closing."""

from __future__ import annotations

import numpy as np

from quantdesk.backtest._layout import (
    ENTRY_FEES,
    ENTRY_PRICE,
    ENTRY_ROW,
    EQUITY_FRACTION,
    EXTREME,
    FEE_FIXED,
    FEE_RATE,
    FIXED_CASH,
    FIXED_QUANTITY,
    LEVERAGE,
    MARK,
    MAX_POSITION,
    QTY,
    SIZE_MODE,
    SIZE_MULTIPLE,
    SIZE_VALUE,
    SLIP_AMOUNT,
    SLIP_RATE,
    STOP,
    STOP_FRACTION,
    STOP_RISK,
    TARGET,
    TARGET_FRACTION,
    VOLATILITY_TARGET,
    WHOLE_UNITS,
    helper,
)


@helper
def _fill_price(price: float, side: float, cfg: np.ndarray) -> float:
    # slippage always works against the order: buys pay more, sells receive less
    return float(price * (1.0 + side * cfg[SLIP_RATE]) + side * cfg[SLIP_AMOUNT])


@helper
def portfolio_value(cash: float, state: np.ndarray) -> tuple[float, float]:
    net = 0.0
    gross = 0.0
    for j in range(state.shape[0]):
        value = state[j, QTY] * state[j, MARK]
        net += value
        gross += abs(value)
    return cash + net, gross


# a billionth of headroom before rounding down, so float noise in equity / distance does not
# lose a lot that the deployment runner's decimal arithmetic keeps
_ROUNDING_SLACK = 1e-9


@helper
def stop_level(
    j: int, side: float, price: float, row: int, stop_levels: np.ndarray, cfg: np.ndarray
) -> float:
    # the strategy's level at the signal bar, else the options' fraction of the fill price
    stop = stop_levels[row, j] if stop_levels.shape[0] > row else np.nan
    if stop != stop:
        stop = price * (1.0 - side * cfg[STOP_FRACTION])
    return float(stop)


@helper
def _desired_quantity(
    price: float,
    entry: tuple[int, int, float, float],
    equity: float,
    budget: float,
    sizing: np.ndarray,
    cfg: np.ndarray,
) -> float:
    row, j, side, stop = entry
    mode = int(cfg[SIZE_MODE])
    value = cfg[SIZE_VALUE]
    if mode == EQUITY_FRACTION:
        budget = min(budget, value * equity)
    elif mode == FIXED_QUANTITY:
        return float(value)
    elif mode == FIXED_CASH:
        return float(value / price)
    elif mode == VOLATILITY_TARGET:
        return float(value * equity / (cfg[SIZE_MULTIPLE] * sizing[row, j]))
    elif mode == STOP_RISK:
        # sizing holds the signal bar's close; a missing or wrong-side stop sizes nothing
        risk = side * (sizing[row, j] - stop)
        if not risk > 0.0:
            return 0.0
        return float(value * equity / risk * (1.0 + _ROUNDING_SLACK))
    return float((budget - cfg[FEE_FIXED]) / (1.0 + cfg[FEE_RATE]) / price)


@helper
def _quantity(
    price: float,
    entry: tuple[int, int, float, float],
    cash: float,
    state: np.ndarray,
    sizing: np.ndarray,
    cfg: np.ndarray,
) -> float:
    equity, gross = portfolio_value(cash, state)
    budget = cfg[LEVERAGE] * equity - gross
    quantity = _desired_quantity(price, entry, equity, budget, sizing, cfg)
    affordable = (budget - cfg[FEE_FIXED]) / (1.0 + cfg[FEE_RATE]) / price
    quantity = min(quantity, affordable, cfg[MAX_POSITION] * equity / price)
    if int(cfg[SIZE_MODE]) == STOP_RISK:
        quantity = np.floor(quantity / cfg[SIZE_MULTIPLE]) * cfg[SIZE_MULTIPLE]
    if cfg[WHOLE_UNITS] > 0.0:
        quantity = np.floor(quantity)
    if not quantity > 0.0 or not np.isfinite(quantity):
        return 0.0
    return float(quantity)


@helper
def _levels(
    j: int,
    side: float,
    price: float,
    row: int,
    stop: float,
    target_levels: np.ndarray,
    state: np.ndarray,
    cfg: np.ndarray,
) -> None:
    target = target_levels[row, j] if target_levels.shape[0] > row else np.nan
    if target != target:
        target = price * (1.0 + side * cfg[TARGET_FRACTION])
    state[j, STOP] = stop
    state[j, TARGET] = target
    state[j, EXTREME] = price


@helper
def open_position(
    j: int,
    side: float,
    raw_price: float,
    row: int,
    i: int,
    cash: float,
    state: np.ndarray,
    sizing: np.ndarray,
    stop_levels: np.ndarray,
    target_levels: np.ndarray,
    cfg: np.ndarray,
) -> float:
    price = _fill_price(raw_price, side, cfg)
    stop = stop_level(j, side, price, row, stop_levels, cfg)
    quantity = _quantity(price, (row, j, side, stop), cash, state, sizing, cfg)
    if quantity == 0.0:
        return cash
    fees = quantity * price * cfg[FEE_RATE] + cfg[FEE_FIXED]
    state[j, QTY] = side * quantity
    state[j, ENTRY_PRICE] = price
    state[j, ENTRY_FEES] = fees
    state[j, ENTRY_ROW] = i
    _levels(j, side, price, row, stop, target_levels, state, cfg)
    return float(cash - side * quantity * price - fees)


@helper
def _write_trade(
    trade: np.ndarray,
    j: int,
    i: int,
    price: float,
    fees: float,
    reason: int,
    ambiguous: bool,
    state: np.ndarray,
) -> None:
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
def close_position(
    j: int,
    raw_price: float,
    i: int,
    reason: int,
    ambiguous: bool,
    cash: float,
    state: np.ndarray,
    trades: np.ndarray,
    count: int,
    cfg: np.ndarray,
) -> float:
    quantity = state[j, QTY]
    price = _fill_price(raw_price, -1.0 if quantity > 0.0 else 1.0, cfg)
    fees = abs(quantity) * price * cfg[FEE_RATE] + cfg[FEE_FIXED]
    _write_trade(trades[count], j, i, price, fees, reason, ambiguous, state)
    state[j, QTY] = 0.0
    return float(cash + quantity * price - fees)
